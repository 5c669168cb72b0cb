//! A grid uniform in log snr (SPEC §10, "The dilation constant κ": such a grid keeps p with
//! only a log d drift).
//!
//! On the linear path snr = β²/α² = (τ/(1 − τ))². The warp is piecewise linear through
//! `points` + 1 knots (j/points, τ_j), j = 0..points, on t ∈ [0, 1]: τ_0 = 0, τ_points = 1, and
//! τ_1 … τ_{points−1} uniform in log snr from snr_min = `a2_min`/d to snr_max = `snr_max`,
//! τ_j = √snr_j/(1 + √snr_j). With K = `points` grid points the training and sampling grid
//! t_k = k/K sits on the knots, so an Euler step goes from τ_k to τ_{k+1} exactly; another K
//! samples the same piecewise-linear τ.
//!
//! The range: the class decision sits at a² = snr·d/(1 + snr·σ²) ≈ snr·d of order 1 (SPEC §10:
//! the MSE window's 90 %…10 % points are a² ≈ 0.16…3.7 at p = 0.8), so snr_min = a2_min/d starts
//! every grid the same distance before the class window in log snr (a2_min = 0.01 by default);
//! the within-mode part ends near snr ~ 1/σ², and snr_max = 100 by default. The span in log snr
//! grows as log d, which is the source of the log d drift of p̂.
//!
//! On another path the same τ knots are used (uniform in the linear path's snr): the vp path's
//! snr τ²/(1 − τ²) differs from it by O(τ) where the class is decided.
//!
//! ```
//! use phaseflow::schedule::{LogSnr, Warp};
//! let s = LogSnr::new(0.01, 100.0, 41, 1000).unwrap();
//! let snr = |t: f64| (s.tau(t) / (1.0 - s.tau(t))).powi(2);
//! assert!((snr(1.0 / 41.0) - 1e-5).abs() < 1e-15); // a2_min/d
//! assert!((snr(40.0 / 41.0) - 100.0).abs() < 1e-9);
//! assert_eq!(s.tau(1.0), 1.0);
//! ```

use super::{ScheduleError, ScheduleKind, Warp};
use serde::{Deserialize, Serialize};

/// Default a² of the first nonzero grid time (snr_min = a2_min/d).
pub const A2_MIN: f64 = 0.01;
/// Default snr of the last knot before τ = 1.
pub const SNR_MAX: f64 = 100.0;

/// A warp uniform in log snr (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct LogSnr {
    inner: super::Piecewise,
}

impl LogSnr {
    /// The warp for dimension `d` with `points` grid intervals.
    ///
    /// # Errors
    /// [`ScheduleError::BadLogSnr`] naming the field: `a2_min` not positive and finite,
    /// `snr_max` not finite or not above a2_min/d, `points` below 3.
    pub fn new(a2_min: f64, snr_max: f64, points: usize, d: usize) -> Result<Self, ScheduleError> {
        if d == 0 {
            return Err(ScheduleError::ZeroDimension);
        }
        let bad = |field: &'static str, rule: String| Err(ScheduleError::BadLogSnr { field, rule });
        if !(a2_min.is_finite() && a2_min > 0.0) {
            return bad(
                "a2_min",
                format!("must be positive and finite, got {a2_min}"),
            );
        }
        let snr_min = a2_min / d as f64;
        if !(snr_max.is_finite() && snr_max > snr_min) {
            return bad(
                "snr_max",
                format!("must be finite and above a2_min/d = {snr_min:e}, got {snr_max}"),
            );
        }
        if points < 3 {
            return bad(
                "points",
                format!("must be at least 3 (use the grid's K), got {points}"),
            );
        }
        let m = points as f64;
        let (l0, l1) = (snr_min.ln(), snr_max.ln());
        let mut knots = vec![(0.0, 0.0)];
        for j in 1..points {
            let ls = l0 + (l1 - l0) * (j - 1) as f64 / (points - 2) as f64;
            let r = (0.5 * ls).exp();
            knots.push((j as f64 / m, r / (1.0 + r)));
        }
        knots.push((1.0, 1.0));
        Ok(Self {
            inner: super::Piecewise::new(knots)?,
        })
    }
}

impl Warp for LogSnr {
    fn tau(&self, t: f64) -> f64 {
        self.inner.tau(t)
    }
    fn tau_dot(&self, t: f64) -> f64 {
        self.inner.tau_dot(t)
    }
    fn t_end(&self) -> f64 {
        1.0
    }
    fn knots(&self) -> Vec<(f64, f64)> {
        self.inner.knots()
    }
}

