//! Targets declared in a file (TOML or JSON) and the exact-Euler table of their generated
//! class weights over a ladder of d: what `phaseflow target FILE` computes.
//!
//! A target file holds one `[target]` table, tagged by `kind`, and optionally the d-ladder:
//!
//! ```toml
//! d = [10000, 1000000, 100000000]   # optional; --d overrides it
//! [target]
//! kind = "k_mode"                   # two_mode | k_mode | hierarchical | variance
//! means = "simplex"                 # "simplex" | "orthogonal" | [[μ_1…], [μ_2…], …]
//! weights = [0.5, 0.3, 0.2]
//! sigma2 = 1.0
//! ```
//!
//! * `two_mode`: `p`, `sigma2` — the mixture of SPEC §1 (means ±μ, |μ|² = d);
//! * `k_mode`: `means`, `weights`, `sigma2` (SPEC §9.1); explicit means are full vectors of
//!   length d, so the ladder is that one d;
//! * `hierarchical`: `levels = [{ scale, plus }, …]`, `sigma2` (SPEC §9.2); a `scale` is a
//!   number η_l or a string `"d^E"` / `"1 - d^E"` (SPEC §9.2's η = d^−½ is `"d^-0.5"` and
//!   `"1 - d^-0.5"`), evaluated at each d of the ladder;
//! * `variance`: `p`, `sigma2_plus`, `sigma2_minus` (SPEC §9.3).
//!
//! Every target of the ladder, the schedule at every d and the work estimate are checked
//! before any Euler step ([`TargetDecl::spec`], [`TargetConfig::validate`]); a bad field is a [`ConfigError`]
//! naming its path in the file (`target.weights[2]`, `target.levels[1].plus[0]`).
//!
//! ```
//! use phaseflow::target::{TargetConfig, TargetSpec};
//! let toml = "[target]\nkind = \"variance\"\np = 0.8\nsigma2_plus = 1.0\nsigma2_minus = 0.25\n";
//! let file: phaseflow::target::TargetFile = phaseflow::io::parse_toml(toml).unwrap();
//! let spec = file.target.spec().unwrap();
//! assert!(matches!(spec, TargetSpec::Variance { .. }));
//! let cfg = TargetConfig { d: vec![100], steps: 40, ..TargetConfig::new(spec) };
//! let report = cfg.run().unwrap();
//! let row = &report.rows[0];
//! assert!((row.weights[0] - 0.8).abs() < 1e-12);
//! assert_eq!(row.p_hat.as_ref().map(Vec::len), Some(2)); // p̂ of both classes
//! assert!(row.class_var.is_some() && row.var_perp.is_none());
//! ```

use super::{ClassEuler, Hierarchical, KMode, Level, Target, VarianceMixture};
use crate::budget::Cost;
use crate::flow::Endpoint;
use crate::path::PathSpec;
use crate::problem::{ConfigError, at_least_one};
use crate::schedule::ScheduleSpec;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Version of the `target --json` schema; bumped on any incompatible change.
pub const TARGET_SCHEMA_VERSION: u32 = 1;

/// The default d-ladder when neither the file nor `--d` gives one.
pub const DEFAULT_LADDER: [usize; 3] = [10_000, 1_000_000, 100_000_000];

/// What a target file holds (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// The d-ladder (a number or a list); absent: the command's default.
    #[serde(default, deserialize_with = "ladder_from")]
    pub d: Option<Vec<usize>>,
    /// The target, as declared (checked by [`TargetDecl::spec`]).
    pub target: TargetDecl,
}

/// The kinds of target a file can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// [`TargetSpec::TwoMode`].
    TwoMode,
    /// [`TargetSpec::KMode`].
    KMode,
    /// [`TargetSpec::Hierarchical`].
    Hierarchical,
    /// [`TargetSpec::Variance`].
    Variance,
}

