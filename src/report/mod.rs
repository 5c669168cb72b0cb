//! Reporters: the terminal table, the Markdown summary and the JSON report of a run.
//! They read a [`RunReport`] and never feed back into it.

pub mod figures;

use crate::harness::RunReport;
use crate::harness::check::CheckResult;
use std::fmt::Write;

fn verdict(c: &CheckResult) -> &'static str {
    match (&c.negative_control, c.passed) {
        (None, true) => "PASS",
        (None, false) => "FAIL",
        (Some(_), false) => "control failed (expected)",
        (Some(_), true) => "CONTROL PASSED (harness blind!)",
    }
}

fn source(c: &CheckResult) -> String {
    serde_json::to_value(c.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The experiment in one line: schedule, sizes, engine, replicas, seed, level.
fn describe(c: &crate::harness::Experiment) -> String {
    let t = &c.train;
    format!(
        "{} schedule, p = {}, σ² = {}, d = {}, n = {}, K = {}, engine {:?}, R = {} replicas, master seed {}, family-wise α = {} (Holm)",
        t.schedule.name(),
        t.p,
        t.sigma2,
        t.d,
        t.n,
        t.steps,
        t.engine,
        c.replicas,
        t.seed,
        c.alpha
    )
}

/// One line per check: `name [low point high] theory value (source) ±δ verdict t vs crit`.
pub fn terminal(r: &RunReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(s, "phaseflow run '{}': {}", c.name, describe(c));
    let _ = writeln!(
        s,
        "{:<28} {:>30} {:>10} {:<16} {:>9} {:>7} {:>6}  verdict",
        "check", "measured [low point high]", "theory", "(source)", "δ", "t", "crit"
    );
    for ch in &r.checks {
        let _ = writeln!(
            s,
            "{:<28} [{:>9.5} {:>9.5} {:>9.5}] {:>10.5} {:<16} {:>9.2e} {:>7.2} {:>6.2}  {}",
            ch.name,
            ch.ci[0],
            ch.measured,
            ch.ci[1],
            ch.prediction,
            format!("({})", source(ch)),
            ch.allowance,
            ch.statistic,
            ch.critical,
            verdict(ch)
        );
    }
    let a = &r.aggregate;
    let pm = |e: Option<crate::harness::stats::Estimate>| {
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
    let m = &r.summary;
    let _ = writeln!(
        s,
        "{}: {}/{} checks passed, {}/{} negative controls failed as they must",
        if m.ok { "OK" } else { "NOT OK" },
        m.passed,
        m.checks,
        m.negative_controls_failed,
        m.negative_controls
    );
    s
}

/// A Markdown summary of the run.
pub fn markdown(r: &RunReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(s, "# phaseflow run `{}`\n", c.name);
    let _ = writeln!(s, "{}.\n", describe(c));
    let m = &r.summary;
    let _ = writeln!(
        s,
        "**{}** — {}/{} checks passed; {}/{} negative controls failed as they must.\n",
        if m.ok { "OK" } else { "NOT OK" },
        m.passed,
        m.checks,
        m.negative_controls_failed,
        m.negative_controls
    );
    let _ = writeln!(
        s,
        "| check | measured | {:.0}% CI | theory | source | δ | δ source | t | crit | verdict |",
        100.0 * (1.0 - c.alpha)
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for ch in &r.checks {
        let _ = writeln!(
            s,
            "| {} | {:.5} | [{:.5}, {:.5}] | {:.5} | {} | {:.2e} | {} | {:.2} | {:.2} | {} |",
            ch.name,
            ch.measured,
            ch.ci[0],
            ch.ci[1],
            ch.prediction,
            source(ch),
            ch.allowance,
            ch.allowance_source,
            ch.statistic,
            ch.critical,
            verdict(ch)
        );
    }
    s
}
