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

/// Gauss–Hermite nodes whose probability weight is below this are dropped: |tanh^j| ≤ 1, so
/// the dropped terms change a moment by at most their total weight, 1.1e-17 for the 96-node
/// rule (56 of the 96 nodes are kept; measured in the tests), far below [`QUAD_ABS`].
pub(crate) const GH_WEIGHT_FLOOR: f64 = 1e-19;

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
    #[cfg_attr(not(test), allow(dead_code))]
    hermite: Vec<(f64, f64)>,
    /// The nodes of `hermite` whose weight is at least [`GH_WEIGHT_FLOOR`], as two arrays
    /// (the hot loop of [`tanh_moments`] runs over them in lanes).
    hermite_g: Vec<f64>,
    /// Their weights.
    hermite_w: Vec<f64>,
    /// Per Laguerre node, what depends on the node only: s = z/2 and the weights times
    /// P_j(e)/(1 + e)^j, e = e^{−z} (module doc), for j = 1..4.
    laguerre_terms: Vec<[f64; 5]>,
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
        let (hermite_g, hermite_w) = hermite
            .iter()
            .filter(|&&(_, w)| w >= GH_WEIGHT_FLOOR)
            .copied()
            .unzip();
        let laguerre_terms = laguerre
            .iter()
            .map(|&(z, w)| {
                let e = (-z).exp();
                let q = 1.0 / (1.0 + e);
                let q2 = q * q;
                [
                    0.5 * z,
                    w * q,
                    w * 2.0 * q2,
                    w * (3.0 + e * e) * q2 * q,
                    w * (4.0 + 4.0 * e * e) * q2 * q2,
                ]
            })
            .collect();
        Rules {
            hermite,
            hermite_g,
            hermite_w,
            laguerre_terms,
        }
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

/// The Gauss–Hermite sums of tanh^j(a g + b), j = 1..4, in lanes of `LANES` nodes: tanh in
/// the branch-free kernel, four accumulators per lane, summed in a fixed order. (An AVX2
/// build of this loop, chosen at run time, measured 1.14× slower than the baseline SSE2
/// one in paired whole-process runs, so there is none.)
#[inline(always)]
fn hermite_moments(a: f64, b: f64, g: &[f64], w: &[f64]) -> [f64; 4] {
    const LANES: usize = 4;
    let (mut m1, mut m2, mut m3, mut m4) = ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
    let gs = g.chunks_exact(LANES);
    let ws = w.chunks_exact(LANES);
    let (gt, wt) = (gs.remainder(), ws.remainder());
    for (g, w) in gs.zip(ws) {
        for l in 0..LANES {
            let p = tanh(a * g[l] + b);
            let p2 = p * p;
            m1[l] += w[l] * p;
            m2[l] += w[l] * p2;
            m3[l] += w[l] * p2 * p;
            m4[l] += w[l] * p2 * p2;
        }
    }
    for (l, (&g, &w)) in gt.iter().zip(wt).enumerate() {
        let p = tanh(a * g + b);
        let p2 = p * p;
        m1[l] += w * p;
        m2[l] += w * p2;
        m3[l] += w * p2 * p;
        m4[l] += w * p2 * p2;
    }
    let sum = |m: [f64; LANES]| (m[0] + m[1]) + (m[2] + m[3]);
    [sum(m1), sum(m2), sum(m3), sum(m4)]
}

