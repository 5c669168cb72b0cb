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
//!   time `t`), `each_time` (`overlaps` at every grid time of `phase` 1 or 2, one check each,
//!   named `name.overlap@t=…`; the control sits at the time `control_at` (default 0.5) of the
//!   way into the phase, on the first overlap), `phase_mean` (an overlap's residual averaged
//!   over `phase` 1 or 2, `residual` = `difference` (default) or `relative`, compared with 0),
//!   `p_hat`, `var_perp`, `p_hat_w`, `sigma2_w`.
//! * **prediction**: `reduced`, `finite_n`, `bayes`, `limit`, `reduced_or_finite_n` (the
//!   reduced theory where it has a value, else §5.3 at this d; overlaps); `euler` (exact Euler
//!   with the Bayes denoiser: p̂, var⊥); `finite_n_euler` (var⊥ with the learned c_k);
//!   `finite_n` (p̂_w); `reduced_or_finite_n` (σ̂²_w); or `{ constant = x }` for any statistic.
//!   `{ finite_n_form = "fresh" }` / `"fixed"`: §5.3's phase-2 closed form under that noise
//!   convention, whatever the engine's (phase-2 overlaps; C7's control).
//! * **allowance**: `{ kind = "exact" }` (the default: δ = 0), or `numerical`, `finite_size`,
//!   `definition` with `delta` ≥ 0 and a `source` sentence, printed in every report.
//!   `fitted` is for intercepts of size fits, which declared checks do not make.
//! * **side**: `two_sided` (default), `at_most`, `at_least`; **role**: `diagnostic` (default)
//!   or `primary`; **family**: defaults to the check's name.
//! * **control**: `{ p_shift = x }` (p + x, or p − x where p + x ≥ 1), `{ sigma2_scale = s }`,
//!   `{ kappa_scale = s }` — the same prediction from the theory at the perturbed parameter —
//!   or `{ prediction = "limit" }`, a named wrong source. Every family needs at least one (a
//!   check in a built-in family shares that family's). The control of a `phase_mean` of
//!   differences is reported on the check's own measured mean and predicts the mean over the
//!   phase of (wrong − right) predictions: the same test as the residual against the wrong
//!   prediction compared with 0. `control_role` sets its Holm role (default: the check's).
//!
//! Claims declare checks of their trained experiments in the same form in
//! `experiments/claims.toml` ([`claim_declarations`]; C7).
//!
//! The five built-in families are declarations in this same form, shipped as data in
//! `experiments/families.toml` and embedded in the binary ([`Family::declarations`]).
//!
//! Every name, every combination and every prediction's existence are checked by
//! [`check_specs`] before any training (exit 2 naming `checks[i].field`); the checks then
//! join the built-in families' in one Holm evaluation ([`super::check::evaluate`]).

use super::check::{Allowance, AllowanceKind, CheckInput, Role, Side, Source};
use super::families::{
    Cell, ExpTheory, Overlap, Stat, cell_check, control, overlap_prediction, p_hat_w, pooled_check,
    sigma2_w,
};
use super::{Experiment, Family};
use crate::error::Error;
use crate::problem::{ConfigError, Noise};
use crate::theory::FiniteN;
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
    /// The deliberate error that must fail (at least one per family).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<Control>,
    /// The control's role in the Holm evaluation (default: the check's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_role: Option<Role>,
}

