//! The command line's help is prose for users (issue 27): no rustdoc link syntax, the current
//! claim list, defaults shown. Every subcommand is found from the help itself, so a new one is
//! covered without editing this file.

mod common;

use common::phaseflow;

/// The names listed under "Commands:" in a help text (without clap's own `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

fn help_of(path: &[String], flag: &str) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push(flag);
    let out = phaseflow(&args);
    assert!(
        out.status.success(),
        "phaseflow {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// Every (sub)command path, breadth first: [], [train], …, [digits, uturn], …
fn all_commands() -> Vec<Vec<String>> {
    let mut todo = vec![Vec::new()];
    let mut seen = Vec::new();
    while let Some(path) = todo.pop() {
        let help = help_of(&path, "--help");
        for sub in subcommands(&help) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        seen.push(path);
    }
    seen
}

#[test]
fn no_rustdoc_syntax_in_any_help() {
    let commands = all_commands();
    assert!(
        commands.len() >= 12,
        "found only {} commands: {commands:?}",
        commands.len()
    );
    for path in &commands {
        for flag in ["--help", "-h"] {
            let help = help_of(path, flag);
            // Link syntax, and Rust paths (`train::sgd`), which a user cannot look up.
            for bad in ["[`", "`]", "](", "::"] {
                if let Some(line) = help.lines().find(|l| l.contains(bad)) {
                    panic!(
                        "`phaseflow {} {flag}` contains rustdoc syntax {bad:?}: {line}",
                        path.join(" ")
                    );
                }
            }
        }
    }
}

#[test]
fn claim_lists_are_current() {
    let top = help_of(&[], "--help");
    assert!(
        top.contains("C1–C12"),
        "top-level help names the twelve claims:\n{top}"
    );
    for path in [
        vec![],
        vec!["reproduce".to_string()],
        vec!["power".to_string()],
    ] {
        let help = help_of(&path, "--help");
        assert!(
            !help.contains("C1–C7"),
            "`phaseflow {} --help` still names seven claims",
            path.join(" ")
        );
    }
    let reproduce = help_of(&["reproduce".to_string()], "--help");
    assert!(
        reproduce.contains("C1–C12"),
        "reproduce --help lists the claims:\n{reproduce}"
    );
}

#[test]
fn training_flags_show_their_defaults() {
    let train = help_of(&["train".to_string()], "--help");
    for flag in [
        "--p", "--sigma2", "--d", "--steps", "--n", "--kappa", "--seed", "--engine",
    ] {
        // The flag's block: from its line to the next option's line.
        let block = train
            .split(&format!("      {flag} <"))
            .nth(1)
            .unwrap_or_else(|| panic!("train --help has no {flag}"))
            .split("\n      -")
            .next()
            .unwrap_or_default();
        assert!(
            block.contains("default"),
            "train --help shows no default for {flag}:\n{block}"
        );
    }
}
