//! The softmax model of SPEC §9.1 for one grid time:
//!
//! f(x) = c·x + U·softmax(W·x/√d + b),  c ∈ ℝ, U ∈ ℝ^{d×k}, W ∈ ℝ^{k×d}, b ∈ ℝ^k.
//!
//! It contains the Bayes denoiser of any isotropic k-mode mixture (classes N(μ_i, σ²I)):
//! c = βσ²/v, U_i = (1 − cβ)·μ_i (column i), W_i = √d·β·μ_i/v (row i),
//! b_i = ln p_i − β²|μ_i|²/(2v), v = α² + β²σ² ([`SoftmaxModel::bayes`]). Gauge: b + const·1
//! and a common row added to every W_i leave f unchanged; overlaps are reported with b
//! centred ([`SoftmaxModel::overlaps`]). Permuting the k units (U columns, W rows, b entries
//! together) leaves f unchanged too. k = 2 with μ_2 = −μ_1 is the tanh model of SPEC §3
//! (softmax of two logits is (1 ± tanh)/2).
//!
//! Parameters are stored flat as `[c, b_1..b_k, U_1..U_k, W_1..W_k]` (U_i and W_i each d
//! numbers), the layout of the gradient. With r = f(x) − x1, s = softmax(z),
//! z = W·x/√d + b and g_i = 2·U_i·r, the per-sample gradient of |r|² is
//! ∂c = 2 r·x, ∂U_i = 2 s_i r, ∂z_j = s_j (g_j − Σ_i s_i g_i), ∂b_j = ∂z_j,
//! ∂W_j = ∂z_j·x/√d: three passes over d, O(k·d) per sample, no allocation.
//!
//! ```
//! use phaseflow::model::{SoftmaxModel, StepModel};
//! use phaseflow::target::KMode;
//! // The Bayes denoiser of three simplex modes at (α, β) = (0.6, 0.8) is a softmax model.
//! let t = KMode::simplex(6, vec![0.5, 0.3, 0.2], 1.0).unwrap();
//! let m = SoftmaxModel::bayes(t.isotropic(), 0.6, 0.8);
//! let x = [0.3, -0.2, 0.5, 0.1, 0.0, -0.4];
//! let (mut f, mut bayes) = ([0.0; 6], [0.0; 6]);
//! m.eval(&x, &mut f);
//! t.isotropic().denoise(0.6, 0.8, &x, &mut bayes);
//! assert!(f.iter().zip(&bayes).all(|(a, b)| (a - b).abs() < 1e-12));
//! ```

use super::StepModel;
use crate::target::{Isotropic, SoftmaxParams};

/// The most units k a [`SoftmaxModel`] has: its per-sample scratch is on the stack.
pub const MAX_UNITS: usize = 64;

/// The softmax model of one grid time (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxModel {
    d: usize,
    k: usize,
    theta: Vec<f64>,
}

impl SoftmaxModel {
    /// All-zero parameters: d inputs, k units.
    ///
    /// # Panics
    /// If k is 0 or above [`MAX_UNITS`], or d is 0.
    pub fn zeros(d: usize, k: usize) -> Self {
        assert!(
            (1..=MAX_UNITS).contains(&k),
            "k = {k} units, need 1..={MAX_UNITS}"
        );
        assert!(d > 0, "d must be positive");
        Self {
            d,
            k,
            theta: vec![0.0; 1 + k + 2 * k * d],
        }
    }

    /// The Bayes denoiser of `target` at (α, β) as a softmax model (module doc).
    pub fn bayes(target: &Isotropic, alpha: f64, beta: f64) -> Self {
        let means = target.means();
        let (d, k) = (target.d(), means.len());
        let s2 = target.sigma2();
        let v = alpha * alpha + beta * beta * s2;
        let c = beta * s2 / v;
        let mut m = Self::zeros(d, k);
        m.set_c(c);
        let sd = (d as f64).sqrt();
        for (i, (mu, &p)) in means.iter().zip(target.weights()).enumerate() {
            let n2: f64 = mu.iter().map(|v| v * v).sum();
            m.b_mut()[i] = p.ln() - beta * beta * n2 / (2.0 * v);
            for (u, &x) in m.u_mut(i).iter_mut().zip(mu) {
                *u = (1.0 - c * beta) * x;
            }
            for (w, &x) in m.w_mut(i).iter_mut().zip(mu) {
                *w = sd * beta / v * x;
            }
        }
        m
    }

