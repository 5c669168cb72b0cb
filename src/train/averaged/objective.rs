//! The per-step objective R_k in span coordinates, with (c, u) eliminated in closed form.
//!
//! All vectors live in the coordinates of [`super::span::Span`] (length r); `d` is the
//! ambient dimension. Both noise conventions of SPEC §5.3 share one interface.
//!
//! # Fresh noise (x0 averaged, SPEC §4)
//! With A = α|w|/√d, B_i = β·w·x_i/√d + b and M_j(A, B_i) = E_g[tanh^j(A g + B_i)]:
//!
//! d·R = Σ_i [ c²(α²d + β²|x_i|²) + |u|²M2_i + |x_i|²(1 − 2cβ)
//!           + 2cα²(u·w)/√d·(1 − M2_i) + 2(cβ − 1)(u·x_i)·M1_i ] + λ_u|u|² + λ_w|w|².
//!
//! # Fixed noise (one x0^i per point, SPEC §5.3)
//! With x_t^i = αx0^i + βx1^i, φ_i = tanh(w·x_t^i/√d + b):
//! d·R = Σ_i |c·x_t^i + u·φ_i − x1^i|² + λ_u|u|² + λ_w|w|².
//!
//! # Variable projection
//! For fixed (w, b) both are quadratic in (c, u) with u-Hessian 2S·I,
//! S = Σ_i E_g(φ_i²) + λ_u (fresh) or Σ_i φ_i² + λ_u (fixed). Minimising over u gives
//! u*(c) = −v(c)/S with v affine in c, then over c a scalar quadratic. The reduced objective
//! F(w, b) = min_{c,u} R has, by the envelope theorem, gradient ∂R/∂(w, b) evaluated at
//! (c*, u*): no derivative of c* or u* is needed. Fresh noise (a = Σ_i M1_i x_i,
//! E = Σ_i (1 − M2_i)): v(c) = cα²E·w/√d + (cβ − 1)·a. Fixed noise (p = Σ φ_i x_t^i,
//! q = Σ φ_i x1^i): v(c) = c·p − q.
//!
//! Gradient of the fresh objective (Stein's lemma, [`crate::quadrature::TanhMoments`]):
//! ∂M1/∂B = 1 − M2, ∂M2/∂B = 2(M1 − M3), ∂M1/∂A = −2A(M1 − M3), ∂M2/∂A = 2A(1 − 4M2 + 3M4),
//! and ∂A/∂w = α²w/(dA), so the factor A cancels and w = 0 is not singular.

use crate::quadrature::tanh_moments;

/// Scalars of one grid time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepScalars {
    /// α(t_k).
    pub alpha: f64,
    /// β(t_k).
    pub beta: f64,
    /// Ambient dimension d.
    pub d: f64,
    /// Ridge on u.
    pub lambda_u: f64,
    /// Ridge on w.
    pub lambda_w: f64,
}

/// R and its gradient in (w, b) at the eliminated (c*, u*).
#[derive(Debug, Clone, PartialEq)]
pub struct Reduced {
    /// F(w, b) = min over (c, u) of R_k.
    pub value: f64,
    /// ∂F/∂w (coordinates, length r).
    pub grad_w: Vec<f64>,
    /// ∂F/∂b.
    pub grad_b: f64,
    /// The minimising c.
    pub c: f64,
    /// The minimising u (coordinates).
    pub u: Vec<f64>,
}

/// The data of one grid time, in span coordinates.
#[derive(Debug, Clone)]
pub enum StepObjective {
    /// x0 averaged in closed form.
    Fresh {
        /// Scalars.
        s: StepScalars,
        /// n × r coordinates of x1^i.
        x1: Vec<f64>,
        /// |x1^i|².
        x1_sq: Vec<f64>,
        /// r.
        r: usize,
    },
    /// One fixed x0 per data point.
    Fixed {
        /// Scalars.
        s: StepScalars,
        /// n × r coordinates of x1^i.
        x1: Vec<f64>,
        /// n × r coordinates of x_t^i = αx0^i + βx1^i.
        xt: Vec<f64>,
        /// r.
        r: usize,
    },
}

use super::span::dot;

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

