//! What the claims share: their base configuration, replicas, check construction and the
//! fine grids of the phase-detection claims. Sizes are per tier; every allowance comes from
//! [`crate::harness::families`] or is declared in the claim's file with its source.
//!
//! # Remarks
//! Closed-form quantities (Bayes profiles, exact Euler p̂) have no replica spread. They enter
//! as an [`Estimate`] with se = 0 and n = 2 ([`exact`]; df = 1 only so that the p-value is
//! defined): with se = 0 the statistic is 0 inside the allowance and ∞ outside, so the verdict
//! is exactly |measured − prediction| ≤ δ, whatever the level. Trained checks use the replica
//! spread.

use super::{ALPHA, Context};
use crate::error::Error;
use crate::experiment::{TrainConfig, TrainOutput};
use crate::harness::check::{Allowance, CheckInput, Source};
use crate::harness::{Experiment, progress, run_replicas};
use crate::phase::{BayesGrid, BayesMse, Curve, Detector, Profile, Window, detect, pilot_grid};
use crate::schedule::{Linear, ScheduleSpec};
use crate::stats::Estimate;
use crate::theory::euler::euler_bayes;

/// Confidence level of replica intervals in claims.
pub(crate) const LEVEL: f64 = 1.0 - ALPHA;

/// An experiment of a claim: `train` with the context's master seed, no check families.
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
        families: Vec::new(),
    }
}

/// The averaged-engine base of the claims: p = 0.8, σ² = 1, κ = 2, λ = 0.01.
pub(crate) fn base() -> TrainConfig {
    crate::harness::averaged_base()
}

/// Train every replica of `exp`.
pub(crate) fn replicate(ctx: &Context, exp: &Experiment) -> Result<Vec<TrainOutput>, Error> {
    let v = exp.validate_training()?;
    let ids: Vec<u64> = (0..exp.replicas as u64).collect();
    let pb = progress(ids.len() as u64, &exp.name, ctx.quiet);
    run_replicas(&v, &ids, &pb)
}

/// A check input; `negative` describes the deliberate error of a negative control.
pub(crate) fn check(
    name: String,
    family: &str,
    measured: Estimate,
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
    (measured, (pred, wrong)): (Estimate, (f64, f64)),
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

/// A declared allowance δ with its source.
pub(crate) fn declared(delta: f64, why: &str) -> Allowance {
    Allowance {
        delta,
        source: why.into(),
    }
}

/// A negative control's description.
pub(crate) fn control(what: &str) -> Option<String> {
    Some(what.to_string())
}

/// Paired differences f(a_r) − f(b_r) over replicas trained from the same seeds.
pub(crate) fn paired(
    a: &[TrainOutput],
    b: &[TrainOutput],
    f: impl Fn(&TrainOutput) -> f64,
) -> Estimate {
    let v: Vec<f64> = a.iter().zip(b).map(|(x, y)| f(x) - f(y)).collect();
    Estimate::from_samples(&v, LEVEL)
}

/// The sum of two allowances, with the first one's source.
pub(crate) fn sum_allowance(a: Allowance, b: Allowance) -> Allowance {
    Allowance {
        delta: a.delta + b.delta,
        source: format!("sum of both sides' allowances: {}", a.source),
    }
}

/// An exact (closed-form) value as an [`Estimate`]: see the module remarks.
pub(crate) fn exact(point: f64) -> Estimate {
    Estimate {
        point,
        se: 0.0,
        ci: [point, point],
        level: LEVEL,
        n: 2,
    }
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
