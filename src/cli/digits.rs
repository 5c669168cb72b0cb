//! `phaseflow digits uturn|train|compare`: the real-data experiment of issue 8 on the 8×8
//! handwritten digits (see [`phaseflow::digits`]).

use super::args::{OutputArgs, SeedArgs};
use crate::cli::choice::choice;
use clap::{Args, Subcommand, ValueEnum};
use phaseflow::choice::name_of;
use phaseflow::digits::compare::{self, CompareConfig};
use phaseflow::digits::curve::{self, CurveConfig};
use phaseflow::digits::data::{self, Scale};
use phaseflow::digits::mechanism::{Mechanism, Solver};
use phaseflow::digits::train::{DigitsTrainConfig, Optimiser, TimeDraw, TimeSampler};
use phaseflow::error::Error;
use phaseflow::harness;
use phaseflow::problem::ConfigError;
use phaseflow::report::{Digits, Reports};
use std::path::PathBuf;

/// Flags of `phaseflow digits`.
#[derive(Debug, Clone, Args)]
pub struct DigitsArgs {
    /// What to run.
    #[command(subcommand)]
    pub command: DigitsCommand,
}

/// Flags shared by the digits subcommands.
#[derive(Debug, Clone, Args)]
pub struct Common {
    #[command(flatten)]
    pub seed: SeedArgs,
    /// The data file (its checksum is `<file>.sha256`) [default: fixtures/data/digits.csv
    /// in the current folder, else in the source tree the binary was built from].
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl Common {
    /// `--data`, or the default file ([`data::resolve_default`]).
    fn data_path(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(data::resolve_default)
    }
}

/// The digits subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum DigitsCommand {
    /// Classifier, reference model and the U-turn curve with its window.
    Uturn {
        #[command(flatten)]
        common: Common,
        /// Epochs of the reference model (uniform times).
        #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        epochs: usize,
        /// Grid points of the U-turn on [0, 1).
        #[arg(long, default_value_t = 40, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        points: usize,
        /// Pairs (x₁, x₀) per grid point.
        #[arg(long, default_value_t = 444, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        pairs: usize,
    },
    /// Train one model and print the generated share of zeros over epochs.
    Train {
        #[command(flatten)]
        common: Common,
        /// Time-sampling density.
        #[arg(long, value_enum, default_value_t = SamplerKind::Uniform)]
        sampler: SamplerKind,
        /// Window `LO,HI` of the phase-aware sampler.
        #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.3])]
        window: Vec<f64>,
        /// Share of times drawn in the window.
        #[arg(long, default_value_t = 0.5)]
        weight: f64,
        /// Epochs.
        #[arg(long, default_value_t = 40, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        epochs: usize,
        /// Replica index.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = crate::cli::args::whole_u64)]
        replica: u64,
        /// Generated samples per checkpoint.
        #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        generated: usize,
        /// Checkpoints (evenly spaced, the last at --epochs).
        #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        checkpoints: usize,
    },
    /// The learning curve of issue 13: class-ratio error of uniform vs phase-aware time
    /// sampling over budgets (optimiser steps) and paired seeds, with the authors'
    /// mechanism (DDPM VP path, noise prediction, reverse SDE, AdamW warm-up + cosine +
    /// clipping, stratified batches), checks and a figure.
    Compare {
        #[command(flatten)]
        common: Common,
        /// Paired seeds R.
        #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        seeds: usize,
        /// Budgets in optimiser steps, increasing.
        #[arg(long, value_delimiter = ',', default_values_t = [25usize, 50, 100, 200, 400, 800, 1600, 3200])]
        budgets: Vec<usize>,
        /// Steps of the uniform reference model of the U-turn.
        #[arg(long, default_value_t = 1600, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        reference_steps: usize,
        /// Generated images per run.
        #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        generated: usize,
        /// Path and training target.
        #[arg(long, value_parser = choice::<Mechanism>(), default_value = name_of(Mechanism::Vp))]
        mechanism: Mechanism,
        /// Sampler: reverse SDE (Euler–Maruyama) or probability-flow ODE (Euler).
        #[arg(long, value_parser = choice::<Solver>(), default_value = name_of(Solver::Sde))]
        solver: Solver,
        /// Sampler steps over [0, 1].
        #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        sde_steps: usize,
        /// Batch times: stratified counts per batch or i.i.d. draws.
        #[arg(long, value_parser = choice::<TimeDraw>(), default_value = name_of(TimeDraw::Stratified))]
        draw: TimeDraw,
        /// Share of each batch in the phase-aware band.
        #[arg(long, default_value_t = 0.5)]
        weight: f64,
        /// The authors' fixed band `LO,HI` in diffusion time s = 1 − t.
        #[arg(long, value_delimiter = ',', default_values_t = [0.2, 0.4])]
        band: Vec<f64>,
        /// Peak learning rate (AdamW).
        #[arg(long, default_value_t = 3e-3)]
        lr: f32,
        /// Warm-up share of the budget (the authors' 500/3480).
        #[arg(long, default_value_t = phaseflow::digits::train::AUTHORS_WARMUP_SHARE)]
        warmup: f64,
        /// AdamW weight decay.
        #[arg(long, default_value_t = 0.01)]
        weight_decay: f32,
        /// Gradient-norm clip (0 = none).
        #[arg(long, default_value_t = 1.0)]
        clip: f32,
        /// Mini-batch size.
        #[arg(long, default_value_t = 32, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        batch: usize,
        /// Pixel scaling.
        #[arg(long, value_parser = choice::<Scale>(), default_value = name_of(Scale::Unit))]
        scale: Scale,
        /// Drop the network's diagonal input→output skip.
        #[arg(long)]
        no_skip: bool,
        /// Classify generated images without clamping them to the data range.
        #[arg(long)]
        no_clamp: bool,
        /// U-turn grid points on [0, 1).
        #[arg(long, default_value_t = 20, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        points: usize,
        /// U-turn pairs per grid point and curve.
        #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        pairs: usize,
    },
    /// Issue 8's comparison: uniform vs phase-aware time sampling at one epoch budget
    /// (linear path, velocity, Euler ODE, constant Adam), with checks and a plot.
    CompareEpochs {
        #[command(flatten)]
        common: Common,
        /// Epoch budget of each compared run.
        #[arg(long, default_value_t = 40, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        epochs: usize,
        /// Seeds R per sampler.
        #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        seeds: usize,
        /// Checkpoints (evenly spaced, the last at --epochs).
        #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        checkpoints: usize,
        /// Epochs of the reference model for the U-turn.
        #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        reference_epochs: usize,
        /// Generated samples per checkpoint.
        #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = crate::cli::args::whole_usize)]
        generated: usize,
        /// Share of phase-aware times drawn in the window.
        #[arg(long, default_value_t = 0.5)]
        weight: f64,
        /// Adam learning rate of the compared runs.
        #[arg(long, default_value_t = 2e-3)]
        lr: f32,
    },
}

