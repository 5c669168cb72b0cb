//! `phaseflow detect` as a library call: a profile (MSE or U-turn) of the Bayes or a trained
//! denoiser, the window where it changes fastest, and the phase-aware schedule built from it
//! (SPEC §8), from one [`DetectConfig`] validated before any work.
//!
//! ```no_run
//! use phaseflow::detect::{DetectConfig, run};
//! let out = run(&DetectConfig::default()).unwrap();
//! println!("window centre t = {}", out.window.centre);
//! ```

use crate::budget::Cost;
use crate::error::Error;
use crate::experiment::TrainConfig;
use crate::phase::{
    BayesGrid, BayesMse, BayesUTurn, Curve, Detector, Extent, FlowTransport, ModeSign, ModelMse,
    Profile, TimeDensity, UTurn, Window, phase_aware, window_tau,
};
use crate::problem::{ConfigError, ProblemSpec, in_range};
use crate::schedule::{Schedule, ScheduleSpec};
use crate::theory::channel::ChannelSummary;
use serde::{Deserialize, Serialize};

/// Version of the `detect --json` document (2: the configuration is the nested
/// [`TrainConfig`] of `train --json` schema 2 plus the detection settings; version 1 was the
/// unversioned layout with the problem's fields at the top; 3: `train --json` schema 3, with
/// the interpolant `path` and the sampler's `endpoint`).
pub const DETECT_SCHEMA_VERSION: u32 = 3;

crate::choice::choice_enum! {
    /// Which profile.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProfileKind {
        "mse", "Per-dimension MSE at every grid time (SPEC §5.5)." =>
            #[default]
            Mse,
        "uturn", "P(mode sign flips) when x1 is noised to x_t and carried to the end (SPEC §8)." =>
            Uturn,
    }
}

crate::choice::choice_enum! {
    /// Which denoiser.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DenoiserKind {
        "bayes", "The Bayes-optimal denoiser (SPEC §5.1), closed form / exact 1-D U-turn." =>
            #[default]
            Bayes,
        "trained", "A model trained by the configured engine (`--engine`)." =>
            Trained,
    }
}

crate::choice::choice_enum! {
    /// Extent rule of the detection.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ExtentKind {
        "whole", "The whole curve (SPEC §5.5 convention); default for the U-turn." =>
            Whole,
        "slope", "Segments with at least `fraction` of the steepest slope; default for the MSE." =>
            Slope,
    }
}

/// Everything `phaseflow detect` needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// The problem, the engine (trained denoisers) and the master seed. Its grid is the
    /// profile's. Default: [`DetectConfig::default_problem`].
    pub train: TrainConfig,
    /// Profile. Default MSE.
    pub profile: ProfileKind,
    /// Denoiser. Default Bayes.
    pub denoiser: DenoiserKind,
    /// Monte-Carlo samples per grid time (trained MSE test points / U-turn draws), ≥ 2.
    /// Default 2000.
    pub samples: usize,
    /// Extent rule; `None`: slope for the MSE, whole for the U-turn.
    pub extent: Option<ExtentKind>,
    /// Slope fraction of the `slope` extent, in (0, 1). Default 0.02.
    pub fraction: f64,
    /// Parametric bootstrap replicates for the window's uncertainty. Default 200.
    pub bootstrap: usize,
    /// Share of the grid points the phase-aware schedule gives the window, in (0, 1).
    /// Default 0.5.
    pub share: f64,
    /// Padding of the 10 %–90 % window, in widths, ≥ 0. Default 1.
    pub margin: f64,
}

impl Default for DetectConfig {
    fn default() -> Self {
        let auto = crate::schedule::AutoSpec::default();
        Self {
            train: TrainConfig {
                problem: Self::default_problem(),
                ..TrainConfig::default()
            },
            profile: ProfileKind::Mse,
            denoiser: DenoiserKind::Bayes,
            samples: 2000,
            extent: None,
            fraction: 0.02,
            bootstrap: 200,
            share: auto.share,
            margin: auto.margin,
        }
    }
}

/// The phase-aware schedule built from the window.
#[derive(Debug, Clone, Serialize)]
pub struct AdaptedSchedule {
    /// Piecewise (t, τ) knots on [0, 1].
    pub knots: Vec<(f64, f64)>,
    /// The padded τ-window.
    pub tau_window: (f64, f64),
    /// Its share of the grid.
    pub share: f64,
}

