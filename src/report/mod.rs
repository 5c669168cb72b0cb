//! Reports behind one seam: every output format is a [`Reporter`], whose hooks default to
//! no-ops, and [`Reports`] fans each result out to the reporters an [`Output`] asks for. They
//! read results and never feed back into them.
//!
//! Formats, one file each: [`terminal`] (the tables on stdout), [`json`] (the stable JSON
//! schemas, on stdout with `--json` and as files in the output folder), [`markdown`]
//! (`report.md`, `reproduce.md`, `power.md`), [`figures`] (SVG + PNG) and [`html`] (one self-contained
//! `report.html` / `reproduce.html` with the figures inline). A new format is a new file
//! implementing [`Reporter`] plus one line in [`Reports::new`].
//!
//! ```no_run
//! use phaseflow::report::{Output, Reports};
//! let report = phaseflow::harness::run(&phaseflow::harness::Preset::Quick.experiment(), true)?;
//! let out = Output { dir: Some("out".into()), json: false };
//! Reports::new(&out).run(&report)?;
//! # Ok::<(), phaseflow::error::Error>(())
//! ```

pub mod figures;
pub mod html;
pub mod json;
pub mod markdown;
pub mod terminal;

use crate::claims::Reproduction;
use crate::detect::DetectOutput;
use crate::digits::compare::{CompareReport, TrainDoc, UTurnDoc};
use crate::digits::curve::CurveReport;
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::harness::RunReport;
use crate::harness::check::CheckResult;
use crate::harness::power::PowerReport;
use crate::harness::sweep::SweepReport;
use crate::plot::Figure;
use crate::target::TargetReport;
use crate::theory::TheoryReport;
use std::path::{Path, PathBuf};

/// Figures of a result, by file stem.
pub type Figures = [(String, Figure)];

/// Where results go: an optional folder, and JSON instead of tables on stdout.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Folder for the report files (created if missing); `None`: stdout only.
    pub dir: Option<PathBuf>,
    /// Print the JSON document on stdout instead of the table.
    pub json: bool,
}

