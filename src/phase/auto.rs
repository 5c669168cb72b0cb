//! The automatic phase-aware schedule (`--schedule auto`, [`crate::schedule::AutoSpec`];
//! issue 6 item 3), and [`resolve`], which turns it into knots for a problem.
//!
//! Pilot: the exact Bayes U-turn ([`BayesUTurn`]) at this (path, p, σ², d) on a fine grid of
//! the path at constant speed — cheap at any d and free of training noise. Two passes: a uniform grid of
//! `pilot_points` on [0, 1]; then the same grid merged with `refine_points` uniform points on
//! [0, min(1, t₉₀ + 10·width)] of the first detection, so that a window of width ~1.5/√d is
//! resolved at large d (SPEC §5.5: refine around the jump rather than making the whole grid
//! huge). The window is detected over the whole curve ([`Extent::Whole`]: the U-turn falls
//! from 2p(1 − p) to 0 with no background), padded by `margin` widths ([`window_tau`]) and
//! given the share `share` of the K grid points ([`phase_aware`], T = 1).

use super::{
    BayesGrid, BayesUTurn, Curve, DetectError, Detector, Extent, Profile, Window,
    error::check_range, phase_aware, window_tau,
};
use crate::path::PathSpec;
use crate::problem::ProblemSpec;
use crate::schedule::{AutoSpec, ScheduleSpec, Warp};
use serde::{Deserialize, Serialize};

/// The result of the pilot: the adapted schedule and how it was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoSchedule {
    /// The adapted schedule (piecewise knots).
    pub spec: ScheduleSpec,
    /// The U-turn window on the pilot's constant-speed schedule (t = τ).
    pub window: Window,
    /// The padded τ-window given `share` of the grid.
    pub tau_window: (f64, f64),
    /// The pilot U-turn curve.
    pub pilot: Curve,
}

/// Uniform `coarse` points on [0, 1) merged with uniform `refine` points on [0, `to`),
/// sorted, duplicates removed.
pub fn pilot_grid(coarse: usize, to: f64, refine: usize) -> Vec<f64> {
    let mut g: Vec<f64> = (0..coarse).map(|i| i as f64 / coarse as f64).collect();
    g.extend((0..refine).map(|i| to * i as f64 / refine as f64));
    g.sort_by(f64::total_cmp);
    g.dedup_by(|a, b| (*a - *b).abs() < 1e-15);
    g
}

/// Pilot, detect and adapt on the linear path (module doc).
///
/// # Errors
/// [`DetectError::OutOfRange`] naming a bad p, σ², d, share, margin or point count.
pub fn auto_schedule(
    p: f64,
    sigma2: f64,
    d: usize,
    cfg: &AutoSpec,
) -> Result<AutoSchedule, DetectError> {
    auto_schedule_on(&PathSpec::linear(), p, sigma2, d, cfg)
}

/// Pilot, detect and adapt on `path` (module doc). The window is that of the mode sign, the
/// feature the U-turn follows.
///
/// # Errors
/// As [`auto_schedule`].
pub fn auto_schedule_on(
    path: &PathSpec,
    p: f64,
    sigma2: f64,
    d: usize,
    cfg: &AutoSpec,
) -> Result<AutoSchedule, DetectError> {
    check_range("p", "in (0, 1)", p, p > 0.0 && p < 1.0)?;
    check_range("sigma2", "positive", sigma2, sigma2 > 0.0)?;
    check_range("d", "at least 1", d as f64, d >= 1)?;
    check_range("margin", "non-negative", cfg.margin, cfg.margin >= 0.0)?;
    check_range(
        "pilot-points",
        "at least 10",
        cfg.pilot_points as f64,
        cfg.pilot_points >= 10,
    )?;
    let det = Detector {
        extent: Extent::Whole,
        bootstrap: 0,
        seed: 0,
    };
    let pilot_schedule = ScheduleSpec::linear().build_on(path, d)?;
    let run = |grid: Vec<f64>| -> Result<(Curve, Window), DetectError> {
        let c = BayesUTurn(BayesGrid {
            schedule: pilot_schedule.as_ref(),
            grid,
            p,
            sigma2,
            d,
        })
        .curve()?;
        let w = super::detect(&c, &det)?;
        Ok((c, w))
    };
    let (_, w1) = run(pilot_schedule.grid(cfg.pilot_points))?;
    let to = (w1.t90 + 10.0 * w1.width).min(1.0);
    let (pilot, window) = run(pilot_grid(cfg.pilot_points, to, cfg.refine_points))?;
    let tau_window = window_tau(&window, pilot_schedule.as_ref(), cfg.margin);
    let sched = phase_aware(tau_window, cfg.share, 1.0)?;
    Ok(AutoSchedule {
        spec: ScheduleSpec::piecewise(Warp::knots(&sched)),
        window,
        tau_window,
        pilot,
    })
}

/// The problem with an `auto` schedule resolved into its knots by the pilot (run once, here);
/// any other schedule is returned unchanged.
///
/// # Errors
/// [`DetectError::OutOfRange`] naming the flag the pilot rejects (p, sigma2, d, share, …).
pub fn resolve(problem: &ProblemSpec) -> Result<ProblemSpec, DetectError> {
    match &problem.schedule {
        ScheduleSpec::Auto(cfg) => Ok(ProblemSpec {
            schedule: auto_schedule_on(&problem.path, problem.p, problem.sigma2, problem.d, cfg)?
                .spec,
            ..problem.clone()
        }),
        _ => Ok(problem.clone()),
    }
}
