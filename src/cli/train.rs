//! `phaseflow train`: one model, its overlaps and generated statistics.

use super::args::{Given, OutputArgs, TrainGroups};
use clap::Args;
use phaseflow::error::Error;
use phaseflow::experiment::TrainConfig;
use phaseflow::report::Reports;

/// Flags of `phaseflow train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub train: TrainGroups,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `phaseflow train`.
pub fn run(a: &TrainArgs, g: &Given<'_>) -> Result<i32, Error> {
    let mut c = TrainConfig::default();
    a.train.apply(&mut c, g)?;
    super::args::warn(&c);
    let _lock = a.output.lock(None)?;
    let out = phaseflow::experiment::run(&c)?;
    Reports::new(&a.output.output(None)).train(&out)?;
    Ok(0)
}
