//! SPEC §10's sum rule on a training grid, and a trained model's surplus over it.
//!
//! The sum rule ∫₀^∞ d·(MSE excess) dsnr = 2H(p) ([`super::channel`]) holds for the Bayes
//! denoiser in continuous time. A trained model exists only at its K grid times t_k, so the
//! integral of its own excess is a quadrature on that grid. Here it is the trapezoid rule in
//! snr = β²/α² between consecutive grid times ([`snr_weights`]: weights w_k ≥ 0, zero beyond
//! the first and last grid time),
//!
//! I_grid(f) = Σ_k w_k·d·(MSE_f(t_k) − σ²α²/v),
//!
//! with MSE_f the per-dimension population error (x0 and x1 averaged in closed form,
//! [`super::loss::population_mse`]; no Monte Carlo). The same rule applied to the Bayes
//! denoiser gives I_grid(Bayes), which differs from 2H(p) by the grid's discretisation (the
//! trapezoid's error across the class window and the range beyond the last grid time). The
//! **trained surplus** is the difference on the same grid,
//!
//! S = I_grid(model) − I_grid(Bayes) = Σ_k w_k·d·(MSE_model(t_k) − MSE_Bayes(t_k)) ≥ 0,
//!
//! in which the discretisation cancels to first order: every term is ≥ 0 because the Bayes
//! denoiser minimises the population error at every t (the difference is d·E|f − E[x1|x_t]|²
//! per unit snr), and the weights are ≥ 0. So S ≥ 0 holds for every replica, exactly, up to
//! the numerical error of the 1-D moments ([`crate::quadrature::QUAD_ABS`] per moment,
//! carried through the weights: [`GridSurplus::numerical`]). S is a per-replica
//! learning-error statistic in nats; I_grid(model) − 2H(p) = S + (I_grid(Bayes) − 2H(p)).
//!
//! ```
//! use phaseflow::schedule::ScheduleSpec;
//! use phaseflow::theory::surplus::snr_weights;
//! let s = ScheduleSpec::dilated(2.0).build(1000).unwrap();
//! let w = snr_weights(s.as_ref(), &s.grid(20));
//! assert!(w.iter().all(|&x| x >= 0.0) && w[0] > 0.0);
//! ```

use super::bayes::bayes_mse;
use super::loss::{StepOverlaps, population_mse};
use crate::schedule::Schedule;
use serde::Serialize;

/// The trapezoid weights in snr = β²/α² of the grid times `grid` (increasing): w_0 =
/// (snr_1 − snr_0)/2, w_k = (snr_{k+1} − snr_{k−1})/2, w_{K−1} = (snr_{K−1} − snr_{K−2})/2.
/// A single time gets weight 0.
pub fn snr_weights(schedule: &dyn Schedule, grid: &[f64]) -> Vec<f64> {
    let snr: Vec<f64> = grid
        .iter()
        .map(|&t| (schedule.beta(t) / schedule.alpha(t)).powi(2))
        .collect();
    let k = snr.len();
    (0..k)
        .map(|i| {
            let lo = snr[i.saturating_sub(1)];
            let hi = snr[(i + 1).min(k - 1)];
            0.5 * (hi - lo)
        })
        .collect()
}

/// I_grid of the Bayes denoiser and a model, their difference and its numerical bound
/// (module doc).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridSurplus {
    /// I_grid(model), nats.
    pub model: f64,
    /// I_grid(Bayes) on the same grid, nats.
    pub bayes: f64,
    /// S = Σ w_k·d·(MSE_model − MSE_Bayes) (summed term by term, not as model − bayes).
    pub surplus: f64,
    /// Bound on the numerical error of `surplus` (and of `model`): QUAD_ABS per 1-D moment of
    /// both errors, carried through their coefficients and the weights.
    pub numerical: f64,
}

/// The trained surplus of a model given by its per-step overlaps at the grid times `grid`,
/// against the Bayes denoiser of (p, σ²) on the same grid (module doc).
///
/// # Panics
/// If `grid` and `steps` have different lengths.
pub fn grid_surplus(
    schedule: &dyn Schedule,
    grid: &[f64],
    steps: &[StepOverlaps],
    p: f64,
    sigma2: f64,
    d: usize,
) -> GridSurplus {
    assert_eq!(grid.len(), steps.len(), "one step per grid time");
    let w = snr_weights(schedule, grid);
    let df = d as f64;
    let mut g = GridSurplus {
        model: 0.0,
        bayes: 0.0,
        surplus: 0.0,
        numerical: 0.0,
    };
    for ((&t, o), wk) in grid.iter().zip(steps).zip(w) {
        let (al, be) = (schedule.alpha(t), schedule.beta(t));
        let v = al * al + be * be * sigma2;
        let within = sigma2 * al * al / v;
        let (mm, err) = population_mse(o, al, be, p, sigma2, d);
        let bm = bayes_mse(al, be, p, sigma2, d);
        // The Bayes error's sign term has weight (α²/v)² and one QUAD_ABS per moment.
        let berr = crate::quadrature::QUAD_ABS * (al * al / v).powi(2);
        g.model += wk * df * (mm - within);
        g.bayes += wk * df * (bm - within);
        g.surplus += wk * df * (mm - bm);
        g.numerical += wk * df * (err + berr);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleSpec;
    use crate::theory::channel::two_entropy;

    fn bayes_steps(s: &dyn Schedule, grid: &[f64], p: f64, s2: f64, d: usize) -> Vec<StepOverlaps> {
        grid.iter()
            .map(|&t| {
                let (al, be) = (s.alpha(t), s.beta(t));
                let v = al * al + be * be * s2;
                let c = be * s2 / v;
                let (m, om) = (1.0 - c * be, (d as f64).sqrt() * be / v);
                StepOverlaps {
                    c,
                    b: (2.0 * p - 1.0f64).atanh(),
                    m,
                    omega: om,
                    q: m * m,
                    r: om * om,
                    rho: m * om,
                }
            })
            .collect()
    }

    #[test]
    fn bayes_has_zero_surplus_and_the_fine_grid_gives_two_h() {
        // The Bayes denoiser's own surplus is 0 to its numerical bound; on a fine linear grid
        // I_grid(Bayes) → 2H(p) (trapezoid error O(h²) over the class window).
        let (p, s2, d) = (0.8, 1.0, 1000);
        let s = ScheduleSpec::linear().build(d).unwrap();
        for k in [200usize, 20_000] {
            let grid = s.grid(k);
            let g = grid_surplus(
                s.as_ref(),
                &grid,
                &bayes_steps(s.as_ref(), &grid, p, s2, d),
                p,
                s2,
                d,
            );
            assert!(g.surplus.abs() <= g.numerical, "{g:?}");
            if k == 20_000 {
                assert!((g.bayes - two_entropy(p)).abs() < 2e-3, "{g:?}");
            }
        }
    }

    #[test]
    fn a_wrong_prior_has_positive_surplus() {
        // The Bayes denoiser of p − 0.02 used on data of p: S > 0 by far more than its bound.
        let (p, s2, d) = (0.8, 1.0, 1000);
        let s = ScheduleSpec::dilated(2.0).build(d).unwrap();
        let grid = s.grid(20);
        let g = grid_surplus(
            s.as_ref(),
            &grid,
            &bayes_steps(s.as_ref(), &grid, p - 0.02, s2, d),
            p,
            s2,
            d,
        );
        assert!(g.surplus > 1e3 * g.numerical && g.surplus > 1e-4, "{g:?}");
    }
}
