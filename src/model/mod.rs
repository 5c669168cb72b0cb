//! Per-time-step denoiser models behind one seam (issue 26): [`StepModel`] is what a
//! training engine and an Euler sampler need from the network of one grid time — its flat
//! parameter vector, f(x), and the gradient of the per-sample denoising loss |f(x) − x1|²
//! plus the ridge terms (SPEC §3–§4).
//!
//! Implementations, one per file:
//! * [`SoftmaxModel`]: f(x) = c·x + U·softmax(W·x/√d + b), U ∈ ℝ^{d×k}, W ∈ ℝ^{k×d},
//!   b ∈ ℝ^k, the model class that contains the Bayes denoiser of any isotropic k-mode
//!   mixture (SPEC §9.1);
//! * the tanh model of SPEC §3, [`crate::denoiser::StepParams`] (`tanh.rs`: a delegation to
//!   its existing methods, so every result of the tanh engines is unchanged — they keep
//!   calling the concrete struct).
//!
//! [`fit`] minimises the full-batch denoising objective of one grid time for any
//! [`StepModel`] (L-BFGS), and [`run`] trains a softmax network per grid time on a k-mode
//! target and generates from it (the trained k = 3 run of claim C12).
//!
//! ```
//! use phaseflow::model::{SoftmaxModel, StepModel};
//! // k = 2 units in d = 3: U = 0, W = 0 gives f(x) = c·x.
//! let mut m = SoftmaxModel::zeros(3, 2);
//! m.set_c(0.5);
//! let mut out = [0.0; 3];
//! m.eval(&[2.0, 4.0, 6.0], &mut out);
//! assert_eq!(out, [1.0, 2.0, 3.0]);
//! assert_eq!(m.params().len(), 1 + 2 + 2 * 2 * 3);
//! ```

pub mod fit;
pub mod run;
mod softmax;
mod tanh;

pub use softmax::{MAX_UNITS, SoftmaxModel};

/// The network of one grid time (module doc): a flat parameter vector, f(x), and the
/// gradient of the denoising loss.
pub trait StepModel: Clone + Send + Sync {
    /// Dimension d of x.
    fn d(&self) -> usize;
    /// The flat parameter vector (the layout is the model's own).
    fn params(&self) -> &[f64];
    /// The flat parameter vector, mutable.
    fn params_mut(&mut self) -> &mut [f64];
    /// f(x) written into `out` (length d).
    fn eval(&self, x: &[f64], out: &mut [f64]);
    /// Adds the gradient of `scale·|f(x) − x1|²` to `grad` (the layout of
    /// [`StepModel::params`]) and returns |f(x) − x1|².
    fn accumulate_sample_grad(&self, x: &[f64], x1: &[f64], scale: f64, grad: &mut [f64]) -> f64;
    /// The natural scale of each parameter (default 1): the optimiser works in θ/scale, so
    /// that parameters whose unit change moves f by very different amounts (for the softmax
    /// model, c and b against the d·k entries of U and W, each moving one coordinate or
    /// one logit by O(1/√d)) see a Hessian of comparable size.
    fn param_scales(&self) -> Vec<f64> {
        vec![1.0; self.params().len()]
    }
    /// Adds the gradient of `scale·(λ_u|U|² + λ_w|W|²)` (the ridge terms of SPEC §4 on the
    /// read-out and the read-in weights) to `grad` and returns their value.
    fn accumulate_ridge_grad(
        &self,
        lambda_u: f64,
        lambda_w: f64,
        scale: f64,
        grad: &mut [f64],
    ) -> f64;
}
