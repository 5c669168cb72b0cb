//! Isotropic Gaussian classes N(μ_i, σ²I_d) whose means span r ≤ k dimensions: the engine
//! shared by [`super::TwoMode`], [`super::KMode`] and [`super::Hierarchical`] (module doc of
//! [`super`]; SPEC §9.1).
//!
//! The means are stored by their coordinates M_i ∈ ℝ^r in an orthonormal basis of their span
//! (|μ_i|² = |M_i|²), and the basis itself by a rule ([`Basis`]): the theory never touches a
//! d-vector, so d = 10⁸ is as cheap as d = 10²; sampling and the denoiser at a point build
//! the d-vectors they need.

use super::{ClassEuler, ConfigError, Labelled, check_dim, check_weights, euler_steps, quadrature};
use crate::flow::{Endpoint, VelocityCoef};
use crate::rng::PortableRng;
use crate::schedule::Schedule;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// `impl Target for $ty` by delegation to its `iso: Isotropic` field (the targets whose
/// classes are N(μ_i, σ²I): everything but the name is the shared engine's).
macro_rules! isotropic_target {
    ($ty:ty, $name:literal) => {
        impl $crate::target::Target for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn d(&self) -> usize {
                self.iso.d()
            }
            fn weights(&self) -> &[f64] {
                self.iso.weights()
            }
            fn sample(
                &self,
                n: usize,
                rng: &mut $crate::rng::PortableRng,
            ) -> $crate::target::Labelled {
                self.iso.sample(n, rng)
            }
            fn posterior(&self, alpha: f64, beta: f64, x: &[f64]) -> Vec<f64> {
                self.iso.posterior(alpha, beta, x)
            }
            fn denoise(&self, alpha: f64, beta: f64, x: &[f64], out: &mut [f64]) {
                self.iso.denoise(alpha, beta, x, out);
            }
            fn classify(&self, x: &[f64]) -> usize {
                self.iso.nearest_span(&self.iso.project(x))
            }
            fn euler(
                &self,
                schedule: &dyn $crate::schedule::Schedule,
                grid: &[f64],
                endpoint: $crate::flow::Endpoint,
            ) -> Option<$crate::target::ClassEuler> {
                self.iso.euler(schedule, grid, endpoint)
            }
        }
    };
}
pub(crate) use isotropic_target;

/// An orthonormal basis e_1..e_r of the means' span in ℝ^d.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Basis {
    /// e_j is the normalised indicator of the j-th of r near-equal coordinate blocks
    /// (block j is [⌊jd/r⌋, ⌊(j+1)d/r⌋)).
    Blocks,
    /// Given orthonormal vectors (from Gram–Schmidt on given means).
    Explicit(Vec<Vec<f64>>),
}

/// The most classes (and span dimensions) the exact Euler of [`Isotropic`] handles: its
/// per-point scratch is on the stack.
pub const MAX_CLASSES: usize = 64;

/// k isotropic Gaussian classes (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Isotropic {
    d: usize,
    weights: Vec<f64>,
    sigma2: f64,
    coords: Vec<Vec<f64>>,
    basis: Basis,
}

/// The parameters of the softmax model f(x) = c·x + U·softmax(W·x/√d + b) that realise the
/// Bayes denoiser (SPEC §9.1), as overlaps: m_ij = U_i·μ_j/d, ω_ij = W_i·μ_j/d, and b in the
/// gauge Σ_i b_i = 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxParams {
    /// The skip weight c.
    pub c: f64,
    /// m_ij (k × k).
    pub m: Vec<Vec<f64>>,
    /// ω_ij (k × k).
    pub omega: Vec<Vec<f64>>,
    /// b_i − mean(b).
    pub b: Vec<f64>,
}

