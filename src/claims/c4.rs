//! C4 — Θ_d(1) samples suffice (SPEC §5.6): over the ladder of d (a factor 64) at two n the
//! log-log slopes of the errors of p̂, var⊥, ω and c are ≤ 0.1 ("flat"), and along a ladder
//! of n at the reference d they fall (slope ≤ 0); the learned c(t = 1.5) and ω(t = ½)
//! extrapolate in 1/n to the n → ∞ (Bayes, §5.1) values at that d (finite-size scaling in n).
//!
//! Primary tests: the flat-in-d slopes of the p̂ and var⊥ errors at both n, and the two
//! scaling intercepts in n. Diagnostics: the other slopes. Controls: the linear schedule's
//! |p̂ − p| held flat in d; errors claimed to grow with n; the intercepts against σ² × 1.5 and
//! κ × 1.25.

use super::common::{
    LEVEL, Trained, base, check, control, dilated_ladder, experiment, linear_ladder, sizes, trained,
};
use super::scaling::{self, Delta};
use super::{ClaimDef, Context, Outcome};
use crate::error::Error;
use crate::harness::check::{Allowance, CheckInput, Measured, Side, Source};
use crate::harness::families::{
    CONTROL_KAPPA_SCALE, CONTROL_SIGMA2_SCALE, Overlap, control as control_of, overlap,
};
use crate::harness::fss::Along;
use crate::harness::sweep::{Fit, Sweep, cell_of, report_of};
use crate::plot::Figure;
use crate::schedule::ScheduleSpec;
use crate::theory::Theory;

/// Largest growth exponent of an error in d that still counts as "does not grow": over the
/// factor-64 sweep the error may grow by at most 64^0.1 ≈ 1.5× (the claim's definition).
pub(crate) const FLAT_SLOPE: f64 = 0.1;

/// The ladder of n at the reference d (a factor 16 on both tiers). It starts at n = 32: at
/// n = 16 a training set with one sign only (probability 2·0.8¹⁶ ≈ 2.8 % per replica, so in
/// 60 % of the 32-replica cells) has no finite minimiser at some grid times (b → ∞ in the
/// saturated direction, measured at t = 0.1 and t = 1.9), which the averaged engine cannot
/// certify and reports unconverged, failing the claim (issue 22; 0.08 % per replica at 32).
pub(crate) fn n_ladder(ctx: &Context) -> Vec<usize> {
    ctx.pick(vec![32, 64, 128, 256, 512], vec![32, 64, 128, 256, 512])
}

/// The small n of the row over the ladder of d.
fn n_small(ctx: &Context) -> usize {
    ctx.pick(64, 128)
}

