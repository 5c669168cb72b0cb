//! The variance-preserving path α = √(1 − τ²), β = τ (SPEC §2): with σ² = 1 and |μ| small
//! the variance of x_t stays 1. Near τ = 0 it is the linear path to first order in α
//! (α = 1 − τ²/2 + …), so the mode weight is decided at τ ~ 1/√d as on the linear path.

use super::{Path, PathKind, PhaseSide};
use serde::{Deserialize, Serialize};

/// α = √(1 − τ²), β = τ.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Vp;

impl Path for Vp {
    fn name(&self) -> &'static str {
        VpSpec::NAME
    }
    fn alpha(&self, tau: f64) -> f64 {
        (1.0 - tau * tau).max(0.0).sqrt()
    }
    fn beta(&self, tau: f64) -> f64 {
        tau
    }
    /// −τ/√(1 − τ²): diverges at τ = 1, which no grid point reaches.
    fn alpha_prime(&self, tau: f64) -> f64 {
        -tau / self.alpha(tau)
    }
    fn beta_prime(&self, _tau: f64) -> f64 {
        1.0
    }
    fn phase_side(&self) -> PhaseSide {
        PhaseSide::Start
    }
}

/// Parameters of the vp path (none). JSON `{"kind": "vp"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpSpec {}

impl PathKind for VpSpec {
    const NAME: &'static str = "vp";
    fn build(&self, _d: usize) -> Box<dyn Path> {
        Box::new(Vp)
    }
}
