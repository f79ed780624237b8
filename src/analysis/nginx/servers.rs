//! The `server` blocks of a proxy's configs that the host can reach: those
//! listening on a port the proxy's service publishes.

use crate::compose::model::Service;
use crate::parse::nginx::Directive;

use super::Group;

/// A `server` block reachable from the host, and what it inherits.
pub struct PublicServer<'a> {
    pub block: &'a Directive,
    /// The `listen` directive that matches a published port.
    pub listen: &'a Directive,
    /// Whether that `listen` has `ssl` (or `quic`).
    pub tls: bool,
    /// The compose port entry that publishes it.
    pub published: crate::source::Span,
    /// The `add_header`s in effect in the server block itself: its own, or
    /// else those of the levels around it. `None` when an `include` at one of
    /// those levels may set others (unknown).
    pub headers: Option<Vec<&'a Directive>>,
}

/// The port of a `listen` directive (`80`, `443 ssl`, `0.0.0.0:8080`, `[::]:443`).
pub fn listen_port(d: &Directive) -> Option<u16> {
    let a = d.arg(0)?;
    if a.starts_with("unix:") {
        return None;
    }
    let port = match a.rsplit_once(':') {
        Some((_, p)) => p,
        None => a,
    };
    port.parse().ok()
}

fn published(svc: &Service, port: u16) -> Option<crate::source::Span> {
    svc.ports
        .iter()
        .find(|p| p.published.is_some() && p.target.start <= port && port <= p.target.end)
        .map(|p| p.span)
}

/// The reachable `server` blocks of the group's configs.
pub fn public_servers<'a>(g: &Group<'a>) -> Vec<PublicServer<'a>> {
    let Some(svc) = g.service else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for cfg in &g.configs {
        walk(&cfg.parsed.directives, Some(Vec::new()), svc, &mut out);
    }
    out
}

/// `around`: the `add_header`s in effect at this level (`None`: unknown).
fn walk<'a>(
    children: &'a [Directive],
    around: Option<Vec<&'a Directive>>,
    svc: &Service,
    out: &mut Vec<PublicServer<'a>>,
) {
    let own: Vec<&Directive> = children.iter().filter(|d| d.name == "add_header").collect();
    let unsure = children
        .iter()
        .any(|d| d.name == "include" || d.name == "add_header_inherit");
    let here = if unsure {
        None
    } else if own.is_empty() {
        around
    } else {
        Some(own)
    };
    for d in children {
        match (d.name.as_str(), d.is_block()) {
            ("http", true) => walk(d.children(), here.clone(), svc, out),
            ("server", true) => {
                let listen = d.children().iter().find_map(|l| {
                    let at = (l.name == "listen").then(|| listen_port(l)).flatten()?;
                    Some((l, published(svc, at)?))
                });
                let Some((listen, published)) = listen else {
                    continue;
                };
                let tls = listen
                    .arg_values()
                    .skip(1)
                    .any(|a| a == "ssl" || a == "quic");
                let own: Vec<&Directive> = d
                    .children()
                    .iter()
                    .filter(|c| c.name == "add_header")
                    .collect();
                let unsure = d
                    .children()
                    .iter()
                    .any(|c| c.name == "include" || c.name == "add_header_inherit");
                let headers = if unsure {
                    None
                } else if own.is_empty() {
                    here.clone()
                } else {
                    Some(own)
                };
                out.push(PublicServer {
                    block: d,
                    listen,
                    tls,
                    published,
                    headers,
                });
            }
            _ => {}
        }
    }
}
