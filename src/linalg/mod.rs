//! Small dense kernels shared by the engines and the samplers: an 8-lane [`dot`] and exact
//! coordinates on the span of a few long vectors ([`span`]).

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
