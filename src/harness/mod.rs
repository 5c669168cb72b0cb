//! The Monte-Carlo harness: an [`Experiment`] (a training configuration, a number of seeded
//! replicas and the check families to run) is trained replica by replica, aggregated over
//! replicas, and compared with theory under declared tolerances (SPEC §6).
//!
//! Data flows one way: [`Experiment`] → replicas ([`run_replicas`], each a
//! [`TrainOutput`]) → [`Aggregate`] → [`check::CheckResult`]s ([`families`]) →
//! [`RunReport`] → reporters ([`crate::report`]).
//!
//! Replica r trains on data from stream (seed, r, Data, 0) and uses its own noise, init and
//! generation streams (SPEC §7). Replicas run in parallel with rayon and are collected in
//! replica order, and every reduction sums in that order: the report is bit-identical for any
//! thread count and for any sharding ([`shard`]).

pub mod check;
pub mod declared;
pub mod families;
pub mod figures;
pub mod fss;
pub mod power;
pub mod shard;
pub mod sweep;

use crate::error::Error;
use crate::experiment::{TrainConfig, TrainOutput, Validated};
use crate::io::IoError;
use crate::problem::{ConfigError, Noise, ProblemSpec, in_range};
use crate::schedule::{Phases, ScheduleSpec};
use crate::stats::Estimate;
use crate::train::EngineConfig;
use check::CheckResult;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::Path;

/// Version of the run report schema; bumped on any incompatible change (2: `config.train`
/// is the nested [`TrainConfig`] of schema 2; 3: of schema 3 (interpolant `path`, sampler
/// `endpoint`), checks carry their degrees of freedom, role, level, δ kind and δ/SE, the
/// summary counts primary tests, the pilot is recorded; 4: no pilot (δ kinds are SPEC §6's
/// four: `exact`, `fitted`, `numerical`, `finite_size`, `definition`), the summary names the
/// unconverged (replica, step) pairs, which fail the run).
pub const REPORT_SCHEMA_VERSION: u32 = 4;

/// A check family (SPEC §6); each has its own negative control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Generated p̂ against exact Euler integration of the Bayes denoiser (§5.4).
    PHat,
    /// Generated within-mode orthogonal variance against exact Euler (§5.4).
    VarPerp,
    /// Phase-1 overlaps ω, b, m against the finite-n theory (§5.3; schedules with phases).
    Phase1Overlaps,
    /// Phase-2 overlaps c, m against the finite-n theory (§5.3; schedules with phases).
    Phase2Overlaps,
    /// The estimates the weights carry, p̂_w (phase 1) and σ̂²_w (phase 2), against the
    /// finite-n theory (§5.7; schedules with phases).
    WeightEstimates,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 5] = [
        Family::PHat,
        Family::VarPerp,
        Family::Phase1Overlaps,
        Family::Phase2Overlaps,
        Family::WeightEstimates,
    ];

    /// The family's name as written in an experiment file (`p_hat`, `phase1_overlaps`, …).
    pub fn name(self) -> &'static str {
        match self {
            Family::PHat => "p_hat",
            Family::VarPerp => "var_perp",
            Family::Phase1Overlaps => "phase1_overlaps",
            Family::Phase2Overlaps => "phase2_overlaps",
            Family::WeightEstimates => "weight_estimates",
        }
    }

    /// Whether the family gives checks for a schedule with these phases (`None`: no
    /// two-phase split, [`crate::schedule::Schedule::phases`]) at dimension `d`: the one
    /// predicate `run`'s validation and the check builder share. `Err` says why not.
    ///
    /// ```
    /// use phaseflow::harness::Family;
    /// assert!(Family::PHat.applies(None, 1000).is_ok());
    /// assert!(Family::Phase1Overlaps.applies(None, 1000).is_err());
    /// assert!(Family::VarPerp.applies(None, 1).is_err());
    /// ```
    pub fn applies(self, phases: Option<&Phases>, d: usize) -> Result<(), &'static str> {
        match self {
            Family::PHat => Ok(()),
            Family::VarPerp if d > 1 => Ok(()),
            Family::VarPerp => Err("needs d > 1 (there is no orthogonal space at d = 1)"),
            Family::Phase1Overlaps | Family::Phase2Overlaps | Family::WeightEstimates
                if phases.is_some() =>
            {
                Ok(())
            }
            Family::Phase1Overlaps | Family::Phase2Overlaps | Family::WeightEstimates => Err(
                "needs a two-phase schedule (dilated on the linear, vp and cosine paths, dilated_end on ve)",
            ),
        }
    }
}

