//! Deliberate perturbations of an experiment (issues 11 and 22), of two sides (SPEC §6):
//! * **experiment side**: the training data, the training schedule, the ridges or the sampler
//!   deviate from the configuration, while every prediction keeps the configuration's nominal
//!   values (a data or engine bug);
//! * **theory side**: every prediction is computed at p + Δp, σ²·(1 + ε) or κ·(1 + η) while
//!   the training stays nominal (a wrong theory).
//!
//! This is how the suite's power is measured (`phaseflow power`) and how the tests show that a
//! check fails for the right reason: a careless change (data drawn at p + 0.02, a σ² off by
//! 2 %, a κ off by 3 %, an Euler sampler that uses f_{k+1}, a theory at σ² × 1.02) must make
//! the family that watches it fail. Allowances never come from replicas of the code, so a
//! perturbation is caught whether or not anything else shares it.
//!
//! A perturbation is part of the training configuration ([`crate::experiment::TrainConfig`]
//! field `perturbation`, JSON `{"kind": "data_p", "shift": 0.02}`), validated with it and
//! named in every report that carries it. On the command line: `--perturb p+0.02`,
//! `sigma2*1.02`, `kappa*1.03`, `lambda*10`, `euler-next`, and on the theory side
//! `theory:p+0.02`, `theory:sigma2*1.02`, `theory:kappa*1.03`.
//!
//! ```
//! use phaseflow::perturbation::Perturbation;
//! let p: Perturbation = "p+0.02".parse().unwrap();
//! assert_eq!(p, Perturbation::DataP { shift: 0.02 });
//! assert_eq!(p.to_string(), "p+0.02");
//! assert!(("kappa*1.03".parse::<Perturbation>().unwrap().magnitude() - 0.03).abs() < 1e-12);
//! assert!("p*2".parse::<Perturbation>().is_err());
//! let t: Perturbation = "theory:sigma2*1.02".parse().unwrap();
//! assert_eq!(t, Perturbation::TheorySigma2 { scale: 1.02 });
//! assert!(t.is_theory());
//! ```

use crate::problem::{ConfigError, ProblemSpec};
use serde::{Deserialize, Serialize};

/// What is perturbed (module doc). An experiment-side perturbation is never told to the
/// theory; a theory-side one is never told to the training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Perturbation {
    /// The training data are drawn with mode weight p + `shift`.
    DataP {
        /// Δp (0 < p + Δp < 1).
        shift: f64,
    },
    /// The training data are drawn with within-mode variance σ²·`scale`.
    DataSigma2 {
        /// 1 + ε (> 0).
        scale: f64,
    },
    /// The engine trains on the dilated schedule with κ·`scale` (the sampler and every
    /// estimate keep the configured κ).
    TrainKappa {
        /// 1 + η (> 0, κ·scale < √d).
        scale: f64,
    },
    /// The engine's ridges λ_u and λ_w are both multiplied by `scale`.
    Lambda {
        /// The factor (≥ 0).
        scale: f64,
    },
    /// The Euler sampler uses f_{k+1} at step k (f_{K−1} at the last): an off-by-one.
    EulerNext,
    /// A wrong theory: every prediction is computed at p + `shift` (training nominal).
    TheoryP {
        /// Δp (0 < p + Δp < 1).
        shift: f64,
    },
    /// A wrong theory: every prediction is computed at σ²·`scale` (training nominal).
    TheorySigma2 {
        /// 1 + ε (> 0).
        scale: f64,
    },
    /// A wrong theory: every prediction is computed at κ·`scale` on the dilated schedule
    /// (training and sampler nominal).
    TheoryKappa {
        /// 1 + η (> 0, κ·scale < √d).
        scale: f64,
    },
}

/// The kinds of perturbation, as named on the command line and in `phaseflow power`.
pub const KINDS: [&str; 8] = [
    "p",
    "sigma2",
    "kappa",
    "lambda",
    "euler-next",
    "theory:p",
    "theory:sigma2",
    "theory:kappa",
];

