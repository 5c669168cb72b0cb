//! The phase-aware schedule as a time-sampling density (issue 25), for trainers that draw a
//! random time per example instead of walking a grid.
//!
//! A warp τ(t) on [0, T_end] with the grid uniform in t spends a share Δt/T_end of the grid
//! on each piece [τ_lo, τ_hi]. A trainer that draws the interpolation time τ (its own "t" if
//! it uses x_τ = (1 − τ)·x0 + τ·x1 or any path in τ) from the piecewise-constant density
//!
//! p(τ) = (Δt/T_end)/(τ_hi − τ_lo) on each piece,
//!
//! spends the same share of its examples there. Drawing is inverse-CDF sampling, and the
//! inverse CDF is the warp itself: τ = τ(T_end·U), U ~ Uniform(0, 1) ([`TimeDensity::quantile`]).
//!
//! ```
//! use phaseflow::phase::TimeDensity;
//! // The paper's dilation at d = 10 000 as a density: [0, 0.02] gets half the draws.
//! let p = TimeDensity::from_knots(&[(0.0, 0.0), (1.0, 0.02), (2.0, 1.0)]).unwrap();
//! assert!((p.density(0.01) - 25.0).abs() < 1e-12); // 0.5 / 0.02
//! assert!((p.cdf(0.02) - 0.5).abs() < 1e-12);
//! assert!((p.quantile(0.5) - 0.02).abs() < 1e-12);
//! ```

use super::DetectError;
use super::error::check_range;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One piece of the density: p(τ) = `density` on [`tau_lo`, `tau_hi`), carrying `mass`.
///
/// [`tau_lo`]: DensitySegment::tau_lo
/// [`tau_hi`]: DensitySegment::tau_hi
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DensitySegment {
    /// Start of the piece in τ.
    pub tau_lo: f64,
    /// End of the piece in τ.
    pub tau_hi: f64,
    /// p(τ) on the piece.
    pub density: f64,
    /// Probability of the piece (its share of the grid).
    pub mass: f64,
}

/// A piecewise-constant density of the interpolation time τ on [0, 1] (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeDensity {
    /// The pieces, in increasing τ, covering [0, 1].
    pub segments: Vec<DensitySegment>,
}

impl TimeDensity {
    /// The density of a warp given by its knots (t, τ): t increasing from 0, τ strictly
    /// increasing from 0 to 1.
    ///
    /// # Errors
    /// [`DetectError::OutOfRange`] naming `knots` if they are not of that form.
    pub fn from_knots(knots: &[(f64, f64)]) -> Result<Self, DetectError> {
        let bad = |v: f64, rule| check_range("knots", rule, v, false);
        if knots.len() < 2 {
            bad(knots.len() as f64, "at least two (t, τ) points")?;
        }
        let (t0, tau0) = knots[0];
        let (t_end, tau_end) = knots[knots.len() - 1];
        check_range("knots", "starting at t = 0", t0, t0 == 0.0)?;
        check_range("knots", "starting at τ = 0", tau0, tau0 == 0.0)?;
        check_range(
            "knots",
            "ending at τ = 1",
            tau_end,
            (tau_end - 1.0).abs() <= f64::EPSILON,
        )?;
        let mut segments = Vec::with_capacity(knots.len() - 1);
        for w in knots.windows(2) {
            let ((ta, xa), (tb, xb)) = (w[0], w[1]);
            check_range("knots", "strictly increasing in t", tb, tb > ta)?;
            check_range("knots", "strictly increasing in τ", xb, xb > xa)?;
            let mass = (tb - ta) / t_end;
            segments.push(DensitySegment {
                tau_lo: xa,
                tau_hi: xb,
                density: mass / (xb - xa),
                mass,
            });
        }
        Ok(Self { segments })
    }

