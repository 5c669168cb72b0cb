//! What the claims share: their base configuration, the ladder of sizes of the d → ∞
//! claims, the trained runs and theories (computed once per reproduction and shared by every
//! claim that uses the same configuration, [`Cache`]), and the fine grids of the
//! phase-detection claims.
//!
//! # Remarks
//! Closed-form quantities (Bayes profiles, exact Euler p̂) enter as exact values
//! ([`Measured::exact`]): the verdict is |measured − prediction| ≤ δ, deterministic, and they
//! take no part in the multiple-comparison correction. Trained checks use the replica spread.

use super::{ALPHA, Context, Tier};
use crate::error::Error;
use crate::experiment::{TrainConfig, TrainOutput};
use crate::harness::check::{Allowance, CheckInput, Measured, Source};
use crate::harness::families::{Cell, ExpTheory};
use crate::harness::{Experiment, progress, run_replicas};
use crate::phase::{BayesGrid, BayesMse, Curve, Detector, Profile, Window, detect, pilot_grid};
use crate::schedule::{Linear, ScheduleSpec};
use crate::stats::Estimate;
use crate::theory::euler::euler_bayes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Confidence level of replica intervals in claims.
pub(crate) const LEVEL: f64 = 1.0 - ALPHA;

/// Trained runs and theories of a reproduction, keyed by their configuration, so that a
/// configuration several claims use is trained (and its theory computed) once. `phaseflow
/// power` keeps one cache across master seeds: the theories are computed once for every
/// seed and experiment-side perturbation.
#[derive(Default)]
pub struct Cache {
    runs: Mutex<HashMap<String, Arc<Vec<TrainOutput>>>>,
    /// Replay only: a run missing from `runs` is an error instead of being trained (the
    /// merge of a sharded reproduction, [`super::shard`]).
    sealed: std::sync::atomic::AtomicBool,
    theories: Mutex<HashMap<String, Arc<ExpTheory>>>,
    /// The unconverged (replica, step) pairs of the runs the current claim used, by
    /// experiment (`reproduce` takes them after each claim: any fails it).
    unconverged: Mutex<Vec<String>>,
    /// The uncertified reduced-theory times of the theories the current claim used.
    uncertified: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let runs = self.runs.lock().map_or(0, |m| m.len());
        let theories = self.theories.lock().map_or(0, |m| m.len());
        f.debug_struct("Cache")
            .field("runs", &runs)
            .field("theories", &theories)
            .finish()
    }
}

impl Cache {
    /// A sealed cache holding `runs` (key → replica outputs): claims that use it train
    /// nothing, and a run it does not hold is an error naming the experiment.
    pub(crate) fn replay(runs: impl IntoIterator<Item = (String, Vec<TrainOutput>)>) -> Self {
        let c = Self::default();
        if let Ok(mut m) = c.runs.lock() {
            m.extend(runs.into_iter().map(|(k, v)| (k, Arc::new(v))));
        }
        c.sealed.store(true, std::sync::atomic::Ordering::Relaxed);
        c
    }

    /// Every trained run, sorted by key (what a reproduce shard file stores).
    pub(crate) fn runs_sorted(&self) -> Vec<(String, Arc<Vec<TrainOutput>>)> {
        let mut v: Vec<_> = self
            .runs
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Forget the trained runs of master seed `seed` (every theory stays): `phaseflow power`
    /// calls it after each seed so memory stays bounded.
    pub fn forget_seed(&self, seed: u64) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.retain(|k, _| !k.starts_with(&format!("{seed}|")));
        }
    }

    /// The uncertified theory times recorded since the last call (sorted, unique), and clear
    /// them.
    pub fn take_uncertified(&self) -> Vec<String> {
        let mut v = self
            .uncertified
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        v.sort();
        v.dedup();
        v
    }

    /// The unconverged (replica, step) pairs recorded since the last call, and clear them.
    pub fn take_unconverged(&self) -> Vec<String> {
        self.unconverged
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// Record unconverged steps of a claim's own training (C12), already named.
    pub(crate) fn record_unconverged_names(&self, names: Vec<String>) {
        if let Ok(mut v) = self.unconverged.lock() {
            v.extend(names);
        }
    }

    fn record_unconverged(&self, name: &str, outs: &[TrainOutput]) {
        let bad = crate::harness::unconverged(outs);
        if bad.is_empty() {
            return;
        }
        if let Ok(mut v) = self.unconverged.lock() {
            v.extend(bad.into_iter().map(|b| format!("{name}: {b}")));
        }
    }

    /// The theory's uncertified grid times, by experiment (reported with the claim).
    fn record_uncertified(&self, name: &str, th: &ExpTheory) {
        if let Ok(mut v) = self.uncertified.lock() {
            v.extend(
                th.uncertified_names()
                    .into_iter()
                    .map(|b| format!("{name}: {b}")),
            );
        }
    }
}

