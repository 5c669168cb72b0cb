//! The data: a two-mode Gaussian mixture in dimension d (SPEC §1).
//!
//! ρ = p·N(+μ, σ²I_d) + (1 − p)·N(−μ, σ²I_d) with |μ|² = d. A sample is
//! x1 = s·μ + σ·ξ with P(s = +1) = p and ξ ~ N(0, I_d).
//!
//! ```
//! use phaseflow::mixture::Mixture;
//! use phaseflow::rng::{stream, Purpose};
//! let m = Mixture::ones(0.8, 1.0, 100).unwrap();
//! let data = m.sample(16, &mut stream(1, 0, Purpose::Data, 0));
//! assert_eq!((data.n, data.d, data.x.len()), (16, 100, 1600));
//! assert!(Mixture::ones(1.2, 1.0, 100).is_err());
//! ```

use rand::Rng;
use rand_distr::StandardNormal;

/// Rejected mixture parameters, one variant per bad field.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MixtureError {
    /// p must lie strictly between 0 and 1.
    #[error("p: must satisfy 0 < p < 1, got {}", crate::problem::Num(*.p))]
    WeightOutOfRange {
        /// The p given.
        p: f64,
    },
    /// σ² must be positive and finite.
    #[error("sigma2: must be positive and finite, got {}", crate::problem::Num(*.sigma2))]
    NonPositiveVariance {
        /// The σ² given.
        sigma2: f64,
    },
    /// d must be at least 1.
    #[error("d: must be at least 1")]
    ZeroDimension,
    /// μ must satisfy |μ|² = d.
    #[error("mu: |mu|^2 must equal d = {d}, got {norm2}")]
    MeanNorm {
        /// |μ|² of the μ given.
        norm2: f64,
        /// Its dimension.
        d: usize,
    },
}

/// Two-mode Gaussian mixture with weights (p, 1 − p), means ±μ and variance σ².
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    p: f64,
    sigma2: f64,
    mu: Vec<f64>,
}

/// n samples x1 stored row-major (`x[i*d..(i+1)*d]` is sample i) with their mode signs.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Number of samples.
    pub n: usize,
    /// Dimension.
    pub d: usize,
    /// Row-major n × d samples.
    pub x: Vec<f64>,
    /// Mode sign s_i = ±1 of each sample.
    pub s: Vec<f64>,
}

impl Dataset {
    /// Sample i as a slice of length d.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
    /// Fraction of samples with s = +1 (the training set's own p).
    pub fn plus_fraction(&self) -> f64 {
        self.s.iter().filter(|&&s| s > 0.0).count() as f64 / self.n as f64
    }
}

impl Mixture {
    /// Mixture with mean direction `mu`.
    ///
    /// # Errors
    /// [`MixtureError`] naming the bad field: p ∉ (0, 1), σ² ≤ 0 or not finite, empty μ,
    /// or |μ|² ≠ d (relative tolerance 1e-9).
    pub fn new(p: f64, sigma2: f64, mu: Vec<f64>) -> Result<Self, MixtureError> {
        if !(p > 0.0 && p < 1.0) {
            return Err(MixtureError::WeightOutOfRange { p });
        }
        if !(sigma2 > 0.0 && sigma2.is_finite()) {
            return Err(MixtureError::NonPositiveVariance { sigma2 });
        }
        let d = mu.len();
        if d == 0 {
            return Err(MixtureError::ZeroDimension);
        }
        let norm2: f64 = mu.iter().map(|v| v * v).sum();
        let norm_ok = (norm2 - d as f64).abs() <= 1e-9 * d as f64; // false for NaN
        if !norm_ok {
            return Err(MixtureError::MeanNorm { norm2, d });
        }
        Ok(Self { p, sigma2, mu })
    }

    /// Mixture with the default mean μ = (1, …, 1).
    ///
    /// # Errors
    /// As [`Mixture::new`].
    pub fn ones(p: f64, sigma2: f64, d: usize) -> Result<Self, MixtureError> {
        Self::new(p, sigma2, vec![1.0; d])
    }

