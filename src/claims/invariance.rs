//! The invariance claims C2 and C3 (SPEC §5.1–§5.3): the overlaps of one phase follow the
//! finite-n theory, and paired replicas at another value of the other phase's parameter show
//! they do not move with it. Controls: the theory with a wrong parameter, and the other
//! phase's quantity claimed invariant.

use super::common::{LEVEL, base, check, experiment, paired, replicate, sum_allowance};
use super::{Context, Outcome};
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::harness::check::{CheckInput, Source};
use crate::harness::families::{overlap_allowance, overlap_prediction, theory_for};
use crate::harness::{Aggregate, Experiment, Family};
use crate::theory::Theory;

/// Invariance check: quantity `q` of `steps` in a/b (paired) against the predicted difference.
pub(crate) struct Invariance<'a> {
    a: (&'a Experiment, &'a [TrainOutput], &'a Theory),
    b: (&'a Experiment, &'a [TrainOutput], &'a Theory),
}

impl Invariance<'_> {
    fn check(
        &self,
        q: &str,
        t: f64,
        step: usize,
        predicted_zero: bool,
        neg: Option<String>,
    ) -> Option<CheckInput> {
        let pick = |o: &TrainOutput| {
            let ov = &o.steps[step].overlaps;
            match q {
                "c" => ov.c,
                "m" => ov.m,
                "omega" => ov.omega,
                _ => ov.b,
            }
        };
        let pred = |th: &Theory| {
            overlap_prediction(th, t).and_then(|(p, _)| match q {
                "c" => p.c,
                "m" => p.m,
                "omega" => p.omega,
                _ => p.b,
            })
        };
        let (pa, pb) = (pred(self.a.2)?, pred(self.b.2)?);
        let source = overlap_prediction(self.a.2, t).map_or(Source::FiniteN, |(_, s)| s);
        let measured = paired(self.a.1, self.b.1, pick);
        let allowance = sum_allowance(
            overlap_allowance(self.a.0, pa),
            overlap_allowance(self.b.0, pb),
        );
        let prediction = if predicted_zero { 0.0 } else { pa - pb };
        Some(check(
            format!("Δ{q}@t={t:.3}"),
            "invariance",
            measured,
            prediction,
            source,
            allowance,
            neg,
        ))
    }
}

fn overlap_family(
    exp: &Experiment,
    outs: &[TrainOutput],
    fam: Family,
) -> Result<Vec<CheckInput>, Error> {
    let mut e = exp.clone();
    e.families = vec![fam];
    crate::harness::families::check_inputs(&e, &Aggregate::new(outs, LEVEL))
}

/// C2 (phase 1, vary σ² from 1 to 0.5) or C3 (phase 2, vary p from 0.8 to 0.6).
pub(crate) fn invariance_claim(ctx: &Context, phase1: bool) -> Result<Outcome, Error> {
    let (d, n, k) = ctx.pick((1000, 256, 20), (5000, 512, 80));
    let r = ctx.replicas(8, 16);
    let train_a = base().with_sizes(d, n, k);
    let mut train_b = train_a.clone();
    if phase1 {
        train_b.problem.sigma2 = 0.5;
    } else {
        train_b.problem.p = 0.6;
    }
    let exp_a = experiment(ctx, "reference", train_a, r);
    let exp_b = experiment(ctx, if phase1 { "σ² = 0.5" } else { "p = 0.6" }, train_b, r);
    let (oa, ob) = (replicate(ctx, &exp_a)?, replicate(ctx, &exp_b)?);
    let (pa, pb) = (&exp_a.train.problem, &exp_b.train.problem);
    let tha = theory_for(&exp_a, pa.p, pa.sigma2, 1.0)?;
    let thb = theory_for(&exp_b, pb.p, pb.sigma2, 1.0)?;
    let mut out = Outcome::default();
    let fam = if phase1 {
        Family::Phase1Overlaps
    } else {
        Family::Phase2Overlaps
    };
    out.checks.extend(overlap_family(&exp_a, &oa, fam)?);
    let inv = Invariance {
        a: (&exp_a, &oa, &tha),
        b: (&exp_b, &ob, &thb),
    };
    let steps: Vec<(usize, f64)> = oa[0].steps.iter().map(|s| s.t).enumerate().collect();
    let ts: Vec<f64> = steps.iter().map(|s| s.1).collect();
    tha.reduced_at(&ts); // every time in parallel; cached for the checks below
    thb.reduced_at(&ts);
    let ph = tha.phases().ok_or(Error::NoPrediction {
        what: "the phases of the schedule (a phase-aware warp)",
        d,
    })?;
    let in_phase = |t: f64| {
        if phase1 {
            ph.in_phase1(t)
        } else {
            ph.in_phase2(t)
        }
    };
    let qs: &[&str] = if phase1 { &["omega", "m"] } else { &["c", "m"] };
    for &(i, t) in steps.iter().filter(|(_, t)| in_phase(*t)) {
        for q in qs {
            out.checks.extend(inv.check(q, t, i, false, None));
        }
    }
    // Control: the other phase's quantity held to "does not move" must fail.
    let mid = if phase1 {
        ph.phase2_at(0.5)
    } else {
        ph.phase1_at(0.5)
    };
    let &(ci, ct) = steps
        .iter()
        .min_by(|a, b| (a.1 - mid).abs().total_cmp(&(b.1 - mid).abs()))
        .expect("steps");
    let (cq, what) = if phase1 {
        ("c", "phase-2 c claimed not to move with σ²")
    } else {
        ("b", "phase-1 b claimed not to move with p")
    };
    out.checks
        .extend(inv.check(cq, ct, ci, true, Some(what.into())));
    out.notes.push(format!(
        "{}: d = {d}, n = {n}, K = {k}, R = {r} paired replicas ({} vs {})",
        if phase1 {
            "phase 1 ignores σ²"
        } else {
            "phase 2 ignores p"
        },
        exp_a.name,
        exp_b.name
    ));
    let rep = crate::harness::evaluate(&exp_a, &oa)?;
    out.figures
        .push(("overlaps".into(), crate::harness::figures::overlaps(&rep)?));
    Ok(out)
}
