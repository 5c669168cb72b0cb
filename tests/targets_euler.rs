//! General targets (SPEC §9, issue 26): the two-mode adapter equals the two-mode theory to
//! round-off, and the exact-Euler numbers of SPEC §9.1–§9.3 as this crate computes them,
//! each beside the number SPEC prints. Where the two differ by more than SPEC's printed
//! rounding plus our numerical error, the test pins our value (with its derived tolerance)
//! and docs/theory.md ("General targets: the numbers as computed here") states the difference.

mod common;

use common::tol;
use phaseflow::flow::Endpoint;
use phaseflow::mixture::Mixture;
use phaseflow::path::PathSpec;
use phaseflow::rng::{Purpose, stream};
use phaseflow::schedule::ScheduleSpec;
use phaseflow::target::{
    Hierarchical, KMode, Target, TwoMode, VarianceMixture, orthogonal_excess, orthogonal_window_a2,
};
use phaseflow::theory::bayes::bayes_step_params;
use phaseflow::theory::euler::euler_bayes_to;
use rand::Rng;
use rand_distr::StandardNormal;

/// Half a unit of SPEC's last printed digit (three decimals).
const SPEC_ROUNDING: f64 = 5e-4;

#[test]
fn two_mode_adapter_equals_the_two_mode_theory() {
    // Bayes denoiser and posterior (SPEC §5.1) at random points, on the ones and a random μ.
    let mut rng = stream(26, 0, Purpose::Test, 0);
    for mix in [
        Mixture::ones(0.8, 1.0, 50).unwrap(),
        Mixture::random_direction(0.3, 0.6, 40, &mut stream(26, 0, Purpose::Direction, 0)).unwrap(),
    ] {
        let t = TwoMode::new(mix.clone()).unwrap();
        let d = mix.d();
        for (al, be) in [(1.0, 0.0), (0.9, 0.1), (0.5, 0.5), (0.05, 0.95)] {
            let x: Vec<f64> = (0..d)
                .map(|_| 2.0 * rng.sample::<f64, _>(StandardNormal))
                .collect();
            let sp = bayes_step_params(al, be, mix.p(), mix.sigma2(), mix.mu());
            let (mut a, mut b) = (vec![0.0; d], vec![0.0; d]);
            sp.eval(&x, &mut a);
            t.denoise(al, be, &x, &mut b);
            for (u, v) in a.iter().zip(&b) {
                assert!(
                    (u - v).abs() <= tol::ROUNDOFF * (1.0 + u.abs()),
                    "f: {u} vs {v} at α={al} β={be}"
                );
            }
            // φ = tanh(w·x/√d + b) = 2π₊ − 1 for the Bayes parameters.
            let pi = t.posterior(al, be, &x);
            assert!((2.0 * pi[0] - 1.0 - sp.phi(&x)).abs() < tol::ROUNDOFF);
        }
    }
    // Exact Euler p̂ and var⊥ (SPEC §5.4) on four paths and two warps.
    for d in [500usize, 32_000] {
        let t = TwoMode::new(Mixture::ones(0.8, 1.0, d).unwrap()).unwrap();
        for path in [PathSpec::linear(), PathSpec::vp(), PathSpec::ve()] {
            for warp in [
                ScheduleSpec::linear(),
                ScheduleSpec::dilated(2.0),
                ScheduleSpec::dilated_end(3.0),
            ] {
                let Ok(s) = warp.build_on(&path, d) else {
                    continue;
                };
                for endpoint in [Endpoint::End, Endpoint::LastGridPoint] {
                    let g = s.grid(50);
                    let want = euler_bayes_to(s.as_ref(), &g, (0.8, 1.0, d), endpoint);
                    let got = t.euler(s.as_ref(), &g, endpoint);
                    let (Some(w), Some(e)) = (want, got) else {
                        panic!("{path:?} {warp:?}: one side has no prediction");
                    };
                    assert!(
                        (w.p_hat - e.p_hat[0]).abs() < tol::ROUNDOFF && e.numerical == 0.0,
                        "p̂ {} vs {} ({path:?} ∘ {warp:?}, d={d})",
                        e.p_hat[0],
                        w.p_hat
                    );
                    let (wv, ev) = (w.var_perp.unwrap(), e.var_perp.unwrap());
                    assert!((wv / ev - 1.0).abs() < tol::ROUNDOFF, "var⊥ {ev} vs {wv}");
                }
            }
        }
    }
}

