//! One-dimensional Gaussian expectations of powers of tanh (SPEC §4, §5.3):
//!
//! M_j(a, b) = E_g[tanh^j(a·g + b)],  g ~ N(0, 1),  j = 1..4.
//!
//! These are the only integrals the averaged objective, its gradient and the finite-n
//! theory need (derivatives follow from Stein's lemma, see [`TanhMoments`]).
//!
//! Two regimes, both exact up to quadrature error:
//! * **a ≤ 0.8** (smooth): Gauss–Hermite with [`GH_NODES`] nodes. The integrand's nearest
//!   complex singularity is at imaginary distance π/(2a) ≥ π/2 from the real axis, so the
//!   rule converges geometrically (see [`A_SWITCH`] for measured errors; all below 1e-10).
//! * **a > 0.8** (towards saturation): split tanh^j = sign^j + (tanh^j − sign^j). The first
//!   part is exact: E[sign(ag + b)] = 2Φ(b/a) − 1 = erf(b/(a√2)), E\[sign²\] = 1. The
//!   remainder decays like e^{−2|y|} in y = ag + b; substituting z = 2|y| gives
//!   −Σ_i w_i P_j(e^{−z_i})/(1 + e^{−z_i})^j·[ρ(z_i/2) + (−1)^j ρ(−z_i/2)] with Gauss–Laguerre
//!   weights w_i for e^{−z}, ρ the density of y, P_1 = 1, P_2 = 2, P_3 = 3 + e², P_4 = 4 + 4e²
//!   (from (1 − e)^j − (1 + e)^j = −2e·P_j(e)). Nothing overflows, and the rule stays
//!   accurate as a → ∞ where plain Gauss–Hermite would see a step function.
//!
//! Nodes come from the `gauss-quad` crate (Golub–Welsch); this module only adds the
//! saturation-safe change of variables, which no crate provides.
//!
//! ```
//! use phaseflow::quadrature::tanh_moments;
//! let m = tanh_moments(0.0, 0.5);
//! assert!((m.m1 - 0.5f64.tanh()).abs() < 1e-14);
//! // saturated: E[tanh(1e6·g)] → E[sign g] = 0, E[tanh²] → 1
//! let s = tanh_moments(1e6, 0.0);
//! assert!(s.m1.abs() < 1e-12 && (s.m2 - 1.0).abs() < 1e-5);
//! ```

use std::f64::consts::{FRAC_1_SQRT_2, PI};
use std::sync::OnceLock;

/// Gauss–Hermite nodes used for a ≤ [`A_SWITCH`].
pub const GH_NODES: usize = 96;
/// Gauss–Laguerre nodes used for a > [`A_SWITCH`].
pub(crate) const GL_NODES: usize = 64;
/// The regime switch in a.
/// Measured against the brute-force reference of the tests, max error over j = 1..4 and
/// b ∈ [−3, 5]: Gauss–Hermite (96 nodes) 1.1e-13 at a = 0.6, 1.3e-12 at 0.8, 4.1e-11 at 0.9,
/// 6.5e-10 at 1; Laguerre (64 nodes) 5.3e-9 at a = 0.5, 6.2e-11 at 0.6, 3.5e-11 from 0.8 up
/// (a floor that 128 nodes do not lower). Switching at 0.8 keeps both below 1e-10.
pub const A_SWITCH: f64 = 0.8;

/// Declared absolute accuracy of [`tanh_moments`].
pub const QUAD_ABS: f64 = 1e-10;

/// E[tanh^j(a g + b)] for j = 1..4.
///
/// Derivatives (Stein's lemma, φ = tanh(ag + b)):
/// ∂_b M1 = 1 − M2, ∂_a M1 = −2a(M1 − M3),
/// ∂_b M2 = 2(M1 − M3), ∂_a M2 = 2a(1 − 4M2 + 3M4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TanhMoments {
    /// E\[φ\].
    pub m1: f64,
    /// E\[φ²\].
    pub m2: f64,
    /// E\[φ³\].
    pub m3: f64,
    /// E\[φ⁴\].
    pub m4: f64,
}

struct Rules {
    /// (g, probability weight) for E over N(0, 1).
    hermite: Vec<(f64, f64)>,
    /// (z, weight) for ∫_0^∞ e^{−z}·h(z) dz.
    laguerre: Vec<(f64, f64)>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let gh = gauss_quad::GaussHermite::new(GH_NODES).expect("GH_NODES ≥ 2");
        let sqrt_pi = PI.sqrt();
        let mut hermite: Vec<(f64, f64)> = gh
            .nodes()
            .zip(gh.weights())
            .map(|(&x, &w)| (x * std::f64::consts::SQRT_2, w / sqrt_pi))
            .collect();
        hermite.sort_by(|a, b| a.0.total_cmp(&b.0));
        let gl = gauss_quad::GaussLaguerre::new(GL_NODES, 0.0).expect("GL_NODES ≥ 2");
        let mut laguerre: Vec<(f64, f64)> = gl
            .nodes()
            .zip(gl.weights())
            .map(|(&x, &w)| (x, w))
            .collect();
        laguerre.sort_by(|a, b| a.0.total_cmp(&b.0));
        Rules { hermite, laguerre }
    })
}

#[cfg(test)] // used by the unit tests only
/// The Gauss–Hermite rule for E over N(0, 1): (node, weight) pairs, weights summing to 1.
pub(crate) fn gaussian_rule() -> &'static [(f64, f64)] {
    &rules().hermite
}

