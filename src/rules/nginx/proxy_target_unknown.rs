//! SL204 `proxy-target-unknown`: NGINX proxies to a host that is not a service of the stack.
//!
//! Evidence: the host of a `*_pass` or upstream `server` (literal, or the value
//! a `set` gives its variable), and every name the stack gives its containers:
//! service names, network aliases, `container_name`, `hostname`, `links` and
//! `external_links` of the proxy, its `extra_hosts`. Silent when the proxy
//! joins an external network or another network namespace (names from outside
//! the stack may resolve there), and for IPs, `localhost`, dotted names and
//! upstream block names.

use crate::analysis::nginx::{self, is_localhost, StackNames};
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ProxyTargetUnknown;

pub static META: RuleMeta = RuleMeta {
    code: "SL204",
    name: "proxy-target-unknown",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "NGINX proxies to a host that is not a service of the stack",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for ProxyTargetUnknown {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let mut once = super::Once::default();
        for g in cx.nginx {
            let Some(proxy) = g.service else {
                continue;
            };
            let names = StackNames::new(p, Some(proxy));
            if names.open_world {
                continue;
            }
            for t in &g.targets {
                if t.upstream.is_some() || !t.is_hostname() {
                    continue;
                }
                let Some(host) = t.host.as_deref() else {
                    continue;
                };
                if is_localhost(host)
                    || !nginx::may_be_host(g, t)
                    || host.contains('.')
                    || names.extra_hosts.contains(host)
                    || names.get(host).is_some()
                    || names.is_default_container_name(host)
                {
                    continue;
                }
                let shown = t.host_text.clone().unwrap_or_else(|| host.to_string());
                let services = names.service_names();
                let nearest = names.nearest(host);
                let help = match nearest {
                    Some(n) => format!("did you mean `{n}`? (services: {})", list(&services)),
                    None => format!("the services of this stack are {}", list(&services)),
                };
                let effect = if t.resolution == nginx::Resolution::Runtime {
                    format!("requests fail with 502 (`{shown} could not be resolved`)")
                } else {
                    format!(
                        "nginx refuses to start (`host not found in upstream \"{}\"`)",
                        t.nginx_upstream_name()
                    )
                };
                let mut f = Finding::new(
                    &META,
                    t.arg.span,
                    format!(
                        "{}nginx sends requests to `{shown}`, which is not a service, network alias, container_name or hostname of this stack: the name does not resolve, so {effect}",
                        super::misplaced_prefix(t)
                    ),
                )
                .label("unknown host")
                .place(super::place(t))
                .help(help);
                for d in &t.sets {
                    f = f.related(
                        d.span,
                        format!("`{}` gets its value here", nginx::assigned_var(d)),
                    );
                }
                match nearest.and_then(|n| names.get(n)) {
                    Some(k) => {
                        f = f.related(
                            k.span,
                            format!(
                                "the nearest name: {} `{}`",
                                k.kind,
                                p.sources.get(k.span.file).slice(&k.span)
                            ),
                        );
                    }
                    None => {
                        f = f.related(
                            proxy.name.span,
                            format!(
                                "nginx runs in `{}`, which reaches only this stack's containers",
                                proxy.name.value
                            ),
                        );
                    }
                }
                once.push(out, f);
            }
        }
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
