//! Resource estimates, made before anything of the configuration's size is allocated or any
//! work starts (issues 15 and 24): memory in bytes, the work in CPU seconds, and the
//! finite-n theory's own time.
//!
//! A [`Cost`] is a list of [`Term`]s in one [`Unit`]. A memory term is the bytes of one
//! allocation of the run (the data n·d, the averaged engine's Gram matrix n², the sgd
//! engine's rows, the generated samples' chunk sums, the replicas' outputs…); a time term is
//! one block of work, a work formula of the engine's own cost structure times a measured
//! constant ([`calibration`]): sgd K·epochs·n·d, the averaged engine at its iteration caps,
//! generation n_gen·K·d, a profile's points, the digits image passes. Each term carries the
//! fields that make it large. [`Cost::check`] compares the total with [`Limits::current`]
//! (for time: CPU seconds over the rayon threads against [`MAX_SECONDS`] or
//! `--max-seconds`) and, above it, returns [`ConfigError::TooLarge`] naming the field of the
//! largest term (the one furthest above its default, so `--d 1e12` names `d`,
//! `--replicas 1e19` names `replicas` and `--epochs 1e19` names `epochs`), the estimate and
//! the limit. Estimates are computed in `f64`, so no size overflows.
//!
//! # Limits
//! * Memory: the physical memory (`MemTotal` of `/proc/meminfo`; 16 GiB where unknown),
//!   capped by the address-space and data limits of the process (`ulimit -v`, `ulimit -d`)
//!   less the binary and, per rayon thread, its stack and malloc arena
//!   ([`PER_THREAD_RESERVE`]). Every buffer that work running in parallel holds per thread
//!   (the sgd rows per grid time trained at once, the averaged engine's coordinates per
//!   grid time solved at once, the generation and profile scratch, the replicas trained at
//!   once, a digits network per run at once) is a term of the estimate, times the threads.
//!   `--max-memory SIZE` (any subcommand; `4G`, `512M`, bytes) replaces the physical memory,
//!   so it can lower the limit, or raise it for a machine with swap; the process limits
//!   still cap it, since an allocation above them fails whatever we estimate.
//! * Time of the work: [`MAX_SECONDS`] (30 days) of estimated wall time, the CPU-second
//!   total over the rayon threads; `--max-seconds S` replaces it.
//! * Time of the finite-n theory: [`MAX_THEORY_SECONDS`] of estimated wall time for its
//!   binomial averages over n₊ ([`check_theory_time`]); `--max-theory-seconds` raises it.
//!
//! The memory estimates are upper bounds of the live allocations at their peak within a
//! factor of about two (engine scratch and generation are counted together although they do
//! not overlap in time); they are not measured, and a configuration a little below the limit
//! can still fail. The time estimates are the work at the engines' caps times measured
//! constants ([`calibration`]), right within a factor of a few for a run that reaches its
//! caps and above a typical run (the averaged engine's about 10 times).

use crate::problem::ConfigError;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default cap on the estimated wall time of the finite-n theory's binomial averages:
/// 300 s. The default `phaseflow theory` (n = 128, K = 40) is estimated at ≈ 4 s and
/// measured at 4.7 s here.
pub const MAX_THEORY_SECONDS: f64 = 300.0;

/// Default cap on a run's estimated wall time (training, generation, profiles, bootstrap):
/// 30 days, 2 592 000 s.
///
/// Why a month: the estimates are at the engines' caps, so for the averaged engine they are
/// about 10 times a typical run, and the heaviest documented command, `power --preset
/// paper` with its default ladder and 20 seeds (260 trained runs), is estimated at ≈ 7.8
/// days on 2 threads; a cap of a few days would refuse it. A month keeps it 4 times under
/// the cap and every other documented command far under it (`run --preset quick` ≈ 7 min,
/// `run --preset paper` ≈ 51 min, `power --preset quick` ≈ 25 h; `reproduce --full`: ≈ 26
/// min for its largest experiment and 8.4 h for all 34, which took 54 min), while a count
/// of 2⁶⁴ − 1 asks 10¹⁰ times more (`train --epochs 18446744073709551615`: ≈ 1.4·10¹² days).
/// A machine with more threads gets a proportionally larger CPU budget (the estimate is CPU
/// seconds over the rayon threads). `--max-seconds S` replaces it.
pub const MAX_SECONDS: f64 = 30.0 * 86400.0;

