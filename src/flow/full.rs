//! The reference sampler: every generated sample integrated on ℝ^d.

use super::Flow;
use super::stats::{GEN_CHUNK, GeneratedStats, ModeSums};
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// Generate `n_gen` samples from N(0, I_d) through the flow and summarise them.
///
/// Chunk c of [`GEN_CHUNK`] samples draws its x0 from stream `(seed, replica, Generate, c)`;
/// chunks run in parallel and are reduced in chunk order, so the result is bit-identical for
/// any thread count.
pub fn generate_full(
    flow: &Flow<'_>,
    mu: &[f64],
    n_gen: usize,
    seed: u64,
    replica: u64,
) -> GeneratedStats {
    let d = mu.len();
    let n_chunks = n_gen.div_ceil(GEN_CHUNK);
    let partial: Vec<ModeSums> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = stream(seed, replica, Purpose::Generate, c as u64);
            let mut acc = ModeSums::new(d);
            let mut x = vec![0.0; d];
            let mut buf = vec![0.0; Flow::SCRATCH * d];
            let count = GEN_CHUNK.min(n_gen - c * GEN_CHUNK);
            for _ in 0..count {
                x.iter_mut().for_each(|v| *v = rng.sample(StandardNormal));
                flow.integrate_from(0, &mut x, &mut buf);
                let h: f64 = x.iter().zip(mu).map(|(a, b)| a * b).sum();
                acc.add(usize::from(h > 0.0), &x, mu, h / d as f64);
            }
            acc
        })
        .collect();
    ModeSums::total(d, &partial).stats(d, |_, _| 0.0)
}
