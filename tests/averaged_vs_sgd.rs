//! The averaged engine and the reference sgd engine minimise the same R_k (SPEC §4), so on
//! the same data their overlaps must agree within the sgd engine's own fluctuation.
//!
//! Configuration: d = 500, n = 128, dilated κ = 2 grid with K = 20, p = 0.8, σ² = 1,
//! λ_u = λ_w = 0.01, data seed 2024. t = 0 is skipped everywhere: at β = 0 the split of
//! f = u·tanh(b) between |u| and b is not identified (the averaged engine saturates b, Adam
//! stops wherever its budget ends).
//!
//! Measured (this configuration, sgd seed 1, lr 0.01): at the reference budget of 2000
//! epochs sgd is far from its noise floor in phase 1 (t = 1: ω = 1.37 at 2000 epochs, 1.96
//! at 8000, 2.38 at 24 000; the averaged engine's exact minimiser has ω = 2.28), so the
//! agreement test needs ~16 000 epochs and lives in the full tier. The fast tier checks the
//! exact inequality R_k(averaged) ≤ R_k(sgd endpoint), which holds at any budget.

mod common;

use common::tol::{GRAM_REL, SGD_AGREEMENT_ALPHA};
use phaseflow::denoiser::{Overlaps, StepParams};
use phaseflow::mixture::{Dataset, Mixture};
use phaseflow::problem::Noise;
use phaseflow::schedule::{Schedule, ScheduleSpec};
use phaseflow::train::averaged::Averaged;
use phaseflow::train::averaged::objective::{StepObjective, StepScalars};
use phaseflow::train::sgd::{Precision, Sgd};
use phaseflow::train::{Engine, Problem};
use statrs::distribution::{ContinuousCDF, StudentsT};

const D: usize = 500;
const N: usize = 128;
const LAMBDA: f64 = 0.01;

fn setup() -> (Mixture, Dataset, Box<dyn Schedule>, Vec<f64>) {
    let (mix, data) = common::dataset(0.8, 1.0, D, N, 2024);
    let (schedule, full) = common::schedule_grid(&ScheduleSpec::dilated(2.0), D, 20);
    (mix, data, schedule, full)
}

fn problem<'a>(
    schedule: &'a dyn Schedule,
    grid: &'a [f64],
    data: &'a Dataset,
    seed: u64,
) -> Problem<'a> {
    common::problem(schedule, grid, data, LAMBDA, seed)
}