impl StepObjective {
    /// Fresh-noise objective on data coordinates `x1` (n × r row-major).
    pub fn fresh(s: StepScalars, x1: Vec<f64>, r: usize) -> Self {
        let x1_sq = x1.chunks_exact(r).map(|y| dot(y, y)).collect();
        Self::Fresh { s, x1, x1_sq, r }
    }

    /// Fixed-noise objective on coordinates of x1^i and x0^i (both n × r row-major).
    pub fn fixed(s: StepScalars, x1: Vec<f64>, x0: &[f64], r: usize) -> Self {
        let xt = x0
            .iter()
            .zip(&x1)
            .map(|(&a, &b)| s.alpha * a + s.beta * b)
            .collect();
        Self::Fixed { s, x1, xt, r }
    }

    /// Number of coordinates r.
    pub fn r(&self) -> usize {
        match self {
            Self::Fresh { r, .. } | Self::Fixed { r, .. } => *r,
        }
    }

    /// Number of data points n.
    pub fn n(&self) -> usize {
        match self {
            Self::Fresh { x1, r, .. } | Self::Fixed { x1, r, .. } => x1.len() / r,
        }
    }

    /// The step's scalars.
    pub fn scalars(&self) -> StepScalars {
        match self {
            Self::Fresh { s, .. } | Self::Fixed { s, .. } => *s,
        }
    }

    /// Coordinates of data point i (x1^i).
    pub fn x1(&self, i: usize) -> &[f64] {
        match self {
            Self::Fresh { x1, r, .. } | Self::Fixed { x1, r, .. } => &x1[i * r..(i + 1) * r],
        }
    }

    /// R_k(c, u, w, b) without elimination (used by tests and as a consistency check).
    pub fn value(&self, c: f64, u: &[f64], w: &[f64], b: f64) -> f64 {
        let sc = self.scalars();
        let (al, be, d) = (sc.alpha, sc.beta, sc.d);
        let sd = d.sqrt();
        let (uu, ww, uw) = (dot(u, u), dot(w, w), dot(u, w));
        let mut tot = sc.lambda_u * uu + sc.lambda_w * ww;
        match self {
            Self::Fresh { x1, x1_sq, r, .. } => {
                let a = al * (ww / d).sqrt();
                for (y, &y2) in x1.chunks_exact(*r).zip(x1_sq) {
                    let m = tanh_moments(a, be * dot(w, y) / sd + b);
                    tot += c * c * (al * al * d + be * be * y2)
                        + uu * m.m2
                        + y2 * (1.0 - 2.0 * c * be)
                        + 2.0 * c * al * al * uw / sd * (1.0 - m.m2)
                        + 2.0 * (c * be - 1.0) * dot(u, y) * m.m1;
                }
            }
            Self::Fixed { x1, xt, r, .. } => {
                for (y1, yt) in x1.chunks_exact(*r).zip(xt.chunks_exact(*r)) {
                    let phi = (dot(w, yt) / sd + b).tanh();
                    tot += c * c * dot(yt, yt) + uu * phi * phi + dot(y1, y1)
                        - 2.0 * c * dot(yt, y1)
                        + 2.0 * phi * (c * dot(u, yt) - dot(u, y1));
                }
            }
        }
        tot / d
    }

    /// The reduced objective F(w, b) = min_{c,u} R_k, its gradient, and the minimiser.
    pub fn reduced(&self, w: &[f64], b: f64) -> Reduced {
        match self {
            Self::Fresh { s, x1, x1_sq, r } => reduced_fresh(s, x1, x1_sq, *r, w, b),
            Self::Fixed { s, x1, xt, r } => reduced_fixed(s, x1, xt, *r, w, b),
        }
    }
}

/// Minimise c²·q2 + c·q1 over c; q2 > 0 because the (c, u) block is positive definite
/// (α²d·n > 0 off the endpoint; guarded for the degenerate case).
fn argmin_quadratic(q2: f64, q1: f64) -> f64 {
    if q2 > 0.0 { -q1 / (2.0 * q2) } else { 0.0 }
}

