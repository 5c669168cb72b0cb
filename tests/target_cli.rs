//! `phaseflow target FILE`: each shipped example runs and prints what the library computes
//! for the same target, path, schedule and grid (numbers compared with the library call,
//! not pinned), and bad input exits 2 with one line naming the field's path. Small ladders
//! and grids keep the binary to a few seconds of CPU.

mod common;

use common::{assert_bad_input, json, phaseflow, tmpdir};
use phaseflow::schedule::ScheduleSpec;
use phaseflow::target::{TargetConfig, TargetFile, TargetReport};
use std::path::Path;

fn example(name: &str) -> String {
    format!("{}/experiments/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The library's table for `file` on `d`, the dilated schedule κ, K steps.
fn library(file: &str, d: &[usize], kappa: f64, steps: usize) -> TargetReport {
    let f = TargetFile::from_file(Path::new(file)).unwrap();
    let c = TargetConfig {
        d: d.to_vec(),
        schedule: ScheduleSpec::dilated(kappa),
        steps,
        ..TargetConfig::new(f.target.spec().unwrap())
    };
    c.run().unwrap()
}

/// The binary's JSON rows equal the library's report (same computation, same seed of the
/// lattice shifts): every number to the last bit, as JSON round-trips f64.
fn assert_same(cli: &serde_json::Value, lib: &TargetReport) {
    let got: TargetReport = serde_json::from_value(cli.clone()).expect("schema");
    assert_eq!(got.schema_version, phaseflow::target::TARGET_SCHEMA_VERSION);
    assert_eq!(got.rows, lib.rows, "CLI vs library");
}

#[test]
fn k3_simplex_example_matches_the_library() {
    let file = example("target-k3-simplex.toml");
    let out = phaseflow(&[
        "target",
        &file,
        "--d",
        "10000,1000000",
        "--steps",
        "16",
        "--json",
    ]);
    let lib = library(&file, &[10_000, 1_000_000], 2.0, 16);
    assert_same(&json(&out), &lib);
    let row = &lib.rows[1];
    let p_hat = row.p_hat.as_ref().unwrap();
    assert_eq!(p_hat.len(), 3);
    // p̂ sums to 1 and the TV is the half L1 distance it reports.
    assert!((p_hat.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p_hat:?}");
    let tv: f64 = 0.5
        * p_hat
            .iter()
            .zip(&row.weights)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>();
    assert!((row.tv.unwrap() - tv).abs() < 1e-15);
    assert!(row.var_perp.is_some() && row.numerical.unwrap() >= 0.0);
}

#[test]
fn hierarchical_example_matches_the_library_and_reports_conditionals() {
    let file = example("target-hierarchical.toml");
    let out = phaseflow(&[
        "target", &file, "--d", "10000", "--steps", "12", "--kappa", "3", "--json",
    ]);
    let lib = library(&file, &[10_000], 3.0, 12);
    assert_same(&json(&out), &lib);
    let c = &lib.rows[0].conditionals;
    assert_eq!(c.len(), 3, "P(a+), P(b+|a+), P(b+|a−)");
    for (cd, want) in c.iter().zip([0.7, 0.8, 0.3]) {
        assert!((cd.target - want).abs() < 1e-12, "{cd:?}");
        assert!(cd.generated.is_some());
    }
}

#[test]
fn table_and_variance_target_from_json() {
    let dir = tmpdir("target-variance");
    let file = dir.join("v.json");
    std::fs::write(
        &file,
        r#"{"d": 100, "target": {"kind": "variance", "p": 0.8, "sigma2_plus": 1.0, "sigma2_minus": 0.25}}"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let out = phaseflow(&["target", f, "--steps", "10"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("phaseflow target: variance"), "{text}");
    assert!(text.contains("class var"), "{text}");
    let out = phaseflow(&["target", f, "--steps", "10", "--json"]);
    let lib = library(f, &[100], 2.0, 10);
    assert_same(&json(&out), &lib);
    assert_eq!(lib.rows[0].class_var_target, Some(vec![1.0, 0.25]));
    assert!(lib.rows[0].class_var.is_some());
}

/// Write `text` as a target file and run `phaseflow target` on it with `extra` flags.
fn bad(name: &str, text: &str, extra: &[&str], field: &str) {
    let dir = tmpdir(&format!("target-bad-{name}"));
    let file = dir.join("t.toml");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap().to_string();
    let mut args = vec!["target", f.as_str(), "--steps", "4"];
    args.extend_from_slice(extra);
    let out = phaseflow(&args);
    // Parse errors name the file first, then the field's path.
    let field = if field.starts_with("PATH") {
        field.replacen("PATH", &f, 1)
    } else {
        field.to_string()
    };
    assert_bad_input(&args, &out, &field);
}

#[test]
fn bad_input_exits_2_naming_the_field() {
    let k3 = "[target]\nkind = \"k_mode\"\nmeans = \"simplex\"\nsigma2 = 1\n";
    bad(
        "sum",
        &format!("{k3}weights = [0.5, 0.3, 0.3]\n"),
        &[],
        "target.weights: must sum to 1",
    );
    bad(
        "range",
        &format!("{k3}weights = [1.2, -0.2]\n"),
        &[],
        "target.weights[0]:",
    );
    bad(
        "means",
        "[target]\nkind = \"k_mode\"\nmeans = \"cube\"\nweights = [0.5, 0.5]\nsigma2 = 1\n",
        &[],
        "PATH: target.means:",
    );
    bad(
        "unknown",
        &format!("{k3}weights = [0.5, 0.5]\nsigma = 2\n"),
        &[],
        "PATH: target.sigma:",
    );
    bad(
        "kind",
        "[target]\nkind = \"cube\"\n",
        &[],
        "PATH: target.kind:",
    );
    bad(
        "missing",
        "[target]\nkind = \"two_mode\"\np = 0.5\n",
        &[],
        "target.sigma2: missing",
    );
    bad(
        "foreign",
        "[target]\nkind = \"two_mode\"\np = 0.5\nsigma2 = 1\nweights = [0.5, 0.5]\n",
        &[],
        "target.weights: not a field of kind two_mode",
    );
    bad(
        "sigma2",
        "[target]\nkind = \"k_mode\"\nmeans = \"orthogonal\"\nweights = [0.5, 0.5]\nsigma2 = -1\n",
        &[],
        "target.sigma2:",
    );
    let h = "[target]\nkind = \"hierarchical\"\nsigma2 = 0.5\n[[target.levels]]\nscale = 0.9\nplus = [0.7]\n[[target.levels]]\nscale = \"d^-0.5\"\n";
    bad(
        "plus",
        &format!("{h}plus = [0.8]\n"),
        &[],
        "target.levels[1].plus:",
    );
    bad(
        "plusj",
        &format!("{h}plus = [0.8, 1.3]\n"),
        &[],
        "target.levels[1].plus[1]:",
    );
    bad(
        "scale",
        "[target]\nkind = \"hierarchical\"\nsigma2 = 0.5\n[[target.levels]]\nscale = \"d^x\"\nplus = [0.7]\n",
        &[],
        "PATH: target.levels[0].scale:",
    );
    bad(
        "variance",
        "[target]\nkind = \"variance\"\np = 0.8\nsigma2_plus = 1\nsigma2_minus = 1\n",
        &[],
        "target.sigma2_minus:",
    );
    bad(
        "explicit",
        "[target]\nkind = \"k_mode\"\nmeans = [[1, 0], [0, 1]]\nweights = [0.5, 0.5]\nsigma2 = 1\n",
        &["--d", "100"],
        "d: explicit means",
    );
    bad(
        "ladder",
        &format!("{k3}weights = [0.5, 0.5]\n"),
        &["--d", "0"],
        "d:",
    );
    bad(
        "kappa",
        &format!("{k3}weights = [0.5, 0.5]\n"),
        &["--d", "4"],
        "kappa:",
    );
    bad(
        "auto",
        &format!("{k3}weights = [0.5, 0.5]\n"),
        &["--schedule", "auto"],
        "schedule:",
    );
}