/// A statistic of one trained replica.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Statistic {
    /// One overlap at the grid time `t`.
    Overlap {
        /// Which overlap.
        overlap: Overlap,
        /// A grid time of the experiment's schedule.
        t: f64,
    },
    /// Overlaps at every grid time of a phase, one check each (time-major order).
    EachTime {
        /// Which overlaps; the control is on the first.
        overlaps: Vec<Overlap>,
        /// 1 or 2.
        phase: u8,
        /// Where in the phase the control sits, as a fraction of the phase (default 0.5).
        #[serde(default = "half")]
        control_at: f64,
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

fn half() -> f64 {
    0.5
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
    /// The reduced theory where it has a value, else §5.3 at this d: what the built-in
    /// overlap families compare with.
    ReducedOrFiniteN,
    /// Exact Euler with the Bayes denoiser (§5.4).
    Euler,
    /// Exact Euler with the finite-n c_k (var⊥).
    FiniteNEuler,
    /// §5.3's phase-2 closed form at this d under the named noise convention, whatever the
    /// engine's (`{ finite_n_form = "fixed" }`): phase-2 overlaps only. The other
    /// convention's form is C7's negative control.
    FiniteNForm(Noise),
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
            Predict::ReducedOrFiniteN => "reduced_or_finite_n".into(),
            Predict::Euler => "euler".into(),
            Predict::FiniteNEuler => "finite_n_euler".into(),
            Predict::FiniteNForm(n) => format!("finite_n_form {}", crate::choice::name_of(n)),
            Predict::Constant(v) => format!("constant {v}"),
        }
    }

    fn source(self) -> Source {
        match self {
            Predict::Reduced => Source::Reduced,
            Predict::FiniteN => Source::FiniteN,
            Predict::Bayes => Source::Bayes,
            Predict::Limit => Source::Limit,
            Predict::ReducedOrFiniteN => Source::Reduced,
            Predict::Euler => Source::GeneratedEuler,
            Predict::FiniteNEuler => Source::FiniteNEuler,
            Predict::FiniteNForm(_) => Source::FiniteN,
            Predict::Constant(_) => Source::Constant,
        }
    }

    /// Whether this output exists for the statistic (module doc's table).
    fn fits(self, s: &Statistic) -> bool {
        use Predict as P;
        match (s, self) {
            (_, P::Constant(_)) => true,
            (
                Statistic::Overlap { .. }
                | Statistic::EachTime { .. }
                | Statistic::PhaseMean { .. },
                p,
            ) => matches!(
                p,
                P::Reduced
                    | P::FiniteN
                    | P::Bayes
                    | P::Limit
                    | P::ReducedOrFiniteN
                    | P::FiniteNForm(_)
            ),
            (Statistic::PHat, p) => p == P::Euler,
            (Statistic::VarPerp, p) => matches!(p, P::Euler | P::FiniteNEuler),
            (Statistic::PHatW, p) => p == P::FiniteN,
            (Statistic::Sigma2W, p) => p == P::ReducedOrFiniteN,
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
    /// p + x, or p − x where p + x ≥ 1 (the built-in p control's rule).
    fn shifted_p(p: f64, x: f64) -> f64 {
        if p + x < 1.0 { p + x } else { p - x }
    }

    fn describe(self, exp: &Experiment) -> String {
        let p = exp.train.problem.p;
        match self {
            Control::PShift(x) => format!("p = {} instead of {p}", Self::shifted_p(p, x)),
            Control::Sigma2Scale(s) => format!("σ² scaled by {s}"),
            Control::KappaScale(s) => format!("κ scaled by {s}"),
            Control::Prediction(Predict::FiniteNForm(n)) => {
                format!("the {}-noise form", crate::choice::name_of(n))
            }
            Control::Prediction(p) => format!("the {} prediction instead", p.name()),
        }
    }

    /// The experiment whose theory gives the control's prediction (`None`: the nominal one).
    fn perturbed(self, exp: &Experiment) -> Option<Experiment> {
        let mut e = exp.clone();
        let p = &mut e.train.problem;
        match self {
            Control::PShift(x) => p.p = Self::shifted_p(p.p, x),
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
/// allowance's kind and δ, a control in every family, and — when the schedule is resolved —
/// that the theory has a value for every check and control and that no control predicts
/// what its check does.
///
/// # Errors
/// [`Error::Config`] naming `checks[i].<field>`.
pub fn check_specs(exp: &Experiment) -> Result<(), Error> {
    validate(exp, &exp.checks)
}

/// Validate `specs` against `exp` as [`check_specs`] does an experiment file's own checks (a
/// claim's declarations, [`claim_declarations`], before it trains).
///
/// # Errors
/// As [`check_specs`].
pub fn validate(exp: &Experiment, specs: &[CheckSpec]) -> Result<(), Error> {
    if specs.is_empty() {
        return Ok(());
    }
    let prob = &exp.train.problem;
    let phases = exp.phases();
    let grid = (!prob.schedule.is_unresolved())
        .then(|| prob.schedule().ok().map(|s| s.grid(prob.steps)))
        .flatten();
    for (i, s) in specs.iter().enumerate() {
        check_spec(exp, i, s, grid.as_deref(), phases.is_some())?;
        if specs[..i].iter().any(|o| o.name == s.name) {
            return Err(bad(i, "name", format!("'{}' is declared twice", s.name)).into());
        }
    }
    // Every family has a control: its own declared one, or a built-in family's that runs.
    let builtin: Vec<&str> = exp.families().iter().map(|f| f.name()).collect();
    for (i, s) in specs.iter().enumerate() {
        let fam = family_of(s);
        let has = builtin.contains(&fam.as_str())
            || specs
                .iter()
                .any(|o| o.control.is_some() && family_of(o) == fam);
        if !has {
            return Err(bad(
                i,
                "control",
                format!("family '{fam}' has no negative control: declare one (a check whose errors cannot be seen proves nothing)"),
            )
            .into());
        }
    }
    if grid.is_some() {
        // The theory's values exist for every check and control (computed here, before
        // training, so a missing one cannot fail a finished run).
        let th = ExpTheory::new(exp)?;
        for (i, s) in specs.iter().enumerate() {
            preflight(exp, i, s, &th)?;
        }
    }
    Ok(())
}

fn check_spec(
    exp: &Experiment,
    i: usize,
    s: &CheckSpec,
    grid: Option<&[f64]>,
    has_phases: bool,
) -> Result<(), Error> {
    let prob = &exp.train.problem;
    if s.name.trim().is_empty() {
        return Err(bad(i, "name", "must not be empty".into()).into());
    }
    match &s.statistic {
        Statistic::Overlap { t, .. } => {
            let t = *t;
            if let Some(g) = grid {
                let (k, near) = g
                    .iter()
                    .enumerate()
                    .min_by(|a, b| (a.1 - t).abs().total_cmp(&(b.1 - t).abs()))
                    .expect("a grid has points");
                if !t.is_finite() || (near - t).abs() > 1e-9 * near.abs().max(1.0) {
                    return Err(bad(
                        i,
                        "statistic.t",
                        format!(
                            "{t} is not a grid time of this schedule; the nearest is {near} (k = {k})"
                        ),
                    )
                    .into());
                }
            } else if !t.is_finite() || t < 0.0 {
                return Err(bad(i, "statistic.t", format!("must be a grid time, got {t}")).into());
            }
        }
        Statistic::PhaseMean { phase, .. } | Statistic::EachTime { phase, .. }
            if !(*phase == 1 || *phase == 2) =>
        {
            return Err(bad(i, "statistic.phase", format!("must be 1 or 2, got {phase}")).into());
        }
        Statistic::EachTime {
            overlaps,
            control_at,
            ..
        } => {
            if overlaps.is_empty() {
                return Err(bad(i, "statistic.overlaps", "must not be empty".into()).into());
            }
            if !(0.0..=1.0).contains(control_at) {
                return Err(bad(
                    i,
                    "statistic.control_at",
                    format!("must be a fraction of the phase in [0, 1], got {control_at}"),
                )
                .into());
            }
        }
        _ => {}
    }
    let needs_phases = matches!(
        s.statistic,
        Statistic::PhaseMean { .. }
            | Statistic::EachTime { .. }
            | Statistic::PHatW
            | Statistic::Sigma2W
    );
    if needs_phases && !has_phases {
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
                return Err(bad(i, field, format!("the constant must be finite, got {v}")).into());
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
    let Some(control) = s.control else {
        return Ok(());
    };
    match control {
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
            let q = Control::shifted_p(prob.p, x);
            if !(x.is_finite() && x > 0.0 && q > 0.0 && q < 1.0) {
                return Err(bad(
                    i,
                    "control.p_shift",
                    format!(
                        "must be positive with 0 < p ± shift < 1 (p = {}), got {x}",
                        prob.p
                    ),
                )
                .into());
            }
        }
        Control::Sigma2Scale(x) | Control::KappaScale(x) => {
            let kappa = matches!(control, Control::KappaScale(_));
            let field = if kappa {
                "control.kappa_scale"
            } else {
                "control.sigma2_scale"
            };
            if !(x.is_finite() && x > 0.0 && (x - 1.0).abs() > f64::EPSILON) {
                return Err(bad(i, field, format!("must be positive and ≠ 1, got {x}")).into());
            }
            if kappa {
                let Some(k) = prob.schedule.kappa() else {
                    return Err(bad(i, field, "the schedule has no κ".into()).into());
                };
                if k * x >= (prob.d as f64).sqrt() {
                    return Err(
                        bad(i, field, format!("κ·scale = {} must stay below √d", k * x)).into(),
                    );
                }
            }
        }
    }
    if matches!(s.prediction, Predict::Constant(_)) && !matches!(control, Control::Prediction(_)) {
        return Err(bad(
            i,
            "control",
            "a constant prediction does not move with p, σ² or κ: declare { prediction = … }"
                .into(),
        )
        .into());
    }
    Ok(())
}

/// The theory has a value for check `i` and its control, and the control predicts otherwise.
fn preflight(exp: &Experiment, i: usize, s: &CheckSpec, th: &ExpTheory) -> Result<(), Error> {
    let real = stats_of(s, s.prediction, th);
    if real.is_empty() {
        return Err(bad(
            i,
            "prediction",
            format!(
                "the {} theory has no value for this statistic here",
                s.prediction.name()
            ),
        )
        .into());
    }
    let Some(control) = s.control else {
        return Ok(());
    };
    let wrong_th = control_theory(control, exp)?;
    let (th_c, pred) = control_source(control, s, th, wrong_th.as_ref());
    if let Statistic::PhaseMean {
        residual: Residual::Difference,
        ..
    } = s.statistic
    {
        // The control predicts the mean shift of the wrong prediction: it must exist and move.
        return match phase_mean_offset(s, pred, th_c, th) {
            None => Err(bad(
                i,
                "control",
                format!(
                    "the theory has no value for the control ({})",
                    control.describe(exp)
                ),
            )
            .into()),
            Some(0.0) => Err(bad(
                i,
                "control",
                format!(
                    "{} gives the same phase mean as the check: the control cannot fail",
                    control.describe(exp)
                ),
            )
            .into()),
            Some(_) => Ok(()),
        };
    }
    let site = control_site(s, &real, th);
    let wrong = stats_of(s, pred, th_c);
    let Some(w) = site.and_then(|(k, _)| wrong.iter().find(|(kk, _)| kk == k)) else {
        return Err(bad(
            i,
            "control",
            format!(
                "the theory has no value for the control ({})",
                control.describe(exp)
            ),
        )
        .into());
    };
    // A phase mean is compared with 0 under either theory (its residuals move).
    let (_, r) = site.expect("found above");
    let is_mean = matches!(s.statistic, Statistic::PhaseMean { .. });
    if !is_mean && (w.1.prediction - r.prediction).abs() <= 1e-12 * r.prediction.abs() {
        return Err(bad(
            i,
            "control",
            format!(
                "{} gives the same prediction as the check ({}): the control cannot fail",
                control.describe(exp),
                r.prediction
            ),
        )
        .into());
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

fn family_of(s: &CheckSpec) -> String {
    s.family.clone().unwrap_or_else(|| s.name.clone())
}

/// The theories of the controls of one evaluation, built once per distinct perturbation: the
/// built-in families share three (p + 0.02, σ² × 1.02, κ × 1.03), and each is a full
/// [`ExpTheory`] (the reduced theory at every grid time).
#[derive(Default)]
pub struct ControlTheories(Vec<(Control, ExpTheory)>);

impl ControlTheories {
    /// The theory of control `c` of `exp` (`None` for a control that names another source).
    fn get(&mut self, c: Control, exp: &Experiment) -> Result<Option<&ExpTheory>, Error> {
        let Some(i) = self.0.iter().position(|(k, _)| *k == c) else {
            let Some(th) = control_theory(c, exp)? else {
                return Ok(None);
            };
            self.0.push((c, th));
            return Ok(self.0.last().map(|(_, t)| t));
        };
        Ok(Some(&self.0[i].1))
    }
}

fn control_theory(c: Control, exp: &Experiment) -> Result<Option<ExpTheory>, Error> {
    c.perturbed(exp).map(|e| ExpTheory::new(&e)).transpose()
}

/// The theory and prediction the control of `s` reads.
fn control_source<'a>(
    c: Control,
    s: &CheckSpec,
    nominal: &'a ExpTheory,
    wrong: Option<&'a ExpTheory>,
) -> (&'a ExpTheory, Predict) {
    match (wrong, c) {
        (Some(w), _) => (w, s.prediction),
        (None, Control::Prediction(p)) => (nominal, p),
        (None, _) => unreachable!("perturbed controls have a theory"),
    }
}

/// Which of the checks of `s` carries the control: the only one, or for `each_time` the first
/// overlap at the grid time nearest `control_at` of the way into the phase.
fn control_site<'s, 'a>(
    s: &CheckSpec,
    stats: &'s [(Key, Stat<'a>)],
    th: &ExpTheory,
) -> Option<&'s (Key, Stat<'a>)> {
    match &s.statistic {
        Statistic::EachTime {
            overlaps,
            phase,
            control_at,
        } => {
            let mid = th.mid_phase(*phase == 1, *control_at)?;
            stats.iter().find(|(k, _)| *k == Key::At(mid, overlaps[0]))
        }
        _ => stats.first(),
    }
}

/// Which check of a declaration: the one, or one (grid step, overlap) of `each_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    One,
    At(usize, Overlap),
}

/// The prediction of overlap `q` at grid step `i` from `pred` under theory `th`, with its
/// source; `None` where that theory output has no value.
fn overlap_value(pred: Predict, th: &ExpTheory, q: Overlap, i: usize) -> Option<(f64, Source)> {
    let source = pred.source();
    if let Predict::Constant(v) = pred {
        return Some((v, source));
    }
    let st = th.steps.get(i)?;
    let (p, src) = match pred {
        Predict::Reduced => (th.theory.reduced(st.t)?, source),
        Predict::FiniteN => (th.theory.finite_n_at_d(st.t)?, source),
        Predict::Bayes => (st.bayes, source),
        Predict::Limit => (th.theory.limit(st.t)?, source),
        Predict::ReducedOrFiniteN => st
            .overlap
            .or_else(|| overlap_prediction(&th.theory, st.t))?,
        Predict::FiniteNForm(noise) => {
            if !th.phases.is_some_and(|ph| ph.in_phase2(st.t)) {
                return None;
            }
            let form = FiniteN {
                noise,
                ..th.finite_n_config()
            };
            (
                form.phase2_ab(th.theory.sigma2(), st.alpha, st.beta),
                source,
            )
        }
        _ => return None,
    };
    q.predicted(&p).map(|v| (v, src))
}

/// The grid steps of phase 1 or 2 of `th`, each with the prediction of overlap `q` from
/// `pred` (`None` where it has no value).
fn phase_points(
    q: Overlap,
    phase: u8,
    pred: Predict,
    th: &ExpTheory,
) -> Vec<(usize, Option<(f64, Source)>)> {
    let idx: Vec<usize> = if phase == 1 {
        th.phase1().map(|(i, _)| i).collect()
    } else {
        th.phase2().map(|(i, _)| i).collect()
    };
    idx.into_iter()
        .map(|i| (i, overlap_value(pred, th, q, i)))
        .collect()
}

/// The negative control of a `phase_mean` of differences: the check itself (same measured
/// residual mean) against the mean over the phase of (wrong − right) predictions, over the
/// steps where both have a value — the same test as the mean residual against the wrong
/// prediction compared with 0, reported on the check's own measured value. `None` for other
/// statistics, or where the wrong prediction has no value at any step.
fn phase_mean_offset(
    s: &CheckSpec,
    wrong: Predict,
    th_wrong: &ExpTheory,
    th: &ExpTheory,
) -> Option<f64> {
    let Statistic::PhaseMean {
        overlap: q,
        phase,
        residual: Residual::Difference,
    } = s.statistic
    else {
        return None;
    };
    let right = phase_points(q, phase, s.prediction, th);
    let wrong = phase_points(q, phase, wrong, th_wrong);
    let offsets: Vec<f64> = right
        .iter()
        .filter_map(|(i, r)| {
            let (r, _) = (*r)?;
            let (w, _) = wrong.iter().find(|(j, _)| j == i)?.1?;
            Some(w - r)
        })
        .collect();
    (!offsets.is_empty()).then(|| offsets.iter().sum::<f64>() / offsets.len() as f64)
}

/// The checks of `s` with their predictions from `pred` under theory `th`; a check without a
/// theory value is left out (an `each_time` time where the theory has none, or everything).
fn stats_of<'a>(s: &CheckSpec, pred: Predict, th: &'a ExpTheory) -> Vec<(Key, Stat<'a>)> {
    let source = pred.source();
    let constant = match pred {
        Predict::Constant(v) => Some(v),
        _ => None,
    };
    let overlap_at = |q: Overlap, i: usize| overlap_value(pred, th, q, i);
    let one = |st: Option<Stat<'a>>| st.map(|st| vec![(Key::One, st)]).unwrap_or_default();
    match s.statistic.clone() {
        Statistic::Overlap { overlap: q, t } => {
            let Some(i) = th
                .steps
                .iter()
                .position(|st| (st.t - t).abs() <= 1e-9 * st.t.abs().max(1.0))
            else {
                return Vec::new();
            };
            one(overlap_at(q, i)
                .map(|(v, src)| Stat::new(move |o| o.steps.get(i).map(|st| q.of(st)), v, src)))
        }
        Statistic::EachTime {
            overlaps, phase, ..
        } => {
            let idx: Vec<usize> = if phase == 1 {
                th.phase1().map(|(i, _)| i).collect()
            } else {
                th.phase2().map(|(i, _)| i).collect()
            };
            let mut out = Vec::new();
            for i in idx {
                for &q in &overlaps {
                    if let Some((v, src)) = overlap_at(q, i) {
                        let st = Stat::new(move |o| o.steps.get(i).map(|st| q.of(st)), v, src);
                        out.push((Key::At(i, q), st));
                    }
                }
            }
            out
        }
        Statistic::PhaseMean {
            overlap: q,
            phase,
            residual,
        } => {
            let pts: Option<Vec<(usize, f64, Source)>> = phase_points(q, phase, pred, th)
                .into_iter()
                .map(|(i, v)| v.map(|(v, src)| (i, v, src)))
                .collect();
            let Some(pts) = pts.filter(|v| !v.is_empty()) else {
                return Vec::new();
            };
            let src = pts[0].2;
            let pts: Vec<(usize, f64)> = pts.into_iter().map(|(i, v, _)| (i, v)).collect();
            let k = pts.len() as f64;
            one(Some(Stat::new(
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
                src,
            )))
        }
        Statistic::PHat => one(constant
            .or_else(|| th.euler.map(|e| e.p_hat))
            .map(|v| Stat::new(|o| Some(o.generated.p_hat), v, source))),
        Statistic::VarPerp => one(constant
            .or(match pred {
                Predict::Euler => th.euler.and_then(|e| e.var_perp),
                Predict::FiniteNEuler => th.var_perp,
                _ => None,
            })
            .map(|v| Stat::new(|o| o.generated.var_perp, v, source))),
        Statistic::PHatW | Statistic::Sigma2W => {
            let built = if s.statistic == Statistic::PHatW {
                p_hat_w(th)
            } else {
                sigma2_w(th)
            };
            one(built.map(|mut st| {
                if let Some(v) = constant {
                    st.prediction = v;
                    st.source = source;
                }
                st
            }))
        }
    }
}

