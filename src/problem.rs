//! The problem as data: what is learned, on which grid, under which objective (SPEC §1–§4).
//!
//! This is the layer theory, engines and the harness all stand on. A [`ProblemSpec`] names
//! the mixture (p, σ², d and the mean direction), the interpolant path and the time warp
//! (together the schedule) and its K grid points,
//! and the objective R_k (n training samples, ridges λ_u and λ_w). It is plain serialisable
//! data with one set of defaults ([`ProblemSpec::default`], the CPU-friendly reference
//! settings); `phaseflow train`, `theory` and `detect` read the same flags into it, so the
//! theory of a configuration describes the objective its training minimises by construction.
//! [`Noise`] is the noise convention of the objective (carried by the engine configuration
//! that implements it, [`crate::train::EngineConfig`]). [`ConfigError`] is every rejected
//! field, named as its command-line flag.
//!
//! ```
//! use phaseflow::problem::ProblemSpec;
//! let p = ProblemSpec { d: 200, n: 32, ..ProblemSpec::default() };
//! p.check().unwrap();
//! let bad = ProblemSpec { p: 1.2, ..p };
//! assert_eq!(bad.check().unwrap_err().to_string(), "p: must satisfy 0 < p < 1, got 1.2");
//! ```

use crate::mixture::{Mixture, MixtureError};
use crate::path::PathSpec;
use crate::rng::{Purpose, stream};
use crate::schedule::{Schedule, ScheduleError, ScheduleSpec};
use serde::{Deserialize, Serialize};

crate::choice::choice_enum! {
    /// Noise convention of the objective (SPEC §4, §5.3).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Noise {
        "fresh", "x0 averaged in closed form (the objective of SPEC §4; the default)." =>
            #[default]
            Fresh,
        "fixed", "One x0 per data point, drawn once from stream (seed, replica, FixedNoise, 0) and shared by every grid time: R_k is a plain finite sum." =>
            Fixed,
    }
}

crate::choice::choice_enum! {
    /// The mean direction μ of the mixture.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum MeanKind {
        "ones", "μ = (1, …, 1)." =>
            #[default]
            Ones,
        "random", "A uniformly random direction scaled to |μ| = √d, from stream (seed, 0, Direction, 0)." =>
            Random,
    }
}

/// A rejected configuration: the message names the field (as its command-line flag) and the
/// rule, e.g. `p: must satisfy 0 < p < 1, got 1.2`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Mixture parameters.
    #[error(transparent)]
    Mixture(#[from] MixtureError),
    /// Schedule parameters.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A size that must be at least 1.
    #[error("{field}: must be at least 1")]
    ZeroSize {
        /// The flag.
        field: &'static str,
    },
    /// A count below its minimum.
    #[error("{field}: must be at least {min}{why}, got {got}")]
    TooFew {
        /// The flag.
        field: &'static str,
        /// The smallest allowed value.
        min: usize,
        /// Why, with a leading separator (or empty).
        why: &'static str,
        /// The value given.
        got: usize,
    },
    /// A combination of flags that no engine implements.
    #[error("{field}: {rule}")]
    Unsupported {
        /// The flag.
        field: &'static str,
        /// What is supported instead.
        rule: &'static str,
    },
    /// A number outside its allowed range.
    #[error("{field}: must be {rule}, got {}", Num(*.value))]
    OutOfRange {
        /// The flag.
        field: &'static str,
        /// The rule, e.g. "positive and finite".
        rule: &'static str,
        /// The value given.
        value: f64,
    },
    /// A name that is not one of the known ones.
    #[error("{field}: unknown {what} '{value}'; known: {known}")]
    Unknown {
        /// The flag.
        field: &'static str,
        /// What kind of name, e.g. "claim".
        what: &'static str,
        /// The name given.
        value: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A configuration whose estimated memory or work exceeds the limit
    /// ([`crate::budget`]).
    #[error("{field}: needs {estimate}, above the limit of {limit}")]
    TooLarge {
        /// The flag of the quantity that makes it large.
        field: &'static str,
        /// The estimate, with its largest term.
        estimate: String,
        /// The limit, where it comes from and how to raise it.
        limit: String,
    },
    /// A value that breaks a rule stated in the message (repeated values, a family that
    /// does not apply, a shard count above the replicas, …).
    #[error("{field}: {rule}")]
    Invalid {
        /// The flag.
        field: &'static str,
        /// The rule and the value given.
        rule: String,
    },
    /// [`ConfigError::Invalid`] for a field whose path is computed, e.g. `checks[2].control`
    /// of a declared check.
    #[error("{field}: {rule}")]
    InvalidAt {
        /// The field's path in the file.
        field: String,
        /// The rule and the value given.
        rule: String,
    },
    /// A flag that needs another one.
    #[error("{field}: needs {needs}")]
    Needs {
        /// The flag.
        field: &'static str,
        /// What it needs, e.g. "--out DIR for the partial file".
        needs: &'static str,
    },
}

/// A number as a person reads it: plain for 1e-4 ≤ |v| < 1e15 (and 0), otherwise in
/// exponent form, so `1e300` prints as `1e300`, not as 301 digits (issue 15).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || !a.is_finite() || (1e-4..1e15).contains(&a) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

/// The supported σ² (issue 15): `--sigma2 1e300` trained without error to a meaningless
/// p̂ = 0.0046 before this range was enforced.
pub const SIGMA2_RANGE: (f64, f64) = (1e-6, 1e6);

/// The largest ridge λ_u, λ_w accepted (issue 24: `--lambda-w 1e300` stalled the averaged
/// engine for minutes; 1e50 ran in 0.02 s, 1e100 diverged).
pub const LAMBDA_MAX: f64 = 1e12;

impl ConfigError {
    /// [`ConfigError::OutOfRange`] unless `ok` holds and `v` is finite (for callers outside
    /// the crate, e.g. the command line's own flags).
    ///
    /// # Errors
    /// The error naming `field` and `rule`.
    pub fn check_range(
        field: &'static str,
        rule: &'static str,
        v: f64,
        ok: bool,
    ) -> Result<(), Self> {
        in_range(field, rule, v, ok)
    }
}

/// `v` must be positive and finite.
pub(crate) fn positive_finite(field: &'static str, v: f64) -> Result<(), ConfigError> {
    in_range(field, "positive and finite", v, v > 0.0)
}

/// `v` must be finite and satisfy `ok`, described by `rule`.
pub(crate) fn in_range(
    field: &'static str,
    rule: &'static str,
    v: f64,
    ok: bool,
) -> Result<(), ConfigError> {
    if ok && v.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            rule,
            value: v,
        })
    }
}

