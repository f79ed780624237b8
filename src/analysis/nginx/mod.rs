//! What the NGINX rules share: where each loaded config sends requests
//! (`proxy_pass` and the other `*_pass` directives, `upstream` servers), how nginx
//! turns each address into an IP (once at startup, or per request with a
//! `resolver`), which `resolver` is in scope following nginx's inheritance
//! (http > server > location, across `include`s), and the names the compose
//! stack gives its containers.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::analysis::graph::{StackGraph, StartOrder, StartupRisk};
use crate::compose::model::Service;
use crate::compose::proxy::{self, Layout, NginxConfig, PathIndex};
use crate::compose::stack::Project;
use crate::parse::nginx::{Arg, Directive};
use crate::paths::normalize_path;
use crate::severity::Severity;
use crate::source::{Sources, Span};

pub mod loading;
pub mod servers;

/// Includes followed at most this deep, and places one file is read from at most.
const MAX_DEPTH: usize = 16;
const MAX_CONTEXTS: usize = 4;
/// `set $a $b` chains followed at most this deep.
const MAX_VAR_DEPTH: usize = 4;

/// The directive that sends requests to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassKind {
    Proxy,
    Grpc,
    FastCgi,
    Uwsgi,
    Scgi,
    Memcached,
    /// A `server` inside an `upstream` block.
    UpstreamServer,
}

impl PassKind {
    fn from_name(name: &str) -> Option<PassKind> {
        Some(match name {
            "proxy_pass" => PassKind::Proxy,
            "grpc_pass" => PassKind::Grpc,
            "fastcgi_pass" => PassKind::FastCgi,
            "uwsgi_pass" => PassKind::Uwsgi,
            "scgi_pass" => PassKind::Scgi,
            "memcached_pass" => PassKind::Memcached,
            _ => return None,
        })
    }

    /// The directive's name as written in a config.
    pub fn directive(self) -> &'static str {
        match self {
            PassKind::Proxy => "proxy_pass",
            PassKind::Grpc => "grpc_pass",
            PassKind::FastCgi => "fastcgi_pass",
            PassKind::Uwsgi => "uwsgi_pass",
            PassKind::Scgi => "scgi_pass",
            PassKind::Memcached => "memcached_pass",
            PassKind::UpstreamServer => "server",
        }
    }
}

/// How nginx turns the address into an IP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Written literally: resolved once, when nginx loads its config; a name
    /// that does not resolve then stops nginx (`host not found in upstream`).
    Startup,
    /// The address has variables: resolved for each request, with the
    /// `resolver` in scope (`no resolver defined to resolve ...` without one).
    Runtime,
    /// An upstream `server ... resolve`: re-resolved with the resolver in scope
    /// (nginx >= 1.27.3, or NGINX Plus).
    Resolve,
}

/// One address nginx sends requests to.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    pub cfg: &'a NginxConfig,
    /// The config is mounted where nginx never reads it (SL203); this is what
    /// happens once it is mounted where it was meant to be.
    pub misplaced: bool,
    pub directive: &'a Directive,
    /// The argument that holds the address.
    pub arg: &'a Arg,
    pub kind: PassKind,
    pub resolution: Resolution,
    /// `http`, `https`, `grpc`, ... when written.
    pub scheme: Option<String>,
    /// The host nginx resolves, lower-cased; `None` when it is not known
    /// (a variable nginx fills per request, a `unix:` socket).
    pub host: Option<String>,
    /// The host as written in the config (after known variables are replaced).
    pub host_text: Option<String>,
    pub unix: bool,
    /// The port: written, or the scheme's default (`http` 80); `None` when unknown.
    pub port: Option<u16>,
    pub port_written: bool,
    /// `host` names an `upstream` block: requests go to its servers, not to a host.
    pub upstream: Option<&'a Directive>,
    /// A runtime address that matches the host and port of a literal one: nginx
    /// reuses that implicit upstream and needs no resolver.
    pub implicit_upstream: bool,
    /// The nearest `resolver` in scope.
    pub resolver: Option<&'a Directive>,
    /// The `set` directives that gave the variables of the address their values.
    pub sets: Vec<&'a Directive>,
    /// The address takes a value from a secret-looking variable (`set $api_token`,
    /// a template's `${API_KEY}`): the rules leave it alone rather than print it.
    pub secret: bool,
    /// For an upstream server: the `*_pass` directives that send requests to its
    /// upstream, and the resolvers in their scope.
    pub used_by: Vec<&'a Directive>,
    pub pass_resolvers: Vec<&'a Directive>,
}

impl Target<'_> {
    /// A name (not an IP, not a socket) nginx has to resolve.
    pub fn is_hostname(&self) -> bool {
        !self.unix && self.host.as_deref().is_some_and(|h| !is_ip(h))
    }

    /// What nginx prints in `host not found in upstream "..."`: the address as
    /// written for an upstream server, the host for a `*_pass`.
    pub fn nginx_upstream_name(&self) -> String {
        match self.kind {
            PassKind::UpstreamServer => self.arg.value.clone(),
            _ => self.host_text.clone().unwrap_or_default(),
        }
    }
}

