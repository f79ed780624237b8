//! `stacklint explain` and `stacklint rules`: every registered rule has a page
//! (embedded in the binary, identical to rules/<name>.md, with the documented
//! sections and its metadata), every page has a rule, and `rules` lists them all.

use std::path::Path;

use stacklint::report::config;
use stacklint::rules;

mod common;
use common::stacklint;

fn page_on_disk(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("rules/{name}.md"));
    std::fs::read_to_string(&p).unwrap_or_else(|_| panic!("rules/{name}.md is missing"))
}

#[test]
fn explain_prints_every_rules_page_by_name_and_code() {
    for m in rules::all() {
        let disk = page_on_disk(m.name);
        for key in [
            m.name.to_string(),
            m.code.to_string(),
            m.code.to_ascii_lowercase(),
        ] {
            let (code, out, err) = stacklint(&["explain", &key]);
            assert_eq!(code, 0, "explain {key}: {err}");
            assert_eq!(out, disk, "explain {key} prints rules/{}.md", m.name);
        }
    }
}

#[test]
fn every_page_has_the_documented_shape_and_metadata() {
    for m in rules::all() {
        let page = page_on_disk(m.name);
        let mut lines = page.lines();
        assert_eq!(
            lines.next(),
            Some(format!("# {} ({})", m.name, m.code).as_str()),
            "rules/{}.md title",
            m.name
        );
        let meta_line = page
            .lines()
            .find(|l| l.starts_with("Default severity:"))
            .unwrap_or_else(|| panic!("rules/{}.md lacks its severity line", m.name));
        assert!(
            meta_line.starts_with(&format!("Default severity: **{}**", m.severity)),
            "rules/{}.md: {meta_line}",
            m.name
        );
        assert!(
            meta_line.ends_with(&format!("Category: {}", config::category_name(m.category))),
            "rules/{}.md: {meta_line}",
            m.name
        );
        let mut at = 0;
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Options",
            "## Fix",
        ] {
            let found = page[at..]
                .find(&format!("\n{section}\n"))
                .unwrap_or_else(|| panic!("rules/{}.md lacks `{section}` (in order)", m.name));
            at += found + 1;
        }
    }
}

#[test]
fn every_page_has_a_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in std::fs::read_dir(dir).expect("rules/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(stem) = name.strip_suffix(".md") else {
            continue;
        };
        assert!(
            rules::all().any(|m| m.name == stem),
            "rules/{name} documents no registered rule"
        );
        assert!(
            stacklint::report::docs::page(stem).is_some(),
            "{stem} is not embedded"
        );
    }
}

#[test]
fn explain_of_an_unknown_rule_is_one_line_and_exit_2() {
    let (code, out, err) = stacklint(&["explain", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("`stacklint rules` lists them"), "{err}");
}

#[test]
fn rules_lists_every_rule_with_its_metadata() {
    let (code, out, _) = stacklint(&["rules"]);
    assert_eq!(code, 0);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(
        header,
        ["CODE", "NAME", "SEVERITY", "CATEGORY", "DEFAULT", "SUMMARY"]
    );
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("SL")).collect();
    assert_eq!(rows.len(), rules::all().count());
    for (m, row) in rules::all().zip(&rows) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[0], m.code);
        assert_eq!(cols[1], m.name);
        assert_eq!(cols[2], m.severity.as_str());
        assert_eq!(cols[3], config::category_name(m.category));
        assert_eq!(cols[4], if config::default_on(m) { "on" } else { "off" });
        assert!(row.ends_with(m.summary), "{row}");
    }
    assert!(out.contains("run by default"), "explains the default set");
}

#[test]
fn help_documents_every_flag() {
    let (code, out, _) = stacklint(&["--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--format",
        "--output",
        "--stdout-format",
        "--fail-on",
        "--select",
        "--ignore",
        "--config",
        "--quiet",
        "--file",
        "--env-file",
        "--use-env",
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(flag) && l.trim_start().starts_with('-'))
            .unwrap_or_else(|| panic!("--help lacks {flag}:\n{out}"));
        // The description is on the flag's line or the next one (wrapped help).
        let next = out.lines().skip_while(|l| *l != line).nth(1).unwrap_or("");
        assert!(
            line.split(flag)
                .nth(1)
                .is_some_and(|rest| rest.trim().len() > 10)
                || next.trim().len() > 10,
            "{flag} has no help text:\n{out}"
        );
    }
    // Subcommands too.
    for sub in ["rules", "explain"] {
        assert!(out.contains(sub), "{sub} not in --help");
    }
}

#[test]
fn readme_lists_every_rule() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md");
    for m in stacklint::rules::all() {
        let row = format!("| {} | `{}` |", m.code, m.name);
        assert!(
            readme.contains(&row),
            "README's rule table lacks {} {}",
            m.code,
            m.name
        );
    }
}
