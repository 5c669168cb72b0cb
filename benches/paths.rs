//! One averaged-engine model on each of the follow-up paper's paths (issue 12), d = 10⁴,
//! n = 256, K = 50, σ² = 0.25, the paper's schedules (ve ∘ dilated-end k = 3, vp ∘ dilated
//! k = 5) and constant speed on ve, whose |x_t|² ~ d² is the conditioning risk: the cost per
//! model should match the linear path's at the same sizes (`linear_dilated`).
//!
//! `cargo bench --bench paths -- --quick` for a short run.

use criterion::{Criterion, criterion_group, criterion_main};
use phaseflow::mixture::Mixture;
use phaseflow::path::PathSpec;
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::ScheduleSpec;
use phaseflow::train::averaged::Averaged;
use phaseflow::train::{Engine, Problem};
use std::hint::black_box;
use std::time::Duration;

fn models(c: &mut Criterion) {
    let (d, n, k) = (10_000, 256, 50);
    let mut g = c.benchmark_group("averaged_d10000_n256_k50");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let mix = Mixture::ones(0.8, 0.25, d).unwrap();
    let data = mix.sample(n, &mut stream(1, 0, Purpose::Data, 0));
    for (name, path, warp) in [
        (
            "ve_dilated_end_k3",
            PathSpec::ve(),
            ScheduleSpec::dilated_end(3.0),
        ),
        ("vp_dilated_k5", PathSpec::vp(), ScheduleSpec::dilated(5.0)),
        ("ve_linear", PathSpec::ve(), ScheduleSpec::linear()),
        (
            "linear_dilated",
            PathSpec::linear(),
            ScheduleSpec::dilated(2.0),
        ),
    ] {
        let s = warp.build_on(&path, d).unwrap();
        let grid = s.grid(k);
        let problem = Problem {
            schedule: s.as_ref(),
            grid: &grid,
            data: &data,
            lambda_u: 0.01,
            lambda_w: 0.01,
            seed: 1,
            replica: 0,
        };
        g.bench_function(name, |b| {
            b.iter(|| black_box(Averaged::default().train(&problem)))
        });
    }
    g.finish();
}

criterion_group!(benches, models);
criterion_main!(benches);
