//! The averaged engine (SPEC §4, engine 2): deterministic training on the exact
//! noise-averaged objective, in the span of the data, d-independent per iteration.
//!
//! R_k(θ) = (1/d)·[ Σ_i E_{x0} |f_k(α x0 + β x1^i) − x1^i|² + λ_u|u|² + λ_w|w|² ]
//! with the x0-expectation in closed form up to the 1-D Gaussian moments of
//! [`crate::quadrature::tanh_moments`] (formula in [`objective`]).
//!
//! # Why working in the span of the data is exact
//! Every term of R_k depends on u and w only through |u|², |w|², u·w, u·x1^i and w·x1^i
//! (fresh noise) or u·x_t^i, w·x_t^i (fixed noise). Hence ∇_u R and ∇_w R are linear
//! combinations of the x1^i (resp. x1^i, x0^i) and of u and w themselves. A trajectory that
//! starts in the span S of the data never leaves it, and the minimiser over ℝ^d restricted to
//! S is a stationary point over ℝ^d. After the Gram matrix G = Z Zᵀ (O(n²d), once per run,
//! shared by all grid times because S does not depend on t) [`span::Span`] gives r ≤ n
//! orthonormal coordinates in which every evaluation is O(n·r) ≤ O(n²), independent of d.
//!
//! The component of an initial point outside S stays on its own line: if w₀ = w_S + w_⊥, the
//! gradient along w_⊥ is (γα²/d + 2λ_w)·w_⊥ + (2cα²E/√d)·u_⊥ (times 1/d), and u_⊥ ∝ w_⊥ at
//! the eliminated optimum. It carries no signal (w_⊥·x1^i = 0): it only adds isotropic noise
//! α|w_⊥|/√d to the pre-activation and a ridge cost λ_w|w_⊥|², so with a ridge it is driven
//! down, never up. Rather than track that one extra coordinate, this engine starts **inside**
//! S (a data-driven start, see `initial_direction`), where the computation is exact; the
//! random initial point of the sgd engine is not used (the minimiser does not depend on it).
//!
//! # Conditioning: variable projection
//! For fixed (w, b), R_k is quadratic in (c, u) with u-Hessian a multiple of the identity,
//! so (c, u) are eliminated in closed form ([`objective`]) and L-BFGS (argmin, More–Thuente
//! line search, memory [`LBFGS_MEMORY`]) runs on the reduced objective in (ŵ, b) with
//! ŵ = w/√d (so that |ŵ|² is the overlap r). Per-sample scaling: the solver minimises R_k/n.
//!
//! # Convergence
//! A step converges when the Euclidean norm of ∇_{(ŵ,b)} R_k/n is ≤ [`Averaged::tol_grad`]
//! (default [`TOL_GRAD`]). The solver stops after [`Averaged::max_iters`] L-BFGS iterations
//! otherwise (reported as `Stop::IterationCap`, JSON `"converged": false`). A failed line
//! search (at the floating-point floor, or a non-descent direction) restarts L-BFGS from the
//! best point with an empty memory; restarts share the iteration budget, and a restart that
//! makes no progress ends the step, reported by the gradient criterion like any other stop.
//!
//! # Phase 2, λ_w → 0 and the saddle w = 0
//! In phase 2 the tanh saturates and the optimum |w| grows without bound as λ_w → 0 (SPEC
//! §4); the objective is nearly flat along |w| there. With variable projection L-BFGS still
//! converges in at most 22 iterations per step in phase 1 and 4–193 in phase 2 (measured,
//! K = 40 dilated grid: d = 1000, n = 128, λ = 0.01: ≤ 51; d = 100 000, n = 256, λ = 0.01:
//! ≤ 126; λ = 1e-3: ≤ 193).
//! w = 0, b = 0 is a stationary point of every R_k (sign symmetry); a solve that collapses
//! onto it is probed and restarted (`escape_symmetric_saddle`).

pub mod objective;
/// The span coordinates now live with the dense kernels ([`crate::linalg::span`]).
pub use crate::linalg::span;

use super::{Engine, Problem, StepRecord, Stop, TrainError, Trained, assemble};
use crate::denoiser::StepParams;
use crate::rng::{Purpose, stream};
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use objective::{StepObjective, StepScalars};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use span::{Span, dot};
use std::cell::RefCell;

