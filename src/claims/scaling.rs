//! Finite-size-scaling checks of the claims (issue 11 item 4): a statistic measured on a
//! ladder of trained experiments, fitted under the declared rule of [`crate::harness::fss`],
//! and its intercept tested against the limit the theory predicts.

use super::common::{LEVEL, Trained};
use crate::harness::check::{Allowance, CheckInput, Measured};
use crate::harness::families::Stat;
use crate::harness::fss::{self, Along, FssFit, FssPoint};
use crate::harness::pilot::{self, PilotTag};
use crate::stats::Estimate;

/// The size of a cell along the scaled axis.
fn size(t: &Trained, along: Along) -> usize {
    match along {
        Along::D => t.d(),
        Along::N => t.n(),
    }
}

fn point(size: usize, along: Along, e: &Estimate) -> FssPoint {
    FssPoint {
        size,
        x: along.x(size),
        value: e.point,
        se: e.se,
        df: e.n.saturating_sub(1) as f64,
    }
}

/// How δ of a scaling check is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delta {
    /// Zero: the size dependence is fitted and the limit is the theory's exact limit.
    Fitted,
    /// The bias of the same fit on the cells' pilots against the limit (for a limit that
    /// leaves a term out, e.g. the finite-n gap of the generated p̂).
    Pilot,
}

/// The scaling check of `stat` over `cells` along `along` against `limit`: the intercept
/// with its Welch–Satterthwaite df, δ as `delta` says; `None` if a cell has no value or the
/// fit is not defined.
pub(crate) fn check<'a>(
    name: &str,
    family: &str,
    along: Along,
    cells: &[&'a Trained],
    stat: impl Fn(&'a Trained) -> Option<Stat<'a>>,
    limit: f64,
    delta: Delta,
) -> Option<(CheckInput, FssFit)> {
    let stats: Option<Vec<Stat<'a>>> = cells.iter().map(|t| stat(t)).collect();
    let stats = stats?;
    let points: Option<Vec<FssPoint>> = cells
        .iter()
        .zip(&stats)
        .map(|(t, s)| {
            s.measure(&t.outs, LEVEL)
                .map(|e| point(size(t, along), along, &e))
        })
        .collect();
    let fit = fss::fit(name, along, points?, limit)?;
    let allowance = match delta {
        Delta::Fitted => Allowance::fitted(format!(
            "0: the {} dependence is fitted ({})",
            match along {
                Along::D => "d",
                Along::N => "n",
            },
            fit.rule()
        )),
        Delta::Pilot => {
            pilot_allowance(name, along, cells, &stats, limit).unwrap_or_else(pilot::none)
        }
    };
    let source = stats.first()?.source;
    let check = CheckInput::new(
        format!("{name}.fss_intercept"),
        family,
        fit.intercept,
        limit,
        source,
        allowance,
    );
    Some((check, fit))
}

/// The same fit on the pilots (control-variate values), its intercept's distance from the
/// limit as the bias.
fn pilot_allowance(
    name: &str,
    along: Along,
    cells: &[&Trained],
    stats: &[Stat<'_>],
    limit: f64,
) -> Option<Allowance> {
    let mut tag = None;
    let points: Option<Vec<FssPoint>> = cells
        .iter()
        .zip(stats)
        .map(|(t, s)| {
            let (outs, seed) = t.pilot.as_ref()?;
            tag = Some(PilotTag {
                seed: *seed,
                replicas: outs.len(),
            });
            let v = s.pilot_values(outs, t.exp.train.problem.p)?;
            Some(point(
                size(t, along),
                along,
                &Estimate::from_samples(&v, LEVEL),
            ))
        })
        .collect();
    let fit = fss::fit(name, along, points?, limit)?;
    let bias = Measured {
        point: fit.intercept.point - limit,
        se: fit.intercept.se,
        dof: fit.intercept.dof,
    };
    Some(pilot::allowance(
        bias,
        tag?,
        stats.iter().any(|s| s.slope_p != 0.0),
    ))
}
