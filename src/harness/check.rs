//! Statistical checks (SPEC §6): a measured value against a named prediction,
//!
//! |measured − prediction| ≤ t·SE + δ,
//!
//! with t the Student-t critical value at the level the Holm step-down procedure assigns the
//! check within its tier, and δ a declared systematic allowance with its source and kind
//! ([`AllowanceKind`], SPEC §6: zero for a prediction claimed exact, a numerical tolerance
//! computed from the computation, a finite-size term computed by the theory, or the claim's
//! own definitional bound; never a bias measured on replicas of the code under test).
//! Equivalently, the check's p-value is that of t = max(dev − δ, 0)/SE (two-sided for
//! [`Side::TwoSided`], one-sided for a bound) and Holm rejects at the tier's level.
//!
//! # The measured value carries its degrees of freedom
//! A [`Measured`] value is a point, a standard error and a [`Dof`]: a replica mean (R − 1
//! degrees of freedom), a linear combination of replica means such as a pooled residual or
//! a weighted fit on cell means (Welch–Satterthwaite degrees of freedom), a fit whose SE
//! comes from its own residuals (points − parameters), or an exact value (no SE: the verdict
//! is |value − prediction| ≤ δ, deterministic, and the check takes no part in the
//! multiple-comparison correction).
//!
//! # Two tiers: primary tests and diagnostics
//! Each claim or family pre-declares a few [`Role::Primary`] tests (pooled statistics that
//! carry the claim, each aimed at what a perturbation of p, σ², κ or the sampler would move);
//! the many per-time checks are [`Role::Diagnostic`]. The family-wise level α is split by
//! Bonferroni between the tiers ([`PRIMARY_SHARE`] of α to the primary tier, the rest to
//! the diagnostics), with Holm's step-down within each, so the probability that any real
//! check of a run fails when every prediction is right stays ≤ α, while a primary test
//! competes with a few dozen others instead of with every per-time check. Both tiers count
//! in the verdict.
//!
//! Negative controls (the same data against a deliberately wrong prediction) are judged at
//! the strictest threshold of their tier, Bonferroni α_tier/m_tier, so "the control failed"
//! is never an artefact of a lenient threshold. They are not part of the Holm family. A
//! family without a negative control is an error ([`CheckError::NoControl`]): a harness that
//! cannot fail is a defect.

use crate::stats::{holm, t_inverse_cdf, t_upper_tail};
use serde::{Deserialize, Serialize};

/// Share of the family-wise α given to the primary tier (the rest goes to the diagnostics).
/// Higher: more power for the primary tests, less for the per-time diagnostics.
pub const PRIMARY_SHARE: f64 = 0.9;

/// Where a prediction comes from (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Bayes-optimal denoiser at finite d (§5.1).
    Bayes,
    /// d → ∞ limit on the dilated schedule (§5.2).
    Limit,
    /// Finite n, d → ∞ (§5.3).
    FiniteN,
    /// The reduced theory at this d and n (`theory::reduced`: the minimiser of R_k with the
    /// projection-resolved mean Gram matrix, binomial average over n₊).
    Reduced,
    /// Exact Euler integration of the Bayes denoiser on the grid (§5.4).
    GeneratedEuler,
    /// Exact Euler integration of the finite-n denoiser's linear part on the grid (§5.3 +
    /// §5.4: the generated within-mode variance).
    FiniteNEuler,
    /// An experiment on data (the digits): a declared threshold or the null hypothesis of
    /// no difference between two arms.
    Experiment,
    /// A constant declared in an experiment file's check ([`super::declared`]).
    Constant,
    /// The closed forms of the class channel (§10: MSE excess, SDE and ODE U-turns, sum
    /// rule).
    Channel,
}

impl Source {
    /// A short description for allowance sources and reports.
    pub fn describe(&self) -> &'static str {
        match self {
            Source::Bayes => "Bayes denoiser at this d (§5.1)",
            Source::Limit => "d → ∞ limit (§5.2)",
            Source::FiniteN => "finite-n theory at this d (§5.3)",
            Source::Reduced => "reduced theory (minimiser of R_k at this d and n)",
            Source::GeneratedEuler => "exact Euler with the Bayes denoiser (§5.4)",
            Source::FiniteNEuler => "exact Euler with the finite-n c_k (§5.3 + §5.4)",
            Source::Experiment => "experiment on data",
            Source::Constant => "a constant declared in the experiment file",
            Source::Channel => "class channel closed forms (§10)",
        }
    }
}

