//! Rules that read the NGINX configs of the stack together with its compose model.

pub mod add_header_dropped;
pub mod http_not_redirected;
pub mod missing_security_headers;
pub mod nginx_config_not_loaded;
pub mod proxy_port_mismatch;
pub mod proxy_target_unknown;
pub mod resolver_not_used;
pub mod static_upstream_without_resolver;

// What the NGINX rules share: how a finding about a proxy target is worded
// and placed, and one finding per place.

use crate::analysis::nginx::{Known, PassKind, Target};
use crate::finding::Finding;
use crate::source::Span;
use std::collections::HashSet;

/// The compose definition behind the name, as related evidence.
pub fn with_known(f: Finding, host: &str, known: Option<&Known<'_>>) -> Finding {
    match known {
        Some(k) => {
            let what = match k.service {
                Some(s) if s.name.value.eq_ignore_ascii_case(host) => {
                    format!(
                        "service `{}`: its name resolves only while its container runs",
                        s.name.value
                    )
                }
                Some(s) => format!(
                    "{} of service `{}`: resolves only while its container runs",
                    k.kind, s.name.value
                ),
                None => format!("{}: resolves only while that container runs", k.kind),
            };
            f.related(k.span, what)
        }
        None => f,
    }
}

/// For an upstream server: the directives that send requests to its upstream.
pub fn with_users(mut f: Finding, t: &Target<'_>) -> Finding {
    for d in t.used_by.iter().take(4) {
        f = f.related(d.span, "requests go to this upstream here");
    }
    f
}

/// The directives that enclose `target` in `dirs`, outermost first; `None`
/// when it is not among them. Siblings are in source order: each level is a
/// binary search, so a file of many blocks costs a logarithm per target.
fn enclosing<'a>(
    dirs: &'a [crate::parse::nginx::Directive],
    target: &crate::parse::nginx::Directive,
) -> Option<Vec<&'a crate::parse::nginx::Directive>> {
    let mut chain = Vec::new();
    let mut level = dirs;
    if level.first()?.span.file != target.span.file {
        return None;
    }
    loop {
        let i = level.partition_point(|d| d.span.end() <= target.span.start());
        let d = level.get(i)?;
        if d.span == target.span && d.name_span == target.name_span {
            return Some(chain);
        }
        if !(d.span.start() <= target.span.start() && target.span.end() <= d.span.end()) {
            return None;
        }
        chain.push(d);
        level = d.block.as_deref()?;
    }
}

/// The spaces before `at` on its line, when only spaces and tabs are there.
fn indent_before(text: &str, at: usize) -> Option<&str> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..at];
    indent
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some(indent)
}

/// The repair of a `proxy_pass` whose hostname nginx resolves once, at
/// startup: the address moves into a variable, which nginx resolves per request
/// (`set $upstream_app http://app:5000;` before it, `proxy_pass
/// $upstream_app;`), and with `add_resolver`, `resolver 127.0.0.11 valid=10s;`
/// (Docker's DNS) opens the enclosing server block. Unsafe: nginx then passes
/// the request URI as the client sent it (not normalized). Only where the
/// meaning is otherwise kept: `proxy_pass` directly in a `location`, a
/// plainly written `scheme://host[:port]` without a URI part (with a
/// variable, a URI part would replace the whole request URI), not an upstream
/// block's name, and a server block in the same file when a resolver is added.
pub fn runtime_fix_edits(
    p: &crate::compose::stack::Project,
    t: &Target<'_>,
    add_resolver: bool,
) -> Option<crate::finding::Fix> {
    use crate::finding::{Edit, Fix};
    if t.kind != PassKind::Proxy || t.upstream.is_some() || t.secret || !t.is_hostname() {
        return None;
    }
    let written = &t.arg.value;
    let file = p.sources.get(t.arg.span.file);
    let text = &file.text;
    if file.slice(&t.arg.span) != written {
        return None;
    }
    let chain = enclosing(&t.cfg.parsed.directives, t.directive)?;
    let location = chain.last()?;
    if location.name != "location" {
        return None;
    }
    // `location / { proxy_pass http://app:5000/; }` passes every URI as it is:
    // the same without the `/`, which a variable needs.
    let whole_uri = location.args.len() == 1 && location.args[0].value == "/";
    let value = match written.strip_suffix('/') {
        Some(v) if whole_uri && v.split_once("://").is_some_and(|(_, r)| !r.contains('/')) => v,
        _ => written.as_str(),
    };
    let (scheme, rest) = value.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.contains(['/', '$', '?']) || rest.is_empty() {
        return None;
    }
    let host = t.host.as_deref()?;
    let var: String = format!(
        "upstream_{}",
        host.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
    );
    // A name the location uses already could mean something else there.
    if file.slice(&location.span).contains(&format!("${var}")) {
        return None;
    }
    let at = t.directive.span.start();
    let indent = indent_before(text, at)?;
    let mut edits = vec![
        Edit {
            span: Span::new(t.arg.span.file, at, at),
            replacement: format!("set ${var} {value};\n{indent}"),
        },
        Edit {
            span: t.arg.span,
            replacement: format!("${var}"),
        },
    ];
    if add_resolver {
        let server = chain
            .iter()
            .rev()
            .find(|d| d.name == "server" && d.block.is_some())?;
        let first = server.block.as_ref()?.first()?;
        let at = first.span.start();
        let indent = indent_before(text, at)?;
        edits.insert(
            0,
            Edit {
                span: Span::new(t.arg.span.file, at, at),
                replacement: format!("resolver 127.0.0.11 valid=10s;\n{indent}"),
            },
        );
    }
    Some(Fix::unsafe_(
        format!("resolve `{host}` per request through `${var}`"),
        edits,
    ))
}

