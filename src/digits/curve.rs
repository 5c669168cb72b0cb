//! The U-turn gain as a learning curve (issue 13), with the authors' mechanism: DDPM VP
//! path, noise prediction, reverse-SDE Euler–Maruyama sampler, AdamW with warm-up, cosine
//! decay and gradient clipping, batch 32 with stratified per-batch time counts.
//!
//! Pipeline: fit the "0 vs 1" classifier (and its shuffled-label control) → train a uniform
//! reference model for `reference_steps` (replica [`REFERENCE_REPLICA`]) → U-turn curves
//! per class (pairs from that class only), pooled, and the mismatched-partner control, each
//! window with bootstrap SEs → arms: uniform, a band on each found window (class 1, class
//! 0, pooled) and the authors' fixed band, each with `weight` of every batch in its band →
//! for each budget (optimiser steps; each budget is its own run, since the cosine schedule
//! ends with the budget), seed r < R and arm: train, generate N images, record the share q̂
//! the classifier calls 0 and the error |q̂ − q|. All arms at one (seed, budget) share the
//! initial network, images, noise and uniforms and the generation noise (paired).
//!
//! Statistics per (arm, budget): the mean error with its t-interval over seeds, the paired
//! difference Δ = err_uniform − err_arm with its t-interval, and the ratio of mean errors
//! ρ = ē_uniform/ē_arm with a **delta-method** interval on log ρ using the paired
//! covariance: Var(log ρ) ≈ s_u²/ē_u² + s_a²/ē_a² − 2·c_ua/(ē_u·ē_a) (variances and
//! covariance of the means), t quantile with R − 1 df.
//!
//! Checks go through [`crate::harness::check`] in one run at family-wise α = 0.05:
//! - family `digits.setup`: classifier accuracy ≥ 0.97 (control: shuffled labels), each
//!   U-turn curve falls by at least half its ideal height (control: mismatched partner);
//! - family `digits.gain`: the primary tests H₀: Δ = 0 for every phase-aware arm and budget
//!   (Holm over them; a rejection with Δ > 0 is "significantly better"); the real
//!   diagnostic "uniform against itself on an independent generated set" (a true null that
//!   must not be rejected); the control "error at the smallest budget equals the error at
//!   the largest" (a learning curve that falls, which the test must detect).
//!
//! The gain tests are **findings**, reported either way; the exit code is 1 only when a
//! setup check, the true-null check or a control is not as expected.

use super::DigitsError;
use super::classifier::DigitClass;
use super::compare::{ClassifierReport, classifier, share_zero_with};
use super::data::{Digits, Scale, Unbalanced};
use super::flow::generate;
use super::mechanism::{Mechanism, Sampling, Solver};
use super::net::Mlp;
use super::train::{Optimiser, StepsConfig, TimeDraw, TimeSampler, train_steps};
use super::uturn::{self, UTurnConfig, UTurnCurve, Window};
use crate::error::Error;
use crate::harness::Summary;
use crate::harness::check::{Allowance, CheckInput, CheckResult, Measured, Side, Source};
use crate::plot::{Color, Figure, Panel, Series, Style};
use crate::rng::Purpose;
use crate::stats::{Estimate, t_quantile};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Schema version of the JSON report.
pub const SCHEMA: u32 = 1;
/// Replica of the reference model (never a comparison seed).
pub const REFERENCE_REPLICA: u64 = 1_000_000;
/// Family-wise level of the run's checks (95 % intervals).
pub const ALPHA: f64 = 0.05;
/// Family of the setup checks.
pub const SETUP: &str = "digits.setup";
/// Family of the gain tests.
pub const GAIN: &str = "digits.gain";

