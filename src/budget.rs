//! Resource estimates, made before anything of the configuration's size is allocated
//! (issue 15): memory in bytes and, for the finite-n theory, time in seconds.
//!
//! A [`Cost`] is a list of [`Term`]s, each the bytes of one allocation of the run (the data
//! n·d, the averaged engine's Gram matrix n², the sgd engine's rows, the generated samples'
//! chunk sums, the replicas' outputs…) with the fields that make it large. [`Cost::check`]
//! compares the total with [`Limits::current`] and, above it, returns
//! [`ConfigError::TooLarge`] naming the field of the largest term (the one furthest above
//! its default, so `--d 1e12` names `d` and `--replicas 1e19` names `replicas`), the
//! estimate and the limit. Estimates are computed in `f64`, so no size overflows.
//!
//! # Limits
//! * Memory: the physical memory (`MemTotal` of `/proc/meminfo`; 16 GiB where unknown),
//!   capped by the address-space and data limits of the process (`ulimit -v`, `ulimit -d`).
//!   `--max-memory SIZE` (any subcommand; `4G`, `512M`, bytes) replaces the physical memory,
//!   so it can lower the limit, or raise it for a machine with swap; the process limits
//!   still cap it, since an allocation above them fails whatever we estimate.
//! * Time of the finite-n theory: [`MAX_THEORY_SECONDS`] of estimated wall time for its
//!   binomial averages over n₊ ([`check_theory_time`]); `--max-theory-seconds` raises it.
//!
//! The estimates are upper bounds of the live allocations at their peak within a factor of
//! about two (engine scratch and generation are counted together although they do not
//! overlap in time); they are not measured, and a configuration a little below the limit can
//! still fail.

use crate::problem::ConfigError;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default cap on the estimated wall time of the finite-n theory's binomial averages:
/// 300 s. The default `phaseflow theory` (n = 128, K = 40) is estimated at ≈ 4 s and
/// measured at 4.7 s here.
pub const MAX_THEORY_SECONDS: f64 = 300.0;

/// CPU seconds of one phase-1 minimisation of the finite-n theory, averaged over the grid:
/// `phaseflow theory --n 100000 --steps 40 --d 100` took 94.6 s on 2 cores for 20 phase-1
/// times of ≈ 2100 terms each (issue 15; single times range from 0.2 to 5 ms a term).
const SECONDS_PER_TERM: f64 = 4.5e-3;

/// CPU seconds per binomial weight evaluated (every 1 ≤ n₊ ≤ n − 1 is visited, including
/// those below the pmf floor): three log-gamma calls.
const SECONDS_PER_WEIGHT: f64 = 1e-7;

/// Memory assumed when the physical memory cannot be read.
const FALLBACK_MEMORY: u64 = 16 << 30;

/// 0: not set (use the machine).
static MAX_MEMORY: AtomicU64 = AtomicU64::new(0);
/// 0: not set (use [`MAX_THEORY_SECONDS`]).
static MAX_SECONDS: AtomicU64 = AtomicU64::new(0);

/// Set the memory limit for this process (`--max-memory`); `None` restores the machine's.
pub fn set_max_memory(bytes: Option<u64>) {
    MAX_MEMORY.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// Set the cap on the finite-n theory's estimated seconds (`--max-theory-seconds`); `None`
/// restores [`MAX_THEORY_SECONDS`].
pub fn set_max_theory_seconds(seconds: Option<u64>) {
    MAX_SECONDS.store(seconds.unwrap_or(0), Ordering::Relaxed);
}

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bytes.
    pub memory: u64,
    /// Where the memory limit comes from (for the message).
    pub memory_source: &'static str,
    /// Estimated seconds of the finite-n theory's binomial averages.
    pub theory_seconds: f64,
}