/// The loaded configs of one proxy service (or one file linted on its own) and
/// every address they send requests to.
pub struct Group<'a> {
    pub service: Option<&'a Service>,
    /// Every config nginx reads is visible here: a `*_pass` name that is no
    /// upstream block of these files is no upstream block at all.
    pub complete: bool,
    pub layout: Layout,
    pub configs: Vec<&'a NginxConfig>,
    pub targets: Vec<Target<'a>>,
}

/// A config as the analysis reads it: where it sits in nginx's tree.
#[derive(Clone, Debug)]
struct Entry<'a> {
    cfg: &'a NginxConfig,
    /// Its container path (for a misplaced config: where it was meant to be).
    path: Option<String>,
    /// The blocks around its top level where nginx reads it without an include of ours.
    context: Vec<String>,
    /// Read by nginx directly (the main config, or a file the image's own includes).
    root: bool,
    /// Mounted where nginx never reads it (SL203), read here as if mounted where meant.
    misplaced: bool,
}

/// Every proxy service's loaded configs, analysed. Configs SL203 finds mounted
/// at the wrong path are analysed as if mounted where they were meant to be, so
/// that what would break next is reported with the first fix.
pub fn analyze(p: &Project) -> Vec<Group<'_>> {
    let mut order: Vec<Option<&str>> = Vec::new();
    let mut by_service: HashMap<Option<&str>, Vec<Entry<'_>>> = HashMap::new();
    for c in p.nginx.iter().filter(|c| c.loaded) {
        let key = c.service.as_deref();
        if !by_service.contains_key(&key) {
            order.push(key);
        }
        by_service.entry(key).or_default().push(Entry {
            cfg: c,
            path: c.nginx_path().map(str::to_string),
            context: c.context.clone(),
            root: c.included_at.is_none(),
            misplaced: false,
        });
    }
    for m in loading::misplaced(p) {
        let key = Some(m.service.name.value.as_str());
        if !by_service.contains_key(&key) {
            order.push(key);
        }
        let list = by_service.entry(key).or_default();
        for &c in &m.configs {
            list.push(Entry {
                cfg: c,
                path: Some(m.meant_path(c)),
                context: m.meant_context(c),
                root: true,
                misplaced: true,
            });
        }
    }
    let mut out = Vec::new();
    for key in order {
        let entries = by_service.remove(&key).unwrap_or_default();
        match key {
            Some(name) => {
                let Some(svc) = p.model.service(name) else {
                    continue;
                };
                let layout = proxy::layout(p, svc);
                let complete = loading::fully_visible(p, svc, &layout);
                out.push(Analyzer::new(&p.sources, Some(svc), layout, entries).run(complete));
            }
            // Files linted on their own stand alone: no includes are followed.
            None => {
                for e in entries {
                    out.push(
                        Analyzer::new(&p.sources, None, official_layout(), vec![e]).run(false),
                    );
                }
            }
        }
    }
    out
}

fn official_layout() -> Layout {
    Layout {
        flavor: proxy::Flavor::Official,
        main: proxy::MAIN_CONF.into(),
        conf_dir: "/etc/nginx".into(),
        default_includes: vec![(format!("{}/*.conf", proxy::CONF_D), vec!["http".into()])],
        renders_templates: true,
        templates: proxy::Templates::default(),
        main_from_command: None,
    }
}

mod walk;
pub use walk::*;

/// Whether nginx sees a variable in this value (`$name` or `${name}`).
pub fn has_variable(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'$'
            && b.get(i + 1)
                .is_some_and(|&n| n.is_ascii_alphanumeric() || n == b'_' || n == b'{')
    })
}

pub fn is_ip(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.parse::<Ipv4Addr>().is_ok() || h.parse::<Ipv6Addr>().is_ok()
}

/// `localhost` resolves from /etc/hosts at startup, whatever the stack does.
pub fn is_localhost(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    h == "localhost" || h.ends_with(".localhost")
}

#[derive(Debug, Default, PartialEq)]
struct Address {
    scheme: Option<String>,
    host: Option<String>,
    host_text: Option<String>,
    unix: bool,
    port: Option<u16>,
    port_written: bool,
}