/// What kind of reason a δ has: SPEC §6's four sources and nothing else. δ never depends on
/// the code under test (issue 22): no kind is measured on replicas of the same code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowanceKind {
    /// (a) Zero: the prediction is claimed exact at this (d, n, K, path, schedule), or the
    /// measured value and the prediction are both closed forms.
    #[default]
    Exact,
    /// (a) Zero, for an intercept of a finite-size-scaling fit tested against a d → ∞ or
    /// n → ∞ limit (the size dependence is fitted, SPEC §6).
    Fitted,
    /// (b) A numerical tolerance computed from the computation itself (a solver's certified
    /// distance to its minimiser, a quadrature or truncation bound).
    Numerical,
    /// (c) A finite-size term computed by the theory (e.g. the finite-d theory minus its
    /// d → ∞ limit when a check compares with the limit).
    FiniteSize,
    /// (d) Part of the claim's statement (e.g. "flat" means a log-log slope ≤ 0.1, "kept"
    /// means within a quarter of the way to the degenerate value), not a tolerance.
    Definition,
}

/// A declared systematic allowance δ ≥ 0, where it comes from and what kind of reason it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allowance {
    /// δ.
    pub delta: f64,
    /// Its stated source, e.g. "c*β: the O(1/d) term the phase-1 form leaves out".
    pub source: String,
    /// The kind of reason.
    pub kind: AllowanceKind,
}

impl Allowance {
    /// An allowance of a kind.
    pub fn new(delta: f64, kind: AllowanceKind, source: impl Into<String>) -> Self {
        Self {
            delta,
            source: source.into(),
            kind,
        }
    }
    /// (c) A finite-size term computed by the theory.
    pub fn derived(delta: f64, source: impl Into<String>) -> Self {
        Self::new(delta, AllowanceKind::FiniteSize, source)
    }
    /// (b) A numerical tolerance computed from the computation.
    pub fn numerical(delta: f64, source: impl Into<String>) -> Self {
        Self::new(delta, AllowanceKind::Numerical, source)
    }
    /// Zero: exact value against an exact prediction.
    pub fn exact(source: impl Into<String>) -> Self {
        Self::new(0.0, AllowanceKind::Exact, source)
    }
    /// Zero: the size dependence is fitted.
    pub fn fitted(source: impl Into<String>) -> Self {
        Self::new(0.0, AllowanceKind::Fitted, source)
    }
    /// Part of a claim's definition.
    pub fn definition(delta: f64, source: impl Into<String>) -> Self {
        Self::new(delta, AllowanceKind::Definition, source)
    }
}

/// How the uncertainty of a measured value is known: its degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dof {
    /// The mean of R seeded replicas, SE from their spread: Student t with R − 1 df.
    Replicas {
        /// R.
        r: usize,
    },
    /// A linear combination of replica means (a pooled residual, a paired difference, a
    /// weighted fit on cell means): Student t with Welch–Satterthwaite df (∞ is normal).
    Pooled {
        /// Effective degrees of freedom.
        df: f64,
    },
    /// A least-squares fit whose SE comes from its own residuals: points − parameters df.
    Fit {
        /// Residual degrees of freedom.
        df: usize,
    },
    /// A closed-form value without statistical uncertainty.
    Exact,
}

impl Dof {
    /// Degrees of freedom of the t distribution; `None` for an exact value.
    pub fn df(&self) -> Option<f64> {
        match *self {
            Dof::Replicas { r } => Some(r.saturating_sub(1) as f64),
            Dof::Pooled { df } => Some(df),
            Dof::Fit { df } => Some(df as f64),
            Dof::Exact => None,
        }
    }
}

/// A measured value: point, standard error and degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// The value.
    pub point: f64,
    /// Its standard error (0 for an exact value).
    pub se: f64,
    /// How the SE is known.
    pub dof: Dof,
}

