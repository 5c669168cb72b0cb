//! Time schedules of the interpolant x_t = α(τ(t))·z + β(τ(t))·x1 (SPEC §2): a
//! [`Schedule`] is a path ([`crate::path`], α and β as functions of τ) composed with a
//! [`Warp`] τ(t) (how fast τ moves).
//!
//! Every warp is a monotone map τ from `[0, T_end]` into `[0, 1]`. Variants live one per
//! file: [`Linear`] (the undilated baseline, T_end = 1), [`Dilated`] (the paper's time
//! dilation of the start of τ by ε = κ/√d, T_end = 2), [`DilatedEnd`] (the mirror image:
//! the last κ/√d of τ gets half the grid, T_end = 2; arXiv 2501.00988's schedule for the ve
//! path), [`Piecewise`] (general knots, any T_end), [`AutoSpec`] (the knots of a pilot
//! U-turn, resolved by [`crate::phase::resolve`]) and [`LogSnr`] (a grid uniform in log snr,
//! T_end = 1, SPEC §10). A new warp is a new file implementing
//! [`Warp`] and [`ScheduleKind`] plus one registry line.
//!
//! A bare warp is a schedule on the linear path (α = 1 − τ, β = τ: SPEC §2's first form), so
//! `&Linear`, `&Dilated::new(…)` can be passed wherever a `&dyn Schedule` is expected; any
//! other path is composed with [`ScheduleSpec::build_on`] (or [`Composition::new`]).
//!
//! Derivatives are *right* derivatives: at a knot, τ̇ is the slope of the segment that
//! starts there, which is what an explicit Euler step taken from that knot uses.
//!
//! **Phases.** A two-phase warp has a knee at t = 1 ([`Knee`]): the start of τ (dilated) or
//! its end (dilated_end) gets half of [0, 2]. The schedule has phases ([`Schedule::phases`])
//! when the knee is on the side the path needs ([`crate::path::PhaseSide`]): dilated on the
//! linear, vp and cosine paths, dilated_end on the ve path. Theory, check families, claims
//! and reports ask [`Schedule::phases`] instead of matching a schedule kind.
//!
//! ```
//! use phaseflow::path::PathSpec;
//! use phaseflow::schedule::{Dilated, Schedule, ScheduleSpec, Warp};
//! let s = Dilated::new(2.0, 10_000).unwrap(); // ε = 2/√10000 = 0.02, linear path
//! assert!((Warp::tau(&s, 1.0) - 0.02).abs() < 1e-15);
//! assert_eq!(Warp::t_end(&s), 2.0);
//! assert_eq!(Warp::grid(&s, 4), vec![0.0, 0.5, 1.0, 1.5]);
//! assert_eq!(Schedule::phases(&s).unwrap().split, 1.0);
//! // The authors' ve schedule with k = 3: half the grid brings the noise from √d to 3.
//! let ve = ScheduleSpec::dilated_end(3.0).build_on(&PathSpec::ve(), 10_000).unwrap();
//! assert!((ve.alpha(1.0) - 3.0).abs() < 1e-12);
//! assert!(ve.phases().is_some());
//! // The paper's dilation on the ve path dilates the wrong end: no phases.
//! let wrong = ScheduleSpec::dilated(2.0).build_on(&PathSpec::ve(), 10_000).unwrap();
//! assert!(wrong.phases().is_none());
//! ```
//!
//! ## References
//! Aranguri & Insulla, *Phase-aware Training Schedule Simplifies Learning in
//! Flow-Based Generative Models*, arXiv:2412.07972; Aranguri, Biroli, Mézard &
//! Vanden-Eijnden, *Optimizing Noise Schedules of Generative Models in High Dimensions*,
//! arXiv:2501.00988.

mod auto;
mod dilated;
mod dilated_end;
mod linear;
mod log_snr;
mod piecewise;

pub use auto::AutoSpec;
pub use dilated::{Dilated, DilatedSpec};
pub use dilated_end::{DilatedEnd, DilatedEndSpec};
pub use linear::{Linear, LinearSpec};
pub use log_snr::{LogSnr, LogSnrSpec};
pub use piecewise::{Piecewise, PiecewiseSpec};

