//! The reference sampler: every generated sample integrated on ℝ^d.

use super::Flow;
use super::stats::{GeneratedStats, Generation};
use rand::Rng;
use rand_distr::StandardNormal;

/// Generate `g.n_gen` samples from N(0, α(t_0)²·I_d) through the flow and summarise them.
///
/// Chunk c of [`GEN_CHUNK`](super::GEN_CHUNK) samples draws its x0 from stream `(seed, replica, Generate, c)`;
/// chunks run in parallel and are reduced in chunk order, so the result is bit-identical for
/// any thread count.
pub fn generate_full(flow: &Flow<'_>, mu: &[f64], g: Generation) -> GeneratedStats {
    let d = mu.len();
    let scratch = || (vec![0.0; d], vec![0.0; Flow::SCRATCH * d]);
    let s0 = flow.x0_scale();
    g.accumulate(d, scratch, |(x, buf), rng, acc| {
        // s0 = 1 on the linear path: the product is exact, the draws unchanged.
        x.iter_mut()
            .for_each(|v| *v = s0 * rng.sample::<f64, _>(StandardNormal));
        flow.integrate_from(0, x, buf);
        let h: f64 = x.iter().zip(mu).map(|(a, b)| a * b).sum();
        acc.add(usize::from(h > 0.0), x, mu, h / d as f64);
    })
    .stats(d, |_, _| 0.0)
}