/// CPU seconds of one phase-1 minimisation of the finite-n theory, averaged over the grid:
/// `phaseflow theory --n 100000 --steps 40 --d 100` took 94.6 s on 2 cores for 20 phase-1
/// times of ≈ 2100 terms each (issue 15; single times range from 0.2 to 5 ms a term).
const SECONDS_PER_TERM: f64 = 4.5e-3;

/// CPU seconds per binomial weight evaluated (every 1 ≤ n₊ ≤ n − 1 is visited, including
/// those below the pmf floor): three log-gamma calls.
const SECONDS_PER_WEIGHT: f64 = 1e-7;

/// The calibration constants of the time estimates: CPU seconds per unit of each work
/// formula, measured on the development machine (2 cores shared with other builds, load
/// average 5–8; user CPU time of single-threaded runs, `RAYON_NUM_THREADS=1`, so the load
/// inflates them little), 2026-12-07:
///
/// | constant | unit | command | measured |
/// |---|---|---|---|
/// | [`SGD_F64`](calibration::SGD_F64) | K·epochs·n·d element | `phaseflow train --d 1000 --n 128 --steps 20 --epochs 300 --gen 16` | 1.95 s / 7.68e8 = 2.5 ns |
/// | [`SGD_F32`](calibration::SGD_F32) | same, `--precision f32` | same with `--precision f32` | 0.93 s / 7.68e8 = 1.2 ns |
/// | [`EULER`](calibration::EULER) | generated sample·step·coordinate | `phaseflow train --d 1000 --n 4 --steps 20 --epochs 1 --gen 100000` | 3.37 s / 2e9 = 1.7 ns (Heun: 6.21 s, ×2) |
/// | [`SPAN`](calibration::SPAN) | sample·step·span coordinate (r = 2K + 1) | the same with `--gen 1000000 --sampler span` | 1.67 s / 8.2e8 = 2.0 ns |
/// | [`EVAL`](calibration::EVAL), [`EVAL_OVERHEAD`](calibration::EVAL_OVERHEAD) | one reduced objective + gradient, m·(r + Q) | `cargo run --release --example budget_calibration` | 25.5 / 91 / 869 µs at m = r = 32 / 128 / 512: fitted 1.9 ns·m·(r + 400) (within 40 %) |
/// | [`DENSE`](calibration::DENSE) | multiply–add of the Gram matrix, m²·d | the same example, n = 256, d = 10⁵ | 1.74 s / 6.6e9 = 0.27 ns |
/// | [`PROFILE_POINT`](calibration::PROFILE_POINT) | Bayes profile grid point | `phaseflow detect --profile uturn --steps 1000000` | 6.5 s / 10⁶ = 6.5 µs |
///
/// An estimate is a work formula (the engine's own cost structure, at its caps) times
/// these; it is meant to be right within a factor of a few, which is all a cap of days
/// needs.
pub mod calibration {
    /// sgd engine, f64 rows: CPU seconds per (grid time, epoch, sample, coordinate).
    pub const SGD_F64: f64 = 2.5e-9;
    /// sgd engine, f32 rows: the same.
    pub const SGD_F32: f64 = 1.2e-9;
    /// Full-dimensional Euler generation: CPU seconds per (sample, step, coordinate);
    /// Heun costs twice this.
    pub const EULER: f64 = 1.7e-9;
    /// Span-sampler generation: CPU seconds per (sample, step, span coordinate).
    pub const SPAN: f64 = 2.0e-9;
    /// One reduced objective + gradient of the averaged engine: CPU seconds per
    /// m·(r + [`EVAL_OVERHEAD`]).
    pub const EVAL: f64 = 1.9e-9;
    /// The per-sample part of an evaluation (its 1-D quadrature), in units of r.
    pub const EVAL_OVERHEAD: f64 = 400.0;
    /// Dense kernels (Gram matrix, embedding back to ℝ^d): CPU seconds per multiply–add.
    pub const DENSE: f64 = 0.27e-9;
    /// A Bayes profile (MSE or exact U-turn): CPU seconds per grid point.
    pub const PROFILE_POINT: f64 = 6.5e-6;
}

