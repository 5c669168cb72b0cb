//! Sampling with the trained network ([`super::mechanism::Sampling`]: Euler ODE or
//! Euler–Maruyama reverse SDE from t₀ to 1 on the uniform grid of K steps over [0, 1]; a
//! start inside a cell takes ⌈(1 − t₀)K⌉ equal steps), and generation from x(0) ~ N(0, I₆₄)
//! in fixed chunks, chunk c drawing its start points and then its Brownian increments, in
//! sample order, from stream `(seed, replica, purpose, c)`.

use super::data::PIXELS;
use super::mechanism::Sampling;
use super::net::{Mlp, Workspace};
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// Generated samples per chunk (and per random stream).
pub const GEN_CHUNK: usize = 64;

/// Integrate dx/dt = v_θ(t, x) (linear path, velocity network) from `t0` to 1 in place
/// with ⌈(1 − t0)·steps⌉ Euler steps.
pub fn integrate(net: &Mlp, x: &mut [f32], t0: f32, steps: usize, ws: &mut Workspace) {
    // The ODE draws no random numbers; any generator will do.
    let mut none = stream(0, 0, Purpose::DigitsGenerate, 0);
    Sampling::linear_ode(steps).integrate(net, x, t0, &mut none, ws);
}

/// `n` generated images (`n × PIXELS`, normalised space) with the linear/ODE sampler of
/// `steps` steps. `purpose` names the stream namespace ([`Purpose::DigitsGenerate`], or
/// [`Purpose::DigitsGenerateControl`] for an independent second set from the same
/// (seed, replica)).
pub fn generate_images(
    net: &Mlp,
    n: usize,
    steps: usize,
    (seed, replica): (u64, u64),
    purpose: Purpose,
) -> Vec<f32> {
    generate(
        net,
        &Sampling::linear_ode(steps),
        n,
        (seed, replica),
        purpose,
    )
}

/// `n` generated images with any [`Sampling`].
pub fn generate(
    net: &Mlp,
    sampling: &Sampling,
    n: usize,
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
                sampling.integrate(net, x, 0.0, &mut rng, &mut ws);
            }
            out
        })
        .collect();
    chunks.concat()
}
