//! What C8 and C9 share: the noise schedules of arXiv 2501.00988 (SPEC §2) on the vp and
//! ve paths, their exact Euler statistics with the Bayes denoiser (SPEC §5.4), and samples
//! generated through the same flow.
//!
//! The setting is the follow-up paper's notebook: p = 0.8, σ² = 0.25 (σ = 0.5), K = 50
//! Euler steps, the authors' k = 5 (vp) and k = 3 (ve).

use crate::error::Error;
use crate::flow::{Endpoint, Flow, GeneratedStats, Generation, Integrator, generate_in_span};
use crate::mixture::Mixture;
use crate::path::PathSpec;
use crate::schedule::{Schedule, ScheduleSpec};
use crate::stats::{Estimate, binomial_se, t_quantile};
use crate::theory::bayes::bayes_denoiser;
use crate::theory::euler::{EulerPrediction, euler_bayes_to, euler_log_odds};

/// Mode weight of the notebook.
pub(crate) const P: f64 = 0.8;
/// Within-mode variance of the notebook (σ = 0.5).
pub(crate) const SIGMA2: f64 = 0.25;
/// Euler steps of the notebook.
pub(crate) const K: usize = 50;
/// The authors' k for the vp schedule: half the grid on τ ≤ k/√d.
pub(crate) const K_VP: f64 = 5.0;
/// The authors' k for the ve schedule: half the grid brings the noise from √d down to k.
pub(crate) const K_VE: f64 = 3.0;

/// One schedule of the comparison and which features the paper says it keeps.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// Short label for check names and legends.
    pub label: &'static str,
    /// The path.
    pub path: PathSpec,
    /// The warp.
    pub warp: ScheduleSpec,
    /// The paper's claim: p̂ stays at p as d grows.
    pub keeps_p: bool,
    /// The paper's claim: the within-mode variance stays at σ² as d grows.
    pub keeps_var: bool,
}

impl Case {
    /// The schedule at dimension `d`.
    pub fn schedule(&self, d: usize) -> Result<Box<dyn Schedule>, Error> {
        Ok(self.warp.build_on(&self.path, d)?)
    }

    /// Exact Euler p̂ and var⊥ of the Bayes denoiser on the K-point grid (SPEC §5.4), with
    /// the model's (p, σ²).
    pub fn exact(&self, (p, s2): (f64, f64), d: usize, k: usize) -> Result<EulerPrediction, Error> {
        let s = self.schedule(d)?;
        euler_bayes_to(s.as_ref(), &s.grid(k), (p, s2, d), Endpoint::End)
            .filter(|e| e.var_perp.is_some())
            .ok_or(Error::NoPrediction {
                what: "exact Euler p̂ and var⊥ (an Euler map folds, or d = 1)",
                d,
            })
    }

    /// The exact Euler log-odds ln(p̂/(1 − p̂)) (finite where p̂ rounds to 1).
    pub fn log_odds(&self, d: usize, k: usize) -> Result<f64, Error> {
        let s = self.schedule(d)?;
        euler_log_odds(s.as_ref(), &s.grid(k), (P, SIGMA2, d), Endpoint::End).ok_or(
            Error::NoPrediction {
                what: "exact Euler log-odds (an Euler map folds)",
                d,
            },
        )
    }

    /// `n_gen` samples of explicit Euler with the Bayes denoiser (the in-span sampler, cost
    /// independent of d per sample), from stream (seed, `replica`, Generate, ·).
    pub fn generate(
        &self,
        d: usize,
        n_gen: usize,
        seed: u64,
        replica: u64,
    ) -> Result<GeneratedStats, Error> {
        let s = self.schedule(d)?;
        let grid = s.grid(K);
        let mix = Mixture::ones(P, SIGMA2, d)?;
        let den = bayes_denoiser(s.as_ref(), &grid, P, SIGMA2, mix.mu());
        let flow = Flow::new(s.as_ref(), &den, Integrator::Euler);
        Ok(generate_in_span(
            &flow,
            mix.mu(),
            Generation {
                n_gen,
                seed,
                replica,
            },
        ))
    }
}

/// The constant-speed paths and the paper's schedules, then the same warps on the wrong
/// end (the negative controls: a dilation on the end of τ the path does not need).
pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case {
            label: "vp∘linear",
            path: PathSpec::vp(),
            warp: ScheduleSpec::linear(),
            keeps_p: false,
            keeps_var: true,
        },
        Case {
            label: "ve∘linear",
            path: PathSpec::ve(),
            warp: ScheduleSpec::linear(),
            keeps_p: true,
            keeps_var: false,
        },
        Case {
            label: "vp∘dilated k=5",
            path: PathSpec::vp(),
            warp: ScheduleSpec::dilated(K_VP),
            keeps_p: true,
            keeps_var: true,
        },
        Case {
            label: "ve∘dilated_end k=3",
            path: PathSpec::ve(),
            warp: ScheduleSpec::dilated_end(K_VE),
            keeps_p: true,
            keeps_var: true,
        },
        Case {
            label: "vp∘dilated_end k=3",
            path: PathSpec::vp(),
            warp: ScheduleSpec::dilated_end(K_VE),
            keeps_p: false,
            keeps_var: true,
        },
        Case {
            label: "ve∘dilated k=5",
            path: PathSpec::ve(),
            warp: ScheduleSpec::dilated(K_VP),
            keeps_p: true,
            keeps_var: false,
        },
    ]
}

/// The generated p̂ as an estimate whose standard error is the binomial one under the law
/// it is compared with, √(p₀(1 − p₀)/n) at the exact Euler p̂ = p₀ (the sample fraction
/// itself can be exactly 1 at large d, where its own plug-in SE is 0).
pub(crate) fn p_hat_estimate(g: &GeneratedStats, p0: f64, level: f64) -> Estimate {
    let se = binomial_se(p0, g.n_gen as f64).max(binomial_se(g.p_hat, g.n_gen as f64));
    around(g.p_hat, se, g.n_gen, level)
}

/// The generated var⊥ as an estimate: a pooled variance over (n − 2)(d − 1) Gaussian
/// coordinates has SE = var·√(2/dof).
pub(crate) fn var_estimate(g: &GeneratedStats, d: usize, level: f64) -> Option<Estimate> {
    let v = g.var_perp?;
    let dof = (g.n_gen.saturating_sub(2) * (d - 1)) as f64;
    Some(around(v, v * (2.0 / dof).sqrt(), g.n_gen, level))
}

fn around(point: f64, se: f64, n: usize, level: f64) -> Estimate {
    let half = t_quantile(level, n - 1) * se;
    Estimate {
        point,
        se,
        ci: [point - half, point + half],
        level,
        n,
    }
}
