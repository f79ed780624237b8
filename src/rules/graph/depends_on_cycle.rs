//! SL104 `depends-on-cycle`: startup dependencies that form a cycle.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::analysis::graph::NodeKind;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct DependsOnCycle;

pub static META: RuleMeta = RuleMeta {
    code: "SL104",
    name: "depends-on-cycle",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "depends_on (or links, network_mode service:, volumes_from) forms a cycle",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for DependsOnCycle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let g = &cx.graph.graph;
        // The startup-ordering subgraph over services: (graph edge index) per edge.
        let mut sub: DiGraph<NodeIndex, EdgeIndex> = DiGraph::new();
        let mut map: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        for n in g.node_indices().filter(|&n| g[n].kind == NodeKind::Service) {
            map.insert(n, sub.add_node(n));
        }
        for e in g.edge_references() {
            if !e.weight().kind.orders_startup() {
                continue;
            }
            if let (Some(&a), Some(&b)) = (map.get(&e.source()), map.get(&e.target())) {
                sub.add_edge(a, b, e.id());
            }
        }
        for scc in petgraph::algo::tarjan_scc(&sub) {
            let members: HashSet<NodeIndex> = scc.iter().copied().collect();
            let self_loop = scc.len() == 1 && sub.find_edge(scc[0], scc[0]).is_some();
            if scc.len() < 2 && !self_loop {
                continue;
            }
            // Start at the alphabetically first service, so the report is stable.
            let Some(&start) = scc.iter().min_by_key(|&&n| &g[sub[n]].name) else {
                continue;
            };
            let Some(cycle) = find_cycle(&sub, start, &members) else {
                continue;
            };
            let names: Vec<&str> = cycle
                .iter()
                .map(|&e| {
                    g[sub[sub.edge_endpoints(e).map(|(a, _)| a).unwrap_or(start)]]
                        .name
                        .as_str()
                })
                .chain(std::iter::once(g[sub[start]].name.as_str()))
                .collect();
            let first = g[sub[cycle[0]]].span;
            let path = names.join(" → ");
            let mut f = Finding::new(
                &META,
                first,
                format!("startup dependency cycle: {path}; docker compose refuses to start the project"),
            )
            .label(format!("`{}` waits for `{}`", names[0], names.get(1).copied().unwrap_or(names[0])))
            .help("remove one of these dependencies; a service that only needs another at runtime can retry instead of waiting for it")
            .place(format!("services.{}.depends_on", names[0]));
            for (i, &e) in cycle.iter().enumerate().skip(1) {
                let ge = &g[sub[e]];
                f = f.related(
                    ge.span,
                    format!(
                        "`{}` waits for `{}` ({})",
                        names[i],
                        names[i + 1],
                        ge.kind.label()
                    ),
                );
            }
            out.push(f);
        }
    }
}

/// A cycle through `start` inside the component, as the edges that walk it.
fn find_cycle(
    g: &DiGraph<NodeIndex, EdgeIndex>,
    start: NodeIndex,
    members: &HashSet<NodeIndex>,
) -> Option<Vec<petgraph::graph::EdgeIndex>> {
    // Depth-first search with an explicit stack: (node, outgoing edges in order, next edge).
    let mut visited: HashSet<NodeIndex> = HashSet::new();
    let mut path: Vec<petgraph::graph::EdgeIndex> = Vec::new();
    let mut stack: Vec<(NodeIndex, Vec<petgraph::graph::EdgeIndex>, usize)> = Vec::new();
    let edges_of = |n: NodeIndex| -> Vec<petgraph::graph::EdgeIndex> {
        let mut v: Vec<_> = g
            .edges(n)
            .filter(|e| members.contains(&e.target()))
            .map(|e| e.id())
            .collect();
        // Stable order: by target name index, then edge index.
        v.sort();
        v
    };
    stack.push((start, edges_of(start), 0));
    visited.insert(start);
    while let Some((_, edges, next)) = stack.last_mut() {
        if *next >= edges.len() {
            stack.pop();
            path.pop();
            continue;
        }
        let e = edges[*next];
        *next += 1;
        let (_, to) = g.edge_endpoints(e)?;
        if to == start {
            path.push(e);
            return Some(path);
        }
        if visited.insert(to) {
            path.push(e);
            stack.push((to, edges_of(to), 0));
        }
    }
    None
}
