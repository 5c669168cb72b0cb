//! Finite-size scaling (issue 11, SPEC §6): a claim about d → ∞ (or n → ∞) is tested by
//! measuring the statistic on a ladder of sizes and extrapolating, instead of allowing an
//! a-priori δ for the finite-size terms.
//!
//! With x = 1/√d (or x = 1/n) and the cell means y_j ± s_j of R_j replicas each, the model
//! y = a + b·x is fitted by weighted least squares. **The rule, declared before any run:** if
//! its weighted residual χ² exceeds the 99 % quantile of χ² with J − 2 degrees of freedom
//! and the ladder has J ≥ 4 sizes, the fit is y = a + b·x + c·x² instead (the c/d, c/n²
//! term). The intercept a = Σ_j λ_j y_j is a linear combination of independent replica
//! means: its SE propagates the s_j and its degrees of freedom are Welch–Satterthwaite's.
//! The check is a against the limit prediction with δ = 0 ("the size dependence is fitted").

use super::check::{Dof, Measured};
use crate::plot::{Panel, Series};
use crate::stats::{chi2_quantile, wls_poly};
use serde::{Deserialize, Serialize};

/// The confidence of the goodness-of-fit rule.
pub const FSS_RULE_LEVEL: f64 = 0.99;

/// Which size is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Along {
    /// x = 1/√d (the d → ∞ limit at fixed n).
    D,
    /// x = 1/n (the n → ∞ limit at fixed d).
    N,
}

impl Along {
    /// x of a size.
    pub fn x(&self, size: usize) -> f64 {
        match self {
            Along::D => 1.0 / (size as f64).sqrt(),
            Along::N => 1.0 / size as f64,
        }
    }
    /// The axis label of x.
    pub fn label(&self) -> &'static str {
        match self {
            Along::D => "1/√d",
            Along::N => "1/n",
        }
    }
}

/// One size of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FssPoint {
    /// d or n.
    pub size: usize,
    /// 1/√d or 1/n.
    pub x: f64,
    /// The cell mean.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
    /// Its degrees of freedom (R − 1).
    pub df: f64,
}

/// A finite-size-scaling fit and its intercept (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FssFit {
    /// What was fitted, e.g. `omega@t=0.50`.
    pub statistic: String,
    /// d or n.
    pub along: Along,
    /// The ladder.
    pub points: Vec<FssPoint>,
    /// Coefficients a, b[, c] of a + b·x (+ c·x²).
    pub coef: Vec<f64>,
    /// Weighted residual χ² of the chosen model.
    pub chi2: f64,
    /// The χ² of the linear model and its threshold (the rule's decision).
    pub chi2_linear: (f64, f64),
    /// The intercept a with its SE and df.
    pub intercept: Measured,
    /// The limit the theory predicts for a.
    pub limit: f64,
}

impl FssFit {
    /// The declared rule in words.
    pub fn rule(&self) -> String {
        format!(
            "a + b·x{} with x = {} (c·x² added only if the linear fit's χ² {:.2} exceeds its {:.0} % quantile {:.2})",
            if self.coef.len() > 2 { " + c·x²" } else { "" },
            self.along.label(),
            self.chi2_linear.0,
            100.0 * FSS_RULE_LEVEL,
            self.chi2_linear.1
        )
    }

    /// A figure panel: the cell means with their intervals against x, the fit, and the
    /// predicted limit at x = 0.
    pub fn panel(&self, y: &str) -> Panel {
        let xs: Vec<f64> = self.points.iter().map(|p| p.x).collect();
        let ys: Vec<f64> = self.points.iter().map(|p| p.value).collect();
        let es: Vec<f64> = self.points.iter().map(|p| 2.0 * p.se).collect();
        let xmax = xs.iter().copied().fold(0.0, f64::max);
        let grid: Vec<f64> = (0..=50).map(|i| xmax * i as f64 / 50.0).collect();
        let coef = self.coef.clone();
        let a = self.intercept;
        Panel::new(self.statistic.clone(), self.along.label(), y)
            .with_series(Series::markers("measured (±2 SE)", xs, ys).with_err(es))
            .with_series(Series::curve(
                format!("fit, intercept {:.5} ± {:.5}", a.point, a.se),
                grid,
                move |x| Some(coef.iter().rev().fold(0.0, |acc, c| acc * x + c)),
            ))
            .with_series(Series::markers(
                format!("limit (theory) {:.5}", self.limit),
                vec![0.0],
                vec![self.limit],
            ))
    }
}

/// Fit a ladder under the declared rule; `None` with fewer than 3 sizes or a point without
/// a spread.
pub fn fit(statistic: &str, along: Along, points: Vec<FssPoint>, limit: f64) -> Option<FssFit> {
    let j = points.len();
    if j < 3
        || points
            .iter()
            .any(|p| p.se.is_nan() || p.se <= 0.0 || !p.value.is_finite())
    {
        return None;
    }
    let x: Vec<f64> = points.iter().map(|p| p.x).collect();
    let y: Vec<f64> = points.iter().map(|p| p.value).collect();
    let s: Vec<f64> = points.iter().map(|p| p.se).collect();
    let lin = wls_poly(&x, &y, &s, 2)?;
    let threshold = chi2_quantile(FSS_RULE_LEVEL, (j - 2) as f64);
    let chosen = if lin.chi2 > threshold && j >= 4 {
        wls_poly(&x, &y, &s, 3)?
    } else {
        lin.clone()
    };
    let terms: Vec<(f64, Measured)> = chosen.lin[0]
        .iter()
        .zip(&points)
        .map(|(&w, p)| {
            (
                w,
                Measured {
                    point: p.value,
                    se: p.se,
                    dof: Dof::Pooled { df: p.df },
                },
            )
        })
        .collect();
    let intercept = Measured::combine(&terms);
    Some(FssFit {
        statistic: statistic.into(),
        along,
        points,
        coef: chosen.coef.clone(),
        chi2: chosen.chi2,
        chi2_linear: (lin.chi2, threshold),
        intercept,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder(f: impl Fn(f64) -> f64, se: f64) -> Vec<FssPoint> {
        [250usize, 1000, 4000, 16000]
            .iter()
            .map(|&d| {
                let x = Along::D.x(d);
                FssPoint {
                    size: d,
                    x,
                    value: f(x),
                    se,
                    df: 15.0,
                }
            })
            .collect()
    }

    #[test]
    fn a_linear_ladder_keeps_the_linear_model_and_recovers_the_intercept() {
        let f = fit("s", Along::D, ladder(|x| 1.0 + 2.0 * x, 1e-3), 1.0).unwrap();
        assert_eq!(f.coef.len(), 2);
        assert!((f.intercept.point - 1.0).abs() < 1e-12);
        // the intercept's SE exceeds that of the plain average of the 4 points (1e-3/√4):
        // extrapolation to x = 0 costs precision
        assert!(f.intercept.se > 0.5e-3 * 1.2, "{}", f.intercept.se);
        assert!(matches!(f.intercept.dof, Dof::Pooled { df } if df > 15.0));
    }

    #[test]
    fn curvature_beyond_the_noise_adds_the_quadratic_term() {
        let f = fit(
            "s",
            Along::D,
            ladder(|x| 1.0 + 2.0 * x + 40.0 * x * x, 1e-4),
            1.0,
        )
        .unwrap();
        assert_eq!(f.coef.len(), 3, "{}", f.rule());
        assert!((f.intercept.point - 1.0).abs() < 1e-9);
        assert!(fit("s", Along::D, ladder(|x| x, 1e-3)[..2].to_vec(), 0.0).is_none());
    }
}
