//! Issue 24: a bounded fuzzer of the whole command-line surface.
//!
//! The cases are generated from the CLI itself: `phaseflow --help` lists the subcommands
//! (and `digits --help` its own), each `SUB --help` lists the flags (`--flag <VALUE>`) and
//! positional arguments (`[EXPERIMENT]`, `<DIR>`). Every value-taking flag of every
//! subcommand gets each hostile value of [`HOSTILE`]; every path argument (positional
//! arguments and `--out`-like flags) gets each non-regular file of [`paths`] (a FIFO, a
//! directory, `/dev/full`, a dangling symlink). The rest of the command line is a tiny base
//! configuration ([`base`]) so that a hostile value that is accepted runs in milliseconds.
//!
//! Property of every case: the exit code is 0, 1 or 2 (never 101, a panic, or a signal);
//! no "panicked" on stderr; an exit 2 prints one error line (warnings aside); no temporary
//! `.tmp-` file is left behind. Each case is killed after [`TIMEOUT`] (SIGTERM, then
//! SIGKILL; [`LIGHT_TIMEOUT`] for the light subcommands): a timeout fails the case, except for the subcommands that always start heavy
//! work whatever their sizes (`reproduce`, `demo`, `digits …`: [`HEAVY`]), where only "no
//! panic and no bad exit code within the timeout" is asserted and the timeout is counted.
//!
//! Budget: a seeded shuffle ([`SEED`], xoshiro) picks [`CASES`] numeric cases of the light
//! subcommands and [`HEAVY_CASES`] of the heavy ones, and every path case is kept; they run
//! three at a time. Every failure found by this fuzzer is pasted below as a named
//! regression test.

mod common;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The fuzzer's seed (the shuffle that picks the cases).
const SEED: u64 = 24;
/// How many numeric cases are run (the path cases are all run on top).
const CASES: usize = 1200;
/// How many numeric cases of the heavy subcommands are run.
const HEAVY_CASES: usize = 40;
/// A case of a heavy subcommand still running after this is stopped (not a failure).
const TIMEOUT: Duration = Duration::from_secs(2);
/// A case of a light subcommand still running after this is stopped, and fails: generous
/// for a loaded machine (the slowest light case, `power` on a degenerate ridge that spends
/// the averaged engine's evaluation budget, takes about 2 s alone here).
const LIGHT_TIMEOUT: Duration = Duration::from_secs(6);
/// Subcommands whose base run is heavy whatever the sizes: a timeout is not a failure.
const HEAVY: &[&str] = &["reproduce", "demo", "digits"];

/// The huge hostile values: every count flag given one of them is refused by the memory or
/// time budget (exit 2 within the timeout), whatever the subcommand, heavy ones included.
const HUGE: &[&str] = &["18446744073709551615", "1e300"];

/// Flags whose huge value is legitimately accepted and starts the subcommand's normal work
/// (a heavy subcommand may then reach its timeout): seeds and replica indices name streams,
/// not counts; `--out` names a folder; the `--max-*` limits only raise a cap; a digits
/// batch is capped at the set's size (full-batch training); `digits train --window` is
/// unused by its default uniform sampler; the digits optimiser knobs are scalars, not sizes.
const HUGE_OK: &[&str] = &[
    "--seed",
    "--first-seed",
    "--replica",
    "--out",
    "--batch",
    "--window",
    "--max-memory",
    "--max-seconds",
    "--max-theory-seconds",
    "--clip",
    "--lr",
    "--weight-decay",
];

/// Hostile values of issue 24 (the 10 000-character string is added by [`hostile`]).
const HOSTILE: &[&str] = &[
    "0",
    "1",
    "-1",
    "18446744073709551615",
    "1e300",
    "1e-300",
    "NaN",
    "inf",
    "-inf",
    "",
];

fn hostile() -> Vec<String> {
    let mut v: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    v.push("9".repeat(10_000));
    v
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_phaseflow")
}

