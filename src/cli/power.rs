//! `phaseflow power`: detection rates under deliberate perturbations, the MDE at 90 % power
//! and the false-alarm rate at nominal, over master seeds ([`phaseflow::harness::power`]).

use super::args::{Given, OutputArgs, TrainGroups};
use crate::cli::choice::choice;
use clap::Args;
use phaseflow::claims::power::{ClaimsPowerSpec, claims_power};
use phaseflow::claims::{Context, Tier};
use phaseflow::error::Error;
use phaseflow::harness::Preset;
use phaseflow::harness::power::{PowerSpec, power};
use phaseflow::perturbation::Perturbation;
use std::path::PathBuf;

/// Flags of `phaseflow power`.
#[derive(Debug, Clone, Args)]
pub struct PowerArgs {
    /// Experiment file (.json or .toml); see `--preset` for built-in ones.
    pub experiment: Option<PathBuf>,
    /// A built-in experiment (used when no file is given; default quick).
    #[arg(long, value_parser = choice::<Preset>(), conflicts_with = "experiment")]
    pub preset: Option<Preset>,
    /// Measure the power of these claims of `reproduce` instead of one experiment,
    /// comma-separated (e.g. C1,C2,C3,C4; quick tier unless --full). The training flags do
    /// not apply: each claim trains its own experiments. Default: none, the experiment's power.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["experiment", "preset"])]
    pub claims: Option<Vec<String>>,
    /// With --claims: the full tier's sizes.
    #[arg(long, requires = "claims")]
    pub full: bool,
    /// Override the number of replicas R (≥ 2; default: the experiment's or each claim's own).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub replicas: Option<usize>,
    /// Number of master seeds (≥ 2; the false-alarm rate needs ≥ 20 for a useful interval).
    #[arg(long, default_value_t = 20, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub seeds: usize,
    /// The first master seed (seeds are first, first + 1, …).
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    /// The perturbations at their base magnitude, comma-separated: experiment side (p+0.02,
    /// sigma2*1.02, kappa*1.03, lambda*10, euler-next) and theory side (theory:p+0.02,
    /// theory:sigma2*1.02, theory:kappa*1.03: the predictions wrong, the training nominal).
    #[arg(
        long = "perturbations",
        value_delimiter = ',',
        default_value = "p+0.02,sigma2*1.02,kappa*1.03,euler-next,theory:p+0.02,theory:sigma2*1.02,theory:kappa*1.03"
    )]
    pub perturbations: Vec<Perturbation>,
    /// Multipliers of each base magnitude: the ladder of the power curve and the MDE.
    #[arg(long, value_delimiter = ',', default_value = "0.5,1,2")]
    pub multipliers: Vec<f64>,
    #[command(flatten)]
    pub train: TrainGroups,
    /// Output folder (power.json, power.md and the power-curve figure) and stdout.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `phaseflow power`; exit code 1 if the false-alarm rate exceeds α beyond its interval.
pub fn run(a: &PowerArgs, g: &Given<'_>) -> Result<i32, Error> {
    if let Some(m) = a.multipliers.iter().find(|m| !(m.is_finite() && **m > 0.0)) {
        return Err(phaseflow::problem::ConfigError::OutOfRange {
            field: "multipliers",
            rule: "positive finite numbers",
            value: *m,
        }
        .into());
    }
    let seeds = phaseflow::harness::power::seed_list(
        a.first_seed,
        a.seeds,
        a.perturbations.len() * a.multipliers.len(),
    )?;
    let quiet = a.output.quiet || a.output.json;
    // Held until the reports are written (bad input is refused before the folder is locked).
    let _lock;
    let r = if let Some(ids) = &a.claims {
        let mut probe = phaseflow::experiment::TrainConfig::default();
        a.train.apply(&mut probe, g)?;
        if probe != phaseflow::experiment::TrainConfig::default() {
            return Err(phaseflow::problem::ConfigError::Invalid {
                field: "claims",
                rule: "training flags do not apply to --claims (each claim trains its own experiments); give --replicas, --full or --seeds instead".into(),
            }
            .into());
        }
        let spec = ClaimsPowerSpec {
            context: Context {
                tier: if a.full { Tier::Full } else { Tier::Quick },
                replicas: a.replicas,
                quiet,
                ..Context::default()
            },
            claims: ids.clone(),
            seeds,
            perturbations: a.perturbations.clone(),
            multipliers: a.multipliers.clone(),
        };
        _lock = a.output.lock(None)?;
        claims_power(&spec)?
    } else {
        let mut exp = super::run::experiment(a.experiment.as_ref(), a.preset)?;
        a.train.apply(&mut exp.train, g)?;
        if let Some(r) = a.replicas {
            exp.replicas = r;
        }
        _lock = a.output.lock(None)?;
        let spec = PowerSpec {
            experiment: exp,
            seeds,
            perturbations: a.perturbations.clone(),
            multipliers: a.multipliers.clone(),
        };
        power(&spec, quiet)?
    };
    phaseflow::report::Reports::new(&a.output.output(None)).power(&r)?;
    Ok(if r.false_alarm_ok { 0 } else { 1 })
}
