//! SPEC §10's κ scan (the seed's first next check), on exact Euler with the Bayes denoiser
//! (SPEC §5.4; p = 0.8, σ² = 1, the dilated schedule with K = 40 = 20 + 20 steps, d = 10³,
//! 10⁴, 10⁵, κ = 0.5, 1, 2, 4, 12).
//!
//! Measured (2026-12-07, `cargo test --release --test kappa_scan -- --nocapture`):
//!
//! | κ | p̂ at d = 10³ / 10⁴ / 10⁵ | SPEC | (p̂ − p)·K/κ |
//! |---|---|---|---|
//! | 0.5 | 0.8425 / 0.8914 / 0.9223 | 0.842 / 0.891 / 0.923 | 3.40 / 7.31 / 9.78 |
//! | 1 | 0.8142 / 0.8274 / 0.8368 | 0.815 / 0.827 / 0.838 | 0.567 / 1.095 / 1.472 |
//! | 2 | 0.8062 / 0.8069 / 0.8076 | 0.807 / 0.808 / 0.808 | 0.124 / 0.139 / 0.153 |
//! | 4 | 0.8116 / 0.8113 / 0.8112 | 0.812 / 0.811 / 0.812 | 0.116 / 0.113 / 0.112 |
//! | 12 | 0.8372 / 0.8361 / 0.8358 | 0.838 / 0.836 / 0.836 | 0.124 / 0.120 / 0.119 |
//!
//! **Finding**: 7 of SPEC's 15 values are off by more than half a unit of their last printed
//! digit (by up to 0.0012: κ = 1 at d = 10⁵, 0.8368 against 0.838); the variants tried
//! (stopping at the last grid point, K = 41 or 42) do not match better. The test of the table
//! to its printed digits is therefore `#[ignore]`d with this reason, and the pattern SPEC
//! states in words is what runs:
//!
//! * below the class window's 90 % point (κ = 0.5, 1) the bias grows with d: the log-log
//!   slope of |p̂ − p| in d is ≥ 0.1 (C4's and C9's "flat" bound, exceeded);
//! * for κ ≥ 2 it is flat (slope ≤ 0.1), and for κ ≥ 4 (p̂ − p)·K/κ is within 15 % of 0.115
//!   (our reading of SPEC's "≈ 0.115·κ/K": a definition, not a derived tolerance).

use phaseflow::schedule::ScheduleSpec;
use phaseflow::theory::euler::euler_bayes;

const P: f64 = 0.8;
const K: usize = 40;
const DS: [usize; 3] = [1000, 10_000, 100_000];
const SPEC: [(f64, [f64; 3]); 5] = [
    (0.5, [0.842, 0.891, 0.923]),
    (1.0, [0.815, 0.827, 0.838]),
    (2.0, [0.807, 0.808, 0.808]),
    (4.0, [0.812, 0.811, 0.812]),
    (12.0, [0.838, 0.836, 0.836]),
];
/// C4's and C9's "flat" bound on a log-log slope.
const FLAT: f64 = 0.1;

fn p_hat(kappa: f64, d: usize) -> f64 {
    let s = ScheduleSpec::dilated(kappa).build(d).unwrap();
    euler_bayes(s.as_ref(), &s.grid(K), P, 1.0, d)
        .expect("Euler maps increasing")
        .p_hat
}

fn slope(errs: &[f64]) -> f64 {
    let x: Vec<f64> = DS.iter().map(|&d| (d as f64).ln()).collect();
    let y: Vec<f64> = errs.iter().map(|e| e.ln()).collect();
    let (mx, my) = (x.iter().sum::<f64>() / 3.0, y.iter().sum::<f64>() / 3.0);
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

#[test]
fn kappa_scan_pattern_of_spec_10() {
    for (kappa, want) in SPEC {
        let got: Vec<f64> = DS.iter().map(|&d| p_hat(kappa, d)).collect();
        let err: Vec<f64> = got.iter().map(|g| (g - P).abs()).collect();
        let s = slope(&err);
        let per: Vec<f64> = got.iter().map(|g| (g - P) * K as f64 / kappa).collect();
        eprintln!(
            "κ = {kappa:>4}: p̂ {got:.4?} (SPEC {want:?}), slope in d {s:.3}, (p̂ − p)·K/κ {per:.4?}"
        );
        if kappa < 1.9 {
            assert!(s >= FLAT, "κ = {kappa}: bias should grow with d, slope {s}");
        } else {
            assert!(
                s <= FLAT,
                "κ = {kappa}: bias should be flat in d, slope {s}"
            );
        }
        if kappa >= 4.0 {
            for c in per {
                assert!((c / 0.115 - 1.0).abs() <= 0.15, "κ = {kappa}: {c}");
            }
        }
    }
}

#[test]
#[ignore = "finding: SPEC §10's κ table differs from exact Euler by up to 0.0012 (module doc)"]
fn kappa_table_to_spec_printed_digits() {
    let mut bad = Vec::new();
    for (kappa, want) in SPEC {
        for (&d, w) in DS.iter().zip(want) {
            let g = p_hat(kappa, d);
            if (g - w).abs() > 0.0005 {
                bad.push(format!("κ = {kappa}, d = {d}: {g:.5} vs SPEC {w}"));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}
