//! One self-contained HTML page per report (`reproduce.html`, `report.html`, `power.html`,
//! `digits_*.html`): the verdicts at a
//! glance, one table per claim (or per check family of a run) with every check's measured
//! value ± SE, its prediction, the allowance δ and δ/SE (how many standard errors a
//! prediction may be off and still pass), the statistic against its critical value and the
//! verdict; the figures inline as SVG. No script, no external file: the page can be mailed.
//!
//! This file is the worked example of a new report format: it implements the two
//! [`Reporter`] hooks it renders and is registered by one line in [`super::Reports::new`].

use super::{Digits, Figures, Reporter, delta_over_se, source, verdict};
use crate::claims::{ReproduceReport, Reproduction};
use crate::error::Error;
use crate::harness::RunReport;
use crate::harness::check::CheckResult;
use crate::harness::power::PowerReport;
use crate::plot::Figure;
use std::fmt::Write;
use std::path::Path;

/// The HTML page of the output folder.
pub struct Html;

impl Reporter for Html {
    fn run(&self, report: &RunReport, figures: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        let Some(dir) = dir else { return Ok(()) };
        let page = run_page(report, figures)?;
        Ok(crate::io::write_atomic(
            &dir.join("report.html"),
            page.as_bytes(),
        )?)
    }
    fn reproduce(&self, r: &Reproduction, dir: Option<&Path>) -> Result<(), Error> {
        let Some(dir) = dir else { return Ok(()) };
        let page = reproduce_page(&r.report, &r.figures)?;
        Ok(crate::io::write_atomic(
            &dir.join("reproduce.html"),
            page.as_bytes(),
        )?)
    }
    fn digits(&self, doc: &Digits<'_>, figures: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        let (Some(dir), Some(page)) = (dir, digits_page(doc, figures)?) else {
            return Ok(());
        };
        Ok(crate::io::write_atomic(
            &dir.join(format!("{}.html", doc.stem())),
            page.as_bytes(),
        )?)
    }
    fn power(&self, r: &PowerReport, figures: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        let Some(dir) = dir else { return Ok(()) };
        let page = power_page(r, figures)?;
        Ok(crate::io::write_atomic(
            &dir.join("power.html"),
            page.as_bytes(),
        )?)
    }
}