/// Default gradient-norm tolerance on R_k/n in (ŵ, b).
/// Measured (d = 500, n = 128, K = 20, λ = 0.01): the overlaps at 1e-7 agree with a
/// best-effort 1e-9 solve to 1.4e-4 (max over the six overlaps and t > 0), far below the
/// statistical tolerances of the checks; at 1e-9, 6 of 20 steps stall at the floating-point
/// floor of a sum of n terms and hit the cap, so tighter is not useful.
pub const TOL_GRAD: f64 = 1e-7;
/// Default L-BFGS iteration cap per grid time.
pub const MAX_ITERS: u64 = 2000;
/// L-BFGS memory.
pub const LBFGS_MEMORY: usize = 10;

/// Noise convention of the objective (SPEC §5.3), defined with the problem.
pub use crate::problem::Noise;

/// The averaged engine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Averaged {
    /// Noise convention. Default fresh.
    pub noise: Noise,
    /// Gradient-norm tolerance on R_k/n in (ŵ = w/√d, b). Default [`TOL_GRAD`].
    /// Smaller: more precise overlaps, more iterations.
    pub tol_grad: f64,
    /// L-BFGS iterations per grid time before giving up. Default [`MAX_ITERS`].
    pub max_iters: u64,
}

impl Default for Averaged {
    fn default() -> Self {
        Self {
            noise: Noise::Fresh,
            tol_grad: TOL_GRAD,
            max_iters: MAX_ITERS,
        }
    }
}

/// (θ, value, gradient) of the last evaluation.
type Cached = (Vec<f64>, f64, Vec<f64>);

/// What the solver sees: θ = (ŵ, b) ↦ R_k/n, with the last evaluation cached (argmin asks
/// for cost and gradient separately at the same point) and the best point kept.
struct Reduced<'a> {
    obj: &'a StepObjective,
    sqrt_d: f64,
    inv_n: f64,
    cache: RefCell<Option<Cached>>,
    best: RefCell<Option<(f64, Vec<f64>)>>,
    /// Objective evaluations (cache misses): an upper bound on L-BFGS iterations.
    evals: std::cell::Cell<u64>,
}

impl Reduced<'_> {
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        if let Some((p, v, g)) = self.cache.borrow().as_ref() {
            if p.as_slice() == theta {
                return (*v, g.clone());
            }
        }
        self.evals.set(self.evals.get() + 1);
        let r = theta.len() - 1;
        let w: Vec<f64> = theta[..r].iter().map(|v| v * self.sqrt_d).collect();
        let red = self.obj.reduced(&w, theta[r]);
        let value = red.value * self.inv_n;
        let mut g: Vec<f64> = red
            .grad_w
            .iter()
            .map(|v| v * self.sqrt_d * self.inv_n)
            .collect();
        g.push(red.grad_b * self.inv_n);
        if value.is_finite() && self.best.borrow().as_ref().is_none_or(|(b, _)| value < *b) {
            *self.best.borrow_mut() = Some((value, theta.to_vec()));
        }
        *self.cache.borrow_mut() = Some((theta.to_vec(), value, g.clone()));
        (value, g)
    }
}

/// argmin takes the problem by value; the handle lets the best point outlive the run.
struct Handle<'p, 'a>(&'p Reduced<'a>);

impl CostFunction for Handle<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.0.eval(p).0)
    }
}

impl Gradient for Handle<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.0.eval(p).1)
    }
}

/// Outcome of minimising one reduced objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// w (coordinates).
    pub w: Vec<f64>,
    /// b.
    pub b: f64,
    /// c*(w, b).
    pub c: f64,
    /// u*(w, b) (coordinates).
    pub u: Vec<f64>,
    /// R_k at the solution.
    pub loss: f64,
    /// Final gradient norm of R_k/n in (ŵ, b).
    pub grad_norm: f64,
    /// L-BFGS iterations used (all restarts).
    pub iterations: u64,
    /// Whether the gradient criterion holds.
    pub converged: bool,
}

