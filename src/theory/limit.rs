//! SPEC §5.2: the d → ∞ limits on the dilated schedule (the paper's n → ∞ curves).
//!
//! * Phase 1, t ∈ [0, 1]: c = 0, m = √q = 1, ω = √r = κt, b = atanh(2p − 1). Nothing
//!   depends on σ² except the MSE. The MSE is the d → ∞ limit of §5.5 with β√d → κt, v → 1:
//!   σ² + E_h[1 − tanh²(κt·h + b)], h ~ p·N(κt, 1) + (1 − p)·N(−κt, 1).
//! * Phase 2, τ' = t − 1 ∈ (0, 1]: c = τ'σ²/((1 − τ')² + τ'²σ²), m = √q = 1 − cτ';
//!   ω, √r and b diverge (tanh saturates to the mode sign) and are `None`. The mode is known,
//!   so the MSE is the within-mode posterior variance σ²(1 − τ')²/((1 − τ')² + τ'²σ²).
//!   Nothing depends on p.
//!
//! t = 1 belongs to phase 1 (at finite d, ω(t = 1) = κ/(1 − ε)² + O(1/d) → κ); the limiting
//! MSE jumps there, because for any τ' > 0 the signal β√d diverges.
//!
//! **Other paths** with α(0) = 1 (vp, cosine; [`dilated_limit_on`]): in phase 1, τ = κt/√d →
//! 0, so v → 1, β√d → β'(0)κt: the same curves with κt replaced by β'(0)κt (β'(0) = 1 on vp,
//! π/2 on cosine). In phase 2, τ → τ' and the mode is known: c, m and the MSE are the
//! expressions above at the path's (α(τ'), β(τ')).

use super::Prediction;
use super::bayes::bias;
use crate::path::{self, Path};
use crate::quadrature::tanh_moments;

/// The §5.2 prediction at time t ∈ [0, 2] of the dilated schedule with constant κ.
pub fn dilated_limit(kappa: f64, p: f64, sigma2: f64, t: f64) -> Prediction {
    dilated_limit_on(&path::Linear, kappa, p, sigma2, t)
}

