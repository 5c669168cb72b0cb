//! The span sampler has the law of the full sampler on the same denoiser; the whole
//! averaged run is bit-identical across thread counts; bad engine configurations are
//! rejected.

mod common;

use common::tol::SAME_LAW_ALPHA;
use phaseflow::experiment::TrainConfig;
use phaseflow::flow::{
    Flow, GeneratedStats, Generation, Integrator, generate_full, generate_in_span,
};
use phaseflow::problem::{Noise, ProblemSpec};
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::ScheduleSpec;
use phaseflow::train::averaged::Averaged;
use phaseflow::train::{Engine, EngineConfig};
use statrs::distribution::{ContinuousCDF, StudentsT};

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt(),
    )
}

/// Two-sample t rule at family α = `SAME_LAW_ALPHA` over the 2 statistics (Bonferroni),
/// R = 6 seeds per generator, 4096 samples each: |x̄₁ − x̄₂| ≤ t_{1−α/4, 2R−2}·√(s₁²/R + s₂²/R).
fn same_law(a: &[GeneratedStats], b: &[GeneratedStats]) -> Vec<String> {
    let r = a.len() as f64;
    let tq = StudentsT::new(0.0, 1.0, 2.0 * r - 2.0)
        .unwrap()
        .inverse_cdf(1.0 - SAME_LAW_ALPHA / 4.0);
    let mut out = Vec::new();
    type Stat = fn(&GeneratedStats) -> f64;
    let stats: [(&str, Stat); 2] = [
        ("p_hat", |g| g.p_hat),
        ("var_perp", |g| g.var_perp.unwrap()),
    ];
    for (name, f) in stats {
        let (ma, sa) = mean_sd(&a.iter().map(f).collect::<Vec<_>>());
        let (mb, sb) = mean_sd(&b.iter().map(f).collect::<Vec<_>>());
        let tol = tq * ((sa * sa + sb * sb) / r).sqrt();
        let line = format!(
            "{name}: span {ma:.5} flow {mb:.5} |Δ| {:.5} tol {tol:.5}",
            (ma - mb).abs()
        );
        println!("{line}");
        if (ma - mb).abs() > tol {
            out.push(line);
        }
    }
    out
}

#[test]
fn span_generator_has_the_law_of_flow_generate() {
    let (d, n) = (400, 64);
    let (mix, data) = common::dataset(0.7, 0.8, d, n, 8);
    let (schedule, grid) = common::schedule_grid(&ScheduleSpec::dilated(2.0), d, 12);
    let pb = common::problem(schedule.as_ref(), &grid, &data, 0.01, 8);
    let den = Averaged::default().train(&pb).unwrap().denoiser;
    let n_gen = 4096;
    for integrator in [Integrator::Euler, Integrator::Heun] {
        let flow = Flow::new(schedule.as_ref(), &den, integrator);
        let span_runs: Vec<GeneratedStats> = (0..6)
            .map(|s| generate_in_span(&flow, mix.mu(), gen_of(n_gen, s, 0)))
            .collect();
        let flow_runs: Vec<GeneratedStats> = (0..6)
            .map(|s| generate_full(&flow, mix.mu(), gen_of(n_gen, 100 + s, 0)))
            .collect();
        let f = same_law(&span_runs, &flow_runs);
        assert!(f.is_empty(), "{integrator:?}:\n{}", f.join("\n"));
        // Negative control: a slightly different flow (b + 0.15 and c × 1.03 at every step)
        // must be told apart by the same rule.
        let mut other = den.clone();
        for p in &mut other.steps {
            p.set_b(p.b() + 0.15);
            p.set_c(p.c() * 1.03);
        }
        let flow2 = Flow::new(schedule.as_ref(), &other, integrator);
        let other_runs: Vec<GeneratedStats> = (0..6)
            .map(|s| generate_full(&flow2, mix.mu(), gen_of(n_gen, 200 + s, 0)))
            .collect();
        assert!(
            !same_law(&span_runs, &other_runs).is_empty(),
            "{integrator:?}: perturbed flow not detected"
        );
    }
}

fn config(noise: Noise) -> TrainConfig {
    TrainConfig {
        problem: ProblemSpec {
            d: 3000,
            n: 48,
            steps: 10,
            ..ProblemSpec::default()
        },
        engine: EngineConfig::averaged(noise),
        n_gen: 1000,
        seed: 3,
        ..TrainConfig::default()
    }
}

#[test]
fn averaged_run_is_bit_identical_across_thread_counts() {
    for noise in [Noise::Fresh, Noise::Fixed] {
        let v = config(noise).validate().unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| serde_json::to_string(&v.run(0).unwrap()).unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(2), "{noise:?}: 1 vs 2 threads");
        assert_eq!(one, run(2), "{noise:?}: run to run");
    }
}

#[test]
fn engines_take_only_their_own_knobs() {
    // The sgd engine has no noise convention (fresh only): a configuration file cannot name one.
    let bad = r#"{"kind": "sgd", "noise": "fixed"}"#;
    let e = serde_json::from_str::<EngineConfig>(bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("noise"), "{e}");
    // Each engine's knobs are checked by name.
    let cfg = TrainConfig {
        engine: EngineConfig::Averaged(Averaged {
            tol_grad: -1.0,
            ..Averaged::default()
        }),
        ..config(Noise::Fresh)
    };
    let e = cfg.validate().unwrap_err().to_string();
    assert!(e.starts_with("tol-grad:"), "{e}");
    // A file states only what differs: every knob has a default.
    let e: EngineConfig = serde_json::from_str(r#"{"kind": "averaged"}"#).unwrap();
    assert_eq!(e, EngineConfig::averaged(Noise::Fresh));
}

#[test]
fn json_reports_convergence_per_step() {
    let out = config(Noise::Fresh).validate().unwrap().run(0).unwrap();
    assert!(out.steps.iter().all(|s| s.converged == Some(true)));
    // A cap of one iteration cannot converge, and says so.
    let v = config(Noise::Fresh).validate().unwrap();
    let data = v.mixture.sample(48, &mut stream(3, 0, Purpose::Data, 0));
    let grid = v.schedule.grid(10);
    let pb = common::problem(v.schedule.as_ref(), &grid, &data, 0.01, 3);
    let capped = Averaged {
        max_iters: 1,
        tol_grad: 1e-14,
        ..Averaged::default()
    }
    .train(&pb)
    .unwrap();
    assert!(capped.records.iter().any(|r| r.converged() == Some(false)));
}

fn gen_of(n_gen: usize, seed: u64, replica: u64) -> Generation {
    Generation {
        n_gen,
        seed,
        replica,
    }
}
