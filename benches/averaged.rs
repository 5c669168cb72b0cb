//! Benches of the averaged engine (issue 4), grouped by topic and parameterised by size.
//!
//! * `converge`: one full model at d = 1000, n = 128, K = 40 (averaged engine, to convergence),
//!   and the sgd engine's cost per epoch of one grid time on the same data; the sgd time to
//!   its noise floor is epochs × K × (time per epoch) / cores (printed; see docs/performance.md).
//! * `iteration`: one reduced objective + gradient evaluation (≈ one L-BFGS iteration) after
//!   the Gram matrix, n = 128, d = 1e3, 1e4, 1e5: flat in d.
//! * `full_model`: d = 100 000, n = 256, K = 40, including the Gram matrix.
//!
//! `cargo bench --bench averaged -- --quick` for a short run.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use phaseflow::mixture::{Dataset, Mixture};
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::{Schedule, ScheduleSpec};
use phaseflow::train::averaged::Averaged;
use phaseflow::train::averaged::objective::{StepObjective, StepScalars};
use phaseflow::train::averaged::span::Span;
use phaseflow::train::sgd::Sgd;
use phaseflow::train::{Engine, Problem};
use std::hint::black_box;
use std::time::Duration;

fn setup(d: usize, n: usize) -> (Dataset, Box<dyn Schedule>) {
    let mix = Mixture::ones(0.8, 1.0, d).unwrap();
    let data = mix.sample(n, &mut stream(1, 0, Purpose::Data, 0));
    (data, ScheduleSpec::dilated(2.0).build(d).unwrap())
}

fn problem<'a>(s: &'a dyn Schedule, grid: &'a [f64], data: &'a Dataset) -> Problem<'a> {
    Problem {
        schedule: s,
        grid,
        data,
        lambda_u: 0.01,
        lambda_w: 0.01,
        seed: 1,
        replica: 0,
    }
}

fn converge(c: &mut Criterion) {
    let mut g = c.benchmark_group("converge");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let (data, s) = setup(1000, 128);
    let grid = s.grid(40);
    g.bench_function("averaged_d1000_n128_k40", |b| {
        b.iter(|| black_box(Averaged::default().train(&problem(s.as_ref(), &grid, &data))))
    });
    // sgd: 100 epochs of the single grid time t = 1 (end of phase 1); per-epoch cost is the
    // same at every grid time.
    let one = [1.0];
    g.bench_function("sgd_100_epochs_one_step_d1000_n128", |b| {
        b.iter(|| {
            black_box(
                Sgd {
                    epochs: 100,
                    lr: 0.01,
                    ..Sgd::default()
                }
                .train(&problem(s.as_ref(), &one, &data)),
            )
        })
    });
    g.finish();
}

fn iteration(c: &mut Criterion) {
    let mut g = c.benchmark_group("iteration");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    let n = 128;
    for d in [1_000usize, 10_000, 100_000] {
        let (data, s) = setup(d, n);
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
        let obj = StepObjective::fresh(sc, x1, span.r());
        let w: Vec<f64> = (0..span.r()).map(|k| 0.01 * ((k as f64).sin())).collect();
        g.bench_with_input(BenchmarkId::new("reduced_eval_n128", d), &d, |b, _| {
            b.iter(|| black_box(obj.reduced(black_box(&w), 0.3)))
        });
    }
    g.finish();
}

fn full_model(c: &mut Criterion) {
    let mut g = c.benchmark_group("full_model");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let (data, s) = setup(100_000, 256);
    let grid = s.grid(40);
    g.bench_function("averaged_d100000_n256_k40_with_gram", |b| {
        b.iter(|| black_box(Averaged::default().train(&problem(s.as_ref(), &grid, &data))))
    });
    g.bench_function("gram_only_d100000_n256", |b| {
        b.iter(|| black_box(Span::new(&data.x, 256, 100_000)))
    });
    g.finish();
}

criterion_group!(benches, converge, iteration, full_model);
criterion_main!(benches);
