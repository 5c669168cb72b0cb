//! The two-mode mixture of SPEC §1 as a [`Target`]: an adapter over [`Mixture`]. Class 0 is
//! the mode at +μ (weight p), class 1 the mode at −μ. Sampling is [`Mixture::sample`] itself
//! (the same stream gives the same data and signs); the posterior, the denoiser and exact Euler
//! are the shared isotropic engine with the means ±μ (span dimension 1), which equal the
//! two-mode theory of SPEC §5.1 and §5.4 to round-off (tested in `tests/targets_euler.rs`).

use super::isotropic::{Basis, Isotropic};
use super::{ClassEuler, ConfigError, Labelled, Target};
use crate::flow::Endpoint;
use crate::mixture::Mixture;
use crate::rng::PortableRng;
use crate::schedule::Schedule;

/// The two-mode mixture (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoMode {
    mixture: Mixture,
    iso: Isotropic,
}

impl TwoMode {
    /// The target of `mixture`.
    ///
    /// # Errors
    /// None for a valid mixture (its fields were checked by [`Mixture::new`]); the
    /// [`ConfigError`] of the isotropic engine otherwise.
    pub fn new(mixture: Mixture) -> Result<Self, ConfigError> {
        let d = mixture.d();
        let sd = (d as f64).sqrt();
        let e: Vec<f64> = mixture.mu().iter().map(|v| v / sd).collect();
        let iso = Isotropic::new(
            d,
            vec![mixture.p(), 1.0 - mixture.p()],
            mixture.sigma2(),
            vec![vec![sd], vec![-sd]],
            Basis::Explicit(vec![e]),
        )?;
        Ok(Self { mixture, iso })
    }

    /// The underlying mixture.
    pub fn mixture(&self) -> &Mixture {
        &self.mixture
    }

    /// The shared isotropic engine.
    pub fn isotropic(&self) -> &Isotropic {
        &self.iso
    }
}

impl Target for TwoMode {
    fn name(&self) -> &'static str {
        "two_mode"
    }
    fn d(&self) -> usize {
        self.mixture.d()
    }
    fn weights(&self) -> &[f64] {
        self.iso.weights()
    }
    fn sample(&self, n: usize, rng: &mut PortableRng) -> Labelled {
        let data = self.mixture.sample(n, rng);
        Labelled {
            n: data.n,
            d: data.d,
            label: data.s.iter().map(|&s| usize::from(s < 0.0)).collect(),
            x: data.x,
        }
    }
    fn posterior(&self, alpha: f64, beta: f64, x: &[f64]) -> Vec<f64> {
        self.iso.posterior(alpha, beta, x)
    }
    fn denoise(&self, alpha: f64, beta: f64, x: &[f64], out: &mut [f64]) {
        self.iso.denoise(alpha, beta, x, out);
    }
    fn classify(&self, x: &[f64]) -> usize {
        // The sign of x·μ (SPEC §5.4's p̂ counts x·μ > 0).
        let h: f64 = x.iter().zip(self.mixture.mu()).map(|(a, b)| a * b).sum();
        usize::from(h <= 0.0)
    }
    fn euler(
        &self,
        schedule: &dyn Schedule,
        grid: &[f64],
        endpoint: Endpoint,
    ) -> Option<ClassEuler> {
        self.iso.euler(schedule, grid, endpoint)
    }
}
