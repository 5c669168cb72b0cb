//! The real-data experiment end to end: classifier, reference model and U-turn window, then
//! uniform vs phase-aware time sampling over seeds, with checks and negative controls.
//!
//! Pipeline: fit the "0 vs 1" classifier (and its shuffled-label control) → train a
//! reference model with uniform times for `reference_epochs` (replica [`REFERENCE_REPLICA`],
//! never one of the comparison seeds) → U-turn curve and window (and the mismatched-partner
//! control) → for each seed r < R, train both samplers from the same initial network with the
//! same images, noise and uniforms (paired), generating `generated` samples at every
//! checkpoint and recording the share q̂ classified as 0 → the error |q̂ − q| against the
//! set's share q = 178/222 = 0.8018.
//!
//! The headline statistic is the paired difference Δ_r = |q̂_r^uniform − q| −
//! |q̂_r^aware − q| at the final epoch, with a Student-t 95 % interval over seeds. The
//! error includes the binomial noise of q̂, whose floor is E|N(0, s²)| = s·√(2/π) with
//! s = √(q(1 − q)/N) (0.0071 at N = 2000).
//!
//! Checks go through [`crate::harness::check`] in one run at family-wise α = [`ALPHA`], as
//! in [`super::curve`] (issue 23):
//! - family `digits.setup`: classifier accuracy ≥ [`ACCURACY_MIN`] (control: shuffled
//!   labels); the U-turn curve starts at U(0) ≥ [`UTURN_START_MIN`] and ends at
//!   U(last) ≤ [`UTURN_END_MAX`] (control: the mismatched-partner curve's end), and a window
//!   is found (control: no window on the mismatched-partner curve);
//! - family `digits.gain`: the primary test H₀: Δ = 0 at the final epoch (a rejection with
//!   Δ > 0 is "significantly better"; a **finding**, reported either way, not part of the exit
//!   code); the real diagnostic "uniform against itself on an independent generated set" (a
//!   true null); the primary-tier control "the uniform error equals the binomial floor" (an
//!   exact model, which the error test must tell from the trained one).

use super::DigitsError;
use super::classifier::{DigitClass, Fitted, fit_zero_one};
use super::data::{Digits, PIXELS, Unbalanced};
use super::flow::generate_images;
use super::net::Mlp;
use super::train::{DigitsTrainConfig, TimeSampler, train};
use super::uturn::{self, UTurnConfig, UTurnCurve, Window};
use crate::error::Error;
use crate::harness::Summary;
use crate::harness::check::{Allowance, CheckInput, CheckResult, Measured, Side, Source, evaluate};
use crate::plot::{Color, Figure, Panel, Series, Style};
use crate::rng::Purpose;
use crate::stats::Estimate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Schema version of the JSON reports of `uturn` and `compare-epochs` (2: `checks` are
/// [`CheckResult`]s of the shared evaluation, the gain test moved to `findings`, a `summary`
/// was added; issue 23).
pub const SCHEMA: u32 = 2;
/// Schema version of the JSON report of `digits train`.
pub const TRAIN_SCHEMA: u32 = 1;
/// Replica index of the reference model that the U-turn is measured on.
pub const REFERENCE_REPLICA: u64 = 1_000_000;
/// Declared threshold on the classifier's held-out accuracy. Source: linear classifiers
/// separate 0 from 1 in the UCI 8×8 digits almost perfectly (Alpaydin & Kaynak 1998 report
/// > 97 % over all ten classes for simple methods); 0.97 leaves room for 3 errors in 108.
pub const ACCURACY_MIN: f64 = 0.97;
/// Declared U(0) floor: at t = 0 the result is independent of x₁, so U(0) = 2q̂(1 − q̂),
/// 0.32 at q̂ = 0.8; 0.15 corresponds to q̂ = 0.92, a grossly unbalanced reference model.
pub const UTURN_START_MIN: f64 = 0.15;
/// Declared ceiling on U at the last grid point (t = 0.975 at 40 points): "near 0".
pub const UTURN_END_MAX: f64 = 0.02;
/// Family-wise level of the checks (the same as [`super::curve::ALPHA`]).
pub use super::curve::ALPHA;
/// Confidence level of every interval in this report: 1 − [`ALPHA`].
pub const LEVEL: f64 = 1.0 - ALPHA;
/// Family of the gain test.
pub use super::curve::GAIN;
/// Family of the setup checks.
pub use super::curve::SETUP;

/// Settings of `phaseflow digits compare` (and of `uturn` through its first half).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareConfig {
    /// Master seed.
    pub seed: u64,
    /// Share of zeros in the unbalanced set.
    pub share: f64,
    /// Comparison seeds R (replicas 0..R).
    pub seeds: usize,
    /// Epoch budget of each compared run.
    pub epochs: usize,
    /// Checkpoints (epochs at which q̂ is measured), increasing, last = `epochs`.
    pub checkpoints: Vec<usize>,
    /// Epochs of the reference model for the U-turn.
    pub reference_epochs: usize,
    /// Generated samples per checkpoint N.
    pub generated: usize,
    /// Euler steps over [0, 1] for sampling.
    pub steps: usize,
    /// U-turn grid points on [0, 1).
    pub uturn_points: usize,
    /// U-turn pairs per grid point.
    pub uturn_pairs: usize,
    /// Share of training times in the detected window (phase-aware sampler).
    pub weight: f64,
    /// Hidden width of the velocity MLP.
    pub hidden: usize,
    /// Adam learning rate of the compared runs (the reference model uses the default).
    pub lr: f32,
}

