//! General target distributions (SPEC §9): the seam between "what is sampled" and everything
//! that predicts what a flow generates from it.
//!
//! A [`Target`] is a mixture of classes in dimension d. It knows its class weights, draws
//! labelled samples from a seeded stream ([`Purpose::TargetData`]), and gives the Bayes
//! posterior over classes and the Bayes denoiser E[x1 | x_t = x] at x_t = α·z + β·x1 on any
//! path, and the exact law of explicit Euler with that denoiser ([`Target::euler`]): the
//! generated class weights p̂_i (and the variances where they are meaningful) on any path,
//! schedule and grid, computed in the target's low-dimensional span so that d = 10⁸ costs
//! what d = 10² does.
//!
//! Targets, one per file:
//! * [`TwoMode`]: the two-mode mixture of SPEC §1 (an adapter over [`Mixture`]);
//! * [`KMode`]: k isotropic Gaussian classes with given, orthogonal or simplex means and any
//!   weights (SPEC §9.1);
//! * [`Hierarchical`]: means Σ_l s_l·u_l with one separation scale per level (SPEC §9.2);
//! * [`VarianceMixture`]: classes N(0, σ_s²I) that differ only in variance (SPEC §9.3).
//!
//! A target declared in a TOML or JSON file ([`TargetFile`], [`TargetSpec`]) and its
//! exact-Euler table over a d-ladder ([`TargetConfig::run`]) are what `phaseflow target`
//! prints.
//!
//! The three Gaussian-mean targets share one engine ([`Isotropic`]): classes N(μ_i, σ²I_d)
//! whose means span r ≤ k dimensions. Its Bayes denoiser is
//! f(x) = c·x + (1 − cβ)·Σ_i π_i(x)·μ_i, c = βσ²/v, v = α² + β²σ²,
//! π = softmax_i(ln p_i + β·μ_i·x/v − β²|μ_i|²/(2v)) (SPEC §9.1), and its Euler step
//! x ← x + Δt(a·x + g·f(x)) (a = α̇/α, g = β̇ − α̇β/α, [`VelocityCoef`]) splits exactly into
//! the orthogonal complement of the span, which is scaled by A_k = 1 + Δt_k(a_k + g_k c_k)
//! (SPEC §5.4), and the span coordinates z ∈ ℝ^r, which follow the r-dimensional map
//! z ← A_k·z + Δt_k g_k (1 − c_kβ_k)·Σ_i π_i(z)·M_i (M_i the coordinates of μ_i).
//!
//! **The class quadrature.** A generated sample is assigned to the nearest mean, so p̂_i is
//! the N(0, s₀²I_r) mass of the start points z_0 (s₀ = α(t_0), the path's noise scale) whose
//! image under the composed span maps is nearest M_i. For r = 1 (two modes) each map is
//! increasing, so along each of the two rays ±ρ the class switches once: the switch is found
//! by a scan of [`RAY_SCAN`] radii and bisection to the last ulp, and the masses are exact χ₁
//! differences (the two-mode p̂ of SPEC §5.4 to round-off). For r ≥ 2 the class regions are
//! images of quadrant-like cells under a composition of nonlinear maps, whose boundaries a
//! ray can cross several times in close succession (a ray scan of 256 radii missed
//! P(b+|a−) of SPEC §9.2 by 0.009); they are integrated by a randomised rank-1 lattice rule
//! ([`quadrature::LATTICE`] points, [`quadrature::SHIFTS`] random shifts from
//! [`Purpose::TargetDirections`]), whose reported error ([`ClassEuler::numerical`]) is
//! [`quadrature::ERROR_Z`] standard errors of the shift average: a tolerance computed from the
//! computation itself (SPEC §6 (b)).
//!
//! [`VelocityCoef`]: crate::flow::VelocityCoef
//! [`Mixture`]: crate::mixture::Mixture
//! [`Purpose::TargetData`]: crate::rng::Purpose::TargetData
//! [`Purpose::TargetDirections`]: crate::rng::Purpose::TargetDirections
//!
//! ```
//! use phaseflow::schedule::{Schedule, ScheduleSpec};
//! use phaseflow::target::{KMode, Target};
//! // Three simplex means in d = 10⁶, weights (0.5, 0.3, 0.2), σ² = 1.
//! let t = KMode::simplex(1_000_000, vec![0.5, 0.3, 0.2], 1.0).unwrap();
//! let s = ScheduleSpec::dilated(2.0).build(t.d()).unwrap();
//! let e = t.euler(s.as_ref(), &s.grid(40), Default::default()).unwrap();
//! assert!((e.p_hat[0] - 0.5).abs() < 0.03); // the dilation keeps the weights
//! assert!(KMode::simplex(100, vec![0.5, 0.6], 1.0).is_err()); // weights must sum to 1
//! ```
//!
//! ## References
//! Aranguri & Insulla, arXiv:2412.07972 (the two-mode theory these generalise); Biroli &
//! Mézard, *Generative diffusion in very large dimensions*, arXiv:2306.03518 (speciation at
//! β|μ_i − μ_j|/√v = Θ(1)).

