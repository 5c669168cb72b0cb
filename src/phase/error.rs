//! Errors of phase detection, one variant per cause.

/// Why a profile, a detection or an adapted schedule could not be produced.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectError {
    /// A parameter outside its range (the message names it as its CLI flag).
    #[error("{field}: must be {rule}, got {value}")]
    OutOfRange {
        /// The flag.
        field: &'static str,
        /// The rule.
        rule: &'static str,
        /// The value given.
        value: f64,
    },
    /// Fewer than three profile points, or times not strictly increasing.
    #[error("profile: {0}")]
    BadCurve(String),
    /// The profile does not change (nothing to detect).
    #[error(
        "profile: no change to detect (flat or non-finite curve, or a change below 1e-12 of its scale: a degenerate problem such as p near 0 or 1)"
    )]
    NoChange,
    /// An Euler map of the 1-D Bayes recursion is not increasing (a step overshoots τ = 1).
    #[error(
        "schedule: an Euler step of the Bayes flow is not monotone at t = {t}; use more --steps"
    )]
    NotMonotone {
        /// The grid time of the step.
        t: f64,
    },
    /// The adapted schedule could not be built.
    #[error(transparent)]
    Schedule(#[from] crate::schedule::ScheduleError),
}

/// `value` must be finite and satisfy `ok` ([`crate::problem::in_range`]'s rule).
pub(crate) fn check_range(
    field: &'static str,
    rule: &'static str,
    value: f64,
    ok: bool,
) -> Result<(), DetectError> {
    crate::problem::in_range(field, rule, value, ok).map_err(|_| DetectError::OutOfRange {
        field,
        rule,
        value,
    })
}
