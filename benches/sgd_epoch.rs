//! `sgd_epoch` (issues 2, 16): full-batch epochs of the reference sgd engine, and the two
//! floors an epoch stands on: the rate of normal draws and the machine's memory bandwidth.
//!
//! * `sgd_epoch/*`: ten epochs at (d, n, K) = (250, 128, 40), (1000, 128, 40) and
//!   (5000, 128, 80) in f64 and f32. Throughput is in elements = n·d·K·epochs, so
//!   criterion's time per element is the cost per (sample × dimension × time step). rayon
//!   uses every core (set `RAYON_NUM_THREADS=1` for one core's cost).
//! * `normal/*`: 4096 draws per iteration from the lane-parallel Box–Muller stream
//!   (`rng::normal`, f64 and f32) and from `rand_distr::StandardNormal` (ziggurat).
//! * `bandwidth/*`: the sum of a 256 MiB f64 buffer (read bandwidth from memory) and of a
//!   64 KiB one (L2); elements are bytes.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phaseflow::mixture::Mixture;
use phaseflow::rng::normal::Normals;
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::{Dilated, Schedule};
use phaseflow::train::sgd::{Precision, Sgd};
use phaseflow::train::{Engine, Problem};
use rand::Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;

fn sgd_epoch(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgd_epoch");
    group.sample_size(10);
    for &(d, n, k) in &[
        (250usize, 128usize, 40usize),
        (1000, 128, 40),
        (5000, 128, 80),
    ] {
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
        group.throughput(Throughput::Elements((n * d * k * epochs) as u64));
        for (name, precision) in [("f64", Precision::F64), ("f32", Precision::F32)] {
            let engine = Sgd {
                epochs,
                precision,
                ..Sgd::default()
            };
            group.bench_function(format!("{name}_d{d}_n{n}_K{k}_x{epochs}epochs"), |b| {
                b.iter(|| black_box(engine.train(&problem).unwrap()))
            });
        }
    }
    group.finish();
}

fn normal(c: &mut Criterion) {
    const N: usize = 4096;
    let mut group = c.benchmark_group("normal");
    group.throughput(Throughput::Elements(N as u64));
    let mut out64 = vec![0.0f64; N];
    let mut out32 = vec![0.0f32; N];
    let mut g64 = Normals::<f64>::new(1, 0, Purpose::Noise, 0);
    group.bench_function("box_muller_lanes_f64", |b| {
        b.iter(|| {
            g64.fill(&mut out64);
            black_box(&out64);
        })
    });
    let mut g32 = Normals::<f32>::new(1, 0, Purpose::Noise, 0);
    group.bench_function("box_muller_lanes_f32", |b| {
        b.iter(|| {
            g32.fill(&mut out32);
            black_box(&out32);
        })
    });
    let mut rng = stream(1, 0, Purpose::Noise, 0);
    group.bench_function("ziggurat_f64", |b| {
        b.iter(|| {
            for v in &mut out64 {
                *v = rng.sample(StandardNormal);
            }
            black_box(&out64);
        })
    });
    group.bench_function("ziggurat_f32", |b| {
        b.iter(|| {
            for v in &mut out32 {
                *v = rng.sample(StandardNormal);
            }
            black_box(&out32);
        })
    });
    group.finish();
}

fn bandwidth(c: &mut Criterion) {
    let mut group = c.benchmark_group("bandwidth");
    group.sample_size(10);
    for (name, bytes) in [("read_256MiB", 256usize << 20), ("read_64KiB", 64 << 10)] {
        let buf = vec![1.0f64; bytes / 8];
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                // Eight independent partial sums so that the adds are not the bound.
                let mut acc = [0.0f64; 8];
                for chunk in buf.chunks_exact(8) {
                    for l in 0..8 {
                        acc[l] += chunk[l];
                    }
                }
                black_box(acc)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sgd_epoch, normal, bandwidth);
criterion_main!(benches);
