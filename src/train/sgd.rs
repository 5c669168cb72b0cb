//! The reference-faithful engine (SPEC §4, engine 1): Adam on R_k with fresh noise x0
//! drawn every epoch, full batch over the n training points, analytic gradients.
//!
//! # Mapping onto the reference code
//! The paper's code minimises `n × mean over (k, i, j) of (f_k − x1)²` summed with
//! PyTorch's Adam L2 weight decay `wd` on u and w, i.e. per step k the gradient
//! (1/(K·d))·∇Σ_i|f_k − x1^i|² + wd·(u, w). The gradient of R_k used here is
//! (1/d)·∇Σ_i|f_k − x1^i|² + (2/d)·(λ_u u, λ_w w), which is exactly K times the former when
//! **λ_u = λ_w = K·d·wd/2**. Adam is invariant to a constant rescaling of the gradient (up
//! to its ε = 1e-8), so with that λ the trajectories coincide: e.g. wd = 1e-5, K = 80,
//! d = 5000 gives λ = 2. The reference learning rate 0.01 carries over unchanged.
//!
//! # One epoch of one grid time
//! For each training point x1^i: draw the noise row x0 ([`Normals`], lane-parallel
//! Box–Muller), then two passes over the d coordinates, both in L1/L2 cache:
//! 1. x_t = α·x0 + β·x1 and, with y = c·x_t − x1 (the residual without its u-part), the
//!    five dot products w·x_t, u·x_t, u·x1, y·x_t, y·y in `ACC` interleaved partial sums;
//! 2. the gradient rows g_w += a_i·x_t, g_u += e_i·y, with the per-sample scalars a_i, e_i
//!    from those dots.
//!
//! Everything else is scalar per sample: φ = tanh(w·x_t/√d + b), u·r = c·u·x_t − u·x1 + |u|²φ,
//! r·x_t = y·x_t + φ·u·x_t, |r|² = y·y + 2φ(c·u·x_t − u·x1) + φ²|u|², and the u-part of
//! ∂u, 2φ²·u/d, is added once per epoch. The n×d noise matrix is never stored. Adam and the
//! parameters stay in f64; [`Precision`] sets the type of the per-row work.
//!
//! # Vector code
//! The row loops are written for the auto-vectoriser (fixed lane counts, no branches). On
//! x86-64 the two passes are compiled twice, for the baseline (SSE2) and for AVX2 + FMA, as
//! separate functions (`Kernels`), and the AVX2 copy runs when the processor has it (an
//! AVX-512 copy measured 10 % slower on AMD Zen 4, so there is none); the normal draw
//! picks its own build, AVX-512 where the processor has it ([`Normals::fill`]). The summation order is fixed by `ACC` and
//! [`normal::LANES`](crate::rng::normal::LANES), not by the instruction set, and fused
//! multiply–adds are explicit (`mul_add`, rounded once on every platform; in software on an
//! x86-64 processor without FMA, slow but the same bits), so both copies give the same bits
//! (a unit test checks it).
//!
//! # Cost
//! Per (sample, dimension, step): one normal draw and about a dozen vector instructions;
//! measured 1.1 ns (f32 rows) and 2.8 ns (f64 rows) of one core at d = 1000 with the
//! AVX-512 draw, of which the draw is a little over half (docs/performance.md, "The
//! reference sgd engine against PyTorch").

use super::{Engine, Problem, StepRecord, Stop, TrainError, Trained, assemble};
use crate::denoiser::StepParams;
use crate::rng::normal::{NormalFloat, Normals};
use crate::rng::{Purpose, stream};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::{Add, Mul, Neg, Sub};

crate::choice::choice_enum! {
    /// Floating-point type of the per-row work (noise, x_t, dot products, gradient rows).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Precision {
        "f64", "f64 throughout (default)." =>
            #[default]
            F64,
        "f32", "f32 rows, as the reference code's PyTorch float32; dot products are summed in f32 partial sums and combined in f64, parameters and Adam stay f64." =>
            F32,
    }
}

/// Adam hyper-parameters and the epoch budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sgd {
    /// Number of full-batch epochs (fresh noise each). Default 2000.
    pub epochs: usize,
    /// Adam learning rate. Default 0.01 (the reference code's).
    pub lr: f64,
    /// Type of the per-row work. Default f64.
    pub precision: Precision,
}

