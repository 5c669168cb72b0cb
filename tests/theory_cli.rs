//! `phaseflow theory` end to end: the JSON schema for valid input, exit code 2 with one
//! line naming the flag for invalid input.

mod common;

use serde_json::Value;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = common::phaseflow(&[&["theory"], args].concat());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const KEYS: [&str; 7] = ["c", "m", "omega", "b", "sqrt_q", "sqrt_r", "mse"];

#[test]
fn json_follows_the_schema() {
    let (code, out, err) = run(&[
        "--schedule",
        "dilated",
        "--kappa",
        "2",
        "--p",
        "0.8",
        "--sigma2",
        "1",
        "--d",
        "1000",
        "--steps",
        "10",
        "--n",
        "16",
        "--lambda-u",
        "0.5",
        "--engine",
        "averaged",
        "--noise",
        "fixed",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    for k in [
        "schema_version",
        "crate_version",
        "config",
        "steps",
        "generated_euler",
    ] {
        assert!(!v[k].is_null(), "missing {k}");
    }
    assert_eq!(v["config"]["n"], 16);
    assert_eq!(v["config"]["noise"], "fixed");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 10);
    for s in steps {
        for k in ["t", "tau", "alpha", "beta"] {
            assert!(s[k].is_number());
        }
        for block in ["bayes", "limit", "finite_n"] {
            let o = s[block]
                .as_object()
                .unwrap_or_else(|| panic!("{block} missing"));
            for k in KEYS {
                assert!(o.contains_key(k), "{block}.{k} missing");
            }
        }
    }
    // Phase 2 (t = 1.6): diverging quantities are null, not huge numbers.
    assert!(steps[8]["limit"]["omega"].is_null() && steps[8]["finite_n"]["b"].is_null());
    assert!(v["generated_euler"]["p_hat"].is_number());
    // Fixed noise: phase 1 is not predicted by §5.3.
    assert!(steps[2]["finite_n"]["m"].is_null());
}

#[test]
fn finite_n_unless_left_out_and_limit_null_on_linear() {
    let (code, out, _) = run(&[
        "--schedule",
        "linear",
        "--d",
        "500",
        "--steps",
        "4",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    for s in v["steps"].as_array().unwrap() {
        assert!(
            s.get("finite_n").is_none(),
            "§5.3 is a theory of the dilated schedule"
        );
        assert!(s["limit"].is_null());
    }
    // The dilated schedule has the finite-n block at the objective's n (the default of
    // `train`), unless it is left out.
    let (_, out, _) = run(&["--d", "500", "--steps", "4", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["config"]["n"], 128);
    assert_eq!(v["config"]["lambda_u"], 0.01);
    assert!(v["steps"][1]["finite_n"].is_object());
    let (_, out, _) = run(&["--d", "500", "--steps", "4", "--no-finite-n", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["config"]["n"].is_null());
    assert!(v["steps"][1].get("finite_n").is_none());
}

#[test]
fn table_without_json() {
    let (code, out, _) = run(&["--d", "500", "--steps", "4"]);
    assert_eq!(code, 0);
    assert!(out.contains("p̂ ="), "{out}");
}

#[test]
fn bad_input_exits_2_naming_the_flag() {
    let cases: [(&[&str], &str); 7] = [
        (&["--p", "1.2"], "p:"),
        (&["--sigma2=-1"], "sigma2:"),
        (&["--d", "0"], "d:"),
        (&["--steps", "0"], "steps:"),
        (&["--kappa", "1000", "--d", "100"], "kappa:"),
        (&["--n", "0"], "n:"),
        (&["--lambda-u=-0.5"], "lambda-u:"),
    ];
    for (args, field) in cases {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}: exit {code}, stderr {err}");
        assert!(out.is_empty(), "{args:?}: printed {out}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {err}");
        assert!(
            lines[0].starts_with(&format!("error: {field}")),
            "{args:?}: {err}"
        );
    }
    // clap's own parse errors also exit 2.
    let (code, _, _) = run(&["--noise", "bogus"]);
    assert_eq!(code, 2);
}
