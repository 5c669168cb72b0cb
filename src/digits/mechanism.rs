//! What the network learns and how samples are drawn (issue 13): the path with its training
//! target, and the sampler (probability-flow ODE or reverse SDE), in **flow time** t
//! (t = 0 noise, t = 1 data), the crate's convention ([`crate::path`]). The authors'
//! diffusion time is s = 1 − t.
//!
//! Two mechanisms, on the crate's [`Path`] trait, x_t = α(t)·ε + β(t)·x₁ with ε ~ N(0, I):
//! - [`Mechanism::Linear`] (issue 8): α = 1 − t, β = t ([`crate::path::Linear`]); the
//!   network predicts the velocity x₁ − ε.
//! - [`Mechanism::Vp`] (the authors' `mnist/main.ipynb`): the DDPM variance-preserving path
//!   [`Ddpm`], b(s) = exp(−(β_min·s + (β_max − β_min)·s²/2)/2), β(t) = b(1 − t),
//!   α = √(1 − β²), with β_min = 0.1, β_max = 20; the network predicts the noise ε.
//!
//! From either output the sampler forms the noise estimate ε̂ and the velocity
//! v = (β̇/β)·x + (α̇ − β̇·α/β)·ε̂ (for Linear v is the output itself and ε̂ = x − t·v).
//! The reverse SDE with the forward diffusion's g² = 2α(α·β̇/β − α̇) (= β_min + (β_max −
//! β_min)s on the DDPM path, the authors' choice) is
//! dx = [v − ½g²·ε̂/α] dt + g dW, integrated by Euler–Maruyama; the ODE is dx = v dt by
//! Euler. On the linear path g² = 2(1 − t)/t diverges at t = 0, so its reverse SDE is not
//! offered ([`Sampling::validate`]).

use super::data::PIXELS;
use super::net::{Mlp, Workspace};
use crate::path::{Linear, Path, PathKind, PhaseSide};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// β_min of the authors' DDPM schedule (`m = .1` in their notebook).
pub const BETA_MIN: f64 = 0.1;
/// β_max of the authors' DDPM schedule (`M = 20`).
pub const BETA_MAX: f64 = 20.0;

/// The DDPM variance-preserving path in flow time (module doc). β(0) = b(1) = e^{−5.025}
/// ≈ 0.0066, not 0: like the authors', sampling starts from N(0, I), which is the path's
/// marginal at t = 0 up to that residual signal weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ddpm {
    /// β_min.
    pub beta_min: f64,
    /// β_max.
    pub beta_max: f64,
}

impl Default for Ddpm {
    fn default() -> Self {
        Ddpm {
            beta_min: BETA_MIN,
            beta_max: BETA_MAX,
        }
    }
}

impl Ddpm {
    /// b(s) at diffusion time s.
    fn b(&self, s: f64) -> f64 {
        (-(self.beta_min * s + (self.beta_max - self.beta_min) * s * s / 2.0) / 2.0).exp()
    }
    /// The DDPM rate β_min + (β_max − β_min)·s at diffusion time s = 1 − t.
    pub fn rate(&self, s: f64) -> f64 {
        self.beta_min + (self.beta_max - self.beta_min) * s
    }
}

impl Path for Ddpm {
    fn name(&self) -> &'static str {
        DdpmSpec::NAME
    }
    fn alpha(&self, t: f64) -> f64 {
        let b = self.beta(t);
        (1.0 - b * b).max(0.0).sqrt()
    }
    fn beta(&self, t: f64) -> f64 {
        self.b(1.0 - t)
    }
    /// −β·β̇/α: diverges at t = 1, which no sampler step evaluates.
    fn alpha_prime(&self, t: f64) -> f64 {
        -self.beta(t) * self.beta_prime(t) / self.alpha(t)
    }
    /// β̇ = −b′(s) = (rate(s)/2)·b(s).
    fn beta_prime(&self, t: f64) -> f64 {
        let s = 1.0 - t;
        self.rate(s) / 2.0 * self.b(s)
    }
    fn phase_side(&self) -> PhaseSide {
        PhaseSide::Start
    }
}

/// Parameters of the DDPM path (the authors' constants). Not in the crate's path registry:
/// β(0) ≠ 0, and the Gaussian-mixture theory has no use for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DdpmSpec {}

