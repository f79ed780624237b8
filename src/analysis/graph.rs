//! The stack as a dependency graph (petgraph): services, networks, volumes and the
//! external hosts a proxy forwards to, with an edge for every relation the compose
//! files and NGINX configs write down, each with the span of the text that made it.
//! One graph per project, built once, shared by the rules and `stacklint graph`.

use std::collections::VecDeque;

use compact_str::CompactString;
use foldhash::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::analysis::nginx::{self, Resolution, StackNames};
use crate::compose::model::{MountKind, Service};
use crate::compose::stack::Project;
use crate::parse::yaml::{Kind, NodeRef};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    Service,
    Network,
    Volume,
    /// A host outside the stack that a proxy forwards to (`api.example.com`).
    External,
}

/// Each kind's nodes by name: a lookup takes the `&str` it is given, where a
/// `(kind, String)` key cost an allocation per lookup (rules look up every
/// service). One map per kind, named, so that a new kind cannot go without one.
#[derive(Debug, Default)]
struct Index {
    service: HashMap<String, NodeIndex>,
    network: HashMap<String, NodeIndex>,
    volume: HashMap<String, NodeIndex>,
    external: HashMap<String, NodeIndex>,
}

impl Index {
    fn of(&self, kind: NodeKind) -> &HashMap<String, NodeIndex> {
        match kind {
            NodeKind::Service => &self.service,
            NodeKind::Network => &self.network,
            NodeKind::Volume => &self.volume,
            NodeKind::External => &self.external,
        }
    }

