//! A small statistical test of the reference sgd engine (issue 2): at d = 500, n = 256,
//! K = 20 on the dilated schedule, the trained phase-2 c_k follow SPEC §5.1 and the
//! generated p̂ follows p; each check has a negative control that must fail. Both row
//! precisions of the engine (f64, the default, and f32) are held to the same tolerances.

use phaseflow::experiment::{TrainConfig, TrainOutput, Validated};
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::ScheduleSpec;
use phaseflow::theory::Theory;
use phaseflow::train::sgd::{Precision, Sgd};
use phaseflow::train::{Engine, Problem};

const D: usize = 500;
const N: usize = 256;
const K: usize = 20;
const LR: f64 = 0.01;

fn config(p: f64, sigma2: f64) -> TrainConfig {
    TrainConfig {
        schedule: ScheduleSpec::Dilated { kappa: 2.0 },
        p,
        sigma2,
        d: D,
        n: N,
        steps: K,
        epochs: 1000,
        lr: LR,
        lambda_u: 0.01,
        lambda_w: 0.01,
        seed: 11,
        n_gen: 8192,
        ..TrainConfig::default()
    }
}

/// SPEC §5.1: the Bayes-optimal c at time t (from the theory module).
fn bayes_c(v: &Validated, t: f64, sigma2: f64) -> f64 {
    Theory::new(&v.config.schedule, v.config.p, sigma2, D)
        .unwrap()
        .bayes(t)
        .c
        .unwrap()
}

/// Train replica 0 as `Validated::run` does, with the sgd engine in `precision`.
fn trained(precision: Precision) -> (Validated, TrainOutput) {
    let v = config(0.8, 1.0).validate().unwrap();
    let c = &v.config;
    let data = v
        .mixture
        .sample(c.n, &mut stream(c.seed, 0, Purpose::Data, 0));
    let grid = v.schedule.grid(c.steps);
    let problem = Problem {
        schedule: v.schedule.as_ref(),
        grid: &grid,
        data: &data,
        lambda_u: c.lambda_u,
        lambda_w: c.lambda_w,
        seed: c.seed,
        replica: 0,
    };
    let sgd = Sgd {
        epochs: c.epochs,
        lr: c.lr,
        precision,
    };
    let trained = sgd.train(&problem).unwrap();
    let out = v.summarise(&trained, data.plus_fraction(), 0);
    (v, out)
}

/// Tolerance on c, declared from its sources:
/// * Adam's noise floor: with fresh noise each epoch the iterate keeps moving by up to `lr`
///   per epoch; allow 2·lr = 0.02;
/// * finite n (SPEC §5.3, fresh noise): |c_n − c_∞| ≤ 0.005 at n = 256, λ_u = 0.01.
const C_TOL: f64 = 2.0 * LR + 0.005;

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
/// the combined standard error is √(se_gen² + p(1−p)/n); z = 3.
fn p_hat_check(out: &TrainOutput, p: f64) -> (f64, f64, f64) {
    let pred = Theory::new(&ScheduleSpec::Dilated { kappa: 2.0 }, p, 1.0, D)
        .unwrap()
        .euler(K)
        .unwrap()
        .p_hat;
    let se = (out.generated.p_hat_se.powi(2) + p * (1.0 - p) / N as f64).sqrt();
    (out.generated.p_hat, pred, 3.0 * se)
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
