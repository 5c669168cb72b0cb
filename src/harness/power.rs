//! The suite's power (issues 11 and 22, SPEC §6): how often an experiment's checks fail when
//! something is deliberately wrong, and how often they fail when nothing is.
//!
//! For each master seed s of the list, the experiment is trained at the nominal
//! configuration and under every perturbation and magnitude asked for
//! ([`crate::perturbation`]): on the **experiment side** (every trained replica perturbed:
//! data p + Δp, σ² × (1 + ε), training κ × (1 + η), λ mis-set, the Euler sampler off by one;
//! the predictions nominal) and on the **theory side** (the predictions computed at
//! p + Δp, σ² × (1 + ε), κ × (1 + η); the training nominal, so those cells reuse the nominal
//! replicas of the same seed). Each is evaluated exactly as `phaseflow run` evaluates it:
//! the same checks, the same two-tier Holm correction, the same allowances (SPEC §6's kinds;
//! nothing is measured on replicas of the code, so nothing shares or absorbs the error). A
//! run *detects* when one of its real checks fails or a trained step did not converge; a
//! family detects when one of its own real checks fails.
//!
//! The same counting serves the claims of `phaseflow reproduce` ([`crate::claims::power`]):
//! a [`Tally`] per configuration, a [`PowerReport`] whose [`Subject`] says what was run.
//!
//! Reported: per perturbation and magnitude, the detection rate over the seeds with its
//! Clopper–Pearson interval, overall, per family and for the primary tests alone; the
//! minimum detectable effect (MDE) at [`POWER_TARGET`] power of each kind, read off the
//! ladder of magnitudes by linear interpolation of the detection rate; and the false-alarm
//! rate at the nominal configuration, which must not exceed the run's α beyond its
//! binomial interval.

use super::check::Role;
use super::{Experiment, evaluate, progress, run_replicas};
use crate::error::Error;
use crate::experiment::TrainOutput;
use crate::perturbation::Perturbation;
use crate::plot::{Figure, Panel, Series};
use crate::stats::clopper_pearson;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// The detection probability the MDE is defined at.
pub const POWER_TARGET: f64 = 0.9;

/// Confidence of the binomial intervals.
pub const RATE_LEVEL: f64 = 0.95;

/// Version of the power report schema (2: cells carry the information bound `bound`; 3: no
/// pilot; theory-side perturbations, whose `kind` starts with `theory:`; `config` became
/// `subject` (an experiment or the claims of reproduce) and `alpha`).
pub const POWER_SCHEMA_VERSION: u32 = 3;

/// The information bound of a data-p perturbation: the detection probability of the
/// two-sided z-test at level α on the run's R·n training signs themselves, with their exact
/// null variance p(1 − p)/(R·n). The generated samples and the trained weights carry no
/// information about the p the data were drawn with beyond those signs, so no check of a
/// run can detect Δp more often than this (up to the normal approximation of the
/// binomial; the checks, which spend α over several tests and estimate their SE from R
/// replicas, detect less).
///
/// ```
/// use phaseflow::harness::power::{p_detection_bound, signs_needed};
/// // the quick preset's R·n = 16·256 signs cannot see p + 0.02 at 90 %:
/// let b = p_detection_bound(0.8, 0.02, 4096.0, 0.01);
/// assert!((b - 0.73).abs() < 0.01);
/// // 90 % at α = 0.01 needs ≈ 5 950 signs
/// assert!((signs_needed(0.8, 0.02, 0.01, 0.9) - 5_952.0).abs() < 5.0);
/// ```
pub fn p_detection_bound(p: f64, dp: f64, signs: f64, alpha: f64) -> f64 {
    let n01 = Normal::standard();
    let z = n01.inverse_cdf(1.0 - alpha / 2.0);
    let shift = dp.abs() / (p * (1.0 - p) / signs).sqrt();
    n01.cdf(shift - z) + n01.cdf(-shift - z)
}

/// The training signs R·n the z-test of [`p_detection_bound`] needs to detect Δp with
/// probability `power` at level α: p(1 − p)·((z_{1−α/2} + z_power)/Δp)².
pub fn signs_needed(p: f64, dp: f64, alpha: f64, power: f64) -> f64 {
    let n01 = Normal::standard();
    let z = n01.inverse_cdf(1.0 - alpha / 2.0) + n01.inverse_cdf(power);
    p * (1.0 - p) * (z / dp).powi(2)
}

