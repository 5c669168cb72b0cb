//! Exact coordinates on the span of a few long vectors (SPEC §4, engine 2).
//!
//! Given m vectors z_1..z_m ∈ ℝ^d (rows of Z), [`Span::new`] builds an orthonormal basis Q
//! (d × r, r = rank ≤ min(m, d)) of span{z_i} *without ever forming Q*: from the Gram matrix
//! G = Z Zᵀ (computed once, O(m²d), in parallel) a pivoted Cholesky factorisation
//! G = Y Yᵀ gives Y = Z Q (m × r), the coordinates of every z_i in that basis. Inner
//! products are preserved, so any quantity built from inner products of vectors in the span
//! (|w|², w·x_i, u·w, …) is computed exactly from r-vectors, at a cost independent of d.
//!
//! A vector with coordinates v is mapped back to ℝ^d as Q v = Z_Pᵀ L_P⁻ᵀ v, where P are the
//! r pivot rows and L_P the (lower-triangular) pivot block of Y: a triangular solve and one
//! pass over r rows of Z ([`Span::embed_many`], blocked over d and parallel).
//!
//! When d ≤ m nothing is gained from the Gram matrix, and the span is ℝ^d itself with Q = I:
//! the coordinates are the vectors ([`Span::is_identity`]).
//!
//! # Determinism
//! G is accumulated over column blocks of fixed width [`BLOCK`] in block order, each row of G
//! owned by one rayon task, so the result does not depend on the thread count.

use rayon::prelude::*;

/// Column-block width of the blocked Gram and embedding kernels: m rows × 256 doubles stay
/// in L2 for m ≤ 512, so each block of Z is read from memory once.
pub const BLOCK: usize = 256;

/// A pivot is accepted while it exceeds this fraction of the largest diagonal of G:
/// directions below it are numerically in the span of the earlier pivots (duplicated or
/// collinear points) and are dropped.
pub const PIVOT_REL_TOL: f64 = 1e-12;

/// Coordinates of m vectors of ℝ^d on an orthonormal basis of their span.
#[derive(Debug, Clone)]
pub struct Span {
    d: usize,
    m: usize,
    r: usize,
    /// m × r row-major coordinates: row i is Qᵀ z_i.
    coords: Vec<f64>,
    /// Pivot rows (empty in identity mode).
    pivots: Vec<usize>,
    /// r × r row-major lower-triangular pivot block of the coordinates.
    l_p: Vec<f64>,
    identity: bool,
}

pub(crate) use crate::linalg::dot;

/// G = Z Zᵀ (m × m, row-major, symmetric) for Z given row-major m × d.
pub fn gram(z: &[f64], m: usize, d: usize) -> Vec<f64> {
    assert_eq!(z.len(), m * d, "Z must be m × d");
    let mut g = vec![0.0; m * m];
    let mut start = 0;
    while start < d {
        let end = (start + BLOCK).min(d);
        g.par_chunks_mut(m).enumerate().for_each(|(i, gi)| {
            let zi = &z[i * d + start..i * d + end];
            for (j, gij) in gi.iter_mut().enumerate().take(i + 1) {
                *gij += dot(zi, &z[j * d + start..j * d + end]);
            }
        });
        start = end;
    }
    for i in 0..m {
        for j in 0..i {
            g[j * m + i] = g[i * m + j];
        }
    }
    g
}

