//! The check families (SPEC §6): which per-replica statistic is compared with which
//! prediction, under which allowance δ, and the negative control of each family.
//!
//! Every check is built from a [`Stat`]: a statistic of one trained replica (an overlap at a
//! grid time, the generated p̂, a window average of the weight estimates, …) and its
//! prediction from [`ExpTheory`], the experiment's theory computed once. A check on one
//! experiment ([`Cell`]) compares the replica mean with the prediction ([`cell_check`]); a
//! **pooled** check averages the residuals (mean − prediction) of several statistics or
//! cells and compares them with 0 ([`pooled_check`]), which is how the primary tests reach
//! the precision the perturbations need (issue 11: the information about p is the training
//! signs; pooling cells pools them).
//!
//! **Where each check gets its prediction and δ.** The prediction is [`Stat::prediction`],
//! set in the one builder function per statistic below (`p_hat`, `var_perp`, `p_hat_w`,
//! `sigma2_w`, `overlap`, `omega_rel`, `c_abs`) or in [`super::declared`] from
//! [`ExpTheory`]; a better theory drops in there. Every prediction of a family is claimed exact at the run's (d, n, K, path,
//! schedule) — the reduced theory is the minimiser of R_k at this d and n, exact Euler is the
//! sampler's own recursion — so δ = 0 (SPEC §6 (a)): a systematic error in the data, the
//! engine, the sampler or the theory is not tolerated but detected. The engine's part of the
//! bargain is convergence: a replica with a step short of its convergence criterion makes
//! the run fail and is named in its summary ([`super::unconverged`]).
//!
//! The families themselves are data: `experiments/families.toml` declares each one's checks
//! in the form an experiment file's own `[[checks]]` take ([`super::declared`]), and
//! [`check_inputs`] evaluates those declarations. Per family, for one experiment
//! (`phaseflow run`):
//! * `p_hat`: primary, generated p̂ against exact Euler with the Bayes denoiser (§5.4);
//!   control p + 0.02.
//! * `var_perp`: primary, the generated within-mode variance against exact Euler with the
//!   finite-n denoiser's c_k (§5.3 + §5.4); control σ² × 1.02.
//! * `phase1_overlaps`: primary, the mean relative residual of ω over phase 1; diagnostics ω,
//!   b, m per grid time against the reduced theory at this d and n; control: ω at mid phase 1
//!   against the reduced theory at κ × 1.03.
//! * `phase2_overlaps`: primary, the mean residual of c over phase 2; diagnostics c, m per
//!   grid time; control: c at mid phase 2 against the reduced theory at σ² × 1.02.
//! * `weight_estimates`: primaries p̂_w (the binomial average of (1 + tanh b)/2, §5.7) and
//!   σ̂²_w; controls: each against its theory at p + 0.02 and at σ² × 1.02.
//!
//! The controls are off by about each family's minimum detectable effect (SPEC §6), not by a
//! gross amount: a control that fails only at 50 % shows nothing about a 2 % error.

use super::Experiment;
use super::check::{Allowance, CheckInput, Measured, Source};
use crate::error::Error;
use crate::experiment::{StepOutput, TrainOutput};
use crate::flow::Integrator;
use crate::problem::ConfigError;
use crate::schedule::Phases;
use crate::stats::Estimate;
use crate::theory::bayes::{p_from_bias, sigma2_from_c};
use crate::theory::euler::var_perp_linear;
use crate::theory::{EulerPrediction, FiniteN, Prediction, Theory};
use serde::{Deserialize, Serialize};

/// The negative controls' wrong σ²: the true one scaled by this (about the MDE of the
/// σ²-sensitive families, SPEC §6).
pub(crate) const CONTROL_SIGMA2_SCALE: f64 = 1.02;

/// The negative controls' wrong κ: the true one scaled by this (about the MDE of phase 1).
pub(crate) const CONTROL_KAPPA_SCALE: f64 = 1.03;

/// The shift of the negative controls' wrong p (about the MDE of the p-sensitive families).
pub const CONTROL_P_SHIFT: f64 = 0.02;

/// A p shifted by [`CONTROL_P_SHIFT`] (up, or down near 1) (the negative control's wrong p).
pub fn wrong_p(p: f64) -> f64 {
    if p + CONTROL_P_SHIFT < 1.0 {
        p + CONTROL_P_SHIFT
    } else {
        p - CONTROL_P_SHIFT
    }
}

