//! Checks declared as data (issue 23): an experiment file adds a check — a statistic, the
//! theory output it is compared with, an allowance of one of SPEC §6's kinds, a side, a role
//! and a negative control — without Rust.
//!
//! ```toml
//! [[checks]]
//! name = "omega@t=0.35"
//! statistic = { kind = "overlap", overlap = "omega", t = 0.35 }
//! prediction = "reduced"
//! control = { kappa_scale = 1.03 }
//! ```
//!
//! * **statistic** (`kind`): `overlap` (`overlap` ∈ c, m, omega, b, sqrt_q, sqrt_r at a grid
//!   time `t`), `phase_mean` (an overlap's residual averaged over `phase` 1 or 2,
//!   `residual` = `difference` (default) or `relative`), `p_hat`, `var_perp`, `p_hat_w`,
//!   `sigma2_w` (the built-in families' statistics).
//! * **prediction**: `reduced`, `finite_n`, `bayes`, `limit` (overlaps); `euler` (exact Euler
//!   with the Bayes denoiser: p̂, var⊥); `finite_n_euler` (var⊥ with the learned c_k);
//!   `finite_n` (p̂_w); `reduced` (σ̂²_w); or `{ constant = x }` for any statistic.
//! * **allowance**: `{ kind = "exact" }` (the default: δ = 0), or `numerical`, `finite_size`,
//!   `definition` with `delta` ≥ 0 and a `source` sentence, printed in every report.
//!   `fitted` is for intercepts of size fits, which declared checks do not make.
//! * **side**: `two_sided` (default), `at_most`, `at_least`; **role**: `diagnostic` (default)
//!   or `primary`; **family**: defaults to the check's name.
//! * **control** (required: a check whose control cannot fail proves nothing):
//!   `{ p_shift = x }`, `{ sigma2_scale = s }`, `{ kappa_scale = s }` — the same prediction
//!   from the theory at the perturbed parameter — or `{ prediction = "limit" }`, a named wrong
//!   source.
//!
//! Every name, every combination and every prediction's existence are checked by
//! [`check_specs`] before any training (exit 2 naming `checks[i].field`); the checks then
//! join the built-in families' in one Holm evaluation ([`super::check::evaluate`]).

use super::Experiment;
use super::check::{Allowance, AllowanceKind, CheckInput, Role, Side, Source};
use super::families::{Cell, ExpTheory, Overlap, Stat, cell_check, p_hat_w, sigma2_w};
use crate::error::Error;
use crate::problem::ConfigError;
use serde::{Deserialize, Serialize};

/// One declared check (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Unique name, shown in reports.
    pub name: String,
    /// The Holm family it is counted in (default: its name, so its control is its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// What is measured on every replica.
    pub statistic: Statistic,
    /// What theory output the replica mean is compared with.
    pub prediction: Predict,
    /// δ and its reason (default: exact, δ = 0).
    #[serde(default)]
    pub allowance: AllowanceSpec,
    /// Two-sided or a one-sided bound.
    #[serde(default)]
    pub side: Side,
    /// Primary test or diagnostic.
    #[serde(default)]
    pub role: Role,
    /// The deliberate error that must fail.
    pub control: Control,
}

/// A statistic of one trained replica.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Statistic {
    /// One overlap at the grid time `t`.
    Overlap {
        /// Which overlap.
        overlap: Overlap,
        /// A grid time of the experiment's schedule.
        t: f64,
    },
    /// One overlap's residual (measured − predicted, or measured/predicted − 1) averaged over
    /// the grid times of phase 1 or 2; compared with 0.
    PhaseMean {
        /// Which overlap.
        overlap: Overlap,
        /// 1 or 2.
        phase: u8,
        /// How each time's residual is formed.
        #[serde(default)]
        residual: Residual,
    },
    /// Generated p̂.
    PHat,
    /// Generated within-mode orthogonal variance.
    VarPerp,
    /// p̂ read from the phase-1 biases (§5.7).
    PHatW,
    /// σ̂² read from the phase-2 weights (§5.7).
    Sigma2W,
}

