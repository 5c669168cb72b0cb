//! The top-level error of the command line, with its exit code
//! (0 = all checks pass, 1 = a check failed or a run failed, 2 = bad input).

use std::path::PathBuf;

/// Any failure the CLI reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input: a flag, a config file, a fixture. Exit code 2.
    #[error("{0}")]
    Input(String),
    /// A run that could not complete (e.g. training diverged). Exit code 1.
    #[error("{0}")]
    Run(String),
    /// A file could not be read or written. Exit code 2.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code for this error.
    pub fn code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Io { .. } => 2,
            Error::Run(_) => 1,
        }
    }
}

impl From<crate::experiment::ConfigError> for Error {
    fn from(e: crate::experiment::ConfigError) -> Self {
        Error::Input(e.to_string())
    }
}

impl From<crate::train::TrainError> for Error {
    fn from(e: crate::train::TrainError) -> Self {
        Error::Run(e.to_string())
    }
}
