//! The library tour (`examples/library_tour.rs`) runs in `cargo test`: its logic is a
//! function of the example, included here and checked (issue 27).

#[path = "../examples/library_tour.rs"]
#[allow(dead_code)] // the example's `main` is not called from the test
mod library_tour;

#[test]
fn library_tour_runs_and_the_theory_holds() {
    let t = library_tour::tour(false).expect("the tour runs");
    assert!(
        t.ok,
        "tour: {}/{} checks pass, {}/{} controls fail",
        t.passed.0, t.passed.1, t.controls_failed.0, t.controls_failed.1
    );
    assert!(t.passed.1 > 0 && t.controls_failed.1 > 0, "{t:?}");
    // The replicas' p̂ interval and the exact Euler prediction are both near p = 0.8.
    let e = &t.p_hat_trained;
    assert!(
        (t.p_hat_theory - 0.8).abs() < 0.05 && e.ci[0] < e.ci[1],
        "p̂ theory {} trained {e:?}",
        t.p_hat_theory
    );
}
