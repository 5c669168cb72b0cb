//! The `phaseflow` command line: parse, call the library, print. One file per subcommand;
//! the argument groups they share are in [`args`]. The library's errors become exit codes
//! here and only here ([`exit_code`]).

mod args;
mod choice;
mod demo;
mod detect;
mod digits;
mod power;
mod reproduce;
mod run;
mod sweep;
mod target;
mod theory;
mod train;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use phaseflow::error::Error;

/// Check the theory of phase-aware training of flow-based generative models against
/// experiment. With no subcommand, runs the quick tier of `reproduce` (the twelve claims
/// C1–C12, a table, a report folder).
#[derive(Debug, Parser)]
#[command(
    name = "phaseflow",
    version,
    about,
    long_about = None,
    after_help = "With no subcommand, `phaseflow` runs `phaseflow reproduce`: the quick tier of the twelve claims C1–C12, a table, and a report folder phaseflow-out/reproduce-quick (about 3 min on 2 cores).\n\nSection numbers such as §5.3 refer to the theory as the project states it (docs/theory.md in the source repository).\n\nExit codes: 0 every check passes, 1 a check failed or a run diverged, 2 bad input (one line naming the field)."
)]
pub struct Cli {
    /// What to do (default: `reproduce`, quick tier).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Memory limit of the size checks made before any work, e.g. 4G, 512M or bytes
    /// (default: the physical memory, capped by `ulimit -v`). A configuration estimated
    /// above it exits 2 naming the field.
    #[arg(long, global = true, value_parser = phaseflow::budget::parse_size)]
    pub max_memory: Option<u64>,
    /// Cap on the estimated seconds of the finite-n theory's binomial averages over n₊,
    /// checked before any work (default 300).
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_theory_seconds: Option<u64>,
    /// Cap on the estimated wall time of the work (training, generation, profiles,
    /// bootstrap; seconds), checked before any work (default 2592000, 30 days). A
    /// configuration estimated above it exits 2 naming the field.
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_seconds: Option<u64>,
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
    /// The twelve claims C1–C12 (arXiv:2412.07972, arXiv:2501.00988, SPEC §10's class
    /// channel and SPEC §9's general targets) as checks with negative controls, a table and a report.
    Reproduce(reproduce::ReproduceArgs),
    /// The suite's power: detection rates under deliberate errors on the experiment side
    /// (data p, σ², training κ, λ, the Euler sampler) and the theory side (predictions at a
    /// wrong p, σ², κ), the MDE at 90 % power, and the false-alarm rate.
    Power(power::PowerArgs),
    /// Every §5 prediction on the grid (Bayes, d → ∞, finite n, reduced theory, exact Euler),
    /// as a table or JSON.
    Theory(theory::TheoryArgs),
    /// Phase detection: an MSE or U-turn profile, its fastest-change window and the
    /// phase-aware schedule built from it (SPEC §8).
    Detect(detect::DetectArgs),
    /// Real data: the U-turn and phase-aware training on the 8×8 handwritten digits.
    Digits(digits::DigitsArgs),
    /// A target declared in a file (k modes, hierarchical, variance classes; SPEC §9): the
    /// class weights exact Euler with the Bayes denoiser generates over a d-ladder.
    Target(target::TargetArgs),
}

/// The process exit code of an error: 2 for bad input (a flag, a file, a shard), 1 for a run
/// that could not complete (training diverged, nothing to detect, a figure not drawn).
pub fn exit_code(e: &Error) -> i32 {
    use phaseflow::phase::DetectError;
    match e {
        Error::NotWritten(inner) => exit_code(inner),
        Error::File(phaseflow::io::IoError::Json(_)) => 1,
        Error::Config(_)
        | Error::File(_)
        | Error::Shard(_)
        | Error::Digits(
            phaseflow::digits::DigitsError::Checksum { .. }
            | phaseflow::digits::DigitsError::Malformed { .. }
            | phaseflow::digits::DigitsError::Share { .. }
            | phaseflow::digits::DigitsError::TooFewOnes { .. }
            | phaseflow::digits::DigitsError::Config(_)
            | phaseflow::digits::DigitsError::Checkpoints { .. },
        ) => 2,
        Error::Detect(DetectError::NoChange | DetectError::NotMonotone { .. }) => 1,
        Error::Detect(_) => 2,
        _ => 1,
    }
}

/// A usage error as one line on stderr (exit 2), like every other bad input: clap's message
/// with its tip, without the usage block. Help and version print as clap prints them.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect();
    eprintln!("{}; see --help", phaseflow::report::escape(&line.join(" ")));
    std::process::exit(2);
}

/// The command with the defaults `detect` needs (its help says why).
fn command() -> clap::Command {
    let dp = phaseflow::detect::DetectConfig::default_problem();
    let steps: &'static str = dp.steps.to_string().leak();
    Cli::command().mut_subcommand("detect", |c| {
        c.mut_arg("schedule", |a| {
            a.default_value("linear")
                .help("Time schedule (detect: default linear, where the MSE jump of width ~1.5/√d is)")
        })
        .mut_arg("steps", |a| {
            a.default_value(steps)
                .help("Grid points K ≥ 3 (detect: default 2000, a fine grid to resolve a window of width ~1.5/√d on the linear schedule)")
        })
    })
}

/// Parse the process arguments and run. Returns the exit code for a successful run
/// (0, or 1 when a check failed).
///
/// # Errors
/// [`Error`], mapped to its exit code by [`exit_code`].
pub fn run() -> Result<i32, Error> {
    let matches = command()
        .try_get_matches()
        .unwrap_or_else(|e| usage_error(e));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| usage_error(e));
    let sub: &ArgMatches = matches.subcommand().map_or(&matches, |(_, m)| m);
    let given = args::Given(sub);
    phaseflow::budget::set_max_memory(cli.max_memory);
    phaseflow::budget::set_max_theory_seconds(cli.max_theory_seconds);
    phaseflow::budget::set_max_seconds(cli.max_seconds);
    match cli.command {
        None => reproduce::run(&reproduce::ReproduceArgs::default(), &given),
        Some(Command::Demo(a)) => demo::run(&a),
        Some(Command::Train(a)) => train::run(&a, &given),
        Some(Command::Run(a)) => run::run(&a, &given),
        Some(Command::Merge(a)) => run::merge(&a),
        Some(Command::Sweep(a)) => sweep::run(&a, &given),
        Some(Command::Reproduce(a)) => reproduce::run(&a, &given),
        Some(Command::Power(a)) => power::run(&a, &given),
        Some(Command::Theory(a)) => theory::run(&a, &given),
        Some(Command::Detect(a)) => detect::run(&a, &given),
        Some(Command::Digits(a)) => digits::run(&a),
        Some(Command::Target(a)) => target::run(&a),
    }
}
