//! phaseflow as a library, in four steps: a problem → its theory → a few trained replicas →
//! a check of the replicas against the theory.
//!
//! ```sh
//! cargo run --release --example library_tour
//! ```
//!
//! Sizes are small (d = 200, n = 128, K = 10, R = 16; about 4 s on one core) so that
//! `cargo test` runs it too: `tests/library_tour.rs` calls [`tour`] and checks its verdict.
//! R = 16 is about the least at which the negative controls (σ² × 1.02, κ × 1.03) are seen:
//! at R = 6 every real check passed but no control failed, a verdict without power.

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
            n: 128,
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
    let replicas = 16;
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
            // The families whose negative controls (σ² × 1.02, κ × 1.03) a run this small
            // can see; a p off by 0.02 needs about 6 000 training signs (R·n) to be seen at
            // all (docs/verdicts.md), so `p_hat` and `weight_estimates` are left out here.
            families: Some(vec![
                Family::VarPerp,
                Family::Phase1Overlaps,
                Family::Phase2Overlaps,
            ]),
            checks: Vec::new(),
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
        for c in report
            .checks
            .iter()
            .filter(|c| c.negative_control.is_some())
        {
            println!(
                "  {:<24} measured {:.4} ± {:.4}  theory {:.4}  {}",
                c.name,
                c.measured,
                c.se,
                c.prediction,
                if c.passed { "passes" } else { "fails" }
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