fn help(sub: &[&str]) -> String {
    let out = Command::new(bin())
        .args(sub)
        .arg("--help")
        .output()
        .expect("run phaseflow --help");
    assert!(out.status.success(), "{sub:?} --help");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Subcommand names of a help text's `Commands:` section (without `help`).
fn commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// What a command line accepts, read from its help.
#[derive(Debug, Default)]
struct Surface {
    /// Flags taking a value: (flag, value name).
    options: Vec<(String, String)>,
    /// Positional arguments (their value names).
    positionals: Vec<String>,
}

fn surface(help: &str) -> Surface {
    let mut s = Surface::default();
    for l in help.lines() {
        let t = l.trim_start();
        let indent = l.len() - t.len();
        if t.starts_with("--") || t.starts_with("-h, ") {
            let mut it = t.split_whitespace();
            let flag = it.next().unwrap().trim_end_matches(',');
            if let Some(v) = it.next().filter(|v| v.starts_with('<')) {
                s.options
                    .push((flag.to_string(), v.trim_matches(&['<', '>'][..]).into()));
            }
        } else if indent == 2 && (t.starts_with('[') || t.starts_with('<')) {
            let name = t.split_whitespace().next().unwrap();
            s.positionals
                .push(name.trim_matches(&['[', ']', '<', '>', '.'][..]).into());
        }
    }
    s
}

/// A tiny configuration of `sub` (flag → values), so an accepted hostile value runs fast.
/// The averaged engine's knobs get the averaged engine.
fn base(sub: &str, flag: &str, dir: &Path) -> Vec<(String, Vec<String>)> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let averaged_knob = matches!(
        flag,
        "--tol-grad" | "--max-iters" | "--tol-step" | "--max-newton" | "--noise"
    );
    let mut b: Vec<(&str, Vec<String>)> = Vec::new();
    let problem = |b: &mut Vec<(&str, Vec<String>)>| {
        b.push(("--d", v(&["16"])));
        b.push(("--n", v(&["4"])));
        b.push(("--steps", v(&["3"])));
        b.push(("--gen", v(&["16"])));
    };
    match sub {
        "train" | "theory" | "detect" => {
            problem(&mut b);
            if averaged_knob {
                b.push(("--engine", v(&["averaged"])));
            } else if sub != "theory" {
                b.push(("--epochs", v(&["5"])));
            }
            if sub == "detect" {
                b.push(("--samples", v(&["2"])));
                b.push(("--bootstrap", v(&["2"])));
            }
        }
        "run" | "power" => {
            b.push(("--preset", v(&["quick"])));
            problem(&mut b);
            b.push(("--replicas", v(&["2"])));
            if sub == "power" {
                b.push(("--seeds", v(&["2"])));
                b.push(("--multipliers", v(&["1"])));
                b.push(("--perturbations", v(&["p+0.02"])));
            }
        }
        "sweep" => {
            b.push(("--preset", v(&["quick"])));
            b.push(("--d", v(&["16", "32"])));
            b.push(("--n", v(&["4"])));
            b.push(("--replicas", v(&["2"])));
            b.push(("--gen", v(&["16"])));
        }
        "reproduce" => {
            b.push(("--claims", v(&["C1"])));
            b.push(("--replicas", v(&["2"])));
        }
        _ => {}
    }
    let _ = dir;
    b.into_iter()
        .filter(|(f, _)| *f != flag)
        .map(|(f, v)| (f.to_string(), v))
        .collect()
}

/// Non-regular files for path arguments: (label, path).
fn paths(root: &Path) -> Vec<(String, PathBuf)> {
    let fifo = root.join("fifo.json");
    let st = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(st.success(), "mkfifo");
    let dir = root.join("a-directory.json");
    std::fs::create_dir_all(&dir).unwrap();
    let dangling = root.join("dangling.json");
    std::os::unix::fs::symlink(root.join("no-such-target.json"), &dangling).unwrap();
    vec![
        ("fifo".into(), fifo),
        ("directory".into(), dir),
        ("/dev/full".into(), PathBuf::from("/dev/full")),
        ("dangling symlink".into(), dangling),
    ]
}

/// One command line.
#[derive(Debug, Clone)]
struct Case {
    sub: Vec<String>,
    args: Vec<String>,
}