impl Default for Sgd {
    fn default() -> Self {
        Self {
            epochs: 2000,
            lr: 0.01,
            precision: Precision::F64,
        }
    }
}

/// The largest learning rate the engine is documented for: above it `phaseflow` warns (the
/// reference code uses 0.01; the statistical tests run at 0.01–0.05).
pub const LR_TESTED: f64 = 1.0;

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const ADAM_EPS: f64 = 1e-8;

/// Adam state for one flat parameter vector.
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn new(len: usize) -> Self {
        Self {
            m: vec![0.0; len],
            v: vec![0.0; len],
            t: 0,
        }
    }

    #[inline(always)]
    fn step(&mut self, theta: &mut [f64], grad: &[f64], lr: f64) {
        self.t += 1;
        let bc1 = 1.0 - BETA1.powi(self.t);
        let bc2 = 1.0 - BETA2.powi(self.t);
        let step = lr / bc1;
        let inv_bc2 = 1.0 / bc2;
        for (((th, &g), m), v) in theta.iter_mut().zip(grad).zip(&mut self.m).zip(&mut self.v) {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *th -= step * *m / ((*v * inv_bc2).sqrt() + ADAM_EPS);
        }
    }
}

/// The row type: f32 or f64.
trait Real:
    NormalFloat + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Neg<Output = Self>
{
    const ZERO: Self;
    fn of(x: f64) -> Self;
    fn wide(self) -> f64;
    /// self·a + b, rounded once.
    fn fma(self, a: Self, b: Self) -> Self;
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn wide(self) -> f64 {
        self
    }
    #[inline(always)]
    fn fma(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn wide(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn fma(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
}

/// Interleaved partial sums per dot product (part of the summation order, so of the
/// output: changing it changes the last bits of every result).
const ACC: usize = 8;

/// The partial sums of pass 1, one row of `ACC` lanes per dot product: w·x_t, u·x_t, u·x1,
/// y·x_t, y·y.
type Lanes<T> = [[T; ACC]; 5];

/// Pass 1 over whole chunks of `ACC` (the caller does the tail): turn the noise row `xt`
/// into x_t = α·x0 + β·x1 in place and return the partial sums of its dot products, with
/// y = c·x_t − x1.
///
/// The lanes are returned as they are and summed by the caller: with the horizontal sums in
/// the same function, LLVM's SLP vectoriser keeps loops with three or more interleaved
/// accumulators scalar.
#[inline(always)]
fn pass1<T: Real>(xt: &mut [T], x1: &[T], u: &[T], w: &[T], alpha: T, beta: T, c: T) -> Lanes<T> {
    let (mut wx, mut ux, mut ux1, mut yx, mut yy) = (
        [T::ZERO; ACC],
        [T::ZERO; ACC],
        [T::ZERO; ACC],
        [T::ZERO; ACC],
        [T::ZERO; ACC],
    );
    for (((xc, x1c), uc), wc) in xt
        .chunks_exact_mut(ACC)
        .zip(x1.chunks_exact(ACC))
        .zip(u.chunks_exact(ACC))
        .zip(w.chunks_exact(ACC))
    {
        for l in 0..ACC {
            let x = alpha.fma(xc[l], beta * x1c[l]);
            xc[l] = x;
            let y = c.fma(x, -x1c[l]);
            wx[l] = wc[l].fma(x, wx[l]);
            ux[l] = uc[l].fma(x, ux[l]);
            ux1[l] = uc[l].fma(x1c[l], ux1[l]);
            yx[l] = y.fma(x, yx[l]);
            yy[l] = y.fma(y, yy[l]);
        }
    }
    [wx, ux, ux1, yx, yy]
}

/// Pass 2: g_w += a·x_t and g_u += e·(c·x_t − x1).
#[inline(always)]
fn pass2<T: Real>(xt: &[T], x1: &[T], gu: &mut [T], gw: &mut [T], c: T, a: T, e: T) {
    for (((&x, &x1), gu), gw) in xt.iter().zip(x1).zip(gu).zip(gw) {
        *gw = a.fma(x, *gw);
        *gu = e.fma(c.fma(x, -x1), *gu);
    }
}

/// The dot products of one row (module doc), in f64.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RowDots {
    wx: f64,
    ux: f64,
    ux1: f64,
    yx: f64,
    yy: f64,
}

/// Pass 1 of a whole row: the chunks by `isa`, the d mod `ACC` tail here; lanes are summed
/// in order, then the tail in order.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn row_pass1<T: Real, K: Kernels>(
    isa: K,
    xt: &mut [T],
    x1: &[T],
    u: &[T],
    w: &[T],
    alpha: T,
    beta: T,
    c: T,
) -> RowDots {
    let full = xt.len() / ACC * ACC;
    let (body, tail) = xt.split_at_mut(full);
    let lanes = isa.pass1(body, &x1[..full], &u[..full], &w[..full], alpha, beta, c);
    let sum = |a: &[T; ACC]| a.iter().fold(0.0, |s, &v| s + v.wide());
    let mut dots = RowDots {
        wx: sum(&lanes[0]),
        ux: sum(&lanes[1]),
        ux1: sum(&lanes[2]),
        yx: sum(&lanes[3]),
        yy: sum(&lanes[4]),
    };
    for (j, xr) in tail.iter_mut().enumerate() {
        let (x1j, uj, wj) = (x1[full + j], u[full + j], w[full + j]);
        let x = alpha.fma(*xr, beta * x1j);
        *xr = x;
        let y = c.fma(x, -x1j);
        dots.wx += (wj * x).wide();
        dots.ux += (uj * x).wide();
        dots.ux1 += (uj * x1j).wide();
        dots.yx += (y * x).wide();
        dots.yy += (y * y).wide();
    }
    dots
}

/// One Adam run for grid time `k` with rows of type `T` and the row kernels `isa`.
fn train_step_in<T: Real, K: Kernels>(
    isa: K,
    sgd: &Sgd,
    pb: &Problem<'_>,
    k: usize,
) -> Result<(StepParams, StepRecord), TrainError> {
    let data = pb.data;
    let d = data.d;
    let t = pb.grid[k];
    let (alpha, beta) = (pb.schedule.alpha(t), pb.schedule.beta(t));
    let mut params = StepParams::init(d, &mut stream(pb.seed, pb.replica, Purpose::Init, k as u64));
    let mut noise = Normals::<T>::new(pb.seed, pb.replica, Purpose::Noise, k as u64);
    let mut adam = Adam::new(params.theta().len());
    let mut grad = vec![0.0; params.theta().len()];
    let x1: Vec<T> = data.x.iter().map(|&v| T::of(v)).collect();
    let (mut u, mut w) = (vec![T::ZERO; d], vec![T::ZERO; d]);
    let (mut gu, mut gw) = (vec![T::ZERO; d], vec![T::ZERO; d]);
    let mut xt = vec![T::ZERO; d];
    let inv_d = 1.0 / d as f64;
    let sqrt_d = (d as f64).sqrt();
    let (alpha_t, beta_t) = (T::of(alpha), T::of(beta));
    let mut loss = f64::NAN;
    let bound = super::LOSS_BOUND * super::zero_denoiser_loss(data);
    for epoch in 0..sgd.epochs {
        for (dst, &src) in u.iter_mut().zip(params.u()) {
            *dst = T::of(src);
        }
        for (dst, &src) in w.iter_mut().zip(params.w()) {
            *dst = T::of(src);
        }
        gu.iter_mut().for_each(|g| *g = T::ZERO);
        gw.iter_mut().for_each(|g| *g = T::ZERO);
        let (c, b, uu) = (params.c(), params.b(), params.u_norm2());
        let c_t = T::of(c);
        let (mut g_c, mut g_b, mut phi2, mut total) = (0.0, 0.0, 0.0, 0.0);
        for row in x1.chunks_exact(d) {
            noise.fill(&mut xt);
            let dots = row_pass1(isa, &mut xt, row, &u, &w, alpha_t, beta_t, c_t);
            let phi = (dots.wx / sqrt_d + b).tanh();
            let uy = c * dots.ux - dots.ux1;
            let g_z = 2.0 * inv_d * (uy + uu * phi) * (1.0 - phi * phi);
            g_c += 2.0 * inv_d * (dots.yx + phi * dots.ux);
            g_b += g_z;
            phi2 += phi * phi;
            total += dots.yy + 2.0 * phi * uy + phi * phi * uu;
            isa.pass2(
                &xt,
                row,
                &mut gu,
                &mut gw,
                c_t,
                T::of(g_z / sqrt_d),
                T::of(2.0 * inv_d * phi),
            );
        }
        let g_uu = 2.0 * inv_d * phi2;
        let (head, rest) = grad.split_at_mut(2);
        let (g_u, g_w) = rest.split_at_mut(d);
        head[0] = g_c;
        head[1] = g_b;
        for ((g, &acc), &uj) in g_u.iter_mut().zip(&gu).zip(params.u()) {
            *g = acc.wide() + g_uu * uj;
        }
        for (g, &acc) in g_w.iter_mut().zip(&gw) {
            *g = acc.wide();
        }
        total = total * inv_d
            + params.accumulate_ridge_grad(pb.lambda_u, pb.lambda_w, inv_d, &mut grad);
        if !total.is_finite() {
            return Err(TrainError::NonFinite {
                step: k,
                t,
                epoch,
                hint: super::divergence_hint("sgd"),
            });
        }
        if total > bound {
            return Err(TrainError::Diverged {
                step: k,
                t,
                epoch,
                loss: total,
                bound,
                hint: super::divergence_hint("sgd"),
            });
        }
        loss = total;
        adam.step(params.theta_mut(), &grad, sgd.lr);
    }
    if params.theta().iter().any(|v| !v.is_finite()) {
        return Err(TrainError::NonFinite {
            step: k,
            t,
            epoch: sgd.epochs,
            hint: super::divergence_hint("sgd"),
        });
    }
    Ok((
        params,
        StepRecord {
            stop: Stop::EpochBudget { epochs: sgd.epochs },
            loss,
        },
    ))
}

/// The row kernels ([`pass1`], [`pass2`]) as compiled for one instruction set. Each is a
/// separate function, not inlined into the epoch loop.
#[allow(clippy::too_many_arguments)]
trait Kernels: Copy {
    fn pass1<T: Real>(
        self,
        xt: &mut [T],
        x1: &[T],
        u: &[T],
        w: &[T],
        alpha: T,
        beta: T,
        c: T,
    ) -> Lanes<T>;
    fn pass2<T: Real>(self, xt: &[T], x1: &[T], gu: &mut [T], gw: &mut [T], c: T, a: T, e: T);
}

/// The kernels for the target's baseline instruction set.
#[derive(Clone, Copy)]
struct Baseline;

impl Kernels for Baseline {
    #[inline(never)]
    fn pass1<T: Real>(
        self,
        xt: &mut [T],
        x1: &[T],
        u: &[T],
        w: &[T],
        alpha: T,
        beta: T,
        c: T,
    ) -> Lanes<T> {
        pass1(xt, x1, u, w, alpha, beta, c)
    }
    #[inline(never)]
    fn pass2<T: Real>(self, xt: &[T], x1: &[T], gu: &mut [T], gw: &mut [T], c: T, a: T, e: T) {
        pass2(xt, x1, gu, gw, c, a, e)
    }
}

/// The kernels compiled for AVX2 and FMA; a value exists only on a processor that has both.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    fn detect() -> Option<Self> {
        crate::rng::normal::has_avx2().then_some(Self(()))
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
mod avx2 {
    use super::{Lanes, Real, pass1, pass2};

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn pass1_avx2<T: Real>(
        xt: &mut [T],
        x1: &[T],
        u: &[T],
        w: &[T],
        alpha: T,
        beta: T,
        c: T,
    ) -> Lanes<T> {
        pass1(xt, x1, u, w, alpha, beta, c)
    }
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn pass2_avx2<T: Real>(
        xt: &[T],
        x1: &[T],
        gu: &mut [T],
        gw: &mut [T],
        c: T,
        a: T,
        e: T,
    ) {
        pass2(xt, x1, gu, gw, c, a, e)
    }
}

// SAFETY (both): an `Avx2` value exists only after `Avx2::detect` found AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
impl Kernels for Avx2 {
    fn pass1<T: Real>(
        self,
        xt: &mut [T],
        x1: &[T],
        u: &[T],
        w: &[T],
        alpha: T,
        beta: T,
        c: T,
    ) -> Lanes<T> {
        unsafe { avx2::pass1_avx2(xt, x1, u, w, alpha, beta, c) }
    }
    fn pass2<T: Real>(self, xt: &[T], x1: &[T], gu: &mut [T], gw: &mut [T], c: T, a: T, e: T) {
        unsafe { avx2::pass2_avx2(xt, x1, gu, gw, c, a, e) }
    }
}

/// [`train_step_in`] with the fastest kernels this processor runs (same bits from each).
fn train_step_dispatch<T: Real>(
    sgd: &Sgd,
    pb: &Problem<'_>,
    k: usize,
) -> Result<(StepParams, StepRecord), TrainError> {
    #[cfg(target_arch = "x86_64")]
    if let Some(isa) = Avx2::detect() {
        return train_step_in::<T, _>(isa, sgd, pb, k);
    }
    train_step_in::<T, _>(Baseline, sgd, pb, k)
}

impl Sgd {
    /// One Adam run for grid time `k`.
    fn train_step(
        &self,
        pb: &Problem<'_>,
        k: usize,
    ) -> Result<(StepParams, StepRecord), TrainError> {
        match self.precision {
            Precision::F64 => train_step_dispatch::<f64>(self, pb, k),
            Precision::F32 => train_step_dispatch::<f32>(self, pb, k),
        }
    }
}

impl Engine for Sgd {
    fn name(&self) -> &'static str {
        "sgd"
    }

    fn train(&self, problem: &Problem<'_>) -> Result<Trained, TrainError> {
        let per_step: Vec<_> = (0..problem.grid.len())
            .into_par_iter()
            .map(|k| self.train_step(problem, k))
            .collect();
        assemble(problem.grid, per_step)
    }
}
impl super::EngineSpec for Sgd {
    const NAME: &'static str = "sgd";
    fn check(&self) -> Result<(), crate::problem::ConfigError> {
        crate::problem::at_least_one("epochs", self.epochs)?;
        crate::problem::positive_finite("lr", self.lr)
    }
    /// Adam with fresh noise keeps moving each parameter by up to `lr` per epoch at its
    /// noise floor: 2·lr.
    fn optimisation_budget(&self) -> f64 {
        2.0 * self.lr
    }
    /// Per grid time trained at once: the data copied to the row type (n·d), five rows
    /// (u, w, their gradients, x_t) and the f64 parameters, gradient and Adam moments
    /// (4·(2d + 2)); plus the K trained parameter sets.
    fn memory(&self, shape: &super::Shape) -> crate::budget::Cost {
        let row = match self.precision {
            Precision::F64 => 8.0,
            Precision::F32 => 4.0,
        };
        let (n, d) = (shape.n as f64, shape.d as f64);
        let at_once = shape.concurrent_steps as f64;
        let mut c = crate::budget::Cost::default();
        c.add(
            "sgd rows: the data per grid time trained at once, n·d",
            at_once * n * d * row,
            &[shape.n(), shape.d()],
        );
        c.add(
            "sgd scratch per grid time trained at once, 5d rows + 4·(2d + 2) f64",
            at_once * (5.0 * d * row + 4.0 * (2.0 * d + 2.0) * 8.0),
            &[shape.d()],
        );
        shape.parameters(&mut c);
        c
    }
    /// Every epoch visits every (grid time, sample, coordinate): K·epochs·n·d elements at
    /// [`calibration::SGD_F64`](crate::budget::calibration::SGD_F64) (or `SGD_F32`) each.
    fn time(&self, shape: &super::Shape) -> crate::budget::Cost {
        use crate::budget::calibration::{SGD_F32, SGD_F64};
        let per = match self.precision {
            Precision::F64 => SGD_F64,
            Precision::F32 => SGD_F32,
        };
        let (n, d, k) = (shape.n as f64, shape.d as f64, shape.steps as f64);
        let epochs = self.epochs as f64;
        let mut c = crate::budget::Cost::time();
        c.add_work(
            "sgd training, K·epochs·n·d elements",
            k * epochs * n * d,
            per,
            &[
                ("epochs", epochs, 2000.0),
                shape.n(),
                shape.d(),
                shape.steps(),
            ],
        );
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::Mixture;
    use crate::schedule::{Dilated, Schedule};

    fn small() -> (Dilated, Vec<f64>, crate::mixture::Dataset) {
        // d = 37 is not a multiple of the lane counts, so every remainder path runs.
        let d = 37;
        let mix = Mixture::ones(0.7, 1.0, d).unwrap();
        let data = mix.sample(9, &mut stream(4, 0, Purpose::Data, 0));
        let schedule = Dilated::new(2.0, d).unwrap();
        let grid = schedule.grid(5);
        (schedule, grid, data)
    }

    fn bits(p: &StepParams) -> Vec<u64> {
        p.theta().iter().map(|v| v.to_bits()).collect()
    }

    /// The baseline and the AVX2 copies of the epoch loop give the same bits.
    #[test]
    fn instruction_sets_agree_bitwise() {
        let (schedule, grid, data) = small();
        let pb = Problem {
            schedule: &schedule,
            grid: &grid,
            data: &data,
            lambda_u: 0.01,
            lambda_w: 0.01,
            seed: 3,
            replica: 1,
        };
        let sgd = Sgd {
            epochs: 40,
            ..Sgd::default()
        };
        for k in 0..grid.len() {
            let (base, _) = train_step_in::<f64, _>(Baseline, &sgd, &pb, k).unwrap();
            let (base32, _) = train_step_in::<f32, _>(Baseline, &sgd, &pb, k).unwrap();
            let (disp, _) = train_step_dispatch::<f64>(&sgd, &pb, k).unwrap();
            let (disp32, _) = train_step_dispatch::<f32>(&sgd, &pb, k).unwrap();
            assert_eq!(bits(&base), bits(&disp), "f64, step {k}");
            assert_eq!(bits(&base32), bits(&disp32), "f32, step {k}");
        }
    }

    /// Same bits with 1 and 2 threads, in both precisions; the precisions differ.
    #[test]
    fn bit_identical_across_thread_counts() {
        let (schedule, grid, data) = small();
        let pb = Problem {
            schedule: &schedule,
            grid: &grid,
            data: &data,
            lambda_u: 0.01,
            lambda_w: 0.01,
            seed: 5,
            replica: 0,
        };
        let run = |precision, threads| {
            let sgd = Sgd {
                epochs: 30,
                lr: 0.01,
                precision,
            };
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| sgd.train(&pb).unwrap())
                .denoiser
                .steps
                .iter()
                .flat_map(bits)
                .collect::<Vec<_>>()
        };
        for precision in [Precision::F64, Precision::F32] {
            assert_eq!(run(precision, 1), run(precision, 2), "{precision:?}");
        }
        assert_ne!(run(Precision::F64, 1), run(Precision::F32, 1));
    }

