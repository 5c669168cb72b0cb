//! Sampling with the learned velocity: explicit Euler from t₀ to 1 on the uniform grid of K
//! steps over [0, 1] (a start inside a cell takes ⌈(1 − t₀)K⌉ equal steps), and generation
//! from x(0) ~ N(0, I₆₄) in fixed chunks, chunk c drawing from stream
//! `(seed, replica, purpose, c)`.

use super::data::PIXELS;
use super::net::{Mlp, Workspace};
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// Generated samples per chunk (and per random stream).
pub const GEN_CHUNK: usize = 64;

/// Integrate dx/dt = v_θ(t, x) from `t0` to 1 in place with ⌈(1 − t0)·steps⌉ Euler steps.
pub fn integrate(net: &Mlp, x: &mut [f32], t0: f32, steps: usize, ws: &mut Workspace) {
    let n = ((1.0 - t0) * steps as f32).ceil().max(0.0) as usize;
    if n == 0 {
        return;
    }
    let h = (1.0 - t0) / n as f32;
    let mut v = [0f32; PIXELS];
    for k in 0..n {
        let t = t0 + k as f32 * h;
        net.forward(t, x, ws, &mut v);
        for (xi, vi) in x.iter_mut().zip(&v) {
            *xi += h * vi;
        }
    }
}

/// `n` generated images (`n × PIXELS`, normalised space). `purpose` names the stream
/// namespace ([`Purpose::DigitsGenerate`], or [`Purpose::DigitsGenerateControl`] for an
/// independent second set from the same (seed, replica)).
pub fn generate_images(
    net: &Mlp,
    n: usize,
    steps: usize,
    (seed, replica): (u64, u64),
    purpose: Purpose,
) -> Vec<f32> {
    let chunks: Vec<Vec<f32>> = (0..n.div_ceil(GEN_CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut rng = stream(seed, replica, purpose, c as u64);
            let mut ws = Workspace::new(net.hidden);
            let m = GEN_CHUNK.min(n - c * GEN_CHUNK);
            let mut out = vec![0f32; m * PIXELS];
            for x in out.chunks_exact_mut(PIXELS) {
                for xi in x.iter_mut() {
                    *xi = rng.sample(StandardNormal);
                }
                integrate(net, x, 0.0, steps, &mut ws);
            }
            out
        })
        .collect();
    chunks.concat()
}
