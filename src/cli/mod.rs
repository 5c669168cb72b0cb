//! The `phaseflow` command line. `main.rs` only calls [`run`] and maps the error to an
//! exit code. One file per subcommand.

mod demo;
mod detect;
mod digits;
mod reproduce;
mod run;
mod sweep;
mod theory;
mod train;

use crate::error::Error;
use crate::schedule::ScheduleSpec;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Check the theory of phase-aware training of flow-based generative models against
/// experiment. With no subcommand, runs the quick tier of `reproduce` (every claim of the
/// paper, a table, a report folder).
#[derive(Debug, Parser)]
#[command(name = "phaseflow", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: `reproduce`, quick tier).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train one model, generate samples, print overlaps and p̂.
    Train(train::TrainArgs),
    /// The built-in demonstration: p̂ on the linear vs the dilated schedule at two d.
    Demo(demo::DemoArgs),
    /// Train R seeded replicas of an experiment and check them against theory.
    Run(run::RunArgs),
    /// Merge the shard files of a folder into one report (same as the unsharded run).
    Merge(run::MergeArgs),
    /// A grid over d and n with log-log slopes of the errors (the Θ_d(1) claim).
    Sweep(sweep::SweepArgs),
    /// The paper's claims C1–C7 as checks with negative controls, a table and a report.
    Reproduce(reproduce::ReproduceArgs),
    /// Every SPEC §5 prediction on the grid (Bayes, d → ∞, finite n, Euler), table or JSON.
    Theory(theory::TheoryArgs),
    /// Phase detection: an MSE or U-turn profile, its fastest-change window and the
    /// phase-aware schedule built from it (SPEC §8).
    Detect(detect::DetectArgs),
    /// Real data: the U-turn and phase-aware training on the 8×8 handwritten digits.
    Digits(digits::DigitsArgs),
}

/// Schedule kind on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleKind {
    /// τ(t) = t on [0, 1].
    Linear,
    /// Dilation by ε = κ/√d, t ∈ [0, 2].
    Dilated,
    /// Phase-aware: a pilot Bayes U-turn at this (p, σ², d) on a fine linear grid, its
    /// decision window detected and given --auto-share of the grid (SPEC §8); resolves to
    /// piecewise knots.
    Auto,
}

/// The schedule and mixture flags shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct ProblemArgs {
    /// Time schedule.
    #[arg(long, value_enum, default_value_t = ScheduleKind::Dilated)]
    pub schedule: ScheduleKind,
    /// Dilation constant κ (dilated schedule; needs 0 < κ < √d).
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub kappa: f64,
    /// Weight p of the + mode, in (0, 1).
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    pub p: f64,
    /// Within-mode variance σ² > 0.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub sigma2: f64,
    /// Dimension d ≥ 1.
    #[arg(long, default_value_t = 1000)]
    pub d: usize,
    /// Grid points K ≥ 1.
    #[arg(long, default_value_t = 40)]
    pub steps: usize,
    /// Share of the grid points the `auto` schedule gives the detected window, in (0, 1).
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub auto_share: f64,
    /// Padding of the detected 10 %–90 % window, in widths, for the `auto` schedule.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub auto_margin: f64,
}

impl ProblemArgs {
    /// The schedule these flags describe. For `auto` the pilot runs here; if it rejects its
    /// input the result is an empty knot list, which schedule validation rejects — use
    /// [`ProblemArgs::try_schedule_spec`] to get the pilot's own message.
    pub fn schedule_spec(&self) -> ScheduleSpec {
        self.try_schedule_spec()
            .unwrap_or(ScheduleSpec::Piecewise { knots: Vec::new() })
    }

    /// The schedule these flags describe, running the `auto` pilot
    /// ([`crate::detect::auto_schedule`]).
    ///
    /// # Errors
    /// [`Error::Input`] naming the flag the pilot rejects (p, sigma2, d, auto-share, …).
    pub fn try_schedule_spec(&self) -> Result<ScheduleSpec, Error> {
        resolve_schedule(
            self.schedule,
            self.kappa,
            (self.p, self.sigma2, self.d),
            (self.auto_share, self.auto_margin),
        )
    }
}

/// The schedule a `--schedule` kind names; `auto` runs the pilot of
/// [`crate::detect::auto_schedule`] for (p, σ², d) with the given (share, margin).
///
/// # Errors
/// [`Error::Input`] naming the flag the pilot rejects.
pub(crate) fn resolve_schedule(
    kind: ScheduleKind,
    kappa: f64,
    (p, sigma2, d): (f64, f64, usize),
    (share, margin): (f64, f64),
) -> Result<ScheduleSpec, Error> {
    Ok(match kind {
        ScheduleKind::Linear => ScheduleSpec::Linear,
        ScheduleKind::Dilated => ScheduleSpec::Dilated { kappa },
        ScheduleKind::Auto => {
            let cfg = crate::detect::AutoConfig {
                share,
                margin,
                ..crate::detect::AutoConfig::default()
            };
            crate::detect::auto_schedule(p, sigma2, d, &cfg)?.spec
        }
    })
}

/// Serialise `value` as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    let s = serde_json::to_string_pretty(value).map_err(|e| Error::Run(e.to_string()))?;
    println!("{s}");
    Ok(())
}

/// Parse the process arguments and run. Returns the exit code for a successful run
/// (0, or 1 when a check failed).
///
/// # Errors
/// [`Error`] with its exit code.
pub fn run() -> Result<i32, Error> {
    let cli = Cli::parse();
    match cli.command {
        None => reproduce::run(&reproduce::ReproduceArgs::default()),
        Some(Command::Demo(a)) => demo::run(&a),
        Some(Command::Train(a)) => train::run(&a),
        Some(Command::Run(a)) => run::run(&a),
        Some(Command::Merge(a)) => run::merge(&a),
        Some(Command::Sweep(a)) => sweep::run(&a),
        Some(Command::Reproduce(a)) => reproduce::run(&a),
        Some(Command::Theory(a)) => theory::run(&a),
        Some(Command::Detect(a)) => detect::run(&a),
        Some(Command::Digits(a)) => digits::run(&a),
    }
}