fn default_alpha() -> f64 {
    0.01
}

/// An experiment as data: readable from JSON or TOML, or built from a preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// A name for reports.
    pub name: String,
    /// The training configuration of every replica (its `seed` is the master seed). Every
    /// field has a default: state only what differs.
    #[serde(default)]
    pub train: TrainConfig,
    /// Number of replicas R ≥ 2 (the standard error needs a spread).
    pub replicas: usize,
    /// Family-wise significance level α of the Holm procedure. Default 0.01: lower means
    /// fewer false alarms and less power.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Check families to run. Absent: every family that applies to the schedule and d
    /// ([`Family::applies`]); a listed family that does not apply is refused before any
    /// training ([`Experiment::check_families`]). `Some(vec![])` is a claim's internal
    /// experiment, evaluated for its aggregate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub families: Option<Vec<Family>>,
    /// Checks declared in the file ([`declared`]): evaluated with the families' in one Holm
    /// correction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<declared::CheckSpec>,
}

crate::choice::choice_enum! {
    /// Built-in experiments.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Preset {
        "quick", "CPU-quick: d = 1000, n = 256, K = 20, R = 48, averaged engine (about 0.3 s of CPU per replica). R is set by the power the preset must have: a data p off by 0.02 is visible only in the R·n training signs, and 90 % detection at α = 0.01 needs R·n of about 5 950 even for a test on the signs themselves; R = 48 (12 288 signs) detects it in 20 of 20 seeds (docs/verdicts.md)." =>
            Quick,
        "paper", "The paper's configuration: p = 0.8, σ² = 1, κ = 2, d = 5000, K = 80, n = 512, R = 32, averaged engine." =>
            Paper,
    }
}

/// The paper's mixture and schedule (p = 0.8, σ² = 1, dilated with κ = 2) on the averaged
/// engine with λ_u = λ_w = 0.01 and 8192 generated samples: the base of the presets and of
/// the claims of `reproduce`.
pub(crate) fn averaged_base() -> TrainConfig {
    TrainConfig {
        problem: ProblemSpec {
            schedule: ScheduleSpec::dilated(2.0),
            p: 0.8,
            sigma2: 1.0,
            lambda_u: 0.01,
            lambda_w: 0.01,
            ..ProblemSpec::default()
        },
        engine: EngineConfig::averaged(Noise::Fresh),
        n_gen: 8192,
        ..TrainConfig::default()
    }
}

impl TrainConfig {
    /// This configuration with the problem's sizes d, n, K replaced.
    pub fn with_sizes(self, d: usize, n: usize, steps: usize) -> Self {
        TrainConfig {
            problem: ProblemSpec {
                d,
                n,
                steps,
                ..self.problem
            },
            ..self
        }
    }
}

impl Preset {
    /// The experiment of this preset.
    pub fn experiment(self) -> Experiment {
        let base = averaged_base();
        match self {
            Preset::Quick => Experiment {
                name: "quick".into(),
                train: base.with_sizes(1000, 256, 20),
                replicas: 48,
                alpha: default_alpha(),
                families: None,
                checks: Vec::new(),
            },
            Preset::Paper => Experiment {
                name: "paper".into(),
                train: base.with_sizes(5000, 512, 80),
                replicas: 32,
                alpha: default_alpha(),
                families: None,
                checks: Vec::new(),
            },
        }
    }
}

