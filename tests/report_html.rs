//! The self-contained HTML report: its structure, checked without a browser (the page was
//! looked at in headless Chromium when it was written; this test keeps what was seen).

mod common;

use phaseflow::claims::{
    ClaimReport, REPRODUCE_SCHEMA_VERSION, ReproduceReport, Reproduction, Tier,
};
use phaseflow::harness::check::{Allowance, CheckInput, CheckResult, Source, evaluate};
use phaseflow::plot::{Figure, Panel, Series};
use phaseflow::report::html::{LOOSE_DELTA_SE, reproduce_page};
use phaseflow::report::{Output, Reports};
use phaseflow::stats::Estimate;

fn estimate(point: f64, se: f64) -> Estimate {
    Estimate {
        point,
        se,
        ci: [point - 3.0 * se, point + 3.0 * se],
        level: 0.99,
        n: 8,
    }
}

fn input(name: &str, point: f64, se: f64, pred: f64, delta: f64) -> CheckInput {
    let a = Allowance::derived(delta, format!("declared <{name}> & co"));
    CheckInput::new(name, "fam", estimate(point, se), pred, Source::FiniteN, a)
}

fn claim(id: &str, checks: Vec<CheckResult>, figures: Vec<String>) -> ClaimReport {
    let real = checks.iter().filter(|c| c.negative_control.is_none());
    let ctl: Vec<_> = checks
        .iter()
        .filter(|c| c.negative_control.is_some())
        .collect();
    ClaimReport {
        id: id.into(),
        title: format!("claim {id} <with> markup & ampersand"),
        passed: real.clone().all(|c| c.passed),
        negative_control_failed: !ctl.is_empty() && ctl.iter().all(|c| !c.passed),
        notes: vec![format!("a note on {id}")],
        checks,
        figures,
        fits: vec![],
        unconverged: vec![],
        theory_uncertified: vec![],
    }
}

fn figure(title: &str) -> Figure {
    Figure::new(title).with_panel(Panel::new("p", "x", "y").with_series(Series::line(
        "s",
        vec![0.0, 1.0, 2.0],
        vec![1.0, 0.5, 0.2],
    )))
}

/// Two claims: C1 holds (a passing check, an exact one, a loose one, a control that fails);
/// C2 fails (a check off by 40 SE).
fn reproduction() -> Reproduction {
    let inputs = vec![
        input("a<b&c", 0.80, 0.01, 0.805, 0.01),
        input("exact", 0.5, 0.0, 0.5, 0.001),
        input("loose", 0.3, 0.001, 0.3, 0.05),
        input("ctl", 0.80, 0.01, 0.90, 0.01).control(Some("p shifted".into())),
        input("wrong", 1.0, 0.01, 0.6, 0.0),
    ];
    let r = evaluate(&inputs, 0.01).unwrap();
    let c1 = claim("C1", r[..4].to_vec(), vec!["C1_fig".into()]);
    let c2 = claim("C2", r[4..].to_vec(), vec![]);
    Reproduction {
        report: ReproduceReport {
            schema_version: REPRODUCE_SCHEMA_VERSION,
            crate_version: "test".into(),
            tier: Tier::Quick,
            seed: 0,
            alpha: 0.01,
            perturbation: None,
            claims: vec![c1, c2],
        },
        figures: vec![("C1_fig".into(), figure("figure of C1"))],
    }
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn page_is_self_contained_with_one_table_per_claim() {
    let r = reproduction();
    let page = reproduce_page(&r.report, &r.figures).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.trim_end().ends_with("</html>"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    // Self-contained: no script, no external stylesheet, image or link.
    for bad in ["<script", "<link", "src=", "href=\"http", "url("] {
        assert!(!page.contains(bad), "page contains {bad}");
    }
    // Balanced structure.
    for tag in ["table", "section", "tr", "figure", "svg", "tbody", "ol"] {
        assert_eq!(
            count(&page, &format!("<{tag}")) - count(&page, &format!("<{tag}s")),
            count(&page, &format!("</{tag}>")),
            "<{tag}> not balanced"
        );
    }
    // The summary and one section with one table of checks per claim.
    assert_eq!(count(&page, "<table class=\"summary\">"), 1);
    assert_eq!(count(&page, "<section class=\"claim\""), 2);
    assert_eq!(count(&page, "<table class=\"checks\">"), 2);
    for id in ["C1", "C2"] {
        assert!(page.contains(&format!("<section class=\"claim\" id=\"{id}\">")));
        assert!(page.contains(&format!("<a href=\"#{id}\">{id}</a>")));
    }
    // Every check has a row: 5 checks + 2 summary rows + 3 header rows.
    assert_eq!(count(&page, "<tr"), 5 + 2 + 3);
    // The figure is inline SVG, inside its claim's section.
    let c1 = &page[page.find("id=\"C1\"").unwrap()..page.find("id=\"C2\"").unwrap()];
    assert_eq!(count(c1, "<svg"), 1);
    assert_eq!(count(&page, "<svg"), 1);
    // Text is escaped.
    assert!(page.contains("a&lt;b&amp;c"));
    assert!(page.contains("claim C1 &lt;with&gt; markup &amp; ampersand"));
    assert!(!page.contains("<with>"));
}

#[test]
fn verdicts_and_delta_over_se_are_visible() {
    let r = reproduction();
    let page = reproduce_page(&r.report, &r.figures).unwrap();
    // Overall and per-claim verdicts.
    assert!(page.contains("not all claims hold"));
    assert!(page.contains("<span class=\"badge ok\">holds</span>"));
    assert!(page.contains("<span class=\"badge fail\">fails</span>"));
    // δ/SE = allowance/se: 0.01/0.01 = 1.00; an exact value says so; 0.05/0.001 = 50 > the
    // loose threshold is shaded.
    const { assert!(LOOSE_DELTA_SE < 50.0) };
    assert!(page.contains("<td>1.00</td>"));
    assert!(page.contains("<td>exact</td>"));
    assert!(page.contains("<td class=\"loose\">50.00</td>"));
    // The failing real check is marked, the failed control is grey and said to be expected.
    let wrong = page.find("<td class=\"name\">wrong</td>").unwrap();
    assert!(page[..wrong].ends_with("<tr class=\"bad\">"));
    let ctl = page.find("<td class=\"name\">ctl</td>").unwrap();
    assert!(page[..ctl].ends_with("<tr class=\"ctl\">"));
    assert!(page.contains("control failed (expected) — control: p shifted"));
    // δ sources as numbered notes, escaped.
    assert!(page.contains("<li>δ: declared &lt;a&lt;b&amp;c&gt; &amp; co</li>"));
}

#[test]
fn the_html_reporter_is_registered_for_an_output_folder() {
    let dir = common::tmpdir("report-html");
    let out = Output {
        dir: Some(dir.clone()),
        json: true,
    };
    // JSON on stdout (the test harness captures it); the files go to the folder.
    Reports::new(&out).reproduce(&reproduction()).unwrap();
    let page = std::fs::read_to_string(dir.join("reproduce.html")).unwrap();
    assert!(page.contains("<table class=\"checks\">"));
    for f in ["reproduce.json", "reproduce.md", "C1_fig.svg", "C1_fig.png"] {
        assert!(dir.join(f).exists(), "missing {f}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
