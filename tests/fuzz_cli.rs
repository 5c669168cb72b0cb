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
const CASES: usize = 1000;
/// How many numeric cases of the heavy subcommands are run.
const HEAVY_CASES: usize = 30;
/// A case of a heavy subcommand still running after this is stopped (not a failure).
const TIMEOUT: Duration = Duration::from_secs(2);
/// A case of a light subcommand still running after this is stopped, and fails: generous
/// for a loaded machine (the slowest light case, `power` on a degenerate ridge that spends
/// the averaged engine's evaluation budget, takes about 2 s alone here).
const LIGHT_TIMEOUT: Duration = Duration::from_secs(6);
/// Subcommands whose base run is heavy whatever the sizes: a timeout is not a failure.
const HEAVY: &[&str] = &["reproduce", "demo", "digits"];

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
            for h in hostile() {
                numeric.push(mk(flag, vec![h.clone()], format!("{flag} = hostile"), None));
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
    (numeric, path)
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
            } else if case.heavy() {
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
    let (mut heavy, mut picked): (Vec<Case>, Vec<Case>) =
        numeric.into_iter().partition(Case::heavy);
    picked.shuffle(&mut rng);
    picked.truncate(CASES);
    heavy.shuffle(&mut rng);
    heavy.truncate(HEAVY_CASES);
    picked.extend(path);
    // The heavy subcommands last, so their timeouts overlap the others' runs less.
    picked.extend(heavy);
    picked.sort_by_key(Case::heavy);
    let (failures, timeouts) = fuzz(&picked, &root);
    eprintln!(
        "fuzz_cli: {} of {total} cases (seed {SEED}), {timeouts} heavy ones stopped at the {TIMEOUT:?} timeout, {:.1} s",
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
