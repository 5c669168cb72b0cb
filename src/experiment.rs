//! One training run end to end: validated configuration → data → engine → generated
//! samples → a serialisable [`TrainOutput`]. This is what `phaseflow train` prints and
//! what the harness repeats over replicas.
//!
//! ```no_run
//! use phaseflow::experiment::TrainConfig;
//! let cfg = TrainConfig { d: 200, n: 64, steps: 10, epochs: 200, ..TrainConfig::default() };
//! let out = cfg.validate().unwrap().run(0).unwrap();
//! println!("p̂ = {}", out.generated.p_hat);
//! ```

use crate::denoiser::Overlaps;
use crate::flow::{Flow, GeneratedStats, Integrator, generate};
use crate::mixture::{Mixture, MixtureError};
use crate::rng::{Purpose, stream};
use crate::schedule::{Schedule, ScheduleError, ScheduleSpec};
use crate::theory::bayes::{p_from_bias, sigma2_from_c};
use crate::train::averaged::{Averaged, Noise, generate::generate_in_span};
use crate::train::sgd::Sgd;
use crate::train::{Engine, Problem, StepRecord, TrainError, Trained};
use serde::{Deserialize, Serialize};

/// Version of the `train --json` schema; bumped on any incompatible change.
pub const TRAIN_SCHEMA_VERSION: u32 = 1;

/// Which training engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// Adam with fresh noise each epoch (SPEC §4, engine 1).
    #[default]
    Sgd,
    /// L-BFGS on the exact noise-averaged objective in the span of the data
    /// (SPEC §4, engine 2); deterministic, per-step convergence reported.
    Averaged,
}

/// The mean direction μ of the mixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum MeanKind {
    /// μ = (1, …, 1).
    #[default]
    Ones,
    /// A uniformly random direction scaled to |μ| = √d, from stream (seed, 0, Direction, 0).
    Random,
}

/// Everything one training run needs. Defaults are the CPU-friendly reference settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Time schedule. Default dilated, κ = 2.
    pub schedule: ScheduleSpec,
    /// Weight of the + mode. Default 0.8.
    pub p: f64,
    /// Within-mode variance. Default 1.
    pub sigma2: f64,
    /// Dimension. Default 1000.
    pub d: usize,
    /// Training samples. Default 128.
    pub n: usize,
    /// Grid points K. Default 40.
    pub steps: usize,
    /// Engine. Default sgd.
    pub engine: EngineKind,
    /// Noise convention (SPEC §5.3). Default fresh. `fixed` needs the averaged engine.
    #[serde(default)]
    pub noise: Noise,
    /// Epochs of the sgd engine. Default 2000.
    pub epochs: usize,
    /// Adam learning rate of the sgd engine. Default 0.01.
    pub lr: f64,
    /// Ridge on u. Default 0.01.
    pub lambda_u: f64,
    /// Ridge on w. Default 0.01.
    pub lambda_w: f64,
    /// Master seed. Default 0.
    pub seed: u64,
    /// Generated samples. Default 4096.
    pub n_gen: usize,
    /// Integrator for generation. Default Euler.
    pub integrator: Integrator,
    /// Mean direction. Default all ones.
    pub mean: MeanKind,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            schedule: ScheduleSpec::Dilated { kappa: 2.0 },
            p: 0.8,
            sigma2: 1.0,
            d: 1000,
            n: 128,
            steps: 40,
            engine: EngineKind::Sgd,
            noise: Noise::Fresh,
            epochs: 2000,
            lr: 0.01,
            lambda_u: 0.01,
            lambda_w: 0.01,
            seed: 0,
            n_gen: 4096,
            integrator: Integrator::Euler,
            mean: MeanKind::Ones,
        }
    }
}