impl Measured {
    /// A closed-form value.
    pub fn exact(point: f64) -> Self {
        Self {
            point,
            se: 0.0,
            dof: Dof::Exact,
        }
    }
    /// A linear combination with Welch–Satterthwaite df.
    pub fn pooled(point: f64, se: f64, df: f64) -> Self {
        Self {
            point,
            se,
            dof: Dof::Pooled { df },
        }
    }
    /// A fit with residual df.
    pub fn fit(point: f64, se: f64, df: usize) -> Self {
        Self {
            point,
            se,
            dof: Dof::Fit { df },
        }
    }
    /// Σ_j w_j·x_j of independent measured values (each with its df): the point, the
    /// propagated SE and the Welch–Satterthwaite df. Exact terms add no variance.
    pub fn combine(terms: &[(f64, Measured)]) -> Self {
        let point = terms.iter().map(|(w, m)| w * m.point).sum();
        let parts: Vec<(f64, f64, f64)> = terms
            .iter()
            .filter_map(|(w, m)| m.dof.df().map(|df| (*w, m.se, df)))
            .collect();
        if parts.is_empty() {
            return Self::exact(point);
        }
        let se = parts
            .iter()
            .map(|(w, s, _)| (w * s).powi(2))
            .sum::<f64>()
            .sqrt();
        Self::pooled(point, se, crate::stats::satterthwaite(&parts))
    }
    /// Two-sided t-interval at `level` (the point itself for an exact value).
    pub fn ci(&self, level: f64) -> [f64; 2] {
        match self.dof.df() {
            Some(df) => {
                let h = t_inverse_cdf(0.5 + level / 2.0, df) * self.se;
                [self.point - h, self.point + h]
            }
            None => [self.point, self.point],
        }
    }
}

impl From<crate::stats::Estimate> for Measured {
    fn from(e: crate::stats::Estimate) -> Self {
        Self {
            point: e.point,
            se: e.se,
            dof: Dof::Replicas { r: e.n },
        }
    }
}

/// Which deviations count against a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// |measured − prediction| ≤ t·SE + δ.
    #[default]
    TwoSided,
    /// measured ≤ prediction + δ + t·SE (a bound from above, e.g. "errors do not grow").
    AtMost,
    /// measured ≥ prediction − δ − t·SE.
    AtLeast,
}

/// Which tier of the multiple-comparison correction a check belongs to (module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A pre-declared primary test of a claim or family.
    Primary,
    /// A per-time or per-size diagnostic.
    #[default]
    Diagnostic,
}

/// Why a set of checks cannot be evaluated (defined with the library's error).
pub use crate::error::CheckError;

/// One check before evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInput {
    /// Unique name, e.g. `phase2.c@t=1.40`.
    pub name: String,
    /// Family (one negative control per family at least), e.g. `phase2_overlaps`.
    pub family: String,
    /// The measured value.
    pub measured: Measured,
    /// Predicted value.
    pub prediction: f64,
    /// Where the prediction comes from.
    pub source: Source,
    /// Declared allowance.
    pub allowance: Allowance,
    /// A description of the deliberate error, for a negative control; `None` for a real check.
    pub negative_control: Option<String>,
    /// Two-sided (the default) or a one-sided bound.
    pub side: Side,
    /// Primary test or diagnostic (default diagnostic).
    pub role: Role,
}

impl CheckInput {
    /// A real, two-sided diagnostic check.
    pub fn new(
        name: impl Into<String>,
        family: impl Into<String>,
        measured: impl Into<Measured>,
        prediction: f64,
        source: Source,
        allowance: Allowance,
    ) -> Self {
        Self {
            name: name.into(),
            family: family.into(),
            measured: measured.into(),
            prediction,
            source,
            allowance,
            negative_control: None,
            side: Side::TwoSided,
            role: Role::Diagnostic,
        }
    }

    /// Make this a negative control with the described deliberate error (`None`: a real check).
    pub fn control(mut self, what: Option<String>) -> Self {
        self.negative_control = what;
        self
    }

    /// Make this a one-sided bound.
    pub fn with_side(mut self, side: Side) -> Self {
        self.side = side;
        self
    }

    /// Put this check in a tier.
    pub fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }

    /// A primary test.
    pub fn primary(self) -> Self {
        self.with_role(Role::Primary)
    }
}