/// One output format. Every hook defaults to doing nothing, so a format implements only the
/// results it renders. `dir` is the output folder, if any.
pub trait Reporter {
    /// `phaseflow train`.
    fn train(&self, _out: &TrainOutput, _dir: Option<&Path>) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow theory`.
    fn theory(&self, _report: &TheoryReport, _dir: Option<&Path>) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow detect`.
    fn detect(
        &self,
        _out: &DetectOutput,
        _figures: &Figures,
        _dir: Option<&Path>,
    ) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow run` and `merge`.
    fn run(
        &self,
        _report: &RunReport,
        _figures: &Figures,
        _dir: Option<&Path>,
    ) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow sweep`.
    fn sweep(
        &self,
        _report: &SweepReport,
        _figures: &Figures,
        _dir: Option<&Path>,
    ) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow reproduce`.
    fn reproduce(&self, _r: &Reproduction, _dir: Option<&Path>) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow digits …`.
    fn digits(
        &self,
        _doc: &Digits<'_>,
        _figures: &Figures,
        _dir: Option<&Path>,
    ) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow power`.
    fn power(
        &self,
        _report: &PowerReport,
        _figures: &Figures,
        _dir: Option<&Path>,
    ) -> Result<(), Error> {
        Ok(())
    }
    /// `phaseflow target`.
    fn target(&self, _report: &TargetReport, _dir: Option<&Path>) -> Result<(), Error> {
        Ok(())
    }
}

/// The reporters an [`Output`] asks for, each result fanned out to all of them.
pub struct Reports {
    dir: Option<PathBuf>,
    reporters: Vec<Box<dyn Reporter>>,
}

impl Reports {
    /// The registry: files in the folder (JSON, Markdown, figures, HTML) when there is one,
    /// then stdout (JSON or the terminal tables).
    pub fn new(out: &Output) -> Self {
        let mut reporters: Vec<Box<dyn Reporter>> = Vec::new();
        if out.dir.is_some() {
            reporters.push(Box::new(json::Json::Files));
            reporters.push(Box::new(markdown::Markdown));
            reporters.push(Box::new(figures::Figures));
            reporters.push(Box::new(html::Html));
        }
        reporters.push(if out.json {
            Box::new(json::Json::Stdout)
        } else {
            Box::new(terminal::Terminal)
        });
        Self {
            dir: out.dir.clone(),
            reporters,
        }
    }

    /// Every reporter in turn. A file that cannot be written does not stop the others: the
    /// result still reaches stdout (last, without the "written to" line), and the first
    /// failure is returned as [`Error::NotWritten`].
    fn each(
        &self,
        f: impl Fn(&dyn Reporter, Option<&Path>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut failed: Option<Error> = None;
        let last = self.reporters.len().saturating_sub(1);
        for (i, r) in self.reporters.iter().enumerate() {
            let dir = if i == last && failed.is_some() {
                None
            } else {
                self.dir.as_deref()
            };
            if let Err(e) = f(r.as_ref(), dir) {
                if i == last {
                    return Err(e);
                }
                failed.get_or_insert(e);
            }
        }
        match failed {
            Some(e) => Err(Error::NotWritten(Box::new(e))),
            None => Ok(()),
        }
    }

    /// Report a training run.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn train(&self, out: &TrainOutput) -> Result<(), Error> {
        self.each(|r, d| r.train(out, d))
    }
    /// Report a target's exact-Euler table.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn target(&self, report: &TargetReport) -> Result<(), Error> {
        self.each(|r, d| r.target(report, d))
    }
    /// Report a theory document.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn theory(&self, report: &TheoryReport) -> Result<(), Error> {
        self.each(|r, d| r.theory(report, d))
    }
    /// Report a detection (its profile figure is drawn only for an output folder).
    ///
    /// # Errors
    /// A file that cannot be written or a figure that cannot be drawn.
    pub fn detect(&self, out: &DetectOutput) -> Result<(), Error> {
        let figs = match self.dir {
            Some(_) => vec![(out.stem().to_string(), figures::detect(out))],
            None => Vec::new(),
        };
        self.each(|r, d| r.detect(out, &figs, d))
    }
    /// Report a run (its overlap figure is drawn only for an output folder).
    ///
    /// # Errors
    /// A file that cannot be written, or a theory that cannot be built for the figure.
    pub fn run(&self, report: &RunReport) -> Result<(), Error> {
        let figs = match self.dir {
            Some(_) => vec![("overlaps".to_string(), figures::overlaps(report)?)],
            None => Vec::new(),
        };
        self.each(|r, d| r.run(report, &figs, d))
    }
    /// Report a sweep.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn sweep(&self, report: &SweepReport) -> Result<(), Error> {
        let figs = match self.dir {
            Some(_) => figures::sweep(report),
            None => Vec::new(),
        };
        self.each(|r, d| r.sweep(report, &figs, d))
    }
    /// Report a reproduction.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn reproduce(&self, r: &Reproduction) -> Result<(), Error> {
        self.each(|x, d| x.reproduce(r, d))
    }
    /// Report a result of `phaseflow digits …` (its figure is drawn only for an output
    /// folder).
    ///
    /// # Errors
    /// A file that cannot be written or a figure that cannot be drawn.
    pub fn digits(&self, doc: &Digits<'_>) -> Result<(), Error> {
        let figs = match (&self.dir, doc) {
            (None, _) | (_, Digits::Train(_)) => Vec::new(),
            (Some(_), Digits::Uturn(d)) => {
                vec![(
                    doc.stem().to_string(),
                    crate::digits::compare::uturn_figure(&d.uturn),
                )]
            }
            (Some(_), Digits::Compare(r)) => {
                vec![(doc.stem().to_string(), crate::digits::curve::figure(r))]
            }
            (Some(_), Digits::CompareEpochs(r)) => {
                vec![(doc.stem().to_string(), crate::digits::compare::figure(r))]
            }
        };
        self.each(|r, d| r.digits(doc, &figs, d))
    }
    /// Report a power measurement (its power curves are drawn only for an output folder).
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn power(&self, report: &PowerReport) -> Result<(), Error> {
        let figs = match self.dir {
            Some(_) => vec![("power_curves".to_string(), report.figure())],
            None => Vec::new(),
        };
        self.each(|r, d| r.power(report, &figs, d))
    }
}

/// A result of `phaseflow digits …`, one variant per subcommand.
#[derive(Debug, Clone, Copy)]
pub enum Digits<'a> {
    /// `digits uturn`.
    Uturn(&'a UTurnDoc),
    /// `digits train`.
    Train(&'a TrainDoc),
    /// `digits compare` (the learning curve of issue 13).
    Compare(&'a CurveReport),
    /// `digits compare-epochs` (issue 8).
    CompareEpochs(&'a CompareReport),
}

impl Digits<'_> {
    /// The file stem of its JSON document, Markdown report and figure.
    pub fn stem(&self) -> &'static str {
        match self {
            Digits::Uturn(_) => "digits_uturn",
            Digits::Train(_) => "digits_train",
            Digits::Compare(_) => "digits_curve",
            Digits::CompareEpochs(_) => "digits_compare",
        }
    }
    /// Its checks and controls (none for `train`).
    pub fn checks(&self) -> &[CheckResult] {
        match self {
            Digits::Uturn(d) => &d.checks,
            Digits::Train(_) => &[],
            Digits::Compare(r) => &r.checks,
            Digits::CompareEpochs(r) => &r.checks,
        }
    }
    /// Its gain findings (none for `uturn` and `train`).
    pub fn findings(&self) -> &[CheckResult] {
        match self {
            Digits::Uturn(_) | Digits::Train(_) => &[],
            Digits::Compare(r) => &r.findings,
            Digits::CompareEpochs(r) => &r.findings,
        }
    }
    /// Process exit code: 1 when a check or control is not as expected, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.checks().iter().all(CheckResult::as_expected))
    }
}

/// A progress line on stderr (a claim starting or done, with its wall time): the one place
/// besides the reporters and the progress bars where the library writes to the terminal, so
/// that stdout holds only the report and the report stays deterministic. Silenced by the
/// caller's `quiet`.
pub fn progress_note(line: &str) {
    eprintln!("{}", escape(line));
}

/// The verdict of a check in words.
pub(crate) fn verdict(c: &CheckResult) -> &'static str {
    match (&c.negative_control, c.passed) {
        (None, true) => "PASS",
        (None, false) => "FAIL",
        (Some(_), false) => "control failed (expected)",
        (Some(_), true) => "CONTROL PASSED (harness blind!)",
    }
}

/// The outcome of a gain finding of the digits commands (H₀: no difference from uniform) in
/// words: a check's PASS/FAIL would read as a verdict, which a finding is not.
pub(crate) fn finding(c: &CheckResult) -> &'static str {
    match (c.passed, c.measured > 0.0) {
        (true, _) => "no significant difference",
        (false, true) => "significantly better than uniform",
        (false, false) => "significantly worse than uniform",
    }
}

/// The source of a check's prediction as in JSON (`finite_n`, …).
pub(crate) fn source(c: &CheckResult) -> String {
    serde_json::to_value(c.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// δ/SE of a check: the allowance in units of the measurement's standard error (how many SE
/// a prediction may be off and still pass); `None` when the measurement is exact (se = 0).
pub fn delta_over_se(c: &CheckResult) -> Option<f64> {
    c.delta_over_se
        .or_else(|| (c.se > 0.0).then(|| c.allowance / c.se))
}

/// δ/SE as a table cell: `2.3`, or `exact` for a value without standard error.
pub(crate) fn delta_over_se_cell(c: &CheckResult) -> String {
    delta_over_se(c).map_or_else(|| "exact".to_string(), |v| format!("{v:.2}"))
}

/// The median and maximum of δ/SE over the real statistical checks of `checks` (controls
/// and exact values left out), with the name of the maximum; `None` if there are none.
pub fn delta_over_se_summary<'a>(
    checks: impl IntoIterator<Item = &'a CheckResult>,
) -> Option<(f64, f64, String)> {
    let mut v: Vec<(f64, &str)> = checks
        .into_iter()
        .filter(|c| c.negative_control.is_none())
        .filter_map(|c| delta_over_se(c).map(|x| (x, c.name.as_str())))
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = v.len();
    let med = if n % 2 == 1 {
        v[n / 2].0
    } else {
        0.5 * (v[n / 2 - 1].0 + v[n / 2].0)
    };
    let (mx, name) = v[n - 1];
    Some((med, mx, name.to_string()))
}

/// Primary test or diagnostic, for tables.
pub(crate) fn role(c: &CheckResult) -> &'static str {
    match c.role {
        crate::harness::check::Role::Primary => "primary",
        crate::harness::check::Role::Diagnostic => "diag",
    }
}

/// The experiment in one line: schedule, sizes, engine, replicas, seed, level.
pub(crate) fn describe(c: &crate::harness::Experiment) -> String {
    let t = &c.train;
    let p = &t.problem;
    format!(
        "{} schedule, p = {}, σ² = {}, d = {}, n = {}, K = {}, engine {}, R = {} replicas, master seed {}, family-wise α = {} (Holm)",
        p.schedule.name_on(&p.path),
        p.p,
        p.sigma2,
        p.d,
        p.n,
        p.steps,
        t.engine.title(),
        c.replicas,
        t.seed,
        c.alpha
    ) + &t.perturbation.map_or_else(String::new, |pert| {
        format!("; PERTURBED ({pert}): {}", pert.describe(p))
    })
}

/// What a perturbation of a reproduce run touched, for its headline.
pub(crate) fn perturbation_side(p: &crate::perturbation::Perturbation) -> &'static str {
    if p.is_theory() {
        "a wrong theory: every prediction perturbed, every training nominal"
    } else {
        "in every trained experiment it applies to; the theory keeps the nominal values"
    }
}

/// `s` with every control character escaped (`\n`, `\u{1b}`, …), so that text read from a
/// file (an experiment's name, a path) cannot move the cursor, recolour the terminal or
/// fake a line such as `OK: 99/99` (issue 15). Printable text, including non-ASCII, is
/// unchanged.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A whole table for the terminal: every control character but the line feed escaped
/// (the table's own lines stay; a field already passed through [`escape`] has no line feed).
pub fn escape_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.split('\n')
            .map(|l| escape(l).into_owned())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[cfg(test)]
mod tests {
    use crate::harness::power::{PowerCell, PowerReport, Rate, Subject};

    fn cell(pert: Option<&str>, k: usize) -> PowerCell {
        let perturbation = pert.map(|p| p.parse().unwrap());
        PowerCell {
            perturbation,
            kind: perturbation
                .map_or("nominal", |p: crate::perturbation::Perturbation| p.kind())
                .to_string(),
            magnitude: perturbation.map_or(0.0, |p| p.magnitude()),
            any: Rate::of(k, 20),
            primary: Rate::of(k, 20),
            families: vec![("p_hat".into(), Rate::of(k, 20))],
            bound: None,
        }
    }

    /// Issue 23: `phaseflow power`'s table, Markdown and JSON come from the report module;
    /// the table keeps its rows (nominal first), the false-alarm line and the MDE line.
    #[test]
    fn power_report_is_rendered_by_the_report_module() {
        let r = PowerReport::new(
            Subject::Claims {
                tier: "quick".into(),
                claims: vec!["C1".into()],
                replicas: None,
            },
            0.01,
            (0..20).collect(),
            cell(None, 0),
            vec![cell(Some("theory:p+0.02"), 19)],
        );
        let t = super::terminal::power_table(&r);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "phaseflow power reproduce C1 (quick tier): 20 master seeds (0…19), α = 0.01; δ of SPEC §6's kinds only (no pilot)"
        );
        assert!(lines[2].starts_with("nominal "), "{t}");
        assert!(lines[3].starts_with("theory:p+0.02 "), "{t}");
        assert!(
            lines[4].starts_with("false-alarm rate 0.000 [0.000, 0.168] vs α = 0.01: within α"),
            "{t}"
        );
        assert!(lines[5].starts_with("MDE at 90 % power, theory:p: "), "{t}");
        let md = super::markdown::power_markdown(&r);
        assert!(
            md.starts_with("# phaseflow power reproduce C1 (quick tier)\n"),
            "{md}"
        );
        assert!(md.contains("| theory:p+0.02 | 0.95 |"), "{md}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["schema_version"],
            crate::harness::power::POWER_SCHEMA_VERSION
        );
    }
}
