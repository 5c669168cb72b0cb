//! C7 — which finite-n form the networks follow (SPEC §5.3): fresh-noise and fixed-noise
//! training at n = 16 each follow their own closed form and fail the other's.
//!
//! Primary: per noise convention, the mean over phase 2 of c − c_own form; its control is the
//! same mean against the other convention's form. Diagnostics: every phase-2 grid time.
//! The checks are declarations (`experiments/claims.toml`, table `c7`) evaluated by the
//! declared-check layer ([`crate::harness::declared`]), as an experiment file's own are.

use super::common::{base, experiment, trained};
use super::{ClaimDef, Context, Outcome};
use crate::error::Error;
use crate::harness::check::CheckInput;
use crate::harness::declared::{self, ControlTheories};
use crate::problem::{Noise, ProblemSpec};
use crate::schedule::ScheduleSpec;
use crate::theory::FiniteN;
use crate::train::EngineConfig;

/// The registered claim.
pub(crate) const C7: ClaimDef = ClaimDef {
    id: "C7",
    title: "finite n: trained networks follow the finite-n form of their noise convention",
    run,
};

fn run(ctx: &Context) -> Result<Outcome, Error> {
    // SPEC §5.3's configuration (p = 0.7, σ² = 0.6, κ = 2.5, λ_u = 1) at n = 16, where the
    // fresh and fixed forms differ by ~4 % mid phase 2, at a d where O(1/√d) terms are small.
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
        let tag = crate::choice::name_of(noise);
        let specs = declared::claim_declarations("c7", tag);
        declared::validate(&exp, specs)?;
        let t = trained(ctx, exp)?;
        let checks = declared::inputs_of(t.cell(), specs, None, &mut ControlTheories::default())?;
        let other = match noise {
            Noise::Fresh => Noise::Fixed,
            Noise::Fixed => Noise::Fresh,
        };
        let c = &t.exp.train.problem;
        let other_form = FiniteN {
            n: c.n,
            lambda_u: c.lambda_u,
            lambda_w: c.lambda_w,
            noise: other,
        };
        let other_tag = crate::choice::name_of(other);
        // The largest distance of the per-time c from each form, for the notes.
        let (mut own_err, mut other_err): (f64, f64) = (0.0, 0.0);
        for (_, st) in t.theory.phase2() {
            let Some(b) = other_form.phase2_ab(c.sigma2, st.alpha, st.beta).c else {
                continue;
            };
            let name = format!("{tag}.c@t={:.3}", st.t);
            if let Some(real) = checks.iter().find(|k| k.name == name) {
                own_err = own_err.max((real.measured.point - real.prediction).abs());
                other_err = other_err.max((real.measured.point - b).abs());
            }
        }
        out.checks.extend(controls_first(checks));
        out.notes.push(format!(
            "{tag}-noise training (d = {d}, n = 16): max |c − own form| = {own_err:.2e}, max |c − {other_tag} form| = {other_err:.2e}"
        ));
    }
    Ok(out)
}

/// The checks in the claim's reported order: each control just before the check it controls
/// (the declared layer lists a family's controls after its checks).
fn controls_first(checks: Vec<CheckInput>) -> Vec<CheckInput> {
    let (controls, real): (Vec<CheckInput>, Vec<CheckInput>) = checks
        .into_iter()
        .partition(|c| c.negative_control.is_some());
    let mut left: Vec<Option<CheckInput>> = controls.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for c in real {
        let name = format!("{}[control]", c.name);
        if let Some(k) = left
            .iter_mut()
            .find(|k| k.as_ref().is_some_and(|k| k.name == name))
        {
            out.extend(k.take());
        }
        out.push(c);
    }
    out.extend(left.into_iter().flatten());
    out
}