impl Experiment {
    /// Read an experiment from a `.json` or `.toml` file.
    ///
    /// # Errors
    /// [`Error::File`] naming the file (unreadable, unknown extension, parse error, unknown
    /// field).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "json" && ext != "toml" {
            return Err(IoError::Parse {
                path: path.to_path_buf(),
                message: "expected a .json or .toml file".into(),
            }
            .into());
        }
        // An experiment file is a few hundred bytes; 16 MiB is generous and keeps
        // `/dev/zero` from filling the memory.
        let text = crate::io::read_to_string_max(path, 16 << 20)?;
        let parsed: Result<Self, String> = match ext {
            "json" => crate::io::parse_json(&text),
            "toml" => crate::io::parse_toml(&text),
            _ => Err("expected a .json or .toml file".into()),
        };
        parsed.map_err(|e| {
            IoError::Parse {
                path: path.to_path_buf(),
                message: e.replace('\n', " "),
            }
            .into()
        })
    }

    /// Validate the training configuration and the harness fields, families included
    /// ([`Experiment::check_families`]).
    ///
    /// # Errors
    /// [`Error::Config`] naming the field.
    pub fn validate(&self) -> Result<Validated, Error> {
        self.check_families()?;
        let v = self.validate_training()?;
        declared::check_specs(self)?;
        Ok(v)
    }

    /// Validate everything but the check families: what a claim's experiment needs (a claim
    /// builds its own checks from the trained replicas).
    ///
    /// # Errors
    /// [`Error::Config`] naming the field.
    pub fn validate_training(&self) -> Result<Validated, Error> {
        if self.replicas < 2 {
            return Err(ConfigError::TooFew {
                field: "replicas",
                min: 2,
                why: " (a standard error needs a spread)",
                got: self.replicas,
            }
            .into());
        }
        in_range(
            "alpha",
            "in (0, 1)",
            self.alpha,
            self.alpha > 0.0 && self.alpha < 1.0,
        )?;
        self.train.check()?;
        self.cost().check()?;
        self.time().check()?;
        let p = &self.train.problem;
        let finite_n_phase1 = self
            .families()
            .iter()
            .any(|f| matches!(f, Family::Phase1Overlaps | Family::WeightEstimates));
        if self.phases().is_some() && finite_n_phase1 {
            crate::budget::check_theory_time(p.n, p.p, crate::experiment::phase1_times(p.steps))?;
        }
        self.train.validate()
    }

    /// The two-phase split of the experiment's schedule ([`crate::schedule::Schedule::phases`]);
    /// `None` without one, and for an `auto` schedule (it resolves to piecewise knots, which
    /// have none).
    pub fn phases(&self) -> Option<Phases> {
        let p = &self.train.problem;
        if p.schedule.is_unresolved() {
            return None;
        }
        p.schedule().ok().and_then(|s| s.phases())
    }

    /// The families this experiment checks: the listed ones, or every family that applies
    /// ([`Family::applies`]) when none are listed.
    pub fn families(&self) -> Vec<Family> {
        match &self.families {
            Some(list) => list.clone(),
            None => {
                let (ph, d) = (self.phases(), self.train.problem.d);
                Family::ALL
                    .into_iter()
                    .filter(|f| f.applies(ph.as_ref(), d).is_ok())
                    .collect()
            }
        }
    }

    /// A listed family list is non-empty, has no repeat, and every family in it applies to
    /// the schedule and d ([`Family::applies`]): an experiment without checks would pass
    /// with `0/0`, a repeated family would repeat its checks and inflate the Holm correction,
    /// and a family that gives no check must not be dropped silently after training.
    ///
    /// # Errors
    /// [`ConfigError`] naming `families` and the family.
    pub fn check_families(&self) -> Result<(), ConfigError> {
        let Some(list) = &self.families else {
            return Ok(()); // every family that applies; p_hat always does
        };
        if list.is_empty() && self.checks.is_empty() {
            return Err(ConfigError::TooFew {
                field: "families",
                min: 1,
                why: " (an experiment without checks can neither pass nor fail)",
                got: 0,
            });
        }
        for (i, f) in list.iter().enumerate() {
            if list[..i].contains(f) {
                return Err(ConfigError::Invalid {
                    field: "families",
                    rule: format!(
                        "'{}' is listed twice (its checks would count twice in the Holm correction)",
                        f.name()
                    ),
                });
            }
        }
        let p = &self.train.problem;
        let ph = self.phases();
        for f in list {
            if let Err(why) = f.applies(ph.as_ref(), p.d) {
                return Err(ConfigError::Invalid {
                    field: "families",
                    rule: format!(
                        "'{}' gives no check on the {} schedule at d = {}: it {why}; remove it, or leave `families` out to run every family that applies",
                        f.name(),
                        p.schedule.name_on(&p.path),
                        p.d
                    ),
                });
            }
        }
        Ok(())
    }

    /// The memory of a run ([`crate::budget`]): the replicas trained at once and every
    /// replica's output kept for the aggregate.
    pub fn cost(&self) -> crate::budget::Cost {
        let at_once = self.replicas.min(rayon::current_num_threads().max(1));
        let mut c = self.train.cost(at_once);
        let k = self.train.problem.steps as f64;
        c.add(
            "replica outputs kept for the aggregate, R·(K·256 B + 1 KiB)",
            self.replicas as f64 * (k * 256.0 + 1024.0),
            &[("replicas", self.replicas as f64, 16.0), ("steps", k, 40.0)],
        );
        c
    }

    /// The work of a run ([`crate::budget`]): every replica's training and generation.
    pub fn time(&self) -> crate::budget::Cost {
        self.train.time(self.replicas)
    }

    /// What the predictions describe: the resolved experiment, with a theory-side
    /// perturbation ([`crate::perturbation`]) applied to its problem (the training keeps the
    /// nominal one).
    ///
    /// # Errors
    /// As [`Experiment::resolved`].
    pub fn described(&self) -> Result<Experiment, Error> {
        let mut e = self.resolved()?;
        if let Some(q) = e.train.perturbation.filter(|q| q.is_theory()) {
            e.train.problem = q.theory_problem(&e.train.problem);
        }
        Ok(e)
    }

    /// The experiment with an `auto` schedule resolved into its knots (the form theory and
    /// checks need).
    ///
    /// # Errors
    /// The pilot's error ([`Error::Detect`]).
    pub fn resolved(&self) -> Result<Experiment, Error> {
        let mut e = self.clone();
        e.train.problem = crate::phase::resolve(&self.train.problem)?;
        Ok(e)
    }
}

