//! SPEC §5.5: the Bayes MSE profile and its discontinuity.
//!
//! The per-dimension Bayes MSE at time t is [`bayes_mse`] (formula in [`super::bayes`]).
//! At t = 0 it is σ² + 4p(1 − p) (prior variance of a coordinate: σ² plus the variance of
//! the mode sign, 1 − (2p − 1)²); once the mode is known it is the within-mode term
//! σ²α²/v. On the linear schedule the sign term collapses within a window of width ~1/√d
//! around t ~ 1/√d, so as d → ∞ the profile jumps at t = 0⁺ from σ² + 4p(1 − p) to σ²;
//! on the dilated schedule the same drop is spread over phase 1.
//!
//! [`jump_window`] measures the drop on the linear schedule the way SPEC §5.5 reports it:
//! the profile from t = 0 to t_end = 20/√d, raw drop = MSE(0) − MSE(t_end), centre = the time
//! the profile has fallen by half the raw drop, width = time between 10 % and 90 % of the
//! fall, with centre and width in units of 1/√d.

use super::bayes::bayes_mse;
use crate::schedule::Schedule;

/// The d → ∞ jump of the linear-schedule MSE at t = 0⁺ (SPEC §5.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MseJump {
    /// MSE at t = 0: σ² + 4p(1 − p).
    pub before: f64,
    /// MSE at t = 0⁺ (d → ∞): σ².
    pub after: f64,
}

impl MseJump {
    /// The jump size 4p(1 − p).
    pub fn size(&self) -> f64 {
        self.before - self.after
    }
}

/// σ² + 4p(1 − p) → σ².
pub fn jump(p: f64, sigma2: f64) -> MseJump {
    MseJump {
        before: sigma2 + 4.0 * p * (1.0 - p),
        after: sigma2,
    }
}

/// The Bayes MSE at each time of `ts` on `schedule`.
pub fn profile(schedule: &dyn Schedule, p: f64, sigma2: f64, d: usize, ts: &[f64]) -> Vec<f64> {
    ts.iter()
        .map(|&t| bayes_mse(schedule.alpha(t), schedule.beta(t), p, sigma2, d))
        .collect()
}

/// The finite-d drop of the linear-schedule profile (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JumpWindow {
    /// MSE(0) − MSE(20/√d).
    pub raw_drop: f64,
    /// Time of half the fall, times √d.
    pub centre_sqrt_d: f64,
    /// (t₉₀ − t₁₀)·√d.
    pub width_sqrt_d: f64,
}

/// Measure the drop of the linear-schedule Bayes MSE over t ∈ [0, 20/√d] (SPEC §5.5).
/// Crossing times are found by bisection on the (decreasing) profile, to 1e-12 in t·√d.
pub fn jump_window(p: f64, sigma2: f64, d: usize) -> JumpWindow {
    let sd = (d as f64).sqrt();
    let f = |x: f64| {
        let t = (x / sd).min(1.0);
        bayes_mse(1.0 - t, t, p, sigma2, d)
    };
    let x_end = 20.0;
    let (m0, m1) = (f(0.0), f(x_end));
    let drop = m0 - m1;
    let crossing = |frac: f64| {
        let level = m0 - frac * drop;
        let (mut lo, mut hi) = (0.0, x_end);
        while hi - lo > 1e-12 {
            let mid = 0.5 * (lo + hi);
            if f(mid) > level {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    JumpWindow {
        raw_drop: drop,
        centre_sqrt_d: crossing(0.5),
        width_sqrt_d: crossing(0.9) - crossing(0.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Linear;

    #[test]
    fn linear_profile_jumps_from_sigma2_plus_4pq_to_sigma2() {
        // SPEC §5.5: as d → ∞, MSE(0) = σ² + 4p(1−p) and MSE(t) → σ²α²/v for any fixed
        // t > 0, whose t → 0⁺ limit is σ². At t = 1e-3 and d = 1e10 (β√d = 100) the sign
        // term is e^{-O(10⁴)} and σ²α²/v = σ²(1 − O(t)): within 1e-2 of σ².
        let (p, s2) = (0.8, 1.0);
        let j = jump(p, s2);
        let pr = profile(&Linear, p, s2, 10_000_000_000, &[0.0, 1e-3]);
        assert!(
            (pr[0] - j.before).abs() < crate::tol::ROUNDOFF,
            "{} vs {}",
            pr[0],
            j.before
        );
        assert!((pr[1] - j.after).abs() < 1e-2, "{} vs {}", pr[1], j.after);
        assert!((j.size() - 0.64).abs() < crate::tol::EXACT);
    }

    #[test]
    fn jump_window_matches_spec_5_5_numbers() {
        // SPEC §5.5 (p = 0.7, σ² = 0.6), quoted to the digits given there (±0.005 on the
        // drop, ±0.01 on centre/width: the quoted precision).
        for &(d, drop, centre, width) in
            &[(4000usize, 0.908, 1.00, 1.94), (64_000, 0.843, 0.96, 1.51)]
        {
            let w = jump_window(0.7, 0.6, d);
            assert!(
                (w.raw_drop - drop).abs() < 0.005
                    && (w.centre_sqrt_d - centre).abs() < 0.01
                    && (w.width_sqrt_d - width).abs() < 0.01,
                "d={d}: {w:?} vs SPEC drop {drop}, centre {centre}, width {width}"
            );
        }
    }
}
