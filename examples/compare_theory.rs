//! |measured − prediction|/SE of every overlap at every grid time of a run report, for the
//! reduced theory (`theory::reduced`, what the overlap checks use) and for §5.3 with
//! finite-d kinematics (`Theory::finite_n_at_d`, what they used before).
//!
//! ```sh
//! phaseflow run --preset quick --json --quiet > q.json
//! cargo run --release --example compare_theory -- q.json
//! ```
//!
//! Prints one Markdown table per report: rows are grid times, columns the six overlaps, each
//! cell `z_reduced (z_§5.3)` with z = (measured − prediction)/SE ("—" where the theory has no
//! value), then the median and maximum |z| per column, then phase-2 m in full.

use phaseflow::harness::RunReport;
use phaseflow::harness::families::theory_for;
use phaseflow::theory::Prediction;

fn get(p: &Prediction, q: &str) -> Option<f64> {
    match q {
        "c" => p.c,
        "m" => p.m,
        "omega" => p.omega,
        "b" => p.b,
        "sqrt_q" => p.sqrt_q,
        _ => p.sqrt_r,
    }
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let qs = ["c", "m", "omega", "b", "sqrt_q", "sqrt_r"];
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).expect("readable report");
        let rep: RunReport = serde_json::from_str(&text).expect("a run report");
        let exp = rep.config.clone();
        let c = &exp.train.problem;
        let th = theory_for(&exp, c.p, c.sigma2, 1.0).expect("theory");
        let ts: Vec<f64> = rep.aggregate.steps.iter().map(|s| s.t).collect();
        let red = th.reduced_at(&ts);
        println!(
            "\n### {} (d = {}, n = {}, K = {}, R = {}, λ_u = {}, λ_w = {})\n",
            exp.name, c.d, c.n, c.steps, exp.replicas, c.lambda_u, c.lambda_w
        );
        println!("| t | {} |", qs.join(" | "));
        println!(
            "|---|{}|",
            qs.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        let mut zs_new: Vec<Vec<f64>> = vec![Vec::new(); qs.len()];
        let mut zs_old: Vec<Vec<f64>> = vec![Vec::new(); qs.len()];
        let mut m_lines = Vec::new();
        for (s, rp) in rep.aggregate.steps.iter().zip(&red) {
            if s.t == 0.0 {
                continue;
            }
            let old = th.finite_n_at_d(s.t);
            let mut cells = Vec::new();
            for (j, q) in qs.iter().enumerate() {
                let est = match *q {
                    "c" => s.c,
                    "m" => s.m,
                    "omega" => s.omega,
                    "b" => s.b,
                    "sqrt_q" => s.sqrt_q,
                    _ => s.sqrt_r,
                };
                let z = |p: Option<f64>| p.map(|p| (est.point - p) / est.se);
                let zn = rp.as_ref().and_then(|p| z(get(p, q)));
                let zo = old.as_ref().and_then(|p| z(get(p, q)));
                if let Some(v) = zn {
                    zs_new[j].push(v.abs());
                }
                if let Some(v) = zo {
                    zs_old[j].push(v.abs());
                }
                let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:+.1}"));
                cells.push(format!("{} ({})", f(zn), f(zo)));
            }
            println!("| {:.3} | {} |", s.t, cells.join(" | "));
            if s.t > 1.0 {
                let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.5}"));
                m_lines.push(format!(
                    "t = {:.3}: m = {:.5} ± {:.5}  reduced {} ({:+.1} SE)  §5.3 {}  max distance {:?}",
                    s.t,
                    s.m.point,
                    s.m.se,
                    f(rp.as_ref().and_then(|p| p.m)),
                    rp.as_ref()
                        .and_then(|p| p.m)
                        .map_or(f64::NAN, |p| (s.m.point - p) / s.m.se),
                    f(old.as_ref().and_then(|p| p.m)),
                    s.max_distance
                ));
            }
        }
        let summary = |zs: &mut Vec<Vec<f64>>| {
            zs.iter_mut()
                .map(|v| {
                    let mx = v.iter().copied().fold(f64::NAN, f64::max);
                    format!("{:.1} / {:.1}", median(v), mx)
                })
                .collect::<Vec<_>>()
                .join(" | ")
        };
        println!("| median / max, reduced | {} |", summary(&mut zs_new));
        println!("| median / max, §5.3 | {} |", summary(&mut zs_old));
        println!("\nphase-2 m:\n{}", m_lines.join("\n"));
    }
}
