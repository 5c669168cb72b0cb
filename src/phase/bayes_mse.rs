//! The Bayes MSE profile (SPEC §5.5) as a [`Profile`]: closed form at any d, se = 0.

use super::{Curve, DetectError, Profile, ProfilePoint};
use crate::schedule::Schedule;
use crate::theory::mse::profile;

/// Per-dimension Bayes MSE σ²α²/v + (1 − c*β)²·E_h[1 − tanh²(β√d·h/v + atanh(2p − 1))]
/// at the times `ts` of `schedule` ([`crate::theory::mse::profile`]).
#[derive(Debug)]
pub struct BayesMse<'a> {
    /// The schedule.
    pub schedule: &'a dyn Schedule,
    /// Times at which to evaluate.
    pub ts: Vec<f64>,
    /// Weight of the + mode.
    pub p: f64,
    /// Within-mode variance.
    pub sigma2: f64,
    /// Dimension.
    pub d: usize,
}

impl Profile for BayesMse<'_> {
    fn name(&self) -> String {
        "Bayes MSE".into()
    }
    fn curve(&self) -> Result<Curve, DetectError> {
        let v = profile(self.schedule, self.p, self.sigma2, self.d, &self.ts);
        Curve::new(
            self.ts
                .iter()
                .zip(v)
                .map(|(&t, value)| ProfilePoint { t, value, se: 0.0 })
                .collect(),
        )
    }
}
