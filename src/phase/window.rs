//! Detection: the window where a profile changes fastest (SPEC §8).
//!
//! Given a [`Curve`] (t_i, v_i, se_i):
//!
//! 1. the steepest segment i* = argmax |v_{i+1} − v_i|/(t_{i+1} − t_i) fixes the direction of
//!    the change (decreasing for the MSE and the U-turn);
//! 2. the **extent** [t_lo, t_hi] of the change is either the whole curve ([`Extent::Whole`],
//!    the convention of SPEC §5.5, which takes the profile from 0 to 20/√d) or, by default,
//!    the maximal run of segments around i* whose slope has the same sign, is at least a
//!    fraction f of the steepest slope and decreases away from i* ([`Extent::Slope`]). The
//!    second is scale-free: it separates the fast change from a slow background (the
//!    within-mode MSE σ²α²/v keeps falling after the jump) without knowing d, stopping at
//!    the valley of the slope between the two. For an erf- or logistic-shaped step,
//!    f = 0.02 leaves out 0.5 %–1 % of the change in the tails. For a noisy profile
//!    (some se > 0) the slopes are first averaged over three neighbouring segments;
//! 3. before = v(t_lo), after = v(t_hi), **jump** = |after − before|;
//! 4. t_q = the first time in [t_lo, t_hi] where the curve has made the fraction q of the
//!    change (linear interpolation between grid points); **centre** = t_50,
//!    **width** = t_90 − t_10.
//!
//! Uncertainty: a parametric bootstrap — B curves v_i + se_i·g_i, g_i ~ N(0, 1) independent,
//! from streams (seed, 0, [`Purpose::Detect`], b) — rerun through steps 1–4; the reported
//! `*_se` are the bootstrap standard deviations (0 for a closed-form profile). Separately,
//! `resolution` is the largest grid spacing inside [t_10, t_90]: a crossing time is only
//! known to about one spacing on a coarse grid.

use super::{Curve, DetectError};
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How far the change extends around its steepest point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Extent {
    /// The whole curve: before = first value, after = last value (SPEC §5.5 convention).
    Whole,
    /// Segments around the steepest one whose slope is at least `fraction` × the steepest and
    /// decreases away from it (module doc).
    Slope {
        /// f ∈ (0, 1). Default 0.02.
        fraction: f64,
    },
}

impl Default for Extent {
    fn default() -> Self {
        Extent::Slope { fraction: 0.02 }
    }
}

/// Direction of the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The profile falls across the window.
    Decreasing,
    /// The profile rises across the window.
    Increasing,
}

/// Detection settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detector {
    /// Extent rule. Default [`Extent::Slope`] with f = 0.02.
    pub extent: Extent,
    /// Bootstrap replicates B. Default 200 (SE of an SE ≈ 5 %); 0 disables the bootstrap.
    pub bootstrap: usize,
    /// Seed of the bootstrap streams.
    pub seed: u64,
}

impl Default for Detector {
    fn default() -> Self {
        Self {
            extent: Extent::default(),
            bootstrap: 200,
            seed: 0,
        }
    }
}

/// A detected window (all times on the profile's own schedule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// t_50: where the profile has made half its change.
    pub centre: f64,
    /// t_90 − t_10.
    pub width: f64,
    /// |after − before|, the total change over the extent.
    pub jump: f64,
    /// t_10.
    pub t10: f64,
    /// t_90.
    pub t90: f64,
    /// Start of the extent of the change.
    pub t_lo: f64,
    /// End of the extent of the change.
    pub t_hi: f64,
    /// Profile value at t_lo.
    pub before: f64,
    /// Profile value at t_hi.
    pub after: f64,
    /// Direction of the change.
    pub direction: Direction,
    /// Bootstrap standard deviation of the centre (0 without noise).
    pub centre_se: f64,
    /// Bootstrap standard deviation of the width.
    pub width_se: f64,
    /// Bootstrap standard deviation of the jump.
    pub jump_se: f64,
    /// Largest grid spacing inside [t_10, t_90] (interpolation resolution of the times).
    pub resolution: f64,
    /// Bootstrap replicates used.
    pub bootstrap: usize,
}

struct Point {
    centre: f64,
    width: f64,
    jump: f64,
    t10: f64,
    t90: f64,
    lo: usize,
    hi: usize,
    before: f64,
    after: f64,
    direction: Direction,
}

/// The smallest change of a profile, relative to its scale, that is detected.
pub const FLAT: f64 = 1e-12;

