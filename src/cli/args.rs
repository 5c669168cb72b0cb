//! The argument groups every subcommand flattens: the problem, the engine, the generated
//! samples, the seed and the output. One set of defaults, read from the library's own
//! [`ProblemSpec::default`], [`EngineConfig`] defaults and [`TrainConfig::default`], so every
//! `--help` shows the same default for the same quantity (`detect` changes two of them, and
//! its help says so).
//!
//! A subcommand starts from a base configuration (the defaults, a preset or an experiment
//! file) and applies exactly the flags given on the command line.

use crate::cli::choice::choice;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, ValueEnum};
use phaseflow::choice::name_of;
use phaseflow::error::Error;
use phaseflow::experiment::TrainConfig;
use phaseflow::flow::{Endpoint, Integrator, Sampler};
use phaseflow::path::PathSpec;
use phaseflow::problem::{ConfigError, MeanKind, Noise, ProblemSpec};
use phaseflow::schedule::{AutoSpec, ScheduleSpec};
use phaseflow::train::EngineConfig;
use phaseflow::train::averaged::Averaged;
use phaseflow::train::sgd::{Precision, Sgd};
use std::path::PathBuf;

/// Which flags were given on the command line (the others keep the base's values).
pub struct Given<'a>(pub &'a ArgMatches);

impl Given<'_> {
    /// True if `--id` was given (clap's id is the field name).
    pub fn has(&self, id: &str) -> bool {
        matches!(
            self.0
                .try_get_raw(id)
                .ok()
                .flatten()
                .map(|_| self.0.value_source(id)),
            Some(Some(ValueSource::CommandLine))
        )
    }
}

fn problem() -> ProblemSpec {
    ProblemSpec::default()
}

fn auto() -> AutoSpec {
    AutoSpec::default()
}

/// Path kind on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PathKind {
    /// α = 1 − τ, β = τ (the paper's path; the authors' code calls it "VP").
    Linear,
    /// Variance preserving: α = √(1 − τ²), β = τ.
    Vp,
    /// Variance preserving, trigonometric: α = cos(πτ/2), β = sin(πτ/2).
    Cosine,
    /// Variance exploding: α = √d(1 − τ), β = τ, x(0) ~ N(0, d·I).
    Ve,
}

impl PathKind {
    fn of(spec: &PathSpec) -> Self {
        match spec {
            PathSpec::Vp(_) => PathKind::Vp,
            PathSpec::Cosine(_) => PathKind::Cosine,
            PathSpec::Ve(_) => PathKind::Ve,
            _ => PathKind::Linear,
        }
    }
    fn spec(self) -> PathSpec {
        match self {
            PathKind::Linear => PathSpec::linear(),
            PathKind::Vp => PathSpec::vp(),
            PathKind::Cosine => PathSpec::cosine(),
            PathKind::Ve => PathSpec::ve(),
        }
    }
}

/// Schedule (warp) kind on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleKind {
    /// τ(t) = t on [0, 1].
    Linear,
    /// Dilation of the start of τ by ε = κ/√d, t ∈ [0, 2] (phase-aware on the linear, vp
    /// and cosine paths; arXiv 2501.00988's vp schedule with κ = 5).
    Dilated,
    /// Dilation of the end of τ: τ(1) = 1 − κ/√d, t ∈ [0, 2] (phase-aware on the ve path:
    /// the noise falls from √d to κ over [0, 1]; the authors use κ = 3).
    DilatedEnd,
    /// Phase-aware: a pilot Bayes U-turn at this (p, σ², d) on a fine linear grid, its
    /// decision window detected and given --share of the grid (SPEC §8); resolves to
    /// piecewise knots, recorded in the output.
    Auto,
    /// A grid uniform in log snr on [0, 1]: τ = 0, then --steps − 1 knots from snr = 0.01/d to
    /// 100, then τ = 1 (SPEC §10; the grid sits on the knots).
    LogSnr,
}

