use phaseflow::flow::Endpoint;
use phaseflow::model::fit::FullBatch;
use phaseflow::model::run::KModeRun;
use phaseflow::schedule::ScheduleSpec;
use phaseflow::target::{KMode, Target};
use phaseflow::rng::{stream, Purpose};
fn main() {
    let args: Vec<f64> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (d, n, k, lam, iters) = (args[0] as usize, args[1] as usize, args[2] as usize, args[3], args[4] as u64);
    let t = KMode::simplex(d, vec![0.5, 0.3, 0.2], 1.0).unwrap();
    let s = ScheduleSpec::dilated(2.0).build(d).unwrap();
    let e = t.euler(s.as_ref(), &s.grid(k), Endpoint::End).unwrap();
    println!("bayes {:?} var {:?} num {}", e.p_hat, e.var_perp, e.numerical);
    let run = KModeRun { n, steps: k, noise_draws: 1, generated: 8192, engine: FullBatch { lambda_u: lam, lambda_w: lam, tol_grad: 1e-7, max_iters: iters }, endpoint: Endpoint::End };
    let st = std::time::Instant::now();
    let data = t.sample(n, &mut stream(0, 0, Purpose::TargetData, 0));
    let fits = run.train(&t, s.as_ref(), &data, (0, 0, 0));
    let grid = s.grid(k);
    let means = t.isotropic().means();
    for (f, &tt) in fits.iter().zip(&grid) {
        let o = f.model.overlaps(&means);
        let bp = t.isotropic().bayes_params(s.alpha(tt), s.beta(tt));
        println!("t={tt:.2} it {} grad {:.1e} stop {:?} c {:.3}/{:.3} b {:?} bayes b {:?} m00 {:.3}/{:.3} om {:.2?} bayes om00 {:.2}", f.iterations, f.grad_norm, f.stop, o.c, bp.c,
          o.b.iter().map(|v| (v*100.0).round()/100.0).collect::<Vec<_>>(), bp.b.iter().map(|v| (v*100.0).round()/100.0).collect::<Vec<_>>(), o.m[0][0], bp.m[0][0], o.omega.iter().map(|r| r[0]).collect::<Vec<_>>(), bp.omega[0][0]);
    }
    let models: Vec<_> = fits.iter().map(|f| f.model.clone()).collect();
    let g = run.generate(&t, s.as_ref(), &models, (0,0,0));
    println!("p̂ {:?} var {:?} tf {:?}", g.0, g.1, data.class_fractions(3));
    println!("{:.2} s", st.elapsed().as_secs_f64());
}
