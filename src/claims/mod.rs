//! The paper's claims as named check families, each with negative controls, evaluated
//! together under one Holm correction (SPEC §6): `phaseflow reproduce` is [`reproduce`].
//!
//! | id | claim | SPEC |
//! |----|-------|------|
//! | C1 | dilation keeps phase 1: p̂ stays at p on the dilated schedule, drifts on the linear one | §5.4 |
//! | C2 | phase-1 overlaps follow theory and do not move when σ² changes | §5.1–§5.3 |
//! | C3 | phase-2 overlaps follow theory and do not move when p changes | §5.1–§5.3 |
//! | C4 | Θ_d(1) samples: errors flat in d over a factor 64, falling with n | §5.6 |
//! | C5 | the MSE jump: size 4p(1−p), width ∝ d^(−1/2) | §5.5 |
//! | C6 | the U-turn window, and an adapted schedule recovers p̂ | §8 |
//! | C7 | finite n: which noise convention's form the trained networks follow | §5.3 |
//! | C8 | VP vs VE (arXiv 2501.00988): constant vp loses p, constant ve loses σ², the paper's schedules keep both | §2, §5.4 |
//! | C9 | Θ_d(1) ODE steps: at fixed K errors flat in d for the phase-aware schedules, growing for constant speed | §2, §5.4 |
//! | C10 | one quantity: the MSE excess integrates to 2H(p), equals 2(α²/v)²·P_SDE, and its window ratio to the ODE U-turn's is d-independent | §10 |
//! | C11 | beyond two modes (Bayes/exact Euler): the dilation keeps k weights, a phase per scale keeps hierarchical ones, variance classes are decided at τ ∝ d^−¼ where the U-turn sees them and the MSE-jump detector does not | §9 |
//! | C12 | a trained k = 3 run: softmax networks' p̂ extrapolates (n → ∞) to the Bayes exact Euler p̂ | §9.1 |
//!
//! Each claim is a [`Claim`], one file per claim in this folder (`c1.rs` … `c12.rs`; C2 and C3
//! share `invariance.rs`, the phase-detection claims share `common.rs`'s fine grids, the noise
//! schedule claims share `noise.rs`). A new claim
//! is a new file plus one line in [`all_claims`]. Quick sizes run in `cargo test --release`;
//! `--full` uses the paper's.

mod c1;
mod c10;
mod c11;
mod c12;
mod c2;
mod c3;
mod c4;
mod c5;
mod c6;
mod c7;
mod c8;
mod c9;
mod common;
mod invariance;
pub mod power;
mod scaling;
pub mod shard;

pub use common::Cache;
mod noise;

use crate::error::Error;
use crate::harness::check::{CheckInput, CheckResult, evaluate};
use crate::harness::fss::FssFit;
use crate::perturbation::Perturbation;
use crate::plot::Figure;
use crate::problem::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Every claim, in report order: the registry (a new claim is one line here).
pub fn all_claims() -> Vec<Box<dyn Claim>> {
    [
        c1::C1,
        c2::C2,
        c3::C3,
        c4::C4,
        c5::C5,
        c6::C6,
        c7::C7,
        c8::C8,
        c9::C9,
        c10::C10,
        c11::C11,
    ]
    .into_iter()
    .map(|c| Box::new(c) as Box<dyn Claim>)
    .chain(std::iter::once(Box::new(c12::C12) as Box<dyn Claim>))
    .collect()
}

/// A claim as data: its id, title and the function that runs it. Every built-in claim is
/// one, defined in its own file.
#[derive(Debug, Clone, Copy)]
pub struct ClaimDef {
    /// "C1" …
    pub id: &'static str,
    /// One line.
    pub title: &'static str,
    /// Run at the context's sizes.
    pub run: fn(&Context) -> Result<Outcome, Error>,
}

impl Claim for ClaimDef {
    fn id(&self) -> &'static str {
        self.id
    }
    fn title(&self) -> &'static str {
        self.title
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        (self.run)(ctx)
    }
}

/// Version of the reproduce report schema (2: checks carry their degrees of freedom, role,
/// level, δ kind and δ/SE; claims carry their finite-size-scaling fits; the report names its
/// pilot seed and perturbation; 3: no pilot, δ of SPEC §6's kinds only, claims name their
/// unconverged trained steps).
pub const REPRODUCE_SCHEMA_VERSION: u32 = 3;