impl Case {
    fn heavy(&self) -> bool {
        HEAVY.contains(&self.sub[0].as_str())
    }
    /// A count flag given a huge value (the last argument, `--flag=value`): it must be
    /// refused within the timeout even on a heavy subcommand.
    fn huge_count(&self) -> bool {
        self.args.last().is_some_and(|a| {
            a.split_once('=').is_some_and(|(f, v)| {
                f.starts_with("--") && HUGE.contains(&v) && !HUGE_OK.contains(&f)
            })
        })
    }
    fn line(&self) -> String {
        let mut v = self.sub.clone();
        v.extend(self.args.iter().map(|a| {
            if a.len() > 40 {
                format!("<{} chars>", a.len())
            } else if a.is_empty() {
                "''".into()
            } else {
                a.clone()
            }
        }));
        v.join(" ")
    }
}

fn is_path(name: &str) -> bool {
    matches!(
        name,
        "OUT" | "DIR" | "EXPERIMENT" | "FIXTURES" | "FILE" | "PATH" | "DATA"
    )
}

/// Every case of the surface (numeric ones, path ones).
fn cases(root: &Path) -> (Vec<Case>, Vec<Case>) {
    let mut subs: Vec<Vec<String>> = Vec::new();
    for c in commands(&help(&[])) {
        let h = help(&[c.as_str()]);
        let nested = commands(&h);
        if nested.is_empty() {
            subs.push(vec![c]);
        } else {
            subs.extend(nested.into_iter().map(|n| vec![c.clone(), n]));
        }
    }
    let files = paths(root);
    let empty = root.join("empty-dir");
    std::fs::create_dir_all(&empty).unwrap();
    let (mut numeric, mut path) = (Vec::new(), Vec::new());
    for sub in &subs {
        let refs: Vec<&str> = sub.iter().map(String::as_str).collect();
        let s = surface(&help(&refs));
        // A required positional (merge's DIR) gets an empty folder in the numeric cases.
        let fixed: Vec<String> = s
            .positionals
            .iter()
            .filter(|p| p.as_str() == "DIR")
            .map(|_| empty.display().to_string())
            .collect();
        let mk = |flag: &str, value: Vec<String>, what: String, pos: Option<String>| {
            let mut args = Vec::new();
            match pos {
                Some(p) => args.push(p),
                None => args.extend(fixed.iter().cloned()),
            }
            for (f, v) in base(&sub[0], flag, root) {
                if s.options.iter().any(|(g, _)| *g == f) {
                    args.push(f);
                    args.extend(v);
                }
            }
            if !flag.is_empty() {
                args.push(format!("{flag}={}", value[0]));
            }
            let _ = what;
            Case {
                sub: sub.clone(),
                args,
            }
        };
        for (flag, name) in &s.options {
            if is_path(name) {
                for (label, p) in &files {
                    path.push(mk(
                        flag,
                        vec![p.display().to_string()],
                        format!("{flag} = {label}"),
                        None,
                    ));
                }
            }
            // A shard `i/N` gets each hostile value as i and as N.
            let shard = name == "i/N" || name == "SHARD";
            for h in hostile() {
                let values = if shard {
                    vec![format!("0/{h}"), format!("{h}/2")]
                } else {
                    vec![h]
                };
                for v in values {
                    numeric.push(mk(flag, vec![v], format!("{flag} = hostile"), None));
                }
            }
        }
        for pos in &s.positionals {
            for (label, p) in &files {
                path.push(mk(
                    "",
                    vec![],
                    format!("{pos} = {label}"),
                    Some(p.display().to_string()),
                ));
            }
        }
    }
    numeric.extend(file_cases(root));
    (numeric, path)
}