/// `v` must be at least 1.
pub(crate) fn at_least_one(field: &'static str, v: usize) -> Result<(), ConfigError> {
    if v == 0 {
        Err(ConfigError::ZeroSize { field })
    } else {
        Ok(())
    }
}

/// The learning problem (module doc). Every field has a default, so a configuration file
/// states only what differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProblemSpec {
    /// Interpolant path α(τ), β(τ) (SPEC §2). Default linear (the paper's).
    pub path: PathSpec,
    /// Time warp τ(t); the schedule is the path composed with it. Default dilated, κ = 2.
    pub schedule: ScheduleSpec,
    /// Weight of the + mode, in (0, 1). Default 0.8.
    pub p: f64,
    /// Within-mode variance σ² > 0. Default 1.
    pub sigma2: f64,
    /// Dimension d ≥ 1. Default 1000.
    pub d: usize,
    /// Mean direction. Default all ones.
    pub mean: MeanKind,
    /// Grid points K ≥ 1. Default 40.
    pub steps: usize,
    /// Training samples n ≥ 1. Default 128.
    pub n: usize,
    /// Ridge λ_u ≥ 0 on u. Default 0.01 (see `train::sgd` for the map from the reference
    /// code's weight decay).
    pub lambda_u: f64,
    /// Ridge λ_w ≥ 0 on w. Default 0.01.
    pub lambda_w: f64,
}

impl Default for ProblemSpec {
    fn default() -> Self {
        Self {
            path: PathSpec::linear(),
            schedule: ScheduleSpec::dilated(2.0),
            p: 0.8,
            sigma2: 1.0,
            d: 1000,
            mean: MeanKind::Ones,
            steps: 40,
            n: 128,
            lambda_u: 0.01,
            lambda_w: 0.01,
        }
    }
}

impl ProblemSpec {
    /// Check every field without allocating anything of size d (the schedule is built
    /// unless it is the unresolved `auto` kind, which [`crate::phase::resolve`] resolves).
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad field.
    pub fn check(&self) -> Result<(), ConfigError> {
        at_least_one("d", self.d)?;
        at_least_one("n", self.n)?;
        at_least_one("steps", self.steps)?;
        for (field, v) in [("lambda-u", self.lambda_u), ("lambda-w", self.lambda_w)] {
            in_range(
                field,
                "in [0, 1e12] (the supported range: at 1e12 the ridge already pins w and u to 0; at 1e100 the averaged engine diverges and at 1e200 its line search stalls for minutes)",
                v,
                (0.0..=LAMBDA_MAX).contains(&v),
            )?;
        }
        // Mixture::new owns the rules for (p, σ²); a 1-dimensional μ keeps this cheap.
        Mixture::ones(self.p, self.sigma2, 1)?;
        let (lo, hi) = SIGMA2_RANGE;
        in_range(
            "sigma2",
            "in [1e-6, 1e6] (the supported range: the paper's regime is σ² = O(1), and beyond it squared norms n·d·σ² and Adam's squared gradients overflow or lose their precision)",
            self.sigma2,
            (lo..=hi).contains(&self.sigma2),
        )?;
        if !self.schedule.is_unresolved() {
            self.schedule.build_on(&self.path, self.d)?;
        }
        Ok(())
    }

    /// The schedule (the path composed with the warp) resolved for d.
    ///
    /// # Errors
    /// [`ConfigError::Schedule`] naming the bad field.
    pub fn schedule(&self) -> Result<Box<dyn Schedule>, ConfigError> {
        Ok(self.schedule.build_on(&self.path, self.d)?)
    }

    /// The data distribution; a random mean direction comes from stream
    /// (seed, 0, Direction, 0).
    ///
    /// # Errors
    /// [`ConfigError::Mixture`] naming the bad field.
    pub fn mixture(&self, seed: u64) -> Result<Mixture, ConfigError> {
        Ok(match self.mean {
            MeanKind::Ones => Mixture::ones(self.p, self.sigma2, self.d)?,
            MeanKind::Random => Mixture::random_direction(
                self.p,
                self.sigma2,
                self.d,
                &mut stream(seed, 0, Purpose::Direction, 0),
            )?,
        })
    }
}
