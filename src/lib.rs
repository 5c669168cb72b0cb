//! # phaseflow
//!
//! A Monte-Carlo harness that checks the theory of phase-aware training of flow-based
//! generative models (Aranguri & Insulla, arXiv:2412.07972) against experiment.
//!
//! A two-layer denoiser f(x) = c·x + u·tanh(w·x/√d + b), one parameter set per time step,
//! is trained to sample a two-mode Gaussian mixture in dimension d. Modules, one per concept,
//! in layers that import only downwards:
//!
//! 1. [`problem`] (the problem as data: mixture, schedule, grid, objective; validation
//!    errors) over [`schedule`] (time maps, SPEC §2) and [`mixture`] (data, §1), with the
//!    utilities [`rng`] (seed derivation, §7), [`stats`], [`linalg`], [`quadrature`], [`io`];
//! 2. [`denoiser`] (the model, §3) → [`flow`] (every sampler, §3/§5.4) → [`train`] (the
//!    engines and their configuration, §4) → [`theory`] (every prediction, §5);
//! 3. [`phase`] (profiles, windows, phase-aware schedules, §5.5/§8) → [`experiment`] (one
//!    run end to end: `phaseflow train` and `theory`) → [`detect`] (`phaseflow detect`) →
//!    [`harness`] (replicas, checks, shards, sweeps, §6) → [`claims`] (C1–C7,
//!    `phaseflow reproduce`) → [`report`] (every output format behind one trait), with
//!    [`plot`] for figures, [`demo`] and the real-data experiment [`digits`].
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
pub mod theory;
pub mod train;

/// The test suite's tolerances, shared with the integration tests.
#[cfg(test)]
#[path = "../tests/common/tol.rs"]
mod tol;