/// Text made safe for HTML element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;\
padding:0 1rem;color:#222}h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.8rem 0;font-size:.85rem;width:100%}\
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:right;vertical-align:top;\
white-space:nowrap}td.name,td.why{white-space:normal}\
th{background:#f3f3f3}td.name,td.src,td.why{text-align:left}td.why{color:#555;max-width:22rem}\
tr.bad td{background:#fde2e2}tr.ctl td{color:#666}td.pass{color:#145214;font-weight:600}\
td.loose{background:#fbe7b5}td.fail{color:#7a1010;font-weight:700}ol.why{font-size:.8rem;color:#555}\
.badge{display:inline-block;padding:.1rem .55rem;border-radius:.8rem;font-weight:600;\
font-size:.85rem}.ok{background:#d5f2d5;color:#145214}.fail{background:#f8c9c9;color:#7a1010}\
.warn{background:#fbe7b5;color:#6b4a00}figure{margin:1rem 0}\
figure svg{max-width:100%;height:auto;border:1px solid #eee}\
ul.notes{color:#333}p.rule{color:#555;font-size:.85rem}";

fn badge(ok: bool, text: &str) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        if ok { "ok" } else { "fail" },
        escape(text)
    )
}

fn head(s: &mut String, title: &str) {
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    );
}

/// `v` formatted by `f`, or ∞ for the JSON stand-in of infinity (`f64::MAX`).
fn finite_or_inf(v: f64, f: impl Fn(f64) -> String) -> String {
    if v.abs() >= f64::MAX {
        "∞".into()
    } else {
        f(v)
    }
}

fn num(v: f64) -> String {
    finite_or_inf(v, |v| format!("{v:.5}"))
}

fn sci(v: f64) -> String {
    finite_or_inf(v, |v| format!("{v:.2e}"))
}

/// δ/SE above this is marked in the table: the check cannot see an error of a few standard
/// errors (issue 11 targets δ ≤ 3·SE).
pub const LOOSE_DELTA_SE: f64 = 3.0;

fn stat(v: f64) -> String {
    finite_or_inf(v, |v| format!("{v:.2}"))
}

/// One table of checks: name, measured ± SE, theory (source), δ, δ/SE, statistic vs critical,
/// verdict, and a footnote number for the source of δ (the sources listed below the table);
/// rows that are not as a correct harness expects are marked, and so is a δ/SE above
/// [`LOOSE_DELTA_SE`].
fn checks_table(s: &mut String, checks: &[CheckResult]) {
    checks_table_with(s, checks, verdict);
}

/// [`checks_table`] with the verdict column in other words (a digits finding).
fn checks_table_with(
    s: &mut String,
    checks: &[CheckResult],
    words: fn(&CheckResult) -> &'static str,
) {
    let mut sources: Vec<&str> = Vec::new();
    s.push_str(
        "<table class=\"checks\">\n<thead><tr><th>check</th><th>measured ± SE</th>\
         <th>theory</th><th>source</th><th>δ</th><th>δ/SE</th><th>statistic</th>\
         <th>critical</th><th>verdict</th><th>δ from</th></tr></thead>\n<tbody>\n",
    );
    for c in checks {
        let class = match (c.as_expected(), c.negative_control.is_some()) {
            (false, _) => " class=\"bad\"",
            (true, true) => " class=\"ctl\"",
            (true, false) => "",
        };
        let dse = delta_over_se(c);
        let dse_cell = match dse {
            Some(v) if v > LOOSE_DELTA_SE => format!("<td class=\"loose\">{v:.2}</td>"),
            Some(v) => format!("<td>{v:.2}</td>"),
            None => "<td>exact</td>".to_string(),
        };
        let what = match &c.negative_control {
            Some(w) => format!("{} — control: {}", words(c), w),
            None => words(c).to_string(),
        };
        let vclass = if c.as_expected() { "pass" } else { "fail" };
        let note = match sources.iter().position(|x| *x == c.allowance_source) {
            Some(i) => i + 1,
            None => {
                sources.push(&c.allowance_source);
                sources.len()
            }
        };
        let measured = if c.se > 0.0 {
            format!("{} ± {}", num(c.measured), sci(c.se))
        } else {
            num(c.measured)
        };
        let _ = writeln!(
            s,
            "<tr{class}><td class=\"name\">{}</td><td>{measured}</td><td>{}</td>\
             <td class=\"src\">{}</td><td>{}</td>{dse_cell}<td>{}</td><td>{}</td>\
             <td class=\"name {vclass}\">{}</td><td>[{note}]</td></tr>",
            escape(&c.name),
            num(c.prediction),
            escape(&source(c)),
            sci(c.allowance),
            stat(c.statistic),
            stat(c.critical),
            escape(&what),
        );
    }
    s.push_str("</tbody>\n</table>\n<ol class=\"why\">\n");
    for src in sources {
        let _ = writeln!(s, "<li>δ: {}</li>", escape(src));
    }
    s.push_str("</ol>\n");
}

fn figures_inline(s: &mut String, figs: &[&(String, Figure)]) -> Result<(), Error> {
    for (stem, fig) in figs {
        let svg = fig.to_svg()?;
        let _ = writeln!(
            s,
            "<figure id=\"fig-{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            escape(stem),
            svg.trim(),
            escape(stem)
        );
    }
    Ok(())
}

fn rule(s: &mut String) {
    let _ = writeln!(
        s,
        "<p class=\"rule\">A check passes when |measured − theory| ≤ critical·SE + δ. δ/SE is \
         the allowance in standard errors: a check cannot see an error smaller than about \
         δ + critical·SE; δ/SE above {LOOSE_DELTA_SE} is shaded. Negative controls (grey) must \
         fail; a red row is not what a correct harness gives.</p>"
    );
}

fn counts(checks: &[CheckResult]) -> (usize, usize, usize, usize) {
    let real = checks.iter().filter(|c| c.negative_control.is_none());
    let ctl = checks.iter().filter(|c| c.negative_control.is_some());
    (
        real.clone().filter(|c| c.passed).count(),
        real.count(),
        ctl.clone().filter(|c| !c.passed).count(),
        ctl.count(),
    )
}

/// The reproduce page (module doc).
///
/// # Errors
/// A figure that cannot be drawn.
pub fn reproduce_page(r: &ReproduceReport, figures: &Figures) -> Result<String, Error> {
    let mut s = String::new();
    head(&mut s, &format!("phaseflow reproduce ({:?} tier)", r.tier));
    let _ = writeln!(
        s,
        "<h1>phaseflow reproduce — {:?} tier</h1>\n<p>{} Seed {}, Holm family-wise α = {} over \
         all {} checks; negative controls are judged at the Bonferroni threshold.</p>",
        r.tier,
        badge(
            r.ok(),
            if r.ok() {
                "all claims hold"
            } else {
                "not all claims hold"
            }
        ),
        r.seed,
        r.alpha,
        r.claims.iter().map(|c| c.checks.len()).sum::<usize>()
    );
    s.push_str(
        "<table class=\"summary\">\n<thead><tr><th>claim</th><th>statement</th>\
         <th>checks passed</th><th>controls failed</th><th>verdict</th></tr></thead>\n<tbody>\n",
    );
    for c in &r.claims {
        let (p, n, cf, cn) = counts(&c.checks);
        let v = match (c.passed, c.negative_control_failed) {
            (true, true) => badge(true, "holds"),
            (false, _) => badge(false, "fails"),
            (true, false) => "<span class=\"badge warn\">untested (a control passed)</span>".into(),
        };
        let _ = writeln!(
            s,
            "<tr><td class=\"name\"><a href=\"#{id}\">{id}</a></td><td class=\"name\">{}</td>\
             <td>{p}/{n}</td><td>{cf}/{cn}</td><td>{v}</td></tr>",
            escape(&c.title),
            id = escape(&c.id)
        );
    }
    s.push_str("</tbody>\n</table>\n");
    rule(&mut s);
    for c in &r.claims {
        let (p, n, cf, cn) = counts(&c.checks);
        let _ = writeln!(
            s,
            "<section class=\"claim\" id=\"{}\">\n<h2>{} — {}</h2>\n<p>{} {p}/{n} checks \
             passed; {cf}/{cn} negative controls failed{}</p>",
            escape(&c.id),
            escape(&c.id),
            escape(&c.title),
            badge(c.passed, if c.passed { "holds" } else { "fails" }),
            if c.negative_control_failed {
                ", as they must"
            } else {
                " — a control passed: this claim is not tested"
            }
        );
        if !c.notes.is_empty() {
            s.push_str("<ul class=\"notes\">\n");
            for n in &c.notes {
                let _ = writeln!(s, "<li>{}</li>", escape(n));
            }
            s.push_str("</ul>\n");
        }
        let figs: Vec<&(String, Figure)> = figures
            .iter()
            .filter(|(stem, _)| c.figures.contains(stem))
            .collect();
        figures_inline(&mut s, &figs)?;
        checks_table(&mut s, &c.checks);
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    Ok(s)
}

/// The run page: the verdict, the figures and one table per check family.
///
/// # Errors
/// A figure that cannot be drawn.
pub fn run_page(r: &RunReport, figures: &Figures) -> Result<String, Error> {
    let mut s = String::new();
    let c = &r.config;
    head(&mut s, &format!("phaseflow run {}", c.name));
    let m = &r.summary;
    let _ = writeln!(
        s,
        "<h1>phaseflow run <code>{}</code></h1>\n<p>{}</p>\n<p>{} {}/{} checks passed; {}/{} \
         negative controls failed as they must.</p>",
        escape(&c.name),
        escape(&super::describe(c)),
        badge(m.ok, if m.ok { "OK" } else { "NOT OK" }),
        m.passed,
        m.checks,
        m.negative_controls_failed,
        m.negative_controls
    );
    rule(&mut s);
    let figs: Vec<&(String, Figure)> = figures.iter().collect();
    figures_inline(&mut s, &figs)?;
    let mut families: Vec<&str> = Vec::new();
    for ch in &r.checks {
        if !families.contains(&ch.family.as_str()) {
            families.push(&ch.family);
        }
    }
    for f in families {
        let _ = writeln!(
            s,
            "<section class=\"family\" id=\"{0}\">\n<h2>{0}</h2>",
            escape(f)
        );
        let rows: Vec<CheckResult> = r.checks.iter().filter(|c| c.family == f).cloned().collect();
        checks_table(&mut s, &rows);
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    Ok(s)
}

/// The page of a digits command with checks (`None` for `digits train`): the verdict, the
/// figure, the gain findings (H₀: no difference from uniform; not part of the verdict) and
/// one table per check family, in the same form as a run's.
///
/// # Errors
/// A figure that cannot be drawn.
pub fn digits_page(doc: &Digits<'_>, figures: &Figures) -> Result<Option<String>, Error> {
    let (m, what) = match doc {
        Digits::Train(_) => return Ok(None),
        Digits::Uturn(d) => (&d.summary, "uturn"),
        Digits::Compare(r) => (&r.summary, "compare"),
        Digits::CompareEpochs(r) => (&r.summary, "compare-epochs"),
    };
    let mut s = String::new();
    head(&mut s, &format!("phaseflow digits {what}"));
    let _ = writeln!(
        s,
        "<h1>phaseflow digits <code>{what}</code></h1>\n<p>Family-wise α = {} (Holm within \
         each tier), the same evaluation as <code>phaseflow run</code>.</p>\n<p>{} {}/{} checks \
         passed; {}/{} negative controls failed as they must.</p>",
        crate::digits::curve::ALPHA,
        badge(m.ok, if m.ok { "OK" } else { "NOT OK" }),
        m.passed,
        m.checks,
        m.negative_controls_failed,
        m.negative_controls
    );
    rule(&mut s);
    let figs: Vec<&(String, Figure)> = figures.iter().collect();
    figures_inline(&mut s, &figs)?;
    if !doc.findings().is_empty() {
        s.push_str(
            "<section class=\"family\" id=\"findings\">\n<h2>findings (H₀: no difference from \
             uniform; reported either way, not in the verdict)</h2>\n",
        );
        checks_table_with(&mut s, doc.findings(), super::finding);
        s.push_str("</section>\n");
    }
    let mut families: Vec<&str> = Vec::new();
    for ch in doc.checks() {
        if !families.contains(&ch.family.as_str()) {
            families.push(&ch.family);
        }
    }
    for f in families {
        let _ = writeln!(
            s,
            "<section class=\"family\" id=\"{0}\">\n<h2>{0}</h2>",
            escape(f)
        );
        let rows: Vec<CheckResult> = doc
            .checks()
            .iter()
            .filter(|c| c.family == f)
            .cloned()
            .collect();
        checks_table(&mut s, &rows);
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    Ok(Some(s))
}

/// The page of a power measurement: the false-alarm verdict, the power curves and the table
/// of detection rates.
///
/// # Errors
/// A figure that cannot be drawn.
pub fn power_page(r: &PowerReport, figures: &Figures) -> Result<String, Error> {
    let mut s = String::new();
    let name = r.subject.name();
    head(&mut s, &format!("phaseflow power {name}"));
    let _ = writeln!(
        s,
        "<h1>phaseflow power {}</h1>\n<p>{} false-alarm rate {:.3} [{:.3}, {:.3}] vs α = {}.</p>",
        escape(&name),
        badge(
            r.false_alarm_ok,
            if r.false_alarm_ok {
                "within α"
            } else {
                "ABOVE α"
            }
        ),
        r.nominal.any.rate,
        r.nominal.any.ci[0],
        r.nominal.any.ci[1],
        r.alpha
    );
    rule(&mut s);
    let figs: Vec<&(String, Figure)> = figures.iter().collect();
    figures_inline(&mut s, &figs)?;
    let _ = writeln!(s, "<pre>{}</pre>", escape(&super::terminal::power_table(r)));
    s.push_str("</body>\n</html>\n");
    Ok(s)
}
