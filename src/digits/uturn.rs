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
//! The curve is plain data `(t, value, se)` so the phase-detection module can consume it.
//! The window detector here is deliberately simple: linear-interpolated crossings of
//! `HIGH·U(0)` and `LOW·U(0)`, with delta-method SEs.
// TODO(detect): switch the window to crate::detect (Profile/Feature traits) once merged.

use super::classifier::Classifier;
use super::data::{PIXELS, Unbalanced};
use super::flow::integrate;
use super::net::{Mlp, Workspace};
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Pairs per work chunk (and per random stream).
pub const PAIR_CHUNK: usize = 32;
/// Stream offset of the U-turn noise inside `DigitsGenerate`, far above any generation chunk.
pub const STREAM_BASE: u64 = 1 << 40;
/// Start of the window: U has fallen to this share of U(0).
pub const HIGH: f64 = 0.9;
/// End of the window: U has fallen to this share of U(0).
pub const LOW: f64 = 0.1;
/// A window is "found" when the drop U(0) − U(t_last) exceeds this many SEs.
pub const JUMP_Z: f64 = 5.0;

/// A profile over t: value and standard error per grid point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Grid times.
    pub t: Vec<f64>,
    /// Mismatch share U(t).
    pub value: Vec<f64>,
    /// Binomial SE of each value.
    pub se: Vec<f64>,
    /// Pairs per point M.
    pub pairs: usize,
}

/// The window where the class is decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// t where U crosses HIGH·U(0).
    pub start: f64,
    /// Its SE.
    pub start_se: f64,
    /// t where U crosses LOW·U(0).
    pub end: f64,
    /// Its SE.
    pub end_se: f64,
    /// (start + end)/2.
    pub centre: f64,
    /// Its SE (crossings treated as independent: an approximation).
    pub centre_se: f64,
    /// end − start.
    pub width: f64,
    /// Its SE (same approximation).
    pub width_se: f64,
    /// U(0) − U(t_last).
    pub jump: f64,
    /// Its SE.
    pub jump_se: f64,
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

/// The U-turn curve of `net` on `data` with feature `clf`.
pub fn curve(net: &Mlp, data: &Unbalanced, clf: &Classifier, cfg: &UTurnConfig) -> Curve {
    let n = data.len();
    let k = cfg.grid.len();
    let feature = |x: &[f32]| {
        let mut raw = [0f32; PIXELS];
        data.denormalise(x, &mut raw);
        clf.class(&raw)
    };
    let counts: Vec<Vec<u32>> = (0..cfg.pairs.div_ceil(PAIR_CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut rng = stream(cfg.seed, 0, Purpose::DigitsGenerate, STREAM_BASE + c as u64);
            let mut ws = Workspace::new(net.hidden);
            let mut count = vec![0u32; k];
            let mut x0 = [0f32; PIXELS];
            let mut x = [0f32; PIXELS];
            for m in c * PAIR_CHUNK..((c + 1) * PAIR_CHUNK).min(cfg.pairs) {
                let i = m % n;
                let x1 = data.image(i);
                let partner = if cfg.control { (i + n / 2) % n } else { i };
                let want = feature(data.image(partner));
                for v in x0.iter_mut() {
                    *v = rng.sample(StandardNormal);
                }
                for (j, &t) in cfg.grid.iter().enumerate() {
                    let tf = t as f32;
                    for p in 0..PIXELS {
                        x[p] = (1.0 - tf) * x0[p] + tf * x1[p];
                    }
                    integrate(net, &mut x, tf, cfg.steps, &mut ws);
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
    let se = value.iter().map(|u| (u * (1.0 - u) / m).sqrt()).collect();
    Curve {
        t: cfg.grid.clone(),
        value,
        se,
        pairs: cfg.pairs,
    }
}

/// First downward crossing of `level` after index 0, with its delta-method SE
/// √(se_U(t*)² + q²·se_U(0)²)/|slope| (the level is q·U(0), so it carries U(0)'s error).
fn crossing(c: &Curve, level: f64, q: f64) -> Option<(f64, f64)> {
    for i in 1..c.t.len() {
        if c.value[i] <= level && c.value[i - 1] > level {
            let (t0, t1) = (c.t[i - 1], c.t[i]);
            let (u0, u1) = (c.value[i - 1], c.value[i]);
            let f = (u0 - level) / (u0 - u1);
            let t = t0 + f * (t1 - t0);
            let slope = (u1 - u0) / (t1 - t0);
            let se_u = (1.0 - f) * c.se[i - 1] + f * c.se[i];
            let se = (se_u * se_u + q * q * c.se[0] * c.se[0]).sqrt() / slope.abs();
            return Some((t, se));
        }
    }
    None
}

/// The window where U falls from HIGH·U(0) to LOW·U(0), or `None` when the curve does not
/// fall by more than [`JUMP_Z`] SEs or never reaches LOW·U(0).
pub fn detect(c: &Curve) -> Option<Window> {
    let last = c.t.len().checked_sub(1)?;
    let u0 = c.value[0];
    let jump = u0 - c.value[last];
    let jump_se = (c.se[0].powi(2) + c.se[last].powi(2)).sqrt();
    // `<=` is false for NaN, so a NaN jump also counts as "no window".
    if jump.is_nan() || jump <= JUMP_Z * jump_se {
        return None;
    }
    let (start, start_se) = crossing(c, HIGH * u0, HIGH)?;
    let (end, end_se) = crossing(c, LOW * u0, LOW)?;
    if end < start {
        return None;
    }
    let both = (start_se.powi(2) + end_se.powi(2)).sqrt();
    Some(Window {
        start,
        start_se,
        end,
        end_se,
        centre: 0.5 * (start + end),
        centre_se: 0.5 * both,
        width: end - start,
        width_se: both,
        jump,
        jump_se,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logistic_curve(c: f64, s: f64) -> Curve {
        let t: Vec<f64> = (0..40).map(|i| i as f64 / 40.0).collect();
        let value: Vec<f64> = t
            .iter()
            .map(|t| 0.32 / (1.0 + ((t - c) / s).exp()))
            .collect();
        let se = value
            .iter()
            .map(|u| (u * (1.0 - u) / 1000.0).sqrt())
            .collect();
        Curve {
            t,
            value,
            se,
            pairs: 1000,
        }
    }

    #[test]
    fn detect_recovers_a_logistic_window() {
        // U = U₀/(1 + e^{(t−c)/s}) crosses q·U₀ at t = c + s·ln(1/q − 1) (U₀ ≈ value at 0).
        let w = detect(&logistic_curve(0.3, 0.03)).unwrap();
        let want = |q: f64| 0.3 + 0.03 * (1.0 / q - 1.0f64).ln();
        assert!((w.start - want(HIGH)).abs() < 0.01, "{w:?}");
        assert!((w.end - want(LOW)).abs() < 0.01, "{w:?}");
    }

    #[test]
    fn detect_rejects_a_flat_curve() {
        let mut c = logistic_curve(0.3, 0.03);
        c.value.iter_mut().for_each(|v| *v = 0.32);
        assert!(detect(&c).is_none());
    }
}
