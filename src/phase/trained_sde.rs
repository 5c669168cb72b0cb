//! SPEC §10 for a trained per-step denoiser (issue 25, item 2): its reverse-SDE U-turn and
//! two clones branched at a grid time, and its MSE excess split exactly into the Bayes part
//! and a learning error, all paired with a reference denoiser (the Bayes one) on the same
//! draws.
//!
//! At a start grid step k (weights α, β, v = α² + β²σ²), on N samples (s, x1 = sμ + σξ, x0)
//! with x_t = αx0 + βx1, for the model f and the reference f*:
//!
//! * **excess** e = |f(x_t) − x1|²/d − σ²α²/v (and e* for the reference);
//! * **learning error** L = |f(x_t) − f*(x_t)|²/d;
//! * **orthogonality** e − e* − L = 2(f − f*)·(f* − x1)/d. For f* = E[x1 | x_t] (the Bayes
//!   denoiser) its mean is 0 for *any* f (the orthogonality principle), so
//!   e = 2(α²/v)²·P_SDE + E[L] exactly: SPEC §10's pointwise identity holds for a non-Bayes
//!   model only with its learning error E[L] ≥ 0 added;
//! * **reverse-SDE U-turn** U = 1[mode(end) ≠ s] and **clones** D = 1[mode(end₁) ≠
//!   mode(end₂)] for two independent noise paths from the same x_t. The SDE is the
//!   Gaussian channel Y = snr·x1 + W_snr continued in snr (the reverse SDE whose exact end
//!   point is a posterior draw, see [`super::measure_clones`]), integrated by
//!   Euler–Maruyama on the training grid with the denoiser of each step:
//!   Y = βx/α², Y ← Y + Δsnr·f_j(x) + √Δsnr·ζ, x = α²Y/β at the next grid time, from step k
//!   to the last grid point t_{K−1}; the end's mode is the sign of f_{K−1}(x)·μ. For the
//!   Bayes denoiser the continuum limit of U and D is P_SDE; on the coarse training grid
//!   they carry Euler–Maruyama's error, which is why the trained model is compared with the
//!   Bayes denoiser on the same grid and the same draws (the paired difference U − U*).
//!
//! The SDE runs in S = span{μ, u_j, w_j of both denoisers} (orthonormal coordinates from
//! [`crate::linalg::span::Span`]): f_j(x) = c_j x + u_j tanh(w_j·x/√d + b_j) sees the
//! component of x orthogonal to S only through c_j x, which stays orthogonal to S, and the
//! mode reads x·μ (or f·μ) with μ ∈ S; the isotropic noise projected on S is N(0, I_r). So the
//! r coordinates are simulated exactly in law, at a cost independent of d.
//!
//! Streams: (seed, 2·replica, [`Purpose::TrainedSde`], chunk) for ξ, x0 and the SDE noise,
//! (seed, 2·replica + 1, TrainedSde, chunk) for the uniforms of s; chunks of [`CHUNK`]
//! samples run in parallel and are reduced in order (no dependence on the thread count).

use crate::denoiser::{Denoiser, StepParams};
use crate::linalg::dot;
use crate::linalg::span::Span;
use crate::mixture::Mixture;
use crate::rng::normal::Normals;
use crate::rng::{Purpose, stream};
use crate::schedule::Schedule;
use crate::stats::Estimate;
use crate::theory::channel::{class_snr, excess_weight};
use rand::Rng;
use rayon::prelude::*;

/// Samples per parallel chunk.
pub const CHUNK: usize = 256;

/// The estimates at one start time (means over the N samples, SE from their spread).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainedChannel {
    /// The start grid step k.
    pub k: usize,
    /// Its time t_k.
    pub t: f64,
    /// The class snr a² = β²d/v.
    pub a2: f64,
    /// The weight α²/v.
    pub weight: f64,
    /// The model's MSE excess e.
    pub excess: Estimate,
    /// The reference's MSE excess e*.
    pub excess_ref: Estimate,
    /// L = |f − f*|²/d.
    pub learning: Estimate,
    /// e − e* − L (mean 0 when the reference is the Bayes denoiser).
    pub orthogonality: Estimate,
    /// The model's reverse-SDE U-turn U.
    pub uturn: Estimate,
    /// The reference's U*.
    pub uturn_ref: Estimate,
    /// U − U* on the same draws.
    pub uturn_diff: Estimate,
    /// The model's two clones' disagreement D.
    pub clones: Estimate,
    /// The reference's D*.
    pub clones_ref: Estimate,
}

