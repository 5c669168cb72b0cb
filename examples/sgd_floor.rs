//! The floors under one sgd epoch element (issue 16), on this machine, in one process:
//! the cost of one standard normal draw (lane-parallel Box–Muller of `rng::normal` in f32
//! and f64, `rand_distr::StandardNormal`'s ziggurat in f32 and f64) and the memory read
//! bandwidth (one thread streaming a 256 MiB buffer). Draw costs are thread CPU time per
//! draw (robust to other load); bandwidth is wall time (needs an idle machine).
//!
//! `cargo run --release --example sgd_floor`
//! (`cargo bench --bench sgd_epoch -- 'normal|bandwidth'` measures the same with criterion.)

use phaseflow::rng::normal::Normals;
use phaseflow::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;
use std::time::Instant;

#[cfg(unix)]
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[cfg(not(unix))]
fn thread_cpu_seconds() -> f64 {
    // No portable thread clock in std: wall time instead.
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Median over 5 rounds of the CPU nanoseconds per draw of `fill(buf)` repeated.
fn per_draw(mut fill: impl FnMut()) -> f64 {
    const ROUNDS: usize = 5;
    const REPS: usize = 2000;
    let mut v: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let t = thread_cpu_seconds();
            for _ in 0..REPS {
                fill();
            }
            (thread_cpu_seconds() - t) * 1e9 / (REPS * 4096) as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[ROUNDS / 2]
}

fn main() {
    let mut o64 = vec![0f64; 4096];
    let mut o32 = vec![0f32; 4096];
    let mut g64 = Normals::<f64>::new(1, 0, Purpose::Noise, 0);
    let mut g32 = Normals::<f32>::new(1, 0, Purpose::Noise, 0);
    let mut r = stream(1, 0, Purpose::Noise, 0);
    println!("normal draws, thread CPU ns per draw (median of 5 rounds of 8.2e6 draws):");
    let bm32 = per_draw(|| {
        g32.fill(&mut o32);
        black_box(&o32);
    });
    println!("  Box–Muller lanes, f32 (rng::normal)   {bm32:.3}");
    let bm64 = per_draw(|| {
        g64.fill(&mut o64);
        black_box(&o64);
    });
    println!("  Box–Muller lanes, f64 (rng::normal)   {bm64:.3}");
    let z32 = per_draw(|| {
        for v in &mut o32 {
            *v = r.sample(StandardNormal);
        }
        black_box(&o32);
    });
    println!("  ziggurat, f32 (rand_distr)            {z32:.3}");
    let z64 = per_draw(|| {
        for v in &mut o64 {
            *v = r.sample(StandardNormal);
        }
        black_box(&o64);
    });
    println!("  ziggurat, f64 (rand_distr)            {z64:.3}");

    let buf = vec![1.0f64; (256 << 20) / 8];
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let mut acc = [0.0f64; 8];
        for chunk in buf.chunks_exact(8) {
            for l in 0..8 {
                acc[l] += chunk[l];
            }
        }
        black_box(acc);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let gib_s = 256.0 / 1024.0 / best;
    println!(
        "memory read bandwidth, one thread, 256 MiB (best of 5, wall): {gib_s:.1} GiB/s \
         = {:.3} ns per f32, {:.3} ns per f64",
        4.0 / (gib_s * 1.073_741_824),
        8.0 / (gib_s * 1.073_741_824)
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