/// A rate over seeds with its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Seeds that detected (or false-alarmed).
    pub k: usize,
    /// Seeds.
    pub n: usize,
    /// k / n.
    pub rate: f64,
    /// Clopper–Pearson interval at [`RATE_LEVEL`].
    pub ci: [f64; 2],
}

impl Rate {
    pub(crate) fn of(k: usize, n: usize) -> Self {
        Self {
            k,
            n,
            rate: if n > 0 { k as f64 / n as f64 } else { 0.0 },
            ci: clopper_pearson(k, n, RATE_LEVEL),
        }
    }
}

/// What one configuration (nominal, or one perturbation at one magnitude) gave over the seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerCell {
    /// The perturbation (`null`: nominal, the false-alarm cell).
    pub perturbation: Option<Perturbation>,
    /// Its kind (`nominal` for none).
    pub kind: String,
    /// Δp or scale − 1 (0 for nominal).
    pub magnitude: f64,
    /// Any real check failed.
    pub any: Rate,
    /// Any real primary test failed.
    pub primary: Rate,
    /// Per family: any of its real checks failed.
    pub families: Vec<(String, Rate)>,
    /// For a data-p perturbation, [`p_detection_bound`] at the run's R·n and α: the most
    /// any check could detect (`null` for other kinds).
    pub bound: Option<f64>,
}

impl PowerCell {
    /// Its row label: the perturbation, or `nominal`.
    pub fn label(&self) -> String {
        self.perturbation
            .map_or_else(|| "nominal".to_string(), |p| p.to_string())
    }

    /// The detection rate of family `f` (`None` if the cell has no such family).
    pub fn family_rate(&self, f: &str) -> Option<f64> {
        self.families
            .iter()
            .find(|(g, _)| g == f)
            .map(|(_, r)| r.rate)
    }
}

/// The minimum detectable effect of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mde {
    /// The kind.
    pub kind: String,
    /// `any` or a family name.
    pub by: String,
    /// The magnitude detected with probability [`POWER_TARGET`] (interpolated on the
    /// ladder); `null` if the largest magnitude tried stays below.
    pub mde: Option<f64>,
    /// The largest magnitude tried.
    pub max_tried: f64,
}

/// What `phaseflow power --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerReport {
    /// [`POWER_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The crate version.
    pub crate_version: String,
    /// What was run at every seed.
    pub subject: Subject,
    /// The family-wise level of each run.
    pub alpha: f64,
    /// The master seeds.
    pub seeds: Vec<u64>,
    /// The false-alarm cell (nominal configuration).
    pub nominal: PowerCell,
    /// The false-alarm rate is within α: α ≥ the lower end of its interval.
    pub false_alarm_ok: bool,
    /// One cell per perturbation and magnitude.
    pub cells: Vec<PowerCell>,
    /// The MDE of each kind, overall and per family.
    pub mde: Vec<Mde>,
}

/// What a power report measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// One experiment, as `phaseflow run` checks it (nominal; its seed is replaced by each
    /// master seed).
    Experiment {
        /// The experiment.
        config: Box<Experiment>,
    },
    /// The claims of `phaseflow reproduce`, all their checks evaluated together.
    Claims {
        /// `quick` or `full`.
        tier: String,
        /// The claim ids.
        claims: Vec<String>,
        /// The replica override, if any.
        replicas: Option<usize>,
    },
}

impl Subject {
    /// A name for headlines.
    pub fn name(&self) -> String {
        match self {
            Subject::Experiment { config } => format!("'{}'", config.name),
            Subject::Claims { tier, claims, .. } => {
                format!("reproduce {} ({tier} tier)", claims.join(","))
            }
        }
    }
}

/// Counts of one configuration over master seeds (module doc): a run *detects* when one of
/// its real checks fails or a trained step did not converge.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    n: usize,
    any: usize,
    primary: usize,
    families: Vec<(String, usize)>,
}

impl Tally {
    /// Count one run's results; `family` names the family of a check (its own, or its claim).
    pub fn add(
        &mut self,
        checks: &[super::check::CheckResult],
        unconverged: bool,
        family: impl Fn(&super::check::CheckResult) -> String,
    ) {
        let failed = |c: &&super::check::CheckResult| c.negative_control.is_none() && !c.passed;
        self.n += 1;
        self.any += usize::from(checks.iter().any(|c| failed(&c)) || unconverged);
        self.primary += usize::from(checks.iter().any(|c| failed(&c) && c.role == Role::Primary));
        // One count per family and run: the family detects when any of its checks fails.
        let mut this: Vec<(String, bool)> = Vec::new();
        for c in checks {
            let f = family(c);
            let hit = failed(&c);
            match this.iter_mut().find(|(g, _)| *g == f) {
                Some((_, h)) => *h |= hit,
                None => this.push((f, hit)),
            }
        }
        for (f, hit) in this {
            match self.families.iter_mut().find(|(g, _)| *g == f) {
                Some((_, k)) => *k += usize::from(hit),
                None => self.families.push((f, usize::from(hit))),
            }
        }
    }

