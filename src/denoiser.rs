//! The two-layer denoiser with a skip connection (SPEC §3), one parameter set per grid time:
//!
//! f_k(x) = c_k·x + u_k·tanh(w_k·x/√d + b_k),  c_k, b_k ∈ ℝ,  u_k, w_k ∈ ℝ^d.
//!
//! Overlaps with the mean μ (|μ|² = d): m = u·μ/d, ω = w·μ/d, q = |u|²/d, r = |w|²/d.
//! The map (u, w, b) → (−u, −w, −b) leaves f unchanged; overlaps are reported in the
//! canonical sign m ≥ 0.
//!
//! ```
//! use phaseflow::denoiser::StepParams;
//! let mut p = StepParams::zeros(4);
//! p.set_c(0.5);
//! let mut out = vec![0.0; 4];
//! p.eval(&[1.0, 2.0, 3.0, 4.0], &mut out);
//! assert_eq!(out, vec![0.5, 1.0, 1.5, 2.0]);
//! ```

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Parameters (c, b, u, w) of one grid time, stored flat as `[c, b, u_1..u_d, w_1..w_d]`
/// so that optimisers (Adam) and gradients share one layout.
#[derive(Debug, Clone, PartialEq)]
pub struct StepParams {
    theta: Vec<f64>,
}

/// The six overlaps the theory predicts (SPEC §3), in the canonical sign m ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Overlaps {
    /// Skip-connection weight c.
    pub c: f64,
    /// m = u·μ/d.
    pub m: f64,
    /// ω = w·μ/d.
    pub omega: f64,
    /// Bias b.
    pub b: f64,
    /// √q = |u|/√d.
    pub sqrt_q: f64,
    /// √r = |w|/√d.
    pub sqrt_r: f64,
}

impl Overlaps {
    /// The six overlaps with their JSON names, in declaration order.
    pub fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("c", self.c),
            ("m", self.m),
            ("omega", self.omega),
            ("b", self.b),
            ("sqrt_q", self.sqrt_q),
            ("sqrt_r", self.sqrt_r),
        ]
    }
}

/// Dot products of one sample (x, x1) with the parameters: w·x, u·x, u·x1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SampleDots {
    /// w·x.
    pub wx: f64,
    /// u·x.
    pub ux: f64,
    /// u·x1.
    pub ux1: f64,
}

/// Per-sample quantities shared by the loss and its gradient.
struct Forward {
    /// tanh(w·x/√d + b).
    phi: f64,
    /// u·(f(x) − x1).
    u_dot_r: f64,
}

impl StepParams {
    /// All-zero parameters in dimension d.
    pub fn zeros(d: usize) -> Self {
        Self {
            theta: vec![0.0; 2 * d + 2],
        }
    }

    /// The reference initialisation: c = b = 0 and u_j, w_j ~ N(0, 1/d) i.i.d., so that
    /// q ≈ r ≈ 1/d and the overlaps m, ω start at O(1/d).
    pub fn init<R: Rng>(d: usize, rng: &mut R) -> Self {
        let mut p = Self::zeros(d);
        let s = 1.0 / (d as f64).sqrt();
        for v in &mut p.theta[2..] {
            *v = s * rng.sample::<f64, _>(StandardNormal);
        }
        p
    }

    /// Build from parts.
    ///
    /// # Panics
    /// If u and w have different lengths.
    pub fn from_parts(c: f64, u: &[f64], w: &[f64], b: f64) -> Self {
        assert_eq!(u.len(), w.len(), "u and w must have the same length");
        let mut theta = Vec::with_capacity(2 * u.len() + 2);
        theta.push(c);
        theta.push(b);
        theta.extend_from_slice(u);
        theta.extend_from_slice(w);
        Self { theta }
    }

