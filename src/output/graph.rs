//! Drawing the graph for people: Mermaid (renders in GitHub Markdown), Graphviz DOT,
//! and JSON for tools. Services are grouped by network; published ports and
//! healthchecks are shown on the nodes; edges carry their kind and condition. A node
//! or edge with an error is drawn red and one with a warning amber, with the codes
//! (`✖ SL201`, `⚠ SL207`); info findings (missing limits on every service of most
//! stacks) are left out of the pictures so the problems stand out, and stay in JSON.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use serde_json::{json, Value};

use crate::analysis::graph::{EdgeKind, NodeKind, StackGraph};
use crate::compose::stack::Project;
use crate::finding::Finding;
use crate::severity::Severity;

/// Finding codes on one node or edge, each with its worst severity.
type Codes = BTreeMap<&'static str, Severity>;

/// Colours of a marked node or edge: (stroke, text).
fn colours(level: Severity) -> (&'static str, &'static str) {
    match level {
        Severity::Error => ("#dd0000", "#990000"),
        // Amber, darker text: readable on white and apart from red.
        _ => ("#e08a00", "#8a5200"),
    }
}

/// The graph prepared for drawing: ids, labels, groups and finding marks.
struct View<'a> {
    g: &'a StackGraph,
    ids: HashMap<NodeIndex, String>,
    /// Network name → the services drawn inside it (each service in one group only).
    groups: BTreeMap<String, Vec<NodeIndex>>,
    /// Services outside every group (network_mode), volumes, external hosts.
    loose: Vec<NodeIndex>,
    node_codes: HashMap<NodeIndex, Codes>,
    edge_codes: HashMap<EdgeIndex, Codes>,
    /// Lines of detail under a node's name.
    details: HashMap<NodeIndex, Vec<String>>,
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl<'a> View<'a> {
    fn new(p: &Project, g: &'a StackGraph, findings: &[Finding]) -> Self {
        let graph = &g.graph;
        let mut ids = HashMap::new();
        let mut used = BTreeSet::new();
        for n in graph.node_indices() {
            let prefix = match graph[n].kind {
                NodeKind::Service => "svc",
                NodeKind::Network => "net",
                NodeKind::Volume => "vol",
                NodeKind::External => "ext",
            };
            let mut id = format!("{prefix}_{}", sanitize(&graph[n].name));
            while !used.insert(id.clone()) {
                id.push('_');
            }
            ids.insert(n, id);
        }
        // Each service goes into the group of its first network (declaration order).
        let mut groups: BTreeMap<String, Vec<NodeIndex>> = BTreeMap::new();
        let mut loose = Vec::new();
        let mut details: HashMap<NodeIndex, Vec<String>> = HashMap::new();
        for n in graph.node_indices() {
            match graph[n].kind {
                NodeKind::Service => {
                    let nets = g.networks_of(n);
                    match nets.first() {
                        Some(first) => groups.entry(first.to_string()).or_default().push(n),
                        None => loose.push(n),
                    }
                    let mut lines = Vec::new();
                    if let Some(svc) = p.model.service(&graph[n].name) {
                        if let Some(img) = &svc.image {
                            lines.push(img.value.to_string());
                        } else if let Some(b) = &svc.build {
                            let ctx = b.context.as_ref().map(|c| c.value.as_str()).unwrap_or(".");
                            lines.push(format!("build {ctx}"));
                        }
                        let ports: Vec<String> = svc
                            .ports
                            .iter()
                            .map(|port| {
                                let t = if port.target.start == port.target.end {
                                    port.target.start.to_string()
                                } else {
                                    format!("{}-{}", port.target.start, port.target.end)
                                };
                                match (&port.published, port.on_all_interfaces()) {
                                    (Some(h), true) => format!("{}→{t}", h.start),
                                    (Some(h), false) => format!(
                                        "{}:{}→{t}",
                                        port.host_ip.as_deref().unwrap_or(""),
                                        h.start
                                    ),
                                    (None, _) => format!("*→{t}"),
                                }
                            })
                            .collect();
                        if !ports.is_empty() {
                            lines.push(format!("ports {}", ports.join(", ")));
                        }
                        match &svc.healthcheck {
                            Some(h) if h.disabled() => lines.push("healthcheck off".into()),
                            Some(h) if h.test.is_some() => lines.push("♥ healthcheck".into()),
                            _ => {}
                        }
                        if let Some(m) = &svc.network_mode {
                            lines.push(format!("network_mode {}", m.value));
                        }
                        if nets.len() > 1 {
                            lines.push(format!("also on {}", nets[1..].join(", ")));
                        }
                    }
                    // `build: https://user:token@git.example.com/repo.git`
                    let lines = lines
                        .iter()
                        .map(|l| crate::analysis::secrets::mask_urls(l))
                        .collect();
                    details.insert(n, lines);
                }
                NodeKind::Network => {}
                NodeKind::Volume | NodeKind::External => loose.push(n),
            }
        }
        // Findings: on an edge when they point at the text that made it; on a
        // service when they point at its key or its logical place is inside it.
        let mut node_codes: HashMap<NodeIndex, Codes> = HashMap::new();
        let mut edge_codes: HashMap<EdgeIndex, Codes> = HashMap::new();
        let mark = |codes: &mut Codes, f: &Finding| {
            let s = codes.entry(f.rule.code).or_insert(f.severity);
            *s = (*s).max(f.severity);
        };
        let edge_by_span: HashMap<_, Vec<EdgeIndex>> =
            graph.edge_references().fold(HashMap::new(), |mut m, e| {
                m.entry(e.weight().span).or_default().push(e.id());
                m
            });
        // A suppressed finding is not drawn.
        for f in findings.iter().filter(|f| f.suppressed.is_none()) {
            if let Some(edges) = edge_by_span.get(&f.primary) {
                for e in edges {
                    mark(edge_codes.entry(*e).or_default(), f);
                }
                continue;
            }
            let service = f
                .place
                .as_deref()
                .and_then(|pl| pl.strip_prefix("services."))
                .map(|rest| rest.split('.').next().unwrap_or(rest))
                .and_then(|name| g.service(name))
                .or_else(|| {
                    graph
                        .node_indices()
                        .find(|&n| graph[n].span == Some(f.primary))
                });
            if let Some(n) = service {
                mark(node_codes.entry(n).or_default(), f);
            }
        }
        View {
            g,
            ids,
            groups,
            loose,
            node_codes,
            edge_codes,
            details,
        }
    }

    fn name(&self, n: NodeIndex) -> &str {
        &self.g.graph[n].name
    }

    /// The drawn codes: `✖ SL101 SL201` for errors, then `⚠ SL207` for warnings;
    /// info codes are not drawn.
    fn codes(set: Option<&Codes>) -> String {
        let Some(set) = set else {
            return String::new();
        };
        let group = |level: Severity, mark: &str| {
            let codes: Vec<&str> = set
                .iter()
                .filter(|(_, s)| **s == level)
                .map(|(c, _)| *c)
                .collect();
            (!codes.is_empty()).then(|| format!("{mark} {}", codes.join(" ")))
        };
        [group(Severity::Error, "✖"), group(Severity::Warning, "⚠")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// How a node or edge is marked: its worst drawn severity (info is not drawn).
    fn level(set: Option<&Codes>) -> Option<Severity> {
        set?.values()
            .copied()
            .max()
            .filter(|s| *s >= Severity::Warning)
    }

    /// The edges worth drawing: network membership is shown by grouping instead.
    fn drawn_edges(&self) -> Vec<EdgeIndex> {
        let mut v: Vec<EdgeIndex> = self
            .g
            .graph
            .edge_references()
            .filter(|e| !matches!(e.weight().kind, EdgeKind::Network { .. }))
            .map(|e| e.id())
            .collect();
        v.sort();
        v
    }

    fn edge_label(&self, e: EdgeIndex) -> String {
        let w = &self.g.graph[e];
        let mut label = w.kind.label();
        if let EdgeKind::Proxy { startup: true, .. } = w.kind {
            label.push_str(" (resolved at startup)");
        }
        let codes = Self::codes(self.edge_codes.get(&e));
        if !codes.is_empty() {
            label = format!("{codes} {label}");
        }
        label
    }
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// One project to draw: its name (the first compose file), model, graph and findings.
pub type Part<'a> = (&'a str, &'a Project, &'a StackGraph, &'a [Finding]);

/// The views of `parts`; with more than one, node ids are prefixed by the project's
/// index so that two projects' `svc_web` stay two nodes.
fn views<'a>(parts: &[Part<'a>]) -> Vec<View<'a>> {
    let many = parts.len() > 1;
    parts
        .iter()
        .enumerate()
        .map(|(i, (_, p, g, findings))| {
            let mut v = View::new(p, g, findings);
            if many {
                for id in v.ids.values_mut() {
                    *id = format!("p{i}_{id}");
                }
            }
            v
        })
        .collect()
}

