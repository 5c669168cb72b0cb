//! The terminal tables: what every subcommand prints on stdout without `--json`.

use super::{
    Figures, Reporter, delta_over_se_cell, delta_over_se_summary, describe, escape, escape_text,
    source, verdict,
};
use crate::claims::{ReproduceReport, Reproduction};
use crate::detect::DetectOutput;
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::harness::RunReport;
use crate::harness::sweep::SweepReport;
use crate::stats::Estimate;
use crate::theory::{FiniteN, Prediction, TheoryReport};
use std::fmt::Write;
use std::path::Path;

/// The terminal tables on stdout.
pub struct Terminal;

impl Reporter for Terminal {
    fn train(&self, out: &TrainOutput, _dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&train_table(out)));
        Ok(())
    }
    fn theory(&self, report: &TheoryReport, _dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&theory_table(report)));
        Ok(())
    }
    fn detect(&self, out: &DetectOutput, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&detect_summary(out)));
        if let Some(dir) = dir {
            println!("wrote {}", escape(&dir.display().to_string()));
        }
        Ok(())
    }
    fn run(&self, report: &RunReport, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&run_table(report)));
        if let Some(dir) = dir {
            println!("report written to {}", escape(&dir.display().to_string()));
        }
        Ok(())
    }
    fn sweep(&self, report: &SweepReport, _f: &Figures, _dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&sweep_table(report)));
        Ok(())
    }
    fn reproduce(&self, r: &Reproduction, dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&reproduce_table(&r.report)));
        if let Some(dir) = dir {
            println!(
                "report, figures and JSON written to {}",
                escape(&dir.display().to_string())
            );
        }
        Ok(())
    }
}

/// `dilated κ=2, p=0.8, σ²=1, d=1000`: the head of every problem's table.
fn mixture_line(schedule: &str, p: f64, sigma2: f64, d: usize) -> String {
    use crate::problem::Num;
    format!("{schedule}, p={}, σ²={}, d={d}", Num(p), Num(sigma2))
}

/// `OK: 45/45 checks passed, 9/9 negative controls failed as they must`, with `sep` after
/// the verdict word.
pub(crate) fn summary_line(m: &crate::harness::Summary, sep: &str) -> String {
    format!(
        "{}{sep}{}/{} checks passed{} {}/{} negative controls failed as they must",
        if m.ok { "OK" } else { "NOT OK" },
        m.passed,
        m.checks,
        if sep == ": " { "," } else { ";" },
        m.negative_controls_failed,
        m.negative_controls
    )
}

/// `3 of 40 trained steps stopped before their convergence criterion (…)`.
pub(crate) fn cap_line(capped: usize, of: usize, e: &crate::train::EngineConfig) -> String {
    let cap = match e {
        crate::train::EngineConfig::Averaged(a) => format!(" (--max-iters {})", a.max_iters),
        _ => String::new(),
    };
    format!(
        "{capped} of {of} trained steps stopped before their convergence criterion (iteration cap{cap}, or short of the certified distance)"
    )
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.4}"))
}

/// A readable table of a training run.
pub fn train_table(out: &TrainOutput) -> String {
    let mut s = String::new();
    let c = &out.config;
    let p = &c.problem;
    let _ = writeln!(
        s,
        "phaseflow train: {}, n={}, K={}, engine {}, noise {:?}, seed {}",
        mixture_line(&p.schedule.label_on(&p.path), p.p, p.sigma2, p.d),
        p.n,
        p.steps,
        c.engine.title(),
        c.engine.noise(),
        c.seed
    );
    let _ = writeln!(
        s,
        "{:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "t", "tau", "c", "m", "omega", "b", "sqrt_q", "sqrt_r", "loss"
    );
    for st in &out.steps {
        let o = &st.overlaps;
        let _ = writeln!(
            s,
            "{:>7.4} {:>9.5} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>10.5}{}",
            st.t,
            st.tau,
            o.c,
            o.m,
            o.omega,
            o.b,
            o.sqrt_q,
            o.sqrt_r,
            st.loss,
            if st.converged == Some(false) {
                "  ← iteration cap"
            } else {
                ""
            }
        );
    }
    let capped = out
        .steps
        .iter()
        .filter(|st| st.converged == Some(false))
        .count();
    if capped > 0 {
        let _ = writeln!(s, "{}", cap_line(capped, out.steps.len(), &c.engine));
    }
    let g = &out.generated;
    let _ = writeln!(
        s,
        "generated ({} samples, {:?}): p̂ = {:.4} ± {:.4} (p = {}), var⊥ = {} (σ² = {}); training set + fraction {:.4}",
        g.n_gen,
        c.integrator,
        g.p_hat,
        g.p_hat_se,
        p.p,
        fmt_opt(g.var_perp),
        p.sigma2,
        out.train_plus_fraction
    );
    s
}

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{x:.4}"))
}

