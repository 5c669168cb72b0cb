//! The U-turn profile (SPEC §8) with the "0 vs 1" classifier as the feature, and the window
//! where the class is decided.
//!
//! For each start time t on a grid and each of M pairs (x₁ from the unbalanced set, x₀ ~ N(0,
//! I)), noise x₁ to x_t = (1 − t)x₀ + t·x₁, integrate the learned flow from t to 1 and record
//! whether class(x̂) ≠ class(x₁). The curve U(t) is the mismatch share with its binomial SE
//! √(U(1 − U)/M). Pair m uses image m mod n and the same x₀ at every t (common random
//! numbers make the curve smooth in t). At t = 0 the result is independent of x₁, so
//! U(0) = 2q(1 − q) for a generated share q of zeros (0.32 at q = 0.8); as t → 1, U → 0.
//!
//! The curve is plain data `(t, value, se)`; the window comes from the crate's phase
//! detection ([`crate::phase::detect`] over the whole curve: t₁₀/t₉₀ crossings of 10 % and
//! 90 % of the drop U(0) − U(t_last), centre t₅₀ and width with parametric-bootstrap SEs). A window only counts as found when the curve
//! falls, by more than [`JUMP_Z`] bootstrap SEs.

use super::data::{PIXELS, Unbalanced};
use super::mechanism::Sampling;
use super::net::{Mlp, Workspace};
use crate::phase::Feature;
use crate::rng::{Purpose, stream};
use crate::stats::binomial_se;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Pairs per work chunk (and per random stream).
pub(crate) const PAIR_CHUNK: usize = 32;
/// A window is "found" when the detected drop exceeds this many bootstrap SEs.
pub const JUMP_Z: f64 = 5.0;
/// Bootstrap replicates of the window's uncertainty.
pub const BOOTSTRAP: usize = 200;

pub use crate::phase::Window;

/// A profile over t: value and standard error per grid point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UTurnCurve {
    /// Grid times.
    pub t: Vec<f64>,
    /// Mismatch share U(t).
    pub value: Vec<f64>,
    /// Binomial SE of each value.
    pub se: Vec<f64>,
    /// Pairs per point M.
    pub pairs: usize,
}

/// U-turn settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UTurnConfig {
    /// Start times, increasing, in [0, 1).
    pub grid: Vec<f64>,
    /// Pairs M per start time.
    pub pairs: usize,
    /// Euler steps over [0, 1].
    pub steps: usize,
    /// Master seed.
    pub seed: u64,
    /// Negative control: compare class(x̂) with the class of a different image
    /// (index m + n/2 mod n), which must give a flat curve and no window.
    pub control: bool,
}

impl UTurnConfig {
    /// Grid 0, 1/points, …, (points − 1)/points.
    pub fn uniform_grid(points: usize) -> Vec<f64> {
        (0..points).map(|i| i as f64 / points as f64).collect()
    }
}

/// The U-turn curve of `net` on `data` with any [`Feature`] of the normalised image (for the
/// digits: [`super::classifier::DigitClass`]), linear path and Euler ODE (issue 8).
pub fn curve<F: Feature>(
    net: &Mlp,
    data: &Unbalanced,
    feature: &F,
    cfg: &UTurnConfig,
) -> UTurnCurve {
    let all: Vec<usize> = (0..data.len()).collect();
    curve_with(
        net,
        &Sampling::linear_ode(cfg.steps),
        data,
        &all,
        feature,
        cfg,
    )
}