/// The residual of a phase mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Residual {
    /// measured − predicted.
    #[default]
    Difference,
    /// measured/predicted − 1.
    Relative,
}

/// A theory output (SPEC §5), or a declared constant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predict {
    /// The reduced theory at this d and n (`theory::reduced`).
    Reduced,
    /// §5.3 at this d (p̂_w: its binomial average).
    FiniteN,
    /// The Bayes denoiser at this d (§5.1).
    Bayes,
    /// The d → ∞ limit (§5.2).
    Limit,
    /// Exact Euler with the Bayes denoiser (§5.4).
    Euler,
    /// Exact Euler with the finite-n c_k (var⊥).
    FiniteNEuler,
    /// A number stated in the file.
    Constant(f64),
}

impl Predict {
    fn name(self) -> String {
        match self {
            Predict::Reduced => "reduced".into(),
            Predict::FiniteN => "finite_n".into(),
            Predict::Bayes => "bayes".into(),
            Predict::Limit => "limit".into(),
            Predict::Euler => "euler".into(),
            Predict::FiniteNEuler => "finite_n_euler".into(),
            Predict::Constant(v) => format!("constant {v}"),
        }
    }

    fn source(self) -> Source {
        match self {
            Predict::Reduced => Source::Reduced,
            Predict::FiniteN => Source::FiniteN,
            Predict::Bayes => Source::Bayes,
            Predict::Limit => Source::Limit,
            Predict::Euler => Source::GeneratedEuler,
            Predict::FiniteNEuler => Source::FiniteNEuler,
            Predict::Constant(_) => Source::Constant,
        }
    }

    /// Whether this output exists for the statistic (module doc's table).
    fn fits(self, s: &Statistic) -> bool {
        use Predict as P;
        match (s, self) {
            (_, P::Constant(_)) => true,
            (Statistic::Overlap { .. } | Statistic::PhaseMean { .. }, p) => {
                matches!(p, P::Reduced | P::FiniteN | P::Bayes | P::Limit)
            }
            (Statistic::PHat, p) => p == P::Euler,
            (Statistic::VarPerp, p) => matches!(p, P::Euler | P::FiniteNEuler),
            (Statistic::PHatW, p) => p == P::FiniteN,
            (Statistic::Sigma2W, p) => p == P::Reduced,
        }
    }
}

/// A declared allowance (module doc).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowanceSpec {
    /// SPEC §6's kind.
    #[serde(default)]
    pub kind: AllowanceKind,
    /// δ ≥ 0 (0 for `exact`).
    #[serde(default)]
    pub delta: f64,
    /// Why δ is what it is (required unless exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A declared negative control (module doc).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Control {
    /// The prediction at p + shift.
    PShift(f64),
    /// The prediction at σ² × scale.
    Sigma2Scale(f64),
    /// The prediction at κ × scale.
    KappaScale(f64),
    /// Another theory output, claimed to be the right one.
    Prediction(Predict),
}

impl Control {
    fn describe(self) -> String {
        match self {
            Control::PShift(x) => format!("p shifted by {x}"),
            Control::Sigma2Scale(s) => format!("σ² scaled by {s}"),
            Control::KappaScale(s) => format!("κ scaled by {s}"),
            Control::Prediction(p) => format!("the {} prediction instead", p.name()),
        }
    }

    /// The experiment whose theory gives the control's prediction (`None`: the nominal one).
    fn perturbed(self, exp: &Experiment) -> Option<Experiment> {
        let mut e = exp.clone();
        let p = &mut e.train.problem;
        match self {
            Control::PShift(x) => p.p += x,
            Control::Sigma2Scale(s) => p.sigma2 *= s,
            Control::KappaScale(s) => p.schedule = p.schedule.scale_kappa(s),
            Control::Prediction(_) => return None,
        }
        Some(e)
    }
}

