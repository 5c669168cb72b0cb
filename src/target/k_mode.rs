//! k isotropic Gaussian modes with given, orthogonal or simplex means and any weights
//! (SPEC §9.1): ρ = Σ_i p_i N(μ_i, σ²I_d).
//!
//! Orthogonal means have |μ_i|² = d and G = I (span dimension k); simplex means are the
//! vertices of a regular simplex centred at 0 with |μ_i|² = d and G_ij = −1/(k − 1) for
//! i ≠ j (span dimension k − 1: three simplex modes live in a plane). The class channel of
//! orthogonal means is [`orthogonal_excess`]: with a² = β²d/v, the logits are
//! ln p_i + a·g_i + a²·δ_is (g ~ N(0, I_k), s the true class), and the MSE excess over the
//! within-class part is (α²/v)²·E[1 − Σ_i π_i²]; its drop at t = 0+ is 1 − Σ p_i².

use super::isotropic::{Basis, Isotropic, isotropic_target, orthonormal_span, softmax};
use super::{ConfigError, check_dim};

/// k Gaussian modes (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct KMode {
    iso: Isotropic,
}

impl KMode {
    /// Modes with the given means (k vectors of one length d).
    ///
    /// # Errors
    /// [`ConfigError`] naming `weights`, `sigma2` or `means[i]` (see [`Isotropic`]'s rules;
    /// means of different lengths or non-finite entries are refused).
    pub fn new(means: Vec<Vec<f64>>, weights: Vec<f64>, sigma2: f64) -> Result<Self, ConfigError> {
        let d = means.first().map_or(0, Vec::len);
        check_dim(d, 1)?;
        for (i, m) in means.iter().enumerate() {
            if m.len() != d || m.iter().any(|v| !v.is_finite()) {
                return Err(ConfigError::InvalidAt {
                    field: format!("means[{i}]"),
                    rule: format!("must be {d} finite numbers (the length of means[0])"),
                });
            }
        }
        let basis = orthonormal_span(&means);
        let coords = means
            .iter()
            .map(|m| {
                basis
                    .iter()
                    .map(|e| e.iter().zip(m).map(|(a, b)| a * b).sum())
                    .collect()
            })
            .collect();
        Ok(Self {
            iso: Isotropic::new(d, weights, sigma2, coords, Basis::Explicit(basis))?,
        })
    }

    /// Orthogonal means with |μ_i|² = d (normalised indicators of k coordinate blocks,
    /// scaled by √d).
    ///
    /// # Errors
    /// As [`KMode::new`]; d must be at least k.
    pub fn orthogonal(d: usize, weights: Vec<f64>, sigma2: f64) -> Result<Self, ConfigError> {
        let k = weights.len();
        let s = (d as f64).sqrt();
        let coords = (0..k)
            .map(|i| (0..k).map(|j| if i == j { s } else { 0.0 }).collect())
            .collect();
        Ok(Self {
            iso: Isotropic::new(d, weights, sigma2, coords, Basis::Blocks)?,
        })
    }

    /// Simplex means with |μ_i|² = d and μ_i·μ_j = −d/(k − 1) (a span of dimension k − 1).
    ///
    /// # Errors
    /// As [`KMode::new`]; d must be at least k − 1.
    pub fn simplex(d: usize, weights: Vec<f64>, sigma2: f64) -> Result<Self, ConfigError> {
        let k = weights.len();
        if k < 2 {
            super::check_weights("weights", &weights, 2)?;
        }
        let kf = k as f64;
        let s = (d as f64 * kf / (kf - 1.0)).sqrt();
        let centred: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| s * (f64::from(u8::from(i == j)) - 1.0 / kf))
                    .collect()
            })
            .collect();
        let basis = orthonormal_span(&centred);
        let coords = centred
            .iter()
            .map(|c| {
                basis
                    .iter()
                    .map(|e| e.iter().zip(c).map(|(a, b)| a * b).sum())
                    .collect()
            })
            .collect();
        Ok(Self {
            iso: Isotropic::new(d, weights, sigma2, coords, Basis::Blocks)?,
        })
    }

    /// The shared isotropic engine (Gram matrix, softmax parameters, limits).
    pub fn isotropic(&self) -> &Isotropic {
        &self.iso
    }
}

