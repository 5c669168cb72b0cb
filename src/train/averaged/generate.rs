//! Generation in the span of the denoiser's own vectors: the flow of SPEC §3 at a cost
//! independent of d per sample.
//!
//! Let S = span{μ, u_k, w_k : k} (dimension r ≤ 2K + 1) with orthonormal basis Q from
//! [`super::span::Span`], and split x(0) = Q z + ρ with z ~ N(0, I_r) and ρ ~ N(0, I − QQᵀ)
//! independent. The velocity v_k(x) = a_k x + g_k (c_k x + u_k tanh(w_k·x/√d + b_k)) sees ρ
//! only through w_k·ρ = 0, so every integrator step (Euler or Heun) maps
//! x = Q x_S + λ ρ to Q x_S' + λ' ρ, with λ' the same for all samples (the linear part of the
//! step). A sample is therefore r + 1 numbers, integrated exactly as [`crate::flow::Flow`]
//! does on ℝ^d.
//!
//! Statistics (the definitions of [`crate::flow::GeneratedStats`]): μ ∈ S, so x·μ and the
//! mode depend on x_S only. The within-mode scatter of y = x − (x·μ/d)μ splits into the S
//! part, summed over samples, plus λ²·Σ_{i∈mode}|ρ_i − ρ̄|², which is independent of the
//! modes and distributed as λ²·χ²_{D(N−1)} (Cochran), D = d − r, N the mode's count: one
//! chi-square draw per mode, from stream (seed, replica, GenerateComplement, mode). The
//! statistics have exactly the law of [`crate::flow::generate`]'s (not the same draws).
//!
//! Cost: a Gram matrix of 2K + 1 vectors (O(K²d), once) plus O(n_gen·K·r).

use super::span::{Span, dot};
use crate::denoiser::Denoiser;
use crate::flow::{GEN_CHUNK, GeneratedStats, Integrator, VelocityCoef, step_sizes};
use crate::rng::{Purpose, stream};
use crate::schedule::Schedule;
use rand::Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rayon::prelude::*;

/// One grid step in span coordinates (length r + 1, last entry 0 for u and w).
struct StepS {
    c: f64,
    b: f64,
    u: Vec<f64>,
    w: Vec<f64>,
    coef: VelocityCoef,
}

struct Sums {
    count: [usize; 2],
    sum: [Vec<f64>; 2],
    sumsq: [f64; 2],
}

impl Sums {
    fn new(r: usize) -> Self {
        Self {
            count: [0; 2],
            sum: [vec![0.0; r], vec![0.0; r]],
            sumsq: [0.0; 2],
        }
    }
}

fn velocity(st: &StepS, x: &[f64], inv_sqrt_d: f64, out: &mut [f64]) {
    let phi = (dot(&st.w, x) * inv_sqrt_d + st.b).tanh();
    let VelocityCoef { a, g } = st.coef;
    for ((o, &xj), &uj) in out.iter_mut().zip(x).zip(&st.u) {
        *o = a * xj + g * (st.c * xj + uj * phi);
    }
}

