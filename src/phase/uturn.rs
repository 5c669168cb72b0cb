//! The U-turn profile (SPEC §8), generic over the flow, the data and the feature.
//!
//! For each starting grid step k: draw x1 from the data, x0 ~ N(0, I), form
//! x_t = α(t_k)·x0 + β(t_k)·x1, integrate the flow from t_k to the end, and count
//! label(x̂) ≠ label(x1). The value is the fraction of flips, its se the binomial
//! √(U(1 − U)/N). Start k draws from stream (seed, replica, [`Purpose::UTurn`], k), so the
//! curve is bit-identical for any thread count.
//!
//! Three small traits make it reusable: [`Transport`] (a flow on a grid, e.g.
//! [`FlowTransport`] over [`crate::flow::Flow`]), [`DataSource`] (draws x1, e.g.
//! [`crate::mixture::Mixture`]) and [`super::Feature`]. A real-data experiment implements
//! the three for its own network, images and classifier and reuses [`UTurn`] and
//! [`super::detect`] unchanged.

use super::{Curve, DetectError, Feature, Profile, ProfilePoint};
use crate::denoiser::Denoiser;
use crate::flow::{Flow, Integrator};
use crate::mixture::Mixture;
use crate::rng::{PortableRng, Purpose, stream};
use crate::schedule::Schedule;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// A flow on a time grid that can carry a sample from grid step k to the end.
pub trait Transport: Sync {
    /// Dimension of a sample.
    fn dim(&self) -> usize;
    /// Grid times t_k.
    fn grid(&self) -> &[f64];
    /// Interpolation weights (α, β) at t: x_t = α·x0 + β·x1.
    fn alpha_beta(&self, t: f64) -> (f64, f64);
    /// Scratch length that [`Transport::integrate_from`] needs.
    fn scratch(&self) -> usize;
    /// Integrate `x` in place from grid step `k` to the end.
    fn integrate_from(&self, k: usize, x: &mut [f64], buf: &mut [f64]);
}

/// Draws data points x1.
pub trait DataSource: Sync {
    /// Dimension of a sample.
    fn dim(&self) -> usize;
    /// Write one data point into `out`.
    fn draw(&self, rng: &mut PortableRng, out: &mut [f64]);
}

impl DataSource for Mixture {
    fn dim(&self) -> usize {
        self.d()
    }
    fn draw(&self, rng: &mut PortableRng, out: &mut [f64]) {
        // x1 = s·μ + σ·ξ (SPEC §1), drawn directly (no n × d buffer).
        let s = if rng.random::<f64>() < self.p() {
            1.0
        } else {
            -1.0
        };
        let sig = self.sigma2().sqrt();
        for (o, &m) in out.iter_mut().zip(self.mu()) {
            *o = s * m + sig * rng.sample::<f64, _>(StandardNormal);
        }
    }
}

/// The flow of a [`Denoiser`] (SPEC §3) as a [`Transport`].
#[derive(Debug)]
pub struct FlowTransport<'a> {
    schedule: &'a dyn Schedule,
    denoiser: &'a Denoiser,
    flow: Flow<'a>,
}

impl<'a> FlowTransport<'a> {
    /// The flow of `denoiser` under `schedule` with `integrator`.
    pub fn new(schedule: &'a dyn Schedule, denoiser: &'a Denoiser, integrator: Integrator) -> Self {
        Self {
            schedule,
            denoiser,
            flow: Flow::new(schedule, denoiser, integrator),
        }
    }
}

impl Transport for FlowTransport<'_> {
    fn dim(&self) -> usize {
        self.denoiser.d()
    }
    fn grid(&self) -> &[f64] {
        &self.denoiser.grid
    }
    fn alpha_beta(&self, t: f64) -> (f64, f64) {
        (self.schedule.alpha(t), self.schedule.beta(t))
    }
    fn scratch(&self) -> usize {
        Flow::SCRATCH * self.dim()
    }
    fn integrate_from(&self, k: usize, x: &mut [f64], buf: &mut [f64]) {
        self.flow.integrate_from(k, x, buf);
    }
}

