//! The velocity network v_θ(t, x) for flow matching on 64-pixel images: a two-hidden-layer
//! MLP with SiLU activations on the input [x; e(t)], where e(t) is a sinusoidal time
//! embedding,
//!
//! e(t) = (sin(π f_j t), cos(π f_j t))_{j<F},  f_j = 2^{j/2},
//! h₁ = silu(W₁[x; e(t)] + b₁),  h₂ = silu(W₂h₁ + b₂),  v = W₃h₂ + b₃.
//!
//! Backpropagation is written out by hand in f32: at this size (≈ 35 k parameters) a
//! per-sample matrix–vector pass with contiguous rows autovectorises and allocates nothing,
//! and the mini-batch is split into fixed-size chunks whose gradients are summed in chunk
//! order, so the result is bit-identical for any thread count (STYLE 25).
//!
//! ## References
//! Y. Lipman et al., *Flow Matching for Generative Modeling*, ICLR 2023, arXiv:2210.02747.
//! S. Elfwing et al., *Sigmoid-weighted linear units*, Neural Networks 107 (2018),
//! doi:10.1016/j.neunet.2017.12.012.

use super::data::PIXELS;
use crate::linalg::dot;
use crate::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// Number of embedding frequencies F (the embedding has 2F entries).
pub const FREQS: usize = 8;
/// Input width: pixels plus the time embedding.
pub const INPUT: usize = PIXELS + 2 * FREQS;
/// Samples per gradient chunk. Fixed, so the summation order never depends on threads.
pub const CHUNK: usize = 8;

/// The time embedding e(t) into `out` (length 2F).
pub(crate) fn embed(t: f32, out: &mut [f32]) {
    for j in 0..FREQS {
        let f = std::f32::consts::PI * 2f32.powf(j as f32 / 2.0);
        out[2 * j] = (f * t).sin();
        out[2 * j + 1] = (f * t).cos();
    }
}

#[inline]
fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The MLP: shapes and one flat parameter vector
/// `[W₁ (H×INPUT), b₁ (H), W₂ (H×H), b₂ (H), W₃ (PIXELS×H), b₃ (PIXELS)]`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Hidden width H.
    pub hidden: usize,
    /// All parameters, flat.
    pub params: Vec<f32>,
}

/// Offsets of the six blocks in the flat vector.
#[derive(Debug, Clone, Copy)]
struct Layout {
    w1: usize,
    b1: usize,
    w2: usize,
    b2: usize,
    w3: usize,
    b3: usize,
    len: usize,
}

impl Layout {
    fn new(h: usize) -> Self {
        let w1 = 0;
        let b1 = w1 + h * INPUT;
        let w2 = b1 + h;
        let b2 = w2 + h * h;
        let w3 = b2 + h;
        let b3 = w3 + PIXELS * h;
        Layout {
            w1,
            b1,
            w2,
            b2,
            w3,
            b3,
            len: b3 + PIXELS,
        }
    }
}

/// Per-sample activations kept for the backward pass (one per worker, reused).
#[derive(Debug, Clone)]
pub struct Workspace {
    inp: Vec<f32>,
    z1: Vec<f32>,
    a1: Vec<f32>,
    z2: Vec<f32>,
    a2: Vec<f32>,
    out: Vec<f32>,
    d1: Vec<f32>,
    d2: Vec<f32>,
    d3: Vec<f32>,
}

impl Workspace {
    /// Buffers for hidden width `h`.
    pub fn new(h: usize) -> Self {
        Workspace {
            inp: vec![0.0; INPUT],
            z1: vec![0.0; h],
            a1: vec![0.0; h],
            z2: vec![0.0; h],
            a2: vec![0.0; h],
            out: vec![0.0; PIXELS],
            d1: vec![0.0; h],
            d2: vec![0.0; h],
            d3: vec![0.0; PIXELS],
        }
    }
}

/// y = W x + b for W (rows × cols) row-major.
#[inline]
fn affine(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]) {
    let cols = x.len();
    for (r, yr) in y.iter_mut().enumerate() {
        *yr = dot(&w[r * cols..(r + 1) * cols], x) + b[r];
    }
}

