//! `phaseflow power`: detection rates under deliberate perturbations, the MDE at 90 % power
//! and the false-alarm rate at nominal, over master seeds ([`phaseflow::harness::power`]).

use super::args::{Given, OutputArgs, TrainGroups};
use clap::Args;
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
    #[arg(long, value_enum, conflicts_with = "experiment")]
    pub preset: Option<Preset>,
    /// Override the number of replicas R (≥ 2).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub replicas: Option<usize>,
    /// Number of master seeds (≥ 2; the false-alarm rate needs ≥ 20 for a useful interval).
    #[arg(long, default_value_t = 20, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub seeds: usize,
    /// The first master seed (seeds are first, first + 1, …).
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    /// The perturbations at their base magnitude, comma-separated.
    #[arg(
        long = "perturbations",
        value_delimiter = ',',
        default_value = "p+0.02,sigma2*1.02,kappa*1.03,euler-next"
    )]
    pub perturbations: Vec<Perturbation>,
    /// Multipliers of each base magnitude: the ladder of the power curve and the MDE.
    #[arg(long, value_delimiter = ',', default_value = "0.5,1,2")]
    pub multipliers: Vec<f64>,
    #[command(flatten)]
    pub train: TrainGroups,
    /// Output folder (power.json and the power-curve figure) and stdout.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `phaseflow power`; exit code 1 if the false-alarm rate exceeds α beyond its interval.
pub fn run(a: &PowerArgs, g: &Given<'_>) -> Result<i32, Error> {
    let mut exp = super::run::experiment(a.experiment.as_ref(), a.preset)?;
    a.train.apply(&mut exp.train, g)?;
    if let Some(r) = a.replicas {
        exp.replicas = r;
    }
    if let Some(m) = a.multipliers.iter().find(|m| !(m.is_finite() && **m > 0.0)) {
        return Err(phaseflow::problem::ConfigError::OutOfRange {
            field: "multipliers",
            rule: "positive finite numbers",
            value: *m,
        }
        .into());
    }
    let _lock = a.output.lock(None)?;
    let spec = PowerSpec {
        experiment: exp,
        seeds: (0..a.seeds as u64).map(|i| a.first_seed + i).collect(),
        perturbations: a.perturbations.clone(),
        multipliers: a.multipliers.clone(),
    };
    let r = power(&spec, a.output.quiet || a.output.json)?;
    if a.output.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", phaseflow::report::escape_text(&r.table()));
    }
    if let Some(dir) = &a.output.out {
        phaseflow::io::write_json(&dir.join("power.json"), &r)?;
        r.figure()
            .save(dir, "power_curves")
            .map_err(phaseflow::error::Error::from)?;
    }
    Ok(if r.false_alarm_ok { 0 } else { 1 })
}