/// A `[target]` table as written: one flat table, so that a parse error names the field's
/// path (`target.levels[1].scale`); which fields a kind needs is checked by
/// [`TargetDecl::spec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDecl {
    /// The kind.
    pub kind: TargetKind,
    /// `two_mode`, `variance`: the weight of the + class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// `two_mode`, `k_mode`, `hierarchical`: the within-class variance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma2: Option<f64>,
    /// `k_mode`: the means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub means: Option<MeansSpec>,
    /// `k_mode`: the class weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// `hierarchical`: the levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<LevelSpec>>,
    /// `variance`: σ₊².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma2_plus: Option<f64>,
    /// `variance`: σ₋².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma2_minus: Option<f64>,
}

impl TargetDecl {
    /// The target this table declares.
    ///
    /// # Errors
    /// [`ConfigError::InvalidAt`] naming `target.<field>`: a field the kind needs is
    /// missing, or a field of another kind is given.
    pub fn spec(&self) -> Result<TargetSpec, ConfigError> {
        let kind = match self.kind {
            TargetKind::TwoMode => "two_mode",
            TargetKind::KMode => "k_mode",
            TargetKind::Hierarchical => "hierarchical",
            TargetKind::Variance => "variance",
        };
        let needs: &[&str] = match self.kind {
            TargetKind::TwoMode => &["p", "sigma2"],
            TargetKind::KMode => &["means", "weights", "sigma2"],
            TargetKind::Hierarchical => &["levels", "sigma2"],
            TargetKind::Variance => &["p", "sigma2_plus", "sigma2_minus"],
        };
        let given = [
            ("p", self.p.is_some()),
            ("sigma2", self.sigma2.is_some()),
            ("means", self.means.is_some()),
            ("weights", self.weights.is_some()),
            ("levels", self.levels.is_some()),
            ("sigma2_plus", self.sigma2_plus.is_some()),
            ("sigma2_minus", self.sigma2_minus.is_some()),
        ];
        for (field, has) in given {
            let needed = needs.contains(&field);
            if needed != has {
                return Err(ConfigError::InvalidAt {
                    field: format!("target.{field}"),
                    rule: if needed {
                        format!("missing; kind {kind} needs {}", needs.join(", "))
                    } else {
                        format!("not a field of kind {kind} (it takes {})", needs.join(", "))
                    },
                });
            }
        }
        let num = |v: Option<f64>| v.unwrap_or(f64::NAN);
        Ok(match self.kind {
            TargetKind::TwoMode => TargetSpec::TwoMode {
                p: num(self.p),
                sigma2: num(self.sigma2),
            },
            TargetKind::KMode => TargetSpec::KMode {
                means: self.means.clone().unwrap_or(MeansSpec::Simplex),
                weights: self.weights.clone().unwrap_or_default(),
                sigma2: num(self.sigma2),
            },
            TargetKind::Hierarchical => TargetSpec::Hierarchical {
                levels: self.levels.clone().unwrap_or_default(),
                sigma2: num(self.sigma2),
            },
            TargetKind::Variance => TargetSpec::Variance {
                p: num(self.p),
                sigma2_plus: num(self.sigma2_plus),
                sigma2_minus: num(self.sigma2_minus),
            },
        })
    }
}

impl TargetFile {
    /// Read a target file (`.toml` or `.json`).
    ///
    /// # Errors
    /// [`crate::io::IoError`] naming the file and the field's path inside it.
    pub fn from_file(path: &std::path::Path) -> Result<Self, crate::error::Error> {
        use crate::io::IoError;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let parse_err = |message: String| IoError::Parse {
            path: path.to_path_buf(),
            message: message.replace('\n', " "),
        };
        if ext != "json" && ext != "toml" {
            return Err(parse_err("expected a .json or .toml file".into()).into());
        }
        // A target file is a few hundred bytes (explicit means: d numbers each); 64 MiB
        // keeps `/dev/zero` from filling the memory.
        let text = crate::io::read_to_string_max(path, 64 << 20)?;
        let parsed = if ext == "json" {
            crate::io::parse_json(&text)
        } else {
            crate::io::parse_toml(&text)
        };
        Ok(parsed.map_err(parse_err)?)
    }
}

