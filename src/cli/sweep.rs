//! `phaseflow sweep`: a grid over d and n with log-log slope fits (SPEC §5.6).

use super::print_json;
use super::run::RunArgs;
use crate::error::Error;
use crate::harness::sweep::{Sweep, render};
use clap::Args;
use std::path::PathBuf;

/// Flags of `phaseflow sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Base experiment file (.json or .toml); default the quick preset.
    pub experiment: Option<PathBuf>,
    /// A built-in base experiment.
    #[arg(long, value_enum, conflicts_with = "experiment")]
    pub preset: Option<crate::harness::Preset>,
    /// Dimensions, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [500usize, 2000, 8000, 32000])]
    pub d: Vec<usize>,
    /// Sample sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [64usize, 256])]
    pub n: Vec<usize>,
    /// Replicas per cell (≥ 2).
    #[arg(long, default_value_t = 8)]
    pub replicas: usize,
    /// Output folder for sweep.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the JSON report instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Run `phaseflow sweep`.
///
/// # Errors
/// Bad input or a training failure.
pub fn run(a: &SweepArgs) -> Result<i32, Error> {
    let base = RunArgs {
        experiment: a.experiment.clone(),
        preset: a.preset,
        replicas: Some(a.replicas),
        seed: None,
        shard: None,
        out: None,
        json: false,
        quiet: a.quiet,
    }
    .experiment()?;
    let sweep = Sweep {
        base,
        d: a.d.clone(),
        n: a.n.clone(),
    };
    let report = sweep.run(a.quiet)?;
    if let Some(dir) = &a.out {
        crate::io::write_json(&dir.join("sweep.json"), &report)?;
        for (stem, fig) in crate::report::figures::sweep(&report) {
            fig.save(dir, &stem)?;
        }
    }
    if a.json {
        print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    Ok(0)
}
