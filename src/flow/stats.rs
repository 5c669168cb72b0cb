//! Statistics of generated samples (SPEC §5.4), accumulated per chunk and reduced in chunk
//! order by both samplers.

use crate::rng::{PortableRng, Purpose, stream};
use crate::stats::binomial_se;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Samples per random stream when generating (SPEC §7: index = chunk).
pub const GEN_CHUNK: usize = 256;

/// Statistics of generated samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeneratedStats {
    /// Fraction of samples with x·μ > 0.
    pub p_hat: f64,
    /// Binomial standard error √(p̂(1 − p̂)/n_gen).
    pub p_hat_se: f64,
    /// Within-mode variance of the coordinates orthogonal to μ (pooled over the two modes,
    /// mode = sign of x·μ, divisor (n_gen − modes)·(d − 1)); `None` when d = 1.
    pub var_perp: Option<f64>,
    /// Number of generated samples.
    pub n_gen: usize,
}

/// Which samples to generate: how many, and the streams they draw from (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    /// Number of samples.
    pub n_gen: usize,
    /// Master seed.
    pub seed: u64,
    /// Replica index.
    pub replica: u64,
}

impl Generation {
    /// Accumulate every sample over `r` coordinates: chunk c of [`GEN_CHUNK`] samples draws
    /// from stream (seed, replica, Generate, c) with scratch `init()`, `sample` adds one
    /// sample; chunks run in parallel and are reduced in chunk order (bit-identical for any
    /// thread count).
    pub(crate) fn accumulate<S>(
        &self,
        r: usize,
        init: impl Fn() -> S + Sync,
        sample: impl Fn(&mut S, &mut PortableRng, &mut ModeSums) + Sync,
    ) -> ModeSums {
        let partial: Vec<ModeSums> = (0..self.n_gen.div_ceil(GEN_CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut rng = stream(self.seed, self.replica, Purpose::Generate, c as u64);
                let mut acc = ModeSums::new(r);
                let mut scratch = init();
                for _ in 0..GEN_CHUNK.min(self.n_gen - c * GEN_CHUNK) {
                    sample(&mut scratch, &mut rng, &mut acc);
                }
                acc
            })
            .collect();
        ModeSums::total(r, &partial)
    }
}

/// Per-mode counts, sums and sums of squares of y = x − (x·μ/d)μ (mode 1 = x·μ > 0), over
/// the coordinates a sampler integrates.
#[derive(Clone)]
pub(crate) struct ModeSums {
    count: [usize; 2],
    sum: [Vec<f64>; 2],
    sumsq: [f64; 2],
}

impl ModeSums {
    /// Empty sums over `r` coordinates.
    pub(crate) fn new(r: usize) -> Self {
        Self {
            count: [0; 2],
            sum: [vec![0.0; r], vec![0.0; r]],
            sumsq: [0.0; 2],
        }
    }

    /// Add one sample `x` of mode `mode` whose projection on μ is `proj`·μ.
    pub(crate) fn add(&mut self, mode: usize, x: &[f64], mu: &[f64], proj: f64) {
        self.count[mode] += 1;
        let mut sq = 0.0;
        for ((s, &xj), &mj) in self.sum[mode].iter_mut().zip(x).zip(mu) {
            let y = xj - proj * mj;
            *s += y;
            sq += y * y;
        }
        self.sumsq[mode] += sq;
    }

    /// Add another chunk's sums.
    pub(crate) fn merge(&mut self, o: &ModeSums) {
        for m in 0..2 {
            self.count[m] += o.count[m];
            self.sumsq[m] += o.sumsq[m];
            for (a, b) in self.sum[m].iter_mut().zip(&o.sum[m]) {
                *a += b;
            }
        }
    }

    /// Reduce chunks in order.
    pub(crate) fn total(r: usize, parts: &[ModeSums]) -> Self {
        let mut total = ModeSums::new(r);
        for p in parts {
            total.merge(p);
        }
        total
    }

    /// The statistics over dimension `d`. `extra(mode, count)` is added to the mode's
    /// within-mode scatter after its own term (the span sampler's scatter outside the span).
    pub(crate) fn stats(
        &self,
        d: usize,
        mut extra: impl FnMut(usize, usize) -> f64,
    ) -> GeneratedStats {
        let n = self.count[0] + self.count[1];
        let p_hat = self.count[1] as f64 / n as f64;
        let mut within = 0.0;
        let mut dof = 0usize;
        for m in 0..2 {
            let nm = self.count[m];
            if nm > 0 {
                let s2: f64 = self.sum[m].iter().map(|v| v * v).sum();
                within += self.sumsq[m] - s2 / nm as f64;
                dof += nm - 1;
                within += extra(m, nm);
            }
        }
        let var_perp = (d > 1 && dof > 0).then(|| within / (dof as f64 * (d - 1) as f64));
        GeneratedStats {
            p_hat,
            p_hat_se: binomial_se(p_hat, n as f64),
            var_perp,
            n_gen: n,
        }
    }
}
