//! Detection under noise (issue 25, the seed's second next check): the t₅₀ of a noisy,
//! falling profile from a weighted isotonic (monotone) fit, with a parametric-bootstrap
//! interval.
//!
//! * **Fit**: weighted least squares under the constraint "non-increasing" (the pool-adjacent-
//!   violators algorithm, weights 1/se²): [`isotonic_decreasing`].
//! * **t₅₀**: where the fit crosses the midpoint of its first and last values, by linear
//!   interpolation between grid times; a flat run at the level gives its midpoint
//!   ([`fitted_t50`]).
//! * **Interval**: B parametric-bootstrap curves y* = fit + se·z (z ~ N(0, 1), one stream per
//!   replicate: seed, replicate, [`Purpose::Detect`]), each refitted; the percentile interval
//!   of their t₅₀ at the requested level ([`noisy_t50`]).
//!
//! The Monte-Carlo check of bias and coverage is `tests/detect_noise.rs`.

use super::Curve;
use crate::rng::Purpose;
use crate::rng::normal::Normals;
use serde::{Deserialize, Serialize};

/// The weighted least-squares non-increasing fit of `y` with weights `w` > 0 (pool adjacent
/// violators; O(n)).
pub fn isotonic_decreasing(y: &[f64], w: &[f64]) -> Vec<f64> {
    // Blocks of (weighted mean, weight, length), kept non-increasing.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(y.len());
    for (&yi, &wi) in y.iter().zip(w) {
        let mut cur = (yi, wi, 1usize);
        while let Some(&(m, wt, n)) = blocks.last() {
            if m >= cur.0 {
                break;
            }
            blocks.pop();
            let tw = wt + cur.1;
            cur = ((m * wt + cur.0 * cur.1) / tw, tw, n + cur.2);
        }
        blocks.push(cur);
    }
    blocks
        .into_iter()
        .flat_map(|(m, _, n)| std::iter::repeat_n(m, n))
        .collect()
}

/// The time where the non-increasing `fit` on `t` crosses the midpoint of its first and last
/// values (linear interpolation; the middle of a flat run at that level); `None` if the fit
/// is flat.
pub fn fitted_t50(t: &[f64], fit: &[f64]) -> Option<f64> {
    let (first, last) = (fit[0], fit[fit.len() - 1]);
    if first <= last {
        return None;
    }
    let level = 0.5 * (first + last);
    // first index at or below the level, last index at or above it
    let hi = fit.iter().position(|&v| v <= level)?;
    let lo = fit.iter().rposition(|&v| v >= level)?;
    if lo >= hi {
        // a flat run exactly at the level spans [hi, lo]
        return Some(0.5 * (t[hi] + t[lo]));
    }
    let (a, b) = (hi - 1, hi);
    let f = (fit[a] - level) / (fit[a] - fit[b]);
    Some(t[a] + f * (t[b] - t[a]))
}

/// The t₅₀ of a noisy profile with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoisyT50 {
    /// t₅₀ of the isotonic fit of the data.
    pub t50: f64,
    /// Percentile interval of the bootstrap t₅₀.
    pub ci: [f64; 2],
    /// Bootstrap standard deviation of t₅₀.
    pub se: f64,
    /// Bootstrap replicates with a defined t₅₀.
    pub replicates: usize,
}

/// Fit, t₅₀ and a `level` percentile interval from `bootstrap` parametric replicates (module
/// doc); the curve's `se` are the noise standard deviations (all > 0). `None` if the fit is
/// flat.
pub fn noisy_t50(curve: &Curve, bootstrap: usize, level: f64, seed: u64) -> Option<NoisyT50> {
    let t = curve.t();
    let se = curve.se();
    let w: Vec<f64> = se.iter().map(|s| 1.0 / (s * s)).collect();
    let fit = isotonic_decreasing(&curve.values(), &w);
    let t50 = fitted_t50(&t, &fit)?;
    let mut z = vec![0.0; t.len()];
    let mut boot: Vec<f64> = (0..bootstrap)
        .filter_map(|b| {
            let mut g = Normals::<f64>::new(seed, b as u64, Purpose::Detect, 1);
            g.fill(&mut z);
            let y: Vec<f64> = fit
                .iter()
                .zip(&se)
                .zip(&z)
                .map(|((f, s), z)| f + s * z)
                .collect();
            fitted_t50(&t, &isotonic_decreasing(&y, &w))
        })
        .collect();
    boot.sort_by(f64::total_cmp);
    let n = boot.len();
    if n < 2 {
        return None;
    }
    let q = |p: f64| boot[((p * (n - 1) as f64).round() as usize).min(n - 1)];
    let mean = boot.iter().sum::<f64>() / n as f64;
    let var = boot.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    Some(NoisyT50 {
        t50,
        ci: [q(0.5 * (1.0 - level)), q(0.5 * (1.0 + level))],
        se: var.sqrt(),
        replicates: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pava_pools_violators_with_weights() {
        let fit = isotonic_decreasing(&[3.0, 1.0, 2.0, 0.0], &[1.0, 1.0, 3.0, 1.0]);
        // 1 and 2 (weights 1, 3) pool to 1.75
        assert_eq!(fit, vec![3.0, 1.75, 1.75, 0.0]);
        let already = [5.0, 4.0, 4.0, 1.0];
        assert_eq!(isotonic_decreasing(&already, &[1.0; 4]), already.to_vec());
    }

    #[test]
    fn t50_interpolates_and_handles_flat_runs() {
        let t = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(fitted_t50(&t, &[1.0, 1.0, 0.0, 0.0]), Some(1.5));
        assert_eq!(fitted_t50(&t, &[1.0, 0.5, 0.5, 0.0]), Some(1.5));
        assert_eq!(fitted_t50(&t, &[1.0, 0.75, 0.25, 0.0]), Some(1.5));
        assert_eq!(fitted_t50(&t, &[1.0, 1.0, 1.0, 1.0]), None);
    }
}
