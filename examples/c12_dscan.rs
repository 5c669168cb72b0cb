//! A trained k = 3 d-scan (issue 26; a probe, not a claim): at fixed n, softmax networks
//! trained as in claim C12 (K = 10, λ_u = λ_w = 128/n, L-BFGS cap 3000, one fixed noise draw)
//! on the dilated schedule (κ = 2) at each d and on the linear schedule at the largest d.
//! Statistic D = p̂_0 − p̂_2 of the control-variate p̂_i − (f_i − p_i) (C12's estimator),
//! against each schedule's Bayes exact Euler D at that d; the replica spread and CPU time
//! per replica are printed beside it. Streams: (seed 0, replica, Target*, 256 + cell), cells
//! in the order (dilated, d) for each d, then (linear, largest d).
//!
//! ```sh
//! cargo run --release --example c12_dscan -- N REPLICAS D [D …]
//! ```
//! `C12_DSCAN_LAMBDA=0.1` replaces the ridge rule by a fixed λ.
use phaseflow::flow::Endpoint;
use phaseflow::model::fit::FullBatch;
use phaseflow::model::run::KModeRun;
use phaseflow::schedule::ScheduleSpec;
use phaseflow::target::{KMode, Target};
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a[1].parse().unwrap();
    let r: u64 = a[2].parse().unwrap();
    let ds: Vec<usize> = a[3..].iter().map(|s| s.parse().unwrap()).collect();
    let p = [0.5, 0.3, 0.2];
    // λ = 128/n as in C12's ladder, or LAMBDA from the environment (C12_DSCAN_LAMBDA).
    let lambda = std::env::var("C12_DSCAN_LAMBDA")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128.0 / n as f64);
    let mut cells: Vec<(bool, usize)> = ds.iter().map(|&d| (true, d)).collect();
    cells.push((false, *ds.last().unwrap()));
    for (j, &(dilated, d)) in cells.iter().enumerate() {
        let target = KMode::simplex(d, p.to_vec(), 1.0).unwrap();
        let spec = if dilated {
            ScheduleSpec::dilated(2.0)
        } else {
            ScheduleSpec::linear()
        };
        let s = spec.build(d).unwrap();
        let th = target
            .euler(s.as_ref(), &s.grid(10), Endpoint::End)
            .unwrap();
        let cfg = KModeRun {
            n,
            steps: 10,
            noise_draws: 1,
            generated: 8192,
            engine: FullBatch {
                lambda_u: lambda,
                lambda_w: lambda,
                max_iters: 3000,
                ..FullBatch::default()
            },
            endpoint: Endpoint::End,
        };
        let t0 = Instant::now();
        let mut v = Vec::new();
        let mut unconv = 0;
        let mut iters = 0;
        for rep in 0..r {
            let o = cfg.run(&target, s.as_ref(), (0, rep, 256 + j as u64));
            let cv: Vec<f64> = (0..3)
                .map(|i| o.p_hat[i] - (o.train_fractions[i] - p[i]))
                .collect();
            v.push(cv[0] - cv[2]);
            unconv += o.unconverged.len();
            iters += o.iterations;
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        let se = sd / (v.len() as f64).sqrt();
        let e = th.p_hat[0] - th.p_hat[2];
        println!(
            "{} d = {d}: D {m:.4} ± {se:.4} (sd {sd:.3}) vs exact Euler {e:.4} ({:+.1} SE); \
             Euler p̂ {:.4} {:.4} {:.4}; {:.2} s/replica, {iters} iterations, {unconv} unconverged steps",
            if dilated { "dilated" } else { "linear " },
            (m - e) / se,
            th.p_hat[0],
            th.p_hat[1],
            th.p_hat[2],
            t0.elapsed().as_secs_f64() / r as f64
        );
    }
}
