//! Sharding for clusters: `--shard i/N` (0 ≤ i < N) trains replicas r with r mod N = i and
//! writes a partial file; [`merge`] combines the N partial files of a folder into the same
//! replica list, hence the same report, bit for bit, as the unsharded run (outputs are
//! stored with round-trip-exact floats and re-sorted by replica).

use super::Experiment;
use crate::error::Error;
use crate::experiment::TrainOutput;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the shard file format (2: the experiment's `train` is the nested
/// [`crate::experiment::TrainConfig`] of schema 2; 3: of schema 3, with the interpolant
/// `path` and the sampler's `endpoint`; 4: no pilot replicas, the experiment has no `pilot`).
pub const SHARD_SCHEMA_VERSION: u32 = 4;

pub use crate::error::ShardError;

/// Which part of the replicas a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    /// 0-based shard index i.
    pub index: usize,
    /// Number of shards N.
    pub count: usize,
}

impl std::str::FromStr for ShardSpec {
    type Err = String;
    /// Parse `i/N` with 0 ≤ i < N.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("shard: expected i/N with 0 <= i < N, got '{s}'");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl ShardSpec {
    /// The replica indices of this shard among `replicas`.
    pub fn replicas(&self, replicas: usize) -> Vec<u64> {
        (0..replicas as u64)
            .filter(|r| *r as usize % self.count == self.index)
            .collect()
    }
    /// The file name of this shard's partial result.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

/// A partial result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// [`SHARD_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The crate version that wrote it.
    pub crate_version: String,
    /// The experiment (must be identical across shards).
    pub experiment: Experiment,
    /// Which shard.
    pub shard: ShardSpec,
    /// This shard's replica outputs, in replica order.
    pub replicas: Vec<TrainOutput>,
}

/// Write a shard's partial result atomically into `dir`; returns its path.
///
/// # Errors
/// [`Error::File`] naming the file.
pub fn write(dir: &Path, file: &ShardFile) -> Result<PathBuf, Error> {
    let path = dir.join(file.shard.file_name());
    crate::io::write_json(&path, file)?;
    Ok(path)
}

/// `phaseflow run --shard i/N`: validate the experiment (and that N ≤ R, so no shard is
/// empty), train this shard's replicas and write its partial file into `dir`; returns the
/// file's path.
///
/// # Errors
/// Bad input before any work, a training failure, or [`Error::File`].
pub fn run(exp: &Experiment, spec: ShardSpec, dir: &Path, quiet: bool) -> Result<PathBuf, Error> {
    let v = exp.validate()?;
    if spec.count > exp.replicas {
        return Err(crate::problem::ConfigError::Invalid {
            field: "shard",
            rule: format!(
                "{} shards of {} replicas: at most one shard per replica (N ≤ R)",
                spec.count, exp.replicas
            ),
        }
        .into());
    }
    let ids = spec.replicas(exp.replicas);
    let pb = super::progress(ids.len() as u64, "replicas (shard)", quiet);
    let replicas = super::run_replicas(&v, &ids, &pb)?;
    write(
        dir,
        &ShardFile {
            schema_version: SHARD_SCHEMA_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            experiment: exp.clone(),
            shard: spec,
            replicas,
        },
    )
}

/// `phaseflow merge`: combine the shards of `dir` and evaluate them, the same report as the
/// unsharded run.
///
/// # Errors
/// As [`merge`], or an experiment that does not validate.
pub fn merge_report(dir: &Path) -> Result<super::RunReport, Error> {
    let (exp, outs) = merge(dir)?;
    exp.validate()?;
    super::evaluate(&exp, &outs)
}

/// Check one shard file on its own before anything of the sizes it states is allocated:
/// schema and crate version, the experiment (every field, and its memory estimate, so
/// `"replicas": 1e15` is refused here), 0 ≤ index < count ≤ replicas, the file name, and
/// every replica output (its index, schema, configuration and number of steps).
///
/// # Errors
/// [`ShardError`] naming the file and the field.
pub fn check_file(path: &Path, f: &ShardFile) -> Result<(), Error> {
    let field = |field: &str, rule: String| -> Error {
        ShardError::Field {
            path: path.to_path_buf(),
            field: field.to_string(),
            rule,
        }
        .into()
    };
    check_header(
        path,
        (f.schema_version, SHARD_SCHEMA_VERSION),
        &f.crate_version,
    )?;
    let exp = &f.experiment;
    let v = exp
        .validate()
        .map_err(|e| field("experiment", e.to_string()))?;
    let ShardSpec { index, count } = f.shard;
    if count == 0 {
        return Err(field("shard.count", "0: must be at least 1".into()));
    }
    if index >= count {
        return Err(ShardError::Index {
            path: path.to_path_buf(),
            index,
            count,
        }
        .into());
    }
    if count > exp.replicas {
        return Err(field(
            "shard.count",
            format!(
                "{count} shards of {} replicas: at most one shard per replica",
                exp.replicas
            ),
        ));
    }
    let name = f.shard.file_name();
    if path.file_name().and_then(|n| n.to_str()) != Some(name.as_str()) {
        return Err(ShardError::Name {
            path: path.to_path_buf(),
            index,
            count,
            expected: name,
        }
        .into());
    }
    // Replicas r < R with r mod N = i, in increasing order, without allocating R/N.
    let owned = (exp.replicas - index).div_ceil(count);
    let got: Vec<u64> = f.replicas.iter().map(|o| o.replica).collect();
    let in_order = got
        .iter()
        .enumerate()
        .all(|(j, &r)| r == (index + j * count) as u64);
    if got.len() != owned || !in_order {
        return Err(ShardError::Replicas {
            path: path.to_path_buf(),
            got,
            expected: f.shard.replicas(exp.replicas),
        }
        .into());
    }
    for (j, o) in f.replicas.iter().enumerate() {
        let at = |k: &str| format!("replicas[{j}].{k}");
        if o.schema_version != crate::experiment::TRAIN_SCHEMA_VERSION {
            return Err(field(
                &at("schema_version"),
                format!(
                    "{}, expected {}",
                    o.schema_version,
                    crate::experiment::TRAIN_SCHEMA_VERSION
                ),
            ));
        }
        if o.config != v.config {
            return Err(field(
                &at("config"),
                "differs from the experiment's training configuration".into(),
            ));
        }
        if o.steps.len() != v.config.problem.steps {
            return Err(field(
                &at("steps"),
                format!(
                    "{} entries, expected K = {}",
                    o.steps.len(),
                    v.config.problem.steps
                ),
            ));
        }
        if let Err((f, rule)) = o.check_values() {
            return Err(field(&at(&f), rule));
        }
        if o.generated.n_gen != v.config.n_gen {
            return Err(field(
                &at("generated.n_gen"),
                format!("{}, expected {}", o.generated.n_gen, v.config.n_gen),
            ));
        }
    }
    Ok(())
}

