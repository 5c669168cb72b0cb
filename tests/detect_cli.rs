//! `phaseflow detect` and `phaseflow train --schedule auto` as a user sees them.

use std::process::{Command, Output};

fn phaseflow(args: &[&str], threads: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phaseflow"));
    cmd.args(args);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.output().expect("run phaseflow")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn detect_json_follows_the_schema_and_writes_plots() {
    let dir = std::env::temp_dir().join(format!("phaseflow-detect-cli-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let v = json(&phaseflow(
        &[
            "detect",
            "--profile",
            "mse",
            "--d",
            "8000",
            "--json",
            "--out",
            d,
        ],
        None,
    ));
    assert_eq!(v["config"]["profile"], "mse");
    let prof = v["profile"].as_array().unwrap();
    assert_eq!(prof.len(), 2000);
    for key in ["t", "value", "se"] {
        assert!(prof[0][key].is_number(), "profile point lacks {key}");
    }
    for key in [
        "centre",
        "width",
        "jump",
        "centre_se",
        "width_se",
        "jump_se",
        "resolution",
    ] {
        assert!(v["window"][key].is_number(), "window lacks {key}");
    }
    // SPEC §5.5: centre ≈ 1/√d on the linear schedule; the jump ≈ 4p(1 − p) = 0.64.
    let c = v["window"]["centre"].as_f64().unwrap() * 8000f64.sqrt();
    assert!((0.8..1.2).contains(&c), "centre·√d = {c}");
    let knots = v["schedule"]["knots"].as_array().unwrap();
    assert_eq!(knots[0][0], 0.0);
    assert_eq!(knots.last().unwrap()[1], 1.0);
    for ext in ["svg", "png", "json"] {
        assert!(
            dir.join(format!("detect_mse.{ext}")).exists(),
            "missing detect_mse.{ext}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trained_uturn_is_identical_across_thread_counts() {
    let args = [
        "detect",
        "--profile",
        "uturn",
        "--denoiser",
        "averaged",
        "--schedule",
        "dilated",
        "--d",
        "100",
        "--n",
        "64",
        "--steps",
        "20",
        "--samples",
        "300",
        "--bootstrap",
        "50",
        "--json",
    ];
    let one = phaseflow(&args, Some("1"));
    let two = phaseflow(&args, Some("2"));
    let v = json(&one);
    assert_eq!(one.stdout, two.stdout, "RAYON_NUM_THREADS=1 vs 2 differ");
    assert!(
        v["window"]["centre_se"].as_f64().unwrap() > 0.0,
        "a noisy profile has an SE"
    );
    assert!(v["config"]["train"]["n"] == 64);
}

#[test]
fn bad_input_exits_2_naming_the_flag() {
    for (args, flag) in [
        (vec!["detect", "--p", "1.5"], "p:"),
        (vec!["detect", "--sigma2", "0"], "sigma2:"),
        (vec!["detect", "--d", "0"], "d:"),
        (vec!["detect", "--share", "1"], "share:"),
        (vec!["detect", "--fraction", "2"], "fraction:"),
        (vec!["detect", "--margin", "-1"], "margin:"),
        (
            vec!["detect", "--schedule", "auto", "--share", "0"],
            "share:",
        ),
        (
            vec!["train", "--schedule", "auto", "--auto-share", "0"],
            "share:",
        ),
        (vec!["train", "--schedule", "auto", "--p", "0"], "p:"),
    ] {
        let out = phaseflow(&args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.lines().count(),
            1,
            "{args:?}: one line expected, got {err}"
        );
        assert!(
            err.starts_with(&format!("error: {flag}")),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn train_auto_records_its_knots() {
    let v = json(&phaseflow(
        &[
            "train",
            "--schedule",
            "auto",
            "--d",
            "2000",
            "--n",
            "32",
            "--steps",
            "20",
            "--engine",
            "averaged",
            "--gen",
            "256",
            "--json",
        ],
        None,
    ));
    assert_eq!(v["config"]["schedule"]["kind"], "piecewise");
    let knots = v["config"]["schedule"]["knots"].as_array().unwrap();
    assert!(knots.len() >= 2, "{knots:?}");
    // Half of the grid in the detected window: the knot at t = 0.5 is at τ = O(1/√d).
    let mid = knots
        .iter()
        .find(|k| (k[0].as_f64().unwrap() - 0.5).abs() < 1e-12)
        .unwrap();
    let tau = mid[1].as_f64().unwrap() * 2000f64.sqrt();
    assert!((1.0..6.0).contains(&tau), "window end τ·√d = {tau}");
}
