//! `phaseflow run` and `phaseflow merge`: replicas, checks, reports, sharding.

use super::print_json;
use crate::error::Error;
use crate::harness::shard::{self, ShardFile, ShardSpec};
use crate::harness::{self, Experiment, Preset, RunReport};
use clap::Args;
use std::path::{Path, PathBuf};

/// Flags of `phaseflow run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Experiment file (.json or .toml); see `--preset` for built-in ones.
    pub experiment: Option<PathBuf>,
    /// A built-in experiment (used when no file is given; default quick).
    #[arg(long, value_enum, conflicts_with = "experiment")]
    pub preset: Option<Preset>,
    /// Override the number of replicas R (≥ 2).
    #[arg(long)]
    pub replicas: Option<usize>,
    /// Override the master seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only shard i of N (0 ≤ i < N) and write a partial file into --out.
    #[arg(long)]
    pub shard: Option<ShardSpec>,
    /// Output folder for report.json, report.md (and shard files).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Flags of `phaseflow merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Folder holding shard-i-of-N.json files.
    pub dir: PathBuf,
    /// Output folder for report.json and report.md (default: the shard folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl RunArgs {
    /// The experiment these flags describe.
    ///
    /// # Errors
    /// A file that cannot be read or parsed.
    pub fn experiment(&self) -> Result<Experiment, Error> {
        let mut exp = match (&self.experiment, self.preset) {
            (Some(path), _) => Experiment::from_file(path)?,
            (None, p) => p.unwrap_or(Preset::Quick).experiment(),
        };
        if let Some(r) = self.replicas {
            exp.replicas = r;
        }
        if let Some(s) = self.seed {
            exp.train.seed = s;
        }
        Ok(exp)
    }
}

/// Print a report (table or JSON) and write report.json / report.md into `out`.
///
/// # Errors
/// I/O errors naming the file.
pub fn emit(report: &RunReport, out: Option<&Path>, json: bool) -> Result<i32, Error> {
    if let Some(dir) = out {
        crate::io::write_json(&dir.join("report.json"), report)?;
        let mut md = crate::report::markdown(report);
        crate::report::figures::overlaps(report)?.save(dir, "overlaps")?;
        md.push_str("\n![learned overlaps vs theory](overlaps.png)\n");
        crate::io::write_atomic(&dir.join("report.md"), md.as_bytes())?;
    }
    if json {
        print_json(report)?;
    } else {
        print!("{}", crate::report::terminal(report));
        if let Some(dir) = out {
            println!("report written to {}", dir.display());
        }
    }
    Ok(report.summary.exit_code())
}

/// Run `phaseflow run`.
///
/// # Errors
/// Bad input (exit 2) or a training failure (exit 1).
pub fn run(args: &RunArgs) -> Result<i32, Error> {
    let exp = args.experiment()?;
    let v = exp.validate()?;
    if let Some(spec) = args.shard {
        let out = args.out.as_deref().ok_or_else(|| {
            Error::Input("out: --shard needs --out DIR for the partial file".into())
        })?;
        let ids = spec.replicas(exp.replicas);
        let pb = harness::progress(ids.len() as u64, "replicas (shard)", args.quiet);
        let replicas = harness::run_replicas(&v, &ids, &pb)?;
        let path = shard::write(
            out,
            &ShardFile {
                schema_version: shard::SHARD_SCHEMA_VERSION,
                crate_version: env!("CARGO_PKG_VERSION").to_string(),
                experiment: exp,
                shard: spec,
                replicas,
            },
        )?;
        eprintln!(
            "shard {}/{} written to {}",
            spec.index,
            spec.count,
            path.display()
        );
        return Ok(0);
    }
    let report = harness::run(&exp, args.quiet)?;
    emit(&report, args.out.as_deref(), args.json)
}

/// Run `phaseflow merge`.
///
/// # Errors
/// A missing, duplicate, corrupt or mismatched shard (exit 2).
pub fn merge(args: &MergeArgs) -> Result<i32, Error> {
    let (exp, outs) = shard::merge(&args.dir)?;
    exp.validate()?;
    let report = harness::evaluate(&exp, &outs)?;
    emit(
        &report,
        Some(args.out.as_deref().unwrap_or(&args.dir)),
        args.json,
    )
}
