//! Interpolant paths: x_t = α(τ)·z + β(τ)·x1 with z ~ N(0, I_d) (SPEC §2, "general paths").
//!
//! A path gives the weights of the noise and of the data as functions of the interpolation
//! parameter τ ∈ [0, 1]; a warp τ(t) ([`crate::schedule::Warp`]) says how fast τ moves, and
//! a [`crate::schedule::Schedule`] is the composition path ∘ warp. The scale of the noise is
//! inside α (SPEC §2): sampling starts from x ~ N(0, α(0)²·I_d), so a path whose α(0) is √d
//! (variance exploding) starts from N(0, d·I).
//!
//! Paths, one per file: [`Linear`] α = 1 − τ, β = τ (the paper's; the authors' `learnGMM.py`
//! calls it "VP"), [`Vp`] α = √(1 − τ²), β = τ (variance preserving), [`Cosine`]
//! α = cos(πτ/2), β = sin(πτ/2) (variance preserving, trigonometric), [`Ve`] α = √d(1 − τ),
//! β = τ (variance exploding, the authors' "VE"). A new path is a new file implementing
//! [`Path`] and [`PathKind`] plus one line in the `path_kinds!` registry below.
//!
//! # Where the features are decided
//! The mode weight p is decided where the noise-to-signal ratio α/β along μ is of order √d,
//! the within-mode variance σ² where α/β is of order 1 (SPEC §5.5; arXiv 2501.00988). On a
//! path with α(0) = 1 (linear, vp, cosine) the first happens at τ ~ 1/√d: a phase-aware warp
//! dilates the **start** of τ ([`PhaseSide::Start`], the paper's dilation). On the ve path
//! α/β = √d(1 − τ)/τ is of order √d for τ of order 1 and of order 1 only when 1 − τ ~ 1/√d:
//! a phase-aware warp dilates the **end** ([`PhaseSide::End`]). The schedule reports phases
//! only when its warp's knee is on the side its path needs
//! ([`crate::schedule::Schedule::phases`]).
//!
//! # The authors' VE convention
//! The authors' VE network is tanh(w_a·x/d + b) (their `learnGMM.py` divides by √d·c with
//! c = √d); ours is tanh(w·x/√d + b) on every path. So w = w_a/√d: our ω = w·μ/d and r = |w|²/d
//! are the authors' ω_a/√d and r_a/d. On the ve path the natural size of ω is 1/√d (the
//! Bayes ω = √d·β/v with v ~ d), which is the authors' ω_a of order 1.
//!
//! ```
//! use phaseflow::path::{Path, PathSpec};
//! let ve = PathSpec::ve().build(10_000).unwrap();
//! assert_eq!(ve.alpha(0.0), 100.0); // x(0) ~ N(0, d·I)
//! assert_eq!(ve.noise_scale(), 100.0);
//! let vp = PathSpec::vp().build(10_000).unwrap();
//! let (a, b) = (vp.alpha(0.6), vp.beta(0.6));
//! assert!((a * a + b * b - 1.0).abs() < 1e-15); // variance preserving for σ² = 1
//! ```
//!
//! ## References
//! Aranguri, Biroli, Mézard & Vanden-Eijnden, *Optimizing Noise Schedules of Generative
//! Models in High Dimensions*, arXiv:2501.00988 (doi:10.48550/arXiv.2501.00988).

mod cosine;
mod linear;
mod ve;
mod vp;

pub use cosine::{Cosine, CosineSpec};
pub use linear::{Linear, LinearSpec};
pub use ve::{Ve, VeSpec};
pub use vp::{Vp, VpSpec};

use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// Which end of τ a phase-aware warp must dilate on this path (module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseSide {
    /// p is decided at τ ~ 1/√d: phase 1 is the first κ/√d of τ (the paper's dilation).
    Start,
    /// σ² is decided at 1 − τ ~ 1/√d: phase 2 is the last κ/√d of τ.
    End,
}

/// An interpolation path τ ↦ (α(τ), β(τ)) on [0, 1] (module doc). α is the weight of the
/// standard normal z (the noise scale is inside α), β the weight of the data x1.
pub trait Path: Debug + Send + Sync {
    /// The kind's name (`linear`, `vp`, `cosine`, `ve`).
    fn name(&self) -> &'static str;
    /// α(τ), the weight of the noise.
    fn alpha(&self, tau: f64) -> f64;
    /// β(τ), the weight of the data.
    fn beta(&self, tau: f64) -> f64;
    /// dα/dτ (finite for τ < 1).
    fn alpha_prime(&self, tau: f64) -> f64;
    /// dβ/dτ.
    fn beta_prime(&self, tau: f64) -> f64;
    /// The scale of the noise at the start, α(0): x(0) ~ N(0, α(0)²·I_d).
    fn noise_scale(&self) -> f64 {
        self.alpha(0.0)
    }
    /// The end point: the τ where α vanishes and x_τ is the data (1 on every built-in path).
    fn end(&self) -> f64 {
        1.0
    }
    /// Whether a warp may stop short of [`Path::end`], leaving residual noise α(τ_end) in the
    /// samples. Default true: the residual is at most α(0) = 1 per coordinate. A path whose
    /// noise grows with d (ve) refuses it.
    fn allows_early_end(&self) -> bool {
        true
    }
    /// Which end of τ its phase-aware warps dilate (module doc).
    fn phase_side(&self) -> PhaseSide;
}

