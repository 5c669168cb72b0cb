//! Markdown reports: `report.md` of a run, `reproduce.md` of a reproduction (every check,
//! the figures linked as PNG).

use super::{
    Figures, Reporter, delta_over_se_cell, delta_over_se_summary, describe, perturbation_side,
    role, source, verdict,
};
use crate::claims::{ReproduceReport, Reproduction};
use crate::error::Error;
use crate::harness::RunReport;
use std::fmt::Write;
use std::path::Path;

/// The Markdown files of the output folder.
pub struct Markdown;

impl Reporter for Markdown {
    fn run(&self, report: &RunReport, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        let Some(dir) = dir else { return Ok(()) };
        let mut md = run_markdown(report);
        md.push_str("\n![learned overlaps vs theory](overlaps.png)\n");
        Ok(crate::io::write_atomic(
            &dir.join("report.md"),
            md.as_bytes(),
        )?)
    }
    fn reproduce(&self, r: &Reproduction, dir: Option<&Path>) -> Result<(), Error> {
        let Some(dir) = dir else { return Ok(()) };
        Ok(crate::io::write_atomic(
            &dir.join("reproduce.md"),
            reproduce_markdown(&r.report).as_bytes(),
        )?)
    }
}

/// A Markdown summary of the run.
pub fn run_markdown(r: &RunReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(s, "# phaseflow run `{}`\n", super::escape(&c.name));
    let _ = writeln!(s, "{}.\n", describe(c));
    let line = super::terminal::summary_line(&r.summary, "** — ");
    let _ = writeln!(s, "**{line}.\n");
    let _ = writeln!(
        s,
        "| check | role | measured | {:.0}% CI | theory | source | δ | δ/SE | δ source | t | crit | verdict |",
        100.0 * (1.0 - c.alpha)
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for ch in &r.checks {
        let _ = writeln!(
            s,
            "| {} | {} | {:.5} | [{:.5}, {:.5}] | {:.5} | {} | {:.2e} | {} | {} | {:.2} | {:.2} | {} |",
            ch.name,
            role(ch),
            ch.measured,
            ch.ci[0],
            ch.ci[1],
            ch.prediction,
            source(ch),
            ch.allowance,
            delta_over_se_cell(ch),
            ch.allowance_source,
            ch.statistic,
            ch.critical,
            verdict(ch)
        );
    }
    s
}

/// The claims report as Markdown, with every check.
pub fn reproduce_markdown(r: &ReproduceReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# phaseflow reproduce ({:?} tier)\n", r.tier);
    let _ = writeln!(
        s,
        "Seed {}, family-wise α = {} over all {} checks (primary tests and diagnostics, Holm within each tier); every δ is of SPEC §6's kinds (exact, numerical, finite-size, definition), none measured on replicas of the code. {}\n",
        r.seed,
        r.alpha,
        r.claims.iter().map(|c| c.checks.len()).sum::<usize>(),
        if r.ok() {
            "**All claims hold.**"
        } else {
            "**Not all claims hold.**"
        }
    );
    if let Some(p) = &r.perturbation {
        let _ = writeln!(s, "**Perturbed run:** `{p}` ({}).\n", perturbation_side(p));
    }
    if let Some((med, mx, name)) = delta_over_se_summary(r.claims.iter().flat_map(|c| &c.checks)) {
        let _ = writeln!(
            s,
            "δ/SE over the real statistical checks: median {med:.2}, max {mx:.2} (`{name}`).\n"
        );
    }
    for c in &r.claims {
        let _ = writeln!(
            s,
            "## {} — {}\n\nverdict: **{}**, negative controls failed: {}\n",
            c.id,
            c.title,
            if c.passed { "holds" } else { "fails" },
            c.negative_control_failed
        );
        for n in &c.notes {
            let _ = writeln!(s, "- {n}");
        }
        for f in &c.figures {
            let _ = writeln!(s, "\n![{f}]({f}.png)");
        }
        let _ = writeln!(
            s,
            "\n| check | role | measured ± se | theory | δ | δ/SE | δ source | verdict |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
        for ch in &c.checks {
            let verdict = match (&ch.negative_control, ch.passed) {
                (None, true) => "pass".to_string(),
                (None, false) => "FAIL".to_string(),
                (Some(w), false) => format!("control ({w}) failed, as it must"),
                (Some(w), true) => format!("CONTROL ({w}) PASSED"),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {:.5} ± {:.5} | {:.5} | {:.2e} | {} | {} | {} |",
                ch.name,
                role(ch),
                ch.measured,
                ch.se,
                ch.prediction,
                ch.allowance,
                delta_over_se_cell(ch),
                ch.allowance_source,
                verdict
            );
        }
        let _ = writeln!(s);
    }
    s
}