fn allowance_of(s: &CheckSpec, source: Source) -> Allowance {
    match s.allowance.kind {
        AllowanceKind::Exact => super::families::exact_allowance(source),
        kind => Allowance::new(
            s.allowance.delta,
            kind,
            s.allowance.source.clone().unwrap_or_default(),
        ),
    }
}

/// The check inputs of the declared checks of `cell.exp`, in declaration order, each family's
/// real checks before its controls.
///
/// # Errors
/// [`Error::Config`] naming `checks[i]` if the theory has no value (ruled out before training
/// by [`check_specs`] wherever the schedule is known then), or a control theory cannot be built.
pub fn inputs(cell: Cell<'_>) -> Result<Vec<CheckInput>, Error> {
    inputs_of(
        cell,
        &cell.exp.checks,
        None,
        &mut ControlTheories::default(),
    )
}

/// The check inputs of `specs` on `cell` (module doc). `builtin`: the built-in family they
/// declare, whose checks are skipped where the theory has no value (a per-time check at a
/// time without one, p̂ with an integrator §5.4 does not cover), as the families always did;
/// `None`: an experiment file's own checks, for which a missing value is an error.
///
/// # Errors
/// As [`inputs`].
pub fn inputs_of(
    cell: Cell<'_>,
    specs: &[CheckSpec],
    builtin: Option<Family>,
    controls: &mut ControlTheories,
) -> Result<Vec<CheckInput>, Error> {
    let exp = cell.exp;
    let mut out: Vec<CheckInput> = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let family = builtin.map_or_else(|| family_of(s), |f| f.name().to_string());
        let finish = |c: CheckInput| {
            let source = c.source;
            let mut c = c.with_side(s.side).with_role(s.role);
            c.allowance = allowance_of(s, source);
            c
        };
        let measure = |name: &str, st: &Stat<'_>| -> Option<CheckInput> {
            if matches!(s.statistic, Statistic::PhaseMean { .. }) {
                pooled_check(name, &family, &[(cell, st)])
            } else {
                cell_check(name, &family, cell, st)
            }
        };
        let name_of = |k: Key| match k {
            Key::One => s.name.clone(),
            Key::At(j, q) => format!("{}.{}@t={:.3}", s.name, q.name(), cell.theory.steps[j].t),
        };
        let real = stats_of(s, s.prediction, cell.theory);
        if real.is_empty() {
            if builtin.is_some() {
                continue;
            }
            return Err(bad(
                i,
                "prediction",
                "the theory has no value for this statistic here".into(),
            )
            .into());
        }
        let wrong_th = match s.control {
            Some(c) => controls.get(c, exp)?,
            None => None,
        };
        let site = s
            .control
            .and_then(|_| control_site(s, &real, cell.theory))
            .map(|(k, _)| *k);
        for (k, st) in &real {
            let name = name_of(*k);
            let Some(chk) = measure(&name, st).map(finish) else {
                continue;
            };
            if let (Some(c), true) = (s.control, site == Some(*k)) {
                let (th_c, pred) = control_source(c, s, cell.theory, wrong_th);
                let wrong = stats_of(s, pred, th_c);
                let role = s.control_role.unwrap_or(s.role);
                let what = c.describe(exp);
                if let Some(off) = phase_mean_offset(s, pred, th_c, cell.theory) {
                    out.extend(control(&chk, off, &what).map(|c2| c2.with_role(role)));
                    out.push(chk);
                    continue;
                }
                match wrong.iter().find(|(kk, _)| kk == k) {
                    Some((_, w)) => {
                        let cname = format!("{name}[control]");
                        out.extend(
                            measure(&cname, w)
                                .map(|c2| finish(c2).control(Some(what)).with_role(role)),
                        );
                    }
                    None if builtin.is_none() => {
                        return Err(bad(
                            i,
                            "control",
                            "the theory has no value for the control here".into(),
                        )
                        .into());
                    }
                    None => {}
                }
            }
            out.push(chk);
        }
    }
    // Each family's real checks before its controls, in declaration order otherwise.
    let mut fams: Vec<String> = Vec::new();
    for c in &out {
        if !fams.contains(&c.family) {
            fams.push(c.family.clone());
        }
    }
    let mut sorted = Vec::with_capacity(out.len());
    for f in fams {
        let (ctl, real): (Vec<CheckInput>, Vec<CheckInput>) = out
            .iter()
            .filter(|c| c.family == f)
            .cloned()
            .partition(|c| c.negative_control.is_some());
        sorted.extend(real);
        sorted.extend(ctl);
    }
    Ok(sorted)
}

