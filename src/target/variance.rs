//! Classes that differ only in variance (SPEC §9.3): ρ = p·N(0, σ₊²I_d) + (1 − p)·N(0, σ₋²I_d).
//!
//! Given its class s, x_t = α·z + β·x1 ~ N(0, v_s I) with v_s = α² + β²σ_s², so everything
//! depends on x through y = |x|²/d. The posterior log-odds of class + are
//! ln(p/(1 − p)) − (d/2)·ln(v₊/v₋) − (d·y/2)(1/v₊ − 1/v₋), and the Bayes denoiser is radial,
//! f(x) = C(y)·x with C = Σ_s π_s·c_s, c_s = βσ_s²/v_s. An Euler step maps x to
//! (1 + Δt(a + g·C(y)))·x: every sample stays on its ray and y follows the 1-D map
//! y ← A(y)²·y, A = 1 + Δt(a + gC), which is increasing (C grows with y: the class of the
//! larger variance is likelier at larger y and has the larger c). So, as for two modes
//! (SPEC §5.4), the generated class is decided by one threshold pulled back through the
//! inverse maps (bisection to the last ulp), and p̂ is a χ²_d tail: y_0 = s₀²χ²_d/d.
//!
//! A generated sample is assigned to the class of the larger density without the prior
//! (y above θ = ln(σ₊²/σ₋²)/(1/σ₋² − 1/σ₊²)): a classification of the sample's own
//! variance, so that p̂ measures what the flow put in each class, not the prior.
//!
//! Class 0 is the + class (weight p, variance σ₊²), class 1 the − class.
//!
//! The U-turn (SPEC §8) of the exact Euler flow from grid step k is closed-form too: x1 of
//! class s noised to t_k has y ~ v_s χ²_d/d, and ends in the class of the larger variance iff
//! y exceeds the threshold pulled back to step k ([`VarianceMixture::uturn`]). The
//! continuous-time probability-flow ODE maps ρ_t onto ρ exactly and keeps the order of y,
//! so its threshold at t is the ρ_t-quantile of the mass ρ puts above θ
//! ([`VarianceMixture::uturn_ode`]).

use super::isotropic::pick_class;
use super::{ClassEuler, ConfigError, Labelled, Target, check_dim, euler_steps};
use crate::flow::{Endpoint, VelocityCoef};
use crate::rng::PortableRng;
use crate::schedule::Schedule;
use rand::Rng;
use rand_distr::StandardNormal;
use statrs::function::gamma::{gamma_lr, gamma_ur};

/// Two zero-mean classes of different variance (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct VarianceMixture {
    d: usize,
    weights: [f64; 2],
    s2: [f64; 2],
}

/// One Euler step of y = |x|²/d (module doc).
#[derive(Debug, Clone, Copy)]
struct YMap {
    dt: f64,
    a: f64,
    g: f64,
    c: [f64; 2],
    v: [f64; 2],
    log_odds0: f64,
    half_d: f64,
}