/// Settings of `phaseflow digits compare`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveConfig {
    /// Master seed.
    pub seed: u64,
    /// Share of zeros in the unbalanced set.
    pub share: f64,
    /// Paired seeds R.
    pub seeds: usize,
    /// Budgets in optimiser steps, increasing.
    pub budgets: Vec<usize>,
    /// Steps of the uniform reference model of the U-turn.
    pub reference_steps: usize,
    /// Generated images per (arm, seed, budget).
    pub generated: usize,
    /// Path and target.
    pub mechanism: Mechanism,
    /// Sampler solver.
    pub solver: Solver,
    /// Sampler steps over [0, 1].
    pub sde_steps: usize,
    /// Stratified or i.i.d. batch times.
    pub draw: TimeDraw,
    /// Share of each batch in the phase-aware band (the authors' 16/32).
    pub weight: f64,
    /// The authors' fixed band in **diffusion** time s = 1 − t (their [0.2, 0.4]).
    pub band: [f64; 2],
    /// Mini-batch size.
    pub batch: usize,
    /// Hidden width.
    pub hidden: usize,
    /// A diagonal input→output skip in the network ([`super::net::Mlp::with_skip`]).
    pub skip: bool,
    /// Optimiser.
    pub optimiser: Optimiser,
    /// Pixel scaling.
    pub scale: Scale,
    /// Clamp generated pixels to the data range before classifying (module doc).
    pub clamp: bool,
    /// U-turn grid points on [0, 1).
    pub uturn_points: usize,
    /// U-turn pairs per grid point and curve.
    pub uturn_pairs: usize,
}

impl Default for CurveConfig {
    fn default() -> Self {
        CurveConfig {
            // The command line's default master seed (the numbers of docs/digits.md).
            seed: 0,
            share: 0.8,
            seeds: 8,
            budgets: vec![25, 50, 100, 200, 400, 800, 1600, 3200],
            reference_steps: 1600,
            generated: 1000,
            mechanism: Mechanism::Vp,
            solver: Solver::Sde,
            sde_steps: 100,
            draw: TimeDraw::Stratified,
            weight: 0.5,
            band: [0.2, 0.4],
            batch: 32,
            hidden: 128,
            skip: true,
            optimiser: Optimiser::default(),
            scale: Scale::Unit,
            clamp: true,
            uturn_points: 20,
            uturn_pairs: 200,
        }
    }
}

impl CurveConfig {
    /// The sampler.
    pub fn sampling(&self) -> Sampling {
        Sampling {
            mechanism: self.mechanism,
            solver: self.solver,
            steps: self.sde_steps,
        }
    }

    /// Check every field before any work, naming its flag.
    ///
    /// # Errors
    /// [`crate::problem::ConfigError`].
    pub fn check(&self) -> Result<(), crate::problem::ConfigError> {
        use crate::problem::{ConfigError, at_least_one};
        if self.seeds < 2 {
            return Err(ConfigError::TooFew {
                field: "seeds",
                min: 2,
                why: " for an interval",
                got: self.seeds,
            });
        }
        if self.budgets.len() < 2
            || self.budgets[0] == 0
            || self.budgets.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(ConfigError::Invalid {
                field: "budgets",
                rule: format!(
                    "{:?}: need at least two budgets ≥ 1, increasing",
                    self.budgets
                ),
            });
        }
        at_least_one("reference-steps", self.reference_steps)?;
        at_least_one("generated", self.generated)?;
        at_least_one("batch", self.batch)?;
        at_least_one("hidden", self.hidden)?;
        if self.uturn_points < 3 {
            return Err(ConfigError::TooFew {
                field: "points",
                min: 3,
                why: " for a U-turn window",
                got: self.uturn_points,
            });
        }
        if self.uturn_pairs < 2 {
            return Err(ConfigError::TooFew {
                field: "pairs",
                min: 2,
                why: " for a standard error",
                got: self.uturn_pairs,
            });
        }
        let s = self.share;
        ConfigError::check_range("share", "in (0.5, 1)", s, s > 0.5 && s < 1.0)?;
        let w = self.weight;
        ConfigError::check_range("weight", "in [0, 1)", w, (0.0..1.0).contains(&w))?;
        let [lo, hi] = self.band;
        if !(0.0 <= lo && lo < hi && hi <= 1.0) || (lo <= 0.0 && hi >= 1.0) {
            return Err(ConfigError::Invalid {
                field: "band",
                rule: format!("need 0 ≤ LO < HI ≤ 1, not all of [0, 1]; got {lo},{hi}"),
            });
        }
        self.optimiser.check()?;
        self.sampling().validate()?;
        let cost = super::compare::digits_cost(
            self.generated,
            self.uturn_pairs,
            self.uturn_points,
            self.seeds,
        );
        cost.check()
    }
}

