//! Sweeps over d and n for the sample-complexity claim Θ_d(1) (SPEC §5.6): at fixed n the
//! errors of p̂, the orthogonal variance and the learned overlaps do not grow with d, and
//! they shrink with n.
//!
//! Each cell (d, n) runs R replicas of the base experiment with those sizes. Per replica the
//! errors are measured against the finite-d, n → ∞ theory at the same d and grid, so that
//! discretisation and finite-d effects are not counted as learning error:
//! * `p_hat`: |p̂ − p̂_Euler| (SPEC §5.4, exact Euler with the Bayes denoiser);
//! * `p_hat_vs_p`: |p̂ − p|, the loss of the mode weight itself (discretisation included:
//!   this is the error that grows with d on the linear schedule);
//! * `var_perp`: |var⊥ − var⊥_Euler|;
//! * `phase1_omega`: RMS over phase-1 grid times (0 < t < split) of ω − ω_Bayes (§5.1);
//! * `phase2_c`: RMS over phase-2 grid times of c − c_Bayes (§5.1) (both on schedules with
//!   phases, [`crate::schedule::Schedule::phases`]).
//!
//! The slope of log(mean error) against log d (at each n) and against log n (at each d) is
//! fitted by least squares; its standard error propagates the replica standard errors of the
//! cell means (Var log ē ≈ (SE/ē)²), and the interval uses the normal quantile at the sweep's
//! level. These are descriptive fits; `reproduce` turns them into claims.

use super::{Experiment, progress, run_replicas};
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::problem::ConfigError;
use crate::stats::Estimate;
use crate::theory::Theory;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Version of the sweep report schema (2: `config.base.train` is the nested
/// [`crate::experiment::TrainConfig`] of schema 2; 3: of schema 3 (interpolant `path`,
/// sampler `endpoint`), and each fit carries its degrees of freedom).
pub const SWEEP_SCHEMA_VERSION: u32 = 3;

/// A grid over d and n around a base experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// The base experiment (its d and n are replaced cell by cell).
    pub base: Experiment,
    /// Dimensions.
    pub d: Vec<usize>,
    /// Sample sizes.
    pub n: Vec<usize>,
}

/// The error metrics of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Dimension.
    pub d: usize,
    /// Samples.
    pub n: usize,
    /// Mean p̂ over replicas.
    pub p_hat: Estimate,
    /// Exact Euler prediction of p̂ at this d (§5.4).
    pub p_hat_euler: f64,
    /// Error metrics, by name (see module docs).
    pub errors: Vec<(String, Estimate)>,
}

/// A log-log slope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// Metric name.
    pub metric: String,
    /// "d" (slope in d at fixed n) or "n" (slope in n at fixed d).
    pub along: String,
    /// The size held fixed.
    pub fixed: usize,
    /// Fitted slope of log(mean error) against log(size).
    pub slope: f64,
    /// Its standard error (propagated from the cell standard errors).
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom of that propagation (each cell's R − 1).
    pub df: f64,
    /// Normal interval at `level`.
    pub ci: [f64; 2],
    /// Confidence level.
    pub level: f64,
    /// Number of sizes in the fit.
    pub points: usize,
}

/// What `phaseflow sweep --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// [`SWEEP_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The crate version.
    pub crate_version: String,
    /// The sweep.
    pub config: Sweep,
    /// One entry per (d, n), d-major.
    pub cells: Vec<Cell>,
    /// Slopes in d at each n and in n at each d.
    pub fits: Vec<Fit>,
}

