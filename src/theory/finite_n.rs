//! SPEC §5.3: finite n (d → ∞ with n fixed) on the dilated schedule.
//!
//! ## Phase 2 (t = 1 + τ', τ' ∈ (0, 1]): closed form
//! The tanh saturates to the mode sign, φ_i = s_i, and u is optimised in closed form,
//! u = (1 − cβ)·Σ_i s_i x1^i/(n + λ_u) (plus, with fixed noise, −cα·Σ_i s_i x0^i/(n + λ_u)).
//! With |Σ s_i x1^i|²/d → n² + nσ², |x1|²/d → 1 + σ², α = 1 − τ', β = τ':
//!
//! * fresh noise (x0 averaged): A_n = (1 + σ²) − (n + σ²)/(n + λ_u),
//!   c = βA_n/(α² + β²A_n),  m = n(1 − cβ)/(n + λ_u),  √q = (1 − cβ)√(n² + nσ²)/(n + λ_u);
//! * fixed noise (one x0^i per sample): B_n = 1 − 1/(n + λ_u),
//!   c = βA_n/(α²B_n + β²A_n),  same m,  √q = √(c²α²n + (1 − cβ)²(n² + nσ²))/(n + λ_u).
//!
//! ω, √r and b diverge (`None`). Neither depends on n₊ (only Σ s_i x1^i enters, whose
//! projection on μ is n whatever the signs), so the binomial average is the same value.
//!
//! ### Comparison with the authors' notebook (SPEC §5.3), σ² = 1
//! Multiplying through by (n + λ), our denominators are
//! D_fresh = (n+λ)(1−τ')² + τ'²(n+2λ−1) and D_fixed = (n+λ−1)(1−τ')² + τ'²(n+2λ−1), with the
//! common numerator τ'(n+2λ−1). The notebook's (n+λ)(1−2τ'+3τ'²) + (1 − 2τ' − nτ'²) expands
//! to exactly D_fresh + (1−τ')² = (n+λ+1)(1−τ')² + τ'²(n+2λ−1): it is the fixed-noise
//! form with the 1/(n+λ) correction of B_n entering with the wrong sign
//! (B'_n = 1 + 1/(n+λ)). With the same numerator, at n = 32, σ² = 1:
//!
//! | λ_u | τ'   | c fresh | c fixed | c notebook | n → ∞ (§5.2) | notebook vs fresh | fixed vs fresh |
//! |-----|------|---------|---------|------------|--------------|-------------------|----------------|
//! | 0   | 0.25 | 0.38871 | 0.40000 | 0.37805    | 0.40000      | −2.74 %           | +2.90 %        |
//! | 0   | 0.50 | 0.98413 | 1.00000 | 0.96875    | 1.00000      | −1.56 %           | +1.61 %        |
//! | 0   | 0.75 | 1.19614 | 1.20000 | 1.19231    | 1.20000      | −0.32 %           | +0.32 %        |
//! | 1   | 0.25 | 0.40000 | 0.41121 | 0.38938    | 0.40000      | −2.65 %           | +2.80 %        |
//! | 1   | 0.50 | 1.00000 | 1.01538 | 0.98507    | 1.00000      | −1.49 %           | +1.54 %        |
//! | 1   | 0.75 | 1.20000 | 1.20365 | 1.19637    | 1.20000      | −0.30 %           | +0.30 %        |
//!
//! So the notebook sits below the fresh-noise value by about as much as the fixed-noise value
//! sits above it; at σ² = 1, λ_u = 1 the fresh form coincides with the n → ∞ value
//! (A_n = (n + 2λ − 1)/(n + λ) = 1), and so does the fixed form at λ_u = 0 (A_n = B_n).
//! (Numbers: `finite_n::tests::notebook_table`.)
//! SPEC §5.3 reports a direct minimisation of R_k matching the fresh form to 0.4 %.
//!
//! ## Phase 1 (t ∈ [0, 1]): a two-variable minimisation
//! With u optimised in closed form, u* = Σ_i a_i x1^i/(λ_u + Σ_i e_i), where
//! a_i = E_g[tanh(b + κtω s_i + ω g)], e_i = E_g[tanh²(…)], the pair (ω, b) minimises
//!
//! J(ω, b) = −[(Σ a_i s_i)² + σ² Σ a_i²]/(λ_u + Σ e_i) + λ_w ω²,
//!
//! conditional on the signs; a_i, e_i depend only on s_i, so only n₊ = #{s_i = +1} matters.
//! Then c = 0, m = Σ a_i s_i/(λ_u + Σ e_i), √q = √((Σ a_i s_i)² + σ² Σ a_i²)/(λ_u + Σ e_i),
//! √r = |ω|. This derivation is for fresh noise; under fixed noise phase 1 is not
//! predicted (`None`).
//!
//! **Solver.** A damped Newton method on the two variables: the gradient is analytic
//! (Stein's lemma on the [`tanh_moments`]), the Hessian is a central difference of the
//! gradient, the step is −H⁻¹∇J when H is positive definite and −∇J otherwise, followed by
//! an Armijo backtracking line search. Why not `argmin`: for a smooth 2-D problem with an
//! analytic gradient this is ~60 lines, converges quadratically to the quadrature's floor,
//! is deterministic, and needs neither a new dependency nor a vector type; its every stop has
//! a named reason ([`Phase1Stop`]). Start: the n → ∞ solution ω = κt,
//! b = atanh(2n₊/n − 1). Accuracy: the stopping rule |∇J|∞ ≤ 1e-10·(1 + |J|) and the
//! quadrature floor [`QUAD_ABS`] put ω, b, m within ~1e-8 of the exact minimiser (tested
//! against a brute grid search).
//!
//! **Where b does not stay finite.** Letting |b| → ∞ makes every a_i = e_i = ±1, so the
//! objective approaches J_sat = −(Δ² + σ²n)/(λ_u + n), Δ = n₊ − n₋ (u then only fits the
//! data mean). At t = 0 (no signal), or when all samples share one sign (n₊ ∈ {0, n}),
//! e_i ≥ a_i² makes this limit the infimum whenever λ_u > 0; with small signal (small κt and
//! n₊ ≈ n/2) it can also beat every interior point. In that case b = `None` (diverges),
//! m = |Δ|/(λ_u + n), √q = √(Δ² + σ²n)/(λ_u + n), and ω is 0 if λ_w > 0 and undetermined
//! (`None`) otherwise; with λ_u = 0 only u·tanh b is identifiable and m, √q are `None` too.
//! The solver returns this [`Phase1Stop::Saturated`] limit when it cannot beat J_sat.
//! The binomial average is taken over 1 ≤ n₊ ≤ n − 1 (renormalised; the excluded one-sign
//! mass is p^n + (1 − p)^n, e.g. 7.9e-4 at n = 32, p = 0.8), skipping terms with probability
//! below [`PMF_FLOOR`]; a key is `None` if any included n₊ leaves it undetermined. Beyond
//! [`NORMAL_RULE_TERMS`] terms (n ≳ 1500 at p = 0.8) the sum is replaced by [`normal_rule`]
//! (64 minimisations whatever n, error O(1/n²) stated there), so the cost is bounded.
//!
//! [`tanh_moments`]: crate::quadrature::tanh_moments
//! [`QUAD_ABS`]: crate::quadrature::QUAD_ABS