/// A progress bar on stderr, hidden with `quiet` or when stderr is not a terminal.
pub fn progress(len: u64, what: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Train the given replicas in parallel; results in the order of `replicas`.
///
/// # Errors
/// The first training failure, naming step and epoch.
pub fn run_replicas(
    v: &Validated,
    replicas: &[u64],
    pb: &ProgressBar,
) -> Result<Vec<TrainOutput>, Error> {
    let out: Vec<Result<TrainOutput, crate::train::TrainError>> = replicas
        .par_iter()
        .map(|&r| {
            let o = v.run(r);
            pb.inc(1);
            o
        })
        .collect();
    pb.finish_and_clear();
    out.into_iter().map(|r| r.map_err(Error::from)).collect()
}

/// Replica estimates at one grid time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepAggregate {
    /// Grid time.
    pub t: f64,
    /// τ(t).
    pub tau: f64,
    /// c.
    pub c: Estimate,
    /// m.
    pub m: Estimate,
    /// ω.
    pub omega: Estimate,
    /// b.
    pub b: Estimate,
    /// √q.
    pub sqrt_q: Estimate,
    /// √r.
    pub sqrt_r: Estimate,
    /// Steps that did not converge, over replicas (engines with a criterion).
    pub not_converged: usize,
    /// The largest estimated distance to the step's minimiser over replicas (engines that
    /// certify it; `None` otherwise).
    #[serde(default)]
    pub max_distance: Option<f64>,
}

