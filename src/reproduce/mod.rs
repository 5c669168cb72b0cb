//! `phaseflow reproduce`: the paper's claims as named check families, each with negative
//! controls, evaluated together under one Holm correction (SPEC §6).
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
//!
//! Each claim is a [`Claim`] (one file per claim family in this folder); a new claim is a
//! new implementation. Quick sizes run in `cargo test --release`; `--full` uses the paper's.

mod claims;

pub use claims::all_claims;

use crate::error::Error;
use crate::harness::check::{CheckInput, CheckResult, evaluate};
use crate::plot::Figure;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the reproduce report schema.
pub const REPRODUCE_SCHEMA_VERSION: u32 = 1;

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

/// What one claim measured: check inputs (real ones and negative controls), figures, and
/// plain-language findings for the report.
#[derive(Default)]
pub struct Outcome {
    /// Checks and negative controls.
    pub checks: Vec<CheckInput>,
    /// Named figures.
    pub figures: Vec<(String, Figure)>,
    /// One-line findings (e.g. which finite-n form the networks follow).
    pub notes: Vec<String>,
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
    /// Every real check of the claim passed.
    pub passed: bool,
    /// Every negative control of the claim failed (as it must).
    pub negative_control_failed: bool,
    /// Findings.
    pub notes: Vec<String>,
    /// The checks and controls.
    pub checks: Vec<CheckResult>,
    /// Figure stems written for this claim.
    pub figures: Vec<String>,
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
    /// Family-wise α of the Holm procedure over all checks of the run.
    pub alpha: f64,
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

/// Run the selected claims (`None` = all) and, with `out`, write their figures there.
///
/// # Errors
/// Unknown claim ids (exit 2), bad input or training failures.
pub fn run(
    ctx: &Context,
    ids: Option<&[String]>,
    out: Option<&Path>,
) -> Result<ReproduceReport, Error> {
    let all = all_claims();
    if let Some(ids) = ids {
        for id in ids {
            if !all.iter().any(|c| c.id().eq_ignore_ascii_case(id)) {
                return Err(Error::Input(format!(
                    "claims: unknown claim '{id}'; known: {}",
                    all.iter().map(|c| c.id()).collect::<Vec<_>>().join(",")
                )));
            }
        }
    }
    let selected: Vec<&Box<dyn Claim>> = all
        .iter()
        .filter(|c| ids.is_none_or(|ids| ids.iter().any(|i| c.id().eq_ignore_ascii_case(i))))
        .collect();
    let mut outcomes = Vec::new();
    for c in &selected {
        if !ctx.quiet {
            eprintln!("[{}] {}", c.id(), c.title());
        }
        outcomes.push(c.run(ctx)?);
    }
    // One Holm family over all real checks of the run.
    let mut inputs = Vec::new();
    let mut owner = Vec::new();
    for (i, (c, o)) in selected.iter().zip(&outcomes).enumerate() {
        for ch in &o.checks {
            let mut ch = ch.clone();
            ch.name = format!("{}.{}", c.id(), ch.name);
            inputs.push(ch);
            owner.push(i);
        }
    }
    let results = evaluate(&inputs, ALPHA);
    let mut claims = Vec::new();
    for (i, (c, o)) in selected.iter().zip(outcomes).enumerate() {
        let checks: Vec<CheckResult> = results
            .iter()
            .zip(&owner)
            .filter(|(_, w)| **w == i)
            .map(|(r, _)| r.clone())
            .collect();
        let mut stems = Vec::new();
        for (stem, fig) in &o.figures {
            let stem = format!("{}_{stem}", c.id());
            if let Some(dir) = out {
                fig.save(dir, &stem)?;
            }
            stems.push(stem);
        }
        claims.push(ClaimReport {
            id: c.id().to_string(),
            title: c.title().to_string(),
            passed: checks
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
        });
    }
    Ok(ReproduceReport {
        schema_version: REPRODUCE_SCHEMA_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        tier: ctx.tier,
        seed: ctx.seed,
        alpha: ALPHA,
        claims,
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

/// The claims table for the terminal.
pub fn render(r: &ReproduceReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "phaseflow reproduce ({:?} tier, seed {}, Holm α = {} over all checks)",
        r.tier, r.seed, r.alpha
    );
    let w = r
        .claims
        .iter()
        .map(|c| c.title.chars().count())
        .max()
        .unwrap_or(5);
    let _ = writeln!(
        s,
        "{:<4} {:<w$} {:>9} {:>10}  verdict",
        "id", "claim", "checks", "controls"
    );
    for c in &r.claims {
        let real: Vec<_> = c
            .checks
            .iter()
            .filter(|x| x.negative_control.is_none())
            .collect();
        let ctl: Vec<_> = c
            .checks
            .iter()
            .filter(|x| x.negative_control.is_some())
            .collect();
        let pad = w.saturating_sub(c.title.chars().count());
        let _ = writeln!(
            s,
            "{:<4} {}{} {:>4}/{:<4} {:>4}/{:<4}  {}",
            c.id,
            c.title,
            " ".repeat(pad),
            real.iter().filter(|x| x.passed).count(),
            real.len(),
            ctl.iter().filter(|x| !x.passed).count(),
            ctl.len(),
            match (c.passed, c.negative_control_failed) {
                (true, true) => "HOLDS",
                (false, _) => "FAILS",
                (true, false) => "UNTESTED (a control passed)",
            }
        );
        for ch in c.checks.iter().filter(|x| !x.as_expected()) {
            let _ = writeln!(
                s,
                "       ✗ {}: measured {:.5} ± {:.5}, theory {:.5}, δ {:.2e}",
                ch.name, ch.measured, ch.se, ch.prediction, ch.allowance
            );
        }
        for n in &c.notes {
            let _ = writeln!(s, "       · {n}");
        }
    }
    let _ = writeln!(
        s,
        "{}",
        if r.ok() {
            "ALL CLAIMS HOLD; every negative control failed as it must."
        } else {
            "NOT ALL CLAIMS HOLD (see ✗ lines)."
        }
    );
    s
}

/// The claims report as Markdown, with every check.
pub fn markdown(r: &ReproduceReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "# phaseflow reproduce ({:?} tier)\n", r.tier);
    let _ = writeln!(
        s,
        "Seed {}, Holm family-wise α = {} over all {} checks. {}\n",
        r.seed,
        r.alpha,
        r.claims.iter().map(|c| c.checks.len()).sum::<usize>(),
        if r.ok() {
            "**All claims hold.**"
        } else {
            "**Not all claims hold.**"
        }
    );
    for c in &r.claims {
        let _ = writeln!(
            s,
            "## {} — {}\n\nverdict: **{}**, negative controls failed: {}\n",
            c.id,
            c.title,
            if c.passed { "holds" } else { "fails" },
            c.negative_control_failed
        );
        for n in &c.notes {
            let _ = writeln!(s, "- {n}");
        }
        for f in &c.figures {
            let _ = writeln!(s, "\n![{f}]({f}.png)");
        }
        let _ = writeln!(
            s,
            "\n| check | measured ± se | theory | δ | δ source | verdict |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for ch in &c.checks {
            let verdict = match (&ch.negative_control, ch.passed) {
                (None, true) => "pass".to_string(),
                (None, false) => "FAIL".to_string(),
                (Some(w), false) => format!("control ({w}) failed, as it must"),
                (Some(w), true) => format!("CONTROL ({w}) PASSED"),
            };
            let _ = writeln!(
                s,
                "| {} | {:.5} ± {:.5} | {:.5} | {:.2e} | {} | {} |",
                ch.name,
                ch.measured,
                ch.se,
                ch.prediction,
                ch.allowance,
                ch.allowance_source,
                verdict
            );
        }
        let _ = writeln!(s);
    }
    s
}
