//! The reduced theory's orthogonal Gram block to second order: the O(n/d) correction.
//!
//! [`crate::theory::reduced`] replaces the data's orthogonal Gram block W = Ξ⊥Ξ⊥ᵀ/d by its
//! mean. Write W = (1 − 1/d)(I + E): E is symmetric with E\[E\] = 0 and,
//! exactly for the Wishart law of d − 1 orthogonal directions,
//! Cov(E_ij, E_kl) = κ(δ_ik δ_jl + δ_il δ_jk), κ = 1/(d − 1), so E\[E²\] = (n + 1)κ·I. In the
//! reduced variables θ = (b, y) (one y per sample; the engine's w = Σ g_j x_j with
//! y = β√d σ⊥²(I + E)g) E enters R_k through four channels only, each a quadratic form
//! ([`crate::theory::reduced::objective_full`]):
//!
//! * δ_Ω = hᵀ((I + E)⁻¹ − I)y = −hᵀEy + hᵀE²y (Ω = (hᵀy + δ_Ω)/σ⊥²),
//! * δ_Y = yᵀ((I + E)⁻¹ − I)y = −yᵀEy + yᵀE²y (the cost of the per-sample parts in r),
//! * δ_Q = M₁ᵀEM₁ (the gain of u; M₁ itself moves with δ_Ω, δ_Y),
//! * δ_X = σ⊥² tr E (X₂ = Σ|x_i|²/d).
//!
//! So L(θ, E) = L₀(θ) + Λ(θ; E) + Λ₂(θ; E) + O(E³) with Λ = Σ_k λ_k(θ)δ¹_k(θ; E) linear in E
//! (λ_k = ∂R/∂δ_k) and Λ₂ = Σ_k λ_k δ²_k + ½Σ_kl Γ_kl δ¹_k δ¹_l quadratic (Γ = ∂²R/∂δ∂δ; δ²_Q
//! = 2M₁ᵀE(∂M₁/∂δ_Ω δ¹_Ω + ∂M₁/∂δ_Y δ¹_Y)). The minimiser θ*(E) = θ₀ + θ₁ + θ₂ + …:
//!
//! θ₁ = −H⁻¹∇Λ,   E\[θ₂\] = −H⁻¹(½ ∇³L₀\[C₁\] + E\[∇²Λ θ₁\] + ∇E\[Λ₂\]),   C₁ = E\[θ₁θ₁ᵀ\] = H⁻¹ΣH⁻¹,
//!
//! Σ = E\[∇Λ∇Λᵀ\], and an overlap O(θ, E) (c, m, √q, ω, √r depend on E through the same
//! channels; b = θ₀) has
//!
//! E\[O\] − O₀ = ∇O·E\[θ₂\] + ½⟨∇²O, C₁⟩ + E\[∇Λ_O·θ₁\] + E\[Λ_O,2\]
//!
//! with Λ_O, Λ_O,2 the same expansions with ∂O/∂δ in place of ∂R/∂δ. Every expectation is a
//! Gaussian contraction of E with fixed n-vectors (h, y, M₁, rows of H⁻¹, of the Jacobian of
//! M₁) by the three rules E\[(aᵀEb)(cᵀEe)\] = κ\[(a·c)(b·e) + (a·e)(b·c)\],
//! E\[(aᵀEb)Ev\] = κ\[a(b·v) + b(a·v)\], E\[E M E\] = κ(Mᵀ + tr M·I): no random draw. Third-order
//! terms (E\[E³\] ~ (n/d)²) and the Wishart law's non-Gaussian cumulants (O(n/d²)) are left
//! out: the correction is the O(n/d) term, with O((n/d)²) left.
//!
//! **Numerics.** The problem is solved on n pseudo-samples (the n₊, n₋ class members at the
//! normal quantiles (j + ½)/n_s of ζ), because the identity part of E's covariance moves each
//! sample independently, which class atoms of weight n_s cannot represent. Derivatives: the
//! gradient of R_k in (θ, δ) is analytic; the Hessian and the overlaps' gradient come from
//! the objective's structure (diagonal plus a rank-≤ 8 part through the globals of
//! [`crate::theory::reduced::Globals`], about 60 gradient evaluations instead of 2(n + 1):
//! `hessian_and_grad_o`); ∂λ/∂θ, Γ and the channel derivatives
//! are finite differences of analytic quantities; ∇³L₀\[C₁\] and ⟨∇²O, C₁⟩ are second
//! differences of the gradient and of O along the columns of a pivoted Cholesky factor of
//! C₁; E\[∇²Λθ₁\] and ∇E\[Λ₂\] are needed only along H⁻¹∇O and are central differences of the
//! scalar E\[∇Λ(θ)·θ₁\] + E\[Λ₂(θ)\] (θ₁ frozen at θ₀). Cost: O(n) evaluations of R_k of
//! O(n) each (the loop over C₁'s columns) plus O(n³) dense algebra per grid time.
//!
//! **Numerical error at the flat end of phase 2.** There H is ill-conditioned and ζ = H⁻¹∇m
//! is poorly determined by any finite-difference Hessian: against a Richardson-extrapolated
//! reference at C3's full size (d = 2000, n = 512) its relative error is 0.1 % at t = 1.9,
//! 2 % at 1.95 and 33 % at 1.975 (the dense Hessian's: 0.2 %, 3.5 %, 53 %;
//! `explore_structured_accuracy`). The correction's m there is not determined to its own
//! size; docs/verdicts.md states it.

use super::finite_n::{FiniteN, Noise};
use super::reduced::{
    Atoms, Globals, ReducedStop, Solution, StepKin, conditional, gradient_frozen, minimise,
    objective_full,
};

/// A scalar linear functional of E: c·pᵀEq, or c·tr E.
#[derive(Debug, Clone)]
enum Lin {
    Form { c: f64, p: Vec<f64>, q: Vec<f64> },
    Trace { c: f64 },
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The Gaussian contractions of E (module doc), κ = 1/(d − 1), n samples.
#[derive(Debug, Clone, Copy)]
struct Wick {
    kappa: f64,
    n: usize,
}

impl Wick {
    /// E\[a(E)·b(E)\].
    fn ll(&self, a: &Lin, b: &Lin) -> f64 {
        let k = self.kappa;
        match (a, b) {
            (
                Lin::Form {
                    c: c1,
                    p: p1,
                    q: q1,
                },
                Lin::Form {
                    c: c2,
                    p: p2,
                    q: q2,
                },
            ) => k * c1 * c2 * (dot(p1, p2) * dot(q1, q2) + dot(p1, q2) * dot(q1, p2)),
            (Lin::Form { c, p, q }, Lin::Trace { c: ct })
            | (Lin::Trace { c: ct }, Lin::Form { c, p, q }) => 2.0 * k * c * ct * dot(p, q),
            (Lin::Trace { c: c1 }, Lin::Trace { c: c2 }) => 2.0 * k * c1 * c2 * self.n as f64,
        }
    }

    /// E\[a(E)·E v\] (an n-vector).
    fn lv(&self, a: &Lin, v: &[f64]) -> Vec<f64> {
        let k = self.kappa;
        match a {
            Lin::Form { c, p, q } => {
                let (qv, pv) = (dot(q, v), dot(p, v));
                p.iter()
                    .zip(q)
                    .map(|(pi, qi)| k * c * (pi * qv + qi * pv))
                    .collect()
            }
            Lin::Trace { c } => v.iter().map(|vi| 2.0 * k * c * vi).collect(),
        }
    }
}

/// Dense row-major matrix helpers (N ≤ a few thousand).
fn matvec(a: &[f64], rows: usize, cols: usize, x: &[f64]) -> Vec<f64> {
    (0..rows)
        .map(|i| dot(&a[i * cols..(i + 1) * cols], x))
        .collect()
}

fn mat_t_vec(a: &[f64], rows: usize, cols: usize, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; cols];
    for i in 0..rows {
        let xi = x[i];
        if xi != 0.0 {
            for (yj, aij) in y.iter_mut().zip(&a[i * cols..(i + 1) * cols]) {
                *yj += xi * aij;
            }
        }
    }
    y
}

/// C = A·B (A: r×m, B: m×c).
fn matmul(a: &[f64], b: &[f64], r: usize, m: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        let row = &mut out[i * c..(i + 1) * c];
        for k in 0..m {
            let aik = a[i * m + k];
            if aik != 0.0 {
                for (o, bkj) in row.iter_mut().zip(&b[k * c..(k + 1) * c]) {
                    *o += aik * bkj;
                }
            }
        }
    }
    out
}

/// Columns l_m of a pivoted Cholesky factor of a positive semi-definite S (n×n):
/// S = Σ_m l_m l_mᵀ up to the dropped pivots below `rel`·max diag.
fn psd_columns(s: &[f64], n: usize, rel: f64) -> Vec<Vec<f64>> {
    let mut d: Vec<f64> = (0..n).map(|i| s[i * n + i]).collect();
    let dmax = d.iter().copied().fold(0.0, f64::max);
    let mut cols: Vec<Vec<f64>> = Vec::new();
    if dmax <= 0.0 {
        return cols;
    }
    for _ in 0..n {
        let (j, &dj) = d
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("n > 0");
        if dj <= rel * dmax {
            break;
        }
        let piv = dj.sqrt();
        let mut l: Vec<f64> = (0..n).map(|i| s[i * n + j]).collect();
        for c in &cols {
            let cj = c[j];
            for (li, ci) in l.iter_mut().zip(c) {
                *li -= cj * ci;
            }
        }
        for li in l.iter_mut() {
            *li /= piv;
        }
        l[j] = piv;
        for (di, li) in d.iter_mut().zip(&l) {
            *di -= li * li;
        }
        d[j] = 0.0;
        cols.push(l);
    }
    cols
}