impl Perturbation {
    /// The kind's short name (one of [`KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Perturbation::DataP { .. } => KINDS[0],
            Perturbation::DataSigma2 { .. } => KINDS[1],
            Perturbation::TrainKappa { .. } => KINDS[2],
            Perturbation::Lambda { .. } => KINDS[3],
            Perturbation::EulerNext => KINDS[4],
            Perturbation::TheoryP { .. } => KINDS[5],
            Perturbation::TheorySigma2 { .. } => KINDS[6],
            Perturbation::TheoryKappa { .. } => KINDS[7],
        }
    }

    /// Whether this perturbs the predictions (a wrong theory) rather than the experiment.
    pub fn is_theory(&self) -> bool {
        matches!(
            self,
            Perturbation::TheoryP { .. }
                | Perturbation::TheorySigma2 { .. }
                | Perturbation::TheoryKappa { .. }
        )
    }

    /// The size of the perturbation: Δp, or scale − 1 (1 for the sampler off-by-one).
    pub fn magnitude(&self) -> f64 {
        match *self {
            Perturbation::DataP { shift } | Perturbation::TheoryP { shift } => shift,
            Perturbation::DataSigma2 { scale }
            | Perturbation::TrainKappa { scale }
            | Perturbation::Lambda { scale }
            | Perturbation::TheorySigma2 { scale }
            | Perturbation::TheoryKappa { scale } => scale - 1.0,
            Perturbation::EulerNext => 1.0,
        }
    }

    /// The same kind with another magnitude (Δp, or scale − 1).
    pub fn with_magnitude(&self, m: f64) -> Self {
        match self {
            Perturbation::DataP { .. } => Perturbation::DataP { shift: m },
            Perturbation::DataSigma2 { .. } => Perturbation::DataSigma2 { scale: 1.0 + m },
            Perturbation::TrainKappa { .. } => Perturbation::TrainKappa { scale: 1.0 + m },
            Perturbation::Lambda { .. } => Perturbation::Lambda { scale: 1.0 + m },
            Perturbation::EulerNext => Perturbation::EulerNext,
            Perturbation::TheoryP { .. } => Perturbation::TheoryP { shift: m },
            Perturbation::TheorySigma2 { .. } => Perturbation::TheorySigma2 { scale: 1.0 + m },
            Perturbation::TheoryKappa { .. } => Perturbation::TheoryKappa { scale: 1.0 + m },
        }
    }

    /// Whether the perturbation means something for this problem (κ needs the dilated
    /// schedule); [`Perturbation::check`] rejects it otherwise.
    pub fn applies_to(&self, p: &ProblemSpec) -> bool {
        match self {
            Perturbation::TrainKappa { .. } | Perturbation::TheoryKappa { .. } => {
                p.schedule.kappa().is_some()
            }
            _ => true,
        }
    }

    /// Check the perturbation against the problem it perturbs.
    ///
    /// # Errors
    /// [`ConfigError`] naming `perturb` and the rule.
    pub fn check(&self, p: &ProblemSpec) -> Result<(), ConfigError> {
        let bad = |rule: &'static str, value: f64| ConfigError::OutOfRange {
            field: "perturb",
            rule,
            value,
        };
        match *self {
            Perturbation::DataP { shift } | Perturbation::TheoryP { shift } => {
                let q = p.p + shift;
                if !(q > 0.0 && q < 1.0 && shift.is_finite()) {
                    return Err(bad("a shift keeping 0 < p + shift < 1", shift));
                }
            }
            Perturbation::DataSigma2 { scale }
            | Perturbation::TrainKappa { scale }
            | Perturbation::TheorySigma2 { scale }
            | Perturbation::TheoryKappa { scale } => {
                if !(scale > 0.0 && scale.is_finite()) {
                    return Err(bad("a positive finite scale", scale));
                }
            }
            Perturbation::Lambda { scale } => {
                if !(scale >= 0.0 && scale.is_finite()) {
                    return Err(bad("a non-negative finite scale", scale));
                }
            }
            Perturbation::EulerNext => {}
        }
        if !self.applies_to(p) {
            return Err(ConfigError::Unsupported {
                field: "perturb",
                rule: "kappa*… perturbs the dilated schedule only",
            });
        }
        if let Perturbation::TrainKappa { scale } | Perturbation::TheoryKappa { scale } = *self {
            if p.schedule.kappa().is_some() {
                p.schedule.scale_kappa(scale).build(p.d)?;
            }
        }
        // One validation per quantity whatever the route (issue 24): the perturbed problems
        // pass the checks the flags pass, so `sigma2*1e300` is refused like `--sigma2 1e300`.
        for (side, q) in [
            ("training", self.train_problem(p)),
            ("theory", self.theory_problem(p)),
        ] {
            q.check().map_err(|e| ConfigError::Invalid {
                field: "perturb",
                rule: format!("the perturbed {side} problem is refused: {e}"),
            })?;
        }
        Ok(())
    }

    /// The problem the predictions are computed for: the nominal one, or for a theory-side
    /// perturbation the nominal one with p, σ² or κ moved (module doc).
    pub fn theory_problem(&self, p: &ProblemSpec) -> ProblemSpec {
        let mut q = p.clone();
        match *self {
            Perturbation::TheoryP { shift } => q.p += shift,
            Perturbation::TheorySigma2 { scale } => q.sigma2 *= scale,
            Perturbation::TheoryKappa { scale } => q.schedule = p.schedule.scale_kappa(scale),
            _ => {}
        }
        q
    }

    /// The problem the training data are drawn from and the engine minimises: the nominal
    /// one with this perturbation applied (the sampler perturbation changes nothing here).
    pub fn train_problem(&self, p: &ProblemSpec) -> ProblemSpec {
        let mut q = p.clone();
        match *self {
            Perturbation::DataP { shift } => q.p += shift,
            Perturbation::DataSigma2 { scale } => q.sigma2 *= scale,
            Perturbation::TrainKappa { scale } => q.schedule = p.schedule.scale_kappa(scale),
            Perturbation::Lambda { scale } => {
                q.lambda_u *= scale;
                q.lambda_w *= scale;
            }
            Perturbation::EulerNext
            | Perturbation::TheoryP { .. }
            | Perturbation::TheorySigma2 { .. }
            | Perturbation::TheoryKappa { .. } => {}
        }
        q
    }

    /// One line for reports: what differs from the configuration the theory describes.
    pub fn describe(&self, p: &ProblemSpec) -> String {
        let t = self.train_problem(p);
        match *self {
            Perturbation::DataP { shift } => format!(
                "training data drawn at p = {} (p {shift:+}); theory keeps p = {}",
                fmt(t.p),
                p.p
            ),
            Perturbation::DataSigma2 { scale } => format!(
                "training data drawn at σ² = {} (σ² × {scale}); theory keeps σ² = {}",
                fmt(t.sigma2),
                p.sigma2
            ),
            Perturbation::TrainKappa { scale } => format!(
                "trained on κ = {} (κ × {scale}); sampler and theory keep κ = {}",
                t.schedule.kappa().map_or_else(String::new, fmt),
                p.schedule.kappa().unwrap_or(f64::NAN)
            ),
            Perturbation::Lambda { scale } => format!(
                "engine ridges λ_u = {}, λ_w = {} (× {scale}); theory keeps {}, {}",
                fmt(t.lambda_u),
                fmt(t.lambda_w),
                p.lambda_u,
                p.lambda_w
            ),
            Perturbation::EulerNext => {
                "the Euler sampler uses f_{k+1} at step k (off by one); theory is for f_k".into()
            }
            Perturbation::TheoryP { shift } => format!(
                "a wrong theory: predictions at p = {} (p {shift:+}); training keeps p = {}",
                fmt(p.p + shift),
                p.p
            ),
            Perturbation::TheorySigma2 { scale } => format!(
                "a wrong theory: predictions at σ² = {} (σ² × {scale}); training keeps σ² = {}",
                fmt(p.sigma2 * scale),
                p.sigma2
            ),
            Perturbation::TheoryKappa { scale } => format!(
                "a wrong theory: predictions at κ = {} (κ × {scale}); training keeps κ = {}",
                p.schedule
                    .kappa()
                    .map_or_else(String::new, |k| fmt(k * scale)),
                p.schedule.kappa().unwrap_or(f64::NAN)
            ),
        }
    }
}

