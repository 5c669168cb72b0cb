//! The check families (SPEC §6): which measured statistic is compared with which
//! prediction, under which declared allowance δ, and the negative control of each family.
//!
//! Every δ below is fixed here, in code, before any run; its source is carried into the
//! report next to the number. Where a term is not available in closed form the constant is
//! a declared a-priori budget and is named as such.

use super::check::{Allowance, CheckInput, Side, Source};
use super::{Aggregate, Experiment, Family};
use crate::error::Error;
use crate::stats::Estimate;
use crate::theory::bayes::{p_from_bias, sigma2_from_c};
use crate::theory::{FiniteN, Prediction, Theory};

/// A-priori budget for the optimisation error of the experiment's engine, on overlaps and on
/// p̂ ([`crate::train::EngineSpec::optimisation_budget`]: 0.005 for the averaged engine's
/// gradient-norm convergence, 2·lr for Adam at its noise floor).
pub(crate) fn opt_budget(exp: &Experiment) -> f64 {
    exp.train.engine.optimisation_budget()
}
/// A-priori budget for the change of the generated p̂ caused by the finite-n phase-1 field
/// (SPEC §5.3 vs §5.1), which has no closed form in p̂.
pub const P_HAT_FINITE_N_BUDGET: f64 = 0.01;

/// The theory (Bayes, limit, finite-n, Euler) for `exp` with p, σ² and κ·`kappa_scale`.
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

/// Allowance of a generated p̂ against the exact Euler prediction: p(1−p)/n (Jensen term of
/// the binomial training fraction) + [`P_HAT_FINITE_N_BUDGET`] + the optimisation budget.
pub(crate) fn p_hat_allowance(exp: &Experiment) -> Allowance {
    let (p, n, opt) = (
        exp.train.problem.p,
        exp.train.problem.n as f64,
        opt_budget(exp),
    );
    Allowance {
        delta: p * (1.0 - p) / n + P_HAT_FINITE_N_BUDGET + opt,
        source: format!(
            "p(1−p)/n (Jensen term of the binomial training fraction) + {P_HAT_FINITE_N_BUDGET} a-priori finite-n field budget + {opt} optimisation budget"
        ),
    }
}

/// Allowance of a learned overlap against its finite-n, finite-d prediction `pred`:
/// |pred|/√d (the O(1/√d) terms the finite-d kinematics leave out, coefficient 1 declared a
/// priori) + the optimisation budget times max(1, |pred|).
pub(crate) fn overlap_allowance(exp: &Experiment, pred: f64) -> Allowance {
    let opt = opt_budget(exp);
    Allowance {
        delta: pred.abs() / (exp.train.problem.d as f64).sqrt() + opt * pred.abs().max(1.0),
        source: format!(
            "|pred|/√d (O(1/√d) terms the finite-d kinematics leave out, coefficient 1) + {opt}·max(1,|pred|) optimisation budget"
        ),
    }
}

/// The negative controls' wrong σ²: the true one scaled by this.
pub(crate) const CONTROL_SIGMA2_SCALE: f64 = 1.5;

/// A p shifted by 0.1 (up, or down near 1) (the negative control's wrong p).
pub fn wrong_p(p: f64) -> f64 {
    if p + 0.1 < 1.0 { p + 0.1 } else { p - 0.1 }
}

struct Builder<'a> {
    out: Vec<CheckInput>,
    family: &'a str,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        name: String,
        measured: Estimate,
        prediction: Option<f64>,
        source: Source,
        delta: f64,
        delta_source: String,
        negative: Option<&str>,
    ) {
        if let Some(prediction) = prediction.filter(|v| v.is_finite()) {
            self.out.push(CheckInput {
                name,
                family: self.family.to_string(),
                measured,
                prediction,
                source,
                allowance: Allowance {
                    delta,
                    source: delta_source,
                },
                negative_control: negative.map(str::to_string),
                side: Side::TwoSided,
            });
        }
    }
}

