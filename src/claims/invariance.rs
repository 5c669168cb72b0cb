//! The invariance claims C2 and C3 (SPEC §5.1–§5.3): the overlaps of one phase follow the
//! finite-n theory on the whole ladder of d and extrapolate to its d → ∞ values, and paired
//! replicas at another value of the other phase's parameter show they do not move with it.
//!
//! Primary tests (C2, phase 1): ω's mean relative residual over phase 1 pooled over the
//! ladder (what a κ perturbation moves), p̂_w pooled over the ladder and the σ² = 0.5 cell
//! (what a p perturbation moves: 5 cells × R × n training signs), the scaling intercepts of
//! ω(t = ½) and p̂_w, and the pooled paired Δω. (C3, phase 2): c's mean residual over phase 2
//! and σ̂²_w pooled over the ladder (what σ² moves), the scaling intercept of c(t = 1.5), and
//! the pooled paired Δc. Diagnostics: every grid time at the reference d. Controls: the
//! theory with κ × 1.03 (C2) or σ² × 1.02 (C3), p + 0.02 for p̂_w, and the other phase's
//! quantity claimed invariant.

use super::c1::D_LIMIT;
use super::common::{
    LEVEL, Trained, dilated_ladder, paired_check, reference_variant, sizes, theory,
};
use super::scaling::{self, Delta};
use super::{Context, Outcome};
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::harness::Aggregate;
use crate::harness::check::{CheckInput, Source};
use crate::harness::families::{
    CONTROL_KAPPA_SCALE, CONTROL_SIGMA2_SCALE, Overlap, c_abs, cell_check, control as control_of,
    omega_rel, overlap, p_hat_w, pooled_check, sigma2_w, theory_for, wrong_p,
};
use crate::harness::fss::Along;
use crate::plot::Figure;
use crate::stats::Estimate;
use crate::theory::FiniteN;
use crate::theory::bayes::sigma2_from_c;

fn step_value(o: &TrainOutput, i: usize, q: Overlap) -> Option<f64> {
    o.steps.get(i).map(|s| q.of(s))
}

