//! A trained softmax network per grid time on a k-mode target, and the flow it generates
//! (issue 26, claim C12).
//!
//! For each grid time t_k (SPEC §2) a [`SoftmaxModel`] with k units is fitted by
//! [`FullBatch`] to n labelled samples x1 of a [`KMode`] target (labels unused in training)
//! with M fixed noise draws each (x_t = α(t_k)·x0 + β(t_k)·x1). The middle grid time
//! (t = 1, the end of phase 1, on the two-phase dilated schedule) is fitted first from a
//! label-free seeding: U_j = x1^{i_j}, W_j = x1^{i_j}/√d, c = b = 0, with i_1 = 0 and each
//! next i_j the training point farthest from those chosen (there the classes are separated
//! and each unit carries an O(1) share of f, so one point per class is what farthest-point
//! seeding finds). The grid is then swept forward and backward from it, each fit starting
//! from its neighbour's solution: the minimiser moves continuously, W shrinks to 0 towards
//! t = 0 (where x_t carries no information) and U to (1 − cβ)·μ → 0 towards the end.
//! Seeding at the last time instead (tried first) left one of the three units dead
//! (U_j = W_j = 0, var⊥ ≈ 1.06 instead of 0.77) in 6 of 16 replicas at n = 256, d = 16:
//! late in the flow the units' share of f is (1 − cβ) ≈ 0.01 and the ridge outweighs it.
//!
//! Generation is explicit Euler on the same grid (SPEC §3): x(0) ~ N(0, α(t_0)²I_d),
//! x ← x + Δt_k·(a_k·x + g_k·f_k(x)) ([`crate::flow::VelocityCoef`]), to the endpoint. A
//! generated sample belongs to its nearest mean ([`crate::target::Target::classify`]); the
//! statistics are p̂ (a vector) and the per-class var⊥, the mean square of the coordinates
//! orthogonal to the means' span per coordinate (SPEC §9.1), whose exact-Euler values with
//! the Bayes denoiser are [`crate::target::Target::euler`]'s.
//!
//! Streams (SPEC §7): data (seed, replica, [`Purpose::TargetData`], rung), noise (seed,
//! replica, [`Purpose::TargetNoise`], rung·2^16 + k), starting points (seed, replica,
//! [`Purpose::TargetGenerate`], rung): a replica is a deterministic function of its
//! coordinates, whatever thread runs it.

use super::fit::{Fitted, FullBatch, Pairs, Stop};
use super::{SoftmaxModel, StepModel};
use crate::flow::{Endpoint, VelocityCoef};
use crate::rng::{Purpose, stream};
use crate::schedule::Schedule;
use crate::target::{KMode, Labelled, Target};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// The sizes of one trained run (module doc).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KModeRun {
    /// Training points n.
    pub n: usize,
    /// Grid points K.
    pub steps: usize,
    /// Fixed noise draws M per training point.
    pub noise_draws: usize,
    /// Generated samples.
    pub generated: usize,
    /// The engine.
    pub engine: FullBatch,
    /// Where the Euler flow stops.
    pub endpoint: Endpoint,
}

/// What one replica of a run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    /// Generated class weights p̂_i (fraction nearest μ_i).
    pub p_hat: Vec<f64>,
    /// Per-class var⊥ of the generated samples (NaN for a class with no sample).
    pub var_perp: Vec<f64>,
    /// The training set's own class fractions.
    pub train_fractions: Vec<f64>,
    /// The grid steps whose fit did not reach the gradient tolerance.
    pub unconverged: Vec<usize>,
    /// The largest final gradient norm over the steps.
    pub max_grad: f64,
    /// L-BFGS iterations over all steps.
    pub iterations: u64,
}

/// The farthest-point seeding of the last grid time (module doc).
fn seed_model(data: &Labelled, k: usize) -> SoftmaxModel {
    let d = data.d;
    let mut chosen = vec![0usize];
    let mut dist: Vec<f64> = (0..data.n)
        .map(|i| sq_dist(data.row(i), data.row(0)))
        .collect();
    while chosen.len() < k.min(data.n) {
        // First index of the largest distance (ties to the lowest index: deterministic).
        let (next, _) =
            dist.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |b, (i, &v)| if v > b.1 { (i, v) } else { b },
            );
        chosen.push(next);
        for (i, v) in dist.iter_mut().enumerate() {
            *v = v.min(sq_dist(data.row(i), data.row(next)));
        }
    }
    let mut m = SoftmaxModel::zeros(d, k);
    let inv = 1.0 / (d as f64).sqrt();
    for (j, &i) in chosen.iter().enumerate() {
        m.u_mut(j).copy_from_slice(data.row(i));
        for (w, &x) in m.w_mut(j).iter_mut().zip(data.row(i)) {
            *w = x * inv;
        }
    }
    m
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