/// The theory (Bayes, limit, finite-n, Euler) for `exp` with p, σ² and κ·`kappa_scale`.
///
/// # Errors
/// [`Error::Config`] if the theory cannot be built.
pub fn theory_for(
    exp: &Experiment,
    p: f64,
    sigma2: f64,
    kappa_scale: f64,
) -> Result<Theory, Error> {
    let c = &exp.train.problem;
    let spec = c.schedule.scale_kappa(kappa_scale);
    let th = Theory::new(&c.path, &spec, p, sigma2, c.d)?;
    Ok(th.with_finite_n(FiniteN {
        n: c.n,
        lambda_u: c.lambda_u,
        lambda_w: c.lambda_w,
        noise: exp.train.engine.noise(),
    })?)
}

/// The predictions of one grid time.
#[derive(Debug, Clone)]
pub struct StepTheory {
    /// t_k.
    pub t: f64,
    /// α(t_k), β(t_k).
    pub alpha: f64,
    /// β(t_k).
    pub beta: f64,
    /// §5.1 at this d.
    pub bayes: Prediction,
    /// The prediction the trained overlaps are checked against (`overlap_prediction`: the
    /// reduced theory where it exists, else [`ExpTheory::finite_n`]) and its source.
    pub overlap: Option<(Prediction, Source)>,
    /// Whether t_k is in phase 1 ([`Phases::in_phase1`]; false without phases).
    phase1: bool,
}

/// The theory of one experiment, computed once: per grid time, the Euler predictions of the
/// generated statistics.
#[derive(Debug)]
pub struct ExpTheory {
    /// The nominal theory with its finite-n configuration.
    pub theory: Theory,
    /// Per grid time.
    pub steps: Vec<StepTheory>,
    /// Exact Euler with the Bayes denoiser (§5.4).
    pub euler: Option<EulerPrediction>,
    /// The generated within-mode variance of exact Euler with the finite-n c_k (phase-2 closed
    /// form at the schedule's α, β at every grid time, §5.3): [`var_perp_linear`].
    pub var_perp: Option<f64>,
    /// Grid times whose reduced prediction is not certified (an n₊ solve stopped at its
    /// iteration cap, [`Theory::reduced_uncertified`]) where a check rests on it (a schedule
    /// with phases, or the finite-n var⊥ on any schedule): the run or claim names them
    /// ([`ExpTheory::uncertified_names`]) and fails, as for an unconverged engine step.
    pub uncertified: Vec<f64>,
    /// The schedule's two-phase split ([`crate::schedule::Schedule::phases`]); `None`
    /// without one. Every phase test of the families reads it.
    pub phases: Option<Phases>,
    /// The finite-n configuration (for the phase-1 terms, computed when first asked for).
    fin: FiniteN,
}

impl ExpTheory {
    /// One line per uncertified grid time, for the report's list of steps without a verdict.
    pub fn uncertified_names(&self) -> Vec<String> {
        self.uncertified
            .iter()
            .map(|t| {
                format!(
                    "theory at d={}: reduced prediction not certified at t={t:.3} (an n₊ solve at its iteration cap, or its Wishart correction failed)",
                    self.theory.d()
                )
            })
            .collect()
    }

    /// Compute every prediction of `exp` (resolved schedule).
    ///
    /// # Errors
    /// [`Error::Config`] if the theory cannot be built.
    pub fn new(exp: &Experiment) -> Result<Self, Error> {
        let c = &exp.train.problem;
        let theory = theory_for(exp, c.p, c.sigma2, 1.0)?;
        let s = theory.schedule();
        let grid = s.grid(c.steps);
        let fin = FiniteN {
            n: c.n,
            lambda_u: c.lambda_u,
            lambda_w: c.lambda_w,
            noise: exp.train.engine.noise(),
        };
        let phases = s.phases();
        if phases.is_some() {
            // every grid time of the reduced theory at once (solved in parallel, memoised)
            let _ = theory.reduced_at(&grid);
        }
        let steps: Vec<StepTheory> = grid
            .iter()
            .map(|&t| StepTheory {
                t,
                alpha: s.alpha(t),
                beta: s.beta(t),
                bayes: theory.bayes(t),
                overlap: phases.and_then(|_| overlap_prediction(&theory, t)),
                phase1: phases.is_some_and(|ph| ph.in_phase1(t)),
            })
            .collect();
        let euler = euler_of(exp, &theory);
        let var_perp = var_perp_of(exp, &theory, c.sigma2);
        // What rests on the reduced theory: the overlap checks (schedules with phases) and
        // the finite-n var⊥ on any schedule (its c_k are the reduced theory's, `learned_c`).
        // Without either nothing reads it, and its times are not reported.
        let uncertified = if phases.is_some() || var_perp.is_some() {
            theory.reduced_uncertified(&grid)
        } else {
            Vec::new()
        };
        Ok(Self {
            theory,
            steps,
            euler,
            var_perp,
            uncertified,
            phases,
            fin,
        })
    }