impl Default for CompareConfig {
    fn default() -> Self {
        CompareConfig {
            seed: 1,
            share: 0.8,
            seeds: 8,
            epochs: 40,
            checkpoints: vec![5, 10, 15, 20, 25, 30, 35, 40],
            reference_epochs: 200,
            generated: 2000,
            steps: 50,
            uturn_points: 40,
            uturn_pairs: 444,
            weight: 0.5,
            hidden: 128,
            lr: 2e-3,
        }
    }
}

impl CompareConfig {
    /// Check every field before any work, naming each by its flag: sizes at least 1 (seeds
    /// at least 2, U-turn points at least 3 and pairs at least 2, for an interval and a
    /// window), checkpoints increasing and ending at `epochs`, the share, weight and lr in
    /// range, and the memory of the generated images ([`crate::budget`]).
    ///
    /// # Errors
    /// [`ConfigError`](crate::problem::ConfigError) naming the flag.
    pub fn check(&self) -> Result<(), crate::problem::ConfigError> {
        use crate::problem::{ConfigError, at_least_one, in_range};
        let too_few = |field, min, why, got| {
            if got < min {
                Err(ConfigError::TooFew {
                    field,
                    min,
                    why,
                    got,
                })
            } else {
                Ok(())
            }
        };
        too_few("seeds", 2, " for an interval", self.seeds)?;
        at_least_one("epochs", self.epochs)?;
        at_least_one("reference-epochs", self.reference_epochs)?;
        at_least_one("generated", self.generated)?;
        at_least_one("hidden", self.hidden)?;
        at_least_one("steps", self.steps)?;
        too_few("points", 3, " for a U-turn window", self.uturn_points)?;
        too_few("pairs", 2, " for a standard error", self.uturn_pairs)?;
        if self.checkpoints.is_empty()
            || self.checkpoints.windows(2).any(|w| w[0] >= w[1])
            || self.checkpoints[0] == 0
            || self.checkpoints.last() != Some(&self.epochs)
        {
            return Err(ConfigError::Invalid {
                field: "checkpoints",
                rule: format!(
                    "{:?}: need 1 ≤ checkpoints ≤ epochs, increasing, the last at --epochs {}",
                    self.checkpoints, self.epochs
                ),
            });
        }
        let (sh, w, lr) = (self.share, self.weight, f64::from(self.lr));
        in_range("share", "in (0.5, 1)", sh, sh > 0.5 && sh < 1.0)?;
        in_range(
            "weight",
            "in [0, 1) (the support must stay [0, 1])",
            w,
            (0.0..1.0).contains(&w),
        )?;
        crate::problem::positive_finite("lr", lr)?;
        digits_cost(
            self.generated,
            self.uturn_pairs,
            self.uturn_points,
            2 * self.seeds,
        )
        .check()
    }

    /// Evenly spaced checkpoints (`count` of them) ending at `epochs`.
    pub fn with_epochs(mut self, epochs: usize, count: usize) -> Self {
        self.epochs = epochs;
        // Not clamped: a count of 0 or above `epochs` gives an empty or repeating list,
        // which [`CompareConfig::check`] rejects naming the flag (issue 15).
        self.checkpoints = (1..=count).map(|i| i * epochs / count).collect();
        self
    }
}

