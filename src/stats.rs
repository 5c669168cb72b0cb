//! Statistics: replica means with standard errors and Student-t intervals, p-values, the Holm
//! step-down correction (SPEC §6), least squares and the binomial standard error.
//!
//! ```
//! use phaseflow::stats::{Estimate, holm};
//! let e = Estimate::from_samples(&[0.79, 0.81, 0.80, 0.82], 0.95);
//! assert!((e.point - 0.805).abs() < 1e-12);
//! assert!(e.ci[0] < e.point && e.point < e.ci[1]);
//! // Holm at α = 0.05 over p-values 0.01, 0.04, 0.03: only the smallest is rejected
//! assert_eq!(holm(&[0.01, 0.04, 0.03], 0.05), vec![true, false, false]);
//! ```
//!
//! ## References
//! S. Holm, *A simple sequentially rejective multiple test procedure*, Scand. J. Statist. 6
//! (1979) 65–70.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// A point estimate with its standard error and a two-sided Student-t interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Mean over replicas.
    pub point: f64,
    /// Standard error of the mean (sample standard deviation / √R, N − 1 divisor).
    pub se: f64,
    /// Two-sided interval at `level`.
    pub ci: [f64; 2],
    /// Confidence level of `ci`.
    pub level: f64,
    /// Number of replicas R.
    pub n: usize,
}

/// Two-sided Student-t critical value with `df` degrees of freedom at confidence `level`.
/// For df = 0 (a single replica) there is no spread: returns +∞.
pub fn t_quantile(level: f64, df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    let t = StudentsT::new(0.0, 1.0, df as f64).expect("df > 0");
    t.inverse_cdf(0.5 + level / 2.0)
}

/// Student-t quantile P(T ≤ q) = `prob` with `df` (possibly fractional, e.g. a
/// Welch–Satterthwaite value) degrees of freedom; `df = ∞` is the normal quantile.
pub fn t_inverse_cdf(prob: f64, df: f64) -> f64 {
    if df.is_infinite() {
        return Normal::new(0.0, 1.0)
            .expect("standard normal")
            .inverse_cdf(prob);
    }
    if df.is_nan() || df <= 0.0 {
        return f64::INFINITY;
    }
    StudentsT::new(0.0, 1.0, df)
        .expect("df > 0")
        .inverse_cdf(prob)
}

/// Upper tail P(T > t) of a Student t with `df` (possibly fractional) degrees of freedom.
pub fn t_upper_tail(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return 1.0;
    }
    if t == f64::INFINITY {
        return 0.0;
    }
    if df.is_infinite() {
        return Normal::new(0.0, 1.0).expect("standard normal").sf(t);
    }
    StudentsT::new(0.0, 1.0, df).expect("df > 0").sf(t)
}

/// Welch–Satterthwaite degrees of freedom of Σ_j w_j·x̄_j, a linear combination of means
/// with standard errors s_j and degrees of freedom ν_j:
/// ν = (Σ w_j² s_j²)² / Σ (w_j² s_j²)²/ν_j. Terms with ν_j = ∞ (known variances) add nothing
/// to the denominator; all-known gives ∞.
///
/// ```
/// use phaseflow::stats::satterthwaite;
/// // two equal cells of 8 replicas each pool to 14 degrees of freedom
/// assert!((satterthwaite(&[(0.5, 0.1, 7.0), (0.5, 0.1, 7.0)]) - 14.0).abs() < 1e-12);
/// ```
pub fn satterthwaite(terms: &[(f64, f64, f64)]) -> f64 {
    let num: f64 = terms.iter().map(|(w, s, _)| (w * s).powi(2)).sum();
    let den: f64 = terms
        .iter()
        .filter(|(_, _, nu)| nu.is_finite())
        .map(|(w, s, nu)| (w * s).powi(4) / nu)
        .sum();
    if den > 0.0 {
        num * num / den
    } else {
        f64::INFINITY
    }
}

