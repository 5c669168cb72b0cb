//! Sampling: integrate the probability-flow ODE of a denoiser (SPEC §3, §5.4).
//!
//! With the x1-prediction f_t, the velocity is
//! v(t, x) = (α̇/α)·x + (β̇ − α̇·β/α)·f_t(x).
//! Samples start from x(0) ~ N(0, I_d) and are integrated to T_end on the training grid.
//! The reference integrator is explicit Euler (step k uses f_k); [`Integrator::Heun`] is
//! the trapezoidal predictor–corrector using f_{k+1} for the corrector, and falls back to
//! Euler on the last step, whose end point T_end has α = 0 (the velocity is singular there).
//!
//! Statistics of generated samples (SPEC §5.4): p̂ = fraction with x·μ > 0 with its
//! binomial standard error, and the within-mode variance of the coordinates orthogonal to μ.

use crate::denoiser::{Denoiser, StepParams};
use crate::rng::{Purpose, stream};
use crate::schedule::Schedule;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// ODE integrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Integrator {
    /// Explicit Euler on the training grid (the reference; SPEC §5.4 theory is for it).
    #[default]
    Euler,
    /// Heun (trapezoidal) predictor–corrector; Euler on the last step.
    Heun,
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
pub fn step_sizes(schedule: &dyn Schedule, grid: &[f64]) -> Vec<f64> {
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
}

impl<'a> Flow<'a> {
    /// Prepare the flow of `denoiser` under `schedule`.
    pub fn new(schedule: &dyn Schedule, denoiser: &'a Denoiser, integrator: Integrator) -> Self {
        let coef = denoiser
            .grid
            .iter()
            .map(|&t| VelocityCoef::at(schedule, t))
            .collect();
        Self {
            steps: &denoiser.steps,
            coef,
            dt: step_sizes(schedule, &denoiser.grid),
            integrator,
        }
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
        for k in from..self.len() {
            let dt = self.dt[k];
            self.velocity(k, x, v0);
            let last = k + 1 == self.len();
            match self.integrator {
                Integrator::Heun if !last => {
                    for ((p, &xj), &vj) in xp.iter_mut().zip(x.iter()).zip(v0.iter()) {
                        *p = xj + dt * vj;
                    }
                    self.velocity(k + 1, xp, v1);
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
}

/// Statistics of generated samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeneratedStats {
    /// Fraction of samples with x·μ > 0.
    pub p_hat: f64,
    /// Binomial standard error √(p̂(1 − p̂)/n_gen).
    pub p_hat_se: f64,
    /// Within-mode variance of the coordinates orthogonal to μ (pooled over the two modes,
    /// mode = sign of x·μ, divisor (n_gen − modes)·(d − 1)); `None` when d = 1.
    pub var_perp: Option<f64>,
    /// Number of generated samples.
    pub n_gen: usize,
}

/// Samples per random stream when generating (SPEC §7: index = chunk).
pub const GEN_CHUNK: usize = 256;

#[derive(Clone)]
struct ModeSums {
    count: [usize; 2],
    sum: [Vec<f64>; 2],
    sumsq: [f64; 2],
}

impl ModeSums {
    fn new(d: usize) -> Self {
        Self {
            count: [0; 2],
            sum: [vec![0.0; d], vec![0.0; d]],
            sumsq: [0.0; 2],
        }
    }
    fn add(&mut self, x: &[f64], mu: &[f64]) {
        let d = x.len() as f64;
        let h: f64 = x.iter().zip(mu).map(|(a, b)| a * b).sum();
        let mode = usize::from(h > 0.0);
        let proj = h / d;
        self.count[mode] += 1;
        let s = &mut self.sum[mode];
        let mut sq = 0.0;
        for j in 0..x.len() {
            let y = x[j] - proj * mu[j];
            s[j] += y;
            sq += y * y;
        }
        self.sumsq[mode] += sq;
    }
    fn merge(&mut self, o: &ModeSums) {
        for m in 0..2 {
            self.count[m] += o.count[m];
            self.sumsq[m] += o.sumsq[m];
            for (a, b) in self.sum[m].iter_mut().zip(&o.sum[m]) {
                *a += b;
            }
        }
    }
    fn stats(&self) -> GeneratedStats {
        let n = self.count[0] + self.count[1];
        let d = self.sum[0].len();
        let p_hat = self.count[1] as f64 / n as f64;
        let mut within = 0.0;
        let mut dof = 0usize;
        for m in 0..2 {
            if self.count[m] > 0 {
                let s2: f64 = self.sum[m].iter().map(|v| v * v).sum();
                within += self.sumsq[m] - s2 / self.count[m] as f64;
                dof += self.count[m] - 1;
            }
        }
        let var_perp = (d > 1 && dof > 0).then(|| within / (dof as f64 * (d - 1) as f64));
        GeneratedStats {
            p_hat,
            p_hat_se: (p_hat * (1.0 - p_hat) / n as f64).sqrt(),
            var_perp,
            n_gen: n,
        }
    }
}

/// Generate `n_gen` samples from N(0, I_d) through the flow and summarise them.
///
/// Chunk c of [`GEN_CHUNK`] samples draws its x0 from stream `(seed, replica, Generate, c)`;
/// chunks run in parallel and are reduced in chunk order, so the result is bit-identical for
/// any thread count.
pub fn generate(
    flow: &Flow<'_>,
    mu: &[f64],
    n_gen: usize,
    seed: u64,
    replica: u64,
) -> GeneratedStats {
    let d = mu.len();
    let n_chunks = n_gen.div_ceil(GEN_CHUNK);
    let partial: Vec<ModeSums> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = stream(seed, replica, Purpose::Generate, c as u64);
            let mut acc = ModeSums::new(d);
            let mut x = vec![0.0; d];
            let mut buf = vec![0.0; Flow::SCRATCH * d];
            let count = GEN_CHUNK.min(n_gen - c * GEN_CHUNK);
            for _ in 0..count {
                x.iter_mut().for_each(|v| *v = rng.sample(StandardNormal));
                flow.integrate_from(0, &mut x, &mut buf);
                acc.add(&x, mu);
            }
            acc
        })
        .collect();
    let mut total = ModeSums::new(d);
    for p in &partial {
        total.merge(p);
    }
    total.stats()
}