/// 2^k and e^r − 1 with t = k·ln2 + r, |r| ≤ ln2/2, for t ∈ [−60, 0] (callers clamp):
/// e^r − 1 by its Taylor series to r¹³ (truncation < 4e-18 relative). The kernel of
/// [`tanh`] and [`exp_nonpositive`]; written here because libm's scalar `tanh` (with its
/// `expm1`) and `exp` were ≈ 55 % of `phaseflow reproduce`'s CPU time (perf, C3) and no
/// well-kept crate offers a portable vectorisable f64 version. Plain multiplies and adds
/// only (no `mul_add`, a library call without FMA hardware) and branch-free, so the
/// compiler vectorises the quadrature loops and every build gives the same bits.
#[inline(always)]
fn exp_parts(t: f64) -> (f64, f64) {
    // round-to-nearest by the 1.5·2^52 shifter: exact for |y| < 2^51
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let shifted = t * std::f64::consts::LOG2_E + SHIFT;
    let kf = shifted - SHIFT;
    // k itself from the shifted bits (an integer subtraction, vectorisable on SSE2, where an
    // f64 → i64 conversion is not)
    let k = shifted.to_bits().wrapping_sub(SHIFT.to_bits());
    let r = (t - kf * LN2_HI) - kf * LN2_LO;
    // e^r − 1 = r·(1 + r/2 + r²/6 + … + r¹²/13!)
    let mut q = 1.0 / 6_227_020_800.0;
    q = q * r + 1.0 / 479_001_600.0;
    q = q * r + 1.0 / 39_916_800.0;
    q = q * r + 1.0 / 3_628_800.0;
    q = q * r + 1.0 / 362_880.0;
    q = q * r + 1.0 / 40_320.0;
    q = q * r + 1.0 / 5_040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    q = q * r + 1.0;
    // 2^k for k ∈ [−87, 0]: the exponent field
    let two_k = f64::from_bits(k.wrapping_add(1023) << 52);
    (two_k, r * q)
}

/// tanh(x) to a relative 3ε of `f64::tanh` (2.1ε measured in the tests):
/// tanh|x| = −m/(2 + m) with m = expm1(−2|x|) = 2^k·(e^r − 1) + (2^k − 1) ([`exp_parts`]),
/// the argument clamped at −60, where tanh|x| = 1 to the last bit.
#[inline(always)]
fn tanh(x: f64) -> f64 {
    let t = -2.0 * x.abs();
    let (two_k, em1) = exp_parts(if t < -60.0 { -60.0 } else { t });
    let m = two_k * em1 + (two_k - 1.0);
    (-m / (2.0 + m)).copysign(x)
}

/// e^t for t ≤ 0 to a relative 3ε of `f64::exp` for t ≥ −60 (tests); below −60 it returns
/// e^−60 ≈ 8.8e-27 (a density factor that small is far below [`QUAD_ABS`]).
#[inline(always)]
fn exp_nonpositive(t: f64) -> f64 {
    let (two_k, em1) = exp_parts(if t < -60.0 { -60.0 } else { t });
    two_k * em1 + two_k
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
        let [m1, m2, m3, m4] = hermite_moments(a, b, &r.hermite_g, &r.hermite_w);
        return TanhMoments { m1, m2, m3, m4 };
    }
    // Density of y = a g + b: ρ(y) = exp(−((y − b)/a)²/2)/(a√(2π)).
    let norm = 1.0 / (a * (2.0 * PI).sqrt());
    let inv_a = 1.0 / a;
    let rho = |y: f64| {
        let u = (y - b) * inv_a;
        norm * exp_nonpositive(-0.5 * u * u)
    };
    let (mut c1, mut c2, mut c3, mut c4) = (0.0, 0.0, 0.0, 0.0);
    for &[s, w1, w2, w3, w4] in &r.laguerre_terms {
        let (rp, rm) = (rho(s), rho(-s));
        let even = rp + rm;
        let odd = rp - rm;
        c1 += w1 * odd;
        c2 += w2 * even;
        c3 += w3 * odd;
        c4 += w4 * even;
    }
    TanhMoments {
        m1: erf(b / a * FRAC_1_SQRT_2) - c1,
        m2: 1.0 - c2,
        m3: erf(b / a * FRAC_1_SQRT_2) - c3,
        m4: 1.0 - c4,
    }
}

/// A definite integral with its error bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Integral {
    /// The 15-point Kronrod value summed over the accepted panels.
    pub value: f64,
    /// Σ over panels of |K15 − G7|: the error of the embedded 7-point Gauss rule, which
    /// bounds the error of the (far more accurate) Kronrod value once the integrand is
    /// resolved (QUADPACK's error estimate before its empirical rescaling). It does not
    /// include the integrand's own evaluation error.
    pub error: f64,
    /// Panels used.
    pub panels: usize,
}