/// The memory of the digits runs: `runs` runs at once (at most the threads), each
/// generating `generated` images of 64 f32 pixels (twice: the sample and its classified
/// copy), and the U-turn's `pairs` × `points` images.
pub(crate) fn digits_cost(
    generated: usize,
    pairs: usize,
    points: usize,
    runs: usize,
) -> crate::budget::Cost {
    let at_once = runs.clamp(1, rayon::current_num_threads().max(1)) as f64;
    let mut c = crate::budget::Cost::default();
    c.add(
        "generated images, 2·N·64·4 B per run at once",
        at_once * 2.0 * generated as f64 * PIXELS as f64 * 4.0,
        &[("generated", generated as f64, 2000.0)],
    );
    c.add(
        "a network per run at once: width-128 MLP, its gradient and Adam moments, 4·P·4 B, and a batch's activations",
        at_once * (4.0 * 50_000.0 * 4.0 + MAX_IMAGES * 4.0 * 256.0 * 4.0),
        &[("generated", generated as f64, 2000.0)],
    );
    c.add(
        "U-turn pairs, pairs·points·64·8 B",
        pairs as f64 * points as f64 * PIXELS as f64 * 8.0,
        &[
            ("pairs", pairs as f64, 444.0),
            ("points", points as f64, 40.0),
        ],
    );
    c
}

/// Images of the two classes of the unbalanced "0 vs 1" set in the UCI file (178 zeros, 182
/// ones): an upper bound on the images a digits epoch visits, known before the file is read.
pub(crate) const MAX_IMAGES: f64 = 360.0;

/// CPU seconds of one image through the velocity MLP (hidden width 128) forward and
/// backward in a mini-batch: `RAYON_NUM_THREADS=1 phaseflow digits train --epochs 200
/// --generated 100 --checkpoints 1` took 1.01 s of user CPU, 0.13 s of it at one epoch:
/// 0.88 s / (199 epochs × 222 images) = 20 µs (2026-12-07, load 9).
pub(crate) const TRAIN_PASS: f64 = 20e-6;

/// CPU seconds of one generated image through one sampling step (and its share of the
/// classification), width 128: `RAYON_NUM_THREADS=1 phaseflow digits train --epochs 1
/// --generated 100000 --checkpoints 1` took 36.6 s of user CPU for 10⁵ × 50 steps:
/// 7.3 µs (2026-12-07, load 9).
pub(crate) const GEN_STEP: f64 = 7.3e-6;