/// The built-in families' declarations, parsed once from the embedded
/// `experiments/families.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuiltIn {
    p_hat: Vec<CheckSpec>,
    var_perp: Vec<CheckSpec>,
    phase1_overlaps: Vec<CheckSpec>,
    phase2_overlaps: Vec<CheckSpec>,
    weight_estimates: Vec<CheckSpec>,
}

const FAMILIES_TOML: &str = include_str!("../../experiments/families.toml");

fn builtin() -> &'static BuiltIn {
    static B: std::sync::OnceLock<BuiltIn> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        toml::from_str(FAMILIES_TOML).expect("experiments/families.toml parses (tested)")
    })
}

impl Family {
    /// The family's checks, as declared in `experiments/families.toml`.
    pub fn declarations(self) -> &'static [CheckSpec] {
        let b = builtin();
        match self {
            Family::PHat => &b.p_hat,
            Family::VarPerp => &b.var_perp,
            Family::Phase1Overlaps => &b.phase1_overlaps,
            Family::Phase2Overlaps => &b.phase2_overlaps,
            Family::WeightEstimates => &b.weight_estimates,
        }
    }
}

/// The claims' checks declared as data (`experiments/claims.toml`): a table per claim, then
/// per part of it (C7: one list per noise convention).
type ClaimTables =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<CheckSpec>>>;

