//! One training run end to end: validated configuration → data → engine → generated
//! samples → a serialisable [`TrainOutput`]. This is what `phaseflow train` prints
//! ([`run`]), what the harness repeats over replicas, and the configuration whose theory
//! `phaseflow theory` prints ([`theory`]): the same [`TrainConfig`], so the theory describes
//! the objective the training minimises.
//!
//! ```no_run
//! use phaseflow::experiment::TrainConfig;
//! use phaseflow::problem::ProblemSpec;
//! use phaseflow::train::EngineConfig;
//! let cfg = TrainConfig {
//!     problem: ProblemSpec { d: 200, n: 64, steps: 10, ..ProblemSpec::default() },
//!     engine: EngineConfig::default_of("averaged").unwrap(),
//!     ..TrainConfig::default()
//! };
//! let out = phaseflow::experiment::run(&cfg).unwrap();
//! println!("p̂ = {}", out.generated.p_hat);
//! ```

use crate::denoiser::Overlaps;
use crate::error::Error;
use crate::flow::{GeneratedStats, Generation, Integrator, Sampler, generate};
use crate::mixture::Mixture;
use crate::perturbation::Perturbation;
use crate::problem::{ConfigError, ProblemSpec, at_least_one};
use crate::rng::{Purpose, stream};
use crate::schedule::Schedule;
use crate::theory::bayes::{p_from_bias, sigma2_from_c};
use crate::theory::{TheoryConfig, TheoryReport};
use crate::train::{Engine, EngineConfig, Problem, StepRecord, TrainError, Trained};
use serde::{Deserialize, Serialize};

/// Version of the `train --json` schema; bumped on any incompatible change (2: the engine's
/// knobs moved into `config.engine`, the problem into `config.problem`).
pub const TRAIN_SCHEMA_VERSION: u32 = 2;

/// Everything one training run needs: the problem, the engine, the master seed and the
/// generated samples. Every field has a default (the CPU-friendly reference settings), so
/// a configuration file states only what differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The problem (mixture, schedule, grid, objective).
    pub problem: ProblemSpec,
    /// The engine and its knobs. Default sgd.
    pub engine: EngineConfig,
    /// Master seed (every random stream derives from it, SPEC §7). Default 0.
    pub seed: u64,
    /// Generated samples. Default 4096.
    pub n_gen: usize,
    /// Integrator for generation. Default Euler.
    pub integrator: Integrator,
    /// Sampler of the generated samples; `null`: the engine's default (the span sampler for
    /// the averaged engine, the full one for sgd). Resolved in the output.
    pub sampler: Option<Sampler>,
    /// A deliberate deviation of the data, training or sampler from this configuration
    /// ([`crate::perturbation`]); the theory keeps the nominal values. Absent (the default):
    /// none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<Perturbation>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            problem: ProblemSpec::default(),
            engine: EngineConfig::default(),
            seed: 0,
            n_gen: 4096,
            integrator: Integrator::Euler,
            sampler: None,
            perturbation: None,
        }
    }
}

/// A configuration that passed validation, with its schedule and mixture built.
#[derive(Debug)]
pub struct Validated {
    /// The configuration, resolved: an `auto` schedule is its knots, the sampler is named.
    pub config: TrainConfig,
    /// The schedule resolved for d (the sampler's and every estimate's).
    pub schedule: Box<dyn Schedule>,
    /// The data distribution the configuration names (its μ defines the overlaps).
    pub mixture: Mixture,
    /// What the engine actually trains on: the problem with the perturbation applied (the
    /// configuration's own problem without one).
    train_problem: ProblemSpec,
    /// The schedule the engine trains on (differs from `schedule` under a κ perturbation).
    train_schedule: Box<dyn Schedule>,
    /// The distribution the training data are drawn from (differs from `mixture` under a
    /// data perturbation).
    data_mixture: Mixture,
}

/// One grid time of the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutput {
    /// Grid time t_k.
    pub t: f64,
    /// τ(t_k).
    pub tau: f64,
    /// Overlaps in canonical sign.
    #[serde(flatten)]
    pub overlaps: Overlaps,
    /// Final R_k.
    pub loss: f64,
    /// Convergence (null for the fixed-budget sgd engine).
    pub converged: Option<bool>,
    /// p̂_w = (1 + tanh b)/2, the mode weight this step carries (meaningful in phase 1;
    /// SPEC §5.7).
    pub p_hat_w: f64,
    /// σ̂²_w = cα²/(β(1 − cβ)), the variance this step carries (meaningful in phase 2;
    /// null where β = 0 or cβ ≥ 1; SPEC §5.7).
    pub sigma2_w: Option<f64>,
}

/// What `phaseflow train --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOutput {
    /// [`TRAIN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The configuration.
    pub config: TrainConfig,
    /// The replica index.
    pub replica: u64,
    /// Fraction of + signs in the training set (the data's own p).
    pub train_plus_fraction: f64,
    /// One entry per grid time.
    pub steps: Vec<StepOutput>,
    /// Statistics of generated samples.
    pub generated: GeneratedStats,
}

