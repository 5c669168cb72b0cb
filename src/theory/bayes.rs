//! SPEC §5.1: n → ∞ at finite d. The posterior mean lies in the model class:
//!
//! E[x1 | x_t = x] = c*·x + (1 − c*β)·μ·tanh(β μ·x / v + atanh(2p − 1)),
//! v = α² + β²σ²,  c* = βσ²/v.
//!
//! So the population minimiser (λ → 0) is c = βσ²/v, u = m·μ with m = 1 − cβ (√q = m),
//! w = (√d β / v)·μ (ω = √r = √d β/v), b = atanh(2p − 1).
//!
//! Its per-dimension MSE (SPEC §5.5) splits into the within-mode posterior variance and the
//! uncertainty about the mode sign:
//!
//! MSE = σ²α²/v + (1 − c*β)²·E_h[1 − tanh²(β√d·h/v + atanh(2p − 1))],
//! h = x·μ/√d ~ p·N(β√d, v) + (1 − p)·N(−β√d, v).
//!
//! Writing h = ±β√d + √v·g, the argument is A·g + (±β²d/v + b) with A = β√d/√v, so each
//! mode is one [`tanh_moments`] call (saturation-safe, accuracy [`QUAD_ABS`]).
//!
//! [`QUAD_ABS`]: crate::quadrature::QUAD_ABS

use super::Prediction;
use crate::denoiser::{Denoiser, StepParams};
use crate::quadrature::tanh_moments;
use crate::schedule::Schedule;

/// The Bayes-optimal parameters and MSE at one time (SPEC §5.1, §5.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BayesStep {
    /// c = βσ²/v.
    pub c: f64,
    /// m = 1 − cβ (= √q).
    pub m: f64,
    /// ω = √d·β/v (= √r).
    pub omega: f64,
    /// b = atanh(2p − 1).
    pub b: f64,
    /// Per-dimension Bayes MSE (§5.5).
    pub mse: f64,
}

impl BayesStep {
    /// As a [`Prediction`] (every key present; √q = m, √r = ω).
    pub fn prediction(&self) -> Prediction {
        Prediction {
            c: Some(self.c),
            m: Some(self.m),
            omega: Some(self.omega),
            b: Some(self.b),
            sqrt_q: Some(self.m),
            sqrt_r: Some(self.omega),
            mse: Some(self.mse),
        }
    }
}

/// atanh(2p − 1) = ½·ln(p/(1 − p)), the bias that encodes the mode weight.
pub fn bias(p: f64) -> f64 {
    0.5 * (p / (1.0 - p)).ln()
}

/// §5.1 overlaps and §5.5 MSE at interpolation weights (α, β) in dimension d.
pub fn bayes(alpha: f64, beta: f64, p: f64, sigma2: f64, d: usize) -> BayesStep {
    let df = d as f64;
    let v = alpha * alpha + beta * beta * sigma2;
    let c = beta * sigma2 / v;
    let m = 1.0 - c * beta;
    let omega = df.sqrt() * beta / v;
    let b = bias(p);
    BayesStep {
        c,
        m,
        omega,
        b,
        mse: bayes_mse(alpha, beta, p, sigma2, d),
    }
}

/// Per-dimension Bayes MSE at (α, β) (SPEC §5.5), see the module doc.
pub fn bayes_mse(alpha: f64, beta: f64, p: f64, sigma2: f64, d: usize) -> f64 {
    let df = d as f64;
    let v = alpha * alpha + beta * beta * sigma2;
    let c = beta * sigma2 / v;
    let m = 1.0 - c * beta;
    let a = beta * df.sqrt() / v.sqrt();
    let shift = beta * beta * df / v;
    let sign_var = mode_sign_variance(a, shift, p);
    sigma2 * alpha * alpha / v + m * m * sign_var
}

/// The posterior variance of the mode sign, E[1 − tanh²(a·ĥ + atanh(2p − 1))] with
/// ĥ | s ~ N(s·a, 1), written as one [`tanh_moments`] call per mode: `a` = β√d/√v and
/// `shift` = β²d/v (= a², passed separately so that [`bayes_mse`] keeps its rounding). It is
/// the mmse of the class channel of SPEC §10 ([`crate::theory::channel`]).
pub fn mode_sign_variance(a: f64, shift: f64, p: f64) -> f64 {
    let b = bias(p);
    let plus = tanh_moments(a, shift + b).m2;
    let minus = tanh_moments(a, -shift + b).m2;
    1.0 - (p * plus + (1.0 - p) * minus)
}

