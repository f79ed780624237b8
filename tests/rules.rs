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
    let s = f.line_col(span.start());
    let e = f.line_col(span.end());
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
                (
                    p.sources.get(f.primary.file).path.clone(),
                    f.primary.start(),
                )
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

/// On a large stack the rules that read every service's commands share the
/// services out on the thread pool. They still report in service order, which
/// decides the findings kept when a rule finds more than `Findings::MAX_KEPT` in
/// one file: the first ones in the file.
#[test]
fn a_large_stacks_per_service_findings_come_in_service_order() {
    let n = stacklint::finding::Findings::MAX_KEPT + 10;
    assert!(n > stacklint::PARALLEL_SERVICES);
    let mut text = String::from("services:\n");
    let mut starts = Vec::new();
    for i in 0..n {
        starts.push(text.len());
        text.push_str(&format!(
            "  svc{i}:\n    image: example/app{i}:1.0\n    command: [\"gunicorn\", \"-w\", \"9\", \"-b\", \"0.0.0.0:{port}\", \"app:wsgi\"]\n    environment:\n      JAVA_OPTS: \"-Xmx2g\"\n    deploy:\n      resources:\n        limits: {{memory: 256M, cpus: \"0.5\"}}\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:{probe}/health\"]\n",
            port = 8000 + i % 1000,
            probe = 9000 + i % 1000,
        ));
    }
    let dir = common::tree(&[("compose.yaml", &text)]);
    let projects = common::projects_in(&dir, &LoadOptions::default());
    let p = projects.first().expect("one project");
    assert_eq!(p.model.services.len(), n);
    let service_of = |f: &Finding| starts.partition_point(|&s| s <= f.primary.start()) - 1;
    for rule in [
        "healthcheck-port-mismatch",
        "workers-exceed-memory",
        "memory-setting-exceeds-limit",
    ] {
        let shown: Vec<usize> = check::run(p, &|m| m.name == rule)
            .iter()
            .map(service_of)
            .collect();
        // The first 100 in the file are shown; one more stands for the rest.
        assert_eq!(shown.len(), 101, "{rule}");
        assert_eq!(shown[..100], (0..100).collect::<Vec<_>>()[..], "{rule}");
    }
}