/// Which sizes to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// CPU-friendly sizes (the `cargo test` tier, a few minutes here).
    Quick,
    /// The paper's sizes (d = 5000, K = 80, wide sweeps, the sgd engine too).
    Full,
}

/// What a claim run needs to know.
#[derive(Debug, Clone)]
pub struct Context {
    /// Quick or full sizes.
    pub tier: Tier,
    /// Override of the replica count (≥ 2).
    pub replicas: Option<usize>,
    /// Master seed.
    pub seed: u64,
    /// No progress bars.
    pub quiet: bool,
    /// A perturbation: on the experiment side, applied to every trained experiment it
    /// applies to while the theory keeps the nominal values; on the theory side, applied to
    /// every experiment's predictions while the training stays nominal
    /// ([`crate::perturbation`]).
    pub perturbation: Option<Perturbation>,
    /// Trained runs and theories shared by the claims (and by the seeds of `phaseflow
    /// power`).
    pub cache: Arc<Cache>,
}

impl Context {
    /// The replica count: the override or the tier's default.
    pub fn replicas(&self, quick: usize, full: usize) -> usize {
        self.replicas.unwrap_or(match self.tier {
            Tier::Quick => quick,
            Tier::Full => full,
        })
    }
    /// Pick a value by tier.
    pub fn pick<T>(&self, quick: T, full: T) -> T {
        match self.tier {
            Tier::Quick => quick,
            Tier::Full => full,
        }
    }
}

/// What one claim measured: check inputs (real ones and negative controls), figures, the
/// finite-size-scaling fits, and plain-language findings for the report.
#[derive(Default)]
pub struct Outcome {
    /// Checks and negative controls.
    pub checks: Vec<CheckInput>,
    /// Named figures.
    pub figures: Vec<(String, Figure)>,
    /// One-line findings (e.g. which finite-n form the networks follow).
    pub notes: Vec<String>,
    /// The finite-size-scaling fits behind the claim's intercept checks.
    pub fits: Vec<FssFit>,
}

/// A claim of the paper.
pub trait Claim: Sync {
    /// "C1" …
    fn id(&self) -> &'static str;
    /// One line.
    fn title(&self) -> &'static str;
    /// Run at the context's sizes.
    ///
    /// # Errors
    /// Bad input or a training failure.
    fn run(&self, ctx: &Context) -> Result<Outcome, Error>;
}

/// The verdict on one claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimReport {
    /// "C1" …
    pub id: String,
    /// One line.
    pub title: String,
    /// Every real check of the claim passed, every trained step it used converged and every
    /// reduced-theory prediction it used is certified.
    pub passed: bool,
    /// Every negative control of the claim failed (as it must).
    pub negative_control_failed: bool,
    /// Findings.
    pub notes: Vec<String>,
    /// The checks and controls.
    pub checks: Vec<CheckResult>,
    /// Figure stems written for this claim.
    pub figures: Vec<String>,
    /// The finite-size-scaling fits of the claim (empty for claims without a ladder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fits: Vec<FssFit>,
    /// The trained (replica, step) pairs of the claim that did not converge, by experiment
    /// (the first [`crate::harness::UNCONVERGED_LISTED`]); any fails the claim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unconverged: Vec<String>,
    /// Reduced-theory grid times the claim's predictions rest on whose solve stopped at its
    /// iteration cap, by experiment; any fails the claim (docs/verdicts.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub theory_uncertified: Vec<String>,
}

/// What `phaseflow reproduce --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReproduceReport {
    /// [`REPRODUCE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The crate version.
    pub crate_version: String,
    /// Quick or full.
    pub tier: Tier,
    /// Master seed.
    pub seed: u64,
    /// Family-wise α of the run (split between primary tests and diagnostics, Holm within
    /// each).
    pub alpha: f64,
    /// The perturbation of every trained experiment, if any (the theory keeps the nominal
    /// values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<Perturbation>,
    /// One entry per claim run.
    pub claims: Vec<ClaimReport>,
}

impl ReproduceReport {
    /// Every claim passed and every negative control failed.
    pub fn ok(&self) -> bool {
        self.claims
            .iter()
            .all(|c| c.passed && c.negative_control_failed)
    }
}

