//! The "0 vs 1" classifier: held-out accuracy above the declared threshold, and the
//! shuffled-label control must fall below it.

use phaseflow::digits::classifier::fit_zero_one;
use phaseflow::digits::compare::ACCURACY_MIN;
use phaseflow::digits::data::{Digits, default_path};

#[test]
fn held_out_accuracy_above_threshold_and_shuffled_control_fails() {
    let d = Digits::load(&default_path()).unwrap();
    let f = fit_zero_one(&d, 1, false);
    assert!(
        f.accuracy >= ACCURACY_MIN,
        "accuracy {} < {ACCURACY_MIN} (n_test {}, seed 1)",
        f.accuracy,
        f.n_test
    );
    let c = fit_zero_one(&d, 1, true);
    assert!(
        c.accuracy < ACCURACY_MIN,
        "shuffled labels reached {} ≥ {ACCURACY_MIN}: the check cannot tell",
        c.accuracy
    );
}