    /// Dimension d.
    pub fn d(&self) -> usize {
        self.d
    }
    /// Number of units k.
    pub fn k(&self) -> usize {
        self.k
    }
    /// c.
    pub fn c(&self) -> f64 {
        self.theta[0]
    }
    /// Set c.
    pub fn set_c(&mut self, c: f64) {
        self.theta[0] = c;
    }
    /// b (k numbers).
    pub fn b(&self) -> &[f64] {
        &self.theta[1..1 + self.k]
    }
    /// b, mutable.
    pub fn b_mut(&mut self) -> &mut [f64] {
        let k = self.k;
        &mut self.theta[1..1 + k]
    }
    /// Column i of U (d numbers).
    pub fn u(&self, i: usize) -> &[f64] {
        let o = 1 + self.k + i * self.d;
        &self.theta[o..o + self.d]
    }
    /// Column i of U, mutable.
    pub fn u_mut(&mut self, i: usize) -> &mut [f64] {
        let o = 1 + self.k + i * self.d;
        let d = self.d;
        &mut self.theta[o..o + d]
    }
    /// Row i of W (d numbers).
    pub fn w(&self, i: usize) -> &[f64] {
        let o = 1 + self.k + (self.k + i) * self.d;
        &self.theta[o..o + self.d]
    }
    /// Row i of W, mutable.
    pub fn w_mut(&mut self, i: usize) -> &mut [f64] {
        let o = 1 + self.k + (self.k + i) * self.d;
        let d = self.d;
        &mut self.theta[o..o + d]
    }

    /// The gate s = softmax(W·x/√d + b) at x into `s` (length k).
    pub fn gate(&self, x: &[f64], s: &mut [f64]) {
        let inv = 1.0 / (self.d as f64).sqrt();
        let mut top = f64::NEG_INFINITY;
        for i in 0..self.k {
            let wx: f64 = self.w(i).iter().zip(x).map(|(a, b)| a * b).sum();
            s[i] = wx * inv + self.b()[i];
            top = top.max(s[i]);
        }
        let mut sum = 0.0;
        for v in s.iter_mut().take(self.k) {
            *v = (*v - top).exp();
            sum += *v;
        }
        for v in s.iter_mut().take(self.k) {
            *v /= sum;
        }
    }

    /// Overlaps with the means μ_j (|μ_j|² = Θ(d)): m_ij = U_i·μ_j/d, ω_ij = W_i·μ_j/d, b
    /// centred (Σ_i b_i = 0), in the units' own order (SPEC §9.1; compare with
    /// [`Isotropic::bayes_params`] after matching units to means).
    pub fn overlaps(&self, means: &[Vec<f64>]) -> SoftmaxParams {
        let df = self.d as f64;
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / df;
        let mean_b = self.b().iter().sum::<f64>() / self.k as f64;
        SoftmaxParams {
            c: self.c(),
            m: (0..self.k)
                .map(|i| means.iter().map(|mu| dot(self.u(i), mu)).collect())
                .collect(),
            omega: (0..self.k)
                .map(|i| means.iter().map(|mu| dot(self.w(i), mu)).collect())
                .collect(),
            b: self.b().iter().map(|v| v - mean_b).collect(),
        }
    }

    /// The class weights the network carries: softmax(b), its gate at x = 0 (in phase 1 of
    /// the dilated schedule, d → ∞, b_i → ln p_i + const for means of equal norm, so this
    /// is p; SPEC §9.1).
    pub fn weights_from_bias(&self) -> Vec<f64> {
        let mut s = [0.0; MAX_UNITS];
        let top = self.b().iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for (v, &b) in s.iter_mut().zip(self.b()) {
            *v = (b - top).exp();
            sum += *v;
        }
        s[..self.k].iter().map(|v| v / sum).collect()
    }
}

impl StepModel for SoftmaxModel {
    fn d(&self) -> usize {
        self.d
    }
    fn params(&self) -> &[f64] {
        &self.theta
    }
    fn params_mut(&mut self) -> &mut [f64] {
        &mut self.theta
    }
    /// c and b at scale 1, the entries of U and W at √d (|U_i|, |W_i| = Θ(d) at the Bayes
    /// point).
    fn param_scales(&self) -> Vec<f64> {
        let sd = (self.d as f64).sqrt();
        let mut v = vec![sd; self.theta.len()];
        v[..1 + self.k].fill(1.0);
        v
    }
    fn eval(&self, x: &[f64], out: &mut [f64]) {
        let mut s = [0.0; MAX_UNITS];
        self.gate(x, &mut s);
        let c = self.c();
        for (o, &xj) in out.iter_mut().zip(x) {
            *o = c * xj;
        }
        for i in 0..self.k {
            let si = s[i];
            for (o, &u) in out.iter_mut().zip(self.u(i)) {
                *o += si * u;
            }
        }
    }

