//! A small U-turn run: the curve falls from its t = 0 level to near 0 and a window is
//! found; the mismatched-partner control stays flat and has no window. Same seed, same
//! numbers.

use phaseflow::digits::classifier::{DigitClass, fit_zero_one};
use phaseflow::digits::data::{Digits, Unbalanced, default_path};
use phaseflow::digits::train::{DigitsTrainConfig, TimeSampler, train};
use phaseflow::digits::uturn::{UTurnConfig, UTurnCurve, curve, detect};

fn small_curve(control: bool) -> UTurnCurve {
    let d = Digits::load(&default_path()).unwrap();
    let u = Unbalanced::build(&d, 0.8, 1).unwrap();
    let clf = DigitClass::new(fit_zero_one(&d, 1, false).classifier, &u);
    let mut cfg = DigitsTrainConfig::new(TimeSampler::Uniform, 60, 11, 0);
    cfg.hidden = 64;
    let net = train(&u, &cfg, |_, _, _| {}).unwrap();
    let ucfg = UTurnConfig {
        grid: UTurnConfig::uniform_grid(10),
        pairs: 222,
        steps: 20,
        seed: 11,
        control,
    };
    curve(&net, &u, &clf, &ucfg)
}

#[test]
fn uturn_falls_and_window_found_control_flat() {
    let c = small_curve(false);
    // Declared: U(0) ≥ 0.15 (2q(1 − q) = 0.32 at q = 0.8) and U(0.9) ≤ 0.02.
    assert!(c.value[0] >= 0.15, "U(0) = {} ({:?})", c.value[0], c.value);
    assert!(
        c.value[9] <= 0.02,
        "U(0.9) = {} ({:?})",
        c.value[9],
        c.value
    );
    let w = detect(&c, 11).unwrap_or_else(|| panic!("no window in {:?}", c.value));
    assert!(w.t10 < w.t90 && w.t90 < 0.9, "{w:?}");
    let ctl = small_curve(true);
    assert!(
        detect(&ctl, 11).is_none(),
        "control found a window: {:?}",
        ctl.value
    );
    assert!(ctl.value[9] > 0.15, "control fell: {:?}", ctl.value);
    assert_eq!(c, small_curve(false), "same seed must give the same curve");
}

/// Issue 23: the U-turn checks of `digits uturn` and `compare-epochs` are the shared
/// `harness::check` checks (two-tier Holm at α = 0.05): on the small curve the start, end and
/// window checks pass, and both mismatched-partner controls fail as they must.
#[test]
fn uturn_checks_go_through_the_shared_evaluation() {
    use phaseflow::digits::compare::{UTurnReport, evaluated, uturn_inputs};
    let (curve, control) = (small_curve(false), small_curve(true));
    let r = UTurnReport {
        reference_epochs: 60,
        window: detect(&curve, 11),
        control_window: detect(&control, 11),
        curve,
        control,
    };
    let inputs = uturn_inputs(&r);
    let (checks, findings) = evaluated(&inputs).unwrap();
    assert!(findings.is_empty());
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "uturn.start",
            "uturn.end",
            "uturn.end.control",
            "uturn.window",
            "uturn.window.control"
        ]
    );
    for c in &checks {
        assert!(c.as_expected(), "{c:?}");
        assert_eq!(c.family, "digits.setup");
    }
    let s = phaseflow::harness::Summary::of(&checks);
    assert!(s.ok && s.checks == 3 && s.negative_controls == 2, "{s:?}");
    // The statistical checks carry a Holm level; the window checks are exact (no level).
    assert!(checks[0].level.is_some() && checks[3].level.is_none());
}