/// Pivoted Cholesky G ≈ Y Yᵀ: returns (Y as m × r row-major, pivots). Stops when the
/// largest remaining diagonal is ≤ [`PIVOT_REL_TOL`] × the largest diagonal of G.
fn pivoted_cholesky(g: &[f64], m: usize) -> (Vec<f64>, Vec<usize>) {
    let mut l = vec![0.0; m * m]; // row i, column k
    let mut diag: Vec<f64> = (0..m).map(|i| g[i * m + i]).collect();
    let max0 = diag.iter().copied().fold(0.0, f64::max);
    let mut used = vec![false; m];
    let mut pivots = Vec::new();
    for k in 0..m {
        let mut best = None;
        for i in 0..m {
            if !used[i] && best.is_none_or(|b: usize| diag[i] > diag[b]) {
                best = Some(i);
            }
        }
        let Some(j) = best else { break };
        if diag[j].is_nan() || diag[j] <= PIVOT_REL_TOL * max0 {
            break;
        }
        used[j] = true;
        pivots.push(j);
        let ljk = diag[j].sqrt();
        l[j * m + k] = ljk;
        let lj: Vec<f64> = l[j * m..j * m + k].to_vec();
        for i in 0..m {
            if used[i] {
                continue;
            }
            let s = dot(&l[i * m..i * m + k], &lj);
            let v = (g[i * m + j] - s) / ljk;
            l[i * m + k] = v;
            diag[i] -= v * v;
        }
    }
    let r = pivots.len();
    let mut y = vec![0.0; m * r];
    for i in 0..m {
        y[i * r..(i + 1) * r].copy_from_slice(&l[i * m..i * m + r]);
    }
    (y, pivots)
}

impl Span {
    /// The span of the m rows of `z` (row-major m × d).
    ///
    /// # Panics
    /// If `z.len() != m·d`.
    pub fn new(z: &[f64], m: usize, d: usize) -> Self {
        assert_eq!(z.len(), m * d, "Z must be m × d");
        if d <= m {
            return Self {
                d,
                m,
                r: d,
                coords: z.to_vec(),
                pivots: Vec::new(),
                l_p: Vec::new(),
                identity: true,
            };
        }
        let g = gram(z, m, d);
        let (coords, pivots) = pivoted_cholesky(&g, m);
        let r = pivots.len();
        let mut l_p = vec![0.0; r * r];
        for (a, &p) in pivots.iter().enumerate() {
            l_p[a * r..(a + 1) * r].copy_from_slice(&coords[p * r..(p + 1) * r]);
        }
        Self {
            d,
            m,
            r,
            coords,
            pivots,
            l_p,
            identity: false,
        }
    }

    /// Ambient dimension d.
    pub fn d(&self) -> usize {
        self.d
    }
    /// Number of spanning vectors m.
    pub fn m(&self) -> usize {
        self.m
    }
    /// Dimension r of the span (number of coordinates).
    pub fn r(&self) -> usize {
        self.r
    }
    /// True when d ≤ m and the coordinates are the vectors themselves (Q = I).
    pub fn is_identity(&self) -> bool {
        self.identity
    }
    /// Coordinates Qᵀ z_i of spanning vector i (length r).
    pub fn coord(&self, i: usize) -> &[f64] {
        &self.coords[i * self.r..(i + 1) * self.r]
    }

    #[allow(clippy::needless_range_loop)] // triangular solve: the index form is the formula
    /// Coefficients a with Q v = Σ_k a_k z_{P_k}: solve L_Pᵀ a = v (back substitution).
    fn pivot_coefficients(&self, v: &[f64]) -> Vec<f64> {
        let r = self.r;
        let mut a = v.to_vec();
        for k in (0..r).rev() {
            let mut s = a[k];
            for j in k + 1..r {
                s -= self.l_p[j * r + k] * a[j];
            }
            a[k] = s / self.l_p[k * r + k];
        }
        a
    }

    /// Coordinates Qᵀ x of the orthogonal projection of x ∈ ℝ^d onto the span
    /// (forward substitution L_P c = Z_P x; O(r·d)).
    #[allow(clippy::needless_range_loop)] // triangular solve: the index form is the formula
    pub fn project(&self, z: &[f64], x: &[f64]) -> Vec<f64> {
        let (r, d) = (self.r, self.d);
        assert_eq!(x.len(), d, "x has the wrong dimension");
        if self.identity {
            return x.to_vec();
        }
        let zx: Vec<f64> = self
            .pivots
            .iter()
            .map(|&p| dot(&z[p * d..(p + 1) * d], x))
            .collect();
        let mut c = vec![0.0; r];
        for k in 0..r {
            let mut s = zx[k];
            for j in 0..k {
                s -= self.l_p[k * r + j] * c[j];
            }
            c[k] = s / self.l_p[k * r + k];
        }
        c
    }

