//! The harness as a user drives it: checks and their negative controls, sharding and
//! merging, rejected inputs, interrupted runs.

mod common;

use common::{phaseflow as run, tmpdir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_phaseflow"))
}

/// A small experiment: averaged engine, d = 400, n = 128, K = 10, R = 8.
fn experiment_json(replicas: usize) -> String {
    format!(
        r#"{{
  "name": "small",
  "train": {{
    "problem": {{
      "schedule": {{"kind": "dilated", "kappa": 2.0}},
      "p": 0.8, "sigma2": 1.0, "d": 400, "n": 128, "steps": 10,
      "lambda_u": 0.01, "lambda_w": 0.01, "mean": "ones"
    }},
    "engine": {{"kind": "averaged", "noise": "fresh"}},
    "seed": 3, "n_gen": 2048, "integrator": "euler"
  }},
  "replicas": {replicas},
  "alpha": 0.01
}}"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn sharded_merge_equals_unsharded_byte_for_byte() {
    let dir = tmpdir("shard");
    let exp = write(&dir, "exp.json", &experiment_json(6));
    let exp = exp.to_str().unwrap();
    let full = run(&["run", exp, "--json", "--quiet"]);
    assert!(
        matches!(full.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    for shards in [2usize, 3] {
        let out = dir.join(format!("s{shards}"));
        let out_s = out.to_str().unwrap();
        for i in 0..shards {
            let spec = format!("{i}/{shards}");
            let o = run(&["run", exp, "--shard", &spec, "--out", out_s, "--quiet"]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let merged = run(&["merge", out_s, "--json"]);
        assert_eq!(
            full.stdout, merged.stdout,
            "{shards} shards + merge differ from the unsharded report"
        );
        assert_eq!(full.status.code(), merged.status.code());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_rejects_missing_duplicate_corrupt_and_mismatched_shards() {
    let dir = tmpdir("merge-errors");
    let exp = write(&dir, "exp.json", &experiment_json(4));
    let exp = exp.to_str().unwrap();
    let good = dir.join("good");
    let good_s = good.to_str().unwrap();
    for i in 0..2 {
        let o = run(&[
            "run",
            exp,
            "--shard",
            &format!("{i}/2"),
            "--out",
            good_s,
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(0));
    }
    let shard0 = std::fs::read_to_string(good.join("shard-0-of-2.json")).unwrap();
    let shard1 = std::fs::read_to_string(good.join("shard-1-of-2.json")).unwrap();
    let case = |name: &str, files: &[(&str, String)], expect: &str| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (f, text) in files {
            std::fs::write(d.join(f), text).unwrap();
        }
        let o = run(&["merge", d.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expect), "{name}: expected '{expect}' in {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
    };
    case(
        "missing",
        &[("shard-0-of-2.json", shard0.clone())],
        "shard 1/2 is missing",
    );
    case(
        "duplicate",
        &[
            ("shard-0-of-2.json", shard0.clone()),
            ("shard-0-of-2-copy.json", shard0.clone()),
            ("shard-1-of-2.json", shard1.clone()),
        ],
        "duplicate",
    );
    case(
        "truncated",
        &[
            ("shard-0-of-2.json", shard0[..shard0.len() / 2].to_string()),
            ("shard-1-of-2.json", shard1.clone()),
        ],
        "shard-0-of-2.json",
    );
    case(
        "mismatched",
        &[
            ("shard-0-of-2.json", shard0.clone()),
            (
                "shard-1-of-2.json",
                shard1.replace("\"p\": 0.8", "\"p\": 0.7"),
            ),
        ],
        "differs",
    );
    case("empty", &[], "no shard");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_experiment_files_exit_2_naming_the_problem() {
    let dir = tmpdir("bad-exp");
    let cases = [
        (
            "bad-p.json",
            experiment_json(4).replace("\"p\": 0.8", "\"p\": 1.5"),
            "p:",
        ),
        ("one-replica.json", experiment_json(1), "replicas:"),
        (
            "unknown-field.json",
            experiment_json(4).replace("\"alpha\"", "\"alfa\""),
            "alfa",
        ),
        (
            "nested-unknown.json",
            experiment_json(4).replace("\"kind\": \"dilated\"", "\"kind\": \"linear\""),
            "kappa",
        ),
        ("corrupt.json", "{ not json".to_string(), "corrupt.json"),
        ("exp.yaml", experiment_json(4), "exp.yaml"),
    ];
    for (name, text, expect) in cases {
        let p = write(&dir, name, &text);
        let o = run(&["run", p.to_str().unwrap(), "--quiet"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expect), "{name}: expected '{expect}' in {err}");
    }
    let o = run(&["run", "--preset", "quick", "--shard", "2/2"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn toml_experiment_is_read() {
    let dir = tmpdir("toml");
    let p = write(
        &dir,
        "exp.toml",
        r#"name = "toml"
replicas = 1
[train]
seed = 0
n_gen = 256
[train.problem]
schedule = { kind = "linear" }
d = 50
n = 16
steps = 4
[train.engine]
kind = "averaged"
"#,
    );
    // replicas = 1 is rejected after a successful parse: the error names the field.
    let o = run(&["run", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("replicas:"), "{err}");
}

/// Start a long run into `out` and stop it with `signal` after 0.7 s; the files left there.
fn interrupted(dir: &Path, out: &Path, signal: i32) -> Vec<std::ffi::OsString> {
    let exp = write(dir, "exp.json", &experiment_json(400));
    let mut child = bin()
        .args([
            "run",
            exp.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let finished = child.try_wait().unwrap().is_some();
    // SAFETY: signals our own child, which has not been waited for yet.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    child.wait().unwrap();
    assert!(!finished, "the run finished before it could be interrupted");
    std::fs::read_dir(out)
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default()
}

/// SIGTERM (and SIGINT): the handler removes temporaries and the lock.
#[test]
fn interrupted_run_leaves_no_partial_file() {
    let dir = tmpdir("term");
    let out = dir.join("out");
    let leftovers = interrupted(&dir, &out, libc::SIGTERM);
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGKILL cannot be handled: at most the lock is left (no report file, no temporary), and
/// the next run into the folder takes the stale lock over.
#[test]
fn killed_run_leaves_only_a_stale_lock_that_is_taken_over() {
    let dir = tmpdir("kill");
    let out = dir.join("out");
    let leftovers = interrupted(&dir, &out, libc::SIGKILL);
    assert!(
        leftovers.iter().all(|f| f == ".phaseflow.lock"),
        "partial files left: {leftovers:?}"
    );
    let small = write(&dir, "small.json", &experiment_json(2));
    let o = run(&[
        "run",
        small.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_ne!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.join("report.json").exists());
    assert!(
        !out.join(".phaseflow.lock").exists(),
        "the lock is released"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
