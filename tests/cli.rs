//! The command line as a user sees it: exit codes, one-line errors naming the flag,
//! byte-identical output across thread counts.

mod common;

use common::phaseflow_threads as phaseflow;

const SMALL: &[&str] = &[
    "train", "--d", "40", "--n", "16", "--steps", "6", "--epochs", "30", "--gen", "700", "--seed",
    "7", "--json",
];

#[test]
fn train_json_is_byte_identical_across_thread_counts() {
    let one = phaseflow(SMALL, Some("1"));
    let two = phaseflow(SMALL, Some("2"));
    let again = phaseflow(SMALL, Some("2"));
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, two.stdout, "RAYON_NUM_THREADS=1 vs 2 differ");
    assert_eq!(two.stdout, again.stdout, "two runs differ");
    let other_seed = phaseflow(&[SMALL, &["--seed", "8"]].concat(), Some("2"));
    assert_ne!(one.stdout, other_seed.stdout, "the seed must matter");
}

#[test]
fn train_json_follows_the_schema() {
    let out = phaseflow(SMALL, None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["schema_version"], 3);
    assert_eq!(v["config"]["problem"]["d"], 40);
    assert_eq!(v["config"]["problem"]["path"]["kind"], "linear");
    assert_eq!(v["config"]["endpoint"], "end");
    assert_eq!(v["config"]["engine"]["kind"], "sgd");
    assert_eq!(v["config"]["engine"]["epochs"], 30);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    for key in [
        "t",
        "tau",
        "c",
        "m",
        "omega",
        "b",
        "sqrt_q",
        "sqrt_r",
        "loss",
        "converged",
    ] {
        assert!(steps[0].get(key).is_some(), "steps[].{key} missing");
    }
    for key in ["p_hat", "p_hat_se", "var_perp", "n_gen"] {
        assert!(v["generated"].get(key).is_some(), "generated.{key} missing");
    }
    assert_eq!(v["generated"]["n_gen"], 700);
}

/// Each bad input exits with code 2 and prints one line naming the flag.
#[test]
fn bad_input_exits_2_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["--p", "1.2"], "p:"),
        (&["--p", "0"], "p:"),
        (&["--p", "NaN"], "p:"),
        (&["--sigma2", "0"], "sigma2:"),
        (&["--sigma2", "-1"], "sigma2:"),
        (&["--sigma2", "inf"], "sigma2:"),
        (&["--kappa", "7"], "kappa:"), // √d = √40 ≈ 6.3
        (&["--d", "0"], "d:"),
        (&["--n", "0"], "n:"),
        (&["--steps", "0"], "steps:"),
        (&["--epochs", "0"], "epochs:"),
        (&["--gen", "0"], "gen:"),
        (&["--lr", "-0.1"], "lr:"),
        (&["--lambda-u", "NaN"], "lambda-u:"),
    ];
    for (extra, name) in cases {
        let base = ["--d", "40", "--n", "8", "--steps", "4", "--epochs", "2"];
        let mut args = vec!["train"];
        for pair in base.chunks(2) {
            if pair[0] != extra[0] {
                args.extend_from_slice(pair);
            }
        }
        args.extend_from_slice(extra);
        let out = phaseflow(&args, None);
        common::assert_bad_input(&args, &out, name);
    }
}

/// A knob of another engine would be ignored: it is rejected, naming the flag.
#[test]
fn a_knob_of_another_engine_or_out_of_its_range_is_rejected() {
    for (args, name) in [
        (
            vec!["train", "--engine", "averaged", "--epochs", "5"],
            "epochs:",
        ),
        (vec!["train", "--tol-grad", "1e-6"], "tol-grad:"),
        (vec!["train", "--max-newton", "3"], "max-newton:"),
        (vec!["train", "--noise", "fixed"], "noise:"),
        (
            vec!["train", "--engine", "averaged", "--tol-step", "-1"],
            "tol-step:",
        ),
    ] {
        common::assert_bad_input(&args, &phaseflow(&args, None), name);
    }
}