    /// p(τ) (0 outside [0, 1]; the right piece at a knot).
    pub fn density(&self, tau: f64) -> f64 {
        self.segments
            .iter()
            .find(|s| tau >= s.tau_lo && tau < s.tau_hi)
            .or_else(|| {
                self.segments
                    .last()
                    .filter(|s| tau.partial_cmp(&s.tau_hi) == Some(std::cmp::Ordering::Equal))
            })
            .map_or(0.0, |s| s.density)
    }

    /// P(τ′ ≤ τ).
    pub fn cdf(&self, tau: f64) -> f64 {
        let mut c = 0.0;
        for s in &self.segments {
            if tau >= s.tau_hi {
                c += s.mass;
            } else {
                if tau > s.tau_lo {
                    c += s.density * (tau - s.tau_lo);
                }
                break;
            }
        }
        c.min(1.0)
    }

    /// The inverse CDF: τ with P(τ′ ≤ τ) = u, u ∈ [0, 1] (τ = τ(T_end·u) of the warp).
    pub fn quantile(&self, u: f64) -> f64 {
        let mut c = 0.0;
        for s in &self.segments {
            if u <= c + s.mass {
                return s.tau_lo + (u - c) / s.density;
            }
            c += s.mass;
        }
        1.0
    }

    /// The table `tau_lo tau_hi density mass`, one piece a line, with a header.
    pub fn table(&self) -> String {
        let mut s = String::from("tau_lo tau_hi density mass\n");
        for g in &self.segments {
            let _ = writeln!(
                s,
                "{:.9} {:.9} {:.9} {:.9}",
                g.tau_lo, g.tau_hi, g.density, g.mass
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::phase_aware;
    use crate::rng::{Purpose, stream};
    use crate::schedule::Schedule;
    use rand::Rng;

    #[test]
    fn density_integrates_to_one_and_its_quantile_is_the_warp() {
        let s = phase_aware((0.01, 0.05), 0.6, 1.0).unwrap();
        let p = TimeDensity::from_knots(&s.knots()).unwrap();
        let total: f64 = p
            .segments
            .iter()
            .map(|g| g.density * (g.tau_hi - g.tau_lo))
            .sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!((p.cdf(0.05) - p.cdf(0.01) - 0.6).abs() < 1e-12);
        for u in [0.0, 0.1, 0.37, 0.5, 0.9, 1.0] {
            assert!((p.quantile(u) - s.tau(u)).abs() < 1e-12, "u={u}");
            assert!((p.cdf(p.quantile(u)) - u).abs() < 1e-12);
        }
    }

    #[test]
    fn draws_put_the_share_in_the_window() {
        // 20 000 inverse-CDF draws: the fraction in the window is 0.6 ± 4 binomial SE
        // (SE = √(0.24/20000) = 0.0035).
        let s = phase_aware((0.01, 0.05), 0.6, 1.0).unwrap();
        let p = TimeDensity::from_knots(&s.knots()).unwrap();
        let mut rng = stream(5, 0, Purpose::Test, 0);
        let n = 20_000;
        let inside = (0..n)
            .filter(|_| (0.01..0.05).contains(&p.quantile(rng.random::<f64>())))
            .count();
        assert!((inside as f64 / n as f64 - 0.6).abs() < 4.0 * 0.0035);
    }

    #[test]
    fn rejects_knots_that_are_not_a_warp() {
        assert!(TimeDensity::from_knots(&[(0.0, 0.0)]).is_err());
        assert!(TimeDensity::from_knots(&[(0.0, 0.0), (1.0, 0.5)]).is_err());
        assert!(TimeDensity::from_knots(&[(0.0, 0.0), (0.5, 0.5), (0.5, 1.0)]).is_err());
        assert!(
            TimeDensity::from_knots(&[(0.0, 0.0), (0.5, 0.6), (1.0, 0.6), (2.0, 1.0)]).is_err()
        );
        assert!(TimeDensity::from_knots(&[(0.1, 0.0), (1.0, 1.0)]).is_err());
    }
}
