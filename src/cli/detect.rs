//! `phaseflow detect`: a profile (MSE or U-turn) of the Bayes or a trained denoiser, the
//! window where it changes fastest, and the phase-aware schedule built from it (SPEC §8).

use super::{ScheduleKind, print_json};
use crate::detect::{
    BayesMse, BayesUTurn, Curve, Detector, Extent, FlowTransport, ModeSign, ModelMse, Profile,
    UTurn, Window, phase_aware, profile_figure, window_tau,
};
use crate::error::Error;
use crate::experiment::{EngineKind, MeanKind, TrainConfig};
use crate::flow::Integrator;
use crate::schedule::{Schedule, ScheduleSpec};
use crate::train::averaged::Noise;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;

/// Which profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// Per-dimension MSE at every grid time (SPEC §5.5).
    Mse,
    /// P(mode sign flips) when x1 is noised to x_t and carried to the end (SPEC §8).
    Uturn,
}

/// Which denoiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum DenoiserKind {
    /// The Bayes-optimal denoiser (SPEC §5.1), closed form / exact 1-D U-turn.
    Bayes,
    /// Trained with Adam (SPEC §4 engine 1).
    Sgd,
    /// Trained on the exact noise-averaged objective (SPEC §4 engine 2).
    Averaged,
}

/// Extent rule of the detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ExtentKind {
    /// The whole curve (SPEC §5.5 convention); default for the U-turn.
    Whole,
    /// Segments with at least --fraction of the steepest slope; default for the MSE.
    Slope,
}

/// Flags of `phaseflow detect`.
#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    /// Profile to compute.
    #[arg(long, value_enum, default_value_t = ProfileKind::Mse)]
    pub profile: ProfileKind,
    /// Time schedule of the profile (`auto`: the phase-aware schedule built with --share and
    /// --margin from a pilot Bayes U-turn).
    #[arg(long, value_enum, default_value_t = ScheduleKind::Linear)]
    pub schedule: ScheduleKind,
    /// Dilation constant κ (dilated schedule).
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub kappa: f64,
    /// Weight p of the + mode, in (0, 1).
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    pub p: f64,
    /// Within-mode variance σ² > 0.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub sigma2: f64,
    /// Dimension d ≥ 1.
    #[arg(long, default_value_t = 4000)]
    pub d: usize,
    /// Grid points K of the profile (and of training for a trained denoiser). A window of
    /// width ~1.5/√d needs K ≫ √d on the linear schedule.
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Denoiser.
    #[arg(long, value_enum, default_value_t = DenoiserKind::Bayes)]
    pub denoiser: DenoiserKind,
    /// Training samples n (trained denoisers).
    #[arg(long, default_value_t = 512)]
    pub n: usize,
    /// Epochs of the sgd engine.
    #[arg(long, default_value_t = 2000)]
    pub epochs: usize,
    /// Adam learning rate of the sgd engine.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lr: f64,
    /// Ridge λ_u ≥ 0.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lambda_u: f64,
    /// Ridge λ_w ≥ 0.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lambda_w: f64,
    /// Master seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Monte-Carlo samples per grid time (trained MSE test points / U-turn draws).
    #[arg(long, default_value_t = 2000)]
    pub samples: usize,
    /// ODE integrator of the trained U-turn.
    #[arg(long, value_enum, default_value_t = Integrator::Euler)]
    pub integrator: Integrator,
    /// Extent rule (default: slope for mse, whole for uturn).
    #[arg(long, value_enum)]
    pub extent: Option<ExtentKind>,
    /// Slope fraction of the `slope` extent, in (0, 1).
    #[arg(long, default_value_t = 0.02, allow_negative_numbers = true)]
    pub fraction: f64,
    /// Parametric bootstrap replicates for the window's uncertainty.
    #[arg(long, default_value_t = 200)]
    pub bootstrap: usize,
    /// Share of the grid points the phase-aware schedule gives the window, in (0, 1).
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub share: f64,
    /// Padding of the 10 %–90 % window, in widths, for the phase-aware schedule.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub margin: f64,
    /// Folder for detect.json and the profile plot (SVG + PNG).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// The configuration echoed in the output.
#[derive(Debug, Clone, Serialize)]
pub struct DetectConfig {
    /// Profile.
    pub profile: ProfileKind,
    /// Denoiser.
    pub denoiser: DenoiserKind,
    /// Schedule of the profile.
    pub schedule: ScheduleSpec,
    /// p.
    pub p: f64,
    /// σ².
    pub sigma2: f64,
    /// d.
    pub d: usize,
    /// K.
    pub steps: usize,
    /// Training configuration (trained denoisers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train: Option<TrainConfig>,
    /// Monte-Carlo samples per grid time (trained denoisers).
    pub samples: usize,
    /// Detection settings.
    pub detector: Detector,
    /// Share given to the window.
    pub share: f64,
    /// Padding in widths.
    pub margin: f64,
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
    /// Configuration.
    pub config: DetectConfig,
    /// The profile curve.
    pub profile: Curve,
    /// The detected window.
    pub window: Window,
    /// The phase-aware schedule.
    pub schedule: AdaptedSchedule,
}

fn input(e: impl std::fmt::Display) -> Error {
    Error::Input(e.to_string())
}

