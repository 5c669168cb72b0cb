//! `phaseflow reproduce --shard i/N` and its merge: the claims of a reproduction split
//! over N processes (a cluster array, GNU parallel), then one merge that gives the same
//! report, byte for byte, as the unsharded run.
//!
//! **How.** Every trained run of a reproduction goes through one cache ([`Cache`]), keyed
//! by the run's full configuration. Shard i runs the claims [`assign`] gives it and writes
//! the trained runs its cache holds to `reproduce-shard-i-of-N.json` (floats round-trip
//! exactly). The merge reads the N files, checks them against each other, seals a cache
//! holding their runs (`Cache::replay`) and runs the whole reproduction on it: every claim
//! runs the same code on the same trained outputs, so checks, the Holm correction over all
//! claims, notes, fits and figures are those of the unsharded run; nothing is trained (a
//! run no file holds is an error naming it). What the merge recomputes is the untrained
//! part: theories, Bayes-denoiser generation and profiles (for C1, C5 and C8 of the quick
//! tier the merge took about a ninth of the unsharded run's wall time, the two run one after
//! the other beside other jobs: indicative, not a benchmark).
//!
//! **Balance.** Claims are the unit: [`assign`] gives each claim, heaviest first, to the
//! least-loaded shard, by the costs of [`claim_cost`] (estimated per tier; deterministic,
//! so every shard computes the same partition). A configuration two claims share is trained
//! by each shard that runs one of them.

use super::common::Cache;
use super::{ReproduceConfig, Reproduction, Tier, all_claims, reproduce};
use crate::error::{Error, ShardError};
use crate::experiment::TrainOutput;
use crate::harness::shard::ShardSpec;
use crate::perturbation::Perturbation;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Version of the reproduce shard file.
pub const REPRODUCE_SHARD_SCHEMA_VERSION: u32 = 1;

/// One trained run: the cache key (seed, replicas, training configuration) and the replica
/// outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredRun {
    /// The cache key.
    pub key: String,
    /// Replica outputs in replica order.
    pub outputs: Vec<TrainOutput>,
}

/// What a reproduce shard writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReproduceShard {
    /// [`REPRODUCE_SHARD_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The crate version that wrote it (a merge needs the same).
    pub crate_version: String,
    /// Quick or full.
    pub tier: Tier,
    /// Master seed.
    pub seed: u64,
    /// The replica override, if any.
    pub replicas: Option<usize>,
    /// The perturbation of the reproduction, if any.
    pub perturbation: Option<Perturbation>,
    /// The claims of the whole reproduction (`None`: all), as given.
    pub claims: Option<Vec<String>>,
    /// Which shard.
    pub shard: ShardSpec,
    /// The claims this shard ran.
    pub ran: Vec<String>,
    /// Its trained runs, sorted by key.
    pub runs: Vec<StoredRun>,
}

impl ReproduceShard {
    /// The file name of shard `s`.
    pub fn file_name(s: ShardSpec) -> String {
        format!("reproduce-shard-{}-of-{}.json", s.index, s.count)
    }

    /// The settings every shard of one reproduction shares (compared by [`merge`]).
    fn settings(&self) -> impl PartialEq + '_ {
        (
            self.schema_version,
            &self.crate_version,
            self.tier,
            self.seed,
            self.replicas,
            self.perturbation,
            &self.claims,
            self.shard.count,
        )
    }
}

/// The relative cost of a claim, for balancing shards: rough estimates in seconds on this
/// project's 2-core machine, not yet a measured profile (issue 28; `reproduce` now prints
/// each claim's wall time on stderr, which is how to refine them). Any weights give a
/// correct merge; only the balance depends on them. Unknown ids weigh 1.
pub fn claim_cost(id: &str, tier: Tier) -> f64 {
    let (quick, full) = match id {
        "C1" => (20.0, 300.0),
        "C2" => (20.0, 300.0),
        "C3" => (20.0, 300.0),
        "C4" => (30.0, 600.0),
        "C5" => (5.0, 60.0),
        "C6" => (10.0, 120.0),
        "C7" => (10.0, 120.0),
        "C8" => (5.0, 300.0),
        "C9" => (5.0, 60.0),
        "C10" => (10.0, 60.0),
        "C11" => (30.0, 40.0),
        "C12" => (10.0, 300.0),
        _ => (1.0, 1.0),
    };
    match tier {
        Tier::Quick => quick,
        Tier::Full => full,
    }
}

