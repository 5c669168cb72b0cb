//! The Bayes MSE profile (SPEC §5.5) as a [`Profile`]: closed form at any d, se = 0.

use super::{Curve, DetectError, Profile, ProfilePoint};
use crate::schedule::Schedule;
use crate::theory::mse::profile;

/// The Bayes denoiser on a grid: what both Bayes profiles ([`BayesMse`],
/// [`super::BayesUTurn`]) are computed from.
#[derive(Debug)]
pub struct BayesGrid<'a> {
    /// The schedule.
    pub schedule: &'a dyn Schedule,
    /// The times of the curve (for the U-turn, also the Euler integration grid).
    pub grid: Vec<f64>,
    /// Weight of the + mode.
    pub p: f64,
    /// Within-mode variance.
    pub sigma2: f64,
    /// Dimension.
    pub d: usize,
}

/// Per-dimension Bayes MSE σ²α²/v + (1 − c*β)²·E_h[1 − tanh²(β√d·h/v + atanh(2p − 1))]
/// at the times of the grid ([`crate::theory::mse::profile`]).
#[derive(Debug)]
pub struct BayesMse<'a>(pub BayesGrid<'a>);

impl Profile for BayesMse<'_> {
    fn name(&self) -> String {
        "Bayes MSE".into()
    }
    fn curve(&self) -> Result<Curve, DetectError> {
        let b = &self.0;
        let v = profile(b.schedule, b.p, b.sigma2, b.d, &b.grid);
        Curve::new(
            b.grid
                .iter()
                .zip(v)
                .map(|(&t, value)| ProfilePoint { t, value, se: 0.0 })
                .collect(),
        )
    }
}