/// The sizes of a tier: the ladder of d of the d → ∞ claims (at least 4 values over a
/// factor ≥ 16, issue 11) at n, K, with R replicas per size.
#[derive(Debug, Clone)]
pub(crate) struct Sizes {
    /// The ladder of dimensions.
    pub ds: Vec<usize>,
    /// The index in `ds` of the reference size of the per-time diagnostics.
    pub reference: usize,
    /// Training samples.
    pub n: usize,
    /// Grid points.
    pub k: usize,
    /// Replicas per size.
    pub r: usize,
}

/// The tier's sizes (a replica override applies to every claim). The quick tier's R = 32 is
/// set by the power of its p̂ checks: with no allowance measured on replicas of the code,
/// the pooled p̂ residual must see Δp = 0.02 at the primary tier's strictest level, and at
/// R = 16 (n = 256, pooled SE 0.0033) its control sat at 4.3 SE against a critical 5.0.
pub(crate) fn sizes(ctx: &Context) -> Sizes {
    let r = ctx.replicas(32, 16);
    match ctx.tier {
        Tier::Quick => Sizes {
            ds: vec![250, 1000, 4000, 16_000],
            reference: 1,
            n: 256,
            k: 20,
            r,
        },
        Tier::Full => Sizes {
            ds: vec![500, 2000, 8000, 32_000],
            reference: 1,
            n: 512,
            k: 80,
            r,
        },
    }
}

/// An experiment of a claim: `train` with the context's master seed and no check families.
pub(crate) fn experiment(
    ctx: &Context,
    name: &str,
    train: TrainConfig,
    replicas: usize,
) -> Experiment {
    Experiment {
        name: name.into(),
        train: TrainConfig {
            seed: ctx.seed,
            ..train
        },
        replicas,
        alpha: ALPHA,
        families: Some(Vec::new()),
        checks: Vec::new(),
    }
}

/// The averaged-engine base of the claims: p = 0.8, σ² = 1, κ = 2, λ = 0.01.
pub(crate) fn base() -> TrainConfig {
    crate::harness::averaged_base()
}

/// Train every replica of `exp` (through the cache), with the context's experiment-side
/// perturbation where it applies (a theory-side one leaves the training nominal,
/// [`theory`]); its unconverged steps are recorded in the cache.
fn train(ctx: &Context, exp: &Experiment) -> Result<Arc<Vec<TrainOutput>>, Error> {
    let mut e = exp.clone();
    e.train.perturbation = ctx
        .perturbation
        .filter(|p| !p.is_theory() && p.applies_to(&exp.train.problem));
    let key = format!(
        "{}|{}|{}",
        e.train.seed,
        e.replicas,
        serde_json::to_string(&e.train)?
    );
    if let Some(hit) = ctx
        .cache
        .runs
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        ctx.cache.record_unconverged(&e.name, &hit);
        return Ok(hit);
    }
    if ctx.cache.sealed.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(crate::error::ShardError::MissingRun {
            what: format!(
                "the trained runs of experiment '{}' (seed {}, {} replicas)",
                e.name, e.train.seed, e.replicas
            ),
        }
        .into());
    }
    let v = e.validate_training()?;
    let ids: Vec<u64> = (0..e.replicas as u64).collect();
    let pb = progress(ids.len() as u64, &e.name, ctx.quiet);
    let outs = Arc::new(run_replicas(&v, &ids, &pb)?);
    ctx.cache.record_unconverged(&e.name, &outs);
    if let Ok(mut m) = ctx.cache.runs.lock() {
        m.insert(key, outs.clone());
    }
    Ok(outs)
}

