//! Small dense kernels shared by the engines, the samplers and the theory: an 8-lane [`dot`],
//! exact coordinates on the span of a few long vectors ([`span`]), and an unblocked Cholesky
//! factor, solve and inverse for the theory's small symmetric systems (a few hundred unknowns at
//! most, where a dense-algebra dependency would not pay for itself).

pub mod span;

use std::ops::{Add, Mul};

/// Dot product with eight independent partial sums in a fixed order: the compiler may not
/// reorder a single floating-point accumulator, so a plain loop would not vectorise; eight
/// lanes do, and the fixed lane order (lanes pairwise, then the tail in order) keeps the
/// result deterministic. Generic over f32 (the digits network) and f64 (the averaged engine).
///
/// ```
/// use phaseflow::linalg::dot;
/// let a: Vec<f64> = (0..11).map(f64::from).collect();
/// assert_eq!(dot(&a, &a), 385.0);
/// ```
#[inline]
pub fn dot<T>(a: &[T], b: &[T]) -> T
where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    let mut acc = [T::default(); 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] = acc[l] + x[l] * y[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (&x, &y) in ra.iter().zip(rb) {
        s = s + x * y;
    }
    s
}

/// Cholesky of a symmetric n×n matrix (row-major) in place; `false` if not positive
/// definite. Dense and unblocked: for the small systems of the theory (the reduced solver's ≤ 2·ZETA_NODES + 1 unknowns, the Wishart term's n + 1).
pub(crate) fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= a[j * n + k] * a[j * n + k];
        }
        if s.is_nan() || s <= 0.0 {
            return false;
        }
        let l = s.sqrt();
        a[j * n + j] = l;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            for k in 0..j {
                v -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = v / l;
        }
    }
    true
}

/// Solve L·Lᵀ·x = rhs with the factor of [`cholesky`].
pub(crate) fn cholesky_solve(l: &[f64], n: usize, rhs: &[f64]) -> Vec<f64> {
    let mut z = rhs.to_vec();
    for i in 0..n {
        let mut s = z[i];
        for k in 0..i {
            s -= l[i * n + k] * z[k];
        }
        z[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = z[i];
        for k in i + 1..n {
            s -= l[k * n + i] * z[k];
        }
        z[i] = s / l[i * n + i];
    }
    z
}

/// The inverse of a symmetric positive definite matrix by Cholesky; `None` if not PD.
pub(crate) fn spd_inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = a.to_vec();
    if !cholesky(&mut l, n) {
        return None;
    }
    // inverse of L (lower), then L⁻ᵀL⁻¹
    let mut li = vec![0.0; n * n];
    for j in 0..n {
        li[j * n + j] = 1.0 / l[j * n + j];
        for i in j + 1..n {
            let mut s = 0.0;
            for k in j..i {
                s -= l[i * n + k] * li[k * n + j];
            }
            li[i * n + j] = s / l[i * n + i];
        }
    }
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = 0.0;
            for k in i..n {
                s += li[k * n + i] * li[k * n + j];
            }
            inv[i * n + j] = s;
            inv[j * n + i] = s;
        }
    }
    Some(inv)
}