/// Every numeric field of the experiment file schema (the quick preset serialised, shrunk
/// to d = 16, n = 4, K = 3, R = 2) gets each hostile number: JSON for the finite ones,
/// TOML (which has nan and inf) for the others. Run as `run FILE`.
fn file_cases(root: &Path) -> Vec<Case> {
    let mut exp = phaseflow::harness::Preset::Quick.experiment();
    exp.train.problem.d = 16;
    exp.train.problem.n = 4;
    exp.train.problem.steps = 3;
    exp.train.n_gen = 16;
    exp.replicas = 2;
    // The same with the phase-aware schedule, whose pilot sizes are fields of the file.
    let mut auto = exp.clone();
    auto.train.problem.schedule =
        phaseflow::schedule::ScheduleSpec::Auto(phaseflow::schedule::AutoSpec::default());
    let dir = root.join("experiments");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases = Vec::new();
    for (e, exp) in [exp, auto].iter().enumerate() {
        let mut doc = serde_json::to_value(exp).unwrap();
        drop_nulls(&mut doc);
        file_cases_of(&doc, &dir.join(format!("x{e}")), &mut cases);
    }
    cases
}

fn file_cases_of(doc: &serde_json::Value, dir: &Path, cases: &mut Vec<Case>) {
    let mut leaves = Vec::new();
    numeric_leaves(doc, &mut Vec::new(), &mut leaves);
    std::fs::create_dir_all(dir).unwrap();
    for (i, path) in leaves.iter().enumerate() {
        for (j, h) in [
            "0",
            "1",
            "-1",
            "18446744073709551615",
            "1e300",
            "1e-300",
            "nan",
            "inf",
            "-inf",
        ]
        .iter()
        .enumerate()
        {
            let mut v = doc.clone();
            let finite = h.parse::<f64>().is_ok_and(f64::is_finite);
            let file = if finite {
                let slot = path.iter().fold(&mut v, |v, k| match k {
                    Key::Field(f) => &mut v[f.as_str()],
                    Key::Index(i) => &mut v[*i],
                });
                *slot = serde_json::from_str(h).unwrap();
                let f = dir.join(format!("e{i}-{j}.json"));
                std::fs::write(&f, v.to_string()).unwrap();
                f
            } else {
                let mut t: toml::Value = serde_json::from_value(v).unwrap();
                let slot = path.iter().fold(&mut t, |t, k| match k {
                    Key::Field(f) => t.get_mut(f.as_str()).unwrap(),
                    Key::Index(i) => t.get_mut(*i).unwrap(),
                });
                *slot = toml::Value::Float(h.parse().unwrap());
                let f = dir.join(format!("e{i}-{j}.toml"));
                std::fs::write(&f, toml::to_string(&t).unwrap()).unwrap();
                f
            };
            cases.push(Case {
                sub: vec!["run".into()],
                args: vec![file.display().to_string(), "--quiet".into()],
            });
        }
    }
}

/// Remove the null fields (absent = default; TOML has no null).
fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A step of a JSON path.
#[derive(Debug, Clone)]
enum Key {
    Field(String),
    Index(usize),
}