impl KModeRun {
    /// Fit one softmax network per grid time to `data` (module doc); `rung` and `replica`
    /// name the noise streams.
    pub fn train(
        &self,
        target: &KMode,
        schedule: &dyn Schedule,
        data: &Labelled,
        (seed, replica, rung): (u64, u64, u64),
    ) -> Vec<Fitted<SoftmaxModel>> {
        let grid = schedule.grid(self.steps);
        let d = data.d;
        let k = target.classes();
        let m = self.noise_draws.max(1);
        let mut x1 = Vec::with_capacity(data.n * m * d);
        for _ in 0..m {
            x1.extend_from_slice(&data.x);
        }
        let mut xt = vec![0.0; x1.len()];
        let mut fits: Vec<Option<Fitted<SoftmaxModel>>> = vec![None; grid.len()];
        let mid = grid.len() / 2;
        let seeded = seed_model(data, k);
        // The middle time first, then forward and backward from it by warm starts.
        let order = (mid..grid.len()).chain((0..mid).rev());
        for step in order {
            let t = grid[step];
            let init = if step == mid {
                seeded.clone()
            } else if step > mid {
                fits[step - 1].as_ref().expect("fitted").model.clone()
            } else {
                fits[step + 1].as_ref().expect("fitted").model.clone()
            };
            let (al, be) = (schedule.alpha(t), schedule.beta(t));
            let mut rng = stream(
                seed,
                replica,
                Purpose::TargetNoise,
                (rung << 16) + step as u64,
            );
            for (o, &y) in xt.iter_mut().zip(&x1) {
                let z: f64 = rng.sample(StandardNormal);
                *o = al * z + be * y;
            }
            let fit = self.engine.fit(
                init,
                Pairs {
                    xt: &xt,
                    x1: &x1,
                    n: data.n,
                },
            );
            fits[step] = Some(fit);
        }
        fits.into_iter()
            .map(|f| f.expect("every step fitted"))
            .collect()
    }

    /// Explicit Euler with the trained networks from `generated` starting points (module
    /// doc): (p̂, per-class var⊥).
    pub fn generate(
        &self,
        target: &KMode,
        schedule: &dyn Schedule,
        models: &[SoftmaxModel],
        (seed, replica, rung): (u64, u64, u64),
    ) -> (Vec<f64>, Vec<f64>) {
        let grid = schedule.grid(self.steps);
        let steps = crate::target::euler_steps(schedule, &grid, self.endpoint);
        let d = target.d();
        let k = target.classes();
        let iso = target.isotropic();
        let r = iso.span_dim();
        let s0 = schedule.alpha(grid[0]);
        let mut rng = stream(seed, replica, Purpose::TargetGenerate, rung);
        let mut count = vec![0usize; k];
        let mut perp = vec![0.0; k];
        let mut x = vec![0.0; d];
        let mut f = vec![0.0; d];
        for _ in 0..self.generated {
            for v in x.iter_mut() {
                *v = s0 * rng.sample::<f64, _>(StandardNormal);
            }
            for (model, &(t, dt)) in models.iter().zip(&steps) {
                let vc = VelocityCoef::at(schedule, t);
                model.eval(&x, &mut f);
                for (xj, fj) in x.iter_mut().zip(&f) {
                    *xj += dt * (vc.a * *xj + vc.g * fj);
                }
            }
            let c = target.classify(&x);
            count[c] += 1;
            let z = iso.project(&x);
            let total: f64 = x.iter().map(|v| v * v).sum();
            let inside: f64 = z.iter().map(|v| v * v).sum();
            perp[c] += (total - inside) / (d - r).max(1) as f64;
        }
        let g = self.generated.max(1) as f64;
        (
            count.iter().map(|&c| c as f64 / g).collect(),
            perp.iter()
                .zip(&count)
                .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
                .collect(),
        )
    }

    /// One replica: draw n labelled points (stream (seed, replica, TargetData, rung)), train,
    /// generate.
    pub fn run(
        &self,
        target: &KMode,
        schedule: &dyn Schedule,
        (seed, replica, rung): (u64, u64, u64),
    ) -> RunOutput {
        let data = target.sample(
            self.n,
            &mut stream(seed, replica, Purpose::TargetData, rung),
        );
        let fits = self.train(target, schedule, &data, (seed, replica, rung));
        let models: Vec<SoftmaxModel> = fits.iter().map(|f| f.model.clone()).collect();
        let (p_hat, var_perp) = self.generate(target, schedule, &models, (seed, replica, rung));
        RunOutput {
            p_hat,
            var_perp,
            train_fractions: data.class_fractions(target.classes()),
            unconverged: fits
                .iter()
                .enumerate()
                .filter(|(_, f)| f.stop != Stop::Converged)
                .map(|(i, _)| i)
                .collect(),
            max_grad: fits.iter().map(|f| f.grad_norm).fold(0.0, f64::max),
            iterations: fits.iter().map(|f| f.iterations).sum(),
        }
    }
}