/// A number in a description without float noise (0.82, not 0.8200000000000001).
fn fmt(v: f64) -> String {
    let s = format!("{v:.10}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl std::fmt::Display for Perturbation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Perturbation::DataP { shift } => {
                write!(f, "p{}{}", if shift < 0.0 { "" } else { "+" }, fmt(shift))
            }
            Perturbation::DataSigma2 { scale } => write!(f, "sigma2*{}", fmt(scale)),
            Perturbation::TrainKappa { scale } => write!(f, "kappa*{}", fmt(scale)),
            Perturbation::Lambda { scale } => write!(f, "lambda*{}", fmt(scale)),
            Perturbation::EulerNext => f.write_str("euler-next"),
            Perturbation::TheoryP { shift } => write!(
                f,
                "theory:p{}{}",
                if shift < 0.0 { "" } else { "+" },
                fmt(shift)
            ),
            Perturbation::TheorySigma2 { scale } => write!(f, "theory:sigma2*{}", fmt(scale)),
            Perturbation::TheoryKappa { scale } => write!(f, "theory:kappa*{}", fmt(scale)),
        }
    }
}

impl std::str::FromStr for Perturbation {
    type Err = String;
    /// `p+0.02` / `p-0.01`, `sigma2*1.02`, `kappa*1.03`, `lambda*10`, `euler-next`; with the
    /// prefix `theory:` (p, sigma2 and kappa only) the theory-side perturbation.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "perturb: expected p+SHIFT, p-SHIFT, sigma2*SCALE, kappa*SCALE, lambda*SCALE, euler-next, or theory:p±SHIFT, theory:sigma2*SCALE, theory:kappa*SCALE, got '{s}'"
            )
        };
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("theory:") {
            return match rest.trim().parse::<Perturbation>().map_err(|_| bad())? {
                Perturbation::DataP { shift } => Ok(Perturbation::TheoryP { shift }),
                Perturbation::DataSigma2 { scale } => Ok(Perturbation::TheorySigma2 { scale }),
                Perturbation::TrainKappa { scale } => Ok(Perturbation::TheoryKappa { scale }),
                _ => Err(bad()),
            };
        }
        if s == "euler-next" {
            return Ok(Perturbation::EulerNext);
        }
        let num = |v: &str| v.trim().parse::<f64>().map_err(|_| bad());
        if let Some(rest) = s.strip_prefix('p') {
            if rest.starts_with('+') || rest.starts_with('-') {
                return Ok(Perturbation::DataP { shift: num(rest)? });
            }
            return Err(bad());
        }
        let (kind, v) = s.split_once('*').ok_or_else(bad)?;
        let scale = num(v)?;
        match kind.trim() {
            "sigma2" => Ok(Perturbation::DataSigma2 { scale }),
            "kappa" => Ok(Perturbation::TrainKappa { scale }),
            "lambda" => Ok(Perturbation::Lambda { scale }),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleSpec;

    #[test]
    fn parse_display_round_trip() {
        for s in [
            "p+0.02",
            "p-0.01",
            "sigma2*1.02",
            "kappa*1.03",
            "lambda*10",
            "euler-next",
            "theory:p+0.02",
            "theory:p-0.02",
            "theory:sigma2*1.02",
            "theory:kappa*1.03",
        ] {
            let p: Perturbation = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Perturbation>(&json).unwrap(), p);
        }
        assert!("sigma2+1".parse::<Perturbation>().is_err());
        assert!("kappa*x".parse::<Perturbation>().is_err());
        assert!("theory:lambda*10".parse::<Perturbation>().is_err());
        assert!("theory:euler-next".parse::<Perturbation>().is_err());
    }

    #[test]
    fn rejected_where_it_means_nothing_or_breaks_the_data() {
        let p = ProblemSpec::default();
        assert!(Perturbation::DataP { shift: 0.3 }.check(&p).is_err()); // p = 1.1
        assert!(Perturbation::DataSigma2 { scale: 0.0 }.check(&p).is_err());
        assert!(Perturbation::Lambda { scale: -1.0 }.check(&p).is_err());
        let lin = ProblemSpec {
            schedule: ScheduleSpec::linear(),
            ..p.clone()
        };
        assert!(
            Perturbation::TrainKappa { scale: 1.03 }
                .check(&lin)
                .is_err()
        );
        assert!(Perturbation::TrainKappa { scale: 1.03 }.check(&p).is_ok());
        // κ·scale must stay below √d
        assert!(Perturbation::TrainKappa { scale: 100.0 }.check(&p).is_err());
    }

    #[test]
    fn train_problem_moves_only_the_perturbed_field() {
        let p = ProblemSpec::default();
        let q = Perturbation::DataSigma2 { scale: 1.02 }.train_problem(&p);
        assert!((q.sigma2 - 1.02).abs() < 1e-15);
        assert_eq!(ProblemSpec { sigma2: 1.0, ..q }, p);
        let k = Perturbation::TrainKappa { scale: 1.5 }.train_problem(&p);
        assert_eq!(k.schedule.kappa(), Some(3.0));
        assert_eq!(Perturbation::EulerNext.train_problem(&p), p);
        // a theory-side perturbation trains nominal and moves only the predictions
        let t = Perturbation::TheorySigma2 { scale: 1.02 };
        assert_eq!(t.train_problem(&p), p);
        assert!((t.theory_problem(&p).sigma2 - 1.02).abs() < 1e-15);
        assert_eq!(
            Perturbation::TheoryKappa { scale: 1.5 }
                .theory_problem(&p)
                .schedule
                .kappa(),
            Some(3.0)
        );
        assert_eq!(Perturbation::DataP { shift: 0.02 }.theory_problem(&p), p);
    }
}