fn bad(i: usize, field: &str, rule: String) -> ConfigError {
    ConfigError::InvalidAt {
        field: format!("checks[{i}].{field}"),
        rule,
    }
}

/// Validate every declared check of `exp` before training (module doc): names, the
/// statistic against the schedule and d, prediction and control against the statistic, the
/// allowance's kind and δ, and — when the schedule is resolved — that the theory has a value
/// for the prediction and for the control.
///
/// # Errors
/// [`Error::Config`] naming `checks[i].<field>`.
pub fn check_specs(exp: &Experiment) -> Result<(), Error> {
    let specs = &exp.checks;
    if specs.is_empty() {
        return Ok(());
    }
    let prob = &exp.train.problem;
    let phases = exp.phases();
    let grid = (!prob.schedule.is_unresolved())
        .then(|| prob.schedule().ok().map(|s| s.grid(prob.steps)))
        .flatten();
    for (i, s) in specs.iter().enumerate() {
        if s.name.trim().is_empty() {
            return Err(bad(i, "name", "must not be empty".into()).into());
        }
        if specs[..i].iter().any(|o| o.name == s.name) {
            return Err(bad(i, "name", format!("'{}' is declared twice", s.name)).into());
        }
        match s.statistic {
            Statistic::Overlap { t, .. } => {
                if let Some(g) = &grid {
                    let (k, near) = g
                        .iter()
                        .enumerate()
                        .min_by(|a, b| (a.1 - t).abs().total_cmp(&(b.1 - t).abs()))
                        .expect("a grid has points");
                    if !t.is_finite() || (near - t).abs() > 1e-9 * near.abs().max(1.0) {
                        return Err(bad(
                            i,
                            "statistic.t",
                            format!("{t} is not a grid time of this schedule; the nearest is {near} (k = {k})"),
                        )
                        .into());
                    }
                } else if !t.is_finite() || t < 0.0 {
                    return Err(
                        bad(i, "statistic.t", format!("must be a grid time, got {t}")).into(),
                    );
                }
            }
            Statistic::PhaseMean { phase, .. } if !(phase == 1 || phase == 2) => {
                return Err(
                    bad(i, "statistic.phase", format!("must be 1 or 2, got {phase}")).into(),
                );
            }
            _ => {}
        }
        let needs_phases = matches!(
            s.statistic,
            Statistic::PhaseMean { .. } | Statistic::PHatW | Statistic::Sigma2W
        );
        if needs_phases && phases.is_none() {
            return Err(bad(
                i,
                "statistic",
                format!(
                    "needs a two-phase schedule (dilated on the linear, vp and cosine paths, dilated_end on ve), not {}",
                    prob.schedule.name_on(&prob.path)
                ),
            )
            .into());
        }
        if s.statistic == Statistic::VarPerp && prob.d < 2 {
            return Err(bad(i, "statistic", "var_perp needs d > 1".into()).into());
        }
        let fits = |p: Predict, field: &str| -> Result<(), Error> {
            if let Predict::Constant(v) = p {
                if !v.is_finite() {
                    return Err(
                        bad(i, field, format!("the constant must be finite, got {v}")).into(),
                    );
                }
            }
            if p.fits(&s.statistic) {
                Ok(())
            } else {
                Err(bad(
                    i,
                    field,
                    format!("there is no {} prediction of this statistic", p.name()),
                )
                .into())
            }
        };
        fits(s.prediction, "prediction")?;
        check_allowance(i, &s.allowance)?;
        match s.control {
            Control::Prediction(p) => {
                fits(p, "control.prediction")?;
                if p == s.prediction {
                    return Err(bad(
                        i,
                        "control.prediction",
                        "must differ from the check's prediction".into(),
                    )
                    .into());
                }
            }
            Control::PShift(x) => {
                let q = prob.p + x;
                if !(x.is_finite() && x != 0.0 && q > 0.0 && q < 1.0) {
                    return Err(bad(
                        i,
                        "control.p_shift",
                        format!(
                            "must be non-zero with 0 < p + shift < 1 (p = {}), got {x}",
                            prob.p
                        ),
                    )
                    .into());
                }
            }
            Control::Sigma2Scale(x) | Control::KappaScale(x) => {
                let field = if matches!(s.control, Control::Sigma2Scale(_)) {
                    "control.sigma2_scale"
                } else {
                    "control.kappa_scale"
                };
                if !(x.is_finite() && x > 0.0 && (x - 1.0).abs() > f64::EPSILON) {
                    return Err(bad(i, field, format!("must be positive and ≠ 1, got {x}")).into());
                }
                if field == "control.kappa_scale" {
                    let Some(k) = prob.schedule.kappa() else {
                        return Err(bad(i, field, "the schedule has no κ".into()).into());
                    };
                    if k * x >= (prob.d as f64).sqrt() {
                        return Err(bad(
                            i,
                            field,
                            format!("κ·scale = {} must stay below √d", k * x),
                        )
                        .into());
                    }
                }
            }
        }
        if matches!(s.prediction, Predict::Constant(_))
            && matches!(
                s.control,
                Control::PShift(_) | Control::Sigma2Scale(_) | Control::KappaScale(_)
            )
        {
            return Err(bad(
                i,
                "control",
                "a constant prediction does not move with p, σ² or κ: declare { prediction = … } or another constant".into(),
            )
            .into());
        }
    }
    if grid.is_some() {
        // The theory's values exist for every real check and control (computed here, before
        // training, so a missing one cannot fail a finished run).
        let th = ExpTheory::new(exp)?;
        for (i, s) in specs.iter().enumerate() {
            let Some(real) = stat_of(s, s.prediction, &th) else {
                return Err(bad(
                    i,
                    "prediction",
                    format!(
                        "the {} theory has no value for this statistic here",
                        s.prediction.name()
                    ),
                )
                .into());
            };
            let real = real.prediction;
            let wrong = control_theory(s.control, exp)?;
            let (th_c, pred) = match (&wrong, s.control) {
                (Some(w), _) => (w, s.prediction),
                (None, Control::Prediction(p)) => (&th, p),
                (None, _) => unreachable!("perturbed controls have a theory"),
            };
            let Some(wrong) = stat_of(s, pred, th_c) else {
                return Err(bad(
                    i,
                    "control",
                    format!(
                        "the theory has no value for the control ({})",
                        s.control.describe()
                    ),
                )
                .into());
            };
            // A phase mean is compared with 0 under either theory (its residuals move).
            let is_mean = matches!(s.statistic, Statistic::PhaseMean { .. });
            if !is_mean && (wrong.prediction - real).abs() <= 1e-12 * real.abs() {
                return Err(bad(
                    i,
                    "control",
                    format!(
                        "{} gives the same prediction as the check ({real}): the control cannot fail",
                        s.control.describe()
                    ),
                )
                .into());
            }
        }
    }
    Ok(())
}