impl ScheduleKind {
    fn of(spec: &ScheduleSpec) -> Self {
        match spec {
            ScheduleSpec::Linear(_) => ScheduleKind::Linear,
            ScheduleSpec::Auto(_) => ScheduleKind::Auto,
            ScheduleSpec::DilatedEnd(_) => ScheduleKind::DilatedEnd,
            ScheduleSpec::LogSnr(_) => ScheduleKind::LogSnr,
            _ => ScheduleKind::Dilated,
        }
    }
}

/// The flow: path, schedule and grid (SPEC §2), shared by every command that integrates one
/// (`train`, `theory`, `detect`, … through [`ProblemArgs`], and `target`).
#[derive(Debug, Clone, Args)]
pub struct FlowArgs {
    /// Interpolant path α(τ), β(τ) (SPEC §2).
    #[arg(long, value_enum, default_value_t = PathKind::of(&problem().path))]
    pub path: PathKind,
    /// Time schedule: the warp τ(t) composed with the path.
    #[arg(long, value_enum, default_value_t = ScheduleKind::of(&problem().schedule))]
    pub schedule: ScheduleKind,
    /// Dilation constant κ (dilated and dilated-end schedules; needs 0 < κ < √d).
    #[arg(long, default_value_t = problem().schedule.kappa().unwrap_or(2.0), allow_negative_numbers = true)]
    pub kappa: f64,
    /// Grid points K ≥ 1.
    #[arg(long, default_value_t = problem().steps, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub steps: usize,
}

impl FlowArgs {
    /// The path these flags name.
    pub fn path_spec(&self) -> PathSpec {
        self.path.spec()
    }

    /// The schedule these flags name; `auto` takes its share and margin from the caller.
    pub fn schedule_spec(&self, share: f64, margin: f64) -> ScheduleSpec {
        match self.schedule {
            ScheduleKind::Linear => ScheduleSpec::linear(),
            ScheduleKind::Dilated => ScheduleSpec::dilated(self.kappa),
            ScheduleKind::DilatedEnd => ScheduleSpec::dilated_end(self.kappa),
            ScheduleKind::LogSnr => ScheduleSpec::log_snr(self.steps),
            ScheduleKind::Auto => ScheduleSpec::Auto(AutoSpec {
                share,
                margin,
                ..AutoSpec::default()
            }),
        }
    }
}

/// The problem: mixture, schedule, grid and objective (SPEC §1–§4).
#[derive(Debug, Clone, Args)]
pub struct ProblemArgs {
    #[command(flatten)]
    pub flow: FlowArgs,
    /// Share of the grid points the phase-aware schedule gives the detected window, in (0, 1)
    /// (`--schedule auto`, and the schedule `detect` builds).
    #[arg(long, alias = "auto-share", default_value_t = auto().share, allow_negative_numbers = true)]
    pub share: f64,
    /// Padding of the detected 10 %–90 % window, in widths, for the phase-aware schedule.
    #[arg(long, alias = "auto-margin", default_value_t = auto().margin, allow_negative_numbers = true)]
    pub margin: f64,
    /// Weight p of the + mode, in (0, 1).
    #[arg(long, default_value_t = problem().p, allow_negative_numbers = true)]
    pub p: f64,
    /// Within-mode variance σ² > 0.
    #[arg(long, default_value_t = problem().sigma2, allow_negative_numbers = true)]
    pub sigma2: f64,
    /// Dimension d ≥ 1.
    #[arg(long, default_value_t = problem().d, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub d: usize,
    /// Training samples n ≥ 1 (the objective; also the finite-n theory's n).
    #[arg(long, default_value_t = problem().n, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub n: usize,
    /// Ridge λ_u ≥ 0 on u (the reference code's weight decay maps onto it as the sgd
    /// engine's documentation explains).
    #[arg(long, default_value_t = problem().lambda_u, allow_negative_numbers = true)]
    pub lambda_u: f64,
    /// Ridge λ_w ≥ 0 on w.
    #[arg(long, default_value_t = problem().lambda_w, allow_negative_numbers = true)]
    pub lambda_w: f64,
    /// Mean direction μ of the mixture.
    #[arg(long, value_parser = choice::<MeanKind>(), default_value = name_of(problem().mean))]
    pub mean: MeanKind,
}

