//! SPEC §5.1: the Bayes-optimal parameters minimise the noise-averaged population loss
//! L(θ) = (1/d)·E_{x1}E_{x0}|f_θ(αx0 + βx1) − x1|².
//!
//! The x0-average is exact (`theory::expected_sq_error`, SPEC §4); the x1-average is Monte
//! Carlo over N samples shared by every parameter set (common random numbers), so the
//! difference L(θ + δ) − L(θ) has a small standard error: its per-sample values are
//! differences on the same x1. Every single-parameter perturbation of the Bayes parameters
//! must raise L by more than z standard errors. Negative control: parameters built with a
//! wrong p must admit a perturbation that lowers L.

use phaseflow::denoiser::StepParams;
use phaseflow::mixture::Mixture;
use phaseflow::rng::{Purpose, stream};
use phaseflow::theory::bayes::bayes_step_params;
use phaseflow::theory::expected_sq_error;
use statrs::distribution::{ContinuousCDF, Normal};

const D: usize = 16;
const N: usize = 20_000;
const P: f64 = 0.7;
const SIGMA2: f64 = 0.6;
/// Linear schedule (α = 1 − t, β = t), times where the mode sign is still uncertain. At
/// d = 16, t = 0.6 the tanh is saturated (β√d·h/v ≈ ±15) and moving b by 0.3 or ω by 20 %
/// changes L by ≤ 2e-6, below what N = 20 000 samples resolve (measured: b −0.3 gave
/// ΔL = 1.2e-7 ± 5.0e-7, ω +20 % gave −1.7e-7 ± 2.6e-7): such times cannot test minimality
/// in those directions, so they are not used.
const TIMES: [f64; 3] = [0.05, 0.15, 0.3];

fn per_sample_loss(par: &StepParams, al: f64, be: f64, x1s: &[Vec<f64>]) -> Vec<f64> {
    x1s.iter()
        .map(|x1| expected_sq_error(par.c(), par.u(), par.w(), par.b(), al, be, x1) / D as f64)
        .collect()
}

/// The 12 perturbations: ± on c, b, m (u along μ), u ⊥ μ, ω (w along μ), w ⊥ μ.
/// With common random numbers the difference's SE grows like δ and its mean like δ², so the
/// amplitudes are chosen large enough for the quadratic rise to clear z SE: the first run
/// used 0.1 on u and saw m −0.1 at t = 0.05 rise by only 3.2 SE (1.53e-3 ± 4.8e-4), so u
/// moves by 0.2 (→ ~4× the rise, 2× the SE).
fn perturbations(base: &StepParams) -> Vec<(String, StepParams)> {
    let mu = vec![1.0; D];
    // A unit vector orthogonal to μ = 1: (e1 − e2)/√2, scaled to the overlap scale √d.
    let mut perp = vec![0.0; D];
    perp[0] = (D as f64 / 2.0).sqrt();
    perp[1] = -(D as f64 / 2.0).sqrt();
    let omega = base.w().iter().sum::<f64>() / D as f64;
    let dw = 0.2 * omega.max(0.5);
    let mut out = Vec::new();
    for sgn in [1.0, -1.0] {
        let mut p = base.clone();
        let sg = if sgn > 0.0 { '+' } else { '-' };
        p.set_c(base.c() + sgn * 0.1);
        out.push((format!("c {sg}0.1"), p));
        let mut p = base.clone();
        p.set_b(base.b() + sgn * 0.3);
        out.push((format!("b {sg}0.3"), p));
        for (name, dir, amount, on_u) in [
            ("m", &mu, 0.2, true),
            ("u⊥", &perp, 0.2, true),
            ("ω", &mu, dw, false),
            ("w⊥", &perp, dw, false),
        ] {
            let mut p = base.clone();
            let (u, w) = p.uw_mut();
            let target = if on_u { u } else { w };
            for (t, &v) in target.iter_mut().zip(dir.iter()) {
                *t += sgn * amount * v;
            }
            out.push((format!("{name} {sg}{amount:.3}"), p));
        }
    }
    out
}

/// Checks at every time; returns the perturbations that did NOT raise the loss by z SE.
fn non_increasing(p_used: f64, z: f64) -> Vec<String> {
    let mix = Mixture::ones(P, SIGMA2, D).unwrap();
    let data = mix.sample(N, &mut stream(31, 0, Purpose::Test, 0));
    let x1s: Vec<Vec<f64>> = (0..N).map(|i| data.row(i).to_vec()).collect();
    let mut bad = Vec::new();
    for &t in &TIMES {
        let (al, be) = (1.0 - t, t);
        let base = bayes_step_params(al, be, p_used, SIGMA2, mix.mu());
        let l0 = per_sample_loss(&base, al, be, &x1s);
        for (name, q) in perturbations(&base) {
            let l1 = per_sample_loss(&q, al, be, &x1s);
            let diff: Vec<f64> = l1.iter().zip(&l0).map(|(a, b)| a - b).collect();
            let n = diff.len() as f64;
            let mean = diff.iter().sum::<f64>() / n;
            let var = diff.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt();
            let line = format!("t={t} {name}: ΔL = {mean:.3e} ± {se:.1e} (need > {z:.2} SE)");
            if p_used == P {
                println!("{line}");
            }
            if mean <= z * se {
                bad.push(line);
            }
        }
    }
    bad
}

fn z() -> f64 {
    // 36 one-sided checks (3 times × 12 perturbations), family-wise α = 0.01, Bonferroni.
    Normal::new(0.0, 1.0)
        .unwrap()
        .inverse_cdf(1.0 - 0.01 / 36.0)
}

#[test]
fn bayes_parameters_minimise_population_loss() {
    let bad = non_increasing(P, z());
    assert!(
        bad.is_empty(),
        "perturbations that did not raise L:\n{bad:#?}"
    );
}

#[test]
fn wrong_p_parameters_are_not_a_minimum() {
    // Negative control: b built from p = 0.5 (b = 0) instead of 0.7; moving b towards
    // atanh(0.4) must lower L, so some check must fail.
    let bad = non_increasing(0.5, z());
    assert!(
        !bad.is_empty(),
        "every perturbation raised L around wrong-p parameters"
    );
}