/// Splits an address into scheme, host and port, as far as it is known.
fn parse_address(kind: PassKind, value: &str, in_stream: bool) -> Address {
    let mut a = Address::default();
    // Variables that always start the path end the authority before them.
    let mut v = value.to_string();
    for (var, with) in [
        ("$request_uri", "/"),
        ("${request_uri}", "/"),
        ("$document_uri", "/"),
        ("$uri", "/"),
        ("$is_args", "?"),
    ] {
        v = v.replace(var, with);
    }
    let lower = v.to_ascii_lowercase();
    let schemes: &[&str] = match kind {
        PassKind::Proxy if !in_stream => &["http", "https"],
        PassKind::Grpc => &["grpc", "grpcs"],
        PassKind::Uwsgi => &["uwsgi", "suwsgi"],
        _ => &[],
    };
    let mut rest = v.as_str();
    for s in schemes {
        let prefix = format!("{s}://");
        if lower.starts_with(&prefix) {
            a.scheme = Some((*s).to_string());
            rest = &v[prefix.len()..];
            break;
        }
    }
    if kind == PassKind::Proxy && !in_stream && a.scheme.is_none() {
        // `proxy_pass $upstream;` whose value is unknown.
        return a;
    }
    if rest.starts_with("unix:") {
        a.unix = true;
        return a;
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('$') {
        return a;
    }
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        match r.split_once(']') {
            Some((h, p)) => (format!("[{h}]"), p.strip_prefix(':')),
            None => return a,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() || host.contains(['@', ' ', '"', '\'']) {
        return a;
    }
    match port {
        Some(p) => match p.parse::<u16>() {
            Ok(n) => {
                a.port = Some(n);
                a.port_written = true;
            }
            Err(_) => return a,
        },
        None => {
            a.port = match (kind, a.scheme.as_deref()) {
                (PassKind::UpstreamServer, _) => Some(80),
                (PassKind::Proxy, Some("http")) | (PassKind::Grpc, Some("grpc")) => Some(80),
                (PassKind::Proxy, Some("https")) | (PassKind::Grpc, Some("grpcs")) => Some(443),
                _ => None,
            }
        }
    }
    a.host = Some(host.to_ascii_lowercase());
    a.host_text = Some(host);
    a
}

mod names;
mod startup;
pub use names::*;
pub use startup::*;

/// Whether a name that is no upstream block of the visible configs is a host:
/// always for an upstream `server`; for a `*_pass`, only when every config
/// nginx reads is visible (an unseen file may define an upstream of that name).
pub fn may_be_host(g: &Group<'_>, t: &Target<'_>) -> bool {
    t.kind == PassKind::UpstreamServer || g.complete
}

/// Every `resolver` of the group's configs, in or out of scope.
pub fn all_resolvers<'a>(g: &Group<'a>) -> Vec<&'a Directive> {
    let mut out: Vec<&'a Directive> = Vec::new();
    for c in &g.configs {
        for v in c.parsed.find_all("resolver") {
            if !out.iter().any(|d| d.span == v.directive.span) {
                out.push(v.directive);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = parse_address(PassKind::Proxy, "http://App:5000/api", false);
        assert_eq!(a.host.as_deref(), Some("app"));
        assert_eq!(a.host_text.as_deref(), Some("App"));
        assert_eq!((a.port, a.port_written), (Some(5000), true));
        let a = parse_address(PassKind::Proxy, "https://api.example.com", false);
        assert_eq!(
            (a.host.as_deref(), a.port),
            (Some("api.example.com"), Some(443))
        );
        let a = parse_address(PassKind::Proxy, "http://app:5000$request_uri", false);
        assert_eq!((a.host.as_deref(), a.port), (Some("app"), Some(5000)));
        let a = parse_address(PassKind::Proxy, "http://$host", false);
        assert_eq!(a.host, None);
        let a = parse_address(PassKind::Proxy, "$upstream", false);
        assert_eq!(a.host, None);
        let a = parse_address(PassKind::Proxy, "http://unix:/tmp/app.sock:/", false);
        assert!(a.unix && a.host.is_none());
        let a = parse_address(PassKind::FastCgi, "php:9000", false);
        assert_eq!((a.host.as_deref(), a.port), (Some("php"), Some(9000)));
        let a = parse_address(PassKind::FastCgi, "php", false);
        assert_eq!((a.host.as_deref(), a.port), (Some("php"), None));
        let a = parse_address(PassKind::UpstreamServer, "app", false);
        assert_eq!(a.port, Some(80));
        let a = parse_address(PassKind::Proxy, "http://[::1]:8080", false);
        assert_eq!(a.host.as_deref(), Some("[::1]"));
        assert!(is_ip("[::1]") && is_ip("10.0.0.2") && !is_ip("app"));
        let a = parse_address(PassKind::Proxy, "app:5000", true);
        assert_eq!(a.host.as_deref(), Some("app"));
    }

    #[test]
    fn variables() {
        assert!(has_variable("http://$backend"));
        assert!(has_variable("${u}"));
        assert!(!has_variable("http://app:5000/$"));
        assert!(!has_variable("http://app"));
    }

    #[test]
    fn variable_names_of_a_text() {
        let names: Vec<&str> = variable_names("http://${API_TOKEN}:$port/$").collect();
        assert_eq!(names, ["API_TOKEN", "port"]);
    }
}