/// Parameters of the log-snr warp. JSON
/// `{"kind": "log_snr", "a2_min": 0.01, "snr_max": 100.0, "points": 41}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSnrSpec {
    /// a² of the first nonzero knot: snr_min = a2_min/d. Default 0.01 (before the class
    /// window, whose 90 % point is a² ≈ 0.16 at p = 0.8). Lower: more of the grid before the
    /// window.
    #[serde(default = "default_a2_min")]
    pub a2_min: f64,
    /// snr of the last knot before τ = 1. Default 100. Higher: more of the grid on the
    /// within-mode end.
    #[serde(default = "default_snr_max")]
    pub snr_max: f64,
    /// Grid intervals; give the grid's K so that the grid sits on the knots (the command
    /// line sets it from --steps).
    pub points: usize,
}

fn default_a2_min() -> f64 {
    A2_MIN
}
fn default_snr_max() -> f64 {
    SNR_MAX
}

impl ScheduleKind for LogSnrSpec {
    const NAME: &'static str = "log_snr";
    fn build(&self, d: usize) -> Result<Box<dyn Warp>, ScheduleError> {
        Ok(Box::new(LogSnr::new(
            self.a2_min,
            self.snr_max,
            self.points,
            d,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleSpec;
    use crate::theory::euler::euler_bayes;

    #[test]
    fn rejects_bad_fields_by_name() {
        for (a, s, k, field) in [
            (0.0, 100.0, 41, "a2_min"),
            (f64::NAN, 100.0, 41, "a2_min"),
            (0.01, 1e-9, 41, "snr_max"),
            (0.01, f64::INFINITY, 41, "snr_max"),
            (0.01, 100.0, 2, "points"),
        ] {
            let e = LogSnr::new(a, s, k, 1000).unwrap_err();
            assert!(e.to_string().starts_with(field), "{e}");
        }
    }

    #[test]
    fn knots_are_uniform_in_log_snr_and_monotone() {
        let d = 10_000;
        let s = LogSnr::new(0.01, 100.0, 41, d).unwrap();
        let k = s.knots();
        assert_eq!(k.len(), 42);
        let ls: Vec<f64> = k[1..41]
            .iter()
            .map(|&(_, tau)| (tau / (1.0 - tau)).powi(2).ln())
            .collect();
        let step = (100.0f64 * d as f64 / 0.01).ln() / 39.0;
        for w in ls.windows(2) {
            assert!((w[1] - w[0] - step).abs() < 1e-9);
        }
        // The grid sits on the knots.
        let g = Warp::grid(&s, 41);
        for (t, kn) in g.iter().zip(&k) {
            assert!((t - kn.0).abs() < 1e-12);
        }
    }

    #[test]
    fn json_round_trip_with_defaults() {
        let j = r#"{"kind":"log_snr","points":41}"#;
        let s: ScheduleSpec = serde_json::from_str(j).unwrap();
        assert_eq!(
            s,
            ScheduleSpec::log_snr(41),
            "defaults a2_min = 0.01, snr_max = 100"
        );
        assert_eq!(s.name(), "log_snr");
        assert!(s.build(1000).unwrap().phases().is_none());
    }

    #[test]
    fn exact_euler_keeps_p_up_to_a_log_d_drift() {
        // SPEC §10: p̂ 0.808 → 0.813 for d = 10³ → 10⁷ at K = 41 (range not stated there).
        // With the default range the drift is linear in log d and small; pinned values from
        // `euler_bayes` (exact to ~1e-8), 2026-12-07: see docs/theory.md §10.
        let p_hat = |d: usize| {
            let s = ScheduleSpec::log_snr(41).build(d).unwrap();
            euler_bayes(s.as_ref(), &s.grid(41), 0.8, 1.0, d)
                .unwrap()
                .p_hat
        };
        let v: Vec<f64> = [1000usize, 100_000, 10_000_000]
            .iter()
            .map(|&d| p_hat(d))
            .collect();
        eprintln!("log-snr grid, K = 41: p̂ at d = 1e3, 1e5, 1e7: {v:?}");
        // Kept: C8's definition, within a quarter of the way to the degenerate value 1.
        assert!(v.iter().all(|&x| (x - 0.8).abs() <= 0.05), "{v:?}");
        // Log d drift: equal increments per two decades up to 20 %.
        let (a, b) = (v[1] - v[0], v[2] - v[1]);
        assert!(a > 0.0 && b > 0.0 && (a / b - 1.0).abs() < 0.2, "{v:?}");
    }
}
