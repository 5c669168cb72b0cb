//! Decompose (measured − reduced theory) of the quick preset per replica into
//! (a) − (b): the engine on the real data vs the reduced objective with one atom per real
//!     sample (`Atoms::samples` of that replica's h_i): the orthogonal Gram block's
//!     (Wishart) fluctuation;
//! (b) − (c): one atom per sample vs the class-averaged theory at the replica's n₊
//!     (`Atoms::classes`): the ζ class-average approximation;
//! (c) − theory: the replica's n₊ vs the binomial average (mean zero over replicas up to
//!     the binomial rule's error).
//!
//! ```sh
//! cargo run --release --example decompose_bias -- SEED D REPLICAS [t …]
//! ```
//! Prints per replica and t the six overlaps of (a), (b), (c), then a table of mean
//! differences and their SE over replicas, in absolute units and in units of the SE of (a)
//! over the replicas (the run's SE).

use phaseflow::harness::Preset;
use phaseflow::harness::families::theory_for;
use phaseflow::rng::{Purpose, stream};
use phaseflow::theory::reduced::{self, Atoms, StepKin, initial_point, minimise};
use phaseflow::theory::{FiniteN, Noise, Prediction};

fn vals(p: &Prediction) -> [f64; 6] {
    [p.c, p.m, p.omega, p.b, p.sqrt_q, p.sqrt_r].map(|v| v.unwrap_or(f64::NAN))
}

