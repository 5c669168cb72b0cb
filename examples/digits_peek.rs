//! Print a few generated digits as ASCII (a diagnostic of the digits samplers).
//! `cargo run --release --example digits_peek -- [vp|linear] [ode|sde] STEPS BUDGET`
use phaseflow::digits::data::{Digits, Scale, Unbalanced, default_path};
use phaseflow::digits::flow::generate;
use phaseflow::digits::mechanism::{Mechanism, Sampling, Solver};
use phaseflow::digits::train::{Optimiser, StepsConfig, TimeDraw, TimeSampler, train_steps};
use phaseflow::rng::Purpose;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let mechanism = if a.get(1).map_or("vp", |s| s) == "linear" { Mechanism::Linear } else { Mechanism::Vp };
    let solver = if a.get(2).map_or("ode", |s| s) == "sde" { Solver::Sde } else { Solver::Ode };
    let steps: usize = a.get(3).map_or(100, |s| s.parse().unwrap());
    let budget: usize = a.get(4).map_or(1600, |s| s.parse().unwrap());
    let lr: f32 = a.get(5).map_or(1e-3, |s| s.parse().unwrap());
    let d = Digits::load(&default_path()).unwrap();
    let u = Unbalanced::build_scaled(&d, 0.8, 1, Scale::Unit).unwrap();
    let cfg = StepsConfig {
        mechanism,
        sampler: TimeSampler::Uniform,
        draw: TimeDraw::Stratified,
        steps: budget,
        batch: 32,
        hidden: 128,
        skip: true,
        optimiser: Optimiser { lr, ..Optimiser::default() },
        seed: 1,
        replica: 0,
    };
    let net = train_steps(&u, &cfg).unwrap();
    let s = Sampling { mechanism, solver, steps };
    let g = generate(&net, &s, 12, (1, 0), Purpose::DigitsGenerate);
    for row in 0..8 {
        let mut line = String::new();
        for img in 0..12 {
            for c in 0..8 {
                let v = g[img * 64 + row * 8 + c] * 8.0 + 8.0;
                line.push(match v { v if v < 2.0 => ' ', v if v < 6.0 => '.', v if v < 10.0 => 'o', v if v < 14.0 => 'O', _ => '#' });
            }
            line.push('|');
        }
        println!("{line}");
    }
    let mean_abs: f32 = g.iter().map(|v| v.abs()).sum::<f32>() / g.len() as f32;
    let max = g.iter().cloned().fold(0f32, f32::max);
    println!("mean |x| {mean_abs:.3}, max {max:.3}");
}
