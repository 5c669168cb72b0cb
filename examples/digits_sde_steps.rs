//! Does the generated class ratio move with the number of reverse-SDE steps? Trains the
//! uniform DDPM-VP model of `phaseflow digits compare` (defaults) at one budget for a few
//! seeds and prints q̂ with 100, 250 and 1 000 Euler–Maruyama steps (same generation
//! streams, so the comparison is paired).
//!
//! `cargo run --release --example digits_sde_steps -- [BUDGET] [SEEDS] [N]`
use phaseflow::digits::compare::{classifier, share_zero_with};
use phaseflow::digits::curve::CurveConfig;
use phaseflow::digits::data::{Digits, Unbalanced, default_path};
use phaseflow::digits::flow::generate;
use phaseflow::digits::mechanism::Sampling;
use phaseflow::digits::train::{StepsConfig, TimeSampler, train_steps};
use phaseflow::rng::Purpose;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: usize| a.get(i).map_or(d, |s| s.parse().expect("a number"));
    let (budget, seeds, n) = (arg(1, 1600), arg(2, 4), arg(3, 1000));
    let cfg = CurveConfig::default();
    let d = Digits::load(&default_path()).expect("data");
    let u = Unbalanced::build_scaled(&d, cfg.share, cfg.seed, cfg.scale).expect("set");
    let clf = classifier(&d, cfg.seed).fitted.classifier;
    println!("q = {:.4}; budget {budget}, N = {n}", u.share_zero());
    println!("seed   q̂(100)  q̂(250)  q̂(1000)");
    for r in 0..seeds as u64 {
        let sc = StepsConfig {
            mechanism: cfg.mechanism,
            sampler: TimeSampler::Uniform,
            draw: cfg.draw,
            steps: budget,
            batch: cfg.batch,
            hidden: cfg.hidden,
            skip: cfg.skip,
            optimiser: cfg.optimiser,
            seed: cfg.seed,
            replica: r,
        };
        let net = train_steps(&u, &sc).expect("training");
        let q: Vec<f64> = [100, 250, 1000]
            .iter()
            .map(|&steps| {
                let s = Sampling {
                    steps,
                    ..cfg.sampling()
                };
                let g = generate(&net, &s, n, (cfg.seed, r), Purpose::DigitsGenerate);
                share_zero_with(&g, &u, &clf, cfg.clamp)
            })
            .collect();
        println!("{r:>4}   {:.4}  {:.4}  {:.4}", q[0], q[1], q[2]);
    }
}
