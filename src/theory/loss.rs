//! SPEC §4, engine 2: the x0-average of the squared error of one sample, in closed form up
//! to 1-D Gaussian integrals.
//!
//! With A = α|w|/√d, B = β·w·x1/√d + b and φ = tanh(A·g + B), g ~ N(0, 1):
//!
//! ```text
//! E_{x0}|f(αx0 + βx1) − x1|² = c²(α²d + β²|x1|²) + |u|²·E[φ²] + |x1|²(1 − 2cβ)
//!                             + 2cα²(u·w)/√d · E[1 − φ²] + 2(cβ − 1)(u·x1)·E[φ].
//! ```
//!
//! Derivation: f − x1 = cαx0 + (cβ − 1)x1 + uφ; expand the square; E x0 = 0,
//! E|x0|² = d, and Stein's lemma E(x0·φ) = (αw/√d)·E(1 − φ²) gives the fourth term.
//! Kept here (not in `train/`) so the theory, its tests and any engine can share it.
//!
//! # The population error (x1 averaged too)
//! [`population_mse`] averages the same error over x1 = sμ + σξ as well (|μ|² = d, SPEC §1):
//! given the mode s, the pre-activation z = w·x/√d + b is N(b + sβω√d, v·r) with
//! v = α² + β²σ², and the Gaussian part of u·((cβ − 1)x1 + cαx0) has covariance
//! [(cβ − 1)βσ² + cα²]·(u·w)/√d with it (Stein's lemma again), so per dimension
//!
//! ```text
//! (1/d)E|f(x_t) − x1|² = (cβ − 1)²(1 + σ²) + c²α² + q·E[φ²] + 2(cβ − 1)·m·E[sφ]
//!                        + 2[(cβ − 1)βσ² + cα²]·ρ/√d · E[1 − φ²],
//! ```
//!
//! m = u·μ/d, ω = w·μ/d, q = |u|²/d, r = |w|²/d, ρ = u·w/d, the expectations over s and
//! z | s (2 × [`tanh_moments`]). At the Bayes parameters (SPEC §5.1) the last coefficient
//! vanishes and E(sφ) = E(φ²), which gives the §5.5 closed form.

use crate::quadrature::{QUAD_ABS, tanh_moments};

/// The overlaps of one step that its population error needs ([`population_mse`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOverlaps {
    /// Skip weight c.
    pub c: f64,
    /// Bias b (in the sign of m and ω).
    pub b: f64,
    /// m = u·μ/d.
    pub m: f64,
    /// ω = w·μ/d.
    pub omega: f64,
    /// q = |u|²/d.
    pub q: f64,
    /// r = |w|²/d.
    pub r: f64,
    /// ρ = u·w/d (invariant under the sign flip (u, w, b) → −(u, w, b)).
    pub rho: f64,
}

/// The per-dimension population error (1/d)·E|f(αx0 + βx1) − x1|² of one step over x0 and
/// x1 ~ p·N(μ, σ²I) + (1 − p)·N(−μ, σ²I) (module doc), with a bound on its numerical error:
/// [`QUAD_ABS`] on each of the four 1-D moments, carried through their coefficients.
///
/// ```
/// use phaseflow::theory::loss::{StepOverlaps, population_mse};
/// use phaseflow::theory::bayes::bayes_mse;
/// let (al, be, p, s2, d) = (0.9, 0.1, 0.8, 1.0, 1000);
/// let v = al * al + be * be * s2;
/// let c = be * s2 / v;
/// let (m, om) = (1.0 - c * be, (d as f64).sqrt() * be / v);
/// let bayes = StepOverlaps { c, b: (2.0 * p - 1.0f64).atanh(), m, omega: om, q: m * m, r: om * om, rho: m * om };
/// let (e, err) = population_mse(&bayes, al, be, p, s2, d);
/// assert!((e - bayes_mse(al, be, p, s2, d)).abs() < 1e-9 && err < 1e-8);
/// ```
pub fn population_mse(
    o: &StepOverlaps,
    alpha: f64,
    beta: f64,
    p: f64,
    sigma2: f64,
    d: usize,
) -> (f64, f64) {
    let sd = (d as f64).sqrt();
    let v = alpha * alpha + beta * beta * sigma2;
    let a = (v * o.r.max(0.0)).sqrt();
    let plus = tanh_moments(a, o.b + beta * o.omega * sd);
    let minus = tanh_moments(a, o.b - beta * o.omega * sd);
    let phi2 = p * plus.m2 + (1.0 - p) * minus.m2;
    let s_phi = p * plus.m1 - (1.0 - p) * minus.m1;
    let cb1 = o.c * beta - 1.0;
    let stein = 2.0 * (cb1 * beta * sigma2 + o.c * alpha * alpha) * o.rho / sd;
    let value = cb1 * cb1 * (1.0 + sigma2)
        + o.c * o.c * alpha * alpha
        + o.q * phi2
        + 2.0 * cb1 * o.m * s_phi
        + stein * (1.0 - phi2);
    let err = QUAD_ABS * (o.q + 2.0 * (cb1 * o.m).abs() + stein.abs());
    (value, err)
}