mod hierarchical;
mod isotropic;
mod k_mode;
pub mod quadrature;
mod spec;
mod two_mode;
mod variance;

pub use hierarchical::{Hierarchical, Level};
pub use isotropic::{Isotropic, SoftmaxParams};
pub use k_mode::{KMode, orthogonal_excess, orthogonal_window_a2};
pub use spec::{
    Built, Conditional, DEFAULT_LADDER, LevelSpec, MeansSpec, Scale, TARGET_SCHEMA_VERSION,
    TargetConfig, TargetDecl, TargetFile, TargetKind, TargetReport, TargetRow, TargetSpec,
};
pub use two_mode::TwoMode;
pub use variance::VarianceMixture;

use crate::flow::Endpoint;
use crate::problem::ConfigError;
use crate::rng::{PortableRng, Purpose, stream};
use crate::schedule::Schedule;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// Radii scanned along each ray of a one-dimensional span for its class switch (module doc).
pub const RAY_SCAN: usize = 256;

/// n labelled samples, row-major (`x[i*d..(i+1)*d]` is sample i), with their classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// Number of samples.
    pub n: usize,
    /// Dimension.
    pub d: usize,
    /// Row-major n × d samples.
    pub x: Vec<f64>,
    /// The class of each sample, 0..k.
    pub label: Vec<usize>,
}

impl Labelled {
    /// Sample i as a slice of length d.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
    /// The fraction of samples in each of `k` classes.
    pub fn class_fractions(&self, k: usize) -> Vec<f64> {
        let mut f = vec![0.0; k];
        for &l in &self.label {
            f[l] += 1.0;
        }
        f.iter().map(|v| v / self.n.max(1) as f64).collect()
    }
}

/// What explicit Euler with the Bayes denoiser generates (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassEuler {
    /// The generated weight of each class (the fraction assigned to it), summing to 1.
    pub p_hat: Vec<f64>,
    /// The generated variance of each coordinate orthogonal to the means' span (the same for
    /// every class of an isotropic target); `None` where there is no such coordinate or no
    /// such notion (the variance classes).
    pub var_perp: Option<f64>,
    /// The generated per-coordinate variance within each class, where the target defines it
    /// (the variance classes: E[|x|²/d | class]); `None` otherwise.
    pub class_var: Option<Vec<f64>>,
    /// The numerical error of each p̂_i estimated from the computation itself (module doc);
    /// 0 where the computation is exact to round-off.
    pub numerical: f64,
}