/// Replica estimates of every measured quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Number of replicas.
    pub replicas: usize,
    /// Per grid time.
    pub steps: Vec<StepAggregate>,
    /// Generated p̂.
    pub p_hat: Estimate,
    /// Generated within-mode orthogonal variance (`None` when d = 1).
    pub var_perp: Option<Estimate>,
    /// Training sets' + fraction.
    pub train_plus_fraction: Estimate,
    /// p̂_w averaged over phase-1 steps (0 < t < split), schedules with phases only (SPEC
    /// §5.7).
    pub p_hat_w: Option<Estimate>,
    /// σ̂²_w averaged over mid-phase-2 steps ([`SIGMA2_W_PHASE2`]), schedules with phases only.
    pub sigma2_w: Option<Estimate>,
}

/// The fractions of phase 2 over which σ̂²_w is averaged, τ' ∈ [0.2, 0.8] (t ∈ [1.2, 1.8] on
/// the dilated warps): away from the knee, where the tanh is not yet saturated, and from
/// T_end, where c·β → 1 makes the inversion ill-conditioned.
pub const SIGMA2_W_PHASE2: (f64, f64) = (0.2, 0.8);

/// Whether grid time t enters the p̂_w (phase 1) or σ̂²_w (phase 2) average of a schedule
/// with phases `ph`.
pub(crate) fn in_weight_window(ph: &Phases, t: f64, phase1: bool) -> bool {
    if phase1 {
        ph.in_phase1(t)
    } else {
        t >= ph.phase2_at(SIGMA2_W_PHASE2.0) - 1e-12 && t <= ph.phase2_at(SIGMA2_W_PHASE2.1) + 1e-12
    }
}

/// The per-replica average of a step quantity over a window; `None` if any is undefined.
fn window_mean(
    o: &TrainOutput,
    ph: &Phases,
    phase1: bool,
    f: impl Fn(&crate::experiment::StepOutput) -> Option<f64>,
) -> Option<f64> {
    let v: Option<Vec<f64>> = o
        .steps
        .iter()
        .filter(|s| in_weight_window(ph, s.t, phase1))
        .map(f)
        .collect();
    v.filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
}

impl Aggregate {
    /// Aggregate replica outputs (in replica order) at confidence `level` for intervals.
    pub fn new(outs: &[TrainOutput], level: f64) -> Self {
        let est = |f: &dyn Fn(&TrainOutput) -> f64| {
            Estimate::from_samples(&outs.iter().map(f).collect::<Vec<_>>(), level)
        };
        let k = outs.first().map_or(0, |o| o.steps.len());
        let steps = (0..k)
            .map(|i| {
                let s0 = &outs[0].steps[i];
                StepAggregate {
                    t: s0.t,
                    tau: s0.tau,
                    c: est(&|o| o.steps[i].overlaps.c),
                    m: est(&|o| o.steps[i].overlaps.m),
                    omega: est(&|o| o.steps[i].overlaps.omega),
                    b: est(&|o| o.steps[i].overlaps.b),
                    sqrt_q: est(&|o| o.steps[i].overlaps.sqrt_q),
                    sqrt_r: est(&|o| o.steps[i].overlaps.sqrt_r),
                    not_converged: outs
                        .iter()
                        .filter(|o| o.steps[i].converged == Some(false))
                        .count(),
                    max_distance: outs
                        .iter()
                        .map(|o| o.steps[i].distance)
                        .collect::<Option<Vec<f64>>>()
                        .map(|v| v.into_iter().fold(0.0, f64::max)),
                }
            })
            .collect();
        let var_perp = outs
            .iter()
            .map(|o| o.generated.var_perp)
            .collect::<Option<Vec<f64>>>()
            .map(|v| Estimate::from_samples(&v, level));
        let phases = outs
            .first()
            .and_then(|o| o.config.problem.schedule().ok())
            .and_then(|s| s.phases());
        let weights = |phase1: bool, f: &dyn Fn(&crate::experiment::StepOutput) -> Option<f64>| {
            let ph = phases.as_ref()?;
            outs.iter()
                .map(|o| window_mean(o, ph, phase1, f))
                .collect::<Option<Vec<f64>>>()
                .map(|v| Estimate::from_samples(&v, level))
        };
        Self {
            replicas: outs.len(),
            steps,
            p_hat: est(&|o| o.generated.p_hat),
            var_perp,
            train_plus_fraction: est(&|o| o.train_plus_fraction),
            p_hat_w: weights(true, &|s| Some(s.p_hat_w)),
            sigma2_w: weights(false, &|s| s.sigma2_w),
        }
    }
}

