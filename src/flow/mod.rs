//! Sampling: integrate the probability-flow ODE of a denoiser (SPEC §3, §5.4).
//!
//! With the x1-prediction f_t, the velocity is
//! v(t, x) = (α̇/α)·x + (β̇ − α̇·β/α)·f_t(x).
//! Samples start from x(0) ~ N(0, α(0)²·I_d) (the path's noise scale: 1, or √d on the ve
//! path) and are integrated on the training grid to the [`Endpoint`]: T_end (ours, the
//! default) or the last grid point t_{K−1} (the authors' sampler, one step short).
//! The reference integrator is explicit Euler (step k uses f_k); [`Integrator::Heun`] is
//! the trapezoidal predictor–corrector using f_{k+1} for the corrector, and falls back to
//! Euler on the last step to T_end, whose end point has α = 0 (the velocity is singular
//! there).
//!
//! Statistics of generated samples (SPEC §5.4): p̂ = fraction with x·μ > 0 with its
//! binomial standard error, and the within-mode variance of the coordinates orthogonal to μ
//! ([`GeneratedStats`]). Two samplers produce them with the same law: [`generate_full`] on
//! ℝ^d (the reference) and [`generate_in_span`] in the span of the denoiser's vectors
//! (O(K·r) per sample instead of O(K·d)); [`Sampler`] names the choice.

mod full;
mod span;
mod stats;

pub use full::generate_full;
pub use span::generate_in_span;
pub use stats::{GEN_CHUNK, GeneratedStats, Generation};

use crate::denoiser::{Denoiser, StepParams};
use crate::schedule::Schedule;
use serde::{Deserialize, Serialize};

crate::choice::choice_enum! {
    /// ODE integrator.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Integrator {
        "euler", "Explicit Euler on the training grid (the reference; SPEC §5.4 theory is for it)." =>
            #[default]
            Euler,
        "heun", "Heun (trapezoidal) predictor–corrector; Euler on the last step." =>
            Heun,
    }
}

crate::choice::choice_enum! {
    /// Where sampling stops (issue 12, item 4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Endpoint {
        "end", "Integrate all K steps, the last one from t_{K−1} to T_end where α = 0 (ours)." =>
            #[default]
            End,
        "last-grid-point", "Stop at the last grid point t_{K−1} after K − 1 steps, as the authors' sampler (`learnGMM.py`) does: the samples keep residual noise α(t_{K−1}) per coordinate (1/K on the linear path, √d/K on ve)." =>
            LastGridPoint,
    }
}

impl Endpoint {
    /// The number of Euler steps on a K-point grid.
    pub fn steps(self, k: usize) -> usize {
        match self {
            Endpoint::End => k,
            Endpoint::LastGridPoint => k.saturating_sub(1),
        }
    }
}

crate::choice::choice_enum! {
    /// Which sampler generates samples; both have the same law (module doc).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Sampler {
        "full", "Integrate every sample in all d dimensions: O(K·d) per sample." =>
            Full,
        "span", "Integrate in the span of μ and the denoiser's u_k, w_k plus one chi-square draw for the rest: O(K·r) per sample after a Gram matrix, the same law." =>
            Span,
    }
}

/// Generate `n_gen` samples of the flow of `denoiser` with `sampler`, stopping at
/// `endpoint`, and summarise them.
pub fn generate(
    sampler: Sampler,
    schedule: &dyn Schedule,
    denoiser: &Denoiser,
    (integrator, endpoint): (Integrator, Endpoint),
    mu: &[f64],
    g: Generation,
) -> GeneratedStats {
    let flow = Flow::new(schedule, denoiser, integrator).ending_at(endpoint);
    match sampler {
        Sampler::Full => generate_full(&flow, mu, g),
        Sampler::Span => generate_in_span(&flow, mu, g),
    }
}

