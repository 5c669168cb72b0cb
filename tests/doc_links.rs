//! No broken relative links in README.md and the book under docs/ (issue 27): every
//! `[text](target)` and `![alt](target)` whose target is neither a web address nor a pure
//! `#anchor` must name a file or folder of the repository. Anchors after a path
//! (`theory.md#5-predictions`) are checked against the target's headings.

use std::path::{Path, PathBuf};

fn markdown_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for e in entries {
            let path = e.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Link targets of a Markdown text, outside code spans and fenced code blocks.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop inline code spans: `[x](y)` inside backticks is not a link.
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            out.push(target.to_string());
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors_of(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn relative_links_resolve() {
    let files = markdown_files();
    assert!(
        files.len() >= 2,
        "README.md and docs/ expected, found {files:?}"
    );
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read markdown");
        let dir = file.parent().expect("a file has a folder");
        for target in link_targets(&text) {
            if target.is_empty()
                || target.starts_with('#')
                || target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (path, frag) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let resolved = dir.join(path);
            if !resolved.exists() {
                broken.push(format!("{}: {target} (no such file)", file.display()));
            } else if let Some(frag) = frag {
                let is_md = resolved.extension().is_some_and(|x| x == "md");
                if is_md && !anchors_of(&resolved).iter().any(|a| a == frag) {
                    broken.push(format!("{}: {target} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(
        checked > 10,
        "only {checked} relative links found: is the scanner broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_scanner_finds_links_and_skips_code() {
    let md = "see [a](docs/a.md) and ![f](fig.png)\n`[not](this.md)`\n```\n[nor](that.md)\n```\n[web](https://x.org) [t](b.md \"title\")";
    assert_eq!(
        link_targets(md),
        ["docs/a.md", "fig.png", "https://x.org", "b.md"]
    );
    assert_eq!(anchor(" §5 Predictions"), "5-predictions");
    assert_eq!(
        anchor("C1 — Dilation keeps phase 1 (§5.4)"),
        "c1--dilation-keeps-phase-1-54"
    );
}