impl Mlp {
    /// A fresh network of hidden width `h`, weights N(0, 1/fan_in) (LeCun) from stream
    /// `(seed, replica, DigitsInit, 0)`, biases 0. The output layer is scaled by 0.1 so the
    /// initial velocity is small compared with the target x₁ − x₀.
    pub fn new(h: usize, seed: u64, replica: u64) -> Self {
        let l = Layout::new(h);
        let mut params = vec![0f32; l.len];
        let mut rng = stream(seed, replica, Purpose::DigitsInit, 0);
        let mut fill = |range: std::ops::Range<usize>, scale: f32| {
            for p in &mut params[range] {
                *p = scale * rng.sample::<f32, _>(StandardNormal);
            }
        };
        fill(l.w1..l.b1, (1.0 / INPUT as f32).sqrt());
        fill(l.w2..l.b2, (1.0 / h as f32).sqrt());
        fill(l.w3..l.b3, 0.1 * (1.0 / h as f32).sqrt());
        Mlp { hidden: h, params }
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }
    /// True if there are no parameters (never for a constructed network).
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// v_θ(t, x) into `out`, using `ws` for the activations.
    pub fn forward(&self, t: f32, x: &[f32], ws: &mut Workspace, out: &mut [f32]) {
        self.forward_ws(t, x, ws);
        out.copy_from_slice(&ws.out);
    }

    fn forward_ws(&self, t: f32, x: &[f32], ws: &mut Workspace) {
        let l = Layout::new(self.hidden);
        let p = &self.params;
        ws.inp[..PIXELS].copy_from_slice(x);
        embed(t, &mut ws.inp[PIXELS..]);
        affine(&p[l.w1..l.b1], &p[l.b1..l.w2], &ws.inp, &mut ws.z1);
        for (a, z) in ws.a1.iter_mut().zip(&ws.z1) {
            *a = z * sigmoid(*z);
        }
        affine(&p[l.w2..l.b2], &p[l.b2..l.w3], &ws.a1, &mut ws.z2);
        for (a, z) in ws.a2.iter_mut().zip(&ws.z2) {
            *a = z * sigmoid(*z);
        }
        affine(&p[l.w3..l.b3], &p[l.b3..l.len], &ws.a2, &mut ws.out);
        if p.len() > l.len {
            for (j, o) in ws.out.iter_mut().enumerate() {
                *o += p[l.len + j] * x[j];
            }
        }
    }

    /// The same network with a diagonal linear skip out_j += s_j·x_j (s = 0 at the start,
    /// so the initial function is unchanged; 64 extra parameters at the end of the
    /// vector). The authors' U-Net passes its input to its output through skip
    /// connections; without one a noise-predicting MLP must learn the near-identity
    /// ε̂ ≈ x of high noise through its hidden layers.
    pub fn with_skip(mut self) -> Self {
        if !self.has_skip() {
            self.params.extend(std::iter::repeat_n(0.0, PIXELS));
        }
        self
    }

    /// True when the network has the skip of [`Mlp::with_skip`].
    pub fn has_skip(&self) -> bool {
        self.params.len() > Layout::new(self.hidden).len
    }

    /// Add ∂/∂θ of `scale · |v_θ(t, x) − target|²` to `grad`; returns the squared error
    /// |v_θ(t, x) − target|² (unscaled).
    pub(crate) fn accumulate_grad(
        &self,
        t: f32,
        x: &[f32],
        target: &[f32],
        scale: f32,
        ws: &mut Workspace,
        grad: &mut [f32],
    ) -> f32 {
        let h = self.hidden;
        let l = Layout::new(h);
        let p = &self.params;
        self.forward_ws(t, x, ws);
        let mut sq = 0f32;
        for o in 0..PIXELS {
            let r = ws.out[o] - target[o];
            sq += r * r;
            ws.d3[o] = 2.0 * scale * r;
        }
        if p.len() > l.len {
            for o in 0..PIXELS {
                grad[l.len + o] += ws.d3[o] * x[o];
            }
        }
        // Layer 3: gW₃ += δ₃ h₂ᵀ, gb₃ += δ₃, δh₂ = W₃ᵀ δ₃.
        ws.d2.iter_mut().for_each(|v| *v = 0.0);
        for o in 0..PIXELS {
            let d = ws.d3[o];
            let gw = &mut grad[l.w3 + o * h..l.w3 + (o + 1) * h];
            for (g, a) in gw.iter_mut().zip(&ws.a2) {
                *g += d * a;
            }
            grad[l.b3 + o] += d;
            let w = &p[l.w3 + o * h..l.w3 + (o + 1) * h];
            for (dd, wv) in ws.d2.iter_mut().zip(w) {
                *dd += d * wv;
            }
        }
        // silu'(z) = σ(z)(1 + z(1 − σ(z))).
        for (dd, z) in ws.d2.iter_mut().zip(&ws.z2) {
            let s = sigmoid(*z);
            *dd *= s * (1.0 + z * (1.0 - s));
        }
        // Layer 2.
        ws.d1.iter_mut().for_each(|v| *v = 0.0);
        for o in 0..h {
            let d = ws.d2[o];
            let gw = &mut grad[l.w2 + o * h..l.w2 + (o + 1) * h];
            for (g, a) in gw.iter_mut().zip(&ws.a1) {
                *g += d * a;
            }
            grad[l.b2 + o] += d;
            let w = &p[l.w2 + o * h..l.w2 + (o + 1) * h];
            for (dd, wv) in ws.d1.iter_mut().zip(w) {
                *dd += d * wv;
            }
        }
        for (dd, z) in ws.d1.iter_mut().zip(&ws.z1) {
            let s = sigmoid(*z);
            *dd *= s * (1.0 + z * (1.0 - s));
        }
        // Layer 1 (the input needs no gradient).
        for o in 0..h {
            let d = ws.d1[o];
            let gw = &mut grad[l.w1 + o * INPUT..l.w1 + (o + 1) * INPUT];
            for (g, a) in gw.iter_mut().zip(&ws.inp) {
                *g += d * a;
            }
            grad[l.b1 + o] += d;
        }
        sq
    }

