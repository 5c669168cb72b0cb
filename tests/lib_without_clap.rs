//! The library has no command-line dependency (issue 23): clap is optional behind the `cli`
//! feature, which only the binary requires, and no library source names it. The dependency
//! tree itself is checked by hand with
//! `cargo tree -e normal --no-default-features -p phaseflow` (no clap line; docs/design.md).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_library_source_uses_clap() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // The binary's modules: main.rs and what it declares (src/cli/).
    let lib: Vec<&PathBuf> = files
        .iter()
        .filter(|p| !p.starts_with(src.join("cli")) && *p != &src.join("main.rs"))
        .collect();
    assert!(lib.len() > 20, "library sources found: {}", lib.len());
    let offenders: Vec<String> =
        lib.iter()
            .filter(|p| {
                std::fs::read_to_string(p).unwrap().lines().any(|l| {
                    l.contains("clap::") || l.contains("use clap") || l.contains("ValueEnum")
                })
            })
            .map(|p| p.display().to_string())
            .collect();
    assert!(
        offenders.is_empty(),
        "library files using clap: {offenders:?}"
    );
    // The binary declares the command-line module; the library does not.
    let lib_rs = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    assert!(
        !lib_rs
            .lines()
            .any(|l| l.trim_start().starts_with("mod cli") || l.contains("pub mod cli"))
    );
}

#[test]
fn clap_is_optional_and_only_the_binary_needs_it() {
    let toml_text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&toml_text).unwrap();
    let clap = &doc["dependencies"]["clap"];
    assert_eq!(
        clap["optional"].as_bool(),
        Some(true),
        "clap must be optional"
    );
    let cli = doc["features"]["cli"].as_array().unwrap();
    assert!(cli.iter().any(|v| v.as_str() == Some("dep:clap")));
    let bins = doc["bin"].as_array().unwrap();
    let main = bins
        .iter()
        .find(|b| b["name"].as_str() == Some("phaseflow"))
        .unwrap();
    let req = main["required-features"].as_array().unwrap();
    assert!(req.iter().any(|v| v.as_str() == Some("cli")));
}
