//! Training engines: fit one [`StepParams`] per grid time to the objective of SPEC §4,
//!
//! R_k(θ) = (1/d)·[ Σ_i E_{x0} |f_k(α x0 + β x1^i) − x1^i|² + λ_u |u|² + λ_w |w|² ].
//!
//! The loss decomposes over k, so every engine trains the grid times independently
//! (in parallel with rayon, each time step with its own random stream, collected in
//! step order so that results do not depend on the thread count).
//!
//! Engines plug in through [`Engine`]: [`sgd::Sgd`] is the reference-faithful Adam
//! procedure with fresh noise each epoch; [`averaged::Averaged`] minimises the exact
//! noise-averaged objective with L-BFGS in the span of the data. [`EngineConfig`] is the
//! serialisable choice of engine with its knobs, one variant per engine.

pub mod averaged;
mod config;
pub mod sgd;

pub use config::{EngineConfig, EngineSpec, Shape};

use crate::denoiser::{Denoiser, StepParams};
use crate::mixture::Dataset;
use crate::schedule::Schedule;
use serde::{Deserialize, Serialize};

/// What an engine trains on.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    /// The time schedule.
    pub schedule: &'a dyn Schedule,
    /// Grid times t_k.
    pub grid: &'a [f64],
    /// The n training points, drawn once.
    pub data: &'a Dataset,
    /// Ridge on u, λ_u ≥ 0.
    pub lambda_u: f64,
    /// Ridge on w, λ_w ≥ 0.
    pub lambda_w: f64,
    /// Master seed (SPEC §7).
    pub seed: u64,
    /// Replica index (SPEC §7).
    pub replica: u64,
}

/// Why the training of one grid time stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Stop {
    /// The epoch budget was spent (the sgd engine always stops this way).
    EpochBudget {
        /// Epochs run.
        epochs: usize,
    },
    /// The convergence criterion held.
    Converged {
        /// Iterations run.
        iterations: usize,
        /// The estimated distance to the step's minimiser (engines that certify it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        distance: Option<f64>,
    },
    /// The iteration cap (or the distance criterion) was not met before the solver stopped.
    IterationCap {
        /// Iterations run.
        iterations: usize,
        /// The estimated distance to the step's minimiser (engines that certify it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        distance: Option<f64>,
    },
}

/// Per-step training record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Why the step stopped.
    pub stop: Stop,
    /// Final value of R_k (the sgd engine: mean over its last epochs, a noisy estimate).
    pub loss: f64,
}

impl StepRecord {
    /// `Some(true/false)` for engines with a convergence criterion, `None` for a fixed budget.
    pub fn converged(&self) -> Option<bool> {
        match self.stop {
            Stop::EpochBudget { .. } => None,
            Stop::Converged { .. } => Some(true),
            Stop::IterationCap { .. } => Some(false),
        }
    }

    /// The estimated distance to the step's minimiser, for engines that certify it (the
    /// averaged engine: the max-norm of its last Newton step in (s₀·w/√d, b)); `None`
    /// otherwise.
    pub fn distance(&self) -> Option<f64> {
        match self.stop {
            Stop::EpochBudget { .. } => None,
            Stop::Converged { distance, .. } | Stop::IterationCap { distance, .. } => distance,
        }
    }
}

/// A trained model and how each step ended.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The denoiser.
    pub denoiser: Denoiser,
    /// One record per grid time.
    pub records: Vec<StepRecord>,
}