#[test]
fn two_mode_adapter_samples_the_mixture_stream() {
    let m = Mixture::ones(0.7, 0.5, 12).unwrap();
    let a = m.sample(64, &mut stream(5, 1, Purpose::Data, 0));
    let b = TwoMode::new(m)
        .unwrap()
        .sample(64, &mut stream(5, 1, Purpose::Data, 0));
    assert_eq!(a.x, b.x);
    assert!(
        a.s.iter()
            .zip(&b.label)
            .all(|(&s, &l)| (s > 0.0) == (l == 0))
    );
}

/// Exact Euler on `knots` (or the linear warp) at d with K grid points.
fn euler(t: &dyn Target, spec: ScheduleSpec, k: usize) -> phaseflow::target::ClassEuler {
    let s = spec.build(t.d()).unwrap();
    t.euler(s.as_ref(), &s.grid(k), Endpoint::End).unwrap()
}

/// One row of SPEC §9.2's table: (d, schedule, SPEC's three numbers, ours pinned to 4
/// decimals). `None` where SPEC prints "—" (no mass in a−).
type Row = (usize, &'static str, [Option<f64>; 3], [f64; 3]);

#[test]
fn hierarchical_table_of_spec_9_2() {
    let nan = f64::NAN;
    let rows: [Row; 9] = [
        (
            10_000,
            "linear",
            [Some(0.813), Some(0.796), Some(0.331)],
            [0.8139, 0.7966, 0.3240],
        ),
        (
            10_000,
            "two",
            [Some(0.706), Some(0.814), Some(0.289)],
            [0.7047, 0.8127, 0.2911],
        ),
        (
            10_000,
            "three",
            [Some(0.707), Some(0.804), Some(0.297)],
            [0.7072, 0.8045, 0.2981],
        ),
        (
            1_000_000,
            "linear",
            [Some(1.000), Some(0.788), None],
            [1.0, 0.7887, nan],
        ),
        (
            1_000_000,
            "two",
            [Some(0.705), Some(0.860), Some(0.243)],
            [0.7048, 0.8610, 0.2467],
        ),
        (
            1_000_000,
            "three",
            [Some(0.706), Some(0.807), Some(0.293)],
            [0.7072, 0.8069, 0.2948],
        ),
        (
            100_000_000,
            "linear",
            [Some(1.000), Some(0.807), None],
            [1.0, 0.8058, nan],
        ),
        (
            100_000_000,
            "two",
            [Some(0.705), Some(0.983), Some(0.083)],
            [0.7048, 0.9831, 0.0852],
        ),
        (
            100_000_000,
            "three",
            [Some(0.707), Some(0.809), Some(0.292)],
            [0.7072, 0.8078, 0.2936],
        ),
    ];
    let mut differ = Vec::new();
    let mut lost_fine = 0.0;
    for (d, name, spec, ours) in rows {
        let h = Hierarchical::spec92(d).unwrap();
        let sd = (d as f64).sqrt();
        let (e1, e2) = (3.0 / sd, 3.0 / sd.sqrt());
        let warp = match name {
            "linear" => ScheduleSpec::linear(),
            "two" => ScheduleSpec::piecewise(vec![(0.0, 0.0), (1.0, e1), (2.0, 1.0)]),
            _ => ScheduleSpec::piecewise(vec![(0.0, 0.0), (1.0, e1), (2.0, e2), (3.0, 1.0)]),
        };
        let e = euler(&h, warp, 60);
        let w = &e.p_hat;
        let got = [
            h.conditional_plus(w, 0, 0),
            h.conditional_plus(w, 1, 0),
            h.conditional_plus(w, 1, 1),
        ];
        if name == "three" {
            // A phase per scale keeps every weight within 0.015 at every d.
            for (g, target) in got.iter().zip([0.7, 0.8, 0.3]) {
                assert!((g - target).abs() < 0.015, "three phases d={d}: {got:?}");
            }
        }
        if name == "two" {
            assert!(
                (got[0] - 0.7).abs() < 0.015,
                "two phases keep P(a+): {got:?}"
            );
            lost_fine = got[1];
        }
        // The error of a conditional x/(x + y) given errors ≤ ε on x and y: ≤ 2ε/(x + y).
        let pa = [1.0, w[0] + w[1], w[2] + w[3]];
        for i in 0..3 {
            if ours[i].is_nan() {
                // SPEC's "—": the a− mass is below round-off.
                assert!(pa[2] < 1e-12, "d={d} {name}: P(a−) = {}", pa[2]);
                continue;
            }
            let num = 2.0 * e.numerical / pa[i] + 5e-5; // + the pinned value's rounding
            assert!(
                (got[i] - ours[i]).abs() <= num,
                "d={d} {name} column {i}: {:.5} vs pinned {} (± {num:.1e}); SPEC prints {:?}",
                got[i],
                ours[i],
                spec[i]
            );
            if let Some(s) = spec[i] {
                if (got[i] - s).abs() > SPEC_ROUNDING + 2.0 * e.numerical / pa[i] {
                    let c = ["P̂(a+)", "P̂(b+|a+)", "P̂(b+|a−)"][i];
                    differ.push(format!("d={d} {name} {c}: ours {:.4}, SPEC {s}", got[i]));
                }
            }
        }
    }
    // SPEC §9.2 entries more than its rounding plus our numerical error away (docs/theory.md
    // lists them; the largest is P̂(b+|a−) on the linear schedule at d = 10⁴, 0.324 vs 0.331).
    let col = |i: usize| ["P̂(a+)", "P̂(b+|a+)", "P̂(b+|a−)"][i];
    let listed = [
        (10_000, "linear", [0, 2]),
        (10_000, "two", [0, 1]),
        (10_000, "two", [2, 2]),
        (10_000, "three", [2, 2]),
        (1_000_000, "linear", [1, 1]),
        (1_000_000, "two", [1, 2]),
        (1_000_000, "three", [0, 2]),
        (100_000_000, "linear", [1, 1]),
        (100_000_000, "two", [2, 2]),
        (100_000_000, "three", [1, 2]),
    ];
    let mut want: Vec<String> = listed
        .iter()
        .flat_map(|(d, name, cols)| {
            let mut c = cols.to_vec();
            c.dedup();
            c.into_iter()
                .map(move |i| format!("d={d} {name} {}", col(i)))
        })
        .collect();
    want.sort();
    let mut got: Vec<String> = differ
        .iter()
        .map(|s| s.split(": ").next().unwrap_or("").to_string())
        .collect();
    got.sort();
    assert_eq!(got, want, "entries off SPEC's table: {differ:?}");
    // The claims of the table hold on our numbers.
    assert!(
        lost_fine > 0.95,
        "two phases at d = 10⁸: P̂(b+|a+) = {lost_fine}"
    );
}

#[test]
fn variance_classes_table_of_spec_9_3() {
    // (d, schedule, K, SPEC, ours). The χ² tail and the bisection are exact to ~1e-12.
    let rows: [(usize, &str, usize, f64, f64); 10] = [
        (100, "linear", 40, 0.763, 0.762_895_313),
        (100, "sqrt", 40, 0.765, 0.764_757_040),
        (100, "quarter", 40, 0.725, 0.724_277_995),
        (10_000, "linear", 40, 0.696, 0.694_401_701),
        (10_000, "sqrt", 40, 0.598, 0.597_826_157),
        (10_000, "quarter", 40, 0.741, 0.740_933_512),
        (1_000_000, "linear", 40, 0.430, 0.429_869_096),
        (1_000_000, "sqrt", 40, 0.080, 0.080_004_681),
        (1_000_000, "quarter", 40, 0.746, 0.745_952_610),
        (1_000_000, "quarter", 160, 0.788, 0.787_735_912),
    ];
    let mut differ = Vec::new();
    for (d, name, k, spec, ours) in rows {
        let v = VarianceMixture::new(d, 0.8, 1.0, 0.25).unwrap();
        let q = (d as f64).powf(0.25);
        let warp = match name {
            "linear" => ScheduleSpec::linear(),
            "sqrt" => ScheduleSpec::dilated(3.0),
            _ => ScheduleSpec::piecewise(vec![(0.0, 0.0), (1.0, 3.0 / q), (2.0, 1.0)]),
        };
        let e = euler(&v, warp, k);
        assert!(
            (e.p_hat[0] - ours).abs() < 1e-8,
            "d={d} {name} K={k}: p̂ {:.8} vs pinned {ours} (SPEC prints {spec})",
            e.p_hat[0]
        );
        assert!((e.p_hat[0] + e.p_hat[1] - 1.0).abs() < tol::ROUNDOFF);
        if (e.p_hat[0] - spec).abs() > SPEC_ROUNDING {
            differ.push(format!(
                "d={d} {name} K={k}: ours {:.4}, SPEC {spec}",
                e.p_hat[0]
            ));
        }
    }
    // SPEC §9.3 prints these two one unit of its last digit or more away (docs/theory.md).
    assert_eq!(
        differ,
        vec![
            "d=100 quarter K=40: ours 0.7243, SPEC 0.725".to_string(),
            "d=10000 linear K=40: ours 0.6944, SPEC 0.696".to_string(),
        ]
    );
}

#[test]
fn variance_classes_mse_bump_and_uturn_amplitude() {
    // SPEC §9.3: the class information's MSE bump has height ≈ 0.177/√d; the U-turn starts at
    // 2p(1 − p). The bump's maximum over τ·d^¼ ∈ (0, 4] on a grid of 400 points.
    for (d, pinned) in [
        (10_000usize, 0.169_544),
        (1_000_000, 0.176_103),
        (100_000_000, 0.176_770),
    ] {
        let v = VarianceMixture::new(d, 0.8, 1.0, 0.25).unwrap();
        let q = (d as f64).powf(0.25);
        let bump = (1..400)
            .map(|i| {
                let tau = i as f64 * 4.0 / q / 400.0;
                let (m, s) = v.bayes_mse(1.0 - tau, tau);
                m - s
            })
            .fold(0.0, f64::max);
        let h = bump * (d as f64).sqrt();
        // Pinned to 1e-6 (the quadrature tolerance is 1e-11 on a value of order 1/√d).
        assert!((h - pinned).abs() < 1e-6, "d={d}: bump·√d {h} vs {pinned}");
        // statrs' regularised Γ at a = d/2 = 5·10⁷ is good to ~1e-8.
        assert!((v.uturn_ode(1.0, 0.0) - 0.32).abs() < 1e-7);
    }
}

#[test]
fn k_mode_mse_drop_windows_and_limits_of_spec_9_1() {
    let p = vec![0.5, 0.3, 0.2];
    let sum2: f64 = p.iter().map(|v| v * v).sum();
    let o = KMode::orthogonal(1000, p.clone(), 1.0).unwrap();
    let s = KMode::simplex(1000, p.clone(), 1.0).unwrap();
    assert!((o.isotropic().mse_drop() - (1.0 - sum2)).abs() < tol::ROUNDOFF);
    assert!((s.isotropic().mse_drop() - 1.5 * (1.0 - sum2)).abs() < tol::ROUNDOFF);
    // The class channel at a² → 0 has the full drop; its Gauss–Hermite error is tiny.
    let (e0, err) = orthogonal_excess(1e-12, &p);
    assert!((e0 - (1.0 - sum2)).abs() < 1e-9 && err < 1e-9);
    // Windows at 90/50/10 % of the drop (SPEC §9.1 prints 0.321/2.20/7.79 and
    // 0.406/2.57/8.48; ours below, docs/theory.md).
    for (w, ours) in [
        (p.clone(), [0.3221, 2.2082, 7.7877]),
        (vec![0.25; 4], [0.4069, 2.5646, 8.4869]),
    ] {
        for (level, want) in [0.9, 0.5, 0.1].into_iter().zip(ours) {
            let a2 = orthogonal_window_a2(&w, level);
            assert!(
                (a2 / want - 1.0).abs() < 1e-4,
                "{w:?} level {level}: {a2} vs {want}"
            );
        }
    }
    // d → ∞ limits on the dilated schedule (κ = 2): the finite-d Bayes softmax parameters
    // approach them; every difference is O(κt/√d) (c = βσ²/v with β = κt/√d, and v − 1 =
    // O(β)), bounded here by 4κt/√d.
    let d = 100_000_000;
    let t = KMode::simplex(d, p.clone(), 0.7).unwrap();
    let sch = ScheduleSpec::dilated(2.0).build(d).unwrap();
    for tt in [0.25, 0.5, 0.9] {
        let fin = t.isotropic().bayes_params(sch.alpha(tt), sch.beta(tt));
        let lim = t.isotropic().phase1_limit(2.0, tt);
        let bound = 4.0 * 2.0 * tt / (d as f64).sqrt();
        assert!(fin.c.abs() <= bound && lim.c == 0.0);
        for i in 0..3 {
            assert!(
                (fin.b[i] - lim.b[i]).abs() <= bound,
                "b {:?} {:?}",
                fin.b,
                lim.b
            );
            for j in 0..3 {
                assert!((fin.m[i][j] - lim.m[i][j]).abs() <= bound);
                assert!((fin.omega[i][j] - lim.omega[i][j]).abs() <= bound * 2.0 * tt);
            }
        }
        // No σ² in phase 1: the limit's b is ln p_i centred (equal norms).
        let lp: Vec<f64> = p.iter().map(|v| v.ln()).collect();
        let mean = lp.iter().sum::<f64>() / 3.0;
        for (b, l) in lim.b.iter().zip(&lp) {
            assert!((b - (l - mean)).abs() < tol::ROUNDOFF);
        }
    }
    // Phase 2: c as §5.2 and m = (1 − cτ′)G, no p.
    let (c, m) = t.isotropic().phase2_limit(0.5);
    let want_c = 0.5 * 0.7 / (0.25 + 0.25 * 0.7);
    assert!((c - want_c).abs() < tol::ROUNDOFF);
    assert!((m[0][1] - (1.0 - want_c * 0.5) * -0.5).abs() < tol::ROUNDOFF);
}

#[test]
fn k_mode_linear_loses_the_weights_dilation_keeps_them() {
    // Three simplex modes (a span of dimension 2), K = 40: SPEC §9.1's k-mode version of the
    // paper's central claim.
    let p = [0.5, 0.3, 0.2];
    let tv = |q: &[f64]| 0.5 * q.iter().zip(p).map(|(a, b)| (a - b).abs()).sum::<f64>();
    let mut lin = Vec::new();
    for d in [1_000usize, 100_000, 10_000_000] {
        let t = KMode::simplex(d, p.to_vec(), 1.0).unwrap();
        let e = euler(&t, ScheduleSpec::linear(), 40);
        let k = euler(&t, ScheduleSpec::dilated(2.0), 40);
        assert!(tv(&k.p_hat) < 0.03, "d={d}: dilated p̂ {:?}", k.p_hat);
        lin.push(tv(&e.p_hat));
    }
    assert!(
        lin[2] > 0.25 && lin[0] < lin[1] && lin[1] < lin[2],
        "linear TV {lin:?}"
    );
}

/// Integrate `n` starts x(0) ~ N(0, s₀²I_d) through explicit Euler in all d coordinates with
/// the target's own Bayes denoiser ([`Target::denoise`]) and count the classes of the end
/// points ([`Target::classify`]).
fn full_dimensional_fractions(t: &dyn Target, spec: ScheduleSpec, k: usize, n: usize) -> Vec<f64> {
    let d = t.d();
    let s = spec.build(d).unwrap();
    let grid = s.grid(k);
    let mut rng = stream(26, 1, Purpose::Test, 0);
    let mut counts = vec![0.0; t.classes()];
    let (mut f, mut x) = (vec![0.0; d], vec![0.0; d]);
    for _ in 0..n {
        let s0 = s.alpha(grid[0]);
        for v in x.iter_mut() {
            *v = s0 * rng.sample::<f64, _>(StandardNormal);
        }
        for (i, &ti) in grid.iter().enumerate() {
            let dt = grid.get(i + 1).copied().unwrap_or(s.t_end()) - ti;
            let (al, be) = (s.alpha(ti), s.beta(ti));
            let (ad, bd) = (s.alpha_dot(ti), s.beta_dot(ti));
            let (a, g) = (ad / al, bd - ad * be / al);
            t.denoise(al, be, &x, &mut f);
            for (xj, fj) in x.iter_mut().zip(&f) {
                *xj += dt * (a * *xj + g * fj);
            }
        }
        counts[t.classify(&x)] += 1.0;
    }
    counts.iter().map(|c| c / n as f64).collect()
}

#[test]
fn span_euler_equals_euler_in_all_d_coordinates() {
    // The reduction to the means' span (and to |x|² for the variance classes) against Euler
    // in ℝ^d with the same denoiser: class fractions of n = 4000 samples within MC_Z binomial
    // standard errors plus the quadrature's own error.
    let n = 4000;
    let targets: Vec<(Box<dyn Target>, ScheduleSpec)> = vec![
        (
            Box::new(KMode::simplex(60, vec![0.5, 0.3, 0.2], 0.8).unwrap()),
            ScheduleSpec::linear(),
        ),
        (
            Box::new(KMode::orthogonal(40, vec![0.4, 0.35, 0.25], 1.0).unwrap()),
            ScheduleSpec::dilated(2.0),
        ),
        (
            Box::new(Hierarchical::spec92(64).unwrap()),
            ScheduleSpec::linear(),
        ),
        (
            Box::new(VarianceMixture::new(50, 0.8, 1.0, 0.25).unwrap()),
            ScheduleSpec::linear(),
        ),
    ];
    // Negative control: the span Euler of the simplex target with weights moved by 0.1
    // (≈ 12 SE) must be told apart from the ℝ^d run of the nominal one.
    let nominal = KMode::simplex(60, vec![0.5, 0.3, 0.2], 0.8).unwrap();
    let wrong = KMode::simplex(60, vec![0.6, 0.25, 0.15], 0.8).unwrap();
    let s = ScheduleSpec::linear().build(60).unwrap();
    let e = wrong.euler(s.as_ref(), &s.grid(12), Endpoint::End).unwrap();
    let mc = full_dimensional_fractions(&nominal, ScheduleSpec::linear(), 12, n);
    let detected = mc
        .iter()
        .zip(&e.p_hat)
        .any(|(m, p)| (m - p).abs() > tol::MC_Z * (p * (1.0 - p) / n as f64).sqrt() + e.numerical);
    assert!(
        detected,
        "weights off by 0.1 not detected: {mc:?} vs {:?}",
        e.p_hat
    );
    for (t, spec) in targets {
        let s = spec.build(t.d()).unwrap();
        let e = t.euler(s.as_ref(), &s.grid(12), Endpoint::End).unwrap();
        let mc = full_dimensional_fractions(t.as_ref(), spec.clone(), 12, n);
        for (i, (m, p)) in mc.iter().zip(&e.p_hat).enumerate() {
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (m - p).abs() <= tol::MC_Z * se + e.numerical,
                "{} {spec:?} class {i}: ℝ^d Euler {m:.4} vs span Euler {p:.4} (SE {se:.4}, numerical {:.1e})",
                t.name(),
                e.numerical
            );
        }
    }
}