/// Clopper–Pearson (exact binomial) interval for k successes in n trials at confidence
/// `level`: the detection and false-alarm rates of `phaseflow power`.
///
/// ```
/// use phaseflow::stats::clopper_pearson;
/// let [lo, hi] = clopper_pearson(0, 20, 0.95);
/// assert_eq!(lo, 0.0);
/// assert!((hi - 0.1684).abs() < 1e-4); // 1 − 0.025^(1/20)
/// ```
pub fn clopper_pearson(k: usize, n: usize, level: f64) -> [f64; 2] {
    use statrs::distribution::Beta;
    if n == 0 {
        return [0.0, 1.0];
    }
    let a = (1.0 - level) / 2.0;
    let (kf, nf) = (k as f64, n as f64);
    let lo = if k == 0 {
        0.0
    } else {
        Beta::new(kf, nf - kf + 1.0)
            .expect("positive shape")
            .inverse_cdf(a)
    };
    let hi = if k == n {
        1.0
    } else {
        Beta::new(kf + 1.0, nf - kf)
            .expect("positive shape")
            .inverse_cdf(1.0 - a)
    };
    [lo, hi]
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
pub fn t_p_value(t: f64, df: usize) -> f64 {
    if df == 0 {
        return 1.0;
    }
    if !t.is_finite() {
        return if t.is_nan() { 1.0 } else { 0.0 };
    }
    let dist = StudentsT::new(0.0, 1.0, df as f64).expect("df > 0");
    2.0 * (1.0 - dist.cdf(t.abs()))
}

impl Estimate {
    /// Mean, standard error and t-interval of `values` (summed in index order, so the
    /// result does not depend on how the values were computed in parallel).
    pub fn from_samples(values: &[f64], level: f64) -> Self {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let se = if n > 1 {
            let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            (ss / (n - 1) as f64 / n as f64).sqrt()
        } else {
            f64::NAN
        };
        let half = if n > 1 {
            t_quantile(level, n - 1) * se
        } else {
            f64::NAN
        };
        Self {
            point: mean,
            se,
            ci: [mean - half, mean + half],
            level,
            n,
        }
    }
}

/// Holm's step-down procedure at family-wise level `alpha`: `true` where the hypothesis
/// "measurement agrees with prediction" is rejected.
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut reject = vec![false; m];
    for (rank, &i) in order.iter().enumerate() {
        if p_values[i] <= alpha / (m - rank) as f64 {
            reject[i] = true;
        } else {
            break;
        }
    }
    reject
}

/// Binomial standard error √(p(1 − p)/n) of a fraction p of n trials.
///
/// ```
/// assert_eq!(phaseflow::stats::binomial_se(0.5, 100.0), 0.05);
/// ```
pub fn binomial_se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n).sqrt()
}