    /// The phase-1 predictions of grid step `i` conditional on each n₊ (n₊, weight,
    /// prediction; [`FiniteN::phase1_terms_at`], memoised), empty outside phase 1. Computed
    /// when first asked for: only the weight-estimate and invariance checks read them.
    fn phase1_terms(&self, i: usize) -> Vec<(usize, f64, Prediction)> {
        let Some(st) = self.steps.get(i).filter(|st| st.phase1) else {
            return Vec::new();
        };
        let th = &self.theory;
        self.fin
            .phase1_terms_at(th.p(), th.sigma2(), st.alpha, st.beta, th.d())
    }

    /// §5.3 at this d at grid step `i`: the binomial average over n₊ of the phase-1
    /// minimiser in phase 1, the closed form ([`Theory::finite_n_at_d`]) in phase 2; `None`
    /// without phases.
    pub fn finite_n(&self, i: usize) -> Option<Prediction> {
        let st = self.steps.get(i)?;
        self.phases?;
        if !st.phase1 {
            return self.theory.finite_n_at_d(st.t);
        }
        let terms = self.phase1_terms(i);
        if terms.is_empty() {
            return None;
        }
        let mean = |g: fn(&Prediction) -> Option<f64>| -> Option<f64> {
            terms.iter().map(|(_, w, pr)| g(pr).map(|v| w * v)).sum()
        };
        Some(Prediction {
            c: mean(|q| q.c),
            m: mean(|q| q.m),
            omega: mean(|q| q.omega),
            b: mean(|q| q.b),
            sqrt_q: mean(|q| q.sqrt_q),
            sqrt_r: mean(|q| q.sqrt_r),
            mse: None,
        })
    }

    /// Phase 1: E[(1 + tanh b)/2] over n₊ at grid step `i` (the p̂_w of this step, SPEC
    /// §5.7); `None` outside phase 1.
    pub fn p_w(&self, i: usize) -> Option<f64> {
        let terms = self.phase1_terms(i);
        if terms.is_empty() {
            return None;
        }
        terms
            .iter()
            .map(|(_, w, pr)| pr.b.map(p_from_bias).map(|v| w * v))
            .sum()
    }

    /// The finite-n configuration (n, the ridges, the engine's noise convention).
    pub fn finite_n_config(&self) -> FiniteN {
        self.fin
    }

    /// The steps of phase 1 ([`Phases::in_phase1`]; none without phases).
    pub fn phase1(&self) -> impl Iterator<Item = (usize, &StepTheory)> {
        let ph = self.phases;
        self.steps
            .iter()
            .enumerate()
            .filter(move |(_, s)| ph.is_some_and(|p| p.in_phase1(s.t)))
    }

    /// The steps of phase 2 ([`Phases::in_phase2`]; none without phases).
    pub fn phase2(&self) -> impl Iterator<Item = (usize, &StepTheory)> {
        let ph = self.phases;
        self.steps
            .iter()
            .enumerate()
            .filter(move |(_, s)| ph.is_some_and(|p| p.in_phase2(s.t)))
    }

    /// The grid index nearest the time a fraction `f` into phase 1 (or phase 2): where a
    /// family puts its negative control.
    pub fn mid_phase(&self, phase1: bool, f: f64) -> Option<usize> {
        let ph = self.phases?;
        if phase1 {
            closest(self.phase1().map(|(i, s)| (i, s.t)), ph.phase1_at(f))
        } else {
            closest(self.phase2().map(|(i, s)| (i, s.t)), ph.phase2_at(f))
        }
    }
}