/// Training failures.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The loss or a parameter became NaN or infinite.
    #[error(
        "training diverged: non-finite loss at time step {step} (t = {t}), epoch {epoch}; {hint}"
    )]
    NonFinite {
        /// The grid step k.
        step: usize,
        /// Its time t_k.
        t: f64,
        /// The epoch (or iteration) at which it happened.
        epoch: usize,
        /// What to change, for the engine that diverged ([`divergence_hint`]).
        hint: &'static str,
    },
    /// The loss stayed finite but rose above [`LOSS_BOUND`] times that of the zero
    /// denoiser f = 0 on the same data (a point of the model: c = 0, u = 0), which only a
    /// diverging optimiser reaches.
    #[error(
        "training diverged: loss {loss:.4e} at time step {step} (t = {t}), epoch {epoch}, above {bound:.4e} = {LOSS_BOUND} × the zero denoiser's loss; {hint}"
    )]
    Diverged {
        /// The grid step k.
        step: usize,
        /// Its time t_k.
        t: f64,
        /// The epoch (or iteration) at which it happened.
        epoch: usize,
        /// The loss.
        loss: f64,
        /// The bound it exceeded.
        bound: f64,
        /// What to change, for the engine that diverged ([`divergence_hint`]).
        hint: &'static str,
    },
}

/// What a user can change when `engine` diverges (issue 24: the averaged engine's error
/// told the user to lower `--lr`, which that engine refuses).
pub fn divergence_hint(engine: &str) -> &'static str {
    if engine == "sgd" {
        "lower --lr"
    } else {
        "the averaged engine has no learning rate: check --lambda-u, --lambda-w and --sigma2, or compare with --engine sgd"
    }
}

/// A loss above this many times the zero denoiser's is divergence (the sanity bound of
/// issue 15). The trained loss is at most the zero denoiser's, since f = 0 is in the model;
/// Adam's transient from the initialisation (c = 0, b = 0, |u|² ≈ |w|² ≈ 1) and the
/// epoch-to-epoch noise of the fresh-noise estimate are far below a factor 4.
pub const LOSS_BOUND: f64 = 4.0;

/// The loss of the zero denoiser f = 0 on `data`: R_k(0) = (1/d)·Σ_i |x1^i|², the same at
/// every grid time (the data scale of the divergence bound).
pub fn zero_denoiser_loss(data: &Dataset) -> f64 {
    data.x.iter().map(|v| v * v).sum::<f64>() / data.d as f64
}

/// Check trained records against [`LOSS_BOUND`] (every engine, after training).
///
/// # Errors
/// [`TrainError::Diverged`] naming the first step above it.
pub fn check_losses(
    trained: &Trained,
    grid: &[f64],
    data: &Dataset,
    hint: &'static str,
) -> Result<(), TrainError> {
    let bound = LOSS_BOUND * zero_denoiser_loss(data);
    for (k, rec) in trained.records.iter().enumerate() {
        if rec.loss > bound {
            let epoch = match rec.stop {
                Stop::EpochBudget { epochs } => epochs,
                Stop::Converged { iterations, .. } | Stop::IterationCap { iterations, .. } => {
                    iterations
                }
            };
            return Err(TrainError::Diverged {
                step: k,
                t: grid[k],
                epoch,
                loss: rec.loss,
                bound,
                hint,
            });
        }
    }
    Ok(())
}

/// A training engine.
pub trait Engine: Sync {
    /// Engine name as used on the command line.
    fn name(&self) -> &'static str;
    /// Train every grid time of `problem`.
    ///
    /// # Errors
    /// [`TrainError`] if the optimisation produces non-finite values.
    fn train(&self, problem: &Problem<'_>) -> Result<Trained, TrainError>;
}

/// Collect per-step results (computed in parallel) into a [`Trained`], in step order.
pub(crate) fn assemble(
    grid: &[f64],
    per_step: Vec<Result<(StepParams, StepRecord), TrainError>>,
) -> Result<Trained, TrainError> {
    let mut steps = Vec::with_capacity(per_step.len());
    let mut records = Vec::with_capacity(per_step.len());
    for r in per_step {
        let (p, rec) = r?;
        steps.push(p);
        records.push(rec);
    }
    Ok(Trained {
        denoiser: Denoiser {
            grid: grid.to_vec(),
            steps,
        },
        records,
    })
}
