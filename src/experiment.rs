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

use crate::budget::Cost;
use crate::denoiser::Overlaps;
use crate::error::Error;
use crate::flow::{Endpoint, GeneratedStats, Generation, Integrator, Sampler, generate};
use crate::mixture::Mixture;
use crate::perturbation::Perturbation;
use crate::problem::{ConfigError, ProblemSpec, at_least_one};
use crate::rng::{Purpose, stream};
use crate::schedule::Schedule;
use crate::theory::bayes::{p_from_bias, sigma2_from_c};
use crate::theory::{TheoryConfig, TheoryReport};
use crate::train::{Engine, EngineConfig, Problem, Shape, StepRecord, TrainError, Trained};
use serde::{Deserialize, Serialize};

/// Version of the `train --json` schema; bumped on any incompatible change (2: the engine's
/// knobs moved into `config.engine`, the problem into `config.problem`; 3: the interpolant
/// path `config.problem.path` beside the warp `config.problem.schedule`, and the sampler's
/// `config.endpoint`).
pub const TRAIN_SCHEMA_VERSION: u32 = 3;

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
    /// Master seed (every random stream derives from it, SPEC §7). Default 0. A whole
    /// number, or a string of digits: TOML integers stop at 2^63 − 1, so a seed above that
    /// is written `seed = "18446744073709551615"` there.
    #[serde(deserialize_with = "seed_from")]
    pub seed: u64,
    /// Generated samples. Default 4096.
    pub n_gen: usize,
    /// Integrator for generation. Default Euler.
    pub integrator: Integrator,
    /// Where generation stops: T_end (default) or the authors' last grid point.
    pub endpoint: Endpoint,
    /// Sampler of the generated samples; `null`: the engine's default (the span sampler for
    /// the averaged engine, the full one for sgd). Resolved in the output.
    pub sampler: Option<Sampler>,
    /// A deliberate deviation of the data, training or sampler from this configuration
    /// ([`crate::perturbation`]); the theory keeps the nominal values. Absent (the default):
    /// none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<Perturbation>,
}

/// A u64 seed from a number or a string of digits (module of [`TrainConfig::seed`]).
fn seed_from<'de, D: serde::Deserializer<'de>>(de: D) -> Result<u64, D::Error> {
    struct Seed;
    impl serde::de::Visitor<'_> for Seed {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a seed: a whole number 0 ≤ seed < 2^64, or a string of its digits")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(v), &self))
        }
    }
    de.deserialize_any(Seed)
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            problem: ProblemSpec::default(),
            engine: EngineConfig::default(),
            seed: 0,
            n_gen: 4096,
            integrator: Integrator::Euler,
            endpoint: Endpoint::End,
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
    /// The estimated distance to this step's minimiser in (s₀·w/√d, b), max-norm (the
    /// averaged engine's last Newton step; null for the sgd engine).
    #[serde(default)]
    pub distance: Option<f64>,
    /// p̂_w = (1 + tanh b)/2, the mode weight this step carries (meaningful in phase 1;
    /// SPEC §5.7).
    pub p_hat_w: f64,
    /// σ̂²_w = cα²/(β(1 − cβ)), the variance this step carries (meaningful in phase 2;
    /// null where β = 0 or cβ ≥ 1; SPEC §5.7).
    pub sigma2_w: Option<f64>,
    /// ρ = u·w/d (sign-invariant): with the overlaps, what the step's population MSE needs
    /// ([`crate::theory::loss::population_mse`], C10's trained surplus). Absent from outputs
    /// written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uw: Option<f64>,
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

