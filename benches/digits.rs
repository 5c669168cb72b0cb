//! `digits`: one training epoch of the digits velocity MLP (222 images, batch 32, 7 Adam
//! steps) at hidden widths 64, 128 and 256, and the generation of 1 000 samples with 50 Euler
//! steps (issue 8). Throughput is in images per epoch and in network evaluations.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phaseflow::digits::data::{Digits, Unbalanced, default_path};
use phaseflow::digits::flow::generate_images;
use phaseflow::digits::net::{Adam, Mlp};
use phaseflow::digits::train::{DigitsTrainConfig, TimeSampler, train_epoch};
use phaseflow::rng::Purpose;
use std::hint::black_box;

fn digits(c: &mut Criterion) {
    let d = Digits::load(&default_path()).unwrap();
    let u = Unbalanced::build(&d, 0.8, 1).unwrap();
    let mut group = c.benchmark_group("digits");
    group.sample_size(20);
    for &h in &[64usize, 128, 256] {
        let mut cfg = DigitsTrainConfig::new(TimeSampler::Uniform, 1, 1, 0);
        cfg.hidden = h;
        let mut net = Mlp::new(h, 1, 0);
        let mut adam = Adam::new(net.len(), cfg.lr);
        group.throughput(Throughput::Elements(u.len() as u64));
        group.bench_function(format!("epoch_h{h}"), |b| {
            b.iter(|| black_box(train_epoch(&u, &cfg, 0, &mut net, &mut adam)))
        });
    }
    let net = Mlp::new(128, 1, 0);
    group.throughput(Throughput::Elements(1000 * 50));
    group.bench_function("generate_h128_n1000_k50", |b| {
        b.iter(|| {
            black_box(generate_images(
                &net,
                1000,
                50,
                (1, 0),
                Purpose::DigitsGenerate,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, digits);
criterion_main!(benches);
