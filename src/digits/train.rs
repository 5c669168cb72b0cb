//! Flow-matching training of the velocity network with a chosen time-sampling density.
//!
//! Linear interpolant x_t = (1 − t)·x₀ + t·x₁, x₀ ~ N(0, I₆₄), target velocity x₁ − x₀,
//! loss (1/(B·64)) Σ |v_θ(t, x_t) − (x₁ − x₀)|², Adam. One epoch is one pass over the
//! unbalanced set in a shuffled order with a fresh (t, x₀) per image. The times are drawn as
//! t = F⁻¹(u) from one uniform u per image, so two samplers with the same seed see the same
//! images, noise and uniforms: their comparison is paired (common random numbers).
//!
//! The phase-aware density (SPEC §8; paper §4) puts a share `weight` of the times uniformly in
//! the detected window [lo, hi] and the rest uniformly on [0, 1], so its support stays [0, 1]:
//!
//! p(t) = (1 − w) + w·1[lo ≤ t ≤ hi]/(hi − lo).

use super::data::{PIXELS, Unbalanced};
use super::net::{Adam, Mlp};
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// A training-time density on [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TimeSampler {
    /// t ~ U(0, 1).
    Uniform,
    /// Mixture: with probability `weight` t ~ U(lo, hi), else t ~ U(0, 1).
    Window {
        /// Window start, in [0, 1).
        lo: f64,
        /// Window end, in (lo, 1].
        hi: f64,
        /// Share of the times drawn in the window, in [0, 1).
        weight: f64,
    },
}

pub use crate::error::DigitsTrainError;

impl TimeSampler {
    /// A validated window sampler.
    ///
    /// # Errors
    /// [`DigitsTrainError::Window`] or [`DigitsTrainError::Weight`].
    pub fn window(lo: f64, hi: f64, weight: f64) -> Result<Self, DigitsTrainError> {
        if !(0.0 <= lo && lo < hi && hi <= 1.0) {
            return Err(DigitsTrainError::Window { lo, hi });
        }
        if !(0.0..1.0).contains(&weight) {
            return Err(DigitsTrainError::Weight(weight));
        }
        Ok(TimeSampler::Window { lo, hi, weight })
    }

    /// Short name for tables and file names.
    pub fn name(&self) -> &'static str {
        match self {
            TimeSampler::Uniform => "uniform",
            TimeSampler::Window { .. } => "phase-aware",
        }
    }

    /// The density p(t).
    pub fn density(&self, t: f64) -> f64 {
        match *self {
            TimeSampler::Uniform => 1.0,
            TimeSampler::Window { lo, hi, weight } => {
                let inside = if (lo..=hi).contains(&t) {
                    1.0 / (hi - lo)
                } else {
                    0.0
                };
                (1.0 - weight) + weight * inside
            }
        }
    }

    /// t = F⁻¹(u) for u ∈ [0, 1): the CDF is piecewise linear with knots 0, lo, hi, 1.
    pub fn inverse_cdf(&self, u: f64) -> f64 {
        match *self {
            TimeSampler::Uniform => u,
            TimeSampler::Window { lo, hi, weight } => {
                let f_lo = (1.0 - weight) * lo;
                let f_hi = (1.0 - weight) * hi + weight;
                if u < f_lo {
                    u / (1.0 - weight)
                } else if u < f_hi {
                    lo + (u - f_lo) / (f_hi - f_lo) * (hi - lo)
                } else {
                    (hi + (u - f_hi) / (1.0 - weight)).min(1.0)
                }
            }
        }
    }
}

/// One training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigitsTrainConfig {
    /// Hidden width H. Default 128.
    pub hidden: usize,
    /// Epochs (passes over the set). The limited budget of the comparison.
    pub epochs: usize,
    /// Mini-batch size. Default 32 (7 Adam steps per epoch on 222 images).
    pub batch: usize,
    /// Adam learning rate. Default 2e-3.
    pub lr: f32,
    /// Training-time density.
    pub sampler: TimeSampler,
    /// Master seed.
    pub seed: u64,
    /// Replica index (the comparison's seed number).
    pub replica: u64,
}