const NAMES: [&str; 6] = ["c", "m", "omega", "b", "sqrt_q", "sqrt_r"];

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// (d) numerics of the class-averaged theory at n₊ = 205 and of the binomial average:
/// ζ nodes 12 vs 24 vs 48, binomial Gauss rule vs the exact sum, tanh_moments at the
/// amplitude of t = 1.9 against a brute-force trapezoid.
fn numerics(d: usize, ts: &[f64]) {
    let mut exp = Preset::Quick.experiment();
    exp.train.problem.d = d;
    let pr = exp.train.problem.clone();
    let v = exp.train.validate().expect("valid");
    let f = FiniteN {
        n: pr.n,
        lambda_u: pr.lambda_u,
        lambda_w: pr.lambda_w,
        noise: Noise::Fresh,
    };
    for &t in ts {
        let (al, be) = (v.schedule.alpha(t), v.schedule.beta(t));
        let kin = StepKin {
            alpha: al,
            beta: be,
            d: d as f64,
            sigma2: pr.sigma2,
            lambda_u: pr.lambda_u,
            lambda_w: pr.lambda_w,
        };
        let mut base = None;
        for q in [12usize, 24, 48] {
            let at = Atoms::classes_nodes(205.0, 51.0, pr.sigma2, d as f64, q);
            let s = minimise(&kin, &at, initial_point(&kin, &at));
            let x = vals(&s.prediction);
            let b0 = *base.get_or_insert(x);
            println!(
                "t={t} zeta nodes {q}: {x:?} diff vs 12: {:?} stop {:?} step {:.1e}",
                std::array::from_fn::<f64, 6, _>(|i| x[i] - b0[i]),
                s.stop,
                s.step_norm
            );
            if q == 12 {
                let amp = al * x[5];
                let bb = x[2] * be * (d as f64).sqrt() + x[3];
                let m = phaseflow::quadrature::tanh_moments(amp, bb);
                let nn = 200_000;
                let hstep = 24.0 / nn as f64;
                let (mut b1, mut b2) = (0.0, 0.0);
                for i in 0..=nn {
                    let g = -12.0 + i as f64 * hstep;
                    let w =
                        if i == 0 || i == nn { 0.5 } else { 1.0 } * hstep * (-0.5 * g * g).exp()
                            / (2.0 * std::f64::consts::PI).sqrt();
                    let th = (amp * g + bb).tanh();
                    b1 += w * th;
                    b2 += w * th * th;
                }
                println!(
                    "t={t} tanh_moments(A={amp:.3e}, B={bb:.3}): M1 err {:.1e}, M2 err {:.1e}",
                    m.m1 - b1,
                    m.m2 - b2
                );
            }
        }
        // The class average by a deterministic stratified "sample": n₊ = 205, n₋ = 51 atoms
        // of weight 1 at the normal quantiles (k + ½)/n_s: no sampling fluctuation of ζ,
        // quadrature error O(1/n_s²) — checks the 12-node solve on its own.
        {
            use statrs::distribution::{ContinuousCDF, Normal};
            let nd = Normal::new(0.0, 1.0).unwrap();
            let sc = (pr.sigma2 / d as f64).sqrt();
            let mut h = Vec::new();
            for (s, ns) in [(1.0, 205usize), (-1.0, 51)] {
                for k in 0..ns {
                    h.push(s + sc * nd.inverse_cdf((k as f64 + 0.5) / ns as f64));
                }
            }
            let at = Atoms::samples(&h);
            let sq = minimise(&kin, &at, initial_point(&kin, &at));
            println!(
                "t={t} quantile atoms (256 of weight 1): {:?} stop {:?}",
                vals(&sq.prediction),
                sq.stop
            );
        }
        let rule = reduced::binomial_rule(pr.n, pr.p);
        let exact = reduced::binomial_rule_nodes(pr.n, pr.p, 1, usize::MAX);
        let a = reduced::averaged_with(&f, &rule, pr.sigma2, al, be, d).unwrap();
        let e = reduced::averaged_with(&f, &exact, pr.sigma2, al, be, d).unwrap();
        let (a, e) = (vals(&a), vals(&e));
        println!(
            "t={t} binomial 8-node rule − exact sum ({} terms): {:?}",
            exact.len(),
            std::array::from_fn::<f64, 6, _>(|i| a[i] - e[i])
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("numerics") {
        let d = args.get(1).map_or(1000, |s| s.parse().unwrap());
        let ts: Vec<f64> = args[2.min(args.len())..]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        numerics(d, &ts);
        return;
    }
    let seed: u64 = args.first().map_or(0, |s| s.parse().unwrap());
    let d: usize = args.get(1).map_or(1000, |s| s.parse().unwrap());
    let reps: u64 = args.get(2).map_or(48, |s| s.parse().unwrap());
    let mut ts: Vec<f64> = args[3.min(args.len())..]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    if ts.is_empty() {
        ts = vec![1.3, 1.4, 1.5, 1.9];
    }
    let mut exp = Preset::Quick.experiment();
    exp.train.seed = seed;
    exp.train.problem.d = d;
    if let Ok(n) = std::env::var("PF_N") {
        exp.train.problem.n = n.parse().expect("PF_N: an integer");
    }
    let pr = exp.train.problem.clone();
    let v = exp.train.validate().expect("valid");
    let grid = v.schedule.grid(pr.steps);
    let ks: Vec<usize> = ts
        .iter()
        .map(|t| {
            grid.iter()
                .position(|g| (g - t).abs() < 1e-9)
                .expect("grid time")
        })
        .collect();
    let th = theory_for(&exp, pr.p, pr.sigma2, 1.0).expect("theory");
    let theo = th.reduced_at(&ts);
    let f = FiniteN {
        n: pr.n,
        lambda_u: pr.lambda_u,
        lambda_w: pr.lambda_w,
        noise: Noise::Fresh,
    };
    // per t: per replica [a, b, c] × 6
    let mut rows: Vec<Vec<[[f64; 6]; 3]>> = vec![Vec::new(); ts.len()];
    for r in 0..reps {
        let (trained, _) = v.train(r).expect("train");
        let mu = v.mixture.mu();
        let data = v
            .mixture
            .sample(pr.n, &mut stream(seed, r, Purpose::Data, 0));
        let h: Vec<f64> = (0..pr.n)
            .map(|i| data.row(i).iter().zip(mu).map(|(a, b)| a * b).sum::<f64>() / d as f64)
            .collect();
        let np = data.s.iter().filter(|&&s| s > 0.0).count() as f64;
        let at = Atoms::samples(&h);
        for (j, (&t, &k)) in ts.iter().zip(&ks).enumerate() {
            let a = trained.denoiser.steps[k].overlaps(mu);
            let a = [a.c, a.m, a.omega, a.b, a.sqrt_q, a.sqrt_r];
            let (al, be) = (v.schedule.alpha(t), v.schedule.beta(t));
            let kin = StepKin {
                alpha: al,
                beta: be,
                d: d as f64,
                sigma2: pr.sigma2,
                lambda_u: pr.lambda_u,
                lambda_w: pr.lambda_w,
            };
            let sb = minimise(&kin, &at, initial_point(&kin, &at));
            assert!(
                matches!(sb.stop, reduced::ReducedStop::Converged { .. }),
                "samples: {:?}",
                sb.stop
            );
            let sc = reduced::conditional(&f, np, pr.sigma2, al, be, d, None).unwrap();
            let (b, c) = (vals(&sb.prediction), vals(&sc.prediction));
            println!(
                "r={r} t={t} n+={np} a={a:?} b={b:?} c={c:?} rec={:?}",
                trained.records[k].stop
            );
            rows[j].push([a, b, c]);
        }
    }
    println!(
        "\n| t | q | (a) mean ± SE | theory | a−theory (z) | a−b (z) | b−c (z) | c−theory (z) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (j, &t) in ts.iter().enumerate() {
        let tv = theo[j].map(|p| vals(&p)).unwrap_or([f64::NAN; 6]);
        for q in 0..6 {
            let col = |i: usize| rows[j].iter().map(|r| r[i][q]).collect::<Vec<_>>();
            let (a, b, c) = (col(0), col(1), col(2));
            let (ma, sa) = mean_se(&a);
            let diff = |x: &[f64], y: &[f64]| -> (f64, f64) {
                mean_se(&x.iter().zip(y).map(|(p, q)| p - q).collect::<Vec<_>>())
            };
            let (ab, ab_se) = diff(&a, &b);
            let (bc, bc_se) = diff(&b, &c);
            let (mc, _) = mean_se(&c);
            let (_, c_se) = mean_se(&c);
            println!(
                "| {t} | {} | {ma:.7} ± {sa:.2e} | {:.7} | {:+.2e} ({:+.2}) | {ab:+.2e}±{ab_se:.1e} ({:+.2}) | {bc:+.2e}±{bc_se:.1e} ({:+.2}) | {:+.2e}±{c_se:.1e} ({:+.2}) |",
                NAMES[q],
                tv[q],
                ma - tv[q],
                (ma - tv[q]) / sa,
                ab / sa,
                bc / sa,
                mc - tv[q],
                (mc - tv[q]) / sa
            );
        }
    }
}