/// A target distribution of SPEC §9: classes with weights, labelled sampling, the Bayes
/// posterior and denoiser along any path, and exact Euler of the generated class weights.
pub trait Target: Debug + Send + Sync {
    /// A short name (`two_mode`, `k_mode`, `hierarchical`, `variance`).
    fn name(&self) -> &'static str;
    /// Dimension d.
    fn d(&self) -> usize;
    /// The class weights p_i (summing to 1).
    fn weights(&self) -> &[f64];
    /// The number of classes k.
    fn classes(&self) -> usize {
        self.weights().len()
    }
    /// Draw n labelled samples from `rng`: per sample one uniform for its class, then d
    /// standard normals.
    fn sample(&self, n: usize, rng: &mut PortableRng) -> Labelled;
    /// The posterior over classes of x_t = α·z + β·x1 at x (a vector of k probabilities).
    fn posterior(&self, alpha: f64, beta: f64, x: &[f64]) -> Vec<f64>;
    /// The Bayes denoiser E[x1 | x_t = x] at x, written into `out`.
    fn denoise(&self, alpha: f64, beta: f64, x: &[f64], out: &mut [f64]);
    /// The class a generated sample x is assigned to (the nearest mean; for the variance
    /// classes the likelier variance, [`VarianceMixture`]).
    fn classify(&self, x: &[f64]) -> usize;
    /// Exact explicit Euler with the Bayes denoiser on `grid` to `endpoint` (module doc):
    /// `None` where a step's map is not invertible (a step overshoots τ = 1).
    fn euler(
        &self,
        schedule: &dyn Schedule,
        grid: &[f64],
        endpoint: Endpoint,
    ) -> Option<ClassEuler>;
}

/// n labelled samples of `target` from stream (seed, replica, [`Purpose::TargetData`], 0).
pub fn sample_seeded(target: &dyn Target, n: usize, seed: u64, replica: u64) -> Labelled {
    target.sample(n, &mut stream(seed, replica, Purpose::TargetData, 0))
}

/// The class weights must be k ≥ `min` finite numbers in (0, 1) summing to 1 (to 1e-9).
pub(crate) fn check_weights(field: &'static str, w: &[f64], min: usize) -> Result<(), ConfigError> {
    if w.len() < min {
        return Err(ConfigError::Invalid {
            field,
            rule: format!("need at least {min} classes, got {}", w.len()),
        });
    }
    for (i, &p) in w.iter().enumerate() {
        if !(p > 0.0 && p < 1.0) {
            return Err(ConfigError::InvalidAt {
                field: format!("{field}[{i}]"),
                rule: format!("must satisfy 0 < p < 1, got {}", crate::problem::Num(p)),
            });
        }
    }
    let sum: f64 = w.iter().sum();
    if (sum - 1.0).abs() > 1e-9 {
        return Err(ConfigError::Invalid {
            field,
            rule: format!("must sum to 1, got {sum}"),
        });
    }
    Ok(())
}

/// The dimension must be at least `min`.
pub(crate) fn check_dim(d: usize, min: usize) -> Result<(), ConfigError> {
    if d < min.max(1) {
        return Err(ConfigError::TooFew {
            field: "d",
            min: min.max(1),
            why: " (one coordinate block per direction of the means)",
            got: d,
        });
    }
    Ok(())
}

/// Explicit Euler steps taken to `endpoint` with their times: (t_k, Δt_k), k < steps.
pub(crate) fn euler_steps(
    schedule: &dyn Schedule,
    grid: &[f64],
    endpoint: Endpoint,
) -> Vec<(f64, f64)> {
    let dts = crate::flow::step_sizes(schedule, grid);
    grid.iter()
        .copied()
        .zip(dts)
        .take(endpoint.steps(grid.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_validated_by_name() {
        assert!(check_weights("weights", &[0.5, 0.5], 2).is_ok());
        let e = check_weights("weights", &[0.5, 0.6], 2).unwrap_err();
        assert!(e.to_string().starts_with("weights: must sum to 1"), "{e}");
        let e = check_weights("weights", &[1.0, 0.0], 2).unwrap_err();
        assert_eq!(e.to_string(), "weights[0]: must satisfy 0 < p < 1, got 1");
        let e = check_weights("weights", &[f64::NAN, 0.5], 2).unwrap_err();
        assert!(e.to_string().starts_with("weights[0]:"), "{e}");
        assert!(check_weights("weights", &[1.0], 2).is_err());
    }
}