    fn accumulate_sample_grad(&self, x: &[f64], x1: &[f64], scale: f64, grad: &mut [f64]) -> f64 {
        let (d, k) = (self.d, self.k);
        let mut s = [0.0; MAX_UNITS];
        self.gate(x, &mut s);
        let c = self.c();
        let o_u = 1 + k;
        let o_w = 1 + k + k * d;
        // Pass over d: r = f(x) − x1, r·x, |r|², U_i·r, and ∂U_i = 2 s_i r.
        let mut ur = [0.0; MAX_UNITS];
        let (mut rx, mut rr) = (0.0, 0.0);
        for j in 0..d {
            let mut r = c * x[j] - x1[j];
            for i in 0..k {
                r += s[i] * self.theta[o_u + i * d + j];
            }
            rx += r * x[j];
            rr += r * r;
            for i in 0..k {
                ur[i] += self.theta[o_u + i * d + j] * r;
                grad[o_u + i * d + j] += 2.0 * scale * s[i] * r;
            }
        }
        grad[0] += 2.0 * scale * rx;
        // ∂z_j = s_j (g_j − Σ_i s_i g_i), g_i = 2 U_i·r.
        let sg: f64 = (0..k).map(|i| s[i] * 2.0 * ur[i]).sum();
        let inv = 1.0 / (d as f64).sqrt();
        for i in 0..k {
            let gz = scale * s[i] * (2.0 * ur[i] - sg);
            grad[1 + i] += gz;
            let gw = gz * inv;
            for (g, &xj) in grad[o_w + i * d..o_w + (i + 1) * d].iter_mut().zip(x) {
                *g += gw * xj;
            }
        }
        rr
    }