/// The claims of `selected` that shard `s` runs: heaviest first, each to the least-loaded
/// shard (ties to the lowest index); every shard computes the same partition.
pub fn assign(selected: &[&str], tier: Tier, s: ShardSpec) -> Vec<String> {
    let mut order: Vec<(usize, &str)> = selected.iter().copied().enumerate().collect();
    order.sort_by(|a, b| {
        claim_cost(b.1, tier)
            .total_cmp(&claim_cost(a.1, tier))
            .then(a.0.cmp(&b.0))
    });
    // Shards past the number of claims never get one (each claim goes to the least loaded
    // shard, the lowest index on a tie), so only that many loads are kept: N = 2^64 − 1 is
    // assigned without allocating N loads (issue 24).
    let shards = s.count.min(selected.len().max(1));
    let mut load = vec![0.0_f64; shards];
    let mut mine = Vec::new();
    for (i, id) in order {
        let k = (0..shards)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .expect("count ≥ 1");
        load[k] += claim_cost(id, tier);
        if k == s.index {
            mine.push((i, id.to_string()));
        }
    }
    mine.sort();
    mine.into_iter().map(|(_, id)| id).collect()
}

/// The ids of the claims `cfg` selects, in report order.
fn selected(cfg: &ReproduceConfig) -> Vec<&'static str> {
    all_claims()
        .iter()
        .map(|c| c.id())
        .filter(|id| {
            cfg.claims
                .as_deref()
                .is_none_or(|ids| ids.iter().any(|i| id.eq_ignore_ascii_case(i)))
        })
        .collect()
}

/// `phaseflow reproduce --shard i/N`: run this shard's claims and write their trained runs
/// into `dir`; returns the file's path and the claims it ran. A shard with no claim (N
/// larger than the number of claims) writes an empty file, so the merge sees every index.
///
/// # Errors
/// Bad input before any work, a training failure, or a file that cannot be written.
pub fn run_shard(cfg: &ReproduceConfig, s: ShardSpec, dir: &Path) -> Result<PathBuf, Error> {
    cfg.check()?;
    let ids = selected(cfg);
    let ran = assign(&ids, cfg.context.tier, s);
    let cache = Arc::new(Cache::default());
    let mut sub = cfg.clone();
    sub.context.cache = cache.clone();
    if !ran.is_empty() {
        sub.claims = Some(ran.clone());
        // The verdicts of a part are not the reproduction's: only the runs are kept.
        reproduce(&sub)?;
    }
    let runs = cache
        .runs_sorted()
        .into_iter()
        .map(|(key, v)| StoredRun {
            key,
            outputs: v.as_ref().clone(),
        })
        .collect();
    let file = ReproduceShard {
        schema_version: REPRODUCE_SHARD_SCHEMA_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        tier: cfg.context.tier,
        seed: cfg.context.seed,
        replicas: cfg.context.replicas,
        perturbation: cfg.context.perturbation,
        claims: cfg.claims.clone(),
        shard: s,
        ran,
        runs,
    };
    let path = dir.join(ReproduceShard::file_name(s));
    crate::io::write_json(&path, &file)?;
    Ok(path)
}

/// Whether `dir` holds reproduce shard files (rather than `run` shards).
pub fn holds_shards(dir: &Path) -> bool {
    shard_paths(dir).is_ok_and(|v| !v.is_empty())
}

fn shard_paths(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    crate::harness::shard::files_named(dir, "reproduce-shard-")
}