use crate::path::{self, Path, PathSpec, PhaseSide};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// The knee of a two-phase warp: τ(t) is linear on [0, t] and on [t, T_end], and the knee
/// dilates one end of τ by κ/√d.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knee {
    /// The time of the knee (1 for the built-in warps).
    pub t: f64,
    /// τ at the knee.
    pub tau: f64,
    /// κ: the dilated end of τ has length κ/√d.
    pub kappa: f64,
    /// Which end of τ is dilated.
    pub side: PhaseSide,
}

/// A monotone time map τ: [0, T_end] → [0, 1] with τ(0) = 0.
pub trait Warp: Debug + Send + Sync {
    /// τ(t).
    fn tau(&self, t: f64) -> f64;
    /// dτ/dt at t (right derivative at knots).
    fn tau_dot(&self, t: f64) -> f64;
    /// The end of the time interval.
    fn t_end(&self) -> f64;
    /// The knots (t, τ) of the piecewise-linear map (every built-in warp is piecewise
    /// linear).
    fn knots(&self) -> Vec<(f64, f64)>;
    /// The knee of a two-phase warp (`None` for any other).
    fn knee(&self) -> Option<Knee> {
        None
    }
    /// The uniform training/sampling grid t_k = k·T_end/K, k = 0..K−1 (SPEC §2).
    fn grid(&self, k: usize) -> Vec<f64> {
        let dt = self.t_end() / k as f64;
        (0..k).map(|i| i as f64 * dt).collect()
    }
}

/// Where the two phases of a schedule are: phase 1 (the mode weight is learned) is
/// t ∈ [0, split), phase 2 (the within-mode variance) is t ∈ [split, end].
///
/// # Remarks
/// At finite d the knee belongs to phase 2 (the Euler step taken from it uses the phase-2
/// slope, and the finite-d theory treats it so); the d → ∞ curves of SPEC §5.2 put t = split
/// in phase 1 (ω(split) → κ), see [`crate::theory::limit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phases {
    /// The knee time.
    pub split: f64,
    /// T_end.
    pub end: f64,
    /// The warp's κ (the dilated end of τ has length κ/√d).
    pub kappa: f64,
    /// Which end of τ the knee dilates.
    pub side: PhaseSide,
}

impl Phases {
    /// 0 < t < split: the phase-1 grid times (t = 0 carries no signal).
    pub fn in_phase1(&self, t: f64) -> bool {
        t > 0.0 && t < self.split
    }
    /// t ≥ split.
    pub fn in_phase2(&self, t: f64) -> bool {
        t >= self.split
    }
    /// The time a fraction `f` ∈ [0, 1] into phase 1.
    pub fn phase1_at(&self, f: f64) -> f64 {
        f * self.split
    }
    /// The time a fraction `f` ∈ [0, 1] into phase 2.
    pub fn phase2_at(&self, f: f64) -> f64 {
        self.split + f * (self.end - self.split)
    }
    /// The time within phase 2, τ' = (t − split)/(end − split) ∈ [0, 1].
    pub fn phase2_fraction(&self, t: f64) -> f64 {
        (t - self.split) / (self.end - self.split)
    }
}

/// A schedule: a path composed with a warp (module doc). Everything that integrates, trains
/// or predicts along time asks a `&dyn Schedule` for α(t), β(t) and their time derivatives.
pub trait Schedule: Debug + Send + Sync {
    /// The path α(τ), β(τ).
    fn path(&self) -> &dyn Path;
    /// The warp τ(t).
    fn warp(&self) -> &dyn Warp;