/// Train every replica of `exp` (perturbed as the context says).
pub(crate) fn replicate(ctx: &Context, exp: &Experiment) -> Result<Arc<Vec<TrainOutput>>, Error> {
    train(ctx, exp)
}

/// The theory of `exp`, computed once per configuration: at the nominal values, or, under a
/// theory-side perturbation of the context where it applies, at the perturbed ones (a wrong
/// theory, [`crate::perturbation`]).
pub(crate) fn theory(ctx: &Context, exp: &Experiment) -> Result<Arc<ExpTheory>, Error> {
    let mut exp = exp.clone();
    if let Some(q) = ctx
        .perturbation
        .filter(|q| q.is_theory() && q.applies_to(&exp.train.problem))
    {
        exp.train.problem = q.theory_problem(&exp.train.problem);
    }
    let key = format!(
        "{}|{:?}",
        serde_json::to_string(&exp.train.problem)?,
        exp.train.engine.noise()
    );
    if let Some(hit) = ctx
        .cache
        .theories
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        ctx.cache.record_uncertified(&exp.name, &hit);
        return Ok(hit);
    }
    let th = Arc::new(ExpTheory::new(&exp.resolved()?)?);
    ctx.cache.record_uncertified(&exp.name, &th);
    if let Ok(mut m) = ctx.cache.theories.lock() {
        m.insert(key, th.clone());
    }
    Ok(th)
}

/// An experiment trained, with its theory: what a claim's checks are built from.
pub(crate) struct Trained {
    /// The experiment (nominal: what the theory describes).
    pub exp: Experiment,
    /// Its replicas (perturbed as the context says).
    pub outs: Arc<Vec<TrainOutput>>,
    /// Its theory.
    pub theory: Arc<ExpTheory>,
}

impl Trained {
    /// As a family cell.
    pub fn cell(&self) -> Cell<'_> {
        Cell {
            exp: &self.exp,
            outs: &self.outs,
            theory: &self.theory,
        }
    }
    /// d.
    pub fn d(&self) -> usize {
        self.exp.train.problem.d
    }
    /// n.
    pub fn n(&self) -> usize {
        self.exp.train.problem.n
    }
}

/// Train `exp` (through the cache) and compute its theory.
pub(crate) fn trained(ctx: &Context, exp: Experiment) -> Result<Trained, Error> {
    let outs = replicate(ctx, &exp)?;
    let theory = theory(ctx, &exp)?;
    Ok(Trained { exp, outs, theory })
}

/// The ladder of the tier on `schedule` (the base mixture), R replicas per size.
pub(crate) fn ladder(
    ctx: &Context,
    schedule: &ScheduleSpec,
    r: usize,
) -> Result<Vec<Trained>, Error> {
    let sz = sizes(ctx);
    sz.ds
        .iter()
        .map(|&d| {
            let mut train = base().with_sizes(d, sz.n, sz.k);
            train.problem.schedule = schedule.clone();
            let name = format!("{} d={d}", schedule.name());
            trained(ctx, experiment(ctx, &name, train, r))
        })
        .collect()
}

/// The dilated ladder (κ = 2) with the tier's replicas: shared by C1–C4.
pub(crate) fn dilated_ladder(ctx: &Context) -> Result<Vec<Trained>, Error> {
    let sz = sizes(ctx);
    ladder(ctx, &ScheduleSpec::dilated(2.0), sz.r)
}

/// The linear ladder (the undilated baseline of C1 and C4) with the tier's replicas (the C4
/// control, |p̂ − p| claimed flat in d, needs them to fail at the strictest primary level).
pub(crate) fn linear_ladder(ctx: &Context) -> Result<Vec<Trained>, Error> {
    let sz = sizes(ctx);
    ladder(ctx, &ScheduleSpec::linear(), sz.r)
}

/// The reference size of the ladder with one parameter of the mixture changed (C2's σ², C3's
/// p), trained with the ladder's replicas.
pub(crate) fn reference_variant(
    ctx: &Context,
    name: &str,
    edit: impl Fn(&mut TrainConfig),
) -> Result<Trained, Error> {
    let sz = sizes(ctx);
    let mut train = base().with_sizes(sz.ds[sz.reference], sz.n, sz.k);
    edit(&mut train);
    trained(ctx, experiment(ctx, name, train, sz.r))
}