/// Ordinary least squares of y on x: (slope, intercept, slope standard error).
/// Used for log-log scaling fits (SPEC §5.6).
pub fn ols(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| {
            let r = b - intercept - slope * a;
            r * r
        })
        .sum();
    let se = if x.len() > 2 {
        (rss / (n - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    (slope, intercept, se)
}

/// A weighted least-squares polynomial fit y ≈ Σ_k a_k x^k (k < [`PolyFit::coef`]`.len()`)
/// of points with standard errors, the form of the finite-size-scaling fits
/// (a + b/√d + c/d with x = 1/√d, or a + b/n + c/n² with x = 1/n).
#[derive(Debug, Clone, PartialEq)]
pub struct PolyFit {
    /// Coefficients a_0, a_1, … (a_0 is the intercept, the value at x = 0).
    pub coef: Vec<f64>,
    /// Each coefficient as a linear combination of the y_j: a_k = Σ_j `lin[k][j]`·y_j (the
    /// weights that propagate the points' standard errors and degrees of freedom).
    pub lin: Vec<Vec<f64>>,
    /// Weighted residual sum of squares Σ ((y_j − fit_j)/s_j)², χ² with `points − coef.len()`
    /// degrees of freedom when the model is right.
    pub chi2: f64,
}

impl PolyFit {
    /// The fitted polynomial at x.
    pub fn at(&self, x: f64) -> f64 {
        self.coef.iter().rev().fold(0.0, |acc, c| acc * x + c)
    }
}

/// Weighted least squares of `y` (standard errors `se`, all > 0) on 1, x, …, x^(terms − 1).
/// `None` when there are fewer points than terms or the normal equations are singular.
///
/// The normal equations are at most 3×3 here, solved by Gauss–Jordan elimination with
/// partial pivoting (no matrix crate needed for a system this small).
///
/// ```
/// use phaseflow::stats::wls_poly;
/// let x = [0.0, 1.0, 2.0, 3.0];
/// let y = [1.0, 3.0, 5.0, 7.0];
/// let f = wls_poly(&x, &y, &[0.1; 4], 2).unwrap();
/// assert!((f.coef[0] - 1.0).abs() < 1e-12 && (f.coef[1] - 2.0).abs() < 1e-12);
/// assert!(f.chi2 < 1e-20);
/// ```
pub fn wls_poly(x: &[f64], y: &[f64], se: &[f64], terms: usize) -> Option<PolyFit> {
    let n = x.len();
    if n < terms || terms == 0 || y.len() != n || se.len() != n {
        return None;
    }
    let w: Vec<f64> = se.iter().map(|s| 1.0 / (s * s)).collect();
    let pow = |xv: f64, k: usize| xv.powi(k as i32);
    // A = XᵀWX (terms × terms), augmented with the identity to invert it.
    let mut a = vec![vec![0.0; 2 * terms]; terms];
    for (r, row) in a.iter_mut().enumerate() {
        for c in 0..terms {
            row[c] = (0..n).map(|j| w[j] * pow(x[j], r + c)).sum();
        }
        row[terms + r] = 1.0;
    }
    for col in 0..terms {
        let piv = (col..terms).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        let d = a[col][col];
        for v in a[col].iter_mut() {
            *v /= d;
        }
        for r in 0..terms {
            if r != col {
                let f = a[r][col];
                if f != 0.0 {
                    let pivot_row = a[col].clone();
                    for (v, p) in a[r].iter_mut().zip(&pivot_row) {
                        *v -= f * p;
                    }
                }
            }
        }
    }
    // lin = (XᵀWX)⁻¹ XᵀW.
    let lin: Vec<Vec<f64>> = (0..terms)
        .map(|k| {
            (0..n)
                .map(|j| {
                    (0..terms)
                        .map(|m| a[k][terms + m] * pow(x[j], m))
                        .sum::<f64>()
                        * w[j]
                })
                .collect()
        })
        .collect();
    let coef: Vec<f64> = lin
        .iter()
        .map(|l| l.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    let fit = PolyFit {
        coef,
        lin,
        chi2: 0.0,
    };
    let chi2 = (0..n)
        .map(|j| ((y[j] - fit.at(x[j])) / se[j]).powi(2))
        .sum();
    Some(PolyFit { chi2, ..fit })
}

/// Upper quantile of the χ² distribution with `df` degrees of freedom: the threshold of the
/// finite-size-scaling fits' goodness-of-fit rule.
pub fn chi2_quantile(prob: f64, df: f64) -> f64 {
    use statrs::distribution::ChiSquared;
    ChiSquared::new(df).expect("df > 0").inverse_cdf(prob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_known_p_values() {
        // Holm (1979) style example: m = 4, α = 0.05; thresholds .0125, .0167, .025, .05.
        let p = [0.010, 0.015, 0.030, 0.040];
        assert_eq!(holm(&p, 0.05), vec![true, true, false, false]);
        // all pass the step-down
        assert_eq!(holm(&[0.001, 0.002, 0.003], 0.05), vec![true, true, true]);
        // the first fails: nothing rejected, even a later small-enough one
        assert_eq!(holm(&[0.02, 0.011], 0.02), vec![false, false]);
        // order of input does not matter
        assert_eq!(
            holm(&[0.040, 0.010, 0.030, 0.015], 0.05),
            vec![false, true, false, true]
        );
    }

    #[test]
    fn t_quantile_matches_tables() {
        // Student-t tables: t_{0.975, 10} = 2.228139, t_{0.995, 30} = 2.749996.
        assert!((t_quantile(0.95, 10) - 2.228_139).abs() < 1e-5);
        assert!((t_quantile(0.99, 30) - 2.749_996).abs() < 1e-5);
        assert!((t_p_value(2.228_139, 10) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn estimate_of_known_samples() {
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        assert!((e.point - 3.0).abs() < crate::tol::EXACT);
        // sd = √2.5, se = √(2.5/5) = √0.5
        assert!((e.se - 0.5f64.sqrt()).abs() < crate::tol::EXACT);
        assert!((e.ci[1] - 3.0 - 2.776_445 * 0.5f64.sqrt()).abs() < 1e-5);
    }

    #[test]
    fn wls_recovers_a_quadratic_and_propagates_weights() {
        let x = [0.1, 0.2, 0.4, 0.8];
        let y: Vec<f64> = x.iter().map(|v| 2.0 - v + 0.5 * v * v).collect();
        let f = wls_poly(&x, &y, &[0.01, 0.02, 0.01, 0.03], 3).unwrap();
        assert!((f.coef[0] - 2.0).abs() < 1e-10, "{f:?}");
        assert!((f.coef[2] - 0.5).abs() < 1e-9, "{f:?}");
        // the intercept is a linear combination of the points whose weights sum to 1
        assert!((f.lin[0].iter().sum::<f64>() - 1.0).abs() < 1e-10);
        assert!(wls_poly(&x[..2], &y[..2], &[0.1, 0.1], 3).is_none());
    }

    #[test]
    fn welch_satterthwaite_and_clopper_pearson() {
        // one cell: its own df
        assert!((satterthwaite(&[(1.0, 0.3, 5.0)]) - 5.0).abs() < 1e-12);
        // known variances: ∞
        assert!(satterthwaite(&[(1.0, 0.3, f64::INFINITY)]).is_infinite());
        // 10 of 20: the interval contains ½ and is symmetric
        let [lo, hi] = clopper_pearson(10, 20, 0.95);
        assert!((lo + hi - 1.0).abs() < 1e-12 && lo < 0.3 && hi > 0.7);
        // one-sided tail and quantile invert each other (fractional df)
        let q = t_inverse_cdf(0.999, 12.5);
        assert!((t_upper_tail(q, 12.5) - 0.001).abs() < 1e-9);
    }

    #[test]
    fn ols_recovers_a_line() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, 3.0, 5.0, 7.0];
        let (s, i, se) = ols(&x, &y);
        assert!((s - 2.0).abs() < 1e-14 && (i - 1.0).abs() < 1e-14 && se.abs() < 1e-7);
    }
}