impl Limits {
    /// The limits of this process: [`set_max_memory`] or the physical memory, capped by the
    /// process's own limits (module doc).
    pub fn current() -> Self {
        let set = MAX_MEMORY.load(Ordering::Relaxed);
        let (mut memory, mut memory_source) = if set > 0 {
            (set, "--max-memory")
        } else {
            match physical_memory() {
                Some(m) => (m, "physical memory"),
                None => (FALLBACK_MEMORY, "assumed memory (MemTotal unreadable)"),
            }
        };
        if let Some(r) = process_limit() {
            if r < memory {
                memory = r;
                memory_source = "the process limit (ulimit -v / -d)";
            }
        }
        let t = MAX_SECONDS.load(Ordering::Relaxed);
        Self {
            memory,
            memory_source,
            theory_seconds: if t > 0 { t as f64 } else { MAX_THEORY_SECONDS },
        }
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn physical_memory() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// The smaller of RLIMIT_AS and RLIMIT_DATA, if either is set. Some of the address space is
/// the binary and its libraries: 64 MiB is kept for them.
#[cfg(unix)]
fn process_limit() -> Option<u64> {
    let get = |res| {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own; the resource ids are valid.
        let ok = unsafe { libc::getrlimit(res, &mut r) } == 0;
        // rlim_t is u64 on Linux but not on every unix: keep the cast.
        #[allow(clippy::unnecessary_cast)]
        let cur = r.rlim_cur as u64;
        (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(cur)
    };
    [get(libc::RLIMIT_AS), get(libc::RLIMIT_DATA)]
        .into_iter()
        .flatten()
        .min()
        .map(|b| b.saturating_sub(64 << 20))
}

#[cfg(not(unix))]
fn process_limit() -> Option<u64> {
    None
}

/// One allocation of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// What it is, with its formula, e.g. "training data n·d·8 B".
    pub what: &'static str,
    /// Bytes.
    pub bytes: f64,
    /// The fields it grows with: (flag, value, default). The one furthest above its default
    /// is named.
    pub fields: Vec<(&'static str, f64, f64)>,
}

impl Term {
    /// The term's bytes from its fields' product times `scale` bytes.
    pub fn new(what: &'static str, bytes: f64, fields: &[(&'static str, f64, f64)]) -> Self {
        Self {
            what,
            bytes,
            fields: fields.to_vec(),
        }
    }

    /// The field to name: the largest value relative to its default.
    pub fn field(&self) -> &'static str {
        self.fields
            .iter()
            .max_by(|a, b| (a.1 / a.2).total_cmp(&(b.1 / b.2)))
            .map_or("config", |f| f.0)
    }
}

/// The memory a configuration needs, term by term.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cost {
    /// The terms.
    pub terms: Vec<Term>,
}

impl Cost {
    /// Add a term.
    pub fn add(&mut self, what: &'static str, bytes: f64, fields: &[(&'static str, f64, f64)]) {
        self.terms.push(Term::new(what, bytes, fields));
    }

    /// Add every term of `other`, multiplied by `times` (concurrent copies).
    pub fn add_scaled(&mut self, other: &Cost, times: f64) {
        for t in &other.terms {
            self.terms.push(Term {
                bytes: t.bytes * times,
                ..t.clone()
            });
        }
    }

    /// Total bytes.
    pub fn bytes(&self) -> f64 {
        self.terms.iter().map(|t| t.bytes).sum()
    }

    /// The largest term.
    pub fn largest(&self) -> Option<&Term> {
        self.terms.iter().max_by(|a, b| a.bytes.total_cmp(&b.bytes))
    }

    /// Refuse a total above the memory limit.
    ///
    /// # Errors
    /// [`ConfigError::TooLarge`] naming the field of the largest term.
    pub fn check(&self) -> Result<(), ConfigError> {
        let lim = Limits::current();
        let total = self.bytes();
        if total.is_nan() || total > lim.memory as f64 {
            let t = self.largest().expect("a total above the limit has a term");
            return Err(ConfigError::TooLarge {
                field: t.field(),
                estimate: format!(
                    "≈ {} of memory (largest: {} ≈ {})",
                    human_bytes(total),
                    t.what,
                    human_bytes(t.bytes)
                ),
                limit: format!(
                    "{} ({}; raise with --max-memory SIZE)",
                    human_bytes(lim.memory as f64),
                    lim.memory_source
                ),
            });
        }
        Ok(())
    }
}

/// The terms of one binomial average over 1 ≤ n₊ ≤ n − 1 whose probability is above the
/// pmf floor 1e-15 (`theory::finite_n::PMF_FLOOR`): at most n − 1, and about ±8.3
/// standard deviations √(n·p(1 − p)) around n·p (the normal tail at 1e-15).
pub fn binomial_terms(n: usize, p: f64) -> f64 {
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (n.saturating_sub(1) as f64).min(2.0 * 8.3 * sd + 1.0)
}

