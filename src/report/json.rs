//! The JSON documents (each with its `schema_version`): on stdout with `--json`, and as files
//! in the output folder (`train.json`, `theory.json`, `detect_*.json`, `report.json`,
//! `sweep.json`, `reproduce.json`, `power.json`, `digits_*.json`, `target.json`).

use super::{Digits, Figures, Reporter};
use crate::claims::Reproduction;
use crate::detect::DetectOutput;
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::harness::RunReport;
use crate::harness::power::PowerReport;
use crate::harness::sweep::SweepReport;
use crate::target::TargetReport;
use crate::theory::TheoryReport;
use serde::Serialize;
use std::path::Path;

/// Where the JSON goes.
pub enum Json {
    /// One document on stdout (pretty, with a trailing newline).
    Stdout,
    /// Files in the output folder, written atomically.
    Files,
}

impl Json {
    fn emit<T: Serialize>(&self, value: &T, dir: Option<&Path>, name: &str) -> Result<(), Error> {
        match self {
            Json::Stdout => {
                println!("{}", serde_json::to_string_pretty(value)?);
                Ok(())
            }
            Json::Files => match dir {
                Some(dir) => Ok(crate::io::write_json(&dir.join(name), value)?),
                None => Ok(()),
            },
        }
    }
}

impl Reporter for Json {
    fn train(&self, out: &TrainOutput, dir: Option<&Path>) -> Result<(), Error> {
        self.emit(out, dir, "train.json")
    }
    /// The theory document has sorted keys (it is what the fixtures hold verbatim).
    fn theory(&self, report: &TheoryReport, dir: Option<&Path>) -> Result<(), Error> {
        let text = report.to_sorted_json();
        match (self, dir) {
            (Json::Stdout, _) => print!("{text}"),
            (Json::Files, Some(dir)) => {
                crate::io::write_atomic(&dir.join("theory.json"), text.as_bytes())?
            }
            (Json::Files, None) => {}
        }
        Ok(())
    }
    fn detect(&self, out: &DetectOutput, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        self.emit(out, dir, &format!("{}.json", out.stem()))
    }
    fn run(&self, report: &RunReport, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        self.emit(report, dir, "report.json")
    }
    fn sweep(&self, report: &SweepReport, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        self.emit(report, dir, "sweep.json")
    }
    fn reproduce(&self, r: &Reproduction, dir: Option<&Path>) -> Result<(), Error> {
        self.emit(&r.report, dir, "reproduce.json")
    }
    fn digits(&self, doc: &Digits<'_>, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        let name = format!("{}.json", doc.stem());
        match doc {
            Digits::Uturn(d) => self.emit(d, dir, &name),
            Digits::Train(d) => self.emit(d, dir, &name),
            Digits::Compare(r) => self.emit(r, dir, &name),
            Digits::CompareEpochs(r) => self.emit(r, dir, &name),
        }
    }
    fn power(&self, report: &PowerReport, _f: &Figures, dir: Option<&Path>) -> Result<(), Error> {
        self.emit(report, dir, "power.json")
    }
    fn target(&self, report: &TargetReport, dir: Option<&Path>) -> Result<(), Error> {
        self.emit(report, dir, "target.json")
    }
}