/// The prediction the trained-overlap checks use at time t, with its source: the reduced
/// theory ([`crate::theory::reduced`], the minimiser of R_k at this d and n) where it exists
/// (fresh noise, n ≥ 2), else §5.3 at this d ([`Theory::finite_n_at_d`]). The one place the
/// overlap families, the weight estimates and the C2/C3 invariance claims take it from.
/// Call [`Theory::reduced_at`] on all the times first: they are then solved in parallel.
pub(crate) fn overlap_prediction(th: &Theory, t: f64) -> Option<(Prediction, Source)> {
    match th.reduced(t) {
        Some(pr) => Some((pr, Source::Reduced)),
        None => th.finite_n_at_d(t).map(|pr| (pr, Source::FiniteN)),
    }
}

/// One experiment's replicas and its theory.
#[derive(Clone, Copy)]
pub struct Cell<'a> {
    /// The experiment (nominal configuration: what the theory describes).
    pub exp: &'a Experiment,
    /// Its trained replicas.
    pub outs: &'a [TrainOutput],
    /// Its theory.
    pub theory: &'a ExpTheory,
}

type Value<'a> = Box<dyn Fn(&TrainOutput) -> Option<f64> + Sync + 'a>;

/// A statistic of one trained replica and its prediction (module doc).
pub struct Stat<'a> {
    value: Value<'a>,
    /// The prediction of the replica mean.
    pub prediction: f64,
    /// Where the prediction comes from.
    pub source: Source,
}

impl<'a> Stat<'a> {
    /// A statistic from its value function and prediction.
    pub fn new(
        value: impl Fn(&TrainOutput) -> Option<f64> + Sync + 'a,
        prediction: f64,
        source: Source,
    ) -> Self {
        Self {
            value: Box::new(value),
            prediction,
            source,
        }
    }

    /// The value on one replica.
    pub fn value(&self, o: &TrainOutput) -> Option<f64> {
        (self.value)(o)
    }

    /// The replica mean (R − 1 degrees of freedom); `None` if any replica has no value.
    pub fn measure(&self, outs: &[TrainOutput], level: f64) -> Option<Estimate> {
        let v: Option<Vec<f64>> = outs.iter().map(|o| self.value(o)).collect();
        v.filter(|v| v.len() >= 2)
            .map(|v| Estimate::from_samples(&v, level))
    }
}

/// The confidence level of replica intervals in the aggregate estimates.
const LEVEL: f64 = 0.99;

/// The allowance of a trained check against `source`: zero, the prediction claimed exact at
/// the run's sizes (SPEC §6 (a)).
pub fn exact_allowance(source: Source) -> Allowance {
    Allowance::exact(format!(
        "{}: claimed exact at this d, n, K, path and schedule (SPEC §6 (a))",
        source.describe()
    ))
}

/// A check of one statistic on one experiment: the replica mean against the prediction,
/// δ = 0 ([`exact_allowance`]). `None` when a replica has no value.
pub fn cell_check(name: &str, family: &str, cell: Cell<'_>, stat: &Stat<'_>) -> Option<CheckInput> {
    let m = stat.measure(cell.outs, LEVEL)?;
    Some(CheckInput::new(
        name,
        family,
        m,
        stat.prediction,
        stat.source,
        exact_allowance(stat.source),
    ))
}

/// A pooled check: the mean over the (cell, statistic) pairs of (replica mean − prediction)
/// against 0, with the Welch–Satterthwaite degrees of freedom of the combination, δ = 0.
/// `None` if some pair has no value.
pub fn pooled_check(
    name: &str,
    family: &str,
    cells: &[(Cell<'_>, &Stat<'_>)],
) -> Option<CheckInput> {
    let w = 1.0 / cells.len() as f64;
    let parts: Option<Vec<(f64, Measured)>> = cells
        .iter()
        .map(|(cell, stat)| {
            stat.measure(cell.outs, LEVEL).map(|e| {
                let mut m: Measured = e.into();
                m.point -= stat.prediction;
                (w, m)
            })
        })
        .collect();
    let measured = Measured::combine(&parts?);
    let source = cells.first()?.1.source;
    Some(CheckInput::new(
        name,
        family,
        measured,
        0.0,
        source,
        exact_allowance(source),
    ))
}