impl ProblemArgs {
    /// The schedule these flags describe.
    fn schedule_spec(&self) -> ScheduleSpec {
        self.flow.schedule_spec(self.share, self.margin)
    }

    /// Apply the given flags to `p`. The schedule flags (`--schedule`, `--kappa`, `--share`,
    /// `--margin`) together name the schedule: any of them replaces it.
    pub fn apply(&self, p: &mut ProblemSpec, g: &Given<'_>) {
        if ["schedule", "kappa", "share", "margin"]
            .iter()
            .any(|id| g.has(id))
        {
            p.schedule = self.schedule_spec();
        }
        if g.has("path") {
            p.path = self.flow.path_spec();
        }
        if g.has("steps") {
            p.steps = self.flow.steps;
        }
        macro_rules! set {
            ($($f:ident),*) => { $(if g.has(stringify!($f)) { p.$f = self.$f; })* };
        }
        set!(p, sigma2, d, n, lambda_u, lambda_w, mean);
    }
}

fn sgd() -> Sgd {
    Sgd::default()
}

fn averaged() -> Averaged {
    Averaged::default()
}

/// The engine and its knobs (SPEC §4).
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Training engine: sgd (Adam, fresh noise each epoch; SPEC §4 engine 1) or averaged
    /// (L-BFGS on the exact noise-averaged objective; engine 2).
    #[arg(long, default_value_t = EngineConfig::default().kind().to_string(),
          value_parser = clap::builder::PossibleValuesParser::new(EngineConfig::KINDS))]
    pub engine: String,
    /// Noise convention (SPEC §5.3): fresh = x0 averaged; fixed = one x0 per data point
    /// drawn once (averaged engine only).
    #[arg(long, value_parser = choice::<Noise>(), default_value = name_of(averaged().noise))]
    pub noise: Noise,
    /// Epochs of the sgd engine (fresh noise each).
    #[arg(long, default_value_t = sgd().epochs, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub epochs: usize,
    /// Adam learning rate of the sgd engine.
    #[arg(long, default_value_t = sgd().lr, allow_negative_numbers = true)]
    pub lr: f64,
    /// Floating-point type of the sgd engine's per-row work (noise, x_t, dot products,
    /// gradient rows); parameters and Adam stay f64. f32 is ≈ 2× faster.
    #[arg(long, value_parser = choice::<Precision>(), default_value = name_of(sgd().precision))]
    pub precision: Precision,
    /// Gradient-norm tolerance of the averaged engine on R_k/n in (w/√d, b).
    #[arg(long, default_value_t = averaged().tol_grad, allow_negative_numbers = true)]
    pub tol_grad: f64,
    /// L-BFGS iterations per grid time of the averaged engine.
    #[arg(long, default_value_t = averaged().max_iters, allow_negative_numbers = true, value_parser = crate::cli::args::whole_u64)]
    pub max_iters: u64,
    /// Newton certification of the averaged engine: a step counts as converged only when
    /// the Newton step on the reduced variables (c, ω, b, …) is at most this long in max-norm
    /// (the flat, saturating directions where a small gradient hides a long way to go).
    #[arg(long, default_value_t = averaged().tol_step, allow_negative_numbers = true)]
    pub tol_step: f64,
    /// Newton steps the averaged engine may take after L-BFGS per grid time (0: none, no
    /// certification).
    #[arg(long, default_value_t = averaged().max_newton, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub max_newton: usize,
}