/// Per-replica error metrics of one cell, against the theory at this cell's size.
fn replica_errors(th: &Theory, euler: (f64, Option<f64>), o: &TrainOutput) -> Vec<(String, f64)> {
    let mut v = vec![
        ("p_hat".to_string(), (o.generated.p_hat - euler.0).abs()),
        ("p_hat_vs_p".to_string(), (o.generated.p_hat - th.p()).abs()),
    ];
    if let (Some(vp), Some(pred)) = (o.generated.var_perp, euler.1) {
        v.push(("var_perp".into(), (vp - pred).abs()));
    }
    let rms = |sel: &dyn Fn(f64) -> bool,
               f: &dyn Fn(&crate::experiment::StepOutput) -> Option<f64>| {
        let e: Vec<f64> = o.steps.iter().filter(|s| sel(s.t)).filter_map(f).collect();
        (!e.is_empty()).then(|| (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt())
    };
    if let Some(ph) = th.phases() {
        if let Some(e) = rms(&|t| ph.in_phase1(t), &|s| {
            th.bayes(s.t).omega.map(|w| s.overlaps.omega - w)
        }) {
            v.push(("phase1_omega".into(), e));
        }
        if let Some(e) = rms(&|t| ph.in_phase2(t), &|s| {
            th.bayes(s.t).c.map(|c| s.overlaps.c - c)
        }) {
            v.push(("phase2_c".into(), e));
        }
    }
    v
}

/// Log-log slope with standard error propagated from the cell SEs and its
/// Welch–Satterthwaite degrees of freedom: (slope, se, df, interval).
fn loglog(x: &[f64], e: &[Estimate], level: f64) -> Option<(f64, f64, f64, [f64; 2])> {
    if x.len() < 2 || e.iter().any(|v| v.point.is_nan() || v.point <= 0.0) {
        return None;
    }
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = e.iter().map(|v| v.point.ln()).collect();
    let (slope, _, _) = crate::stats::ols(&lx, &ly);
    let mx = lx.iter().sum::<f64>() / lx.len() as f64;
    let sxx: f64 = lx.iter().map(|v| (v - mx) * (v - mx)).sum();
    // slope = Σ_j w_j ln ē_j with w_j = (ln x_j − mean)/Sxx; Var ln ē_j ≈ (SE_j/ē_j)².
    let terms: Vec<(f64, f64, f64)> = lx
        .iter()
        .zip(e)
        .map(|(xv, ev)| {
            (
                (xv - mx) / sxx,
                ev.se / ev.point,
                ev.n.saturating_sub(1) as f64,
            )
        })
        .collect();
    let var: f64 = terms.iter().map(|(w, s, _)| (w * s).powi(2)).sum();
    let df = crate::stats::satterthwaite(&terms);
    let z = Normal::new(0.0, 1.0)
        .expect("standard normal")
        .inverse_cdf(0.5 + level / 2.0);
    let se = var.sqrt();
    Some((slope, se, df, [slope - z * se, slope + z * se]))
}

/// One cell of a sweep from its trained replicas (any order of cells; `config` is the
/// cell's validated configuration).
///
/// # Errors
/// [`Error::Config`] if the theory cannot be built, [`Error::NoPrediction`] if an Euler map
/// folds.
pub fn cell_of(
    config: &crate::experiment::TrainConfig,
    outs: &[TrainOutput],
    level: f64,
) -> Result<Cell, Error> {
    let c = &config.problem;
    let d = c.d;
    let th = Theory::new(&c.path, &c.schedule, c.p, c.sigma2, d)?;
    let eu = th
        .euler_to(c.steps, config.endpoint)
        .ok_or(Error::NoPrediction {
            what: "exact Euler p̂ (an Euler map folds)",
            d,
        })?;
    let per: Vec<Vec<(String, f64)>> = outs
        .iter()
        .map(|o| replica_errors(&th, (eu.p_hat, eu.var_perp), o))
        .collect();
    let names: Vec<String> = per[0].iter().map(|(k, _)| k.clone()).collect();
    let errors = names
        .iter()
        .enumerate()
        .map(|(j, k)| {
            let vals: Vec<f64> = per.iter().map(|r| r[j].1).collect();
            (k.clone(), Estimate::from_samples(&vals, level))
        })
        .collect();
    let p_hat: Vec<f64> = outs.iter().map(|o| o.generated.p_hat).collect();
    Ok(Cell {
        d,
        n: c.n,
        p_hat: Estimate::from_samples(&p_hat, level),
        p_hat_euler: eu.p_hat,
        errors,
    })
}

/// The report of a sweep from its cells (d-major or not; fits along d at each n and along
/// n at each d wherever the cells of that line exist).
pub fn report_of(config: Sweep, cells: Vec<Cell>) -> SweepReport {
    let level = 1.0 - config.base.alpha;
    let fits = fits(&cells, &config.d, &config.n, level);
    SweepReport {
        schema_version: SWEEP_SCHEMA_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        config,
        cells,
        fits,
    }
}

impl Sweep {
    /// Check the grid and the base experiment.
    ///
    /// # Errors
    /// [`Error::Config`] naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        for (field, sizes) in [("d", &self.d), ("n", &self.n)] {
            if sizes.is_empty() {
                return Err(ConfigError::TooFew {
                    field,
                    min: 1,
                    why: " value",
                    got: 0,
                }
                .into());
            }
            if sizes.contains(&0) {
                return Err(ConfigError::ZeroSize { field }.into());
            }
            if let Some(v) = sizes
                .iter()
                .enumerate()
                .find_map(|(i, v)| sizes[..i].contains(v).then_some(v))
            {
                return Err(ConfigError::Invalid {
                    field,
                    rule: format!(
                        "{v} is listed twice (a log-log slope needs distinct sizes; a repeated one gives NaN fits)"
                    ),
                }
                .into());
            }
        }
        if self.d.len() < 2 && self.n.len() < 2 {
            return Err(ConfigError::Invalid {
                field: "d",
                rule: format!(
                    "one value of d ({}) and one of n ({}) give no slope; list at least two distinct values of d or of n",
                    self.d[0], self.n[0]
                ),
            }
            .into());
        }
        let mut time = crate::budget::Cost::time();
        for &d in &self.d {
            for &n in &self.n {
                let cell = self.cell(d, n);
                cell.validate_training()?;
                time.add_scaled(&cell.time(), 1.0);
            }
        }
        // The whole grid, not only each cell, within the time budget.
        time.check()?;
        Ok(())
    }

    fn cell(&self, d: usize, n: usize) -> Experiment {
        let mut e = self.base.clone();
        e.train.problem.d = d;
        e.train.problem.n = n;
        e
    }

    /// Run every cell and fit the slopes.
    ///
    /// # Errors
    /// Bad input or a training failure.
    pub fn run(&self, quiet: bool) -> Result<SweepReport, Error> {
        self.validate()?;
        let level = 1.0 - self.base.alpha;
        let total = (self.d.len() * self.n.len() * self.base.replicas) as u64;
        let pb = progress(total, "sweep replicas", quiet);
        let mut cells = Vec::new();
        for &d in &self.d {
            for &n in &self.n {
                let exp = self.cell(d, n);
                let v = exp.validate_training()?;
                let ids: Vec<u64> = (0..exp.replicas as u64).collect();
                let outs = run_replicas(&v, &ids, &pb)?;
                cells.push(cell_of(&v.config, &outs, level)?);
            }
        }
        pb.finish_and_clear();
        Ok(report_of(self.clone(), cells))
    }
}