/// The negative control of a check: the same measurement and δ against `wrong`.
pub fn control(real: &CheckInput, wrong: f64, what: &str) -> Option<CheckInput> {
    wrong.is_finite().then(|| {
        let mut c = real.clone();
        c.name = format!("{}[control]", real.name);
        c.prediction = wrong;
        c.negative_control = Some(what.to_string());
        c
    })
}

// ---- the statistics --------------------------------------------------------------------

fn step_of(o: &TrainOutput, i: usize) -> Option<&StepOutput> {
    o.steps.get(i)
}

/// Generated p̂ against exact Euler with the Bayes denoiser (§5.4).
pub fn p_hat(th: &ExpTheory) -> Option<Stat<'static>> {
    let e = th.euler?;
    Some(Stat::new(
        |o| Some(o.generated.p_hat),
        e.p_hat,
        Source::GeneratedEuler,
    ))
}

/// The generated within-mode variance against exact Euler with the finite-n c_k.
pub fn var_perp(th: &ExpTheory) -> Option<Stat<'static>> {
    Some(Stat::new(
        |o| o.generated.var_perp,
        th.var_perp?,
        Source::FiniteNEuler,
    ))
}

/// The same, relative: var⊥/prediction − 1 (pooled over sizes).
pub fn var_perp_rel(th: &ExpTheory) -> Option<Stat<'static>> {
    let pred = th.var_perp?;
    Some(Stat::new(
        move |o| o.generated.var_perp.map(|v| v / pred - 1.0),
        0.0,
        Source::FiniteNEuler,
    ))
}

/// p̂_w averaged over phase 1 against the binomial average of (1 + tanh b)/2 (§5.3, §5.7).
pub fn p_hat_w(th: &ExpTheory) -> Option<Stat<'_>> {
    let idx: Vec<usize> = th.phase1().map(|(i, _)| i).collect();
    let preds: Option<Vec<f64>> = idx.iter().map(|&i| th.p_w(i)).collect();
    let preds = preds.filter(|v| !v.is_empty())?;
    let k = preds.len() as f64;
    Some(Stat::new(
        move |o| {
            let v: Option<Vec<f64>> = idx
                .iter()
                .map(|&i| step_of(o, i).map(|s| s.p_hat_w))
                .collect();
            v.map(|v| v.iter().sum::<f64>() / k)
        },
        preds.iter().sum::<f64>() / k,
        Source::FiniteN,
    ))
}

/// σ̂²_w averaged over the mid-phase-2 steps of [`super::SIGMA2_W_PHASE2`] against the same average of the
/// finite-n c inverted (§5.3, §5.7).
pub fn sigma2_w(th: &ExpTheory) -> Option<Stat<'_>> {
    let ph = th.theory.phases()?;
    let win: Vec<(usize, &StepTheory)> = th
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| super::in_weight_window(&ph, s.t, false))
        .collect();
    let preds: Option<Vec<f64>> = win
        .iter()
        .map(|&(i, s)| sigma2_from_c(step_c(th, i)?, s.alpha, s.beta))
        .collect();
    let preds = preds.filter(|v| !v.is_empty())?;
    let idx: Vec<usize> = win.iter().map(|(i, _)| *i).collect();
    let k = preds.len() as f64;
    Some(Stat::new(
        move |o| {
            let v: Option<Vec<f64>> = idx.iter().map(|&i| step_of(o, i)?.sigma2_w).collect();
            v.map(|v| v.iter().sum::<f64>() / k)
        },
        preds.iter().sum::<f64>() / k,
        overlap_source(th),
    ))
}

/// The c a trained step is predicted to learn: the reduced theory's (the minimiser of R_k at
/// this d and n) where it exists, else §5.3's closed form. Issue 22: σ̂²_w and var⊥ used the
/// closed form, whose tanh is saturated (d → ∞), while the c checks used the reduced theory;
/// at finite d the two differ and σ̂²_w pooled over the ladder was −3.9 and −5.1 SE off at
/// master seeds 2 and 5, var⊥ −4.8 SE at seed 5 (quick tier, R = 32).
fn step_c(th: &ExpTheory, i: usize) -> Option<f64> {
    let s = th.steps.get(i)?;
    s.overlap
        .and_then(|(p, _)| p.c)
        .or_else(|| th.finite_n(i)?.c)
}

