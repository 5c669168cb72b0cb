//! `phaseflow reproduce`: the paper's claims, quick or full, with a report folder.

use super::args::{Given, OutputArgs, SeedArgs};
use clap::Args;
use phaseflow::claims::{self, Context, ReproduceConfig, Tier};
use phaseflow::error::Error;
use phaseflow::problem::ConfigError;
use phaseflow::report::Reports;
use std::path::PathBuf;

/// Flags of `phaseflow reproduce`.
#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    /// The paper's sizes (d = 5000, K = 80, wide sweeps; tens of minutes here).
    #[arg(long)]
    pub full: bool,
    /// Only these claims, comma-separated, out of C1–C12 (e.g. C1,C3; default: all twelve).
    #[arg(long, value_delimiter = ',')]
    pub claims: Option<Vec<String>>,
    /// A deliberate error, named in the report: on the experiment side every trained
    /// experiment is perturbed while the theory keeps the nominal values (p+SHIFT,
    /// sigma2*SCALE, kappa*SCALE, lambda*SCALE, euler-next); on the theory side every
    /// prediction is computed at the perturbed value while training stays nominal
    /// (theory:p+SHIFT, theory:sigma2*SCALE, theory:kappa*SCALE). Default: none.
    #[arg(long, value_name = "PERTURBATION")]
    pub perturb: Option<phaseflow::perturbation::Perturbation>,
    /// Override the replica count of every claim (≥ 2; default: each claim's own, e.g. 32
    /// per ladder size in the quick tier).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub replicas: Option<usize>,
    #[command(flatten)]
    pub seed: SeedArgs,
    /// Output folder (reproduce default: phaseflow-out/reproduce-quick or -full) and stdout.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Run only shard i of N (0 ≤ i < N): this shard's claims, writing their trained runs to
    /// reproduce-shard-i-of-N.json in --out; `phaseflow merge DIR` then gives the report of
    /// the unsharded run, byte for byte.
    #[arg(long, value_name = "i/N")]
    pub shard: Option<phaseflow::harness::shard::ShardSpec>,
    /// Also write one fixture per claim into this folder (used by
    /// scripts/regenerate-fixtures.sh).
    #[arg(long, hide = true)]
    pub fixtures: Option<PathBuf>,
}

impl Default for ReproduceArgs {
    fn default() -> Self {
        Self {
            full: false,
            claims: None,
            perturb: None,
            replicas: None,
            seed: SeedArgs { seed: 0 },
            output: OutputArgs::default(),
            shard: None,
            fixtures: None,
        }
    }
}

/// Run `phaseflow reproduce`; exit code 1 if a claim fails or a control passes.
pub fn run(a: &ReproduceArgs, _g: &Given<'_>) -> Result<i32, Error> {
    let tier = if a.full { Tier::Full } else { Tier::Quick };
    let cfg = ReproduceConfig {
        context: Context {
            tier,
            replicas: a.replicas,
            seed: a.seed.seed,
            quiet: a.output.quiet || a.output.json,
            perturbation: a.perturb,
            cache: Default::default(),
        },
        claims: a.claims.clone(),
    };
    if let Some(spec) = a.shard {
        let out = a.output.out.as_deref().ok_or(ConfigError::Needs {
            field: "shard",
            needs: "--out DIR for the shard file",
        })?;
        if a.fixtures.is_some() {
            return Err(ConfigError::Invalid {
                field: "shard",
                rule: "fixtures are written by an unsharded reproduction".into(),
            }
            .into());
        }
        cfg.check()?;
        // Shards of one reproduction write into one folder at once (each its own file,
        // atomically): checked, not locked.
        phaseflow::io::prepare_dir(out)?;
        let path = claims::shard::run_shard(&cfg, spec, out)?;
        eprintln!(
            "reproduce shard {}/{} written to {}",
            spec.index,
            spec.count,
            path.display()
        );
        return Ok(0);
    }
    let out = a.output.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "phaseflow-out/reproduce-{}",
            if a.full { "full" } else { "quick" }
        ))
    });
    let _lock = a.output.lock(Some(&out))?;
    if let Some(dir) = &a.fixtures {
        phaseflow::io::prepare_dir(dir)?;
    }
    let r = claims::reproduce(&cfg)?;
    if let Some(dir) = &a.fixtures {
        claims::write_fixtures(&r.report, dir)?;
    }
    Reports::new(&a.output.output(Some(out))).reproduce(&r)?;
    Ok(if r.report.ok() { 0 } else { 1 })
}