/// Generate `n_gen` samples through the flow of `denoiser` and summarise them, at a cost
/// independent of d per sample (see the module docs). Chunks of [`GEN_CHUNK`] samples draw
/// from stream (seed, replica, Generate, chunk), are integrated in parallel and reduced in
/// chunk order (bit-identical for any thread count).
pub fn generate_in_span(
    schedule: &dyn Schedule,
    denoiser: &Denoiser,
    integrator: Integrator,
    mu: &[f64],
    n_gen: usize,
    seed: u64,
    replica: u64,
) -> GeneratedStats {
    let d = mu.len();
    let k_steps = denoiser.steps.len();
    let m = 2 * k_steps + 1;
    let mut z = Vec::with_capacity(m * d);
    z.extend_from_slice(mu);
    for p in &denoiser.steps {
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
    let dt = step_sizes(schedule, &denoiser.grid);
    let steps: Vec<StepS> = denoiser
        .steps
        .iter()
        .enumerate()
        .map(|(k, p)| StepS {
            c: p.c(),
            b: p.b(),
            u: pad(span.coord(1 + 2 * k)),
            w: pad(span.coord(2 + 2 * k)),
            coef: VelocityCoef::at(schedule, denoiser.grid[k]),
        })
        .collect();
    let inv_sqrt_d = 1.0 / (d as f64).sqrt();
    let df = d as f64;
    let n_chunks = n_gen.div_ceil(GEN_CHUNK);
    let integrate = |x: &mut Vec<f64>, v0: &mut Vec<f64>, v1: &mut Vec<f64>, xp: &mut Vec<f64>| {
        for k in 0..k_steps {
            velocity(&steps[k], x, inv_sqrt_d, v0);
            let last = k + 1 == k_steps;
            match integrator {
                Integrator::Heun if !last => {
                    for ((p, &xj), &vj) in xp.iter_mut().zip(x.iter()).zip(v0.iter()) {
                        *p = xj + dt[k] * vj;
                    }
                    velocity(&steps[k + 1], xp, inv_sqrt_d, v1);
                    for ((xj, &a), &b) in x.iter_mut().zip(v0.iter()).zip(v1.iter()) {
                        *xj += 0.5 * dt[k] * (a + b);
                    }
                }
                _ => {
                    for (xj, &vj) in x.iter_mut().zip(v0.iter()) {
                        *xj += dt[k] * vj;
                    }
                }
            }
        }
    };
    let partial: Vec<Sums> = (0..n_chunks)
        .into_par_iter()
        .map(|ch| {
            let mut rng = stream(seed, replica, Purpose::Generate, ch as u64);
            let mut acc = Sums::new(r);
            let (mut x, mut v0, mut v1, mut xp) = (
                vec![0.0; r + 1],
                vec![0.0; r + 1],
                vec![0.0; r + 1],
                vec![0.0; r + 1],
            );
            let count = GEN_CHUNK.min(n_gen - ch * GEN_CHUNK);
            for _ in 0..count {
                for v in x[..r].iter_mut() {
                    *v = rng.sample(StandardNormal);
                }
                x[r] = 1.0;
                integrate(&mut x, &mut v0, &mut v1, &mut xp);
                let h = dot(&x, &mu_s);
                let mode = usize::from(h > 0.0);
                let proj = h / df;
                acc.count[mode] += 1;
                let mut sq = 0.0;
                for ((s, &xj), &mj) in acc.sum[mode].iter_mut().zip(&x[..r]).zip(&mu_s) {
                    let y = xj - proj * mj;
                    *s += y;
                    sq += y * y;
                }
                acc.sumsq[mode] += sq;
            }
            acc
        })
        .collect();
    let mut total = Sums::new(r);
    for p in &partial {
        for mode in 0..2 {
            total.count[mode] += p.count[mode];
            total.sumsq[mode] += p.sumsq[mode];
            for (a, b) in total.sum[mode].iter_mut().zip(&p.sum[mode]) {
                *a += b;
            }
        }
    }
    // λ: the complement's common scale, the same recursion with x = e_{r+1}.
    let lambda = {
        let mut x = vec![0.0; r + 1];
        x[r] = 1.0;
        let (mut v0, mut v1, mut xp) = (vec![0.0; r + 1], vec![0.0; r + 1], vec![0.0; r + 1]);
        integrate(&mut x, &mut v0, &mut v1, &mut xp);
        x[r]
    };
    let dim_c = d - r;
    let mut within = 0.0;
    let mut dof = 0usize;
    for mode in 0..2 {
        let nm = total.count[mode];
        if nm == 0 {
            continue;
        }
        let s2: f64 = total.sum[mode].iter().map(|v| v * v).sum();
        within += total.sumsq[mode] - s2 / nm as f64;
        dof += nm - 1;
        let k = (dim_c * (nm - 1)) as f64;
        if k > 0.0 {
            let mut rng = stream(seed, replica, Purpose::GenerateComplement, mode as u64);
            let chi = ChiSquared::new(k).expect("positive degrees of freedom");
            within += lambda * lambda * chi.sample(&mut rng);
        }
    }
    let p_hat = total.count[1] as f64 / n_gen as f64;
    GeneratedStats {
        p_hat,
        p_hat_se: (p_hat * (1.0 - p_hat) / n_gen as f64).sqrt(),
        var_perp: (d > 1 && dof > 0).then(|| within / (dof as f64 * (d - 1) as f64)),
        n_gen,
    }
}