impl TrainOutput {
    /// The numbers of an output read back from a file (a shard) are what a run can write:
    /// finite, with p̂, its SE and the fractions in their ranges (issue 24: a shard is a
    /// second route for every number).
    ///
    /// # Errors
    /// The field's path inside the output (e.g. `steps[3].loss`) and the rule.
    pub fn check_values(&self) -> Result<(), (String, String)> {
        let bad = |field: String, rule: &str, v: f64| Err((field, format!("{rule}, got {v}")));
        let prob = |field: String, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                bad(field, "must be in [0, 1]", v)
            }
        };
        let finite = |field: String, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                bad(field, "must be finite", v)
            }
        };
        prob("train_plus_fraction".into(), self.train_plus_fraction)?;
        for (k, st) in self.steps.iter().enumerate() {
            let at = |f: &str| format!("steps[{k}].{f}");
            let o = &st.overlaps;
            for (f, v) in [("t", st.t), ("tau", st.tau), ("loss", st.loss)]
                .into_iter()
                .chain(o.named())
            {
                finite(at(f), v)?;
            }
            prob(at("p_hat_w"), st.p_hat_w)?;
            if let Some(v) = st.distance {
                finite(at("distance"), v)?;
            }
            if let Some(v) = st.sigma2_w {
                finite(at("sigma2_w"), v)?;
            }
        }
        let g = &self.generated;
        prob("generated.p_hat".into(), g.p_hat)?;
        if !(g.p_hat_se >= 0.0 && g.p_hat_se.is_finite()) {
            return bad(
                "generated.p_hat_se".into(),
                "must be non-negative and finite",
                g.p_hat_se,
            );
        }
        if let Some(v) = g.var_perp {
            finite("generated.var_perp".into(), v)?;
        }
        Ok(())
    }
}

impl TrainConfig {
    /// Check every field (cheap checks first), resolve an `auto` schedule with its pilot
    /// (once) and build the schedule and mixture.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first bad field, or the pilot's [`Error::Detect`].
    pub fn validate(&self) -> Result<Validated, Error> {
        self.validate_costed(&self.cost(1), &self.time(1))
    }