impl Isotropic {
    /// Classes with the given weights, variance and mean coordinates in an orthonormal
    /// basis of their span (each coordinate vector of length r = `basis` dimension).
    ///
    /// # Errors
    /// [`ConfigError`] naming `weights`, `sigma2`, `means[i]` or `d`: weights not in (0, 1)
    /// or not summing to 1, σ² not positive and finite, a mean with a non-finite coordinate
    /// or zero norm, two equal means, or d below the span's dimension.
    pub(crate) fn new(
        d: usize,
        weights: Vec<f64>,
        sigma2: f64,
        coords: Vec<Vec<f64>>,
        basis: Basis,
    ) -> Result<Self, ConfigError> {
        check_weights("weights", &weights, 2)?;
        if weights.len() > MAX_CLASSES {
            return Err(ConfigError::Invalid {
                field: "weights",
                rule: format!("at most {MAX_CLASSES} classes, got {}", weights.len()),
            });
        }
        crate::problem::positive_finite("sigma2", sigma2)?;
        let r = coords.first().map_or(0, Vec::len);
        check_dim(d, r)?;
        if coords.len() != weights.len() {
            return Err(ConfigError::Invalid {
                field: "means",
                rule: format!(
                    "need one mean per weight: {} means, {} weights",
                    coords.len(),
                    weights.len()
                ),
            });
        }
        for (i, m) in coords.iter().enumerate() {
            let n2: f64 = m.iter().map(|v| v * v).sum();
            if m.len() != r || !n2.is_finite() || m.iter().any(|v| !v.is_finite()) {
                return Err(ConfigError::InvalidAt {
                    field: format!("means[{i}]"),
                    rule: "must be a finite vector of the dimension of the others".into(),
                });
            }
            for (j, o) in coords.iter().enumerate().take(i) {
                let dist2: f64 = m.iter().zip(o).map(|(a, b)| (a - b) * (a - b)).sum();
                if dist2 <= 1e-12 * d as f64 {
                    return Err(ConfigError::InvalidAt {
                        field: format!("means[{i}]"),
                        rule: format!("equals means[{j}]: classes must have distinct means"),
                    });
                }
            }
        }
        Ok(Self {
            d,
            weights,
            sigma2,
            coords,
            basis,
        })
    }

