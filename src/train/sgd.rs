//! The reference-faithful engine (SPEC §4, engine 1): Adam on R_k with fresh noise x0
//! drawn every epoch, full batch over the n training points, analytic gradients.
//!
//! # Mapping onto the reference code
//! The paper's code minimises `n × mean over (k, i, j) of (f_k − x1)²` summed with
//! PyTorch's Adam L2 weight decay `wd` on u and w, i.e. per step k the gradient
//! (1/(K·d))·∇Σ_i|f_k − x1^i|² + wd·(u, w). The gradient of R_k used here is
//! (1/d)·∇Σ_i|f_k − x1^i|² + (2/d)·(λ_u u, λ_w w), which is exactly K times the former when
//! **λ_u = λ_w = K·d·wd/2**. Adam is invariant to a constant rescaling of the gradient (up
//! to its ε = 1e-8), so with that λ the trajectories coincide: e.g. wd = 1e-5, K = 80,
//! d = 5000 gives λ = 2. The reference learning rate 0.01 carries over unchanged.
//!
//! # Cost
//! Per epoch and step: n·d normal draws (ziggurat, [`rand_distr::StandardNormal`], drawn
//! a row at a time in a tight loop) and two arithmetic passes over a d-row that stays in L1
//! cache (x_t fused with its dot products, in 4-lane partial sums; residual and gradient).
//! The n×d noise matrix is never stored.

use super::{Engine, Problem, StepRecord, Stop, TrainError, Trained, assemble};
use crate::denoiser::{SampleDots, StepParams};
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Adam hyper-parameters and the epoch budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sgd {
    /// Number of full-batch epochs (fresh noise each). Default 2000.
    pub epochs: usize,
    /// Adam learning rate. Default 0.01 (the reference code's).
    pub lr: f64,
}

impl Default for Sgd {
    fn default() -> Self {
        Self {
            epochs: 2000,
            lr: 0.01,
        }
    }
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const ADAM_EPS: f64 = 1e-8;

/// Adam state for one flat parameter vector.
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn new(len: usize) -> Self {
        Self {
            m: vec![0.0; len],
            v: vec![0.0; len],
            t: 0,
        }
    }

    fn step(&mut self, theta: &mut [f64], grad: &[f64], lr: f64) {
        self.t += 1;
        let bc1 = 1.0 - BETA1.powi(self.t);
        let bc2 = 1.0 - BETA2.powi(self.t);
        let step = lr / bc1;
        let inv_bc2 = 1.0 / bc2;
        for (((th, &g), m), v) in theta.iter_mut().zip(grad).zip(&mut self.m).zip(&mut self.v) {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *th -= step * *m / ((*v * inv_bc2).sqrt() + ADAM_EPS);
        }
    }
}

/// Independent partial sums per dot product in the fused pass.
const LANES: usize = 4;

/// Turn the noise row `xt` into x_t = α·x0 + β·x1 in place and return (w·x_t, u·x_t, u·x1),
/// each summed in `LANES` interleaved partial sums, combined in lane order (deterministic).
fn fused_xt_dots(
    xt: &mut [f64],
    x1: &[f64],
    u: &[f64],
    w: &[f64],
    alpha: f64,
    beta: f64,
) -> SampleDots {
    let mut acc = [[0.0f64; LANES]; 3];
    let n = xt.len() / LANES * LANES;
    for ((((xc, x1c), uc), wc), _) in xt[..n]
        .chunks_exact_mut(LANES)
        .zip(x1[..n].chunks_exact(LANES))
        .zip(u[..n].chunks_exact(LANES))
        .zip(w[..n].chunks_exact(LANES))
        .zip(0..)
    {
        for l in 0..LANES {
            let v = alpha * xc[l] + beta * x1c[l];
            xc[l] = v;
            acc[0][l] += wc[l] * v;
            acc[1][l] += uc[l] * v;
            acc[2][l] += uc[l] * x1c[l];
        }
    }
    for j in n..xt.len() {
        let v = alpha * xt[j] + beta * x1[j];
        xt[j] = v;
        acc[0][0] += w[j] * v;
        acc[1][0] += u[j] * v;
        acc[2][0] += u[j] * x1[j];
    }
    let sum = |a: [f64; LANES]| a.iter().sum::<f64>();
    SampleDots {
        wx: sum(acc[0]),
        ux: sum(acc[1]),
        ux1: sum(acc[2]),
    }
}

impl Sgd {
    /// One Adam run for grid time `k`.
    fn train_step(
        &self,
        pb: &Problem<'_>,
        k: usize,
    ) -> Result<(StepParams, StepRecord), TrainError> {
        let data = pb.data;
        let d = data.d;
        let t = pb.grid[k];
        let (alpha, beta) = (pb.schedule.alpha(t), pb.schedule.beta(t));
        let mut params =
            StepParams::init(d, &mut stream(pb.seed, pb.replica, Purpose::Init, k as u64));
        let mut noise = stream(pb.seed, pb.replica, Purpose::Noise, k as u64);
        let mut adam = Adam::new(params.theta().len());
        let mut grad = vec![0.0; params.theta().len()];
        let mut xt = vec![0.0; d];
        let inv_d = 1.0 / d as f64;
        let mut loss = f64::NAN;
        for epoch in 0..self.epochs {
            grad.iter_mut().for_each(|g| *g = 0.0);
            let mut total = 0.0;
            let uu = params.u_norm2();
            for i in 0..data.n {
                let x1 = data.row(i);
                // Draw the noise row in a tight loop (the ziggurat's branches stay out of the
                // arithmetic), then x_t and its dot products in one pass with LANES
                // independent partial sums per dot product, so the adds pipeline instead of
                // waiting on one another.
                for g in &mut xt {
                    *g = noise.sample(StandardNormal);
                }
                let dots = fused_xt_dots(&mut xt, x1, params.u(), params.w(), alpha, beta);
                total += params.accumulate_sample_grad_with(&xt, x1, &dots, uu, inv_d, &mut grad);
            }
            total = total * inv_d
                + params.accumulate_ridge_grad(pb.lambda_u, pb.lambda_w, inv_d, &mut grad);
            if !total.is_finite() {
                return Err(TrainError::NonFinite { step: k, t, epoch });
            }
            loss = total;
            adam.step(params.theta_mut(), &grad, self.lr);
        }
        if params.theta().iter().any(|v| !v.is_finite()) {
            return Err(TrainError::NonFinite {
                step: k,
                t,
                epoch: self.epochs,
            });
        }
        Ok((
            params,
            StepRecord {
                stop: Stop::EpochBudget {
                    epochs: self.epochs,
                },
                loss,
            },
        ))
    }
}

impl Engine for Sgd {
    fn name(&self) -> &'static str {
        "sgd"
    }

    fn train(&self, problem: &Problem<'_>) -> Result<Trained, TrainError> {
        let per_step: Vec<_> = (0..problem.grid.len())
            .into_par_iter()
            .map(|k| self.train_step(problem, k))
            .collect();
        assemble(problem.grid, per_step)
    }
}
impl super::EngineSpec for Sgd {
    const NAME: &'static str = "sgd";
    fn check(&self) -> Result<(), crate::problem::ConfigError> {
        crate::problem::at_least_one("epochs", self.epochs)?;
        crate::problem::positive_finite("lr", self.lr)
    }
    /// Adam with fresh noise keeps moving each parameter by up to `lr` per epoch at its
    /// noise floor: 2·lr.
    fn optimisation_budget(&self) -> f64 {
        2.0 * self.lr
    }
}