use super::Prediction;
use super::memo::{Memo, StepKey, step_key};
use crate::problem::ConfigError;
use crate::quadrature::tanh_moments;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Noise convention of the training objective (SPEC §4/§5.3): one type shared with the
/// engines, so a theory is always asked about the convention a model was trained with.
pub use crate::problem::Noise;

/// Binomial terms below this probability are skipped in the average (their total is
/// < n·1e-15, far below any statistical resolution).
pub const PMF_FLOOR: f64 = 1e-15;

/// |b| beyond which the phase-1 minimiser is declared divergent (tanh(20) = 1 − 8.5e-18:
/// saturated in double precision).
pub const B_DIVERGE: f64 = 20.0;

/// |ω| beyond which the phase-1 minimiser is declared divergent.
pub const OMEGA_DIVERGE: f64 = 1e3;

/// How the phase-1 pre-activation w·x_t/√d + b sees a sample of sign s: its mean is
/// b + s·kt·ω and its Gaussian noise has standard deviation scale·|ω|.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kinematics {
    /// Mode separation: κt as d → ∞, β√d at finite d.
    pub kt: f64,
    /// Noise scale: 1 as d → ∞, √(α² + β²σ²) at finite d.
    pub scale: f64,
}

impl Kinematics {
    /// The d → ∞ kinematics of the dilated schedule at κt (SPEC §5.3).
    pub fn limit(kt: f64) -> Self {
        Self { kt, scale: 1.0 }
    }
    /// Finite-d kinematics: with w = ω·μ, w·x_t/√d = ω(α g + sβ√d + βσ g′), g, g′ ~ N(0, 1).
    pub fn finite_d(alpha: f64, beta: f64, d: usize, sigma2: f64) -> Self {
        Self {
            kt: beta * (d as f64).sqrt(),
            scale: (alpha * alpha + beta * beta * sigma2).sqrt(),
        }
    }
}

/// Finite-n configuration: n, the ridges and the noise convention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FiniteN {
    /// Training samples n ≥ 1.
    pub n: usize,
    /// Ridge on u, λ_u ≥ 0.
    pub lambda_u: f64,
    /// Ridge on w, λ_w ≥ 0 (enters the phase-1 objective only).
    pub lambda_w: f64,
    /// Noise convention.
    pub noise: Noise,
}

/// Why the phase-1 minimisation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Phase1Stop {
    /// |∇J|∞ ≤ 1e-10·(1 + |J|).
    Converged {
        /// Newton iterations run.
        iterations: usize,
    },
    /// No Armijo step could decrease J (at the quadrature's floor).
    Stalled {
        /// Newton iterations run.
        iterations: usize,
    },
    /// The iteration cap was hit.
    IterationCap,
    /// |b| exceeded [`B_DIVERGE`].
    Diverged {
        /// Newton iterations run.
        iterations: usize,
    },
    /// A closed-form case (t = 0, or all samples of one sign): saturated, |b| → ∞.
    ClosedForm,
    /// The minimiser ran to the saturated limit |b| → ∞ (or |ω| → ∞), whose value
    /// J_sat = −(Δ² + σ²n)/(λ_u + n) it could not beat.
    Saturated {
        /// Newton iterations run.
        iterations: usize,
    },
}

/// The phase-1 solution conditional on n₊ (canonical sign m ≥ 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phase1 {
    /// The prediction (c = 0, m, ω, b, √q, √r; no MSE).
    pub prediction: Prediction,
    /// J at the solution.
    pub objective: f64,
    /// Why the solver stopped.
    pub stop: Phase1Stop,
}

/// Above this many binomial terms (`budget::binomial_terms`, ±8.3 standard deviations
/// around n·p) the average over n₊ uses [`normal_rule`] instead of the exact sum: from
/// n·p(1 − p) ≈ 240 on (n ≈ 1500 at p = 0.8), where the rule's 2·[`NORMAL_RULE_NODES`]
/// minimisations are ~4× fewer than the sum's. Every preset and claim (n ≤ 512) is below it.
pub const NORMAL_RULE_TERMS: usize = 256;

/// Gauss–Hermite nodes of [`normal_rule`].
pub const NORMAL_RULE_NODES: usize = 32;

/// The average over n₊ ~ Binomial(n, p) of a function of n₊ that is smooth on the scale n
/// (a minimiser depending on the sign fraction n₊/n), with a bounded cost:
/// [`NORMAL_RULE_NODES`] Gauss–Hermite nodes of the normal law N(np, np(1 − p)), each
/// evaluated by linear interpolation between its two neighbouring integers (so 2 × nodes
/// terms, whatever n). Returned as (n₊, weight) pairs summing to 1, merged per n₊.
///
/// Error, for f(n₊) = F(n₊/n) with F smooth: (i) the lattice sum equals the integral of the
/// binomial's smooth interpolant up to exponentially small terms once sd = √(np(1 − p)) ≫ 1
/// (Poisson summation); (ii) the binomial differs from the normal law by its skewness
/// (Edgeworth): |ΔE f| ≤ |κ₃|/6 · max|f'''| = p(1−p)|1−2p|/(6n²) · max|F'''|; (iii) linear
/// interpolation adds ≤ max|f''|/8 = max|F''|/(8n²); (iv) the Gauss–Hermite rule is exact for
/// polynomials of degree < 64 in the standardised variable, and F varies on a scale sd/n ~
/// n^{-1/2} of it. So the error is O(max(|F''|, |F'''|)/n²): below 1e-6·max|F''| from
/// n ≈ 1500 on. Measured against the exact sum in this module's tests.
pub fn normal_rule(n: usize, p: f64) -> Vec<(usize, f64)> {
    let gh = gauss_quad::GaussHermite::new(NORMAL_RULE_NODES).expect("NORMAL_RULE_NODES ≥ 2");
    let sqrt_pi = std::f64::consts::PI.sqrt();
    let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
    let mut acc: std::collections::BTreeMap<usize, f64> = std::collections::BTreeMap::new();
    for (&x, &w) in gh.nodes().zip(gh.weights()) {
        // physicists' rule: ∫ e^{−x²} h(x) dx, so g = √2·x is N(0, 1) with weight w/√π.
        let k = (mean + sd * std::f64::consts::SQRT_2 * x).clamp(1.0, (n - 1) as f64);
        let lo = (k.floor() as usize).min(n - 2);
        let frac = k - lo as f64;
        *acc.entry(lo).or_insert(0.0) += w / sqrt_pi * (1.0 - frac);
        *acc.entry(lo + 1).or_insert(0.0) += w / sqrt_pi * frac;
    }
    acc.into_iter().filter(|&(_, w)| w > 0.0).collect()
}