const CLAIMS_TOML: &str = include_str!("../../experiments/claims.toml");

fn claim_tables() -> &'static ClaimTables {
    static C: std::sync::OnceLock<ClaimTables> = std::sync::OnceLock::new();
    C.get_or_init(|| toml::from_str(CLAIMS_TOML).expect("experiments/claims.toml parses (tested)"))
}

/// The declared checks of part `part` of claim `claim` (`"c7"`, `"fresh"`), from the embedded
/// `experiments/claims.toml`; empty if none are declared.
pub fn claim_declarations(claim: &str, part: &str) -> &'static [CheckSpec] {
    claim_tables()
        .get(claim)
        .and_then(|t| t.get(part))
        .map_or(&[], Vec::as_slice)
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
        assert_eq!(s.control, Some(Control::KappaScale(1.03)));
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

    /// The embedded declarations parse, every family has a control, and the controls are the
    /// sizes the rest of the crate (claims, power) uses.
    #[test]
    fn builtin_families_are_declared_with_their_controls() {
        use crate::harness::families::{
            CONTROL_KAPPA_SCALE, CONTROL_P_SHIFT, CONTROL_SIGMA2_SCALE,
        };
        for f in Family::ALL {
            let d = f.declarations();
            assert!(!d.is_empty(), "{}", f.name());
            let controls: Vec<Control> = d.iter().filter_map(|s| s.control).collect();
            assert!(!controls.is_empty(), "{} has a control", f.name());
            for c in controls {
                assert!(
                    matches!(c, Control::PShift(x) if x == CONTROL_P_SHIFT)
                        || matches!(c, Control::Sigma2Scale(x) if x == CONTROL_SIGMA2_SCALE)
                        || matches!(c, Control::KappaScale(x) if x == CONTROL_KAPPA_SCALE),
                    "{}: {c:?}",
                    f.name()
                );
            }
            assert!(
                d.iter().any(|s| s.role == Role::Primary),
                "{} has a primary test",
                f.name()
            );
        }
    }

    /// The claims' declarations parse, and every part has a primary test and a control.
    #[test]
    fn claim_declarations_parse_with_their_controls() {
        let t = claim_tables();
        assert!(t.contains_key("c7"));
        for (claim, parts) in t {
            for (part, specs) in parts {
                assert!(!specs.is_empty(), "{claim}.{part}");
                assert!(specs.iter().any(|s| s.control.is_some()), "{claim}.{part}");
                assert!(
                    specs.iter().any(|s| s.role == Role::Primary),
                    "{claim}.{part}"
                );
            }
        }
        let fresh = claim_declarations("c7", "fresh");
        assert_eq!(
            fresh[1].control,
            Some(Control::Prediction(Predict::FiniteNForm(Noise::Fixed)))
        );
        assert_eq!(fresh[1].control_role, Some(Role::Diagnostic));
        assert!(claim_declarations("c7", "none").is_empty());
    }

    /// `finite_n_form` has values in phase 2 only, and a phase-mean control against the other
    /// convention's form validates (it moves the phase mean).
    #[test]
    fn finite_n_form_is_a_phase_2_prediction() {
        let mut exp = crate::harness::Preset::Quick.experiment();
        exp.train.problem.d = 400;
        exp.train.problem.n = 16;
        exp.train.problem.steps = 10;
        exp.train.engine = crate::train::EngineConfig::averaged(Noise::Fixed);
        let ok = parse(
            r#"
            name = "c_mean"
            role = "primary"
            statistic = { kind = "phase_mean", overlap = "c", phase = 2 }
            prediction = "reduced_or_finite_n"
            control = { prediction = { finite_n_form = "fresh" } }
            control_role = "diagnostic"
            "#,
        )
        .unwrap();
        validate(&exp, &[ok]).unwrap();
        let phase1 = parse(
            r#"
            name = "c1"
            statistic = { kind = "each_time", overlaps = ["c"], phase = 1 }
            prediction = { finite_n_form = "fixed" }
            control = { p_shift = 0.02 }
            "#,
        )
        .unwrap();
        let e = validate(&exp, &[phase1]).unwrap_err().to_string();
        assert!(e.contains("checks[0].prediction"), "{e}");
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