/// The Bayes-optimal [`StepParams`] for mean direction `mu` (|μ|² = d): c, u = m·μ,
/// w = (√d β/v)·μ, b.
pub fn bayes_step_params(alpha: f64, beta: f64, p: f64, sigma2: f64, mu: &[f64]) -> StepParams {
    let s = bayes(alpha, beta, p, sigma2, mu.len());
    let u: Vec<f64> = mu.iter().map(|&x| s.m * x).collect();
    let w: Vec<f64> = mu.iter().map(|&x| s.omega * x).collect();
    StepParams::from_parts(s.c, &u, &w, s.b)
}

/// The Bayes-optimal [`Denoiser`] on `grid` (one [`bayes_step_params`] per grid time).
pub fn bayes_denoiser(
    schedule: &dyn Schedule,
    grid: &[f64],
    p: f64,
    sigma2: f64,
    mu: &[f64],
) -> Denoiser {
    Denoiser {
        grid: grid.to_vec(),
        steps: grid
            .iter()
            .map(|&t| bayes_step_params(schedule.alpha(t), schedule.beta(t), p, sigma2, mu))
            .collect(),
    }
}

/// SPEC §5.7: the mode weight a phase-1 step carries, p̂_w = (1 + tanh b)/2 (inverts
/// b = atanh(2p − 1); `b` in the canonical sign m ≥ 0).
pub fn p_from_bias(b: f64) -> f64 {
    0.5 * (1.0 + b.tanh())
}

/// SPEC §5.7: the variance a phase-2 step carries, σ̂²_w = c·α²/(β(1 − cβ)) (inverts
/// c = βσ²/(α² + β²σ²)); `None` unless β > 0 and cβ < 1.
///
/// # Remarks
/// With fresh noise the finite-n theory gives c = βA_n/(α² + β²A_n), so σ̂²_w = A_n; with
/// λ_u = 0 that is σ²(1 − 1/n), the maximum-likelihood 1/n bias (SPEC §5.7).
///
/// ```
/// use phaseflow::theory::bayes::{bayes, sigma2_from_c};
/// let (alpha, beta) = (0.4, 0.6);
/// let c = bayes(alpha, beta, 0.8, 0.7, 1000).c;
/// assert!((sigma2_from_c(c, alpha, beta).unwrap() - 0.7).abs() < 1e-12);
/// ```
pub fn sigma2_from_c(c: f64, alpha: f64, beta: f64) -> Option<f64> {
    (beta > 0.0 && c * beta < 1.0).then(|| c * alpha * alpha / (beta * (1.0 - c * beta)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::Mixture;
    use crate::rng::{Purpose, stream};
    use rand::Rng;
    use rand_distr::StandardNormal;

    #[test]
    fn bayes_at_t0_is_the_prior() {
        // β = 0: x_t carries no information; the posterior mean is (2p − 1)μ, MSE σ² + 4p(1 − p).
        let s = bayes(1.0, 0.0, 0.8, 1.3, 100);
        assert!(
            s.c.abs() < crate::tol::EXACT
                && (s.m - 1.0).abs() < crate::tol::EXACT
                && s.omega.abs() < crate::tol::EXACT
        );
        assert!((s.b.tanh() - 0.6).abs() < crate::tol::EXACT);
        assert!(
            (s.mse - (1.3 + 4.0 * 0.8 * 0.2)).abs() < crate::tol::ROUNDOFF,
            "{}",
            s.mse
        );
    }

    #[test]
    fn bayes_mse_against_monte_carlo_of_the_posterior_mean() {
        // Direct MC of (1/d)|E[x1|x_t] − x1|² with the posterior mean of the module doc;
        // 40 000 draws, z = 4 (two-sided α ≈ 6e-5, one check).
        let (p, s2, d) = (0.7, 0.6, 40);
        let mix = Mixture::ones(p, s2, d).unwrap();
        let mut rng = stream(5, 0, Purpose::Test, 100);
        for &(al, be) in &[(0.9, 0.1), (0.6, 0.4), (0.2, 0.8)] {
            let par = bayes_step_params(al, be, p, s2, mix.mu());
            let data = mix.sample(40_000, &mut rng);
            let mut vals = Vec::with_capacity(data.n);
            let mut f = vec![0.0; d];
            for i in 0..data.n {
                let x1 = data.row(i);
                let x0: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
                let xt: Vec<f64> = x0.iter().zip(x1).map(|(&a, &b)| al * a + be * b).collect();
                par.eval(&xt, &mut f);
                vals.push(f.iter().zip(x1).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / d as f64);
            }
            let n = vals.len() as f64;
            let mean = vals.iter().sum::<f64>() / n;
            let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt();
            let th = bayes_mse(al, be, p, s2, d);
            assert!(
                (mean - th).abs() < 4.0 * se,
                "α={al} β={be}: MC {mean} ± {se} vs theory {th} (z = 4)"
            );
        }
    }
}
