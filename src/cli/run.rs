//! `phaseflow run` and `phaseflow merge`: replicas, checks, reports, sharding.

use super::args::{Given, OutputArgs, TrainGroups};
use crate::cli::choice::choice;
use clap::Args;
use phaseflow::error::Error;
use phaseflow::harness::shard::{self, ShardSpec};
use phaseflow::harness::{Experiment, Preset};
use phaseflow::problem::ConfigError;
use phaseflow::report::Reports;
use std::path::PathBuf;

/// Flags of `phaseflow run`. The problem, engine and sample flags override the experiment's
/// values only where given.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Experiment file (.json or .toml); see `--preset` for built-in ones.
    pub experiment: Option<PathBuf>,
    /// A built-in experiment (used when no file is given; default quick).
    #[arg(long, value_parser = choice::<Preset>(), conflicts_with = "experiment")]
    pub preset: Option<Preset>,
    /// Override the number of replicas R (≥ 2; default: the experiment's own, 48 for the
    /// quick preset, 32 for paper).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub replicas: Option<usize>,
    /// Run only shard i of N (0 ≤ i < N) and write a partial file into --out (default: all
    /// replicas in this process).
    #[arg(long)]
    pub shard: Option<ShardSpec>,
    #[command(flatten)]
    pub train: TrainGroups,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `phaseflow merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Folder holding the shard files of `run --shard` (shard-i-of-N.json) or of
    /// `reproduce --shard` (reproduce-shard-i-of-N.json).
    pub dir: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The experiment of a file or preset (default quick).
///
/// # Errors
/// A file that cannot be read or parsed.
pub fn experiment(file: Option<&PathBuf>, preset: Option<Preset>) -> Result<Experiment, Error> {
    match file {
        Some(path) => Experiment::from_file(path),
        None => Ok(preset.unwrap_or(Preset::Quick).experiment()),
    }
}

/// Run `phaseflow run`.
pub fn run(a: &RunArgs, g: &Given<'_>) -> Result<i32, Error> {
    let mut exp = experiment(a.experiment.as_ref(), a.preset)?;
    a.train.apply(&mut exp.train, g)?;
    if let Some(r) = a.replicas {
        exp.replicas = r;
    }
    super::args::warn(&exp.train);
    let quiet = a.output.quiet || a.output.json;
    // Bad input is refused before the output folder is created or locked.
    exp.validate()?;
    if let Some(spec) = a.shard {
        let out = a.output.out.as_deref().ok_or(ConfigError::Needs {
            field: "shard",
            needs: "--out DIR for the partial file",
        })?;
        // Shards of one run write into one folder at once (each its own file,
        // atomically): checked, not locked.
        phaseflow::io::prepare_dir(out)?;
        let path = shard::run(&exp, spec, out, quiet)?;
        if a.output.json {
            let doc = serde_json::json!({
                "schema_version": shard::SHARD_SCHEMA_VERSION,
                "shard": spec,
                "replicas": spec.replicas(exp.replicas),
                "file": path,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        eprintln!(
            "shard {}/{} written to {}",
            spec.index,
            spec.count,
            path.display()
        );
        return Ok(0);
    }
    let _lock = a.output.lock(None)?;
    let report = phaseflow::harness::run(&exp, quiet)?;
    Reports::new(&a.output.output(None)).run(&report)?;
    Ok(report.summary.exit_code())
}

/// Run `phaseflow merge`.
pub fn merge(a: &MergeArgs) -> Result<i32, Error> {
    let dir = a.output.out.clone().unwrap_or_else(|| a.dir.clone());
    let _lock = a.output.lock(Some(&dir))?;
    if phaseflow::claims::shard::holds_shards(&a.dir) {
        let quiet = a.output.quiet || a.output.json;
        let r = phaseflow::claims::shard::merge(&a.dir, quiet)?;
        Reports::new(&a.output.output(Some(dir))).reproduce(&r)?;
        return Ok(if r.report.ok() { 0 } else { 1 });
    }
    let report = shard::merge_report(&a.dir)?;
    Reports::new(&a.output.output(Some(dir))).run(&report)?;
    Ok(report.summary.exit_code())
}