/// The finite-n configuration of `exp`.
fn exp_finite_n(exp: &Experiment) -> FiniteN {
    let c = &exp.train.problem;
    FiniteN {
        n: c.n,
        lambda_u: c.lambda_u,
        lambda_w: c.lambda_w,
        noise: exp.train.engine.noise(),
    }
}

/// The c learned at time t under theory `th` (within-mode variance `sigma2`): the reduced
/// theory's where it exists, else §5.3's phase-2 closed form at this (α, β).
fn learned_c(th: &Theory, fin: &FiniteN, sigma2: f64, t: f64) -> Option<f64> {
    let s = th.schedule();
    overlap_prediction(th, t)
        .and_then(|(p, _)| p.c)
        .or_else(|| fin.phase2_ab(sigma2, s.alpha(t), s.beta(t)).c)
}

/// Which overlap (in experiment files: `c`, `m`, `omega`, `b`, `sqrt_q`, `sqrt_r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    /// c.
    C,
    /// m.
    M,
    /// ω.
    Omega,
    /// b.
    B,
    /// √q = |u|/√d.
    SqrtQ,
    /// √r = |w|/√d.
    SqrtR,
}

impl Overlap {
    /// Its name in check names.
    pub fn name(&self) -> &'static str {
        match self {
            Overlap::C => "c",
            Overlap::M => "m",
            Overlap::Omega => "omega",
            Overlap::B => "b",
            Overlap::SqrtQ => "sqrt_q",
            Overlap::SqrtR => "sqrt_r",
        }
    }
    /// The value of a trained step.
    pub fn of(&self, s: &StepOutput) -> f64 {
        let o = &s.overlaps;
        match self {
            Overlap::C => o.c,
            Overlap::M => o.m,
            Overlap::Omega => o.omega,
            Overlap::B => o.b,
            Overlap::SqrtQ => o.sqrt_q,
            Overlap::SqrtR => o.sqrt_r,
        }
    }
    /// The predicted value.
    pub fn predicted(&self, p: &Prediction) -> Option<f64> {
        match self {
            Overlap::C => p.c,
            Overlap::M => p.m,
            Overlap::Omega => p.omega,
            Overlap::B => p.b,
            Overlap::SqrtQ => p.sqrt_q,
            Overlap::SqrtR => p.sqrt_r,
        }
    }
}

/// An overlap at grid step `i` against `overlap_prediction` (the reduced theory at this d
/// and n where it exists, else §5.3 at this d).
pub fn overlap(th: &ExpTheory, i: usize, q: Overlap) -> Option<Stat<'static>> {
    let st = th.steps.get(i)?;
    let (pr, source) = st.overlap?;
    let pred = q.predicted(&pr)?;
    Some(Stat::new(
        move |o| step_of(o, i).map(|s| q.of(s)),
        pred,
        source,
    ))
}

/// The mean over the steps `phase` of `residual(measured, predicted)` of one overlap `q`
/// (one number per replica): the pooled primary tests of the two phases.
fn phase_mean<'a>(
    th: &'a ExpTheory,
    phase: impl Iterator<Item = (usize, &'a StepTheory)>,
    q: Overlap,
    residual: fn(f64, f64) -> f64,
) -> Option<Stat<'static>> {
    let pts: Option<Vec<(usize, f64)>> = phase
        .map(|(i, s)| s.overlap.and_then(|(p, _)| q.predicted(&p)).map(|v| (i, v)))
        .collect();
    let pts = pts.filter(|v| !v.is_empty())?;
    let source = overlap_source(th);
    let k = pts.len() as f64;
    Some(Stat::new(
        move |o| {
            pts.iter()
                .map(|&(i, v)| step_of(o, i).map(|s| residual(q.of(s), v)))
                .sum::<Option<f64>>()
                .map(|v| v / k)
        },
        0.0,
        source,
    ))
}

/// The mean over phase 1 of ω/ω_pred − 1 (one number per replica; the primary test of
/// phase 1, what a κ perturbation moves).
pub fn omega_rel(th: &ExpTheory) -> Option<Stat<'static>> {
    phase_mean(th, th.phase1(), Overlap::Omega, |w, pred| w / pred - 1.0)
}

