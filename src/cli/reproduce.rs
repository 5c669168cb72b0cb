//! `phaseflow reproduce`: the paper's claims, quick or full, with a report folder.

use super::print_json;
use crate::error::Error;
use crate::reproduce::{self, Context, Tier};
use clap::Args;
use std::path::PathBuf;

/// Flags of `phaseflow reproduce`.
#[derive(Debug, Clone, Default, Args)]
pub struct ReproduceArgs {
    /// The paper's sizes (d = 5000, K = 80, wide sweeps; tens of minutes here).
    #[arg(long)]
    pub full: bool,
    /// Only these claims, comma-separated (e.g. C1,C3).
    #[arg(long, value_delimiter = ',')]
    pub claims: Option<Vec<String>>,
    /// Output folder (default phaseflow-out/reproduce-quick or -full).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the replica count of every claim (≥ 2).
    #[arg(long)]
    pub replicas: Option<usize>,
    /// Master seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// Run `phaseflow reproduce`; exit code 1 if a claim fails or a control passes.
///
/// # Errors
/// Bad input (exit 2), training failures, I/O.
pub fn run(a: &ReproduceArgs) -> Result<i32, Error> {
    if a.replicas.is_some_and(|r| r < 2) {
        return Err(Error::Input("replicas: must be at least 2".into()));
    }
    let tier = if a.full { Tier::Full } else { Tier::Quick };
    let ctx = Context {
        tier,
        replicas: a.replicas,
        seed: a.seed,
        quiet: a.quiet || a.json,
    };
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "phaseflow-out/reproduce-{}",
            if a.full { "full" } else { "quick" }
        ))
    });
    let report = reproduce::run(&ctx, a.claims.as_deref(), Some(&out))?;
    crate::io::write_json(&out.join("reproduce.json"), &report)?;
    crate::io::write_atomic(
        &out.join("reproduce.md"),
        reproduce::markdown(&report).as_bytes(),
    )?;
    if a.json {
        print_json(&report)?;
    } else {
        print!("{}", reproduce::render(&report));
        println!("report, figures and JSON written to {}", out.display());
    }
    Ok(if report.ok() { 0 } else { 1 })
}