/// The class members at the normal quantiles: n₊ samples h = 1 + σζ/√d and n₋ samples
/// h = −1 + σζ/√d with ζ = Φ⁻¹((j + ½)/n_s).
pub fn pseudo_samples(n_plus: usize, n_minus: usize, sigma2: f64, d: f64) -> Vec<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    let nd = Normal::new(0.0, 1.0).expect("standard normal");
    let sc = (sigma2 / d).sqrt();
    let mut h = Vec::with_capacity(n_plus + n_minus);
    for (s, ns) in [(1.0, n_plus), (-1.0, n_minus)] {
        for j in 0..ns {
            h.push(s + sc * nd.inverse_cdf((j as f64 + 0.5) / ns as f64));
        }
    }
    h
}

/// The overlaps in the raw sign: c, m, ω, b, √q, √r.
pub const OVERLAPS: usize = 6;

/// Objective evaluations made by this module (a cost diagnostic).
pub static EVALS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Evaluations of R_k on explicit samples with channels.
struct Problem<'a> {
    k: &'a StepKin,
    at: Atoms,
    h: &'a [f64],
}

/// One evaluation: gradient in θ, channel gradient, overlaps, M₁, M₁ − M₃, 1 − M₂, Ω, A.
struct Point {
    grad: Vec<f64>,
    lam: [f64; 4],
    obs: [f64; OVERLAPS],
    m1: Vec<f64>,
    m13: Vec<f64>,
    d1: Vec<f64>,
    om_cap: f64,
    globals: Globals,
}

impl Problem<'_> {
    fn n(&self) -> usize {
        self.h.len()
    }

    fn eval(&self, th: &[f64], ch: &[f64; 4]) -> Point {
        EVALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let f = objective_full(self.k, &self.at, th, ch);
        let e = &f.eval;
        Point {
            grad: e.grad.clone(),
            lam: f.ch_grad,
            obs: [e.c, e.m, e.omega, th[0], e.sqrt_q, e.sqrt_r],
            m1: f.moments.iter().map(|m| m.m1).collect(),
            m13: f.moments.iter().map(|m| m.m1 - m.m3).collect(),
            d1: f.moments.iter().map(|m| 1.0 - m.m2).collect(),
            om_cap: f.om_cap,
            globals: f.globals,
        }
    }

    /// The gradient with the globals frozen at `g` ([`gradient_frozen`]).
    fn grad_frozen(&self, th: &[f64], g: &Globals) -> Vec<f64> {
        EVALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        gradient_frozen(self.k, &self.at, th, g)
    }

    /// ∂r/∂y_j·(bsd²·σ⊥²)/2 = Ω h_j + y_j … as a vector: ∂r/∂y.
    fn dr_dy(&self, th: &[f64], om_cap: f64) -> Vec<f64> {
        let sp2 = self.k.sp2();
        let bsd2 = self.k.beta * self.k.beta * self.k.d;
        self.h
            .iter()
            .zip(&th[1..])
            .map(|(h, y)| 2.0 * (om_cap * h + y) / (sp2 * bsd2))
            .collect()
    }

    /// J_m = ∂M₁/∂θ (n × N), analytic: ∂B_i/∂θ = e_b + e_{y_i} + h_i h/σ⊥² and
    /// ∂M₁/∂A·∂A/∂r = −α²(M₁ − M₃).
    fn jm(&self, th: &[f64], p: &Point) -> Vec<f64> {
        let n = self.n();
        let nn = n + 1;
        let sp2 = self.k.sp2();
        let al2 = self.k.alpha * self.k.alpha;
        let dr = self.dr_dy(th, p.om_cap);
        let mut j = vec![0.0; n * nn];
        for i in 0..n {
            let row = &mut j[i * nn..(i + 1) * nn];
            row[0] = p.d1[i];
            let a = p.d1[i] * self.h[i] / sp2;
            let bcoef = -al2 * p.m13[i];
            for jj in 0..n {
                row[1 + jj] = a * self.h[jj] + bcoef * dr[jj];
            }
            row[1 + i] += p.d1[i];
        }
        j
    }

    /// ∂M₁/∂δ_Ω and ∂M₁/∂δ_Y (analytic).
    fn m_delta(&self, p: &Point) -> (Vec<f64>, Vec<f64>) {
        let sp2 = self.k.sp2();
        let al2 = self.k.alpha * self.k.alpha;
        let bsd2 = self.k.beta * self.k.beta * self.k.d;
        let dr_dom = 2.0 * p.om_cap / (sp2 * bsd2);
        let dr_dy = 1.0 / (sp2 * bsd2);
        let n = self.n();
        let mo = (0..n)
            .map(|i| p.d1[i] * self.h[i] / sp2 - al2 * p.m13[i] * dr_dom)
            .collect();
        let my = (0..n).map(|i| -al2 * p.m13[i] * dr_dy).collect();
        (mo, my)
    }
}

/// The first-order channel functionals δ¹ at θ (with M₁ = `m1`).
fn delta1(h: &[f64], y: &[f64], m1: &[f64], sp2: f64) -> [Lin; 4] {
    [
        Lin::Form {
            c: -1.0,
            p: h.to_vec(),
            q: y.to_vec(),
        },
        Lin::Form {
            c: -1.0,
            p: y.to_vec(),
            q: y.to_vec(),
        },
        Lin::Form {
            c: 1.0,
            p: m1.to_vec(),
            q: m1.to_vec(),
        },
        Lin::Trace { c: sp2 },
    ]
}

/// θ₁ = −(HA·δ¹₀ + Z_y E u_e + Z_m E u_m), frozen at θ₀.
struct Theta1 {
    nn: usize,
    /// H⁻¹A (N × 4).
    ha: Vec<f64>,
    /// H⁻¹ (N × N).
    hinv: Vec<f64>,
    /// H⁻¹J_mᵀ (N × n).
    zm: Vec<f64>,
    u_e: Vec<f64>,
    u_m: Vec<f64>,
    d1: [Lin; 4],
    w: Wick,
}

/// The Jacobian of the channel-carrying n-vector (n × N): J_y (the y block) or a dense J_m.
enum Jac<'a> {
    Y,
    Dense(&'a [f64]),
}

impl Theta1 {
    fn n(&self) -> usize {
        self.nn - 1
    }

    /// Z_y x (N-vector).
    fn zy_x(&self, x: &[f64]) -> Vec<f64> {
        let nn = self.nn;
        (0..nn)
            .map(|a| dot(&self.hinv[a * nn + 1..(a + 1) * nn], x))
            .collect()
    }

    fn zm_x(&self, x: &[f64]) -> Vec<f64> {
        matvec(&self.zm, self.nn, self.n(), x)
    }

    /// W = E\[θ₁·L(E)\] (N-vector).
    fn with_lin(&self, l: &Lin) -> Vec<f64> {
        let nn = self.nn;
        let cov: Vec<f64> = self.d1.iter().map(|d| self.w.ll(d, l)).collect();
        let ce = self.w.lv(l, &self.u_e);
        let cm = self.w.lv(l, &self.u_m);
        let a = self.zy_x(&ce);
        let b = self.zm_x(&cm);
        (0..nn)
            .map(|i| {
                let mut s = a[i] + b[i];
                for (k, c) in cov.iter().enumerate() {
                    s += self.ha[i * 4 + k] * c;
                }
                -s
            })
            .collect()
    }

    /// P·v for the Jacobian P (n-vector).
    fn apply(p: &Jac, v: &[f64], n: usize) -> Vec<f64> {
        match p {
            Jac::Y => v[1..].to_vec(),
            Jac::Dense(j) => matvec(j, n, n + 1, v),
        }
    }

    /// Pᵀ u (N-vector).
    fn apply_t(p: &Jac, u: &[f64], n: usize) -> Vec<f64> {
        match p {
            Jac::Y => {
                let mut v = vec![0.0; n + 1];
                v[1..].copy_from_slice(u);
                v
            }
            Jac::Dense(j) => mat_t_vec(j, n, n + 1, u),
        }
    }

    /// tr(P Z) for Z = H⁻¹·(J_y or J_m)ᵀ (N × n).
    fn trace_pz(&self, p: &Jac, z_is_y: bool) -> f64 {
        let n = self.n();
        let nn = self.nn;
        let z = |a: usize, i: usize| {
            if z_is_y {
                self.hinv[a * nn + 1 + i]
            } else {
                self.zm[a * n + i]
            }
        };
        match p {
            Jac::Y => (0..n).map(|i| z(1 + i, i)).sum(),
            Jac::Dense(j) => (0..n)
                .map(|i| (0..nn).map(|a| j[i * nn + a] * z(a, i)).sum::<f64>())
                .sum(),
        }
    }