/// The §5.2 prediction at time t ∈ [0, 2] of the dilated warp with constant κ on `path`
/// (α(0) = 1 assumed; module doc).
pub fn dilated_limit_on(path: &dyn Path, kappa: f64, p: f64, sigma2: f64, t: f64) -> Prediction {
    if t <= 1.0 {
        // β'(0) = 1 on the linear path: the product is exact.
        let kt = path.beta_prime(0.0) * kappa * t;
        let b = bias(p);
        let plus = tanh_moments(kt, kt * kt + b).m2;
        let minus = tanh_moments(kt, -kt * kt + b).m2;
        Prediction {
            c: Some(0.0),
            m: Some(1.0),
            omega: Some(kt),
            b: Some(b),
            sqrt_q: Some(1.0),
            sqrt_r: Some(kt),
            mse: Some(sigma2 + 1.0 - (p * plus + (1.0 - p) * minus)),
        }
    } else {
        let tp = (t - 1.0).min(1.0);
        let (al, be) = (path.alpha(tp), path.beta(tp));
        let v = al * al + be * be * sigma2;
        let c = be * sigma2 / v;
        let m = 1.0 - c * be;
        Prediction {
            c: Some(c),
            m: Some(m),
            omega: None,
            b: None,
            sqrt_q: Some(m),
            sqrt_r: None,
            mse: Some(sigma2 * al * al / v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::bayes::bayes;
    use quickcheck::{QuickCheck, TestResult};

    /// Largest |§5.1 − §5.2| over (c, m, ω, b, √q, √r, MSE) at phase-1 time t.
    fn phase1_error(kappa: f64, p: f64, s2: f64, t: f64, d: usize) -> f64 {
        let eps = kappa / (d as f64).sqrt();
        let (al, be) = (1.0 - eps * t, eps * t);
        let bs = bayes(al, be, p, s2, d).prediction();
        let li = dilated_limit(kappa, p, s2, t);
        let pairs = [
            (bs.c, li.c),
            (bs.m, li.m),
            (bs.omega, li.omega),
            (bs.b, li.b),
            (bs.sqrt_q, li.sqrt_q),
            (bs.sqrt_r, li.sqrt_r),
            (bs.mse, li.mse),
        ];
        pairs
            .iter()
            .map(|(a, b)| (a.unwrap() - b.unwrap()).abs())
            .fold(0.0, f64::max)
    }

    /// Expansion of §5.1 in ε = κ/√d at phase-1 time t: c = κtσ²/√d + O(1/d),
    /// ω = κt(1 + 2κt/√d) + O(1/d), m = 1 − O(1/d), b exact; the MSE moves by
    /// O(1/√d) too. So error·√d → a constant and err(d)/err(4d) → 2.
    fn converges_at_rate_inverse_sqrt_d(p8: u8, s8: u8, k8: u8, t8: u8) -> TestResult {
        let p = 0.05 + 0.9 * (p8 as f64 / 255.0);
        let s2 = 0.2 + 3.8 * (s8 as f64 / 255.0);
        let kappa = 0.5 + 3.5 * (k8 as f64 / 255.0);
        let t = 0.2 + 0.8 * (t8 as f64 / 255.0);
        let (d1, d2) = (1_000_000usize, 4_000_000usize);
        let (e1, e2) = (
            phase1_error(kappa, p, s2, t, d1),
            phase1_error(kappa, p, s2, t, d2),
        );
        // Bound on the leading coefficient: |c| term κtσ², |ω| term 2κ²t², MSE term ≤ those
        // times the O(1) sensitivity; 4·(κσ² + 2κ² + 1) covers all with margin.
        let bound = 4.0 * (kappa * s2 + 2.0 * kappa * kappa + 1.0);
        let ratio = e1 / e2;
        // Next-order relative corrections are O(κ/√d) ≤ 4e-3 at d = 1e6: ratio within 2 ± 0.05.
        if e1 * (d1 as f64).sqrt() > bound || (ratio - 2.0).abs() > 0.05 {
            return TestResult::error(format!(
                "p={p} σ²={s2} κ={kappa} t={t}: err·√d = {} (bound {bound}), ratio {ratio} (2 ± 0.05)",
                e1 * (d1 as f64).sqrt()
            ));
        }
        TestResult::passed()
    }

    #[test]
    fn bayes_converges_to_limit_at_rate_inverse_sqrt_d() {
        QuickCheck::new()
            .tests(200)
            .quickcheck(converges_at_rate_inverse_sqrt_d as fn(u8, u8, u8, u8) -> TestResult);
    }

    #[test]
    fn rate_property_holds_at_domain_corners() {
        // quickcheck draws random points; the corners and centre of the domain are checked
        // every time (deterministically).
        for p in [0u8, 128, 255] {
            for s in [0u8, 128, 255] {
                for k in [0u8, 128, 255] {
                    for t in [0u8, 128, 255] {
                        let r = converges_at_rate_inverse_sqrt_d(p, s, k, t);
                        assert!(!r.is_failure(), "corner {p} {s} {k} {t}: {r:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn phase2_bayes_c_m_converge_to_limit() {
        // Phase 2: β = ε + (1 − ε)τ' → τ'; c, m and the MSE converge (at O(1/√d)).
        let (kappa, p, s2, t) = (2.0, 0.8, 1.0, 1.5);
        let mut prev = f64::INFINITY;
        for d in [1_000usize, 100_000, 10_000_000] {
            let eps = kappa / (d as f64).sqrt();
            let be = eps + (1.0 - eps) * (t - 1.0);
            let bs = bayes(1.0 - be, be, p, s2, d);
            let li = dilated_limit(kappa, p, s2, t);
            let err = (bs.c - li.c.unwrap())
                .abs()
                .max((bs.m - li.m.unwrap()).abs())
                .max((bs.mse - li.mse.unwrap()).abs());
            assert!(err < prev / 5.0, "d={d}: err {err} vs previous {prev}");
            prev = err;
        }
        assert!(dilated_limit(kappa, p, s2, t).omega.is_none());
    }

    #[test]
    fn limit_mse_at_t0_is_sigma2_plus_4pq() {
        let l = dilated_limit(2.0, 0.7, 0.6, 0.0);
        assert!((l.mse.unwrap() - (0.6 + 4.0 * 0.7 * 0.3)).abs() < crate::tol::ROUNDOFF);
    }
}