isotropic_target!(KMode, "k_mode");

/// Gauss–Hermite nodes per dimension of the k-dimensional class-channel integral: the
/// largest n with n^k ≤ 2·10⁵ (at least 8).
fn nodes_for(k: usize) -> usize {
    let mut n = 8;
    while ((n + 1) as f64).powi(k as i32) <= 2e5 {
        n += 1;
    }
    n
}

/// E[1 − Σ_i π_i²] of the orthogonal class channel at a² (module doc), by a product
/// Gauss–Hermite rule with `n` nodes per dimension.
fn excess_with(a2: f64, p: &[f64], n: usize) -> f64 {
    let k = p.len();
    let gh = gauss_quad::GaussHermite::new(n).expect("n ≥ 2");
    let rule: Vec<(f64, f64)> = gh
        .nodes()
        .zip(gh.weights())
        .map(|(&x, &w)| {
            (
                x * std::f64::consts::SQRT_2,
                w / std::f64::consts::PI.sqrt(),
            )
        })
        .collect();
    let a = a2.sqrt();
    let lp: Vec<f64> = p.iter().map(|v| v.ln()).collect();
    let mut idx = vec![0usize; k];
    let mut total = 0.0;
    let mut logits = vec![0.0; k];
    loop {
        let w: f64 = idx.iter().map(|&i| rule[i].1).product();
        for s in 0..k {
            for i in 0..k {
                logits[i] = lp[i] + a * rule[idx[i]].0 + if i == s { a2 } else { 0.0 };
            }
            let pi = softmax(&logits);
            total += w * p[s] * (1.0 - pi.iter().map(|q| q * q).sum::<f64>());
        }
        // Next multi-index (odometer).
        let mut j = 0;
        loop {
            if j == k {
                return total;
            }
            idx[j] += 1;
            if idx[j] < n {
                break;
            }
            idx[j] = 0;
            j += 1;
        }
    }
}

/// The orthogonal class channel's E[1 − Σ_i π_i²] at a² = β²d/v for weights `p` (module
/// doc), with its numerical error estimated as the change from n − 4 to n nodes per
/// dimension: (value, error).
pub fn orthogonal_excess(a2: f64, p: &[f64]) -> (f64, f64) {
    let n = nodes_for(p.len());
    let v = excess_with(a2, p, n);
    (v, (v - excess_with(a2, p, n - 4)).abs())
}