/// Memory assumed when the physical memory cannot be read.
const FALLBACK_MEMORY: u64 = 16 << 30;

/// 0: not set (use the machine).
static MAX_MEMORY: AtomicU64 = AtomicU64::new(0);
/// 0: not set (use [`MAX_THEORY_SECONDS`]).
static MAX_THEORY: AtomicU64 = AtomicU64::new(0);
/// 0: not set (use [`MAX_SECONDS`]).
static MAX_WORK: AtomicU64 = AtomicU64::new(0);

/// Set the memory limit for this process (`--max-memory`); `None` restores the machine's.
pub fn set_max_memory(bytes: Option<u64>) {
    MAX_MEMORY.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// Set the cap on the finite-n theory's estimated seconds (`--max-theory-seconds`); `None`
/// restores [`MAX_THEORY_SECONDS`].
pub fn set_max_theory_seconds(seconds: Option<u64>) {
    MAX_THEORY.store(seconds.unwrap_or(0), Ordering::Relaxed);
}

/// Set the cap on a run's estimated wall time (`--max-seconds`); `None` restores
/// [`MAX_SECONDS`].
pub fn set_max_seconds(seconds: Option<u64>) {
    MAX_WORK.store(seconds.unwrap_or(0), Ordering::Relaxed);
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
    /// Estimated wall seconds of a run's work (training, generation, profiles, bootstrap).
    pub seconds: f64,
    /// Where the time limit comes from (for the message).
    pub seconds_source: &'static str,
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
                memory_source = "the process limit (ulimit -v / -d) less 96 MiB for the binary and 66 MiB of stack and malloc arena per rayon thread";
            }
        }
        let t = MAX_THEORY.load(Ordering::Relaxed);
        let w = MAX_WORK.load(Ordering::Relaxed);
        let (seconds, seconds_source) = if w > 0 {
            (w as f64, "--max-seconds")
        } else {
            (MAX_SECONDS, "the default cap")
        };
        Self {
            memory,
            memory_source,
            theory_seconds: if t > 0 { t as f64 } else { MAX_THEORY_SECONDS },
            seconds,
            seconds_source,
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

/// Address space of the process outside the estimates: the binary, its libraries, the main
/// thread and the signal-handling thread (measured: a tiny `train` with one rayon thread
/// maps ≈ 146 MB, of which one worker's [`PER_THREAD_RESERVE`]).
pub const BINARY_RESERVE: u64 = 96 << 20;

/// Address space each rayon thread takes whatever the configuration: its stack (2 MiB) and
/// the malloc arena glibc reserves for a thread's first allocation (64 MiB on 64-bit,
/// `HEAP_MAX_SIZE`). Under `ulimit -v` they count as much as the data: measured (issue 24)
/// VmSize of a tiny `train` at 1, 4 and 16 rayon threads, 146, 351 and 1037 MB; and
/// `train --d 100000 --n 600 --steps 4 --epochs 1` under `ulimit -v 1048576` with one
/// thread was estimated at 935 MiB, below the 960 MiB then allowed, and aborted allocating
/// its second n·d block.
pub const PER_THREAD_RESERVE: u64 = 66 << 20;

/// The smaller of RLIMIT_AS and RLIMIT_DATA, if either is set, less what the process takes
/// whatever the configuration: [`BINARY_RESERVE`] for the binary and [`PER_THREAD_RESERVE`]
/// per rayon thread (its stack and malloc arena).
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
        .map(|b| {
            let threads = rayon::current_num_threads().max(1) as u64;
            b.saturating_sub(BINARY_RESERVE)
                .saturating_sub(threads.saturating_mul(PER_THREAD_RESERVE))
        })
}

#[cfg(not(unix))]
fn process_limit() -> Option<u64> {
    None
}