impl EngineArgs {
    /// Apply the given flags to `e`; a knob of another engine than the one configured is
    /// an error (it would be ignored).
    ///
    /// # Errors
    /// [`ConfigError::Unsupported`] naming the knob.
    pub fn apply(&self, e: &mut EngineConfig, g: &Given<'_>) -> Result<(), ConfigError> {
        if g.has("engine") {
            *e = EngineConfig::default_of(&self.engine).expect("a registered engine");
        }
        // (clap id, flag): a knob given for another engine than the configured one.
        let foreign = |(id, field): (&str, &'static str), rule: &'static str| {
            if g.has(id) {
                Err(ConfigError::Unsupported { field, rule })
            } else {
                Ok(())
            }
        };
        match e {
            EngineConfig::Sgd(s) => {
                if g.has("noise") && self.noise == Noise::Fixed {
                    return Err(ConfigError::Unsupported {
                        field: "noise",
                        rule: "`fixed` is implemented by the averaged engine only; add --engine averaged",
                    });
                }
                let rule = "a knob of the averaged engine; add --engine averaged";
                foreign(("tol_grad", "tol-grad"), rule)?;
                foreign(("max_iters", "max-iters"), rule)?;
                foreign(("tol_step", "tol-step"), rule)?;
                foreign(("max_newton", "max-newton"), rule)?;
                if g.has("epochs") {
                    s.epochs = self.epochs;
                }
                if g.has("lr") {
                    s.lr = self.lr;
                }
                if g.has("precision") {
                    s.precision = self.precision;
                }
            }
            EngineConfig::Averaged(a) => {
                let rule = "a knob of the sgd engine; add --engine sgd";
                foreign(("epochs", "epochs"), rule)?;
                foreign(("lr", "lr"), rule)?;
                foreign(("precision", "precision"), rule)?;
                if g.has("noise") {
                    a.noise = self.noise;
                }
                if g.has("tol_grad") {
                    a.tol_grad = self.tol_grad;
                }
                if g.has("max_iters") {
                    a.max_iters = self.max_iters;
                }
                if g.has("tol_step") {
                    a.tol_step = self.tol_step;
                }
                if g.has("max_newton") {
                    a.max_newton = self.max_newton;
                }
            }
        }
        Ok(())
    }
}

fn train() -> TrainConfig {
    TrainConfig::default()
}

/// The generated samples.
#[derive(Debug, Clone, Args)]
pub struct SampleArgs {
    /// Number of generated samples.
    #[arg(long = "gen", default_value_t = train().n_gen, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
    pub n_gen: usize,
    /// ODE integrator for generation.
    #[arg(long, value_parser = choice::<Integrator>(), default_value = name_of(train().integrator))]
    pub integrator: Integrator,
    /// Where generation stops: end = T_end (all K steps, α = 0); last-grid-point = t_{K−1}
    /// after K − 1 steps, the authors' sampler (residual noise α(t_{K−1})).
    #[arg(long, value_parser = choice::<Endpoint>(), default_value = name_of(train().endpoint))]
    pub endpoint: Endpoint,
    /// Sampler of the generated samples (same law); default: span for the averaged engine,
    /// full for sgd.
    #[arg(long, value_parser = choice::<Sampler>())]
    pub sampler: Option<Sampler>,
}

impl SampleArgs {
    /// Apply the given flags to `c`.
    pub fn apply(&self, c: &mut TrainConfig, g: &Given<'_>) {
        if g.has("n_gen") {
            c.n_gen = self.n_gen;
        }
        if g.has("integrator") {
            c.integrator = self.integrator;
        }
        if g.has("endpoint") {
            c.endpoint = self.endpoint;
        }
        if self.sampler.is_some() {
            c.sampler = self.sampler;
        }
    }
}

/// The master seed.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Master seed (every random stream derives from it, SPEC §7).
    #[arg(long, default_value_t = train().seed, allow_negative_numbers = true, value_parser = crate::cli::args::whole_u64)]
    pub seed: u64,
}

/// Where the results go.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Folder for the report files (JSON, Markdown, HTML, figures). Default: none, results
    /// on stdout only; `reproduce` alone defaults to phaseflow-out/reproduce-quick (or -full).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