/// What `phaseflow detect --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct DetectOutput {
    /// [`DETECT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The configuration, resolved (an `auto` schedule is its knots).
    pub config: DetectConfig,
    /// The detection settings used.
    pub detector: Detector,
    /// The profile curve.
    pub profile: Curve,
    /// The detected window.
    pub window: Window,
    /// The phase-aware schedule.
    pub schedule: AdaptedSchedule,
    /// The same schedule as a density of the interpolation time τ for trainers that draw a
    /// random time per example ([`TimeDensity`]; added in schema 3, additive).
    pub density: TimeDensity,
    /// SPEC §10's closed forms for this problem: windows in a², the τ₅₀ ratio, the t₅₀ of
    /// each probe on this schedule ([`ChannelSummary`]; added in schema 3, additive).
    pub channel: ChannelSummary,
}

impl DetectConfig {
    /// The problem a profile needs by default: the shared defaults of [`ProblemSpec`] on the
    /// linear schedule with K = 2000 (the MSE jump is a linear-schedule phenomenon of width
    /// ~1.5/√d, which needs a fine grid; SPEC §5.5).
    pub fn default_problem() -> ProblemSpec {
        ProblemSpec {
            schedule: ScheduleSpec::linear(),
            steps: 2000,
            ..ProblemSpec::default()
        }
    }

    /// The detection settings: the extent rule resolved for the profile.
    pub fn detector(&self) -> Detector {
        let extent = match self.extent.unwrap_or(match self.profile {
            ProfileKind::Mse => ExtentKind::Slope,
            ProfileKind::Uturn => ExtentKind::Whole,
        }) {
            ExtentKind::Whole => Extent::Whole,
            ExtentKind::Slope => Extent::Slope {
                fraction: self.fraction,
            },
        };
        Detector {
            extent,
            bootstrap: self.bootstrap,
            seed: self.train.seed,
        }
    }

    /// Check the detection settings (the training configuration is checked by
    /// [`TrainConfig::validate`]).
    ///
    /// # Errors
    /// [`ConfigError`] naming the field.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.samples < 2 {
            return Err(ConfigError::TooFew {
                field: "samples",
                min: 2,
                why: "",
                got: self.samples,
            });
        }
        if self.train.problem.steps < 3 {
            return Err(ConfigError::TooFew {
                field: "steps",
                min: 3,
                why: " for a profile",
                got: self.train.problem.steps,
            });
        }
        let (f, s, m) = (self.fraction, self.share, self.margin);
        in_range("fraction", "in (0, 1)", f, f > 0.0 && f < 1.0)?;
        in_range("share", "in (0, 1)", s, s > 0.0 && s < 1.0)?;
        in_range("margin", "non-negative", m, m >= 0.0)
    }

    /// The memory of a detection ([`crate::budget`]): the Bayes denoiser trains nothing
    /// (its profile is closed-form in d: the two mixture means, the grid and the bootstrap),
    /// a trained one costs its training run plus the profile's test points (issue 24: the
    /// Bayes detection at d = 1 024 000 was refused for trained parameters it does not have).
    pub fn cost(&self) -> Cost {
        let p = &self.train.problem;
        let threads = rayon::current_num_threads().max(1) as f64;
        let (d, k) = (p.d as f64, p.steps as f64);
        let steps = ("steps", k, 2000.0);
        let dim = ("d", d, 1000.0);
        let mut c = Cost::default();
        c.add(
            "bootstrap of the window: K·8 B per replicate and thread, 24 B per replicate",
            k * 8.0 * 4.0 * threads + self.bootstrap as f64 * 24.0,
            &[("bootstrap", self.bootstrap as f64, 200.0), steps],
        );
        match self.denoiser {
            DenoiserKind::Bayes => c.add(
                "mixture means (nominal and training) 2d·8 B, profile and grid K·64 B",
                2.0 * d * 8.0 + k * 64.0,
                &[dim, steps],
            ),
            DenoiserKind::Trained => {
                c.add_scaled(&self.train.cost(1), 1.0);
                let samples = ("samples", self.samples as f64, 2000.0);
                match self.profile {
                    ProfileKind::Mse => c.add(
                        "MSE test points: K·16 B per chunk of 64 samples, 2d·8 B per thread",
                        (self.samples as f64 / 64.0).ceil() * k * 16.0 + threads * 2.0 * d * 8.0,
                        &[samples, steps, dim],
                    ),
                    ProfileKind::Uturn => c.add(
                        "U-turn draws: x₁, x and the transport's scratch, ≈ 4d·8 B per thread",
                        threads * 4.0 * d * 8.0 + k * 64.0,
                        &[dim, steps],
                    ),
                }
            }
        }
        c
    }
}

