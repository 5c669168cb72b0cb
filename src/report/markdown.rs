//! Markdown reports: `report.md` of a run, `reproduce.md` of a reproduction (every check,
//! the figures linked as PNG), `power.md` of a power measurement, `digits_*.md` of a digits
//! command's checks.

use super::{
    Digits, Figures, Reporter, delta_over_se_cell, delta_over_se_summary, describe,
    perturbation_side, role, source, verdict,
};
use crate::claims::{ReproduceReport, Reproduction};
use crate::error::Error;
use crate::harness::RunReport;
use crate::harness::power::{POWER_TARGET, PowerCell, PowerReport};
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
    fn digits(&self, doc: &Digits<'_>, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        let (Some(dir), Some(md)) = (dir, digits_markdown(doc)) else {
            return Ok(());
        };
        Ok(crate::io::write_atomic(
            &dir.join(format!("{}.md", doc.stem())),
            md.as_bytes(),
        )?)
    }
    fn power(&self, r: &PowerReport, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        let Some(dir) = dir else { return Ok(()) };
        let mut md = power_markdown(r);
        md.push_str("\n![detection rate vs perturbation](power_curves.png)\n");
        Ok(crate::io::write_atomic(
            &dir.join("power.md"),
            md.as_bytes(),
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
    checks_table(&mut s, &r.checks, c.alpha, verdict);
    s
}

/// The table of checks of a run (and of a digits command): one row per check with its
/// interval at 1 − α, prediction, allowance, statistic, critical value and verdict.
fn checks_table(
    s: &mut String,
    checks: &[crate::harness::check::CheckResult],
    alpha: f64,
    words: fn(&crate::harness::check::CheckResult) -> &'static str,
) {
    let _ = writeln!(
        s,
        "| check | role | measured | {:.0}% CI | theory | source | δ | δ/SE | δ source | t | crit | verdict |",
        100.0 * (1.0 - alpha)
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for ch in checks {
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
            words(ch)
        );
    }
}

/// A digits command's checks as Markdown (`None` for `digits train`, which has none): the
/// summary, the gain findings and every check in the same table as a run's.
pub fn digits_markdown(doc: &Digits<'_>) -> Option<String> {
    let (summary, what) = match doc {
        Digits::Train(_) => return None,
        Digits::Uturn(d) => (&d.summary, "uturn"),
        Digits::Compare(r) => (&r.summary, "compare"),
        Digits::CompareEpochs(r) => (&r.summary, "compare-epochs"),
    };
    let alpha = crate::digits::curve::ALPHA;
    let mut s = String::new();
    let _ = writeln!(s, "# phaseflow digits {what}\n");
    let _ = writeln!(
        s,
        "Family-wise α = {alpha} (Holm within each tier), the same evaluation as `phaseflow run`.\n"
    );
    let line = super::terminal::summary_line(summary, "** — ");
    let _ = writeln!(s, "**{line}.\n");
    if !doc.findings().is_empty() {
        let _ = writeln!(
            s,
            "## Findings (H₀: no difference from uniform; reported either way, not in the verdict)\n"
        );
        checks_table(&mut s, doc.findings(), alpha, super::finding);
        let _ = writeln!(s, "\n## Checks\n");
    }
    checks_table(&mut s, doc.checks(), alpha, verdict);
    let _ = writeln!(s, "\n![{0}]({0}.png)", doc.stem());
    Some(s)
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

/// A power measurement as Markdown: the headline, one row per perturbation (detection rate
/// with its interval, primary tests, information bound, each family), the false-alarm rate
/// and the MDE of each kind.
pub fn power_markdown(r: &PowerReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# phaseflow power {}\n",
        super::escape(&r.subject.name())
    );
    let _ = writeln!(
        s,
        "{} master seeds ({}…{}), family-wise α = {} (Holm) per run; δ of SPEC §6's kinds only (no pilot).\n",
        r.seeds.len(),
        r.seeds.first().copied().unwrap_or(0),
        r.seeds.last().copied().unwrap_or(0),
        r.alpha
    );
    let _ = writeln!(
        s,
        "**False-alarm rate {:.3} [{:.3}, {:.3}] vs α = {}: {}.**\n",
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
    let fams: Vec<&str> = r.nominal.families.iter().map(|(f, _)| f.as_str()).collect();
    let _ = write!(s, "| perturbation | any | 95% CI | primary | bound |");
    for f in &fams {
        let _ = write!(s, " {f} |");
    }
    let _ = write!(s, "\n|---|---|---|---|---|");
    for _ in &fams {
        let _ = write!(s, "---|");
    }
    let _ = writeln!(s);
    let row = |s: &mut String, c: &PowerCell| {
        let name = c.label();
        let _ = write!(
            s,
            "| {name} | {:.2} | [{:.2}, {:.2}] | {:.2} | {} |",
            c.any.rate,
            c.any.ci[0],
            c.any.ci[1],
            c.primary.rate,
            c.bound
                .map_or_else(|| "—".to_string(), |b| format!("{b:.2}"))
        );
        for f in &fams {
            let v = c.family_rate(f).unwrap_or(f64::NAN);
            let _ = write!(s, " {v:.2} |");
        }
        let _ = writeln!(s);
    };
    row(&mut s, &r.nominal);
    for c in &r.cells {
        row(&mut s, c);
    }
    let _ = writeln!(
        s,
        "\n| kind | by | MDE at {:.0} % power | largest tried |",
        100.0 * POWER_TARGET
    );
    let _ = writeln!(s, "|---|---|---|---|");
    for m in &r.mde {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            m.kind,
            m.by,
            m.mde
                .map_or_else(|| format!("> {}", m.max_tried), |v| format!("{v:.4}")),
            m.max_tried
        );
    }
    s
}