/// C2 (phase 1, vary σ² from 1 to 0.5) or C3 (phase 2, vary p from 0.8 to 0.6).
pub(crate) fn invariance_claim(ctx: &Context, phase1: bool) -> Result<Outcome, Error> {
    let sz = sizes(ctx);
    let lad = dilated_ladder(ctx)?;
    let a = &lad[sz.reference];
    let b = if phase1 {
        reference_variant(ctx, "σ² = 0.5", |t| t.problem.sigma2 = 0.5)?
    } else {
        reference_variant(ctx, "p = 0.6", |t| t.problem.p = 0.6)?
    };
    let (p, s2) = (a.exp.train.problem.p, a.exp.train.problem.sigma2);
    let d_ref = a.d();
    let mut out = Outcome::default();
    let th = &a.theory;
    let paired_check =
        |name: String,
         _family: &str,
         ab: (&Trained, &Trained),
         f: &dyn Fn(&TrainOutput) -> Option<f64>,
         pred: f64| { paired_check(name, "invariance", ab, f, (pred, Source::FiniteN)) };

    // Diagnostics: every grid time of the phase at the reference d, one control.
    let (family, qs) = if phase1 {
        (
            "phase1_overlaps",
            &[Overlap::Omega, Overlap::B, Overlap::M][..],
        )
    } else {
        ("phase2_overlaps", &[Overlap::C, Overlap::M][..])
    };
    let steps: Vec<(usize, f64)> = if phase1 {
        th.phase1().map(|(i, s)| (i, s.t)).collect()
    } else {
        th.phase2().map(|(i, s)| (i, s.t)).collect()
    };
    // Controls and the primary scaling fit sit mid-phase (Phases::phase1_at / phase2_at).
    let mid_i = th.mid_phase(phase1, 0.5);
    let wrong_ref = if phase1 {
        theory_for(&a.exp, p, s2, CONTROL_KAPPA_SCALE)?
    } else {
        theory_for(&a.exp, p, s2 * CONTROL_SIGMA2_SCALE, 1.0)?
    };
    for &(i, t) in &steps {
        for &q in qs {
            let Some(s) = overlap(th, i, q) else { continue };
            let name = format!("{family}.{}@t={t:.3},d={d_ref}", q.name());
            let Some(real) = cell_check(&name, family, a.cell(), &s) else {
                continue;
            };
            if Some(i) == mid_i && (q == Overlap::Omega || q == Overlap::C) {
                let wrong = wrong_ref
                    .finite_n_at_d(t)
                    .and_then(|w| q.predicted(&w))
                    .unwrap_or(f64::NAN);
                let what = if phase1 {
                    format!("κ scaled by {CONTROL_KAPPA_SCALE}")
                } else {
                    format!("σ² scaled by {CONTROL_SIGMA2_SCALE}")
                };
                out.checks.extend(control_of(&real, wrong, &what));
            }
            out.checks.push(real);
        }
    }

    // Primary: pooled over the ladder.
    let pooled_family = family;
    if phase1 {
        let st: Option<Vec<_>> = lad.iter().map(|t| omega_rel(&t.theory)).collect();
        if let Some(st) = st {
            let pairs: Vec<_> = lad.iter().map(Trained::cell).zip(st.iter()).collect();
            if let Some(real) = pooled_check("omega_rel.pooled", pooled_family, &pairs) {
                out.checks.extend(control_of(
                    &real,
                    CONTROL_KAPPA_SCALE - 1.0,
                    &format!("κ scaled by {CONTROL_KAPPA_SCALE} (ω ∝ κ, §5.2)"),
                ));
                out.checks.push(real.primary());
            }
        }
        let cells: Vec<&Trained> = lad.iter().chain(std::iter::once(&b)).collect();
        let st: Option<Vec<_>> = cells.iter().map(|t| p_hat_w(&t.theory)).collect();
        if let Some(st) = st {
            let pairs: Vec<_> = cells.iter().map(|t| t.cell()).zip(st.iter()).collect();
            if let Some(real) = pooled_check("p_hat_w.pooled", "weight_estimates", &pairs) {
                out.checks.extend(control_of(
                    &real,
                    wrong_p(p) - p,
                    &format!(
                        "p = {} instead of {p} (p̂_w shifted by the same amount)",
                        wrong_p(p)
                    ),
                ));
                out.checks.push(real.primary());
            }
        }
    } else {
        let st: Option<Vec<_>> = lad.iter().map(|t| c_abs(&t.theory)).collect();
        if let Some(st) = st {
            let pairs: Vec<_> = lad.iter().map(Trained::cell).zip(st.iter()).collect();
            if let Some(real) = pooled_check("c_mean.pooled", pooled_family, &pairs) {
                let off = lad
                    .iter()
                    .map(|t| wrong_c_offset(t, s2 * CONTROL_SIGMA2_SCALE))
                    .sum::<f64>()
                    / lad.len() as f64;
                out.checks.extend(control_of(
                    &real,
                    off,
                    &format!("σ² scaled by {CONTROL_SIGMA2_SCALE} (closed form at each d)"),
                ));
                out.checks.push(real.primary());
            }
        }
        let st: Option<Vec<_>> = lad.iter().map(|t| sigma2_w(&t.theory)).collect();
        if let Some(st) = st {
            let pairs: Vec<_> = lad.iter().map(Trained::cell).zip(st.iter()).collect();
            if let Some(real) = pooled_check("sigma2_w.pooled", "weight_estimates", &pairs) {
                let off = lad
                    .iter()
                    .zip(&st)
                    .map(|(t, s)| wrong_sigma2_w(t, s2 * CONTROL_SIGMA2_SCALE) - s.prediction)
                    .sum::<f64>()
                    / lad.len() as f64;
                out.checks.extend(control_of(
                    &real,
                    off,
                    &format!("σ² scaled by {CONTROL_SIGMA2_SCALE}"),
                ));
                out.checks.push(real.primary());
            }
        }
    }

    // Primary: finite-size scaling over the ladder against d → ∞ (fixed n).
    let mut lim_exp = a.exp.clone();
    lim_exp.train.problem.d = D_LIMIT;
    let lim = theory(ctx, &lim_exp)?;
    let cells: Vec<&Trained> = lad.iter().collect();
    let mut fits = Vec::new();
    let q = if phase1 { Overlap::Omega } else { Overlap::C };
    let Some(i_mid) = mid_i else {
        return Ok(out);
    };
    let t_i = th.steps[i_mid].t;
    // The d → ∞ value of the prediction the overlaps are checked against (the reduced
    // theory at d = D_LIMIT, which equals §5.3's limit), else §5.3's.
    let lim_pred = |q: Overlap| {
        let st = &lim.steps[i_mid];
        st.overlap
            .and_then(|(pr, _)| q.predicted(&pr))
            .or_else(|| lim.finite_n(i_mid).and_then(|pr| q.predicted(&pr)))
    };
    if let Some(limit) = lim_pred(q) {
        let name = format!("{}@t={t_i:.2}", q.name());
        if let Some((chk, fit)) = scaling::check(
            &name,
            "fss",
            Along::D,
            &cells,
            |t| overlap(&t.theory, i_mid, q),
            limit,
            Delta::Residual,
        ) {
            let wrong = if phase1 {
                theory_for(&lim_exp, p, s2, CONTROL_KAPPA_SCALE)?
                    .finite_n_at_d(t_i)
                    .and_then(|w| w.omega)
            } else {
                theory_for(&lim_exp, p, s2 * CONTROL_SIGMA2_SCALE, 1.0)?
                    .finite_n_at_d(t_i)
                    .and_then(|w| w.c)
            };
            let what = if phase1 {
                format!("κ scaled by {CONTROL_KAPPA_SCALE}")
            } else {
                format!("σ² scaled by {CONTROL_SIGMA2_SCALE}")
            };
            // the residual intercept against the wrong theory's limit, offset from this one's
            out.checks.extend(control_of(
                &chk,
                wrong.map_or(f64::NAN, |w| w - limit),
                &what,
            ));
            out.checks.push(chk.primary());
            fits.push(fit);
        }
    }
    if phase1 {
        if let Some(limit) = p_hat_w(&lim).map(|s| s.prediction) {
            if let Some((chk, fit)) = scaling::check(
                "p_hat_w",
                "fss",
                Along::D,
                &cells,
                |t| p_hat_w(&t.theory),
                limit,
                Delta::Fitted,
            ) {
                out.checks.push(chk.primary());
                fits.push(fit);
            }
        }
    } else if let Some(limit) = lim_pred(Overlap::M) {
        // Phase-2 m: a diagnostic. Its finite-size correction is not a polynomial in 1/√d on
        // the ladder (see Delta::Residual), so only the residual against the reduced theory
        // is extrapolated; δ = 0.
        if let Some((chk, fit)) = scaling::check(
            &format!("m@t={t_i:.2}"),
            "fss",
            Along::D,
            &cells,
            |t| overlap(&t.theory, i_mid, Overlap::M),
            limit,
            Delta::Residual,
        ) {
            out.checks.push(chk);
            fits.push(fit);
        }
    }

    // Invariance: paired replicas at the reference d (same seeds, same data streams).
    let inv_qs: &[Overlap] = if phase1 {
        &[Overlap::Omega, Overlap::M]
    } else {
        &[Overlap::C, Overlap::M]
    };
    let tb = &b.theory;
    let mut rel: Vec<(usize, f64, f64)> = Vec::new();
    for &(i, t) in &steps {
        for &q in inv_qs {
            let (Some(pa), Some(pb)) = (
                th.steps[i].overlap.and_then(|(x, _)| q.predicted(&x)),
                tb.steps[i].overlap.and_then(|(x, _)| q.predicted(&x)),
            ) else {
                continue;
            };
            if q == inv_qs[0] {
                rel.push((i, pa, pb));
            }
            out.checks.extend(paired_check(
                format!("Δ{}@t={t:.3}", q.name()),
                "invariance",
                (a, &b),
                &|o| step_value(o, i, q),
                pa - pb,
            ));
        }
    }
    // Primary: the mean over the phase of the paired difference's residual, relative to
    // the prediction at the reference.
    if !rel.is_empty() {
        let k = rel.len() as f64;
        let f = |o: &TrainOutput, other: bool| -> Option<f64> {
            rel.iter()
                .map(|&(i, pa, pb)| {
                    let v = step_value(o, i, inv_qs[0])?;
                    Some(if other { v - pb } else { v - pa } / pa.abs().max(1e-12))
                })
                .sum::<Option<f64>>()
                .map(|v| v / k)
        };
        let name = format!("Δ{}_rel.pooled", inv_qs[0].name());
        // Paired differences of residuals: (v_a − π_a) − (v_b − π_b) per replica.
        let diff = |oa: &[TrainOutput], ob: &[TrainOutput]| {
            let v: Option<Vec<f64>> = oa
                .iter()
                .zip(ob)
                .map(|(x, y)| Some(f(x, false)? - f(y, true)?))
                .collect();
            v.filter(|v| v.len() >= 2)
                .map(|v| Estimate::from_samples(&v, LEVEL))
        };
        if let Some(meas) = diff(&a.outs, &b.outs) {
            let allowance = crate::harness::families::exact_allowance(Source::FiniteN);
            out.checks.push(
                CheckInput::new(name, "invariance", meas, 0.0, Source::FiniteN, allowance)
                    .primary(),
            );
        }
    }
    // Control: the other phase's quantity held to "does not move" must fail.
    if let Some(ci) = th.mid_phase(!phase1, 0.5) {
        let (cq, what) = if phase1 {
            (Overlap::C, "phase-2 c claimed not to move with σ²")
        } else {
            (Overlap::B, "phase-1 b claimed not to move with p")
        };
        let ct = th.steps[ci].t;
        // δ = 0 (the difference is claimed exact); the control claims the overlap that does
        // move with the other parameter does not.
        let predicted = th
            .finite_n(ci)
            .and_then(|x| cq.predicted(&x))
            .zip(tb.finite_n(ci).and_then(|x| cq.predicted(&x)))
            .map(|(pa, pb)| pa - pb);
        if let Some(real) = predicted.and_then(|pred| {
            paired_check(
                format!("Δ{}@t={ct:.3}", cq.name()),
                "invariance",
                (a, &b),
                &|o| step_value(o, ci, cq),
                pred,
            )
        }) {
            out.checks.extend(control_of(&real, 0.0, what));
        }
    }
    out.notes.push(format!(
        "{}: ladder d = {:?}, n = {}, K = {}, R = {}; paired {} vs {} at d = {d_ref}",
        if phase1 {
            "phase 1 ignores σ²"
        } else {
            "phase 2 ignores p"
        },
        sz.ds,
        sz.n,
        sz.k,
        sz.r,
        a.exp.name,
        b.exp.name
    ));
    if phase1 {
        let agg = Aggregate::new(&a.outs, LEVEL);
        out.figures.push((
            "overlaps".into(),
            crate::harness::figures::overlaps_of(&a.exp, &agg)?,
        ));
    }
    if !fits.is_empty() {
        let mut f = Figure::new(format!(
            "{}: finite-size scaling over d (n = {})",
            if phase1 { "C2" } else { "C3" },
            sz.n
        ))
        .with_cols(2);
        for fit in &fits {
            f = f.with_panel(fit.panel(&fit.statistic));
        }
        out.figures.push(("fss".into(), f));
    }
    out.fits = fits;
    Ok(out)
}

