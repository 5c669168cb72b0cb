//! SPEC §5.4: what explicit Euler with the Bayes-optimal denoiser generates on a given grid.
//!
//! With the §5.1 denoiser f_k(x) = c_k·x + m_k·μ·tanh(C_k·h + b), h = x·μ/√d,
//! C_k = β_k√d/v_k, the Euler step x ← x + Δt_k(a_k x + g_k f_k(x)) (a = α̇/α,
//! g = β̇ − α̇β/α, see [`VelocityCoef`]) splits exactly into
//!
//! * every coordinate orthogonal to μ: y ← A_k·y with A_k = 1 + Δt_k(a_k + g_k c_k), so the
//!   generated orthogonal variance is Π_k A_k² (x0 ~ N(0, I), and y stays independent of h);
//! * the coordinate along μ: h ← F_k(h) = A_k·h + B_k·tanh(C_k·h + b), B_k = Δt_k g_k m_k √d.
//!
//! p̂ = P(h_K > 0) with h_0 ~ N(0, s₀²), s₀ = α(t_0) the path's noise scale (1, or √d on
//! the ve path), and the orthogonal variance is s₀²·Π_k A_k². With the authors' endpoint
//! ([`Endpoint::LastGridPoint`]) the last map is dropped. Rather than propagating a density on a grid, we use
//! that each F_k is strictly increasing (A_k > 0, B_k C_k ≥ 0): then h_K > 0 ⇔ h_0 > h_0*,
//! where h_0* = F_0⁻¹ ∘ … ∘ F_{K−1}⁻¹(0), and p̂ = Φ(−h_0*) exactly. Each inverse is found
//! by bisection in the bracket [(y − B_k)/A_k, (y + B_k)/A_k] (|tanh| ≤ 1) until the interval
//! stops shrinking, i.e. to the last ulp; the tail is computed with erfc, so p̂ has a relative
//! error of a few ulps times the conditioning of the backward composition (tested: p̂ moves
//! by < 1e-12 when the root is moved by 1 ulp at every stage, and F(h_0*) changes sign).
//!
//! A_k > 0 holds whenever no Euler step overshoots τ = 1 (proof in [`euler_bayes`]). On a
//! schedule where a step does overshoot (possible for piecewise knots inside a step), the
//! map can fold and [`euler_bayes`] returns `None`.
//!
//! [`VelocityCoef`]: crate::flow::VelocityCoef

use super::bayes::bayes;
use crate::flow::{Endpoint, VelocityCoef, step_sizes};
use crate::schedule::Schedule;
use serde::{Deserialize, Serialize};
use std::f64::consts::FRAC_1_SQRT_2;

/// The exact Euler prediction of the generated statistics (SPEC §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EulerPrediction {
    /// P(x·μ > 0) for generated samples.
    pub p_hat: f64,
    /// Variance of each coordinate orthogonal to μ (within either mode); `None` for d = 1.
    pub var_perp: Option<f64>,
}

/// One Euler step of the μ-coordinate: h ↦ a·h + bb·tanh(cc·h + b).
#[derive(Debug, Clone, Copy)]
struct HMap {
    a: f64,
    bb: f64,
    cc: f64,
    b: f64,
}

impl HMap {
    fn apply(&self, h: f64) -> f64 {
        self.a * h + self.bb * (self.cc * h + self.b).tanh()
    }

