//! `phaseflow detect` and `phaseflow train --schedule auto` as a user sees them.

mod common;

use common::tol::CENTRE_SQRT_D;
use common::{json, phaseflow_threads as phaseflow};

#[test]
fn detect_json_follows_the_schema_and_writes_plots() {
    let dir = common::tmpdir("detect-cli");
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
    assert_eq!(v["schema_version"], 3);
    assert_eq!(v["config"]["profile"], "mse");
    assert_eq!(
        v["config"]["train"]["problem"]["schedule"]["kind"],
        "linear"
    );
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
    assert!(
        (CENTRE_SQRT_D.0..CENTRE_SQRT_D.1).contains(&c),
        "centre·√d = {c}"
    );
    let knots = v["schedule"]["knots"].as_array().unwrap();
    assert_eq!(knots[0][0], 0.0);
    assert_eq!(knots.last().unwrap()[1], 1.0);
    // The same schedule as a density of τ (issue 25): one piece per knot interval, masses
    // summing to 1, the padded window's piece carrying the share, density = mass/width.
    // SPEC §10's closed forms for this problem (p = 0.8): the MSE excess's a²₅₀ and the
    // d → ∞ τ₅₀ ratio, to SPEC's printed digits (1.030, 1.32).
    let ch = &v["channel"];
    assert!((ch["a2_mse_excess"][1].as_f64().unwrap() - 1.030).abs() < 0.0005);
    assert!((ch["tau50_ratio_limit"].as_f64().unwrap() - 1.32).abs() < 0.005);
    assert!(ch["t50_ode_uturn"].as_f64().unwrap() < ch["t50_mse_excess"].as_f64().unwrap());
    let seg = v["density"]["segments"].as_array().unwrap();
    assert_eq!(seg.len(), knots.len() - 1);
    let f = |x: &serde_json::Value, k: &str| x[k].as_f64().unwrap();
    let total: f64 = seg.iter().map(|g| f(g, "mass")).sum();
    assert!((total - 1.0).abs() < common::tol::ROUNDOFF, "{total}");
    let tw = &v["schedule"]["tau_window"];
    let win = seg
        .iter()
        .find(|g| f(g, "tau_lo") == tw[0].as_f64().unwrap())
        .expect("a piece starts at the window");
    assert!((f(win, "mass") - v["schedule"]["share"].as_f64().unwrap()).abs() < 1e-12);
    for g in seg {
        let w = f(g, "tau_hi") - f(g, "tau_lo");
        assert!((f(g, "density") * w - f(g, "mass")).abs() < 1e-12);
    }
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
        "trained",
        "--engine",
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
    assert!(v["config"]["train"]["problem"]["n"] == 64);
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
        common::assert_bad_input(&args, &phaseflow(&args, None), flag);
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
    assert_eq!(v["config"]["problem"]["schedule"]["kind"], "piecewise");
    let knots = v["config"]["problem"]["schedule"]["knots"]
        .as_array()
        .unwrap();
    assert!(knots.len() >= 2, "{knots:?}");
    // Half of the grid in the detected window: the knot at t = 0.5 is at τ = O(1/√d).
    let mid = knots
        .iter()
        .find(|k| (k[0].as_f64().unwrap() - 0.5).abs() < 1e-12)
        .unwrap();
    let tau = mid[1].as_f64().unwrap() * 2000f64.sqrt();
    assert!((1.0..6.0).contains(&tau), "window end τ·√d = {tau}");
}