/// The mean over phase 2 of (c at σ² − c predicted) for a control's wrong σ².
fn wrong_c_offset(t: &Trained, sigma2: f64) -> f64 {
    let fin = finite_n_of(t);
    let v: Vec<f64> = t
        .theory
        .phase2()
        .filter_map(|(i, s)| {
            Some(fin.phase2_ab(sigma2, s.alpha, s.beta).c? - t.theory.finite_n(i)?.c?)
        })
        .collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// σ̂²_w predicted at a control's wrong σ².
fn wrong_sigma2_w(t: &Trained, sigma2: f64) -> f64 {
    let fin = finite_n_of(t);
    let Some(ph) = t.theory.theory.phases() else {
        return f64::NAN;
    };
    let v: Vec<f64> = t
        .theory
        .steps
        .iter()
        .filter(|s| crate::harness::in_weight_window(&ph, s.t, false))
        .filter_map(|s| sigma2_from_c(fin.phase2_ab(sigma2, s.alpha, s.beta).c?, s.alpha, s.beta))
        .collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn finite_n_of(t: &Trained) -> FiniteN {
    let c = &t.exp.train.problem;
    FiniteN {
        n: c.n,
        lambda_u: c.lambda_u,
        lambda_w: c.lambda_w,
        noise: t.exp.train.engine.noise(),
    }
}