fn fits(cells: &[Cell], ds: &[usize], ns: &[usize], level: f64) -> Vec<Fit> {
    let metric_names: Vec<String> = cells[0].errors.iter().map(|(k, _)| k.clone()).collect();
    let get = |d: usize, n: usize, k: &str| {
        cells
            .iter()
            .find(|c| c.d == d && c.n == n)
            .and_then(|c| c.errors.iter().find(|(m, _)| m == k).map(|(_, e)| *e))
    };
    let mut out = Vec::new();
    for k in &metric_names {
        let mut push = |along: &str, fixed: usize, xs: Vec<f64>, es: Vec<Estimate>| {
            if let Some((slope, se, df, ci)) = loglog(&xs, &es, level) {
                out.push(Fit {
                    metric: k.clone(),
                    along: along.into(),
                    fixed,
                    slope,
                    se,
                    df,
                    ci,
                    level,
                    points: xs.len(),
                });
            }
        };
        for &n in ns {
            let es: Option<Vec<Estimate>> = ds.iter().map(|&d| get(d, n, k)).collect();
            if let Some(es) = es {
                push("d", n, ds.iter().map(|&d| d as f64).collect(), es);
            }
        }
        for &d in ds {
            let es: Option<Vec<Estimate>> = ns.iter().map(|&n| get(d, n, k)).collect();
            if let Some(es) = es {
                push("n", d, ns.iter().map(|&n| n as f64).collect(), es);
            }
        }
    }
    out
}
