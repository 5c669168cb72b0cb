//! The class quadrature of [`super`]: the class masses of the Gaussian start z_0 ~ N(0, s₀²I_r)
//! under the exact Euler map (module doc of [`super`]).

use super::RAY_SCAN;
use crate::rng::{Purpose, stream};
use rand::Rng;
use rayon::prelude::*;
use std::f64::consts::FRAC_1_SQRT_2;

/// The χ_r distribution function at ρ.
fn chi_cdf(r: usize, rho: f64) -> f64 {
    match r {
        1 => statrs::function::erf::erf(rho * FRAC_1_SQRT_2),
        2 => -(-0.5 * rho * rho).exp_m1(),
        _ => statrs::function::gamma::gamma_lr(0.5 * r as f64, 0.5 * rho * rho),
    }
}

/// The largest radius scanned: the χ_r tail beyond it is below 1e-15 for every r (χ_r has
/// mean ≈ √r and sub-Gaussian tails: P(ρ > √r + 8.5) < e^{−8.5²/2} ≈ 2e-16).
fn rho_max(r: usize) -> f64 {
    (r as f64).sqrt() + 8.5
}

/// Class masses along one ray (unit direction `e`): the χ_r mass of each class between the
/// switch points of `class(s₀ρ·e)`.
fn ray_masses(e: &[f64], k: usize, s0: f64, class: &(dyn Fn(&[f64]) -> usize + Sync)) -> Vec<f64> {
    let r = e.len();
    let point = |rho: f64| -> Vec<f64> { e.iter().map(|v| s0 * rho * v).collect() };
    let at = |rho: f64| class(&point(rho));
    let top = rho_max(r);
    let mut masses = vec![0.0; k];
    let (mut start, mut cur) = (0.0, at(0.0));
    let mut prev_rho = 0.0;
    for i in 1..=RAY_SCAN {
        let rho = top * i as f64 / RAY_SCAN as f64;
        let c = at(rho);
        if c != cur {
            // Bisect [prev_rho, rho] to adjacent doubles: the switch out of `cur`.
            let (mut lo, mut hi) = (prev_rho, rho);
            loop {
                let mid = 0.5 * (lo + hi);
                if mid <= lo || mid >= hi {
                    break;
                }
                if at(mid) == cur {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            masses[cur] += chi_cdf(r, hi) - chi_cdf(r, start);
            start = hi;
            cur = at(hi);
        }
        prev_rho = rho;
    }
    masses[cur] += 1.0 - chi_cdf(r, start);
    masses
}

/// Class masses of z_0 ~ N(0, s₀²I_r) under `class`, with the numerical error estimate of
/// the rule (module doc of [`super`]).
pub(super) fn class_masses(
    r: usize,
    k: usize,
    s0: f64,
    class: &(dyn Fn(&[f64]) -> usize + Sync),
) -> (Vec<f64>, f64) {
    match r {
        0 => {
            let mut m = vec![0.0; k];
            m[class(&[])] = 1.0;
            (m, 0.0)
        }
        1 => {
            let a = ray_masses(&[1.0], k, s0, class);
            let b = ray_masses(&[-1.0], k, s0, class);
            (a.iter().zip(&b).map(|(x, y)| 0.5 * (x + y)).collect(), 0.0)
        }
        _ => lattice_masses(r, k, s0, class),
    }
}

/// The randomised lattice rule for r ≥ 2: [`SHIFTS`] Cranley–Patterson shifts of the
/// [`LATTICE`]-point rank-1 lattice j·(1, g₂, …)/N mod 1 (the Fibonacci lattice
/// g = (1, 46 368) for r = 2; Korobov powers of 76 519 beyond), mapped to N(0, I_r) by the
/// normal quantile. Each shift is an unbiased estimate; the error reported is
/// [`ERROR_Z`] standard errors of their mean.
fn lattice_masses(
    r: usize,
    k: usize,
    s0: f64,
    class: &(dyn Fn(&[f64]) -> usize + Sync),
) -> (Vec<f64>, f64) {
    let n = LATTICE;
    let gens: Vec<u64> = (0..r)
        .map(|j| match (r, j) {
            (_, 0) => 1,
            (2, _) => 46_368,
            _ => (0..j).fold(1u64, |g, _| g * 76_519 % n as u64),
        })
        .collect();
    let mut rng = stream(0, 0, Purpose::TargetDirections, 0);
    let shifts: Vec<Vec<f64>> = (0..SHIFTS)
        .map(|_| (0..r).map(|_| rng.random::<f64>()).collect())
        .collect();
    let per: Vec<Vec<f64>> = shifts
        .iter()
        .map(|shift| {
            let counts: Vec<Vec<f64>> = (0..n)
                .into_par_iter()
                .chunks(4096)
                .map(|js| {
                    let mut c = vec![0.0; k];
                    let mut z = vec![0.0; r];
                    for j in js {
                        for ((zi, &g), &sh) in z.iter_mut().zip(&gens).zip(shift) {
                            let u = ((j as u64 * g % n as u64) as f64 / n as f64 + sh).fract();
                            *zi = s0 * normal_quantile(u);
                        }
                        c[class(&z)] += 1.0;
                    }
                    c
                })
                .collect();
            let total = sum_of(counts.iter());
            total.iter().map(|c| c / n as f64).collect()
        })
        .collect();
    let mean = sum_of(per.iter())
        .iter()
        .map(|v| v / SHIFTS as f64)
        .collect::<Vec<f64>>();
    let m = SHIFTS as f64;
    let err = (0..k)
        .map(|i| {
            let var = per.iter().map(|p| (p[i] - mean[i]).powi(2)).sum::<f64>() / (m - 1.0);
            ERROR_Z * (var / m).sqrt()
        })
        .fold(0.0, f64::max);
    (mean, err)
}

/// Points of the lattice rule (module doc of [`super`]): F₂₅ = 75 025, the Fibonacci number
/// after the 2-D rule's generator 46 368 = F₂₄. Higher: a smaller error, proportionally more
/// time.
pub const LATTICE: usize = 75_025;

/// Random shifts of the lattice rule: the error estimate has SHIFTS − 1 degrees of freedom.
pub const SHIFTS: usize = 8;

/// Standard errors in the reported numerical error of the lattice rule: the Student-t
/// quantile 5.41 of 7 degrees of freedom at two-sided level 1e-3, rounded up.
pub const ERROR_Z: f64 = 5.5;

/// Φ⁻¹(u) for u ∈ (0, 1) (the lattice never produces 0 after a shift, but clamp anyway).
fn normal_quantile(u: f64) -> f64 {
    let u = u.clamp(1e-300, 1.0 - 1e-16);
    std::f64::consts::SQRT_2 * statrs::function::erf::erf_inv(2.0 * u - 1.0)
}

/// The sum of vectors, in iteration order.
fn sum_of<'a>(it: impl Iterator<Item = &'a Vec<f64>>) -> Vec<f64> {
    let mut sum: Vec<f64> = Vec::new();
    for v in it {
        if sum.is_empty() {
            sum = vec![0.0; v.len()];
        }
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_lines_half_planes_and_octants_have_their_gaussian_mass() {
        // A half-line threshold in 1-D: Φ(−0.7) exactly.
        let (m, err) = class_masses(1, 2, 1.0, &|z: &[f64]| usize::from(z[0] > 0.7));
        let phi = 0.5 * statrs::function::erf::erfc(0.7 * FRAC_1_SQRT_2);
        assert!((m[1] - phi).abs() < crate::tol::ROUNDOFF && err == 0.0);
        // An offset half-plane in 2-D (s₀ = 2): Φ(−0.6/(2√2)), within the reported error.
        let (m, err) = class_masses(2, 2, 2.0, &|z: &[f64]| usize::from(z[0] + z[1] > 0.6));
        let want = 0.5 * statrs::function::erf::erfc(0.6 / (2.0 * 2f64.sqrt()) * FRAC_1_SQRT_2);
        assert!(
            (m[1] - want).abs() <= err && err < 1e-3,
            "{} vs {want} (err {err})",
            m[1]
        );
        // Octants in 3-D: 1/8 each, within the reported error.
        let (m, err) = class_masses(3, 8, 1.0, &|z: &[f64]| {
            usize::from(z[0] > 0.0) + 2 * usize::from(z[1] > 0.0) + 4 * usize::from(z[2] > 0.0)
        });
        for v in m {
            assert!((v - 0.125).abs() <= err && err < 2e-3, "{v} err {err}");
        }
    }
}