    /// Dimension d.
    pub fn d(&self) -> usize {
        self.d
    }
    /// The class weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// The within-class variance σ².
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }
    /// The dimension r of the means' span.
    pub fn span_dim(&self) -> usize {
        self.coords.first().map_or(0, Vec::len)
    }
    /// The coordinates M_i of the means in the span's orthonormal basis.
    pub fn mean_coords(&self) -> &[Vec<f64>] {
        &self.coords
    }
    /// The Gram matrix G_ij = μ_i·μ_j/d.
    pub fn gram(&self) -> Vec<Vec<f64>> {
        let df = self.d as f64;
        self.coords
            .iter()
            .map(|a| self.coords.iter().map(|b| dot(a, b) / df).collect())
            .collect()
    }

    /// Basis vector e_j written into `out` (length d).
    fn basis_vector(&self, j: usize, out: &mut [f64]) {
        out.fill(0.0);
        match &self.basis {
            Basis::Explicit(v) => out.copy_from_slice(&v[j]),
            Basis::Blocks => {
                let (lo, hi) = self.block(j);
                let s = 1.0 / ((hi - lo) as f64).sqrt();
                out[lo..hi].fill(s);
            }
        }
    }

    /// Block j of the [`Basis::Blocks`] rule.
    fn block(&self, j: usize) -> (usize, usize) {
        let r = self.span_dim();
        (j * self.d / r, (j + 1) * self.d / r)
    }

    /// The coordinates of x in the span's basis.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        (0..self.span_dim())
            .map(|j| match &self.basis {
                Basis::Explicit(v) => dot(&v[j], x),
                Basis::Blocks => {
                    let (lo, hi) = self.block(j);
                    x[lo..hi].iter().sum::<f64>() / ((hi - lo) as f64).sqrt()
                }
            })
            .collect()
    }

    /// The means as d-vectors (k × d).
    pub fn means(&self) -> Vec<Vec<f64>> {
        let mut e = vec![0.0; self.d];
        let mut out = vec![vec![0.0; self.d]; self.coords.len()];
        for j in 0..self.span_dim() {
            self.basis_vector(j, &mut e);
            for (mu, m) in out.iter_mut().zip(&self.coords) {
                for (o, &ej) in mu.iter_mut().zip(&e) {
                    *o += m[j] * ej;
                }
            }
        }
        out
    }

    /// The posterior over classes at span coordinates z: softmax of
    /// ln p_i + β·M_i·z/v − β²|M_i|²/(2v).
    pub fn posterior_span(&self, alpha: f64, beta: f64, z: &[f64]) -> Vec<f64> {
        let v = alpha * alpha + beta * beta * self.sigma2;
        let logits: Vec<f64> = self
            .coords
            .iter()
            .zip(&self.weights)
            .map(|(m, &p)| p.ln() + beta * dot(m, z) / v - beta * beta * dot(m, m) / (2.0 * v))
            .collect();
        softmax(&logits)
    }

    /// Posterior over classes at x ∈ ℝ^d.
    pub fn posterior(&self, alpha: f64, beta: f64, x: &[f64]) -> Vec<f64> {
        self.posterior_span(alpha, beta, &self.project(x))
    }

    /// The Bayes denoiser f(x) = c·x + (1 − cβ)·Σ_i π_i·μ_i at x, into `out`.
    pub fn denoise(&self, alpha: f64, beta: f64, x: &[f64], out: &mut [f64]) {
        let v = alpha * alpha + beta * beta * self.sigma2;
        let c = beta * self.sigma2 / v;
        let pi = self.posterior(alpha, beta, x);
        for (o, &xj) in out.iter_mut().zip(x) {
            *o = c * xj;
        }
        let mut e = vec![0.0; self.d];
        for j in 0..self.span_dim() {
            let w: f64 = (1.0 - c * beta)
                * pi.iter()
                    .zip(&self.coords)
                    .map(|(p, m)| p * m[j])
                    .sum::<f64>();
            self.basis_vector(j, &mut e);
            for (o, &ej) in out.iter_mut().zip(&e) {
                *o += w * ej;
            }
        }
    }

    /// The nearest mean of span coordinates z (argmax of M_i·z − |M_i|²/2).
    pub fn nearest_span(&self, z: &[f64]) -> usize {
        let mut best = (0, f64::NEG_INFINITY);
        for (i, m) in self.coords.iter().enumerate() {
            let s = dot(m, z) - 0.5 * dot(m, m);
            if s > best.1 {
                best = (i, s);
            }
        }
        best.0
    }

    /// Labelled samples: per sample one uniform for the class (the first i with u below the
    /// cumulative weight), then d normals ξ, x = μ_i + σ·ξ.
    pub fn sample(&self, n: usize, rng: &mut PortableRng) -> Labelled {
        let means = self.means();
        let sigma = self.sigma2.sqrt();
        let mut x = Vec::with_capacity(n * self.d);
        let mut label = Vec::with_capacity(n);
        for _ in 0..n {
            let c = pick_class(&self.weights, rng.random::<f64>());
            label.push(c);
            x.extend(means[c].iter().map(|&m| {
                let xi: f64 = rng.sample(StandardNormal);
                m + sigma * xi
            }));
        }
        Labelled {
            n,
            d: self.d,
            x,
            label,
        }
    }

    /// The softmax-model parameters of the Bayes denoiser at (α, β) (SPEC §9.1):
    /// c = βσ²/v, m = (1 − cβ)·G, ω = √d·β/v·G, b_i = ln p_i − β²|μ_i|²/(2v) − mean.
    pub fn bayes_params(&self, alpha: f64, beta: f64) -> SoftmaxParams {
        let v = alpha * alpha + beta * beta * self.sigma2;
        let c = beta * self.sigma2 / v;
        let g = self.gram();
        let sd = (self.d as f64).sqrt();
        let b: Vec<f64> = self
            .coords
            .iter()
            .zip(&self.weights)
            .map(|(m, &p)| p.ln() - beta * beta * dot(m, m) / (2.0 * v))
            .collect();
        SoftmaxParams {
            c,
            m: scale(&g, 1.0 - c * beta),
            omega: scale(&g, sd * beta / v),
            b: centred(&b),
        }
    }

    /// The d → ∞ limit of [`Isotropic::bayes_params`] in phase 1 of the dilated schedule
    /// at t ∈ (0, 1] (SPEC §9.1): c = 0, m = G, ω = κt·G, b_i = ln p_i − κ²t²G_ii/2 − mean
    /// (for means of equal norm the G_ii term is a constant and b_i = ln p_i − mean: no σ²).
    pub fn phase1_limit(&self, kappa: f64, t: f64) -> SoftmaxParams {
        let g = self.gram();
        let b: Vec<f64> = self
            .weights
            .iter()
            .zip(&g)
            .enumerate()
            .map(|(i, (&p, row))| p.ln() - 0.5 * (kappa * t).powi(2) * row[i])
            .collect();
        SoftmaxParams {
            c: 0.0,
            m: g.clone(),
            omega: scale(&g, kappa * t),
            b: centred(&b),
        }
    }

    /// The d → ∞ limit in phase 2 at τ′ ∈ [0, 1] (SPEC §9.1): the posterior is one-hot,
    /// c = τ′σ²/((1 − τ′)² + τ′²σ²) as in §5.2 and U_i = (1 − cτ′)·μ_i, so m = (1 − cτ′)·G
    /// (no p). Returns (c, m).
    pub fn phase2_limit(&self, tau2: f64) -> (f64, Vec<Vec<f64>>) {
        let s2 = self.sigma2;
        let c = tau2 * s2 / ((1.0 - tau2).powi(2) + tau2 * tau2 * s2);
        (c, scale(&self.gram(), 1.0 - c * tau2))
    }

    /// Per-dimension MSE drop at t = 0+ (SPEC §9.1): Var_p(μ)/d =
    /// (1/(2d))·Σ_ij p_i p_j |μ_i − μ_j|².
    pub fn mse_drop(&self) -> f64 {
        let mut s = 0.0;
        for (a, pa) in self.coords.iter().zip(&self.weights) {
            for (b, pb) in self.coords.iter().zip(&self.weights) {
                let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                s += pa * pb * d2;
            }
        }
        s / (2.0 * self.d as f64)
    }

    /// Exact explicit Euler with the Bayes denoiser (module doc of [`super`]).
    pub fn euler(
        &self,
        schedule: &dyn Schedule,
        grid: &[f64],
        endpoint: Endpoint,
    ) -> Option<ClassEuler> {
        let s0 = schedule.alpha(*grid.first()?);
        let maps = self.span_maps(schedule, grid, endpoint)?;
        let var: f64 = maps.iter().map(|m| m.a * m.a).product();
        let k = self.coords.len();
        let r = self.span_dim();
        let class = |z0: &[f64]| {
            // Fixed-size scratch: no allocation per point (k, r ≤ MAX_CLASSES).
            let mut z = [0.0; MAX_CLASSES];
            let mut pi = [0.0; MAX_CLASSES];
            z[..r].copy_from_slice(z0);
            for m in &maps {
                m.apply(&self.coords, &mut z[..r], &mut pi[..k]);
            }
            self.nearest_span(&z[..r])
        };
        let (p_hat, numerical) =
            quadrature::class_masses(self.span_dim(), self.coords.len(), s0, &class);
        Some(ClassEuler {
            p_hat,
            var_perp: (self.d > self.span_dim()).then_some(s0 * s0 * var),
            class_var: None,
            numerical,
        })
    }

    /// The Euler maps of the span coordinates; `None` if a step does not keep A_k > 0.
    fn span_maps(
        &self,
        schedule: &dyn Schedule,
        grid: &[f64],
        endpoint: Endpoint,
    ) -> Option<Vec<SpanMap>> {
        euler_steps(schedule, grid, endpoint)
            .into_iter()
            .map(|(t, dt)| {
                let (al, be) = (schedule.alpha(t), schedule.beta(t));
                let vc = VelocityCoef::at(schedule, t);
                let v = al * al + be * be * self.sigma2;
                let c = be * self.sigma2 / v;
                let map = SpanMap {
                    a: 1.0 + dt * (vc.a + vc.g * c),
                    bb: dt * vc.g * (1.0 - c * be),
                    coef: be / v,
                    shift: self
                        .coords
                        .iter()
                        .zip(&self.weights)
                        .map(|(m, &p)| p.ln() - be * be * dot(m, m) / (2.0 * v))
                        .collect(),
                };
                (map.a > 0.0 && map.a.is_finite() && map.bb.is_finite()).then_some(map)
            })
            .collect()
    }
}