fn numeric_leaves(v: &serde_json::Value, at: &mut Vec<Key>, out: &mut Vec<Vec<Key>>) {
    match v {
        serde_json::Value::Number(_) => out.push(at.clone()),
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                at.push(Key::Field(k.clone()));
                numeric_leaves(x, at, out);
                at.pop();
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Key::Index(i));
                numeric_leaves(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// How a case ended.
#[derive(Debug)]
enum End {
    Exit(i32, String),
    Signal(i32, String),
    Timeout(String),
}

fn run_case(case: &Case, cwd: &Path) -> End {
    let err_path = cwd.join("stderr.txt");
    let err_file = std::fs::File::create(&err_path).unwrap();
    let mut child = Command::new(bin())
        .args(&case.sub)
        .args(&case.args)
        .current_dir(cwd)
        .env("RAYON_NUM_THREADS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file)
        .spawn()
        .expect("spawn phaseflow");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        let limit = if case.heavy() { TIMEOUT } else { LIGHT_TIMEOUT };
        if start.elapsed() > limit {
            // SIGTERM first: phaseflow removes its temporaries and locks on it.
            // SAFETY: a plain kill(2) of our own child.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            std::thread::sleep(Duration::from_millis(300));
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    use std::os::unix::process::ExitStatusExt;
    match status {
        None => End::Timeout(err),
        Some(s) => match s.code() {
            Some(c) => End::Exit(c, err),
            None => End::Signal(s.signal().unwrap_or(0), err),
        },
    }
}

/// Files whose name holds `.tmp-` under `dir` (half-written outputs).
fn leftovers(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            leftovers(&p, found);
        } else if p.file_name().unwrap().to_string_lossy().contains(".tmp-") {
            found.push(p);
        }
    }
}

/// The property, or why it fails.
fn judge(case: &Case, end: &End) -> Result<bool, String> {
    let line = case.line();
    match end {
        End::Signal(sig, err) => Err(format!("{line}: killed by signal {sig}; stderr {err}")),
        End::Timeout(err) => {
            if err.contains("panicked") {
                Err(format!("{line}: panicked; stderr {err}"))
            } else if case.heavy() && !case.huge_count() {
                Ok(true)
            } else {
                Err(format!("{line}: still running after {LIGHT_TIMEOUT:?}"))
            }
        }
        End::Exit(code, err) => {
            if !(0..=2).contains(code) {
                return Err(format!("{line}: exit {code}; stderr {err}"));
            }
            if err.contains("panicked") {
                return Err(format!("{line}: panicked; stderr {err}"));
            }
            if *code == 2 {
                let lines: Vec<&str> = err
                    .trim_end()
                    .lines()
                    .filter(|l| !l.starts_with("warning:"))
                    .collect();
                if lines.len() != 1 {
                    return Err(format!("{line}: exit 2 with {} lines: {err}", lines.len()));
                }
            }
            Ok(false)
        }
    }
}

fn fuzz(cases: &[Case], root: &Path) -> (Vec<String>, usize) {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let timeouts = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..3 {
            let (next, failures, timeouts) = (&next, &failures, &timeouts);
            let cwd = root.join(format!("worker-{w}"));
            std::fs::create_dir_all(&cwd).unwrap();
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let end = run_case(case, &cwd);
                    let mut bad = judge(case, &end);
                    if let (Ok(false), End::Exit(..)) = (&bad, &end) {
                        let mut found = Vec::new();
                        leftovers(&cwd, &mut found);
                        if !found.is_empty() {
                            bad = Err(format!("{}: left {found:?}", case.line()));
                        }
                    }
                    match bad {
                        Ok(true) => {
                            timeouts.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(false) => {}
                        Err(e) => failures.lock().unwrap().push(e),
                    }
                    // Each case starts from an empty working folder.
                    let _ = std::fs::remove_dir_all(&cwd);
                    std::fs::create_dir_all(&cwd).unwrap();
                }
            });
        }
    });
    (
        failures.into_inner().unwrap(),
        timeouts.load(Ordering::Relaxed),
    )
}

