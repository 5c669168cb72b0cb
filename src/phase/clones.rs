//! SPEC §10 measured by Monte Carlo: at given times, a denoiser's per-dimension MSE excess
//! and the reverse-SDE U-turn as the disagreement of two clones branched at t.
//!
//! N samples (s, x1 = sμ + σξ, x0) are drawn once and shared by every time. At a time with
//! weights (α, β), v = α² + β²σ²:
//!
//! * **excess** e = |f(x_t) − x1|²/d − σ²α²/v, x_t = αx0 + βx1: the squared error of the
//!   denoiser in d dimensions minus the Bayes within-mode term;
//! * **clones**: the continuous-time reverse SDE started at x_t ends at a draw of the
//!   posterior p(x1 | x_t) (the Gaussian channel Y = snr·x1 + W_snr is Markov in snr and the
//!   reverse SDE is its continuation to snr → ∞), whose mode is + with probability
//!   π₊ = (1 + φ)/2, φ = tanh(w·x_t/√d + b) the denoiser's own. Two clones draw independent
//!   modes s′₁, s′₂ from it: D = 1[s′₁ ≠ s′₂]. The rest of each clone (within the mode and
//!   orthogonal to μ) does not change its mode, so it is not simulated: the clones are exact
//!   draws of the SDE's end point, not an Euler–Maruyama integration. U = 1[s′₁ ≠ s] is the
//!   U-turn against the datum's own mode (the same expectation, 2E[π₊π₋], for the Bayes
//!   denoiser);
//! * **ODE U-turn** O = 1[(ĥ > q) ≠ (s = +)], ĥ = x_t·μ/√(d·v), with the threshold q of the
//!   exact probability flow ([`crate::theory::channel::ode_threshold`]);
//! * the paired differences e − 2(α²/v)²·D (SPEC §10's pointwise identity, 0 in expectation
//!   for the Bayes denoiser) and e − 2(α²/v)²·O (the same with the ODE U-turn: not 0).
//!
//! Streams: (seed, 0, [`Purpose::Clones`], chunk) for ξ and x0, (seed, 1, Clones, chunk) for
//! the uniforms of s and the clone modes; chunks of [`CHUNK`] samples run in parallel and are
//! summed in sample order, so results do not depend on the thread count.

use crate::denoiser::StepParams;
use crate::mixture::Mixture;
use crate::rng::normal::Normals;
use crate::rng::{Purpose, stream};
use crate::stats::Estimate;
use crate::theory::channel::{class_snr, excess_weight, ode_threshold};
use rand::Rng;
use rayon::prelude::*;

/// Samples per parallel chunk (one pair of streams each).
pub const CHUNK: usize = 256;

/// One time of the measurement: the interpolation weights and the denoiser used there.
#[derive(Debug, Clone)]
pub struct CloneTime {
    /// α(t).
    pub alpha: f64,
    /// β(t).
    pub beta: f64,
    /// The denoiser at t.
    pub step: StepParams,
}

/// The Monte-Carlo estimates at one time (means over the N samples, SE from their spread,
/// N − 1 degrees of freedom; two-sided intervals at `level`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CloneEstimates {
    /// Per-dimension MSE excess e.
    pub excess: Estimate,
    /// Two clones' disagreement D (P_SDE).
    pub clones: Estimate,
    /// The SDE U-turn against the datum's mode U (P_SDE).
    pub uturn: Estimate,
    /// The ODE U-turn O (P_ODE).
    pub ode: Estimate,
    /// e − 2(α²/v)²·D.
    pub identity: Estimate,
    /// e − 2(α²/v)²·O.
    pub identity_ode: Estimate,
    /// The weight α²/v.
    pub weight: f64,
    /// The class snr a² = β²d/v.
    pub a2: f64,
}

