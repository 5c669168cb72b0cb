//! Reports behind one seam: every output format is a [`Reporter`], whose hooks default to
//! no-ops, and [`Reports`] fans each result out to the reporters an [`Output`] asks for. They
//! read results and never feed back into them.
//!
//! Formats, one file each: [`terminal`] (the tables on stdout), [`json`] (the stable JSON
//! schemas, on stdout with `--json` and as files in the output folder), [`markdown`]
//! (`report.md`, `reproduce.md`), [`figures`] (SVG + PNG) and [`html`] (one self-contained
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
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::harness::RunReport;
use crate::harness::check::CheckResult;
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
