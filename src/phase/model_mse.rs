//! A trained denoiser's MSE profile: per-dimension (1/d)·E|f_k(α x0 + β x1) − x1|² at every
//! grid time, on fresh test data x1 with the noise x0 averaged in closed form
//! ([`crate::theory::expected_sq_error`], SPEC §4 engine 2's formula). The same test points
//! serve every grid time (common random numbers: the shape of the curve is not blurred by
//! independent noise at each point); the se is the standard error over test points.
//! Test points are drawn in chunks of [`CHUNK`] from stream (seed, replica,
//! [`Purpose::Test`], chunk) and reduced in chunk order.

use super::{Curve, DetectError, Profile, ProfilePoint};
use crate::denoiser::Denoiser;
use crate::mixture::Mixture;
use crate::rng::{Purpose, stream};
use crate::schedule::Schedule;
use crate::theory::expected_sq_error;
use rayon::prelude::*;

/// Test points per random stream.
pub const CHUNK: usize = 64;

/// MSE profile of a trained denoiser (module doc).
#[derive(Debug)]
pub struct ModelMse<'a> {
    /// The schedule the denoiser was trained on.
    pub schedule: &'a dyn Schedule,
    /// The trained denoiser (its grid is the curve's t).
    pub denoiser: &'a Denoiser,
    /// The data distribution.
    pub mixture: &'a Mixture,
    /// Fresh test points N ≥ 2.
    pub samples: usize,
    /// Master seed.
    pub seed: u64,
    /// Replica index.
    pub replica: u64,
}

impl Profile for ModelMse<'_> {
    fn name(&self) -> String {
        "trained MSE".into()
    }
    fn curve(&self) -> Result<Curve, DetectError> {
        super::error::check_range(
            "test-samples",
            "at least 2",
            self.samples as f64,
            self.samples >= 2,
        )?;
        let den = self.denoiser;
        let d = self.mixture.d();
        let kk = den.grid.len();
        let ab: Vec<(f64, f64)> = den
            .grid
            .iter()
            .map(|&t| (self.schedule.alpha(t), self.schedule.beta(t)))
            .collect();
        let chunks = self.samples.div_ceil(CHUNK);
        // Per chunk: Σ e and Σ e² per grid time.
        let partial: Vec<Vec<(f64, f64)>> = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let mut rng = stream(self.seed, self.replica, Purpose::Test, c as u64);
                let mut acc = vec![(0.0, 0.0); kk];
                let mut x1 = vec![0.0; d];
                for _ in 0..CHUNK.min(self.samples - c * CHUNK) {
                    super::uturn::DataSource::draw(self.mixture, &mut rng, &mut x1);
                    for (k, st) in den.steps.iter().enumerate() {
                        let (al, be) = ab[k];
                        let e = expected_sq_error(st.c(), st.u(), st.w(), st.b(), al, be, &x1)
                            / d as f64;
                        acc[k].0 += e;
                        acc[k].1 += e * e;
                    }
                }
                acc
            })
            .collect();
        let n = self.samples as f64;
        let pts = (0..kk)
            .map(|k| {
                let (s, s2) = partial
                    .iter()
                    .fold((0.0, 0.0), |a, p| (a.0 + p[k].0, a.1 + p[k].1));
                let mean = s / n;
                let var = ((s2 - n * mean * mean) / (n - 1.0)).max(0.0);
                ProfilePoint {
                    t: den.grid[k],
                    value: mean,
                    se: (var / n).sqrt(),
                }
            })
            .collect();
        Curve::new(pts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::{BayesGrid, BayesMse};
    use crate::schedule::Dilated;
    use crate::theory::bayes::bayes_denoiser;

    #[test]
    fn bayes_denoiser_profile_matches_closed_form() {
        // The Bayes denoiser's measured MSE is the §5.5 closed form; 4000 test points,
        // |Δ| ≤ 4·se (z = 4 over 10 times).
        let (p, s2, d) = (0.7, 0.6, 200);
        let s = Dilated::new(2.0, d).unwrap();
        let grid = s.grid(10);
        let mix = Mixture::ones(p, s2, d).unwrap();
        let den = bayes_denoiser(&s, &grid, p, s2, mix.mu());
        let m = ModelMse {
            schedule: &s,
            denoiser: &den,
            mixture: &mix,
            samples: 4000,
            seed: 2,
            replica: 0,
        }
        .curve()
        .unwrap();
        let b = BayesMse(BayesGrid {
            schedule: &s,
            grid,
            p,
            sigma2: s2,
            d,
        })
        .curve()
        .unwrap();
        for (x, y) in m.points.iter().zip(&b.points) {
            assert!(
                (x.value - y.value).abs() <= 4.0 * x.se + 1e-9,
                "t={}: {x:?} vs {y:?}",
                x.t
            );
        }
    }
}