/// The work of digits runs ([`crate::budget`], CPU seconds), width `hidden` (its MLP's
/// multiply–adds relative to width 128): `passes` image passes of training and `steps`
/// image·steps of sampling (generation or U-turn transport), with the fields they grow with.
pub(crate) fn digits_time(
    hidden: usize,
    passes: (f64, &[(&'static str, f64, f64)]),
    steps: (f64, &[(&'static str, f64, f64)]),
) -> crate::budget::Cost {
    let h = hidden as f64;
    let width = h * (h + 129.0) / (128.0 * 257.0);
    let mut c = crate::budget::Cost::time();
    c.add_work(
        "digits training, image passes × 20 µs",
        passes.0 * width,
        TRAIN_PASS,
        passes.1,
    );
    c.add_work(
        "digits sampling, images × steps × 7.3 µs",
        steps.0 * width,
        GEN_STEP,
        steps.1,
    );
    c
}

impl CompareConfig {
    /// The work of `digits uturn` (`full = false`: the reference model and the U-turn) or of
    /// `digits compare-epochs` (`full`: also R seeds × 2 samplers of `epochs` epochs, with
    /// `generated` images sampled at each checkpoint).
    pub fn time(&self, full: bool) -> crate::budget::Cost {
        let f = |v: usize| v as f64;
        let steps = ("steps", f(self.steps), 50.0);
        let mut passes = f(self.reference_epochs) * MAX_IMAGES;
        let mut sampled = f(self.uturn_pairs) * f(self.uturn_points) * f(self.steps);
        let mut pf = vec![("reference-epochs", f(self.reference_epochs), 200.0)];
        let mut sf = vec![
            ("pairs", f(self.uturn_pairs), 444.0),
            ("points", f(self.uturn_points), 40.0),
            steps,
        ];
        if full {
            let runs = 2.0 * f(self.seeds);
            passes += runs * f(self.epochs) * MAX_IMAGES;
            sampled += runs * f(self.checkpoints.len()) * f(self.generated) * f(self.steps);
            pf.extend([
                ("seeds", f(self.seeds), 8.0),
                ("epochs", f(self.epochs), 40.0),
            ]);
            sf.extend([
                ("seeds", f(self.seeds), 8.0),
                ("generated", f(self.generated), 2000.0),
                ("checkpoints", f(self.checkpoints.len()), 8.0),
            ]);
        }
        digits_time(self.hidden, (passes, &pf), (sampled, &sf))
    }
}

/// The classifier part of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierReport {
    /// Fitted on true labels.
    pub fitted: Fitted,
    /// Held-out accuracy when fitted on shuffled labels (control).
    pub control_accuracy: f64,
}

/// The U-turn part of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UTurnReport {
    /// Epochs of the reference model.
    pub reference_epochs: usize,
    /// The curve.
    pub curve: UTurnCurve,
    /// Its window.
    pub window: Option<Window>,
    /// The mismatched-partner control curve.
    pub control: UTurnCurve,
    /// Its window (must be `None`).
    pub control_window: Option<Window>,
}

/// One sampler over seeds and checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerReport {
    /// The sampler.
    pub sampler: TimeSampler,
    /// q̂ per seed (outer) and checkpoint (inner).
    pub share: Vec<Vec<f64>>,
    /// Mean q̂ over seeds per checkpoint.
    pub share_est: Vec<Estimate>,
    /// Mean |q̂ − q| over seeds per checkpoint.
    pub error_est: Vec<Estimate>,
    /// q̂ per seed at the final epoch from an independent second generated set.
    pub share_second: Vec<f64>,
}

/// The whole `digits compare` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// Schema version.
    pub schema: u32,
    /// Settings.
    pub config: CompareConfig,
    /// Images in the unbalanced set.
    pub n_images: usize,
    /// Share q of zeros in the unbalanced set.
    pub true_share: f64,
    /// Classifier.
    pub classifier: ClassifierReport,
    /// U-turn.
    pub uturn: UTurnReport,
    /// Checkpoint epochs.
    pub checkpoints: Vec<usize>,
    /// Uniform time sampling.
    pub uniform: SamplerReport,
    /// Phase-aware time sampling.
    pub aware: SamplerReport,
    /// Paired Δ_r = err_uniform − err_aware at the final epoch.
    pub diff: Estimate,
    /// Control: err_uniform(set 1) − err_uniform(set 2), a true null.
    pub control_diff: Estimate,
    /// Wall time in seconds (not part of any comparison).
    pub seconds: f64,
    /// Setup checks, the true null and the controls (they decide the exit code).
    pub checks: Vec<CheckResult>,
    /// The gain test (a finding, either way).
    pub findings: Vec<CheckResult>,
    /// Counts of `checks` and the overall verdict.
    pub summary: Summary,
}

/// Load the committed data and build the unbalanced set.
///
/// # Errors
/// A missing or corrupt data file.
pub fn load(path: &Path, share: f64, seed: u64) -> Result<(Digits, Unbalanced), Error> {
    let d = Digits::load(path)?;
    let u = Unbalanced::build(&d, share, seed)?;
    Ok((d, u))
}

/// Share of generated samples (normalised space) that the classifier calls 0.
pub fn share_zero(x: &[f32], data: &Unbalanced, clf: &super::classifier::Classifier) -> f64 {
    share_zero_with(x, data, clf, false)
}

/// [`share_zero`], optionally clamping each denormalised pixel to the data range
/// [0, 16] first (the authors clamp generated images to their range [−1, 1]).
pub fn share_zero_with(
    x: &[f32],
    data: &Unbalanced,
    clf: &super::classifier::Classifier,
    clamp: bool,
) -> f64 {
    let mut raw = [0f32; PIXELS];
    let n = x.len() / PIXELS;
    let zeros = x
        .chunks_exact(PIXELS)
        .filter(|s| {
            data.denormalise(s, &mut raw);
            if clamp {
                raw.iter_mut()
                    .for_each(|v| *v = v.clamp(0.0, super::data::MAX_INTENSITY));
            }
            clf.class(&raw) == 0
        })
        .count();
    zeros as f64 / n as f64
}

/// Fit the classifier with its control.
pub fn classifier(d: &Digits, seed: u64) -> ClassifierReport {
    ClassifierReport {
        fitted: fit_zero_one(d, seed, false),
        control_accuracy: fit_zero_one(d, seed, true).accuracy,
    }
}

/// Train the reference model and measure the U-turn curve, its window and the control.
///
/// # Errors
/// Training failure.
pub fn uturn_report(
    u: &Unbalanced,
    clf: &ClassifierReport,
    cfg: &CompareConfig,
) -> Result<(UTurnReport, Mlp), Error> {
    let mut tc = DigitsTrainConfig::new(
        TimeSampler::Uniform,
        cfg.reference_epochs,
        cfg.seed,
        REFERENCE_REPLICA,
    );
    tc.hidden = cfg.hidden;
    let net = train(u, &tc, |_, _, _| {})?;
    let mut ucfg = UTurnConfig {
        grid: UTurnConfig::uniform_grid(cfg.uturn_points),
        pairs: cfg.uturn_pairs,
        steps: cfg.steps,
        seed: cfg.seed,
        control: false,
    };
    let feature = DigitClass::new(clf.fitted.classifier.clone(), u);
    let curve = uturn::curve(&net, u, &feature, &ucfg);
    ucfg.control = true;
    let control = uturn::curve(&net, u, &feature, &ucfg);
    Ok((
        UTurnReport {
            reference_epochs: cfg.reference_epochs,
            window: uturn::detect(&curve, cfg.seed),
            control_window: uturn::detect(&control, cfg.seed),
            curve,
            control,
        },
        net,
    ))
}

/// q̂ at each checkpoint (and from a second independent set at the end) for one run.
fn run_one(
    u: &Unbalanced,
    clf: &super::classifier::Classifier,
    cfg: &CompareConfig,
    sampler: TimeSampler,
    replica: u64,
) -> Result<(Vec<f64>, f64), Error> {
    let mut tc = DigitsTrainConfig::new(sampler, cfg.epochs, cfg.seed, replica);
    tc.hidden = cfg.hidden;
    tc.lr = cfg.lr;
    let mut shares = Vec::with_capacity(cfg.checkpoints.len());
    let mut second = f64::NAN;
    let share = |net: &Mlp, purpose| {
        let g = generate_images(net, cfg.generated, cfg.steps, (cfg.seed, replica), purpose);
        share_zero(&g, u, clf)
    };
    train(u, &tc, |e, net, _| {
        if cfg.checkpoints.contains(&e) {
            shares.push(share(net, Purpose::DigitsGenerate));
        }
        if e == cfg.epochs {
            second = share(net, Purpose::DigitsGenerateControl);
        }
    })?;
    Ok((shares, second))
}

fn sampler_report(sampler: TimeSampler, runs: &[(Vec<f64>, f64)], q: f64) -> SamplerReport {
    let share: Vec<Vec<f64>> = runs.iter().map(|r| r.0.clone()).collect();
    let k = share.first().map_or(0, Vec::len);
    let col =
        |j: usize, f: &dyn Fn(f64) -> f64| -> Vec<f64> { share.iter().map(|s| f(s[j])).collect() };
    SamplerReport {
        sampler,
        share_est: (0..k)
            .map(|j| Estimate::from_samples(&col(j, &|v| v), LEVEL))
            .collect(),
        error_est: (0..k)
            .map(|j| Estimate::from_samples(&col(j, &|v| (v - q).abs()), LEVEL))
            .collect(),
        share_second: runs.iter().map(|r| r.1).collect(),
        share,
    }
}

/// Run the whole comparison. `progress` is called once per finished training run.
///
/// # Errors
/// A corrupt data file, a training failure, or no U-turn window (then there is no
/// phase-aware sampler to compare).
pub fn run(
    data_path: &Path,
    cfg: &CompareConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<CompareReport, Error> {
    let start = std::time::Instant::now();
    cfg.check()?;
    cfg.time(true).check()?;
    let (d, u) = load(data_path, cfg.share, cfg.seed)?;
    let q = u.share_zero();
    let clf = classifier(&d, cfg.seed);
    let (ut, _) = uturn_report(&u, &clf, cfg)?;
    progress();
    let w = ut.window.ok_or_else(|| DigitsError::NoWindow {
        epochs: cfg.reference_epochs,
        curve: ut.curve.value.clone(),
    })?;
    let aware = TimeSampler::window(w.t10.max(0.0), w.t90.min(1.0), cfg.weight)
        .map_err(DigitsError::from)?;
    let jobs: Vec<(usize, TimeSampler)> = (0..cfg.seeds)
        .flat_map(|r| [(r, TimeSampler::Uniform), (r, aware)])
        .collect();
    let outs: Vec<Result<(Vec<f64>, f64), Error>> = jobs
        .par_iter()
        .map(|&(r, s)| {
            let out = run_one(&u, &clf.fitted.classifier, cfg, s, r as u64);
            progress();
            out
        })
        .collect();
    let outs: Vec<(Vec<f64>, f64)> = outs.into_iter().collect::<Result<_, _>>()?;
    let uni: Vec<_> = outs.iter().step_by(2).cloned().collect();
    let awr: Vec<_> = outs.iter().skip(1).step_by(2).cloned().collect();
    let uniform = sampler_report(TimeSampler::Uniform, &uni, q);
    let aware_r = sampler_report(aware, &awr, q);
    let last = cfg.checkpoints.len() - 1;
    let err = |s: &SamplerReport, r: usize| (s.share[r][last] - q).abs();
    let diffs: Vec<f64> = (0..cfg.seeds)
        .map(|r| err(&uniform, r) - err(&aware_r, r))
        .collect();
    let control: Vec<f64> = (0..cfg.seeds)
        .map(|r| err(&uniform, r) - (uniform.share_second[r] - q).abs())
        .collect();
    let diff = Estimate::from_samples(&diffs, LEVEL);
    let control_diff = Estimate::from_samples(&control, LEVEL);
    let mut report = CompareReport {
        schema: SCHEMA,
        config: cfg.clone(),
        n_images: u.len(),
        true_share: q,
        classifier: clf,
        uturn: ut,
        checkpoints: cfg.checkpoints.clone(),
        uniform,
        aware: aware_r,
        diff,
        control_diff,
        seconds: 0.0,
        checks: Vec::new(),
        findings: Vec::new(),
        summary: Summary::of(&[]),
    };
    let (checks, findings) = evaluated(&check_inputs(&report))?;
    report.summary = Summary::of(&checks);
    report.checks = checks;
    report.findings = findings;
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// The classifier checks: held-out accuracy at least [`ACCURACY_MIN`] (one-sided, binomial
/// SE), with the shuffled-label control.
pub fn classifier_inputs(c: &ClassifierReport) -> Vec<CheckInput> {
    let f = &c.fitted;
    let binom = |a: f64, n: usize| {
        Measured::pooled(a, crate::stats::binomial_se(a, n as f64), (n - 1) as f64)
    };
    let acc_rule = Allowance::definition(
        0.0,
        "declared: linear classifiers separate 0 from 1 in the UCI 8×8 digits (Alpaydin & \
         Kaynak 1998)",
    );
    vec![
        CheckInput::new(
            "classifier.accuracy",
            SETUP,
            binom(f.accuracy, f.n_test),
            ACCURACY_MIN,
            Source::Experiment,
            acc_rule.clone(),
        )
        .with_side(Side::AtLeast),
        CheckInput::new(
            "classifier.accuracy.control",
            SETUP,
            binom(c.control_accuracy, f.n_test),
            ACCURACY_MIN,
            Source::Experiment,
            acc_rule,
        )
        .with_side(Side::AtLeast)
        .control(Some("labels shuffled before fitting".into())),
    ]
}

/// The U-turn checks of the reference model (module doc): U(0) ≥ [`UTURN_START_MIN`],
/// U(last) ≤ [`UTURN_END_MAX`] (binomial SEs, M − 1 df) and a window found; controls: the
/// mismatched-partner curve's end and its window.
pub fn uturn_inputs(u: &UTurnReport) -> Vec<CheckInput> {
    let c = &u.curve;
    let k = c.t.len() - 1;
    let at = |c: &UTurnCurve, i: usize| {
        Measured::pooled(c.value[i], c.se[i], c.pairs.saturating_sub(1) as f64)
    };
    let start = Allowance::definition(
        0.0,
        "declared: at t = 0 the class is independent of x₁, U(0) = 2q̂(1 − q̂) (0.32 at \
         q̂ = 0.8); 0.15 is a grossly unbalanced reference model (q̂ = 0.92)",
    );
    let end = Allowance::definition(0.0, "declared: U at the last grid point is \"near 0\"");
    let window = Allowance::definition(0.0, "declared: the curve has a fastest-change window");
    let found = |w: &Option<Window>| Measured::exact(if w.is_some() { 1.0 } else { 0.0 });
    let partner = "class(x̂) compared with the class of a different image";
    vec![
        CheckInput::new(
            "uturn.start",
            SETUP,
            at(c, 0),
            UTURN_START_MIN,
            Source::Experiment,
            start,
        )
        .with_side(Side::AtLeast),
        CheckInput::new(
            "uturn.end",
            SETUP,
            at(c, k),
            UTURN_END_MAX,
            Source::Experiment,
            end.clone(),
        )
        .with_side(Side::AtMost),
        CheckInput::new(
            "uturn.end.control",
            SETUP,
            at(&u.control, u.control.t.len() - 1),
            UTURN_END_MAX,
            Source::Experiment,
            end,
        )
        .with_side(Side::AtMost)
        .control(Some(partner.into())),
        CheckInput::new(
            "uturn.window",
            SETUP,
            found(&u.window),
            1.0,
            Source::Experiment,
            window.clone(),
        ),
        CheckInput::new(
            "uturn.window.control",
            SETUP,
            found(&u.control_window),
            1.0,
            Source::Experiment,
            window,
        )
        .control(Some(partner.into())),
    ]
}

/// The checks of a finished report before evaluation (module doc).
pub fn check_inputs(r: &CompareReport) -> Vec<CheckInput> {
    let mut v = classifier_inputs(&r.classifier);
    v.extend(uturn_inputs(&r.uturn));
    let e = r.config.epochs;
    let null = Allowance::definition(0.0, "the null hypothesis: no difference");
    v.push(
        CheckInput::new(
            format!("gain.aware@{e}"),
            GAIN,
            Measured::from(r.diff),
            0.0,
            Source::Experiment,
            null.clone(),
        )
        .primary(),
    );
    v.push(CheckInput::new(
        format!("null.uniform_vs_resampled@{e}"),
        GAIN,
        Measured::from(r.control_diff),
        0.0,
        Source::Experiment,
        null,
    ));
    let last = r.checkpoints.len() - 1;
    let n = r.config.generated as f64;
    let floor = (2.0 * r.true_share * (1.0 - r.true_share) / (std::f64::consts::PI * n)).sqrt();
    v.push(
        CheckInput::new(
            format!("control.uniform_error_at_floor@{e}"),
            GAIN,
            Measured::from(r.uniform.error_est[last]),
            floor,
            Source::Experiment,
            Allowance::definition(0.0, "the binomial floor √(2q(1−q)/(πN)) of an exact model"),
        )
        .primary()
        .control(Some(format!(
            "predicts an exact model: the uniform error at {e} epochs equals the binomial \
             floor {floor:.4} of N = {} samples",
            r.config.generated
        ))),
    );
    v
}

/// Evaluate digits check inputs at [`ALPHA`] (the shared two-tier Holm evaluation) and split
/// them into (checks, findings): the `gain.` tests are findings.
///
/// # Errors
/// [`crate::error::CheckError::NoControl`] if a family has no control.
pub fn evaluated(inputs: &[CheckInput]) -> Result<(Vec<CheckResult>, Vec<CheckResult>), Error> {
    let (findings, checks): (Vec<_>, Vec<_>) = evaluate(inputs, ALPHA)?
        .into_iter()
        .partition(|c| c.name.starts_with("gain."));
    Ok((checks, findings))
}

/// The U-turn figure: curve with its window, and the control.
pub fn uturn_panel(u: &UTurnReport) -> Panel {
    let c = &u.curve;
    let mut p = Panel::new(
        "U-turn: P(class(x̂) ≠ class(x₁)) from start time t",
        "t",
        "mismatch share U(t)",
    )
    .with_series(
        Series::line_markers("U(t), reference model", c.t.clone(), c.value.clone())
            .with_err(c.se.iter().map(|s| 1.96 * s).collect()),
    )
    .with_series(
        Series::dashed(
            "control: different image",
            u.control.t.clone(),
            u.control.value.clone(),
        )
        .with_color(Color::Rgb(128, 128, 128)),
    );
    if let Some(w) = &u.window {
        p = p.with_vspan(w.t10, w.t90);
    }
    p
}

/// The figure `digits_compare` of a report: the U-turn, the generated share and the error
/// over epochs, per sampler.
pub fn figure(r: &CompareReport) -> Figure {
    let x: Vec<f64> = r.checkpoints.iter().map(|&e| e as f64).collect();
    let series = |s: &SamplerReport, err: bool, color: Color| {
        let est = if err { &s.error_est } else { &s.share_est };
        Series::new(
            s.sampler.name(),
            x.clone(),
            est.iter().map(|e| e.point).collect(),
            Style::line_markers().with_color(color),
        )
        .with_err(est.iter().map(|e| e.ci[1] - e.point).collect())
    };
    let share = Panel::new(
        "generated share of zeros (mean over seeds, 95 % CI)",
        "epoch",
        "q̂",
    )
    .with_series(series(&r.uniform, false, Color::Palette(0)))
    .with_series(series(&r.aware, false, Color::Palette(1)))
    .with_hline(r.true_share, format!("q = {:.3}", r.true_share));
    let error = Panel::new("class-ratio error |q̂ − q|", "epoch", "|q̂ − q|")
        .with_series(series(&r.uniform, true, Color::Palette(0)))
        .with_series(series(&r.aware, true, Color::Palette(1)));
    Figure::new(format!(
        "digits 0 vs 1 (q = {:.3}): uniform vs phase-aware time sampling, R = {}",
        r.true_share, r.config.seeds
    ))
    .with_cols(3)
    .with_panel(uturn_panel(&r.uturn))
    .with_panel(share)
    .with_panel(error)
}

/// The figure `digits_uturn`: the U-turn curve with its window and the control.
pub fn uturn_figure(u: &UTurnReport) -> Figure {
    Figure::new("digits 0 vs 1: U-turn").with_panel(uturn_panel(u))
}

/// What `phaseflow digits uturn` reports (keys in alphabetical order, as before).
#[derive(Debug, Clone, Serialize)]
pub struct UTurnDoc {
    /// Classifier and U-turn checks with their controls.
    pub checks: Vec<CheckResult>,
    /// The classifier.
    pub classifier: ClassifierReport,
    /// Settings.
    pub config: CompareConfig,
    /// [`SCHEMA`].
    pub schema: u32,
    /// Counts of `checks` and the overall verdict.
    pub summary: Summary,
    /// The U-turn curve, its window and its control.
    pub uturn: UTurnReport,
}

/// `phaseflow digits uturn`: the classifier, the reference model and the U-turn curve with
/// its window.
///
/// # Errors
/// A missing or corrupt data file, a training failure.
pub fn uturn_command(data: &Path, cfg: &CompareConfig) -> Result<UTurnDoc, Error> {
    cfg.check()?;
    cfg.time(false).check()?;
    let (d, u) = load(data, cfg.share, cfg.seed)?;
    let clf = classifier(&d, cfg.seed);
    let (ut, _) = uturn_report(&u, &clf, cfg)?;
    let mut inputs = classifier_inputs(&clf);
    inputs.extend(uturn_inputs(&ut));
    let (checks, _) = evaluated(&inputs)?;
    Ok(UTurnDoc {
        summary: Summary::of(&checks),
        checks,
        classifier: clf,
        config: cfg.clone(),
        schema: SCHEMA,
        uturn: ut,
    })
}

/// One checkpoint of `phaseflow digits train`.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Epochs done.
    pub epoch: usize,
    /// That epoch's mean batch loss.
    pub loss: f32,
    /// Generated share of zeros q̂.
    pub share_zero: f64,
}

/// What `phaseflow digits train` reports (keys in alphabetical order, as before).
#[derive(Debug, Clone, Serialize)]
pub struct TrainDoc {
    /// The checkpoints.
    pub checkpoints: Vec<Checkpoint>,
    /// Settings.
    pub config: DigitsTrainConfig,
    /// [`TRAIN_SCHEMA`].
    pub schema: u32,
    /// Share q of zeros in the unbalanced set.
    pub true_share: f64,
}

/// `phaseflow digits train`: one model, the generated share of zeros at `checkpoints`
/// evenly spaced epochs (`generated` samples each); `progress` is called after every epoch.
///
/// # Errors
/// A missing or corrupt data file, an invalid configuration, a training failure.
pub fn train_command(
    data: &Path,
    cfg: &DigitsTrainConfig,
    (checkpoints, generated): (usize, usize),
    progress: &dyn Fn(),
) -> Result<TrainDoc, Error> {
    cfg.validate().map_err(DigitsError::from)?;
    if checkpoints == 0 || checkpoints > cfg.epochs {
        return Err(crate::problem::ConfigError::Invalid {
            field: "checkpoints",
            rule: format!("must be in 1..=epochs ({}), got {checkpoints}", cfg.epochs),
        }
        .into());
    }
    crate::problem::at_least_one("generated", generated)?;
    digits_cost(generated, 0, 0, 1).check()?;
    let f = |v: usize| v as f64;
    digits_time(
        cfg.hidden,
        (
            f(cfg.epochs) * MAX_IMAGES,
            &[("epochs", f(cfg.epochs), 40.0)],
        ),
        (
            f(checkpoints) * f(generated) * 50.0,
            &[
                ("generated", f(generated), 2000.0),
                ("checkpoints", f(checkpoints), 8.0),
            ],
        ),
    )
    .check()?;
    let (d, u) = load(data, 0.8, cfg.seed)?;
    let clf = classifier(&d, cfg.seed).fitted.classifier;
    let marks = CompareConfig::default()
        .with_epochs(cfg.epochs, checkpoints)
        .checkpoints;
    let mut rows = Vec::new();
    train(&u, cfg, |e, net, loss| {
        progress();
        if marks.contains(&e) {
            let g = generate_images(
                net,
                generated,
                50,
                (cfg.seed, cfg.replica),
                Purpose::DigitsGenerate,
            );
            rows.push(Checkpoint {
                epoch: e,
                loss,
                share_zero: share_zero(&g, &u, &clf),
            });
        }
    })?;
    Ok(TrainDoc {
        checkpoints: rows,
        config: cfg.clone(),
        schema: TRAIN_SCHEMA,
        true_share: u.share_zero(),
    })
}
