//! `phaseflow train`: one model, its overlaps and generated statistics.

use super::{ProblemArgs, print_json};
use crate::error::Error;
use crate::experiment::{EngineKind, MeanKind, TrainConfig, TrainOutput};
use crate::flow::Integrator;
use crate::train::averaged::Noise;
use clap::Args;

/// Flags of `phaseflow train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Training samples n ≥ 1.
    #[arg(long, default_value_t = 128)]
    pub n: usize,
    /// Training engine.
    #[arg(long, value_enum, default_value_t = EngineKind::Sgd)]
    pub engine: EngineKind,
    /// Noise convention (SPEC §5.3): fresh = x0 averaged; fixed = one x0 per data point
    /// drawn once (averaged engine only).
    #[arg(long, value_enum, default_value_t = Noise::Fresh)]
    pub noise: Noise,
    /// Epochs of the sgd engine (fresh noise each).
    #[arg(long, default_value_t = 2000)]
    pub epochs: usize,
    /// Adam learning rate of the sgd engine.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lr: f64,
    /// Ridge λ_u ≥ 0 on u (see `train::sgd` for the map from the reference weight decay).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lambda_u: f64,
    /// Ridge λ_w ≥ 0 on w.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lambda_w: f64,
    /// Master seed (every random stream derives from it, SPEC §7).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Number of generated samples.
    #[arg(long = "gen", default_value_t = 4096)]
    pub n_gen: usize,
    /// ODE integrator for generation.
    #[arg(long, value_enum, default_value_t = Integrator::Euler)]
    pub integrator: Integrator,
    /// Mean direction μ of the mixture.
    #[arg(long, value_enum, default_value_t = MeanKind::Ones)]
    pub mean: MeanKind,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl TrainArgs {
    /// The configuration these flags describe.
    pub fn config(&self) -> TrainConfig {
        let pa = &self.problem;
        TrainConfig {
            schedule: pa.schedule_spec(),
            p: pa.p,
            sigma2: pa.sigma2,
            d: pa.d,
            n: self.n,
            steps: pa.steps,
            engine: self.engine,
            noise: self.noise,
            epochs: self.epochs,
            lr: self.lr,
            lambda_u: self.lambda_u,
            lambda_w: self.lambda_w,
            seed: self.seed,
            n_gen: self.n_gen,
            integrator: self.integrator,
            mean: self.mean,
        }
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.4}"))
}

/// Print a readable table of a training run.
pub fn print_table(out: &TrainOutput) {
    let c = &out.config;
    let sched = match &c.schedule {
        crate::schedule::ScheduleSpec::Dilated { kappa } => format!("dilated κ={kappa}"),
        s => s.name().to_string(),
    };
    println!(
        "phaseflow train: {sched}, p={}, σ²={}, d={}, n={}, K={}, engine {:?}, noise {:?}, seed {}",
        c.p, c.sigma2, c.d, c.n, c.steps, c.engine, c.noise, c.seed
    );
    println!(
        "{:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "t", "tau", "c", "m", "omega", "b", "sqrt_q", "sqrt_r", "loss"
    );
    for s in &out.steps {
        let o = &s.overlaps;
        println!(
            "{:>7.4} {:>9.5} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>10.5}",
            s.t, s.tau, o.c, o.m, o.omega, o.b, o.sqrt_q, o.sqrt_r, s.loss
        );
    }
    let g = &out.generated;
    println!(
        "generated ({} samples, {:?}): p̂ = {:.4} ± {:.4} (p = {}), var⊥ = {} (σ² = {}); training set + fraction {:.4}",
        g.n_gen,
        c.integrator,
        g.p_hat,
        g.p_hat_se,
        c.p,
        fmt_opt(g.var_perp),
        c.sigma2,
        out.train_plus_fraction
    );
}

/// Run `phaseflow train`.
///
/// # Errors
/// Bad input (exit 2) or a diverged training (exit 1).
pub fn run(args: &TrainArgs) -> Result<i32, Error> {
    let mut cfg = args.config();
    // `--schedule auto`: the pilot's errors name their flag; the knots land in the JSON.
    cfg.schedule = args.problem.try_schedule_spec()?;
    let v = cfg.validate()?;
    let out = v.run(0)?;
    if args.json {
        print_json(&out)?;
    } else {
        print_table(&out);
    }
    Ok(0)
}