fn reduced_fresh(
    s: &StepScalars,
    x1: &[f64],
    x1_sq: &[f64],
    r: usize,
    w: &[f64],
    b: f64,
) -> Reduced {
    let (al, be, d) = (s.alpha, s.beta, s.d);
    let sd = d.sqrt();
    let n = x1_sq.len();
    let ww = dot(w, w);
    let amp = al * (ww / d).sqrt();
    let z: Vec<f64> = x1.chunks_exact(r).map(|y| dot(w, y)).collect();
    let mom: Vec<_> = z
        .iter()
        .map(|&zi| tanh_moments(amp, be * zi / sd + b))
        .collect();
    let x2: f64 = x1_sq.iter().sum();
    let mut s2 = s.lambda_u;
    let mut e = 0.0;
    let mut a = vec![0.0; r];
    for (m, y) in mom.iter().zip(x1.chunks_exact(r)) {
        s2 += m.m2;
        e += 1.0 - m.m2;
        axpy(&mut a, m.m1, y);
    }
    let (wa, aa) = (dot(w, &a), dot(&a, &a));
    let p = n as f64 * al * al * d + be * be * x2;
    // (c, u) elimination; if S = 0 (φ ≡ 0, only at w = 0, b = 0 with λ_u = 0) u drops out.
    let inv_s = if s2 > 0.0 { 1.0 / s2 } else { 0.0 };
    let k = al * al * e / sd; // v(c) = c·k·w + (cβ − 1)·a
    let q2 = p - inv_s * (k * k * ww + 2.0 * be * k * wa + be * be * aa);
    let q1 = -2.0 * be * x2 + 2.0 * inv_s * (k * wa + be * aa);
    let q0 = x2 - inv_s * aa + s.lambda_w * ww;
    let c = argmin_quadratic(q2, q1);
    let value = (q0 + c * q1 + c * c * q2) / d;
    let mut u = vec![0.0; r];
    axpy(&mut u, -inv_s * c * k, w);
    axpy(&mut u, -inv_s * (c * be - 1.0), &a);
    // Gradient in (w, b) at (c, u).
    let (uu, uw) = (dot(&u, &u), dot(&u, w));
    let k2 = uu - 2.0 * c * al * al * uw / sd;
    let cb1 = 2.0 * (c * be - 1.0);
    let mut gamma = 0.0;
    let mut grad_b = 0.0;
    let mut grad_w = vec![0.0; r];
    for (m, y) in mom.iter().zip(x1.chunks_exact(r)) {
        let k1 = cb1 * dot(&u, y);
        let gi = k2 * 2.0 * (m.m1 - m.m3) + k1 * (1.0 - m.m2);
        gamma += k2 * 2.0 * (1.0 - 4.0 * m.m2 + 3.0 * m.m4) - k1 * 2.0 * (m.m1 - m.m3);
        grad_b += gi;
        axpy(&mut grad_w, gi * be / sd, y);
    }
    let cw = gamma * al * al / d + 2.0 * s.lambda_w;
    for ((g, &wj), &uj) in grad_w.iter_mut().zip(w).zip(&u) {
        *g = (*g + cw * wj + 2.0 * c * k * uj) / d;
    }
    Reduced {
        value,
        grad_w,
        grad_b: grad_b / d,
        c,
        u,
    }
}