    /// τ(t).
    fn tau(&self, t: f64) -> f64 {
        self.warp().tau(t)
    }
    /// dτ/dt (right derivative at knots).
    fn tau_dot(&self, t: f64) -> f64 {
        self.warp().tau_dot(t)
    }
    /// The end of the time interval.
    fn t_end(&self) -> f64 {
        self.warp().t_end()
    }
    /// The warp's knots (t, τ).
    fn knots(&self) -> Vec<(f64, f64)> {
        self.warp().knots()
    }
    /// The uniform grid t_k = k·T_end/K, k = 0..K−1 (SPEC §2).
    fn grid(&self, k: usize) -> Vec<f64> {
        self.warp().grid(k)
    }
    /// α(τ(t)), the weight of the noise z ~ N(0, I_d).
    fn alpha(&self, t: f64) -> f64 {
        self.path().alpha(self.tau(t))
    }
    /// β(τ(t)), the weight of the data x1.
    fn beta(&self, t: f64) -> f64 {
        self.path().beta(self.tau(t))
    }
    /// α̇(t) = α'(τ)·τ̇.
    fn alpha_dot(&self, t: f64) -> f64 {
        self.path().alpha_prime(self.tau(t)) * self.tau_dot(t)
    }
    /// β̇(t) = β'(τ)·τ̇.
    fn beta_dot(&self, t: f64) -> f64 {
        self.path().beta_prime(self.tau(t)) * self.tau_dot(t)
    }
    /// The scale of the noise at the start of sampling, α(t = 0): x(0) ~ N(0, α(0)²·I_d).
    fn noise_scale(&self) -> f64 {
        self.alpha(0.0)
    }
    /// Where the two phases are, or `None` (module doc).
    fn phases(&self) -> Option<Phases> {
        let k = self.warp().knee()?;
        (k.side == self.path().phase_side()).then_some(Phases {
            split: k.t,
            end: self.t_end(),
            kappa: k.kappa,
            side: k.side,
        })
    }
}

/// A bare warp is a schedule on the linear path (module doc).
impl<W: Warp> Schedule for W {
    fn path(&self) -> &dyn Path {
        &path::Linear
    }
    fn warp(&self) -> &dyn Warp {
        self
    }
}

/// A path composed with a warp: the schedule of [`ScheduleSpec::build_on`].
#[derive(Debug)]
pub struct Composition {
    path: Box<dyn Path>,
    warp: Box<dyn Warp>,
}

impl Composition {
    /// Compose `path` with `warp`.
    ///
    /// # Errors
    /// [`ScheduleError::EndsEarly`] if the warp stops short of the path's end point and the
    /// path refuses residual noise (ve).
    pub fn new(path: Box<dyn Path>, warp: Box<dyn Warp>) -> Result<Self, ScheduleError> {
        let tau_end = warp.tau(warp.t_end());
        if tau_end < path.end() && !path.allows_early_end() {
            return Err(ScheduleError::EndsEarly {
                path: path.name(),
                tau_end,
            });
        }
        Ok(Self { path, warp })
    }
}

impl Schedule for Composition {
    fn path(&self) -> &dyn Path {
        self.path.as_ref()
    }
    fn warp(&self) -> &dyn Warp {
        self.warp.as_ref()
    }
}

/// The serialisable parameters of one kind of warp: each warp file defines one and
/// registers it in [`ScheduleSpec`] with one line.
pub trait ScheduleKind {
    /// The kind's name, as in JSON (`"kind"`) and on the command line.
    const NAME: &'static str;
    /// Resolve the parameters for dimension `d` (d ≥ 1, checked by [`ScheduleSpec::build`]).
    ///
    /// # Errors
    /// [`ScheduleError`] naming the bad field.
    fn build(&self, d: usize) -> Result<Box<dyn Warp>, ScheduleError>;
    /// κ of a two-phase warp (`None` for any other).
    fn kappa(&self) -> Option<f64> {
        None
    }
    /// The same kind with κ replaced (unchanged if it has none).
    fn with_kappa(&self, _kappa: f64) -> Self
    where
        Self: Clone,
    {
        self.clone()
    }
}