    /// E\[xᵀ E (P θ₁)\].
    fn x_e_p(&self, x: &[f64], p: &Jac) -> f64 {
        let n = self.n();
        let k = self.w.kappa;
        let mut s = 0.0;
        for (kk, d) in self.d1.iter().enumerate() {
            let col: Vec<f64> = (0..self.nn).map(|a| self.ha[a * 4 + kk]).collect();
            let pc = Self::apply(p, &col, n);
            s += self.w.ll(
                &Lin::Form {
                    c: 1.0,
                    p: x.to_vec(),
                    q: pc,
                },
                d,
            );
        }
        // E[xᵀ E (P Z) E u] = κ(uᵀ P Z x + tr(PZ)·x·u)
        let zyx = self.zy_x(x);
        let zmx = self.zm_x(x);
        let pte = Self::apply_t(p, &self.u_e, n);
        let ptm = Self::apply_t(p, &self.u_m, n);
        s += k * (dot(&pte, &zyx) + self.trace_pz(p, true) * dot(x, &self.u_e));
        s += k * (dot(&ptm, &zmx) + self.trace_pz(p, false) * dot(x, &self.u_m));
        -s
    }

    /// Σ_k φ_k·E\[∇δ¹_k(θ)·θ₁\] at θ (y, m1, J_m at θ).
    fn phi_grad_delta(&self, phi: &[f64; 4], h: &[f64], y: &[f64], m1: &[f64], jm: &[f64]) -> f64 {
        -phi[0] * self.x_e_p(h, &Jac::Y) - 2.0 * phi[1] * self.x_e_p(y, &Jac::Y)
            + 2.0 * phi[2] * self.x_e_p(m1, &Jac::Dense(jm))
    }
}

/// E\[Λ_Φ,2\] = Σ_k φ_k E\[δ²_k\] + ½Σ_kl φ_kl E\[δ¹_k δ¹_l\] at θ.
/// The n-vectors of the second-order channel terms at one θ.
struct AtTheta<'a> {
    h: &'a [f64],
    y: &'a [f64],
    m1: &'a [f64],
    /// ∂M₁/∂δ_Ω.
    m_om: &'a [f64],
    /// ∂M₁/∂δ_Y.
    m_y: &'a [f64],
}

fn second_order(w: &Wick, phi: &[f64; 4], phi2: &[[f64; 4]; 4], d1: &[Lin; 4], v: &AtTheta) -> f64 {
    let (h, y, m1, m_om, m_y) = (v.h, v.y, v.m1, v.m_om, v.m_y);
    let e2 = (w.n as f64 + 1.0) * w.kappa;
    let mut s = phi[0] * e2 * dot(h, y) + phi[1] * e2 * dot(y, y);
    let fo = Lin::Form {
        c: 2.0,
        p: m1.to_vec(),
        q: m_om.to_vec(),
    };
    let fy = Lin::Form {
        c: 2.0,
        p: m1.to_vec(),
        q: m_y.to_vec(),
    };
    s += phi[2] * (w.ll(&fo, &d1[0]) + w.ll(&fy, &d1[1]));
    for k in 0..4 {
        for l in 0..4 {
            s += 0.5 * phi2[k][l] * w.ll(&d1[k], &d1[l]);
        }
    }
    s
}

/// Step of the channel finite differences: relative to the channel's base value.
fn channel_steps(p: &Problem, th: &[f64], pt: &Point, rel: f64) -> [f64; 4] {
    let y = &th[1..];
    let hy = dot(p.h, y).abs();
    let yy = dot(y, y);
    let q = dot(&pt.m1, &pt.m1);
    let x2: f64 = p.h.iter().map(|h| h * h + p.k.sp2()).sum();
    [
        rel * (1.0 + hy),
        rel * (1.0 + yy),
        rel * (1.0 + q),
        rel * (1.0 + x2),
    ]
}

fn unit(k: usize, v: f64) -> [f64; 4] {
    let mut c = [0.0; 4];
    c[k] = v;
    c
}

fn axpy(th: &[f64], a: f64, v: &[f64]) -> Vec<f64> {
    th.iter().zip(v).map(|(t, x)| t + a * x).collect()
}

/// Step along direction v so that the largest coordinate moves by `size`.
fn dir_step(v: &[f64], size: f64) -> Option<f64> {
    let m = v.iter().map(|x| x.abs()).fold(0.0, f64::max);
    (m > 0.0 && m.is_finite()).then(|| size / m)
}

/// Hessian of R_k in θ and the overlaps' gradient from the objective's structure, with
/// 2(n + 1) + … replaced by about 2·(2 + 8 + 8) gradient evaluations.
///
/// With the [`Globals`] γ (Ω, A and the six coefficients ∂R/∂(aggregate)) held fixed, the
/// y-part of the gradient is Φ_a(y_a, b; γ): atom a's component depends on its own y_a and
/// on b only. So H_yy = D + P·∂γ/∂y with D = diag(∂Φ_a/∂y_a) and P = ∂Φ_y/∂γ (n × 8).
/// H_yy and D are symmetric, hence so is M = P·∂γ/∂y, whose columns lie in span P: with U an
/// orthonormal basis of span P, M = U(UᵀMU)Uᵀ, and MU = H_yy U − D U needs one directional
/// derivative of the gradient per column of U. So: D from two frozen-γ gradients (every y
/// moved at once), P from two per global, the b row and column from two gradients along
/// e_b, and HU from two per column. The overlaps (c, m, ω, b, √q, √r) depend on y through
/// the aggregates (Ω, r, S₂, P, Q₁, W) only, whose y-gradients lie in span P (they are the
/// columns ∂Φ/∂(f_s2, f_p, f_q1, f_wb, f_r, f_om) up to multiples of ∇Ω and ∇r), so the
/// same directional differences give ∇_y O = Σ_k (∂O/∂u_k)u_k. Central differences with the
/// step of [`hessian_and_grad_o_dense`] (1e-5); equal to it within that step's error
/// (`structured_hessian_matches_dense`).
fn hessian_and_grad_o(pr: &Problem, th0: &[f64]) -> (Vec<f64>, Vec<[f64; OVERLAPS]>) {
    let nn = th0.len();
    let n = nn - 1;
    let zero = [0.0; 4];
    let hstep = 1e-5;
    let p0 = pr.eval(th0, &zero);
    let gl = p0.globals;
    // directional central difference of the gradient and the overlaps
    let along = |v: &[f64]| {
        let pp = pr.eval(&axpy(th0, hstep, v), &zero);
        let pm = pr.eval(&axpy(th0, -hstep, v), &zero);
        let dg: Vec<f64> = (0..nn)
            .map(|i| (pp.grad[i] - pm.grad[i]) / (2.0 * hstep))
            .collect();
        let mut dobs = [0.0; OVERLAPS];
        for o in 0..OVERLAPS {
            dobs[o] = (pp.obs[o] - pm.obs[o]) / (2.0 * hstep);
        }
        (dg, dobs)
    };
    let mut hm = vec![0.0; nn * nn];
    let mut go = vec![[0.0; OVERLAPS]; nn];
    // the b column
    let mut eb = vec![0.0; nn];
    eb[0] = 1.0;
    let (hb, ob) = along(&eb);
    go[0] = ob;
    // D: every y moved at once, γ frozen
    let mut ones = vec![1.0; nn];
    ones[0] = 0.0;
    let gp = pr.grad_frozen(&axpy(th0, hstep, &ones), &gl);
    let gm = pr.grad_frozen(&axpy(th0, -hstep, &ones), &gl);
    let diag: Vec<f64> = (0..n)
        .map(|a| (gp[1 + a] - gm[1 + a]) / (2.0 * hstep))
        .collect();
    // P = ∂Φ_y/∂γ, orthonormalised (modified Gram–Schmidt; dependent columns dropped)
    let garr = gl.to_array();
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut pcols: Vec<Vec<f64>> = Vec::with_capacity(Globals::LEN);
    for j in 0..Globals::LEN {
        // Richardson's extrapolation of two central differences (error O(st⁴)): the span
        // of P must be exact to working precision, or M's part outside it is lost.
        let diff = |st: f64| -> Vec<f64> {
            let mut ga = garr;
            ga[j] = garr[j] + st;
            let gp = pr.grad_frozen(th0, &Globals::from_array(ga));
            ga[j] = garr[j] - st;
            let gm = pr.grad_frozen(th0, &Globals::from_array(ga));
            (0..n)
                .map(|a| (gp[1 + a] - gm[1 + a]) / (2.0 * st))
                .collect()
        };
        let st = 1e-3 * garr[j].abs().max(1e-3);
        let (wide, narrow) = (diff(st), diff(0.5 * st));
        pcols.push(
            wide.iter()
                .zip(&narrow)
                .map(|(w, n)| (4.0 * n - w) / 3.0)
                .collect(),
        );
    }
    let scale = pcols.iter().map(|c| dot(c, c).sqrt()).fold(0.0, f64::max);
    for mut v in pcols {
        let norm0 = dot(&v, &v).sqrt();
        for _ in 0..2 {
            for u in &basis {
                let c = dot(u, &v);
                for (vi, ui) in v.iter_mut().zip(u) {
                    *vi -= c * ui;
                }
            }
        }
        let norm = dot(&v, &v).sqrt();
        if norm > 1e-9 * norm0.max(1e-300) && norm > 1e-14 * scale {
            basis.push(v.iter().map(|x| x / norm).collect());
        }
    }
    // M U = H_yy U − D U, and ∇_y O along U
    let r = basis.len();
    let mut mu: Vec<Vec<f64>> = Vec::with_capacity(r);
    let mut gy_o = vec![[0.0; OVERLAPS]; n];
    for u in &basis {
        let mut v = vec![0.0; nn];
        v[1..].copy_from_slice(u);
        let (hu, dobs) = along(&v);
        mu.push((0..n).map(|a| hu[1 + a] - diag[a] * u[a]).collect());
        for a in 0..n {
            for o in 0..OVERLAPS {
                gy_o[a][o] += dobs[o] * u[a];
            }
        }
    }
    let mut c = vec![0.0; r * r];
    for k in 0..r {
        for l in 0..r {
            c[k * r + l] = dot(&basis[k], &mu[l]);
        }
    }
    for k in 0..r {
        for l in 0..k {
            let v = 0.5 * (c[k * r + l] + c[l * r + k]);
            c[k * r + l] = v;
            c[l * r + k] = v;
        }
    }
    // H_yy = D + U C Uᵀ
    let mut uc = vec![0.0; n * r]; // U C
    for a in 0..n {
        for l in 0..r {
            uc[a * r + l] = (0..r).map(|k| basis[k][a] * c[k * r + l]).sum();
        }
    }
    for a in 0..n {
        for bb in 0..=a {
            let v: f64 = (0..r).map(|l| uc[a * r + l] * basis[l][bb]).sum();
            hm[(1 + a) * nn + 1 + bb] = v;
            hm[(1 + bb) * nn + 1 + a] = v;
        }
        hm[(1 + a) * nn + 1 + a] += diag[a];
    }
    for i in 0..nn {
        hm[i * nn] = hb[i];
        hm[i] = hb[i];
    }
    go[1..].copy_from_slice(&gy_o);
    (hm, go)
}