fn fields(o: &Overlaps) -> [(&'static str, f64); 6] {
    o.named()
}

/// Exact R_k (SPEC §4, x0 averaged) of full-dimensional parameters.
fn exact_r(s: &dyn Schedule, t: f64, data: &Dataset, p: &StepParams) -> f64 {
    let sc = StepScalars {
        alpha: s.alpha(t),
        beta: s.beta(t),
        d: D as f64,
        lambda_u: LAMBDA,
        lambda_w: LAMBDA,
    };
    // Identity coordinates (r = d) are valid for any u, w ∈ ℝ^d.
    StepObjective::fresh(sc, data.x.clone(), D).value(p.c(), p.u(), p.w(), p.b())
}

/// Fast tier: the averaged engine's solution has a lower exact objective than the sgd
/// engine's endpoint at the reference budget (2000 epochs), at three grid times of both
/// phases. An exact property of a minimiser; it fails if the averaged engine stops at a
/// saddle (such as w = 0) or optimises a different objective.
#[test]
fn averaged_objective_below_sgd_endpoint() {
    let (_, data, schedule, full) = setup();
    let grid = vec![full[6], full[10], full[15]];
    let pb = problem(schedule.as_ref(), &grid, &data, 1);
    let sgd = Sgd {
        epochs: 2000,
        lr: 0.01,
        ..Sgd::default()
    }
    .train(&pb)
    .unwrap();
    let avg = Averaged::default().train(&pb).unwrap();
    for (k, &t) in grid.iter().enumerate() {
        let (ra, rs) = (
            exact_r(schedule.as_ref(), t, &data, &avg.denoiser.steps[k]),
            exact_r(schedule.as_ref(), t, &data, &sgd.denoiser.steps[k]),
        );
        assert!(avg.records[k].converged() == Some(true));
        // The engine's reported loss is R_k at its solution (Gram space vs ℝ^d: rounding).
        assert!((avg.records[k].loss - ra).abs() <= GRAM_REL * ra);
        assert!(ra <= rs, "t={t}: R(averaged) {ra} > R(sgd) {rs}");
    }
}

/// Full tier: overlaps agree within the sgd engine's seed-to-seed fluctuation at its noise
/// floor.
///
/// Rule, fixed before the comparison: R = 4 sgd runs (seeds 1..=4, 16 000 epochs, lr 0.01)
/// on the same data; per grid time and overlap, their mean x̄ and SD s. The averaged value
/// must lie in the prediction interval of one more sgd run,
/// |avg − x̄| ≤ t_{1−α/(2M), R−1}·s·√(1 + 1/R), with α = `SGD_AGREEMENT_ALPHA` = 0.05 and a Bonferroni correction over
/// the M = 24 comparisons (4 grid times × 6 overlaps): t ≈ 10.2 (statrs inverse CDF).
/// Negative control: the fixed-noise objective (SPEC §5.3) on the same data must fail.
///
/// # Measured: FAILS on ω (and √r) in phase 1
/// 2026-11-29 (ziggurat noise): 20 of 24 comparisons pass (c, m, √q, b at every time;
/// everything at t = 1.2, 1.5), but at t = 0.6 the four sgd seeds agree on ω = 1.449
/// (SD 0.003) against the exact minimiser's 1.335, and at t = 1.0 on 2.235 against 2.277;
/// √r fails at both times too.
/// Issue 16 (lane-parallel Box–Muller noise, same rule): 21 of 24 pass; ω at t = 0.6 is
/// 1.451 (tol 0.095), √r at t = 0.6 1.471 (vs 1.345, tol 0.087), ω at t = 1.0 2.235 (tol
/// 0.025); √r at t = 1.0 passes (2.268 vs 2.294), but only because its 4-seed tolerance grew
/// (0.018 → 0.032) while |Δ| barely moved (0.027 → 0.026): not an improvement of the engine.
/// The 24 four-seed sgd means moved as chance predicts: at most 2.6 standard errors of the
/// difference (c at t = 1.5: 1.0726 → 1.0761), 1 of 24 beyond 2; the largest absolute move
/// is b at t = 1.0 (0.823 → 0.809, SD ≈ 0.05); the failing phase-1 means moved by ≤ 0.002.
/// The tolerances, being 4-seed SDs, moved more. f32 rows give the same numbers to 5
/// decimals.
/// The sgd endpoint has the *higher* exact
/// objective (R = 151.39 vs 150.96 at t = 0.6), and the gap shrinks with Adam's step size
/// (t = 0.6, seed 1: lr 0.003 × 60 000 epochs gives ω = 1.367, R = 151.12; lr 0.001 × 150 000
/// epochs gives ω = 1.339, R = 151.00). Diagnosis: a bias of constant-step Adam under
/// gradient noise, larger than its seed-to-seed fluctuation, not a defect of either engine.
/// The rule is kept as declared; the failure is the finding.
#[test]
#[ignore = "full tier (~4 min on 2 cores; currently fails on phase-1 ω, see doc): cargo test --release -- --ignored"]
fn averaged_agrees_with_sgd_within_its_fluctuation() {
    agreement(Precision::F64);
}

/// Full tier: the same rule for the sgd engine with f32 rows (`Precision::F32`).
#[test]
#[ignore = "full tier (~2 min on 2 cores; fails on phase-1 ω like f64, see doc): cargo test --release -- --ignored"]
fn averaged_agrees_with_sgd_f32_within_its_fluctuation() {
    agreement(Precision::F32);
}

fn agreement(precision: Precision) {
    let (mix, data, schedule, full) = setup();
    let grid = vec![full[6], full[10], full[12], full[15]];
    let seeds = 1..=4u64;
    let runs: Vec<Vec<Overlaps>> = seeds
        .map(|seed| {
            Sgd {
                epochs: 16_000,
                lr: 0.01,
                precision,
            }
            .train(&problem(schedule.as_ref(), &grid, &data, seed))
            .unwrap()
            .denoiser
            .overlaps(mix.mu())
        })
        .collect();
    let rr = runs.len() as f64;
    let m_cmp = (grid.len() * 6) as f64;
    let tq = StudentsT::new(0.0, 1.0, rr - 1.0)
        .unwrap()
        .inverse_cdf(1.0 - SGD_AGREEMENT_ALPHA / (2.0 * m_cmp));
    let mut mean = vec![[0.0; 6]; grid.len()];
    let mut tol = vec![[0.0; 6]; grid.len()];
    for k in 0..grid.len() {
        for j in 0..6 {
            let v: Vec<f64> = runs.iter().map(|r| fields(&r[k])[j].1).collect();
            let m = v.iter().sum::<f64>() / rr;
            let s = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (rr - 1.0)).sqrt();
            mean[k][j] = m;
            tol[k][j] = tq * s * (1.0 + 1.0 / rr).sqrt();
        }
    }
    let failures = |noise: Noise| -> Vec<String> {
        let tr = Averaged {
            noise,
            ..Averaged::default()
        }
        .train(&problem(schedule.as_ref(), &grid, &data, 1))
        .unwrap();
        assert!(tr.records.iter().all(|r| r.converged() == Some(true)));
        let ov = tr.denoiser.overlaps(mix.mu());
        let mut out = Vec::new();
        for k in 0..grid.len() {
            for (j, (name, v)) in fields(&ov[k]).iter().enumerate() {
                let line = format!(
                    "t={:.2} {name}: averaged {v:.5} sgd {:.5} |Δ| {:.5} tol {:.5} (t-quantile {tq:.2})",
                    grid[k],
                    mean[k][j],
                    (v - mean[k][j]).abs(),
                    tol[k][j]
                );
                println!("{precision:?} {noise:?} {line}");
                if (v - mean[k][j]).abs() > tol[k][j] {
                    out.push(line);
                }
            }
        }
        out
    };
    let fresh = failures(Noise::Fresh);
    assert!(
        fresh.is_empty(),
        "averaged (fresh) vs sgd, d={D} n={N}:\n{}",
        fresh.join("\n")
    );
    let fixed = failures(Noise::Fixed);
    assert!(
        !fixed.is_empty(),
        "negative control: the fixed-noise objective was not distinguished from sgd"
    );
}