/// A check input; `negative` describes the deliberate error of a negative control.
pub(crate) fn check(
    name: String,
    family: &str,
    measured: impl Into<Measured>,
    prediction: f64,
    source: Source,
    allowance: Allowance,
    negative: Option<String>,
) -> CheckInput {
    CheckInput::new(name, family, measured, prediction, source, allowance).control(negative)
}

/// A real check and its negative control on the same measurement under the same allowance:
/// `names` (real, control), the measurement with (prediction, deliberately wrong
/// prediction), (family, source, allowance), and the control's description.
pub(crate) fn pair(
    names: (String, String),
    (measured, (pred, wrong)): (Measured, (f64, f64)),
    (family, source, allowance): (&str, Source, Allowance),
    what: &str,
) -> [CheckInput; 2] {
    let real = check(
        names.0,
        family,
        measured,
        pred,
        source,
        allowance.clone(),
        None,
    );
    let ctl = check(
        names.1,
        family,
        measured,
        wrong,
        source,
        allowance,
        control(what),
    );
    [real, ctl]
}

/// A negative control's description.
pub(crate) fn control(what: &str) -> Option<String> {
    Some(what.to_string())
}

/// Paired differences f(a_r) − f(b_r) over replicas trained from the same seeds.
pub(crate) fn paired(
    a: &[TrainOutput],
    b: &[TrainOutput],
    f: impl Fn(&TrainOutput) -> Option<f64>,
) -> Option<Estimate> {
    let v: Option<Vec<f64>> = a.iter().zip(b).map(|(x, y)| Some(f(x)? - f(y)?)).collect();
    v.filter(|v| v.len() >= 2)
        .map(|v| Estimate::from_samples(&v, LEVEL))
}

/// A paired check between two trained experiments on the same seeds: the mean of
/// f(a_r) − f(b_r) against `pred`, claimed exact (δ = 0, SPEC §6 (a)).
pub(crate) fn paired_check(
    name: String,
    family: &str,
    (a, b): (&Trained, &Trained),
    f: impl Fn(&TrainOutput) -> Option<f64>,
    (pred, source): (f64, Source),
) -> Option<CheckInput> {
    let m = paired(&a.outs, &b.outs, &f)?;
    let allowance = crate::harness::families::exact_allowance(source);
    Some(CheckInput::new(name, family, m, pred, source, allowance))
}

/// An exact (closed-form) value.
/// A δ declared from a claim's own wording (C8's "kept" and "lost"): a definition, not a
/// finite-size term.
pub(crate) fn declared(delta: f64, why: &str) -> Allowance {
    Allowance::definition(delta, why)
}

pub(crate) fn exact(point: f64) -> Measured {
    Measured::exact(point)
}

/// Fine linear grid for a window of scale 1/√d: 2000 uniform points on [0, 1] plus 2000 on
/// [0, 40/√d] (20× the window scale, so the window is not constrained by the refinement).
pub(crate) fn fine_grid(d: usize) -> Vec<f64> {
    pilot_grid(2000, (40.0 / (d as f64).sqrt()).min(1.0), 2000)
}

/// The Bayes MSE profile on the linear schedule at times `ts`.
pub(crate) fn mse_curve(p: f64, s2: f64, d: usize, ts: Vec<f64>) -> Result<Curve, Error> {
    Ok(BayesMse(BayesGrid {
        schedule: &Linear,
        grid: ts,
        p,
        sigma2: s2,
        d,
    })
    .curve()?)
}

/// The Bayes MSE profile on the fine grid and its window.
pub(crate) fn mse_window(p: f64, s2: f64, d: usize) -> Result<(Curve, Window), Error> {
    let c = mse_curve(p, s2, d, fine_grid(d))?;
    let w = detect(&c, &Detector::default())?;
    Ok((c, w))
}

/// p̂ of exact Euler with the Bayes denoiser on the K-point grid of `spec` (SPEC §5.4).
pub(crate) fn euler_p_hat(
    spec: &ScheduleSpec,
    p: f64,
    s2: f64,
    d: usize,
    k: usize,
) -> Result<f64, Error> {
    let s = spec.build(d)?;
    euler_bayes(s.as_ref(), &s.grid(k), p, s2, d)
        .map(|e| e.p_hat)
        .ok_or(Error::NoPrediction {
            what: "exact Euler p̂ (an Euler map folds)",
            d,
        })
}
