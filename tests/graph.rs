//! The dependency graph and its pictures: snapshots of every format on the example
//! stack, and Graphviz accepting the DOT output.

use std::process::Command;

use stacklint::analysis::graph::{EdgeKind, StackGraph};
use stacklint::output::graph as render;
use stacklint::report::check;

mod common;
use common::fixture;

fn drawn(dir: &str) -> (String, String, String) {
    let p = fixture(dir);
    let g = StackGraph::build(&p);
    // The rules a plain lint runs (hardening is off by default).
    let findings = check::run(&p, &stacklint::report::config::default_on);
    (
        render::mermaid(&p, &g, &findings),
        render::dot(&p, &g, &findings),
        serde_json::to_string_pretty(&render::json(&p, &g, &findings)).unwrap_or_default(),
    )
}

#[test]
fn proxy_stack_in_every_format() {
    let (mermaid, dot, json) = drawn("proxy-stack-before");
    insta::assert_snapshot!("proxy_stack_mermaid", mermaid);
    insta::assert_snapshot!("proxy_stack_dot", dot);
    insta::assert_snapshot!("proxy_stack_json", json);
}

#[test]
fn edges_of_every_kind_with_their_spans() {
    let p = fixture("proxy-stack-before");
    let g = StackGraph::build(&p);
    let mut edges: Vec<String> = g
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (a, b) = g.graph.edge_endpoints(e)?;
            let w = &g.graph[e];
            let src = p.sources.get(w.span.file);
            let at = src.line_col(w.span.start);
            Some(format!(
                "{} -> {} {} at {}:{} {:?}",
                g.graph[a].name,
                g.graph[b].name,
                w.kind.label(),
                src.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                at.line,
                src.slice(&w.span)
            ))
        })
        .collect();
    edges.sort();
    insta::assert_snapshot!(edges.join("\n"));
    assert!(g
        .graph
        .edge_weights()
        .any(|w| matches!(w.kind, EdgeKind::Proxy { startup: true, .. })));
}

#[test]
fn graphviz_accepts_the_dot_output() {
    if Command::new("dot").arg("-V").output().is_err() {
        eprintln!("graphviz is not installed; skipping (CI installs it)");
        return;
    }
    for dir in [
        "proxy-stack-before",
        "proxy-stack-fixed",
        "deploy-env",
        "model/constructs",
    ] {
        let (_, dot, _) = drawn(dir);
        let tmp =
            std::env::temp_dir().join(format!("stacklint-graph-{}.dot", dir.replace('/', "-")));
        std::fs::write(&tmp, &dot).expect("write dot");
        let out = Command::new("dot")
            .arg("-Tsvg")
            .arg(&tmp)
            .output()
            .expect("dot runs");
        assert!(
            out.status.success(),
            "dot rejected {dir}: {}\n{dot}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
