//! The engine configuration: a tagged enum, one variant per engine, each variant being the
//! engine itself (its knobs are its fields). JSON `{"kind": "sgd", "epochs": 2000, "lr": 0.01}`
//! or `{"kind": "averaged", "noise": "fresh", "tol_grad": 1e-7, "max_iters": 2000}`; every knob
//! has a default, so `{"kind": "averaged"}` is a complete configuration.
//!
//! A new engine is a new file implementing [`Engine`] and [`EngineSpec`] plus one line in the
//! registry below.
//!
//! ```
//! use phaseflow::train::EngineConfig;
//! let e: EngineConfig = serde_json::from_str(r#"{"kind": "averaged"}"#).unwrap();
//! assert_eq!(e.kind(), "averaged");
//! assert!(serde_json::from_str::<EngineConfig>(r#"{"kind": "sgd", "noise": "fixed"}"#).is_err());
//! ```

use super::Engine;
use super::averaged::Averaged;
use super::sgd::Sgd;
use crate::budget::Cost;
use crate::flow::Sampler;
use crate::problem::{ConfigError, Noise};
use serde::{Deserialize, Serialize};

/// What the configuration needs to know about an engine beyond [`Engine`].
pub trait EngineSpec: Engine {
    /// The engine's name, as in JSON (`"kind"`) and on the command line.
    const NAME: &'static str;
    /// Check the knobs.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad knob by its flag.
    fn check(&self) -> Result<(), ConfigError>;
    /// The noise convention of the objective this engine minimises (SPEC §5.3). Default fresh.
    fn noise(&self) -> Noise {
        Noise::Fresh
    }
    /// The a-priori budget for the optimisation error on overlaps and on p̂ that checks
    /// against theory allow this engine (declared, not measured).
    fn optimisation_budget(&self) -> f64;
    /// The sampler of generated samples when the configuration does not name one.
    fn default_sampler(&self) -> Sampler {
        Sampler::Full
    }
    /// The memory training one replica of this shape allocates ([`crate::budget`]): every
    /// buffer of size n, d or K the engine holds, including the K trained parameter sets.
    fn memory(&self, shape: &Shape) -> Cost;
    /// The work of training one replica of this shape ([`crate::budget`], a time
    /// [`Cost`]): the engine's own work formula times its calibration constant
    /// ([`crate::budget::calibration`]), at its iteration caps.
    fn time(&self, shape: &Shape) -> Cost;
}

/// The sizes a memory estimate needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Training samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Grid points K.
    pub steps: usize,
    /// Grid times trained at once (the rayon thread count, at most K).
    pub concurrent_steps: usize,
}

impl Shape {
    /// (flag, value, default) of n, d and K for [`Cost::add`].
    pub fn n(&self) -> (&'static str, f64, f64) {
        ("n", self.n as f64, 128.0)
    }
    /// See [`Shape::n`].
    pub fn d(&self) -> (&'static str, f64, f64) {
        ("d", self.d as f64, 1000.0)
    }
    /// See [`Shape::n`].
    pub fn steps(&self) -> (&'static str, f64, f64) {
        ("steps", self.steps as f64, 40.0)
    }
    /// The K trained parameter sets (c, b, u, w) of 2d + 2 f64 each.
    pub fn parameters(&self, cost: &mut Cost) {
        let (k, d) = (self.steps as f64, self.d as f64);
        cost.add(
            "trained parameters K·(2d + 2)·8 B",
            k * (2.0 * d + 2.0) * 8.0,
            &[self.steps(), self.d()],
        );
    }
}

/// Declares [`EngineConfig`], one variant per registered engine.
macro_rules! engines {
    ($($(#[$doc:meta])* $variant:ident($engine:ty),)*) => {
        /// Which engine trains, with its knobs (module doc). Default: the sgd engine.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum EngineConfig {
            $($(#[$doc])* $variant($engine),)*
        }

        impl EngineConfig {
            /// The names of every engine, in registry order.
            pub const KINDS: &'static [&'static str] = &[$(<$engine as EngineSpec>::NAME,)*];

            /// The engine of the named kind with its default knobs.
            pub fn default_of(kind: &str) -> Option<Self> {
                $(if kind == <$engine as EngineSpec>::NAME {
                    return Some(EngineConfig::$variant(<$engine>::default()));
                })*
                None
            }

            /// The engine, ready to train.
            pub fn engine(&self) -> &dyn Engine {
                match self {
                    $(EngineConfig::$variant(e) => e,)*
                }
            }

            /// The engine's name, e.g. `"sgd"`.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(EngineConfig::$variant(_) => <$engine as EngineSpec>::NAME,)*
                }
            }

            /// Check the knobs.
            ///
            /// # Errors
            /// [`ConfigError`] naming the bad knob.
            pub fn check(&self) -> Result<(), ConfigError> {
                match self {
                    $(EngineConfig::$variant(e) => e.check(),)*
                }
            }

            /// The noise convention of the objective ([`EngineSpec::noise`]).
            pub fn noise(&self) -> Noise {
                match self {
                    $(EngineConfig::$variant(e) => e.noise(),)*
                }
            }

            /// [`EngineSpec::optimisation_budget`].
            pub fn optimisation_budget(&self) -> f64 {
                match self {
                    $(EngineConfig::$variant(e) => e.optimisation_budget(),)*
                }
            }

            /// [`EngineSpec::memory`].
            pub fn memory(&self, shape: &Shape) -> Cost {
                match self {
                    $(EngineConfig::$variant(e) => e.memory(shape),)*
                }
            }

            /// [`EngineSpec::time`].
            pub fn time(&self, shape: &Shape) -> Cost {
                match self {
                    $(EngineConfig::$variant(e) => e.time(shape),)*
                }
            }

            /// [`EngineSpec::default_sampler`].
            pub fn default_sampler(&self) -> Sampler {
                match self {
                    $(EngineConfig::$variant(e) => e.default_sampler(),)*
                }
            }
        }
    };
}

// The registry: a new engine is a new file plus one line here.
engines! {
    /// Adam with fresh noise each epoch (SPEC §4, engine 1).
    Sgd(Sgd),
    /// L-BFGS on the exact noise-averaged objective in the span of the data (SPEC §4,
    /// engine 2); deterministic, per-step convergence reported.
    Averaged(Averaged),
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig::Sgd(Sgd::default())
    }
}

impl EngineConfig {
    /// The averaged engine with its defaults and the given noise convention.
    pub fn averaged(noise: Noise) -> Self {
        EngineConfig::Averaged(Averaged {
            noise,
            ..Averaged::default()
        })
    }
    /// The kind with its first letter capitalised, as the reports print it ("Averaged").
    pub fn title(&self) -> String {
        let k = self.kind();
        k[..1].to_uppercase() + &k[1..]
    }
}
