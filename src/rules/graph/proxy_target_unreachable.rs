//! SL206 `proxy-target-unreachable`: the proxy forwards to a service it shares no network with.

use std::collections::BTreeSet;

use petgraph::visit::EdgeRef;

use crate::analysis::graph::{EdgeKind, StackGraph};
use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ProxyTargetUnreachable;

pub static META: RuleMeta = RuleMeta {
    code: "SL206",
    name: "proxy-target-unreachable",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "An NGINX proxy forwards to a stack service with which it shares no network",
    fix: crate::finding::FixAvailability::None,
};

/// Where a service's network namespace comes from.
enum Netns<'a> {
    /// Attached to these networks.
    Networks(BTreeSet<&'a str>),
    /// `network_mode: host` or `none`: no stack network, no stack DNS.
    Special(&'a str),
    /// Anything we cannot see through (`container:...`, a chain we cannot follow).
    Unknown,
}

fn netns<'a>(p: &'a Project, g: &'a StackGraph, svc: &'a Service, depth: usize) -> Netns<'a> {
    match svc.network_mode.as_ref().map(|m| m.value.as_str()) {
        Some(mode @ ("host" | "none")) => Netns::Special(mode),
        Some(mode) => match mode
            .strip_prefix("service:")
            .and_then(|s| p.model.service(s))
        {
            Some(other) if depth < 8 => netns(p, g, other, depth + 1),
            _ => Netns::Unknown,
        },
        None => match g.service(&svc.name.value) {
            Some(n) => Netns::Networks(g.networks_of(n).into_iter().collect()),
            None => Netns::Unknown,
        },
    }
}

impl Rule for ProxyTargetUnreachable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let g = cx.graph;
        for e in g.graph.edge_references() {
            let EdgeKind::Proxy { directive, .. } = &e.weight().kind else {
                continue;
            };
            let (Some(proxy), Some(target)) = (
                p.model.service(&g.graph[e.source()].name),
                p.model.service(&g.graph[e.target()].name),
            ) else {
                continue;
            };
            if proxy.name.value == target.name.value {
                continue;
            }
            let (pn, tn) = (netns(p, g, proxy, 0), netns(p, g, target, 0));
            let describe = |n: &Netns<'_>| match n {
                Netns::Networks(set) => format!(
                    "is on {}",
                    set.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Netns::Special(mode) => format!("runs with `network_mode: {mode}`"),
                Netns::Unknown => String::new(),
            };
            let labels = [describe(&pn), describe(&tn)];
            let why = match (pn, tn) {
                (Netns::Unknown, _) | (_, Netns::Unknown) => continue,
                // Sharing one namespace (`network_mode: service:`) reaches everything.
                (Netns::Special("none"), _) => format!("`{}` runs with `network_mode: none`", proxy.name.value),
                (Netns::Special(_), _) => format!(
                    "`{}` runs with `network_mode: host`, where the stack's service names do not resolve",
                    proxy.name.value
                ),
                (_, Netns::Special(mode)) => format!(
                    "`{}` runs with `network_mode: {mode}`, outside every stack network",
                    target.name.value
                ),
                (Netns::Networks(a), Netns::Networks(b)) => {
                    if !a.is_disjoint(&b) || a.is_empty() || b.is_empty() {
                        continue;
                    }
                    let list = |s: &BTreeSet<&str>| s.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                    format!(
                        "they share no network (`{}` is on {}, `{}` on {})",
                        proxy.name.value,
                        list(&a),
                        target.name.value,
                        list(&b)
                    )
                }
            };
            let mut f = Finding::new(
                &META,
                e.weight().span,
                format!(
                    "`{}` forwards to `{}` with `{directive}`, but {why}: the name does not resolve and every request fails",
                    proxy.name.value, target.name.value
                ),
            )
            .label(format!("`{}` is not reachable from here", target.name.value))
            .help(format!(
                "attach `{}` and `{}` to a common network",
                proxy.name.value, target.name.value
            ))
            .place(format!("services.{}.proxy.{}", proxy.name.value, target.name.value));
            for (svc, label) in [proxy, target].into_iter().zip(labels) {
                f = f.related(svc.name.span, format!("`{}` {label}", svc.name.value));
            }
            out.push(f);
        }
    }
}