/// A d-ladder from one whole number or a list of them.
fn ladder_from<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Vec<usize>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(usize),
        Many(Vec<usize>),
    }
    // Untagged enums lose the inner message; state the rule instead.
    match OneOrMany::deserialize(de).map_err(|_| {
        serde::de::Error::custom(
            "must be a whole number d ≥ 1 or a list of them, e.g. [10000, 1000000]",
        )
    })? {
        OneOrMany::One(d) => Ok(Some(vec![d])),
        OneOrMany::Many(v) => Ok(Some(v)),
    }
}

/// A declared target (module doc). JSON: `{"kind": "<name>", …fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TargetSpec {
    /// p·N(+μ, σ²I) + (1 − p)·N(−μ, σ²I), |μ|² = d (SPEC §1).
    TwoMode {
        /// Weight of the + mode, in (0, 1).
        p: f64,
        /// Within-mode variance σ² > 0.
        sigma2: f64,
    },
    /// Σ_i p_i N(μ_i, σ²I) (SPEC §9.1).
    KMode {
        /// The means: simplex, orthogonal or explicit.
        means: MeansSpec,
        /// The class weights p_i (summing to 1).
        weights: Vec<f64>,
        /// Within-class variance σ² > 0.
        sigma2: f64,
    },
    /// Means Σ_l s_l·u_l, one separation scale per level (SPEC §9.2).
    Hierarchical {
        /// The levels, coarsest first.
        levels: Vec<LevelSpec>,
        /// Within-class variance σ² > 0.
        sigma2: f64,
    },
    /// p·N(0, σ₊²I) + (1 − p)·N(0, σ₋²I) (SPEC §9.3).
    Variance {
        /// Weight of the + class, in (0, 1).
        p: f64,
        /// Variance σ₊² of the + class.
        sigma2_plus: f64,
        /// Variance σ₋² of the − class (must differ from σ₊²).
        sigma2_minus: f64,
    },
}

/// The means of a k-mode target: `"simplex"`, `"orthogonal"` or a list of vectors.
#[derive(Debug, Clone, PartialEq)]
pub enum MeansSpec {
    /// A regular simplex centred at 0, |μ_i|² = d ([`KMode::simplex`]).
    Simplex,
    /// Orthogonal, |μ_i|² = d ([`KMode::orthogonal`]).
    Orthogonal,
    /// The given vectors, one per class, all of length d ([`KMode::new`]).
    Explicit(Vec<Vec<f64>>),
}

impl Serialize for MeansSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MeansSpec::Simplex => s.serialize_str("simplex"),
            MeansSpec::Orthogonal => s.serialize_str("orthogonal"),
            MeansSpec::Explicit(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for MeansSpec {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = MeansSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"simplex\", \"orthogonal\" or a list of mean vectors")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MeansSpec, E> {
                match v {
                    "simplex" => Ok(MeansSpec::Simplex),
                    "orthogonal" => Ok(MeansSpec::Orthogonal),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<MeansSpec, A::Error> {
                let mut out = Vec::new();
                while let Some(m) = seq.next_element::<Vec<f64>>()? {
                    out.push(m);
                }
                Ok(MeansSpec::Explicit(out))
            }
        }
        de.deserialize_any(V)
    }
}

/// One level of a hierarchical target: its scale η_l and P(s_l = + | prefix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    /// η_l = |u_l|²/d: a number, or `"d^E"` / `"1 - d^E"` evaluated at each d.
    pub scale: Scale,
    /// P(s_l = + | prefix), one per sign prefix of the levels above (2^l entries).
    pub plus: Vec<f64>,
}

