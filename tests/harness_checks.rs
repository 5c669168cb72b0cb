//! The checks of the quick preset pass, their negative controls fail, and the report is
//! identical whatever the thread count (SPEC §6, §7).

use phaseflow::harness::{self, Preset};

#[test]
fn quick_preset_passes_and_every_control_fails() {
    let exp = Preset::Quick.experiment();
    let r = harness::run(&exp, true).unwrap();
    let table = phaseflow::report::terminal::run_table(&r);
    let s = r.summary;
    assert!(s.negative_controls >= 4, "a control per family\n{table}");
    assert_eq!(
        s.negative_controls_failed, s.negative_controls,
        "a negative control passed: the harness cannot detect that error\n{table}"
    );
    assert_eq!(s.passed, s.checks, "real checks failed\n{table}");
    assert!(s.ok);
}

#[test]
fn report_is_identical_across_thread_counts() {
    let mut exp = Preset::Quick.experiment();
    exp.replicas = 4;
    exp.train.problem.d = 300;
    exp.train.problem.steps = 8;
    let run_with = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| serde_json::to_string(&harness::run(&exp, true).unwrap()).unwrap())
    };
    assert_eq!(run_with(1), run_with(2));
}