/// The dense reference of [`hessian_and_grad_o`]: central differences of the analytic
/// gradient along every coordinate, 2(n + 1) evaluations.
#[cfg(test)]
fn hessian_and_grad_o_dense(pr: &Problem, th0: &[f64]) -> (Vec<f64>, Vec<[f64; OVERLAPS]>) {
    hessian_dense_step(pr, th0, 1e-5)
}

#[cfg(test)]
fn hessian_dense_step(pr: &Problem, th0: &[f64], hstep: f64) -> (Vec<f64>, Vec<[f64; OVERLAPS]>) {
    let nn = th0.len();
    let zero = [0.0; 4];
    let mut hm = vec![0.0; nn * nn];
    let mut go = vec![[0.0; OVERLAPS]; nn];
    for j in 0..nn {
        let mut th = th0.to_vec();
        th[j] += hstep;
        let pp = pr.eval(&th, &zero);
        th[j] = th0[j] - hstep;
        let pm = pr.eval(&th, &zero);
        for i in 0..nn {
            hm[i * nn + j] = (pp.grad[i] - pm.grad[i]) / (2.0 * hstep);
        }
        for o in 0..OVERLAPS {
            go[j][o] = (pp.obs[o] - pm.obs[o]) / (2.0 * hstep);
        }
    }
    for i in 0..nn {
        for j in 0..i {
            let v = 0.5 * (hm[i * nn + j] + hm[j * nn + i]);
            hm[i * nn + j] = v;
            hm[j * nn + i] = v;
        }
    }
    (hm, go)
}

/// Chord steps (Newton with a fixed Hessian inverse) from `th` until the step is
/// ≤ [`crate::theory::reduced::STEP_TOL`]·(1 + max|θ|); `None` after [`CHORD_MAX`] steps.
/// Returns the point and the last step.
fn chord(pr: &Problem, hinv: &[f64], th: &[f64]) -> Option<(Vec<f64>, f64)> {
    let nn = th.len();
    let mut x = th.to_vec();
    for _ in 0..CHORD_MAX {
        let g = pr.eval(&x, &[0.0; 4]).grad;
        let st = matvec(hinv, nn, nn, &g);
        let smax = st.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for (xi, si) in x.iter_mut().zip(&st) {
            *xi -= si;
        }
        let xmax = x.iter().map(|v| v.abs()).fold(0.0, f64::max);
        if !smax.is_finite() {
            return None;
        }
        if smax <= crate::theory::reduced::STEP_TOL * (1.0 + xmax) {
            return Some((x, smax));
        }
    }
    None
}

/// Chord iterations allowed when polishing the mean-Gram minimiser on the pseudo-samples.
pub const CHORD_MAX: usize = 40;

/// A start whose first chord step exceeds this (max coordinate) gets its Hessian recomputed
/// at the polished point.
const REHESS: f64 = 1e-4;

/// The correction and the minimiser it was computed at.
#[derive(Debug, Clone, PartialEq)]
pub struct Corrected {
    /// E\[O(θ*(E), E)\] − O(θ₀, 0) of (c, m, ω, b, √q, √r), raw sign.
    pub delta: [f64; OVERLAPS],
    /// θ₀ = (b, y): the mean-Gram minimiser on the samples (polished by chord steps).
    pub theta: Vec<f64>,
    /// The overlaps at θ₀ (raw sign).
    pub base: [f64; OVERLAPS],
}

/// The Wishart correction E\[O(θ*(E), E)\] − O(θ₀, 0) of the raw-sign overlaps
/// (c, m, ω, b, √q, √r) on explicit samples `h`, starting from a point `theta0` = (b, y)
/// near their mean-Gram minimiser θ₀ (polished here by chord steps with the Hessian the
/// correction needs anyway). `None` if the Hessian is not positive definite or the chord
/// steps do not converge.
pub fn correction(k: &StepKin, h: &[f64], theta0: &[f64]) -> Option<Corrected> {
    correction_with_steps(k, h, theta0, FD_SD)
}

