//! # phaseflow
//!
//! A Monte-Carlo harness that checks the theory of phase-aware training of flow-based
//! generative models (Aranguri & Insulla, arXiv:2412.07972; and the noise schedules of
//! arXiv:2501.00988) against experiment.
//!
//! A two-layer denoiser f(x) = c·x + u·tanh(w·x/√d + b), one parameter set per time step,
//! is trained to sample a two-mode Gaussian mixture in dimension d; the learned overlaps and
//! the generated samples are compared with closed-form predictions under declared
//! tolerances, each check family with a negative control. The binary `phaseflow` drives it
//! from the command line; this page is the guide to using it as a library. The theory itself
//! (the "§" numbers in the docs) is stated in `docs/theory.md` of the source repository.
//!
//! ## A guide in four steps
//!
//! 1. **A problem** is a [`problem::ProblemSpec`] (mixture, path, schedule, grid, objective)
//!    inside an [`experiment::TrainConfig`] (plus the engine, seed and samples). Every field
//!    has a default; state only what differs.
//! 2. **Its theory**: [`experiment::theory`] gives every prediction on the same grid for the
//!    same objective ([`theory`]); [`theory::euler::euler_bayes`] is the exact law of Euler
//!    sampling with the Bayes denoiser.
//! 3. **Training**: [`experiment::run`] trains one seeded replica and generates samples;
//!    [`experiment::Validated::run`] trains replica r of a validated configuration.
//! 4. **Verdicts**: [`harness::run`] trains R replicas of a [`harness::Experiment`] and checks
//!    them against theory (every family, its negative controls, one Holm correction);
//!    [`claims::reproduce`] does so for the nine claims C1–C9 (`phaseflow reproduce`).
//!
//! The paper's central claim in a few lines — without dilation the generated mode weight p̂
//! drifts from p as d grows, with it p̂ stays — and one small trained model:
//!
//! ```
//! use phaseflow::experiment::{self, TrainConfig};
//! use phaseflow::problem::ProblemSpec;
//! use phaseflow::schedule::{Schedule, ScheduleSpec};
//! use phaseflow::theory::euler::euler_bayes;
//! use phaseflow::train::EngineConfig;
//!
//! // Theory (§5.4): exact Euler p̂ of the Bayes denoiser, p = 0.8, σ² = 1, K = 80.
//! let p_hat = |spec: ScheduleSpec, d: usize| {
//!     let s = spec.build(d).unwrap();
//!     euler_bayes(s.as_ref(), &s.grid(80), 0.8, 1.0, d).unwrap().p_hat
//! };
//! assert!(p_hat(ScheduleSpec::linear(), 32_000) > 0.94); // the weight is lost
//! assert!((p_hat(ScheduleSpec::dilated(2.0), 32_000) - 0.8).abs() < 0.01); // kept
//!
//! // Experiment: one model on the exact noise-averaged engine, at a tiny size.
//! let cfg = TrainConfig {
//!     problem: ProblemSpec { d: 100, n: 32, steps: 6, ..ProblemSpec::default() },
//!     engine: EngineConfig::default_of("averaged").unwrap(),
//!     n_gen: 1024,
//!     ..TrainConfig::default()
//! };
//! let out = experiment::run(&cfg).unwrap();
//! assert_eq!(out.steps.len(), 6);
//! assert!(out.generated.p_hat > 0.5 && out.generated.p_hat < 1.0);
//! ```
//!
//! `examples/library_tour.rs` goes from a problem to a verdict with a few replicas
//! (`cargo run --release --example library_tour`).
//!
//! ## Modules
//!
//! One module per concept, in layers that import only downwards:
//!
//! 1. [`problem`] (the problem as data: mixture, schedule, grid, objective; validation
//!    errors) over [`path`] and [`schedule`] (α, β and the time warps, §2) and [`mixture`]
//!    (data, §1), with the utilities [`rng`] (seed derivation, §7), [`stats`], [`linalg`],
//!    [`quadrature`], [`io`], [`budget`] (size limits checked before any work);
//! 2. [`denoiser`] (the model, §3) → [`flow`] (every sampler, §3/§5.4) → [`train`] (the
//!    engines and their configuration, §4) → [`theory`] (every prediction, §5); beside
//!    them [`target`] (general targets of §9 with their Bayes denoisers and exact Euler,
//!    over [`flow`]'s step coefficients);
//! 3. [`phase`] (profiles, windows, phase-aware schedules, §5.5/§8) → [`experiment`] (one
//!    run end to end: `phaseflow train` and `theory`) → [`detect`] (`phaseflow detect`) →
//!    [`harness`] (replicas, checks, shards, sweeps, power, §6) → [`claims`] (C1–C9,
//!    `phaseflow reproduce`) → [`report`] (every output format behind one trait), with
//!    [`perturbation`] (deliberate errors on either side), [`plot`] for figures, [`demo`] and
//!    the real-data experiment [`digits`].
//!
//! Every subcommand of the `phaseflow` binary is one library call taking its configuration
//! (`experiment::run`, `experiment::theory`, `detect::run`, `harness::run`,
//! `claims::reproduce`, …); the binary only parses flags and prints through
//! [`report::Reports`]. Failures are typed ([`error::Error`]); the binary maps them to exit
//! codes.

#![warn(missing_docs)] // the public API is documented, item by item
#![warn(clippy::float_cmp)] // compare floats through explicit tolerances
#![allow(clippy::needless_range_loop)] // numerical kernels index several arrays in lockstep

pub mod budget;
pub mod choice;
pub mod claims;
pub mod demo;
pub mod denoiser;
pub mod detect;
pub mod digits;
pub mod error;
pub mod experiment;
pub mod flow;
pub mod harness;
pub mod io;
pub mod linalg;
pub mod mixture;
pub mod model;
pub mod path;
pub mod perturbation;
pub mod phase;
pub mod plot;
pub mod problem;
pub mod quadrature;
pub mod report;
pub mod rng;
pub mod schedule;
pub mod stats;
pub mod target;
pub mod theory;
pub mod train;

/// The test suite's tolerances, shared with the integration tests.
#[cfg(test)]
#[path = "../tests/common/tol.rs"]
mod tol;