/// One step in span coordinates.
struct StepS {
    c: f64,
    b: f64,
    u: Vec<f64>,
    w: Vec<f64>,
}

impl StepS {
    fn eval(&self, z: &[f64], inv_sqrt_d: f64, out: &mut [f64]) {
        let phi = (dot(&self.w, z) * inv_sqrt_d + self.b).tanh();
        for ((o, &zj), &uj) in out.iter_mut().zip(z).zip(&self.u) {
            *o = self.c * zj + uj * phi;
        }
    }
}

/// Measure the model against the reference at every start step of `starts` (module doc).
/// Without `sde` only the MSE terms are measured (no span, no SDE draws; the U-turn and
/// clone estimates are NaN).
///
/// # Panics
/// If the two denoisers and the mixture differ in d or grid, or a start step is out of the
/// grid.
#[allow(clippy::too_many_arguments)]
pub fn trained_channel(
    schedule: &dyn Schedule,
    model: &Denoiser,
    reference: &Denoiser,
    mixture: &Mixture,
    starts: &[usize],
    samples: usize,
    (seed, replica): (u64, u64),
    (level, sde): (f64, bool),
) -> Vec<TrainedChannel> {
    let (d, p, s2) = (mixture.d(), mixture.p(), mixture.sigma2());
    assert_eq!(model.d(), d, "model and mixture differ in d");
    assert_eq!(reference.d(), d, "reference and mixture differ in d");
    assert_eq!(model.grid, reference.grid, "the denoisers' grids differ");
    let grid = &model.grid;
    let kk = grid.len();
    assert!(
        starts.iter().all(|&k| k < kk),
        "a start step is off the grid"
    );
    let df = d as f64;
    let inv_sqrt_d = 1.0 / df.sqrt();
    let sigma = s2.sqrt();
    let mu = mixture.mu();
    // The span of μ and both denoisers' vectors.
    let dens = [model, reference];
    let m = 1 + 4 * kk;
    let mut zmat = Vec::with_capacity(m * d);
    zmat.extend_from_slice(mu);
    for den in dens {
        for st in &den.steps {
            zmat.extend_from_slice(st.u());
            zmat.extend_from_slice(st.w());
        }
    }
    let span = Span::new(&zmat, m, d);
    let r = span.r();
    let mu_s = span.coord(0).to_vec();
    let in_span = |den_i: usize, k: usize, st: &StepParams| StepS {
        c: st.c(),
        b: st.b(),
        u: span.coord(1 + den_i * 2 * kk + 2 * k).to_vec(),
        w: span.coord(2 + den_i * 2 * kk + 2 * k).to_vec(),
    };
    let steps_s: Vec<Vec<StepS>> = dens
        .iter()
        .enumerate()
        .map(|(i, den)| {
            den.steps
                .iter()
                .enumerate()
                .map(|(k, st)| in_span(i, k, st))
                .collect()
        })
        .collect();
    let ab: Vec<(f64, f64)> = grid
        .iter()
        .map(|&t| (schedule.alpha(t), schedule.beta(t)))
        .collect();
    let snr: Vec<f64> = ab.iter().map(|&(a, b)| b * b / (a * a)).collect();
    // The end's mode from step k: + iff f_{K−1}(x)·μ > 0.
    let run_sde = |den: &[StepS], k: usize, z0: &[f64], noise: &[f64], buf: &mut [f64]| {
        let mut z = z0.to_vec();
        for j in k..kk - 1 {
            let (a, b) = ab[j];
            let (a1, b1) = ab[j + 1];
            den[j].eval(&z, inv_sqrt_d, buf);
            let ds = snr[j + 1] - snr[j];
            let sq = ds.sqrt();
            let nz = &noise[(j - k) * r..(j - k + 1) * r];
            for i in 0..r {
                let y = b * z[i] / (a * a) + ds * buf[i] + sq * nz[i];
                z[i] = a1 * a1 * y / b1;
            }
        }
        den[kk - 1].eval(&z, inv_sqrt_d, buf);
        dot(buf, &mu_s) > 0.0
    };
    let chunks = samples.div_ceil(CHUNK);
    // Per chunk, per start, per sample: (e, e*, L, U, U*, D, D*).
    let per_chunk: Vec<Vec<Vec<[f64; 7]>>> = (0..chunks)
        .into_par_iter()
        .map(|ch| {
            let n = CHUNK.min(samples - ch * CHUNK);
            let mut normals =
                Normals::<f64>::new(seed, 2 * replica, Purpose::TrainedSde, ch as u64);
            let mut uni = stream(seed, 2 * replica + 1, Purpose::TrainedSde, ch as u64);
            let mut out = vec![Vec::with_capacity(n); starts.len()];
            let (mut xi, mut x0, mut x1) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
            let (mut xt, mut f, mut fr) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
            let mut buf = vec![0.0; r];
            for _ in 0..n {
                let plus = uni.random::<f64>() < p;
                let s = if plus { 1.0 } else { -1.0 };
                normals.fill(&mut xi);
                normals.fill(&mut x0);
                for j in 0..d {
                    x1[j] = s * mu[j] + sigma * xi[j];
                }
                let (z0, z1) = if sde {
                    (span.project(&zmat, &x0), span.project(&zmat, &x1))
                } else {
                    (Vec::new(), Vec::new())
                };
                for (o, &k) in out.iter_mut().zip(starts) {
                    let (al, be) = ab[k];
                    let v = al * al + be * be * s2;
                    for j in 0..d {
                        xt[j] = al * x0[j] + be * x1[j];
                    }
                    model.steps[k].eval(&xt, &mut f);
                    reference.steps[k].eval(&xt, &mut fr);
                    let (mut se, mut ser, mut l) = (0.0, 0.0, 0.0);
                    for j in 0..d {
                        se += (f[j] - x1[j]) * (f[j] - x1[j]);
                        ser += (fr[j] - x1[j]) * (fr[j] - x1[j]);
                        l += (f[j] - fr[j]) * (f[j] - fr[j]);
                    }
                    let within = s2 * al * al / v;
                    let ind = |b: bool| f64::from(u8::from(b));
                    if !sde {
                        o.push([
                            se / df - within,
                            ser / df - within,
                            l / df,
                            f64::NAN,
                            f64::NAN,
                            f64::NAN,
                            f64::NAN,
                        ]);
                        continue;
                    }
                    let zt: Vec<f64> = z0.iter().zip(&z1).map(|(a, b)| al * a + be * b).collect();
                    let len = (kk - 1 - k) * r;
                    let mut noise = vec![0.0; 2 * len];
                    normals.fill(&mut noise);
                    let (na, nb) = noise.split_at(len);
                    let ends = |den: &[StepS], buf: &mut [f64]| {
                        (run_sde(den, k, &zt, na, buf), run_sde(den, k, &zt, nb, buf))
                    };
                    let (m1, m2) = ends(&steps_s[0], &mut buf);
                    let (r1, r2) = ends(&steps_s[1], &mut buf);
                    o.push([
                        se / df - within,
                        ser / df - within,
                        l / df,
                        ind(m1 != plus),
                        ind(r1 != plus),
                        ind(m1 != m2),
                        ind(r1 != r2),
                    ]);
                }
            }
            out
        })
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(si, &k)| {
            let col = |f: &dyn Fn(&[f64; 7]) -> f64| -> Vec<f64> {
                per_chunk.iter().flat_map(|c| c[si].iter().map(f)).collect()
            };
            let est = |v: Vec<f64>| Estimate::from_samples(&v, level);
            let (al, be) = ab[k];
            TrainedChannel {
                k,
                t: grid[k],
                a2: class_snr(al, be, s2, d),
                weight: excess_weight(al, be, s2),
                excess: est(col(&|x| x[0])),
                excess_ref: est(col(&|x| x[1])),
                learning: est(col(&|x| x[2])),
                orthogonality: est(col(&|x| x[0] - x[1] - x[2])),
                uturn: est(col(&|x| x[3])),
                uturn_ref: est(col(&|x| x[4])),
                uturn_diff: est(col(&|x| x[3] - x[4])),
                clones: est(col(&|x| x[5])),
                clones_ref: est(col(&|x| x[6])),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Linear;
    use crate::theory::bayes::bayes_denoiser;
    use crate::theory::channel::{mse_excess, p_sde};

    #[test]
    fn bayes_against_itself_and_the_continuum() {
        // The Bayes denoiser as model and reference on a fine linear grid (K = 400, d = 50):
        // e, L, the orthogonality term and U − U* are exact (0 apart from e), and U and D
        // approach the continuum P_SDE. Bounds: 4.5 SE for the Monte-Carlo part, plus 0.01
        // for Euler–Maruyama's first-order error at Δsnr·d ≤ 0.25 per step in the window.
        let (p, s2, d) = (0.8, 1.0, 50);
        let mix = Mixture::ones(p, s2, d).unwrap();
        let grid = Linear.grid(400);
        let den = bayes_denoiser(&Linear, &grid, p, s2, mix.mu());
        let starts = [12usize, 40];
        let r = trained_channel(
            &Linear,
            &den,
            &den,
            &mix,
            &starts,
            2048,
            (5, 0),
            (0.99, true),
        );
        for e in &r {
            let (al, be) = (Linear.alpha(e.t), Linear.beta(e.t));
            let ex = mse_excess(al, be, p, s2, d);
            assert!(
                (e.excess.point - ex).abs() < 4.5 * e.excess.se,
                "{e:?} {ex}"
            );
            // Exactly 0: the same denoiser on the same draws (no rounding enters).
            for x in [e.learning.point, e.orthogonality.point, e.uturn_diff.point] {
                assert!(x.abs() < f64::MIN_POSITIVE, "{e:?}");
            }
            let ps = p_sde(e.a2, p);
            assert!(
                (e.uturn.point - ps).abs() < 4.5 * e.uturn.se + 0.01,
                "{e:?} {ps}"
            );
            assert!(
                (e.clones.point - ps).abs() < 4.5 * e.clones.se + 0.01,
                "{e:?} {ps}"
            );
        }
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| {
                trained_channel(
                    &Linear,
                    &den,
                    &den,
                    &mix,
                    &starts,
                    2048,
                    (5, 0),
                    (0.99, true),
                )
            });
        assert_eq!(one, r);
    }

    #[test]
    fn orthogonality_fails_against_a_wrong_reference() {
        // The reference built at p + 0.1 is not E[x1 | x_t]: the orthogonality term is then
        // −E|f* − f'|²/d·2 + … ≠ 0 when the model is the true Bayes denoiser (−2E[L] exactly).
        let (p, s2, d) = (0.8, 1.0, 50);
        let mix = Mixture::ones(p, s2, d).unwrap();
        let grid = Linear.grid(40);
        let den = bayes_denoiser(&Linear, &grid, p, s2, mix.mu());
        let wrong = bayes_denoiser(&Linear, &grid, p + 0.1, s2, mix.mu());
        let r = trained_channel(
            &Linear,
            &den,
            &wrong,
            &mix,
            &[4],
            4096,
            (6, 0),
            (0.99, false),
        );
        let e = r[0];
        let want = -2.0 * e.learning.point;
        assert!(e.learning.point > 0.0);
        assert!(
            (e.orthogonality.point - want).abs() < 4.5 * e.orthogonality.se,
            "{e:?}"
        );
        assert!(
            e.orthogonality.point.abs() > 6.0 * e.orthogonality.se,
            "{e:?}"
        );
    }
}