/// [`correction`] with the finite-difference steps along θ₁'s directions at most `fd_sd` of
/// its standard deviation (instead of [`FD_SD`]): comparing two step fractions bounds the
/// differences' numerical error (`examples/wishart_check.rs`).
pub fn correction_with_steps(
    k: &StepKin,
    h: &[f64],
    theta0: &[f64],
    fd_sd: f64,
) -> Option<Corrected> {
    let n = h.len();
    let nn = n + 1;
    assert_eq!(theta0.len(), nn);
    let pr = Problem {
        k,
        at: Atoms::samples(h),
        h,
    };
    let sp2 = k.sp2();
    let w = Wick {
        kappa: 1.0 / (k.d - 1.0),
        n,
    };
    let zero = [0.0; 4];
    let (mut hm, mut go) = hessian_and_grad_o(&pr, theta0);
    let mut hinv = crate::linalg::spd_inverse(&hm, nn)?;
    let first = {
        let g = pr.eval(theta0, &zero).grad;
        matvec(&hinv, nn, nn, &g)
            .iter()
            .map(|v| v.abs())
            .fold(0.0, f64::max)
    };
    let (mut th, _) = chord(&pr, &hinv, theta0)?;
    if first > REHESS {
        (hm, go) = hessian_and_grad_o(&pr, &th);
        hinv = crate::linalg::spd_inverse(&hm, nn)?;
        th = chord(&pr, &hinv, &th)?.0;
    }
    let theta0: &[f64] = &th;
    let p0 = pr.eval(theta0, &zero);
    // Channel derivatives at θ₀: A = ∂λ/∂θ, Γ = ∂λ/∂δ, ∂O/∂δ, ∂²O/∂δ².
    let eta = channel_steps(&pr, theta0, &p0, 1e-5);
    let mut a = vec![0.0; nn * 4];
    let mut gam = [[0.0; 4]; 4];
    let mut od = [[0.0; 4]; OVERLAPS];
    let mut odd = [[[0.0; 4]; 4]; OVERLAPS];
    let etab = channel_steps(&pr, theta0, &p0, 1e-3);
    for kk in 0..4 {
        let pp = pr.eval(theta0, &unit(kk, eta[kk]));
        let pm = pr.eval(theta0, &unit(kk, -eta[kk]));
        for i in 0..nn {
            a[i * 4 + kk] = (pp.grad[i] - pm.grad[i]) / (2.0 * eta[kk]);
        }
        for l in 0..4 {
            gam[l][kk] = (pp.lam[l] - pm.lam[l]) / (2.0 * eta[kk]);
        }
        let bp = pr.eval(theta0, &unit(kk, etab[kk]));
        let bm = pr.eval(theta0, &unit(kk, -etab[kk]));
        for o in 0..OVERLAPS {
            od[o][kk] = (bp.obs[o] - bm.obs[o]) / (2.0 * etab[kk]);
            odd[o][kk][kk] = (bp.obs[o] - 2.0 * p0.obs[o] + bm.obs[o]) / (etab[kk] * etab[kk]);
        }
    }
    for kk in 0..4 {
        for l in 0..kk {
            let f = |sk: f64, sl: f64| {
                let mut c = [0.0; 4];
                c[kk] = sk * etab[kk];
                c[l] = sl * etab[l];
                pr.eval(theta0, &c).obs
            };
            let (pp, pm, mp, mm) = (f(1.0, 1.0), f(1.0, -1.0), f(-1.0, 1.0), f(-1.0, -1.0));
            for o in 0..OVERLAPS {
                let v = (pp[o] - pm[o] - mp[o] + mm[o]) / (4.0 * etab[kk] * etab[l]);
                odd[o][kk][l] = v;
                odd[o][l][kk] = v;
            }
        }
    }
    for kk in 0..4 {
        for l in 0..kk {
            let v = 0.5 * (gam[kk][l] + gam[l][kk]);
            gam[kk][l] = v;
            gam[l][kk] = v;
        }
    }
    // θ₁ = −H⁻¹(Aδ¹ + J_yᵀE u_e + J_mᵀE u_m).
    let y0 = &theta0[1..];
    let lam = p0.lam;
    let jm0 = pr.jm(theta0, &p0);
    let u_e: Vec<f64> = h
        .iter()
        .zip(y0)
        .map(|(hi, yi)| -lam[0] * hi - 2.0 * lam[1] * yi)
        .collect();
    let u_m: Vec<f64> = p0.m1.iter().map(|m| 2.0 * lam[2] * m).collect();
    let ha = matmul(&hinv, &a, nn, nn, 4);
    // Z_m = H⁻¹J_mᵀ: (J_m H⁻¹)ᵀ since H⁻¹ is symmetric.
    let jmh = matmul(&jm0, &hinv, n, nn, nn);
    let mut zm = vec![0.0; nn * n];
    for i in 0..n {
        for aa in 0..nn {
            zm[aa * n + i] = jmh[i * nn + aa];
        }
    }
    let d1 = delta1(h, y0, &p0.m1, sp2);
    let t1 = Theta1 {
        nn,
        ha,
        hinv: hinv.clone(),
        zm,
        u_e: u_e.clone(),
        u_m: u_m.clone(),
        d1: d1.clone(),
        w,
    };
    // C₁ = H⁻¹ΣH⁻¹ = E[θ₁θ₁ᵀ]: its columns directly, C₁ = Σ_j E[θ₁ (θ₁)_j]: build Σ.
    let sigma = sigma_matrix(&w, &a, &d1, &u_e, &u_m, &jm0, n);
    let c1 = {
        let t = matmul(&hinv, &sigma, nn, nn, nn);
        matmul(&t, &hinv, nn, nn, nn)
    };
    let cols = psd_columns(&c1, nn, 1e-12);
    let mut t3 = vec![0.0; nn];
    let mut o2 = [0.0; OVERLAPS];
    for l in &cols {
        // l is one standard deviation of θ₁ along itself: a step of at most FD_SD of it
        let Some(eps) = dir_step(l, 1e-3).map(|e| e.min(fd_sd)) else {
            continue;
        };
        let pp = pr.eval(&axpy(theta0, eps, l), &zero);
        let pm = pr.eval(&axpy(theta0, -eps, l), &zero);
        for i in 0..nn {
            t3[i] += (pp.grad[i] + pm.grad[i] - 2.0 * p0.grad[i]) / (eps * eps);
        }
        for o in 0..OVERLAPS {
            o2[o] += (pp.obs[o] + pm.obs[o] - 2.0 * p0.obs[o]) / (eps * eps);
        }
    }
    // W_k = E[θ₁ δ¹_k] at θ₀ and the overlaps' E[∇Λ_O·θ₁].
    let wk: Vec<Vec<f64>> = d1.iter().map(|d| t1.with_lin(d)).collect();
    let mut grad_lo = [0.0; OVERLAPS];
    for kk in 0..4 {
        let Some(eps) = dir_step(&wk[kk], 1e-5) else {
            continue;
        };
        let f = |s: f64, c: f64| {
            pr.eval(&axpy(theta0, s * eps, &wk[kk]), &unit(kk, c * etab[kk]))
                .obs
        };
        let (pp, pm, mp, mm) = (f(1.0, 1.0), f(1.0, -1.0), f(-1.0, 1.0), f(-1.0, -1.0));
        for o in 0..OVERLAPS {
            grad_lo[o] += (pp[o] - pm[o] - mp[o] + mm[o]) / (4.0 * eps * etab[kk]);
        }
    }
    let (m_om0, m_y0) = pr.m_delta(&p0);
    let mut delta = [0.0; OVERLAPS];
    for o in 0..OVERLAPS {
        let phi = od[o];
        grad_lo[o] += t1.phi_grad_delta(&phi, h, y0, &p0.m1, &jm0);
        let lo2 = second_order(
            &w,
            &phi,
            &odd[o],
            &d1,
            &AtTheta {
                h,
                y: y0,
                m1: &p0.m1,
                m_om: &m_om0,
                m_y: &m_y0,
            },
        );
        // ∇O·E[θ₂] = −ζ·(½T + U + ∇L₂), ζ = H⁻¹∇O.
        let g: Vec<f64> = (0..nn).map(|j| go[j][o]).collect();
        let zeta = matvec(&hinv, nn, nn, &g);
        let mut first = 0.5 * dot(&zeta, &t3);
        // θ₁'s standard deviation along ζ, in units of ζ: the step is at most FD_SD of it
        let sd_zeta = dot(&zeta, &matvec(&c1, nn, nn, &zeta)).max(0.0).sqrt() / dot(&zeta, &zeta);
        if let Some(eps) = dir_step(&zeta, 1e-3).map(|e| e.min(fd_sd * sd_zeta)) {
            let psi = |s: f64| psi(&pr, &t1, &w, &axpy(theta0, s * eps, &zeta));
            first += (psi(1.0) - psi(-1.0)) / (2.0 * eps);
        }
        delta[o] = -first + 0.5 * o2[o] + grad_lo[o] + lo2;
    }
    Some(Corrected {
        delta,
        theta: th.clone(),
        base: p0.obs,
    })
}

/// Finite-difference steps along a displacement direction are at most this fraction of
/// θ₁'s standard deviation along it (and at most 1e-3 in the largest coordinate): the
/// expansion needs derivatives at θ₀, and at the flat end of phase 2 the objective's third
/// derivatives vary on the scale of that standard deviation (C3 full tier, t = 1.975: a step
/// of 1e-3 reached 20 standard deviations out and gave δm = −0.066 on m = 0.0037).
pub const FD_SD: f64 = 0.1;

/// Ψ(θ) = E\[∇Λ(θ)·θ₁\] + E\[Λ₂(θ)\] with θ₁ frozen at θ₀: ∇Ψ = E\[∇²Λθ₁\] + ∇E\[Λ₂\].
fn psi(pr: &Problem, t1: &Theta1, w: &Wick, th: &[f64]) -> f64 {
    let p = pr.eval(th, &[0.0; 4]);
    let y = &th[1..];
    let sp2 = pr.k.sp2();
    let d1 = delta1(pr.h, y, &p.m1, sp2);
    let jm = pr.jm(th, &p);
    let eta = channel_steps(pr, th, &p, 1e-5);
    // Γ(θ) and ∇λ_k·W_k(θ)
    let mut gam = [[0.0; 4]; 4];
    let mut dd = 0.0;
    for kk in 0..4 {
        let pp = pr.eval(th, &unit(kk, eta[kk]));
        let pm = pr.eval(th, &unit(kk, -eta[kk]));
        for l in 0..4 {
            gam[l][kk] = (pp.lam[l] - pm.lam[l]) / (2.0 * eta[kk]);
        }
        // ∇λ_k·W_k = (∂∇R/∂δ_k)·W_k: the channel difference of the analytic gradient.
        let wk = t1.with_lin(&d1[kk]);
        let dg: Vec<f64> = pp
            .grad
            .iter()
            .zip(&pm.grad)
            .map(|(a, b)| (a - b) / (2.0 * eta[kk]))
            .collect();
        dd += dot(&dg, &wk);
    }
    for kk in 0..4 {
        for l in 0..kk {
            let v = 0.5 * (gam[kk][l] + gam[l][kk]);
            gam[kk][l] = v;
            gam[l][kk] = v;
        }
    }
    let (m_om, m_y) = pr.m_delta(&p);
    let s = dd + t1.phi_grad_delta(&p.lam, pr.h, y, &p.m1, &jm);
    s + second_order(
        w,
        &p.lam,
        &gam,
        &d1,
        &AtTheta {
            h: pr.h,
            y,
            m1: &p.m1,
            m_om: &m_om,
            m_y: &m_y,
        },
    )
}