fn check_allowance(i: usize, a: &AllowanceSpec) -> Result<(), Error> {
    match a.kind {
        AllowanceKind::Exact if a.delta != 0.0 => Err(bad(
            i,
            "allowance.delta",
            "an exact prediction has δ = 0; declare the kind of a non-zero δ (numerical, finite_size, definition)".into(),
        )
        .into()),
        AllowanceKind::Fitted => Err(bad(
            i,
            "allowance.kind",
            "fitted is for intercepts of size fits, which declared checks do not make".into(),
        )
        .into()),
        AllowanceKind::Exact => Ok(()),
        _ if !(a.delta.is_finite() && a.delta >= 0.0) => Err(bad(
            i,
            "allowance.delta",
            format!("must be finite and ≥ 0, got {}", a.delta),
        )
        .into()),
        _ if a.source.as_deref().is_none_or(|s| s.trim().is_empty()) => Err(bad(
            i,
            "allowance.source",
            "a non-zero δ states where it comes from (SPEC §6)".into(),
        )
        .into()),
        _ => Ok(()),
    }
}

fn control_theory(c: Control, exp: &Experiment) -> Result<Option<ExpTheory>, Error> {
    c.perturbed(exp).map(|e| ExpTheory::new(&e)).transpose()
}

/// The statistic of `s` with its prediction from `pred` under theory `th`; `None` where the
/// theory has no value.
fn stat_of<'a>(s: &CheckSpec, pred: Predict, th: &'a ExpTheory) -> Option<Stat<'a>> {
    let source = pred.source();
    let constant = match pred {
        Predict::Constant(v) => Some(v),
        _ => None,
    };
    let overlap_at = |q: Overlap, i: usize| -> Option<f64> {
        if let Some(v) = constant {
            return Some(v);
        }
        let st = th.steps.get(i)?;
        let p = match pred {
            Predict::Reduced => th.theory.reduced(st.t),
            Predict::FiniteN => th.theory.finite_n_at_d(st.t),
            Predict::Bayes => Some(st.bayes),
            Predict::Limit => th.theory.limit(st.t),
            _ => None,
        }?;
        q.predicted(&p)
    };
    match s.statistic {
        Statistic::Overlap { overlap: q, t } => {
            let i = th
                .steps
                .iter()
                .position(|st| (st.t - t).abs() <= 1e-9 * st.t.abs().max(1.0))?;
            let v = overlap_at(q, i)?;
            Some(Stat::new(
                move |o| o.steps.get(i).map(|st| q.of(st)),
                v,
                source,
            ))
        }
        Statistic::PhaseMean {
            overlap: q,
            phase,
            residual,
        } => {
            let idx: Vec<usize> = if phase == 1 {
                th.phase1().map(|(i, _)| i).collect()
            } else {
                th.phase2().map(|(i, _)| i).collect()
            };
            let pts: Option<Vec<(usize, f64)>> = idx
                .iter()
                .map(|&i| overlap_at(q, i).map(|v| (i, v)))
                .collect();
            let pts = pts.filter(|v| !v.is_empty())?;
            let k = pts.len() as f64;
            Some(Stat::new(
                move |o| {
                    pts.iter()
                        .map(|&(i, v)| {
                            let m = q.of(o.steps.get(i)?);
                            Some(match residual {
                                Residual::Difference => m - v,
                                Residual::Relative => m / v - 1.0,
                            })
                        })
                        .sum::<Option<f64>>()
                        .map(|v| v / k)
                },
                0.0,
                source,
            ))
        }
        Statistic::PHat => {
            let v = constant.or_else(|| th.euler.map(|e| e.p_hat))?;
            Some(Stat::new(|o| Some(o.generated.p_hat), v, source))
        }
        Statistic::VarPerp => {
            let v = constant.or(match pred {
                Predict::Euler => th.euler.and_then(|e| e.var_perp),
                Predict::FiniteNEuler => th.var_perp,
                _ => None,
            })?;
            Some(Stat::new(|o| o.generated.var_perp, v, source))
        }
        Statistic::PHatW | Statistic::Sigma2W => {
            let built = if s.statistic == Statistic::PHatW {
                p_hat_w(th)
            } else {
                sigma2_w(th)
            };
            let mut st = built?;
            if let Some(v) = constant {
                st.prediction = v;
            }
            st.source = source;
            Some(st)
        }
    }
}