/// Family-wise level of a reproduce run.
pub const ALPHA: f64 = 0.01;

/// What `phaseflow reproduce` runs.
#[derive(Debug, Clone, Default)]
pub struct ReproduceConfig {
    /// Tier, replica override, seed, progress.
    pub context: Context,
    /// Only these claims (case-insensitive ids); `None`: all.
    pub claims: Option<Vec<String>>,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            tier: Tier::Quick,
            replicas: None,
            seed: 0,
            quiet: false,
            perturbation: None,
            cache: Arc::default(),
        }
    }
}

/// A reproduction: the report and the figures of every claim run, named by stem
/// (`C1_p_hat_vs_d`, …; the stems the report lists).
pub struct Reproduction {
    /// The verdicts.
    pub report: ReproduceReport,
    /// The figures, by stem.
    pub figures: Vec<(String, Figure)>,
}

impl ReproduceConfig {
    /// Check the replica override and the claim ids before any work.
    ///
    /// # Errors
    /// [`ConfigError`] naming `replicas` or `claims`.
    pub fn check(&self) -> Result<(), ConfigError> {
        if let Some(r) = self.context.replicas.filter(|&r| r < 2) {
            return Err(ConfigError::TooFew {
                field: "replicas",
                min: 2,
                why: "",
                got: r,
            });
        }
        let all = all_claims();
        for id in self.claims.iter().flatten() {
            if !all.iter().any(|c| c.id().eq_ignore_ascii_case(id)) {
                return Err(ConfigError::Unknown {
                    field: "claims",
                    what: "claim",
                    value: id.clone(),
                    known: all.iter().map(|c| c.id()).collect::<Vec<_>>().join(","),
                });
            }
        }
        let ids: Vec<String> = match &self.claims {
            Some(ids) => ids.clone(),
            None => all.iter().map(|c| c.id().to_string()).collect(),
        };
        // A replica override is checked here, before the first claim prints its title, so
        // that a refusal is one line (issue 24).
        if let Some(r) = self.context.replicas {
            let k = self.context.pick(20.0, 80.0);
            let mut memory = crate::budget::Cost::memory();
            memory.add(
                "replica outputs of one experiment, R·(K·256 B + 1 KiB)",
                r as f64 * (k * 256.0 + 1024.0),
                &[("replicas", r as f64, self.context.pick(32.0, 16.0))],
            );
            memory.check()?;
        }
        self.time(&ids).check()
    }

    /// The work of reproducing the claims `ids` ([`crate::budget`], CPU seconds): each at
    /// its shard-balancing weight ([`shard::claim_cost`], wall seconds on 2 cores, so twice
    /// that in CPU), scaled by the replicas given over the tier's.
    pub fn time(&self, ids: &[String]) -> crate::budget::Cost {
        let ctx = &self.context;
        let default_r = ctx.pick(32.0, 16.0);
        let r = ctx.replicas.map_or(default_r, |r| r as f64);
        let per: f64 = ids
            .iter()
            .map(|id| 2.0 * shard::claim_cost(&id.to_ascii_uppercase(), ctx.tier))
            .sum();
        let mut c = crate::budget::Cost::time();
        c.add(
            "the claims at their shard weights, scaled by the replicas",
            per * r / default_r,
            &[("replicas", r, default_r)],
        );
        c
    }
}

