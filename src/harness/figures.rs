//! The figures of runs and sweeps, built from their reports and the theory: the paper's
//! overlap figure (learned overlaps vs t with the Bayes, d → ∞ and finite-n curves) and the
//! log-log error figures of a sweep. The report's figures and the claims' use them.

use super::sweep::SweepReport;
use super::{Aggregate, Experiment, RunReport, StepAggregate};
use crate::error::Error;
use crate::plot::{Color, Figure, Panel, Series};
use crate::theory::{FiniteN, Prediction, Theory};
use rayon::prelude::*;

/// Theory points per unit of t for the closed-form curves.
const CURVE_POINTS: usize = 60;
/// Points per unit of t for the finite-n curve (a minimisation per point and n₊).
const FINITE_N_POINTS: usize = 20;

type Pick = fn(&Prediction) -> Option<f64>;
type Measured = fn(&StepAggregate) -> &crate::stats::Estimate;

/// The six overlaps: (label, measured selector, theory selector).
fn quantities() -> [(&'static str, Measured, Pick); 6] {
    [
        ("c", |s| &s.c, |p| p.c),
        ("m", |s| &s.m, |p| p.m),
        ("ω", |s| &s.omega, |p| p.omega),
        ("b", |s| &s.b, |p| p.b),
        ("√q", |s| &s.sqrt_q, |p| p.sqrt_q),
        ("√r", |s| &s.sqrt_r, |p| p.sqrt_r),
    ]
}

/// Learned overlaps (replica means with t-intervals) against the Bayes (§5.1), d → ∞
/// (§5.2) and finite-n-at-d (§5.3) curves, one panel per overlap.
///
/// # Errors
/// If the theory cannot be built for the report's configuration.
pub fn overlaps(r: &RunReport) -> Result<Figure, Error> {
    overlaps_of(&r.config, &r.aggregate)
}

/// [`overlaps`] of an experiment's aggregate (the claims draw it without a run report).
///
/// # Errors
/// If the theory cannot be built for the configuration.
pub fn overlaps_of(config: &Experiment, aggregate: &Aggregate) -> Result<Figure, Error> {
    let exp = config.resolved()?;
    let c = &exp.train.problem;
    let th = Theory::new(&c.path, &c.schedule, c.p, c.sigma2, c.d)?.with_finite_n(FiniteN {
        n: c.n,
        lambda_u: c.lambda_u,
        lambda_w: c.lambda_w,
        noise: exp.train.engine.noise(),
    })?;
    let t_end = th.schedule().t_end();
    let m = (CURVE_POINTS as f64 * t_end) as usize;
    let ts: Vec<f64> = (1..m).map(|i| t_end * i as f64 / m as f64).collect();
    let bayes: Vec<Prediction> = ts.iter().map(|&t| th.bayes(t)).collect();
    let limit: Vec<Option<Prediction>> = ts.iter().map(|&t| th.limit(t)).collect();
    // The finite-n phase-1 curve needs a 2-D minimisation per (t, n₊): a coarser grid,
    // computed in parallel (collected in order, so the figure is deterministic).
    let mf = (FINITE_N_POINTS as f64 * t_end) as usize;
    let tf: Vec<f64> = (1..mf).map(|i| t_end * i as f64 / mf as f64).collect();
    let finite: Vec<Option<Prediction>> = tf.par_iter().map(|&t| th.finite_n_at_d(t)).collect();
    // The reduced theory (the checks' prediction at every grid time, phase 2's ω and b
    // included) at the grid times themselves.
    let grid: Vec<f64> = aggregate.steps.iter().map(|s| s.t).collect();
    let reduced = th.reduced_at(&grid);
    let steps = &aggregate.steps;
    let mut fig = Figure::new(format!(
        "learned overlaps, {} schedule, p = {}, σ² = {}, d = {}, n = {}, K = {}, R = {}",
        c.schedule.name_on(&c.path),
        c.p,
        c.sigma2,
        c.d,
        c.n,
        c.steps,
        config.replicas
    ))
    .with_cols(3);
    for (name, meas, pick) in quantities() {
        let curve = |v: &[Option<Prediction>]| -> Vec<f64> {
            v.iter()
                .map(|p| p.as_ref().and_then(pick).unwrap_or(f64::NAN))
                .collect()
        };
        let b: Vec<f64> = bayes.iter().map(|p| pick(p).unwrap_or(f64::NAN)).collect();
        let mut panel = Panel::new(name, "t", name).with_series(Series::line(
            "Bayes, this d (§5.1)",
            ts.clone(),
            b,
        ));
        if limit.iter().any(Option::is_some) {
            panel = panel.with_series(Series::dashed("d → ∞ (§5.2)", ts.clone(), curve(&limit)));
        }
        if finite.iter().any(Option::is_some) {
            panel = panel.with_series(Series::dotted(
                format!("n = {} (§5.3)", c.n),
                tf.clone(),
                curve(&finite),
            ));
        }
        if reduced.iter().any(Option::is_some) {
            panel = panel.with_series(
                Series::line(
                    "reduced, this d and n (the checks)",
                    grid.clone(),
                    curve(&reduced),
                )
                .with_color(Color::Rgb(90, 90, 90)),
            );
        }
        let y: Vec<f64> = steps.iter().map(|s| meas(s).point).collect();
        let e: Vec<f64> = steps
            .iter()
            .map(|s| {
                let est = meas(s);
                0.5 * (est.ci[1] - est.ci[0])
            })
            .collect();
        panel = panel.with_series(
            Series::markers(
                format!("trained ({})", exp.train.engine.kind()),
                grid.clone(),
                y.clone(),
            )
            .with_err(e.clone()),
        );
        // The Bayes ω, b and √r diverge in phase 2 while the trained ones stay small: keep
        // the axis on the trained and reduced range there.
        if matches!(name, "ω" | "b" | "√r") {
            let vals = y
                .iter()
                .zip(&e)
                .flat_map(|(v, h)| [v - h, v + h])
                .chain(curve(&reduced))
                .filter(|v| v.is_finite());
            let (lo, hi) = vals.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
            if hi > lo {
                let pad = 0.08 * (hi - lo);
                panel = panel.with_y_range(lo - pad, hi + pad);
            }
        }
        fig = fig.with_panel(panel);
    }
    Ok(fig)
}

/// Log-log error figures of a sweep: `errors_vs_d` (a series per n) and `errors_vs_n` (a
/// series per d), one panel per metric, each series with its fitted line.
pub fn sweep(r: &SweepReport) -> Vec<(String, Figure)> {
    vec![
        ("errors_vs_d".into(), sweep_along(r, true)),
        ("errors_vs_n".into(), sweep_along(r, false)),
    ]
}

fn sweep_along(r: &SweepReport, along_d: bool) -> Figure {
    let metrics: Vec<String> = r.cells[0].errors.iter().map(|(k, _)| k.clone()).collect();
    let (axis, other) = if along_d { ("d", "n") } else { ("n", "d") };
    let mut fig = Figure::new(format!(
        "errors vs {axis} at fixed {other} ({} schedule, R = {} per cell)",
        {
            let p = &r.config.base.train.problem;
            p.schedule.name_on(&p.path)
        },
        r.config.base.replicas
    ))
    .with_cols(2);
    let fixed_values = if along_d { &r.config.n } else { &r.config.d };
    for k in &metrics {
        let mut panel = Panel::new(k.as_str(), axis, format!("error {k}")).with_log_log();
        for &fixed in fixed_values {
            let cells: Vec<_> = r
                .cells
                .iter()
                .filter(|c| if along_d { c.n == fixed } else { c.d == fixed })
                .collect();
            let pick = |c: &crate::harness::sweep::Cell| {
                c.errors.iter().find(|(m, _)| m == k).map(|(_, e)| *e)
            };
            let x: Vec<f64> = cells
                .iter()
                .map(|c| if along_d { c.d } else { c.n } as f64)
                .collect();
            let y: Vec<f64> = cells
                .iter()
                .map(|c| pick(c).map_or(f64::NAN, |e| e.point))
                .collect();
            let e: Vec<f64> = cells
                .iter()
                .map(|c| pick(c).map_or(f64::NAN, |e| e.se))
                .collect();
            panel = panel.with_series(
                Series::markers(format!("{other} = {fixed}"), x.clone(), y.clone()).with_err(e),
            );
            if let Some(f) = r
                .fits
                .iter()
                .find(|f| &f.metric == k && f.along == axis && f.fixed == fixed)
            {
                // Intercept of the least-squares line through (ln x, ln ē).
                let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
                let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
                let icpt = ly.iter().sum::<f64>() / ly.len() as f64
                    - f.slope * lx.iter().sum::<f64>() / lx.len() as f64;
                panel = panel.with_series(Series::fit_line(
                    f.slope,
                    icpt,
                    (x[0], x[x.len() - 1]),
                    format!("slope {:.2} ± {:.2}", f.slope, f.se),
                ));
            }
        }
        fig = fig.with_panel(panel);
    }
    fig
}