/// Monte-Carlo U-turn curve (module doc).
pub struct UTurn<'a> {
    /// The flow.
    pub transport: &'a dyn Transport,
    /// The data.
    pub data: &'a dyn DataSource,
    /// The feature compared before and after.
    pub feature: &'a dyn Feature,
    /// Samples per starting time N ≥ 1.
    pub samples: usize,
    /// Master seed.
    pub seed: u64,
    /// Replica index.
    pub replica: u64,
}

impl Profile for UTurn<'_> {
    fn name(&self) -> String {
        format!("U-turn P({} flips)", self.feature.name())
    }
    fn curve(&self) -> Result<Curve, DetectError> {
        super::error::check_range(
            "uturn-samples",
            "at least 1",
            self.samples as f64,
            self.samples >= 1,
        )?;
        let tr = self.transport;
        let d = tr.dim();
        let grid = tr.grid();
        let pts: Vec<ProfilePoint> = (0..grid.len())
            .into_par_iter()
            .map(|k| {
                let mut rng = stream(self.seed, self.replica, Purpose::UTurn, k as u64);
                let (al, be) = tr.alpha_beta(grid[k]);
                let (mut x1, mut x) = (vec![0.0; d], vec![0.0; d]);
                let mut buf = vec![0.0; tr.scratch()];
                let mut flips = 0usize;
                for _ in 0..self.samples {
                    self.data.draw(&mut rng, &mut x1);
                    for (xj, &x1j) in x.iter_mut().zip(&x1) {
                        *xj = al * rng.sample::<f64, _>(StandardNormal) + be * x1j;
                    }
                    tr.integrate_from(k, &mut x, &mut buf);
                    if self.feature.label(&x) != self.feature.label(&x1) {
                        flips += 1;
                    }
                }
                let n = self.samples as f64;
                let u = flips as f64 / n;
                ProfilePoint {
                    t: grid[k],
                    value: u,
                    se: crate::stats::binomial_se(u, n),
                }
            })
            .collect();
        Curve::new(pts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::{BayesGrid, BayesUTurn, ModeSign};
    use crate::schedule::Dilated;
    use crate::theory::bayes::bayes_denoiser;

    #[test]
    fn monte_carlo_uturn_matches_the_exact_1d_reduction() {
        // Full-d flow of the Bayes denoiser vs the exact 1-D curve; 2000 draws per start,
        // |Δ| ≤ 4·se + 1e-3 (z = 4 over 20 starts: family-wise α ≈ 1e-3).
        let (p, s2, d) = (0.7, 0.8, 100);
        let s = Dilated::new(2.0, d).unwrap();
        let grid = s.grid(20);
        let mix = Mixture::ones(p, s2, d).unwrap();
        let den = bayes_denoiser(&s, &grid, p, s2, mix.mu());
        let tr = FlowTransport::new(&s, &den, Integrator::Euler);
        let feat = ModeSign::new(mix.mu());
        let mc = UTurn {
            transport: &tr,
            data: &mix,
            feature: &feat,
            samples: 2000,
            seed: 1,
            replica: 0,
        }
        .curve()
        .unwrap();
        let ex = BayesUTurn(BayesGrid {
            schedule: &s,
            grid,
            p,
            sigma2: s2,
            d,
        })
        .curve()
        .unwrap();
        for (a, b) in mc.points.iter().zip(&ex.points) {
            assert!(
                (a.value - b.value).abs() <= 4.0 * a.se.max(1e-3) + 1e-3,
                "t={}: MC {} ± {} vs exact {}",
                a.t,
                a.value,
                a.se,
                b.value
            );
        }
    }

    #[test]
    fn identical_across_thread_counts() {
        let (p, s2, d) = (0.7, 0.8, 20);
        let s = Dilated::new(2.0, d).unwrap();
        let grid = s.grid(8);
        let mix = Mixture::ones(p, s2, d).unwrap();
        let den = bayes_denoiser(&s, &grid, p, s2, mix.mu());
        let tr = FlowTransport::new(&s, &den, Integrator::Euler);
        let feat = ModeSign::new(mix.mu());
        let u = UTurn {
            transport: &tr,
            data: &mix,
            feature: &feat,
            samples: 200,
            seed: 4,
            replica: 1,
        };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let c = u.curve().unwrap();
                    let w = crate::phase::detect(&c, &crate::phase::Detector::default());
                    (c, w)
                })
        };
        assert_eq!(run(1), run(2));
    }
}
