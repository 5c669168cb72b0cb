//! C7 — which finite-n form the networks follow (SPEC §5.3): fresh-noise and fixed-noise
//! training at n = 16 each follow their own closed form and fail the other's.
//!
//! Primary: per noise convention, the mean over phase 2 of c − c_own form; its control is the
//! same mean against the other convention's form. Diagnostics: every phase-2 grid time.

use super::common::{base, experiment, trained};
use super::{ClaimDef, Context, Outcome};
use crate::error::Error;
use crate::harness::families::{Overlap, c_abs, cell_check, control, overlap, pooled_check};
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
        let t = trained(ctx, experiment(ctx, &format!("C7 {noise:?}"), train, r))?;
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
        let tag = format!("{noise:?}").to_lowercase();
        let other_tag = format!("{other:?}").to_lowercase();
        let family = "finite_n_form";
        let (mut own_err, mut other_err): (f64, f64) = (0.0, 0.0);
        let mut offsets = Vec::new();
        for (i, st) in t.theory.phase2() {
            let Some(s) = overlap(&t.theory, i, Overlap::C) else {
                continue;
            };
            let Some(b) = other_form.phase2_ab(c.sigma2, st.alpha, st.beta).c else {
                continue;
            };
            offsets.push(b - s.prediction);
            let name = format!("{tag}.c@t={:.3}", st.t);
            if let Some(real) = cell_check(&name, family, t.cell(), &s) {
                own_err = own_err.max((real.measured.point - s.prediction).abs());
                other_err = other_err.max((real.measured.point - b).abs());
                out.checks.push(real);
            }
        }
        if let Some(s) = c_abs(&t.theory) {
            if let Some(real) = pooled_check(&format!("{tag}.c_mean"), family, &[(t.cell(), &s)]) {
                let off = offsets.iter().sum::<f64>() / offsets.len().max(1) as f64;
                out.checks
                    .extend(control(&real, off, &format!("the {other_tag}-noise form")));
                out.checks.push(real.primary());
            }
        }
        out.notes.push(format!(
            "{tag}-noise training (d = {d}, n = 16): max |c − own form| = {own_err:.2e}, max |c − {other_tag} form| = {other_err:.2e}"
        ));
    }
    Ok(out)
}
