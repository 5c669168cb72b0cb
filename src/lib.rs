//! # phaseflow
//!
//! A Monte-Carlo harness that checks the theory of phase-aware training of flow-based
//! generative models (Aranguri & Insulla, arXiv:2412.07972) against experiment.
//!
//! A two-layer denoiser f(x) = c·x + u·tanh(w·x/√d + b), one parameter set per time step,
//! is trained to sample a two-mode Gaussian mixture in dimension d. Data flows one way:
//! [`experiment::TrainConfig`] → [`train`] engine → [`denoiser::Denoiser`] →
//! [`flow`] (generated samples) → statistics.
//!
//! Modules, one per concept: [`mixture`] (data, SPEC §1), [`schedule`] (time maps, §2),
//! [`denoiser`] (model, §3), [`train`] (engines, §4), [`flow`] (sampling, §3/§5.4),
//! [`experiment`] (one run end to end), [`rng`] (seed derivation, §7), [`cli`].

// Public items carry docs; enum-variant fields are self-describing, so missing_docs is not denied.
#![warn(clippy::float_cmp)] // compare floats through explicit tolerances
#![allow(clippy::needless_range_loop)] // numerical kernels index several arrays in lockstep

pub mod cli;
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
pub mod plot;
pub mod quadrature;
pub mod report;
pub mod reproduce;
pub mod rng;
pub mod schedule;
pub mod theory;
pub mod train;
