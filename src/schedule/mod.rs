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

mod auto;
mod dilated;
mod linear;
mod piecewise;

pub use auto::AutoSpec;
pub use dilated::{Dilated, DilatedSpec};
pub use linear::{Linear, LinearSpec};
pub use piecewise::{Piecewise, PiecewiseSpec};

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

/// The serialisable parameters of one kind of schedule: each schedule file defines one and
/// registers it in [`ScheduleSpec`] with one line.
pub trait ScheduleKind {
    /// The kind's name, as in JSON (`"kind"`) and on the command line.
    const NAME: &'static str;
    /// Resolve the parameters for dimension `d` (d ≥ 1, checked by [`ScheduleSpec::build`]).
    ///
    /// # Errors
    /// [`ScheduleError`] naming the bad field.
    fn build(&self, d: usize) -> Result<Box<dyn Schedule>, ScheduleError>;
}

/// Errors of schedule construction, one variant per bad field.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// κ must make ε = κ/√d lie in (0, 1).
    #[error("kappa: must satisfy 0 < kappa < sqrt(d) = {sqrt_d}, got {}", crate::problem::Num(*.kappa))]
    KappaOutOfRange {
        /// The κ given.
        kappa: f64,
        /// √d, the exclusive upper bound.
        sqrt_d: f64,
    },
    /// d must be at least 1.
    #[error("d: must be at least 1")]
    ZeroDimension,
    /// Knots must start at (0, 0), end at τ = 1, have strictly increasing t and non-decreasing τ.
    #[error("knots: {0}")]
    BadKnots(String),
    /// A kind that is resolved against the whole problem before it is built (`auto`).
    #[error("schedule: `{kind}` must be resolved first (phaseflow::phase::resolve)")]
    Unresolved {
        /// The kind.
        kind: &'static str,
    },
}

/// Declares [`ScheduleSpec`], one variant per registered schedule kind.
macro_rules! schedule_kinds {
    ($($(#[$doc:meta])* $variant:ident($spec:ty),)*) => {
        /// A serialisable description of a schedule, resolved against d by
        /// [`ScheduleSpec::build`]. JSON: `{"kind": "<name>", …parameters}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum ScheduleSpec {
            $($(#[$doc])* $variant($spec),)*
        }

        impl ScheduleSpec {
            /// Resolve the description for dimension `d`.
            ///
            /// # Errors
            /// [`ScheduleError`] naming the bad field (κ ≥ √d, malformed knots, d = 0, an
            /// unresolved `auto`).
            pub fn build(&self, d: usize) -> Result<Box<dyn Schedule>, ScheduleError> {
                if d == 0 {
                    return Err(ScheduleError::ZeroDimension);
                }
                match self {
                    $(ScheduleSpec::$variant(s) => s.build(d),)*
                }
            }

            /// Short name for tables, as in JSON: `linear`, `dilated`, `piecewise`, `auto`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(ScheduleSpec::$variant(_) => <$spec as ScheduleKind>::NAME,)*
                }
            }
        }
    };
}

// The registry: a new schedule is a new file plus one line here.
schedule_kinds! {
    /// τ(t) = t on [0, 1].
    Linear(LinearSpec),
    /// The paper's dilation with ε = κ/√d on [0, 2].
    Dilated(DilatedSpec),
    /// Piecewise-linear τ through the given (t, τ) knots.
    Piecewise(PiecewiseSpec),
    /// The phase-aware schedule found by a pilot Bayes U-turn (SPEC §8); resolved into
    /// piecewise knots for (p, σ², d) by [`crate::phase::resolve`].
    Auto(AutoSpec),
}

impl ScheduleSpec {
    /// The linear schedule.
    pub fn linear() -> Self {
        ScheduleSpec::Linear(LinearSpec {})
    }
    /// The dilated schedule with constant κ.
    pub fn dilated(kappa: f64) -> Self {
        ScheduleSpec::Dilated(DilatedSpec { kappa })
    }
    /// Piecewise-linear through `knots`.
    pub fn piecewise(knots: Vec<(f64, f64)>) -> Self {
        ScheduleSpec::Piecewise(PiecewiseSpec { knots })
    }
    /// κ of the dilated schedule (`None` for any other kind).
    pub fn kappa(&self) -> Option<f64> {
        match self {
            ScheduleSpec::Dilated(s) => Some(s.kappa),
            _ => None,
        }
    }
    /// True for a kind that must be resolved against the problem before it is built.
    pub fn is_unresolved(&self) -> bool {
        matches!(self, ScheduleSpec::Auto(_))
    }
    /// The name with its parameter, for table headers: `dilated κ=2`, `linear`, ….
    pub fn label(&self) -> String {
        match self.kappa() {
            Some(kappa) => format!("dilated κ={kappa}"),
            None => self.name().to_string(),
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
        if prev.abs() > crate::tol::EXACT || (s.tau(s.t_end()) - 1.0).abs() > crate::tol::ROUNDOFF {
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
            if v < prev - crate::tol::EXACT {
                return false;
            }
            max_jump = max_jump.max(v - prev);
            prev = v;
        }
        // Continuity: no jump larger than the steepest slope times the step.
        max_jump <= max_slope * s.t_end() / n as f64 + crate::tol::ROUNDOFF
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
        let s = ScheduleSpec::dilated(2.0);
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
            assert!((s.tau(t) - p.tau(t)).abs() < crate::tol::EXACT);
            assert!((s.tau_dot(t) - p.tau_dot(t)).abs() < crate::tol::ROUNDOFF);
        }
    }
}
