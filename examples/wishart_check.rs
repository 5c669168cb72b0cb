//! Validate the second-order Wishart correction ([`phaseflow::theory::wishart`]) against the
//! measured (engine − one-atom-per-sample) difference of `examples/decompose_bias.rs`.
//!
//! ```sh
//! cargo run --release --example wishart_check -- SEED D REPLICAS [t …]   # PF_N=n optional
//! ```
//! Rebuilds each replica's training set from its stream (as `decompose_bias` does, no
//! training), solves the mean-Gram problem with one atom per sample and prints, per replica
//! and t, the correction Δ(h) of (c, m, ω, b, √q, √r) in the canonical sign
//! (`r=… t=… delta=[…]`), then the theory's own correction (pseudo-samples at n₊ = round(np))
//! per t (`theory t=… delta=[…]`) and its change when the finite-difference steps are halved
//! (`step-halving change=[…]`, `step-doubling change=[…]`: the differences' numerical error). Join with
//! `decompose_bias`' output by (r, t). `PF_NO_DELTA=1` skips the per-replica corrections.

use phaseflow::harness::Preset;
use phaseflow::rng::{Purpose, stream};
use phaseflow::theory::reduced::{self, Atoms, StepKin, initial_point, minimise};
use phaseflow::theory::{FiniteN, Noise, wishart};
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed: u64 = args.first().map_or(0, |s| s.parse().unwrap());
    let d: usize = args.get(1).map_or(1000, |s| s.parse().unwrap());
    let reps: u64 = args.get(2).map_or(48, |s| s.parse().unwrap());
    let mut ts: Vec<f64> = args[3.min(args.len())..]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    if ts.is_empty() {
        ts = vec![1.3, 1.5, 1.9];
    }
    let mut exp = Preset::Quick.experiment();
    exp.train.seed = seed;
    exp.train.problem.d = d;
    if let Ok(n) = std::env::var("PF_N") {
        exp.train.problem.n = n.parse().expect("PF_N: an integer");
    }
    let pr = exp.train.problem.clone();
    let v = exp.train.validate().expect("valid");
    let kin = |t: f64| StepKin {
        alpha: v.schedule.alpha(t),
        beta: v.schedule.beta(t),
        d: d as f64,
        sigma2: pr.sigma2,
        lambda_u: pr.lambda_u,
        lambda_w: pr.lambda_w,
    };
    let f = FiniteN {
        n: pr.n,
        lambda_u: pr.lambda_u,
        lambda_w: pr.lambda_w,
        noise: Noise::Fresh,
    };
    let np = ((pr.n as f64 * pr.p).round() as usize).clamp(1, pr.n - 1);
    for &t in &ts {
        let k = kin(t);
        let rule = reduced::binomial_rule(pr.n, pr.p);
        let base = reduced::averaged_with(&f, &rule, pr.sigma2, k.alpha, k.beta, d);
        println!("base t={t} {base:?}");
        let t0 = std::time::Instant::now();
        let class = reduced::conditional(&f, np as f64, pr.sigma2, k.alpha, k.beta, d, None)
            .expect("class solution");
        let dl = wishart::for_class(&k, np, pr.n - np, &class);
        println!(
            "theory t={t} n+={np} delta={dl:?} ({:.2} s, {} evaluations)",
            t0.elapsed().as_secs_f64(),
            wishart::EVALS.swap(0, std::sync::atomic::Ordering::Relaxed)
        );
        // The differences' numerical error: the same correction with steps half and twice
        // as large.
        for (what, f) in [("halving", 0.5), ("doubling", 2.0)] {
            let other =
                wishart::for_class_with_steps(&k, np, pr.n - np, &class, wishart::FD_SD * f);
            if let (Some(a), Some(b)) = (dl, other) {
                let diff: Vec<String> = a
                    .iter()
                    .zip(&b)
                    .map(|(x, y)| format!("{:.2e}", x - y))
                    .collect();
                println!("theory t={t} step-{what} change=[{}]", diff.join(", "));
            }
        }
    }
    let lines: Vec<String> = (0..reps)
        .into_par_iter()
        .map(|r| {
            let mu = v.mixture.mu();
            let data = v
                .mixture
                .sample(pr.n, &mut stream(seed, r, Purpose::Data, 0));
            let h: Vec<f64> = (0..pr.n)
                .map(|i| data.row(i).iter().zip(mu).map(|(a, b)| a * b).sum::<f64>() / d as f64)
                .collect();
            let at = Atoms::samples(&h);
            let mut out = String::new();
            for &t in &ts {
                let k = kin(t);
                let sb = minimise(&k, &at, initial_point(&k, &at));
                let p = sb.prediction;
                let bv =
                    [p.c, p.m, p.omega, p.b, p.sqrt_q, p.sqrt_r].map(|v| v.unwrap_or(f64::NAN));
                if std::env::var_os("PF_NO_DELTA").is_some() {
                    out += &format!("r={r} t={t} b={bv:?}\n");
                    continue;
                }
                let dl = wishart::correction(&k, &h, &sb.x)
                    .expect("correction")
                    .canonical();
                out += &format!("r={r} t={t} delta={dl:?} b={bv:?} stop={:?}\n", sb.stop);
            }
            out
        })
        .collect();
    for l in lines {
        print!("{l}");
    }
}
