//! The quick tier of `phaseflow reproduce` (issue 7): every claim holds, every negative
//! control fails, and the measured checks reproduce `fixtures/claims/` exactly (same seeds,
//! same code): a behaviour change shows up as a reviewable diff. On a mismatch the new
//! value is written next to the fixture as `<file>.new` (git-ignored); tests never write the
//! fixture itself. Regenerate with `scripts/regenerate-fixtures.sh`.

use phaseflow::claims::{self as reproduce, Context, ReproduceConfig, Tier};
use phaseflow::report::terminal::reproduce_table;
use std::path::Path;

#[test]
fn quick_claims_hold_and_match_their_fixtures() {
    let cfg = ReproduceConfig {
        context: Context {
            tier: Tier::Quick,
            quiet: true,
            ..Context::default()
        },
        claims: None,
    };
    let r = reproduce::reproduce(&cfg).unwrap().report;
    let table = reproduce_table(&r);
    eprintln!("{table}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/claims");
    let mut mismatched = Vec::new();
    for c in &r.claims {
        let path = dir.join(reproduce::fixture_name(&c.id, r.tier));
        let got = reproduce::fixture(&r, c);
        let want: Option<serde_json::Value> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok());
        // The crate version is metadata, not a measurement.
        let strip = |mut v: serde_json::Value| {
            if let Some(o) = v.as_object_mut() {
                o.remove("crate_version");
            }
            v
        };
        if want.map(strip) != Some(strip(got.clone())) {
            let new = path.with_extension("json.new");
            std::fs::write(&new, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            mismatched.push(format!(
                "{} (new values in {})",
                path.display(),
                new.display()
            ));
        }
    }
    assert!(
        r.ok(),
        "not every claim holds or a control passed:\n{table}"
    );
    assert!(
        mismatched.is_empty(),
        "claim fixtures differ (missing, corrupt or changed): {mismatched:?}; review the .new files, then run {}",
        reproduce::FIXTURE_GENERATOR
    );
}
