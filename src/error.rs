//! The library's error: one variant per kind of failure, each carrying the typed error of
//! the module that found it. Messages name the field, file or step and the fix; the command
//! line maps each variant to an exit code (2 for bad input, 1 for a run that could not
//! complete), the library never does.

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
    Plot(#[from] crate::plot::PlotError),
    /// A set of shard files that cannot be merged.
    #[error(transparent)]
    Shard(#[from] crate::harness::shard::ShardError),
    /// The digits data set is missing, corrupt or too small.
    #[error(transparent)]
    Digits(#[from] crate::digits::DigitsError),
    /// A file that could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file whose content is not what it must be (a parse error, an unknown field, a
    /// wrong extension).
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column where known.
        message: String,
    },
    /// The theory gives no value where a check needs one.
    #[error("theory: no {what} at d = {d}")]
    NoPrediction {
        /// The missing prediction.
        what: &'static str,
        /// The dimension.
        d: usize,
    },
    /// A value could not be serialised as JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
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
