//! The full tier of `phaseflow reproduce` (the paper's sizes): every claim holds and every
//! negative control fails. Slow: run with `cargo test --release -- --ignored`.

use phaseflow::reproduce::{self, Context, Tier};

#[test]
#[ignore = "full tier (tens of minutes on 2 cores): cargo test --release -- --ignored"]
fn full_claims_hold() {
    let ctx = Context {
        tier: Tier::Full,
        replicas: None,
        seed: 0,
        quiet: true,
    };
    let r = reproduce::run(&ctx, None, None).unwrap();
    let table = reproduce::render(&r);
    eprintln!("{table}");
    assert!(
        r.ok(),
        "not every claim holds at the paper's sizes:\n{table}"
    );
}
