//! The names a proxy may resolve: services, their aliases and hostnames, and
//! external hosts, as the stack knows them.

use super::*;

/// How a name is known to the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Service,
    Alias,
    ContainerName,
    Hostname,
    Link,
    ExternalLink,
}

impl std::fmt::Display for NameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameKind::Service => "service",
            NameKind::Alias => "network alias",
            NameKind::ContainerName => "container_name",
            NameKind::Hostname => "hostname",
            NameKind::Link => "link alias",
            NameKind::ExternalLink => "external link",
        })
    }
}

/// A name the stack gives a container.
#[derive(Clone, Debug)]
pub struct Known<'a> {
    /// The service behind it (`None` for an external link).
    pub service: Option<&'a Service>,
    pub kind: NameKind,
    pub span: Span,
}

/// The names containers of the stack answer to, as seen from one proxy service.
pub struct StackNames<'a> {
    names: HashMap<String, Known<'a>>,
    /// `extra_hosts` of the proxy: /etc/hosts entries, resolved at startup.
    pub extra_hosts: HashSet<String>,
    /// The proxy reaches networks (or a network namespace) the stack does not
    /// describe: a name not in the stack may still resolve.
    pub open_world: bool,
    /// `network_mode: host`: service names do not resolve at all.
    pub host_network: bool,
}

impl<'a> StackNames<'a> {
    pub fn new(p: &'a Project, proxy: Option<&'a Service>) -> Self {
        let mut names: HashMap<String, Known<'a>> = HashMap::new();
        let mut add = |name: &str, known: Known<'a>| {
            names.entry(name.to_ascii_lowercase()).or_insert(known);
        };
        for svc in &p.model.services {
            add(
                &svc.name.value,
                Known {
                    service: Some(svc),
                    kind: NameKind::Service,
                    span: svc.name.span,
                },
            );
        }
        for svc in &p.model.services {
            for net in &svc.networks {
                for a in &net.aliases {
                    add(
                        &a.value,
                        Known {
                            service: Some(svc),
                            kind: NameKind::Alias,
                            span: a.span,
                        },
                    );
                }
            }
            for (field, kind) in [
                (&svc.uncommon().container_name, NameKind::ContainerName),
                (&svc.uncommon().hostname, NameKind::Hostname),
            ] {
                if let Some(n) = field {
                    add(
                        &n.value,
                        Known {
                            service: Some(svc),
                            kind,
                            span: n.span,
                        },
                    );
                }
            }
        }
        let mut extra_hosts = HashSet::new();
        let mut open_world = false;
        let mut host_network = false;
        if let Some(proxy) = proxy {
            // `links: [app:backend]`: `backend` reaches app from the proxy.
            for l in &proxy.links {
                let (svc, alias) = match l.value.split_once(':') {
                    Some((s, a)) => (s, a),
                    None => (l.value.as_str(), l.value.as_str()),
                };
                if let Some(target) = p.model.service(svc) {
                    add(
                        alias,
                        Known {
                            service: Some(target),
                            kind: NameKind::Link,
                            span: l.span,
                        },
                    );
                }
            }
            let node = p
                .root()
                .and_then(|t| t.get("services"))
                .and_then(|s| s.get(&proxy.name.value));
            if let Some(node) = node {
                if let Some(hosts) = node.get("extra_hosts") {
                    extra_hosts.extend(hosts.keys().map(|k| k.to_ascii_lowercase()));
                }
                if let Some(ext) = node.get("external_links") {
                    for item in ext.as_seq().unwrap_or_default() {
                        if let Some(s) = item.as_str() {
                            let (c, alias) = s.split_once(':').unwrap_or((s, s));
                            for n in [c, alias] {
                                add(
                                    n,
                                    Known {
                                        service: None,
                                        kind: NameKind::ExternalLink,
                                        span: item.span(),
                                    },
                                );
                            }
                        }
                    }
                }
            }
            match proxy.network_mode.as_ref().map(|m| m.value.as_str()) {
                Some("host") => {
                    host_network = true;
                    open_world = true;
                }
                Some("none") | None => {}
                // Another container's namespace, or the default bridge: its DNS is not ours.
                Some(_) => open_world = true,
            }
            let external = |name: &str| p.model.network(name).is_some_and(|n| n.external);
            if proxy.networks.is_empty() {
                open_world |= external("default");
            } else {
                open_world |= proxy.networks.iter().any(|n| external(&n.name.value));
            }
        }
        StackNames {
            names,
            extra_hosts,
            open_world,
            host_network,
        }
    }

    pub fn get(&self, host: &str) -> Option<&Known<'a>> {
        self.names.get(&host.to_ascii_lowercase())
    }

    /// Every service name, sorted, for help texts.
    pub fn service_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .names
            .values()
            .filter(|k| k.kind == NameKind::Service)
            .filter_map(|k| k.service.map(|s| s.name.value.as_str()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Compose's own container names, `<project>-<service>-<n>` (v2) and
    /// `<project>_<service>_<n>` (v1), resolve too.
    pub fn is_default_container_name(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.service_names().iter().any(|s| {
            let svc = s.to_ascii_lowercase();
            ['-', '_'].iter().any(|&sep| {
                host.rsplit_once(sep).is_some_and(|(head, n)| {
                    !n.is_empty()
                        && n.chars().all(|c| c.is_ascii_digit())
                        && head
                            .strip_suffix(&svc)
                            .is_some_and(|proj| proj.ends_with(sep) && proj.len() > 1)
                })
            })
        })
    }

    /// The known name nearest to `host`, when it is close enough to be a typo.
    pub fn nearest(&self, host: &str) -> Option<&str> {
        let host = host.to_ascii_lowercase();
        crate::names::nearest(&host, self.names.keys().map(String::as_str))
    }
}

/// The services that answer for `svc`'s name: itself and those sharing its
/// network namespace (`network_mode: service:<svc>`).
pub fn same_namespace<'a>(p: &'a Project, svc: &'a Service) -> Vec<&'a Service> {
    let mut out = vec![svc];
    let own = format!("service:{}", svc.name.value);
    for other in &p.model.services {
        if other.network_mode.as_ref().is_some_and(|m| m.value == own) {
            out.push(other);
        }
    }
    out
}
