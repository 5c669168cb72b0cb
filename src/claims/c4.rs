//! C4 — Θ_d(1) samples suffice (SPEC §5.6): a sweep over d (factor 64) and n; log-log slopes
//! of the errors of p̂, var⊥, ω and c are ≤ 0.1 in d and ≤ 0 in n, with intervals from the
//! replica spread. Controls: the linear schedule's |p̂ − p| held flat in d; errors claimed to
//! grow with n.

use super::common::{LEVEL, base, check, control, declared, experiment};
use super::{ClaimDef, Context, Outcome};
use crate::error::Error;
use crate::harness::check::{Allowance, CheckInput, Side, Source};
use crate::harness::sweep::{Fit, Sweep, SweepReport};
use crate::schedule::ScheduleSpec;
use crate::stats::Estimate;

/// Largest growth exponent of an error in d that still counts as "does not grow": over the
/// factor-64 sweep the error may grow by at most 64^0.1 ≈ 1.5× (declared a priori).
pub(crate) const FLAT_SLOPE: f64 = 0.1;

fn slope_estimate(slope: f64, se: f64) -> Estimate {
    // The SE is propagated from many replicas (harness::sweep); normal quantiles (large n).
    Estimate {
        point: slope,
        se,
        ci: [slope - 2.576 * se, slope + 2.576 * se],
        level: LEVEL,
        n: 1000,
    }
}

/// A check on a fitted slope: a one-sided `bound` (side, prediction, allowance).
fn slope_check(
    name: String,
    f: &Fit,
    (side, pred, allowance): (Side, f64, Allowance),
    negative: Option<String>,
) -> CheckInput {
    let est = slope_estimate(f.slope, f.se);
    check(
        name,
        "slopes",
        est,
        pred,
        Source::FiniteN,
        allowance,
        negative,
    )
    .with_side(side)
}

/// The registered claim.
pub(crate) const C4: ClaimDef = ClaimDef {
    id: "C4",
    title: "Θ_d(1) samples: errors flat in d over a factor 64, falling with n",
    run,
};

fn run(ctx: &Context) -> Result<Outcome, Error> {
    let ds: Vec<usize> = ctx.pick(vec![250, 1000, 4000, 16000], vec![500, 2000, 8000, 32000]);
    let ns: Vec<usize> = ctx.pick(vec![64, 256], vec![64, 256, 1024]);
    let k = ctx.pick(20, 40);
    let r = ctx.replicas(6, 16);
    let sweep = |spec: ScheduleSpec, ns: Vec<usize>| -> Result<SweepReport, Error> {
        let mut train = base();
        train.problem.schedule = spec;
        train.problem.steps = k;
        Sweep {
            base: experiment(ctx, "C4", train, r),
            d: ds.clone(),
            n: ns,
        }
        .run(ctx.quiet)
    };
    let dil = sweep(ScheduleSpec::dilated(2.0), ns.clone())?;
    let lin = sweep(ScheduleSpec::linear(), vec![*ns.last().expect("n")])?;
    let mut out = Outcome::default();
    let flat = Allowance {
        delta: FLAT_SLOPE,
        source: format!(
            "declared: over the factor-64 sweep an error may grow by ≤ 64^{FLAT_SLOPE}"
        ),
    };
    for f in &dil.fits {
        let (name, side, pred, allowance) = if f.along == "d" {
            (
                format!("{}_vs_d@n={}", f.metric, f.fixed),
                Side::AtMost,
                0.0,
                flat.clone(),
            )
        } else {
            let none = Allowance {
                delta: 0.0,
                source: "errors must fall with n: slope ≤ 0".into(),
            };
            (
                format!("{}_vs_n@d={}", f.metric, f.fixed),
                Side::AtMost,
                0.0,
                none,
            )
        };
        out.checks
            .push(slope_check(name, f, (side, pred, allowance), None));
    }
    // Control: the linear schedule's p̂ error held to the same "flat in d" bound.
    if let Some(f) = lin
        .fits
        .iter()
        .find(|f| f.metric == "p_hat_vs_p" && f.along == "d")
    {
        out.checks.push(slope_check(
            format!("linear_p_hat_vs_p_vs_d@n={}", f.fixed),
            f,
            (Side::AtMost, 0.0, flat.clone()),
            control("the linear schedule's |p̂ − p| claimed flat in d"),
        ));
        out.notes.push(format!(
            "linear schedule: |p̂ − p| ∝ d^{:.2} ± {:.2}; dilated: see p_hat_vs_p_vs_d slopes",
            f.slope, f.se
        ));
    }
    // Control: "errors grow with n" (slope ≥ +0.25) must fail, tested on the most
    // precise var⊥ fit along n.
    if let Some(f) = dil
        .fits
        .iter()
        .filter(|f| f.metric == "var_perp" && f.along == "n")
        .min_by(|a, b| a.se.total_cmp(&b.se))
    {
        let none = declared(0.0, "control");
        out.checks.push(slope_check(
            format!("var_perp_grows_with_n@d={}", f.fixed),
            f,
            (Side::AtLeast, 0.25, none),
            control("errors claimed to grow with n (slope ≥ 0.25)"),
        ));
    }
    out.figures.extend(crate::harness::figures::sweep(&dil));
    Ok(out)
}
