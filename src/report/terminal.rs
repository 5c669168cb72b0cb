//! The terminal tables: what every subcommand prints on stdout without `--json`.

use super::{
    Digits, Figures, Reporter, delta_over_se_cell, delta_over_se_summary, describe, escape,
    escape_text, source, verdict,
};
use crate::claims::{ReproduceReport, Reproduction};
use crate::detect::DetectOutput;
use crate::digits::compare::{CompareReport, TrainDoc, UTurnDoc};
use crate::digits::curve::CurveReport;
use crate::digits::uturn::Window;
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::harness::RunReport;
use crate::harness::check::CheckResult;
use crate::harness::power::{PowerCell, PowerReport};
use crate::harness::sweep::SweepReport;
use crate::stats::Estimate;
use crate::target::TargetReport;
use crate::theory::{FiniteN, Prediction, TheoryReport};
use std::fmt::Write;
use std::path::Path;

/// The terminal tables on stdout.
pub struct Terminal;

impl Reporter for Terminal {
    fn target(&self, report: &TargetReport, dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&target_table(report)));
        if let Some(dir) = dir {
            println!("wrote {}", escape(&dir.display().to_string()));
        }
        Ok(())
    }
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
    fn digits(&self, doc: &Digits<'_>, _f: &Figures, _dir: Option<&Path>) -> Result<(), Error> {
        let text = match doc {
            Digits::Uturn(d) => digits_uturn_text(d),
            Digits::Train(d) => digits_train_text(d),
            Digits::Compare(r) => digits_curve_table(r),
            Digits::CompareEpochs(r) => digits_compare_table(r),
        };
        print!("{}", escape_text(&text));
        Ok(())
    }
    fn power(&self, r: &PowerReport, _f: &Figures, _dir: Option<&Path>) -> Result<(), Error> {
        print!("{}", escape_text(&power_table(r)));
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

/// The table of `phaseflow power`: detection rates per perturbation and family, the
/// false-alarm rate against α and the MDE of each kind.
pub fn power_table(r: &PowerReport) -> String {
    let mut s = String::new();
    let fams: Vec<&str> = r.nominal.families.iter().map(|(f, _)| f.as_str()).collect();
    let _ = writeln!(
        s,
        "phaseflow power {}: {} master seeds ({}…{}), α = {}; δ of SPEC §6's kinds only (no pilot)",
        r.subject.name(),
        r.seeds.len(),
        r.seeds.first().copied().unwrap_or(0),
        r.seeds.last().copied().unwrap_or(0),
        r.alpha,
    );
    let _ = write!(
        s,
        "{:<20} {:>14} {:>10} {:>7}",
        "perturbation", "any [95% CI]", "primary", "bound"
    );
    for f in &fams {
        let _ = write!(s, " {f:>16}");
    }
    let _ = writeln!(s);
    let row = |s: &mut String, c: &PowerCell| {
        let name = c.label();
        let _ = write!(
            s,
            "{:<20} {:>4.2} [{:.2},{:.2}] {:>10.2} {:>7}",
            name,
            c.any.rate,
            c.any.ci[0],
            c.any.ci[1],
            c.primary.rate,
            c.bound
                .map_or_else(|| "—".to_string(), |b| format!("{b:.2}"))
        );
        for f in &fams {
            let r = c.family_rate(f).unwrap_or(f64::NAN);
            let _ = write!(s, " {r:>16.2}");
        }
        let _ = writeln!(s);
    };
    row(&mut s, &r.nominal);
    for c in &r.cells {
        row(&mut s, c);
    }
    let _ = writeln!(
        s,
        "false-alarm rate {:.3} [{:.3}, {:.3}] vs α = {}: {}",
        r.nominal.any.rate,
        r.nominal.any.ci[0],
        r.nominal.any.ci[1],
        r.alpha,
        if r.false_alarm_ok {
            "within α"
        } else {
            "ABOVE α"
        }
    );
    for m in r.mde.iter().filter(|m| m.by == "any") {
        let _ = writeln!(
            s,
            "MDE at {:.0} % power, {}: {}",
            100.0 * crate::harness::power::POWER_TARGET,
            m.kind,
            m.mde.map_or_else(
                || format!("> {} (largest tried)", m.max_tried),
                |v| format!("{v:.4}")
            )
        );
    }
    s
}

/// A U-turn window as `[t10, t90], centre ± se, width ± se, jump ± se` (bootstrap SEs).
pub fn window_line(w: &Window) -> String {
    format!(
        "[t10 {:.3}, t90 {:.3}], centre {:.3} ± {:.3}, width {:.3} ± {:.3}, jump {:.3} ± {:.3} \
         (grid resolution {:.3})",
        w.t10, w.t90, w.centre, w.centre_se, w.width, w.width_se, w.jump, w.jump_se, w.resolution
    )
}

/// The checks of a digits command, one line each: measured ± SE against the prediction,
/// the p-value and the verdict.
pub fn digits_checks(checks: &[CheckResult]) -> String {
    let mut s = String::new();
    for k in checks {
        let verdict = match (&k.negative_control, k.passed) {
            (None, true) => "PASS",
            (None, false) => "FAIL",
            (Some(_), false) => "control ok (fails as it must)",
            (Some(_), true) => "CONTROL PASSED: the check cannot tell",
        };
        let _ = writeln!(
            s,
            "  {:<44} {:+.4} ± {:.4} vs {:.4}  p = {:.3}  {verdict}",
            k.name, k.measured, k.se, k.prediction, k.p_value
        );
    }
    s
}

/// The gain findings of a digits command: each gain test, significantly better, worse or
/// neither at the run's Holm level.
fn digits_findings(findings: &[CheckResult]) -> String {
    let mut s = String::new();
    for k in findings {
        let what = super::finding(k);
        let _ = writeln!(
            s,
            "  {:<44} {:+.4} ± {:.4} vs {:.4}  p = {:.3}  finding: {what}",
            k.name, k.measured, k.se, k.prediction, k.p_value
        );
    }
    s
}

/// `phaseflow digits uturn`: classifier, the U-turn curve with its control, the window and
/// the checks.
pub fn digits_uturn_text(doc: &UTurnDoc) -> String {
    let mut s = String::new();
    let (clf, ut) = (&doc.classifier, &doc.uturn);
    let _ = writeln!(
        s,
        "classifier held-out accuracy {:.4} ({} images); shuffled labels {:.4}",
        clf.fitted.accuracy, clf.fitted.n_test, clf.control_accuracy
    );
    let _ = writeln!(s, "   t      U(t)     SE    control");
    for i in 0..ut.curve.t.len() {
        let _ = writeln!(
            s,
            "{:.3}  {:.4}  {:.4}  {:.4}",
            ut.curve.t[i], ut.curve.value[i], ut.curve.se[i], ut.control.value[i]
        );
    }
    let _ = match &ut.window {
        Some(w) => writeln!(s, "window {}", window_line(w)),
        None => writeln!(s, "no window found"),
    };
    s.push_str(&digits_checks(&doc.checks));
    let _ = writeln!(s, "{}", summary_line(&doc.summary, ": "));
    s
}

/// `phaseflow digits train`: the generated share of zeros at each checkpoint.
pub fn digits_train_text(doc: &TrainDoc) -> String {
    let mut s = String::new();
    let c = &doc.config;
    let _ = writeln!(
        s,
        "{} sampler, {} epochs, seed {} replica {}; set share q = {:.4}",
        c.sampler.name(),
        c.epochs,
        c.seed,
        c.replica,
        doc.true_share
    );
    for r in &doc.checkpoints {
        let _ = writeln!(
            s,
            "epoch {:>4}  loss {:.4}  q̂ {:.4}",
            r.epoch, r.loss, r.share_zero
        );
    }
    s
}

/// The table of `phaseflow digits compare-epochs`: settings, classifier, window, q̂ and the
/// error per checkpoint and sampler, the paired Δ, the gain finding and the checks.
pub fn digits_compare_table(r: &CompareReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(
        s,
        "phaseflow digits compare: {} images, q = {:.4}, R = {}, epochs = {}, N = {} generated, \
         Euler {} steps, H = {} ({:.0} s)",
        r.n_images, r.true_share, c.seeds, c.epochs, c.generated, c.steps, c.hidden, r.seconds
    );
    let f = &r.classifier.fitted;
    let _ = writeln!(
        s,
        "classifier: held-out accuracy {:.4} ± {:.4} ({} of {} held out); shuffled labels {:.4}",
        f.accuracy, f.accuracy_se, f.n_test, f.n_test, r.classifier.control_accuracy
    );
    if let Some(w) = &r.uturn.window {
        let _ = writeln!(s, "U-turn window: {}", window_line(w));
    }
    let _ = writeln!(
        s,
        "epoch   q̂ uniform [CI]            q̂ phase-aware [CI]        |err| uniform  |err| aware"
    );
    for (j, e) in r.checkpoints.iter().enumerate() {
        let (a, b) = (&r.uniform.share_est[j], &r.aware.share_est[j]);
        let (ea, eb) = (&r.uniform.error_est[j], &r.aware.error_est[j]);
        let _ = writeln!(
            s,
            "{e:>5}   {:.4} [{:.4} {:.4}]   {:.4} [{:.4} {:.4}]   {:.4}±{:.4}  {:.4}±{:.4}",
            a.point, a.ci[0], a.ci[1], b.point, b.ci[0], b.ci[1], ea.point, ea.se, eb.point, eb.se
        );
    }
    let _ = writeln!(
        s,
        "paired Δ = err_uniform − err_aware at epoch {}: [{:.4} {:.4} {:.4}]",
        c.epochs, r.diff.ci[0], r.diff.point, r.diff.ci[1]
    );
    s.push_str(&digits_findings(&r.findings));
    s.push_str(&digits_checks(&r.checks));
    let _ = writeln!(s, "{}", summary_line(&r.summary, ": "));
    s
}

/// The table of `phaseflow digits compare`: settings, classifier, U-turn windows and arms,
/// one row per (arm, budget), the gain findings and the checks.
pub fn digits_curve_table(r: &CurveReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(
        s,
        "phaseflow digits compare: {} images, q = {:.4}, R = {} paired seeds, N = {} generated, \
         {} + {:?} {} steps, {:?} times, lr {} (warm-up {:.1} %, cosine, clip {}, AdamW wd {}), \
         batch {}, H = {} ({:.0} s)",
        r.n_images,
        r.true_share,
        c.seeds,
        c.generated,
        c.mechanism.name(),
        c.solver,
        c.sde_steps,
        c.draw,
        c.optimiser.lr,
        100.0 * c.optimiser.warmup_share,
        c.optimiser.clip,
        c.optimiser.weight_decay,
        c.batch,
        c.hidden,
        r.seconds
    );
    let f = &r.classifier.fitted;
    let _ = writeln!(
        s,
        "classifier: held-out accuracy {:.4} ± {:.4} (n = {}); shuffled labels {:.4}; error \
         floor √(2q(1−q)/(πN)) = {:.4}",
        f.accuracy, f.accuracy_se, f.n_test, r.classifier.control_accuracy, r.error_floor
    );
    let _ = writeln!(s, "U-turn (flow time t; diffusion time s = 1 − t):");
    for u in &r.uturn {
        let _ = match &u.window {
            Some(w) => writeln!(
                s,
                "  {:<8} U(0) = {:.3} (ideal {:.3})  window {}",
                u.name,
                u.curve.value[0],
                u.ideal_start,
                window_line(w)
            ),
            None => writeln!(
                s,
                "  {:<8} U(0) = {:.3} (ideal {:.3})  no window",
                u.name, u.curve.value[0], u.ideal_start
            ),
        };
    }
    for a in &r.arms {
        if let crate::digits::train::TimeSampler::Band { lo, hi, weight } = a.sampler {
            let _ = writeln!(
                s,
                "  arm {:<13} {:.0} % of each batch in t ∈ [{lo:.3}, {hi:.3}] (s ∈ [{:.3}, {:.3}])",
                a.name,
                100.0 * weight,
                1.0 - hi,
                1.0 - lo
            );
        }
    }
    for m in &r.missing_arms {
        let _ = writeln!(s, "  arm missing: {m}");
    }
    let _ = writeln!(
        s,
        "{:>14} {:>6}  {:>6}  {:>17}  {:>26}  {:>22}  sig",
        "arm",
        "steps",
        "mean q̂",
        "|q̂−q| [95 % CI]",
        "Δ = err_u − err [95 % CI]",
        "ratio ē_u/ē [95 % CI]"
    );
    for cell in &r.cells {
        let e = &cell.error;
        let d = cell.diff.as_ref().map_or(String::new(), |d| {
            format!("{:+.4} [{:+.4} {:+.4}]", d.point, d.ci[0], d.ci[1])
        });
        let ra = cell.ratio.map_or(String::new(), |x| {
            format!("{:.2} [{:.2} {:.2}]", x.point, x.ci[0], x.ci[1])
        });
        let _ = writeln!(
            s,
            "{:>14} {:>6}  {:.4}  {:.4} [{:.4} {:.4}]  {:>26}  {:>22}  {}",
            cell.arm,
            cell.budget,
            cell.mean_share(),
            e.point,
            e.ci[0],
            e.ci[1],
            d,
            ra,
            if cell.significantly_better { "*" } else { "" }
        );
    }
    let sig: Vec<String> = r
        .cells
        .iter()
        .filter(|c| c.significantly_better)
        .map(|c| format!("{}@{}", c.arm, c.budget))
        .collect();
    let _ = writeln!(
        s,
        "significantly better than uniform (Holm over {} gain tests, α = {}): {}",
        r.findings.len(),
        crate::digits::curve::ALPHA,
        if sig.is_empty() {
            "none".into()
        } else {
            sig.join(", ")
        }
    );
    let worse: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| !f.passed && f.measured < 0.0)
        .map(|f| f.name.trim_start_matches("gain."))
        .collect();
    let _ = writeln!(
        s,
        "significantly worse than uniform: {}",
        if worse.is_empty() {
            "none".into()
        } else {
            worse.join(", ")
        }
    );
    if let Some((arm, b, x)) = &r.largest_ratio {
        let _ = writeln!(
            s,
            "largest error ratio: {arm} at {b} steps, {:.2} [{:.2} {:.2}] (delta method; the \
             maximum over {} cells, so biased upward)",
            x.point,
            x.ci[0],
            x.ci[1],
            r.findings.len()
        );
    }
    s.push_str(&digits_checks(&r.checks));
    s
}

