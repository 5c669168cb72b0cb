//! The issue-13 learning curve at a toy size (seconds): its shape, its checks through
//! `harness::check` (every family has its control), determinism across thread counts, and
//! the step-based trainer with the authors' mechanism.

use phaseflow::digits::curve::{CurveConfig, run};
use phaseflow::digits::data::{Digits, Scale, Unbalanced, default_path};
use phaseflow::digits::mechanism::Mechanism;
use phaseflow::digits::train::{Optimiser, StepsConfig, TimeDraw, TimeSampler, train_steps};

fn toy() -> CurveConfig {
    CurveConfig {
        seeds: 2,
        budgets: vec![8, 24],
        reference_steps: 24,
        generated: 64,
        sde_steps: 12,
        hidden: 16,
        uturn_points: 5,
        uturn_pairs: 16,
        ..CurveConfig::default()
    }
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn toy_learning_curve_has_every_cell_and_is_thread_independent() {
    let cfg = toy();
    let a = in_pool(1, || run(&default_path(), &cfg, &|| {}).unwrap());
    let b = in_pool(2, || run(&default_path(), &cfg, &|| {}).unwrap());
    // Uniform first, the authors' band last; window arms only where a window was found.
    assert_eq!(a.arms[0].name, "uniform");
    assert_eq!(a.arms.last().unwrap().name, "authors-band");
    assert_eq!(a.arms.len() + a.missing_arms.len(), 5);
    assert_eq!(a.cells.len(), a.arms.len() * cfg.budgets.len());
    assert_eq!(a.findings.len(), (a.arms.len() - 1) * cfg.budgets.len());
    assert!(a.findings.iter().all(|f| f.family == "digits.gain"));
    // Every family has a control (evaluate would have refused otherwise) and it is there.
    for fam in ["digits.setup", "digits.gain"] {
        assert!(
            a.checks
                .iter()
                .any(|c| c.family == fam && c.negative_control.is_some())
        );
    }
    for (x, y) in a.cells.iter().zip(&b.cells) {
        assert_eq!(x.share, y.share, "{} @ {}", x.arm, x.budget);
    }
    assert_eq!(a.uturn, b.uturn);
    // q̂ is a share of the N generated images.
    for c in &a.cells {
        for s in &c.share {
            let k = s * cfg.generated as f64;
            assert!((k - k.round()).abs() < 1e-9 && (0.0..=1.0).contains(s));
        }
    }
    serde_json::to_string(&a).unwrap();
}

#[test]
fn step_trainer_is_paired_and_seeded() {
    let d = Digits::load(&default_path()).unwrap();
    let u = Unbalanced::build_scaled(&d, 0.8, 1, Scale::Unit).unwrap();
    let cfg = |sampler, draw, seed| StepsConfig {
        mechanism: Mechanism::Vp,
        sampler,
        draw,
        steps: 9,
        batch: 32,
        hidden: 16,
        skip: true,
        optimiser: Optimiser::default(),
        seed,
        replica: 0,
    };
    let band = TimeSampler::band(0.6, 0.8, 0.5).unwrap();
    let net = |s, dr, seed| train_steps(&u, &cfg(s, dr, seed)).unwrap().params;
    let a = in_pool(1, || net(band, TimeDraw::Stratified, 3));
    let b = in_pool(2, || net(band, TimeDraw::Stratified, 3));
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_ne!(
        a,
        net(band, TimeDraw::Iid, 3),
        "stratified and iid draws differ"
    );
    assert_ne!(
        a,
        net(band, TimeDraw::Stratified, 4),
        "another seed, another net"
    );
    // With one piece, stratified is i.i.d. uniform.
    assert_eq!(
        net(TimeSampler::Uniform, TimeDraw::Stratified, 3),
        net(TimeSampler::Uniform, TimeDraw::Iid, 3)
    );
}

/// Issue 23: the terminal table of `digits compare` is built by the report module (the
/// library prints nothing), from the settings line through one row per cell to the checks,
/// and the report carries the shared evaluation's summary.
#[test]
fn toy_table_comes_from_the_report_module() {
    use phaseflow::report::terminal::{digits_checks, digits_curve_table};
    let r = run(&default_path(), &toy(), &|| {}).unwrap();
    let t = digits_curve_table(&r);
    assert!(
        t.starts_with("phaseflow digits compare: 222 images, q = 0.8018, R = 2 paired seeds"),
        "{t}"
    );
    assert!(t.ends_with(&digits_checks(&r.checks)), "{t}");
    for c in &r.cells {
        let head = format!("{:>14} {:>6}  ", c.arm, c.budget);
        assert_eq!(
            t.lines().filter(|l| l.starts_with(&head)).count(),
            1,
            "{head}"
        );
    }
    assert!(t.contains("significantly better than uniform (Holm over "));
    assert_eq!(r.summary, phaseflow::harness::Summary::of(&r.checks));
    assert_eq!(r.summary.ok, r.as_expected());
}