    /// Dimension d.
    pub fn d(&self) -> usize {
        (self.theta.len() - 2) / 2
    }
    /// The flat parameter vector `[c, b, u, w]`.
    pub(crate) fn theta(&self) -> &[f64] {
        &self.theta
    }
    /// Mutable flat parameter vector `[c, b, u, w]`.
    pub(crate) fn theta_mut(&mut self) -> &mut [f64] {
        &mut self.theta
    }
    /// c.
    pub fn c(&self) -> f64 {
        self.theta[0]
    }
    /// b.
    pub fn b(&self) -> f64 {
        self.theta[1]
    }
    /// u.
    pub fn u(&self) -> &[f64] {
        let d = self.d();
        &self.theta[2..2 + d]
    }
    /// w.
    pub fn w(&self) -> &[f64] {
        let d = self.d();
        &self.theta[2 + d..]
    }
    /// Set c.
    pub fn set_c(&mut self, c: f64) {
        self.theta[0] = c;
    }
    /// Set b.
    pub fn set_b(&mut self, b: f64) {
        self.theta[1] = b;
    }
    /// Mutable u and w together.
    pub fn uw_mut(&mut self) -> (&mut [f64], &mut [f64]) {
        let d = self.d();
        self.theta[2..].split_at_mut(d)
    }

    /// φ = tanh(z), z = w·x/√d + b, for input x (for the Bayes denoiser, 2π₊ − 1 with π₊
    /// the posterior probability of the + mode).
    pub fn phi(&self, x: &[f64]) -> f64 {
        let wx: f64 = self.w().iter().zip(x).map(|(a, b)| a * b).sum();
        (wx / (self.d() as f64).sqrt() + self.b()).tanh()
    }

    /// The dot products of one sample that the loss gradient needs.
    pub fn dots(&self, x: &[f64], x1: &[f64]) -> SampleDots {
        let (u, w) = (self.u(), self.w());
        let mut dots = SampleDots::default();
        for j in 0..self.d() {
            dots.wx += w[j] * x[j];
            dots.ux += u[j] * x[j];
            dots.ux1 += u[j] * x1[j];
        }
        dots
    }

    fn forward(&self, dots: &SampleDots, uu: f64) -> Forward {
        let phi = (dots.wx / (self.d() as f64).sqrt() + self.b()).tanh();
        Forward {
            phi,
            u_dot_r: self.c() * dots.ux + uu * phi - dots.ux1,
        }
    }

    /// |u|².
    pub(crate) fn u_norm2(&self) -> f64 {
        self.u().iter().map(|v| v * v).sum()
    }

    /// f(x) written into `out`.
    pub fn eval(&self, x: &[f64], out: &mut [f64]) {
        let phi = self.phi(x);
        let c = self.c();
        for ((o, &xj), &uj) in out.iter_mut().zip(x).zip(self.u()) {
            *o = c * xj + uj * phi;
        }
    }

    /// Adds the gradient of `scale·|f(x) − x1|²` to `grad` (same flat layout) and returns
    /// `|f(x) − x1|²`. Two passes over the d coordinates; no allocation.
    ///
    /// With r = f(x) − x1, φ = tanh(z), z = w·x/√d + b:
    /// ∂c = 2 r·x, ∂b = 2 (u·r)(1 − φ²), ∂u = 2 φ r, ∂w = 2 (u·r)(1 − φ²) x/√d.
    pub fn accumulate_sample_grad(
        &self,
        x: &[f64],
        x1: &[f64],
        scale: f64,
        grad: &mut [f64],
    ) -> f64 {
        self.accumulate_sample_grad_with(x, x1, &self.dots(x, x1), self.u_norm2(), scale, grad)
    }