#[test]
fn the_cli_surface_exits_0_1_or_2_without_panics_or_hangs() {
    let root = common::tmpdir("fuzz-cli");
    let start = Instant::now();
    let (numeric, path) = cases(&root);
    let total = numeric.len() + path.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    // Every count flag with a huge value is run (item 4 of issue 24: the time budget holds
    // for all of them); the rest is sampled.
    let (huge, numeric): (Vec<Case>, Vec<Case>) = numeric.into_iter().partition(Case::huge_count);
    let (mut heavy, mut picked): (Vec<Case>, Vec<Case>) =
        numeric.into_iter().partition(Case::heavy);
    picked.shuffle(&mut rng);
    picked.truncate(CASES);
    heavy.shuffle(&mut rng);
    heavy.truncate(HEAVY_CASES);
    let huge_cases = huge.len();
    picked.extend(huge);
    picked.extend(path);
    // The heavy subcommands last, so their timeouts overlap the others' runs less.
    picked.extend(heavy);
    picked.sort_by_key(Case::heavy);
    let (failures, timeouts) = fuzz(&picked, &root);
    eprintln!(
        "fuzz_cli: {} of {total} cases (seed {SEED}; all {huge_cases} huge counts), {timeouts} heavy ones stopped at the {TIMEOUT:?} timeout, {:.1} s",
        picked.len(),
        start.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Regression tests: every defect the fuzzer and issue 24 found, one named test each.

fn run(args: &[&str]) -> std::process::Output {
    common::phaseflow(args)
}

/// exit `code`, one error line naming `field`, no panic.
fn refused(args: &[&str], code: i32, field: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    let lines: Vec<&str> = err
        .trim_end()
        .lines()
        .filter(|l| !l.starts_with("warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line, got {err}");
    assert!(
        lines[0].contains(field),
        "{args:?}: should name {field}: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

/// Issue 24: `power --seeds 18446744073709551615` aborted on the seed list's allocation.
#[test]
fn power_seeds_u64_max_is_refused_naming_seeds() {
    refused(&["power", "--seeds", "18446744073709551615"], 2, "seeds:");
    refused(
        &[
            "power",
            "--seeds",
            "5",
            "--first-seed",
            "18446744073709551615",
        ],
        2,
        "first-seed:",
    );
}

/// Issue 24: `phaseflow theory > /dev/full` panicked (exit 101) in println!.
#[test]
fn theory_to_a_full_stdout_exits_1() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = Command::new(bin())
        .args(["theory", "--d", "16", "--n", "4", "--steps", "3"])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: stdout:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Issue 24: a perturbation is a second route to σ², κ and the ridges; it passes the same
/// checks as the flags.
#[test]
fn perturbed_quantities_pass_the_flags_checks() {
    let tiny = ["--d", "16", "--n", "4", "--steps", "3", "--gen", "16"];
    for (pert, quantity) in [
        ("sigma2*1e300", "sigma2:"),
        ("lambda*1e300", "lambda-u:"),
        ("theory:sigma2*1e300", "sigma2:"),
    ] {
        let mut a = vec!["train", "--perturb", pert];
        a.extend(tiny);
        refused(&a, 2, "perturb:");
        refused(&a, 2, quantity);
        let mut t = vec!["theory", "--perturb", pert];
        t.extend(tiny);
        refused(&t, 2, "perturb:");
    }
}

/// Issue 24: a FIFO given as an experiment file blocked forever; a directory, a device and a
/// dangling symlink are refused too, naming the file.
#[test]
fn non_regular_experiment_files_are_refused() {
    let root = common::tmpdir("fuzz-cli-fifo");
    for (label, p) in paths(&root) {
        let p = p.display().to_string();
        let start = Instant::now();
        refused(&["run", &p], 2, &p);
        assert!(start.elapsed() < Duration::from_secs(5), "{label}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// Issue 24: `train --engine averaged --lambda-w 1e300` ran for minutes; the ridges are
/// limited to [0, 1e12] whatever the engine.
#[test]
fn huge_ridges_are_refused() {
    let a = [
        "train", "--engine", "averaged", "--d", "100", "--n", "16", "--steps", "6",
    ];
    let mut w = a.to_vec();
    w.extend(["--lambda-w", "1e300"]);
    refused(&w, 2, "lambda-w:");
    let mut u = a.to_vec();
    u.extend(["--lambda-u", "1e13"]);
    refused(&u, 2, "lambda-u:");
}

/// Found by the fuzzer (seed 24): `train --engine averaged --lambda-u=1e-300` (and λ = 0, or
/// `--tol-grad=1e-300`) at d = 16, n = 4 ran for minutes in argmin's uncapped line search.
/// The evaluations are capped now; a tolerance below the gradient floor is refused.
#[test]
fn averaged_engine_on_a_degenerate_ridge_ends_quickly() {
    let base = [
        "train", "--engine", "averaged", "--d", "16", "--n", "4", "--steps", "3", "--gen", "16",
    ];
    for extra in [
        &["--lambda-u=1e-300"][..],
        &["--lambda-u", "0", "--lambda-w", "0"][..],
    ] {
        let mut a = base.to_vec();
        a.extend(extra);
        let start = Instant::now();
        let out = run(&a);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{a:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(start.elapsed() < Duration::from_secs(20), "{a:?}");
    }
    let mut a = base.to_vec();
    a.push("--tol-grad=1e-300");
    refused(&a, 2, "tol-grad:");
}

/// Issue 24: the U-turn at p = 1e-300 is flat (a change of 4e-220) and was reported as a
/// window with a schedule, exit 0.
#[test]
fn flat_uturn_profile_has_no_window() {
    refused(
        &["detect", "--profile", "uturn", "--p", "1e-300"],
        1,
        "no change",
    );
}

/// Issue 24: the Bayes detection at d = 1 024 000 was refused for trained parameters the
/// Bayes denoiser does not have; it runs.
#[test]
fn bayes_detection_at_a_million_dimensions_runs() {
    let out = run(&[
        "detect",
        "--profile",
        "mse",
        "--schedule",
        "linear",
        "--denoiser",
        "bayes",
        "--d",
        "1024000",
        "--steps",
        "20000",
        "--json",
    ]);
    let v = common::json(&out);
    assert!(v["window"]["centre"].as_f64().is_some(), "{v}");
}

/// Issue 24: the averaged engine's divergence error told the user to lower --lr, which that
/// engine refuses.
#[test]
fn the_averaged_engines_divergence_hint_does_not_name_lr() {
    let h = phaseflow::train::divergence_hint("averaged");
    assert!(!h.contains("--lr"), "{h}");
    assert!(phaseflow::train::divergence_hint("sgd").contains("--lr"));
}

/// Found by the fuzzer once `i/N` values were generated: `reproduce --shard
/// 0/18446744073709551615` aborted allocating one load per shard.
#[test]
fn reproduce_shard_count_u64_max_does_not_allocate_it() {
    let dir = common::tmpdir("fuzz-cli-shard-count");
    let file = dir.join("reproduce-shard-0-of-18446744073709551615.json");
    let doc = serde_json::json!({
        "schema_version": phaseflow::claims::shard::REPRODUCE_SHARD_SCHEMA_VERSION,
        "crate_version": env!("CARGO_PKG_VERSION"),
        "tier": "quick",
        "seed": 0,
        "replicas": null,
        "perturbation": null,
        "claims": null,
        "shard": {"index": 0, "count": 18446744073709551615u64},
        "ran": [],
        "runs": [],
    });
    std::fs::write(&file, doc.to_string()).unwrap();
    let d = dir.display().to_string();
    refused(&["merge", &d], 2, "shard");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 24: a run shard is a second route for every number; a replica output with p̂ outside
/// [0, 1] or a negative SE is refused naming the field.
#[test]
fn run_shard_with_impossible_numbers_is_refused_by_name() {
    let dir = common::tmpdir("fuzz-cli-shard-values");
    let d = dir.display().to_string();
    let tiny = [
        "run",
        "--preset",
        "quick",
        "--d",
        "16",
        "--n",
        "4",
        "--steps",
        "3",
        "--gen",
        "16",
        "--replicas",
        "2",
        "--quiet",
    ];
    for i in ["0/2", "1/2"] {
        let mut a = tiny.to_vec();
        a.extend(["--shard", i, "--out", &d]);
        let out = run(&a);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let f = dir.join("shard-1-of-2.json");
    let text = std::fs::read_to_string(&f).unwrap();
    for (key, value, field) in [
        ("p_hat", 2.0, "replicas[0].generated.p_hat"),
        ("p_hat_se", -1.0, "replicas[0].generated.p_hat_se"),
    ] {
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["replicas"][0]["generated"][key] = serde_json::json!(value);
        std::fs::write(&f, v.to_string()).unwrap();
        refused(&["merge", &d, "--out", &d], 2, field);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Found by the fuzzer (seed 24, once the experiment-file cases joined the shuffle):
/// `digits compare --batch=18446744073709551615` aborted allocating batch-sized buffers.
/// The command is heavy whatever its sizes, so only "no panic within the timeout" is checked.
#[test]
fn digits_compare_huge_batch_does_not_abort() {
    let root = common::tmpdir("fuzz-cli-digits-batch");
    let case = Case {
        sub: vec!["digits".into(), "compare".into()],
        args: vec!["--batch=18446744073709551615".into()],
    };
    let end = run_case(&case, &root);
    assert!(judge(&case, &end).is_ok(), "{end:?}");
    let _ = std::fs::remove_dir_all(&root);
}

const U64_MAX: &str = "18446744073709551615";

/// Issue 24, item 1: huge training and sampling counts ran until killed; the time budget
/// now refuses each before any work, naming the count.
#[test]
fn huge_counts_are_refused_by_the_time_budget() {
    let tiny = ["--d", "16", "--n", "4", "--steps", "3", "--gen", "16"];
    let with = |head: &[&'static str], tail: &[&'static str]| {
        let mut a: Vec<&str> = head.to_vec();
        a.extend(tiny);
        a.extend(tail);
        a
    };
    for (args, field) in [
        (with(&["train"], &["--epochs", U64_MAX]), "epochs:"),
        (
            with(
                &["train", "--engine", "averaged"],
                &["--max-newton", U64_MAX],
            ),
            "max-newton:",
        ),
        (
            with(
                &["train", "--engine", "averaged"],
                &["--max-iters", U64_MAX],
            ),
            "max-iters:",
        ),
        (
            with(
                &["detect", "--profile", "uturn", "--denoiser", "trained"],
                &["--epochs", "5", "--samples", U64_MAX],
            ),
            "samples:",
        ),
        (
            with(
                &["run", "--preset", "quick"],
                &[
                    "--epochs",
                    "5",
                    "--engine",
                    "sgd",
                    "--replicas",
                    "100000000",
                ],
            ),
            "replicas:",
        ),
        (
            vec!["theory", "--d", "16", "--steps", "3", "--n", U64_MAX],
            "n:",
        ),
        (vec!["digits", "train", "--epochs", U64_MAX], "epochs:"),
        (
            vec!["digits", "uturn", "--epochs", U64_MAX],
            "reference-epochs:",
        ),
        (vec!["digits", "compare", "--seeds", U64_MAX], "seeds:"),
        (
            vec!["digits", "compare", "--sde-steps", U64_MAX],
            "sde-steps:",
        ),
        (
            vec!["digits", "compare", "--reference-steps", U64_MAX],
            "reference-steps:",
        ),
        (
            vec![
                "digits",
                "compare-epochs",
                "--epochs",
                U64_MAX,
                "--checkpoints",
                "1",
            ],
            "epochs:",
        ),
    ] {
        refused(&args, 2, field);
    }
}

/// `--max-seconds` replaces the default cap, like `--max-memory`: the default `train` is
/// refused under one second, naming the count furthest above its default and the flag.
#[test]
fn max_seconds_lowers_the_cap() {
    let out = run(&["train", "--max-seconds", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("of wall time"), "{err}");
    assert!(err.contains("--max-seconds"), "{err}");
    let out = run(&[
        "train",
        "--d",
        "16",
        "--n",
        "4",
        "--steps",
        "3",
        "--gen",
        "16",
        "--epochs",
        "5",
        "--max-seconds",
        "1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Found by the fuzzer (seed 24, once every huge count was run): an experiment file whose
/// `auto` schedule asks 2⁶⁴ − 1 pilot or refine points panicked (capacity overflow) building
/// the pilot grid; the pilot is in the memory and time estimates now.
#[test]
fn auto_pilot_sizes_are_budgeted() {
    let dir = common::tmpdir("fuzz-cli-pilot");
    for field in ["pilot_points", "refine_points"] {
        let mut exp = phaseflow::harness::Preset::Quick.experiment();
        exp.train.problem.d = 16;
        exp.train.problem.n = 4;
        exp.train.problem.steps = 3;
        exp.train.n_gen = 16;
        exp.replicas = 2;
        exp.train.problem.schedule =
            phaseflow::schedule::ScheduleSpec::Auto(phaseflow::schedule::AutoSpec::default());
        let mut v = serde_json::to_value(&exp).unwrap();
        v["train"]["problem"]["schedule"][field] = serde_json::json!(u64::MAX);
        let f = dir.join(format!("{field}.json"));
        std::fs::write(&f, v.to_string()).unwrap();
        let p = f.display().to_string();
        refused(&["run", &p, "--quiet"], 2, field);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Found by the fuzzer (seed 24): `reproduce --replicas 18446744073709551615` printed the
/// first claim's title before its refusal (two lines); the override is checked first.
#[test]
fn reproduce_huge_replicas_is_one_line() {
    refused(
        &["reproduce", "--claims", "C1", "--replicas", U64_MAX],
        2,
        "replicas:",
    );
}
