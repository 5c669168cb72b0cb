//! The variance-exploding path of the authors' `learnGMM.py` (mode `VE`): α = √d(1 − τ),
//! β = τ, so x(0) ~ N(0, d·I) and |x_t|² ~ d² early on (SPEC §2). The noise-to-signal ratio
//! along μ is α/β = √d(1 − τ)/τ: the mode weight is decided for τ of order 1 and the
//! within-mode variance only when the noise √d(1 − τ) is of order σ, i.e. in the last
//! ~1/√d of τ (module doc of [`super`]). See [`super`] for how the authors' tanh argument
//! w_a·x/d maps onto ours.

use super::{Path, PathKind, PhaseSide};
use serde::{Deserialize, Serialize};

/// α = √d(1 − τ), β = τ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ve {
    sqrt_d: f64,
}

impl Ve {
    /// The ve path in dimension `d` (d ≥ 1).
    pub fn new(d: usize) -> Self {
        Self {
            sqrt_d: (d.max(1) as f64).sqrt(),
        }
    }
}

impl Path for Ve {
    fn name(&self) -> &'static str {
        VeSpec::NAME
    }
    fn alpha(&self, tau: f64) -> f64 {
        self.sqrt_d * (1.0 - tau)
    }
    fn beta(&self, tau: f64) -> f64 {
        tau
    }
    fn alpha_prime(&self, _tau: f64) -> f64 {
        -self.sqrt_d
    }
    fn beta_prime(&self, _tau: f64) -> f64 {
        1.0
    }
    /// A warp that stops at τ_end < 1 leaves noise √d(1 − τ_end) per coordinate, which grows
    /// with d: refused.
    fn allows_early_end(&self) -> bool {
        false
    }
    fn phase_side(&self) -> PhaseSide {
        PhaseSide::End
    }
}

/// Parameters of the ve path (none; the √d comes from the problem). JSON `{"kind": "ve"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeSpec {}

impl PathKind for VeSpec {
    const NAME: &'static str = "ve";
    fn build(&self, d: usize) -> Box<dyn Path> {
        Box::new(Ve::new(d))
    }
}