fn get(p: &Prediction, q: &str) -> Option<f64> {
    match q {
        "c" => p.c,
        "m" => p.m,
        "omega" => p.omega,
        "b" => p.b,
        _ => None,
    }
}

/// Build the check inputs of every requested family that applies to the experiment.
///
/// # Errors
/// [`Error::Input`] if a theory cannot be built for the configuration.
pub(crate) fn check_inputs(exp: &Experiment, agg: &Aggregate) -> Result<Vec<CheckInput>, Error> {
    let c = &exp.train.problem;
    let (p, s2) = (c.p, c.sigma2);
    let th = theory_for(exp, p, s2, 1.0)?;
    let opt = opt_budget(exp);
    let mut all = Vec::new();
    for fam in &exp.families {
        match fam {
            Family::PHat => {
                let mut b = Builder {
                    out: Vec::new(),
                    family: "p_hat",
                };
                let Allowance { delta, source: src } = p_hat_allowance(exp);
                let pred = th.euler(c.steps).map(|e| e.p_hat);
                b.push(
                    "p_hat".into(),
                    agg.p_hat,
                    pred,
                    Source::GeneratedEuler,
                    delta,
                    src.clone(),
                    None,
                );
                let pw = wrong_p(p);
                let wrong = theory_for(exp, pw, s2, 1.0)?
                    .euler(c.steps)
                    .map(|e| e.p_hat);
                b.push(
                    "p_hat[control]".into(),
                    agg.p_hat,
                    wrong,
                    Source::GeneratedEuler,
                    delta,
                    src,
                    Some(&format!("p = {pw} instead of {p}")),
                );
                all.extend(b.out);
            }
            Family::VarPerp => {
                let Some(vp) = agg.var_perp else { continue };
                let mut b = Builder {
                    out: Vec::new(),
                    family: "var_perp",
                };
                let delta = s2 / c.n as f64 + opt * s2;
                let src = format!(
                    "σ²/n (the maximum-likelihood 1/n bias, SPEC §5.7) + {opt}·σ² optimisation budget"
                );
                let pred = th.euler(c.steps).and_then(|e| e.var_perp);
                b.push(
                    "var_perp".into(),
                    vp,
                    pred,
                    Source::GeneratedEuler,
                    delta,
                    src.clone(),
                    None,
                );
                let wrong = theory_for(exp, p, CONTROL_SIGMA2_SCALE * s2, 1.0)?
                    .euler(c.steps)
                    .and_then(|e| e.var_perp);
                b.push(
                    "var_perp[control]".into(),
                    vp,
                    wrong,
                    Source::GeneratedEuler,
                    delta,
                    src,
                    Some("σ² scaled by 1.5"),
                );
                all.extend(b.out);
            }
            Family::WeightEstimates => {
                let Some(ph) = th.phases() else {
                    continue;
                };
                let mut b = Builder {
                    out: Vec::new(),
                    family: "weight_estimates",
                };
                let ts: Vec<f64> = agg.steps.iter().map(|s| s.t).collect();
                // The same window averages of the predicted quantities (overlap_prediction).
                let source = std::cell::Cell::new(Source::Reduced);
                let predict = |th: &Theory, phase1: bool| -> Option<f64> {
                    let window: Vec<f64> = ts
                        .iter()
                        .copied()
                        .filter(|&t| super::in_weight_window(&ph, t, phase1))
                        .collect();
                    th.reduced_at(&window); // in parallel; cached for the map below
                    let v: Option<Vec<f64>> = window
                        .iter()
                        .map(|&t| {
                            let (pr, src) = overlap_prediction(th, t)?;
                            source.set(src);
                            let s = th.schedule();
                            if phase1 {
                                pr.b.map(p_from_bias)
                            } else {
                                sigma2_from_c(pr.c?, s.alpha(t), s.beta(t))
                            }
                        })
                        .collect();
                    v.filter(|v| !v.is_empty())
                        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
                };
                if let Some(m) = agg.p_hat_w {
                    let a = p_hat_allowance(exp);
                    let pred = predict(&th, true);
                    b.push(
                        "p_hat_w".into(),
                        m,
                        pred,
                        source.get(),
                        a.delta,
                        a.source.clone(),
                        None,
                    );
                    let pw = wrong_p(p);
                    let wrong = predict(&theory_for(exp, pw, s2, 1.0)?, true);
                    let what = format!("p = {pw} instead of {p}");
                    b.push(
                        "p_hat_w[control]".into(),
                        m,
                        wrong,
                        source.get(),
                        a.delta,
                        a.source,
                        Some(&what),
                    );
                }
                if let Some(m) = agg.sigma2_w {
                    let pred = predict(&th, false);
                    let a = overlap_allowance(exp, pred.unwrap_or(0.0));
                    b.push(
                        "sigma2_w".into(),
                        m,
                        pred,
                        source.get(),
                        a.delta,
                        a.source.clone(),
                        None,
                    );
                    let wrong =
                        predict(&theory_for(exp, p, CONTROL_SIGMA2_SCALE * s2, 1.0)?, false);
                    b.push(
                        "sigma2_w[control]".into(),
                        m,
                        wrong,
                        source.get(),
                        a.delta,
                        a.source,
                        Some("σ² scaled by 1.5"),
                    );
                }
                all.extend(b.out);
            }
            Family::Phase1Overlaps | Family::Phase2Overlaps => {
                let Some(ph) = th.phases() else {
                    continue;
                };
                let phase1 = *fam == Family::Phase1Overlaps;
                let family = if phase1 {
                    "phase1_overlaps"
                } else {
                    "phase2_overlaps"
                };
                let quantities: &[&str] = if phase1 {
                    &["omega", "b", "m"]
                } else {
                    &["c", "m"]
                };
                let mut b = Builder {
                    out: Vec::new(),
                    family,
                };
                let in_phase = |t: f64| {
                    if phase1 {
                        ph.in_phase1(t)
                    } else {
                        ph.in_phase2(t)
                    }
                };
                let steps: Vec<_> = agg.steps.iter().filter(|s| in_phase(s.t)).collect();
                // The negative control sits at the step closest to the middle of the phase.
                let mid = if phase1 {
                    ph.phase1_at(0.5)
                } else {
                    ph.phase2_at(0.5)
                };
                let control_t = steps
                    .iter()
                    .map(|s| s.t)
                    .min_by(|a, b| (a - mid).abs().total_cmp(&(b - mid).abs()));
                let wrong_th = if phase1 {
                    theory_for(exp, p, s2, 1.25)?
                } else {
                    theory_for(exp, p, CONTROL_SIGMA2_SCALE * s2, 1.0)?
                };
                let ts: Vec<f64> = steps.iter().map(|s| s.t).collect();
                th.reduced_at(&ts); // all times in parallel; cached for the loop below
                for s in &steps {
                    let Some((fin, source)) = overlap_prediction(&th, s.t) else {
                        continue;
                    };
                    for &q in quantities {
                        let measured = match q {
                            "c" => s.c,
                            "m" => s.m,
                            "omega" => s.omega,
                            _ => s.b,
                        };
                        let pred = get(&fin, q);
                        let Allowance { delta, source: src } =
                            overlap_allowance(exp, pred.unwrap_or(0.0));
                        let name = format!("{family}.{q}@t={:.3}", s.t);
                        b.push(
                            name.clone(),
                            measured,
                            pred,
                            source,
                            delta,
                            src.clone(),
                            None,
                        );
                        if Some(s.t) == control_t && (q == "omega" || q == "c") {
                            let what = if phase1 {
                                "κ scaled by 1.25"
                            } else {
                                "σ² scaled by 1.25"
                            };
                            let wrong =
                                overlap_prediction(&wrong_th, s.t).and_then(|(w, _)| get(&w, q));
                            b.push(
                                format!("{name}[control]"),
                                measured,
                                wrong,
                                source,
                                delta,
                                src,
                                Some(what),
                            );
                        }
                    }
                }
                all.extend(b.out);
            }
        }
    }
    Ok(all)
}