/// Integrate `x` in place from grid step `from` over the steps `dt` with `integrator`:
/// explicit Euler, or Heun, whose corrector needs the velocity at the next grid point and
/// so falls back to Euler on a step that ends at T_end (step K − 1 of `n_vel` = K). When
/// `dt` stops one step short (the authors' endpoint) every step has its corrector.
/// `velocity(k, x, out)` writes v_k(x); `v0`, `v1`, `xp` are scratch of the length of `x`.
/// Every sampler steps through here.
pub(crate) fn integrate(
    integrator: Integrator,
    (dt, n_vel): (&[f64], usize),
    from: usize,
    x: &mut [f64],
    (v0, v1, xp): (&mut [f64], &mut [f64], &mut [f64]),
    velocity: impl Fn(usize, &[f64], &mut [f64]),
) {
    let len = dt.len();
    for k in from..len {
        let dt = dt[k];
        velocity(k, x, v0);
        let last = k + 1 >= n_vel;
        match integrator {
            Integrator::Heun if !last => {
                for ((p, &xj), &vj) in xp.iter_mut().zip(x.iter()).zip(v0.iter()) {
                    *p = xj + dt * vj;
                }
                velocity(k + 1, xp, v1);
                for ((xj, &a), &b) in x.iter_mut().zip(v0.iter()).zip(v1.iter()) {
                    *xj += 0.5 * dt * (a + b);
                }
            }
            _ => {
                for (xj, &vj) in x.iter_mut().zip(v0.iter()) {
                    *xj += dt * vj;
                }
            }
        }
    }
}

/// The two scalar coefficients of v(t, x) = a·x + g·f_t(x).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VelocityCoef {
    /// a = α̇/α.
    pub a: f64,
    /// g = β̇ − α̇β/α.
    pub g: f64,
}

impl VelocityCoef {
    /// Coefficients at time t (requires α(t) > 0).
    pub fn at(schedule: &dyn Schedule, t: f64) -> Self {
        let (al, be) = (schedule.alpha(t), schedule.beta(t));
        let (ad, bd) = (schedule.alpha_dot(t), schedule.beta_dot(t));
        Self {
            a: ad / al,
            g: bd - ad * be / al,
        }
    }
}

/// Time steps Δt_k = t_{k+1} − t_k, with t_K = T_end.
pub(crate) fn step_sizes(schedule: &dyn Schedule, grid: &[f64]) -> Vec<f64> {
    (0..grid.len())
        .map(|k| grid.get(k + 1).copied().unwrap_or(schedule.t_end()) - grid[k])
        .collect()
}

/// A flow ready to integrate: the denoiser with its velocity coefficients precomputed.
#[derive(Debug, Clone)]
pub struct Flow<'a> {
    steps: &'a [StepParams],
    coef: Vec<VelocityCoef>,
    dt: Vec<f64>,
    integrator: Integrator,
    x0_scale: f64,
}

impl<'a> Flow<'a> {
    /// Prepare the flow of `denoiser` under `schedule`, integrating to T_end.
    pub fn new(schedule: &dyn Schedule, denoiser: &'a Denoiser, integrator: Integrator) -> Self {
        let coef = denoiser
            .grid
            .iter()
            .map(|&t| VelocityCoef::at(schedule, t))
            .collect();
        let x0_scale = denoiser.grid.first().map_or(1.0, |&t0| schedule.alpha(t0));
        Self {
            steps: &denoiser.steps,
            coef,
            dt: step_sizes(schedule, &denoiser.grid),
            integrator,
            x0_scale,
        }
    }

    /// The same flow stopping at `endpoint`.
    pub fn ending_at(mut self, endpoint: Endpoint) -> Self {
        self.dt.truncate(endpoint.steps(self.steps.len()));
        self
    }

    /// The standard deviation of the starting point x(t_0) ~ N(0, α(t_0)²·I_d).
    pub fn x0_scale(&self) -> f64 {
        self.x0_scale
    }

    /// Scratch vectors of length d that [`Flow::integrate_from`] needs.
    pub const SCRATCH: usize = 3;

    /// Number of grid steps K.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True if the flow has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// v_k(x) written into `out`.
    fn velocity(&self, k: usize, x: &[f64], out: &mut [f64]) {
        self.steps[k].eval(x, out);
        let VelocityCoef { a, g } = self.coef[k];
        for (o, &xj) in out.iter_mut().zip(x) {
            *o = a * xj + g * *o;
        }
    }

    /// Integrate `x` in place from grid step `from` (time t_from) to T_end.
    /// `buf` must hold [`Flow::SCRATCH`]·d scratch values.
    pub fn integrate_from(&self, from: usize, x: &mut [f64], buf: &mut [f64]) {
        let d = x.len();
        let (v0, rest) = buf.split_at_mut(d);
        let (v1, rest) = rest.split_at_mut(d);
        let xp = &mut rest[..d];
        integrate(
            self.integrator,
            (&self.dt, self.steps.len()),
            from,
            x,
            (v0, v1, xp),
            |k, x, out| self.velocity(k, x, out),
        );
    }
}