/// One evaluated check, as it appears in reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Unique name.
    pub name: String,
    /// Family.
    pub family: String,
    /// Primary test or diagnostic.
    pub role: Role,
    /// Predicted value.
    pub prediction: f64,
    /// Prediction source.
    pub source: Source,
    /// Measured value.
    pub measured: f64,
    /// Its standard error (0 for an exact value).
    pub se: f64,
    /// How the SE is known (its degrees of freedom).
    pub dof: Dof,
    /// Its t-interval at the run's nominal level 1 − α.
    pub ci: [f64; 2],
    /// Declared allowance δ.
    pub allowance: f64,
    /// Source of δ.
    pub allowance_source: String,
    /// Kind of reason for δ.
    pub allowance_kind: AllowanceKind,
    /// δ/SE: how many standard errors a prediction may be off and still pass (`null` for an
    /// exact value).
    pub delta_over_se: Option<f64>,
    /// max(dev − δ, 0)/SE with dev the signed or absolute deviation (`f64::MAX` for an
    /// excess with SE = 0).
    pub statistic: f64,
    /// p-value of `statistic` (two-sided, or one-sided for a bound); 1 or 0 for an exact
    /// value.
    pub p_value: f64,
    /// The level the verdict used (the Holm level of a real check, the tier's Bonferroni level
    /// of a control); `null` for an exact value.
    pub level: Option<f64>,
    /// The critical value of `statistic` at `level` (0 for an exact value: any excess over δ
    /// fails).
    pub critical: f64,
    /// The check's own verdict. For a negative control, `false` is the expected outcome.
    pub passed: bool,
    /// The deliberate error of a negative control, `null` for a real check.
    pub negative_control: Option<String>,
    /// Two-sided or one-sided.
    pub side: Side,
}

impl CheckResult {
    /// True if this result is what a correct harness should produce: a real check passed,
    /// or a negative control failed.
    pub fn as_expected(&self) -> bool {
        match self.negative_control {
            None => self.passed,
            Some(_) => !self.passed,
        }
    }
}

fn statistic(c: &CheckInput) -> f64 {
    let dev = c.measured.point - c.prediction;
    let dev = match c.side {
        Side::TwoSided => dev.abs(),
        Side::AtMost => dev,
        Side::AtLeast => -dev,
    };
    let excess = (dev - c.allowance.delta).max(0.0);
    if excess == 0.0 {
        0.0
    } else if c.measured.se > 0.0 {
        excess / c.measured.se
    } else {
        f64::INFINITY
    }
}

/// p-value of a statistic: two-sided for [`Side::TwoSided`], one-sided for a bound (the
/// one-sided critical value and the one-sided p-value describe the same test).
fn p_value(c: &CheckInput, t: f64) -> f64 {
    match c.measured.dof.df() {
        None => {
            if t > 0.0 {
                0.0
            } else {
                1.0
            }
        }
        Some(df) => {
            let tail = t_upper_tail(t, df);
            match c.side {
                Side::TwoSided => (2.0 * tail).min(1.0),
                Side::AtMost | Side::AtLeast => tail,
            }
        }
    }
}

/// The critical value of a test at level `lvl`.
fn critical(c: &CheckInput, lvl: f64) -> f64 {
    match c.measured.dof.df() {
        None => 0.0,
        Some(df) => match c.side {
            Side::TwoSided => t_inverse_cdf(1.0 - lvl / 2.0, df),
            Side::AtMost | Side::AtLeast => t_inverse_cdf(1.0 - lvl, df),
        },
    }
}

/// JSON has no infinity (serde_json would write `null`, which does not read back as a
/// number): +∞ is reported as `f64::MAX`.
fn json_safe(v: f64) -> f64 {
    if v == f64::INFINITY { f64::MAX } else { v }
}

/// The family-wise level of a tier.
pub fn tier_alpha(role: Role, alpha: f64) -> f64 {
    match role {
        Role::Primary => alpha * PRIMARY_SHARE,
        Role::Diagnostic => alpha * (1.0 - PRIMARY_SHARE),
    }
}

/// Every family must have a negative control.
fn require_controls(inputs: &[CheckInput]) -> Result<(), CheckError> {
    let mut families: Vec<&str> = inputs.iter().map(|c| c.family.as_str()).collect();
    families.sort_unstable();
    families.dedup();
    for f in families {
        let of = inputs.iter().filter(|c| c.family == f);
        if !of.clone().any(|c| c.negative_control.is_some()) {
            return Err(CheckError::NoControl {
                family: f.to_string(),
                checks: of.count(),
            });
        }
    }
    Ok(())
}