    /// The fused gradient (dot-product form) equals the direct two-pass gradient of
    /// `StepParams::accumulate_sample_grad` on the same x_t, to rounding.
    #[test]
    fn fused_gradient_matches_direct_gradient() {
        let (schedule, grid, data) = small();
        let d = data.d;
        let t = grid[3];
        let (alpha, beta) = (schedule.alpha(t), schedule.beta(t));
        let mut params = StepParams::init(d, &mut stream(1, 0, Purpose::Init, 0));
        params.set_c(0.4);
        params.set_b(-0.2);
        let inv_d = 1.0 / d as f64;
        let mut noise = Normals::<f64>::new(1, 0, Purpose::Noise, 0);
        let (mut direct, mut fused) = (vec![0.0; 2 * d + 2], vec![0.0; 2 * d + 2]);
        let (mut gu, mut gw) = (vec![0.0; d], vec![0.0; d]);
        let (mut g_c, mut g_b, mut phi2, mut total, mut total_direct) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let (c, b, uu) = (params.c(), params.b(), params.u_norm2());
        let sqrt_d = (d as f64).sqrt();
        for i in 0..data.n {
            let x1 = data.row(i);
            let mut xt = vec![0.0; d];
            noise.fill(&mut xt);
            let dots = row_pass1(
                Baseline,
                &mut xt,
                x1,
                params.u(),
                params.w(),
                alpha,
                beta,
                c,
            );
            total_direct += params.accumulate_sample_grad(&xt, x1, inv_d, &mut direct);
            let phi = (dots.wx / sqrt_d + b).tanh();
            let uy = c * dots.ux - dots.ux1;
            let g_z = 2.0 * inv_d * (uy + uu * phi) * (1.0 - phi * phi);
            g_c += 2.0 * inv_d * (dots.yx + phi * dots.ux);
            g_b += g_z;
            phi2 += phi * phi;
            total += dots.yy + 2.0 * phi * uy + phi * phi * uu;
            pass2(
                &xt,
                x1,
                &mut gu,
                &mut gw,
                c,
                g_z / sqrt_d,
                2.0 * inv_d * phi,
            );
        }
        fused[0] = g_c;
        fused[1] = g_b;
        for j in 0..d {
            fused[2 + j] = gu[j] + 2.0 * inv_d * phi2 * params.u()[j];
            fused[2 + d + j] = gw[j];
        }
        for (a, b) in fused.iter().zip(&direct) {
            assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
        }
        assert!((total - total_direct).abs() <= 1e-12 * total_direct);
    }
}
