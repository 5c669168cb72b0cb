//! The `phaseflow theory` document: a configuration and every prediction on its grid.
//!
//! JSON (keys sorted, `null` where the theory gives no finite value):
//! `{"schema_version", "crate_version", "generator", "config":{...},
//!   "steps":[{"t","tau","alpha","beta","bayes":{"c","m","omega","b","sqrt_q","sqrt_r","mse"},
//!             "limit":{...same keys...} | null, "finite_n":{...same keys...}}, ...],
//!   "generated_euler":{"p_hat","var_perp"} | null}`.
//! `limit` is `null` unless the schedule has phases on a path with α(0) = 1 (the dilated
//! warp on the linear, vp or cosine path); `finite_n` appears only when `config.n` is set
//! and the schedule has such phases (§5.3 is a d → ∞ theory of them); fixtures under
//! `fixtures/theory/` are this document verbatim.

use super::{FiniteN, Noise, StepPrediction, Theory, euler::EulerPrediction};
use crate::flow::Endpoint;
use crate::path::PathSpec;
use crate::problem::ConfigError;
use crate::schedule::ScheduleSpec;
use serde::{Deserialize, Serialize};

/// Version of the theory JSON schema; bumped on any incompatible change (fixtures must be
/// regenerated with `scripts/regenerate-fixtures.sh`). 2: `config.path` (the interpolant
/// path beside the warp `config.schedule`) and `config.endpoint` (where the Euler
/// prediction `generated_euler` stops); the values of schema 1 are unchanged.
pub const THEORY_SCHEMA_VERSION: u32 = 2;

/// What the document names as its generator (STYLE §21).
pub const GENERATOR: &str = "phaseflow theory (fixtures: scripts/regenerate-fixtures.sh)";

/// Everything a theory document depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheoryConfig {
    /// Interpolant path (default linear).
    #[serde(default)]
    pub path: PathSpec,
    /// Time warp; the schedule is the path composed with it.
    pub schedule: ScheduleSpec,
    /// Weight of the + mode.
    pub p: f64,
    /// Within-mode variance σ².
    pub sigma2: f64,
    /// Dimension d.
    pub d: usize,
    /// Grid points K.
    pub steps: usize,
    /// Training samples n for the §5.3 predictions (`None`: no finite-n block).
    pub n: Option<usize>,
    /// Ridge on u (§5.3).
    pub lambda_u: f64,
    /// Ridge on w (§5.3, phase 1).
    pub lambda_w: f64,
    /// Noise convention (§5.3).
    pub noise: Noise,
    /// Where the Euler sampler of `generated_euler` stops (default T_end).
    #[serde(default)]
    pub endpoint: Endpoint,
}

/// The `phaseflow theory --json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TheoryReport {
    /// [`THEORY_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The crate version that computed it.
    pub crate_version: String,
    /// [`GENERATOR`].
    pub generator: String,
    /// The configuration.
    pub config: TheoryConfig,
    /// One entry per grid time t_k = k·T_end/K.
    pub steps: Vec<StepPrediction>,
    /// §5.4 Euler prediction on the same grid (`null` if an Euler map folds).
    pub generated_euler: Option<EulerPrediction>,
}

impl TheoryConfig {
    /// Validate and build the [`Theory`].
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad field (as its CLI flag).
    pub fn theory(&self) -> Result<Theory, ConfigError> {
        if self.steps == 0 {
            return Err(ConfigError::ZeroSize { field: "steps" });
        }
        let th = Theory::new(&self.path, &self.schedule, self.p, self.sigma2, self.d)?;
        let f = FiniteN {
            n: self.n.unwrap_or(1),
            lambda_u: self.lambda_u,
            lambda_w: self.lambda_w,
            noise: self.noise,
        };
        // λ is checked even without n, so a typo never passes silently.
        f.validate()?;
        match self.n {
            Some(_) => th.with_finite_n(f),
            None => Ok(th),
        }
    }

    /// Compute the whole document.
    ///
    /// # Errors
    /// As [`TheoryConfig::theory`].
    pub fn compute(&self) -> Result<TheoryReport, ConfigError> {
        let th = self.theory()?;
        let grid = th.schedule().grid(self.steps);
        th.reduced_at(&grid); // in parallel, before the sequential per-step assembly
        Ok(TheoryReport {
            schema_version: THEORY_SCHEMA_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            generator: GENERATOR.to_string(),
            config: self.clone(),
            steps: grid.iter().map(|&t| th.predict(t)).collect(),
            generated_euler: th.euler_to(self.steps, self.endpoint),
        })
    }
}

impl TheoryReport {
    /// Pretty JSON with sorted keys and a trailing newline (what the CLI prints and what
    /// fixtures contain).
    ///
    /// # Panics
    /// Never for this type (all keys are strings, all floats finite by construction).
    pub fn to_sorted_json(&self) -> String {
        // serde_json::Value maps are BTreeMaps (no `preserve_order`), so keys come out sorted.
        let v = serde_json::to_value(self).expect("theory report serialises");
        let mut s = serde_json::to_string_pretty(&v).expect("theory report serialises");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> TheoryConfig {
        TheoryConfig {
            path: PathSpec::linear(),
            schedule: ScheduleSpec::dilated(2.0),
            p: 0.8,
            sigma2: 1.0,
            d: 5000,
            steps: 8,
            n: Some(16),
            lambda_u: 0.0,
            lambda_w: 0.0,
            noise: Noise::Fresh,
            endpoint: Endpoint::End,
        }
    }

    #[test]
    fn document_round_trips_and_is_deterministic() {
        let r = paper().compute().unwrap();
        let s = r.to_sorted_json();
        assert_eq!(s, paper().compute().unwrap().to_sorted_json());
        let back: TheoryReport = serde_json::from_str(&s).unwrap();
        assert_eq!(back.config, paper());
        assert_eq!(back.steps.len(), 8);
        // Phase 2 ω diverges: null, not a huge number.
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert!(v["steps"][6]["limit"]["omega"].is_null());
        assert!(v["steps"][6]["finite_n"]["b"].is_null());
        assert!(v["steps"][6]["bayes"]["omega"].is_number());
    }

    #[test]
    fn rejects_each_bad_field_by_name() {
        let cases: Vec<(TheoryConfig, &str)> = vec![
            (TheoryConfig { p: 1.2, ..paper() }, "p:"),
            (
                TheoryConfig {
                    sigma2: 0.0,
                    ..paper()
                },
                "sigma2:",
            ),
            (TheoryConfig { d: 0, ..paper() }, "d:"),
            (
                TheoryConfig {
                    steps: 0,
                    ..paper()
                },
                "steps:",
            ),
            (
                TheoryConfig {
                    n: Some(0),
                    ..paper()
                },
                "n:",
            ),
            (
                TheoryConfig {
                    lambda_u: -1.0,
                    ..paper()
                },
                "lambda-u:",
            ),
            (
                TheoryConfig {
                    schedule: ScheduleSpec::dilated(100.0),
                    ..paper()
                },
                "kappa:",
            ),
        ];
        for (c, field) in cases {
            let e = c.compute().unwrap_err().to_string();
            assert!(e.starts_with(field), "{e:?} should name {field}");
        }
    }

    #[test]
    fn linear_schedule_has_no_limit() {
        let c = TheoryConfig {
            schedule: ScheduleSpec::linear(),
            ..paper()
        };
        let r = c.compute().unwrap();
        assert!(
            r.steps
                .iter()
                .all(|s| s.limit.is_none() && s.finite_n.is_none())
        );
        assert!(r.generated_euler.is_some());
    }
}