    /// As [`StepParams::accumulate_sample_grad`], with the sample's dot products and |u|²
    /// already computed (the sgd engine fuses them into the loop that draws x_t, saving a
    /// pass over d).
    pub(crate) fn accumulate_sample_grad_with(
        &self,
        x: &[f64],
        x1: &[f64],
        dots: &SampleDots,
        uu: f64,
        scale: f64,
        grad: &mut [f64],
    ) -> f64 {
        let d = self.d();
        let fw = self.forward(dots, uu);
        let c = self.c();
        let g_z = 2.0 * scale * fw.u_dot_r * (1.0 - fw.phi * fw.phi);
        let g_w = g_z / (d as f64).sqrt();
        let two_s_phi = 2.0 * scale * fw.phi;
        let (g_head, g_rest) = grad.split_at_mut(2);
        let (g_u, g_wv) = g_rest.split_at_mut(d);
        let u = self.u();
        let (mut rx, mut rr) = (0.0, 0.0);
        for j in 0..d {
            let r = c * x[j] + u[j] * fw.phi - x1[j];
            rx += r * x[j];
            rr += r * r;
            g_u[j] += two_s_phi * r;
            g_wv[j] += g_w * x[j];
        }
        g_head[0] += 2.0 * scale * rx;
        g_head[1] += g_z;
        rr
    }

    /// Adds the gradient of the ridge terms `scale·(λ_u|u|² + λ_w|w|²)` to `grad` and
    /// returns their value.
    pub(crate) fn accumulate_ridge_grad(
        &self,
        lambda_u: f64,
        lambda_w: f64,
        scale: f64,
        grad: &mut [f64],
    ) -> f64 {
        let d = self.d();
        let (mut uu, mut ww) = (0.0, 0.0);
        for j in 0..d {
            let (u, w) = (self.theta[2 + j], self.theta[2 + d + j]);
            uu += u * u;
            ww += w * w;
            grad[2 + j] += 2.0 * scale * lambda_u * u;
            grad[2 + d + j] += 2.0 * scale * lambda_w * w;
        }
        scale * (lambda_u * uu + lambda_w * ww)
    }

    #[cfg(test)] // used by the unit tests only
    /// The same function with (u, w, b) → (−u, −w, −b).
    pub(crate) fn flipped(&self) -> Self {
        let mut p = self.clone();
        for v in &mut p.theta[1..] {
            *v = -*v;
        }
        p
    }

    /// Overlaps with μ in the canonical sign (m ≥ 0).
    ///
    /// # Panics
    /// If `mu.len() != d`.
    pub fn overlaps(&self, mu: &[f64]) -> Overlaps {
        let d = self.d();
        assert_eq!(mu.len(), d, "mu has the wrong dimension");
        let df = d as f64;
        let (mut um, mut wm, mut uu, mut ww) = (0.0, 0.0, 0.0, 0.0);
        for j in 0..d {
            let (u, w) = (self.u()[j], self.w()[j]);
            um += u * mu[j];
            wm += w * mu[j];
            uu += u * u;
            ww += w * w;
        }
        let sign = if um < 0.0 { -1.0 } else { 1.0 };
        Overlaps {
            c: self.c(),
            m: sign * um / df,
            omega: sign * wm / df,
            b: sign * self.b(),
            sqrt_q: (uu / df).sqrt(),
            sqrt_r: (ww / df).sqrt(),
        }
    }
}

/// A trained denoiser: one [`StepParams`] per grid time.
#[derive(Debug, Clone, PartialEq)]
pub struct Denoiser {
    /// Grid times t_k.
    pub grid: Vec<f64>,
    /// Parameters of each grid time.
    pub steps: Vec<StepParams>,
}

impl Denoiser {
    /// The same grid with step k carrying the parameters of step k + 1 (the last keeps its
    /// own): what an Euler sampler that is off by one integrates
    /// ([`crate::perturbation::Perturbation::EulerNext`]).
    pub fn shifted_by_one(&self) -> Self {
        let mut steps: Vec<StepParams> = self.steps.iter().skip(1).cloned().collect();
        if let Some(last) = self.steps.last() {
            steps.push(last.clone());
        }
        Self {
            grid: self.grid.clone(),
            steps,
        }
    }

