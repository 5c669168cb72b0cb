//! `phaseflow train`: one model, its overlaps and generated statistics.

use super::args::{EngineArgs, Given, OutputArgs, ProblemArgs, SampleArgs, SeedArgs, apply_train};
use clap::Args;
use phaseflow::error::Error;
use phaseflow::experiment::TrainConfig;
use phaseflow::report::Reports;

/// Flags of `phaseflow train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub sample: SampleArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl TrainArgs {
    /// The configuration these flags describe.
    pub fn config(&self, g: &Given<'_>) -> Result<TrainConfig, Error> {
        let mut c = TrainConfig::default();
        apply_train(
            &mut c,
            (&self.problem, &self.engine, &self.sample, &self.seed),
            g,
        )?;
        Ok(c)
    }
}

/// Run `phaseflow train`.
pub fn run(a: &TrainArgs, g: &Given<'_>) -> Result<i32, Error> {
    let out = phaseflow::experiment::run(&a.config(g)?)?;
    Reports::new(&a.output.output(None)).train(&out)?;
    Ok(0)
}