/// The fix that makes nginx resolve the name per request: a variable (and,
/// for upstream servers, nginx >= 1.27.3's `resolve`).
pub fn runtime_fix(t: &Target<'_>, has_resolver: bool) -> String {
    let (directive, value) = match t.kind {
        PassKind::UpstreamServer => {
            let user = t.used_by.first();
            let directive = user.map(|d| d.name.as_str()).unwrap_or("proxy_pass");
            let scheme = user
                .and_then(|d| d.arg(0))
                .and_then(|a| a.split_once("://"))
                .map(|(s, _)| format!("{s}://"))
                .unwrap_or_else(|| {
                    if directive == "proxy_pass" {
                        "http://".into()
                    } else {
                        String::new()
                    }
                });
            (directive.to_string(), format!("{scheme}{}", t.arg.value))
        }
        // With a variable, a URI part replaces the whole request URI: keep it out.
        PassKind::Proxy => (
            "proxy_pass".to_string(),
            without_uri_part(&t.arg.value).to_string(),
        ),
        kind => (kind.directive().to_string(), t.arg.value.clone()),
    };
    let mut fix = if has_resolver {
        format!("resolve it per request, with the resolver in scope: `set $upstream {value};` then `{directive} $upstream;`")
    } else {
        format!(
            "resolve it per request: `resolver 127.0.0.11 valid=10s;` (Docker's DNS) in the server or http block, and `set $upstream {value};` then `{directive} $upstream;`"
        )
    };
    if t.kind == PassKind::Proxy && has_uri_part(&t.arg.value) {
        fix.push_str(" (with a variable, a URI part in `proxy_pass` would replace the whole request URI: leave it out and strip the location prefix with `rewrite ... break;` if you relied on it)");
    }
    if t.kind == PassKind::UpstreamServer {
        let name = t
            .used_by
            .first()
            .and_then(|d| d.arg(0))
            .and_then(|a| a.split_once("://").map(|(_, r)| r).or(Some(a)))
            .map(|r| r.split(['/', ':']).next().unwrap_or(r).to_string())
            .unwrap_or_else(|| "backend".into());
        fix.push_str(&format!(
            " in place of the upstream; with nginx >= 1.27.3, `zone {name} 64k;` in the upstream and `server {} resolve;` with a resolver also work",
            t.arg.value
        ));
    }
    fix
}

/// For a config nginx does not read yet (SL203): the message speaks of the fix.
pub fn misplaced_prefix(t: &Target<'_>) -> &'static str {
    if t.misplaced {
        MISPLACED_PREFIX
    } else {
        ""
    }
}

/// How a finding on a config SL203 reports as misplaced begins.
pub const MISPLACED_PREFIX: &str = "once this file is mounted where nginx reads it (see SL203), ";

/// `http://app:5000/api/` → `http://app:5000`.
fn without_uri_part(value: &str) -> &str {
    match value.split_once("://") {
        Some((scheme, rest)) => match rest.find('/') {
            Some(i) => &value[..scheme.len() + 3 + i],
            None => value,
        },
        None => value,
    }
}

/// `http://app:5000/api/` has a URI part; `http://app:5000` does not.
fn has_uri_part(value: &str) -> bool {
    value
        .split_once("://")
        .map(|(_, rest)| rest.contains('/'))
        .unwrap_or(false)
}

/// Collects a rule's findings, one per primary span: a config mounted into two
/// proxies is analysed twice.
#[derive(Default)]
pub struct Once {
    seen: HashSet<Span>,
}

impl Once {
    pub fn push(&mut self, out: &mut crate::finding::Findings, f: crate::finding::Finding) {
        if self.seen.insert(f.primary) {
            out.push(f);
        }
    }
}

/// The service's name as the `place` of a finding.
pub fn place(t: &Target<'_>) -> String {
    match &t.cfg.service {
        Some(s) => format!("services.{s}.nginx.{}", t.kind.directive()),
        None => format!("nginx.{}", t.kind.directive()),
    }
}