/// Refuse a finite-n theory whose binomial averages are estimated to take longer than the
/// limit: `phase1_steps` averages (grid times 0 < t < 1) of [`binomial_terms`]
/// minimisations each, plus n − 1 weights each, on the rayon threads.
///
/// Beyond `theory::finite_n::NORMAL_RULE_TERMS` terms the sum is replaced by the normal
/// rule (`theory::finite_n::normal_rule`, 2 × `NORMAL_RULE_NODES` minimisations and no
/// weights), so the estimate, like the cost, stops growing with n.
///
/// # Errors
/// [`ConfigError::TooLarge`] naming `n`.
pub fn check_theory_time(n: usize, p: f64, phase1_steps: usize) -> Result<(), ConfigError> {
    let threads = rayon::current_num_threads().max(1) as f64;
    use crate::theory::finite_n::{NORMAL_RULE_NODES, NORMAL_RULE_TERMS};
    let exact = binomial_terms(n, p);
    let (terms, weights) = if exact > NORMAL_RULE_TERMS as f64 {
        ((2 * NORMAL_RULE_NODES) as f64, 0.0)
    } else {
        (exact, n.saturating_sub(1) as f64)
    };
    let k = phase1_steps as f64;
    let seconds = k * (terms * SECONDS_PER_TERM + weights * SECONDS_PER_WEIGHT) / threads;
    let lim = Limits::current();
    if seconds > lim.theory_seconds {
        return Err(ConfigError::TooLarge {
            field: "n",
            estimate: format!(
                "≈ {} for the finite-n theory ({phase1_steps} phase-1 grid times × ≈ {terms:.3e} binomial terms of ≈ {:.1} ms CPU each, on {threads} threads)",
                human_seconds(seconds),
                SECONDS_PER_TERM * 1e3
            ),
            limit: format!(
                "{} (raise with --max-theory-seconds S, or leave the finite-n block out: theory --no-finite-n, or families without phase1_overlaps and weight_estimates)",
                human_seconds(lim.theory_seconds)
            ),
        });
    }
    Ok(())
}

/// `42 s`, `1.5 h`, `3.2e3 days`.
pub fn human_seconds(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1e} days", s / 86400.0)
    }
}

/// `1.5 GiB`, `12 MiB`, `8.0e3 TiB`.
pub fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if v >= 1e4 {
        format!("{v:.1e} {}", UNITS[i])
    } else if v >= 100.0 || i == 0 {
        format!("{v:.0} {}", UNITS[i])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// Parse a size: bytes, or a number with K, M, G or T (powers of 1024; a trailing `B` or
/// `iB` is allowed), e.g. `4G`, `512MiB`, `1.5T`.
///
/// # Errors
/// A message naming the rule.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (num, mult) = match body.chars().last() {
        Some('k') => (&body[..body.len() - 1], 1u64 << 10),
        Some('m') => (&body[..body.len() - 1], 1 << 20),
        Some('g') => (&body[..body.len() - 1], 1 << 30),
        Some('t') => (&body[..body.len() - 1], 1 << 40),
        _ => (body, 1),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a size such as 4G, 512M or 1000000 bytes, got '{s}'"))?;
    let bytes = v * mult as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!(
            "a size must be at least 1 byte and finite, got '{s}'"
        ));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("4G").unwrap(), 4 << 30);
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert_eq!(parse_size("1.5k").unwrap(), 1536);
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn names_the_field_furthest_above_its_default() {
        let t = Term::new("data", 1e20, &[("n", 128.0, 128.0), ("d", 1e12, 1000.0)]);
        assert_eq!(t.field(), "d");
        let mut c = Cost::default();
        c.add("small", 10.0, &[("steps", 40.0, 40.0)]);
        c.add("data", 1e20, &[("n", 1e9, 128.0), ("d", 1000.0, 1000.0)]);
        let e = c.check().unwrap_err().to_string();
        assert!(e.starts_with("n: "), "{e}");
        assert!(e.contains("--max-memory"), "{e}");
    }

    #[test]
    fn human_readable_bytes() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(1.5 * (1u64 << 30) as f64), "1.5 GiB");
    }
}
