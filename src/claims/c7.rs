//! C7 — which finite-n form the networks follow (SPEC §5.3): fresh-noise and fixed-noise
//! training at n = 16 each follow their own closed form and fail the other's.

use super::common::{LEVEL, base, check, experiment, replicate};
use super::{ClaimDef, Context, Outcome};
use crate::error::Error;
use crate::harness::Aggregate;
use crate::harness::check::Source;
use crate::harness::families::{overlap_allowance, theory_for};
use crate::problem::{Noise, ProblemSpec};
use crate::schedule::ScheduleSpec;
use crate::train::EngineConfig;

/// The registered claim.
pub(crate) const C7: ClaimDef = ClaimDef {
    id: "C7",
    title: "finite n: trained networks follow the finite-n form of their noise convention",
    run,
};

fn run(ctx: &Context) -> Result<Outcome, Error> {
    // SPEC §5.3's configuration (p = 0.7, σ² = 0.6, κ = 2.5, λ_u = 1) at n = 16, where the
    // fresh and fixed forms differ by ~4 % mid phase 2, and a d large enough that the
    // |pred|/√d allowance is well below that difference.
    let (d, k) = ctx.pick((64_000, 20), (256_000, 40));
    let r = ctx.replicas(8, 16);
    let mut out = Outcome::default();
    for noise in [Noise::Fresh, Noise::Fixed] {
        let mut train = base().with_sizes(d, 16, k);
        train.problem = ProblemSpec {
            schedule: ScheduleSpec::dilated(2.5),
            p: 0.7,
            sigma2: 0.6,
            lambda_u: 1.0,
            ..train.problem
        };
        train.engine = EngineConfig::averaged(noise);
        let exp = experiment(ctx, &format!("C7 {noise:?}"), train, r);
        let outs = replicate(ctx, &exp)?;
        let agg = Aggregate::new(&outs, LEVEL);
        let other = match noise {
            Noise::Fresh => Noise::Fixed,
            Noise::Fixed => Noise::Fresh,
        };
        let mut exp_other = exp.clone();
        exp_other.train.engine = EngineConfig::averaged(other);
        let th = theory_for(&exp, 0.7, 0.6, 1.0)?;
        let th_other = theory_for(&exp_other, 0.7, 0.6, 1.0)?;
        let (mut own_err, mut other_err): (f64, f64) = (0.0, 0.0);
        let ph = th.phases().ok_or(Error::NoPrediction {
            what: "the phases of the schedule (a phase-aware warp)",
            d,
        })?;
        for s in agg.steps.iter().filter(|s| s.t > ph.split) {
            let (Some(a), Some(b)) = (
                th.finite_n_at_d(s.t).and_then(|p| p.c),
                th_other.finite_n_at_d(s.t).and_then(|p| p.c),
            ) else {
                continue;
            };
            own_err = own_err.max((s.c.point - a).abs());
            other_err = other_err.max((s.c.point - b).abs());
            let name = format!("{noise:?}.c@t={:.3}", s.t).to_lowercase();
            out.checks.push(check(
                name.clone(),
                "finite_n_form",
                s.c,
                a,
                Source::FiniteN,
                overlap_allowance(&exp, a),
                None,
            ));
            // The other convention's form is the control; it only discriminates where the
            // two forms differ by more than the allowance (mid phase 2).
            if (a - b).abs() > 2.0 * overlap_allowance(&exp, a).delta {
                out.checks.push(check(
                    format!("{name}[{other:?} form]").to_lowercase(),
                    "finite_n_form",
                    s.c,
                    b,
                    Source::FiniteN,
                    overlap_allowance(&exp, b),
                    Some(format!("the {other:?}-noise form", other = other).to_lowercase()),
                ));
            }
        }
        out.notes.push(format!(
            "{noise:?}-noise training (d = {d}, n = 16): max |c − own form| = {own_err:.2e}, max |c − {other:?} form| = {other_err:.2e}"
        ).to_lowercase());
    }
    Ok(out)
}