/// Errors of schedule construction, one variant per bad field.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// κ must make ε = κ/√d lie in (0, 1).
    #[error("kappa: must satisfy 0 < kappa < sqrt(d) = {sqrt_d}, got {}", crate::problem::Num(*.kappa))]
    KappaOutOfRange {
        /// The κ given.
        kappa: f64,
        /// √d, the exclusive upper bound.
        sqrt_d: f64,
    },
    /// d must be at least 1.
    #[error("d: must be at least 1")]
    ZeroDimension,
    /// Knots must start at (0, 0), have strictly increasing t, non-decreasing τ and end at
    /// τ ∈ (0, 1].
    #[error("knots: {0}")]
    BadKnots(String),
    /// A kind that is resolved against the whole problem before it is built (`auto`).
    #[error("schedule: `{kind}` must be resolved first (phaseflow::phase::resolve)")]
    Unresolved {
        /// The kind.
        kind: &'static str,
    },
    /// A field of the log-snr warp out of its range.
    #[error("{field}: {rule}")]
    BadLogSnr {
        /// The field (a2_min, snr_max, points).
        field: &'static str,
        /// What is wrong.
        rule: String,
    },
    /// The warp stops before the path's end point and the path refuses the residual noise.
    #[error(
        "knots: the {path} path needs a warp that reaches tau = 1 (its residual noise grows with d), got tau(T_end) = {tau_end}"
    )]
    EndsEarly {
        /// The path.
        path: &'static str,
        /// τ at the end of the warp.
        tau_end: f64,
    },
}

