//! `phaseflow theory`: every SPEC §5 prediction for the configuration `phaseflow train` would
//! train with the same flags, as a table or one JSON document.

use super::args::{Given, OutputArgs, TrainGroups};
use clap::Args;
use phaseflow::error::Error;
use phaseflow::experiment::TrainConfig;
use phaseflow::report::Reports;

/// Flags of `phaseflow theory`: the flags of `train` (the same defaults), so the theory is
/// that of the objective `train` minimises.
#[derive(Debug, Clone, Args)]
pub struct TheoryArgs {
    #[command(flatten)]
    pub train: TrainGroups,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Leave out the finite-n predictions (SPEC §5.3): the n → ∞ and d → ∞ theory only.
    #[arg(long)]
    pub no_finite_n: bool,
}

/// Run `phaseflow theory`.
pub fn run(a: &TheoryArgs, g: &Given<'_>) -> Result<i32, Error> {
    let mut c = TrainConfig::default();
    a.train.apply(&mut c, g)?;
    let _lock = a.output.lock(None)?;
    let report = phaseflow::experiment::theory(&c, !a.no_finite_n)?;
    Reports::new(&a.output.output(None)).theory(&report)?;
    Ok(0)
}
