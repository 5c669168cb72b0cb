//! The averaged engine's objective (SPEC §4 formula) against Monte Carlo, the Gram-space
//! evaluation against the direct one, the fixed-noise objective against its plain finite
//! sum, and the reduced gradient against central differences in Gram space.

mod common;

use common::tol::{FINITE_DIFF_REL, GRAM_REL, MC_Z};
use phaseflow::denoiser::StepParams;
use phaseflow::rng::{Purpose, stream};
use phaseflow::train::averaged::objective::{StepObjective, StepScalars};
use phaseflow::train::averaged::span::Span;
use rand::Rng;
use rand_distr::StandardNormal;

fn normals(len: usize, seed: u64, idx: u64, scale: f64) -> Vec<f64> {
    let mut rng = stream(seed, 0, Purpose::Test, idx);
    (0..len)
        .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// (1/d)Σ_i E|f(αx0 + βx1^i) − x1^i|² + ridges, by Monte Carlo: (mean, standard error).
fn monte_carlo(p: &StepParams, x1: &[f64], s: &StepScalars, draws: usize) -> (f64, f64) {
    let d = p.d();
    let n = x1.len() / d;
    let mut rng = stream(17, 0, Purpose::Test, 77);
    let ridge = s.lambda_u * dot(p.u(), p.u()) + s.lambda_w * dot(p.w(), p.w());
    let (mut sum, mut sumsq) = (0.0, 0.0);
    let mut xt = vec![0.0; d];
    let mut f = vec![0.0; d];
    for _ in 0..draws {
        // One draw = one x0 per data point; the per-draw total is what is averaged.
        let mut tot = 0.0;
        for i in 0..n {
            let y = &x1[i * d..(i + 1) * d];
            for (v, &yj) in xt.iter_mut().zip(y) {
                *v = s.alpha * rng.sample::<f64, _>(StandardNormal) + s.beta * yj;
            }
            p.eval(&xt, &mut f);
            tot += f.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
        }
        let v = (tot + ridge) / d as f64;
        sum += v;
        sumsq += v * v;
    }
    let mean = sum / draws as f64;
    let var = (sumsq / draws as f64 - mean * mean) * draws as f64 / (draws - 1) as f64;
    (mean, (var / draws as f64).sqrt())
}

/// Closed form (SPEC §4) against Monte Carlo with 200 000 draws.
/// Rule: |closed − MC| ≤ `MC_Z`·SE (5σ). Negative control: dropping the Stein term
/// 2cα²(u·w)/√d·E[1 − φ²] from the formula must be rejected by the same rule.
#[test]
fn fresh_objective_against_monte_carlo() {
    let (n, d) = (3, 6);
    let x1 = normals(n * d, 1, 0, 1.3);
    // Parameters chosen so that every term matters: |c| and u·w sizeable, A = α|w|/√d ≈ 1.
    let u = normals(d, 1, 1, 0.8);
    let mut w = u.clone();
    for (wj, e) in w.iter_mut().zip(normals(d, 1, 2, 0.5)) {
        *wj = 0.9 * *wj + e;
    }
    let (c, b) = (0.6, 0.3);
    for &(alpha, beta) in &[(0.8, 0.3), (0.3, 0.9)] {
        let s = StepScalars {
            alpha,
            beta,
            d: d as f64,
            lambda_u: 0.2,
            lambda_w: 0.1,
        };
        let obj = StepObjective::fresh(s, x1.clone(), d);
        let closed = obj.value(c, &u, &w, b);
        let p = StepParams::from_parts(c, &u, &w, b);
        let (mc, se) = monte_carlo(&p, &x1, &s, 200_000);
        let tol = MC_Z * se;
        assert!(
            (closed - mc).abs() <= tol,
            "closed {closed} vs MC {mc} (tol {MC_Z}·SE = {tol}), α={alpha} β={beta}"
        );
        // Negative control: the formula without the Stein cross term.
        let sd = (d as f64).sqrt();
        let amp = alpha * (dot(&w, &w) / d as f64).sqrt();
        let stein: f64 = (0..n)
            .map(|i| {
                let bi = beta * dot(&w, &x1[i * d..(i + 1) * d]) / sd + b;
                let m2 = phaseflow::quadrature::tanh_moments(amp, bi).m2;
                2.0 * c * alpha * alpha * dot(&u, &w) / sd * (1.0 - m2)
            })
            .sum::<f64>()
            / d as f64;
        let wrong = closed - stein;
        assert!(
            (wrong - mc).abs() > tol,
            "negative control passed: wrong {wrong} vs MC {mc} (tol {tol}), α={alpha}"
        );
    }
}

/// In Gram space (d > n) the objective equals the direct evaluation in ℝ^d for u, w in the
/// span of the data. Tolerance `GRAM_REL` relative (Cholesky backward error).
#[test]
fn gram_space_equals_direct_evaluation() {
    let (n, d) = (6, 300);
    let x1 = normals(n * d, 2, 0, 1.0);
    let span = Span::new(&x1, n, d);
    assert!(!span.is_identity());
    let coords: Vec<f64> = (0..n).flat_map(|i| span.coord(i).to_vec()).collect();
    let (au, aw) = (normals(n, 2, 1, 0.1), normals(n, 2, 2, 0.1));
    let comb = |a: &[f64]| -> Vec<f64> {
        (0..d)
            .map(|j| (0..n).map(|i| a[i] * x1[i * d + j]).sum())
            .collect()
    };
    let (u, w) = (comb(&au), comb(&aw));
    let (uc, wc) = (span.project(&x1, &u), span.project(&x1, &w));
    for &(alpha, beta) in &[(0.9, 0.1), (0.2, 0.8)] {
        let s = StepScalars {
            alpha,
            beta,
            d: d as f64,
            lambda_u: 0.5,
            lambda_w: 0.5,
        };
        let direct = StepObjective::fresh(s, x1.clone(), d).value(0.3, &u, &w, -0.2);
        let gram = StepObjective::fresh(s, coords.clone(), span.r()).value(0.3, &uc, &wc, -0.2);
        assert!(
            (direct - gram).abs() <= GRAM_REL * direct.abs(),
            "direct {direct} vs Gram {gram}"
        );
        let rd = StepObjective::fresh(s, x1.clone(), d).reduced(&w, -0.2);
        let rg = StepObjective::fresh(s, coords.clone(), span.r()).reduced(&wc, -0.2);
        assert!((rd.value - rg.value).abs() <= GRAM_REL * rd.value.abs());
        assert!((rd.c - rg.c).abs() <= GRAM_REL * (1.0 + rd.c.abs()));
    }
}

/// Fixed noise: the objective in the span of (x1^i, x0^i) equals the plain finite sum
/// Σ_i |f(αx0^i + βx1^i) − x1^i|² computed with the ℝ^d forward pass.
#[test]
fn fixed_objective_is_the_finite_sum() {
    let (n, d) = (5, 200);
    let x1 = normals(n * d, 3, 0, 1.0);
    let x0 = normals(n * d, 3, 1, 1.0);
    let mut z = x1.clone();
    z.extend_from_slice(&x0);
    let span = Span::new(&z, 2 * n, d);
    let c1: Vec<f64> = (0..n).flat_map(|i| span.coord(i).to_vec()).collect();
    let c0: Vec<f64> = (n..2 * n).flat_map(|i| span.coord(i).to_vec()).collect();
    let (u, w) = (z[..d].to_vec(), z[7 * d..8 * d].to_vec()); // in the span
    let s = StepScalars {
        alpha: 0.6,
        beta: 0.5,
        d: d as f64,
        lambda_u: 0.3,
        lambda_w: 0.2,
    };
    let obj = StepObjective::fixed(s, c1, &c0, span.r());
    let got = obj.value(0.4, span.coord(0), span.coord(7), 0.1);
    let p = StepParams::from_parts(0.4, &u, &w, 0.1);
    let mut want = s.lambda_u * dot(&u, &u) + s.lambda_w * dot(&w, &w);
    let (mut xt, mut f) = (vec![0.0; d], vec![0.0; d]);
    for i in 0..n {
        for j in 0..d {
            xt[j] = s.alpha * x0[i * d + j] + s.beta * x1[i * d + j];
        }
        p.eval(&xt, &mut f);
        want += (0..d).map(|j| (f[j] - x1[i * d + j]).powi(2)).sum::<f64>();
    }
    want /= d as f64;
    assert!((got - want).abs() <= GRAM_REL * want, "{got} vs {want}");
}

/// The reduced gradient in Gram space against central differences, fresh and fixed noise,
/// unsaturated and saturated (A ≫ 1). Tolerance `FINITE_DIFF_REL`.
#[test]
fn reduced_gradient_in_gram_space_matches_finite_differences() {
    let (n, d) = (8, 500);
    let x1 = normals(n * d, 4, 0, 1.0);
    let x0 = normals(n * d, 4, 1, 1.0);
    let mut z = x1.clone();
    z.extend_from_slice(&x0);
    let span = Span::new(&z, 2 * n, d);
    let r = span.r();
    let c1: Vec<f64> = (0..n).flat_map(|i| span.coord(i).to_vec()).collect();
    let c0: Vec<f64> = (n..2 * n).flat_map(|i| span.coord(i).to_vec()).collect();
    let s = StepScalars {
        alpha: 0.7,
        beta: 0.4,
        d: d as f64,
        lambda_u: 0.1,
        lambda_w: 0.05,
    };
    for obj in [
        StepObjective::fresh(s, c1.clone(), r),
        StepObjective::fixed(s, c1.clone(), &c0, r),
    ] {
        for scale in [0.05, 2.0] {
            let w: Vec<f64> = normals(r, 4, 2, scale);
            let b = 0.4;
            let red = obj.reduced(&w, b);
            let h = 1e-5 * scale;
            for j in [0, r / 2, r - 1] {
                let (mut wp, mut wm) = (w.clone(), w.clone());
                wp[j] += h;
                wm[j] -= h;
                let fd = (obj.reduced(&wp, b).value - obj.reduced(&wm, b).value) / (2.0 * h);
                let tol = FINITE_DIFF_REL * (1.0 + red.value.abs()) / scale.min(1.0);
                assert!(
                    (fd - red.grad_w[j]).abs() < tol,
                    "scale {scale} j {j}: fd {fd} vs {} (tol {tol})",
                    red.grad_w[j]
                );
            }
            let hb = 1e-6;
            let fdb = (obj.reduced(&w, b + hb).value - obj.reduced(&w, b - hb).value) / (2.0 * hb);
            assert!((fdb - red.grad_b).abs() < FINITE_DIFF_REL * (1.0 + red.value.abs()));
        }
    }
}