/// `phaseflow reproduce`: run the selected claims and evaluate all their checks together
/// (primary tests and diagnostics, [`crate::harness::check`]).
///
/// # Errors
/// Bad input (before any work), or a training failure.
pub fn reproduce(cfg: &ReproduceConfig) -> Result<Reproduction, Error> {
    cfg.check()?;
    let ctx = &cfg.context;
    let ids = cfg.claims.as_deref();
    let all = all_claims();
    let selected: Vec<&Box<dyn Claim>> = all
        .iter()
        .filter(|c| ids.is_none_or(|ids| ids.iter().any(|i| c.id().eq_ignore_ascii_case(i))))
        .collect();
    let mut outcomes = Vec::new();
    let mut unconverged = Vec::new();
    let mut uncertified = Vec::new();
    for c in &selected {
        if !ctx.quiet {
            crate::report::progress_note(&format!("[{}] {}", c.id(), c.title()));
        }
        let start = std::time::Instant::now();
        let _ = ctx.cache.take_unconverged();
        let _ = ctx.cache.take_uncertified();
        outcomes.push(c.run(ctx)?);
        unconverged.push(ctx.cache.take_unconverged());
        uncertified.push(ctx.cache.take_uncertified());
        if !ctx.quiet {
            // Wall time on stderr only: the report stays deterministic.
            crate::report::progress_note(&format!(
                "[{}] done in {:.1} s",
                c.id(),
                start.elapsed().as_secs_f64()
            ));
        }
    }
    // One evaluation over all checks of the run (two tiers, Holm within each).
    let mut inputs = Vec::new();
    let mut owner = Vec::new();
    for (i, (c, o)) in selected.iter().zip(&outcomes).enumerate() {
        let named = o.checks.iter().map(|ch| {
            let mut ch = ch.clone();
            ch.name = format!("{}.{}", c.id(), ch.name);
            ch.family = format!("{}.{}", c.id(), ch.family);
            ch
        });
        for ch in named {
            inputs.push(ch);
            owner.push(i);
        }
    }
    let results = evaluate(&inputs, ALPHA)?;
    let mut claims = Vec::new();
    let mut figures = Vec::new();
    for (i, (((c, o), bad), unc)) in selected
        .iter()
        .zip(outcomes)
        .zip(unconverged)
        .zip(uncertified)
        .enumerate()
    {
        let checks: Vec<CheckResult> = results
            .iter()
            .zip(&owner)
            .filter(|(_, w)| **w == i)
            .map(|(r, _)| r.clone())
            .collect();
        let mut stems = Vec::new();
        for (stem, fig) in o.figures {
            let stem = format!("{}_{stem}", c.id());
            stems.push(stem.clone());
            figures.push((stem, fig));
        }
        claims.push(ClaimReport {
            id: c.id().to_string(),
            title: c.title().to_string(),
            passed: bad.is_empty()
                && unc.is_empty()
                && checks
                    .iter()
                    .filter(|r| r.negative_control.is_none())
                    .all(|r| r.passed),
            negative_control_failed: checks
                .iter()
                .filter(|r| r.negative_control.is_some())
                .all(|r| !r.passed)
                && checks.iter().any(|r| r.negative_control.is_some()),
            notes: o.notes,
            checks,
            figures: stems,
            fits: o.fits,
            unconverged: bad
                .into_iter()
                .take(crate::harness::UNCONVERGED_LISTED)
                .collect(),
            theory_uncertified: unc,
        });
    }
    Ok(Reproduction {
        report: ReproduceReport {
            schema_version: REPRODUCE_SCHEMA_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            tier: ctx.tier,
            seed: ctx.seed,
            alpha: ALPHA,
            perturbation: ctx.perturbation,
            claims,
        },
        figures,
    })
}

/// The command that rewrites the claim fixtures.
pub const FIXTURE_GENERATOR: &str = "scripts/regenerate-fixtures.sh";

/// File name of a claim's fixture: `claims__C1@quick.json`.
pub fn fixture_name(id: &str, tier: Tier) -> String {
    format!(
        "claims__{id}@{}.json",
        match tier {
            Tier::Quick => "quick",
            Tier::Full => "full",
        }
    )
}

/// A claim's fixture: metadata header (schema, generator, tier, seed, crate version) and the
/// claim's measured checks, as a JSON value with sorted keys.
pub fn fixture(r: &ReproduceReport, c: &ClaimReport) -> serde_json::Value {
    serde_json::json!({
        "schema_version": REPRODUCE_SCHEMA_VERSION,
        "generator": FIXTURE_GENERATOR,
        "crate_version": r.crate_version,
        "tier": r.tier,
        "seed": r.seed,
        "claim": c,
    })
}

/// Write one fixture per claim into `dir` (atomically).
///
/// # Errors
/// I/O errors naming the file.
pub fn write_fixtures(r: &ReproduceReport, dir: &Path) -> Result<(), Error> {
    for c in &r.claims {
        crate::io::write_json(&dir.join(fixture_name(&c.id, r.tier)), &fixture(r, c))?;
    }
    Ok(())
}