    /// Mixture whose mean is a uniformly random direction scaled to |μ| = √d.
    ///
    /// # Errors
    /// As [`Mixture::new`].
    pub fn random_direction<R: Rng>(
        p: f64,
        sigma2: f64,
        d: usize,
        rng: &mut R,
    ) -> Result<Self, MixtureError> {
        if d == 0 {
            return Err(MixtureError::ZeroDimension);
        }
        let g: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        let scale = (d as f64).sqrt() / g.iter().map(|v| v * v).sum::<f64>().sqrt();
        Self::new(p, sigma2, g.into_iter().map(|v| v * scale).collect())
    }

    /// Weight p of the + mode.
    pub fn p(&self) -> f64 {
        self.p
    }
    /// Within-mode variance σ².
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }
    /// Mean direction μ (|μ|² = d).
    pub fn mu(&self) -> &[f64] {
        &self.mu
    }
    /// Dimension d.
    pub fn d(&self) -> usize {
        self.mu.len()
    }

    /// Draw n samples: for each i, first s_i (one uniform), then ξ_i (d normals).
    pub fn sample<R: Rng>(&self, n: usize, rng: &mut R) -> Dataset {
        let d = self.d();
        let sigma = self.sigma2.sqrt();
        let mut x = Vec::with_capacity(n * d);
        let mut s = Vec::with_capacity(n);
        for _ in 0..n {
            let si = if rng.random::<f64>() < self.p {
                1.0
            } else {
                -1.0
            };
            s.push(si);
            x.extend(self.mu.iter().map(|&m| {
                let xi: f64 = rng.sample(StandardNormal);
                si * m + sigma * xi
            }));
        }
        Dataset { n, d, x, s }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn rejects_p_outside_unit_interval() {
        for p in [0.0, 1.0, -0.1, 1.2, f64::NAN] {
            assert!(matches!(
                Mixture::ones(p, 1.0, 4),
                Err(MixtureError::WeightOutOfRange { .. })
            ));
        }
    }

    #[test]
    fn rejects_nonpositive_sigma2() {
        for s2 in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Mixture::ones(0.5, s2, 4),
                Err(MixtureError::NonPositiveVariance { .. })
            ));
        }
    }

    #[test]
    fn rejects_bad_mean_norm_and_zero_d() {
        assert!(matches!(
            Mixture::new(0.5, 1.0, vec![1.0, 2.0]),
            Err(MixtureError::MeanNorm { .. })
        ));
        assert!(matches!(
            Mixture::ones(0.5, 1.0, 0),
            Err(MixtureError::ZeroDimension)
        ));
    }

    #[test]
    fn random_direction_has_norm_sqrt_d() {
        let m = Mixture::random_direction(0.3, 2.0, 50, &mut stream(3, 0, Purpose::Direction, 0))
            .unwrap();
        let n2: f64 = m.mu().iter().map(|v| v * v).sum();
        approx::assert_relative_eq!(n2, 50.0, max_relative = 1e-12);
    }

    #[test]
    fn sample_moments_match() {
        // 20000 samples: SE of the + fraction is sqrt(.7·.3/2e4) ≈ 0.0032; 4 SE = 0.013.
        let m = Mixture::ones(0.7, 0.5, 8).unwrap();
        let data = m.sample(20_000, &mut stream(11, 0, Purpose::Data, 0));
        assert!((data.plus_fraction() - 0.7).abs() < 0.013);
        // Within-mode variance of coordinates: SE ≈ 0.5·sqrt(2/(8·2e4)) ≈ 0.0018; 4 SE = 0.007.
        let mut ss = 0.0;
        for i in 0..data.n {
            for (j, v) in data.row(i).iter().enumerate() {
                let r = v - data.s[i] * m.mu()[j];
                ss += r * r;
            }
        }
        let var = ss / (data.n * data.d) as f64;
        assert!((var - 0.5).abs() < 0.007, "var {var}");
    }
}