/// Evaluate all checks of a run at family-wise level `alpha` (e.g. 0.01), results in input
/// order (module doc: two tiers, Holm within each, controls at their tier's Bonferroni
/// level, exact values compared with δ directly).
///
/// # Errors
/// [`CheckError::NoControl`] if a family has no negative control.
pub fn evaluate(inputs: &[CheckInput], alpha: f64) -> Result<Vec<CheckResult>, CheckError> {
    require_controls(inputs)?;
    let stats: Vec<f64> = inputs.iter().map(statistic).collect();
    let pv: Vec<f64> = inputs
        .iter()
        .zip(&stats)
        .map(|(c, &t)| p_value(c, t))
        .collect();
    let mut level: Vec<Option<f64>> = vec![None; inputs.len()];
    let mut passed: Vec<bool> = stats.iter().map(|&t| t == 0.0).collect();
    for role in [Role::Primary, Role::Diagnostic] {
        let a = tier_alpha(role, alpha);
        let statistical = |c: &CheckInput| c.role == role && c.measured.dof.df().is_some();
        let real: Vec<usize> = (0..inputs.len())
            .filter(|&i| inputs[i].negative_control.is_none() && statistical(&inputs[i]))
            .collect();
        let m = real.len().max(1);
        let real_p: Vec<f64> = real.iter().map(|&i| pv[i]).collect();
        let rejected = holm(&real_p, a);
        // Holm level of each real check: a/(m − rank) with rank in ascending p order (the
        // same order `holm` uses), reported as the level the verdict used.
        let mut order: Vec<usize> = (0..real.len()).collect();
        order.sort_by(|&x, &y| real_p[x].total_cmp(&real_p[y]).then(x.cmp(&y)));
        for (rank, &j) in order.iter().enumerate() {
            level[real[j]] = Some(a / (m - rank) as f64);
        }
        for (j, &i) in real.iter().enumerate() {
            passed[i] = !rejected[j];
        }
        // Controls: the strictest real threshold of the tier.
        for (i, c) in inputs.iter().enumerate() {
            if c.negative_control.is_some() && statistical(c) {
                let bonf = a / m as f64;
                level[i] = Some(bonf);
                passed[i] = pv[i] > bonf;
            }
        }
    }
    Ok(inputs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let crit = level[i].map_or(0.0, |l| critical(c, l));
            let se = c.measured.se;
            CheckResult {
                name: c.name.clone(),
                family: c.family.clone(),
                role: c.role,
                prediction: c.prediction,
                source: c.source,
                measured: c.measured.point,
                se,
                dof: c.measured.dof,
                ci: c.measured.ci(1.0 - alpha),
                allowance: c.allowance.delta,
                allowance_source: c.allowance.source.clone(),
                allowance_kind: c.allowance.kind,
                delta_over_se: (se > 0.0 && c.measured.dof.df().is_some())
                    .then(|| c.allowance.delta / se),
                statistic: json_safe(stats[i]),
                p_value: pv[i],
                level: level[i],
                critical: json_safe(crit),
                passed: passed[i],
                negative_control: c.negative_control.clone(),
                side: c.side,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(point: f64, se: f64, pred: f64, neg: bool) -> CheckInput {
        CheckInput {
            name: format!("x{point}"),
            family: "f".into(),
            measured: Measured {
                point,
                se,
                dof: Dof::Replicas { r: 16 },
            },
            prediction: pred,
            source: Source::Bayes,
            allowance: Allowance::derived(0.01, "test"),
            negative_control: neg.then(|| "shifted".to_string()),
            side: Side::TwoSided,
            role: Role::Diagnostic,
        }
    }

    fn with_control(mut v: Vec<CheckInput>) -> Vec<CheckInput> {
        v.push(input(0.0, 0.001, 1.0, true));
        v
    }

    #[test]
    fn one_sided_bounds() {
        let mut up = input(0.80, 0.005, 0.70, false);
        up.side = Side::AtLeast; // 0.80 ≥ 0.70: holds
        let mut down = input(0.80, 0.005, 0.70, false);
        down.side = Side::AtMost; // 0.80 ≤ 0.70 + δ: violated
        let r = evaluate(&with_control(vec![up, down]), 0.01).unwrap();
        assert!(r[0].passed && !r[1].passed, "{r:?}");
    }

    #[test]
    fn one_sided_checks_are_judged_on_their_one_sided_p_value() {
        // A bound exceeded by t between the one-sided and the two-sided critical values must
        // fail: the verdict and the printed critical value describe the same one-sided test
        // (issue 11: it used to be judged on the two-sided p-value, at half its level).
        let alpha = 0.01;
        let lvl = tier_alpha(Role::Diagnostic, alpha); // a single real check: Holm level a/1
        let (one, two) = (
            t_inverse_cdf(1.0 - lvl, 15.0),
            t_inverse_cdf(1.0 - lvl / 2.0, 15.0),
        );
        let t = 0.5 * (one + two);
        let se = 0.01;
        let mut c = input(0.5 + 0.01 + t * se, se, 0.5, false);
        c.side = Side::AtMost;
        let r = evaluate(&with_control(vec![c]), alpha).unwrap();
        assert!(
            !r[0].passed,
            "t = {t} above the one-sided critical {one}: {r:?}"
        );
        assert!((r[0].critical - one).abs() < 1e-9, "{r:?}");
        assert!((r[0].p_value - t_upper_tail(t, 15.0)).abs() < 1e-12);
    }

    #[test]
    fn correct_prediction_passes_and_shifted_control_fails() {
        let r = evaluate(
            &[
                input(0.80, 0.005, 0.805, false),
                input(0.80, 0.005, 0.90, true),
            ],
            0.01,
        )
        .unwrap();
        assert!(r[0].passed && r[0].as_expected());
        assert!(!r[1].passed && r[1].as_expected());
        // inside the allowance the statistic is exactly zero
        assert!(r[0].statistic.abs() < crate::tol::EXACT);
        assert!((r[0].delta_over_se.unwrap() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_wrong_prediction_fails() {
        let r = evaluate(&with_control(vec![input(0.80, 0.005, 0.86, false)]), 0.01).unwrap();
        assert!(!r[0].passed, "{r:?}");
    }

    #[test]
    fn control_within_tolerance_is_reported_as_unexpected() {
        let r = evaluate(
            &[
                input(0.80, 0.005, 0.80, false),
                input(0.80, 0.005, 0.805, true),
            ],
            0.01,
        )
        .unwrap();
        assert!(r[1].passed && !r[1].as_expected());
    }

    #[test]
    fn a_family_without_a_control_is_an_error() {
        let mut other = input(0.8, 0.005, 0.8, false);
        other.family = "g".into();
        let e = evaluate(&with_control(vec![other]), 0.01).unwrap_err();
        assert_eq!(
            e,
            CheckError::NoControl {
                family: "g".into(),
                checks: 1
            }
        );
    }

    #[test]
    fn exact_values_are_compared_with_delta_and_take_no_part_in_holm() {
        let exact = |point: f64, neg: bool| {
            let mut c = input(point, 0.0, 0.5, neg);
            c.measured = Measured::exact(point);
            c
        };
        let r = evaluate(
            &[
                exact(0.505, false),
                exact(0.52, false),
                exact(0.6, true),
                input(0.80, 0.005, 0.80, false),
            ],
            0.01,
        )
        .unwrap();
        assert!(r[0].passed && !r[1].passed && !r[2].passed, "{r:?}");
        assert!(r[0].level.is_none() && r[0].delta_over_se.is_none());
        // the statistical check is alone in its Holm family: level = the whole tier's α
        let a = tier_alpha(Role::Diagnostic, 0.01);
        assert!((r[3].level.unwrap() - a).abs() < 1e-15, "{r:?}");
    }

    #[test]
    fn tiers_split_alpha_and_controls_use_their_tier() {
        let mut p = input(0.80, 0.005, 0.80, false);
        p.role = Role::Primary;
        let mut pc = input(0.80, 0.005, 0.90, true);
        pc.role = Role::Primary;
        let d: Vec<CheckInput> = (0..9).map(|_| input(0.80, 0.005, 0.80, false)).collect();
        let mut all = vec![p, pc];
        all.extend(d);
        let r = evaluate(&all, 0.01).unwrap();
        assert!((r[0].level.unwrap() - 0.009).abs() < 1e-15);
        assert!((r[1].level.unwrap() - 0.009).abs() < 1e-15);
        // 9 diagnostics share 0.001: the strictest Holm level is 0.001/9
        let min = r[2..].iter().map(|c| c.level.unwrap()).fold(1.0, f64::min);
        assert!((min - 0.001 / 9.0).abs() < 1e-15, "{min}");
    }

    #[test]
    fn combine_pools_with_satterthwaite_df() {
        let m = |se: f64| Measured {
            point: 1.0,
            se,
            dof: Dof::Replicas { r: 8 },
        };
        let c = Measured::combine(&[(0.5, m(0.1)), (0.5, m(0.1))]);
        assert!((c.point - 1.0).abs() < 1e-15);
        assert!((c.se - 0.1 / 2f64.sqrt()).abs() < 1e-15);
        assert!(matches!(c.dof, Dof::Pooled { df } if (df - 14.0).abs() < 1e-9));
        assert_eq!(
            Measured::combine(&[(1.0, Measured::exact(2.0))]).dof,
            Dof::Exact
        );
    }
}
