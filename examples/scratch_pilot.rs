// Scratch exploration (not committed): conditional residuals of the finite-n theory.
use phaseflow::harness::{run_replicas, Experiment, Preset};
use phaseflow::theory::bayes::p_from_bias;
use phaseflow::theory::finite_n::Kinematics;
use phaseflow::theory::{FiniteN, Noise};

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (s / n).sqrt())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ds: Vec<usize> = args[1].split(',').map(|s| s.parse().unwrap()).collect();
    let r: usize = args[2].parse().unwrap();
    let seed: u64 = args[3].parse().unwrap();
    let n: usize = args.get(4).map_or(256, |s| s.parse().unwrap());
    let k: usize = args.get(5).map_or(20, |s| s.parse().unwrap());
    for &d in &ds {
        let mut train = Preset::Quick.experiment().train.with_sizes(d, n, k);
        train.seed = seed;
        let exp = Experiment {
            name: "x".into(),
            train,
            replicas: r,
            alpha: 0.01,
            families: vec![],
        };
        let v = exp.validate().unwrap();
        let ids: Vec<u64> = (0..r as u64).collect();
        let outs = run_replicas(&v, &ids, &indicatif::ProgressBar::hidden()).unwrap();
        let pr = &v.config.problem;
        let s = v.schedule.as_ref();
        let f = FiniteN {
            n,
            lambda_u: pr.lambda_u,
            lambda_w: pr.lambda_w,
            noise: Noise::Fresh,
        };
        let (p, s2) = (pr.p, pr.sigma2);
        let phase1: Vec<usize> = (0..k)
            .filter(|&i| outs[0].steps[i].t > 0.0 && outs[0].steps[i].t < 1.0)
            .collect();
        // conditional residuals
        let mut res_b = vec![vec![]; k];
        let mut res_w = vec![vec![]; k];
        let mut res_m = vec![vec![]; k];
        let mut res_pw = vec![];
        let mut pw_meas = vec![];
        let mut nplus_f = vec![];
        for o in &outs {
            let np = (o.train_plus_fraction * n as f64).round() as usize;
            nplus_f.push(o.train_plus_fraction);
            let mut pw_pred = 0.0;
            let mut pw_m = 0.0;
            for &i in &phase1 {
                let t = o.steps[i].t;
                let kin = Kinematics::finite_d(s.alpha(t), s.beta(t), d, s2);
                let sol = f.phase1_conditional_k(np, s2, kin).prediction;
                let ov = &o.steps[i].overlaps;
                res_b[i].push(ov.b - sol.b.unwrap());
                res_w[i].push(ov.omega - sol.omega.unwrap());
                res_m[i].push(ov.m - sol.m.unwrap());
                pw_pred += p_from_bias(sol.b.unwrap());
                pw_m += o.steps[i].p_hat_w;
            }
            pw_pred /= phase1.len() as f64;
            pw_m /= phase1.len() as f64;
            res_pw.push(pw_m - pw_pred);
            pw_meas.push(pw_m);
        }
        println!("== d = {d}, R = {r}, seed {seed}, n = {n}, K = {k}");
        for &i in &phase1 {
            let t = outs[0].steps[i].t;
            let (bm, bs) = mean_se(&res_b[i]);
            let (wm, ws) = mean_se(&res_w[i]);
            let (mm, ms) = mean_se(&res_m[i]);
            let beta = s.beta(t);
            let v = s.alpha(t).powi(2) + beta * beta * s2;
            println!(
                "t={t:.2} cond res b {bm:+.5}±{bs:.5}  omega {wm:+.5}±{ws:.5}  m {mm:+.5}±{ms:.5} (cβ {:.5})",
                beta * beta * s2 / v
            );
        }
        let (a, b) = mean_se(&res_pw);
        let (pm, ps) = mean_se(&pw_meas);
        let (fm, fs) = mean_se(&nplus_f);
        // unconditional binomial average of p_from_bias
        let mut pw_unc = 0.0;
        let mut jensen_free = 0.0;
        for &i in &phase1 {
            let t = outs[0].steps[i].t;
            let kin = Kinematics::finite_d(s.alpha(t), s.beta(t), d, s2);
            let mut acc = 0.0;
            let mut wsum = 0.0;
            for np in 1..n {
                let w = binom(n, np, p);
                if w < 1e-15 {
                    continue;
                }
                let sol = f.phase1_conditional_k(np, s2, kin).prediction;
                acc += w * p_from_bias(sol.b.unwrap());
                wsum += w;
            }
            pw_unc += acc / wsum;
            let avg = f.predict_averaged_at(p, s2, s.alpha(t), s.beta(t), d, true);
            jensen_free += p_from_bias(avg.b.unwrap());
        }
        pw_unc /= phase1.len() as f64;
        jensen_free /= phase1.len() as f64;
        println!(
            "p_w cond residual {a:+.5}±{b:.5}; p_w {pm:.5}±{ps:.5} pred(E p_from_bias) {pw_unc:.5} pred(p_from_bias(E b)) {jensen_free:.5}; train frac {fm:.5}±{fs:.5}"
        );
        // var perp with An closed form c
        let a_n = (1.0 + s2) - (n as f64 + s2) / (n as f64 + pr.lambda_u);
        let grid = s.grid(k);
        let mut vp = 1.0;
        let mut vpb = 1.0;
        for (i, &t) in grid.iter().enumerate() {
            let dt = grid.get(i + 1).copied().unwrap_or(s.t_end()) - t;
            let (al, be) = (s.alpha(t), s.beta(t));
            let (ad, bd) = (s.alpha_dot(t), s.beta_dot(t));
            let (aa, g) = (ad / al, bd - ad * be / al);
            let c = be * a_n / (al * al + be * be * a_n);
            let cb = be * s2 / (al * al + be * be * s2);
            let x = 1.0 + dt * (aa + g * c);
            vp *= x * x;
            let x = 1.0 + dt * (aa + g * cb);
            vpb *= x * x;
        }
        let vps: Vec<f64> = outs.iter().map(|o| o.generated.var_perp.unwrap()).collect();
        let (vm, vs) = mean_se(&vps);
        println!(
            "var_perp {vm:.5}±{vs:.5} pred An {vp:.5} ({:+.2} SE) bayes {vpb:.5}",
            (vm - vp) / vs
        );
        let ph: Vec<f64> = outs.iter().map(|o| o.generated.p_hat).collect();
        let (hm, hs) = mean_se(&ph);
        let diff: Vec<f64> = outs
            .iter()
            .map(|o| o.generated.p_hat - o.train_plus_fraction)
            .collect();
        let (dm, dse) = mean_se(&diff);
        println!("p_hat {hm:.5}±{hs:.5}; p_hat - train frac {dm:+.5}±{dse:.5}");
        // phase 2 c residuals
        for i in 0..k {
            let t = outs[0].steps[i].t;
            if t < 1.0 {
                continue;
            }
            let pr2 = f.phase2_ab(s2, s.alpha(t), s.beta(t));
            let cs: Vec<f64> = outs.iter().map(|o| o.steps[i].overlaps.c - pr2.c.unwrap()).collect();
            let ms: Vec<f64> = outs.iter().map(|o| o.steps[i].overlaps.m - pr2.m.unwrap()).collect();
            let (cm, cse) = mean_se(&cs);
            let (mm, mse) = mean_se(&ms);
            println!("t={t:.2} c res {cm:+.6}±{cse:.6} ({:+.2}) m res {mm:+.5}±{mse:.5}", cm / cse);
        }
    }
}

fn binom(n: usize, k: usize, p: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    let (nf, kf) = (n as f64, k as f64);
    (ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0)
        + kf * p.ln()
        + (nf - kf) * (1.0 - p).ln())
    .exp()
}
