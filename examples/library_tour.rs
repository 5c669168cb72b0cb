//! phaseflow as a library, in four steps: a problem → its theory → a few trained replicas →
//! a check of the replicas against the theory.
//!
//! ```sh
//! cargo run --release --example library_tour
//! ```
//!
//! Sizes are tiny (d = 200, n = 64, K = 10, R = 6; about a second) so that `cargo test`
//! runs it too: `tests/library_tour.rs` calls [`tour`] and checks its verdict.

use phaseflow::error::Error;
use phaseflow::experiment::{self, TrainConfig};
use phaseflow::harness::{self, Experiment, Family};
use phaseflow::problem::ProblemSpec;
use phaseflow::stats::Estimate;
use phaseflow::train::EngineConfig;

/// What the tour found.
#[derive(Debug)]
pub struct Tour {
    /// Exact Euler p̂ of the Bayes denoiser on this grid (theory §5.4).
    pub p_hat_theory: f64,
    /// The replicas' generated p̂: mean, SE and 99 % t-interval.
    pub p_hat_trained: Estimate,
    /// Real checks that passed, out of how many, and the run's verdict.
    pub passed: (usize, usize),
    /// Negative controls that failed (as they must), out of how many.
    pub controls_failed: (usize, usize),
    /// Every real check passed, every control failed, every step converged.
    pub ok: bool,
}

/// Run the tour; `print` narrates it on stdout.
///
/// # Errors
/// A configuration error (none here) or a training that diverged.
pub fn tour(print: bool) -> Result<Tour, Error> {
    // 1. The problem: the paper's mixture (p = 0.8, σ² = 1) on the dilated schedule (κ = 2),
    //    small enough to train in milliseconds, on the exact noise-averaged engine.
    let config = TrainConfig {
        problem: ProblemSpec {
            d: 200,
            n: 64,
            steps: 10,
            ..ProblemSpec::default()
        },
        engine: EngineConfig::default_of("averaged").expect("the averaged engine exists"),
        n_gen: 2048,
        ..TrainConfig::default()
    };

    // 2. Its theory: every prediction of theory §5 on the same grid, for the same objective.
    let theory = experiment::theory(&config, true)?;
    let p_hat_theory = theory
        .generated_euler
        .expect("exact Euler is defined on the dilated grid")
        .p_hat;

    // 3. Train R seeded replicas. Replica r has its own data, noise and samples, derived
    //    from (seed, r): the same call gives the same bits on any machine and thread count.
    let validated = config.validate()?;
    let replicas = 6;
    let mut p_hats = Vec::new();
    for r in 0..replicas {
        let out = validated.run(r)?;
        p_hats.push(out.generated.p_hat);
    }
    let p_hat_trained = Estimate::from_samples(&p_hats, 0.99);

    // 4. Check against theory: the harness does steps 3 and 4 in one call, with every
    //    family's checks, their negative controls and one Holm correction (docs/verdicts.md).
    let report = harness::run(
        &Experiment {
            name: "library tour".into(),
            train: config,
            replicas: replicas as usize,
            alpha: 0.01,
            families: Family::ALL.to_vec(),
        },
        true,
    )?;
    let s = &report.summary;
    let tour = Tour {
        p_hat_theory,
        p_hat_trained,
        passed: (s.passed, s.checks),
        controls_failed: (s.negative_controls_failed, s.negative_controls),
        ok: s.ok,
    };
    if print {
        let e = &tour.p_hat_trained;
        println!(
            "p̂: trained [{:.4} {:.4} {:.4}] (R = {replicas}), exact Euler theory {:.4}",
            e.ci[0], e.point, e.ci[1], tour.p_hat_theory
        );
        for c in report.checks.iter().take(3) {
            println!(
                "  {:<24} measured {:.4} ± {:.4}  theory {:.4}  {}",
                c.name,
                c.measured,
                c.se,
                c.prediction,
                if c.passed { "PASS" } else { "FAIL" }
            );
        }
        println!(
            "checks {}/{} pass, controls {}/{} fail: {}",
            tour.passed.0,
            tour.passed.1,
            tour.controls_failed.0,
            tour.controls_failed.1,
            if tour.ok {
                "the theory holds"
            } else {
                "NOT as expected"
            }
        );
    }
    Ok(tour)
}

fn main() {
    match tour(true) {
        Ok(t) if t.ok => {}
        Ok(_) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