/// `[0.5000 0.3000 0.2000]`.
fn vector(v: &[f64]) -> String {
    let cells: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", cells.join(" "))
}

/// A readable table of a target's exact-Euler class weights over its d-ladder.
pub fn target_table(r: &TargetReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(
        s,
        "phaseflow target: {} on {}, K={}, endpoint {}  (exact Euler, Bayes denoiser; — = not defined)",
        c.target.kind(),
        c.schedule.label_on(&c.path),
        c.steps,
        crate::choice::name_of(c.endpoint)
    );
    if let Some(row) = r.rows.first() {
        let _ = writeln!(s, "weights p  {}", vector(&row.weights));
        if let Some(t) = &row.class_var_target {
            let _ = writeln!(s, "class variances σ²  {}", vector(t));
        } else if let Some(s2) = row.sigma2 {
            let _ = writeln!(s, "σ² = {}", crate::problem::Num(s2));
        }
    }
    let _ = writeln!(
        s,
        "{:>12}  {:<40} {:>8} {:>8} {:>9}",
        "d", "p̂", "TV", "var⊥", "num.err"
    );
    for row in &r.rows {
        let p_hat = row
            .p_hat
            .as_deref()
            .map_or_else(|| "— (a step overshoots τ = 1)".to_string(), vector);
        let _ = write!(
            s,
            "{:>12}  {:<40} {:>8} {:>8} {:>9}",
            row.d,
            p_hat,
            row.tv.map_or_else(|| "—".into(), |v| format!("{v:.4}")),
            row.var_perp
                .map_or_else(|| "—".into(), |v| format!("{v:.4}")),
            row.numerical
                .map_or_else(|| "—".into(), |v| format!("{v:.1e}"))
        );
        if let Some(cv) = &row.class_var {
            let _ = write!(s, "  class var {}", vector(cv));
        }
        let _ = writeln!(s);
        for cd in &row.conditionals {
            let _ = writeln!(
                s,
                "{:>14}level {} prefix {}: P(+) {:.4}, generated {}",
                "",
                cd.level,
                cd.prefix,
                cd.target,
                cd.generated
                    .map_or_else(|| "—".into(), |v| format!("{v:.4}"))
            );
        }
    }
    s
}
