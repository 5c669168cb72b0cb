//! `phaseflow target FILE`: a target declared in a file (SPEC §9: k modes, hierarchical
//! means, variance classes, two modes) and what explicit Euler with its Bayes denoiser
//! generates over a d-ladder: p̂ per class, its total-variation distance to the weights, the
//! generated variances and the numerical error. The file is the positional argument, as
//! for `run` and `sweep`; the path, schedule and grid flags are those of `train`.

use super::args::{FlowArgs, OutputArgs};
use crate::cli::choice::choice;
use clap::Args;
use phaseflow::choice::name_of;
use phaseflow::error::Error;
use phaseflow::flow::Endpoint;
use phaseflow::report::Reports;
use phaseflow::target::{TargetConfig, TargetFile};
use std::path::PathBuf;

/// Flags of `phaseflow target`.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Target file (.toml or .json): a `[target]` table with `kind` = two_mode, k_mode,
    /// hierarchical or variance, and optionally the d-ladder `d` (docs/cli.md, target).
    pub file: PathBuf,
    #[command(flatten)]
    pub flow: FlowArgs,
    /// Dimensions, comma-separated (default: the file's `d`, else 10000,1000000,100000000;
    /// explicit means fix d to their length). Exact Euler costs the same at every d.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub d: Option<Vec<usize>>,
    /// Where sampling stops: end = T_end (all K steps, α = 0); last-grid-point = t_{K−1}
    /// after K − 1 steps, the authors' sampler.
    #[arg(long, value_parser = choice::<Endpoint>(), default_value = name_of(Endpoint::End))]
    pub endpoint: Endpoint,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `phaseflow target`.
pub fn run(a: &TargetArgs) -> Result<i32, Error> {
    let file = TargetFile::from_file(&a.file)?;
    let mut c = TargetConfig::new(file.target.spec()?);
    if let Some(d) = file.d {
        c.d = d;
    }
    if let Some(d) = &a.d {
        c.d.clone_from(d);
    }
    // The file declares the target (and the ladder); the flow is the flags', with the
    // defaults of `train`.
    c.path = a.flow.path_spec();
    c.schedule = a.flow.schedule_spec(0.0, 0.0);
    c.steps = a.flow.steps;
    c.endpoint = a.endpoint;
    let _lock = a.output.lock(None)?;
    let report = c.run()?;
    Reports::new(&a.output.output(None)).target(&report)?;
    Ok(0)
}
