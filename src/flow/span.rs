//! Generation in the span of the denoiser's own vectors: the flow of SPEC §3 at a cost
//! independent of d per sample.
//!
//! Let S = span{μ, u_k, w_k : k} (dimension r ≤ 2K + 1) with orthonormal basis Q from
//! [`super::span::Span`], and split x(0) = Q z + ρ with z ~ N(0, I_r) and ρ ~ N(0, I − QQᵀ)
//! independent. The velocity v_k(x) = a_k x + g_k (c_k x + u_k tanh(w_k·x/√d + b_k)) sees ρ
//! only through w_k·ρ = 0, so every integrator step (Euler or Heun) maps
//! x = Q x_S + λ ρ to Q x_S' + λ' ρ, with λ' the same for all samples (the linear part of the
//! step). A sample is therefore r + 1 numbers, integrated exactly as [`super::Flow`]
//! does on ℝ^d (the same stepping, [`super::integrate`]).
//!
//! Statistics (the definitions of [`super::GeneratedStats`]): μ ∈ S, so x·μ and the
//! mode depend on x_S only. The within-mode scatter of y = x − (x·μ/d)μ splits into the S
//! part, summed over samples, plus λ²·Σ_{i∈mode}|ρ_i − ρ̄|², which is independent of the
//! modes and distributed as λ²·χ²_{D(N−1)} (Cochran), D = d − r, N the mode's count: one
//! chi-square draw per mode, from stream (seed, replica, GenerateComplement, mode). The
//! statistics have exactly the law of [`super::generate_full`]'s (not the same draws).
//!
//! Cost: a Gram matrix of 2K + 1 vectors (O(K²d), once) plus O(n_gen·K·r).

use super::stats::{GeneratedStats, Generation};
use super::{Flow, VelocityCoef, integrate};
use crate::linalg::dot;
use crate::linalg::span::Span;
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};

/// One grid step in span coordinates (length r + 1, last entry 0 for u and w).
struct StepS {
    c: f64,
    b: f64,
    u: Vec<f64>,
    w: Vec<f64>,
    coef: VelocityCoef,
}

fn velocity(st: &StepS, x: &[f64], inv_sqrt_d: f64, out: &mut [f64]) {
    let phi = (dot(&st.w, x) * inv_sqrt_d + st.b).tanh();
    let VelocityCoef { a, g } = st.coef;
    for ((o, &xj), &uj) in out.iter_mut().zip(x).zip(&st.u) {
        *o = a * xj + g * (st.c * xj + uj * phi);
    }
}

/// Generate `g.n_gen` samples through `flow` and summarise them, at a cost independent of d
/// per sample (see the module docs). Chunks of [`GEN_CHUNK`](super::GEN_CHUNK) samples draw
/// from stream (seed, replica, Generate, chunk), are integrated in parallel and reduced in
/// chunk order (bit-identical for any thread count).
pub fn generate_in_span(flow: &Flow<'_>, mu: &[f64], g: Generation) -> GeneratedStats {
    let d = mu.len();
    let k_steps = flow.len();
    let m = 2 * k_steps + 1;
    let mut z = Vec::with_capacity(m * d);
    z.extend_from_slice(mu);
    for p in flow.steps {
        z.extend_from_slice(p.u());
        z.extend_from_slice(p.w());
    }
    let span = Span::new(&z, m, d);
    let r = span.r();
    let pad = |v: &[f64]| {
        let mut o = v.to_vec();
        o.push(0.0);
        o
    };
    let mu_s = pad(span.coord(0));
    let steps: Vec<StepS> = flow
        .steps
        .iter()
        .enumerate()
        .map(|(k, p)| StepS {
            c: p.c(),
            b: p.b(),
            u: pad(span.coord(1 + 2 * k)),
            w: pad(span.coord(2 + 2 * k)),
            coef: flow.coef[k],
        })
        .collect();
    let inv_sqrt_d = 1.0 / (d as f64).sqrt();
    let df = d as f64;
    let step = |x: &mut [f64], scratch: (&mut [f64], &mut [f64], &mut [f64])| {
        integrate(
            flow.integrator,
            (&flow.dt, k_steps),
            0,
            x,
            scratch,
            |k, x, out| velocity(&steps[k], x, inv_sqrt_d, out),
        );
    };
    let scratch = || (vec![0.0; r + 1], vec![0.0; 3 * (r + 1)]);
    // x(t_0) = s0·(Q z + ρ): s0 = 1 except on the ve path (√d); exact for s0 = 1.
    let s0 = flow.x0_scale();
    let total = g.accumulate(r, scratch, |(x, buf), rng, acc| {
        for v in x[..r].iter_mut() {
            *v = s0 * rng.sample::<f64, _>(StandardNormal);
        }
        x[r] = 1.0;
        step(x, split3(buf));
        let h = dot(x, &mu_s);
        acc.add(usize::from(h > 0.0), &x[..r], &mu_s[..r], h / df);
    });
    // λ: the complement's common scale, the same recursion with x = s0·e_{r+1}.
    let lambda = {
        let mut x = vec![0.0; r + 1];
        x[r] = s0;
        let mut scratch = vec![0.0; 3 * (r + 1)];
        step(&mut x, split3(&mut scratch));
        x[r]
    };
    let dim_c = d - r;
    total.stats(d, |mode, nm| {
        let k = (dim_c * (nm - 1)) as f64;
        if k > 0.0 {
            let mut rng = stream(g.seed, g.replica, Purpose::GenerateComplement, mode as u64);
            let chi = ChiSquared::new(k).expect("positive degrees of freedom");
            lambda * lambda * chi.sample(&mut rng)
        } else {
            0.0
        }
    })
}

/// Three equal scratch vectors from one buffer.
fn split3(buf: &mut [f64]) -> (&mut [f64], &mut [f64], &mut [f64]) {
    let m = buf.len() / 3;
    let (a, rest) = buf.split_at_mut(m);
    let (b, c) = rest.split_at_mut(m);
    (a, b, c)
}