    /// Map each coordinate vector v (length r) back to Q v ∈ ℝ^d. `z` must be the matrix
    /// the span was built from. Blocked over d and parallel over blocks, each output entry
    /// summed in pivot order (deterministic).
    pub fn embed_many(&self, z: &[f64], vs: &[&[f64]]) -> Vec<Vec<f64>> {
        let (r, d) = (self.r, self.d);
        if self.identity {
            return vs.iter().map(|v| v.to_vec()).collect();
        }
        let coefs: Vec<Vec<f64>> = vs.iter().map(|v| self.pivot_coefficients(v)).collect();
        let n_blocks = d.div_ceil(BLOCK);
        let blocks: Vec<Vec<f64>> = (0..n_blocks)
            .into_par_iter()
            .map(|bk| {
                let (s, e) = (bk * BLOCK, ((bk + 1) * BLOCK).min(d));
                let w = e - s;
                let mut out = vec![0.0; vs.len() * w];
                for (o, a) in out.chunks_exact_mut(w).zip(&coefs) {
                    for (k, &p) in self.pivots.iter().enumerate().take(r) {
                        let ak = a[k];
                        let zrow = &z[p * d + s..p * d + e];
                        for (oj, &zj) in o.iter_mut().zip(zrow) {
                            *oj += ak * zj;
                        }
                    }
                }
                out
            })
            .collect();
        let mut res = vec![vec![0.0; d]; vs.len()];
        for (bk, blk) in blocks.iter().enumerate() {
            let (s, e) = (bk * BLOCK, ((bk + 1) * BLOCK).min(d));
            let w = e - s;
            for (q, o) in res.iter_mut().zip(blk.chunks_exact(w)) {
                q[s..e].copy_from_slice(o);
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use rand::Rng;
    use rand_distr::StandardNormal;

    fn random(m: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut rng = stream(seed, 0, Purpose::Test, 40);
        (0..m * d).map(|_| rng.sample(StandardNormal)).collect()
    }

    #[test]
    fn coordinates_preserve_inner_products() {
        let (m, d) = (7, 300);
        let z = random(m, d, 1);
        let s = Span::new(&z, m, d);
        assert_eq!(s.r(), m);
        for i in 0..m {
            for j in 0..m {
                let want = dot(&z[i * d..(i + 1) * d], &z[j * d..(j + 1) * d]);
                let got = dot(s.coord(i), s.coord(j));
                // Cholesky backward error ~ m·ε·|G|, |G| ~ d.
                assert!(
                    (got - want).abs() < 1e-10 * d as f64,
                    "{i},{j}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn embed_inverts_coordinates_and_project() {
        let (m, d) = (5, 700);
        let z = random(m, d, 2);
        let s = Span::new(&z, m, d);
        let v: Vec<f64> = (0..s.r()).map(|k| (k as f64 * 0.37).sin()).collect();
        let x = &s.embed_many(&z, &[&v])[0];
        let back = s.project(&z, x);
        for (a, b) in v.iter().zip(&back) {
            assert!((a - b).abs() < 1e-10, "{a} vs {b}");
        }
        // Embedding z_i's own coordinates gives z_i back.
        let zi = &s.embed_many(&z, &[s.coord(3)])[0];
        for (a, b) in zi.iter().zip(&z[3 * d..4 * d]) {
            assert!((a - b).abs() < 1e-10);
        }
    }

    #[test]
    fn rank_deficient_input_drops_collinear_rows() {
        let (d, m) = (400, 4);
        let mut z = random(3, d, 3);
        let extra: Vec<f64> = (0..d).map(|j| 2.0 * z[j] - z[d + j]).collect();
        z.extend(extra);
        let s = Span::new(&z, m, d);
        assert_eq!(s.r(), 3);
    }

    #[test]
    fn identity_mode_when_d_small() {
        let z = random(6, 4, 4);
        let s = Span::new(&z, 6, 4);
        assert!(s.is_identity());
        assert_eq!(s.coord(2), &z[8..12]);
    }
}
