//! Every rule against its fixtures: `fixtures/rules/<rule-name>/<case>/` holds a
//! small stack; a case named `fail*` must give at least one finding of that rule,
//! one named `pass*` none. The findings of every case are snapshotted, with each
//! span shown as `path:line:col-line:col` and its text, so a review sees exactly
//! what is reported where.

use std::path::{Path, PathBuf};

use stacklint::compose::stack::{LoadOptions, Project};
use stacklint::finding::Finding;
use stacklint::report::check;
use stacklint::rules;
use stacklint::source::{Sources, Span};

mod common;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules")
}

fn show(sources: &Sources, span: &Span, base: &Path) -> String {
    let f = sources.get(span.file);
    let s = f.line_col(span.start);
    let e = f.line_col(span.end);
    let path = f.path.to_string_lossy().replace('\\', "/");
    let base = base.to_string_lossy().replace('\\', "/");
    let path = path
        .split(&format!("{base}/"))
        .last()
        .unwrap_or(&path)
        .to_string();
    format!(
        "{path}:{}:{}-{}:{} {:?}",
        s.line,
        s.column,
        e.line,
        e.column,
        f.slice(span)
    )
}

fn render(findings: &[(&Project, Finding)], base: &Path) -> String {
    let mut out = String::new();
    for (p, f) in findings {
        out.push_str(&format!(
            "{} {} {}\n  at {}{}\n",
            f.rule.code,
            f.severity,
            f.message,
            show(&p.sources, &f.primary, base),
            if f.label.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.label)
            },
        ));
        for r in &f.related {
            out.push_str(&format!(
                "  related {}: {}\n",
                r.message,
                show(&p.sources, &r.span, base)
            ));
        }
        if let Some(h) = &f.help {
            out.push_str(&format!("  help: {h}\n"));
        }
    }
    if out.is_empty() {
        out.push_str("(no findings)\n");
    }
    out
}

#[test]
fn every_rule_against_its_fixtures() {
    let mut problems = Vec::new();
    let mut cases = 0;
    for meta in rules::all() {
        let dir = fixtures().join(meta.name);
        if meta.name == "parse-error" && !dir.is_dir() {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            problems.push(format!(
                "{}: no fixtures in fixtures/rules/{}",
                meta.code, meta.name
            ));
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        if !names.iter().any(|n| n.starts_with("fail"))
            || !names.iter().any(|n| n.starts_with("pass"))
        {
            problems.push(format!("{}: needs a fail* and a pass* case", meta.name));
        }
        for case in names {
            cases += 1;
            let case_dir = dir.join(&case);
            let projects = common::projects_in(&case_dir, &LoadOptions::default());
            let mut findings: Vec<(&Project, Finding)> = projects
                .iter()
                .flat_map(|p| {
                    // unused-suppression judges the other rules' findings: run them all.
                    check::run(p, &|m| {
                        m.code == meta.code || meta.name == "unused-suppression"
                    })
                    .into_iter()
                    .filter(|f| f.rule.code == meta.code)
                    .map(move |f| (p, f))
                })
                .collect();
            findings.sort_by_key(|(p, f)| {
                (p.sources.get(f.primary.file).path.clone(), f.primary.start)
            });
            let fires = !findings.is_empty();
            if case.starts_with("fail") && !fires {
                problems.push(format!(
                    "{}/{case}: expected a finding, got none",
                    meta.name
                ));
            }
            if case.starts_with("pass") && fires {
                problems.push(format!(
                    "{}/{case}: expected no finding, got:\n{}",
                    meta.name,
                    render(&findings, &case_dir)
                ));
            }
            insta::assert_snapshot!(
                format!("{}__{case}", meta.name),
                render(&findings, &case_dir)
            );
        }
    }
    assert!(cases > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
