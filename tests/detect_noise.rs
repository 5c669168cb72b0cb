//! Detection under noise (issue 25): the t₅₀ of the Bayes MSE profile (SPEC §5.5; linear
//! path, p = 0.8, σ² = 1, d = 1000, 200 grid times on [0, 8/√d]) from the closed form plus
//! known Gaussian noise of standard deviation η × (the profile's drop), detected by a
//! weighted isotonic fit with a 90 % parametric-bootstrap percentile interval
//! (`phase::noisy_t50`, B = 200), in R = 200 seeded experiments per η. Against the exact t₅₀
//! (bisection on the closed form at the midpoint of the curve's end values) it reports the
//! relative bias and the coverage of the interval.
//!
//! The assertion, declared before the first run: up to η = [`ETA_COVERED`] the coverage is not
//! below the nominal 0.9 by more than 3 binomial SE (√(0.9·0.1/R) = 0.021) and the relative
//! bias is within 3 of its SE; η = 0.3 is reported (run with `--nocapture`), not asserted.
//! The negative control: the same intervals judged at a wrong centre (the exact t₅₀ shifted by
//! 2 bootstrap SE) cover far less than 0.9 at the smallest η.
//!
//! Measured (2026-12-07, `cargo test --release --test detect_noise -- --nocapture`): exact
//! t₅₀·√d = 1.0967; relative bias −0.0004 ± 0.0003, +0.0010 ± 0.0011, +0.0006 ± 0.0028,
//! +0.0069 ± 0.0074, +0.066 ± 0.023 and coverage 0.935, 0.930, 0.960, 0.960, 0.970 at
//! η = 0.003, 0.01, 0.03, 0.1, 0.3 (interval half-widths 0.8 %, 2.4 %, 6.2 %, 18 %, 84 % of
//! t₅₀): the percentile interval is conservative (it over-covers by 3–7 points), and at
//! η = 0.3 the isotonic t₅₀ is biased late by 6.6 % (2.8 SE). Shifted-centre control: 0.235.

use phaseflow::phase::{Curve, ProfilePoint, noisy_t50};
use phaseflow::rng::Purpose;
use phaseflow::rng::normal::Normals;
use phaseflow::schedule::Linear;
use phaseflow::theory::mse::profile;

const P: f64 = 0.8;
const SIGMA2: f64 = 1.0;
const D: usize = 1000;
const R: usize = 200;
const B: usize = 200;
const LEVEL: f64 = 0.9;
/// Declared before the run: the largest noise level at which coverage is asserted.
const ETA_COVERED: f64 = 0.1;

fn mse(t: f64) -> f64 {
    profile(&Linear, P, SIGMA2, D, &[t])[0]
}

#[derive(Debug)]
struct Row {
    eta: f64,
    bias: f64,
    bias_se: f64,
    coverage: f64,
    shifted_coverage: f64,
    mean_half_width: f64,
}

fn study(eta: f64, grid: &[f64], exact: f64) -> Row {
    let clean: Vec<f64> = grid.iter().map(|&t| mse(t)).collect();
    let drop = clean[0] - clean[clean.len() - 1];
    let sd = eta * drop;
    let mut z = vec![0.0; grid.len()];
    let (mut err, mut hit, mut shifted, mut half) = (Vec::new(), 0usize, 0usize, 0.0);
    for r in 0..R {
        let mut g = Normals::<f64>::new(25, r as u64, Purpose::Test, (eta * 1e6) as u64);
        g.fill(&mut z);
        let pts = grid
            .iter()
            .zip(&clean)
            .zip(&z)
            .map(|((&t, &c), &z)| ProfilePoint {
                t,
                value: c + sd * z,
                se: sd,
            })
            .collect();
        let curve = Curve::new(pts).unwrap();
        let n = noisy_t50(&curve, B, LEVEL, 1000 + r as u64).expect("a falling profile");
        err.push(n.t50 / exact - 1.0);
        hit += usize::from(n.ci[0] <= exact && exact <= n.ci[1]);
        let wrong = exact + 2.0 * n.se;
        shifted += usize::from(n.ci[0] <= wrong && wrong <= n.ci[1]);
        half += 0.5 * (n.ci[1] - n.ci[0]) / exact / R as f64;
    }
    let mean = err.iter().sum::<f64>() / R as f64;
    let var = err.iter().map(|e| (e - mean) * (e - mean)).sum::<f64>() / (R - 1) as f64;
    Row {
        eta,
        bias: mean,
        bias_se: (var / R as f64).sqrt(),
        coverage: hit as f64 / R as f64,
        shifted_coverage: shifted as f64 / R as f64,
        mean_half_width: half,
    }
}

#[test]
fn isotonic_t50_is_unbiased_and_its_interval_covers_up_to_the_stated_noise() {
    let sd = (D as f64).sqrt();
    let grid: Vec<f64> = (0..200).map(|i| 8.0 / sd * i as f64 / 199.0).collect();
    let level = 0.5 * (mse(grid[0]) + mse(grid[grid.len() - 1]));
    let (mut lo, mut hi) = (grid[0], grid[grid.len() - 1]);
    while hi - lo > 1e-15 {
        let mid = 0.5 * (lo + hi);
        if mse(mid) > level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let exact = 0.5 * (lo + hi);
    let cov_se = (LEVEL * (1.0 - LEVEL) / R as f64).sqrt();
    let mut rows = Vec::new();
    for eta in [0.003, 0.01, 0.03, 0.1, 0.3] {
        let row = study(eta, &grid, exact);
        eprintln!(
            "η = {:<5}: bias {:+.5} ± {:.5} (relative), coverage {:.3} (nominal {LEVEL}, SE {cov_se:.3}), interval half-width {:.4} (relative); shifted-centre control covers {:.3}",
            row.eta, row.bias, row.bias_se, row.coverage, row.mean_half_width, row.shifted_coverage
        );
        rows.push(row);
    }
    eprintln!("exact t₅₀ = {exact:.6} (t₅₀·√d = {:.4})", exact * sd);
    for row in rows.iter().filter(|r| r.eta <= ETA_COVERED) {
        assert!(
            row.coverage >= LEVEL - 3.0 * cov_se,
            "coverage at η = {}: {row:?}",
            row.eta
        );
        assert!(
            row.bias.abs() <= 3.0 * row.bias_se,
            "bias at η = {}: {row:?}",
            row.eta
        );
    }
    // The control: a wrong centre two bootstrap SE away is covered far less often.
    assert!(
        rows[0].shifted_coverage < LEVEL - 3.0 * cov_se,
        "control: {:?}",
        rows[0]
    );
}