    /// Mean flow-matching loss (1/(B·64)) Σ_i |v_θ(t_i, x_i) − y_i|² over a batch and its
    /// gradient. `x` and `y` are `B × PIXELS`. Chunks of [`CHUNK`] samples run in parallel
    /// and are reduced in chunk order.
    pub fn batch_grad(&self, t: &[f32], x: &[f32], y: &[f32]) -> (f32, Vec<f32>) {
        let b = t.len();
        let scale = 1.0 / (b * PIXELS) as f32;
        let parts: Vec<(f32, Vec<f32>)> = (0..b.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut ws = Workspace::new(self.hidden);
                let mut g = vec![0f32; self.len()];
                let mut sq = 0f32;
                for i in c * CHUNK..((c + 1) * CHUNK).min(b) {
                    let r = i * PIXELS..(i + 1) * PIXELS;
                    sq += self.accumulate_grad(t[i], &x[r.clone()], &y[r], scale, &mut ws, &mut g);
                }
                (sq, g)
            })
            .collect();
        let mut iter = parts.into_iter();
        let (mut sq, mut grad) = iter.next().unwrap_or((0.0, vec![0.0; self.len()]));
        for (s, g) in iter {
            sq += s;
            for (a, v) in grad.iter_mut().zip(&g) {
                *a += v;
            }
        }
        (sq * scale, grad)
    }
}

/// Adam (Kingma & Ba 2015, arXiv:1412.6980) with the usual defaults β₁ = 0.9, β₂ = 0.999,
/// ε = 1e-8, and optionally AdamW's decoupled weight decay (Loshchilov & Hutter 2019,
/// arXiv:1711.05101: p ← p − lr·λ·p before the Adam step, as `torch.optim.AdamW`).
#[derive(Debug, Clone)]
pub struct Adam {
    /// Learning rate (of [`Adam::update`]; [`Adam::update_at`] takes the step's rate).
    pub lr: f32,
    /// Decoupled weight decay λ (0: plain Adam).
    pub weight_decay: f32,
    m: Vec<f32>,
    v: Vec<f32>,
    step: i32,
}

impl Adam {
    /// State for `n` parameters, no weight decay.
    pub fn new(n: usize, lr: f32) -> Self {
        Adam {
            lr,
            weight_decay: 0.0,
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
        }
    }

    /// One update of `params` with `grad` at the constant rate [`Adam::lr`].
    pub fn update(&mut self, params: &mut [f32], grad: &[f32]) {
        self.update_at(params, grad, self.lr);
    }

    /// One update with learning rate `lr` (a schedule's value for this step).
    pub fn update_at(&mut self, params: &mut [f32], grad: &[f32], lr: f32) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.step += 1;
        let c1 = 1.0 - B1.powi(self.step);
        let c2 = 1.0 - B2.powi(self.step);
        let decay = 1.0 - lr * self.weight_decay;
        for i in 0..params.len() {
            self.m[i] = B1 * self.m[i] + (1.0 - B1) * grad[i];
            self.v[i] = B2 * self.v[i] + (1.0 - B2) * grad[i] * grad[i];
            let mh = self.m[i] / c1;
            let vh = self.v[i] / c2;
            if self.weight_decay != 0.0 {
                params[i] *= decay;
            }
            params[i] -= lr * mh / (vh.sqrt() + 1e-8);
        }
    }
}

/// Scale `grad` so its Euclidean norm is at most `max_norm` (as `torch.nn.utils.
/// clip_grad_norm_`: factor max_norm/(norm + 1e-6) when norm > max_norm); returns the norm
/// before clipping (summed in f64, in index order).
pub fn clip_grad_norm(grad: &mut [f32], max_norm: f32) -> f32 {
    let norm = grad
        .iter()
        .map(|&g| (g as f64) * (g as f64))
        .sum::<f64>()
        .sqrt() as f32;
    if norm > max_norm {
        let c = max_norm / (norm + 1e-6);
        grad.iter_mut().for_each(|g| *g *= c);
    }
    norm
}