/// Run `phaseflow detect`.
///
/// # Errors
/// Bad input (exit 2, naming the flag), a diverged training or a flat profile (exit 1).
pub fn run(a: &DetectArgs) -> Result<i32, Error> {
    // With `auto`, the adapted schedule itself (pilot with --share and --margin): its
    // profile shows the window spread over the share of the grid it was given.
    let spec = super::resolve_schedule(
        a.schedule,
        a.kappa,
        (a.p, a.sigma2, a.d),
        (a.share, a.margin),
    )?;
    let extent = match a.extent.unwrap_or(match a.profile {
        ProfileKind::Mse => ExtentKind::Slope,
        ProfileKind::Uturn => ExtentKind::Whole,
    }) {
        ExtentKind::Whole => Extent::Whole,
        ExtentKind::Slope => Extent::Slope {
            fraction: a.fraction,
        },
    };
    let detector = Detector {
        extent,
        bootstrap: a.bootstrap,
        seed: a.seed,
    };
    if a.samples < 2 {
        return Err(input("samples: must be at least 2"));
    }
    // Every problem parameter is validated by the training configuration's rules, also for
    // the Bayes denoiser (nothing is trained then).
    let train = TrainConfig {
        schedule: spec.clone(),
        p: a.p,
        sigma2: a.sigma2,
        d: a.d,
        n: a.n,
        steps: a.steps,
        engine: if a.denoiser == DenoiserKind::Sgd {
            EngineKind::Sgd
        } else {
            EngineKind::Averaged
        },
        noise: Noise::Fresh,
        epochs: a.epochs,
        lr: a.lr,
        lambda_u: a.lambda_u,
        lambda_w: a.lambda_w,
        seed: a.seed,
        n_gen: 1,
        integrator: a.integrator,
        mean: MeanKind::Ones,
    };
    let v = train.validate()?;
    if a.steps < 3 {
        return Err(input("steps: must be at least 3 for a profile"));
    }
    let sched: &dyn Schedule = v.schedule.as_ref();
    let grid = sched.grid(a.steps);
    let curve = match a.denoiser {
        DenoiserKind::Bayes => match a.profile {
            ProfileKind::Mse => BayesMse {
                schedule: sched,
                ts: grid,
                p: a.p,
                sigma2: a.sigma2,
                d: a.d,
            }
            .curve()?,
            ProfileKind::Uturn => BayesUTurn {
                schedule: sched,
                grid,
                p: a.p,
                sigma2: a.sigma2,
                d: a.d,
            }
            .curve()?,
        },
        DenoiserKind::Sgd | DenoiserKind::Averaged => {
            let (trained, _) = v.train(0)?;
            let den = &trained.denoiser;
            match a.profile {
                ProfileKind::Mse => ModelMse {
                    schedule: sched,
                    denoiser: den,
                    mixture: &v.mixture,
                    samples: a.samples,
                    seed: a.seed,
                    replica: 0,
                }
                .curve()?,
                ProfileKind::Uturn => {
                    let tr = FlowTransport::new(sched, den, a.integrator);
                    let feat = ModeSign::new(v.mixture.mu());
                    UTurn {
                        transport: &tr,
                        data: &v.mixture,
                        feature: &feat,
                        samples: a.samples,
                        seed: a.seed,
                        replica: 0,
                    }
                    .curve()?
                }
            }
        }
    };
    let window = crate::detect::detect(&curve, &detector)?;
    if !(a.margin >= 0.0 && a.margin.is_finite()) {
        return Err(input(format!(
            "margin: must be non-negative, got {}",
            a.margin
        )));
    }
    let tau_window = window_tau(&window, sched, a.margin);
    let adapted = phase_aware(tau_window, a.share, 1.0)?;
    let out = DetectOutput {
        config: DetectConfig {
            profile: a.profile,
            denoiser: a.denoiser,
            schedule: spec,
            p: a.p,
            sigma2: a.sigma2,
            d: a.d,
            steps: a.steps,
            train: (a.denoiser != DenoiserKind::Bayes).then_some(train),
            samples: a.samples,
            detector,
            share: a.share,
            margin: a.margin,
        },
        profile: curve,
        window,
        schedule: AdaptedSchedule {
            knots: adapted.knots(),
            tau_window,
            share: a.share,
        },
    };
    if let Some(dir) = &a.out {
        let (name, ylab) = match a.profile {
            ProfileKind::Mse => ("MSE profile", "MSE per dimension"),
            ProfileKind::Uturn => ("U-turn profile", "P(mode sign flips)"),
        };
        let stem = match a.profile {
            ProfileKind::Mse => "detect_mse",
            ProfileKind::Uturn => "detect_uturn",
        };
        profile_figure(name, ylab, &out.profile, &out.window).save(dir, stem)?;
        crate::io::write_json(&dir.join(format!("{stem}.json")), &out)?;
    }
    if a.json {
        print_json(&out)?;
    } else {
        let w = &out.window;
        let sd = (a.d as f64).sqrt();
        let tau_sd = |t: f64| sched.tau(t) * sd;
        println!(
            "phaseflow detect: {:?} profile, {:?} denoiser, {} schedule, p={}, σ²={}, d={}, K={}",
            a.profile,
            a.denoiser,
            out.config.schedule.name(),
            a.p,
            a.sigma2,
            a.d,
            a.steps
        );
        println!(
            "window: centre t = {:.5} ± {:.5} (τ·√d = {:.3}), width {:.5} ± {:.5}, τ from {:.3}/√d to {:.3}/√d (10 %–90 %), jump {:.4} ± {:.4}, grid resolution {:.2e}",
            w.centre,
            w.centre_se,
            tau_sd(w.centre),
            w.width,
            w.width_se,
            tau_sd(w.t10),
            tau_sd(w.t90),
            w.jump,
            w.jump_se,
            w.resolution
        );
        println!(
            "phase-aware schedule: τ ∈ [{:.5}, {:.5}] gets {:.0} % of the grid; knots {:?}",
            tau_window.0,
            tau_window.1,
            100.0 * a.share,
            out.schedule.knots
        );
        if let Some(dir) = &a.out {
            println!("wrote {}", dir.display());
        }
    }
    Ok(0)
}