/// A level's scale: a number, or a power of d (module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// η.
    Fixed(f64),
    /// η = d^E.
    Power(f64),
    /// η = 1 − d^E.
    OneMinusPower(f64),
}

impl Scale {
    /// η at dimension d.
    pub fn at(self, d: usize) -> f64 {
        match self {
            Scale::Fixed(v) => v,
            Scale::Power(e) => (d as f64).powf(e),
            Scale::OneMinusPower(e) => 1.0 - (d as f64).powf(e),
        }
    }

    fn parse(s: &str) -> Option<Self> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(e) = t.strip_prefix("1-d^") {
            return e.parse().ok().map(Scale::OneMinusPower);
        }
        if let Some(e) = t.strip_prefix("d^") {
            return e.parse().ok().map(Scale::Power);
        }
        t.parse().ok().map(Scale::Fixed)
    }
}

impl Serialize for Scale {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Scale::Fixed(v) => s.serialize_f64(v),
            Scale::Power(e) => s.serialize_str(&format!("d^{e}")),
            Scale::OneMinusPower(e) => s.serialize_str(&format!("1 - d^{e}")),
        }
    }
}

impl<'de> Deserialize<'de> for Scale {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scale;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number η, or a string \"d^E\" or \"1 - d^E\" (e.g. \"d^-0.5\")")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scale, E> {
                Ok(Scale::Fixed(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scale, E> {
                Ok(Scale::Fixed(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scale, E> {
                Ok(Scale::Fixed(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scale, E> {
                Scale::parse(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        de.deserialize_any(V)
    }
}

/// A target built at one d, keeping its concrete type for what only it reports.
#[derive(Debug)]
pub enum Built {
    /// Two modes, k modes.
    KMode(KMode),
    /// Hierarchical.
    Hierarchical(Hierarchical),
    /// Variance classes.
    Variance(VarianceMixture),
}

impl Built {
    /// The target.
    pub fn target(&self) -> &dyn Target {
        match self {
            Built::KMode(t) => t,
            Built::Hierarchical(t) => t,
            Built::Variance(t) => t,
        }
    }
}

/// `e` with its field's path put under `target.` (the dimension `d` keeps its own name).
fn under_target(e: ConfigError) -> ConfigError {
    let text = e.to_string();
    match text.split_once(": ") {
        Some((field, rule)) if field != "d" => ConfigError::InvalidAt {
            field: format!("target.{field}"),
            rule: rule.to_string(),
        },
        _ => e,
    }
}

impl TargetSpec {
    /// The name of the kind (`two_mode`, `k_mode`, `hierarchical`, `variance`).
    pub fn kind(&self) -> &'static str {
        match self {
            TargetSpec::TwoMode { .. } => "two_mode",
            TargetSpec::KMode { .. } => "k_mode",
            TargetSpec::Hierarchical { .. } => "hierarchical",
            TargetSpec::Variance { .. } => "variance",
        }
    }

    /// The d of explicit means (the one d they are declared in), if any.
    pub fn explicit_d(&self) -> Option<usize> {
        match self {
            TargetSpec::KMode {
                means: MeansSpec::Explicit(m),
                ..
            } => Some(m.first().map_or(0, Vec::len)),
            _ => None,
        }
    }

    /// The target at dimension d.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field's path in the file (`target.weights`,
    /// `target.levels[1].scale`, …) or `d`.
    pub fn build(&self, d: usize) -> Result<Built, ConfigError> {
        let built = match self {
            TargetSpec::TwoMode { p, sigma2 } => {
                crate::problem::in_range("p", "0 < p < 1", *p, *p > 0.0 && *p < 1.0)
                    .map_err(under_target)?;
                // Simplex means of two classes are ±μ with |μ|² = d: the SPEC §1 mixture,
                // without a d-long μ in memory (d = 10⁸ costs nothing).
                Built::KMode(KMode::simplex(d, vec![*p, 1.0 - *p], *sigma2).map_err(|e| {
                    match e.to_string().split_once(": ") {
                        Some(("weights", rule)) => ConfigError::InvalidAt {
                            field: "target.p".into(),
                            rule: rule.to_string(),
                        },
                        _ => under_target(e),
                    }
                })?)
            }
            TargetSpec::KMode {
                means,
                weights,
                sigma2,
            } => Built::KMode(
                match means {
                    MeansSpec::Simplex => KMode::simplex(d, weights.clone(), *sigma2),
                    MeansSpec::Orthogonal => KMode::orthogonal(d, weights.clone(), *sigma2),
                    MeansSpec::Explicit(m) => {
                        if m.len() != weights.len() {
                            return Err(ConfigError::InvalidAt {
                                field: "target.means".into(),
                                rule: format!(
                                    "needs one mean per weight, {} weights, got {} means",
                                    weights.len(),
                                    m.len()
                                ),
                            });
                        }
                        KMode::new(m.clone(), weights.clone(), *sigma2)
                    }
                }
                .map_err(under_target)?,
            ),
            TargetSpec::Hierarchical { levels, sigma2 } => {
                let lv = levels
                    .iter()
                    .map(|l| Level {
                        scale: l.scale.at(d),
                        plus: l.plus.clone(),
                    })
                    .collect();
                Built::Hierarchical(Hierarchical::new(d, lv, *sigma2).map_err(under_target)?)
            }
            TargetSpec::Variance {
                p,
                sigma2_plus,
                sigma2_minus,
            } => Built::Variance(
                VarianceMixture::new(d, *p, *sigma2_plus, *sigma2_minus).map_err(under_target)?,
            ),
        };
        Ok(built)
    }
}

/// One exact-Euler computation per d of a ladder: the target, the path, the schedule, the
/// grid and where sampling stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetConfig {
    /// The target.
    pub target: TargetSpec,
    /// The d-ladder.
    pub d: Vec<usize>,
    /// The interpolant path.
    pub path: PathSpec,
    /// The warp τ(t) (not `auto`: its pilot detects a two-mode window).
    pub schedule: ScheduleSpec,
    /// Grid points K.
    pub steps: usize,
    /// Where sampling stops.
    pub endpoint: Endpoint,
}

impl TargetConfig {
    /// `target` on the default ladder, the linear path, the dilated schedule κ = 2, K = 40,
    /// to T_end (the defaults of `phaseflow train`).
    pub fn new(target: TargetSpec) -> Self {
        let p = crate::problem::ProblemSpec::default();
        Self {
            d: target
                .explicit_d()
                .map_or_else(|| DEFAULT_LADDER.to_vec(), |d| vec![d]),
            target,
            path: p.path,
            schedule: p.schedule,
            steps: p.steps,
            endpoint: Endpoint::End,
        }
    }

    /// Check everything before any work: the ladder, the grid, the schedule at every d, the
    /// target at every d, and the estimated work against `--max-seconds`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field.
    pub fn validate(&self) -> Result<Vec<Built>, ConfigError> {
        if self.d.is_empty() {
            return Err(ConfigError::Invalid {
                field: "d",
                rule: "needs at least one dimension".into(),
            });
        }
        at_least_one("steps", self.steps)?;
        if self.schedule.is_unresolved() {
            return Err(ConfigError::Unsupported {
                field: "schedule",
                rule: "`auto` detects a two-mode window and is not defined for a general target; give linear, dilated or dilated-end",
            });
        }
        if let Some(n) = self.target.explicit_d() {
            if let Some(&d) = self.d.iter().find(|&&d| d != n) {
                return Err(ConfigError::Invalid {
                    field: "d",
                    rule: format!(
                        "explicit means are vectors of length {n}, so d = {n}; got d = {d} (leave d out or give d = {n})"
                    ),
                });
            }
        }
        let mut built = Vec::with_capacity(self.d.len());
        let mut span = 1usize;
        for &d in &self.d {
            at_least_one("d", d)?;
            self.schedule.build_on(&self.path, d)?;
            let b = self.target.build(d)?;
            span = span.max(b.target().classes());
            built.push(b);
        }
        // The lattice rule evaluates K span maps of k classes at LATTICE·SHIFTS points.
        let mut cost = Cost::time();
        cost.add_work(
            "exact Euler of the classes, d-ladder·K·k·points",
            (self.d.len() * self.steps * span) as f64
                * (super::quadrature::LATTICE * super::quadrature::SHIFTS) as f64,
            crate::budget::calibration::SPAN,
            &[
                ("steps", self.steps as f64, 40.0),
                ("d", self.d.len() as f64, 3.0),
            ],
        );
        cost.check()?;
        Ok(built)
    }

    /// The exact-Euler table (module doc).
    ///
    /// # Errors
    /// As [`TargetConfig::validate`].
    pub fn run(&self) -> Result<TargetReport, ConfigError> {
        let built = self.validate()?;
        let rows = self
            .d
            .iter()
            .zip(&built)
            .map(|(&d, b)| {
                let s = self.schedule.build_on(&self.path, d)?;
                let e = b
                    .target()
                    .euler(s.as_ref(), &s.grid(self.steps), self.endpoint);
                Ok(TargetRow::new(d, b, e))
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        Ok(TargetReport {
            schema_version: TARGET_SCHEMA_VERSION,
            config: self.clone(),
            rows,
        })
    }
}

/// P(level l = + | prefix) of a hierarchical target, and as generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conditional {
    /// The level, 0 the coarsest.
    pub level: usize,
    /// The sign prefix of the levels above, as binary digits with + as 0.
    pub prefix: usize,
    /// The target's P(s_l = + | prefix).
    pub target: f64,
    /// The same conditional under the generated p̂ (`None` where Euler failed or the
    /// prefix was never generated).
    pub generated: Option<f64>,
}

/// What exact Euler generates at one d.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    /// The dimension.
    pub d: usize,
    /// The target's class weights p_i.
    pub weights: Vec<f64>,
    /// The generated class weights p̂_i; `None` where a step overshoots τ = 1.
    pub p_hat: Option<Vec<f64>>,
    /// ½ Σ_i |p̂_i − p_i|.
    pub tv: Option<f64>,
    /// The generated variance orthogonal to the means' span (isotropic targets).
    pub var_perp: Option<f64>,
    /// The target's within-class variance σ² (isotropic targets) for comparison.
    pub sigma2: Option<f64>,
    /// The generated per-class variance E[|x|²/d | class] (variance classes).
    pub class_var: Option<Vec<f64>>,
    /// The target's class variances (σ₊², σ₋²) (variance classes).
    pub class_var_target: Option<Vec<f64>>,
    /// The numerical error of each p̂_i (0 where exact to round-off).
    pub numerical: Option<f64>,
    /// The per-level conditionals (hierarchical targets; empty otherwise).
    pub conditionals: Vec<Conditional>,
}

impl TargetRow {
    fn new(d: usize, b: &Built, e: Option<ClassEuler>) -> Self {
        let t = b.target();
        let weights = t.weights().to_vec();
        let tv = e.as_ref().map(|e| {
            0.5 * e
                .p_hat
                .iter()
                .zip(&weights)
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
        });
        let (sigma2, class_var_target, conditionals) = match b {
            Built::KMode(k) => (Some(k.isotropic().sigma2()), None, Vec::new()),
            Built::Variance(v) => (None, Some(v.variances().to_vec()), Vec::new()),
            Built::Hierarchical(h) => {
                let mut c = Vec::new();
                for l in 0..h.levels().len() {
                    for prefix in 0..1usize << l {
                        let g = e.as_ref().map(|e| h.conditional_plus(&e.p_hat, l, prefix));
                        c.push(Conditional {
                            level: l,
                            prefix,
                            target: h.conditional_plus(&weights, l, prefix),
                            generated: g.filter(|v| v.is_finite()),
                        });
                    }
                }
                (Some(h.isotropic().sigma2()), None, c)
            }
        };
        Self {
            d,
            weights,
            tv,
            var_perp: e.as_ref().and_then(|e| e.var_perp),
            sigma2,
            class_var: e.as_ref().and_then(|e| e.class_var.clone()),
            class_var_target,
            numerical: e.as_ref().map(|e| e.numerical),
            p_hat: e.map(|e| e.p_hat),
            conditionals,
        }
    }
}

/// What `phaseflow target --json` prints (schema [`TARGET_SCHEMA_VERSION`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetReport {
    /// [`TARGET_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The configuration.
    pub config: TargetConfig,
    /// One row per d of the ladder, in its order.
    pub rows: Vec<TargetRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<TargetFile, String> {
        crate::io::parse_toml(s)
    }

    #[test]
    fn parses_every_kind_and_the_scale_forms() {
        let f = parse("d = 100\n[target]\nkind = \"k_mode\"\nmeans = \"orthogonal\"\nweights = [0.5, 0.5]\nsigma2 = 1\n").unwrap();
        assert_eq!(f.d, Some(vec![100]));
        assert!(matches!(
            f.target.spec().unwrap(),
            TargetSpec::KMode {
                means: MeansSpec::Orthogonal,
                ..
            }
        ));
        let f = parse("[target]\nkind = \"hierarchical\"\nsigma2 = 0.5\nlevels = [{ scale = \"1 - d^-0.5\", plus = [0.7] }, { scale = \"d^-0.5\", plus = [0.8, 0.3] }]\n").unwrap();
        let TargetSpec::Hierarchical { levels, .. } = &f.target.spec().unwrap() else {
            panic!()
        };
        assert!((levels[0].scale.at(10_000) - 0.99).abs() < crate::tol::ROUNDOFF);
        assert!((levels[1].scale.at(10_000) - 0.01).abs() < crate::tol::ROUNDOFF);
        let f = parse("[target]\nkind = \"k_mode\"\nmeans = [[1, 0], [0, 1]]\nweights = [0.5, 0.5]\nsigma2 = 1\n").unwrap();
        assert_eq!(f.target.spec().unwrap().explicit_d(), Some(2));
    }

    #[test]
    fn bad_fields_are_named_by_their_path() {
        let e = parse(
            "[target]\nkind = \"k_mode\"\nmeans = \"cube\"\nweights = [0.5, 0.5]\nsigma2 = 1\n",
        )
        .unwrap_err();
        assert!(e.starts_with("target.means:"), "{e}");
        let e = parse("[target]\nkind = \"k_mode\"\nmeanz = \"simplex\"\n").unwrap_err();
        assert!(e.starts_with("target.meanz:"), "{e}");
        let f = parse(
            "[target]\nkind = \"k_mode\"\nmeans = \"simplex\"\nweights = [0.5, 0.6]\nsigma2 = 1\n",
        )
        .unwrap();
        let e = f.target.spec().unwrap().build(100).unwrap_err().to_string();
        assert!(e.starts_with("target.weights: must sum to 1"), "{e}");
        let f = parse("[target]\nkind = \"two_mode\"\np = 1.5\nsigma2 = 1\n").unwrap();
        let e = f.target.spec().unwrap().build(100).unwrap_err().to_string();
        assert!(e.starts_with("target.p:"), "{e}");
        let f = parse("[target]\nkind = \"two_mode\"\np = 0.5\n").unwrap();
        let e = f.target.spec().unwrap_err().to_string();
        assert!(e.starts_with("target.sigma2: missing"), "{e}");
    }
}
