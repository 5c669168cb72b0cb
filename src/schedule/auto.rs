//! The automatic phase-aware schedule as a description: the knobs of the pilot that finds
//! it (SPEC §8). It depends on (p, σ², d), not on d alone, so it is resolved against the
//! whole problem by [`crate::phase::resolve`] (a pilot Bayes U-turn, its window, knots)
//! before anything is built; [`ScheduleSpec::build`](super::ScheduleSpec::build) refuses it.

use super::{ScheduleError, ScheduleKind, Warp};
use serde::{Deserialize, Serialize};

/// Knobs of the automatic schedule. JSON `{"kind": "auto", "share": 0.5, …}`; every field has
/// a default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoSpec {
    /// Share of the grid points given to the window, in (0, 1). Default 0.5 (as the paper's
    /// dilation gives phase 1). Higher: finer decision window, coarser phase 2.
    pub share: f64,
    /// Padding of the 10 %–90 % window on each side, in widths, ≥ 0. Default 1.
    pub margin: f64,
    /// Uniform pilot points on [0, 1], ≥ 10. Default 2000.
    pub pilot_points: usize,
    /// Extra pilot points around the first detected window. Default 1000.
    pub refine_points: usize,
}

impl Default for AutoSpec {
    fn default() -> Self {
        Self {
            share: 0.5,
            margin: 1.0,
            pilot_points: 2000,
            refine_points: 1000,
        }
    }
}

impl ScheduleKind for AutoSpec {
    const NAME: &'static str = "auto";
    fn build(&self, _d: usize) -> Result<Box<dyn Warp>, ScheduleError> {
        Err(ScheduleError::Unresolved { kind: Self::NAME })
    }
}