impl DetectConfig {
    /// The work of a detection ([`crate::budget`], CPU seconds): a Bayes profile is
    /// closed-form, [`PROFILE_POINT`](crate::budget::calibration::PROFILE_POINT) per grid
    /// point; a trained one costs its training run plus its test points (MSE: samples·K
    /// denoiser evaluations of d; U-turn: samples carried from each of the K grid times to
    /// the end, samples·K²/2 Euler steps of d); the window's bootstrap re-detects the
    /// window on K points per replicate.
    pub fn time(&self) -> Cost {
        use crate::budget::calibration::{EULER, PROFILE_POINT};
        let p = &self.train.problem;
        let (d, k) = (p.d as f64, p.steps as f64);
        let steps = ("steps", k, 2000.0);
        let dim = ("d", d, 1000.0);
        let samples = ("samples", self.samples as f64, 2000.0);
        let mut c = Cost::time();
        c.add_work(
            "bootstrap of the window, bootstrap·K points",
            self.bootstrap as f64 * k,
            PROFILE_POINT,
            &[("bootstrap", self.bootstrap as f64, 200.0), steps],
        );
        match self.denoiser {
            DenoiserKind::Bayes => {
                c.add_work("Bayes profile, K points", k, PROFILE_POINT, &[steps]);
            }
            DenoiserKind::Trained => {
                c.add_scaled(&self.train.time(1), 1.0);
                let s = self.samples as f64;
                match self.profile {
                    ProfileKind::Mse => c.add_work(
                        "MSE test points, samples·K·d",
                        s * k * d,
                        EULER,
                        &[samples, steps, dim],
                    ),
                    ProfileKind::Uturn => c.add_work(
                        "U-turn draws carried to the end, samples·K²/2·d",
                        s * k * k / 2.0 * d,
                        EULER,
                        &[samples, steps, dim],
                    ),
                }
            }
        }
        c
    }
}

/// `phaseflow detect`: validate everything (and resolve an `auto` schedule, once), then
/// compute the profile, detect its window and build the phase-aware schedule.
///
/// # Errors
/// Bad input before any work; a diverged training or a flat profile after.
pub fn run(cfg: &DetectConfig) -> Result<DetectOutput, Error> {
    cfg.check()?;
    let v = cfg.train.validate_costed(&cfg.cost(), &cfg.time())?;
    let detector = cfg.detector();
    let pr = &v.config.problem;
    let sched = v.schedule.as_ref();
    let grid = sched.grid(pr.steps);
    let curve = match cfg.denoiser {
        DenoiserKind::Bayes => {
            let bayes = BayesGrid {
                schedule: sched,
                grid,
                p: pr.p,
                sigma2: pr.sigma2,
                d: pr.d,
            };
            match cfg.profile {
                ProfileKind::Mse => BayesMse(bayes).curve()?,
                ProfileKind::Uturn => BayesUTurn(bayes).curve()?,
            }
        }
        DenoiserKind::Trained => {
            let (trained, _) = v.train(0)?;
            let den = &trained.denoiser;
            let seed = v.config.seed;
            match cfg.profile {
                ProfileKind::Mse => ModelMse {
                    schedule: sched,
                    denoiser: den,
                    mixture: &v.mixture,
                    samples: cfg.samples,
                    seed,
                    replica: 0,
                }
                .curve()?,
                ProfileKind::Uturn => {
                    let tr = FlowTransport::new(sched, den, v.config.integrator);
                    let feat = ModeSign::new(v.mixture.mu());
                    UTurn {
                        transport: &tr,
                        data: &v.mixture,
                        feature: &feat,
                        samples: cfg.samples,
                        seed,
                        replica: 0,
                    }
                    .curve()?
                }
            }
        }
    };
    let window = crate::phase::detect(&curve, &detector)?;
    let tau_window = window_tau(&window, sched, cfg.margin);
    let adapted = phase_aware(tau_window, cfg.share, 1.0)?;
    let density = TimeDensity::from_knots(&adapted.knots())?;
    let channel = ChannelSummary::new(sched, pr.p, pr.sigma2, pr.d);
    Ok(DetectOutput {
        schema_version: DETECT_SCHEMA_VERSION,
        config: DetectConfig {
            train: v.config.clone(),
            extent: Some(match detector.extent {
                Extent::Whole => ExtentKind::Whole,
                Extent::Slope { .. } => ExtentKind::Slope,
            }),
            ..cfg.clone()
        },
        detector,
        profile: curve,
        window,
        schedule: AdaptedSchedule {
            knots: adapted.knots(),
            tau_window,
            share: cfg.share,
        },
        density,
        channel,
    })
}

impl DetectOutput {
    /// The file stem of this profile's outputs (`detect_mse`, `detect_uturn`).
    pub fn stem(&self) -> &'static str {
        match self.config.profile {
            ProfileKind::Mse => "detect_mse",
            ProfileKind::Uturn => "detect_uturn",
        }
    }
}