fn cells(p: Option<&Prediction>, keys: &[fn(&Prediction) -> Option<f64>]) -> String {
    keys.iter()
        .map(|k| format!("{:>8}", cell(p.and_then(k))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A readable table of a theory document.
pub fn theory_table(r: &TheoryReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let fin = c.n.map_or_else(String::new, |n| {
        format!(
            ", n={n}, λ_u={}, λ_w={}, noise {:?}",
            c.lambda_u, c.lambda_w, c.noise
        )
    });
    let _ = writeln!(
        s,
        "phaseflow theory: {}, K={}{fin}  (— = diverges / not predicted)",
        mixture_line(&c.schedule.label_on(&c.path), c.p, c.sigma2, c.d),
        c.steps
    );
    let keys: [fn(&Prediction) -> Option<f64>; 5] =
        [|p| p.c, |p| p.m, |p| p.omega, |p| p.b, |p| p.mse];
    let head = |tag: &str| {
        ["c", "m", "omega", "b", "mse"]
            .iter()
            .map(|k| format!("{:>8}", format!("{tag}{k}")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let has_fin = r.steps.iter().any(|st| st.finite_n.is_some());
    let has_red = r.steps.iter().any(|st| st.reduced.is_some());
    let opt_head = |on: bool, tag: &str| {
        if on {
            format!(" | {}", head(tag))
        } else {
            String::new()
        }
    };
    let _ = writeln!(
        s,
        "{:>6} {:>8} | {} | {}{}{}",
        "t",
        "tau",
        head("B."),
        head("L."),
        opt_head(has_fin, "N."),
        opt_head(has_red, "R.")
    );
    for st in &r.steps {
        let opt = |on: bool, p: Option<&Prediction>| {
            if on {
                format!(" | {}", cells(p, &keys))
            } else {
                String::new()
            }
        };
        let _ = writeln!(
            s,
            "{:>6.3} {:>8.5} | {} | {}{}{}",
            st.t,
            st.tau,
            cells(Some(&st.bayes), &keys),
            cells(st.limit.as_ref(), &keys),
            opt(has_fin, st.finite_n.as_ref()),
            opt(has_red, st.reduced.as_ref())
        );
    }
    let _ = writeln!(
        s,
        "B. = Bayes at this d (§5.1, §5.5); L. = d → ∞ (§5.2); N. = finite n (§5.3, binomial average)"
    );
    if has_red {
        let _ = writeln!(
            s,
            "R. = reduced theory at this d and n (theory::reduced: R_k minimised with per-sample projections, binomial average)"
        );
    }
    if let (true, Some(n)) = (has_fin, c.n) {
        let f = FiniteN {
            n,
            lambda_u: c.lambda_u,
            lambda_w: c.lambda_w,
            noise: c.noise,
        };
        let _ = writeln!(
            s,
            "N. phase 1 averages over 1 ≤ n₊ ≤ n − 1 (excluded one-sign probability {:.3e})",
            f.one_sign_mass(c.p)
        );
    }
    let _ = match &r.generated_euler {
        Some(g) => writeln!(
            s,
            "generated by Euler with the Bayes denoiser (§5.4): p̂ = {:.6} (p = {}), var⊥ = {} (σ² = {})",
            g.p_hat,
            c.p,
            cell(g.var_perp),
            c.sigma2
        ),
        None => writeln!(
            s,
            "generated by Euler (§5.4): not predicted (an Euler step overshoots τ = 1)"
        ),
    };
    s
}

/// A summary of a detection: the window and the phase-aware schedule.
pub fn detect_summary(out: &DetectOutput) -> String {
    let mut s = String::new();
    let c = &out.config;
    let p = &c.train.problem;
    let w = &out.window;
    let sched = p.schedule().ok();
    let sd = (p.d as f64).sqrt();
    let tau_sd = |t: f64| sched.as_ref().map_or(f64::NAN, |sc| sc.tau(t) * sd);
    let _ = writeln!(
        s,
        "phaseflow detect: {:?} profile, {:?} denoiser, {}, K={}",
        c.profile,
        c.denoiser,
        mixture_line(
            &format!("{} schedule", p.schedule.name_on(&p.path)),
            p.p,
            p.sigma2,
            p.d
        ),
        p.steps
    );
    let _ = writeln!(
        s,
        "window: centre t = {:.5} ± {:.5} (τ·√d = {:.3}), width {:.5} ± {:.5}, τ from {:.3}/√d to {:.3}/√d (10 %–90 %), jump {:.4} ± {:.4}, grid resolution {:.2e}",
        w.centre,
        w.centre_se,
        tau_sd(w.centre),
        w.width,
        w.width_se,
        tau_sd(w.t10),
        tau_sd(w.t90),
        w.jump,
        w.jump_se,
        w.resolution
    );
    let tw = out.schedule.tau_window;
    let _ = writeln!(
        s,
        "phase-aware schedule: τ ∈ [{:.5}, {:.5}] gets {:.0} % of the grid; knots {:?}",
        tw.0,
        tw.1,
        100.0 * out.schedule.share,
        out.schedule.knots
    );
    let ch = &out.channel;
    let t = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.5}"));
    let _ = writeln!(
        s,
        "class channel (SPEC §10): a² at 90/50/10 % of the fall: MSE excess = SDE U-turn {:.3}/{:.3}/{:.3}, ODE U-turn {:.3}/{:.3}/{:.3}; τ₅₀ ratio (d → ∞) {:.4}; t₅₀ here: MSE excess {}, SDE U-turn {}, ODE U-turn {}; sum rule 2H(p) = {:.6} nats",
        ch.a2_mse_excess[0],
        ch.a2_mse_excess[1],
        ch.a2_mse_excess[2],
        ch.a2_ode_uturn[0],
        ch.a2_ode_uturn[1],
        ch.a2_ode_uturn[2],
        ch.tau50_ratio_limit,
        t(ch.t50_mse_excess),
        t(ch.t50_sde_uturn),
        t(ch.t50_ode_uturn),
        ch.two_entropy
    );
    let _ = writeln!(
        s,
        "time-sampling density p(τ) (draw τ = its inverse CDF at U ~ Uniform(0, 1)):"
    );
    for line in out.density.table().lines() {
        let _ = writeln!(s, "  {line}");
    }
    s
}

/// One line per check: `name [low point high] theory value (source) ±δ verdict t vs crit`.
pub fn run_table(r: &RunReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(s, "phaseflow run '{}': {}", escape(&c.name), describe(c));
    let _ = writeln!(
        s,
        "{:<28} {:>30} {:>10} {:<16} {:>9} {:>6} {:>7} {:>6}  verdict",
        "check", "measured [low point high]", "theory", "(source)", "δ", "δ/SE", "t", "crit"
    );
    for ch in &r.checks {
        let _ = writeln!(
            s,
            "{:<28} [{:>9.5} {:>9.5} {:>9.5}] {:>10.5} {:<16} {:>9.2e} {:>6} {:>7.2} {:>6.2}  {}",
            ch.name,
            ch.ci[0],
            ch.measured,
            ch.ci[1],
            ch.prediction,
            format!("({})", source(ch)),
            ch.allowance,
            delta_over_se_cell(ch),
            ch.statistic,
            ch.critical,
            verdict(ch)
        );
    }
    let a = &r.aggregate;
    let pm = |e: Option<Estimate>| {
        e.map_or_else(
            || "n/a".to_string(),
            |e| format!("{:.4} ± {:.4}", e.point, e.se),
        )
    };
    let _ = writeln!(
        s,
        "estimates (SPEC §5.7): p from samples {} | from phase-1 weights {} | training sets {};  σ² from samples (var⊥) {} | from phase-2 weights {}",
        pm(Some(a.p_hat)),
        pm(a.p_hat_w),
        pm(Some(a.train_plus_fraction)),
        pm(a.var_perp),
        pm(a.sigma2_w)
    );
    if r.summary.at_iteration_cap > 0 {
        let of = a.replicas * a.steps.len();
        let _ = writeln!(
            s,
            "NOT CONVERGED: {}; an unconverged model supports no verdict, so the run fails: {}{}",
            cap_line(r.summary.at_iteration_cap, of, &c.train.engine),
            r.summary.unconverged.join(", "),
            if r.summary.unconverged.len() < r.summary.at_iteration_cap {
                ", …"
            } else {
                ""
            }
        );
    }
    if !r.summary.theory_uncertified.is_empty() {
        let _ = writeln!(
            s,
            "THEORY NOT CERTIFIED: an uncertified prediction supports no verdict, so the run fails: {}",
            r.summary.theory_uncertified.join(", ")
        );
    }
    let _ = writeln!(s, "{}", summary_line(&r.summary, ": "));
    s
}

/// The claims table for the terminal.
pub fn reproduce_table(r: &ReproduceReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "phaseflow reproduce ({:?} tier, seed {}, α = {} over all checks: primary tests and diagnostics, Holm within each)",
        r.tier, r.seed, r.alpha
    );
    if let Some(p) = &r.perturbation {
        let _ = writeln!(s, "PERTURBED: `{p}` ({})", super::perturbation_side(p));
    }
    let w = r
        .claims
        .iter()
        .map(|c| c.title.chars().count())
        .max()
        .unwrap_or(5);
    let _ = writeln!(
        s,
        "{:<4} {:<w$} {:>9} {:>10} {:>17}  verdict",
        "id", "claim", "checks", "controls", "δ/SE median/max"
    );
    for c in &r.claims {
        let real: Vec<_> = c
            .checks
            .iter()
            .filter(|x| x.negative_control.is_none())
            .collect();
        let ctl: Vec<_> = c
            .checks
            .iter()
            .filter(|x| x.negative_control.is_some())
            .collect();
        let pad = w.saturating_sub(c.title.chars().count());
        let dse = delta_over_se_summary(&c.checks)
            .map_or_else(|| "exact".to_string(), |(m, x, _)| format!("{m:.2}/{x:.2}"));
        let _ = writeln!(
            s,
            "{:<4} {}{} {:>4}/{:<4} {:>4}/{:<4} {:>17}  {}",
            c.id,
            c.title,
            " ".repeat(pad),
            real.iter().filter(|x| x.passed).count(),
            real.len(),
            ctl.iter().filter(|x| !x.passed).count(),
            ctl.len(),
            dse,
            match (c.passed, c.negative_control_failed) {
                (true, true) => "HOLDS",
                (false, _) => "FAILS",
                (true, false) => "UNTESTED (a control passed)",
            }
        );
        if !c.unconverged.is_empty() {
            let _ = writeln!(
                s,
                "       ✗ NOT CONVERGED (no verdict can pass): {}",
                c.unconverged.join(", ")
            );
        }
        if !c.theory_uncertified.is_empty() {
            let _ = writeln!(
                s,
                "       ✗ THEORY NOT CERTIFIED (no verdict can pass): {}",
                c.theory_uncertified.join(", ")
            );
        }
        for ch in c.checks.iter().filter(|x| !x.as_expected()) {
            let _ = writeln!(
                s,
                "       ✗ {}: measured {:.5} ± {:.5}, theory {:.5}, δ {:.2e} (δ/SE {})",
                ch.name,
                ch.measured,
                ch.se,
                ch.prediction,
                ch.allowance,
                delta_over_se_cell(ch)
            );
        }
        for ch in c.checks.iter().filter(|x| {
            x.as_expected()
                && x.role == crate::harness::check::Role::Primary
                && x.negative_control.is_none()
        }) {
            let _ = writeln!(
                s,
                "       ▸ {}: {:.5} ± {:.5} vs {:.5}, δ/SE {}, t {:.2} < {:.2}",
                ch.name,
                ch.measured,
                ch.se,
                ch.prediction,
                delta_over_se_cell(ch),
                ch.statistic,
                ch.critical
            );
        }
        for n in &c.notes {
            let _ = writeln!(s, "       · {n}");
        }
    }
    let _ = writeln!(
        s,
        "{}",
        if r.ok() {
            "ALL CLAIMS HOLD; every negative control failed as it must."
        } else {
            "NOT ALL CLAIMS HOLD (see ✗ lines)."
        }
    );
    s
}

/// A terminal rendering of a sweep.
pub fn sweep_table(r: &SweepReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "phaseflow sweep '{}': {} schedule, R = {} replicas per cell",
        escape(&r.config.base.name),
        {
            let p = &r.config.base.train.problem;
            p.schedule.name_on(&p.path)
        },
        r.config.base.replicas
    );
    let names: Vec<&str> = r.cells[0].errors.iter().map(|(k, _)| k.as_str()).collect();
    let _ = write!(s, "{:>7} {:>6} {:>18} {:>9}", "d", "n", "p̂ ± se", "p̂ Euler");
    for k in &names {
        let _ = write!(s, " {:>22}", format!("err {k}"));
    }
    let _ = writeln!(s);
    for c in &r.cells {
        let _ = write!(
            s,
            "{:>7} {:>6} {:>9.4} ± {:.4} {:>9.4}",
            c.d, c.n, c.p_hat.point, c.p_hat.se, c.p_hat_euler
        );
        for (_, e) in &c.errors {
            let _ = write!(s, " {:>12.3e} ± {:.1e}", e.point, e.se);
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "log-log slopes (error ∝ size^slope):");
    for f in &r.fits {
        let _ = writeln!(
            s,
            "  {:<13} vs {} at {}={:<6} slope {:>7.3} ± {:.3}  {:.0}% CI [{:.3}, {:.3}]",
            f.metric,
            f.along,
            if f.along == "d" { "n" } else { "d" },
            f.fixed,
            f.slope,
            f.se,
            100.0 * f.level,
            f.ci[0],
            f.ci[1]
        );
    }
    s
}