impl Averaged {
    /// Minimise the reduced objective from θ₀ = (ŵ₀, b₀).
    pub fn solve(&self, obj: &StepObjective, theta0: Vec<f64>) -> Solution {
        let d = obj.scalars().d;
        let prob = Reduced {
            obj,
            sqrt_d: d.sqrt(),
            inv_n: 1.0 / obj.n() as f64,
            cache: RefCell::new(None),
            best: RefCell::new(None),
            evals: std::cell::Cell::new(0),
        };
        let mut theta = theta0;
        let mut iterations = 0u64;
        let g0 = prob.eval(&theta).1;
        let mut grad_norm = dot(&g0, &g0).sqrt();
        while grad_norm > self.tol_grad && iterations < self.max_iters {
            let budget = self.max_iters - iterations;
            let solver = LBFGS::new(MoreThuenteLineSearch::new(), LBFGS_MEMORY)
                .with_tolerance_grad(self.tol_grad)
                .and_then(|s| s.with_tolerance_cost(0.0))
                .expect("tolerances are non-negative");
            let start = theta.clone();
            let evals_before = prob.evals.get();
            let res = Executor::new(Handle(&prob), solver)
                .configure(|s| s.param(start).max_iters(budget))
                .timer(false)
                .run();
            let used = match &res {
                Ok(r) => r.state().get_iter(),
                // A failed line search loses argmin's state: charge the run's objective
                // evaluations, an upper bound on its iterations, so that repeated failures
                // exhaust the budget rather than loop.
                Err(_) => prob.evals.get() - evals_before,
            };
            iterations += used.max(1);
            let best = prob.best.borrow().as_ref().map(|(_, p)| p.clone());
            let next = best.unwrap_or_else(|| theta.clone());
            let g = prob.eval(&next).1;
            let new_norm = dot(&g, &g).sqrt();
            let stalled = res.is_err() && next == theta;
            theta = next;
            grad_norm = new_norm;
            if stalled {
                break;
            }
        }
        let r = theta.len() - 1;
        let w: Vec<f64> = theta[..r].iter().map(|v| v * prob.sqrt_d).collect();
        let red = obj.reduced(&w, theta[r]);
        Solution {
            loss: red.value,
            c: red.c,
            u: red.u,
            b: theta[r],
            w,
            grad_norm,
            iterations,
            converged: grad_norm <= self.tol_grad,
        }
    }

    /// w = 0 (with b = 0) is a stationary point of every R_k by the sign symmetry, so a
    /// solver can end there although it is a saddle (observed in phase 2 from a poor start).
    /// If the solution has collapsed (|ŵ| < 1e-6), probe ŵ = 0.5·dir: if that is lower,
    /// solve again from it and keep the better result. At β = 0 (t = 0) w carries only
    /// noise, w = 0 is the true minimiser and the probe is rejected.
    fn escape_symmetric_saddle(&self, obj: &StepObjective, dir: &[f64], sol: Solution) -> Solution {
        let sqrt_d = obj.scalars().d.sqrt();
        if dot(&sol.w, &sol.w).sqrt() / sqrt_d >= 1e-6 {
            return sol;
        }
        let mut theta: Vec<f64> = dir.iter().map(|x| 0.5 * x).collect();
        theta.push(sol.b);
        let w: Vec<f64> = theta[..dir.len()].iter().map(|x| x * sqrt_d).collect();
        if obj.reduced(&w, sol.b).value >= sol.loss {
            return sol;
        }
        let again = self.solve(obj, theta);
        if again.loss < sol.loss {
            Solution {
                iterations: sol.iterations + again.iterations,
                ..again
            }
        } else {
            sol
        }
    }

    /// A data-driven starting point inside the span: ŵ along the top principal direction
    /// of the uncentred data (≈ ±μ, the spike of X Xᵀ; 60 power iterations from a random
    /// vector of stream (seed, replica, Init, 0)), scaled to the Bayes overlap ω = √d·β/v of
    /// SPEC §5.1 with σ² estimated as mean|x1|²/d − 1 (|μ|² = d, SPEC §1), and b = 0.
    /// Only the starting point: the result is the minimiser whatever the start.
    fn initial_direction(pb: &Problem<'_>, span: &Span, n: usize) -> (Vec<f64>, f64) {
        let r = span.r();
        let mut rng = stream(pb.seed, pb.replica, Purpose::Init, 0);
        let mut v: Vec<f64> = (0..r).map(|_| rng.sample(StandardNormal)).collect();
        for _ in 0..60 {
            let mut nv = vec![0.0; r];
            for i in 0..n {
                let y = span.coord(i);
                let s = dot(y, &v);
                for (a, &b) in nv.iter_mut().zip(y) {
                    *a += s * b;
                }
            }
            let norm = dot(&nv, &nv).sqrt();
            if norm.is_nan() || norm <= 0.0 {
                break;
            }
            v = nv.into_iter().map(|a| a / norm).collect();
        }
        let mean_sq = (0..n)
            .map(|i| dot(span.coord(i), span.coord(i)))
            .sum::<f64>()
            / (n as f64 * pb.data.d as f64);
        (v, (mean_sq - 1.0).max(1e-3))
    }