/// Σ = E\[∇Λ∇Λᵀ\], ∇Λ = Aδ¹ + J_yᵀE u_e + J_mᵀE u_m (N × N).
fn sigma_matrix(
    w: &Wick,
    a: &[f64],
    d1: &[Lin; 4],
    u_e: &[f64],
    u_m: &[f64],
    jm: &[f64],
    n: usize,
) -> Vec<f64> {
    let nn = n + 1;
    let mut s = vec![0.0; nn * nn];
    let col = |k: usize| -> Vec<f64> { (0..nn).map(|i| a[i * 4 + k]).collect() };
    // scalar-scalar
    for k in 0..4 {
        for l in 0..4 {
            let c = w.ll(&d1[k], &d1[l]);
            let (ak, al) = (col(k), col(l));
            for i in 0..nn {
                for j in 0..nn {
                    s[i * nn + j] += c * ak[i] * al[j];
                }
            }
        }
    }
    let jy_t = |u: &[f64]| {
        let mut v = vec![0.0; nn];
        v[1..].copy_from_slice(u);
        v
    };
    let jm_t = |u: &[f64]| mat_t_vec(jm, n, nn, u);
    // scalar-vector: a_k (Pᵀ E[δ¹_k E u])ᵀ + transpose
    for k in 0..4 {
        let ak = col(k);
        let ve = jy_t(&w.lv(&d1[k], u_e));
        let vm = jm_t(&w.lv(&d1[k], u_m));
        for i in 0..nn {
            for j in 0..nn {
                let x = ak[i] * (ve[j] + vm[j]);
                s[i * nn + j] += x;
                s[j * nn + i] += x;
            }
        }
    }
    // vector-vector: κ[(b·b')PᵀP' + (Pᵀb')(P'ᵀb)ᵀ]
    let k = w.kappa;
    let ee = dot(u_e, u_e);
    let em = dot(u_e, u_m);
    let mm = dot(u_m, u_m);
    // PᵀP' blocks: J_yᵀJ_y = I on the y block; J_yᵀJ_m = rows 1.. of J_m; J_mᵀJ_m dense.
    for i in 0..n {
        s[(1 + i) * nn + 1 + i] += k * ee;
    }
    for i in 0..n {
        for j in 0..nn {
            let x = k * em * jm[i * nn + j];
            s[(1 + i) * nn + j] += x;
            s[j * nn + 1 + i] += x;
        }
    }
    let mut jtj = vec![0.0; nn * nn];
    for r in 0..n {
        let row = &jm[r * nn..(r + 1) * nn];
        for i in 0..nn {
            let ri = row[i];
            if ri != 0.0 {
                for (o, rj) in jtj[i * nn..(i + 1) * nn].iter_mut().zip(row) {
                    *o += ri * rj;
                }
            }
        }
    }
    for (o, v) in s.iter_mut().zip(&jtj) {
        *o += k * mm * v;
    }
    let pe_e = jy_t(u_e);
    let pm_m = jm_t(u_m);
    let pe_m = jy_t(u_m);
    let pm_e = jm_t(u_e);
    // (J_yᵀu_e)(J_yᵀu_e)ᵀ + (J_yᵀu_m)(J_mᵀu_e)ᵀ + (J_mᵀu_e)(J_yᵀu_m)ᵀ + (J_mᵀu_m)(J_mᵀu_m)ᵀ
    for i in 0..nn {
        for j in 0..nn {
            s[i * nn + j] +=
                k * (pe_e[i] * pe_e[j] + pe_m[i] * pm_e[j] + pm_e[i] * pe_m[j] + pm_m[i] * pm_m[j]);
        }
    }
    s
}

/// Above this n/d the correction is not computed (0): at n/d ≤ 1e-7 (e.g. the d = 10¹² stand-in
/// of the d → ∞ limit) the O(n/d) term is below every statistic's resolution.
pub const NEGLIGIBLE_N_OVER_D: f64 = 1e-7;

/// Largest n for which the dense O(n³) correction is computed; above it the correction is
/// reported as unavailable.
pub const MAX_N: usize = 4096;

/// The expansion's range: above this n/d the second-order term is not applied (0). The
/// expansion parameter is E\[E²\] ≈ (n/d)·I; at n ≥ d − 1 the block W is singular and
/// (I + E)⁻¹ has no expansion at all (e.g. the claims' d = 250, n = 256). Between 1/2 and
/// this bound the O((n/d)²) remainder is ≈ n/d of the correction.
pub const MAX_N_OVER_D: f64 = 0.75;

/// The correction for the class-averaged solution `class` (a [`Solution`] of
/// [`crate::theory::reduced::conditional`] at n₊ = `n_plus`, n₋ = `n_minus`): the mean-Gram
/// problem re-solved on [`pseudo_samples`] (warm-started from the class atoms' y(ζ),
/// interpolated), then [`correction`]. Canonical sign (that of the pseudo-sample m).
/// `Some(\[0; 6\])` when n/d ≤ [`NEGLIGIBLE_N_OVER_D`]; `None` when the pseudo-sample solve is
/// not certified, the Hessian is not positive definite, or n > [`MAX_N`].
pub fn for_class(
    k: &StepKin,
    n_plus: usize,
    n_minus: usize,
    class: &Solution,
) -> Option<[f64; OVERLAPS]> {
    for_class_with_steps(k, n_plus, n_minus, class, FD_SD)
}

/// [`for_class`] with [`correction_with_steps`]' step fraction `fd_sd`.
pub fn for_class_with_steps(
    k: &StepKin,
    n_plus: usize,
    n_minus: usize,
    class: &Solution,
    fd_sd: f64,
) -> Option<[f64; OVERLAPS]> {
    let n = n_plus + n_minus;
    if (n as f64) / k.d <= NEGLIGIBLE_N_OVER_D {
        return Some([0.0; OVERLAPS]);
    }
    if n > MAX_N || class.x.is_empty() {
        return None;
    }
    let h = pseudo_samples(n_plus, n_minus, k.sigma2, k.d);
    let atoms = Atoms::classes(n_plus as f64, n_minus as f64, k.sigma2, k.d);
    if class.x.len() != atoms.h.len() + 1 {
        return None;
    }
    let x0 = warm_start(&h, &atoms, class);
    // The interpolated start is within ~1e-4 of the pseudo-sample minimiser: the chord
    // steps of `correction` polish it; if they fail, solve from it and retry.
    let c = correction_with_steps(k, &h, &x0, fd_sd).or_else(|| {
        let sol = minimise(k, &Atoms::samples(&h), x0);
        matches!(
            sol.stop,
            ReducedStop::Converged { .. } | ReducedStop::Stalled { .. }
        )
        .then(|| correction_with_steps(k, &h, &sol.x, fd_sd))
        .flatten()
    })?;
    Some(c.canonical())
}

/// The start of the pseudo-sample solve: per class, y interpolated in h between the class
/// atoms' solution `class` (sorted by h).
fn warm_start(h: &[f64], atoms: &Atoms, class: &Solution) -> Vec<f64> {
    let mut x0 = vec![class.x[0]];
    for &hi in h {
        let mut pts: Vec<(f64, f64)> = atoms
            .h
            .iter()
            .zip(&class.x[1..])
            .filter(|(ha, _)| ha.signum() == hi.signum())
            .map(|(a, b)| (*a, *b))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Lagrange through the four nearest nodes (cubic: the start is then within ~1e-5)
        let j = pts.partition_point(|p| p.0 < hi);
        let lo = j.saturating_sub(2).min(pts.len().saturating_sub(4));
        let nodes = &pts[lo..(lo + 4).min(pts.len())];
        let mut v = 0.0;
        for (a, pa) in nodes.iter().enumerate() {
            let mut wgt = 1.0;
            for (b, pb) in nodes.iter().enumerate() {
                if a != b {
                    wgt *= (hi - pb.0) / (pa.0 - pb.0);
                }
            }
            v += wgt * pa.1;
        }
        x0.push(v);
    }
    x0
}

/// The correction of [`crate::theory::reduced::averaged`] at one grid time: [`for_class`] at
/// the binomial law's central n₊ = round(np) (clamped to 1 … n − 1). The correction varies
/// smoothly with n₊, so its binomial average differs from its value at the mean by
/// ½Δ''·Var(n₊), relatively O(1/n) of an O(n/d) term. `Some(\[0; 6\])` where the reduced
/// prediction is a closed form (β = 0, a saturated bias or sign: no minimiser at finite
/// θ to perturb), n/d ≤ [`NEGLIGIBLE_N_OVER_D`] or n/d > [`MAX_N_OVER_D`] (outside the
/// expansion's range: the mean-Gram theory, as before); `None` for fixed noise, n < 2 or where
/// [`for_class`] is `None`.
pub fn for_binomial(
    f: &FiniteN,
    p: f64,
    sigma2: f64,
    alpha: f64,
    beta: f64,
    d: usize,
) -> Option<[f64; OVERLAPS]> {
    if f.noise != Noise::Fresh || f.n < 2 {
        return None;
    }
    let ratio = f.n as f64 / d as f64;
    if ratio <= NEGLIGIBLE_N_OVER_D || ratio > MAX_N_OVER_D {
        return Some([0.0; OVERLAPS]);
    }
    let np = ((f.n as f64 * p).round() as usize).clamp(1, f.n - 1);
    let class = conditional(f, np as f64, sigma2, alpha, beta, d, None)?;
    if class.x.is_empty() {
        return Some([0.0; OVERLAPS]);
    }
    let k = StepKin::of(f, sigma2, alpha, beta, d);
    for_class(&k, np, f.n - np, &class)
}

