//! SL207 `proxy-starts-before-target`: the proxy resolves a target at startup and nothing starts the target first.
//!
//! Docker's DNS knows a container's name as soon as the container has started,
//! healthy or not. So any chain of `depends_on` (whatever its condition),
//! `links`, `volumes_from` or `network_mode: service:` from the proxy to the
//! target is enough; the rule fires only when there is none, and compose may
//! start nginx first. The same startup crash is what SL201 / SL202 report when
//! no resolver makes nginx resolve the name per request: the findings are
//! merged into one (`scope::STARTUP_CRASH`).

use petgraph::visit::EdgeRef;

use crate::analysis::graph::{may_run_without, EdgeKind, StartOrder};
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ProxyStartsBeforeTarget;

pub static META: RuleMeta = RuleMeta {
    code: "SL207",
    name: "proxy-starts-before-target",
    severity: Severity::Error,
    category: Category::Correctness,
    summary:
        "The proxy resolves a target at startup but nothing makes compose start the target first",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for ProxyStartsBeforeTarget {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
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
                crate::rules::nginx::MISPLACED_PREFIX
            } else {
                ""
            };
            let (proxy, target) = (&g[e.source()].name, &g[e.target()].name);
            if proxy == target || !seen.insert((e.source(), e.target())) {
                continue;
            }
            let (Some(proxy_svc), Some(target_svc)) =
                (p.model.service(proxy), p.model.service(target))
            else {
                continue;
            };
            if cx.graph.start_order(proxy, target) != StartOrder::Unordered {
                continue;
            }
            let absent = may_run_without(proxy_svc, target_svc);
            let why = match absent {
                Some(_) => format!(
                    "nothing makes `{proxy}` start after `{target}`, which runs only under its profiles"
                ),
                None => format!("nothing makes `{proxy}` start after `{target}`"),
            };
            let mut f = Finding::new(
                &META,
                e.weight().span,
                format!(
                    "{prefix}`{proxy}` resolves `{target}` once, at startup, but {why}: no `depends_on` leads from one to the other, so on `docker compose up` nginx can start first and exit with `host not found in upstream`"
                ),
            )
            .label("resolved at startup")
            .incident(crate::analysis::nginx::STARTUP_CRASH)
            .help(match absent {
                Some(_) => format!(
                    "resolve at runtime, with a `resolver` and a variable in `proxy_pass`: then only the requests for `{target}` fail while it does not run"
                ),
                None => format!(
                    "add `depends_on: [{target}]` to `{proxy}` (Docker's DNS knows the name once the container has started, healthy or not), or resolve at runtime with a `resolver` and a variable in `proxy_pass`"
                ),
            })
            .place(format!("services.{proxy}.depends_on.{target}"))
            .related(
                proxy_svc.name.span,
                format!("no `depends_on` path leads from `{proxy}` to `{target}`"),
            )
            .related(target_svc.name.span, "the service nginx resolves at startup");
            if let Some(span) = absent {
                f = f.related(
                    span,
                    format!("`{target}` runs only when one of these profiles is active"),
                );
            }
            out.push(f);
        }
    }
}