    /// The span of the training problem and, for fixed noise, the matrix Z = [X1; X0] it was
    /// built from (empty for fresh noise, where Z is the data itself).
    fn build_span(&self, pb: &Problem<'_>) -> (Span, Vec<f64>) {
        let data = pb.data;
        let (n, d) = (data.n, data.d);
        match self.noise {
            Noise::Fresh => (Span::new(&data.x, n, d), Vec::new()),
            Noise::Fixed => {
                let mut z = Vec::with_capacity(2 * n * d);
                z.extend_from_slice(&data.x);
                let mut rng = stream(pb.seed, pb.replica, Purpose::FixedNoise, 0);
                z.extend((0..n * d).map(|_| rng.sample::<f64, _>(StandardNormal)));
                let s = Span::new(&z, 2 * n, d);
                (s, z)
            }
        }
    }

    /// The objective of grid time k in span coordinates.
    pub fn step_objective(&self, pb: &Problem<'_>, span: &Span, k: usize) -> StepObjective {
        let n = pb.data.n;
        let t = pb.grid[k];
        let sc = StepScalars {
            alpha: pb.schedule.alpha(t),
            beta: pb.schedule.beta(t),
            d: pb.data.d as f64,
            lambda_u: pb.lambda_u,
            lambda_w: pb.lambda_w,
        };
        let x1: Vec<f64> = (0..n).flat_map(|i| span.coord(i).to_vec()).collect();
        match self.noise {
            Noise::Fresh => StepObjective::fresh(sc, x1, span.r()),
            Noise::Fixed => {
                let x0: Vec<f64> = (n..2 * n).flat_map(|i| span.coord(i).to_vec()).collect();
                StepObjective::fixed(sc, x1, &x0, span.r())
            }
        }
    }
}

impl Engine for Averaged {
    fn name(&self) -> &'static str {
        "averaged"
    }

    /// Train every grid time: one Gram matrix for the run, then one reduced L-BFGS per
    /// grid time (in parallel, collected in step order), then u, w mapped back to ℝ^d.
    fn train(&self, pb: &Problem<'_>) -> Result<Trained, TrainError> {
        let (n, d) = (pb.data.n, pb.data.d);
        let (span, z_fixed) = self.build_span(pb);
        let z: &[f64] = match self.noise {
            Noise::Fresh => &pb.data.x,
            Noise::Fixed => &z_fixed,
        };
        let (dir, sigma2_hat) = Self::initial_direction(pb, &span, n);
        let sols: Vec<Solution> = (0..pb.grid.len())
            .into_par_iter()
            .map(|k| {
                let obj = self.step_objective(pb, &span, k);
                let sc = obj.scalars();
                let v = sc.alpha * sc.alpha + sc.beta * sc.beta * sigma2_hat;
                // Bayes ω, capped so that the signal part of the pre-activation, ≈ β√d·ω,
                // starts at most at 4: the uncapped Bayes |w| ~ dβ/v costs a ridge λ_w·r of
                // order d in phase 2, and from there L-BFGS collapses onto the saddle w = 0.
                let bsd = sc.beta * sc.d.sqrt();
                let omega = (bsd / v).min(4.0 / bsd.max(1e-300)).max(0.1);
                let mut theta0: Vec<f64> = dir.iter().map(|x| x * omega).collect();
                theta0.push(0.0);
                let sol = self.solve(&obj, theta0);
                self.escape_symmetric_saddle(&obj, &dir, sol)
            })
            .collect();
        let mut per_step = Vec::with_capacity(sols.len());
        let vecs: Vec<&[f64]> = sols
            .iter()
            .flat_map(|s| [s.u.as_slice(), s.w.as_slice()])
            .collect();
        let full = span.embed_many(z, &vecs);
        for (k, s) in sols.iter().enumerate() {
            let finite = s.loss.is_finite()
                && s.c.is_finite()
                && s.b.is_finite()
                && s.u.iter().chain(&s.w).all(|v| v.is_finite());
            if !finite {
                per_step.push(Err(TrainError::NonFinite {
                    step: k,
                    t: pb.grid[k],
                    epoch: s.iterations as usize,
                }));
                continue;
            }
            let (u, w) = (&full[2 * k], &full[2 * k + 1]);
            debug_assert_eq!(u.len(), d);
            let stop = if s.converged {
                Stop::Converged {
                    iterations: s.iterations as usize,
                }
            } else {
                Stop::IterationCap {
                    iterations: s.iterations as usize,
                }
            };
            per_step.push(Ok((
                StepParams::from_parts(s.c, u, w, s.b),
                StepRecord { stop, loss: s.loss },
            )));
        }
        assemble(pb.grid, per_step)
    }
}