/// A shard file's schema `(found, expected)` and the crate version that wrote it: a merge
/// reads only its own schema, written by this very version (shared by `run` and `reproduce`
/// shards).
///
/// # Errors
/// [`ShardError::Schema`] or [`ShardError::Version`] naming the file.
pub(crate) fn check_header(
    path: &Path,
    (found, expected): (u32, u32),
    crate_version: &str,
) -> Result<(), Error> {
    if found != expected {
        return Err(ShardError::Schema {
            path: path.to_path_buf(),
            found,
            expected,
        }
        .into());
    }
    if crate_version != env!("CARGO_PKG_VERSION") {
        return Err(ShardError::Version {
            path: path.to_path_buf(),
            found: crate_version.to_string(),
            expected: env!("CARGO_PKG_VERSION").to_string(),
        }
        .into());
    }
    Ok(())
}

/// The files `PREFIX*.json` of `dir`, sorted (the shard files of `run` or `reproduce`).
///
/// # Errors
/// [`Error::File`] if the folder cannot be read.
pub(crate) fn files_named(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| crate::io::IoError::File {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut v: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
        })
        .collect();
    v.sort();
    Ok(v)
}

/// Read every `shard-*.json` of `dir` and combine them: the experiment and its replicas, in
/// replica order.
///
/// # Errors
/// [`ShardError`] naming the file for a truncated, mismatched, duplicate or missing shard,
/// or an empty folder; [`Error::File`] for a corrupt one.
pub fn merge(dir: &Path) -> Result<(Experiment, Vec<TrainOutput>), Error> {
    let paths = files_named(dir, "shard-")?;
    if paths.is_empty() {
        return Err(ShardError::NoShards {
            dir: dir.to_path_buf(),
        }
        .into());
    }
    let mut files: Vec<(PathBuf, ShardFile)> = Vec::new();
    for p in paths {
        let f: ShardFile = crate::io::read_json(&p)?;
        check_file(&p, &f)?;
        files.push((p, f));
    }
    let (first_path, first) = (&files[0].0.clone(), files[0].1.clone());
    let count = first.shard.count;
    // count ≤ replicas, and the replicas passed the memory estimate (check_file).
    let mut seen: Vec<Option<PathBuf>> = vec![None; count];
    for (p, f) in &files {
        if f.experiment != first.experiment || f.shard.count != count {
            return Err(ShardError::Mismatch {
                path: p.clone(),
                first: first_path.clone(),
            }
            .into());
        }
        let i = f.shard.index;
        if let Some(prev) = &seen[i] {
            return Err(ShardError::Duplicate {
                path: p.clone(),
                index: i,
                count,
                other: prev.clone(),
            }
            .into());
        }
        let expected = f.shard.replicas(f.experiment.replicas);
        let got: Vec<u64> = f.replicas.iter().map(|o| o.replica).collect();
        if expected != got {
            return Err(ShardError::Replicas {
                path: p.clone(),
                got,
                expected,
            }
            .into());
        }
        seen[i] = Some(p.clone());
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(ShardError::Missing {
            dir: dir.to_path_buf(),
            index: missing,
            count,
            file: ShardSpec {
                index: missing,
                count,
            }
            .file_name(),
        }
        .into());
    }
    let mut outs: Vec<TrainOutput> = files.into_iter().flat_map(|(_, f)| f.replicas).collect();
    outs.sort_by_key(|o| o.replica);
    Ok((first.experiment, outs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_partitions() {
        let s: ShardSpec = "1/3".parse().unwrap();
        assert_eq!(s.replicas(8), vec![1, 4, 7]);
        assert!("3/3".parse::<ShardSpec>().is_err());
        assert!("0/0".parse::<ShardSpec>().is_err());
        assert!("x".parse::<ShardSpec>().is_err());
        let all: Vec<u64> = {
            let mut v: Vec<u64> = (0..3)
                .flat_map(|i| ShardSpec { index: i, count: 3 }.replicas(8))
                .collect();
            v.sort();
            v
        };
        assert_eq!(all, (0..8).collect::<Vec<_>>());
    }
}