    /// Dimension d.
    pub fn d(&self) -> usize {
        self.steps.first().map_or(0, StepParams::d)
    }
    /// Overlaps of every step in the canonical sign.
    pub fn overlaps(&self, mu: &[f64]) -> Vec<Overlaps> {
        self.steps.iter().map(|p| p.overlaps(mu)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use quickcheck::{TestResult, quickcheck};

    fn loss(p: &StepParams, x: &[f64], x1: &[f64]) -> f64 {
        let mut f = vec![0.0; x.len()];
        p.eval(x, &mut f);
        f.iter().zip(x1).map(|(a, b)| (a - b) * (a - b)).sum()
    }

    quickcheck! {
        /// Analytic gradient of |f(x) − x1|² + λ-terms against central differences.
        fn grad_matches_central_differences(seed: u64, d: u8, scale: u8) -> TestResult {
            let d = (d % 12 + 1) as usize;
            let sc = 0.2 + scale as f64 / 64.0;
            let mut rng = stream(seed, 0, Purpose::Test, 0);
            let mut p = StepParams::init(d, &mut rng);
            for v in p.theta_mut() { *v += sc * rng.sample::<f64, _>(StandardNormal); }
            let x: Vec<f64> = (0..d).map(|_| sc * 2.0 * rng.sample::<f64, _>(StandardNormal)).collect();
            let x1: Vec<f64> = (0..d).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
            let (lu, lw) = (0.3, 0.7);
            let mut g = vec![0.0; p.theta().len()];
            let l0 = p.accumulate_sample_grad(&x, &x1, 1.0, &mut g)
                + p.accumulate_ridge_grad(lu, lw, 1.0, &mut g);
            let full = |q: &StepParams| {
                let uu: f64 = q.u().iter().map(|v| v * v).sum();
                let ww: f64 = q.w().iter().map(|v| v * v).sum();
                loss(q, &x, &x1) + lu * uu + lw * ww
            };
            if (l0 - full(&p)).abs() > 1e-9 * (1.0 + l0.abs()) {
                return TestResult::error(format!("loss {l0} vs {}", full(&p)));
            }
            let h = 1e-6;
            for i in 0..p.theta().len() {
                let mut a = p.clone();
                let mut b = p.clone();
                a.theta_mut()[i] += h;
                b.theta_mut()[i] -= h;
                let fd = (full(&a) - full(&b)) / (2.0 * h);
                // Central difference error O(h²·f''') plus rounding O(ε·f/h).
                let tol = 1e-6 * (1.0 + fd.abs() + l0.abs());
                if (fd - g[i]).abs() > tol {
                    return TestResult::error(format!("param {i}: fd {fd} vs analytic {}", g[i]));
                }
            }
            TestResult::passed()
        }

        /// The sign symmetry leaves f and the canonical overlaps unchanged.
        fn overlaps_invariant_under_sign_flip(seed: u64, d: u8) -> bool {
            let d = (d % 20 + 1) as usize;
            let mut rng = stream(seed, 0, Purpose::Test, 1);
            let mut p = StepParams::init(d, &mut rng);
            p.set_b(rng.sample(StandardNormal));
            p.set_c(rng.sample(StandardNormal));
            let mu: Vec<f64> = vec![1.0; d];
            let x: Vec<f64> = (0..d).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
            let q = p.flipped();
            let (mut f1, mut f2) = (vec![0.0; d], vec![0.0; d]);
            p.eval(&x, &mut f1);
            q.eval(&x, &mut f2);
            let same_f = f1.iter().zip(&f2).all(|(a, b)| (a - b).abs() <= crate::tol::ROUNDOFF * (1.0 + a.abs()));
            let (o1, o2) = (p.overlaps(&mu), q.overlaps(&mu));
            same_f && o1 == o2 && o1.m >= 0.0
        }
    }
}
