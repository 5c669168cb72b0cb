//! The paper's path α = 1 − τ, β = τ (SPEC §2). The authors' `learnGMM.py` calls it "VP".

use super::{Path, PathKind, PhaseSide};
use serde::{Deserialize, Serialize};

/// α = 1 − τ, β = τ.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Linear;

impl Path for Linear {
    fn name(&self) -> &'static str {
        LinearSpec::NAME
    }
    fn alpha(&self, tau: f64) -> f64 {
        1.0 - tau
    }
    fn beta(&self, tau: f64) -> f64 {
        tau
    }
    fn alpha_prime(&self, _tau: f64) -> f64 {
        -1.0
    }
    fn beta_prime(&self, _tau: f64) -> f64 {
        1.0
    }
    fn phase_side(&self) -> PhaseSide {
        PhaseSide::Start
    }
}

/// Parameters of the linear path (none). JSON `{"kind": "linear"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearSpec {}

impl PathKind for LinearSpec {
    const NAME: &'static str = "linear";
    fn build(&self, _d: usize) -> Box<dyn Path> {
        Box::new(Linear)
    }
}