#[cfg(test)] // used by the unit tests only
/// E over g ~ N(0, 1) of `f(g)` with the [`GH_NODES`]-point Gauss–Hermite rule
/// (exact for polynomials of degree < 2·GH_NODES).
pub(crate) fn gaussian_expectation(mut f: impl FnMut(f64) -> f64) -> f64 {
    gaussian_rule().iter().map(|&(g, w)| w * f(g)).sum()
}

fn erf(x: f64) -> f64 {
    statrs::function::erf::erf(x)
}

/// M_j(a, b) = E[tanh^j(a g + b)], j = 1..4, for a ≥ 0 (the law of g is symmetric, so
/// callers pass |a|).
pub fn tanh_moments(a: f64, b: f64) -> TanhMoments {
    let a = a.abs();
    let r = rules();
    if a <= A_SWITCH {
        let (mut m1, mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0, 0.0);
        for &(g, w) in &r.hermite {
            let p = (a * g + b).tanh();
            let p2 = p * p;
            m1 += w * p;
            m2 += w * p2;
            m3 += w * p2 * p;
            m4 += w * p2 * p2;
        }
        return TanhMoments { m1, m2, m3, m4 };
    }
    // Density of y = a g + b: ρ(y) = exp(−((y − b)/a)²/2)/(a√(2π)).
    let norm = 1.0 / (a * (2.0 * PI).sqrt());
    let rho = |y: f64| {
        let u = (y - b) / a;
        norm * (-0.5 * u * u).exp()
    };
    let (mut c1, mut c2, mut c3, mut c4) = (0.0, 0.0, 0.0, 0.0);
    for &(z, w) in &r.laguerre {
        let e = (-z).exp();
        let s = 0.5 * z;
        let (rp, rm) = (rho(s), rho(-s));
        let even = rp + rm;
        let odd = rp - rm;
        let q = 1.0 / (1.0 + e);
        let q2 = q * q;
        c1 += w * q * odd;
        c2 += w * 2.0 * q2 * even;
        c3 += w * (3.0 + e * e) * q2 * q * odd;
        c4 += w * (4.0 + 4.0 * e * e) * q2 * q2 * even;
    }
    TanhMoments {
        m1: erf(b / a * FRAC_1_SQRT_2) - c1,
        m2: 1.0 - c2,
        m3: erf(b / a * FRAC_1_SQRT_2) - c3,
        m4: 1.0 - c4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force reference: trapezoid over g ∈ [−12, 12] with 400 001 points
    /// (spectrally accurate for smooth integrands; resolves transitions of width 1/a for
    /// a ≤ 1000; the Gaussian tail beyond 12 is < 1e-32).
    fn brute(a: f64, b: f64) -> [f64; 4] {
        let n = 400_000;
        let h = 24.0 / n as f64;
        let mut m = [0.0; 4];
        for i in 0..=n {
            let g = -12.0 + i as f64 * h;
            let wt = if i == 0 || i == n { 0.5 } else { 1.0 } * h * (-0.5 * g * g).exp()
                / (2.0 * PI).sqrt();
            let p = (a * g + b).tanh();
            let mut pj = 1.0;
            for v in &mut m {
                pj *= p;
                *v += wt * pj;
            }
        }
        m
    }

    #[test]
    fn moments_against_brute_force() {
        for &a in &[0.0, 0.3, 0.79, 0.8, 0.81, 1.0, 2.0, 7.5, 40.0, 300.0] {
            for &b in &[-3.0, -0.4, 0.0, 0.7, 2.5, 9.0] {
                let m = tanh_moments(a, b);
                let r = brute(a, b);
                for (j, (got, want)) in [m.m1, m.m2, m.m3, m.m4].iter().zip(r).enumerate() {
                    // QUAD_ABS: both branches measured below 1e-10 (see A_SWITCH).
                    assert!(
                        (got - want).abs() < QUAD_ABS,
                        "M{} a={a} b={b}: {got} vs brute {want}",
                        j + 1
                    );
                }
            }
        }
    }

    #[test]
    fn stein_derivatives_match_finite_differences() {
        for &(a, b) in &[(0.5, 0.2), (1.5, -0.7), (6.0, 1.0)] {
            let h = 1e-5;
            let m = tanh_moments(a, b);
            let db1 = (tanh_moments(a, b + h).m1 - tanh_moments(a, b - h).m1) / (2.0 * h);
            let da1 = (tanh_moments(a + h, b).m1 - tanh_moments(a - h, b).m1) / (2.0 * h);
            let da2 = (tanh_moments(a + h, b).m2 - tanh_moments(a - h, b).m2) / (2.0 * h);
            assert!((db1 - (1.0 - m.m2)).abs() < 1e-8);
            assert!((da1 + 2.0 * a * (m.m1 - m.m3)).abs() < 1e-8);
            assert!((da2 - 2.0 * a * (1.0 - 4.0 * m.m2 + 3.0 * m.m4)).abs() < 1e-8);
        }
    }

    #[test]
    fn gaussian_rule_integrates_polynomials() {
        assert!((gaussian_expectation(|_| 1.0) - 1.0).abs() < 1e-14);
        assert!(gaussian_expectation(|g| g).abs() < 1e-14);
        assert!((gaussian_expectation(|g| g * g) - 1.0).abs() < 1e-13);
        assert!((gaussian_expectation(|g| g.powi(4)) - 3.0).abs() < 1e-12);
    }
}