    /// The cell of `pert` (`None`: nominal), with an information bound if one applies.
    pub fn cell(self, pert: Option<Perturbation>, bound: Option<f64>) -> PowerCell {
        let n = self.n;
        PowerCell {
            perturbation: pert,
            kind: pert.map_or("nominal", |p| p.kind()).to_string(),
            magnitude: pert.map_or(0.0, |p| p.magnitude()),
            any: Rate::of(self.any, n),
            primary: Rate::of(self.primary, n),
            families: self
                .families
                .into_iter()
                .map(|(f, k)| (f, Rate::of(k, n)))
                .collect(),
            bound,
        }
    }
}

/// Every perturbation at every multiple of its base magnitude (the sampler off-by-one once).
pub fn ladder(perturbations: &[Perturbation], multipliers: &[f64]) -> Vec<Perturbation> {
    perturbations
        .iter()
        .flat_map(|p| -> Vec<Perturbation> {
            if *p == Perturbation::EulerNext {
                vec![*p]
            } else {
                multipliers
                    .iter()
                    .map(|m| p.with_magnitude(p.magnitude() * m))
                    .collect()
            }
        })
        .collect()
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct PowerSpec {
    /// The experiment (nominal).
    pub experiment: Experiment,
    /// The master seeds.
    pub seeds: Vec<u64>,
    /// The perturbations at their base magnitude (each is run at `multipliers` × it).
    pub perturbations: Vec<Perturbation>,
    /// Multipliers of each perturbation's magnitude: the ladder of the power curve (the
    /// sampler off-by-one has no magnitude and runs once).
    pub multipliers: Vec<f64>,
}

/// The nominal replicas of each master seed, trained once and reused by the theory-side
/// cells (their training is nominal).
type NominalRuns = std::collections::HashMap<u64, Vec<TrainOutput>>;

/// Run every seed of one configuration and count.
fn cell(
    spec: &PowerSpec,
    pert: Option<Perturbation>,
    nominal: &mut NominalRuns,
    quiet: bool,
) -> Result<PowerCell, Error> {
    let exp = &spec.experiment;
    let mut tally = Tally::default();
    let label = pert.map_or_else(|| "nominal".to_string(), |p| p.to_string());
    let pb = progress(spec.seeds.len() as u64, &format!("seeds ({label})"), quiet);
    for &seed in &spec.seeds {
        let mut e = exp.clone();
        e.train.seed = seed;
        e.train.perturbation = pert;
        let reuse = pert.is_none_or(|p| p.is_theory());
        let outs = match nominal.get(&seed).filter(|_| reuse) {
            Some(o) => o.clone(),
            None => {
                let v = e.validate()?;
                let ids: Vec<u64> = (0..e.replicas as u64).collect();
                let o = run_replicas(&v, &ids, &indicatif::ProgressBar::hidden())?;
                if reuse {
                    nominal.insert(seed, o.clone());
                }
                o
            }
        };
        let r = evaluate(&e, &outs)?;
        tally.add(&r.checks, r.summary.at_iteration_cap > 0, |c| {
            c.family.clone()
        });
        pb.inc(1);
    }
    pb.finish_and_clear();
    let bound = match pert {
        Some(Perturbation::DataP { shift }) => Some(p_detection_bound(
            exp.train.problem.p,
            shift,
            (exp.replicas * exp.train.problem.n) as f64,
            exp.alpha,
        )),
        _ => None,
    };
    Ok(tally.cell(pert, bound))
}

/// The smallest magnitude with detection ≥ [`POWER_TARGET`], interpolated linearly between
/// the ladder's points (from magnitude 0 at the nominal false-alarm rate).
fn mde_of(points: &[(f64, f64)], nominal: f64) -> Option<f64> {
    let mut prev = (0.0, nominal);
    for &(m, r) in points {
        if r >= POWER_TARGET {
            if prev.1 >= POWER_TARGET {
                return Some(m);
            }
            let f = (POWER_TARGET - prev.1) / (r - prev.1);
            return Some(prev.0 + f * (m - prev.0));
        }
        prev = (m, r);
    }
    None
}

/// The master seeds `first, first + 1, …` (`count` of them) of `power` with `configs`
/// configurations (perturbations × multipliers), checked before the list is allocated
/// (issue 24: `--seeds 18446744073709551615` aborted on the allocation): at least two, the
/// last one within u64, and the seeds' tallies within the memory budget.
///
/// # Errors
/// [`crate::problem::ConfigError`] naming `seeds` or `first-seed`.
pub fn seed_list(
    first: u64,
    count: usize,
    configs: usize,
) -> Result<Vec<u64>, crate::problem::ConfigError> {
    if count < 2 {
        return Err(crate::problem::ConfigError::TooFew {
            field: "seeds",
            min: 2,
            why: " (a rate needs several master seeds)",
            got: count,
        });
    }
    if first.checked_add(count as u64 - 1).is_none() {
        return Err(crate::problem::ConfigError::Invalid {
            field: "first-seed",
            rule: format!(
                "{first} + {count} seeds passes the largest seed {}",
                u64::MAX
            ),
        });
    }
    let mut cost = crate::budget::Cost::default();
    cost.add(
        "master seeds and their tallies, seeds·(configurations + 1)·64 B",
        count as f64 * (configs as f64 + 1.0) * 64.0,
        &[("seeds", count as f64, 20.0)],
    );
    cost.check()?;
    Ok((0..count as u64).map(|i| first + i).collect())
}

/// At least two master seeds (a rate needs several).
///
/// # Errors
/// [`crate::problem::ConfigError::TooFew`] naming `seeds`.
pub fn check_seeds(seeds: &[u64]) -> Result<(), crate::problem::ConfigError> {
    if seeds.len() < 2 {
        return Err(crate::problem::ConfigError::TooFew {
            field: "seeds",
            min: 2,
            why: " (a rate needs several master seeds)",
            got: seeds.len(),
        });
    }
    Ok(())
}

/// Measure the power (module doc).
///
/// # Errors
/// Bad input (an invalid perturbation names `perturb`) or a training failure.
pub fn power(spec: &PowerSpec, quiet: bool) -> Result<PowerReport, Error> {
    let exp = &spec.experiment;
    exp.validate()?;
    check_seeds(&spec.seeds)?;
    // Every perturbation checked up front, at every magnitude.
    let perts = ladder(&spec.perturbations, &spec.multipliers);
    for q in &perts {
        let mut e = exp.clone();
        e.train.perturbation = Some(*q);
        e.validate()?;
    }
    // The whole measurement: every seed trains the nominal experiment and each
    // experiment-side perturbation (a theory-side one reuses the nominal runs).
    let trained = 1.0 + perts.iter().filter(|q| !q.is_theory()).count() as f64;
    let runs = spec.seeds.len() as f64 * trained;
    exp.time()
        .repeated(("seeds", runs, 20.0 * trained))
        .check()?;
    let mut runs = NominalRuns::new();
    let nominal = cell(spec, None, &mut runs, quiet)?;
    let mut cells = Vec::new();
    for q in perts {
        cells.push(cell(spec, Some(q), &mut runs, quiet)?);
    }
    Ok(PowerReport::new(
        Subject::Experiment {
            config: Box::new(exp.clone()),
        },
        exp.alpha,
        spec.seeds.clone(),
        nominal,
        cells,
    ))
}

impl PowerReport {
    /// Assemble a report from its cells: the MDE of each kind (overall and per family) and
    /// whether the false-alarm rate is within α.
    pub fn new(
        subject: Subject,
        alpha: f64,
        seeds: Vec<u64>,
        nominal: PowerCell,
        cells: Vec<PowerCell>,
    ) -> Self {
        let mut mde = Vec::new();
        let mut kinds: Vec<String> = Vec::new();
        for c in &cells {
            if !kinds.contains(&c.kind) {
                kinds.push(c.kind.clone());
            }
        }
        for k in &kinds {
            let of: Vec<&PowerCell> = cells.iter().filter(|c| &c.kind == k).collect();
            let max_tried = of.iter().map(|c| c.magnitude.abs()).fold(0.0, f64::max);
            let pts = |get: &dyn Fn(&PowerCell) -> f64| -> Vec<(f64, f64)> {
                let mut v: Vec<(f64, f64)> =
                    of.iter().map(|c| (c.magnitude.abs(), get(c))).collect();
                v.sort_by(|a, b| a.0.total_cmp(&b.0));
                v
            };
            mde.push(Mde {
                kind: k.clone(),
                by: "any".into(),
                mde: mde_of(&pts(&|c| c.any.rate), nominal.any.rate),
                max_tried,
            });
            for (f, nr) in &nominal.families {
                let get = |c: &PowerCell| c.family_rate(f).unwrap_or(0.0);
                mde.push(Mde {
                    kind: k.clone(),
                    by: f.clone(),
                    mde: mde_of(&pts(&get), nr.rate),
                    max_tried,
                });
            }
        }
        Self {
            schema_version: POWER_SCHEMA_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            subject,
            alpha,
            seeds,
            false_alarm_ok: nominal.any.ci[0] <= alpha,
            nominal,
            cells,
            mde,
        }
    }

    /// The power curves: per kind, the detection rate (overall and per family) against the
    /// magnitude, with the nominal false-alarm rate at 0 and the 90 % line.
    pub fn figure(&self) -> Figure {
        let mut kinds: Vec<&str> = Vec::new();
        for c in &self.cells {
            if !kinds.contains(&c.kind.as_str()) {
                kinds.push(&c.kind);
            }
        }
        let mut fig = Figure::new(format!(
            "power of {} over {} master seeds: detection rate vs perturbation",
            self.subject.name(),
            self.seeds.len()
        ))
        .with_cols(kinds.len().clamp(1, 3));
        for k in kinds {
            let mut of: Vec<&PowerCell> = self.cells.iter().filter(|c| c.kind == k).collect();
            of.sort_by(|a, b| a.magnitude.abs().total_cmp(&b.magnitude.abs()));
            let xs: Vec<f64> = std::iter::once(0.0)
                .chain(of.iter().map(|c| c.magnitude.abs()))
                .collect();
            let series = |name: &str, nominal: f64, get: &dyn Fn(&PowerCell) -> f64| {
                let ys: Vec<f64> = std::iter::once(nominal)
                    .chain(of.iter().map(|c| get(c)))
                    .collect();
                Series::line_markers(name.to_string(), xs.clone(), ys)
            };
            let mut panel = Panel::new(k.to_string(), "magnitude (Δp or scale − 1)", "detection")
                .with_y_range(0.0, 1.05)
                .with_series(series("any check", self.nominal.any.rate, &|c| c.any.rate));
            for (f, nr) in &self.nominal.families {
                panel = panel.with_series(series(f, nr.rate, &|c| c.family_rate(f).unwrap_or(0.0)));
            }
            fig = fig.with_panel(panel.with_hline(POWER_TARGET, "90 %"));
        }
        fig
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mde_interpolates_on_the_ladder() {
        // 0 → 0.01 (nominal), 0.01 → 0.5, 0.02 → 1.0: 90 % at 0.01 + 0.8·0.01
        let m = mde_of(&[(0.01, 0.5), (0.02, 1.0)], 0.01).unwrap();
        assert!((m - 0.018).abs() < 1e-12, "{m}");
        assert_eq!(mde_of(&[(0.01, 0.5), (0.02, 0.6)], 0.0), None);
        assert_eq!(mde_of(&[(0.01, 0.95)], 0.95), Some(0.01));
    }

    #[test]
    fn a_family_counts_once_per_run_and_unconverged_runs_detect() {
        use crate::harness::check::{Allowance, CheckInput, Measured, Source, evaluate};
        let input = |name: &str, fam: &str, m: f64| {
            CheckInput::new(
                name,
                fam,
                Measured::exact(m),
                0.0,
                Source::Bayes,
                Allowance::exact("test"),
            )
        };
        let ctl = input("c", "f", 1.0).control(Some("wrong".into()));
        let bad = evaluate(
            &[input("a", "f", 1.0), input("b", "f", 1.0), ctl.clone()],
            0.01,
        )
        .unwrap();
        let good = evaluate(&[input("a", "f", 0.0), ctl], 0.01).unwrap();
        let mut t = Tally::default();
        t.add(&bad, false, |c| c.family.clone());
        t.add(&good, false, |c| c.family.clone());
        t.add(&good, true, |c| c.family.clone());
        let cell = t.cell(None, None);
        assert_eq!((cell.any.k, cell.any.n), (2, 3));
        assert_eq!(cell.families, vec![("f".to_string(), Rate::of(1, 3))]);
    }

    #[test]
    fn rates_carry_their_binomial_interval() {
        let r = Rate::of(0, 20);
        assert_eq!(r.k, 0);
        assert!(r.ci[0] == 0.0 && r.ci[1] > 0.1);
    }
}
