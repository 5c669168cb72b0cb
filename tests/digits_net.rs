//! The velocity MLP: hand-written gradient against central finite differences, and
//! training that is bit-identical for any thread count and seed-determined.

use phaseflow::digits::data::{Digits, PIXELS, Unbalanced, default_path};
use phaseflow::digits::net::Mlp;
use phaseflow::digits::train::{DigitsTrainConfig, TimeSampler, train};
use phaseflow::rng::{Purpose, stream};
use rand::Rng;
use rand_distr::StandardNormal;

/// Backprop against central differences at the parameters `ks` on a batch of `b` random
/// (t, x, y) from test stream `seed`; returns how many were checked.
/// Central differences in f32 with h = 1e-2: truncation O(h²·L''') plus round-off
/// ≈ ε_f32·L/h ≈ 1e-5; declared tolerance 2 % relative + 1e-3·max|g| absolute.
fn check_gradient(net: &Mlp, b: usize, seed: u64, ks: impl Iterator<Item = usize>) -> usize {
    let mut rng = stream(seed, 0, Purpose::Test, 0);
    let t: Vec<f32> = (0..b).map(|_| rng.random()).collect();
    let x: Vec<f32> = (0..b * PIXELS)
        .map(|_| rng.sample(StandardNormal))
        .collect();
    let y: Vec<f32> = (0..b * PIXELS)
        .map(|_| rng.sample(StandardNormal))
        .collect();
    let (_, g) = net.batch_grad(&t, &x, &y);
    let gmax = g.iter().fold(0f32, |m, v| m.max(v.abs()));
    let h = 1e-2f32;
    let mut checked = 0;
    for k in ks {
        let mut p = net.clone();
        p.params[k] += h;
        let (lp, _) = p.batch_grad(&t, &x, &y);
        p.params[k] -= 2.0 * h;
        let (lm, _) = p.batch_grad(&t, &x, &y);
        let fd = (lp - lm) / (2.0 * h);
        let tol = 0.02 * g[k].abs() + 1e-3 * gmax;
        assert!(
            (fd - g[k]).abs() <= tol,
            "param {k}: backprop {} vs fd {fd} (tol {tol}), B={b} seed={seed}",
            g[k]
        );
        checked += 1;
    }
    checked
}

#[test]
fn gradient_matches_finite_differences() {
    let net = Mlp::new(16, 3, 0);
    // Every 17th parameter covers all six blocks (sizes are not multiples of 17).
    assert!(check_gradient(&net, 5, 3, (0..net.len()).step_by(17)) > 50);
}

fn small_run(threads: usize, seed: u64) -> Vec<f32> {
    let d = Digits::load(&default_path()).unwrap();
    let u = Unbalanced::build(&d, 0.8, 1).unwrap();
    let mut cfg = DigitsTrainConfig::new(TimeSampler::window(0.05, 0.3, 0.5).unwrap(), 3, seed, 0);
    cfg.hidden = 32;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| train(&u, &cfg, |_, _, _| {}).unwrap().params)
}

#[test]
fn training_is_identical_across_thread_counts_and_seeded() {
    let a = small_run(1, 5);
    let b = small_run(3, 5);
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_ne!(a, small_run(1, 6), "another seed must give another network");
}

#[test]
fn rejects_bad_config() {
    let d = Digits::load(&default_path()).unwrap();
    let u = Unbalanced::build(&d, 0.8, 1).unwrap();
    let mut cfg = DigitsTrainConfig::new(TimeSampler::Uniform, 0, 1, 0);
    assert!(train(&u, &cfg, |_, _, _| {}).is_err());
    cfg.epochs = 1;
    cfg.lr = -1.0;
    assert!(train(&u, &cfg, |_, _, _| {}).is_err());
}

#[test]
fn skip_gradient_matches_finite_differences() {
    // The 64 skip parameters (after the MLP's) with a nonzero value so the forward uses them.
    let mut net = Mlp::new(16, 4, 0).with_skip();
    assert!(net.has_skip());
    let base = net.len() - PIXELS;
    for j in 0..PIXELS {
        net.params[base + j] = 0.01 * j as f32;
    }
    // every 3rd of the 64: 22 parameters
    assert_eq!(check_gradient(&net, 4, 4, (base..net.len()).step_by(3)), 22);
}
