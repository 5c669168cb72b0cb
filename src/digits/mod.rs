//! Real data (issue 8): the U-turn and phase-aware training on the 8×8 handwritten digits.
//!
//! Data flows one way: [`data`] (the committed UCI file, checksum, the unbalanced 80/20
//! "0 vs 1" set) → [`train`] (flow matching of the [`net`] velocity MLP with a time-sampling
//! density) → [`flow`] (Euler sampling) → [`classifier`] (the feature "0 vs 1") →
//! [`uturn`] (the U-turn curve and its window) → [`compare`] (uniform vs phase-aware time
//! sampling over seeds, checks with negative controls, plots).
//!
//! ## References
//! A. Aranguri, F. Insulla, *Phase-aware Training Schedule Simplifies Learning in Flow-Based
//! Generative Models*, arXiv:2412.07972, §4 (MNIST U-turn and phase-aware training).

use std::path::PathBuf;

pub mod classifier;
pub mod compare;
pub mod data;
pub mod flow;
pub mod net;
pub mod train;
pub mod uturn;

/// Why the digits experiment could not run.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DigitsError {
    /// The data file does not match its checksum.
    #[error(
        "{}: SHA-256 {actual} does not match {} ({expected}); the file is corrupt, restore it with `git checkout` or rerun scripts/export-digits.sh",
        path.display(),
        sum_path.display()
    )]
    Checksum {
        /// The data file.
        path: PathBuf,
        /// Its checksum file.
        sum_path: PathBuf,
        /// The SHA-256 of the file.
        actual: String,
        /// The SHA-256 the checksum file records.
        expected: String,
    },
    /// A malformed line of the data file.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The data file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The share of zeros of the unbalanced set is outside (0.5, 1).
    #[error("share of zeros {share}: must be in (0.5, 1)")]
    Share {
        /// The share given.
        share: f64,
    },
    /// The file has too few ones for the requested share.
    #[error("share of zeros {share} needs {needed} ones; the file has {available}")]
    TooFewOnes {
        /// The share given.
        share: f64,
        /// Ones needed.
        needed: usize,
        /// Ones in the file.
        available: usize,
    },
    /// A rejected sampler or training configuration.
    #[error(transparent)]
    Config(#[from] train::DigitsTrainError),
    /// The checkpoints do not end at the epoch budget.
    #[error("checkpoints {checkpoints:?} must end at --epochs {epochs}")]
    Checkpoints {
        /// The checkpoints.
        checkpoints: Vec<usize>,
        /// The epoch budget.
        epochs: usize,
    },
    /// Training produced a non-finite loss.
    #[error(
        "digits training diverged at epoch {epoch} (loss {loss}), seed {seed} replica {replica}"
    )]
    Diverged {
        /// The epoch.
        epoch: usize,
        /// The loss.
        loss: f32,
        /// Master seed.
        seed: u64,
        /// Replica.
        replica: u64,
    },
    /// The reference model's U-turn curve does not fall: no window to train in.
    #[error("no U-turn window found on the reference model ({epochs} epochs); U = {curve:?}")]
    NoWindow {
        /// Epochs of the reference model.
        epochs: usize,
        /// The curve U(t).
        curve: Vec<f64>,
    },
}
