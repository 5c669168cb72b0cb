//! Calibration of the averaged engine's time constants in `src/budget.rs` (issue 24):
//! the CPU time of one reduced objective + gradient evaluation at m = n = 32, 128, 512
//! (d = 1000, so r = m), fitted as c·m·(r + Q), and of the Gram matrix / span build at
//! d = 100 000, n = 256, per m²·d.
//!
//! `cargo run --release --example budget_calibration` (single thread; prints the numbers).

use phaseflow::mixture::Mixture;
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::ScheduleSpec;
use phaseflow::train::averaged::objective::{StepObjective, StepScalars};
use phaseflow::train::averaged::span::Span;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    for n in [32usize, 128, 512] {
        let d = 1000;
        let mix = Mixture::ones(0.8, 1.0, d).unwrap();
        let data = mix.sample(n, &mut stream(1, 0, Purpose::Data, 0));
        let s = ScheduleSpec::dilated(2.0).build(d).unwrap();
        let span = Span::new(&data.x, n, d);
        let t = 0.8;
        let sc = StepScalars {
            alpha: s.alpha(t),
            beta: s.beta(t),
            d: d as f64,
            lambda_u: 0.01,
            lambda_w: 0.01,
        };
        let x1: Vec<f64> = (0..n).flat_map(|i| span.coord(i).to_vec()).collect();
        let r = span.r();
        let obj = StepObjective::fresh(sc, x1, r);
        let w: Vec<f64> = (0..r).map(|k| 0.01 * ((k as f64).sin())).collect();
        let reps = (2_000_000 / (n * r)).max(20);
        let start = Instant::now();
        for _ in 0..reps {
            black_box(obj.reduced(black_box(&w), 0.3));
        }
        let per = start.elapsed().as_secs_f64() / reps as f64;
        println!(
            "eval n = m = {n}, r = {r}: {:.1} µs per evaluation, {:.2} ns per m·r",
            per * 1e6,
            per / (n * r) as f64 * 1e9
        );
    }
    let (n, d) = (256usize, 100_000usize);
    let mix = Mixture::ones(0.8, 1.0, d).unwrap();
    let data = mix.sample(n, &mut stream(1, 0, Purpose::Data, 0));
    let start = Instant::now();
    let span = Span::new(&data.x, n, d);
    black_box(span.r());
    let per = start.elapsed().as_secs_f64();
    println!(
        "span n = {n}, d = {d}: {:.2} s, {:.3} ns per m²·d",
        per,
        per / (n * n * d) as f64 * 1e9
    );
}