/// Rejected configuration: the message names the field (as its CLI flag) and the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Mixture parameters.
    #[error(transparent)]
    Mixture(#[from] MixtureError),
    /// Schedule parameters.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A size that must be at least 1.
    #[error("{field}: must be at least 1")]
    ZeroSize { field: &'static str },
    /// A combination of flags that no engine implements.
    #[error("{field}: {rule}")]
    Unsupported {
        field: &'static str,
        rule: &'static str,
    },
    /// A number outside its allowed range.
    #[error("{field}: must be {rule}, got {value}")]
    OutOfRange {
        field: &'static str,
        rule: &'static str,
        value: f64,
    },
}

/// A configuration that passed validation, with its schedule and mixture built.
#[derive(Debug)]
pub struct Validated {
    /// The configuration.
    pub config: TrainConfig,
    /// The schedule resolved for d.
    pub schedule: Box<dyn Schedule>,
    /// The data distribution.
    pub mixture: Mixture,
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

fn positive_finite(field: &'static str, v: f64) -> Result<(), ConfigError> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            rule: "positive and finite",
            value: v,
        })
    }
}

fn nonnegative_finite(field: &'static str, v: f64) -> Result<(), ConfigError> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            rule: "non-negative and finite",
            value: v,
        })
    }
}

fn at_least_one(field: &'static str, v: usize) -> Result<(), ConfigError> {
    if v == 0 {
        Err(ConfigError::ZeroSize { field })
    } else {
        Ok(())
    }
}

impl TrainConfig {
    /// Check every field and build the schedule and mixture.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad field.
    pub fn validate(&self) -> Result<Validated, ConfigError> {
        at_least_one("d", self.d)?;
        at_least_one("n", self.n)?;
        at_least_one("steps", self.steps)?;
        at_least_one("epochs", self.epochs)?;
        at_least_one("gen", self.n_gen)?;
        positive_finite("lr", self.lr)?;
        nonnegative_finite("lambda-u", self.lambda_u)?;
        nonnegative_finite("lambda-w", self.lambda_w)?;
        if self.noise == Noise::Fixed && self.engine != EngineKind::Averaged {
            return Err(ConfigError::Unsupported {
                field: "noise",
                rule: "`fixed` is implemented by the averaged engine only; add --engine averaged",
            });
        }
        let mixture = match self.mean {
            MeanKind::Ones => Mixture::ones(self.p, self.sigma2, self.d)?,
            MeanKind::Random => Mixture::random_direction(
                self.p,
                self.sigma2,
                self.d,
                &mut stream(self.seed, 0, Purpose::Direction, 0),
            )?,
        };
        let schedule = self.schedule.build(self.d)?;
        Ok(Validated {
            config: self.clone(),
            schedule,
            mixture,
        })
    }
}

impl Validated {
    /// The engine this configuration names.
    pub fn engine(&self) -> Box<dyn Engine> {
        match self.config.engine {
            EngineKind::Sgd => Box::new(Sgd {
                epochs: self.config.epochs,
                lr: self.config.lr,
                ..Sgd::default()
            }),
            EngineKind::Averaged => Box::new(Averaged {
                noise: self.config.noise,
                ..Averaged::default()
            }),
        }
    }

    /// Train replica `replica` (data from stream (seed, replica, Data, 0)).
    ///
    /// # Errors
    /// [`TrainError`] if training diverges.
    pub fn train(&self, replica: u64) -> Result<(Trained, f64), TrainError> {
        let c = &self.config;
        let data = self
            .mixture
            .sample(c.n, &mut stream(c.seed, replica, Purpose::Data, 0));
        let grid = self.schedule.grid(c.steps);
        let problem = Problem {
            schedule: self.schedule.as_ref(),
            grid: &grid,
            data: &data,
            lambda_u: c.lambda_u,
            lambda_w: c.lambda_w,
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
        let steps = den
            .grid
            .iter()
            .zip(&den.steps)
            .zip(&trained.records)
            .map(|((&t, p), rec): ((&f64, _), &StepRecord)| {
                let overlaps = p.overlaps(mu);
                let s = self.schedule.as_ref();
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
        // The averaged engine is meant for large d: generate in the span of the denoiser's
        // vectors (same law, O(K·r) per sample instead of O(K·d)).
        let generated = match c.engine {
            EngineKind::Sgd => {
                let flow = Flow::new(self.schedule.as_ref(), den, c.integrator);
                generate(&flow, mu, c.n_gen, c.seed, replica)
            }
            EngineKind::Averaged => generate_in_span(
                self.schedule.as_ref(),
                den,
                c.integrator,
                mu,
                c.n_gen,
                c.seed,
                replica,
            ),
        };
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