impl CurveConfig {
    /// The work of `digits compare` ([`crate::budget`], CPU seconds): the reference model
    /// (`reference_steps` optimiser steps of a batch) and its U-turn (pairs × points ×
    /// sde-steps), then for every seed and budget at most 4 arms trained `budget` steps of a
    /// batch and 5 samples of `generated` images over sde-steps (the uniform arm's control).
    pub fn time(&self) -> crate::budget::Cost {
        let f = |v: usize| v as f64;
        let batch = f(self.batch).min(super::compare::MAX_IMAGES);
        let budget_sum: f64 = self.budgets.iter().map(|&b| f(b)).sum();
        let passes = (f(self.reference_steps) + 4.0 * f(self.seeds) * budget_sum) * batch;
        let sampled = (f(self.uturn_pairs) * f(self.uturn_points)
            + 5.0 * f(self.seeds) * f(self.budgets.len()) * f(self.generated))
            * f(self.sde_steps);
        let largest = self.budgets.iter().copied().max().unwrap_or(0);
        super::compare::digits_time(
            self.hidden,
            (
                passes,
                &[
                    ("reference-steps", f(self.reference_steps), 1600.0),
                    ("budgets", f(largest), 3200.0),
                    ("seeds", f(self.seeds), 8.0),
                    ("batch", batch, 32.0),
                ],
            ),
            (
                sampled,
                &[
                    ("sde-steps", f(self.sde_steps), 100.0),
                    ("generated", f(self.generated), 2000.0),
                    ("pairs", f(self.uturn_pairs), 444.0),
                    ("points", f(self.uturn_points), 40.0),
                    ("seeds", f(self.seeds), 8.0),
                ],
            ),
        )
    }
}

/// One arm of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// Name (`uniform`, `uturn-class1`, `uturn-class0`, `uturn-pooled`, `authors-band`).
    pub name: String,
    /// The training-time density (flow time).
    pub sampler: TimeSampler,
}

/// A U-turn curve with its window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassCurve {
    /// `class 0`, `class 1`, `pooled`, `control`.
    pub name: String,
    /// The ideal U(0): the probability the class is changed from pure noise.
    pub ideal_start: f64,
    /// The curve (flow time).
    pub curve: UTurnCurve,
    /// Its window, if the curve falls significantly.
    pub window: Option<Window>,
}

/// The ratio of mean errors with its delta-method interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// ē_uniform/ē_arm.
    pub point: f64,
    /// SE of log ρ.
    pub se_log: f64,
    /// 95 % interval.
    pub ci: [f64; 2],
}

/// One (arm, budget) cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Arm name.
    pub arm: String,
    /// Budget (optimiser steps).
    pub budget: usize,
    /// q̂ per seed.
    pub share: Vec<f64>,
    /// Mean |q̂ − q| over seeds with its interval.
    pub error: Estimate,
    /// Paired Δ = err_uniform − err_arm (`None` for the uniform arm).
    pub diff: Option<Estimate>,
    /// ē_uniform/ē_arm (`None` for the uniform arm).
    pub ratio: Option<Ratio>,
    /// Whether H₀: Δ = 0 is rejected by the run's Holm procedure with Δ > 0.
    pub significantly_better: bool,
}

