//! `phaseflow detect`: a profile (MSE or U-turn) of the Bayes or a trained denoiser, the
//! window where it changes fastest, and the phase-aware schedule built from it (SPEC §8).

use super::args::{Given, OutputArgs, TrainGroups};
use crate::cli::choice::choice;
use clap::Args;
use phaseflow::choice::name_of;
use phaseflow::detect::{DenoiserKind, DetectConfig, ExtentKind, ProfileKind};
use phaseflow::error::Error;
use phaseflow::report::Reports;

fn defaults() -> DetectConfig {
    DetectConfig::default()
}

/// Flags of `phaseflow detect`.
#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    #[command(flatten)]
    pub train: TrainGroups,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Profile to compute.
    #[arg(long, value_parser = choice::<ProfileKind>(), default_value = name_of(defaults().profile))]
    pub profile: ProfileKind,
    /// Denoiser: the Bayes-optimal one, or one trained by `--engine`.
    #[arg(long, value_parser = choice::<DenoiserKind>(), default_value = name_of(defaults().denoiser))]
    pub denoiser: DenoiserKind,
    /// Monte-Carlo samples per grid time (trained MSE test points / U-turn draws), ≥ 2.
    #[arg(long, default_value_t = defaults().samples, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub samples: usize,
    /// Extent rule (default: slope for mse, whole for uturn).
    #[arg(long, value_parser = choice::<ExtentKind>())]
    pub extent: Option<ExtentKind>,
    /// Slope fraction of the slope extent (--extent slope), in (0, 1).
    #[arg(long, default_value_t = defaults().fraction, allow_negative_numbers = true)]
    pub fraction: f64,
    /// Parametric bootstrap replicates for the window's uncertainty.
    #[arg(long, default_value_t = defaults().bootstrap, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub bootstrap: usize,
}

/// Run `phaseflow detect`.
pub fn run(a: &DetectArgs, g: &Given<'_>) -> Result<i32, Error> {
    let mut c = defaults();
    a.train.apply(&mut c.train, g)?;
    c.profile = a.profile;
    c.denoiser = a.denoiser;
    c.samples = a.samples;
    c.extent = a.extent;
    c.fraction = a.fraction;
    c.bootstrap = a.bootstrap;
    c.share = a.train.problem.share;
    c.margin = a.train.problem.margin;
    super::args::warn(&c.train);
    let _lock = a.output.lock(None)?;
    let out = phaseflow::detect::run(&c)?;
    Reports::new(&a.output.output(None)).detect(&out)?;
    Ok(0)
}