/// The mean over phase 2 of c − c_pred (the primary test of phase 2, what σ² moves).
pub fn c_abs(th: &ExpTheory) -> Option<Stat<'static>> {
    phase_mean(th, th.phase2(), Overlap::C, |c, pred| c - pred)
}

/// The source of the overlap predictions of `th` (reduced wherever one step has it).
fn overlap_source(th: &ExpTheory) -> Source {
    th.steps
        .iter()
        .find_map(|s| s.overlap.map(|(_, src)| src))
        .unwrap_or(Source::FiniteN)
}

/// The grid step closest to time `mid` among `steps`.
pub(crate) fn closest(steps: impl Iterator<Item = (usize, f64)>, mid: f64) -> Option<usize> {
    steps
        .min_by(|a, b| (a.1 - mid).abs().total_cmp(&(b.1 - mid).abs()))
        .map(|(i, _)| i)
}

// ---- the families of one experiment ---------------------------------------------------

/// The checks of every requested family of one experiment: each family's declarations
/// (`experiments/families.toml`, [`super::Family::declarations`]) evaluated by
/// [`super::declared::inputs_of`].
///
/// # Errors
/// [`Error::Config`] if a requested family does not apply to the schedule and d, or a
/// theory cannot be built for the configuration.
pub fn check_inputs(cell: Cell<'_>) -> Result<Vec<CheckInput>, Error> {
    let exp = cell.exp;
    let th = cell.theory;
    let mut all = Vec::new();
    let mut controls = super::declared::ControlTheories::default();
    for fam in exp.families() {
        if let Err(why) = fam.applies(th.phases.as_ref(), exp.train.problem.d) {
            return Err(ConfigError::Invalid {
                field: "families",
                rule: format!("'{}' {why}", fam.name()),
            }
            .into());
        }
        all.extend(super::declared::inputs_of(
            cell,
            fam.declarations(),
            Some(fam),
            &mut controls,
        )?);
    }
    Ok(all)
}

/// Exact Euler with the Bayes denoiser (§5.4) on the grid of `exp`, to its endpoint; `None`
/// when `exp` generates with another integrator (§5.4 is about explicit Euler).
fn euler_of(exp: &Experiment, th: &Theory) -> Option<EulerPrediction> {
    (exp.train.integrator == Integrator::Euler)
        .then(|| th.euler_to(exp.train.problem.steps, exp.train.endpoint))
        .flatten()
}

/// The generated within-mode variance of exact Euler with the finite-n c_k of `exp` at
/// within-mode variance `sigma2` (the c each step learns at this d and n, [`learned_c`], on
/// every schedule: on the linear one the Bayes c_k it once used was 0.4 % high, 3–26 SE
/// over d = 250…16 000); `None` for d = 1.
///
/// # Errors
/// [`Error::Config`] if the theory cannot be built.
pub(crate) fn finite_n_var_perp(exp: &Experiment, sigma2: f64) -> Result<Option<f64>, Error> {
    if exp.train.problem.d < 2 {
        return Ok(None);
    }
    let th = theory_for(exp, exp.train.problem.p, sigma2, 1.0)?;
    Ok(var_perp_of(exp, &th, sigma2))
}

/// [`finite_n_var_perp`] under an already built theory `th` of `exp` at `sigma2` (its reduced
/// theory is solved once and shared with the overlap predictions).
fn var_perp_of(exp: &Experiment, th: &Theory, sigma2: f64) -> Option<f64> {
    let c = &exp.train.problem;
    if c.d < 2 || exp.train.integrator != Integrator::Euler {
        return None;
    }
    let s = th.schedule();
    let grid = s.grid(c.steps);
    let fin = exp_finite_n(exp);
    // The linear part learned at finite n: the reduced theory's c at this d and n where it
    // exists (two-phase schedules), else the phase-2 closed form at this step's (α, β) (in
    // phase 1 too, where c is O(1/√d) and the same normal equation fixes it).
    let _ = th.reduced_at(&grid);
    let cs: Option<Vec<f64>> = grid
        .iter()
        .map(|&t| learned_c(th, &fin, sigma2, t))
        .collect();
    cs.map(|cs| var_perp_linear(s, &grid, &cs, exp.train.endpoint))
}
