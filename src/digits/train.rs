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
use super::mechanism::Mechanism;
use super::net::{Adam, Mlp, clip_grad_norm};
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
    /// The authors' band: a share `weight` of the times uniform in [lo, hi], the rest
    /// uniform on the complement [0, 1] \ [lo, hi] (their 4/16/12 of 32 for [0.2, 0.4]).
    Band {
        /// Band start, in [0, 1).
        lo: f64,
        /// Band end, in (lo, 1].
        hi: f64,
        /// Share of the times drawn in the band, in [0, 1).
        weight: f64,
    },
}

crate::choice::choice_enum! {
    /// How the times of a batch are drawn from a [`TimeSampler`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TimeDraw {
        "iid", "Independent draws t = F⁻¹(u)." =>
            Iid,
        "stratified", "Fixed counts per batch in each piece of the density (largest-remainder rounding of batch × mass, in piece order), uniform within the piece (the authors' code)." =>
            #[default]
            Stratified,
    }
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
            TimeSampler::Band { .. } => "band",
        }
    }

    /// A validated band sampler.
    ///
    /// # Errors
    /// [`DigitsTrainError::Window`] or [`DigitsTrainError::Weight`].
    pub fn band(lo: f64, hi: f64, weight: f64) -> Result<Self, DigitsTrainError> {
        Self::window(lo, hi, weight)?;
        if lo <= 0.0 && hi >= 1.0 {
            return Err(DigitsTrainError::Window { lo, hi });
        }
        Ok(TimeSampler::Band { lo, hi, weight })
    }

    /// The density as pieces (lo, hi, mass) covering [0, 1] in order (pieces of zero
    /// width are kept, with mass 0).
    pub fn pieces(&self) -> Vec<(f64, f64, f64)> {
        match *self {
            TimeSampler::Uniform => vec![(0.0, 1.0, 1.0)],
            TimeSampler::Window { lo, hi, weight } => vec![
                (0.0, lo, (1.0 - weight) * lo),
                (lo, hi, weight + (1.0 - weight) * (hi - lo)),
                (hi, 1.0, (1.0 - weight) * (1.0 - hi)),
            ],
            TimeSampler::Band { lo, hi, weight } => {
                let rest = 1.0 - (hi - lo);
                vec![
                    (0.0, lo, (1.0 - weight) * lo / rest),
                    (lo, hi, weight),
                    (hi, 1.0, (1.0 - weight) * (1.0 - hi) / rest),
                ]
            }
        }
    }

    /// Counts per piece for a batch of `b` (largest remainder; ties to the earlier piece).
    pub fn stratified_counts(&self, b: usize) -> Vec<usize> {
        let pieces = self.pieces();
        let raw: Vec<f64> = pieces.iter().map(|p| p.2 * b as f64).collect();
        let mut counts: Vec<usize> = raw.iter().map(|r| r.floor() as usize).collect();
        let mut left = b - counts.iter().sum::<usize>().min(b);
        let mut order: Vec<usize> = (0..raw.len()).collect();
        order.sort_by(|&i, &j| {
            let (fi, fj) = (raw[i] - raw[i].floor(), raw[j] - raw[j].floor());
            fj.total_cmp(&fi).then(i.cmp(&j))
        });
        for &i in &order {
            if left == 0 {
                break;
            }
            if pieces[i].1 > pieces[i].0 {
                counts[i] += 1;
                left -= 1;
            }
        }
        counts
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
            TimeSampler::Band { lo, hi, weight } => {
                if (lo..=hi).contains(&t) {
                    weight / (hi - lo)
                } else {
                    (1.0 - weight) / (1.0 - (hi - lo))
                }
            }
        }
    }

    /// t = F⁻¹(u) for u ∈ [0, 1): the CDF is piecewise linear with knots at the pieces.
    pub fn inverse_cdf(&self, u: f64) -> f64 {
        match *self {
            TimeSampler::Uniform => u,
            TimeSampler::Window { lo, hi, weight } => {
                // Kept as in issue 8 (bit-identical results for the epoch comparison).
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
            TimeSampler::Band { .. } => {
                let mut acc = 0.0;
                let pieces = self.pieces();
                for &(lo, hi, mass) in &pieces {
                    if mass > 0.0 && u < acc + mass {
                        return (lo + (u - acc) / mass * (hi - lo)).min(hi);
                    }
                    acc += mass;
                }
                1.0
            }
        }
    }

    /// The time of slot `slot` of a batch of `b` drawn with `draw` from the uniform `u`.
    pub fn draw(&self, draw: TimeDraw, u: f64, slot: usize, b: usize) -> f64 {
        match draw {
            TimeDraw::Iid => self.inverse_cdf(u),
            TimeDraw::Stratified => {
                let counts = self.stratified_counts(b);
                let pieces = self.pieces();
                let mut start = 0;
                for (k, &c) in counts.iter().enumerate() {
                    if slot < start + c {
                        let (lo, hi, _) = pieces[k];
                        return lo + u * (hi - lo);
                    }
                    start += c;
                }
                self.inverse_cdf(u)
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
        match self.sampler {
            TimeSampler::Window { lo, hi, weight } => {
                TimeSampler::window(lo, hi, weight)?;
            }
            TimeSampler::Band { lo, hi, weight } => {
                TimeSampler::band(lo, hi, weight)?;
            }
            TimeSampler::Uniform => {}
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

/// The authors' optimiser: AdamW (decoupled weight decay), linear warm-up, cosine decay to 0
/// at the end of the budget (`diffusers.optimization.get_cosine_schedule_with_warmup`, half a
/// cycle), gradient-norm clipping.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Optimiser {
    /// Peak learning rate. Default 3e-3, not the authors' 1e-4 (tuned for their 35 M-parameter
    /// U-Net): on this 35 k-parameter MLP the uniform VP model's class-ratio error at 1 600
    /// steps was 0.22 at 1e-3 and 0.03 at 3e-3 (3 seeds, `phaseflow digits compare`).
    pub lr: f32,
    /// Warm-up as a share of the budget (the authors': 500 of 15 × 232 = 3 480 steps).
    pub warmup_share: f64,
    /// AdamW weight decay (`torch.optim.AdamW` default 0.01).
    pub weight_decay: f32,
    /// Gradient-norm clip (the authors' 1.0; 0 = none).
    pub clip: f32,
}

/// The authors' warm-up share 500/3 480.
pub const AUTHORS_WARMUP_SHARE: f64 = 500.0 / 3480.0;

impl Default for Optimiser {
    fn default() -> Self {
        Optimiser {
            lr: 3e-3,
            warmup_share: AUTHORS_WARMUP_SHARE,
            weight_decay: 0.01,
            clip: 1.0,
        }
    }
}

impl Optimiser {
    /// Warm-up steps for a budget: round(share × budget).
    pub fn warmup(&self, budget: usize) -> usize {
        (self.warmup_share * budget as f64).round() as usize
    }

    /// The learning rate of step k (0-based) of a budget of `total` steps: lr·k/W during
    /// the W warm-up steps (0 at k = 0, as `LambdaLR`), then lr·½(1 + cos(π·(k − W)/(total
    /// − W))).
    pub fn rate(&self, k: usize, total: usize) -> f32 {
        let w = self.warmup(total);
        let f = if k < w {
            k as f64 / w.max(1) as f64
        } else {
            let prog = (k - w) as f64 / (total - w).max(1) as f64;
            0.5 * (1.0 + (std::f64::consts::PI * prog).cos())
        };
        (self.lr as f64 * f.max(0.0)) as f32
    }

    /// Check every field, naming its flag.
    ///
    /// # Errors
    /// [`crate::problem::ConfigError`].
    pub fn check(&self) -> Result<(), crate::problem::ConfigError> {
        use crate::problem::ConfigError;
        let lr = self.lr as f64;
        ConfigError::check_range("lr", "positive and finite", lr, lr > 0.0 && lr.is_finite())?;
        let w = self.warmup_share;
        ConfigError::check_range("warmup", "in [0, 1)", w, (0.0..1.0).contains(&w))?;
        let d = self.weight_decay as f64;
        ConfigError::check_range("weight-decay", "in [0, 1)", d, (0.0..1.0).contains(&d))?;
        let c = self.clip as f64;
        ConfigError::check_range(
            "clip",
            "≥ 0 and finite (0 = none)",
            c,
            c >= 0.0 && c.is_finite(),
        )
    }
}

/// One training run of the issue-13 protocol: a budget in optimiser steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepsConfig {
    /// Path and target.
    pub mechanism: Mechanism,
    /// Training-time density.
    pub sampler: TimeSampler,
    /// I.i.d. or stratified per-batch times.
    pub draw: TimeDraw,
    /// Optimiser steps (the budget).
    pub steps: usize,
    /// Mini-batch size (the authors' 32).
    pub batch: usize,
    /// Hidden width.
    pub hidden: usize,
    /// A diagonal input→output skip ([`Mlp::with_skip`]).
    pub skip: bool,
    /// Optimiser and schedule.
    pub optimiser: Optimiser,
    /// Master seed.
    pub seed: u64,
    /// Replica index.
    pub replica: u64,
}

/// Train for `cfg.steps` optimiser steps from `Mlp::new(hidden, seed, replica)`. Epoch e
/// (a shuffled pass over the set in batches of `batch`, the last one partial, as a
/// `DataLoader(shuffle=True)`) draws its order, then per image one uniform u and the noise
/// ε, from stream `(seed, replica, DigitsTrain, e)`: two samplers with the same seed see the
/// same images, noise and uniforms (paired). The time of batch slot j is
/// [`TimeSampler::draw`] of u.
///
/// # Errors
/// A non-finite loss (naming the step as `epoch`).
pub fn train_steps(data: &Unbalanced, cfg: &StepsConfig) -> Result<Mlp, crate::error::Error> {
    let mut net = Mlp::new(cfg.hidden, cfg.seed, cfg.replica);
    if cfg.skip {
        net = net.with_skip();
    }
    let mut adam = Adam::new(net.len(), cfg.optimiser.lr);
    adam.weight_decay = cfg.optimiser.weight_decay;
    let n = data.len();
    let mut k = 0;
    let mut epoch = 0u64;
    // A batch holds at most the n images (`order.chunks`): buffers of that size, so
    // `--batch 18446744073709551615` does not overflow their allocation (issue 24).
    let cap = cfg.batch.min(n.max(1));
    let mut t = vec![0f32; cap];
    let mut xt = vec![0f32; cap * PIXELS];
    let mut y = vec![0f32; cap * PIXELS];
    let mut eps = [0f32; PIXELS];
    while k < cfg.steps {
        let mut rng = stream(cfg.seed, cfg.replica, Purpose::DigitsTrain, epoch);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        for batch in order.chunks(cfg.batch) {
            if k == cfg.steps {
                break;
            }
            let b = batch.len();
            for (slot, &i) in batch.iter().enumerate() {
                let u: f64 = rng.random();
                let ti = cfg.sampler.draw(cfg.draw, u, slot, b) as f32;
                t[slot] = ti;
                for e in eps.iter_mut() {
                    *e = rng.sample(StandardNormal);
                }
                let r = slot * PIXELS..(slot + 1) * PIXELS;
                cfg.mechanism
                    .noised(ti, data.image(i), &eps, &mut xt[r.clone()], &mut y[r]);
            }
            let (loss, mut grad) = net.batch_grad(&t[..b], &xt[..b * PIXELS], &y[..b * PIXELS]);
            if !loss.is_finite() {
                return Err(super::DigitsError::Diverged {
                    epoch: k,
                    loss,
                    seed: cfg.seed,
                    replica: cfg.replica,
                }
                .into());
            }
            if cfg.optimiser.clip > 0.0 {
                clip_grad_norm(&mut grad, cfg.optimiser.clip);
            }
            let lr = cfg.optimiser.rate(k, cfg.steps);
            adam.update_at(&mut net.params, &grad, lr);
            k += 1;
        }
        epoch += 1;
    }
    Ok(net)
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
    fn authors_band_counts_and_density() {
        // Their 32-batch: 4 in [0, 0.2], 16 in [0.2, 0.4], 12 in [0.4, 1] (diffusion time).
        let s = TimeSampler::band(0.2, 0.4, 0.5).unwrap();
        assert_eq!(s.stratified_counts(32), vec![4, 16, 12]);
        assert!((s.density(0.3) - 2.5).abs() < crate::tol::ROUNDOFF);
        assert!((s.density(0.7) - 0.625).abs() < crate::tol::ROUNDOFF);
        let inside = (0..10_000)
            .map(|k| s.inverse_cdf((k as f64 + 0.5) / 10_000.0))
            .filter(|t| (0.2..=0.4).contains(t))
            .count();
        assert_eq!(inside, 5000);
        // Stratified slots land in their pieces whatever u.
        for slot in 0..32 {
            let t = s.draw(TimeDraw::Stratified, 0.999, slot, 32);
            let want = if slot < 4 {
                0.2
            } else if slot < 20 {
                0.4
            } else {
                1.0
            };
            assert!(t <= want && t >= want - 0.6, "slot {slot} t {t}");
        }
        assert_eq!(TimeSampler::Uniform.stratified_counts(30), vec![30]);
    }

    #[test]
    fn schedule_warms_up_and_decays_to_zero() {
        let o = Optimiser::default();
        assert_eq!(o.warmup(3480), 500);
        assert!(o.rate(0, 3480) <= 0.0, "LambdaLR starts at 0");
        assert!((o.rate(250, 3480) - 0.5 * o.lr).abs() < 1e-9);
        assert!((o.rate(500, 3480) - o.lr).abs() < 1e-9);
        assert!(o.rate(3479, 3480) < 1e-8);
        assert!(o.rate(1990, 2000) < o.rate(1000, 2000));
    }

    #[test]
    fn rejects_weight_one_and_empty_window() {
        assert!(TimeSampler::window(0.2, 0.4, 1.0).is_err());
        assert!(TimeSampler::window(0.4, 0.4, 0.5).is_err());
    }
}