/// What a [`Cost`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Bytes of memory live at the peak (checked against [`Limits::memory`]).
    #[default]
    Bytes,
    /// CPU seconds of work, spread over the rayon threads (the wall-time estimate, total
    /// / threads, is checked against [`Limits::seconds`]).
    Seconds,
}

/// One allocation (memory) or one block of work (time) of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// What it is, with its formula, e.g. "training data n·d·8 B".
    pub what: &'static str,
    /// Bytes or CPU seconds (the [`Cost`]'s [`Unit`]).
    pub amount: f64,
    /// The fields it grows with: (flag, value, default). The one furthest above its default
    /// is named.
    pub fields: Vec<(&'static str, f64, f64)>,
}

impl Term {
    /// A term of `amount` (bytes or CPU seconds) growing with `fields`.
    pub fn new(what: &'static str, amount: f64, fields: &[(&'static str, f64, f64)]) -> Self {
        Self {
            what,
            amount,
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

/// The memory or the work a configuration needs, term by term ([`Unit`]).
/// `Cost::default()` is a memory estimate; [`Cost::time`] starts a time estimate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cost {
    /// What the terms count.
    pub unit: Unit,
    /// The terms.
    pub terms: Vec<Term>,
}

impl Cost {
    /// An empty memory estimate (bytes).
    pub fn memory() -> Self {
        Self::default()
    }

    /// An empty time estimate (CPU seconds).
    pub fn time() -> Self {
        Self {
            unit: Unit::Seconds,
            terms: Vec::new(),
        }
    }

    /// Add a term of `amount` bytes or CPU seconds.
    pub fn add(&mut self, what: &'static str, amount: f64, fields: &[(&'static str, f64, f64)]) {
        self.terms.push(Term::new(what, amount, fields));
    }

    /// Add a term of `units` of work at `seconds_per_unit` CPU seconds each (a time
    /// estimate: the work formula of an engine times its calibration constant).
    pub fn add_work(
        &mut self,
        what: &'static str,
        units: f64,
        seconds_per_unit: f64,
        fields: &[(&'static str, f64, f64)],
    ) {
        debug_assert_eq!(self.unit, Unit::Seconds, "work is a time term");
        self.add(what, units * seconds_per_unit, fields);
    }

    /// Add every term of `other` (of the same unit), multiplied by `times` (concurrent
    /// copies for memory, repetitions for time).
    pub fn add_scaled(&mut self, other: &Cost, times: f64) {
        debug_assert_eq!(self.unit, other.unit, "terms of one unit");
        for t in &other.terms {
            self.terms.push(Term {
                amount: t.amount * times,
                ..t.clone()
            });
        }
    }

    /// This cost repeated `field.1` times (replicas, seeds × configurations…): every term
    /// scaled, and the count added to the fields it grows with, so that a huge count is
    /// the field named.
    pub fn repeated(&self, field: (&'static str, f64, f64)) -> Cost {
        let mut c = Cost {
            unit: self.unit,
            terms: Vec::new(),
        };
        c.add_scaled(self, field.1);
        for t in &mut c.terms {
            t.fields.push(field);
        }
        c
    }

    /// Total bytes or CPU seconds.
    pub fn total(&self) -> f64 {
        self.terms.iter().map(|t| t.amount).sum()
    }

    /// The largest term.
    pub fn largest(&self) -> Option<&Term> {
        self.terms
            .iter()
            .max_by(|a, b| a.amount.total_cmp(&b.amount))
    }

    /// Refuse a total above the limit of its unit: the memory limit for bytes, the time
    /// limit for the wall-time estimate (CPU seconds over the rayon threads).
    ///
    /// # Errors
    /// [`ConfigError::TooLarge`] naming the field of the largest term.
    pub fn check(&self) -> Result<(), ConfigError> {
        let lim = Limits::current();
        let total = self.total();
        let (value, limit) = match self.unit {
            Unit::Bytes => (total, lim.memory as f64),
            Unit::Seconds => (total / threads(), lim.seconds),
        };
        if value.is_nan() || value > limit {
            let t = self.largest().expect("a total above the limit has a term");
            let (estimate, limit) = match self.unit {
                Unit::Bytes => (
                    format!(
                        "≈ {} of memory (largest: {} ≈ {})",
                        human_bytes(total),
                        t.what,
                        human_bytes(t.amount)
                    ),
                    format!(
                        "{} ({}; raise with --max-memory SIZE)",
                        human_bytes(lim.memory as f64),
                        lim.memory_source
                    ),
                ),
                Unit::Seconds => (
                    format!(
                        "≈ {} of wall time ({} of CPU on {} threads; largest: {} ≈ {} of CPU)",
                        human_seconds(value),
                        human_seconds(total),
                        threads(),
                        t.what,
                        human_seconds(t.amount)
                    ),
                    format!(
                        "{} ({}; raise with --max-seconds S)",
                        human_seconds(lim.seconds),
                        lim.seconds_source
                    ),
                ),
            };
            return Err(ConfigError::TooLarge {
                field: t.field(),
                estimate,
                limit,
            });
        }
        Ok(())
    }
}

/// The rayon threads the work is spread over (at least 1).
pub fn threads() -> f64 {
    rayon::current_num_threads().max(1) as f64
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

/// The memory and time of the reduced theory's binomial rules over n₊ at finite n
/// (`theory::reduced::binomial_rule_nodes`): every n₊ within 12·sd + 40 of n·p is
/// evaluated (3 log-gamma calls and an exponential, 3 × 10⁻⁷ s) and the
/// kept ones stored (16 B), once per grid time. O(√n): `theory --n 18446744073709551615`
/// ran until killed before this estimate (issue 24); n = 10¹¹ takes 2.7 s here.
pub fn reduced_rule_cost(n: usize, p: f64, steps: usize) -> (Cost, Cost) {
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let terms = (2.0 * (12.0 * sd + 40.0)).min(n as f64);
    let fields = [("n", n as f64, 128.0)];
    let mut memory = Cost::memory();
    memory.add(
        "reduced theory's binomial rule, ≈ 2·(12·sd + 40)·16 B",
        terms * 16.0,
        &fields,
    );
    let mut time = Cost::time();
    time.add_work(
        "reduced theory's binomial rules, K·2·(12·sd + 40) pmf terms",
        steps as f64 * terms,
        3.0 * SECONDS_PER_WEIGHT,
        &fields,
    );
    (memory, time)
}

/// `42 s`, `1.5 h`, `3.0 days`, `3.2e3 days`.
pub fn human_seconds(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s < 8.64e7 {
        format!("{:.1} days", s / 86400.0)
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
    fn a_time_estimate_names_its_count_and_the_time_flag() {
        let mut c = Cost::time();
        c.add_work("small", 10.0, 1e-9, &[("steps", 40.0, 40.0)]);
        c.add_work(
            "training",
            1e30,
            1e-9,
            &[("epochs", 1.8e19, 2000.0), ("d", 1000.0, 1000.0)],
        );
        let e = c.check().unwrap_err().to_string();
        assert!(e.starts_with("epochs: "), "{e}");
        assert!(
            e.contains("of wall time") && e.contains("--max-seconds"),
            "{e}"
        );
        // A repeat count is a field of every term, named when it is the largest factor.
        let r = c.repeated(("replicas", 1e12, 16.0));
        assert_eq!(r.unit, Unit::Seconds);
        assert!((r.total() / (c.total() * 1e12) - 1.0).abs() < 1e-12);
        let mut one = Cost::time();
        one.add_work("a replica", 1.0, 1.0, &[("n", 128.0, 128.0)]);
        let e = one.repeated(("replicas", 1e12, 16.0)).check().unwrap_err();
        assert!(e.to_string().starts_with("replicas: "), "{e}");
        let mut fine = Cost::time();
        fine.add_work("a replica", 1.0, 1.0, &[("n", 128.0, 128.0)]);
        assert!(fine.check().is_ok());
    }

    #[test]
    fn human_readable_bytes() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(1.5 * (1u64 << 30) as f64), "1.5 GiB");
    }
}