impl YMap {
    fn big_a(&self, y: f64) -> f64 {
        let l = self.log_odds0 - self.half_d * y * (1.0 / self.v[0] - 1.0 / self.v[1]);
        let pi = 1.0 / (1.0 + (-l).exp());
        let c = pi * self.c[0] + (1.0 - pi) * self.c[1];
        1.0 + self.dt * (self.a + self.g * c)
    }
    fn apply(&self, y: f64) -> f64 {
        let a = self.big_a(y);
        a * a * y
    }
    /// The bounds of A over y (the extreme class coefficients).
    fn a_range(&self) -> (f64, f64) {
        let lo = 1.0 + self.dt * (self.a + self.g * self.c[0].min(self.c[1]));
        let hi = 1.0 + self.dt * (self.a + self.g * self.c[0].max(self.c[1]));
        (lo, hi)
    }
    /// The y with apply(y) = out, to the last ulp (apply is increasing).
    fn invert(&self, out: f64) -> f64 {
        let (alo, ahi) = self.a_range();
        let (mut lo, mut hi) = (out / (ahi * ahi), out / (alo * alo));
        loop {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                return if (self.apply(lo) - out).abs() <= (self.apply(hi) - out).abs() {
                    lo
                } else {
                    hi
                };
            }
            if self.apply(mid) < out {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
}

impl VarianceMixture {
    /// The mixture with weight p on N(0, σ₊²I) and 1 − p on N(0, σ₋²I) in dimension d.
    ///
    /// # Errors
    /// [`ConfigError`] naming `p` (not in (0, 1)), `sigma2_plus` or `sigma2_minus` (not
    /// positive and finite, or equal: the classes must differ), or `d` (zero).
    pub fn new(d: usize, p: f64, sigma2_plus: f64, sigma2_minus: f64) -> Result<Self, ConfigError> {
        check_dim(d, 1)?;
        crate::problem::in_range("p", "0 < p < 1", p, p > 0.0 && p < 1.0)?;
        crate::problem::positive_finite("sigma2_plus", sigma2_plus)?;
        crate::problem::positive_finite("sigma2_minus", sigma2_minus)?;
        if (sigma2_plus / sigma2_minus - 1.0).abs() < 1e-9 {
            return Err(ConfigError::Invalid {
                field: "sigma2_minus",
                rule: format!(
                    "must differ from sigma2_plus = {sigma2_plus}: the classes differ only in variance"
                ),
            });
        }
        Ok(Self {
            d,
            weights: [p, 1.0 - p],
            s2: [sigma2_plus, sigma2_minus],
        })
    }

    /// The class variances (σ₊², σ₋²).
    pub fn variances(&self) -> [f64; 2] {
        self.s2
    }

    /// The index of the class of the larger variance.
    fn big(&self) -> usize {
        usize::from(self.s2[1] > self.s2[0])
    }

    /// θ: the y = |x|²/d where the two class densities (without the prior) are equal.
    pub fn threshold(&self) -> f64 {
        let [a, b] = self.s2;
        (a / b).ln() / (1.0 / b - 1.0 / a)
    }

    /// The posterior probability of class + at y = |x|²/d and (α, β).
    pub fn posterior_y(&self, alpha: f64, beta: f64, y: f64) -> f64 {
        let v = self.v(alpha, beta);
        let half_d = 0.5 * self.d as f64;
        let l = (self.weights[0] / self.weights[1]).ln()
            - half_d * (v[0] / v[1]).ln()
            - half_d * y * (1.0 / v[0] - 1.0 / v[1]);
        1.0 / (1.0 + (-l).exp())
    }

    fn v(&self, alpha: f64, beta: f64) -> [f64; 2] {
        self.s2.map(|s| alpha * alpha + beta * beta * s)
    }

    /// Per-dimension Bayes MSE at (α, β) and its smooth part Σ_s p_s σ_s²α²/v_s (the MSE if
    /// the class were known): (mse, smooth). The rest, E[Var_π(c)·y], is the class
    /// information's bump (SPEC §9.3); computed by adaptive Gauss–Kronrod over y on the bulk
    /// of both classes (±14 standard deviations of each χ²_d/d law), tolerance 1e-11.
    pub fn bayes_mse(&self, alpha: f64, beta: f64) -> (f64, f64) {
        let v = self.v(alpha, beta);
        let cs = [beta * self.s2[0] / v[0], beta * self.s2[1] / v[1]];
        let smooth: f64 = (0..2)
            .map(|s| self.weights[s] * self.s2[s] * alpha * alpha / v[s])
            .sum();
        if beta == 0.0 {
            return (smooth, smooth);
        }
        let df = self.d as f64;
        let k = 0.5 * df;
        let var_c = |y: f64| {
            let pi = self.posterior_y(alpha, beta, y);
            let mean = pi * cs[0] + (1.0 - pi) * cs[1];
            (pi * cs[0] * cs[0] + (1.0 - pi) * cs[1] * cs[1] - mean * mean).max(0.0) * y
        };
        let mut excess = 0.0;
        for s in 0..2 {
            // y ~ v_s χ²_d/d: Gamma(shape d/2, scale 2v_s/d).
            let scale = 2.0 * v[s] / df;
            let ln_norm = statrs::function::gamma::ln_gamma(k) + k * scale.ln();
            let dens = |y: f64| ((k - 1.0) * y.ln() - y / scale - ln_norm).exp();
            let sd = v[s] * (2.0 / df).sqrt();
            let (lo, hi) = ((v[s] - 14.0 * sd).max(0.0), v[s] + 14.0 * sd);
            let i = crate::quadrature::integrate(&|y| dens(y) * var_c(y), lo, hi, 1e-11);
            excess += self.weights[s] * i.value;
        }
        (smooth + excess, smooth)
    }

    fn maps(&self, schedule: &dyn Schedule, grid: &[f64], endpoint: Endpoint) -> Option<Vec<YMap>> {
        let half_d = 0.5 * self.d as f64;
        euler_steps(schedule, grid, endpoint)
            .into_iter()
            .map(|(t, dt)| {
                let (al, be) = (schedule.alpha(t), schedule.beta(t));
                let vc = VelocityCoef::at(schedule, t);
                let v = self.v(al, be);
                let m = YMap {
                    dt,
                    a: vc.a,
                    g: vc.g,
                    c: [be * self.s2[0] / v[0], be * self.s2[1] / v[1]],
                    v,
                    log_odds0: (self.weights[0] / self.weights[1]).ln()
                        - half_d * (v[0] / v[1]).ln(),
                    half_d,
                };
                let (lo, hi) = m.a_range();
                (lo > 0.0 && hi.is_finite() && m.g >= 0.0).then_some(m)
            })
            .collect()
    }

    /// The thresholds y*_k, k = 0..K−1: a sample at grid step k ends in the class of the
    /// larger variance iff its y = |x|²/d exceeds y*_k (module doc). `None` as
    /// [`Target::euler`].
    pub fn thresholds(&self, schedule: &dyn Schedule, grid: &[f64]) -> Option<Vec<f64>> {
        let maps = self.maps(schedule, grid, Endpoint::End)?;
        let mut out = vec![0.0; maps.len()];
        let mut y = self.threshold();
        for k in (0..maps.len()).rev() {
            y = maps[k].invert(y);
            out[k] = y;
        }
        Some(out)
    }

    /// P(y_d > y) for y_d ~ v·χ²_d/d.
    fn upper(&self, v: f64, y: f64) -> f64 {
        gamma_ur(0.5 * self.d as f64, 0.5 * self.d as f64 * y / v)
    }
    /// P(y_d < y) for y_d ~ v·χ²_d/d.
    fn lower(&self, v: f64, y: f64) -> f64 {
        gamma_lr(0.5 * self.d as f64, 0.5 * self.d as f64 * y / v)
    }

    /// P(the class of x1 changes) for x1 ~ ρ noised to (α, β) when the flow from there ends
    /// in the class of the larger variance iff y > `y_star`.
    fn flip(&self, alpha: f64, beta: f64, y_star: f64) -> f64 {
        let v = self.v(alpha, beta);
        let big = self.big();
        let small = 1 - big;
        self.weights[big] * self.lower(v[big], y_star)
            + self.weights[small] * self.upper(v[small], y_star)
    }

    /// The exact U-turn of Euler with the Bayes denoiser from each grid step k: P(class of
    /// the end point ≠ class of x1) for x1 ~ ρ noised to t_k (module doc).
    pub fn uturn(&self, schedule: &dyn Schedule, grid: &[f64]) -> Option<Vec<f64>> {
        let th = self.thresholds(schedule, grid)?;
        Some(
            grid.iter()
                .zip(th)
                .map(|(&t, y)| self.flip(schedule.alpha(t), schedule.beta(t), y))
                .collect(),
        )
    }

    /// The U-turn of the continuous-time probability-flow ODE at (α, β) (module doc): the
    /// threshold is the y* with P_{ρ_t}(y > y*) = P_ρ(y > θ), by bisection in ln y.
    pub fn uturn_ode(&self, alpha: f64, beta: f64) -> f64 {
        let target: f64 = (0..2)
            .map(|s| self.weights[s] * self.upper(self.s2[s], self.threshold()))
            .sum();
        let v = self.v(alpha, beta);
        let mass = |y: f64| -> f64 { (0..2).map(|s| self.weights[s] * self.upper(v[s], y)).sum() };
        let (mut lo, mut hi) = ((0.01 * v[0].min(v[1])).ln(), (100.0 * v[0].max(v[1])).ln());
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if mass(mid.exp()) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        self.flip(alpha, beta, (0.5 * (lo + hi)).exp())
    }
}

impl Target for VarianceMixture {
    fn name(&self) -> &'static str {
        "variance"
    }
    fn d(&self) -> usize {
        self.d
    }
    fn weights(&self) -> &[f64] {
        &self.weights
    }
    fn sample(&self, n: usize, rng: &mut PortableRng) -> Labelled {
        let sd = self.s2.map(f64::sqrt);
        let mut x = Vec::with_capacity(n * self.d);
        let mut label = Vec::with_capacity(n);
        for _ in 0..n {
            let c = pick_class(&self.weights, rng.random::<f64>());
            label.push(c);
            x.extend((0..self.d).map(|_| sd[c] * rng.sample::<f64, _>(StandardNormal)));
        }
        Labelled {
            n,
            d: self.d,
            x,
            label,
        }
    }
    fn posterior(&self, alpha: f64, beta: f64, x: &[f64]) -> Vec<f64> {
        let y = x.iter().map(|v| v * v).sum::<f64>() / self.d as f64;
        let p = self.posterior_y(alpha, beta, y);
        vec![p, 1.0 - p]
    }
    fn denoise(&self, alpha: f64, beta: f64, x: &[f64], out: &mut [f64]) {
        let pi = self.posterior(alpha, beta, x);
        let v = self.v(alpha, beta);
        let c = pi[0] * beta * self.s2[0] / v[0] + pi[1] * beta * self.s2[1] / v[1];
        for (o, &xj) in out.iter_mut().zip(x) {
            *o = c * xj;
        }
    }
    fn classify(&self, x: &[f64]) -> usize {
        let y = x.iter().map(|v| v * v).sum::<f64>() / self.d as f64;
        let big = self.big();
        if y > self.threshold() { big } else { 1 - big }
    }
    fn euler(
        &self,
        schedule: &dyn Schedule,
        grid: &[f64],
        endpoint: Endpoint,
    ) -> Option<ClassEuler> {
        let s0 = schedule.alpha(*grid.first()?);
        let maps = self.maps(schedule, grid, endpoint)?;
        let y0 = maps.iter().rev().fold(self.threshold(), |y, m| m.invert(y));
        let big = self.big();
        let mut p_hat = [0.0; 2];
        p_hat[big] = self.upper(s0 * s0, y0);
        p_hat[1 - big] = self.lower(s0 * s0, y0);
        // E[y_K | class] by Gauss–Kronrod over y_0's Gamma law, split at y0*.
        let df = self.d as f64;
        let k = 0.5 * df;
        let scale = 2.0 * s0 * s0 / df;
        let ln_norm = statrs::function::gamma::ln_gamma(k) + k * scale.ln();
        let dens = |y: f64| ((k - 1.0) * y.ln() - y / scale - ln_norm).exp();
        let fwd = |y: f64| maps.iter().fold(y, |y, m| m.apply(y));
        let sd = s0 * s0 * (2.0 / df).sqrt();
        let (lo, hi) = ((s0 * s0 - 14.0 * sd).max(0.0), s0 * s0 + 14.0 * sd);
        let part = |a: f64, b: f64| {
            if b <= a {
                return 0.0;
            }
            crate::quadrature::integrate(&|y| dens(y) * fwd(y), a, b, 1e-9).value
        };
        let cut = y0.clamp(lo, hi);
        let mut class_var = [0.0; 2];
        class_var[big] = part(cut, hi) / p_hat[big];
        class_var[1 - big] = part(lo, cut) / p_hat[1 - big];
        Some(ClassEuler {
            p_hat: p_hat.to_vec(),
            var_perp: None,
            class_var: Some(class_var.to_vec()),
            numerical: 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_fields_by_name() {
        let e = VarianceMixture::new(10, 1.2, 1.0, 0.25).unwrap_err();
        assert!(e.to_string().starts_with("p:"), "{e}");
        let e = VarianceMixture::new(10, 0.8, 0.0, 0.25).unwrap_err();
        assert!(e.to_string().starts_with("sigma2_plus:"), "{e}");
        let e = VarianceMixture::new(10, 0.8, 1.0, f64::NAN).unwrap_err();
        assert!(e.to_string().starts_with("sigma2_minus:"), "{e}");
        let e = VarianceMixture::new(10, 0.8, 1.0, 1.0).unwrap_err();
        assert!(
            e.to_string().starts_with("sigma2_minus: must differ"),
            "{e}"
        );
        assert!(VarianceMixture::new(0, 0.8, 1.0, 0.25).is_err());
    }

    #[test]
    fn denoiser_is_the_posterior_mean() {
        // E[x1 | x_t] = Σ_s π_s·(βσ_s²/v_s)·x, with π from the two Gaussian densities.
        let t = VarianceMixture::new(3, 0.8, 1.0, 0.25).unwrap();
        let (al, be) = (0.5, 0.7);
        let x = [0.4, -0.2, 0.9];
        let r2: f64 = x.iter().map(|v| v * v).sum();
        let dens = |v: f64| (-r2 / (2.0 * v)).exp() / v.powf(1.5);
        let v = [al * al + be * be, al * al + be * be * 0.25];
        let (a, b) = (0.8 * dens(v[0]), 0.2 * dens(v[1]));
        let pi = a / (a + b);
        let c = pi * be / v[0] + (1.0 - pi) * be * 0.25 / v[1];
        let mut out = [0.0; 3];
        t.denoise(al, be, &x, &mut out);
        for j in 0..3 {
            assert!((out[j] - c * x[j]).abs() < crate::tol::ROUNDOFF);
        }
    }
}
