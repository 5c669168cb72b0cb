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
use statrs::distribution::{ContinuousCDF, StudentsT};

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
    fn ols_recovers_a_line() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, 3.0, 5.0, 7.0];
        let (s, i, se) = ols(&x, &y);
        assert!((s - 2.0).abs() < 1e-14 && (i - 1.0).abs() < 1e-14 && se.abs() < 1e-7);
    }
}
