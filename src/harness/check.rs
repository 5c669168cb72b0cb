//! Statistical checks (SPEC §6): a replica statistic against a named prediction,
//!
//! |mean − prediction| ≤ t·SE + δ,
//!
//! with t the Student-t critical value (df = R − 1) at the level the Holm step-down
//! procedure assigns across all real checks of a run, and δ a declared systematic
//! allowance with its source. Equivalently, the check's p-value is that of
//! t = max(|mean − prediction| − δ, 0)/SE and Holm rejects at family-wise level α.
//!
//! Negative controls (the same data against a deliberately wrong prediction) are judged at
//! the strictest real threshold, Bonferroni α/m, so "the control failed" is never an
//! artefact of a lenient threshold. They are not part of the Holm family.

use crate::stats::{Estimate, holm, t_p_value, t_quantile};
use serde::{Deserialize, Serialize};

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
}

/// A declared systematic allowance δ ≥ 0 and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allowance {
    /// δ.
    pub delta: f64,
    /// Its stated source, e.g. "O(1/√d) finite-size term §5.1 vs §5.2".
    pub source: String,
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

/// One check before evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInput {
    /// Unique name, e.g. `phase2.c@t=1.40`.
    pub name: String,
    /// Family (one negative control per family at least), e.g. `phase2_overlaps`.
    pub family: String,
    /// The measured replica statistic.
    pub measured: Estimate,
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
}

impl CheckInput {
    /// A real, two-sided check.
    pub fn new(
        name: impl Into<String>,
        family: impl Into<String>,
        measured: Estimate,
        prediction: f64,
        source: Source,
        allowance: Allowance,
    ) -> Self {
        Self {
            name: name.into(),
            family: family.into(),
            measured,
            prediction,
            source,
            allowance,
            negative_control: None,
            side: Side::TwoSided,
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
}

/// One evaluated check, as it appears in reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Unique name.
    pub name: String,
    /// Family.
    pub family: String,
    /// Predicted value.
    pub prediction: f64,
    /// Prediction source.
    pub source: Source,
    /// Measured mean over replicas.
    pub measured: f64,
    /// Its standard error.
    pub se: f64,
    /// Its t-interval at the run's nominal level.
    pub ci: [f64; 2],
    /// Declared allowance δ.
    pub allowance: f64,
    /// Source of δ.
    pub allowance_source: String,
    /// max(|measured − prediction| − δ, 0)/SE (`f64::MAX` for an excess with SE = 0).
    pub statistic: f64,
    /// Two-sided p-value of `statistic` (df = R − 1).
    pub p_value: f64,
    /// The critical value the verdict used (Holm level for real checks, Bonferroni for
    /// negative controls).
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

/// JSON has no infinity (serde_json would write `null`, which does not read back as a
/// number): +∞ is reported as `f64::MAX`.
fn json_safe(v: f64) -> f64 {
    if v == f64::INFINITY { f64::MAX } else { v }
}

/// Evaluate all checks of a run at family-wise level `alpha` (e.g. 0.01).
/// Results keep the input order.
pub fn evaluate(inputs: &[CheckInput], alpha: f64) -> Vec<CheckResult> {
    let real: Vec<usize> = (0..inputs.len())
        .filter(|&i| inputs[i].negative_control.is_none())
        .collect();
    let m = real.len().max(1);
    let stats: Vec<f64> = inputs.iter().map(statistic).collect();
    let df = |c: &CheckInput| c.measured.n.saturating_sub(1);
    let pv: Vec<f64> = inputs
        .iter()
        .zip(&stats)
        .map(|(c, &t)| t_p_value(t, df(c)))
        .collect();
    let real_p: Vec<f64> = real.iter().map(|&i| pv[i]).collect();
    let rejected = holm(&real_p, alpha);
    // Holm level of each real check: α/(m − rank) with rank in ascending p order (the same
    // order `holm` uses), reported as the critical value the verdict used.
    let mut order: Vec<usize> = (0..real.len()).collect();
    order.sort_by(|&a, &b| real_p[a].total_cmp(&real_p[b]).then(a.cmp(&b)));
    let mut level = vec![alpha / m as f64; inputs.len()];
    for (rank, &j) in order.iter().enumerate() {
        level[real[j]] = alpha / (m - rank) as f64;
    }
    let mut passed = vec![false; inputs.len()];
    for (j, &i) in real.iter().enumerate() {
        passed[i] = !rejected[j];
    }
    inputs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let lvl = level[i];
            let crit = match c.side {
                Side::TwoSided => t_quantile(1.0 - lvl, df(c)),
                Side::AtMost | Side::AtLeast => t_quantile(1.0 - 2.0 * lvl, df(c)),
            };
            let ok = if c.negative_control.is_some() {
                // Bonferroni: the strictest real threshold.
                pv[i] > alpha / m as f64
            } else {
                passed[i]
            };
            CheckResult {
                name: c.name.clone(),
                family: c.family.clone(),
                prediction: c.prediction,
                source: c.source,
                measured: c.measured.point,
                se: c.measured.se,
                ci: c.measured.ci,
                allowance: c.allowance.delta,
                allowance_source: c.allowance.source.clone(),
                statistic: json_safe(stats[i]),
                p_value: pv[i],
                critical: json_safe(crit),
                passed: ok,
                negative_control: c.negative_control.clone(),
                side: c.side,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(point: f64, se: f64, pred: f64, neg: bool) -> CheckInput {
        CheckInput {
            name: format!("x{point}"),
            family: "f".into(),
            measured: Estimate {
                point,
                se,
                ci: [point - 2.0 * se, point + 2.0 * se],
                level: 0.99,
                n: 16,
            },
            prediction: pred,
            source: Source::Bayes,
            allowance: Allowance {
                delta: 0.01,
                source: "test".into(),
            },
            negative_control: neg.then(|| "shifted".to_string()),
            side: Side::TwoSided,
        }
    }

    #[test]
    fn one_sided_bounds() {
        let mut up = input(0.80, 0.005, 0.70, false);
        up.side = Side::AtLeast; // 0.80 ≥ 0.70: holds
        let mut down = input(0.80, 0.005, 0.70, false);
        down.side = Side::AtMost; // 0.80 ≤ 0.70 + δ: violated
        let r = evaluate(&[up, down], 0.01);
        assert!(r[0].passed && !r[1].passed, "{r:?}");
    }

    #[test]
    fn correct_prediction_passes_and_shifted_control_fails() {
        let r = evaluate(
            &[
                input(0.80, 0.005, 0.805, false),
                input(0.80, 0.005, 0.90, true),
            ],
            0.01,
        );
        assert!(r[0].passed && r[0].as_expected());
        assert!(!r[1].passed && r[1].as_expected());
        // inside the allowance the statistic is exactly zero
        assert!(r[0].statistic.abs() < crate::tol::EXACT);
    }

    #[test]
    fn a_wrong_prediction_fails() {
        let r = evaluate(&[input(0.80, 0.005, 0.86, false)], 0.01);
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
        );
        assert!(r[1].passed && !r[1].as_expected());
    }
}