/// A check on a fitted slope (SE propagated from the cells, Welch–Satterthwaite df).
fn slope_check(
    name: String,
    f: &Fit,
    (side, pred, allowance): (Side, f64, Allowance),
    negative: Option<String>,
) -> CheckInput {
    check(
        name,
        "slopes",
        Measured::pooled(f.slope, f.se, f.df),
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
    let sz = sizes(ctx);
    let dil = dilated_ladder(ctx)?;
    let lin = linear_ladder(ctx)?;
    let d_ref = sz.ds[sz.reference];
    let n_small = n_small(ctx);
    let mut cells: Vec<Trained> = Vec::new();
    // The small-n row over the ladder of d, and the ladder of n at the reference d (the
    // slopes' allowances are definitions, the intercepts' fitted).
    let sized = |d: usize, n: usize| {
        let name = format!("C4 d={d} n={n}");
        trained(
            ctx,
            experiment(ctx, &name, base().with_sizes(d, n, sz.k), sz.r),
        )
    };
    for &d in &sz.ds {
        cells.push(sized(d, n_small)?);
    }
    for &n in &n_ladder(ctx) {
        if n != n_small && n != sz.n {
            cells.push(sized(d_ref, n)?);
        }
    }
    let all: Vec<&Trained> = dil.iter().chain(cells.iter()).collect();
    let sweep_of = |ts: &[&Trained], ds: Vec<usize>, ns: Vec<usize>| -> Result<_, Error> {
        let cs: Result<Vec<_>, Error> = ts
            .iter()
            .map(|t| cell_of(&t.exp.train, &t.outs, LEVEL))
            .collect();
        Ok(report_of(
            Sweep {
                base: ts[0].exp.clone(),
                d: ds,
                n: ns,
            },
            cs?,
        ))
    };
    let mut ns = n_ladder(ctx);
    ns.sort_unstable();
    let dil_rep = sweep_of(&all, sz.ds.clone(), ns.clone())?;
    let lin_cells: Vec<&Trained> = lin.iter().collect();
    let lin_rep = sweep_of(&lin_cells, sz.ds.clone(), vec![sz.n])?;

    let mut out = Outcome::default();
    let flat = Allowance::definition(
        FLAT_SLOPE,
        format!(
            "the claim's definition: over the factor-64 ladder an error may grow by ≤ 64^{FLAT_SLOPE}"
        ),
    );
    for f in &dil_rep.fits {
        let c = if f.along == "d" {
            slope_check(
                format!("{}_vs_d@n={}", f.metric, f.fixed),
                f,
                (Side::AtMost, 0.0, flat.clone()),
                None,
            )
        } else {
            slope_check(
                format!("{}_vs_n@d={}", f.metric, f.fixed),
                f,
                (
                    Side::AtMost,
                    0.0,
                    Allowance::definition(
                        0.0,
                        "the claim's definition: errors fall with n (slope ≤ 0)",
                    ),
                ),
                None,
            )
        };
        let primary = f.along == "d" && (f.metric == "p_hat" || f.metric == "var_perp");
        out.checks.push(if primary { c.primary() } else { c });
    }
    // Control: the linear schedule's p̂ error held to the same "flat in d" bound.
    if let Some(f) = lin_rep
        .fits
        .iter()
        .find(|f| f.metric == "p_hat_vs_p" && f.along == "d")
    {
        out.checks.push(
            slope_check(
                format!("linear_p_hat_vs_p_vs_d@n={}", f.fixed),
                f,
                (Side::AtMost, 0.0, flat.clone()),
                control("the linear schedule's |p̂ − p| claimed flat in d"),
            )
            .primary(),
        );
        out.notes.push(format!(
            "linear schedule: |p̂ − p| ∝ d^{:.2} ± {:.2}; dilated: see p_hat_vs_p_vs_d slopes",
            f.slope, f.se
        ));
    }
    // Control: "errors grow with n" (slope ≥ +0.25) must fail, on the most precise var⊥ fit
    // along n.
    if let Some(f) = dil_rep
        .fits
        .iter()
        .filter(|f| f.metric == "var_perp" && f.along == "n")
        .min_by(|a, b| a.se.total_cmp(&b.se))
    {
        out.checks.push(slope_check(
            format!("var_perp_grows_with_n@d={}", f.fixed),
            f,
            (
                Side::AtLeast,
                0.25,
                Allowance::definition(0.0, "control: growth with n means a slope ≥ 0.25"),
            ),
            control("errors claimed to grow with n (slope ≥ 0.25)"),
        ));
    }

    // Finite-size scaling in n at the reference d: c(t = 1.5) and ω(t = ½) → Bayes (§5.1).
    let mut n_cells: Vec<&Trained> = all.iter().copied().filter(|t| t.d() == d_ref).collect();
    n_cells.sort_by_key(|t| t.n());
    n_cells.dedup_by_key(|t| t.n());
    let th0 = &n_cells[0].theory;
    let mut fits = Vec::new();
    let c = &n_cells[0].exp.train.problem;
    for (q, phase1) in [(Overlap::C, false), (Overlap::Omega, true)] {
        let Some(i) = th0.mid_phase(phase1, 0.5) else {
            continue;
        };
        let st = &th0.steps[i];
        let Some(limit) = q.predicted(&st.bayes) else {
            continue;
        };
        let name = format!("{}@t={:.2},d={d_ref}", q.name(), st.t);
        let Some((chk, fit)) = scaling::check(
            &name,
            "fss_n",
            Along::N,
            &n_cells,
            |t| overlap(&t.theory, i, q),
            limit,
            Delta::Fitted,
        ) else {
            continue;
        };
        let wrong_th = match q {
            Overlap::C => Theory::new(
                &c.path,
                &c.schedule,
                c.p,
                c.sigma2 * CONTROL_SIGMA2_SCALE,
                c.d,
            )?,
            _ => Theory::new(
                &c.path,
                &ScheduleSpec::dilated(c.schedule.kappa().unwrap_or(2.0) * CONTROL_KAPPA_SCALE),
                c.p,
                c.sigma2,
                c.d,
            )?,
        };
        let wrong = q.predicted(&wrong_th.bayes(st.t)).unwrap_or(f64::NAN);
        let what = match q {
            Overlap::C => format!("σ² scaled by {CONTROL_SIGMA2_SCALE}"),
            _ => format!("κ scaled by {CONTROL_KAPPA_SCALE}"),
        };
        out.checks.extend(control_of(&chk, wrong, &what));
        out.checks.push(chk.primary());
        fits.push(fit);
    }

    out.figures.extend(crate::harness::figures::sweep(&dil_rep));
    if !fits.is_empty() {
        let mut f = Figure::new(format!(
            "C4: finite-size scaling in n at d = {d_ref} (limit: Bayes, §5.1)"
        ))
        .with_cols(2);
        for fit in &fits {
            f = f.with_panel(fit.panel(&fit.statistic));
        }
        out.figures.push(("fss_n".into(), f));
    }
    out.fits = fits;
    Ok(out)
}