impl Corrected {
    /// The correction in the canonical sign (m ≥ 0 at θ₀): m, ω, b flip with the raw m.
    pub fn canonical(&self) -> [f64; OVERLAPS] {
        let mut dl = self.delta;
        if self.base[1] < 0.0 {
            for i in [1, 2, 3] {
                dl[i] = -dl[i];
            }
        }
        dl
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use crate::train::averaged::Averaged;
    use crate::train::averaged::objective::{StepObjective, StepScalars};
    use rand::Rng;
    use rand_distr::StandardNormal;

    /// Overlaps (canonical sign) of the engine on data with projections h and orthogonal
    /// Gram block σ²W, W = ΞΞᵀ/d for Ξ an n × (d − 1) Gaussian matrix: coordinates
    /// x_i = (h_i√d, √d·L_i) with LLᵀ = σ²W.
    fn engine_on_wishart(k: &StepKin, h: &[f64], rng: &mut impl Rng) -> [f64; OVERLAPS] {
        let n = h.len();
        let d = k.d;
        let dm = d as usize - 1;
        let xi: Vec<f64> = (0..n * dm).map(|_| rng.sample(StandardNormal)).collect();
        let mut g = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let v = k.sigma2 * dot(&xi[i * dm..(i + 1) * dm], &xi[j * dm..(j + 1) * dm]) / d;
                g[i * n + j] = v;
                g[j * n + i] = v;
            }
        }
        // Cholesky of σ²W (only the lower triangle of l is read below)
        let mut l = g.clone();
        assert!(
            crate::linalg::cholesky(&mut l, n),
            "σ²W is positive definite"
        );
        let r = n + 1;
        let sd = d.sqrt();
        let mut x = vec![0.0; n * r];
        for i in 0..n {
            x[i * r] = h[i] * sd;
            for j in 0..=i {
                x[i * r + 1 + j] = sd * l[i * n + j];
            }
        }
        let sc = StepScalars {
            alpha: k.alpha,
            beta: k.beta,
            d,
            lambda_u: k.lambda_u,
            lambda_w: k.lambda_w,
        };
        let obj = StepObjective::fresh(sc, x, r);
        let mut theta0 = vec![0.0; r + 1];
        theta0[0] = 0.5;
        let eng = Averaged::default().solve(&obj, theta0);
        assert!(eng.converged, "engine not converged");
        let sign = if eng.u[0] < 0.0 { -1.0 } else { 1.0 };
        let norm = |v: &[f64]| (v.iter().map(|a| a * a).sum::<f64>() / d).sqrt();
        [
            eng.c,
            sign * eng.u[0] / sd,
            sign * eng.w[0] / sd,
            sign * eng.b,
            norm(&eng.u),
            norm(&eng.w),
        ]
    }

    /// The mean-Gram minimiser on samples h (canonical sign) and the correction.
    fn theory_on(k: &StepKin, h: &[f64]) -> ([f64; OVERLAPS], [f64; OVERLAPS]) {
        let at = Atoms::samples(h);
        let sol = minimise(k, &at, crate::theory::reduced::initial_point(k, &at));
        assert!(matches!(
            sol.stop,
            ReducedStop::Converged { .. } | ReducedStop::Stalled { .. }
        ));
        let p = sol.prediction;
        let base = [p.c, p.m, p.omega, p.b, p.sqrt_q, p.sqrt_r].map(Option::unwrap);
        (
            base,
            correction(k, h, &sol.x).expect("correction").canonical(),
        )
    }

    /// Brute force: the engine averaged over `draws` Wishart blocks minus the mean-Gram
    /// minimiser, against the correction. Prints a table; returns (measured, se, predicted).
    fn brute(k: &StepKin, h: &[f64], draws: usize, seed: u64) -> Vec<(f64, f64, f64)> {
        let (base, dl) = theory_on(k, h);
        let mut rng = stream(seed, 0, Purpose::Test, 90);
        let mut acc = vec![Vec::new(); OVERLAPS];
        for _ in 0..draws {
            let e = engine_on_wishart(k, h, &mut rng);
            for o in 0..OVERLAPS {
                acc[o].push(e[o] - base[o]);
            }
        }
        (0..OVERLAPS)
            .map(|o| {
                let v = &acc[o];
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0);
                let se = (var / v.len() as f64).sqrt();
                eprintln!(
                    "{}: measured {m:+.4e} ± {se:.1e}  predicted {:+.4e}  base {:.6}  z {:+.2}",
                    ["c", "m", "ω", "b", "√q", "√r"][o],
                    dl[o],
                    base[o],
                    (m - dl[o]) / se
                );
                (m, se, dl[o])
            })
            .collect()
    }

    #[test]
    fn correction_matches_a_brute_force_wishart_average() {
        // The engine on data whose orthogonal Gram block is a real Wishart draw, averaged
        // over 1500 draws at fixed projections h (n = 12, d = 200, mid phase 2), minus the
        // mean-Gram minimiser, against the perturbative correction. Measured (4000 draws):
        // m +1.72e-3 ± 0.14e-3 vs +1.76e-3, ω −5.73e-3 ± 0.20e-3 vs −5.76e-3,
        // b −7.8e-3 ± 0.7e-3 vs −7.8e-3, √r −3.53e-3 ± 0.15e-3 vs −3.37e-3. The O((n/d)²)
        // remainder is ≈ 6 % of the correction here, so the bound is 4 SE + 10 %.
        let d = 200.0f64;
        let eps = 2.0 / d.sqrt();
        let beta = eps + (1.0 - eps) * 0.5;
        let k = StepKin {
            alpha: 1.0 - beta,
            beta,
            d,
            sigma2: 1.0,
            lambda_u: 0.01,
            lambda_w: 0.01,
        };
        let h = pseudo_samples(8, 4, 1.0, d);
        let res = brute(&k, &h, 1500, 7);
        for o in 0..OVERLAPS {
            let (m, se, pred) = res[o];
            assert!(
                (m - pred).abs() <= 4.0 * se + 0.1 * pred.abs(),
                "overlap {o}: brute force {m:+.3e} ± {se:.1e} vs correction {pred:+.3e}"
            );
        }
        // The effect is resolved: without the correction m, ω, √r would fail.
        for o in [1, 2, 5] {
            let (m, se, _) = res[o];
            assert!(
                m.abs() > 6.0 * se,
                "overlap {o}: {m:+.3e} ± {se:.1e} not resolved"
            );
        }
    }

    #[test]
    fn flat_end_of_phase_two_correction_stays_order_n_over_d() {
        // C3 full tier, d = 2000, n = 512, t = 1.975 (α = 0.024): m ≈ 0.0037. With the
        // finite-difference steps at 1e-3 in the largest coordinate (20 standard deviations
        // of θ₁ out along ζ) the correction was δm = −0.0657, 18 × m; an O(n/d) term is at
        // most of the order (n/d)·m = 9.5e-4. With steps at FD_SD of the standard deviation it
        // is −6.9e-6.
        let (d, n) = (2000usize, 512usize);
        let eps = 2.0 / (d as f64).sqrt();
        let tau = eps + (1.0 - eps) * 0.975;
        let f = FiniteN {
            n,
            lambda_u: 0.01,
            lambda_w: 0.01,
            noise: Noise::Fresh,
        };
        let dl = for_binomial(&f, 0.8, 1.0, 1.0 - tau, tau, d).expect("certified");
        let bound = n as f64 / d as f64 * 0.0037;
        for o in [1, 4] {
            assert!(dl[o].abs() < bound, "overlap {o}: δ = {:.3e}", dl[o]);
        }
    }

    #[test]
    #[ignore = "exploration: brute-force Wishart average (slow)"]
    fn explore_brute_force() {
        let d: f64 = std::env::var("PF_D").map_or(200.0, |s| s.parse().unwrap());
        let np: usize = std::env::var("PF_NP").map_or(8, |s| s.parse().unwrap());
        let nm: usize = std::env::var("PF_NM").map_or(4, |s| s.parse().unwrap());
        let tp: f64 = std::env::var("PF_TP").map_or(0.5, |s| s.parse().unwrap());
        let draws: usize = std::env::var("PF_DRAWS").map_or(400, |s| s.parse().unwrap());
        let eps = 2.0 / d.sqrt();
        let beta = eps + (1.0 - eps) * tp;
        let k = StepKin {
            alpha: 1.0 - beta,
            beta,
            d,
            sigma2: 1.0,
            lambda_u: 0.01,
            lambda_w: 0.01,
        };
        let h = pseudo_samples(np, nm, 1.0, d);
        brute(&k, &h, draws, 7);
    }

    #[test]
    fn structured_hessian_matches_dense() {
        // The structured Hessian and overlap gradient against central differences along
        // every coordinate, at a generic point and at the mean-Gram minimiser of mid phase
        // 2 (n = 40, d = 400), entrywise within 1e-6 of the largest entry. A planted error
        // (one global left out of the frozen set) fails it: see the control below.
        let d = 400.0f64;
        let cases = [(0.4, 0.6, 0.8), (0.3, 0.7, 1.0)];
        for (case, &(alpha, beta, sigma2)) in cases.iter().enumerate() {
            let k = StepKin {
                alpha,
                beta,
                d,
                sigma2,
                lambda_u: 0.01,
                lambda_w: 0.01,
            };
            let h = pseudo_samples(28, 12, k.sigma2, k.d);
            let pr = Problem {
                k: &k,
                at: Atoms::samples(&h),
                h: &h,
            };
            let nn = h.len() + 1;
            let th: Vec<f64> = (0..nn)
                .map(|i| 0.2 + 0.3 * (i as f64 * 0.7).sin() * if i == 0 { 0.1 } else { 1.0 })
                .collect();
            let (hs, gs) = hessian_and_grad_o(&pr, &th);
            let (hd, gd) = hessian_and_grad_o_dense(&pr, &th);
            let big = hd.iter().map(|v| v.abs()).fold(0.0, f64::max);
            let worst = hs
                .iter()
                .zip(&hd)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                worst <= 1e-6 * big,
                "case {case}: Hessian off by {worst:.2e} (max {big:.2e})"
            );
            for o in 0..OVERLAPS {
                let big = gd.iter().map(|g| g[o].abs()).fold(0.0, f64::max);
                let worst = gs
                    .iter()
                    .zip(&gd)
                    .map(|(a, b)| (a[o] - b[o]).abs())
                    .fold(0.0, f64::max);
                assert!(
                    worst <= 1e-6 * big.max(1e-12),
                    "case {case}: overlap {o} gradient off by {worst:.2e} (max {big:.2e})"
                );
            }
            // Control: the diagonal alone (no low-rank part) is far off.
            let mut diag_only = hs.clone();
            for i in 1..nn {
                for j in 1..nn {
                    if i != j {
                        diag_only[i * nn + j] = 0.0;
                    }
                }
            }
            let off = diag_only
                .iter()
                .zip(&hd)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                off > 1e-3 * big,
                "case {case}: control too close ({off:.2e})"
            );
        }
    }

    #[test]
    #[ignore = "exploration: structured vs dense Hessian at C3's full size"]
    fn explore_structured_accuracy() {
        // Both Hessians against a Richardson-extrapolated dense one (steps 4e-5, 2e-5), at the
        // pseudo-sample minimiser of C3's full size (d = 2000, n = 512, n₊ = 410), and the
        // resulting ζ = H⁻¹∇O. Measured (2026-12-08), relative errors dense(1e-5) / structured:
        // H 2.0e-6 / 1.2e-6, 3.9e-6 / 2.3e-6, 3.1e-5 / 2.9e-5 at t = 1.9, 1.95, 1.975;
        // ζ of m 1.8e-3 / 1.1e-3, 3.5e-2 / 2.2e-2, 0.53 / 0.33; ζ of b 2.3e-5 / 7.5e-5,
        // 8.7e-5 / 1.3e-4, 4.4e-4 / 3.2e-4. At the flat end of phase 2 ζ of m is not
        // determined by a finite-difference Hessian of either kind.
        let (d, n) = (2000usize, 512usize);
        let f = FiniteN {
            n,
            lambda_u: 0.01,
            lambda_w: 0.01,
            noise: Noise::Fresh,
        };
        for tp in [0.9, 0.95, 0.975] {
            let eps = 2.0 / (d as f64).sqrt();
            let tau = eps + (1.0 - eps) * tp;
            let np = 410usize;
            let class = conditional(&f, np as f64, 1.0, 1.0 - tau, tau, d, None).unwrap();
            let k = StepKin::of(&f, 1.0, 1.0 - tau, tau, d);
            let h = pseudo_samples(np, n - np, 1.0, k.d);
            let atoms = Atoms::classes(np as f64, (n - np) as f64, 1.0, k.d);
            let x0 = warm_start(&h, &atoms, &class);
            let sol = minimise(&k, &Atoms::samples(&h), x0);
            let pr = Problem {
                k: &k,
                at: Atoms::samples(&h),
                h: &h,
            };
            let th = sol.x.clone();
            let nn = th.len();
            let (h1, g1) = hessian_dense_step(&pr, &th, 1e-5);
            let (ha, ga) = hessian_dense_step(&pr, &th, 4e-5);
            let (hb, gb) = hessian_dense_step(&pr, &th, 2e-5);
            let href: Vec<f64> = ha
                .iter()
                .zip(&hb)
                .map(|(a, b)| (4.0 * b - a) / 3.0)
                .collect();
            let gref: Vec<[f64; OVERLAPS]> = ga
                .iter()
                .zip(&gb)
                .map(|(a, b)| {
                    let mut o = [0.0; OVERLAPS];
                    for i in 0..OVERLAPS {
                        o[i] = (4.0 * b[i] - a[i]) / 3.0;
                    }
                    o
                })
                .collect();
            let (hs, gs) = hessian_and_grad_o(&pr, &th);
            let big = href.iter().map(|v| v.abs()).fold(0.0, f64::max);
            let err = |x: &[f64]| {
                x.iter()
                    .zip(&href)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
                    / big
            };
            let ri = crate::linalg::spd_inverse(&href, nn).unwrap();
            let zeta = |hinv: &[f64], g: &[[f64; OVERLAPS]], o: usize| {
                let gv: Vec<f64> = g.iter().map(|x| x[o]).collect();
                matvec(hinv, nn, nn, &gv)
            };
            let i1 = crate::linalg::spd_inverse(&h1, nn).unwrap();
            let is = crate::linalg::spd_inverse(&hs, nn).unwrap();
            for o in [1usize, 3] {
                let zr = zeta(&ri, &gref, o);
                let zn = dot(&zr, &zr).sqrt();
                let e1: Vec<f64> = zeta(&i1, &g1, o)
                    .iter()
                    .zip(&zr)
                    .map(|(a, b)| a - b)
                    .collect();
                let es: Vec<f64> = zeta(&is, &gs, o)
                    .iter()
                    .zip(&zr)
                    .map(|(a, b)| a - b)
                    .collect();
                eprintln!(
                    "t={tp} overlap {o}: |zeta| {zn:.3e}  dense err {:.3e}  structured err {:.3e}",
                    dot(&e1, &e1).sqrt() / zn,
                    dot(&es, &es).sqrt() / zn
                );
            }
            eprintln!(
                "t={tp}: H rel err dense(1e-5) {:.3e} structured {:.3e}; stop {:?}",
                err(&h1),
                err(&hs),
                sol.stop
            );
        }
    }

    #[test]
    fn jm_matches_finite_differences() {
        let k = StepKin {
            alpha: 0.4,
            beta: 0.6,
            d: 500.0,
            sigma2: 0.8,
            lambda_u: 0.05,
            lambda_w: 0.02,
        };
        let h = pseudo_samples(5, 3, k.sigma2, k.d);
        let pr = Problem {
            k: &k,
            at: Atoms::samples(&h),
            h: &h,
        };
        let th: Vec<f64> = (0..9).map(|i| 0.3 + 0.1 * (i as f64).sin()).collect();
        let p = pr.eval(&th, &[0.0; 4]);
        let jm = pr.jm(&th, &p);
        for j in 0..9 {
            let mut tp = th.clone();
            let mut tm = th.clone();
            tp[j] += 1e-6;
            tm[j] -= 1e-6;
            let (a, b) = (pr.eval(&tp, &[0.0; 4]), pr.eval(&tm, &[0.0; 4]));
            for i in 0..8 {
                let fd = (a.m1[i] - b.m1[i]) / 2e-6;
                assert!(
                    (fd - jm[i * 9 + j]).abs() < 1e-7,
                    "{i},{j}: {fd} vs {}",
                    jm[i * 9 + j]
                );
            }
        }
        let (mo, my) = pr.m_delta(&p);
        for (kk, an) in [(0usize, &mo), (1, &my)] {
            let a = pr.eval(&th, &unit(kk, 1e-6));
            let b = pr.eval(&th, &unit(kk, -1e-6));
            for i in 0..8 {
                let fd = (a.m1[i] - b.m1[i]) / 2e-6;
                assert!(
                    (fd - an[i]).abs() < 1e-7,
                    "channel {kk} atom {i}: {fd} vs {}",
                    an[i]
                );
            }
        }
    }

    #[test]
    fn channel_gradient_matches_finite_differences() {
        let k = StepKin {
            alpha: 0.3,
            beta: 0.7,
            d: 500.0,
            sigma2: 0.8,
            lambda_u: 0.05,
            lambda_w: 0.02,
        };
        let h = pseudo_samples(5, 3, k.sigma2, k.d);
        let at = Atoms::samples(&h);
        let th: Vec<f64> = (0..9).map(|i| 0.3 + 0.1 * (i as f64).cos()).collect();
        let ch = [0.1, 0.2, -0.1, 0.3];
        let f = objective_full(&k, &at, &th, &ch);
        for kk in 0..4 {
            let mut cp = ch;
            let mut cm = ch;
            cp[kk] += 1e-6;
            cm[kk] -= 1e-6;
            let fd = (objective_full(&k, &at, &th, &cp).eval.value
                - objective_full(&k, &at, &th, &cm).eval.value)
                / 2e-6;
            assert!(
                (fd - f.ch_grad[kk]).abs() < 1e-6 * (1.0 + fd.abs()),
                "channel {kk}: {fd} vs {}",
                f.ch_grad[kk]
            );
        }
    }
}