/// The U-turn curve with any [`Sampling`] over the images `images` of `data` (all of them
/// for the pooled curve, one class for a per-class curve): pair m uses image
/// `images[m mod len]`, noised to x_t = α(t)ε + β(t)x₁ (the exact forward marginal) and
/// integrated back to t = 1. The stream of chunk c draws each pair's ε, then the
/// sampler's Brownian increments grid point by grid point. `cfg.steps` is ignored (the
/// sampling carries its steps). With `cfg.control` the partner is
/// `images[(m + len/2) mod len]`.
pub fn curve_with<F: Feature>(
    net: &Mlp,
    sampling: &Sampling,
    data: &Unbalanced,
    images: &[usize],
    feature: &F,
    cfg: &UTurnConfig,
) -> UTurnCurve {
    let n = images.len();
    let k = cfg.grid.len();
    let feature = |x: &[f32]| {
        let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        feature.label(&xd)
    };
    let counts: Vec<Vec<u32>> = (0..cfg.pairs.div_ceil(PAIR_CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut rng = stream(cfg.seed, 0, Purpose::DigitsUTurn, c as u64);
            let mut ws = Workspace::new(net.hidden);
            let mut count = vec![0u32; k];
            let mut x0 = [0f32; PIXELS];
            let mut x = [0f32; PIXELS];
            let mut y = [0f32; PIXELS];
            for m in c * PAIR_CHUNK..((c + 1) * PAIR_CHUNK).min(cfg.pairs) {
                let i = m % n;
                let x1 = data.image(images[i]);
                let partner = if cfg.control {
                    images[(i + n / 2) % n]
                } else {
                    images[i]
                };
                let want = feature(data.image(partner));
                for v in x0.iter_mut() {
                    *v = rng.sample(StandardNormal);
                }
                for (j, &t) in cfg.grid.iter().enumerate() {
                    let tf = t as f32;
                    sampling.mechanism.noised(tf, x1, &x0, &mut x, &mut y);
                    sampling.integrate(net, &mut x, tf, &mut rng, &mut ws);
                    count[j] += u32::from(feature(&x) != want);
                }
            }
            count
        })
        .collect();
    let m = cfg.pairs as f64;
    let mut value = vec![0f64; k];
    for c in &counts {
        for j in 0..k {
            value[j] += c[j] as f64;
        }
    }
    value.iter_mut().for_each(|v| *v /= m);
    let se = value.iter().map(|&u| binomial_se(u, m)).collect();
    UTurnCurve {
        t: cfg.grid.clone(),
        value,
        se,
        pairs: cfg.pairs,
    }
}

impl UTurnCurve {
    /// The curve as a detection profile.
    ///
    /// # Errors
    /// [`crate::phase::DetectError::BadCurve`] for fewer than three points.
    pub fn to_profile(&self) -> Result<crate::phase::Curve, crate::phase::DetectError> {
        crate::phase::Curve::new(
            (0..self.t.len())
                .map(|i| crate::phase::ProfilePoint {
                    t: self.t[i],
                    value: self.value[i],
                    se: self.se[i],
                })
                .collect(),
        )
    }
}

/// The window where U falls (crate::phase with its default extent rule, bootstrap from
/// streams `(seed, 0, Detect, b)`), or `None` when the curve does not fall or the drop is
/// within [`JUMP_Z`] bootstrap SEs (a flat curve's noise).
pub fn detect(c: &UTurnCurve, seed: u64) -> Option<Window> {
    // Extent::Whole: SPEC §8 defines the U-turn window by the fall from the t = 0 level to
    // near 0, i.e. over the whole curve. The default slope-based extent stops at the first
    // noise dip of the slope on this gradual, binomially noisy decline (at 30 reference
    // epochs it kept only t ≤ 0.125 and half the drop), which is a different window.
    let det = crate::phase::Detector {
        extent: crate::phase::Extent::Whole,
        bootstrap: BOOTSTRAP,
        seed,
    };
    let w = crate::phase::detect(&c.to_profile().ok()?, &det).ok()?;
    let falls = w.direction == crate::phase::Direction::Decreasing;
    // `>` is false for NaN, so a NaN jump also counts as "no window".
    let significant = w.jump > JUMP_Z * w.jump_se;
    (falls && significant).then_some(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logistic_curve(c: f64, s: f64) -> UTurnCurve {
        let t: Vec<f64> = (0..40).map(|i| i as f64 / 40.0).collect();
        let value: Vec<f64> = t
            .iter()
            .map(|t| 0.32 / (1.0 + ((t - c) / s).exp()))
            .collect();
        let se = value.iter().map(|&u| binomial_se(u, 1000.0)).collect();
        UTurnCurve {
            t,
            value,
            se,
            pairs: 1000,
        }
    }

    #[test]
    fn detect_recovers_a_logistic_window() {
        // U = U₀/(1 + e^{(t−c)/s}): centre c, t₉₀ − t₁₀ = 2·ln 9·s = 0.132; tolerance one
        // grid spacing (0.025).
        let w = detect(&logistic_curve(0.3, 0.03), 1).unwrap();
        assert!((w.centre - 0.3).abs() < 0.025, "{w:?}");
        assert!((w.width - 2.0 * 9f64.ln() * 0.03).abs() < 0.025, "{w:?}");
    }

    #[test]
    fn detect_rejects_a_flat_curve() {
        let mut c = logistic_curve(0.3, 0.03);
        // Flat at 0.32 with binomial-size wiggles (±0.01, M = 1000).
        for (i, v) in c.value.iter_mut().enumerate() {
            *v = 0.32 + if i % 2 == 0 { 0.01 } else { -0.01 };
        }
        assert!(detect(&c, 1).is_none());
    }
}
