//! The undilated baseline τ(t) = t on [0, 1].

use super::{ScheduleError, ScheduleKind, Warp};
use serde::{Deserialize, Serialize};

/// τ(t) = t, t ∈ [0, 1] (SPEC §2, "linear").
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Linear;

impl Warp for Linear {
    fn tau(&self, t: f64) -> f64 {
        t.clamp(0.0, 1.0)
    }
    fn tau_dot(&self, _t: f64) -> f64 {
        1.0
    }
    fn t_end(&self) -> f64 {
        1.0
    }
    fn knots(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 0.0), (1.0, 1.0)]
    }
}

/// Parameters of the linear schedule (none). JSON `{"kind": "linear"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearSpec {}

impl ScheduleKind for LinearSpec {
    const NAME: &'static str = "linear";
    fn build(&self, _d: usize) -> Result<Box<dyn Warp>, ScheduleError> {
        Ok(Box::new(Linear))
    }
}
