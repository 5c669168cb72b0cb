//! The full tier of `phaseflow reproduce` (the paper's sizes): every claim holds and every
//! negative control fails. Slow: run with `cargo test --release -- --ignored`.

use phaseflow::claims::{Context, ReproduceConfig, Tier, reproduce};
use phaseflow::report::terminal::reproduce_table;

#[test]
#[ignore = "full tier (tens of minutes on 2 cores): cargo test --release -- --ignored"]
fn full_claims_hold() {
    let cfg = ReproduceConfig {
        context: Context {
            tier: Tier::Full,
            quiet: true,
            ..Context::default()
        },
        claims: None,
    };
    let r = reproduce(&cfg).unwrap().report;
    let table = reproduce_table(&r);
    eprintln!("{table}");
    assert!(
        r.ok(),
        "not every claim holds at the paper's sizes:\n{table}"
    );
}