/// Every subcommand that shares a flag shows the same default for it.
#[test]
fn shared_flags_have_one_default() {
    let help = |sub: &str| {
        let out = phaseflow(&[sub, "--help"], None);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let default_of = |text: &str, flag: &str| -> Option<String> {
        let i = text.find(&format!("      --{flag} <"))?;
        let rest = &text[i..];
        let j = rest.find("[default: ")?;
        let end = rest[j..].find(']')?;
        // The default of this flag, not of a later one.
        let next = rest[2..].find("\n      --").map_or(usize::MAX, |k| k + 2);
        (j < next).then(|| rest[j + 10..j + end].to_string())
    };
    let subs = ["train", "theory", "detect", "run"];
    let texts: Vec<String> = subs.iter().map(|s| help(s)).collect();
    for flag in [
        "p", "sigma2", "d", "n", "kappa", "lambda-u", "lambda-w", "engine", "epochs", "lr",
        "noise", "seed", "share", "margin",
    ] {
        let defaults: Vec<Option<String>> = texts.iter().map(|t| default_of(t, flag)).collect();
        assert!(defaults[0].is_some(), "train --help lacks --{flag}");
        assert!(
            defaults.iter().all(|d| d == &defaults[0]),
            "--{flag}: defaults differ across {subs:?}: {defaults:?}"
        );
    }
    // The two defaults `detect` changes are said so in its help.
    assert!(texts[2].contains("detect: default linear"), "{}", texts[2]);
    assert!(texts[2].contains("detect: default 2000"), "{}", texts[2]);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = phaseflow(&["train", "--bogus"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn diverging_training_names_step_and_epoch() {
    let out = phaseflow(
        &[
            "train", "--d", "20", "--n", "8", "--steps", "3", "--epochs", "50", "--lr", "1e300",
        ],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr {err}");
    assert!(err.contains("time step") && err.contains("epoch"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("NaN"));
}

#[test]
fn help_lists_subcommands() {
    let out = phaseflow(&["--help"], None);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(s.contains("train"), "{s}");
}

/// Invalid path/warp combinations (issue 12) exit 2 naming the field: κ ≥ √d on either
/// dilated warp and either path, an unknown path, and in an experiment file a warp that stops
/// short of τ = 1 on the ve path (whose residual noise would grow with d) or a non-monotone
/// one.
#[test]
fn invalid_path_and_warp_combinations_exit_2_naming_the_field() {
    let base = ["--d", "40", "--steps", "4", "--no-finite-n"];
    for extra in [
        ["--path", "ve", "--schedule", "dilated-end", "--kappa", "7"],
        ["--path", "vp", "--schedule", "dilated", "--kappa", "6.33"],
    ] {
        let args: Vec<&str> = ["theory"]
            .iter()
            .chain(&base)
            .chain(&extra)
            .copied()
            .collect();
        common::assert_bad_input(&args, &phaseflow(&args, None), "kappa:");
    }
    let args = ["train", "--path", "vx"];
    let out = phaseflow(&args, None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--path"));
    let dir = common::tmpdir("bad-path-warp");
    let experiment = |path: &str, knots: serde_json::Value| {
        serde_json::json!({
            "name": "bad",
            "train": {
                "problem": {
                    "path": {"kind": path},
                    "schedule": {"kind": "piecewise", "knots": knots},
                    "p": 0.8, "sigma2": 1.0, "d": 100, "mean": "ones", "steps": 4, "n": 16,
                    "lambda_u": 0.01, "lambda_w": 0.01
                },
                "engine": {"kind": "averaged", "noise": "fresh", "tol_grad": 1e-7, "max_iters": 2000},
                "seed": 0, "n_gen": 64, "integrator": "euler", "endpoint": "end", "sampler": null
            },
            "replicas": 2, "alpha": 0.01, "families": ["p_hat"]
        })
    };
    for (name, e) in [
        (
            "ve_ends_early",
            experiment("ve", serde_json::json!([[0, 0], [1, 0.5], [2, 0.9]])),
        ),
        (
            "non_monotone",
            experiment(
                "vp",
                serde_json::json!([[0, 0], [1, 0.6], [2, 0.4], [3, 1]]),
            ),
        ),
    ] {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, e.to_string()).unwrap();
        let f = file.to_str().unwrap();
        let args = ["run", f, "--quiet"];
        common::assert_bad_input(&args, &phaseflow(&args, None), "knots:");
    }
    // The same early-ending warp is valid on the linear path (residual noise 1 − τ = 0.1).
    let ok = dir.join("linear_ends_early.json");
    let e = experiment("linear", serde_json::json!([[0, 0], [1, 0.5], [2, 0.9]]));
    std::fs::write(&ok, e.to_string()).unwrap();
    let out = phaseflow(&["run", ok.to_str().unwrap(), "--quiet", "--json"], None);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