/// One Euler step of the span coordinates: z ← a·z + bb·Σ_i π_i(z)·M_i with
/// π = softmax(shift_i + coef·M_i·z).
#[derive(Debug, Clone)]
struct SpanMap {
    a: f64,
    bb: f64,
    coef: f64,
    shift: Vec<f64>,
}

impl SpanMap {
    fn apply(&self, coords: &[Vec<f64>], z: &mut [f64], pi: &mut [f64]) {
        let mut top = f64::NEG_INFINITY;
        for ((p, m), s) in pi.iter_mut().zip(coords).zip(&self.shift) {
            *p = s + self.coef * dot(m, z);
            top = top.max(*p);
        }
        let mut sum = 0.0;
        for p in pi.iter_mut() {
            *p = (*p - top).exp();
            sum += *p;
        }
        for zj in z.iter_mut() {
            *zj *= self.a;
        }
        for (p, m) in pi.iter().zip(coords) {
            let w = self.bb * p / sum;
            for (zj, mj) in z.iter_mut().zip(m) {
                *zj += w * mj;
            }
        }
    }
}

/// The class of a uniform draw u: the first i with u < p_1 + … + p_i (the last if rounding
/// leaves u above the total).
pub(crate) fn pick_class(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, &p) in weights.iter().enumerate() {
        acc += p;
        if u < acc {
            return i;
        }
    }
    weights.len() - 1
}

/// A numerically stable softmax.
pub(crate) fn softmax(logits: &[f64]) -> Vec<f64> {
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn scale(g: &[Vec<f64>], s: f64) -> Vec<Vec<f64>> {
    g.iter()
        .map(|row| row.iter().map(|v| s * v).collect())
        .collect()
}

fn centred(b: &[f64]) -> Vec<f64> {
    let mean = b.iter().sum::<f64>() / b.len() as f64;
    b.iter().map(|v| v - mean).collect()
}

/// Orthonormalise `vectors` (Gram–Schmidt, twice for stability), dropping directions whose
/// remaining norm is below 1e-10 of the largest: the basis of their span.
pub(crate) fn orthonormal_span(vectors: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let scale = vectors.iter().map(|v| dot(v, v).sqrt()).fold(0.0, f64::max);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for v in vectors {
        let mut w = v.clone();
        for _ in 0..2 {
            for e in &basis {
                let p = dot(e, &w);
                for (wj, ej) in w.iter_mut().zip(e) {
                    *wj -= p * ej;
                }
            }
        }
        let n = dot(&w, &w).sqrt();
        if n > 1e-10 * scale {
            basis.push(w.into_iter().map(|x| x / n).collect());
        }
    }
    basis
}