pub fn mermaid(p: &Project, g: &StackGraph, findings: &[Finding]) -> String {
    mermaid_all(&[("", p, g, findings)])
}

/// One Mermaid flowchart of every project: a `subgraph` a project when there are
/// several (link styles count the links of the whole chart).
pub fn mermaid_all(parts: &[Part<'_>]) -> String {
    let views = views(parts);
    let many = parts.len() > 1;
    let mut out = String::from("flowchart LR\n");
    for (i, ((name, _, g, _), v)) in parts.iter().zip(&views).enumerate() {
        let graph = &g.graph;
        let pad = if many { "  " } else { "" };
        if many {
            let _ = writeln!(out, "  subgraph p{i}[\"project: {}\"]", mermaid_text(name));
        }
        let node_line = |n: NodeIndex| -> String {
            let id = &v.ids[&n];
            let mut lines = vec![format!("<b>{}</b>", mermaid_text(v.name(n)))];
            lines.extend(
                v.details
                    .get(&n)
                    .into_iter()
                    .flatten()
                    .map(|l| mermaid_text(l)),
            );
            let codes = View::codes(v.node_codes.get(&n));
            if !codes.is_empty() {
                lines.push(codes);
            }
            let label = lines.join("<br/>");
            match graph[n].kind {
                NodeKind::Service => format!("{id}[\"{label}\"]"),
                NodeKind::Volume => format!("{id}[(\"{label}\")]"),
                NodeKind::External => format!("{id}([\"{label}\"])"),
                NodeKind::Network => format!("{id}{{{{\"{label}\"}}}}"),
            }
        };
        let net_prefix = if many {
            format!("p{i}_")
        } else {
            String::new()
        };
        for (net, members) in &v.groups {
            let _ = writeln!(
                out,
                "{pad}  subgraph {net_prefix}net_{}[\"network: {}\"]",
                sanitize(net),
                mermaid_text(net)
            );
            for &n in members {
                let _ = writeln!(out, "{pad}    {}", node_line(n));
            }
            let _ = writeln!(out, "{pad}  end");
        }
        for &n in &v.loose {
            let _ = writeln!(out, "{pad}  {}", node_line(n));
        }
        for e in v.drawn_edges() {
            let Some((a, b)) = graph.edge_endpoints(e) else {
                continue;
            };
            let arrow = match graph[e].kind {
                EdgeKind::Proxy { .. } => "==>",
                EdgeKind::Mount { .. } | EdgeKind::Extends => "-.->",
                _ => "-->",
            };
            let _ = writeln!(
                out,
                "{pad}  {} {arrow}|\"{}\"| {}",
                v.ids[&a],
                mermaid_text(&v.edge_label(e)),
                v.ids[&b]
            );
        }
        if many {
            out.push_str("  end\n");
        }
    }
    for (level, class, width) in [
        (Severity::Error, "error", 3),
        (Severity::Warning, "warning", 2),
    ] {
        let (stroke, text) = colours(level);
        let _ = writeln!(
            out,
            "  classDef {class} stroke:{stroke},stroke-width:{width}px,color:{text}"
        );
        let marked: Vec<&str> = parts
            .iter()
            .zip(&views)
            .flat_map(|((_, _, g, _), v)| {
                g.graph
                    .node_indices()
                    .filter(|n| View::level(v.node_codes.get(n)) == Some(level))
                    .map(|n| v.ids[&n].as_str())
            })
            .collect();
        if !marked.is_empty() {
            let _ = writeln!(out, "  class {} {class}", marked.join(","));
        }
    }
    // A link's style names it by its place among every link of the chart.
    let mut i = 0;
    for v in &views {
        for e in v.drawn_edges() {
            if let Some(level) = View::level(v.edge_codes.get(&e)) {
                let (stroke, _) = colours(level);
                let width = if level == Severity::Error { 3 } else { 2 };
                let _ = writeln!(
                    out,
                    "  linkStyle {i} stroke:{stroke},stroke-width:{width}px"
                );
            }
            i += 1;
        }
    }
    out
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(p: &Project, g: &StackGraph, findings: &[Finding]) -> String {
    dot_all(&[("", p, g, findings)])
}

/// One DOT digraph of every project: a cluster a project when there are several.
pub fn dot_all(parts: &[Part<'_>]) -> String {
    let views = views(parts);
    let many = parts.len() > 1;
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  fontname=\"Helvetica\";\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        if many { "stacks" } else { "stack" }
    );
    for (i, ((name, _, g, _), v)) in parts.iter().zip(&views).enumerate() {
        let graph = &g.graph;
        let pad = if many { "  " } else { "" };
        if many {
            let _ = writeln!(
                out,
                "  subgraph cluster_p{i} {{\n    label=\"project: {}\";\n    style=\"rounded\";\n    color=\"#445566\";",
                dot_text(name)
            );
        }
        let node_line = |n: NodeIndex| -> String {
            let id = &v.ids[&n];
            let mut lines = vec![v.name(n).to_string()];
            lines.extend(v.details.get(&n).into_iter().flatten().cloned());
            let codes = View::codes(v.node_codes.get(&n));
            if !codes.is_empty() {
                lines.push(codes);
            }
            let label = lines
                .iter()
                .map(|l| dot_text(l))
                .collect::<Vec<_>>()
                .join("\\n");
            let shape = match graph[n].kind {
                NodeKind::Service => "shape=box, style=\"rounded,filled\", fillcolor=\"#eef4ff\"",
                NodeKind::Volume => "shape=cylinder, style=filled, fillcolor=\"#f4f4f4\"",
                NodeKind::External => "shape=ellipse, style=dashed",
                NodeKind::Network => "shape=hexagon",
            };
            let mark = match View::level(v.node_codes.get(&n)) {
                Some(level) => {
                    let (stroke, text) = colours(level);
                    format!(", color=\"{stroke}\", penwidth=2.5, fontcolor=\"{text}\"")
                }
                None => String::new(),
            };
            format!("{id} [label=\"{label}\", {shape}{mark}];")
        };
        let net_prefix = if many {
            format!("p{i}_")
        } else {
            String::new()
        };
        for (net, members) in &v.groups {
            let _ = writeln!(
                out,
                "{pad}  subgraph cluster_{net_prefix}{} {{\n{pad}    label=\"network: {}\";\n{pad}    style=\"rounded,dashed\";\n{pad}    color=\"#8899aa\";",
                sanitize(net),
                dot_text(net)
            );
            for &n in members {
                let _ = writeln!(out, "{pad}    {}", node_line(n));
            }
            let _ = writeln!(out, "{pad}  }}");
        }
        for &n in &v.loose {
            let _ = writeln!(out, "{pad}  {}", node_line(n));
        }
        for e in v.drawn_edges() {
            let Some((a, b)) = graph.edge_endpoints(e) else {
                continue;
            };
            let style = match graph[e].kind {
                EdgeKind::Proxy { .. } => "color=\"#1f5fbf\", penwidth=2",
                EdgeKind::Mount { .. } => "style=dotted, arrowhead=none",
                EdgeKind::Extends => "style=dashed",
                _ => "",
            };
            let level = View::level(v.edge_codes.get(&e));
            // A marked edge is drawn in its severity's colour instead of its kind's.
            let style = if level.is_some() && matches!(graph[e].kind, EdgeKind::Proxy { .. }) {
                ""
            } else {
                style
            };
            let mark = match level {
                Some(level) => {
                    let (stroke, text) = colours(level);
                    format!(", color=\"{stroke}\", fontcolor=\"{text}\", penwidth=2.5")
                }
                None => String::new(),
            };
            let sep = if style.is_empty() { "" } else { ", " };
            let _ = writeln!(
                out,
                "{pad}  {} -> {} [label=\"{}\"{sep}{style}{mark}];",
                v.ids[&a],
                v.ids[&b],
                dot_text(&v.edge_label(e))
            );
        }
        if many {
            out.push_str("  }\n");
        }
    }
    out.push_str("}\n");
    out
}

pub fn json(p: &Project, g: &StackGraph, findings: &[Finding]) -> Value {
    let v = View::new(p, g, findings);
    let graph = &g.graph;
    let nodes: Vec<Value> = graph
        .node_indices()
        .map(|n| {
            json!({
                "id": v.ids[&n],
                "kind": graph[n].kind,
                "name": graph[n].name,
                "networks": if graph[n].kind == NodeKind::Service { g.networks_of(n) } else { Vec::new() },
                "details": v.details.get(&n).cloned().unwrap_or_default(),
                "findings": v.node_codes.get(&n).map(|s| s.keys().copied().collect::<Vec<_>>()).unwrap_or_default(),
                "level": v.node_codes.get(&n).and_then(|s| s.values().copied().max()),
            })
        })
        .collect();
    let edges: Vec<Value> = graph
        .edge_references()
        .map(|e| {
            let mut obj = json!({
                "from": v.ids[&e.source()],
                "to": v.ids[&e.target()],
                "label": e.weight().kind.label(),
                "findings": v.edge_codes.get(&e.id()).map(|s| s.keys().copied().collect::<Vec<_>>()).unwrap_or_default(),
                "level": v.edge_codes.get(&e.id()).and_then(|s| s.values().copied().max()),
            });
            if let (Value::Object(o), Ok(Value::Object(k))) = (&mut obj, serde_json::to_value(&e.weight().kind)) {
                o.extend(k);
            }
            obj
        })
        .collect();
    json!({"nodes": nodes, "edges": edges})
}