/// Full tier: the diagnosis of the phase-1 ω disagreement above. At t = 0.6 (seed 1, same
/// data) the exact-objective gap R(sgd endpoint) − R(averaged) must shrink when Adam's step
/// size shrinks (lr 0.01 × 16 000 epochs → lr 0.003 × 60 000 epochs), and ω must move
/// towards the averaged engine's value. Measured (62 s, ziggurat noise): gap 0.417 → 0.167
/// (lr 0.001 × 150 000 epochs: 0.04), |ω − ω_avg| 0.115 → 0.032 (→ 0.005); with the
/// Box–Muller noise of issue 16: gap 0.419 → 0.121, |ω − ω_avg| 0.116 → 0.031.
#[test]
#[ignore = "full tier (~1 min on 2 cores): cargo test --release -- --ignored"]
fn sgd_bias_shrinks_with_step_size() {
    let (mix, data, schedule, full) = setup();
    let grid = vec![full[6]];
    let pb = problem(schedule.as_ref(), &grid, &data, 1);
    let avg = Averaged::default().train(&pb).unwrap();
    let pa = &avg.denoiser.steps[0];
    let ra = exact_r(schedule.as_ref(), grid[0], &data, pa);
    let wa = pa.overlaps(mix.mu()).omega;
    let runs: Vec<(f64, f64)> = [(0.01, 16_000usize), (0.003, 60_000)]
        .iter()
        .map(|&(lr, epochs)| {
            let p = Sgd {
                epochs,
                lr,
                ..Sgd::default()
            }
            .train(&pb)
            .unwrap()
            .denoiser
            .steps[0]
                .clone();
            let gap = exact_r(schedule.as_ref(), grid[0], &data, &p) - ra;
            let dw = (p.overlaps(mix.mu()).omega - wa).abs();
            println!("lr {lr} × {epochs}: R gap {gap:.4}, |ω − ω_avg| {dw:.4}");
            (gap, dw)
        })
        .collect();
    assert!(
        runs.iter().all(|r| r.0 > 0.0),
        "sgd below the exact minimum: {runs:?}"
    );
    assert!(runs[1].0 < runs[0].0, "R gap did not shrink: {runs:?}");
    assert!(runs[1].1 < runs[0].1, "ω did not approach: {runs:?}");
}
