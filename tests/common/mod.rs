//! Shared set-up of the integration tests: the binary, temporary folders, small
//! configurations, training problems, and the tolerances ([`tol`]).

#![allow(dead_code)] // each test binary uses a part of the helpers

pub mod tol;

use phaseflow::experiment::TrainConfig;
use phaseflow::mixture::{Dataset, Mixture};
use phaseflow::problem::{Noise, ProblemSpec};
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::{Schedule, ScheduleSpec};
use phaseflow::theory::euler::euler_bayes;
use phaseflow::train::{EngineConfig, Problem};
use std::path::PathBuf;
use std::process::{Command, Output};

/// Run the `phaseflow` binary; `threads` sets `RAYON_NUM_THREADS`.
pub fn phaseflow_threads(args: &[&str], threads: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phaseflow"));
    cmd.args(args);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.output().expect("run phaseflow")
}

/// Run the `phaseflow` binary.
pub fn phaseflow(args: &[&str]) -> Output {
    phaseflow_threads(args, None)
}

/// stdout of a successful run as JSON (panics with its stderr otherwise).
pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Assert a failed run: exit code 2 and one line on stderr starting `error: <field>`.
pub fn assert_bad_input(args: &[&str], out: &Output, field: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: exit code, stderr {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {err}"
    );
    assert!(
        err.starts_with(&format!("error: {field}")),
        "{args:?}: should name {field}, got {err}"
    );
    assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
}

/// A fresh, empty folder under the system's temporary folder, unique to this process.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phaseflow-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A training configuration on the averaged engine (fresh noise) for `problem`.
pub fn averaged(problem: ProblemSpec) -> TrainConfig {
    TrainConfig {
        problem,
        engine: EngineConfig::averaged(Noise::Fresh),
        ..TrainConfig::default()
    }
}

/// The mixture (μ = 1) and `n` training points from stream (seed, 0, Data, 0).
pub fn dataset(p: f64, sigma2: f64, d: usize, n: usize, seed: u64) -> (Mixture, Dataset) {
    let mix = Mixture::ones(p, sigma2, d).unwrap();
    let data = mix.sample(n, &mut stream(seed, 0, Purpose::Data, 0));
    (mix, data)
}

/// The schedule of `spec` at d and its K-point grid.
pub fn schedule_grid(spec: &ScheduleSpec, d: usize, k: usize) -> (Box<dyn Schedule>, Vec<f64>) {
    let s = spec.build(d).unwrap();
    let g = s.grid(k);
    (s, g)
}

/// A training problem with λ_u = λ_w = `lambda`, replica 0.
pub fn problem<'a>(
    schedule: &'a dyn Schedule,
    grid: &'a [f64],
    data: &'a Dataset,
    lambda: f64,
    seed: u64,
) -> Problem<'a> {
    Problem {
        schedule,
        grid,
        data,
        lambda_u: lambda,
        lambda_w: lambda,
        seed,
        replica: 0,
    }
}

/// p̂ of exact Euler with the Bayes denoiser on the K-point grid of `spec` (SPEC §5.4).
pub fn euler_p_hat(spec: &ScheduleSpec, p: f64, s2: f64, d: usize, k: usize) -> f64 {
    let (s, g) = schedule_grid(spec, d, k);
    euler_bayes(s.as_ref(), &g, p, s2, d).unwrap().p_hat
}
