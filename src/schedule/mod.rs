//! Time schedules of the interpolant x_t = α(t)·x0 + β(t)·x1 (SPEC §2).
//!
//! Every schedule is a monotone map τ from `[0, T_end]` onto `[0, 1]` with
//! α = 1 − τ and β = τ. Variants live one per file: [`Linear`] (the undilated
//! baseline, T_end = 1), [`Dilated`] (the paper's time dilation by
//! ε = κ/√d, T_end = 2) and [`Piecewise`] (general knots, any T_end). A new
//! schedule is a new file implementing [`Schedule`].
//!
//! Derivatives are *right* derivatives: at a knot, τ̇ is the slope of the
//! segment that starts there, which is what an explicit Euler step taken from
//! that knot uses.
//!
//! ```
//! use phaseflow::schedule::{Dilated, Schedule};
//! let s = Dilated::new(2.0, 10_000).unwrap(); // ε = 2/√10000 = 0.02
//! assert!((s.tau(1.0) - 0.02).abs() < 1e-15);
//! assert_eq!(s.t_end(), 2.0);
//! assert_eq!(s.grid(4), vec![0.0, 0.5, 1.0, 1.5]);
//! ```
//!
//! ## References
//! Aranguri & Insulla, *Phase-aware Training Schedule Simplifies Learning in
//! Flow-Based Generative Models*, arXiv:2412.07972.

mod dilated;
mod linear;
mod piecewise;

pub use dilated::Dilated;
pub use linear::Linear;
pub use piecewise::Piecewise;

use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// A monotone time map τ: [0, T_end] → [0, 1] with τ(0) = 0 and τ(T_end) = 1.
pub trait Schedule: Debug + Send + Sync {
    /// τ(t).
    fn tau(&self, t: f64) -> f64;
    /// dτ/dt at t (right derivative at knots).
    fn tau_dot(&self, t: f64) -> f64;
    /// The end of the time interval.
    fn t_end(&self) -> f64;
    /// The knots (t, τ) of the piecewise-linear map (every built-in schedule
    /// is piecewise linear).
    fn knots(&self) -> Vec<(f64, f64)>;

    /// α(t) = 1 − τ(t), the weight of the noise x0.
    fn alpha(&self, t: f64) -> f64 {
        1.0 - self.tau(t)
    }
    /// β(t) = τ(t), the weight of the data x1.
    fn beta(&self, t: f64) -> f64 {
        self.tau(t)
    }
    /// α̇(t) = −τ̇(t).
    fn alpha_dot(&self, t: f64) -> f64 {
        -self.tau_dot(t)
    }
    /// β̇(t) = τ̇(t).
    fn beta_dot(&self, t: f64) -> f64 {
        self.tau_dot(t)
    }
    /// The uniform training/sampling grid t_k = k·T_end/K, k = 0..K−1 (SPEC §2).
    fn grid(&self, k: usize) -> Vec<f64> {
        let dt = self.t_end() / k as f64;
        (0..k).map(|i| i as f64 * dt).collect()
    }
}

/// Errors of schedule construction, one variant per bad field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// κ must make ε = κ/√d lie in (0, 1).
    #[error("kappa: must satisfy 0 < kappa < sqrt(d) = {sqrt_d}, got {kappa}")]
    KappaOutOfRange { kappa: f64, sqrt_d: f64 },
    /// d must be at least 1.
    #[error("d: must be at least 1")]
    ZeroDimension,
    /// Knots must start at (0, 0), end at τ = 1, have strictly increasing t and non-decreasing τ.
    #[error("knots: {0}")]
    BadKnots(String),
}

/// A serialisable description of a schedule, resolved against d by [`ScheduleSpec::build`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScheduleSpec {
    /// τ(t) = t on [0, 1].
    Linear,
    /// The paper's dilation with ε = κ/√d on [0, 2].
    Dilated { kappa: f64 },
    /// Piecewise-linear τ through the given (t, τ) knots.
    Piecewise { knots: Vec<(f64, f64)> },
}

