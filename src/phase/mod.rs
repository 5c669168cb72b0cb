//! Phase detection and phase-aware schedules (SPEC §5.5, §8; issue 6): profiles, the window
//! where they change fastest, and the schedules built from it. The `phaseflow detect`
//! subcommand on top of this is [`crate::detect`].
//!
//! The paper's practical proposal: find the time window where a feature of the generated
//! sample is decided, then spend grid points (training time) there. Data flows one way:
//!
//! [`Profile`] (a curve over t with standard errors) → [`detect`] (the [`Window`] where the
//! curve changes fastest: centre, 10 %–90 % width, jump, with uncertainty) →
//! [`phase_aware`] (a piecewise-linear τ giving the window a chosen share of the K grid
//! points) → training on the adapted grid ([`auto_schedule`], [`resolve`]: `--schedule
//! auto`).
//!
//! Profiles, one file each:
//! * [`BayesMse`] — the per-dimension Bayes MSE (§5.5), closed form at any d.
//! * [`ModelMse`] — a trained denoiser's per-dimension MSE on fresh test data at every grid
//!   time, the noise x0 averaged in closed form ([`crate::theory::expected_sq_error`]).
//! * [`UTurn`] — for data x1, noise to x_t, integrate the flow from t to the end and record
//!   P(feature(x̂) ≠ feature(x1)) with its binomial SE. Generic over a [`Transport`] (the
//!   flow), a [`DataSource`] and a [`Feature`], so a real-data feature (a digit classifier,
//!   issue 8) plugs in without touching detection.
//! * [`BayesUTurn`] — the U-turn of the Bayes denoiser under Euler, reduced exactly to the
//!   1-D recursion of h = x·μ/√d (SPEC §5.4): O(K) for the whole curve at any d.
//! * [`measure_clones`] — SPEC §10 by Monte Carlo: a denoiser's MSE excess and the
//!   reverse-SDE U-turn as two clones' disagreement, at given times.
//! * [`trained_channel`] — the same for a trained per-step denoiser, paired with the Bayes
//!   one on the same draws: its MSE excess split into the Bayes part and a learning error,
//!   and its reverse-SDE U-turn and clones (Euler–Maruyama on the training grid, in the span
//!   of the denoisers' vectors).
//!
//! Detection under noise: [`noisy_t50`] (a weighted isotonic fit of a noisy falling profile
//! and a parametric-bootstrap interval of its t₅₀). For trainers that draw a random time per
//! example, [`TimeDensity`] turns a phase-aware schedule into a density of the interpolation
//! time τ (`detect` reports it).
//!
//! ## References
//! Aranguri & Insulla, *Phase-aware Training Schedule Simplifies Learning in Flow-Based
//! Generative Models*, arXiv:2412.07972 (doi:10.48550/arXiv.2412.07972).

mod adapt;
mod auto;
mod bayes_mse;
mod bayes_uturn;
mod clones;
mod density;
mod error;
mod feature;
mod figure;
mod isotonic;
mod model_mse;
mod profile;
mod trained_sde;
mod uturn;
mod window;

pub use adapt::{phase_aware, window_tau};
pub use auto::{AutoSchedule, auto_schedule, auto_schedule_on, pilot_grid, resolve};
pub use bayes_mse::{BayesGrid, BayesMse};
pub use bayes_uturn::BayesUTurn;
pub use clones::{CHUNK as CLONE_CHUNK, CloneEstimates, CloneTime, measure_clones};
pub use density::{DensitySegment, TimeDensity};
pub use error::DetectError;
pub use feature::{Feature, ModeSign};
pub use figure::{curve_series, profile_figure};
pub use isotonic::{NoisyT50, fitted_t50, isotonic_decreasing, noisy_t50};
pub use model_mse::ModelMse;
pub use profile::{Curve, Profile, ProfilePoint};
pub use trained_sde::{CHUNK as TRAINED_SDE_CHUNK, TrainedChannel, trained_channel};
pub use uturn::{DataSource, FlowTransport, Transport, UTurn};
pub use window::{Detector, Direction, Extent, Window, detect};
