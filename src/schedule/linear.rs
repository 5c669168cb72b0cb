//! The undilated baseline τ(t) = t on [0, 1].

use super::Schedule;

/// τ(t) = t, t ∈ [0, 1] (SPEC §2, "linear").
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Linear;

impl Schedule for Linear {
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