impl DigitsTrainConfig {
    /// Defaults with the given sampler, epochs, seed and replica.
    pub fn new(sampler: TimeSampler, epochs: usize, seed: u64, replica: u64) -> Self {
        DigitsTrainConfig {
            hidden: 128,
            epochs,
            batch: 32,
            lr: 2e-3,
            sampler,
            seed,
            replica,
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// The first bad field.
    pub fn validate(&self) -> Result<(), DigitsTrainError> {
        if self.hidden == 0 {
            return Err(DigitsTrainError::Zero("hidden"));
        }
        if self.epochs == 0 {
            return Err(DigitsTrainError::Zero("epochs"));
        }
        if self.batch == 0 {
            return Err(DigitsTrainError::Zero("batch"));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(DigitsTrainError::Lr(self.lr));
        }
        if let TimeSampler::Window { lo, hi, weight } = self.sampler {
            TimeSampler::window(lo, hi, weight)?;
        }
        Ok(())
    }
}

/// The inputs of one epoch: times, noised images x_t and targets x₁ − x₀, in batch order,
/// drawn from stream `(seed, replica, DigitsTrain, epoch)`.
pub(crate) fn epoch_batch(
    data: &Unbalanced,
    sampler: &TimeSampler,
    seed: u64,
    replica: u64,
    epoch: usize,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = data.len();
    let mut rng = stream(seed, replica, Purpose::DigitsTrain, epoch as u64);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let mut t = Vec::with_capacity(n);
    let mut xt = Vec::with_capacity(n * PIXELS);
    let mut y = Vec::with_capacity(n * PIXELS);
    for &i in &order {
        let u: f64 = rng.random();
        let ti = sampler.inverse_cdf(u) as f32;
        t.push(ti);
        for &x1 in data.image(i) {
            let x0: f32 = rng.sample(StandardNormal);
            xt.push((1.0 - ti) * x0 + ti * x1);
            y.push(x1 - x0);
        }
    }
    (t, xt, y)
}

/// Train from `Mlp::new(hidden, seed, replica)`. After each epoch `after_epoch(e, &net,
/// loss)` is called with the number of epochs done and that epoch's mean batch loss (use it
/// for checkpoints).
///
/// # Errors
/// An invalid configuration, or a non-finite loss (naming the epoch).
pub fn train(
    data: &Unbalanced,
    cfg: &DigitsTrainConfig,
    mut after_epoch: impl FnMut(usize, &Mlp, f32),
) -> Result<Mlp, crate::error::Error> {
    cfg.validate().map_err(super::DigitsError::from)?;
    let mut net = Mlp::new(cfg.hidden, cfg.seed, cfg.replica);
    let mut adam = Adam::new(net.len(), cfg.lr);
    for epoch in 0..cfg.epochs {
        let loss = train_epoch(data, cfg, epoch, &mut net, &mut adam);
        if !loss.is_finite() {
            return Err(super::DigitsError::Diverged {
                epoch,
                loss,
                seed: cfg.seed,
                replica: cfg.replica,
            }
            .into());
        }
        after_epoch(epoch + 1, &net, loss);
    }
    Ok(net)
}

/// One epoch of mini-batch Adam; returns the mean of the batch losses.
pub fn train_epoch(
    data: &Unbalanced,
    cfg: &DigitsTrainConfig,
    epoch: usize,
    net: &mut Mlp,
    adam: &mut Adam,
) -> f32 {
    let (t, xt, y) = epoch_batch(data, &cfg.sampler, cfg.seed, cfg.replica, epoch);
    let n = t.len();
    let mut total = 0f32;
    let mut batches = 0;
    for start in (0..n).step_by(cfg.batch) {
        let end = (start + cfg.batch).min(n);
        let (loss, grad) = net.batch_grad(
            &t[start..end],
            &xt[start * PIXELS..end * PIXELS],
            &y[start * PIXELS..end * PIXELS],
        );
        adam.update(&mut net.params, &grad);
        total += loss;
        batches += 1;
    }
    total / batches as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_inverse_cdf_is_monotone_and_inverts_the_density() {
        let s = TimeSampler::window(0.2, 0.4, 0.5).unwrap();
        let mut prev = -1.0;
        for k in 0..=1000 {
            let u = k as f64 / 1000.0;
            let t = s.inverse_cdf(u);
            assert!(t >= prev && (0.0..=1.0).contains(&t), "u={u} t={t}");
            prev = t;
        }
        // Half the mass in [0.2, 0.4] plus the uniform part 0.5·0.2 = 0.6.
        let inside = (0..10_000)
            .map(|k| s.inverse_cdf((k as f64 + 0.5) / 10_000.0))
            .filter(|t| (0.2..=0.4).contains(t))
            .count();
        assert_eq!(inside, 6000);
        assert!((s.density(0.3) - 3.0).abs() < crate::tol::ROUNDOFF);
        assert!((s.density(0.9) - 0.5).abs() < crate::tol::ROUNDOFF);
    }

    #[test]
    fn rejects_weight_one_and_empty_window() {
        assert!(TimeSampler::window(0.2, 0.4, 1.0).is_err());
        assert!(TimeSampler::window(0.4, 0.4, 0.5).is_err());
    }
}
