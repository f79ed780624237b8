//! SL102 `internal-port-published`: a datastore or internal-only service publishes
//! a port on all host interfaces.

use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::finding::{Edit, Finding, Findings, Fix};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct InternalPortPublished;

pub static META: RuleMeta = RuleMeta {
    code: "SL102",
    name: "internal-port-published",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A datastore or internal-only service publishes a port on all host interfaces",
    fix: crate::finding::FixAvailability::Sometimes,
};

/// What makes an image internal: the kind of product it runs, if we know it.
pub fn internal_kind(image: &str) -> Option<&'static str> {
    crate::knowledge::known_image(image).and_then(|k| k.kind.as_deref())
}

fn only_internal_networks(p: &Project, svc: &Service) -> Option<Vec<crate::source::Span>> {
    if svc.networks.is_empty() || svc.network_mode.is_some() {
        return None;
    }
    let mut spans = Vec::new();
    for n in &svc.networks {
        let top = p.model.network(&n.name.value)?;
        if !top.internal {
            return None;
        }
        spans.push(top.span);
    }
    Some(spans)
}

/// The fix: the short-syntax entry bound to `127.0.0.1` (`"5432:5432"` becomes
/// `"127.0.0.1:5432:5432"`, `0.0.0.0:` becomes `127.0.0.1:`), quoted so YAML
/// reads it as a string. Unsafe: other hosts lose access. None for the long
/// syntax, entries with variables and IPv6 addresses.
fn loopback_fix(p: &Project, port: &crate::compose::model::Port) -> Option<Fix> {
    let written = p.sources.get(port.span.file).slice(&port.span);
    if written.contains(['\n', '{', '$', '[']) {
        return None;
    }
    let (quote, inner) = match written.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) if written.len() >= 2 && written.ends_with(q as char) => {
            (q as char, &written[1..written.len() - 1])
        }
        _ => ('"', written),
    };
    let bound = match &port.host_ip {
        Some(ip) if ip.contains(':') => return None,
        Some(ip) => format!("127.0.0.1{}", inner.strip_prefix(ip.as_str())?),
        // `5432` alone publishes a random host port: `127.0.0.1::5432`.
        None if !inner.contains(':') => format!("127.0.0.1::{inner}"),
        None => format!("127.0.0.1:{inner}"),
    };
    Some(Fix::unsafe_(
        "bind the published port to 127.0.0.1 (other hosts lose access)",
        vec![Edit {
            span: port.span,
            replacement: format!("{quote}{bound}{quote}"),
        }],
    ))
}

impl Rule for InternalPortPublished {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for svc in &p.model.services {
            if svc.ports.is_empty() || crate::compose::proxy::is_proxy(p, svc) {
                continue;
            }
            // What the service runs: its image, or the base of the image it builds.
            let software = crate::analysis::identity::software(p, svc);
            let base = software.as_ref().map(|(b, _)| b);
            let product = software.as_ref().and_then(|(_, k)| *k);
            // `[internal-port-published] extra-internal-images` adds to the built-in list.
            // (the service's own `image:` name counts too: it names what a build produces).
            let image = svc.image.as_ref();
            let configured = image
                .and_then(|i| {
                    cx.options
                        .extra_internal_image(&i.value)
                        .map(|e| (e, i.span))
                })
                .or_else(|| {
                    let b = base?;
                    cx.options
                        .extra_internal_image(&b.text)
                        .map(|e| (e, b.span))
                });
            let kind = product
                .and_then(|k| k.kind.as_deref())
                .or(configured.map(|_| "an internal service"));
            let internal_nets = if kind.is_none() {
                only_internal_networks(p, svc)
            } else {
                None
            };
            if kind.is_none() && internal_nets.is_none() {
                continue;
            }
            let name = &svc.name.value;
            for port in &svc.ports {
                if !port.on_all_interfaces() || port.uncertain() {
                    continue;
                }
                // A port that serves people (a management UI), not data.
                if product.is_some_and(|k| k.ui_ports.iter().any(|&ui| port.target.contains(ui))) {
                    continue;
                }
                let target = if port.target.start == port.target.end {
                    port.target.start.to_string()
                } else {
                    format!("{}-{}", port.target.start, port.target.end)
                };
                let host = match &port.published {
                    Some(h) if h.start == h.end => format!("host port {}", h.start),
                    Some(h) => format!("host ports {}-{}", h.start, h.end),
                    None => "a random host port".to_string(),
                };
                let why = match kind {
                    Some(k) => k.to_string(),
                    None => "attached only to internal networks".to_string(),
                };
                let mut f = Finding::new(
                    &META,
                    port.span,
                    format!(
                        "`{name}` ({why}) publishes port {target} on all host interfaces ({host})"
                    ),
                )
                .label("reachable from outside the host")
                .help(format!(
                    "bind it to the loopback interface (\"127.0.0.1:{}:{target}\") or drop the mapping: services of the stack reach it as {name}:{target}",
                    port.published.as_ref().map(|h| h.start).unwrap_or(port.target.start)
                ))
                .place(format!("services.{name}.ports"));
                if let Some(fix) = loopback_fix(p, port) {
                    f = f.fix(fix);
                }
                if let Some(k) = kind {
                    let what = |b: &crate::compose::base::Base| match b.origin {
                        crate::compose::base::Origin::Dockerfile => {
                            format!("built from `{}`, {k} image", b.text)
                        }
                        _ => format!("{k} image"),
                    };
                    f = match (configured, product.and_then(|k| k.kind.as_deref())) {
                        (Some((entry, span)), None) => f.related(
                            span,
                            format!("`{entry}` in extra-internal-images of the configuration"),
                        ),
                        _ => match base {
                            Some(b) => f.related(b.span, what(b)),
                            None => f,
                        },
                    };
                }
                for span in internal_nets.iter().flatten() {
                    f = f.related(*span, "an internal network");
                }
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(internal_kind("postgres:16-alpine"), Some("a database"));
        assert_eq!(internal_kind("docker.io/library/redis:7"), Some("a cache"));
        assert_eq!(
            internal_kind("bitnami/postgresql@sha256:abc"),
            Some("a database")
        );
        assert_eq!(
            internal_kind("mcr.microsoft.com/mssql/server:2022-latest"),
            Some("a database")
        );
        assert_eq!(internal_kind("registry:5000/team/redis"), Some("a cache"));
        assert_eq!(internal_kind("nginx"), None);
        assert_eq!(internal_kind("example/server"), None);
        assert_eq!(internal_kind("dpage/pgadmin4"), None);
        assert_eq!(internal_kind("redis-commander"), None);
    }
}
