//! `harness_quick`: the full quick preset with R = 32 replicas on the averaged engine
//! (issue 5): wall time of training, generation, aggregation and checks. Replicas per second
//! = 32 / time.

use criterion::{Criterion, criterion_group, criterion_main};
use phaseflow::harness::{self, Preset};
use std::hint::black_box;

fn harness_quick(c: &mut Criterion) {
    let mut exp = Preset::Quick.experiment();
    exp.replicas = 32;
    let mut group = c.benchmark_group("harness");
    group.sample_size(10);
    group.bench_function("quick_preset_R32_averaged", |b| {
        b.iter(|| black_box(harness::run(&exp, true).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, harness_quick);
criterion_main!(benches);
