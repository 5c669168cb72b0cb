//! Diagnose C12's var⊥ gap: train the k = 3 softmax networks of claim C12 at several ridges
//! λ and n, and compare per grid time the fitted c_k with the Bayes c_k, the var⊥ implied by
//! the fitted c_k alone (s0²·Π(1 + Δt(a + g·c_k))²) with the generated var⊥, and |W| with
//! the Bayes |W|.
//!
//! ```sh
//! cargo run --release --example c12_var_perp -- D REPLICAS LAMBDA fixed|scaled N [N …]
//! ```
//! `fixed`: λ_u = λ_w = LAMBDA at every n; `scaled`: LAMBDA·128/n. Streams (seed 0, replica,
//! Target*, rung 9), apart from claim C12's.
use phaseflow::flow::{Endpoint, VelocityCoef};
use phaseflow::model::SoftmaxModel;
use phaseflow::model::fit::FullBatch;
use phaseflow::model::run::KModeRun;
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::ScheduleSpec;
use phaseflow::target::{KMode, Target};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let d: usize = a[1].parse().unwrap();
    let r: u64 = a[2].parse().unwrap();
    let lambda: f64 = a[3].parse().unwrap();
    let scale_n = a.get(4).is_some_and(|s| s == "scaled");
    let ns: Vec<usize> = a[5..].iter().map(|s| s.parse().unwrap()).collect();
    let k = 10;
    let target = KMode::simplex(d, vec![0.5, 0.3, 0.2], 1.0).unwrap();
    let spec = ScheduleSpec::dilated(2.0);
    let s = spec.build(d).unwrap();
    let grid = s.grid(k);
    let theory = target.euler(s.as_ref(), &grid, Endpoint::End).unwrap();
    println!(
        "theory var_perp {:.5} p {:?}",
        theory.var_perp.unwrap(),
        theory.p_hat
    );
    let mut dts: Vec<f64> = grid.windows(2).map(|w| w[1] - w[0]).collect();
    dts.push(s.t_end() - grid[k - 1]);
    let s0 = s.alpha(grid[0]);
    for &n in &ns {
        let lam = if scale_n {
            lambda * 128.0 / n as f64
        } else {
            lambda
        };
        let cfg = KModeRun {
            n,
            steps: k,
            noise_draws: 1,
            generated: 8192,
            engine: FullBatch {
                lambda_u: lam,
                lambda_w: lam,
                ..FullBatch::default()
            },
            endpoint: Endpoint::End,
        };
        let mut dc = vec![0.0; k];
        let mut wr = vec![0.0; k];
        let mut vp_c = 0.0;
        let mut vp_gen = [0.0; 3];
        let mut iters = 0;
        let mut unconv = 0;
        for rep in 0..r {
            let data = target.sample(n, &mut stream(0, rep, Purpose::TargetData, 9));
            let fits = cfg.train(&target, s.as_ref(), &data, (0, rep, 9));
            let models: Vec<SoftmaxModel> = fits.iter().map(|f| f.model.clone()).collect();
            let (_p, vp) = cfg.generate(&target, s.as_ref(), &models, (0, rep, 9));
            let mut prod = 1.0;
            for (j, f) in fits.iter().enumerate() {
                let t = grid[j];
                let (al, be) = (s.alpha(t), s.beta(t));
                let bayes = SoftmaxModel::bayes(target.isotropic(), al, be);
                dc[j] += (f.model.c() - bayes.c()) / r as f64;
                let nw = |m: &SoftmaxModel| {
                    (0..3)
                        .map(|i| m.w(i).iter().map(|v| v * v).sum::<f64>())
                        .sum::<f64>()
                        .sqrt()
                };
                wr[j] += nw(&f.model) / nw(&bayes) / r as f64;
                let vc = VelocityCoef::at(s.as_ref(), t);
                prod *= (1.0 + dts[j] * (vc.a + vc.g * f.model.c())).powi(2);
                iters += f.iterations;
                if f.stop != phaseflow::model::fit::Stop::Converged {
                    unconv += 1;
                }
            }
            vp_c += s0 * s0 * prod / r as f64;
            for (g, v) in vp_gen.iter_mut().zip(&vp) {
                *g += v / r as f64;
            }
        }
        println!(
            "n {n} lambda {lam:.4}: var_perp from c_k {vp_c:.5}, generated {:.5} {:.5} {:.5}; iters {iters} unconv {unconv}",
            vp_gen[0], vp_gen[1], vp_gen[2]
        );
        println!(
            "  t     {:?}",
            grid.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>()
        );
        println!(
            "  dc    {:?}",
            dc.iter().map(|v| format!("{v:+.4}")).collect::<Vec<_>>()
        );
        println!(
            "  |W|/B {:?}",
            wr.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>()
        );
    }
}