/// Read and check the reproduce shard files of `dir` (same settings and count, every index
/// once, each file named after its content), then run the reproduction on their runs.
///
/// # Errors
/// [`ShardError`] naming the file; a run no file holds; a file that cannot be read.
pub fn merge(dir: &Path, quiet: bool) -> Result<Reproduction, Error> {
    let paths = shard_paths(dir)?;
    if paths.is_empty() {
        return Err(ShardError::NoShards {
            dir: dir.to_path_buf(),
        }
        .into());
    }
    let mut files: Vec<(PathBuf, ReproduceShard)> = Vec::new();
    for p in paths {
        let f: ReproduceShard = crate::io::read_json(&p)?;
        check_file(&p, &f)?;
        files.push((p, f));
    }
    let (first_path, first) = (files[0].0.clone(), files[0].1.clone());
    let count = first.shard.count;
    // Indices in a map, not a table of N entries: a count of 2^64 − 1 is refused by name
    // (the first missing shard) without allocating it (issue 24).
    let mut by_index: std::collections::BTreeMap<usize, PathBuf> = Default::default();
    for (p, f) in &files {
        if f.settings() != first.settings() {
            return Err(ShardError::Mismatch {
                path: p.clone(),
                first: first_path.clone(),
            }
            .into());
        }
        if let Some(other) = by_index.get(&f.shard.index) {
            return Err(ShardError::Duplicate {
                path: p.clone(),
                index: f.shard.index,
                count,
                other: other.clone(),
            }
            .into());
        }
        by_index.insert(f.shard.index, p.clone());
    }
    if let Some(index) = (0..count).find(|i| !by_index.contains_key(i)) {
        return Err(ShardError::Missing {
            dir: dir.to_path_buf(),
            index,
            count,
            file: ReproduceShard::file_name(ShardSpec { index, count }),
        }
        .into());
    }
    let runs = files
        .into_iter()
        .flat_map(|(_, f)| f.runs)
        .map(|r| (r.key, r.outputs));
    let cfg = ReproduceConfig {
        context: super::Context {
            tier: first.tier,
            replicas: first.replicas,
            seed: first.seed,
            quiet,
            perturbation: first.perturbation,
            cache: Arc::new(Cache::replay(runs)),
        },
        claims: first.claims,
    };
    reproduce(&cfg)
}

/// One file on its own: schema, crate version, index < count, its name.
fn check_file(path: &Path, f: &ReproduceShard) -> Result<(), Error> {
    crate::harness::shard::check_header(
        path,
        (f.schema_version, REPRODUCE_SHARD_SCHEMA_VERSION),
        &f.crate_version,
    )?;
    let ShardSpec { index, count } = f.shard;
    if count == 0 || index >= count {
        return Err(ShardError::Index {
            path: path.to_path_buf(),
            index,
            count,
        }
        .into());
    }
    let name = ReproduceShard::file_name(f.shard);
    if path.file_name().and_then(|n| n.to_str()) != Some(name.as_str()) {
        return Err(ShardError::Name {
            path: path.to_path_buf(),
            index,
            count,
            expected: name,
        }
        .into());
    }
    let field = |field: String, rule: String| -> Error {
        ShardError::Field {
            path: path.to_path_buf(),
            field,
            rule,
        }
        .into()
    };
    // Numbers as `reproduce` itself checks them (issue 24): the replica override and the
    // claims of the reproduction, and the outputs' values.
    let cfg = ReproduceConfig {
        context: super::Context {
            tier: f.tier,
            replicas: f.replicas,
            seed: f.seed,
            quiet: true,
            perturbation: f.perturbation,
            cache: Default::default(),
        },
        claims: f.claims.clone(),
    };
    cfg.check()
        .map_err(|e| field("settings".into(), e.to_string()))?;
    for (i, run) in f.runs.iter().enumerate() {
        for (j, o) in run.outputs.iter().enumerate() {
            if let Err((f, rule)) = o.check_values() {
                return Err(field(format!("runs[{i}].outputs[{j}].{f}"), rule));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_in_exactly_one_shard() {
        let ids: Vec<&str> = all_claims().iter().map(|c| c.id()).collect();
        for tier in [Tier::Quick, Tier::Full] {
            for count in 1..=12 {
                let mut seen: Vec<String> = (0..count)
                    .flat_map(|index| assign(&ids, tier, ShardSpec { index, count }))
                    .collect();
                seen.sort();
                let mut want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
                want.sort();
                assert_eq!(seen, want, "{tier:?} N = {count}");
            }
        }
    }
}