/// The serialisable description of one kind of path: each path file defines one and
/// registers it in [`PathSpec`] with one line.
pub trait PathKind {
    /// The kind's name, as in JSON (`"kind"`) and on the command line.
    const NAME: &'static str;
    /// Resolve for dimension `d` (d ≥ 1, checked by [`PathSpec::build`]).
    fn build(&self, d: usize) -> Box<dyn Path>;
}

/// Declares [`PathSpec`], one variant per registered path kind.
macro_rules! path_kinds {
    ($($(#[$doc:meta])* $variant:ident($spec:ty),)*) => {
        /// A serialisable description of a path, resolved against d by [`PathSpec::build`].
        /// JSON: `{"kind": "<name>"}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum PathSpec {
            $($(#[$doc])* $variant($spec),)*
        }

        impl PathSpec {
            /// The names of every path, in registry order.
            pub const KINDS: &'static [&'static str] = &[$(<$spec as PathKind>::NAME,)*];

            /// Resolve the description for dimension `d`.
            ///
            /// # Errors
            /// [`crate::schedule::ScheduleError::ZeroDimension`] for d = 0.
            pub fn build(&self, d: usize) -> Result<Box<dyn Path>, crate::schedule::ScheduleError> {
                if d == 0 {
                    return Err(crate::schedule::ScheduleError::ZeroDimension);
                }
                Ok(match self {
                    $(PathSpec::$variant(s) => s.build(d),)*
                })
            }

            /// The kind's name, as in JSON.
            pub fn name(&self) -> &'static str {
                match self {
                    $(PathSpec::$variant(_) => <$spec as PathKind>::NAME,)*
                }
            }

            /// The path of the named kind.
            pub fn of_name(name: &str) -> Option<Self> {
                $(if name == <$spec as PathKind>::NAME {
                    return Some(PathSpec::$variant(<$spec>::default()));
                })*
                None
            }
        }
    };
}

// The registry: a new path is a new file plus one line here.
path_kinds! {
    /// α = 1 − τ, β = τ (the paper's path).
    Linear(LinearSpec),
    /// α = √(1 − τ²), β = τ.
    Vp(VpSpec),
    /// α = cos(πτ/2), β = sin(πτ/2).
    Cosine(CosineSpec),
    /// α = √d(1 − τ), β = τ.
    Ve(VeSpec),
}

impl Default for PathSpec {
    fn default() -> Self {
        PathSpec::linear()
    }
}

impl PathSpec {
    /// The linear path (the default).
    pub fn linear() -> Self {
        PathSpec::Linear(LinearSpec {})
    }
    /// The variance-preserving path α = √(1 − τ²).
    pub fn vp() -> Self {
        PathSpec::Vp(VpSpec {})
    }
    /// The cosine path.
    pub fn cosine() -> Self {
        PathSpec::Cosine(CosineSpec {})
    }
    /// The variance-exploding path α = √d(1 − τ).
    pub fn ve() -> Self {
        PathSpec::Ve(VeSpec {})
    }
    /// True for the linear path (the paper's, whose d → ∞ theory SPEC §5.2/§5.3 derive).
    pub fn is_linear(&self) -> bool {
        matches!(self, PathSpec::Linear(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dα/dτ and dβ/dτ against central differences at interior points.
    #[test]
    fn derivatives_match_finite_differences() {
        for spec in [
            PathSpec::linear(),
            PathSpec::vp(),
            PathSpec::cosine(),
            PathSpec::ve(),
        ] {
            let p = spec.build(400).unwrap();
            for i in 1..20 {
                let t = i as f64 / 20.0;
                let h = 1e-6;
                let fa = (p.alpha(t + h) - p.alpha(t - h)) / (2.0 * h);
                let fb = (p.beta(t + h) - p.beta(t - h)) / (2.0 * h);
                let scale = 1.0 + p.alpha_prime(t).abs();
                assert!(
                    (fa - p.alpha_prime(t)).abs() < 1e-6 * scale
                        && (fb - p.beta_prime(t)).abs() < 1e-6,
                    "{spec:?} τ={t}: α' {} vs {fa}, β' {} vs {fb}",
                    p.alpha_prime(t),
                    p.beta_prime(t)
                );
            }
        }
    }

    #[test]
    fn every_path_goes_from_noise_to_data() {
        for spec in [
            PathSpec::linear(),
            PathSpec::vp(),
            PathSpec::cosine(),
            PathSpec::ve(),
        ] {
            let p = spec.build(100).unwrap();
            assert!(p.alpha(p.end()).abs() < crate::tol::EXACT, "{spec:?}");
            assert!(
                (p.beta(p.end()) - 1.0).abs() < crate::tol::EXACT,
                "{spec:?}"
            );
            assert!(p.beta(0.0).abs() < crate::tol::EXACT, "{spec:?}");
            assert!(p.noise_scale() > 0.0);
        }
    }

    #[test]
    fn spec_round_trips_through_json_and_names() {
        for name in PathSpec::KINDS {
            let s = PathSpec::of_name(name).unwrap();
            let j = serde_json::to_string(&s).unwrap();
            assert_eq!(j, format!(r#"{{"kind":"{name}"}}"#));
            assert_eq!(serde_json::from_str::<PathSpec>(&j).unwrap(), s);
            assert_eq!(s.name(), *name);
        }
        assert!(PathSpec::of_name("nope").is_none());
        assert!(PathSpec::ve().build(0).is_err());
    }
}
