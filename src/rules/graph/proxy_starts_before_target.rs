//! SL207 `proxy-starts-before-target`: the proxy resolves a target at startup but does not wait for it.

use petgraph::visit::EdgeRef;

use crate::finding::Finding;
use crate::graph::EdgeKind;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ProxyStartsBeforeTarget;

pub static META: RuleMeta = RuleMeta {
    code: "SL207",
    name: "proxy-starts-before-target",
    severity: Severity::Warning,
    category: Category::Correctness,
    summary: "The proxy resolves a target at startup but does not wait for it to be healthy",
};

impl Rule for ProxyStartsBeforeTarget {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let p = cx.project;
        let g = &cx.graph.graph;
        let mut seen = std::collections::HashSet::new();
        for e in g.edge_references() {
            let EdgeKind::Proxy {
                startup: true,
                misplaced,
                ..
            } = &e.weight().kind
            else {
                continue;
            };
            let prefix = if *misplaced {
                crate::rules::nginx::scope::MISPLACED_PREFIX
            } else {
                ""
            };
            let (proxy, target) = (&g[e.source()].name, &g[e.target()].name);
            if proxy == target || !seen.insert((e.source(), e.target())) {
                continue;
            }
            let Some(proxy_svc) = p.model.service(proxy) else {
                continue;
            };
            let dep = proxy_svc
                .depends_on
                .iter()
                .find(|d| &d.service.value == target);
            let (why, related) = match dep {
                Some(d) => match d.condition.as_ref() {
                    Some(c) if c.value == "service_healthy" => continue,
                    Some(c) => (
                        format!("its `depends_on` waits only for `{}`", c.value),
                        Some((c.span, "does not wait for a healthy target")),
                    ),
                    None => (
                        "its `depends_on` waits only until the container is started".to_string(),
                        Some((d.service.span, "started, not ready")),
                    ),
                },
                None => (
                    format!("it has no `depends_on: {target}`"),
                    Some((proxy_svc.name.span, "starts without waiting for its target")),
                ),
            };
            let mut f = Finding::new(
                &META,
                e.weight().span,
                format!(
                    "{prefix}`{proxy}` resolves `{target}` once, at startup, but {why}: on a cold start nginx can come up first and exit with `host not found in upstream`"
                ),
            )
            .label("resolved at startup")
            .help(format!(
                "add `depends_on: {{{target}: {{condition: service_healthy}}}}` to `{proxy}` (with a healthcheck on `{target}`), or resolve at runtime with a `resolver` and a variable in `proxy_pass`"
            ))
            .place(format!("services.{proxy}.depends_on.{target}"));
            if let Some((span, label)) = related {
                f = f.related(span, label);
            }
            if let Some(t) = p.model.service(target) {
                f = f.related(t.name.span, "the service nginx resolves at startup");
            }
            out.push(f);
        }
    }
}