/// What `phaseflow digits compare` reports.
#[derive(Debug, Clone, Serialize)]
pub struct CurveReport {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Settings.
    pub config: CurveConfig,
    /// Images in the unbalanced set.
    pub n_images: usize,
    /// q, the set's share of zeros.
    pub true_share: f64,
    /// The binomial floor of the error, E|N(0, q(1 − q)/N)| = √(2q(1 − q)/(πN)).
    pub error_floor: f64,
    /// Classifier and its control.
    pub classifier: ClassifierReport,
    /// U-turn curves: class 0, class 1, pooled, control.
    pub uturn: Vec<ClassCurve>,
    /// The arms compared (uniform first).
    pub arms: Vec<Arm>,
    /// Arms that could not be built (no window), with the reason.
    pub missing_arms: Vec<String>,
    /// Cells, arm-major in `arms` order, budgets increasing.
    pub cells: Vec<Cell>,
    /// The uniform arm's q̂ on an independent generated set, per budget and seed.
    pub uniform_second: Vec<Vec<f64>>,
    /// The cell with the largest error ratio.
    pub largest_ratio: Option<(String, usize, Ratio)>,
    /// Setup checks, the true-null checks and the controls (they decide the exit code).
    pub checks: Vec<CheckResult>,
    /// The gain tests (findings, either way).
    pub findings: Vec<CheckResult>,
    /// Counts of `checks` and the overall verdict (added in issue 23; the schema is
    /// unchanged otherwise).
    pub summary: Summary,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Cell {
    /// Mean q̂ over seeds (signed: below q means too few zeros).
    pub fn mean_share(&self) -> f64 {
        self.share.iter().sum::<f64>() / self.share.len() as f64
    }
}

impl CurveReport {
    /// True when every check is as expected (findings do not count).
    pub fn as_expected(&self) -> bool {
        self.checks.iter().all(CheckResult::as_expected)
    }
    /// The cells of one arm.
    pub fn arm_cells(&self, arm: &str) -> Vec<&Cell> {
        self.cells.iter().filter(|c| c.arm == arm).collect()
    }
}

/// The flow-time band of a diffusion-time band [lo, hi]: [1 − hi, 1 − lo].
pub fn flow_band(band: [f64; 2]) -> (f64, f64) {
    (1.0 - band[1], 1.0 - band[0])
}

fn steps_config(
    cfg: &CurveConfig,
    sampler: TimeSampler,
    steps: usize,
    replica: u64,
) -> StepsConfig {
    StepsConfig {
        mechanism: cfg.mechanism,
        sampler,
        draw: cfg.draw,
        steps,
        batch: cfg.batch,
        hidden: cfg.hidden,
        skip: cfg.skip,
        optimiser: cfg.optimiser,
        seed: cfg.seed,
        replica,
    }
}

/// Train the uniform reference model and measure the U-turn curves (class 0, class 1,
/// pooled, control) with their windows.
///
/// # Errors
/// A training failure.
pub fn uturn_curves(
    u: &Unbalanced,
    feature: &DigitClass,
    cfg: &CurveConfig,
) -> Result<(Vec<ClassCurve>, Mlp), Error> {
    let net = train_steps(
        u,
        &steps_config(
            cfg,
            TimeSampler::Uniform,
            cfg.reference_steps,
            REFERENCE_REPLICA,
        ),
    )?;
    let q = u.share_zero();
    let sampling = cfg.sampling();
    let ucfg = |control| UTurnConfig {
        grid: UTurnConfig::uniform_grid(cfg.uturn_points),
        pairs: cfg.uturn_pairs,
        steps: cfg.sde_steps,
        seed: cfg.seed,
        control,
    };
    let of = |l: u8| -> Vec<usize> { (0..u.len()).filter(|&i| u.labels[i] == l).collect() };
    let all: Vec<usize> = (0..u.len()).collect();
    let specs: [(&str, Vec<usize>, bool, f64); 4] = [
        ("class 0", of(0), false, 1.0 - q),
        ("class 1", of(1), false, q),
        ("pooled", all.clone(), false, 2.0 * q * (1.0 - q)),
        ("control", all, true, 2.0 * q * (1.0 - q)),
    ];
    let curves = specs
        .into_iter()
        .map(|(name, images, control, ideal)| {
            let c = uturn::curve_with(&net, &sampling, u, &images, feature, &ucfg(control));
            let window = uturn::detect(&c, cfg.seed);
            ClassCurve {
                name: name.into(),
                ideal_start: ideal,
                curve: c,
                window,
            }
        })
        .collect();
    Ok((curves, net))
}

/// The arms: uniform, a band on each found window, the authors' band.
fn arms(cfg: &CurveConfig, curves: &[ClassCurve]) -> Result<(Vec<Arm>, Vec<String>), Error> {
    let mut arms = vec![Arm {
        name: "uniform".into(),
        sampler: TimeSampler::Uniform,
    }];
    let mut missing = Vec::new();
    for (curve, name) in [
        ("class 1", "uturn-class1"),
        ("class 0", "uturn-class0"),
        ("pooled", "uturn-pooled"),
    ] {
        let c = curves.iter().find(|c| c.name == curve);
        match c.and_then(|c| c.window.as_ref()) {
            Some(w) => {
                let (lo, hi) = (w.t10.max(0.0), w.t90.min(1.0));
                match TimeSampler::band(lo, hi, cfg.weight) {
                    Ok(s) => arms.push(Arm {
                        name: name.into(),
                        sampler: s,
                    }),
                    Err(e) => missing.push(format!("{name}: window [{lo:.3}, {hi:.3}]: {e}")),
                }
            }
            None => missing.push(format!("{name}: no U-turn window on the {curve} curve")),
        }
    }
    let (lo, hi) = flow_band(cfg.band);
    arms.push(Arm {
        name: "authors-band".into(),
        sampler: TimeSampler::band(lo, hi, cfg.weight).map_err(DigitsError::from)?,
    });
    Ok((arms, missing))
}

fn ratio(eu: &[f64], ea: &[f64]) -> Ratio {
    let r = eu.len() as f64;
    let (mu, ma) = (eu.iter().sum::<f64>() / r, ea.iter().sum::<f64>() / r);
    let cov = |x: &[f64], mx: f64, y: &[f64], my: f64| {
        x.iter()
            .zip(y)
            .map(|(a, b)| (a - mx) * (b - my))
            .sum::<f64>()
            / (r - 1.0)
            / r
    };
    let v = cov(eu, mu, eu, mu) / (mu * mu) + cov(ea, ma, ea, ma) / (ma * ma)
        - 2.0 * cov(eu, mu, ea, ma) / (mu * ma);
    let se_log = v.max(0.0).sqrt();
    let point = mu / ma;
    let h = t_quantile(1.0 - ALPHA, eu.len() - 1) * se_log;
    Ratio {
        point,
        se_log,
        ci: [point * (-h).exp(), point * h.exp()],
    }
}

/// Run the learning curve. `progress` is called once per finished training run.
///
/// # Errors
/// A bad configuration, a corrupt data file, a training failure.
pub fn run(
    data_path: &Path,
    cfg: &CurveConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<CurveReport, Error> {
    let start = std::time::Instant::now();
    cfg.check()?;
    cfg.time().check()?;
    let d = Digits::load(data_path)?;
    let u = Unbalanced::build_scaled(&d, cfg.share, cfg.seed, cfg.scale)?;
    let q = u.share_zero();
    let clf = classifier(&d, cfg.seed);
    let feature = DigitClass::new(clf.fitted.classifier.clone(), &u).with_clamp(cfg.clamp);
    let (curves, _) = uturn_curves(&u, &feature, cfg)?;
    progress();
    let (arms, missing_arms) = arms(cfg, &curves)?;
    let sampling = cfg.sampling();
    // Jobs: largest budgets first (load balance); results are put back by index.
    let mut jobs: Vec<(usize, usize, usize)> = Vec::new();
    for b in (0..cfg.budgets.len()).rev() {
        for r in 0..cfg.seeds {
            for a in 0..arms.len() {
                jobs.push((a, r, b));
            }
        }
    }
    let clf_ref = &clf.fitted.classifier;
    let outs: Vec<Result<(f64, f64), Error>> = jobs
        .par_iter()
        .map(|&(a, r, b)| {
            let sc = steps_config(cfg, arms[a].sampler, cfg.budgets[b], r as u64);
            let net = train_steps(&u, &sc)?;
            let key = (cfg.seed, r as u64);
            let g = generate(&net, &sampling, cfg.generated, key, Purpose::DigitsGenerate);
            let first = share_zero_with(&g, &u, clf_ref, cfg.clamp);
            let second = if a == 0 {
                let g = generate(
                    &net,
                    &sampling,
                    cfg.generated,
                    key,
                    Purpose::DigitsGenerateControl,
                );
                share_zero_with(&g, &u, clf_ref, cfg.clamp)
            } else {
                f64::NAN
            };
            progress();
            Ok((first, second))
        })
        .collect();
    let (na, nr, nb) = (arms.len(), cfg.seeds, cfg.budgets.len());
    let mut share = vec![vec![vec![0f64; nr]; nb]; na];
    let mut second = vec![vec![0f64; nr]; nb];
    for (&(a, r, b), o) in jobs.iter().zip(outs) {
        let (s1, s2) = o?;
        share[a][b][r] = s1;
        if a == 0 {
            second[b][r] = s2;
        }
    }
    let err = |v: &[f64]| -> Vec<f64> { v.iter().map(|s| (s - q).abs()).collect() };
    let mut cells = Vec::new();
    for (a, arm) in arms.iter().enumerate() {
        for (b, &budget) in cfg.budgets.iter().enumerate() {
            let ea = err(&share[a][b]);
            let eu = err(&share[0][b]);
            let (diff, rat) = if a == 0 {
                (None, None)
            } else {
                let d: Vec<f64> = eu.iter().zip(&ea).map(|(x, y)| x - y).collect();
                (
                    Some(Estimate::from_samples(&d, 1.0 - ALPHA)),
                    Some(ratio(&eu, &ea)),
                )
            };
            cells.push(Cell {
                arm: arm.name.clone(),
                budget,
                share: share[a][b].clone(),
                error: Estimate::from_samples(&ea, 1.0 - ALPHA),
                diff,
                ratio: rat,
                significantly_better: false,
            });
        }
    }
    let floor = (2.0 * q * (1.0 - q) / (std::f64::consts::PI * cfg.generated as f64)).sqrt();
    let mut report = CurveReport {
        schema: SCHEMA,
        config: cfg.clone(),
        n_images: u.len(),
        true_share: q,
        error_floor: floor,
        classifier: clf,
        uturn: curves,
        arms,
        missing_arms,
        cells,
        uniform_second: second,
        largest_ratio: None,
        checks: Vec::new(),
        findings: Vec::new(),
        summary: Summary::of(&[]),
        seconds: 0.0,
    };
    let (checks, findings) = super::compare::evaluated(&check_inputs(&report))?;
    for f in &findings {
        if let Some(cell) = report
            .cells
            .iter_mut()
            .find(|c| f.name == gain_name(&c.arm, c.budget))
        {
            cell.significantly_better = !f.passed && f.measured > 0.0;
        }
    }
    report.findings = findings;
    report.summary = Summary::of(&checks);
    report.checks = checks;
    report.largest_ratio = report
        .cells
        .iter()
        .filter_map(|c| c.ratio.map(|r| (c.arm.clone(), c.budget, r)))
        .max_by(|x, y| x.2.point.total_cmp(&y.2.point));
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

fn gain_name(arm: &str, budget: usize) -> String {
    format!("gain.{arm}@{budget}")
}

/// The checks of a report before evaluation (module doc).
pub fn check_inputs(r: &CurveReport) -> Vec<CheckInput> {
    let mut v = super::compare::classifier_inputs(&r.classifier);
    for c in &r.uturn {
        let k = c.curve.t.len() - 1;
        let drop = c.curve.value[0] - c.curve.value[k];
        let se = (c.curve.se[0].powi(2) + c.curve.se[k].powi(2)).sqrt();
        let m = Measured::pooled(drop, se, (c.curve.pairs - 1) as f64);
        let name = format!("uturn.{}.falls", c.name.replace(' ', ""));
        let check = CheckInput::new(
            name,
            SETUP,
            m,
            c.ideal_start / 2.0,
            Source::Experiment,
            Allowance::definition(
                0.0,
                "declared: U(0) − U(last) at least half the ideal U(0) (the class share \
                 changed from pure noise)",
            ),
        )
        .with_side(Side::AtLeast);
        v.push(if c.name == "control" {
            check.control(Some(
                "class(x̂) compared with the class of a different image".into(),
            ))
        } else {
            check
        });
    }
    let q = r.true_share;
    let null = Allowance::definition(0.0, "the null hypothesis: no difference");
    for (b, &budget) in r.config.budgets.iter().enumerate() {
        let uni = &r.cells[b];
        for cell in r.cells.iter().filter(|c| c.budget == budget) {
            if let Some(d) = &cell.diff {
                v.push(
                    CheckInput::new(
                        gain_name(&cell.arm, budget),
                        GAIN,
                        Measured::from(*d),
                        0.0,
                        Source::Experiment,
                        null.clone(),
                    )
                    .primary(),
                );
            }
        }
        let d: Vec<f64> = uni
            .share
            .iter()
            .zip(&r.uniform_second[b])
            .map(|(a, s)| (a - q).abs() - (s - q).abs())
            .collect();
        v.push(CheckInput::new(
            format!("null.uniform_vs_resampled@{budget}"),
            GAIN,
            Estimate::from_samples(&d, 1.0 - ALPHA),
            0.0,
            Source::Experiment,
            null.clone(),
        ));
    }
    let nb = r.config.budgets.len();
    let (first, last) = (&r.cells[0], &r.cells[nb - 1]);
    let d: Vec<f64> = first
        .share
        .iter()
        .zip(&last.share)
        .map(|(a, b)| (a - q).abs() - (b - q).abs())
        .collect();
    v.push(
        CheckInput::new(
            "control.uniform_first_vs_last_budget",
            GAIN,
            Estimate::from_samples(&d, 1.0 - ALPHA),
            0.0,
            Source::Experiment,
            null,
        )
        .control(Some(format!(
            "predicts that the uniform error at {} steps equals the error at {} steps",
            first.budget, last.budget
        ))),
    );
    v
}

/// The figure `digits_curve`: error, share and ratio over budgets per arm, and the U-turn
/// curves.
pub fn figure(r: &CurveReport) -> Figure {
    let x: Vec<f64> = r.config.budgets.iter().map(|&b| b as f64).collect();
    let mut err = Panel::new(
        "error |q̂ − q|, mean over seeds (95 % CI)",
        "optimiser steps",
        "|q̂ − q|",
    )
    .with_log_x()
    .with_hline(r.error_floor, "binomial floor");
    let mut rat = Panel::new(
        "ratio ē_uniform/ē_arm (95 % CI)",
        "optimiser steps",
        "ratio",
    )
    .with_log_log()
    .with_hline(1.0, "1")
    .with_hline(5.0, "paper: > 5");
    for (i, a) in r.arms.iter().enumerate() {
        let cells = r.arm_cells(&a.name);
        let color = Color::Palette(i);
        err = err.with_series(
            Series::new(
                a.name.clone(),
                x.clone(),
                cells.iter().map(|c| c.error.point).collect(),
                Style::line_markers().with_color(color).with_band(),
            )
            .with_err(
                cells
                    .iter()
                    .map(|c| c.error.ci[1] - c.error.point)
                    .collect(),
            ),
        );
        if i > 0 {
            let rs: Vec<Ratio> = cells.iter().filter_map(|c| c.ratio).collect();
            rat = rat.with_series(Series::new(
                a.name.clone(),
                x.clone(),
                rs.iter().map(|x| x.point).collect(),
                Style::line_markers().with_color(color),
            ));
            // The delta-method interval is asymmetric: its bounds as dotted lines (unlabelled,
            // so not in the legend) on a log axis.
            for k in 0..2 {
                rat = rat.with_series(Series::new(
                    "",
                    x.clone(),
                    rs.iter().map(|x| x.ci[k]).collect(),
                    Style::dotted().with_color(color),
                ));
            }
        }
    }
    let mut qp = Panel::new("generated share of zeros q̂ (mean)", "optimiser steps", "q̂")
        .with_log_x()
        .with_hline(r.true_share, format!("q = {:.3}", r.true_share));
    for (i, a) in r.arms.iter().enumerate() {
        let cells = r.arm_cells(&a.name);
        qp = qp.with_series(Series::new(
            a.name.clone(),
            x.clone(),
            cells.iter().map(|c| c.mean_share()).collect(),
            Style::line_markers().with_color(Color::Palette(i)),
        ));
    }
    let mut ut = Panel::new(
        "U-turn per class (windows shaded)",
        "flow time t (diffusion time s = 1 − t)",
        "mismatch share",
    );
    for (i, c) in r.uturn.iter().enumerate() {
        let s = if c.name == "control" {
            Series::dashed(c.name.clone(), c.curve.t.clone(), c.curve.value.clone())
                .with_color(Color::Rgb(128, 128, 128))
        } else {
            Series::line_markers(c.name.clone(), c.curve.t.clone(), c.curve.value.clone())
                .with_color(Color::Palette(i))
                .with_err(c.curve.se.iter().map(|s| 1.96 * s).collect())
        };
        ut = ut.with_series(s);
        if let Some(w) = &c.window {
            ut = ut.with_vspan(w.t10, w.t90);
        }
    }
    Figure::new(format!(
        "digits 0 vs 1 (q = {:.3}), {} + {:?}: uniform vs phase-aware, R = {}",
        r.true_share,
        r.config.mechanism.name(),
        r.config.solver,
        r.config.seeds
    ))
    .with_cols(2)
    .with_panel(qp)
    .with_panel(err)
    .with_panel(rat)
    .with_panel(ut)
}