/// Counts for the verdict line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Real checks.
    pub checks: usize,
    /// Real checks that passed.
    pub passed: usize,
    /// Real primary tests (the rest are diagnostics).
    pub primary: usize,
    /// Primary tests that passed.
    pub primary_passed: usize,
    /// Negative controls.
    pub negative_controls: usize,
    /// Negative controls that failed (as they must).
    pub negative_controls_failed: usize,
    /// Every real check passed, every negative control failed, every trained step
    /// converged and every reduced-theory prediction is certified.
    pub ok: bool,
    /// (replica, step) pairs whose training stopped before its convergence criterion held
    /// (at the engine's iteration cap, or short of its certified distance; averaged engine);
    /// 0 for a fixed-budget engine. Any makes the run fail: an unconverged model cannot
    /// support a passing check.
    #[serde(default)]
    pub at_iteration_cap: usize,
    /// Those pairs by name (`replica 3 step t=1.900`), the first [`UNCONVERGED_LISTED`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unconverged: Vec<String>,
    /// Grid times whose reduced-theory prediction is not certified (an n₊ solve stopped at
    /// its iteration cap). Any makes the run fail: an uncertified prediction supports no
    /// verdict, as an unconverged model supports none (docs/verdicts.md, "Uncertified
    /// theory").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub theory_uncertified: Vec<String>,
}

/// How many unconverged (replica, step) pairs a summary names.
pub const UNCONVERGED_LISTED: usize = 20;

/// The (replica, step) pairs of `outs` whose training did not converge, by name.
pub fn unconverged(outs: &[TrainOutput]) -> Vec<String> {
    outs.iter()
        .flat_map(|o| {
            o.steps
                .iter()
                .filter(|s| s.converged == Some(false))
                .map(move |s| format!("replica {} step t={:.3}", o.replica, s.t))
        })
        .collect()
}

impl Summary {
    /// Count a list of results.
    pub fn of(checks: &[CheckResult]) -> Self {
        let real = checks.iter().filter(|c| c.negative_control.is_none());
        let neg = checks.iter().filter(|c| c.negative_control.is_some());
        let (checks_n, passed) = real.fold((0, 0), |(n, p), c| (n + 1, p + usize::from(c.passed)));
        let (neg_n, neg_failed) = neg.fold((0, 0), |(n, f), c| (n + 1, f + usize::from(!c.passed)));
        let prim = checks
            .iter()
            .filter(|c| c.negative_control.is_none() && c.role == check::Role::Primary);
        let (primary, primary_passed) =
            prim.fold((0, 0), |(n, p), c| (n + 1, p + usize::from(c.passed)));
        Self {
            checks: checks_n,
            passed,
            primary,
            primary_passed,
            negative_controls: neg_n,
            negative_controls_failed: neg_failed,
            ok: passed == checks_n && neg_failed == neg_n,
            at_iteration_cap: 0,
            unconverged: Vec::new(),
            theory_uncertified: Vec::new(),
        }
    }