/// Measure every time of `times` on `samples` draws of `mixture` (module doc).
pub fn measure_clones(
    mixture: &Mixture,
    times: &[CloneTime],
    samples: usize,
    seed: u64,
    level: f64,
) -> Vec<CloneEstimates> {
    let (d, p, s2) = (mixture.d(), mixture.p(), mixture.sigma2());
    let df = d as f64;
    let mu = mixture.mu();
    let sigma = s2.sqrt();
    let consts: Vec<(f64, f64, f64, f64)> = times
        .iter()
        .map(|c| {
            let v = c.alpha * c.alpha + c.beta * c.beta * s2;
            let a2 = class_snr(c.alpha, c.beta, s2, d);
            (
                v,
                excess_weight(c.alpha, c.beta, s2),
                a2,
                ode_threshold(a2, p),
            )
        })
        .collect();
    let chunks = samples.div_ceil(CHUNK);
    // Per chunk, per time, per sample: (e, D, U, O).
    let per_chunk: Vec<Vec<Vec<[f64; 4]>>> = (0..chunks)
        .into_par_iter()
        .map(|ch| {
            let n = CHUNK.min(samples - ch * CHUNK);
            let mut normals = Normals::<f64>::new(seed, 0, Purpose::Clones, ch as u64);
            let mut uni = stream(seed, 1, Purpose::Clones, ch as u64);
            let mut out = vec![Vec::with_capacity(n); times.len()];
            let (mut xi, mut x0) = (vec![0.0; d], vec![0.0; d]);
            let (mut x1, mut xt, mut f) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
            for _ in 0..n {
                let plus = uni.random::<f64>() < p;
                let s = if plus { 1.0 } else { -1.0 };
                normals.fill(&mut xi);
                normals.fill(&mut x0);
                for j in 0..d {
                    x1[j] = s * mu[j] + sigma * xi[j];
                }
                for (c, (o, &(v, _, _, q))) in times.iter().zip(out.iter_mut().zip(&consts)) {
                    for j in 0..d {
                        xt[j] = c.alpha * x0[j] + c.beta * x1[j];
                    }
                    c.step.eval(&xt, &mut f);
                    let se: f64 = f.iter().zip(&x1).map(|(a, b)| (a - b) * (a - b)).sum();
                    let e = se / df - s2 * c.alpha * c.alpha / v;
                    let pi_plus = 0.5 * (1.0 + c.step.phi(&xt));
                    let draw = |u: f64| u < pi_plus;
                    let (c1, c2) = (draw(uni.random::<f64>()), draw(uni.random::<f64>()));
                    let h: f64 =
                        xt.iter().zip(mu).map(|(a, b)| a * b).sum::<f64>() / (df * v).sqrt();
                    let ode_plus = h > q;
                    o.push([
                        e,
                        f64::from(u8::from(c1 != c2)),
                        f64::from(u8::from(c1 != plus)),
                        f64::from(u8::from(ode_plus != plus)),
                    ]);
                }
            }
            out
        })
        .collect();
    consts
        .iter()
        .enumerate()
        .map(|(ti, &(_, m, a2, _))| {
            let col = |f: &dyn Fn(&[f64; 4]) -> f64| -> Vec<f64> {
                per_chunk.iter().flat_map(|c| c[ti].iter().map(f)).collect()
            };
            let w = 2.0 * m * m;
            let est = |v: Vec<f64>| Estimate::from_samples(&v, level);
            CloneEstimates {
                excess: est(col(&|r| r[0])),
                clones: est(col(&|r| r[1])),
                uturn: est(col(&|r| r[2])),
                ode: est(col(&|r| r[3])),
                identity: est(col(&|r| r[0] - w * r[1])),
                identity_ode: est(col(&|r| r[0] - w * r[3])),
                weight: m,
                a2,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::bayes::bayes_step_params;
    use crate::theory::channel::{mse_excess, p_ode, p_sde};

    #[test]
    fn clone_estimates_match_the_closed_forms_and_do_not_depend_on_threads() {
        // d = 50, N = 4096: each estimate within 4.5 SE of its closed form (a 4.5σ bound on
        // 6 × 2 two-sided checks: false alarm < 1e-4).
        let (p, s2, d) = (0.8, 1.0, 50);
        let mix = Mixture::ones(p, s2, d).unwrap();
        let times: Vec<CloneTime> = [0.03, 0.15]
            .iter()
            .map(|&t: &f64| CloneTime {
                alpha: 1.0 - t,
                beta: t,
                step: bayes_step_params(1.0 - t, t, p, s2, mix.mu()),
            })
            .collect();
        let r = measure_clones(&mix, &times, 4096, 3, 0.99);
        for (c, e) in times.iter().zip(&r) {
            let ex = mse_excess(c.alpha, c.beta, p, s2, d);
            let m = e.weight;
            let z = |est: &Estimate, want: f64| (est.point - want).abs() / est.se;
            assert!(z(&e.excess, ex) < 4.5, "{e:?} {ex}");
            assert!(z(&e.clones, p_sde(e.a2, p)) < 4.5, "{e:?}");
            assert!(z(&e.uturn, p_sde(e.a2, p)) < 4.5, "{e:?}");
            assert!(z(&e.ode, p_ode(e.a2, p)) < 4.5, "{e:?}");
            assert!(z(&e.identity, 0.0) < 4.5, "{e:?}");
            let gap = ex - 2.0 * m * m * p_ode(e.a2, p);
            assert!(z(&e.identity_ode, gap) < 4.5, "{e:?}");
        }
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| measure_clones(&mix, &times, 4096, 3, 0.99));
        assert_eq!(one, r);
    }
}
