//! The figures of the output folder: [`Figures`] writes every figure of a result as SVG +
//! PNG. The figures of runs and sweeps are built by [`crate::harness::figures`] (the claims
//! draw them too), a detection's profile here.

use crate::claims::Reproduction;
use crate::detect::DetectOutput;
use crate::error::Error;
use crate::harness::RunReport;
use crate::harness::power::PowerReport;
use crate::harness::sweep::SweepReport;
use crate::plot::Figure;
use std::path::Path;

pub use crate::harness::figures::{overlaps, sweep};

/// The figures of the output folder, SVG + PNG, one pair per stem.
pub struct Figures;

fn save_all(figures: &super::Figures, dir: Option<&Path>) -> Result<(), Error> {
    if let Some(dir) = dir {
        for (stem, fig) in figures {
            fig.save(dir, stem)?;
        }
    }
    Ok(())
}

impl super::Reporter for Figures {
    fn detect(
        &self,
        _o: &DetectOutput,
        f: &super::Figures,
        dir: Option<&Path>,
    ) -> Result<(), Error> {
        save_all(f, dir)
    }
    fn run(&self, _r: &RunReport, f: &super::Figures, dir: Option<&Path>) -> Result<(), Error> {
        save_all(f, dir)
    }
    fn sweep(&self, _r: &SweepReport, f: &super::Figures, dir: Option<&Path>) -> Result<(), Error> {
        save_all(f, dir)
    }
    fn reproduce(&self, r: &Reproduction, dir: Option<&Path>) -> Result<(), Error> {
        save_all(&r.figures, dir)
    }
    fn digits(
        &self,
        _d: &super::Digits<'_>,
        f: &super::Figures,
        dir: Option<&Path>,
    ) -> Result<(), Error> {
        save_all(f, dir)
    }
    fn power(&self, _r: &PowerReport, f: &super::Figures, dir: Option<&Path>) -> Result<(), Error> {
        save_all(f, dir)
    }
}

/// The profile of a detection with its window shaded ([`crate::phase::profile_figure`]).
pub fn detect(out: &DetectOutput) -> Figure {
    let (name, ylab) = match out.config.profile {
        crate::detect::ProfileKind::Mse => ("MSE profile", "MSE per dimension"),
        crate::detect::ProfileKind::Uturn => ("U-turn profile", "P(mode sign flips)"),
    };
    crate::phase::profile_figure(name, ylab, &out.profile, &out.window)
}