fn allowance_of(s: &CheckSpec) -> Allowance {
    match s.allowance.kind {
        AllowanceKind::Exact => Allowance::exact(format!(
            "{}: declared exact in the experiment file",
            s.prediction.source().describe()
        )),
        kind => Allowance::new(
            s.allowance.delta,
            kind,
            s.allowance.source.clone().unwrap_or_default(),
        ),
    }
}

/// The check inputs of the declared checks of `cell.exp` (each real check, then its control).
///
/// # Errors
/// [`Error::Config`] naming `checks[i]` if the theory has no value (ruled out before training
/// by [`check_specs`] wherever the schedule is known then), or a control theory cannot be built.
pub fn inputs(cell: Cell<'_>) -> Result<Vec<CheckInput>, Error> {
    let exp = cell.exp;
    let mut out = Vec::new();
    for (i, s) in exp.checks.iter().enumerate() {
        let family = s.family.clone().unwrap_or_else(|| s.name.clone());
        let finish = |c: CheckInput| {
            let mut c = c.with_side(s.side).with_role(s.role);
            c.allowance = allowance_of(s);
            c
        };
        let missing = |what: &str| -> Error {
            bad(
                i,
                what,
                "the theory has no value for this statistic here".into(),
            )
            .into()
        };
        let real_stat =
            stat_of(s, s.prediction, cell.theory).ok_or_else(|| missing("prediction"))?;
        let real = cell_check(&s.name, &family, cell, &real_stat).map(finish);
        let wrong_th = control_theory(s.control, exp)?;
        let (th_c, pred) = match (&wrong_th, s.control) {
            (Some(w), _) => (w, s.prediction),
            (None, Control::Prediction(p)) => (cell.theory, p),
            (None, _) => unreachable!("perturbed controls have a theory"),
        };
        let wrong_stat = stat_of(s, pred, th_c).ok_or_else(|| missing("control"))?;
        let name = format!("{}[control]", s.name);
        let control = cell_check(&name, &family, cell, &wrong_stat)
            .map(|c| finish(c).control(Some(s.control.describe())));
        out.extend(real);
        out.extend(control);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<CheckSpec, String> {
        toml::from_str(toml_text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_check_reads_from_toml() {
        let s = parse(
            r#"
            name = "omega@t=0.35"
            statistic = { kind = "overlap", overlap = "omega", t = 0.35 }
            prediction = "reduced"
            control = { kappa_scale = 1.03 }
            "#,
        )
        .unwrap();
        assert_eq!(
            s.statistic,
            Statistic::Overlap {
                overlap: Overlap::Omega,
                t: 0.35
            }
        );
        assert_eq!(s.control, Control::KappaScale(1.03));
        assert_eq!(s.allowance.kind, AllowanceKind::Exact);
        let c = parse(
            r#"
            name = "p"
            statistic = { kind = "p_hat" }
            prediction = { constant = 0.8 }
            control = { prediction = "euler" }
            "#,
        )
        .unwrap();
        assert_eq!(c.prediction, Predict::Constant(0.8));
    }

    #[test]
    fn unknown_names_are_refused_by_the_parser() {
        for bad in [
            r#"name = "x"
statistic = { kind = "overlap", overlap = "omegaa", t = 0.35 }
prediction = "reduced"
control = { kappa_scale = 1.03 }"#,
            r#"name = "x"
statistic = { kind = "p_hat" }
prediction = "exactish"
control = { kappa_scale = 1.03 }"#,
            r#"name = "x"
statistic = { kind = "p_hat" }
prediction = "euler"
control = { kapa_scale = 1.03 }"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn predictions_fit_their_statistics() {
        let ov = Statistic::Overlap {
            overlap: Overlap::C,
            t: 1.0,
        };
        assert!(Predict::Reduced.fits(&ov));
        assert!(!Predict::Euler.fits(&ov));
        assert!(Predict::Euler.fits(&Statistic::PHat));
        assert!(!Predict::Reduced.fits(&Statistic::PHat));
        assert!(Predict::Constant(0.5).fits(&Statistic::VarPerp));
    }
}
