//! The theory fixtures (`fixtures/theory/*.json`) against the library.
//!
//! Each fixture is `phaseflow theory … --json` as written by `scripts/regenerate-fixtures.sh`.
//! The test reads its config, recomputes the document through the library
//! (`TheoryConfig::compute`) and compares every value: closed forms to
//! `tol::FIXTURE_REL_CLOSED` (1e-9), quadrature / root-finding / minimisation outputs (every
//! `mse`, the `finite_n` and `reduced` blocks, `generated_euler`) to `tol::FIXTURE_REL_NUMERIC` (1e-7), both
//! with the absolute floor `tol::ABS_FLOOR` (reasons in `tests/common/tol.rs`). A `null` must
//! stay `null`. On a mismatch the library's document is written next to the fixture as
//! `<file>.new` for review (git-ignored); tests never write the fixture itself.

mod common;

use common::tol::{FIXTURE_DETECTABLE_REL, FIXTURE_REL_CLOSED, FIXTURE_REL_NUMERIC, close};
use phaseflow::theory::report::GENERATOR;
use phaseflow::theory::{THEORY_SCHEMA_VERSION, TheoryConfig};
use serde_json::Value;
use std::path::{Path, PathBuf};

const REGENERATE: &str = "scripts/regenerate-fixtures.sh";

/// The cases of `scripts/regenerate-fixtures.sh` (keep the two lists in step).
const CASES: [&str; 5] = [
    "theory__paper_dilated@d5000_K80",
    "theory__paper_linear@d5000_K80",
    "theory__spec53_fresh@d4000_K40_n32",
    "theory__spec53_fixed@d4000_K40_n32",
    "theory__small_d_dilated@d64_K16",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/theory")
}

fn path_of(case: &str) -> PathBuf {
    dir().join(format!("{case}.json"))
}

/// Walk two JSON trees; push a line for every difference.
fn compare(path: &str, want: &Value, got: &Value, numeric: bool, out: &mut Vec<String>) {
    // Outputs of quadrature, root finding or minimisation get the numeric tolerance.
    let numeric = numeric
        || path.ends_with(".mse")
        || path.contains(".finite_n")
        || path.contains(".reduced")
        || path.starts_with(".generated_euler");
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                if path.is_empty() && k == "crate_version" {
                    continue; // volatile: a version bump alone must not invalidate fixtures
                }
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => compare(&format!("{path}.{k}"), x, y, numeric, out),
                    (x, y) => out.push(format!(
                        "{path}.{k}: present in fixture {}, in library {}",
                        x.is_some(),
                        y.is_some()
                    )),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!("{path}: length {} vs {}", a.len(), b.len()));
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, numeric, out);
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (x, y) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            let rel = if numeric {
                FIXTURE_REL_NUMERIC
            } else {
                FIXTURE_REL_CLOSED
            };
            if !close(x, y, rel) {
                out.push(format!(
                    "{path}: fixture {x:e}, library {y:e} (rel tol {rel:e})"
                ));
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: fixture {a}, library {b}")),
    }
}

/// Check one fixture; Err names the file and the fix.
fn check(case: &str) -> Result<(), String> {
    let path = path_of(case);
    let name = path.display();
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}; run {REGENERATE}"))?;
    let fixture: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{name}: not valid JSON ({e}); run {REGENERATE}"))?;
    let schema = fixture["schema_version"].as_u64();
    if schema != Some(THEORY_SCHEMA_VERSION as u64) {
        return Err(format!(
            "{name}: schema {schema:?}, expected {THEORY_SCHEMA_VERSION}; run {REGENERATE}"
        ));
    }
    if fixture["generator"] != GENERATOR {
        return Err(format!(
            "{name}: generator {}, expected {GENERATOR:?}",
            fixture["generator"]
        ));
    }
    let config: TheoryConfig = serde_json::from_value(fixture["config"].clone())
        .map_err(|e| format!("{name}: bad config ({e}); run {REGENERATE}"))?;
    let report = config
        .compute()
        .map_err(|e| format!("{name}: config rejected by the library: {e}"))?;
    let doc = report.to_sorted_json();
    let got: Value = serde_json::from_str(&doc).unwrap();
    let mut diffs = Vec::new();
    compare("", &fixture, &got, false, &mut diffs);
    if diffs.is_empty() {
        return Ok(());
    }
    // Review copy (git-ignored); the fixture itself is only ever written by the script.
    let new = PathBuf::from(format!("{}.new", path.display()));
    let _ = phaseflow::io::write_atomic(&new, doc.as_bytes());
    Err(format!(
        "{name}: {} value(s) differ from the library (first 10 below); library output in {}; \
         review with `diff {name} {}` and accept with {REGENERATE}\n  {}",
        diffs.len(),
        new.display(),
        new.display(),
        diffs
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    ))
}

#[test]
fn library_reproduces_every_theory_fixture() {
    let errors: Vec<String> = CASES.iter().filter_map(|c| check(c).err()).collect();
    assert!(errors.is_empty(), "\n{}", errors.join("\n"));
}

#[test]
fn no_unlisted_fixtures() {
    // A fixture the test does not know is never checked: refuse it.
    let mut unknown = Vec::new();
    for entry in std::fs::read_dir(dir()).expect("fixtures/theory exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json") {
            if !CASES.contains(&stem) {
                unknown.push(name);
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "fixtures/theory has files not in CASES (add them to tests/theory_fixtures.rs \
         and {REGENERATE}, or delete them): {unknown:?}"
    );
}

#[test]
fn computing_twice_gives_identical_documents() {
    // Regenerating twice must give byte-identical files: the document is a pure function of
    // its config (no clock, no thread-order dependence).
    for case in CASES {
        let text = std::fs::read_to_string(path_of(case)).unwrap_or_default();
        let Ok(fixture) = serde_json::from_str::<Value>(&text) else {
            continue; // reported by library_reproduces_every_theory_fixture
        };
        let Ok(config) = serde_json::from_value::<TheoryConfig>(fixture["config"].clone()) else {
            continue;
        };
        let a = config.compute().unwrap().to_sorted_json();
        let b = config.compute().unwrap().to_sorted_json();
        assert_eq!(a, b, "{case}: two computations differ");
    }
}

#[test]
fn fixture_check_detects_a_changed_value() {
    // Negative control of the comparison itself: a relative change of FIXTURE_DETECTABLE_REL
    // in a closed-form value, and a null turned into a number, must both be reported.
    let a: Value = serde_json::json!({"steps": [{"bayes": {"c": 0.5, "b": null}}]});
    let changed = 0.5 * (1.0 + FIXTURE_DETECTABLE_REL);
    let b: Value = serde_json::json!({"steps": [{"bayes": {"c": changed, "b": null}}]});
    let c: Value = serde_json::json!({"steps": [{"bayes": {"c": 0.5, "b": 1.0}}]});
    let mut out = Vec::new();
    compare("", &a, &b, false, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    out.clear();
    compare("", &a, &c, false, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
}