/// Time sampler on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplerKind {
    /// t ~ U(0, 1).
    Uniform,
    /// A share of the times in a window, the rest uniform.
    Aware,
}

/// Run `phaseflow digits …`; exit code 1 when a check or control is not as expected.
pub fn run(a: &DigitsArgs) -> Result<i32, Error> {
    let common = match &a.command {
        DigitsCommand::Uturn { common, .. }
        | DigitsCommand::Train { common, .. }
        | DigitsCommand::Compare { common, .. }
        | DigitsCommand::CompareEpochs { common, .. } => common,
    };
    let _lock = common.output.lock(None)?;
    match &a.command {
        DigitsCommand::Uturn {
            common,
            epochs,
            points,
            pairs,
        } => {
            let cfg = CompareConfig {
                seed: common.seed.seed,
                reference_epochs: *epochs,
                uturn_points: *points,
                uturn_pairs: *pairs,
                ..CompareConfig::default()
            };
            let doc = compare::uturn_command(&common.data_path(), &cfg)?;
            let doc = Digits::Uturn(&doc);
            Reports::new(&common.output.output(None)).digits(&doc)?;
            Ok(doc.exit_code())
        }
        DigitsCommand::Train {
            common,
            sampler,
            window,
            weight,
            epochs,
            replica,
            generated,
            checkpoints,
        } => {
            // Checked whatever the sampler: a bad value is a typo even where it is unused.
            let w = *weight;
            phaseflow::problem::ConfigError::check_range(
                "weight",
                "in [0, 1) (the support must stay [0, 1])",
                w,
                (0.0..1.0).contains(&w),
            )?;
            let s = match sampler {
                SamplerKind::Uniform => TimeSampler::Uniform,
                SamplerKind::Aware => {
                    let [lo, hi] = window[..] else {
                        return Err(ConfigError::TooFew {
                            field: "window",
                            min: 2,
                            why: " values LO,HI",
                            got: window.len(),
                        }
                        .into());
                    };
                    TimeSampler::window(lo, hi, *weight)
                        .map_err(phaseflow::digits::DigitsError::from)?
                }
            };
            let seed = common.seed.seed;
            let cfg = DigitsTrainConfig::new(s, *epochs, seed, *replica);
            let quiet = common.output.quiet || common.output.json;
            let pb = harness::progress(*epochs as u64, "epochs", quiet);
            let doc = compare::train_command(
                &common.data_path(),
                &cfg,
                (*checkpoints, *generated),
                &|| pb.inc(1),
            )?;
            pb.finish_and_clear();
            Reports::new(&common.output.output(None)).digits(&Digits::Train(&doc))?;
            Ok(0)
        }
        DigitsCommand::Compare {
            common,
            seeds,
            budgets,
            reference_steps,
            generated,
            mechanism,
            solver,
            sde_steps,
            draw,
            weight,
            band,
            lr,
            warmup,
            weight_decay,
            clip,
            batch,
            scale,
            no_skip,
            no_clamp,
            points,
            pairs,
        } => {
            let [lo, hi] = band[..] else {
                return Err(ConfigError::TooFew {
                    field: "band",
                    min: 2,
                    why: " values LO,HI",
                    got: band.len(),
                }
                .into());
            };
            let cfg = CurveConfig {
                seed: common.seed.seed,
                seeds: *seeds,
                budgets: budgets.clone(),
                reference_steps: *reference_steps,
                generated: *generated,
                mechanism: *mechanism,
                solver: *solver,
                sde_steps: *sde_steps,
                draw: *draw,
                weight: *weight,
                band: [lo, hi],
                batch: *batch,
                optimiser: Optimiser {
                    lr: *lr,
                    warmup_share: *warmup,
                    weight_decay: *weight_decay,
                    clip: *clip,
                },
                scale: *scale,
                skip: !*no_skip,
                clamp: !*no_clamp,
                uturn_points: *points,
                uturn_pairs: *pairs,
                ..CurveConfig::default()
            };
            cfg.check()?;
            let quiet = common.output.quiet || common.output.json;
            let runs = 1 + 5 * seeds * budgets.len();
            let pb = harness::progress(runs as u64, "digits runs", quiet);
            let report = curve::run(&common.data_path(), &cfg, &|| pb.inc(1))?;
            pb.finish_and_clear();
            let doc = Digits::Compare(&report);
            Reports::new(&common.output.output(None)).digits(&doc)?;
            Ok(doc.exit_code())
        }
        DigitsCommand::CompareEpochs {
            common,
            epochs,
            seeds,
            checkpoints,
            reference_epochs,
            generated,
            weight,
            lr,
        } => {
            if *checkpoints == 0 || checkpoints > epochs {
                return Err(ConfigError::Invalid {
                    field: "checkpoints",
                    rule: format!("must be in 1..=epochs ({epochs}), got {checkpoints}"),
                }
                .into());
            }
            let cfg = CompareConfig {
                seed: common.seed.seed,
                seeds: *seeds,
                reference_epochs: *reference_epochs,
                generated: *generated,
                weight: *weight,
                lr: *lr,
                ..CompareConfig::default()
            }
            .with_epochs(*epochs, *checkpoints);
            let quiet = common.output.quiet || common.output.json;
            let pb = harness::progress((2 * seeds + 1) as u64, "digits runs", quiet);
            let report = compare::run(&common.data_path(), &cfg, &|| pb.inc(1))?;
            pb.finish_and_clear();
            let doc = Digits::CompareEpochs(&report);
            Reports::new(&common.output.output(None)).digits(&doc)?;
            Ok(doc.exit_code())
        }
    }
}