impl ScheduleSpec {
    /// Resolve the description for dimension `d`.
    ///
    /// # Errors
    /// [`ScheduleError`] naming the bad field (κ ≥ √d, malformed knots, d = 0).
    pub fn build(&self, d: usize) -> Result<Box<dyn Schedule>, ScheduleError> {
        if d == 0 {
            return Err(ScheduleError::ZeroDimension);
        }
        Ok(match self {
            ScheduleSpec::Linear => Box::new(Linear),
            ScheduleSpec::Dilated { kappa } => Box::new(Dilated::new(*kappa, d)?),
            ScheduleSpec::Piecewise { knots } => Box::new(Piecewise::new(knots.clone())?),
        })
    }

    /// Short name for tables: `linear`, `dilated`, `piecewise`.
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleSpec::Linear => "linear",
            ScheduleSpec::Dilated { .. } => "dilated",
            ScheduleSpec::Piecewise { .. } => "piecewise",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{TestResult, quickcheck};

    fn check_monotone_continuous(s: &dyn Schedule) -> bool {
        let n = 2000;
        let mut prev = s.tau(0.0);
        if prev.abs() > 1e-15 || (s.tau(s.t_end()) - 1.0).abs() > 1e-12 {
            return false;
        }
        let mut max_jump: f64 = 0.0;
        // The steepest segment bounds every increment of a continuous piecewise-linear map.
        let max_slope = s
            .knots()
            .windows(2)
            .map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
            .fold(0.0, f64::max);
        for i in 1..=n {
            let t = s.t_end() * i as f64 / n as f64;
            let v = s.tau(t);
            if v < prev - 1e-15 {
                return false;
            }
            max_jump = max_jump.max(v - prev);
            prev = v;
        }
        // Continuity: no jump larger than the steepest slope times the step.
        max_jump <= max_slope * s.t_end() / n as f64 + 1e-12
    }

    quickcheck! {
        fn dilated_monotone_continuous(kappa: f64, d: u32) -> TestResult {
            let d = (d % 1_000_000 + 1) as usize;
            let kappa = kappa.abs() % 10.0;
            match Dilated::new(kappa, d) {
                Ok(s) => TestResult::from_bool(check_monotone_continuous(&s)),
                Err(_) => TestResult::discard(),
            }
        }
        fn piecewise_monotone_continuous(raw: Vec<(u8, u8)>) -> TestResult {
            // Build knots from positive increments.
            let mut t = 0.0;
            let mut tau = 0.0;
            let mut knots = vec![(0.0, 0.0)];
            let total: f64 = raw.iter().map(|&(_, b)| b as f64).sum();
            if raw.is_empty() || total == 0.0 {
                return TestResult::discard();
            }
            for &(a, b) in &raw {
                t += a as f64 + 1.0;
                tau += b as f64 / total;
                knots.push((t, tau.min(1.0)));
            }
            knots.last_mut().unwrap().1 = 1.0;
            match Piecewise::new(knots) {
                Ok(s) => TestResult::from_bool(check_monotone_continuous(&s)),
                Err(e) => TestResult::error(e.to_string()),
            }
        }
    }

    #[test]
    fn linear_is_monotone_and_continuous() {
        assert!(check_monotone_continuous(&Linear));
    }

    #[test]
    fn dilated_rejects_kappa_at_sqrt_d() {
        assert!(matches!(
            Dilated::new(10.0, 100),
            Err(ScheduleError::KappaOutOfRange { .. })
        ));
        assert!(Dilated::new(0.0, 100).is_err());
        assert!(Dilated::new(f64::NAN, 100).is_err());
        assert!(Dilated::new(9.99, 100).is_ok());
    }

    #[test]
    fn spec_round_trips_through_json() {
        let s = ScheduleSpec::Dilated { kappa: 2.0 };
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, r#"{"kind":"dilated","kappa":2.0}"#);
        assert_eq!(serde_json::from_str::<ScheduleSpec>(&j).unwrap(), s);
    }

    #[test]
    fn dilated_equals_its_knots() {
        let s = Dilated::new(2.0, 400).unwrap();
        let p = Piecewise::new(s.knots()).unwrap();
        for i in 0..=200 {
            let t = 2.0 * i as f64 / 200.0;
            assert!((s.tau(t) - p.tau(t)).abs() < 1e-15);
            assert!((s.tau_dot(t) - p.tau_dot(t)).abs() < 1e-12);
        }
    }
}