    /// [`TrainConfig::validate`] with the memory and time estimates of the caller's use of
    /// the configuration (`detect` with the Bayes denoiser trains nothing, issue 24).
    ///
    /// # Errors
    /// As [`TrainConfig::validate`], or `memory` or `time` above its limit.
    pub fn validate_costed(&self, memory: &Cost, time: &Cost) -> Result<Validated, Error> {
        self.check()?;
        memory.check()?;
        time.check()?;
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

    /// Check every field without allocating anything of the configuration's size.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first bad field.
    pub fn check(&self) -> Result<(), Error> {
        self.problem.check()?;
        self.engine.check()?;
        at_least_one("gen", self.n_gen)?;
        Ok(())
    }

    /// Values that are accepted but outside the range the engines were tested in, as
    /// one-line warnings naming the field (the CLI prints them on stderr).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let EngineConfig::Sgd(s) = &self.engine {
            if s.lr > crate::train::sgd::LR_TESTED {
                w.push(format!(
                    "lr: {} is above {}, outside the tested range: Adam moves every parameter by up to lr per epoch while the Bayes parameters are O(1); a run whose loss rises above {} × the zero denoiser's stops with exit 1",
                    s.lr,
                    crate::train::sgd::LR_TESTED,
                    crate::train::LOSS_BOUND
                ));
            }
        }
        w
    }

    /// The memory `replicas_at_once` replicas of this configuration need at once
    /// ([`crate::budget`]): the mean and the data, the engine's buffers, the generated
    /// samples' sums, the outputs.
    pub fn cost(&self, replicas_at_once: usize) -> Cost {
        let p = &self.problem;
        let threads = rayon::current_num_threads().max(1);
        let shape = Shape {
            n: p.n,
            d: p.d,
            steps: p.steps,
            concurrent_steps: threads.min(p.steps).max(1),
        };
        let (n, d, k) = (p.n as f64, p.d as f64, p.steps as f64);
        let n_gen = ("gen", self.n_gen as f64, 4096.0);
        let mut one = Cost::default();
        one.add(
            "mixture mean and training data, (n + 1)·d·8 B",
            (n + 1.0) * d * 8.0,
            &[shape.n(), shape.d()],
        );
        one.add_scaled(&self.engine.memory(&shape), 1.0);
        let chunks = (self.n_gen as f64 / crate::flow::GEN_CHUNK as f64).ceil();
        match self.sampler.unwrap_or(self.engine.default_sampler()) {
            Sampler::Full => one.add(
                "generated samples: two mode sums of d per chunk of 256 samples, 2d·8 B each, and 4d·8 B of scratch per thread",
                chunks * 2.0 * d * 8.0 + threads as f64 * 4.0 * d * 8.0,
                &[n_gen, shape.d()],
            ),
            Sampler::Span => {
                let r = 2.0 * k + 1.0;
                one.add(
                    "span sampler: the 2K + 1 vectors, (2K + 1)·d·8 B, and their Gram matrix",
                    r * d * 8.0 + 2.0 * r * r * 8.0,
                    &[shape.steps(), shape.d()],
                );
                one.add(
                    "generated samples: two mode sums of 2K + 2 per chunk of 256 samples",
                    chunks * 2.0 * (r + 1.0) * 8.0,
                    &[n_gen, shape.steps()],
                );
            }
        }
        one.add("per-step output, K·256 B", k * 256.0, &[shape.steps()]);
        let mut c = Cost::default();
        c.add_scaled(&one, replicas_at_once as f64);
        if let Some((memory, _)) = self.pilot() {
            c.add_scaled(&memory, 1.0);
        }
        c
    }

    /// The memory and time of an `auto` schedule's pilot (once per configuration, before
    /// training): two Bayes U-turns on `pilot_points` and `pilot_points + refine_points`
    /// grid points (issue 24: a pilot size of 2⁶⁴ − 1 in an experiment file overflowed the
    /// grid's allocation). `None` for any other schedule.
    pub fn pilot(&self) -> Option<(Cost, Cost)> {
        let crate::schedule::ScheduleSpec::Auto(a) = &self.problem.schedule else {
            return None;
        };
        let (pilot, refine) = (a.pilot_points as f64, a.refine_points as f64);
        let fields = [
            ("pilot_points", pilot, 2000.0),
            ("refine_points", refine, 1000.0),
        ];
        let mut memory = Cost::memory();
        memory.add(
            "auto schedule's pilot grids and curves, (pilot + refine)·128 B",
            (pilot + refine) * 128.0,
            &fields,
        );
        let mut time = Cost::time();
        time.add_work(
            "auto schedule's pilot U-turns, 2·pilot + refine points",
            2.0 * pilot + refine,
            crate::budget::calibration::PROFILE_POINT,
            &fields,
        );
        Some((memory, time))
    }

    /// The work of `replicas` replicas of this configuration ([`crate::budget`], CPU
    /// seconds): the engine's training ([`EngineSpec::time`](crate::train::EngineSpec::time))
    /// and the generated samples, per replica.
    pub fn time(&self, replicas: usize) -> Cost {
        use crate::budget::calibration::{DENSE, EULER, SPAN};
        let p = &self.problem;
        let shape = Shape {
            n: p.n,
            d: p.d,
            steps: p.steps,
            concurrent_steps: 1,
        };
        let (d, k) = (p.d as f64, p.steps as f64);
        let n_gen = ("gen", self.n_gen as f64, 4096.0);
        let heun = match self.integrator {
            Integrator::Euler => 1.0,
            Integrator::Heun => 2.0,
        };
        let mut one = Cost::time();
        one.add_scaled(&self.engine.time(&shape), 1.0);
        match self.sampler.unwrap_or(self.engine.default_sampler()) {
            Sampler::Full => one.add_work(
                "generation, n_gen·K·d (Heun ×2)",
                self.n_gen as f64 * k * d * heun,
                EULER,
                &[n_gen, shape.steps(), shape.d()],
            ),
            Sampler::Span => {
                let r = 2.0 * k + 1.0;
                one.add_work(
                    "span sampler's Gram matrix, (2K + 1)²·d",
                    r * r * d,
                    DENSE,
                    &[shape.steps(), shape.d()],
                );
                one.add_work(
                    "generation in the span, n_gen·K·(2K + 2) (Heun ×2)",
                    self.n_gen as f64 * k * (r + 1.0) * heun,
                    SPAN,
                    &[n_gen, shape.steps()],
                );
            }
        }
        let mut c = if replicas == 1 {
            one
        } else {
            one.repeated(("replicas", replicas as f64, 16.0))
        };
        if let Some((_, time)) = self.pilot() {
            c.add_scaled(&time, 1.0);
        }
        c
    }

    /// The theory document of this configuration (`phaseflow theory`): its resolved
    /// schedule, mixture and objective, with the finite-n block (SPEC §5.3) if `finite_n`.
    /// Nothing of size d is allocated (the theory is closed-form in d); its own cost is
    /// checked ([`budget::check_theory_time`](crate::budget::check_theory_time)).
    ///
    /// # Errors
    /// As [`TrainConfig::check`], the theory's cost above the limits, or the `auto` pilot's
    /// error.
    pub fn theory_config(&self, finite_n: bool) -> Result<TheoryConfig, Error> {
        self.check()?;
        if let Some((memory, time)) = self.pilot() {
            memory.check()?;
            time.check()?;
        }
        let p = crate::phase::resolve(&self.problem)?;
        let p = &p;
        // The same checks as a training run's (issue 24: one validation per route).
        if let Some(pert) = &self.perturbation {
            pert.check(p)?;
        }
        Ok(TheoryConfig {
            path: p.path.clone(),
            schedule: p.schedule.clone(),
            endpoint: self.endpoint,
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
    let tc = config.theory_config(finite_n)?;
    theory_cost(&tc).check()?;
    if let Some(n) = tc.n {
        let (memory, time) = crate::budget::reduced_rule_cost(n, tc.p, tc.steps);
        memory.check()?;
        time.check()?;
    }
    if let (Some(n), Some(_)) = (tc.n, tc.schedule.kappa()) {
        crate::budget::check_theory_time(n, tc.p, phase1_times(tc.steps))?;
    }
    Ok(tc.compute()?)
}

/// The grid times 0 < t < 1 of the dilated schedule's K-point grid t_k = 2k/K, k < K: the
/// binomial averages of the finite-n theory (t = 0 has no signal and costs nothing).
pub(crate) fn phase1_times(steps: usize) -> usize {
    steps.div_ceil(2).saturating_sub(1)
}

/// The memory of a theory document: per grid time its predictions, their JSON tree and
/// text (≈ 4 KiB, measured from `fixtures/theory/`: 0.9 KiB of text per step, the tree
/// several times that).
fn theory_cost(tc: &TheoryConfig) -> Cost {
    let mut c = Cost::default();
    c.add(
        "theory document, K × 4 KiB (predictions, JSON tree and text)",
        tc.steps as f64 * 4096.0,
        &[("steps", tc.steps as f64, 40.0)],
    );
    c
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
        let trained = self.engine().train(&problem)?;
        crate::train::check_losses(
            &trained,
            &grid,
            &data,
            crate::train::divergence_hint(self.engine().name()),
        )?;
        Ok((trained, data.plus_fraction()))
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
                    distance: rec.distance(),
                    p_hat_w: p_from_bias(overlaps.b),
                    sigma2_w: sigma2_from_c(overlaps.c, s.alpha(t), s.beta(t)),
                    uw: Some(
                        p.u().iter().zip(p.w()).map(|(a, b)| a * b).sum::<f64>() / p.d() as f64,
                    ),
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
            (c.integrator, c.endpoint),
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
