//! `sgd_epoch`: one full-batch epoch of the reference sgd engine at d = 1000, n = 128,
//! K = 40 (issue 2). Throughput is reported in elements = n·d·K, so criterion's
//! "time per element" is the cost per (sample × dimension × time step).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phaseflow::mixture::Mixture;
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::{Dilated, Schedule};
use phaseflow::train::sgd::Sgd;
use phaseflow::train::{Engine, Problem};
use std::hint::black_box;

fn sgd_epoch(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgd_epoch");
    group.sample_size(20);
    for &(d, n, k) in &[(250usize, 128usize, 40usize), (1000, 128, 40)] {
        let mixture = Mixture::ones(0.8, 1.0, d).unwrap();
        let data = mixture.sample(n, &mut stream(0, 0, Purpose::Data, 0));
        let schedule = Dilated::new(2.0, d).unwrap();
        let grid = schedule.grid(k);
        let problem = Problem {
            schedule: &schedule,
            grid: &grid,
            data: &data,
            lambda_u: 0.01,
            lambda_w: 0.01,
            seed: 0,
            replica: 0,
        };
        // Ten epochs per iteration amortise the per-step initialisation (2·d normals).
        let epochs = 10;
        let engine = Sgd { epochs, lr: 0.01 };
        group.throughput(Throughput::Elements((n * d * k * epochs) as u64));
        group.bench_function(format!("f64_d{d}_n{n}_K{k}_x{epochs}epochs"), |b| {
            b.iter(|| black_box(engine.train(&problem).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, sgd_epoch);
criterion_main!(benches);