/// E_{x0}|f(αx0 + βx1) − x1|² for f(x) = c·x + u·tanh(w·x/√d + b) (SPEC §4, engine 2).
/// Not divided by d. The 1-D expectations use [`tanh_moments`] (saturation-safe).
///
/// ```
/// use phaseflow::theory::expected_sq_error;
/// // u = 0, c = 0: f ≡ 0, so the error is |x1|².
/// let x1 = [1.0, -2.0];
/// let e = expected_sq_error(0.0, &[0.0, 0.0], &[0.3, 0.1], 0.2, 0.6, 0.4, &x1);
/// assert!((e - 5.0).abs() < 1e-12);
/// ```
///
/// # Panics
/// If u, w and x1 have different lengths.
#[allow(clippy::too_many_arguments)] // the formula's own variables; a struct would hide them
pub fn expected_sq_error(
    c: f64,
    u: &[f64],
    w: &[f64],
    b: f64,
    alpha: f64,
    beta: f64,
    x1: &[f64],
) -> f64 {
    let d = x1.len();
    assert!(u.len() == d && w.len() == d, "u, w, x1 must have length d");
    let sd = (d as f64).sqrt();
    let (mut ww, mut uu, mut xx, mut uw, mut ux, mut wx) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for j in 0..d {
        ww += w[j] * w[j];
        uu += u[j] * u[j];
        xx += x1[j] * x1[j];
        uw += u[j] * w[j];
        ux += u[j] * x1[j];
        wx += w[j] * x1[j];
    }
    let a = alpha * ww.sqrt() / sd;
    let bb = beta * wx / sd + b;
    let mo = tanh_moments(a, bb);
    c * c * (alpha * alpha * d as f64 + beta * beta * xx)
        + uu * mo.m2
        + xx * (1.0 - 2.0 * c * beta)
        + 2.0 * c * alpha * alpha * uw / sd * (1.0 - mo.m2)
        + 2.0 * (c * beta - 1.0) * ux * mo.m1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use rand::Rng;
    use rand_distr::StandardNormal;
    use statrs::distribution::{ContinuousCDF, Normal};

    /// The formula with the Stein term dropped: the negative control.
    fn without_stein(c: f64, u: &[f64], w: &[f64], b: f64, al: f64, be: f64, x1: &[f64]) -> f64 {
        let sd = (x1.len() as f64).sqrt();
        let uw: f64 = u.iter().zip(w).map(|(a, b)| a * b).sum();
        let ww: f64 = w.iter().map(|v| v * v).sum();
        let wx: f64 = w.iter().zip(x1).map(|(a, b)| a * b).sum();
        let m2 = tanh_moments(al * ww.sqrt() / sd, be * wx / sd + b).m2;
        expected_sq_error(c, u, w, b, al, be, x1) - 2.0 * c * al * al * uw / sd * (1.0 - m2)
    }

    /// A candidate formula with the signature of [`expected_sq_error`].
    type Formula = fn(f64, &[f64], &[f64], f64, f64, f64, &[f64]) -> f64;

    /// Runs the formula `f` against Monte Carlo on 24 random cases; returns the failures.
    fn check(f: Formula) -> Vec<String> {
        let cases = 24;
        let draws = 40_000;
        // Family-wise α = 1e-3 over the cases, Bonferroni, two-sided: z = Φ⁻¹(1 − α/(2·24)).
        let z = Normal::new(0.0, 1.0)
            .unwrap()
            .inverse_cdf(1.0 - 1e-3 / (2.0 * cases as f64));
        let mut fails = Vec::new();
        for case in 0..cases {
            let mut rng = stream(17, 0, Purpose::Test, 200 + case);
            let d = rng.random_range(2..24usize);
            let mut n = || rng.sample::<f64, _>(StandardNormal);
            let c = 0.8 * n();
            let b = n();
            let u: Vec<f64> = (0..d).map(|_| n()).collect();
            // w partly aligned with u so the Stein term u·w is not small.
            let w: Vec<f64> = u.iter().map(|&x| 0.7 * x + 0.8 * n()).collect();
            let x1: Vec<f64> = (0..d).map(|_| 1.0 + n()).collect();
            let al = 0.1 + 0.9 * (n().abs().min(3.0) / 3.0);
            let be = 1.0 - al;
            let want = f(c, &u, &w, b, al, be, &x1);
            let mut fv = vec![0.0; d];
            let p = crate::denoiser::StepParams::from_parts(c, &u, &w, b);
            let (mut s, mut s2) = (0.0, 0.0);
            let mut rng2 = stream(17, 1, Purpose::Test, 200 + case);
            for _ in 0..draws {
                let xt: Vec<f64> = x1
                    .iter()
                    .map(|&x| al * rng2.sample::<f64, _>(StandardNormal) + be * x)
                    .collect();
                p.eval(&xt, &mut fv);
                let e: f64 = fv.iter().zip(&x1).map(|(a, b)| (a - b).powi(2)).sum();
                s += e;
                s2 += e * e;
            }
            let nn = draws as f64;
            let mean = s / nn;
            let se = ((s2 / nn - mean * mean) / (nn - 1.0)).sqrt();
            if (mean - want).abs() > z * se {
                fails.push(format!(
                    "case {case} d={d}: MC {mean:.6} ± {se:.2e} vs formula {want:.6} (z = {z:.2})"
                ));
            }
        }
        fails
    }

    #[test]
    fn expected_sq_error_against_monte_carlo() {
        let fails = check(expected_sq_error);
        assert!(fails.is_empty(), "{fails:#?}");
    }

    #[test]
    fn population_mse_is_the_average_of_expected_sq_error() {
        // A random (non-Bayes) step at d = 8: the population formula against the mean of
        // the x0-averaged error over 20 000 draws of x1 (its SE from their spread), |z| ≤ 4.5;
        // the formula without its Stein term (ρ = 0) as the control, which must be off.
        use rand::Rng;
        // Small d and a large c·α²: the O(ρ/√d) Stein term is large enough for the control.
        let d = 8;
        let mut rng = stream(23, 0, Purpose::Test, 900);
        let mut n = || rng.sample::<f64, _>(StandardNormal);
        let mu = vec![1.0; d];
        let u: Vec<f64> = (0..d).map(|j| 0.6 * mu[j] + 0.5 * n()).collect();
        let w: Vec<f64> = u.iter().map(|&x| 2.0 * x + 1.5 * n()).collect();
        let (c, b, al, be, p, s2) = (0.9, 0.4, 0.9, 0.3, 0.8, 0.6);
        let dot =
            |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() / d as f64;
        let o = StepOverlaps {
            c,
            b,
            m: dot(&u, &mu),
            omega: dot(&w, &mu),
            q: dot(&u, &u),
            r: dot(&w, &w),
            rho: dot(&u, &w),
        };
        let (want, err) = population_mse(&o, al, be, p, s2, d);
        let mut rng = stream(23, 1, Purpose::Test, 901);
        let draws = 20_000;
        let (mut s, mut ss) = (0.0, 0.0);
        let mut x1 = vec![0.0; d];
        for _ in 0..draws {
            let sign = if rng.random::<f64>() < p { 1.0 } else { -1.0 };
            for j in 0..d {
                x1[j] = sign * mu[j] + s2.sqrt() * rng.sample::<f64, _>(StandardNormal);
            }
            let e = expected_sq_error(c, &u, &w, b, al, be, &x1) / d as f64;
            s += e;
            ss += e * e;
        }
        let nn = draws as f64;
        let mean = s / nn;
        let se = ((ss / nn - mean * mean) / (nn - 1.0)).sqrt();
        assert!(err < 1e-8, "{err}");
        assert!(
            (mean - want).abs() <= 4.5 * se,
            "MC {mean} ± {se} vs {want}"
        );
        let (no_stein, _) = population_mse(&StepOverlaps { rho: 0.0, ..o }, al, be, p, s2, d);
        assert!(
            (mean - no_stein).abs() > 4.5 * se,
            "control: dropping ρ ({no_stein}) must be detected, MC {mean} ± {se}"
        );
    }

    #[test]
    fn expected_sq_error_without_stein_term_is_detected() {
        // Negative control: the harness above must see a missing term.
        assert!(
            !check(without_stein).is_empty(),
            "dropping the Stein term went unnoticed"
        );
    }
}