    fn of_mut(&mut self, kind: NodeKind) -> &mut HashMap<String, NodeIndex> {
        match kind {
            NodeKind::Service => &mut self.service,
            NodeKind::Network => &mut self.network,
            NodeKind::Volume => &mut self.volume,
            NodeKind::External => &mut self.external,
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct GNode {
    pub kind: NodeKind,
    pub name: String,
    /// Where it is declared (the service's or resource's key), when it is.
    #[serde(skip)]
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum EdgeKind {
    /// `depends_on`, with its condition (`service_started` when not written).
    DependsOn {
        condition: CompactString,
        required: bool,
        restart: bool,
    },
    Link,
    /// `network_mode: service:x`: runs in x's network namespace.
    NetworkMode,
    VolumesFrom,
    Extends,
    /// Membership of a network (implicit `default` included), with its aliases.
    Network {
        aliases: Vec<String>,
    },
    /// `network_mode: host` or `none`, pointing at a pseudo network of that name.
    NetworkModeHost,
    /// A named volume mounted at `target`.
    Mount {
        target: String,
        read_only: bool,
    },
    /// An NGINX `*_pass` / upstream server forwarding to this service or host.
    Proxy {
        directive: String,
        port: Option<u16>,
        /// Resolved once at startup (a literal host) rather than per request.
        startup: bool,
        /// From a config mounted where nginx never reads it (SL203): the edge is
        /// what the proxy does once the mount is fixed.
        misplaced: bool,
    },
}

impl EdgeKind {
    /// Does this edge make the source start after the target (or share its lifetime)?
    pub fn orders_startup(&self) -> bool {
        matches!(
            self,
            EdgeKind::DependsOn { .. }
                | EdgeKind::Link
                | EdgeKind::NetworkMode
                | EdgeKind::VolumesFrom
        )
    }

    /// The short name shown on edges and in messages.
    pub fn label(&self) -> String {
        match self {
            EdgeKind::DependsOn { condition, .. } => match condition.as_str() {
                "service_started" => "depends_on".into(),
                "service_healthy" => "depends_on (healthy)".into(),
                "service_completed_successfully" => "depends_on (completed)".into(),
                other => format!("depends_on ({other})"),
            },
            EdgeKind::Link => "links".into(),
            EdgeKind::NetworkMode => "network_mode".into(),
            EdgeKind::VolumesFrom => "volumes_from".into(),
            EdgeKind::Extends => "extends".into(),
            EdgeKind::Network { .. } => "network".into(),
            EdgeKind::NetworkModeHost => "network_mode".into(),
            EdgeKind::Mount { target, .. } => format!("mount {target}"),
            EdgeKind::Proxy {
                directive, port, ..
            } => {
                let d = if directive == "server" {
                    "upstream server"
                } else {
                    directive.as_str()
                };
                match port {
                    Some(p) => format!("{d} :{p}"),
                    None => d.to_string(),
                }
            }
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct GEdge {
    #[serde(flatten)]
    pub kind: EdgeKind,
    /// The text that creates the edge.
    #[serde(skip)]
    pub span: Span,
}

/// A reference to a service that does not exist (`depends_on: [dbb]`).
#[derive(Clone, Debug)]
pub struct Dangling {
    pub from: String,
    pub name: String,
    pub kind: EdgeKind,
    pub span: Span,
}

#[derive(Debug, Default)]
pub struct StackGraph {
    pub graph: DiGraph<GNode, GEdge>,
    /// Each kind's nodes by name.
    index: Index,
    /// References to services that the stack does not define.
    pub dangling: Vec<Dangling>,
    /// For each proxy service: the services compose starts before it, computed
    /// once when the graph is built (see [`StackGraph::start_order`]).
    started_before: HashMap<NodeIndex, Reach>,
}

/// What compose starts before one service: every service a chain of
/// start-ordering edges leads to, and the first edge of that chain.
#[derive(Debug, Default)]
struct Reach {
    /// Through `links`, `volumes_from`, `network_mode: service:` and required
    /// `depends_on` only: compose starts these first, or refuses to start.
    required: HashMap<NodeIndex, Span>,
    /// Only through a `depends_on` with `required: false`: started first when
    /// they are enabled, left out silently when they are not.
    optional: HashMap<NodeIndex, Span>,
    /// Direct `depends_on` with `restart: true`.
    restarts_with: HashMap<NodeIndex, Span>,
}

/// How compose orders the start of a proxy and a service it resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOrder {
    /// A chain of `depends_on` (any condition), `links`, `volumes_from` or
    /// `network_mode: service:` from the proxy to the target: compose starts
    /// the target's container first, so Docker's DNS knows its name. `via` is
    /// the chain's first edge; `restart` is a direct `depends_on` with
    /// `restart: true` (compose restarts the proxy when it recreates the target).
    After { via: Span, restart: Option<Span> },
    /// Ordered only through a `depends_on` with `required: false` (at `via`):
    /// the target starts first when it runs, but the proxy starts without it
    /// when it is not enabled.
    AfterIfPresent { via: Span },
    /// Nothing orders the two: compose may start the proxy first.
    Unordered,
}

/// Whether nginx can find the target's name when it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartupRisk {
    /// The target may not be running when nginx starts: nginx may exit with
    /// `host not found in upstream`. `absent` is the target's `profiles` when
    /// the proxy can run without it.
    Crash {
        order: StartOrder,
        absent: Option<Span>,
    },
    /// The target always starts first; nginx keeps its first address when the
    /// target is recreated. `via` is what orders them.
    Stale { via: Span },
    /// Started first, and compose restarts the proxy when it recreates the target.
    Restarted { restart: Span },
}

impl StartupRisk {
    pub fn is_crash(&self) -> bool {
        matches!(self, StartupRisk::Crash { .. })
    }
}

/// The target's `profiles`, when the proxy can run without the target: the
/// target has profiles and the proxy does not run only under some of them.
pub fn may_run_without(proxy: &Service, target: &Service) -> Option<Span> {
    let first = target.profiles.first()?;
    let covered = !proxy.profiles.is_empty()
        && proxy
            .profiles
            .iter()
            .all(|p| target.profiles.iter().any(|t| t.value == p.value));
    if covered {
        return None;
    }
    let last = target.profiles.last().unwrap_or(first);
    if last.span.file != first.span.file || last.span.end() < first.span.start() {
        return Some(first.span);
    }
    Some(Span::new(
        first.span.file,
        first.span.start(),
        last.span.end(),
    ))
}

impl StackGraph {
    pub fn node(&self, kind: NodeKind, name: &str) -> Option<NodeIndex> {
        self.index.of(kind).get(name).copied()
    }

    pub fn service(&self, name: &str) -> Option<NodeIndex> {
        self.node(NodeKind::Service, name)
    }

    /// How compose orders the start of proxy service `proxy` and service `target`.
    /// Known for services with NGINX proxy edges; `Unordered` for others.
    pub fn start_order(&self, proxy: &str, target: &str) -> StartOrder {
        let (Some(from), Some(to)) = (self.service(proxy), self.service(target)) else {
            return StartOrder::Unordered;
        };
        let Some(r) = self.started_before.get(&from) else {
            return StartOrder::Unordered;
        };
        if let Some(&via) = r.required.get(&to) {
            return StartOrder::After {
                via,
                restart: r.restarts_with.get(&to).copied(),
            };
        }
        match r.optional.get(&to) {
            Some(&via) => StartOrder::AfterIfPresent { via },
            None => StartOrder::Unordered,
        }
    }

    /// Whether the container of `target` is running when nginx in `proxy`
    /// resolves its name at startup, and what happens when it is recreated.
    pub fn startup_risk(&self, proxy: &Service, target: &Service) -> StartupRisk {
        let absent = may_run_without(proxy, target);
        match self.start_order(&proxy.name.value, &target.name.value) {
            StartOrder::After {
                restart: Some(restart),
                ..
            } => StartupRisk::Restarted { restart },
            StartOrder::After { via, .. } => StartupRisk::Stale { via },
            StartOrder::AfterIfPresent { via } if absent.is_none() => StartupRisk::Stale { via },
            order => StartupRisk::Crash { order, absent },
        }
    }

    /// The services each proxy service starts after, by breadth-first search
    /// over the start-ordering edges: once per proxy.
    fn compute_start_order(&mut self) {
        let proxies: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&n| {
                self.graph
                    .edges(n)
                    .any(|e| matches!(e.weight().kind, EdgeKind::Proxy { .. }))
            })
            .collect();
        for from in proxies {
            let mut reach = Reach::default();
            for e in self.graph.edges(from) {
                if let EdgeKind::DependsOn { restart: true, .. } = e.weight().kind {
                    reach.restarts_with.insert(e.target(), e.weight().span);
                }
            }
            // Required edges first, then the rest: a node reached both ways is required.
            for pass_optional in [false, true] {
                let mut queue: VecDeque<(NodeIndex, Option<Span>)> = VecDeque::new();
                queue.push_back((from, None));
                let mut seen = std::collections::HashSet::new();
                seen.insert(from);
                while let Some((n, via)) = queue.pop_front() {
                    for e in self.graph.edges(n) {
                        let kind = &e.weight().kind;
                        if !kind.orders_startup() {
                            continue;
                        }
                        let optional = matches!(
                            kind,
                            EdgeKind::DependsOn {
                                required: false,
                                ..
                            }
                        );
                        if optional && !pass_optional {
                            continue;
                        }
                        let t = e.target();
                        if !seen.insert(t) {
                            continue;
                        }
                        let via = via.unwrap_or(e.weight().span);
                        if pass_optional {
                            if !reach.required.contains_key(&t) {
                                reach.optional.entry(t).or_insert(via);
                            }
                        } else {
                            reach.required.insert(t, via);
                        }
                        queue.push_back((t, Some(via)));
                    }
                }
            }
            self.started_before.insert(from, reach);
        }
    }

    fn ensure(&mut self, kind: NodeKind, name: &str, span: Option<Span>) -> NodeIndex {
        if let Some(&i) = self.index.of(kind).get(name) {
            if self.graph[i].span.is_none() {
                self.graph[i].span = span;
            }
            return i;
        }
        let i = self.graph.add_node(GNode {
            kind,
            name: name.to_string(),
            span,
        });
        self.index.of_mut(kind).insert(name.to_string(), i);
        i
    }

    /// An edge from service `from` to service `to`, or a dangling reference.
    fn service_edge(
        &mut self,
        from: NodeIndex,
        from_name: &str,
        to: &str,
        kind: EdgeKind,
        span: Span,
    ) {
        match self.service(to) {
            Some(t) => {
                self.graph.add_edge(from, t, GEdge { kind, span });
            }
            None => self.dangling.push(Dangling {
                from: from_name.to_string(),
                name: to.to_string(),
                kind,
                span,
            }),
        }
    }

    /// The networks a service is attached to (its own, or `default`), by name.
    /// In declaration order (petgraph lists a node's edges newest first).
    pub fn networks_of(&self, service: NodeIndex) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .graph
            .edges(service)
            .filter(|e| matches!(e.weight().kind, EdgeKind::Network { .. }))
            .map(|e| {
                self.graph[petgraph::visit::EdgeRef::target(&e)]
                    .name
                    .as_str()
            })
            .collect();
        v.reverse();
        v
    }

    /// Builds the graph of a project.
    pub fn build(p: &Project) -> StackGraph {
        Self::build_with(p, &nginx::analyze(p))
    }

    /// Builds the graph from the project and its NGINX analysis (done once per
    /// project and shared with the NGINX rules).
    pub fn build_with(p: &Project, nginx: &[nginx::Group<'_>]) -> StackGraph {
        let mut g = StackGraph::default();
        let services = &p.model.services;
        // Sized once for a node per service and resource and an edge or two per
        // service: grown by doubling, a large stack's were copied again and again.
        let resources = p.model.networks.len() + p.model.volumes.len();
        g.graph.reserve_nodes(services.len() + resources + 1);
        g.graph.reserve_edges(2 * services.len());
        g.index.service.reserve(services.len());
        for s in services {
            g.ensure(NodeKind::Service, &s.name.value, Some(s.name.span));
        }
        for n in &p.model.networks {
            g.ensure(NodeKind::Network, &n.name.value, Some(n.span));
        }
        for v in &p.model.volumes {
            g.ensure(NodeKind::Volume, &v.name.value, Some(v.span));
        }
        for s in services {
            let from = g.ensure(NodeKind::Service, &s.name.value, Some(s.name.span));
            add_service_edges(&mut g, p, s, from, p.service_node(&s.name.value));
        }
        add_proxy_edges(&mut g, p, nginx);
        g.compute_start_order();
        g
    }
}

/// `db:alias` → `db`.
fn link_target(link: &str) -> &str {
    link.split(':').next().unwrap_or(link)
}

/// `svc`, `svc:ro`, `service:svc` → `Some(svc)`; `container:name` → `None` (not a service).
fn volumes_from_target(v: &str) -> Option<&str> {
    if let Some(rest) = v.strip_prefix("container:") {
        let _ = rest;
        return None;
    }
    let v = v.strip_prefix("service:").unwrap_or(v);
    Some(v.split(':').next().unwrap_or(v))
}

fn add_service_edges(
    g: &mut StackGraph,
    p: &Project,
    s: &Service,
    from: NodeIndex,
    node: Option<NodeRef<'_>>,
) {
    let name = s.name.value.as_str();
    // One edge per dependency: a list can name one a million times.
    // (A single item needs no set.)
    let mut named = HashSet::default();
    for d in &s.depends_on {
        if s.depends_on.len() > 1 && !named.insert(d.service.value.as_str()) {
            continue;
        }
        let kind = EdgeKind::DependsOn {
            condition: d
                .condition
                .as_ref()
                .map_or(CompactString::const_new("service_started"), |c| {
                    c.value.clone()
                }),
            required: d.required,
            restart: d.restart,
        };
        g.service_edge(from, name, &d.service.value, kind, d.service.span);
    }
    for l in &s.links {
        g.service_edge(from, name, link_target(&l.value), EdgeKind::Link, l.span);
    }
    for v in &s.volumes_from {
        if let Some(t) = volumes_from_target(&v.value) {
            g.service_edge(from, name, t, EdgeKind::VolumesFrom, v.span);
        }
    }
    // extends: only a base in the same project (no `file:`) is a node of this graph.
    if let Some(ext) = node.and_then(|n| n.get("extends")) {
        let (base, span, other_file) = match ext.kind() {
            Kind::Scalar(sc) => (Some(sc.to_string()), ext.span(), false),
            Kind::Map(_) => (
                ext.get("service")
                    .and_then(NodeRef::as_str)
                    .map(str::to_string),
                ext.get("service").map(|n| n.span()).unwrap_or(ext.span()),
                ext.get("file").is_some(),
            ),
            _ => (None, ext.span(), false),
        };
        if let (Some(base), false) = (base, other_file) {
            g.service_edge(from, name, &base, EdgeKind::Extends, span);
        }
    }
    match s.network_mode.as_ref().map(|m| (m.value.as_str(), m.span)) {
        Some((mode, span)) if mode.starts_with("service:") => {
            let target = &mode["service:".len()..];
            g.service_edge(from, name, target, EdgeKind::NetworkMode, span);
        }
        Some((mode @ ("host" | "none"), span)) => {
            let n = g.ensure(NodeKind::Network, mode, None);
            g.graph.add_edge(
                from,
                n,
                GEdge {
                    kind: EdgeKind::NetworkModeHost,
                    span,
                },
            );
        }
        Some(_) => {}
        None => {
            if s.networks.is_empty() {
                // Compose attaches such a service to the project's `default` network.
                let n = g.ensure(NodeKind::Network, "default", None);
                g.graph.add_edge(
                    from,
                    n,
                    GEdge {
                        kind: EdgeKind::Network {
                            aliases: Vec::new(),
                        },
                        span: s.name.span,
                    },
                );
            }
            // One edge per network: a list can name one a million times.
            let mut attached = HashSet::default();
            for net in &s.networks {
                let n = g.ensure(NodeKind::Network, &net.name.value, None);
                if s.networks.len() > 1 && !attached.insert(n) {
                    continue;
                }
                g.graph.add_edge(
                    from,
                    n,
                    GEdge {
                        kind: EdgeKind::Network {
                            aliases: net.aliases.iter().map(|a| a.value.to_string()).collect(),
                        },
                        span: net.name.span,
                    },
                );
            }
        }
    }
    for m in &s.volumes {
        if m.kind != MountKind::Volume {
            continue;
        }
        let Some(src) = &m.source else { continue };
        // Only named volumes the project declares are nodes; an undeclared one is
        // SL107's finding, not a node.
        if let Some(v) = g.node(NodeKind::Volume, &src.value) {
            g.graph.add_edge(
                from,
                v,
                GEdge {
                    kind: EdgeKind::Mount {
                        target: m.target.value.to_string(),
                        read_only: m.read_only,
                    },
                    span: m.span,
                },
            );
        }
    }
    let _ = p;
}

/// Edges from each proxy service to the services (or external hosts) its NGINX
/// configs forward to.
fn add_proxy_edges(g: &mut StackGraph, p: &Project, nginx: &[nginx::Group<'_>]) {
    for group in nginx {
        let Some(proxy) = group.service else { continue };
        let Some(from) = g.service(&proxy.name.value) else {
            continue;
        };
        let names = StackNames::new(p, Some(proxy));
        for t in &group.targets {
            if t.upstream.is_some() || t.unix || t.secret {
                continue;
            }
            let Some(host) = t.host.as_deref() else {
                continue;
            };
            if nginx::is_localhost(host) {
                continue;
            }
            let kind = EdgeKind::Proxy {
                directive: t.kind.directive().to_string(),
                port: t.port,
                startup: t.resolution == Resolution::Startup,
                misplaced: t.misplaced,
            };
            let target = match names.get(host).and_then(|k| k.service) {
                Some(svc) => g.service(&svc.name.value),
                None if host.contains('.') && !nginx::is_ip(host) => {
                    Some(g.ensure(NodeKind::External, host, None))
                }
                None => None,
            };
            if let Some(to) = target {
                let exists = g
                    .graph
                    .edges_connecting(from, to)
                    .any(|e| e.weight().kind == kind);
                if !exists {
                    g.graph.add_edge(
                        from,
                        to,
                        GEdge {
                            kind,
                            span: t.arg.span,
                        },
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_forms() {
        assert_eq!(link_target("db:database"), "db");
        assert_eq!(volumes_from_target("data:ro"), Some("data"));
        assert_eq!(volumes_from_target("service:data"), Some("data"));
        assert_eq!(volumes_from_target("container:abc"), None);
    }
}