/// The a² where [`orthogonal_excess`] has fallen to `level` (e.g. 0.9, 0.5, 0.1) of its
/// a² = 0 value 1 − Σ p_i² (SPEC §9.1's windows), by bisection in ln a² on [1e-4, 1e3].
pub fn orthogonal_window_a2(p: &[f64], level: f64) -> f64 {
    let n = nodes_for(p.len());
    let drop = 1.0 - p.iter().map(|v| v * v).sum::<f64>();
    let (mut lo, mut hi) = (1e-4f64.ln(), 1e3f64.ln());
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if excess_with(mid.exp(), p, n) > level * drop {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    #[test]
    fn simplex_and_orthogonal_gram_matrices() {
        let s = KMode::simplex(300, vec![0.5, 0.3, 0.2], 1.0).unwrap();
        let g = s.isotropic().gram();
        assert_eq!(s.isotropic().span_dim(), 2);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { -0.5 };
                assert!(
                    (g[i][j] - want).abs() < crate::tol::ROUNDOFF,
                    "G{i}{j} {}",
                    g[i][j]
                );
            }
        }
        let o = KMode::orthogonal(300, vec![0.25; 4], 1.0).unwrap();
        let mus = o.isotropic().means();
        let n2: f64 = mus[2].iter().map(|v| v * v).sum();
        assert!((n2 - 300.0).abs() < 1e-9);
        assert!(mus[0].iter().zip(&mus[1]).all(|(a, b)| a * b == 0.0));
    }

    #[test]
    fn rejects_bad_fields_by_name() {
        let e = KMode::orthogonal(100, vec![0.5, 0.6], 1.0).unwrap_err();
        assert!(e.to_string().starts_with("weights:"), "{e}");
        let e = KMode::orthogonal(100, vec![0.5, 0.5], -1.0).unwrap_err();
        assert!(e.to_string().starts_with("sigma2:"), "{e}");
        let e = KMode::orthogonal(2, vec![0.2, 0.3, 0.5], 1.0).unwrap_err();
        assert!(e.to_string().starts_with("d:"), "{e}");
        let e = KMode::new(
            vec![vec![1.0, 0.0], vec![f64::NAN, 1.0]],
            vec![0.5, 0.5],
            1.0,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("means[1]:"), "{e}");
        let e = KMode::new(vec![vec![1.0, 0.0], vec![1.0, 0.0]], vec![0.5, 0.5], 1.0).unwrap_err();
        assert!(
            e.to_string().starts_with("means[1]: equals means[0]"),
            "{e}"
        );
    }

    #[test]
    fn bayes_denoiser_is_the_posterior_mean_of_a_brute_force_sum() {
        // d = 3 explicit means: E[x1 | x_t] from Bayes' rule written out per class.
        let means = vec![
            vec![1.0, 0.5, 0.0],
            vec![-1.0, 0.2, 0.3],
            vec![0.0, -1.0, 1.0],
        ];
        let (w, s2) = (vec![0.2, 0.5, 0.3], 0.7);
        let t = KMode::new(means.clone(), w.clone(), s2).unwrap();
        let (al, be) = (0.6, 0.8);
        let x = [0.3, -0.4, 0.9];
        let v = al * al + be * be * s2;
        let lik: Vec<f64> = means
            .iter()
            .zip(&w)
            .map(|(m, p)| {
                let r2: f64 = x.iter().zip(m).map(|(a, b)| (a - be * b).powi(2)).sum();
                p * (-r2 / (2.0 * v)).exp()
            })
            .collect();
        let z: f64 = lik.iter().sum();
        let mut want = [0.0; 3];
        for (m, l) in means.iter().zip(&lik) {
            for j in 0..3 {
                // E[x1 | x_t, class] = μ + (βσ²/v)(x − βμ).
                want[j] += l / z * (m[j] + be * s2 / v * (x[j] - be * m[j]));
            }
        }
        let mut got = [0.0; 3];
        t.denoise(al, be, &x, &mut got);
        for j in 0..3 {
            assert!(
                (got[j] - want[j]).abs() < crate::tol::ROUNDOFF,
                "{got:?} {want:?}"
            );
        }
        let post = t.posterior(al, be, &x);
        for (a, l) in post.iter().zip(&lik) {
            assert!((a - l / z).abs() < crate::tol::ROUNDOFF);
        }
    }

    #[test]
    fn samples_have_their_class_fractions() {
        // 20000 draws: SE of a fraction ≤ 0.0036, 4 SE = 0.015.
        let t = KMode::simplex(6, vec![0.5, 0.3, 0.2], 0.5).unwrap();
        let s = super::super::sample_seeded(&t, 20_000, 3, 0);
        for (f, p) in s.class_fractions(3).iter().zip([0.5, 0.3, 0.2]) {
            assert!((f - p).abs() < 0.015, "{f} vs {p}");
        }
        // Labels are the classes the samples came from: nearest mean is right at σ² = 0.5 in
        // d = 6 most of the time, never for a wrong label set.
        let right = (0..s.n)
            .filter(|&i| t.classify(s.row(i)) == s.label[i])
            .count();
        assert!(right as f64 > 0.6 * s.n as f64, "{right}");
    }
}