fn reduced_fixed(s: &StepScalars, x1: &[f64], xt: &[f64], r: usize, w: &[f64], b: f64) -> Reduced {
    let d = s.d;
    let sd = d.sqrt();
    let phi: Vec<f64> = xt
        .chunks_exact(r)
        .map(|y| (dot(w, y) / sd + b).tanh())
        .collect();
    let mut s2 = s.lambda_u;
    let (mut t, mut cc, mut x2) = (0.0, 0.0, 0.0);
    let mut p = vec![0.0; r];
    let mut q = vec![0.0; r];
    for ((&f, y1), yt) in phi.iter().zip(x1.chunks_exact(r)).zip(xt.chunks_exact(r)) {
        s2 += f * f;
        t += dot(yt, yt);
        cc += dot(yt, y1);
        x2 += dot(y1, y1);
        axpy(&mut p, f, yt);
        axpy(&mut q, f, y1);
    }
    let inv_s = if s2 > 0.0 { 1.0 / s2 } else { 0.0 };
    let (pp, pq, qq) = (dot(&p, &p), dot(&p, &q), dot(&q, &q));
    let ww = dot(w, w);
    let q2 = t - inv_s * pp;
    let q1 = -2.0 * (cc - inv_s * pq);
    let q0 = x2 - inv_s * qq + s.lambda_w * ww;
    let c = argmin_quadratic(q2, q1);
    let value = (q0 + c * q1 + c * c * q2) / d;
    let mut u = vec![0.0; r];
    axpy(&mut u, -inv_s * c, &p);
    axpy(&mut u, inv_s, &q);
    let uu = dot(&u, &u);
    let mut grad_w = vec![0.0; r];
    let mut grad_b = 0.0;
    for ((&f, y1), yt) in phi.iter().zip(x1.chunks_exact(r)).zip(xt.chunks_exact(r)) {
        let h = (2.0 * uu * f + 2.0 * (c * dot(&u, yt) - dot(&u, y1))) * (1.0 - f * f);
        grad_b += h;
        axpy(&mut grad_w, h / sd, yt);
    }
    for (g, &wj) in grad_w.iter_mut().zip(w) {
        *g = (*g + 2.0 * s.lambda_w * wj) / d;
    }
    Reduced {
        value,
        grad_w,
        grad_b: grad_b / d,
        c,
        u,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use rand::Rng;
    use rand_distr::StandardNormal;

    fn normals(len: usize, seed: u64, scale: f64) -> Vec<f64> {
        let mut rng = stream(seed, 0, Purpose::Test, 41);
        (0..len)
            .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
            .collect()
    }

    fn objectives(seed: u64) -> Vec<StepObjective> {
        let (n, r, d) = (5, 4, 9.0);
        let s = StepScalars {
            alpha: 0.7,
            beta: 0.45,
            d,
            lambda_u: 0.3,
            lambda_w: 0.2,
        };
        let x1 = normals(n * r, seed, 1.5);
        let x0 = normals(n * r, seed + 1, 1.0);
        vec![
            StepObjective::fresh(s, x1.clone(), r),
            StepObjective::fixed(s, x1, &x0, r),
        ]
    }

    #[test]
    fn reduced_is_the_minimum_over_c_and_u() {
        for obj in objectives(3) {
            let w = normals(4, 9, 1.2);
            let b = 0.3;
            let red = obj.reduced(&w, b);
            let at = obj.value(red.c, &red.u, &w, b);
            // Same quantity by two formulas: rounding only.
            assert!(
                (at - red.value).abs() < 1e-10 * (1.0 + at.abs()),
                "{at} vs {}",
                red.value
            );
            // Any perturbation of (c, u) raises R (strictly convex quadratic).
            for (j, dlt) in [(0usize, 1e-3), (2, -1e-3)] {
                let mut u = red.u.clone();
                u[j] += dlt;
                assert!(obj.value(red.c, &u, &w, b) > red.value);
                assert!(obj.value(red.c + dlt, &red.u, &w, b) > red.value);
            }
        }
    }

    #[test]
    fn reduced_gradient_matches_central_differences() {
        for obj in objectives(5) {
            for (ws, b) in [(0.5, 0.1), (3.0, -0.8), (40.0, 1.5)] {
                let w = normals(4, 11, ws);
                let red = obj.reduced(&w, b);
                let h = 1e-6 * (1.0 + ws);
                let mut fd = Vec::new();
                for j in 0..4 {
                    let (mut wp, mut wm) = (w.clone(), w.clone());
                    wp[j] += h;
                    wm[j] -= h;
                    fd.push((obj.reduced(&wp, b).value - obj.reduced(&wm, b).value) / (2.0 * h));
                }
                let hb = 1e-6;
                let fdb =
                    (obj.reduced(&w, b + hb).value - obj.reduced(&w, b - hb).value) / (2.0 * hb);
                // Central differences: O(h²) truncation + O(ε|F|/h) rounding; quadrature
                // error QUAD_ABS enters the difference quotient as QUAD_ABS/h ≈ 1e-4.
                let tol = 2e-4 * (1.0 + red.value.abs());
                for (a, g) in fd.iter().zip(&red.grad_w) {
                    assert!((a - g).abs() < tol, "w scale {ws}: fd {a} vs {g}");
                }
                assert!(
                    (fdb - red.grad_b).abs() < tol,
                    "b: fd {fdb} vs {}",
                    red.grad_b
                );
            }
        }
    }
}