impl PathKind for DdpmSpec {
    const NAME: &'static str = "ddpm";
    fn build(&self, _d: usize) -> Box<dyn Path> {
        Box::new(Ddpm::default())
    }
}

crate::choice::choice_enum! {
    /// Path and training target (module doc).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Mechanism {
        "linear", "Linear path, velocity target (issue 8)." =>
            Linear,
        "vp", "DDPM variance-preserving path, noise target (the authors')." =>
            #[default]
            Vp,
    }
}

impl Mechanism {
    /// The path (α, β) of this mechanism.
    pub fn path(&self) -> &'static dyn Path {
        static LINEAR: Linear = Linear;
        static DDPM: Ddpm = Ddpm {
            beta_min: BETA_MIN,
            beta_max: BETA_MAX,
        };
        match self {
            Mechanism::Linear => &LINEAR,
            Mechanism::Vp => &DDPM,
        }
    }

    /// Short name.
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::Linear => "linear/velocity",
            Mechanism::Vp => "ddpm-vp/noise",
        }
    }

    /// The noised input x_t = α ε + β x₁ into `x` and the regression target into `y`.
    pub fn noised(&self, t: f32, x1: &[f32], eps: &[f32], x: &mut [f32], y: &mut [f32]) {
        let p = self.path();
        let (a, b) = (p.alpha(t as f64) as f32, p.beta(t as f64) as f32);
        for j in 0..x1.len() {
            x[j] = a * eps[j] + b * x1[j];
            y[j] = match self {
                Mechanism::Linear => x1[j] - eps[j],
                Mechanism::Vp => eps[j],
            };
        }
    }

    /// From the network output `out` at (t, x): the velocity into `v` and the noise
    /// estimate ε̂ into `eps`.
    pub fn velocity(&self, t: f32, x: &[f32], out: &[f32], v: &mut [f32], eps: &mut [f32]) {
        match self {
            Mechanism::Linear => {
                for j in 0..x.len() {
                    v[j] = out[j];
                    eps[j] = x[j] - t * out[j];
                }
            }
            Mechanism::Vp => {
                let p = self.path();
                let t64 = t as f64;
                let (a, b) = (p.alpha(t64), p.beta(t64));
                let (ad, bd) = (p.alpha_prime(t64), p.beta_prime(t64));
                let cx = (bd / b) as f32;
                let ce = (ad - bd * a / b) as f32;
                for j in 0..x.len() {
                    eps[j] = out[j];
                    v[j] = cx * x[j] + ce * out[j];
                }
            }
        }
    }

    /// g²(t) = 2α(α·β̇/β − α̇), the forward diffusion's squared coefficient.
    pub fn g2(&self, t: f64) -> f64 {
        let p = self.path();
        let (a, b) = (p.alpha(t), p.beta(t));
        2.0 * a * (a * p.beta_prime(t) / b - p.alpha_prime(t))
    }
}

crate::choice::choice_enum! {
    /// The sampler's solver.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Solver {
        "ode", "Probability-flow ODE, explicit Euler." =>
            Ode,
        "sde", "Reverse SDE, Euler–Maruyama (the authors')." =>
            #[default]
            Sde,
    }
}

/// How samples are drawn from a trained network: mechanism, solver and steps over [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sampling {
    /// Path and target the network was trained with.
    pub mechanism: Mechanism,
    /// ODE or SDE.
    pub solver: Solver,
    /// Steps over [0, 1] (a start t₀ takes ⌈(1 − t₀)·steps⌉ equal steps).
    pub steps: usize,
}

impl Sampling {
    /// Today's sampler: linear path, Euler ODE.
    pub fn linear_ode(steps: usize) -> Self {
        Sampling {
            mechanism: Mechanism::Linear,
            solver: Solver::Ode,
            steps,
        }
    }

    /// Check the combination.
    ///
    /// # Errors
    /// [`crate::problem::ConfigError`] naming `solver` (the linear path has no reverse SDE
    /// from t = 0) or `sde-steps`.
    pub fn validate(&self) -> Result<(), crate::problem::ConfigError> {
        crate::problem::at_least_one("sde-steps", self.steps)?;
        if self.mechanism == Mechanism::Linear && self.solver == Solver::Sde {
            return Err(crate::problem::ConfigError::Invalid {
                field: "solver",
                rule: "the reverse SDE needs the vp mechanism (on the linear path g² = \
                       2(1 − t)/t diverges at t = 0); use --solver ode"
                    .into(),
            });
        }
        Ok(())
    }