    /// The unique h with apply(h) = y, to the last ulp (requires a > 0, bb·cc ≥ 0, bb ≥ 0).
    fn invert(&self, y: f64) -> f64 {
        let (mut lo, mut hi) = ((y - self.bb) / self.a, (y + self.bb) / self.a);
        // Bracket: apply(lo) ≤ y ≤ apply(hi) because |tanh| ≤ 1 and bb ≥ 0.
        loop {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                // lo and hi are adjacent doubles: return the one with the smaller residual.
                return if (self.apply(lo) - y).abs() <= (self.apply(hi) - y).abs() {
                    lo
                } else {
                    hi
                };
            }
            if self.apply(mid) < y {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
}

/// The Euler step maps F_k of the μ-coordinate, k < `steps`; `Err(k)` names the first step
/// whose map is not strictly increasing.
fn step_maps(
    schedule: &dyn Schedule,
    grid: &[f64],
    (p, sigma2, d): (f64, f64, usize),
    steps: usize,
) -> Result<Vec<HMap>, usize> {
    let sd = (d as f64).sqrt();
    let dts = step_sizes(schedule, grid);
    grid.iter()
        .zip(&dts)
        .take(steps)
        .enumerate()
        .map(|(k, (&t, &dt))| {
            let (al, be) = (schedule.alpha(t), schedule.beta(t));
            let vc = VelocityCoef::at(schedule, t);
            let bs = bayes(al, be, p, sigma2, d);
            let v = al * al + be * be * sigma2;
            let map = HMap {
                a: 1.0 + dt * (vc.a + vc.g * bs.c),
                bb: dt * vc.g * bs.m * sd,
                cc: be * sd / v,
                b: bs.b,
            };
            // Strictly increasing map needed for the backward inversion.
            (map.a > 0.0 && map.bb >= 0.0 && map.cc >= 0.0 && map.a.is_finite())
                .then_some(map)
                .ok_or(k)
        })
        .collect()
}

/// The thresholds h*_k = F_k⁻¹ ∘ … ∘ F_{K−1}⁻¹(0), k = 0..K−1: a sample at grid step k ends
/// in the + mode iff its μ-coordinate h_k exceeds h*_k (the exact U-turn of SPEC §8 for the
/// Bayes denoiser uses them).
///
/// # Errors
/// The index of the first step whose Euler map is not strictly increasing.
pub fn thresholds(
    schedule: &dyn Schedule,
    grid: &[f64],
    p: f64,
    sigma2: f64,
    d: usize,
) -> Result<Vec<f64>, usize> {
    let maps = step_maps(schedule, grid, (p, sigma2, d), grid.len())?;
    let mut h = vec![0.0; maps.len()];
    let mut y = 0.0;
    for k in (0..maps.len()).rev() {
        y = maps[k].invert(y);
        h[k] = y;
    }
    Ok(h)
}

/// Exact p̂ and orthogonal variance for explicit Euler with the Bayes denoiser on `grid`
/// (SPEC §5.4; the method is in the module doc).
///
/// Every F_k is increasing: with τ̇ > 0, a = α̇/α = −τ̇/α and g = β̇ − α̇β/α = τ̇/α, so
/// A_k = 1 − (Δt_k τ̇_k/α_k)(1 − c_k). When the step does not overshoot τ = 1,
/// Δt τ̇ ≤ α; with c_k ≥ 0 this gives A_k ≥ c_k > 0 for t_k > 0, and A_0 = 1 − Δτ_0 > 0
/// (unless K = 1). B_k, C_k ≥ 0 because g, m = 1 − cβ and β are ≥ 0.
///
/// Returns `None` if some step's map is not strictly increasing (see the module doc).
///
/// ```
/// use phaseflow::schedule::{Linear, Schedule};
/// use phaseflow::theory::euler::euler_bayes;
/// // SPEC §5.4: the linear schedule with K = 80 loses the mode weight as d grows.
/// let e = euler_bayes(&Linear, &Linear.grid(80), 0.8, 1.0, 32_000).unwrap();
/// assert!((e.p_hat - 0.95).abs() < 0.01);
/// ```
pub fn euler_bayes(
    schedule: &dyn Schedule,
    grid: &[f64],
    p: f64,
    sigma2: f64,
    d: usize,
) -> Option<EulerPrediction> {
    euler_bayes_to(schedule, grid, (p, sigma2, d), Endpoint::End)
}

/// [`euler_bayes`] on any path, stopping at `endpoint`: the maps of the steps taken, h_0 and
/// the orthogonal coordinates starting at N(0, s₀²) with s₀ = α(t_0) (module doc).
///
/// ```
/// use phaseflow::flow::Endpoint;
/// use phaseflow::path::PathSpec;
/// use phaseflow::schedule::ScheduleSpec;
/// use phaseflow::theory::euler::euler_bayes_to;
/// // arXiv 2501.00988: constant-speed ve keeps p but the within-mode variance collapses.
/// let d = 100_000;
/// let s = ScheduleSpec::linear().build_on(&PathSpec::ve(), d).unwrap();
/// let e = euler_bayes_to(s.as_ref(), &s.grid(50), (0.8, 0.25, d), Endpoint::End).unwrap();
/// assert!((e.p_hat - 0.8028).abs() < 1e-4 && e.var_perp.unwrap() < 0.002);
/// ```
pub fn euler_bayes_to(
    schedule: &dyn Schedule,
    grid: &[f64],
    (p, sigma2, d): (f64, f64, usize),
    endpoint: Endpoint,
) -> Option<EulerPrediction> {
    let (maps, s0) = endpoint_maps(schedule, grid, (p, sigma2, d), endpoint)?;
    let h0 = threshold(&maps);
    let var: f64 = maps.iter().map(|m| m.a * m.a).product();
    Some(EulerPrediction {
        // s₀ = 1 off the ve path: the division and the product are exact.
        p_hat: upper_tail(h0 / s0),
        var_perp: (d > 1).then_some(s0 * s0 * var),
    })
}

/// The generated orthogonal variance of explicit Euler with a denoiser whose linear part
/// is c_k at grid step k, run to `endpoint`: s₀²·Π_k A_k², A_k = 1 + Δt_k(a_k + g_k c_k),
/// s₀ = α(t_0) the path's starting noise scale (1, or √d on the ve path), the product over
/// the steps taken (module doc). With the Bayes c_k this is [`euler_bayes_to`]'s `var_perp`;
/// with the finite-n c_k (SPEC §5.3) it is the prediction for a trained network, whose
/// u_k tanh(·) term moves the orthogonal coordinates only along the n-dimensional span of
/// its data (O(1/d) of the variance per coordinate) and only through the within-mode
/// fluctuation of tanh, which saturates in phase 2.
///
/// ```
/// use phaseflow::flow::Endpoint;
/// use phaseflow::path::PathSpec;
/// use phaseflow::schedule::{Linear, Schedule, ScheduleSpec};
/// use phaseflow::theory::bayes::bayes;
/// use phaseflow::theory::euler::{euler_bayes, euler_bayes_to, var_perp_linear};
/// let grid = Linear.grid(40);
/// let cs: Vec<f64> = grid.iter().map(|&t| bayes(1.0 - t, t, 0.8, 1.0, 500).c).collect();
/// let e = euler_bayes(&Linear, &grid, 0.8, 1.0, 500).unwrap();
/// let v = var_perp_linear(&Linear, &grid, &cs, Endpoint::End);
/// assert!((v - e.var_perp.unwrap()).abs() < 1e-12);
/// // On the ve path x(0) ~ N(0, d·I): the starting variance α(t_0)² = d is part of it.
/// let d = 1000;
/// let s = ScheduleSpec::linear().build_on(&PathSpec::ve(), d).unwrap();
/// let grid = s.grid(50);
/// let cs: Vec<f64> = grid
///     .iter()
///     .map(|&t| bayes(s.alpha(t), s.beta(t), 0.8, 0.25, d).c)
///     .collect();
/// let e = euler_bayes_to(s.as_ref(), &grid, (0.8, 0.25, d), Endpoint::End).unwrap();
/// let v = var_perp_linear(s.as_ref(), &grid, &cs, Endpoint::End);
/// assert!((v / e.var_perp.unwrap() - 1.0).abs() < 1e-12);
/// ```
pub fn var_perp_linear(
    schedule: &dyn Schedule,
    grid: &[f64],
    cs: &[f64],
    endpoint: Endpoint,
) -> f64 {
    let Some(&t0) = grid.first() else {
        return 1.0;
    };
    let s0 = schedule.alpha(t0);
    let dts = step_sizes(schedule, grid);
    let prod: f64 = grid
        .iter()
        .zip(&dts)
        .zip(cs)
        .take(endpoint.steps(grid.len()))
        .map(|((&t, &dt), &c)| {
            let vc = VelocityCoef::at(schedule, t);
            let a = 1.0 + dt * (vc.a + vc.g * c);
            a * a
        })
        .product();
    s0 * s0 * prod
}

/// The maps of the steps taken to `endpoint` and the starting scale s₀ = α(t_0).
fn endpoint_maps(
    schedule: &dyn Schedule,
    grid: &[f64],
    problem: (f64, f64, usize),
    endpoint: Endpoint,
) -> Option<(Vec<HMap>, f64)> {
    let s0 = schedule.alpha(*grid.first()?);
    let maps = step_maps(schedule, grid, problem, endpoint.steps(grid.len())).ok()?;
    Some((maps, s0))
}

/// The log-odds ln(p̂/(1 − p̂)) of the exact Euler p̂ (module doc), from both tails so that
/// it stays finite when p̂ rounds to 0 or 1 in floating point (the constant-speed vp schedule
/// at large d). `None` as [`euler_bayes_to`].
pub fn euler_log_odds(
    schedule: &dyn Schedule,
    grid: &[f64],
    problem: (f64, f64, usize),
    endpoint: Endpoint,
) -> Option<f64> {
    let (maps, s0) = endpoint_maps(schedule, grid, problem, endpoint)?;
    let z = threshold(&maps) / s0;
    Some(ln_upper_tail(z) - ln_upper_tail(-z))
}

/// ln P(g > h) for g ~ N(0, 1), finite far into the tail (asymptotic series beyond h = 30,
/// where erfc underflows).
fn ln_upper_tail(h: f64) -> f64 {
    if h < 30.0 {
        upper_tail(h).ln()
    } else {
        // Mills ratio: P(g > h) = φ(h)/h·(1 − 1/h² + 3/h⁴ − …); the next term is < 1e-8 here.
        let h2 = h * h;
        -0.5 * h2 - h.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            + (1.0 - 1.0 / h2 + 3.0 / (h2 * h2)).ln()
    }
}

/// P(g > h) for g ~ N(0, 1), accurate in the tails (erfc, not 1 − Φ).
fn upper_tail(h: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(h * FRAC_1_SQRT_2)
}

/// h_0* = F_0⁻¹ ∘ … ∘ F_{K−1}⁻¹(0).
fn threshold(maps: &[HMap]) -> f64 {
    maps.iter().rev().fold(0.0, |y, m| m.invert(y))
}

/// The final μ-coordinate h_K of a sample that starts at h_0 (forward Euler along μ).
/// Exposed for tests and for U-turn style diagnostics (SPEC §8).
pub fn forward_h(
    schedule: &dyn Schedule,
    grid: &[f64],
    p: f64,
    sigma2: f64,
    d: usize,
    h0: f64,
) -> Option<f64> {
    let maps = step_maps(schedule, grid, (p, sigma2, d), grid.len()).ok()?;
    Some(maps.iter().fold(h0, |h, m| m.apply(h)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Dilated, Linear};

    #[test]
    fn threshold_is_the_sign_change_of_the_forward_map() {
        for d in [500usize, 32_000] {
            for s in [
                Box::new(Linear) as Box<dyn Schedule>,
                Box::new(Dilated::new(2.0, d).unwrap()),
            ] {
                let grid = s.grid(80);
                let maps = step_maps(s.as_ref(), &grid, (0.8, 1.0, d), 80).unwrap();
                let h0 = threshold(&maps);
                let fwd = |h: f64| maps.iter().fold(h, |x, m| m.apply(x));
                let dh = 1e-9 * (1.0 + h0.abs());
                assert!(
                    fwd(h0 - dh) < 0.0 && fwd(h0 + dh) > 0.0,
                    "d={d} {s:?}: h0*={h0}, F(h0*±) = {} {}",
                    fwd(h0 - dh),
                    fwd(h0 + dh)
                );
                // Sensitivity: moving h0* by 1e-9 moves p̂ by φ(h0*)·1e-9 < 1e-9; the root
                // itself is exact to ~1 ulp, so p̂ is exact to ~1e-15 absolute.
                let p1 = upper_tail(h0);
                let p2 = upper_tail(h0 + dh);
                assert!((p1 - p2).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn continuous_time_limit_recovers_p_and_sigma2() {
        // The ODE maps N(0, I) to ρ exactly (SPEC §5.4): with a fine grid, Euler's p̂ → p and
        // var⊥ → σ². Euler's global error is O(1/K); on the dilated schedule at K = 20 000
        // we allow 5e-3 (measured error of K = 80 is ~1e-2, so 250× finer gives ≪ 5e-3).
        let d = 2000;
        let s = Dilated::new(2.0, d).unwrap();
        let grid = s.grid(20_000);
        let e = euler_bayes(&s, &grid, 0.8, 1.0, d).unwrap();
        assert!((e.p_hat - 0.8).abs() < 5e-3, "p̂ {}", e.p_hat);
        assert!(
            (e.var_perp.unwrap() - 1.0).abs() < 5e-3,
            "var {:?}",
            e.var_perp
        );
    }
}