/// Declares [`ScheduleSpec`], one variant per registered warp kind.
macro_rules! schedule_kinds {
    ($($(#[$doc:meta])* $variant:ident($spec:ty),)*) => {
        /// A serialisable description of a warp τ(t), resolved against d (and a path) by
        /// [`ScheduleSpec::build_on`]. JSON: `{"kind": "<name>", …parameters}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum ScheduleSpec {
            $($(#[$doc])* $variant($spec),)*
        }

        impl ScheduleSpec {
            /// Resolve the warp for dimension `d`.
            ///
            /// # Errors
            /// [`ScheduleError`] naming the bad field (κ ≥ √d, malformed knots, d = 0, an
            /// unresolved `auto`).
            pub fn warp(&self, d: usize) -> Result<Box<dyn Warp>, ScheduleError> {
                if d == 0 {
                    return Err(ScheduleError::ZeroDimension);
                }
                match self {
                    $(ScheduleSpec::$variant(s) => s.build(d),)*
                }
            }

            /// Short name for tables, as in JSON: `linear`, `dilated`, `dilated_end`,
            /// `piecewise`, `auto`, `log_snr`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(ScheduleSpec::$variant(_) => <$spec as ScheduleKind>::NAME,)*
                }
            }

            /// κ of a two-phase warp (`None` for any other kind).
            pub fn kappa(&self) -> Option<f64> {
                match self {
                    $(ScheduleSpec::$variant(s) => s.kappa(),)*
                }
            }

            /// The same warp with κ scaled by `factor` (unchanged if it has no κ): the
            /// negative controls' wrong κ.
            pub fn scale_kappa(&self, factor: f64) -> Self {
                match self {
                    $(ScheduleSpec::$variant(s) => {
                        ScheduleSpec::$variant(match s.kappa() {
                            Some(k) => s.with_kappa(k * factor),
                            None => s.clone(),
                        })
                    })*
                }
            }
        }
    };
}

// The registry: a new warp is a new file plus one line here.
schedule_kinds! {
    /// τ(t) = t on [0, 1].
    Linear(LinearSpec),
    /// The paper's dilation with ε = κ/√d on [0, 2].
    Dilated(DilatedSpec),
    /// The end of τ dilated: τ(1) = 1 − κ/√d on [0, 2].
    DilatedEnd(DilatedEndSpec),
    /// Piecewise-linear τ through the given (t, τ) knots.
    Piecewise(PiecewiseSpec),
    /// The phase-aware schedule found by a pilot Bayes U-turn (SPEC §8); resolved into
    /// piecewise knots for (path, p, σ², d) by [`crate::phase::resolve`].
    Auto(AutoSpec),
    /// A grid uniform in log snr from a2_min/d to snr_max, on [0, 1] (SPEC §10).
    LogSnr(LogSnrSpec),
}

impl ScheduleSpec {
    /// The linear warp.
    pub fn linear() -> Self {
        ScheduleSpec::Linear(LinearSpec {})
    }
    /// The dilated warp with constant κ.
    pub fn dilated(kappa: f64) -> Self {
        ScheduleSpec::Dilated(DilatedSpec { kappa })
    }
    /// The warp that dilates the end of τ with constant κ.
    pub fn dilated_end(kappa: f64) -> Self {
        ScheduleSpec::DilatedEnd(DilatedEndSpec { kappa })
    }
    /// The warp uniform in log snr with `points` grid intervals and the default range
    /// ([`LogSnr`]).
    pub fn log_snr(points: usize) -> Self {
        ScheduleSpec::LogSnr(LogSnrSpec {
            a2_min: log_snr::A2_MIN,
            snr_max: log_snr::SNR_MAX,
            points,
        })
    }
    /// Piecewise-linear through `knots`.
    pub fn piecewise(knots: Vec<(f64, f64)>) -> Self {
        ScheduleSpec::Piecewise(PiecewiseSpec { knots })
    }
    /// True for a kind that must be resolved against the problem before it is built.
    pub fn is_unresolved(&self) -> bool {
        matches!(self, ScheduleSpec::Auto(_))
    }
    /// The name with its parameter, for table headers: `dilated κ=2`, `linear`, ….
    pub fn label(&self) -> String {
        match self.kappa() {
            Some(kappa) => format!("{} κ={kappa}", self.name()),
            None => self.name().to_string(),
        }
    }
    /// [`ScheduleSpec::name`] on `path`: the bare name on the linear path, `ve ∘ dilated_end`
    /// on another.
    pub fn name_on(&self, path: &PathSpec) -> String {
        if path.is_linear() {
            self.name().to_string()
        } else {
            format!("{} ∘ {}", path.name(), self.name())
        }
    }
    /// [`ScheduleSpec::label`] on `path`, as [`ScheduleSpec::name_on`].
    pub fn label_on(&self, path: &PathSpec) -> String {
        if path.is_linear() {
            self.label()
        } else {
            format!("{} ∘ {}", path.name(), self.label())
        }
    }
    /// The warp on the linear path (α = 1 − τ, β = τ).
    ///
    /// # Errors
    /// As [`ScheduleSpec::build_on`].
    pub fn build(&self, d: usize) -> Result<Box<dyn Schedule>, ScheduleError> {
        self.build_on(&PathSpec::linear(), d)
    }
    /// The warp composed with `path` for dimension `d`.
    ///
    /// # Errors
    /// [`ScheduleError`] naming the bad field: κ ∉ (0, √d), malformed or non-monotone knots,
    /// d = 0, an unresolved `auto`, or a warp that stops short of τ = 1 on the ve path.
    pub fn build_on(&self, path: &PathSpec, d: usize) -> Result<Box<dyn Schedule>, ScheduleError> {
        let warp = self.warp(d)?;
        Ok(Box::new(Composition::new(path.build(d)?, warp)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{TestResult, quickcheck};

    fn check_monotone_continuous(s: &dyn Warp) -> bool {
        let n = 2000;
        let mut prev = s.tau(0.0);
        if prev.abs() > crate::tol::EXACT || (s.tau(s.t_end()) - 1.0).abs() > crate::tol::ROUNDOFF {
            return false;
        }
        let mut max_jump: f64 = 0.0;
        // The steepest segment bounds every increment of a continuous piecewise-linear map.
        let max_slope = s
            .knots()
            .windows(2)
            .map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
            .fold(0.0, f64::max);
        for i in 1..=n {
            let t = s.t_end() * i as f64 / n as f64;
            let v = s.tau(t);
            if v < prev - crate::tol::EXACT {
                return false;
            }
            max_jump = max_jump.max(v - prev);
            prev = v;
        }
        // Continuity: no jump larger than the steepest slope times the step.
        max_jump <= max_slope * s.t_end() / n as f64 + crate::tol::ROUNDOFF
    }

    quickcheck! {
        fn dilated_monotone_continuous(kappa: f64, d: u32) -> TestResult {
            let d = (d % 1_000_000 + 1) as usize;
            let kappa = kappa.abs() % 10.0;
            match Dilated::new(kappa, d) {
                Ok(s) => TestResult::from_bool(check_monotone_continuous(&s)),
                Err(_) => TestResult::discard(),
            }
        }
        fn piecewise_monotone_continuous(raw: Vec<(u8, u8)>) -> TestResult {
            // Build knots from positive increments.
            let mut t = 0.0;
            let mut tau = 0.0;
            let mut knots = vec![(0.0, 0.0)];
            let total: f64 = raw.iter().map(|&(_, b)| b as f64).sum();
            if raw.is_empty() || total == 0.0 {
                return TestResult::discard();
            }
            for &(a, b) in &raw {
                t += a as f64 + 1.0;
                tau += b as f64 / total;
                knots.push((t, tau.min(1.0)));
            }
            knots.last_mut().unwrap().1 = 1.0;
            match Piecewise::new(knots) {
                Ok(s) => TestResult::from_bool(check_monotone_continuous(&s)),
                Err(e) => TestResult::error(e.to_string()),
            }
        }
    }

    #[test]
    fn linear_is_monotone_and_continuous() {
        assert!(check_monotone_continuous(&Linear));
    }

    quickcheck! {
        fn dilated_end_monotone_continuous(kappa: f64, d: u32) -> TestResult {
            let d = (d % 1_000_000 + 1) as usize;
            let kappa = kappa.abs() % 10.0;
            match DilatedEnd::new(kappa, d) {
                Ok(s) => TestResult::from_bool(check_monotone_continuous(&s)),
                Err(_) => TestResult::discard(),
            }
        }
    }

    #[test]
    fn dilated_end_equals_its_knots_and_mirrors_dilated() {
        let d = 900;
        let e: &dyn Warp = &DilatedEnd::new(3.0, d).unwrap();
        let s: &dyn Warp = &Dilated::new(3.0, d).unwrap();
        let p: &dyn Warp = &Piecewise::new(e.knots()).unwrap();
        for i in 0..=200 {
            let t = 2.0 * i as f64 / 200.0;
            assert!((e.tau(t) - p.tau(t)).abs() < crate::tol::EXACT);
            // τ_end(t) = 1 − τ_dilated(2 − t): the same warp run backwards.
            assert!((e.tau(t) - (1.0 - s.tau(2.0 - t))).abs() < crate::tol::ROUNDOFF);
        }
        assert!(DilatedEnd::new(30.0, d).is_err(), "κ = √d");
    }

    #[test]
    fn phases_exist_only_on_the_side_the_path_needs() {
        let d = 10_000;
        let cases = [
            (PathSpec::linear(), ScheduleSpec::dilated(2.0), true),
            (PathSpec::vp(), ScheduleSpec::dilated(5.0), true),
            (PathSpec::cosine(), ScheduleSpec::dilated(2.0), true),
            (PathSpec::ve(), ScheduleSpec::dilated_end(3.0), true),
            (PathSpec::ve(), ScheduleSpec::dilated(2.0), false),
            (PathSpec::linear(), ScheduleSpec::dilated_end(3.0), false),
            (PathSpec::vp(), ScheduleSpec::linear(), false),
            (
                PathSpec::linear(),
                ScheduleSpec::piecewise(vec![(0.0, 0.0), (1.0, 0.02), (2.0, 1.0)]),
                false,
            ),
        ];
        for (path, warp, has) in cases {
            let s = warp.build_on(&path, d).unwrap();
            assert_eq!(s.phases().is_some(), has, "{path:?} ∘ {warp:?}");
            if let Some(ph) = s.phases() {
                assert_eq!((ph.split, ph.end), (1.0, 2.0));
                assert!(ph.in_phase1(0.5) && !ph.in_phase1(1.0) && ph.in_phase2(1.0));
                assert_eq!((ph.phase2_at(0.2), ph.phase2_at(0.8)), (1.2, 1.8));
            }
        }
    }

    #[test]
    fn a_bare_warp_is_the_linear_path() {
        let d = 400;
        let bare = Dilated::new(2.0, d).unwrap();
        let composed = ScheduleSpec::dilated(2.0).build(d).unwrap();
        for i in 0..40 {
            let t = i as f64 / 20.0;
            let b: &dyn Schedule = &bare;
            // Bit-identical: the linear path computes 1 − τ and τ, α̇ = (−1)·τ̇.
            assert_eq!(b.alpha(t).to_bits(), composed.alpha(t).to_bits());
            assert_eq!(b.beta(t).to_bits(), composed.beta(t).to_bits());
            assert_eq!(
                b.alpha_dot(t).to_bits(),
                (-Warp::tau_dot(&bare, t)).to_bits()
            );
            assert_eq!(b.beta_dot(t).to_bits(), composed.beta_dot(t).to_bits());
        }
    }

    #[test]
    fn ve_refuses_a_warp_that_stops_early_linear_allows_it() {
        let knots = vec![(0.0, 0.0), (1.0, 0.5), (2.0, 0.99)];
        let w = ScheduleSpec::piecewise(knots);
        let e = w.build_on(&PathSpec::ve(), 100).unwrap_err();
        assert!(matches!(e, ScheduleError::EndsEarly { .. }));
        assert!(e.to_string().starts_with("knots:"), "{e}");
        let lin = w.build_on(&PathSpec::linear(), 100).unwrap();
        assert!((lin.alpha(2.0) - 0.01).abs() < crate::tol::ROUNDOFF);
        // Non-monotone knots are refused by the warp itself, on any path.
        let bad = ScheduleSpec::piecewise(vec![(0.0, 0.0), (1.0, 0.5), (2.0, 0.4), (3.0, 1.0)]);
        assert!(
            bad.build_on(&PathSpec::vp(), 100)
                .unwrap_err()
                .to_string()
                .starts_with("knots:")
        );
    }

    #[test]
    fn scale_kappa_touches_only_two_phase_warps() {
        assert_eq!(
            ScheduleSpec::dilated(2.0).scale_kappa(1.5),
            ScheduleSpec::dilated(3.0)
        );
        assert_eq!(
            ScheduleSpec::dilated_end(2.0).scale_kappa(1.5),
            ScheduleSpec::dilated_end(3.0)
        );
        assert_eq!(
            ScheduleSpec::linear().scale_kappa(1.5),
            ScheduleSpec::linear()
        );
        assert_eq!(ScheduleSpec::dilated_end(3.0).label(), "dilated_end κ=3");
    }

    #[test]
    fn dilated_rejects_kappa_at_sqrt_d() {
        assert!(matches!(
            Dilated::new(10.0, 100),
            Err(ScheduleError::KappaOutOfRange { .. })
        ));
        assert!(Dilated::new(0.0, 100).is_err());
        assert!(Dilated::new(f64::NAN, 100).is_err());
        assert!(Dilated::new(9.99, 100).is_ok());
    }

    #[test]
    fn spec_round_trips_through_json() {
        let s = ScheduleSpec::dilated(2.0);
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, r#"{"kind":"dilated","kappa":2.0}"#);
        assert_eq!(serde_json::from_str::<ScheduleSpec>(&j).unwrap(), s);
    }

    #[test]
    fn dilated_equals_its_knots() {
        let s: &dyn Warp = &Dilated::new(2.0, 400).unwrap();
        let p: &dyn Warp = &Piecewise::new(s.knots()).unwrap();
        for i in 0..=200 {
            let t = 2.0 * i as f64 / 200.0;
            assert!((s.tau(t) - p.tau(t)).abs() < crate::tol::EXACT);
            assert!((s.tau_dot(t) - p.tau_dot(t)).abs() < crate::tol::ROUNDOFF);
        }
    }
}