fn detect_values(t: &[f64], v: &[f64], extent: Extent, smooth: bool) -> Result<Point, DetectError> {
    let n = t.len();
    let raw: Vec<f64> = (0..n - 1)
        .map(|i| (v[i + 1] - v[i]) / (t[i + 1] - t[i]))
        .collect();
    // A noisy profile's slopes are averaged over three segments before the peak and the
    // valleys are located, so that one noisy segment neither fakes a peak nor ends the walk.
    let slopes: Vec<f64> = if smooth {
        (0..raw.len())
            .map(|i| {
                let (a, b) = (i.saturating_sub(1), (i + 1).min(raw.len() - 1));
                raw[a..=b].iter().sum::<f64>() / (b - a + 1) as f64
            })
            .collect()
    } else {
        raw
    };
    let (istar, smax) = slopes.iter().enumerate().fold((0, 0.0f64), |acc, (i, &s)| {
        if s.abs() > acc.1.abs() { (i, s) } else { acc }
    });
    if smax.abs() <= 0.0 || !smax.is_finite() {
        return Err(DetectError::NoChange);
    }
    let (lo, hi) = match extent {
        Extent::Whole => (0, n - 1),
        Extent::Slope { fraction } => {
            // Walk away from the steepest segment while the slope (in the direction of the
            // change) stays above f·max and keeps decreasing: the walk stops at the valley
            // between this change and a slower background (the within-mode MSE σ²α²/v at
            // small d), or where the slope has decayed to f·max.
            let g = |i: usize| slopes[i] * smax.signum();
            let floor = fraction * smax.abs();
            let mut lo = istar;
            while lo > 0 && g(lo - 1) >= floor && g(lo - 1) <= g(lo) {
                lo -= 1;
            }
            let mut hi = istar;
            while hi + 1 < slopes.len() && g(hi + 1) >= floor && g(hi + 1) <= g(hi) {
                hi += 1;
            }
            (lo, hi + 1)
        }
    };
    let (before, after) = (v[lo], v[hi]);
    let change = after - before;
    // A change below FLAT of the curve's scale (at least 1: profiles are O(1) quantities)
    // is rounding, not a transition (issue 24: the U-turn at p = 1e-300 changes by 4e-220
    // and was reported as a window).
    let scale = v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
    if change.abs() <= FLAT * scale {
        return Err(DetectError::NoChange);
    }
    let direction = if change < 0.0 {
        Direction::Decreasing
    } else {
        Direction::Increasing
    };
    // Progress of the change, 0 at t_lo and 1 at t_hi.
    let prog = |i: usize| (v[i] - before) / change;
    let crossing = |q: f64| {
        for i in lo..hi {
            let (a, b) = (prog(i), prog(i + 1));
            if b >= q {
                let f = if b > a {
                    ((q - a) / (b - a)).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                return t[i] + f * (t[i + 1] - t[i]);
            }
        }
        t[hi]
    };
    let (t10, t50, t90) = (crossing(0.1), crossing(0.5), crossing(0.9));
    Ok(Point {
        centre: t50,
        width: t90 - t10,
        jump: change.abs(),
        t10,
        t90,
        lo,
        hi,
        before,
        after,
        direction,
    })
}

fn sd(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Locate the window where `curve` changes fastest (see the module doc).
///
/// # Errors
/// [`DetectError::NoChange`] for a flat curve; [`DetectError::OutOfRange`] for a slope
/// fraction outside (0, 1).
///
/// ```
/// use phaseflow::phase::{Curve, Detector, ProfilePoint, detect};
/// // A logistic step of width scale 0.01 centred at 0.3.
/// let pts = (0..=1000).map(|i| {
///     let t = i as f64 / 1000.0;
///     ProfilePoint { t, value: 1.0 / (1.0 + ((t - 0.3) / 0.01).exp()), se: 0.0 }
/// }).collect();
/// let w = detect(&Curve::new(pts).unwrap(), &Detector::default()).unwrap();
/// assert!((w.centre - 0.3).abs() < 1e-3);
/// // logistic: t_90 − t_10 = 2·ln 9·scale = 0.0439
/// assert!((w.width - 0.0439).abs() < 2e-3, "{}", w.width);
/// ```
pub fn detect(curve: &Curve, det: &Detector) -> Result<Window, DetectError> {
    if let Extent::Slope { fraction } = det.extent {
        super::error::check_range(
            "fraction",
            "in (0, 1)",
            fraction,
            fraction > 0.0 && fraction < 1.0,
        )?;
    }
    let t = curve.t();
    let v = curve.values();
    let se = curve.se();
    let noisy = se.iter().any(|&s| s > 0.0);
    let p = detect_values(&t, &v, det.extent, noisy)?;
    let b = if noisy { det.bootstrap } else { 0 };
    let reps: Vec<Option<(f64, f64, f64)>> = (0..b)
        .into_par_iter()
        .map(|r| {
            let mut rng = stream(det.seed, 0, Purpose::Detect, r as u64);
            let vb: Vec<f64> = v
                .iter()
                .zip(&se)
                .map(|(&x, &s)| x + s * rng.sample::<f64, _>(StandardNormal))
                .collect();
            detect_values(&t, &vb, det.extent, true)
                .ok()
                .map(|q| (q.centre, q.width, q.jump))
        })
        .collect();
    let ok: Vec<(f64, f64, f64)> = reps.into_iter().flatten().collect();
    let (centre_se, width_se, jump_se) = if ok.len() >= 2 {
        let c: Vec<f64> = ok.iter().map(|x| x.0).collect();
        let w: Vec<f64> = ok.iter().map(|x| x.1).collect();
        let j: Vec<f64> = ok.iter().map(|x| x.2).collect();
        (sd(&c), sd(&w), sd(&j))
    } else {
        (0.0, 0.0, 0.0)
    };
    let resolution = (p.lo..p.hi)
        .filter(|&i| t[i + 1] >= p.t10 && t[i] <= p.t90)
        .map(|i| t[i + 1] - t[i])
        .fold(0.0, f64::max);
    Ok(Window {
        centre: p.centre,
        width: p.width,
        jump: p.jump,
        t10: p.t10,
        t90: p.t90,
        t_lo: t[p.lo],
        t_hi: t[p.hi],
        before: p.before,
        after: p.after,
        direction: p.direction,
        centre_se,
        width_se,
        jump_se,
        resolution,
        bootstrap: ok.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::ProfilePoint;

    fn step(noise: f64) -> Curve {
        let mut rng = stream(3, 0, Purpose::Test, 0);
        Curve::new(
            (0..=400)
                .map(|i| {
                    let t = i as f64 / 400.0;
                    let v = 2.0 - (0.5 * (1.0 + libm_erf((t - 0.5) / 0.05)))
                        + noise * rng.sample::<f64, _>(StandardNormal);
                    ProfilePoint {
                        t,
                        value: v,
                        se: noise,
                    }
                })
                .collect(),
        )
        .unwrap()
    }

    fn libm_erf(x: f64) -> f64 {
        statrs::function::erf::erf(x)
    }

    #[test]
    fn erf_step_is_located_exactly() {
        // v = 2 − Φ-step of scale 0.05/√2·…: erf((t − 0.5)/0.05) reaches ±0.8 at
        // |t − 0.5| = 0.05·erfinv(0.8) = 0.05·0.906194 → width 0.0906194.
        let w = detect(&step(0.0), &Detector::default()).unwrap();
        assert!((w.centre - 0.5).abs() < 1e-3, "{w:?}");
        assert!((w.width - 0.090_619).abs() < 2e-3, "{w:?}");
        assert!((w.jump - 1.0).abs() < 0.01, "{w:?}");
        assert_eq!(w.direction, Direction::Decreasing);
        assert_eq!(w.bootstrap, 0);
        assert!(w.centre_se.abs() < 1e-300);
    }

    #[test]
    fn bootstrap_gives_an_uncertainty_and_is_reproducible() {
        let det = Detector {
            extent: Extent::Whole,
            ..Detector::default()
        };
        let a = detect(&step(0.01), &det).unwrap();
        let b = detect(&step(0.01), &det).unwrap();
        assert_eq!(a, b);
        assert!(a.centre_se > 0.0 && a.centre_se < 0.01, "{a:?}");
        assert!((a.centre - 0.5).abs() < 5.0 * a.centre_se + 2.5e-3, "{a:?}");
    }

    #[test]
    fn flat_curve_is_rejected() {
        let c = Curve::new(
            (0..10)
                .map(|i| ProfilePoint {
                    t: i as f64,
                    value: 1.0,
                    se: 0.0,
                })
                .collect(),
        )
        .unwrap();
        assert_eq!(detect(&c, &Detector::default()), Err(DetectError::NoChange));
    }
}
