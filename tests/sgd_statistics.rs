//! A small statistical test of the reference sgd engine (issue 2): at d = 500, n = 256,
//! K = 20 on the dilated schedule, the trained phase-2 c_k follow SPEC §5.1 and the
//! generated p̂ follows p; each check has a negative control that must fail. Both row
//! precisions of the engine (f64, the default, and f32) are held to the same tolerances.

mod common;

use common::tol::{ADAM_FLOOR_LR, GENERATED_Z, SGD_C_FINITE_N};
use phaseflow::experiment::{TrainConfig, TrainOutput, Validated};
use phaseflow::path::PathSpec;
use phaseflow::problem::ProblemSpec;
use phaseflow::schedule::ScheduleSpec;
use phaseflow::theory::Theory;
use phaseflow::train::EngineConfig;
use phaseflow::train::sgd::{Precision, Sgd};

const D: usize = 500;
const N: usize = 256;
const K: usize = 20;
const LR: f64 = 0.01;

fn config(p: f64, sigma2: f64, precision: Precision) -> TrainConfig {
    TrainConfig {
        problem: ProblemSpec {
            schedule: ScheduleSpec::dilated(2.0),
            p,
            sigma2,
            d: D,
            n: N,
            steps: K,
            lambda_u: 0.01,
            lambda_w: 0.01,
            ..ProblemSpec::default()
        },
        engine: EngineConfig::Sgd(Sgd {
            epochs: 1000,
            lr: LR,
            precision,
        }),
        seed: 11,
        n_gen: 8192,
        ..TrainConfig::default()
    }
}

/// SPEC §5.1: the Bayes-optimal c at time t (from the theory module).
fn bayes_c(v: &Validated, t: f64, sigma2: f64) -> f64 {
    Theory::new(
        &v.config.problem.path,
        &v.config.problem.schedule,
        v.config.problem.p,
        sigma2,
        D,
    )
    .unwrap()
    .bayes(t)
    .c
    .unwrap()
}

/// Train replica 0 with the sgd engine in `precision`.
fn trained(precision: Precision) -> (Validated, TrainOutput) {
    let v = config(0.8, 1.0, precision).validate().unwrap();
    let out = v.run(0).unwrap();
    (v, out)
}

/// Tolerance on c, declared from its sources (`common::tol`): Adam's noise floor 2·lr and the
/// finite-n bias of SPEC §5.3 at n = 256, λ_u = 0.01.
const C_TOL: f64 = ADAM_FLOOR_LR * LR + SGD_C_FINITE_N;

fn max_c_error(out: &TrainOutput, v: &Validated, sigma2: f64) -> f64 {
    out.steps
        .iter()
        .filter(|s| s.t >= 1.0)
        .map(|s| (s.overlaps.c - bayes_c(v, s.t, sigma2)).abs())
        .fold(0.0, f64::max)
}

/// Check on p̂: the prediction is the exact p̂ of the Bayes denoiser under the same Euler
/// grid (SPEC §5.4, `Theory::euler`), so discretisation is not counted as learning error.
/// The learned p̂ estimates the training set's own + fraction, itself Binomial(n, p)/n, so
/// the combined standard error is √(se_gen² + p(1−p)/n); z = `GENERATED_Z`.
fn p_hat_check(out: &TrainOutput, p: f64) -> (f64, f64, f64) {
    let pred = Theory::new(&PathSpec::linear(), &ScheduleSpec::dilated(2.0), p, 1.0, D)
        .unwrap()
        .euler(K)
        .unwrap()
        .p_hat;
    let se = (out.generated.p_hat_se.powi(2) + p * (1.0 - p) / N as f64).sqrt();
    (out.generated.p_hat, pred, GENERATED_Z * se)
}

#[test]
fn sgd_phase2_c_and_p_hat_against_theory() {
    check(Precision::F64);
}

#[test]
fn sgd_f32_phase2_c_and_p_hat_against_theory() {
    check(Precision::F32);
}

fn check(precision: Precision) {
    let (v, out) = trained(precision);
    let err = max_c_error(&out, &v, 1.0);
    assert!(
        err <= C_TOL,
        "phase-2 c: max |c − c_bayes| = {err:.4} > tol {C_TOL} (d={D} n={N} K={K} seed=11)"
    );
    // Negative control: the same model against σ² scaled by 1.3 must fail.
    let wrong = max_c_error(&out, &v, 1.3);
    assert!(
        wrong > C_TOL,
        "negative control (σ²×1.3) passed: {wrong:.4} ≤ {C_TOL}"
    );

    let (p_hat, pred, tol) = p_hat_check(&out, 0.8);
    assert!(
        (p_hat - pred).abs() <= tol,
        "p̂ = {p_hat:.4} vs Euler-Bayes prediction {pred:.4}, tol {tol:.4} (3 SE)"
    );
    // Negative control: a wrong p (0.65) must fail.
    let (_, pred_wrong, tol_w) = p_hat_check(&out, 0.65);
    assert!(
        (p_hat - pred_wrong).abs() > tol_w,
        "negative control (p = 0.65) passed: p̂ {p_hat:.4} vs {pred_wrong:.4}, tol {tol_w:.4}"
    );
    eprintln!(
        "{precision:?}: c: max err {err:.4} (tol {C_TOL}), wrong-σ² {wrong:.4}; p̂ {p_hat:.4} vs {pred:.4} ± {tol:.4}"
    );
}