/// The (n₊, weight) pairs of the average over 1 ≤ n₊ ≤ n − 1: [`exact_rule`] up to
/// [`NORMAL_RULE_TERMS`] terms, [`normal_rule`] beyond.
pub fn binomial_rule(n: usize, p: f64) -> Vec<(usize, f64)> {
    if crate::budget::binomial_terms(n, p) > NORMAL_RULE_TERMS as f64 {
        normal_rule(n, p)
    } else {
        exact_rule(n, p)
    }
}

/// The binomial pmf at every 1 ≤ n₊ ≤ n − 1 with probability ≥ [`PMF_FLOOR`] (weights not
/// renormalised; the average divides by their sum).
pub fn exact_rule(n: usize, p: f64) -> Vec<(usize, f64)> {
    (1..n)
        .filter_map(|k| {
            let w = ln_binom_pmf(n, k, p).exp();
            (w >= PMF_FLOOR).then_some((k, w))
        })
        .collect()
}

pub(crate) fn ln_binom_pmf(n: usize, k: usize, p: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    let (nf, kf) = (n as f64, k as f64);
    ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0)
        + kf * p.ln()
        + (nf - kf) * (1.0 - p).ln()
}

/// The sums (P = Σ a s, Q = Σ a², E = λ_u + Σ e) and their gradients in (ω, b).
struct Sums {
    p: f64,
    q: f64,
    e: f64,
    dp: [f64; 2],
    dq: [f64; 2],
    de: [f64; 2],
}