    /// Record the unconverged (replica, step) pairs: any fails the run.
    pub fn with_unconverged(mut self, names: Vec<String>) -> Self {
        self.at_iteration_cap = names.len();
        self.ok &= names.is_empty();
        self.unconverged = names.into_iter().take(UNCONVERGED_LISTED).collect();
        self
    }
    /// Record the uncertified reduced-theory grid times: any fails the run.
    pub fn with_uncertified(mut self, names: Vec<String>) -> Self {
        self.ok &= names.is_empty();
        self.theory_uncertified = names;
        self
    }
    /// Process exit code: 0 when ok, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.ok { 0 } else { 1 }
    }
}

/// The report of a run: what `phaseflow run --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The crate version that produced it.
    pub crate_version: String,
    /// The experiment.
    pub config: Experiment,
    /// Replica estimates.
    pub aggregate: Aggregate,
    /// Every check and negative control.
    pub checks: Vec<CheckResult>,
    /// Counts and the overall verdict.
    pub summary: Summary,
}

/// Aggregate replica outputs and evaluate the experiment's checks against the predictions
/// of [`Experiment::described`] (δ of SPEC §6's kinds only, [`families`]).
///
/// # Errors
/// [`Error::Config`] if the theory cannot be built for this configuration,
/// [`Error::Check`] if a family has no negative control.
pub fn evaluate(exp: &Experiment, outs: &[TrainOutput]) -> Result<RunReport, Error> {
    let level = 1.0 - exp.alpha;
    let aggregate = Aggregate::new(outs, level);
    let described = exp.described()?;
    let theory = families::ExpTheory::new(&described)?;
    let cell = families::Cell {
        exp: &described,
        outs,
        theory: &theory,
    };
    let mut inputs = families::check_inputs(cell)?;
    inputs.extend(declared::inputs(cell)?);
    let checks = check::evaluate(&inputs, exp.alpha)?;
    let summary = Summary::of(&checks)
        .with_unconverged(unconverged(outs))
        .with_uncertified(theory.uncertified_names());
    if summary.checks == 0 && !(exp.families().is_empty() && exp.checks.is_empty()) {
        // check_families rules out every case we know of; a theory without a value for
        // every requested check must not pass with 0/0 either. (An experiment without
        // families is a claim's internal one, evaluated for its aggregate and figures
        // only; `run` refuses it in `validate`.)
        return Err(ConfigError::Invalid {
            field: "families",
            rule: "no check could be evaluated for this configuration (no theory value)".into(),
        }
        .into());
    }
    Ok(RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        config: exp.clone(),
        aggregate,
        checks,
        summary,
    })
}

/// Train all replicas of `exp` and evaluate them.
///
/// # Errors
/// Bad input or a training failure.
pub fn run(exp: &Experiment, quiet: bool) -> Result<RunReport, Error> {
    let v = exp.validate()?;
    let ids: Vec<u64> = (0..exp.replicas as u64).collect();
    let pb = progress(ids.len() as u64, "replicas", quiet);
    let outs = run_replicas(&v, &ids, &pb)?;
    evaluate(exp, &outs)
}

#[cfg(test)]
mod tests {
    use super::Summary;

    /// An uncertified reduced-theory prediction fails the run like an unconverged step
    /// (issue 28), whatever its checks say; none leaves the verdict as it was.
    #[test]
    fn an_uncertified_theory_fails_the_run() {
        let clean = Summary::of(&[]);
        assert!(clean.ok);
        assert!(clean.clone().with_uncertified(Vec::new()).ok);
        let bad = clean.with_uncertified(vec!["theory at d=500: … t=0.988".into()]);
        assert!(!bad.ok);
        assert_eq!(bad.exit_code(), 1);
        assert_eq!(bad.theory_uncertified.len(), 1);
    }
}
