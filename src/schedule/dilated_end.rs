//! The mirror image of the paper's dilation: the **end** of τ gets half the grid. With
//! ε = κ/√d, τ(t) = (1 − ε)·t on [0, 1] (phase 1) and τ(t) = (1 − ε) + ε(t − 1) on [1, 2]
//! (phase 2). On the ve path α = √d(1 − τ) falls from √d to κ over phase 1 and from κ to 0
//! over phase 2: arXiv 2501.00988's schedule for ve (the authors' notebook
//! `gm_ve_a_1-t.ipynb`, with k = 3 and time rescaled from [0, 1] to [0, 2]).

use super::{Knee, ScheduleError, ScheduleKind, Warp};
use crate::path::PhaseSide;
use serde::{Deserialize, Serialize};

/// The end-dilated warp on [0, 2]; phase 1 is t ∈ [0, 1], phase 2 is t ∈ [1, 2].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DilatedEnd {
    kappa: f64,
    eps: f64,
}

impl DilatedEnd {
    /// End dilation κ/√d for dimension `d`; the authors use κ = 3 on the ve path.
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

    /// ε = κ/√d = 1 − τ(1), the share of τ spent in phase 2.
    pub fn eps(&self) -> f64 {
        self.eps
    }
}

impl Warp for DilatedEnd {
    fn tau(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, 2.0);
        if t <= 1.0 {
            (1.0 - self.eps) * t
        } else {
            (1.0 - self.eps) + self.eps * (t - 1.0)
        }
    }
    fn tau_dot(&self, t: f64) -> f64 {
        if t < 1.0 { 1.0 - self.eps } else { self.eps }
    }
    fn t_end(&self) -> f64 {
        2.0
    }
    fn knots(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 0.0), (1.0, 1.0 - self.eps), (2.0, 1.0)]
    }
    fn knee(&self) -> Option<Knee> {
        Some(Knee {
            t: 1.0,
            tau: 1.0 - self.eps,
            kappa: self.kappa,
            side: PhaseSide::End,
        })
    }
}

/// Parameters of the end-dilated warp. JSON `{"kind": "dilated_end", "kappa": 3.0}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DilatedEndSpec {
    /// κ (0 < κ < √d): the last κ/√d of τ gets half of [0, 2]; the authors use 3 on ve.
    pub kappa: f64,
}

impl ScheduleKind for DilatedEndSpec {
    const NAME: &'static str = "dilated_end";
    fn build(&self, d: usize) -> Result<Box<dyn Warp>, ScheduleError> {
        Ok(Box::new(DilatedEnd::new(self.kappa, d)?))
    }
    fn kappa(&self) -> Option<f64> {
        Some(self.kappa)
    }
    fn with_kappa(&self, kappa: f64) -> Self {
        Self { kappa }
    }
}
