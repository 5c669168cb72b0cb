//! The built-in demonstration (`phaseflow demo`): the mode weight p̂ of the trained flow on
//! the linear and the dilated schedule as d grows, beside the exact Euler prediction for the
//! Bayes denoiser (SPEC §5.4). Without dilation the phase in which p is learned shrinks as
//! 1/√d and falls between grid points, so p̂ drifts away from p; with dilation p̂ stays at p
//! (the paper's central claim).

use crate::error::Error;
use crate::experiment::TrainConfig;
use crate::problem::{Noise, ProblemSpec};
use crate::schedule::ScheduleSpec;
use crate::theory::Theory;
use crate::train::EngineConfig;
use serde::Serialize;

/// The dimensions of the demonstration.
pub const DEMO_DIMS: [usize; 3] = [500, 4000, 32000];

/// The configuration of one demonstration cell: the averaged engine (exact noise-averaged
/// objective), n = 512, K = 40, 16 384 generated samples.
pub fn demo_config(schedule: ScheduleSpec, d: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        problem: ProblemSpec {
            schedule,
            d,
            n: 512,
            steps: 40,
            ..ProblemSpec::default()
        },
        engine: EngineConfig::averaged(Noise::Fresh),
        n_gen: 16_384,
        seed,
        ..TrainConfig::default()
    }
}

/// One row of the demonstration table.
#[derive(Debug, Clone, Serialize)]
pub struct DemoRow {
    /// Schedule name.
    pub schedule: String,
    /// Dimension.
    pub d: usize,
    /// Trained p̂.
    pub p_hat: f64,
    /// Its binomial standard error.
    pub p_hat_se: f64,
    /// Exact Euler prediction with the Bayes denoiser (`None` if an Euler map folds).
    pub theory: Option<f64>,
    /// The training set's + fraction.
    pub train_plus_fraction: f64,
}

/// Run the demonstration, calling `row` as each cell finishes.
///
/// # Errors
/// Only if training diverges.
pub fn run(seed: u64, mut row: impl FnMut(&DemoRow)) -> Result<Vec<DemoRow>, Error> {
    let mut rows = Vec::new();
    for &d in &DEMO_DIMS {
        for spec in [ScheduleSpec::linear(), ScheduleSpec::dilated(2.0)] {
            let cfg = demo_config(spec.clone(), d, seed);
            let out = crate::experiment::run(&cfg)?;
            let p = &cfg.problem;
            let theory = Theory::new(&p.path, &spec, p.p, p.sigma2, d)?
                .euler(p.steps)
                .map(|e| e.p_hat);
            let r = DemoRow {
                schedule: spec.name().to_string(),
                d,
                p_hat: out.generated.p_hat,
                p_hat_se: out.generated.p_hat_se,
                theory,
                train_plus_fraction: out.train_plus_fraction,
            };
            row(&r);
            rows.push(r);
        }
    }
    Ok(rows)
}