    /// Integrate from `t0` to 1 in place. The SDE draws its Brownian increments from `rng`
    /// (the ODE draws nothing).
    pub fn integrate<R: Rng>(
        &self,
        net: &Mlp,
        x: &mut [f32],
        t0: f32,
        rng: &mut R,
        ws: &mut Workspace,
    ) {
        let n = ((1.0 - t0) * self.steps as f32).ceil().max(0.0) as usize;
        if n == 0 {
            return;
        }
        let h = (1.0 - t0) / n as f32;
        let mut out = [0f32; PIXELS];
        let mut v = [0f32; PIXELS];
        let mut eps = [0f32; PIXELS];
        for k in 0..n {
            let t = t0 + k as f32 * h;
            net.forward(t, x, ws, &mut out);
            self.mechanism.velocity(t, x, &out, &mut v, &mut eps);
            match self.solver {
                Solver::Ode => {
                    for (xi, vi) in x.iter_mut().zip(&v) {
                        *xi += h * vi;
                    }
                }
                Solver::Sde => {
                    let t64 = t as f64;
                    let g2 = self.mechanism.g2(t64);
                    let ce = (0.5 * g2 / self.mechanism.path().alpha(t64)) as f32;
                    let sd = ((g2 * h as f64).sqrt()) as f32;
                    for j in 0..x.len() {
                        let z: f32 = rng.sample(StandardNormal);
                        x[j] += h * (v[j] - ce * eps[j]) + sd * z;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddpm_matches_the_authors_formulas() {
        // Their notebook: tau(t) = exp(-(t m + t² (M − m)/2)/2), b = tau, a = √(1 − tau²),
        // bp = −(m + (M − m)t)/2·tau, ap = −tau/a·bp, in diffusion time t = s.
        let p = Ddpm::default();
        for i in 1..20 {
            let s = i as f64 / 20.0;
            let tau = (-(s * 0.1 + s * s * 19.9 / 2.0) / 2.0f64).exp();
            let bp = -(0.1 + 19.9 * s) / 2.0 * tau;
            let a = (1.0 - tau * tau).sqrt();
            let ap = -tau / a * bp;
            let t = 1.0 - s;
            assert!((p.beta(t) - tau).abs() < 1e-14);
            assert!((p.alpha(t) - a).abs() < 1e-14);
            // d/dt = −d/ds.
            assert!((p.beta_prime(t) + bp).abs() < 1e-12);
            assert!((p.alpha_prime(t) + ap).abs() < 1e-12);
            assert!((Mechanism::Vp.g2(t) - (0.1 + 19.9 * s)).abs() < 1e-9);
        }
    }

    #[test]
    fn vp_velocity_is_the_paths_derivative() {
        // With the true noise as ε̂, v must equal α̇ ε + β̇ x₁.
        let m = Mechanism::Vp;
        let p = m.path();
        let (x1, eps) = ([0.3f32, -0.7], [1.1f32, 0.4]);
        let t = 0.55f32;
        let (mut x, mut y) = ([0f32; 2], [0f32; 2]);
        m.noised(t, &x1, &eps, &mut x, &mut y);
        let (mut v, mut e) = ([0f32; 2], [0f32; 2]);
        m.velocity(t, &x, &y, &mut v, &mut e);
        for j in 0..2 {
            let want = p.alpha_prime(0.55) * eps[j] as f64 + p.beta_prime(0.55) * x1[j] as f64;
            assert!((v[j] as f64 - want).abs() < 1e-4, "{} vs {want}", v[j]);
        }
        // Linear: ε̂ = x − t v recovers the noise from the velocity target.
        let l = Mechanism::Linear;
        l.noised(t, &x1, &eps, &mut x, &mut y);
        l.velocity(t, &x, &y, &mut v, &mut e);
        for j in 0..2 {
            assert!((e[j] - eps[j]).abs() < 1e-5);
        }
    }

    #[test]
    fn linear_sde_is_rejected_naming_solver() {
        let s = Sampling {
            mechanism: Mechanism::Linear,
            solver: Solver::Sde,
            steps: 10,
        };
        assert!(s.validate().unwrap_err().to_string().contains("solver"));
    }
}
