//! Issue 15's hostile inputs, one row each: every one exits 2 (or 1 for a divergence) with one
//! line naming the field, leaves no half-written file, and never panics or aborts. A bounded
//! mutation fuzz of the experiment and shard parsers (300 seeded cases each, xoshiro seed
//! fixed below, so a failure is reproducible) checks the library side:
//! a mutated file is either accepted or refused with an error, and its cost is checked before
//! anything is allocated.

mod common;

use common::phaseflow;
use phaseflow::harness::Experiment;
use phaseflow::harness::shard;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::{Path, PathBuf};
use std::process::Output;

/// exit 2 (or `code`), one line on stderr containing `field`, nothing on stdout, no panic.
fn assert_refused(args: &[&str], out: &Output, code: i32, field: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: exit, stderr {err}"
    );
    let lines: Vec<&str> = err
        .trim_end()
        .lines()
        .filter(|l| !l.starts_with("warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "{args:?}: one error line, got {err}");
    assert!(lines[0].starts_with("error: "), "{args:?}: {err}");
    assert!(
        lines[0].contains(field),
        "{args:?}: should name {field}: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

fn refused(args: &[&str], field: &str) {
    let out = phaseflow(args);
    assert_refused(args, &out, 2, field);
    assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
}

/// Item 1: sizes beyond the machine are refused from an estimate, before any allocation.
#[test]
fn sizes_beyond_the_machine_exit_2_naming_the_field() {
    let max = u64::MAX.to_string();
    let rows: &[(&[&str], &str)] = &[
        (&["train", "--d", "1000000000000"], "d:"),
        (&["train", "--d", &max], "d:"),
        (&["train", "--gen", &max], "gen:"),
        (&["theory", "--steps", "100000000"], "steps:"),
        (&["run", "--replicas", &max], "replicas:"),
        // A user limit below the estimate names the field that costs most.
        (&["train", "--d", "100000", "--max-memory", "1M"], "d:"),
    ];
    for (args, field) in rows {
        refused(args, field);
    }
}

/// Item 1: the finite-n theory's cost is bounded in n (the normal rule beyond
/// `NORMAL_RULE_TERMS` binomial terms): n = 1e12 is computed, not refused.
#[test]
fn finite_n_theory_at_huge_n_is_computed() {
    let args = [
        "theory",
        "--n",
        "1000000000000",
        "--steps",
        "4",
        "--d",
        "100",
        "--json",
    ];
    let v = common::json(&phaseflow(&args));
    let text = v.to_string();
    assert!(!text.contains("inf") && !text.contains("NaN"), "{text}");
}

/// Items 6 and 10: insane ranges are refused or warned about; a finite divergence is exit 1.
#[test]
fn insane_values_and_divergence() {
    refused(&["train", "--sigma2", "1e300"], "sigma2:");
    refused(&["train", "--n", "-1"], "-1");
    let args = [
        "train", "--lr", "1e6", "--steps", "4", "--d", "100", "--n", "8",
    ];
    let out = phaseflow(&args);
    assert_refused(&args, &out, 1, "diverged");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: lr:"), "lr > 1 is warned: {err}");
    assert!(out.stdout.is_empty());
}

/// Item 7: degenerate designs are refused up front, naming the flag.
#[test]
fn degenerate_designs_exit_2() {
    let rows: &[(&[&str], &str)] = &[
        (
            &["sweep", "--d", "500,500", "--n", "64,64", "--replicas", "2"],
            "d:",
        ),
        (&["digits", "uturn", "--points", "0"], "points:"),
        (&["digits", "uturn", "--pairs", "0"], "pairs:"),
        (&["digits", "compare", "--generated", "0"], "generated:"),
        (
            &["digits", "compare-epochs", "--checkpoints", "0"],
            "checkpoints:",
        ),
        (&["digits", "compare", "--budgets", "0,10"], "budgets:"),
        (&["digits", "compare", "--mechanism", "linear"], "solver:"),
        (&["digits", "compare", "--band", "0.4,0.2"], "band:"),
        (&["digits", "compare", "--clip=-1"], "clip:"),
        (&["digits", "compare", "--weight", "1.5"], "weight:"),
        (&["digits", "compare", "--lr", "0"], "lr:"),
    ];
    for (args, field) in rows {
        refused(args, field);
    }
}

/// A tiny experiment (a second to run) as JSON, edited by `edit`, written to `dir/name`.
fn experiment_file(dir: &Path, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let mut v = serde_json::json!({
        "name": "tiny",
        "train": {
            "problem": {"schedule": {"kind": "dilated", "kappa": 2.0}, "p": 0.8, "sigma2": 1.0,
                        "d": 40, "steps": 6, "n": 16},
            "engine": {"kind": "averaged"},
            "seed": 0, "n_gen": 500
        },
        "replicas": 2,
        "families": ["p_hat", "var_perp"]
    });
    edit(&mut v);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    path
}

/// Items 3 and 4: experiments without checks, duplicated families and unknown nested fields.
#[test]
fn experiment_files_are_checked_field_by_field() {
    let dir = common::tmpdir("hardening-exp");
    let rows: Vec<(PathBuf, &str)> = vec![
        (
            experiment_file(&dir, "empty.json", |v| {
                v["families"] = serde_json::json!([])
            }),
            "families:",
        ),
        (
            experiment_file(&dir, "dup.json", |v| {
                v["families"] = serde_json::json!(["p_hat", "p_hat"])
            }),
            "families:",
        ),
        (
            experiment_file(&dir, "none.json", |v| {
                v["train"]["problem"]["schedule"] = serde_json::json!({"kind": "linear"});
                v["families"] = serde_json::json!(["phase1_overlaps"]);
            }),
            "families:",
        ),
        // Issue 23: a phase family on a schedule without phases (the dilated_end warp on
        // the linear path), and one listed beside an applicable family, are refused before
        // training instead of failing after it or being dropped without a word.
        (
            experiment_file(&dir, "end_on_linear.json", |v| {
                v["train"]["problem"]["schedule"] =
                    serde_json::json!({"kind": "dilated_end", "kappa": 2.0});
                v["families"] = serde_json::json!(["p_hat", "phase1_overlaps"]);
            }),
            "'phase1_overlaps' gives no check",
        ),
        (
            experiment_file(&dir, "dropped.json", |v| {
                v["train"]["problem"]["schedule"] = serde_json::json!({"kind": "linear"});
                v["families"] = serde_json::json!(["p_hat", "weight_estimates"]);
            }),
            "'weight_estimates' gives no check",
        ),
        (
            experiment_file(&dir, "nested.json", |v| {
                v["train"]["problem"]["schedule"] =
                    serde_json::json!({"kind": "linear", "kappa": 5})
            }),
            "train.problem.schedule.kappa",
        ),
        (
            experiment_file(&dir, "huge.json", |v| {
                v["replicas"] = serde_json::json!(1e15)
            }),
            "replicas",
        ),
    ];
    for (path, field) in &rows {
        let out_dir = dir.join(format!(
            "out-{}",
            path.file_stem().unwrap().to_string_lossy()
        ));
        let p = path.to_string_lossy().into_owned();
        let o = out_dir.to_string_lossy().into_owned();
        let args = ["run", p.as_str(), "--out", o.as_str()];
        refused(&args, field);
        assert!(
            !out_dir.exists(),
            "{args:?}: no output folder for refused input"
        );
    }
    // Not an experiment file at all: refused before reading (no read of /dev/zero).
    refused(&["run", "/dev/zero"], "/dev/zero");
}

/// Issue 23: with `families` left out, a schedule without phases runs the families that
/// apply (p_hat, var_perp) and nothing else, and every one of them has its control.
#[test]
fn families_left_out_are_the_ones_that_apply() {
    let dir = common::tmpdir("hardening-families");
    let exp = experiment_file(&dir, "end_on_linear.json", |v| {
        v["train"]["problem"]["schedule"] =
            serde_json::json!({"kind": "dilated_end", "kappa": 2.0});
        v.as_object_mut().unwrap().remove("families");
    });
    let out = phaseflow(&["run", &exp.to_string_lossy(), "--json"]);
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "exit {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut fams: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["family"].as_str().unwrap())
        .collect();
    fams.sort_unstable();
    fams.dedup();
    assert_eq!(fams, ["p_hat", "var_perp"]);
    assert!(
        r["config"].get("families").is_none(),
        "the default is recorded as absent"
    );
}

/// Item 5: the output is checked before the work.
#[test]
fn output_that_cannot_be_written_is_refused_first() {
    let dir = common::tmpdir("hardening-out");
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let f = file.to_string_lossy().into_owned();
    refused(&["run", "--preset", "quick", "--out", f.as_str()], "a-file");
    assert_eq!(std::fs::read(&file).unwrap(), b"x", "left untouched");
}

/// Item 9: control characters from a file are escaped in everything printed.
#[test]
fn control_characters_are_escaped() {
    let dir = common::tmpdir("hardening-ansi");
    let exp = experiment_file(&dir, "ansi.json", |v| {
        v["name"] = serde_json::json!("x\u{1b}[32m\nOK: 99/99")
    });
    let out_dir = dir.join("out");
    let out = phaseflow(&[
        "run",
        &exp.to_string_lossy(),
        "--out",
        &out_dir.to_string_lossy(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\u{1b}'), "raw escape printed: {text}");
    assert!(
        !text.lines().any(|l| l.starts_with("OK: 99/99")),
        "a file's name faked a summary line: {text}"
    );
}

/// Item 2: hostile shard files are refused naming the file and the field.
#[test]
fn hostile_shards_exit_2_naming_file_and_field() {
    let dir = common::tmpdir("hardening-shard");
    let exp = experiment_file(&dir, "tiny.json", |_| {});
    let e = exp.to_string_lossy().into_owned();
    let good = dir.join("good");
    let g = good.to_string_lossy().into_owned();
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = phaseflow(&["run", &e, "--shard", &shard, "--out", &g]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    refused(
        &[
            "run",
            &e,
            "--shard",
            &format!("0/{}", u64::MAX),
            "--out",
            &g,
        ],
        "shard",
    );
    let shard0 = std::fs::read_to_string(good.join("shard-0-of-2.json")).unwrap();
    let shard1 = std::fs::read_to_string(good.join("shard-1-of-2.json")).unwrap();
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "count-float",
            shard0.replace("\"count\": 2", "\"count\": 1e10"),
            "shard.count",
        ),
        (
            "count-huge",
            shard0.replace("\"count\": 2", &format!("\"count\": {}", u64::MAX)),
            "shard.count",
        ),
        (
            "version",
            shard0.replace("\"crate_version\": \"", "\"crate_version\": \"9.9.9-"),
            "9.9.9",
        ),
        (
            "truncated",
            shard0[..shard0.len() / 2].to_string(),
            "shard-0-of-2.json",
        ),
    ];
    for (name, text, field) in rows {
        assert_ne!(text, shard0, "{name}: the edit must apply");
        let bad = dir.join(name);
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(bad.join("shard-0-of-2.json"), &text).unwrap();
        std::fs::write(bad.join("shard-1-of-2.json"), &shard1).unwrap();
        let b = bad.to_string_lossy().into_owned();
        refused(&["merge", &b], field);
        assert!(!bad.join("report.json").exists(), "{name}: no half report");
    }
    // A renamed shard: its name does not match its content.
    let renamed = dir.join("renamed");
    std::fs::create_dir_all(&renamed).unwrap();
    std::fs::write(renamed.join("shard-1-of-2.json"), &shard0).unwrap();
    refused(&["merge", &renamed.to_string_lossy()], "shard-1-of-2.json");
}

/// A mutation of a JSON text: replace the value after the `at`-th `:` by a hostile one.
#[derive(Clone, Debug)]
struct Mutation {
    at: usize,
    value: &'static str,
}

const HOSTILE: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "1e308",
    "-1e308",
    "1e10",
    "18446744073709551615",
    "4294967296",
    "0.5",
    "null",
    "\"\"",
    "\"x\u{1b}[2J\"",
    "[]",
    "{}",
    "true",
    "{\"kind\": \"linear\"}",
    "{\"kind\": \"piecewise\", \"knots\": [[0.0, 0.0], [0.5, 0.9], [0.4, 1.0]]}",
];

/// 1–4 random mutations.
fn mutations(rng: &mut Xoshiro256PlusPlus) -> Vec<Mutation> {
    (0..rng.random_range(1..=4))
        .map(|_| Mutation {
            at: rng.random_range(0..64),
            value: HOSTILE[rng.random_range(0..HOSTILE.len())],
        })
        .collect()
}

/// Fuzz cases per parser, and the seed of their generator.
const CASES: usize = 300;
const FUZZ_SEED: u64 = 0x15;

/// Apply the mutations to a pretty-printed JSON text (one value per line after `": "`).
fn mutate(text: &str, muts: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let slots: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("\": ") && !lines[i].trim_end().ends_with(['{', '[']))
        .collect();
    for m in muts {
        let i = slots[m.at % slots.len()];
        let k = lines[i].find("\": ").unwrap() + 3;
        let comma = if lines[i].trim_end().ends_with(',') {
            ","
        } else {
            ""
        };
        lines[i] = format!("{}{}{comma}", &lines[i][..k], m.value);
    }
    lines.join("\n")
}

/// Parsing, validating and costing a mutated experiment file never panics.
#[test]
fn fuzz_experiment_parser() {
    let dir = common::tmpdir("hardening-fuzz-exp");
    let base = std::fs::read_to_string(experiment_file(&dir, "base.json", |_| {})).unwrap();
    let path = dir.join("mutated.json");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(FUZZ_SEED);
    let mut accepted = 0;
    for case in 0..CASES {
        let muts = mutations(&mut rng);
        std::fs::write(&path, mutate(&base, &muts)).unwrap();
        let result = std::panic::catch_unwind(|| {
            Experiment::from_file(&path)
                .and_then(|exp| exp.validate().map(|_| exp))
                .map(|exp| exp.cost().check().is_ok())
        });
        match result {
            Ok(Ok(true)) => accepted += 1,
            Ok(_) => {}
            Err(_) => panic!("case {case}: {muts:?} panicked"),
        }
    }
    // The fuzz must exercise both sides: some mutations keep a valid file.
    assert!(
        accepted > 0 && accepted < CASES,
        "accepted {accepted}/{CASES}"
    );
}

/// Checking a mutated shard file never panics and never allocates from its sizes.
#[test]
fn fuzz_shard_parser() {
    let dir = common::tmpdir("hardening-fuzz-shard");
    let exp = experiment_file(&dir, "tiny.json", |_| {});
    let good = dir.join("good");
    let out = phaseflow(&[
        "run",
        &exp.to_string_lossy(),
        "--shard",
        "0/2",
        "--out",
        &good.to_string_lossy(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = std::fs::read_to_string(good.join("shard-0-of-2.json")).unwrap();
    let path = dir.join("shard-0-of-2.json");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(FUZZ_SEED + 1);
    let mut accepted = 0;
    for case in 0..CASES {
        let muts = mutations(&mut rng);
        std::fs::write(&path, mutate(&base, &muts)).unwrap();
        let result = std::panic::catch_unwind(|| {
            phaseflow::io::read_json::<shard::ShardFile>(&path)
                .map_err(phaseflow::error::Error::from)
                .and_then(|file| shard::check_file(&path, &file))
                .is_ok()
        });
        match result {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(_) => panic!("case {case}: {muts:?} panicked"),
        }
    }
    assert!(accepted < CASES, "accepted {accepted}/{CASES}");
}

/// Item 1 under a process memory limit (`ulimit -v`): the estimate is checked against the
/// address-space limit too, so a size the machine could hold but the process cannot is
/// refused with exit 2 naming the field instead of aborting in the allocator.
#[test]
fn sizes_beyond_ulimit_v_exit_2() {
    let bin = env!("CARGO_BIN_EXE_phaseflow");
    // 1 GiB of address space; d·n = 4e8 doubles of data alone is 3.2 GB.
    let script = format!("ulimit -v 1048576 && exec '{bin}' train --d 400000 --n 1000 --steps 4");
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("run sh");
    assert_refused(&["train", "--d", "400000", "--n", "1000"], &out, 2, "d:");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("limit"), "the limit is named: {err}");
}

/// Issue 24's ulimit audit: under `ulimit -v` every rayon thread maps its stack and a malloc
/// arena (≈ 66 MiB) whatever the configuration. With one thread, `train --d 100000 --n 600`
/// was estimated at 935 MiB, below the 960 MiB then allowed under 1 GiB, and aborted in the
/// allocator (signal 6); the per-thread reserve now refuses it naming `d` and the threads,
/// and a configuration half its size still runs. With 4 threads the sgd rows of every grid
/// time trained at once count too.
#[test]
fn per_thread_memory_under_ulimit_v_exit_2_not_abort() {
    let bin = env!("CARGO_BIN_EXE_phaseflow");
    let under = |threads: &str, n: &str| {
        let script = format!(
            "ulimit -v 1048576 && RAYON_NUM_THREADS={threads} exec '{bin}' train --d 100000 --n {n} --steps 4 --epochs 1 --gen 16 --quiet"
        );
        std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .expect("run sh")
    };
    for threads in ["1", "4"] {
        let out = under(threads, "600");
        assert_refused(&["train", "--d", "100000", "--n", "600"], &out, 2, "d:");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("per rayon thread"), "{err}");
    }
    let out = under("1", "300");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
