//! The cosine variance-preserving path α = cos(πτ/2), β = sin(πτ/2) (SPEC §2, issue 12).
//! Near τ = 0, β ≈ πτ/2: the mode weight is decided at τ ~ 1/√d, with the signal growing
//! π/2 times faster than on the linear path.

use super::{Path, PathKind, PhaseSide};
use serde::{Deserialize, Serialize};
use std::f64::consts::FRAC_PI_2;

/// α = cos(πτ/2), β = sin(πτ/2).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cosine;

impl Path for Cosine {
    fn name(&self) -> &'static str {
        CosineSpec::NAME
    }
    fn alpha(&self, tau: f64) -> f64 {
        // cos(π/2) is 6e-17 in floating point; the path ends exactly at α = 0.
        if tau >= 1.0 {
            0.0
        } else {
            (FRAC_PI_2 * tau).cos()
        }
    }
    fn beta(&self, tau: f64) -> f64 {
        if tau >= 1.0 {
            1.0
        } else {
            (FRAC_PI_2 * tau).sin()
        }
    }
    fn alpha_prime(&self, tau: f64) -> f64 {
        -FRAC_PI_2 * (FRAC_PI_2 * tau).sin()
    }
    fn beta_prime(&self, tau: f64) -> f64 {
        FRAC_PI_2 * (FRAC_PI_2 * tau).cos()
    }
    fn phase_side(&self) -> PhaseSide {
        PhaseSide::Start
    }
}

/// Parameters of the cosine path (none). JSON `{"kind": "cosine"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosineSpec {}

impl PathKind for CosineSpec {
    const NAME: &'static str = "cosine";
    fn build(&self, _d: usize) -> Box<dyn Path> {
        Box::new(Cosine)
    }
}
