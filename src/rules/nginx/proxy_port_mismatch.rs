//! SL205 `proxy-port-mismatch`: NGINX proxies to a stack service on a port it does not listen on.
//!
//! Evidence: the port of a `*_pass` or upstream `server` (written, or the
//! scheme's default: `http://app` is 80), and the ports the target service
//! listens on from `crate::analysis::ports::listening` (ports, expose, command flags,
//! environment, NGINX listen, Dockerfile, image defaults), together with the
//! services that share its network namespace. Fires only when that evidence
//! defines the ports the server binds (not only what it publishes), nothing
//! unreadable may add a port, and none of it is the proxied port.

use crate::analysis::nginx::{self, StackNames};
use crate::analysis::ports::PortEvidence;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ProxyPortMismatch;

pub static META: RuleMeta = RuleMeta {
    code: "SL205",
    name: "proxy-port-mismatch",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "NGINX proxies to a stack service on a port it does not listen on",
    fix: crate::finding::FixAvailability::None,
};

/// The most ports whose evidence a finding points at, and the most pieces of
/// evidence it points at; the message names every port.
const MAX_LABELLED_PORTS: usize = 8;
const MAX_LABELS: usize = 16;

/// What a target service listens on, with the services in its network namespace.
struct Listens<'a> {
    evidence: Vec<(PortEvidence, &'a str)>,
    /// Sorted, distinct.
    ports: Vec<u16>,
    ports_text: String,
    kinds: Vec<String>,
}

impl<'a> Listens<'a> {
    /// None when some service in the namespace may listen on ports nobody knows.
    fn of(cx: &Context<'a>, svc: &'a crate::compose::model::Service) -> Option<Listens<'a>> {
        let mut evidence: Vec<(PortEvidence, &str)> = Vec::new();
        for s in nginx::same_namespace(cx.project, svc) {
            let l = cx.analysis.listening(s);
            // Only evidence that defines the ports the server binds, with nothing
            // unreadable, says which ports it does not listen on; `ports` and
            // `expose` alone list what is published or documented. A service in
            // the namespace whose ports are not known may be the one listening.
            if !l.is_known() {
                return None;
            }
            evidence.extend(
                l.evidence
                    .iter()
                    .cloned()
                    .map(|e| (e, s.name.value.as_str())),
            );
        }
        let mut ports: Vec<u16> = evidence.iter().map(|(e, _)| e.port).collect();
        ports.sort_unstable();
        ports.dedup();
        let mut kinds: Vec<String> = Vec::new();
        for (e, _) in &evidence {
            let k = e.kind.to_string();
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        let ports_text = ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        Some(Listens {
            evidence,
            ports,
            ports_text,
            kinds,
        })
    }
}

impl Rule for ProxyPortMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let mut once = super::Once::default();
        let mut listens: std::collections::HashMap<&str, Option<Listens>> =
            std::collections::HashMap::new();
        for g in cx.nginx {
            let Some(proxy) = g.service else {
                continue;
            };
            let names = StackNames::new(p, Some(proxy));
            if names.host_network {
                continue;
            }
            for t in &g.targets {
                if t.upstream.is_some() || t.unix {
                    continue;
                }
                let (Some(host), Some(port)) = (t.host.as_deref(), t.port) else {
                    continue;
                };
                let Some(svc) = names.get(host).and_then(|k| k.service) else {
                    continue;
                };
                // A service in another's network namespace has no address of its own.
                if svc.network_mode.is_some() {
                    continue;
                }
                // Once per target service: a proxy of many locations asks again
                // and again, and a service can listen on a thousand ports.
                let facts = listens
                    .entry(svc.name.value.as_str())
                    .or_insert_with(|| Listens::of(cx, svc));
                let Some(facts) = facts.as_ref() else {
                    continue;
                };
                if facts.ports.binary_search(&port).is_ok() {
                    continue;
                }
                let Listens {
                    evidence,
                    ports,
                    ports_text,
                    kinds,
                } = facts;
                let name = &svc.name.value;
                let shown = t.host_text.clone().unwrap_or_else(|| host.to_string());
                let how = if t.port_written {
                    format!("port {port}")
                } else {
                    format!(
                        "port {port} (the default of `{}`)",
                        t.scheme.as_deref().unwrap_or("server")
                    )
                };
                let mut f = Finding::new(
                    &META,
                    t.arg.span,
                    format!(
                        "{}nginx sends requests to `{shown}` on {how}, but `{name}` listens on {ports_text} ({})",
                        super::misplaced_prefix(t),
                        kinds.join(", ")
                    ),
                )
                .label(format!("port {port}"))
                .place(super::place(t));
                for d in &t.sets {
                    f = f.related(
                        d.span,
                        format!("`{}` gets its value here", nginx::assigned_var(d)),
                    );
                }
                // The evidence of a few ports at most: the message names them all.
                let mut labelled: Vec<u16> = Vec::new();
                for (e, owner) in evidence.iter().take(MAX_LABELS) {
                    if !labelled.contains(&e.port) {
                        if labelled.len() == MAX_LABELLED_PORTS {
                            continue;
                        }
                        labelled.push(e.port);
                    }
                    let label = if owner == name {
                        format!("`{name}` listens on {} ({})", e.port, e.kind)
                    } else {
                        format!(
                            "`{owner}` (in `{name}`'s network namespace) listens on {} ({})",
                            e.port, e.kind
                        )
                    };
                    let span = e.span.or_else(|| {
                        p.model
                            .service(owner)
                            .and_then(|s| s.image.as_ref())
                            .map(|i| i.span)
                    });
                    if let Some(span) = span {
                        f = f.related(span, label);
                    }
                }
                let published = svc
                    .ports
                    .iter()
                    .any(|pt| pt.published.as_ref().is_some_and(|r| r.contains(port)));
                let mut help = if ports.len() == 1 {
                    format!("send requests to port {ports_text} (`{shown}:{ports_text}`)")
                } else {
                    format!("send requests to one of the ports {ports_text}")
                };
                if published {
                    help.push_str(&format!(
                        "; {port} is the port published on the host, containers reach `{name}` on its container port"
                    ));
                }
                once.push(out, f.help(help));
            }
        }
    }
}
