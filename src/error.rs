//! The library's error: one variant per kind of failure, each carrying the typed error of
//! the module that found it. Messages name the field, file or step and the fix; the command
//! line maps each variant to an exit code (2 for bad input, 1 for a run that could not
//! complete), the library never does.

//!
//! The typed errors of the modules above this one (shards, the digits experiment) are
//! defined here too, so that this module imports only from below.

use std::path::PathBuf;

/// Any failure of a phaseflow call.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rejected configuration field (a flag, a field of a configuration file).
    #[error(transparent)]
    Config(#[from] crate::problem::ConfigError),
    /// Training diverged.
    #[error(transparent)]
    Train(#[from] crate::train::TrainError),
    /// A profile, a detection or an adapted schedule could not be produced.
    #[error(transparent)]
    Detect(#[from] crate::phase::DetectError),
    /// A figure could not be drawn.
    #[error("plot: {0}")]
    Plot(crate::plot::PlotError),
    /// A set of shard files that cannot be merged.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// The digits data set is missing, corrupt or too small.
    #[error(transparent)]
    Digits(#[from] DigitsError),
    /// A file that could not be read, written or parsed (each names the file).
    #[error(transparent)]
    File(#[from] crate::io::IoError),
    /// A set of checks that cannot be evaluated (a family without a negative control).
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The result was computed and printed on stdout, but a file of the output folder could
    /// not be written.
    #[error("{0}; the result was printed above in full, but the output folder is incomplete")]
    NotWritten(Box<Error>),
    /// The theory gives no value where a check needs one.
    #[error("theory: no {what} at d = {d}")]
    NoPrediction {
        /// The missing prediction.
        what: &'static str,
        /// The dimension.
        d: usize,
    },
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::File(e.into())
    }
}

/// A figure's file that could not be written is an I/O error like any other.
impl From<crate::plot::PlotError> for Error {
    fn from(e: crate::plot::PlotError) -> Self {
        match e {
            crate::plot::PlotError::File(e) => e.into(),
            e => Error::Plot(e),
        }
    }
}

impl From<crate::schedule::ScheduleError> for Error {
    fn from(e: crate::schedule::ScheduleError) -> Self {
        Error::Config(e.into())
    }
}

impl From<crate::mixture::MixtureError> for Error {
    fn from(e: crate::mixture::MixtureError) -> Self {
        Error::Config(e.into())
    }
}

/// A set of checks that cannot be evaluated ([`crate::harness::check::evaluate`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckError {
    /// A family has no negative control: it cannot show that it can fail.
    #[error(
        "check family '{family}' has no negative control ({checks} checks): a harness that cannot fail is a defect"
    )]
    NoControl {
        /// The family.
        family: String,
        /// Its real checks.
        checks: usize,
    },
}

/// Why a folder of shard files cannot be merged; each names the file.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// No `shard-*.json` in the folder.
    #[error("{}: no shard-*.json files to merge", dir.display())]
    NoShards {
        /// The folder.
        dir: PathBuf,
    },
    /// A shard written by another schema version.
    #[error("{}: shard schema {found}, expected {expected}; rerun the shard with this version", path.display())]
    Schema {
        /// The shard file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// A shard written by another version of phaseflow (its numbers may differ).
    #[error("{}: written by phaseflow {found}, this is {expected}; rerun the shard with this version", path.display())]
    Version {
        /// The shard file.
        path: PathBuf,
        /// The version that wrote it.
        found: String,
        /// This version.
        expected: String,
    },
    /// A file whose name is not the one its content says.
    #[error("{}: holds shard {index}/{count}, whose file is {expected}; renamed or copied by hand?", path.display())]
    Name {
        /// The shard file.
        path: PathBuf,
        /// The index it holds.
        index: usize,
        /// The count it holds.
        count: usize,
        /// The name that content has.
        expected: String,
    },
    /// A field of a shard file that breaks its rule.
    #[error("{}: {field}: {rule}", path.display())]
    Field {
        /// The shard file.
        path: PathBuf,
        /// The field, as a JSON path.
        field: String,
        /// The rule and the value found.
        rule: String,
    },
    /// A shard of another experiment or another shard count.
    #[error("{}: experiment or shard count differs from {}", path.display(), first.display())]
    Mismatch {
        /// The shard file.
        path: PathBuf,
        /// The first shard file, which the others must match.
        first: PathBuf,
    },
    /// A shard index beyond the count.
    #[error("{}: shard index {index} ≥ count {count}", path.display())]
    Index {
        /// The shard file.
        path: PathBuf,
        /// Its index.
        index: usize,
        /// The shard count.
        count: usize,
    },
    /// Two files for one shard.
    #[error("{}: duplicate of shard {index}/{count} (also in {})", path.display(), other.display())]
    Duplicate {
        /// The shard file.
        path: PathBuf,
        /// Its index.
        index: usize,
        /// The shard count.
        count: usize,
        /// The other file with the same index.
        other: PathBuf,
    },
    /// A shard whose replicas are not the ones its index owns.
    #[error("{}: holds replicas {got:?}, expected {expected:?} (truncated or mismatched)", path.display())]
    Replicas {
        /// The shard file.
        path: PathBuf,
        /// The replicas it holds.
        got: Vec<u64>,
        /// The replicas its index owns.
        expected: Vec<u64>,
    },
    /// A shard index with no file.
    #[error("{}: shard {index}/{count} is missing (expected file {file})", dir.display())]
    Missing {
        /// The folder.
        dir: PathBuf,
        /// The missing index.
        index: usize,
        /// The shard count.
        count: usize,
        /// The file name it should have.
        file: String,
    },
    /// A merge needs a trained run that no shard file holds.
    #[error("no shard file holds {what}; were the shards run with other flags or another version?")]
    MissingRun {
        /// The run, named.
        what: String,
    },
}

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
    Config(#[from] DigitsTrainError),
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

/// Why a sampler or a training configuration was rejected.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DigitsTrainError {
    /// The window is not a sub-interval of [0, 1].
    #[error("window: [{lo}, {hi}]: need 0 ≤ LO < HI ≤ 1")]
    Window {
        /// Start.
        lo: f64,
        /// End.
        hi: f64,
    },
    /// The weight would remove support outside the window.
    #[error("weight: must satisfy 0 ≤ weight < 1 (the support must stay [0, 1]), got {0}")]
    Weight(f64),
    /// A size that must be positive is zero.
    #[error("{0}: must be at least 1")]
    Zero(&'static str),
    /// The learning rate is not a positive number.
    #[error("lr: must be positive and finite, got {0}")]
    Lr(f32),
}
