//! The paper's time dilation (SPEC §2): ε = κ/√d,
//! τ(t) = ε·t on [0, 1] (phase 1) and τ(t) = ε + (1 − ε)(t − 1) on [1, 2] (phase 2).

use super::{Knee, ScheduleError, ScheduleKind, Warp};
use crate::path::PhaseSide;
use serde::{Deserialize, Serialize};

/// Dilated schedule on [0, 2]; phase 1 is t ∈ [0, 1], phase 2 is t ∈ [1, 2].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dilated {
    kappa: f64,
    eps: f64,
}

impl Dilated {
    /// Dilation κ/√d for dimension `d`. The paper uses κ = 2.
    ///
    /// # Errors
    /// [`ScheduleError::KappaOutOfRange`] unless 0 < κ < √d (κ finite).
    pub fn new(kappa: f64, d: usize) -> Result<Self, ScheduleError> {
        if d == 0 {
            return Err(ScheduleError::ZeroDimension);
        }
        let sqrt_d = (d as f64).sqrt();
        let eps = kappa / sqrt_d;
        if !(kappa.is_finite() && eps > 0.0 && eps < 1.0) {
            return Err(ScheduleError::KappaOutOfRange { kappa, sqrt_d });
        }
        Ok(Self { kappa, eps })
    }

    /// κ.
    pub fn kappa(&self) -> f64 {
        self.kappa
    }

    /// ε = κ/√d = τ(1), the share of τ spent in phase 1.
    pub fn eps(&self) -> f64 {
        self.eps
    }
}

impl Warp for Dilated {
    fn tau(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, 2.0);
        if t <= 1.0 {
            self.eps * t
        } else {
            self.eps + (1.0 - self.eps) * (t - 1.0)
        }
    }
    fn tau_dot(&self, t: f64) -> f64 {
        if t < 1.0 { self.eps } else { 1.0 - self.eps }
    }
    fn t_end(&self) -> f64 {
        2.0
    }
    fn knots(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 0.0), (1.0, self.eps), (2.0, 1.0)]
    }
    fn knee(&self) -> Option<Knee> {
        Some(Knee {
            t: 1.0,
            tau: self.eps,
            kappa: self.kappa,
            side: PhaseSide::Start,
        })
    }
}

/// Parameters of the dilated schedule. JSON `{"kind": "dilated", "kappa": 2.0}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DilatedSpec {
    /// The dilation constant κ (0 < κ < √d); the paper uses 2.
    pub kappa: f64,
}

impl ScheduleKind for DilatedSpec {
    const NAME: &'static str = "dilated";
    fn build(&self, d: usize) -> Result<Box<dyn Warp>, ScheduleError> {
        Ok(Box::new(Dilated::new(self.kappa, d)?))
    }
    fn kappa(&self) -> Option<f64> {
        Some(self.kappa)
    }
    fn with_kappa(&self, kappa: f64) -> Self {
        Self { kappa }
    }
}
