//! NGINX `listen` directives of the configs mounted into a proxy, as port evidence.

use super::*;
use crate::knowledge::PortProduct as Product;

/// The NGINX image's own `conf.d/default.conf` listens on 80 (8080 unprivileged);
/// mounted configs add their `listen`s, or replace the default.
pub(super) fn nginx_ports(
    p: &Project,
    svc: &Service,
    prod: &'static Product,
    places: &[(String, Span, bool)],
    df: Option<&Dockerfile>,
    l: &mut Listening,
) {
    let name = &svc.name.value;
    let official = prod.nginx_default_conf;
    let default_conf = "/etc/nginx/conf.d/default.conf";
    let ours: Vec<&crate::compose::proxy::NginxConfig> = p
        .nginx
        .iter()
        .filter(|c| c.service.as_deref() == Some(name.as_str()) && c.loaded)
        .collect();
    // Placements under the nginx config dirs that stacklint could not read.
    for (target, span, readable) in places {
        let under = ["/etc/nginx", "/usr/local/openresty/nginx/conf"]
            .iter()
            .any(|d| covers(target, d) || target.starts_with(d));
        if under && !readable {
            l.unknown(
                "an NGINX config stacklint cannot read is mounted",
                Some(*span),
            );
        }
    }
    if let Some(span) = run_mentions(
        df,
        &["/etc/nginx", "/usr/local/openresty/nginx/conf", "listen"],
    ) {
        l.unknown("the Dockerfile edits the NGINX config", Some(span));
    }
    let main_mounted = ours
        .iter()
        .any(|c| c.container_path.as_deref() == Some(crate::compose::proxy::MAIN_CONF));
    // The image renders `templates/default.conf.template` over `conf.d/default.conf`.
    let template = "/etc/nginx/templates/default.conf.template";
    let replaced = places
        .iter()
        .any(|(t, _, _)| covers(t, default_conf) || t == template)
        || ours
            .iter()
            .any(|c| c.container_path.as_deref() == Some(template));
    // With a main config of its own, the image's default.conf is read only if included.
    let default_read = if main_mounted {
        ours.iter().any(|c| {
            c.parsed.find_all("include").any(|v| {
                v.directive.arg(0).is_some_and(|pat| {
                    let pat = if pat.starts_with('/') {
                        pat.to_string()
                    } else {
                        format!("/etc/nginx/{pat}")
                    };
                    glob::Pattern::new(&pat).is_ok_and(|g| g.matches(default_conf))
                })
            })
        })
    } else {
        true
    };
    if !official && (replaced || main_mounted) {
        l.unknown("this NGINX image's default config may be replaced", None);
    }
    if !replaced && default_read {
        for &port in &prod.ports {
            l.add(port, EvidenceKind::ImageDefault, None, true);
        }
    }
    for cfg in &ours {
        let src = p.sources.get(cfg.file);
        for v in cfg.parsed.find_all("server") {
            let srv = v.directive;
            if !srv.is_block() {
                continue;
            }
            let listens: Vec<_> = srv
                .children()
                .iter()
                .filter(|d| d.name == "listen")
                .collect();
            if listens.is_empty() {
                // A server without `listen` listens on *:80 (*:8000 without root).
                if !v.is_inside("stream") && !v.is_inside("mail") {
                    l.add(80, EvidenceKind::NginxListen, Some(srv.name_span), true);
                    l.add(8000, EvidenceKind::NginxListen, Some(srv.name_span), true);
                }
                continue;
            }
            for d in listens {
                let Some(arg) = d.args.first() else { continue };
                if d.args
                    .iter()
                    .skip(1)
                    .any(|a| a.value == "udp" || a.value == "quic")
                {
                    continue;
                }
                let raw = src.slice(&arg.span);
                let exact = raw == arg.value;
                let t = if exact {
                    Text::exact(&arg.value, arg.span, arg.span.start())
                } else {
                    Text::plain(arg.value.clone(), arg.span)
                };
                if t.s.starts_with("unix:") {
                    continue;
                }
                match listen_port(&t) {
                    Some(Ok((a, b, range))) => {
                        let span = t.span(range.0, range.1);
                        if u32::from(b) - u32::from(a) >= MAX_RANGE {
                            l.unknown("a listen range too wide to list", Some(span));
                        } else {
                            for port in a..=b {
                                l.add(port, EvidenceKind::NginxListen, Some(span), true);
                            }
                        }
                    }
                    Some(Err(())) | None => {
                        l.unknown("a `listen` stacklint cannot read", Some(arg.span))
                    }
                }
            }
        }
    }
}

/// `80`, `*:80`, `127.0.0.1:8080`, `[::]:443`, `localhost` (80), `8000-8010`.
/// A `listen` port range and the byte range of its text; `Err` when unreadable.
type ListenPort = Result<(u16, u16, (usize, usize)), ()>;

pub(super) fn listen_port(t: &Text) -> Option<ListenPort> {
    let s = t.s.as_str();
    if s.contains('$') {
        return Some(Err(()));
    }
    let (from, port_s) = if let Some(r) = s.strip_prefix('[') {
        let close = r.find(']')? + 1;
        match s[close + 1..].strip_prefix(':') {
            Some(p) => (close + 2, p),
            None => return Some(Ok((80, 80, (0, s.len())))),
        }
    } else if let Some(i) = s.rfind(':') {
        (i + 1, &s[i + 1..])
    } else if s.bytes().next().is_some_and(|b| b.is_ascii_digit()) && !s.contains('.') {
        (0, s)
    } else {
        // An address alone: port 80.
        return Some(Ok((80, 80, (0, s.len()))));
    };
    match parse_range(port_s) {
        Some((a, b)) => Some(Ok((a, b, (from, from + port_s.len())))),
        None => Some(Err(())),
    }
}
