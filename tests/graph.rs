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
            let at = src.line_col(w.span.start());
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

/// `stacklint graph` over several projects writes one document: one `digraph` with a
/// cluster a project (Graphviz reads it as one graph), one Mermaid flowchart with a
/// subgraph a project, node ids kept apart and link styles counted over the whole chart.
#[test]
fn several_projects_make_one_document() {
    let paths = ["fixtures/proxy-stack-before", "fixtures/proxy-stack-fixed"];
    let (code, dot, err) = common::stacklint(&["graph", paths[0], paths[1], "--format", "dot"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(dot.matches("digraph").count(), 1, "{dot}");
    assert!(dot.starts_with("digraph stacks {"), "{dot}");
    for (i, path) in paths.iter().enumerate() {
        assert!(
            dot.contains(&format!(
                "subgraph cluster_p{i} {{\n    label=\"project: {path}/docker-compose.yml\";"
            )),
            "{dot}"
        );
    }
    // Each project's nodes are its own: `nginx` twice, under two ids.
    assert!(dot.contains("p0_svc_nginx [") && dot.contains("p1_svc_nginx ["));
    if Command::new("dot").arg("-V").output().is_ok() {
        let tmp = std::env::temp_dir().join(format!("stacklint-multi-{}.dot", std::process::id()));
        std::fs::write(&tmp, &dot).expect("write dot");
        // `-Tcanon` prints the graph Graphviz read: one digraph, every node of both.
        let out = Command::new("dot")
            .arg("-Tcanon")
            .arg(&tmp)
            .output()
            .expect("dot runs");
        let _ = std::fs::remove_file(&tmp);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let canon = String::from_utf8_lossy(&out.stdout);
        assert_eq!(canon.matches("digraph").count(), 1, "{canon}");
        assert!(canon.contains("p0_svc_app") && canon.contains("p1_svc_app"));
    }

    let (code, mermaid, err) = common::stacklint(&["graph", paths[0], paths[1]]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mermaid.matches("flowchart").count(), 1, "{mermaid}");
    assert!(mermaid
        .contains("subgraph p0[\"project: fixtures/proxy-stack-before/docker-compose.yml\"]"));
    assert!(
        mermaid.contains("subgraph p1[\"project: fixtures/proxy-stack-fixed/docker-compose.yml\"]")
    );
    // A link style names its link by its place among all links: the marked one is the
    // SL201 link of the first project.
    let links: Vec<&str> = mermaid
        .lines()
        .filter(|l| l.contains("-->|") || l.contains("==>|") || l.contains("-.->|"))
        .collect();
    let styled: Vec<usize> = mermaid
        .lines()
        .filter_map(|l| l.trim().strip_prefix("linkStyle "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    assert!(!styled.is_empty(), "{mermaid}");
    for i in styled {
        assert!(
            links.get(i).is_some_and(|l| l.contains("SL2")),
            "linkStyle {i} is not a marked link: {:?}",
            links.get(i)
        );
    }
    // And one project alone is drawn as before: no project cluster.
    let (_, one, _) = common::stacklint(&["graph", paths[0], "--format", "dot"]);
    assert!(
        one.contains("digraph stack {") && !one.contains("cluster_p0"),
        "{one}"
    );
}
