//! General piecewise-linear τ through knots (SPEC §2). The phase-aware
//! schedule built from a detected window (SPEC §8) is one of these.

use super::{ScheduleError, ScheduleKind, Warp};
use serde::{Deserialize, Serialize};

/// Piecewise-linear τ through knots (t_0, τ_0) = (0, 0), …, (t_m, τ_m), τ_m ≤ 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Piecewise {
    knots: Vec<(f64, f64)>,
}

impl Piecewise {
    /// Build from knots.
    ///
    /// # Errors
    /// [`ScheduleError::BadKnots`] unless there are at least two finite knots, the first is
    /// (0, 0), t is strictly increasing, τ is non-decreasing and the last τ is in (0, 1].
    ///
    /// # Remarks
    /// A last τ below 1 stops the flow short of the data, leaving residual noise α(τ_end);
    /// the path decides whether it allows that ([`crate::path::Path::allows_early_end`]: the
    /// ve path does not).
    pub fn new(knots: Vec<(f64, f64)>) -> Result<Self, ScheduleError> {
        let bad = |m: &str| Err(ScheduleError::BadKnots(m.to_string()));
        if knots.len() < 2 {
            return bad("need at least two knots");
        }
        if knots.iter().any(|(t, v)| !t.is_finite() || !v.is_finite()) {
            return bad("knots must be finite numbers");
        }
        if knots[0] != (0.0, 0.0) {
            return bad("the first knot must be (0, 0)");
        }
        let last = knots[knots.len() - 1].1;
        if !(last > 0.0 && last <= 1.0) {
            return bad("the last knot must have 0 < tau <= 1");
        }
        for w in knots.windows(2) {
            if w[1].0 <= w[0].0 {
                return bad("t must be strictly increasing");
            }
            if w[1].1 < w[0].1 {
                return bad("tau must be non-decreasing");
            }
        }
        Ok(Self { knots })
    }

    /// Index of the segment [t_i, t_{i+1}) containing t (last segment for t ≥ t_end).
    fn segment(&self, t: f64) -> usize {
        let last = self.knots.len() - 2;
        match self.knots[1..].iter().position(|&(tk, _)| t < tk) {
            Some(i) => i.min(last),
            None => last,
        }
    }
}

impl Warp for Piecewise {
    fn tau(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, self.t_end());
        let i = self.segment(t);
        let (t0, v0) = self.knots[i];
        let (t1, v1) = self.knots[i + 1];
        v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    }
    fn tau_dot(&self, t: f64) -> f64 {
        let i = self.segment(t);
        let (t0, v0) = self.knots[i];
        let (t1, v1) = self.knots[i + 1];
        (v1 - v0) / (t1 - t0)
    }
    fn t_end(&self) -> f64 {
        self.knots[self.knots.len() - 1].0
    }
    fn knots(&self) -> Vec<(f64, f64)> {
        self.knots.clone()
    }
}

/// Parameters of a piecewise-linear schedule. JSON
/// `{"kind": "piecewise", "knots": [[0, 0], [1, 0.02], [2, 1]]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiecewiseSpec {
    /// The (t, τ) knots, from (0, 0) to (T_end, 1).
    pub knots: Vec<(f64, f64)>,
}

impl ScheduleKind for PiecewiseSpec {
    const NAME: &'static str = "piecewise";
    fn build(&self, _d: usize) -> Result<Box<dyn Warp>, ScheduleError> {
        Ok(Box::new(Piecewise::new(self.knots.clone())?))
    }
}
