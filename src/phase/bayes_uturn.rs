//! The U-turn of the Bayes denoiser under explicit Euler, exactly, in one dimension.
//!
//! With the Bayes denoiser (SPEC §5.1) every Euler step maps h = x·μ/√d by the increasing
//! map F_k(h) = A_k·h + B_k·tanh(C_k·h + b) of SPEC §5.4 (see [`crate::theory::euler`]:
//! A_k = 1 + Δt_k(a_k + g_k c_k), B_k = Δt_k g_k m_k √d, C_k = β_k√d/v_k, b = atanh(2p − 1)),
//! independently of the coordinates orthogonal to μ. Starting at grid step k, the final sign
//! is + iff h_k > h*_k with the thresholds h*_K = 0, h*_k = F_k⁻¹(h*_{k+1}), computed once
//! backwards for every k. The noised datum has h_k | s ~ N(s·β_k√d, v_k), v = α² + β²σ², so
//!
//! U(t_k) = p·Φ((h*_k − β_k√d)/√v_k) + (1 − p)·Φ((−h*_k − β_k√d)/√v_k)
//!
//! exactly (se = 0), for the whole curve in O(K) at any d.
//!
//! # Remarks
//! * The feature of x1 is its mode label s. It differs from sign(x1·μ) with probability
//!   Φ(−√d/σ) (< 1e-200 at d = 1000, σ² ≤ 1), far below any resolution here; the generic
//!   [`super::UTurn`] uses sign(x1·μ) and the tests check the two agree.
//! * The maps are rebuilt here from [`crate::theory::bayes::bias`] and
//!   [`crate::flow::VelocityCoef`] because `theory::euler` keeps its per-step maps private;
//!   the test `forward_h_agrees` checks them against [`crate::theory::euler::forward_h`].

use super::{BayesGrid, Curve, DetectError, Profile, ProfilePoint};
use std::f64::consts::FRAC_1_SQRT_2;

/// Exact U-turn curve of the Bayes denoiser with Euler on the grid (module doc).
#[derive(Debug)]
pub struct BayesUTurn<'a>(pub BayesGrid<'a>);

fn phi(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-z * FRAC_1_SQRT_2)
}

impl BayesUTurn<'_> {
    /// The thresholds h*_k (final sign + iff h_k > h*_k), k = 0..K−1.
    ///
    /// # Errors
    /// [`DetectError::NotMonotone`] if a map is not increasing.
    pub fn thresholds(&self) -> Result<Vec<f64>, DetectError> {
        let b = &self.0;
        crate::theory::euler::thresholds(b.schedule, &b.grid, b.p, b.sigma2, b.d)
            .map_err(|k| DetectError::NotMonotone { t: b.grid[k] })
    }
}

impl Profile for BayesUTurn<'_> {
    fn name(&self) -> String {
        "Bayes U-turn P(sign flips)".into()
    }
    fn curve(&self) -> Result<Curve, DetectError> {
        let b = &self.0;
        let sd = (b.d as f64).sqrt();
        let h = self.thresholds()?;
        let pts = b
            .grid
            .iter()
            .zip(&h)
            .map(|(&t, &hs)| {
                let (al, be) = (b.schedule.alpha(t), b.schedule.beta(t));
                let sv = (al * al + be * be * b.sigma2).sqrt();
                let m = be * sd;
                let value = b.p * phi((hs - m) / sv) + (1.0 - b.p) * phi((-hs - m) / sv);
                ProfilePoint { t, value, se: 0.0 }
            })
            .collect();
        Curve::new(pts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Dilated, Linear, Schedule};
    use crate::theory::euler::{euler_bayes, forward_h};

    #[test]
    fn forward_h_agrees() {
        // The thresholds are the sign changes of theory::euler's own forward map.
        let d = 4000;
        let s = Dilated::new(2.0, d).unwrap();
        let grid = s.grid(40);
        let u = BayesUTurn(BayesGrid {
            schedule: &s,
            grid: grid.clone(),
            p: 0.8,
            sigma2: 1.0,
            d,
        });
        let h = u.thresholds().unwrap();
        for k in [0usize, 5, 20, 39] {
            let f = |x: f64| forward_h(&s, &grid[k..], 0.8, 1.0, d, x).unwrap();
            let dh = 1e-8 * (1.0 + h[k].abs());
            assert!(
                f(h[k] - dh) < 0.0 && f(h[k] + dh) > 0.0,
                "k={k} h*={}",
                h[k]
            );
        }
        // At t = 0 the datum is pure noise: U(0) = p(1 − p̂) + (1 − p)p̂ with Euler's p̂.
        let e = euler_bayes(&s, &grid, 0.8, 1.0, d).unwrap().p_hat;
        let c = u.curve().unwrap();
        let want = 0.8 * (1.0 - e) + 0.2 * e;
        assert!(
            (c.points[0].value - want).abs() < crate::tol::ROUNDOFF,
            "{} vs {want}",
            c.points[0].value
        );
    }

    #[test]
    fn uturn_falls_from_2pq_to_zero_on_a_fine_linear_grid() {
        // Fine grid: Euler p̂ → p, so U(0) → 2p(1 − p) = 0.32; the last start flips nothing.
        let grid = Linear.grid(4000);
        let u = BayesUTurn(BayesGrid {
            schedule: &Linear,
            grid,
            p: 0.8,
            sigma2: 1.0,
            d: 8000,
        });
        let c = u.curve().unwrap();
        assert!((c.points[0].value - 0.32).abs() < 0.01, "{:?}", c.points[0]);
        assert!(c.points.last().unwrap().value < crate::tol::ROUNDOFF);
    }
}