// Gauss–Kronrod 7–15 nodes and weights on [−1, 1] (QUADPACK qk15; the 7-point Gauss weights
// belong to the odd-indexed Kronrod nodes).
const GK15_X: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const GK15_WK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
const GK15_WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

fn gk15(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
    let fc = f(c);
    let mut k = GK15_WK[7] * fc;
    let mut g = GK15_WG[3] * fc;
    for j in 0..7 {
        let (x, y) = (f(c - h * GK15_X[j]), f(c + h * GK15_X[j]));
        k += GK15_WK[j] * (x + y);
        if j % 2 == 1 {
            g += GK15_WG[j / 2] * (x + y);
        }
    }
    (k * h, (k - g).abs() * h)
}

/// ∫ₐᵇ f by adaptive Gauss–Kronrod 7–15: a panel is split in two until its |K15 − G7| is at
/// most `tol` times its share of [a, b] (or it is 2⁻⁴⁰ of the interval), so the returned
/// error bound is ≤ `tol` unless a panel hit that floor.
///
/// ```
/// use phaseflow::quadrature::integrate;
/// let i = integrate(&|x: f64| (-x * x).exp(), 0.0, 6.0, 1e-13);
/// assert!((i.value - std::f64::consts::PI.sqrt() / 2.0).abs() < 1e-13 && i.error < 1e-13);
/// ```
pub fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64) -> Integral {
    let len = b - a;
    let mut out = Integral {
        value: 0.0,
        error: 0.0,
        panels: 0,
    };
    let mut stack = vec![(a, b)];
    while let Some((lo, hi)) = stack.pop() {
        let (v, e) = gk15(f, lo, hi);
        let share = tol * (hi - lo) / len;
        if e <= share || (hi - lo) <= len * 2f64.powi(-40) {
            out.value += v;
            out.error += e;
            out.panels += 1;
        } else {
            let mid = 0.5 * (lo + hi);
            stack.push((mid, hi));
            stack.push((lo, mid));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// The bound's source: the kernel's own roundings (r, the two of m = 2^k·em1 + (2^k − 1),
    /// 2 + m, the division: ≤ 4 half-ulp = 2ε; the Taylor truncation < 4e-18 is negligible)
    /// plus libm's tanh, itself within 1 ulp (ε) of the true value: 3ε. A first bound of 2ε,
    /// which left libm's own error out, failed at 2.14ε.
    fn the_vectorised_tanh_is_within_three_epsilon_of_libm() {
        let mut worst = 0.0f64;
        let mut x = -40.0;
        while x <= 40.0 {
            for y in [x, x * 1e-3, x * 1e-9] {
                let (f, e) = (tanh(y), y.tanh());
                let ulp = f64::EPSILON * e.abs().max(f64::MIN_POSITIVE);
                worst = worst.max((f - e).abs() / ulp);
            }
            x += 1e-3 + x.abs() * 1e-4;
        }
        assert!(worst <= 3.0, "max error {worst} ε");
        assert_eq!(tanh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tanh(1e3).to_bits(), 1.0f64.to_bits());
        assert_eq!(tanh(-1e300).to_bits(), (-1.0f64).to_bits());
        let mut worst = 0.0f64;
        let mut t = -60.0;
        while t <= 0.0 {
            let (f, e) = (exp_nonpositive(t), t.exp());
            worst = worst.max((f - e).abs() / (f64::EPSILON * e));
            t += 1e-3;
        }
        assert!(worst <= 3.0, "exp: max error {worst} ε");
        assert_eq!(exp_nonpositive(0.0).to_bits(), 1.0f64.to_bits());
    }

    #[test]
    fn the_dropped_gauss_hermite_weights_are_negligible() {
        let r = rules();
        let dropped: f64 = r
            .hermite
            .iter()
            .filter(|&&(_, w)| w < GH_WEIGHT_FLOOR)
            .map(|&(_, w)| w)
            .sum();
        assert!(dropped < 1e-16, "{dropped}");
        assert_eq!(r.hermite_g.len(), 56, "kept nodes (module doc)");
    }

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
