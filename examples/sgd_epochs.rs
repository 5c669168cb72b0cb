//! Time N epochs of the reference sgd engine as one process, for the paired comparison with
//! PyTorch in `scripts/bench_sgd_vs_pytorch.py` (issue 16), which runs this twice with two
//! epoch counts and differences the CPU and wall times so that start-up cancels.
//!
//! `cargo run --release --example sgd_epochs -- --d 1000 --n 128 --steps 40 --epochs 20
//! --precision f32 --threads 1`
//!
//! The problem is the PyTorch script's: p = 0.8, σ² = 1, dilated κ = 2 grid of K steps,
//! λ_u = λ_w = K·d·wd/2 with the reference weight decay wd = 1e-5, lr 0.01, data seed 0.
//! Prints one line: the configuration and the mean final loss over the grid (so the work
//! cannot be optimised away; it is not a result).

use clap::Parser;
use phaseflow::mixture::Mixture;
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::{Dilated, Schedule};
use phaseflow::train::sgd::{Precision, Sgd};
use phaseflow::train::{Engine, Problem};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    d: usize,
    #[arg(long, default_value_t = 128)]
    n: usize,
    #[arg(long, default_value_t = 40)]
    steps: usize,
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// f32 or f64.
    #[arg(long, default_value = "f64")]
    precision: String,
    /// Worker threads (rayon).
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn main() {
    let a = Args::parse();
    let precision = match a.precision.as_str() {
        "f32" => Precision::F32,
        "f64" => Precision::F64,
        other => {
            eprintln!("precision: expected f32 or f64, got {other}");
            std::process::exit(2);
        }
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads)
        .build_global()
        .expect("thread pool");
    let mixture = Mixture::ones(0.8, 1.0, a.d).expect("mixture");
    let data = mixture.sample(a.n, &mut stream(0, 0, Purpose::Data, 0));
    let schedule = Dilated::new(2.0, a.d).expect("schedule");
    let grid = schedule.grid(a.steps);
    let lambda = (a.steps * a.d) as f64 * 1e-5 / 2.0;
    let problem = Problem {
        schedule: &schedule,
        grid: &grid,
        data: &data,
        lambda_u: lambda,
        lambda_w: lambda,
        seed: 0,
        replica: 0,
    };
    let engine = Sgd {
        epochs: a.epochs,
        lr: 0.01,
        precision,
    };
    let trained = engine.train(&problem).expect("training");
    let loss = trained.records.iter().map(|r| r.loss).sum::<f64>() / grid.len() as f64;
    println!(
        "phaseflow sgd {} threads={} d={} n={} K={} epochs={}: mean final loss {loss:.6}",
        a.precision, a.threads, a.d, a.n, a.steps, a.epochs
    );
}