    fn accumulate_ridge_grad(
        &self,
        lambda_u: f64,
        lambda_w: f64,
        scale: f64,
        grad: &mut [f64],
    ) -> f64 {
        let (d, k) = (self.d, self.k);
        let o_u = 1 + k;
        let o_w = o_u + k * d;
        let (mut uu, mut ww) = (0.0, 0.0);
        for j in 0..k * d {
            let (u, w) = (self.theta[o_u + j], self.theta[o_w + j]);
            uu += u * u;
            ww += w * w;
            grad[o_u + j] += 2.0 * scale * lambda_u * u;
            grad[o_w + j] += 2.0 * scale * lambda_w * w;
        }
        scale * (lambda_u * uu + lambda_w * ww)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use crate::target::{KMode, Target};
    use rand::Rng;
    use rand_distr::StandardNormal;

    /// Central finite differences of the loss |f(x) − x1|² + ridge against the analytic
    /// gradient, at `trials` random (x, x1) pairs (seeded).
    pub(crate) fn check_fd<M: StepModel>(model: &M, trials: usize) {
        let d = model.d();
        let mut rng = stream(77, 0, Purpose::Test, 1);
        let (lu, lw) = (0.3, 0.7);
        for trial in 0..trials {
            let x: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
            let x1: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
            let loss = |m: &M| {
                let mut g = vec![0.0; m.params().len()];
                m.accumulate_sample_grad(&x, &x1, 1.0, &mut g)
                    + m.accumulate_ridge_grad(lu, lw, 1.0, &mut g)
            };
            let mut grad = vec![0.0; model.params().len()];
            model.accumulate_sample_grad(&x, &x1, 1.0, &mut grad);
            model.accumulate_ridge_grad(lu, lw, 1.0, &mut grad);
            let mut out = vec![0.0; d];
            model.eval(&x, &mut out);
            let direct: f64 = out.iter().zip(&x1).map(|(a, b)| (a - b).powi(2)).sum();
            let mut g0 = vec![0.0; grad.len()];
            assert!(
                (model.accumulate_sample_grad(&x, &x1, 1.0, &mut g0) - direct).abs()
                    < 1e-12 * (1.0 + direct),
                "the returned loss is |f(x) − x1|²"
            );
            let h = 1e-6;
            for p in 0..grad.len() {
                let (mut a, mut b) = (model.clone(), model.clone());
                a.params_mut()[p] += h;
                b.params_mut()[p] -= h;
                let fd = (loss(&a) - loss(&b)) / (2.0 * h);
                // Central differences: error O(h²·f‴) + round-off O(ε·f/h) ≈ 1e-9 here.
                assert!(
                    (fd - grad[p]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "trial {trial}, parameter {p}: analytic {} vs finite difference {fd}",
                    grad[p]
                );
            }
        }
    }

    fn random_model(d: usize, k: usize, seed: u64) -> SoftmaxModel {
        let mut rng = stream(seed, 0, Purpose::Test, 2);
        let mut m = SoftmaxModel::zeros(d, k);
        for v in m.params_mut() {
            *v = rng.sample::<f64, _>(StandardNormal);
        }
        m
    }

    #[test]
    fn softmax_gradient_matches_finite_differences() {
        check_fd(&random_model(7, 3, 1), 8);
        check_fd(&random_model(5, 1, 2), 4);
        check_fd(&random_model(4, 5, 3), 4);
    }

    #[test]
    fn bayes_parameters_give_the_bayes_denoiser() {
        // Simplex, orthogonal and general means, at several (α, β) along the linear path.
        let general = KMode::new(
            vec![
                vec![1.0, 0.5, 0.0, 2.0],
                vec![-1.0, 0.2, 0.3, 0.0],
                vec![0.0, -1.0, 1.0, 0.5],
            ],
            vec![0.2, 0.5, 0.3],
            0.7,
        )
        .unwrap();
        let targets = [
            KMode::simplex(9, vec![0.5, 0.3, 0.2], 1.0).unwrap(),
            KMode::orthogonal(8, vec![0.25; 4], 0.5).unwrap(),
            general,
        ];
        let mut rng = stream(5, 0, Purpose::Test, 3);
        for t in &targets {
            let iso = t.isotropic();
            for tau in [0.05, 0.3, 0.7, 0.95] {
                let (al, be) = (1.0 - tau, tau);
                let m = SoftmaxModel::bayes(iso, al, be);
                for _ in 0..5 {
                    let x: Vec<f64> = (0..t.d())
                        .map(|_| 2.0 * rng.sample::<f64, _>(StandardNormal))
                        .collect();
                    let (mut f, mut b) = (vec![0.0; t.d()], vec![0.0; t.d()]);
                    m.eval(&x, &mut f);
                    t.denoise(al, be, &x, &mut b);
                    for (a, w) in f.iter().zip(&b) {
                        assert!(
                            (a - w).abs() < crate::tol::ROUNDOFF * (1.0 + w.abs()),
                            "τ = {tau}, d = {}: model {a} vs Bayes {w}",
                            t.d()
                        );
                    }
                    // The gate is the posterior.
                    let mut s = [0.0; MAX_UNITS];
                    m.gate(&x, &mut s);
                    for (g, p) in s.iter().zip(t.posterior(al, be, &x)) {
                        assert!((g - p).abs() < crate::tol::ROUNDOFF);
                    }
                }
                // Its overlaps are SPEC §9.1's (Isotropic::bayes_params).
                let want = iso.bayes_params(al, be);
                let got = m.overlaps(&iso.means());
                assert!((got.c - want.c).abs() < crate::tol::ROUNDOFF);
                for i in 0..want.b.len() {
                    assert!(
                        (got.b[i] - want.b[i]).abs() < 1e-10,
                        "b {:?} {:?}",
                        got.b,
                        want.b
                    );
                    for j in 0..want.b.len() {
                        assert!((got.m[i][j] - want.m[i][j]).abs() < 1e-10);
                        assert!(
                            (got.omega[i][j] - want.omega[i][j]).abs()
                                < 1e-10 * (1.0 + want.omega[i][j].abs())
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn weights_from_bias_is_softmax_of_b() {
        let mut m = SoftmaxModel::zeros(2, 3);
        m.b_mut()
            .copy_from_slice(&[0.5f64.ln() + 3.0, 0.3f64.ln() + 3.0, 0.2f64.ln() + 3.0]);
        for (a, b) in m.weights_from_bias().iter().zip([0.5, 0.3, 0.2]) {
            assert!((a - b).abs() < 1e-15);
        }
    }
}