impl FiniteN {
    /// Check n ≥ 1 and λ ≥ 0 finite.
    ///
    /// # Errors
    /// [`ConfigError`] naming `n`, `lambda-u` or `lambda-w`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.n == 0 {
            return Err(ConfigError::ZeroSize { field: "n" });
        }
        for (field, v) in [("lambda-u", self.lambda_u), ("lambda-w", self.lambda_w)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(ConfigError::OutOfRange {
                    field,
                    rule: "non-negative and finite",
                    value: v,
                });
            }
        }
        Ok(())
    }

    /// Phase 2 closed form at τ' = t − 1 ∈ (0, 1] (module doc).
    ///
    /// ```
    /// use phaseflow::theory::{FiniteN, Noise};
    /// // σ² = 1, λ_u = 1: A_n = 1 exactly, so fresh-noise c equals the n → ∞ value
    /// // τ'/((1 − τ')² + τ'²) = 1 at τ' = ½.
    /// let f = FiniteN { n: 32, lambda_u: 1.0, lambda_w: 0.0, noise: Noise::Fresh };
    /// assert!((f.phase2(1.0, 0.5).c.unwrap() - 1.0).abs() < 1e-15);
    /// assert!(f.phase2(1.0, 0.5).omega.is_none()); // diverges
    /// ```
    pub fn phase2(&self, sigma2: f64, tau_prime: f64) -> Prediction {
        self.phase2_ab(sigma2, 1.0 - tau_prime, tau_prime)
    }

    /// Phase 2 closed form at given (α, β): the d → ∞ case is (1 − τ', τ'); the schedule's
    /// own (α, β) give its finite-d form.
    pub fn phase2_ab(&self, sigma2: f64, al: f64, be: f64) -> Prediction {
        let n = self.n as f64;
        let lam = self.lambda_u;
        let a_n = (1.0 + sigma2) - (n + sigma2) / (n + lam);
        let c = match self.noise {
            Noise::Fresh => be * a_n / (al * al + be * be * a_n),
            Noise::Fixed => {
                let b_n = 1.0 - 1.0 / (n + lam);
                be * a_n / (al * al * b_n + be * be * a_n)
            }
        };
        let one_m = 1.0 - c * be;
        let signal2 = n * n + n * sigma2;
        let sqrt_q = match self.noise {
            Noise::Fresh => one_m * signal2.sqrt() / (n + lam),
            Noise::Fixed => (c * c * al * al * n + one_m * one_m * signal2).sqrt() / (n + lam),
        };
        Prediction {
            c: Some(c),
            m: Some(n * one_m / (n + lam)),
            omega: None,
            b: None,
            sqrt_q: Some(sqrt_q),
            sqrt_r: None,
            mse: None,
        }
    }

    fn sums(&self, n_plus: usize, k: Kinematics, omega: f64, b: f64) -> Sums {
        let (np, nm) = (n_plus as f64, (self.n - n_plus) as f64);
        let (kt, scale) = (k.kt, k.scale);
        // For s = ±1: a_s = M1(ω, b + sκtω), e_s = M2(ω, b + sκtω). Stein derivatives
        // (quadrature docs): ∂_B M1 = 1 − M2, ∂_A M1 = −2A(M1 − M3),
        // ∂_B M2 = 2(M1 − M3), ∂_A M2 = 2A(1 − 4M2 + 3M4); with A = scale·ω,
        // ∂ω = scale·∂_A + sκt·∂_B, ∂b = ∂_B.
        let mode = |s: f64| {
            let a = scale * omega;
            let m = tanh_moments(a, b + s * kt * omega);
            // tanh_moments takes |A|; the derivative in A is odd, restore the sign of ω.
            let da1 = -2.0 * a * (m.m1 - m.m3) * scale;
            let db1 = 1.0 - m.m2;
            let da2 = 2.0 * a * (1.0 - 4.0 * m.m2 + 3.0 * m.m4) * scale;
            let db2 = 2.0 * (m.m1 - m.m3);
            (
                m.m1,
                m.m2,
                [da1 + s * kt * db1, db1],
                [da2 + s * kt * db2, db2],
            )
        };
        let (ap, ep, dap, dep) = mode(1.0);
        let (am, em, dam, dem) = mode(-1.0);
        let mut s = Sums {
            p: np * ap - nm * am,
            q: np * ap * ap + nm * am * am,
            e: self.lambda_u + np * ep + nm * em,
            dp: [0.0; 2],
            dq: [0.0; 2],
            de: [0.0; 2],
        };
        for j in 0..2 {
            s.dp[j] = np * dap[j] - nm * dam[j];
            s.dq[j] = 2.0 * (np * ap * dap[j] + nm * am * dam[j]);
            s.de[j] = np * dep[j] + nm * dem[j];
        }
        s
    }

    /// J(ω, b) and its gradient (module doc), d → ∞ kinematics at κt.
    pub fn phase1_objective(
        &self,
        n_plus: usize,
        sigma2: f64,
        kt: f64,
        omega: f64,
        b: f64,
    ) -> (f64, [f64; 2]) {
        self.phase1_objective_k(n_plus, sigma2, Kinematics::limit(kt), omega, b)
    }

    /// J(ω, b) and its gradient with the given [`Kinematics`].
    pub fn phase1_objective_k(
        &self,
        n_plus: usize,
        sigma2: f64,
        k: Kinematics,
        omega: f64,
        b: f64,
    ) -> (f64, [f64; 2]) {
        let s = self.sums(n_plus, k, omega, b);
        let num = s.p * s.p + sigma2 * s.q;
        let j = -num / s.e + self.lambda_w * omega * omega;
        let mut g = [0.0; 2];
        for (k, gk) in g.iter_mut().enumerate() {
            let dnum = 2.0 * s.p * s.dp[k] + sigma2 * s.dq[k];
            *gk = -(dnum * s.e - num * s.de[k]) / (s.e * s.e);
        }
        g[0] += 2.0 * self.lambda_w * omega;
        (j, g)
    }

    /// Phase 1 conditional on n₊ plus signs, at κt (module doc).
    pub fn phase1_conditional(&self, n_plus: usize, sigma2: f64, kt: f64) -> Phase1 {
        self.phase1_conditional_k(n_plus, sigma2, Kinematics::limit(kt))
    }

    /// Phase 1 conditional on n₊ plus signs, with the given [`Kinematics`].
    pub fn phase1_conditional_k(&self, n_plus: usize, sigma2: f64, k: Kinematics) -> Phase1 {
        let kt = k.kt;
        let n = self.n as f64;
        let lam = self.lambda_u;
        let delta = 2.0 * n_plus as f64 - n;
        // The saturated limit |b| → ∞: a_i = e_i = sign(b) for every i, so
        // J_sat = −(Δ² + σ²n)/(λ_u + n) with Δ = n₊ − n₋, and ω only feels λ_w.
        let j_sat = -(delta * delta + sigma2 * n) / (lam + n);
        let saturated = |stop: Phase1Stop| {
            let omega = (self.lambda_w > 0.0).then_some(0.0);
            // With λ_u = 0 only u·tanh b is identifiable: m and √q have no value.
            let id = lam > 0.0;
            Phase1 {
                prediction: Prediction {
                    c: Some(0.0),
                    m: id.then(|| delta.abs() / (lam + n)),
                    omega,
                    b: None,
                    sqrt_q: id.then(|| (delta * delta + sigma2 * n).sqrt() / (lam + n)),
                    sqrt_r: omega,
                    mse: None,
                },
                objective: j_sat,
                stop,
            }
        };
        if kt == 0.0 || n_plus == 0 || n_plus == self.n {
            // No signal (t = 0), or one sign only: e_i ≥ a_i² makes saturation optimal.
            return saturated(Phase1Stop::ClosedForm);
        }
        let frac = (n_plus as f64 / n).clamp(1e-6, 1.0 - 1e-6);
        // Start at the n → ∞ solution ω = κt/scale² (= √d·β/v at finite d, SPEC §5.1).
        let mut x = [kt / (k.scale * k.scale), 0.5 * (frac / (1.0 - frac)).ln()];
        let (mut j, mut g) = self.phase1_objective_k(n_plus, sigma2, k, x[0], x[1]);
        let mut stop = Phase1Stop::IterationCap;
        for it in 0..200 {
            if g[0].abs().max(g[1].abs()) <= 1e-10 * (1.0 + j.abs()) {
                stop = Phase1Stop::Converged { iterations: it };
                break;
            }
            if x[1].abs() > B_DIVERGE {
                stop = Phase1Stop::Diverged { iterations: it };
                break;
            }
            // Hessian by central differences of the analytic gradient.
            let mut h = [[0.0; 2]; 2];
            for col in 0..2 {
                let step = 1e-5 * (1.0 + x[col].abs());
                let (mut xp, mut xm) = (x, x);
                xp[col] += step;
                xm[col] -= step;
                let gp = self.phase1_objective_k(n_plus, sigma2, k, xp[0], xp[1]).1;
                let gm = self.phase1_objective_k(n_plus, sigma2, k, xm[0], xm[1]).1;
                for r in 0..2 {
                    h[r][col] = (gp[r] - gm[r]) / (2.0 * step);
                }
            }
            let hs = 0.5 * (h[0][1] + h[1][0]);
            let det = h[0][0] * h[1][1] - hs * hs;
            let dir = if h[0][0] > 0.0 && det > 0.0 {
                [
                    -(h[1][1] * g[0] - hs * g[1]) / det,
                    -(h[0][0] * g[1] - hs * g[0]) / det,
                ]
            } else {
                [-g[0], -g[1]]
            };
            // Armijo backtracking; cap the step at 1 in each coordinate.
            let len = dir[0].abs().max(dir[1].abs());
            let mut step = if len > 1.0 { 1.0 / len } else { 1.0 };
            let slope = g[0] * dir[0] + g[1] * dir[1];
            let mut accepted = false;
            for _ in 0..60 {
                let xn = [x[0] + step * dir[0], x[1] + step * dir[1]];
                let (jn, gn) = self.phase1_objective_k(n_plus, sigma2, k, xn[0], xn[1]);
                if jn <= j + 1e-4 * step * slope {
                    x = xn;
                    j = jn;
                    g = gn;
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if !accepted {
                stop = Phase1Stop::Stalled { iterations: it };
                break;
            }
        }
        let diverged = matches!(stop, Phase1Stop::Diverged { .. })
            || x[1].abs() > B_DIVERGE
            || x[0].abs() > OMEGA_DIVERGE;
        // A flat run towards |b| → ∞ can stop on the gradient rule at a large finite b; the
        // saturated limit is then the infimum. Relative slack 1e-12: far below the
        // interior minima's margin over J_sat when they exist (they win by ≥ 1e-6 relative
        // in every case we tested), far above rounding.
        if diverged || j >= j_sat - 1e-12 * (1.0 + j_sat.abs()) {
            let iterations = match stop {
                Phase1Stop::Converged { iterations }
                | Phase1Stop::Stalled { iterations }
                | Phase1Stop::Diverged { iterations } => iterations,
                _ => 200,
            };
            return saturated(Phase1Stop::Saturated { iterations });
        }
        let s = self.sums(n_plus, k, x[0], x[1]);
        // Canonical sign m ≥ 0: (ω, b) → (−ω, −b) flips a_i and hence m.
        let sign = if s.p < 0.0 { -1.0 } else { 1.0 };
        Phase1 {
            prediction: Prediction {
                c: Some(0.0),
                m: Some(sign * s.p / s.e),
                omega: Some(sign * x[0]),
                b: Some(sign * x[1]),
                sqrt_q: Some((s.p * s.p + sigma2 * s.q).sqrt() / s.e),
                sqrt_r: Some(x[0].abs()),
                mse: None,
            },
            objective: j,
            stop,
        }
    }

    /// The prediction at time t of the dilated schedule, conditional on n₊.
    pub fn predict_conditional(
        &self,
        n_plus: usize,
        kappa: f64,
        sigma2: f64,
        t: f64,
    ) -> Prediction {
        if t > 1.0 {
            self.phase2(sigma2, (t - 1.0).min(1.0))
        } else if self.noise == Noise::Fixed {
            Prediction::default()
        } else {
            self.phase1_conditional(n_plus, sigma2, kappa * t)
                .prediction
        }
    }

    /// P(n₊ ∈ {0, n}) = p^n + (1 − p)^n, the one-sign mass the phase-1 average excludes.
    ///
    /// ```
    /// use phaseflow::theory::{FiniteN, Noise};
    /// let f = FiniteN { n: 32, lambda_u: 1.0, lambda_w: 0.0, noise: Noise::Fresh };
    /// assert!((f.one_sign_mass(0.8) - 7.9e-4).abs() < 1e-5);
    /// ```
    pub fn one_sign_mass(&self, p: f64) -> f64 {
        // powf, not powi: n beyond i32 would wrap
        let n = self.n as f64;
        p.powf(n) + (1.0 - p).powf(n)
    }

    /// The prediction at time t averaged over n₊ ~ Binomial(n, p), restricted to
    /// 1 ≤ n₊ ≤ n − 1 (module doc). A key is `None` if it is `None` for any included n₊.
    pub fn predict_averaged(&self, kappa: f64, p: f64, sigma2: f64, t: f64) -> Prediction {
        if t > 1.0 {
            return self.phase2(sigma2, (t - 1.0).min(1.0));
        }
        self.binomial_average(p, |k| self.predict_conditional(k, kappa, sigma2, t))
    }

    /// The same predictions with **finite-d kinematics**: the schedule's own (α, β) at
    /// dimension d instead of their d → ∞ forms. Phase 2 uses the closed form with the actual
    /// α, β (its derivation only assumes a saturated tanh). Phase 1 uses
    /// [`Kinematics::finite_d`]: the mode separation κt becomes β√d and the noise scale of the
    /// pre-activation becomes √(α² + β²σ²), so that n → ∞ recovers SPEC §5.1 exactly and
    /// d → ∞ recovers §5.3. What it leaves out (c ≠ 0 in phase 1, the data-noise projection
    /// fixed per sample) is O(1/√d) relative; the harness declares that as its allowance.
    pub fn predict_averaged_at(
        &self,
        p: f64,
        sigma2: f64,
        alpha: f64,
        beta: f64,
        d: usize,
        phase1: bool,
    ) -> Prediction {
        if !phase1 {
            return self.phase2_ab(sigma2, alpha, beta);
        }
        if self.noise == Noise::Fixed {
            return Prediction::default();
        }
        let k = Kinematics::finite_d(alpha, beta, d, sigma2);
        self.binomial_average(p, |np| self.phase1_conditional_k(np, sigma2, k).prediction)
    }

    /// The phase-1 predictions with finite-d kinematics conditional on each n₊ of the
    /// binomial average of [`FiniteN::predict_averaged_at`]: (n₊, weight, prediction), weights
    /// normalised to sum to 1, in n₊ order. Any functional of the conditional predictions
    /// (e.g. the mean of (1 + tanh b)/2, SPEC §5.7) averages exactly over these terms. Empty
    /// under fixed noise or for n < 2.
    pub fn phase1_terms_at(
        &self,
        p: f64,
        sigma2: f64,
        alpha: f64,
        beta: f64,
        d: usize,
    ) -> Vec<(usize, f64, Prediction)> {
        // Memoised process-wide (module `memo`): the harness asks for the same terms for a
        // run, its controls and the claims that share a configuration.
        static TERMS: Memo<StepKey, Vec<(usize, f64, Prediction)>> = Memo::new();
        let key = step_key(self, p, sigma2, alpha, beta, d);
        TERMS.get(key, || {
            let k = Kinematics::finite_d(alpha, beta, d, sigma2);
            let mut terms =
                self.binomial_terms(p, |np| self.phase1_conditional_k(np, sigma2, k).prediction);
            let wsum: f64 = terms.iter().map(|t| t.1).sum();
            for t in &mut terms {
                t.1 /= wsum;
            }
            terms
        })
    }

    /// (n₊, unnormalised binomial weight, f(n₊)) over 1 ≤ n₊ ≤ n − 1 with weight ≥
    /// [`PMF_FLOOR`], in n₊ order; empty under fixed noise or for n < 2.
    fn binomial_terms<T: Send>(
        &self,
        p: f64,
        f: impl Fn(usize) -> T + Sync,
    ) -> Vec<(usize, f64, T)> {
        if self.noise == Noise::Fixed || self.n < 2 {
            return Vec::new();
        }
        // One minimisation per n₊ (or per node of the normal rule, [`binomial_rule`]), in
        // parallel; collected in order, so sums over the terms do not depend on the thread
        // count.
        binomial_rule(self.n, p)
            .into_par_iter()
            .map(|(k, w)| (k, w, f(k)))
            .collect()
    }

    fn binomial_average(&self, p: f64, f: impl Fn(usize) -> Prediction + Sync) -> Prediction {
        if self.noise == Noise::Fixed || self.n < 2 {
            return Prediction::default();
        }
        let terms = self.binomial_terms(p, f);
        let mut acc = [Some(0.0); 7];
        let mut wsum = 0.0;
        for (_, w, pr) in terms {
            let vals = [pr.c, pr.m, pr.omega, pr.b, pr.sqrt_q, pr.sqrt_r, pr.mse];
            for (a, v) in acc.iter_mut().zip(vals) {
                *a = match (*a, v) {
                    (Some(a), Some(v)) => Some(a + w * v),
                    _ => None,
                };
            }
            wsum += w;
        }
        let f = |a: Option<f64>| a.map(|a| a / wsum);
        Prediction {
            c: f(acc[0]),
            m: f(acc[1]),
            omega: f(acc[2]),
            b: f(acc[3]),
            sqrt_q: f(acc[4]),
            sqrt_r: f(acc[5]),
            mse: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::limit::dilated_limit;
    use quickcheck::{QuickCheck, TestResult};

    fn fresh(n: usize, lambda_u: f64) -> FiniteN {
        FiniteN {
            n,
            lambda_u,
            lambda_w: 0.0,
            noise: Noise::Fresh,
        }
    }

    #[test]
    fn finite_d_kinematics_recover_bayes_and_limit() {
        // n → ∞ (n₊ = pn exactly, tiny ridges) at finite d: SPEC §5.1, ω = √d·β/v and
        // b = atanh(2p − 1); the finite-n bias is O(1/n) = 1e-6, tolerance 1e-3 relative.
        let f = FiniteN {
            n: 1_000_000,
            lambda_u: 1e-6,
            lambda_w: 0.0,
            noise: Noise::Fresh,
        };
        let (p, s2, d) = (0.7, 0.6, 400usize);
        for &beta in &[0.02, 0.05, 0.1] {
            let alpha = 1.0 - beta;
            let v = alpha * alpha + beta * beta * s2;
            let k = Kinematics::finite_d(alpha, beta, d, s2);
            let sol = f.phase1_conditional_k(700_000, s2, k).prediction;
            let omega = (d as f64).sqrt() * beta / v;
            let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
            assert!(
                rel(sol.omega.unwrap(), omega) < 1e-3,
                "ω {:?} vs {omega}",
                sol.omega
            );
            assert!(
                rel(sol.b.unwrap(), (2.0 * p - 1.0f64).atanh()) < 1e-3,
                "b {:?}",
                sol.b
            );
            // and a wrong d is detected: ω scales with √d
            assert!(rel(sol.omega.unwrap(), omega * 2.0) > 0.4);
        }
        // d → ∞ at fixed κt: the finite-d kinematics tend to the limit ones.
        let f = FiniteN {
            n: 32,
            lambda_u: 1.0,
            lambda_w: 0.0,
            noise: Noise::Fresh,
        };
        let kt = 1.2;
        let d: f64 = 1e12;
        let beta = kt / d.sqrt();
        let a = f.phase1_conditional_k(
            24,
            s2,
            Kinematics::finite_d(1.0 - beta, beta, d as usize, s2),
        );
        let b = f.phase1_conditional(24, s2, kt);
        let (x, y) = (a.prediction.omega.unwrap(), b.prediction.omega.unwrap());
        assert!((x - y).abs() < 1e-5 * y, "{x} vs {y}");
        // phase 2: (α, β) = (1 − τ', τ') is the limit form exactly
        assert_eq!(f.phase2_ab(s2, 0.6, 0.4), f.phase2(s2, 0.4));
    }

    #[test]
    fn notebook_table() {
        // The numbers quoted in the module doc (n = 32, σ² = 1), to 5e-6 (5-digit rounding).
        let n = 32.0;
        let rows = [
            (0.0, 0.25, 0.38871, 0.40000, 0.37805),
            (0.0, 0.5, 0.98413, 1.0, 0.96875),
            (0.0, 0.75, 1.19614, 1.2, 1.19231),
            (1.0, 0.25, 0.40000, 0.41121, 0.38938),
            (1.0, 0.5, 1.0, 1.01538, 0.98507),
            (1.0, 0.75, 1.2, 1.20365, 1.19637),
        ];
        for (lam, tp, cf, cx, cn) in rows {
            let f = fresh(32, lam).phase2(1.0, tp).c.unwrap();
            let x = FiniteN {
                noise: Noise::Fixed,
                ..fresh(32, lam)
            }
            .phase2(1.0, tp)
            .c
            .unwrap();
            let num = tp * (n + 2.0 * lam - 1.0);
            let den = (n + lam) * (1.0 - 2.0 * tp + 3.0 * tp * tp) + (1.0 - 2.0 * tp - n * tp * tp);
            let nb = num / den;
            assert!((f - cf).abs() < 5e-6, "fresh {f} vs {cf}");
            assert!((x - cx).abs() < 5e-6, "fixed {x} vs {cx}");
            assert!((nb - cn).abs() < 5e-6, "notebook {nb} vs {cn}");
            // The identity D_nb = D_fresh + (1−τ')² behind the comparison.
            let d_fresh = (n + lam) * (1.0 - tp).powi(2) + tp * tp * (n + 2.0 * lam - 1.0);
            assert!((den - d_fresh - (1.0 - tp).powi(2)).abs() < 1e-12);
        }
    }

    #[test]
    fn phase2_converges_to_limit_as_n_grows() {
        // A_n − σ² = (λ − σ²)/(n + λ): every phase-2 value approaches §5.2 at rate 1/n, so
        // the error ratio between n and 4n tends to 4 (allow 3.5..4.5 at n ≥ 1000).
        for noise in [Noise::Fresh, Noise::Fixed] {
            for &(s2, tp, lam) in &[(1.0, 0.5, 1.0), (0.6, 0.3, 0.1), (2.0, 0.8, 0.0)] {
                let lim = dilated_limit(2.0, 0.8, s2, 1.0 + tp);
                let err = |n: usize| {
                    let f = FiniteN {
                        noise,
                        ..fresh(n, lam)
                    }
                    .phase2(s2, tp);
                    (f.c.unwrap() - lim.c.unwrap())
                        .abs()
                        .max((f.m.unwrap() - lim.m.unwrap()).abs())
                        .max((f.sqrt_q.unwrap() - lim.sqrt_q.unwrap()).abs())
                };
                let r = err(1000) / err(4000);
                assert!(
                    (3.5..4.5).contains(&r),
                    "{noise:?} σ²={s2} τ'={tp} λ={lam}: err ratio {r}"
                );
            }
        }
    }

    #[test]
    fn phase1_minimiser_beats_a_grid_search() {
        // The Newton solution must be at least as good as the best point of a 121×121 grid
        // around it, and its gradient must vanish.
        let f = FiniteN {
            lambda_w: 0.01,
            ..fresh(32, 1.0)
        };
        for &(np, kt) in &[(22usize, 0.25), (26, 1.0), (9, 2.0), (16, 0.5)] {
            let sol = f.phase1_conditional(np, 0.6, kt);
            assert!(
                matches!(sol.stop, Phase1Stop::Converged { .. }),
                "{:?}",
                sol.stop
            );
            let (om, b) = (sol.prediction.omega.unwrap(), sol.prediction.b.unwrap());
            let mut best = f64::INFINITY;
            for i in 0..=120 {
                for k in 0..=120 {
                    let o = om + (i as f64 - 60.0) * 0.02 * (1.0 + om.abs());
                    let bb = b + (k as f64 - 60.0) * 0.02 * (1.0 + b.abs());
                    best = best.min(f.phase1_objective(np, 0.6, kt, o, bb).0);
                }
            }
            assert!(
                sol.objective <= best + 1e-12,
                "n₊={np} κt={kt}: J {} vs grid {best}",
                sol.objective
            );
        }
    }

    #[test]
    fn phase1_gradient_matches_finite_differences() {
        let f = FiniteN {
            lambda_w: 0.3,
            ..fresh(20, 0.5)
        };
        for &(np, kt, om, b) in &[
            (14usize, 0.7, 0.9, 0.4),
            (5, 1.5, 0.3, -0.8),
            (10, 0.2, 2.5, 1.1),
        ] {
            let (_, g) = f.phase1_objective(np, 0.8, kt, om, b);
            let h = 1e-5;
            let fd0 = (f.phase1_objective(np, 0.8, kt, om + h, b).0
                - f.phase1_objective(np, 0.8, kt, om - h, b).0)
                / (2.0 * h);
            let fd1 = (f.phase1_objective(np, 0.8, kt, om, b + h).0
                - f.phase1_objective(np, 0.8, kt, om, b - h).0)
                / (2.0 * h);
            // FD error O(h²) plus quadrature floor 1e-10/h = 1e-5 (relative to J ~ n).
            assert!(
                (fd0 - g[0]).abs() < 1e-4 && (fd1 - g[1]).abs() < 1e-4,
                "{g:?} vs {fd0} {fd1}"
            );
        }
    }

    /// Largest phase-1 error (ω, b, m, √q) against §5.2 at n₊ = pn.
    fn phase1_err(p: f64, s2: f64, kappa: f64, t: f64, n: usize) -> f64 {
        let lim = dilated_limit(kappa, p, s2, t);
        let np = (p * n as f64).round() as usize;
        let pr = fresh(n, 1.0).predict_conditional(np, kappa, s2, t);
        let d = |a: Option<f64>, b: Option<f64>| (a.unwrap_or(f64::INFINITY) - b.unwrap()).abs();
        d(pr.omega, lim.omega)
            .max(d(pr.b, lim.b))
            .max(d(pr.m, lim.m))
            .max(d(pr.sqrt_q, lim.sqrt_q))
    }

    /// Over the whole domain: as n → ∞ with n₊/n = p (p a multiple of 1/20, n a multiple of
    /// 20, so n₊ = pn exactly), the phase-1 prediction approaches §5.2: the error must fall
    /// strictly from n = 400 to 1600 to 6400 to 25 600. No rate is claimed on this domain:
    /// with a weak signal (small κt) the approach is pre-asymptotic up to n ~ 10⁵, because
    /// the ridge λ_u competes with Σ e_i, which is small when the tanh is barely used.
    /// Measured (λ_u = 1, κt = 0.15, p = 0.5, identical for σ² = 0.2 and 3): m = 0.38, 0.49,
    /// 0.60, 0.73, 0.85, 0.94 and ω = 0.43, 0.33, 0.26, 0.21, 0.18, 0.16 (limit 1 and 0.15) at
    /// n = 400 · 4^j, j = 0..5; at κt = 0.5 the same n give m = 0.89, 0.96, 0.989, 0.997,
    /// 0.9993, 0.9998. (Earlier versions of this property demanded err(6400) < 0.1, then
    /// err(6400) ≤ err(400)/2; both were arbitrary and the weak-signal corners violate them.)
    /// The rate is checked where the asymptotics apply, in [`phase1_conditional_rate`].
    fn phase1_conditional_converges(p20: u8, s8: u8, k8: u8, t8: u8) -> TestResult {
        let p = (1 + p20 % 19) as f64 / 20.0;
        let s2 = 0.2 + 2.8 * (s8 as f64 / 255.0);
        let kappa = 0.5 + 2.5 * (k8 as f64 / 255.0);
        let t = 0.3 + 0.7 * (t8 as f64 / 255.0);
        let e: Vec<f64> = [400, 1600, 6400, 25_600]
            .iter()
            .map(|&n| phase1_err(p, s2, kappa, t, n))
            .collect();
        if !e.windows(2).all(|w| w[1] < w[0]) {
            return TestResult::error(format!(
                "p={p} σ²={s2} κ={kappa} t={t}: err at n = 400, 1600, 6400, 25600: {e:?}"
            ));
        }
        TestResult::passed()
    }

    /// In the asymptotic regime (κt ≥ 0.5, 0.2 ≤ p ≤ 0.8) the corrections are O(1/n)
    /// (σ²Σa²/n and λ_u/n terms of the per-sample objective), so the error must fall faster
    /// than 1/√n: err(1600)/err(6400) ≥ 2.5 (1/√n gives 2, 1/n gives 4).
    fn phase1_conditional_rate(p20: u8, s8: u8, k8: u8, t8: u8) -> TestResult {
        let p = (4 + p20 % 13) as f64 / 20.0;
        let s2 = 0.2 + 2.8 * (s8 as f64 / 255.0);
        let kappa = 1.0 + 2.0 * (k8 as f64 / 255.0);
        let t = 0.5 + 0.5 * (t8 as f64 / 255.0);
        let (e1, e2) = (
            phase1_err(p, s2, kappa, t, 1600),
            phase1_err(p, s2, kappa, t, 6400),
        );
        if e1 / e2 < 2.5 {
            return TestResult::error(format!(
                "p={p} σ²={s2} κ={kappa} t={t}: err(1600) {e1}, err(6400) {e2}, ratio {} < 2.5",
                e1 / e2
            ));
        }
        TestResult::passed()
    }

    #[test]
    fn finite_n_properties_hold_at_domain_corners() {
        // Deterministic companion of the two quickcheck properties: corners and centre.
        for p in [0u8, 9, 18] {
            for s in [0u8, 128, 255] {
                for k in [0u8, 128, 255] {
                    for t in [0u8, 128, 255] {
                        let r = phase1_conditional_converges(p, s, k, t);
                        assert!(!r.is_failure(), "converges {p} {s} {k} {t}: {r:?}");
                        let r = phase1_conditional_rate(p % 13, s, k, t);
                        assert!(!r.is_failure(), "rate {p} {s} {k} {t}: {r:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn phase1_finite_n_converges_to_limit() {
        QuickCheck::new()
            .tests(30)
            .quickcheck(phase1_conditional_converges as fn(u8, u8, u8, u8) -> TestResult);
    }

    #[test]
    fn phase1_finite_n_rate_is_faster_than_inverse_sqrt_n() {
        QuickCheck::new()
            .tests(30)
            .quickcheck(phase1_conditional_rate as fn(u8, u8, u8, u8) -> TestResult);
    }

    #[test]
    fn phase1_binomial_average_converges_to_limit() {
        // Averaging over n₊ adds the O(1/n) curvature bias of b(n₊) ≈ atanh(2n₊/n − 1);
        // the averaged error must shrink by ≥ 2.5× from n = 64 to n = 256 (rule as above).
        let (kappa, p, s2, t) = (2.0, 0.8, 1.0, 0.5);
        let lim = dilated_limit(kappa, p, s2, t);
        let err = |n: usize| {
            let pr = fresh(n, 1.0).predict_averaged(kappa, p, s2, t);
            (pr.omega.unwrap() - lim.omega.unwrap())
                .abs()
                .max((pr.b.unwrap() - lim.b.unwrap()).abs())
                .max((pr.m.unwrap() - lim.m.unwrap()).abs())
        };
        let (e1, e2) = (err(64), err(256));
        assert!(e1 / e2 >= 2.5, "err(64) {e1}, err(256) {e2}");
    }

    #[test]
    fn phase1_tiny_signal_balanced_signs_saturates() {
        // n₊ = n/2, κt = 0.05, λ_u = 1: a grid search finds nothing below J_sat (measured
        // while writing this test: the Newton run stalled at b ≈ 10.7 with J 3.5e-11 above the
        // grid's best, i.e. on the way to |b| → ∞).
        let f = FiniteN {
            lambda_w: 0.01,
            ..fresh(32, 1.0)
        };
        let sol = f.phase1_conditional(16, 0.6, 0.05);
        assert!(matches!(sol.stop, Phase1Stop::Saturated { .. }), "{sol:?}");
        assert!(sol.prediction.b.is_none() && sol.prediction.omega == Some(0.0));
        let j_sat = -(0.6 * 32.0) / 33.0;
        for i in 0..=60 {
            for k in 0..=60 {
                let (o, b) = (i as f64 * 0.05, -6.0 + k as f64 * 0.2);
                assert!(f.phase1_objective(16, 0.6, 0.05, o, b).0 >= j_sat - 1e-12);
            }
        }
    }

    #[test]
    fn phase1_at_t0_saturates_with_ridge() {
        let f = fresh(10, 1.0);
        let s = f.phase1_conditional(7, 1.0, 0.0);
        assert!(s.prediction.b.is_none());
        assert!((s.prediction.m.unwrap() - 4.0 / 11.0).abs() < 1e-15);
        assert!(
            fresh(10, 0.0)
                .phase1_conditional(7, 1.0, 0.0)
                .prediction
                .m
                .is_none()
        );
    }

    #[test]
    fn normal_rule_has_the_binomial_mean_and_variance() {
        for (n, p) in [(1500, 0.8), (10_000, 0.3), (1_000_000_000_000, 0.8)] {
            let r = normal_rule(n, p);
            assert!(r.len() <= 2 * NORMAL_RULE_NODES);
            let wsum: f64 = r.iter().map(|&(_, w)| w).sum();
            let mean: f64 = r.iter().map(|&(k, w)| w * k as f64).sum();
            let nf = n as f64;
            let var: f64 = r
                .iter()
                .map(|&(k, w)| w * (k as f64 - nf * p).powi(2))
                .sum();
            assert!((wsum - 1.0).abs() < 1e-12, "{wsum}");
            assert!((mean / (nf * p) - 1.0).abs() < 1e-12, "n {n}: mean {mean}");
            // linear interpolation adds at most 1/4 to the variance
            let v = nf * p * (1.0 - p);
            assert!(
                (var - v) >= -1e-6 * v && var - v <= 0.25 + 1e-6 * v,
                "{var} vs {v}"
            );
        }
    }

    #[test]
    fn normal_rule_matches_the_exact_sum() {
        // n = 2000, p = 0.8: 297 exact terms, just above NORMAL_RULE_TERMS; the averaged
        // phase-1 prediction from both rules (the bound of `normal_rule`: O(1/n²)).
        let (n, p, s2) = (2000, 0.8, 1.0);
        let f = fresh(n, 1.0);
        // κt = β√d = 1 at d = 1000 (the middle of phase 1 at κ = 2)
        let k = Kinematics::finite_d(0.999, 1.0 / 1000f64.sqrt(), 1000, s2);
        let at = |np: usize| {
            let pr = f.phase1_conditional_k(np, s2, k).prediction;
            [pr.m.unwrap(), pr.b.unwrap(), pr.omega.unwrap()]
        };
        // Declared allowance: the bound of `normal_rule`, max|f''|/8 (interpolation) +
        // |κ₃|/6·max|f'''| (skewness), with f'' and f''' from central differences over one
        // standard deviation around n·p, and 1.5× for the error of those estimates.
        let (c, h) = (1600, 18);
        let kappa3 = (n as f64 * p * (1.0 - p) * (1.0 - 2.0 * p)).abs();
        let pts: Vec<[f64; 3]> = (-2..=2).map(|i| at((c as i64 + i * h) as usize)).collect();
        let hf = h as f64;
        let tol: Vec<f64> = (0..3)
            .map(|j| {
                let f2 = (pts[3][j] - 2.0 * pts[2][j] + pts[1][j]) / (hf * hf);
                let f3 = (pts[4][j] - 2.0 * pts[3][j] + 2.0 * pts[1][j] - pts[0][j])
                    / (2.0 * hf * hf * hf);
                1.5 * (f2.abs() / 8.0 + kappa3 / 6.0 * f3.abs()) + 1e-12
            })
            .collect();
        let avg = |rule: Vec<(usize, f64)>| {
            let (mut m, mut b, mut o, mut ws) = (0.0, 0.0, 0.0, 0.0);
            for (np, w) in rule {
                let pr = f.phase1_conditional_k(np, s2, k).prediction;
                m += w * pr.m.unwrap();
                b += w * pr.b.unwrap();
                o += w * pr.omega.unwrap();
                ws += w;
            }
            [m / ws, b / ws, o / ws]
        };
        assert!(crate::budget::binomial_terms(n, p) > NORMAL_RULE_TERMS as f64);
        let (exact, normal) = (avg(exact_rule(n, p)), avg(normal_rule(n, p)));
        for j in 0..3 {
            let err = (exact[j] - normal[j]).abs();
            assert!(
                err <= tol[j],
                "key {j}: exact {exact:?} normal {normal:?}, tol {tol:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_finite_n() {
        assert!(fresh(0, 1.0).validate().is_err());
        assert!(fresh(3, -1.0).validate().is_err());
        assert!(fresh(3, f64::NAN).validate().is_err());
    }
}