impl super::EngineSpec for Averaged {
    const NAME: &'static str = "averaged";
    fn check(&self) -> Result<(), crate::problem::ConfigError> {
        crate::problem::positive_finite("tol-grad", self.tol_grad)?;
        crate::problem::at_least_one("max-iters", self.max_iters as usize)
    }
    fn noise(&self) -> Noise {
        self.noise
    }
    /// Gradient-norm convergence: 0.005 (declared a priori).
    fn optimisation_budget(&self) -> f64 {
        0.005
    }
    /// The averaged engine is meant for large d: generate in the span of the denoiser's
    /// vectors (same law, O(K·r) per sample instead of O(K·d)).
    fn default_sampler(&self) -> crate::flow::Sampler {
        crate::flow::Sampler::Span
    }
    /// The span of m = n (fresh) or 2n (fixed: Z = [X1; X0] is built, m·d) vectors: its
    /// Gram matrix and pivoted Cholesky factor (2m²), the coordinates (m·r, r = min(m, d));
    /// per grid time solved at once its objective's coordinates (m·r); the solutions mapped
    /// back to ℝ^d (2K·d) and the K parameter sets.
    fn memory(&self, shape: &super::Shape) -> crate::budget::Cost {
        let (n, d, k) = (shape.n as f64, shape.d as f64, shape.steps as f64);
        let m = match self.noise {
            Noise::Fresh => n,
            Noise::Fixed => 2.0 * n,
        };
        let r = m.min(d);
        let mut c = crate::budget::Cost::default();
        if self.noise == Noise::Fixed {
            c.add(
                "fixed noise Z = [X1; X0], 2n·d·8 B",
                m * d * 8.0,
                &[shape.n(), shape.d()],
            );
        }
        c.add(
            "averaged engine Gram matrix and Cholesky factor, 2·m²·8 B (m = n, or 2n for fixed noise)",
            2.0 * m * m * 8.0,
            &[shape.n()],
        );
        c.add(
            "averaged engine span coordinates, m·min(m, d)·8 B per grid time solved at once",
            (1.0 + shape.concurrent_steps as f64) * m * r * 8.0,
            &[shape.n(), shape.d()],
        );
        c.add(
            "averaged engine solutions mapped back to ℝ^d, 2K·d·8 B",
            2.0 * k * d * 8.0,
            &[shape.steps(), shape.d()],
        );
        shape.parameters(&mut c);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::Mixture;
    use crate::schedule::ScheduleSpec;

    /// Regression for the collapse onto the symmetric saddle w = 0 seen in phase 2
    /// (d = 1000, n = 128, t = 1.6 of a K = 20 dilated grid) from the uncapped Bayes start
    /// ω₀ = √d·β/v ≈ 37: the plain solve collapses, the probe recovers a lower objective.
    #[test]
    fn saddle_at_w_zero_is_escaped() {
        let d = 1000;
        let mix = Mixture::ones(0.8, 1.0, d).unwrap();
        let data = mix.sample(128, &mut stream(0, 0, Purpose::Data, 0));
        let schedule = ScheduleSpec::dilated(2.0).build(d).unwrap();
        let grid = [1.6];
        let pb = Problem {
            schedule: schedule.as_ref(),
            grid: &grid,
            data: &data,
            lambda_u: 0.01,
            lambda_w: 0.01,
            seed: 0,
            replica: 0,
        };
        let eng = Averaged::default();
        let (span, _) = eng.build_span(&pb);
        let (dir, _) = Averaged::initial_direction(&pb, &span, 128);
        let obj = eng.step_objective(&pb, &span, 0);
        let mut theta0: Vec<f64> = dir.iter().map(|x| 37.0 * x).collect();
        theta0.push(0.0);
        let plain = eng.solve(&obj, theta0);
        let collapsed = dot(&plain.w, &plain.w).sqrt() / (d as f64).sqrt() < 1e-6;
        let fixed = eng.escape_symmetric_saddle(&obj, &dir, plain.clone());
        assert!(
            collapsed,
            "the regression start no longer collapses: update the test"
        );
        assert!(
            fixed.loss < plain.loss - 1.0,
            "{} vs {}",
            fixed.loss,
            plain.loss
        );
        assert!(fixed.converged);
        assert!(dot(&fixed.w, &fixed.w) > 0.0);
        // And the engine itself (capped start) lands on the same minimum.
        let tr = eng.train(&pb).unwrap();
        assert!((tr.records[0].loss - fixed.loss).abs() < 1e-6 * fixed.loss);
    }
}