impl OutputArgs {
    /// Check the output folder before any work ([`phaseflow::io::prepare_dir`]) and lock it
    /// for this process ([`phaseflow::io::DirLock`]); `dir` overrides `--out`. Keep the
    /// guard until the reports are written.
    ///
    /// # Errors
    /// A folder that cannot be created or written, or one another phaseflow is writing.
    pub fn lock(
        &self,
        dir: Option<&std::path::Path>,
    ) -> Result<Option<phaseflow::io::DirLock>, Error> {
        match dir.or(self.out.as_deref()) {
            Some(d) => Ok(Some(phaseflow::io::DirLock::acquire(d)?)),
            None => Ok(None),
        }
    }

    /// The library's output settings (`dir` overrides `--out`).
    pub fn output(&self, dir: Option<PathBuf>) -> phaseflow::report::Output {
        phaseflow::report::Output {
            dir: dir.or_else(|| self.out.clone()),
            json: self.json,
        }
    }
}

/// How a problem is trained: engine, samples, seed (every group but the problem's).
#[derive(Debug, Clone, Args)]
pub struct RunGroups {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub sample: SampleArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
}

impl RunGroups {
    /// Apply the given flags to a base training configuration.
    ///
    /// # Errors
    /// A knob of another engine than the configured one.
    pub fn apply(&self, c: &mut TrainConfig, g: &Given<'_>) -> Result<(), ConfigError> {
        self.engine.apply(&mut c.engine, g)?;
        self.sample.apply(c, g);
        if g.has("seed") {
            c.seed = self.seed.seed;
        }
        Ok(())
    }
}

/// The groups that describe a training configuration: the problem and how it is trained.
#[derive(Debug, Clone, Args)]
pub struct TrainGroups {
    #[command(flatten)]
    pub problem: ProblemArgs,
    #[command(flatten)]
    pub run: RunGroups,
    /// A deliberate error, named in the report. Experiment side (every prediction keeps the
    /// configured values): p+SHIFT (data), sigma2*SCALE (data), kappa*SCALE (training
    /// schedule), lambda*SCALE (ridges) or euler-next (the sampler uses f_{k+1}). Theory side
    /// (training nominal, a wrong theory): theory:p+SHIFT, theory:sigma2*SCALE,
    /// theory:kappa*SCALE. Default: none.
    #[arg(long, value_name = "PERTURBATION")]
    pub perturb: Option<phaseflow::perturbation::Perturbation>,
}

impl TrainGroups {
    /// Apply the given flags to a base training configuration.
    ///
    /// # Errors
    /// A knob of another engine than the configured one.
    pub fn apply(&self, c: &mut TrainConfig, g: &Given<'_>) -> Result<(), ConfigError> {
        self.problem.apply(&mut c.problem, g);
        if self.perturb.is_some() {
            c.perturbation = self.perturb;
        }
        self.run.apply(c, g)
    }
}

/// Print the configuration's warnings ([`TrainConfig::warnings`]) on stderr.
pub fn warn(c: &TrainConfig) {
    for w in c.warnings() {
        eprintln!("warning: {}", phaseflow::report::escape(&w));
    }
}

/// A count or size on the command line: a whole number, never negative. Negative numbers
/// reach this parser (the flags allow them) so the message names the flag and the rule
/// instead of clap's "unexpected argument '-1'".
fn whole<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err(format!(
            "must be a whole number ≥ 0 (a count or a size cannot be negative), got {t}"
        ));
    }
    t.parse().map_err(|_| {
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            format!("{t} is too large for a size (at most {})", u64::MAX)
        } else {
            format!("must be a whole number, got '{t}'")
        }
    })
}

/// [`whole`] for `usize` flags.
pub fn whole_usize(s: &str) -> Result<usize, String> {
    whole(s)
}

/// [`whole`] for `u64` flags.
pub fn whole_u64(s: &str) -> Result<u64, String> {
    whole(s)
}