impl TrainConfig {
    /// Check every field (cheap checks first), resolve an `auto` schedule with its pilot
    /// (once) and build the schedule and mixture.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first bad field, or the pilot's [`Error::Detect`].
    pub fn validate(&self) -> Result<Validated, Error> {
        self.problem.check()?;
        self.engine.check()?;
        at_least_one("gen", self.n_gen)?;
        let problem = crate::phase::resolve(&self.problem)?;
        if let Some(pert) = &self.perturbation {
            pert.check(&problem)?;
            if *pert == Perturbation::EulerNext && self.integrator != Integrator::Euler {
                return Err(ConfigError::Unsupported {
                    field: "perturb",
                    rule: "euler-next perturbs the Euler integrator only",
                }
                .into());
            }
        }
        let schedule = problem.schedule()?;
        let mixture = problem.mixture(self.seed)?;
        let train_problem = self
            .perturbation
            .map_or_else(|| problem.clone(), |p| p.train_problem(&problem));
        let train_schedule = train_problem.schedule()?;
        let data_mixture = train_problem.mixture(self.seed)?;
        let config = TrainConfig {
            problem,
            sampler: Some(self.sampler.unwrap_or(self.engine.default_sampler())),
            ..self.clone()
        };
        Ok(Validated {
            config,
            schedule,
            mixture,
            train_problem,
            train_schedule,
            data_mixture,
        })
    }

    /// The theory document of this configuration (`phaseflow theory`): its resolved
    /// schedule, mixture and objective, with the finite-n block (SPEC §5.3) if `finite_n`.
    ///
    /// # Errors
    /// As [`TrainConfig::validate`].
    pub fn theory_config(&self, finite_n: bool) -> Result<TheoryConfig, Error> {
        let v = self.validate()?;
        let p = &v.config.problem;
        Ok(TheoryConfig {
            schedule: p.schedule.clone(),
            p: p.p,
            sigma2: p.sigma2,
            d: p.d,
            steps: p.steps,
            n: finite_n.then_some(p.n),
            lambda_u: p.lambda_u,
            lambda_w: p.lambda_w,
            noise: self.engine.noise(),
        })
    }
}

/// `phaseflow train`: validate, train replica 0, generate and summarise.
///
/// # Errors
/// Bad input ([`Error::Config`], [`Error::Detect`]) before any work, or a diverged training
/// ([`Error::Train`]).
pub fn run(config: &TrainConfig) -> Result<TrainOutput, Error> {
    Ok(config.validate()?.run(0)?)
}

/// `phaseflow theory`: every SPEC §5 prediction for `config` (with the finite-n block if
/// `finite_n`).
///
/// # Errors
/// Bad input, naming the field.
pub fn theory(config: &TrainConfig, finite_n: bool) -> Result<TheoryReport, Error> {
    Ok(config.theory_config(finite_n)?.compute()?)
}

impl Validated {
    /// The engine this configuration names.
    pub fn engine(&self) -> &dyn Engine {
        self.config.engine.engine()
    }

    /// Train replica `replica` (data from stream (seed, replica, Data, 0)); returns the
    /// model and the training set's + fraction.
    ///
    /// # Errors
    /// [`TrainError`] if training diverges.
    pub fn train(&self, replica: u64) -> Result<(Trained, f64), TrainError> {
        let c = &self.config;
        let pr = &self.train_problem;
        let data = self
            .data_mixture
            .sample(pr.n, &mut stream(c.seed, replica, Purpose::Data, 0));
        // The grid is the configuration's (a κ perturbation moves τ, not the times).
        let grid = self.schedule.grid(pr.steps);
        let problem = Problem {
            schedule: self.train_schedule.as_ref(),
            grid: &grid,
            data: &data,
            lambda_u: pr.lambda_u,
            lambda_w: pr.lambda_w,
            seed: c.seed,
            replica,
        };
        Ok((self.engine().train(&problem)?, data.plus_fraction()))
    }

    /// Train replica `replica`, generate samples and summarise.
    ///
    /// # Errors
    /// [`TrainError`] if training diverges.
    pub fn run(&self, replica: u64) -> Result<TrainOutput, TrainError> {
        let (trained, plus) = self.train(replica)?;
        Ok(self.summarise(&trained, plus, replica))
    }

    /// Overlaps and generated statistics of a trained model.
    pub fn summarise(
        &self,
        trained: &Trained,
        train_plus_fraction: f64,
        replica: u64,
    ) -> TrainOutput {
        let c = &self.config;
        let mu = self.mixture.mu();
        let den = &trained.denoiser;
        let s = self.schedule.as_ref();
        let steps = den
            .grid
            .iter()
            .zip(&den.steps)
            .zip(&trained.records)
            .map(|((&t, p), rec): ((&f64, _), &StepRecord)| {
                let overlaps = p.overlaps(mu);
                StepOutput {
                    t,
                    tau: s.tau(t),
                    overlaps,
                    loss: rec.loss,
                    converged: rec.converged(),
                    p_hat_w: p_from_bias(overlaps.b),
                    sigma2_w: sigma2_from_c(overlaps.c, s.alpha(t), s.beta(t)),
                }
            })
            .collect();
        let sampler = c.sampler.unwrap_or(c.engine.default_sampler());
        // The sampler off-by-one: step k integrates with f_{k+1} (f_{K−1} at the last step).
        let shifted;
        let den = if c.perturbation == Some(Perturbation::EulerNext) {
            shifted = den.shifted_by_one();
            &shifted
        } else {
            den
        };
        let generated = generate(
            sampler,
            s,
            den,
            c.integrator,
            mu,
            Generation {
                n_gen: c.n_gen,
                seed: c.seed,
                replica,
            },
        );
        TrainOutput {
            schema_version: TRAIN_SCHEMA_VERSION,
            config: c.clone(),
            replica,
            train_plus_fraction,
            steps,
            generated,
        }
    }
}
