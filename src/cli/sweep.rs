//! `phaseflow sweep`: a grid over d and n with log-log slope fits (SPEC §5.6).

use super::args::{Given, OutputArgs, RunGroups};
use crate::cli::choice::choice;
use clap::Args;
use phaseflow::error::Error;
use phaseflow::harness::Preset;
use phaseflow::harness::sweep::Sweep;
use phaseflow::report::Reports;
use std::path::PathBuf;

/// Flags of `phaseflow sweep`. Its d and n are lists (the sweep's axes); the engine, sample
/// and seed flags override the base experiment's where given.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Base experiment file (.json or .toml); default the quick preset.
    pub experiment: Option<PathBuf>,
    /// A built-in base experiment (default quick when no file is given).
    #[arg(long, value_parser = choice::<Preset>(), conflicts_with = "experiment")]
    pub preset: Option<Preset>,
    /// Dimensions, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [500usize, 2000, 8000, 32000], allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub d: Vec<usize>,
    /// Sample sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [64usize, 256], allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub n: Vec<usize>,
    /// Replicas per cell (≥ 2; sweep default 8: cells × replicas trainings).
    #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub replicas: usize,
    #[command(flatten)]
    pub run: RunGroups,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `phaseflow sweep`.
pub fn run(a: &SweepArgs, g: &Given<'_>) -> Result<i32, Error> {
    let mut base = super::run::experiment(a.experiment.as_ref(), a.preset)?;
    a.run.apply(&mut base.train, g)?;
    base.replicas = a.replicas;
    super::args::warn(&base.train);
    let sweep = Sweep {
        base,
        d: a.d.clone(),
        n: a.n.clone(),
    };
    let _lock = a.output.lock(None)?;
    let report = sweep.run(a.output.quiet || a.output.json)?;
    Reports::new(&a.output.output(None)).sweep(&report)?;
    Ok(0)
}
