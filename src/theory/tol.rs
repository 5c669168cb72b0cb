//! Tolerances of the theory module, one place (STYLE §14). Comparison rule:
//! |a − b| ≤ rel·max(|a|, |b|) + [`ABS_FLOOR`] (relative, with an absolute floor for values
//! that are exactly zero in theory, such as c at t = 0).

/// Fixture comparison for closed forms (§5.1, §5.2, §5.3 phase 2): a few ulps of libm
/// differences between platforms, amplified by at most a few operations; 1e-9 is the bound
/// issue 3 allows.
pub const FIXTURE_REL_CLOSED: f64 = 1e-9;

/// Fixture comparison for quadrature, root-finding and minimisation outputs (MSE,
/// §5.3 phase 1, §5.4). Within one platform the code is deterministic and reproduces the
/// fixture bit for bit; across platforms a 1-ulp change in tanh/exp can move the Newton
/// iterate to another point inside its stopping region |∇J| ≤ 1e-10·(1 + |J|), i.e. by
/// ~1e-10 relative, and the Euler root by ~1e-13. 1e-7 leaves a 1000× margin above that
/// while staying far below any statistical resolution of the harness (≥ 1e-4).
pub const FIXTURE_REL_NUMERIC: f64 = 1e-7;

/// Absolute floor of every comparison: values below it are zero for our purposes (the
/// quadrature's own floor is [`crate::quadrature::QUAD_ABS`] = 1e-10; closed forms that are
/// exactly 0 evaluate to 0).
pub const ABS_FLOOR: f64 = 1e-12;

/// `true` if a and b agree to `rel` (rule in the module doc).
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + ABS_FLOOR
}
