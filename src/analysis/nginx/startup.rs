//! Names nginx resolves once, at startup, and what happens when one is
//! missing then: the proxy does not start, or keeps a stale address.

use super::*;

/// A hostname written literally, which nginx resolves once, when it loads its config.
pub struct StartupName<'t, 'a> {
    pub target: &'t Target<'a>,
    pub host: String,
    /// A resolver in scope, which does nothing for this name (SL202).
    pub resolver: Option<&'a Directive>,
    /// What the stack calls this name.
    pub known: Option<Known<'a>>,
}

/// The literal hostnames of a group that depend on a container being up when
/// nginx starts: the stack's names, and single-label names nginx cannot
/// resolve otherwise. `localhost`, `extra_hosts`, IPs, sockets and dotted
/// external names are left out, and so is a `*_pass` name that is not the
/// stack's when some config is not visible (it may name an upstream block there).
pub fn startup_names<'t, 'a>(g: &'t Group<'a>, names: &StackNames<'a>) -> Vec<StartupName<'t, 'a>> {
    let mut out = Vec::new();
    for t in &g.targets {
        if t.resolution != Resolution::Startup || t.upstream.is_some() || !t.is_hostname() {
            continue;
        }
        let Some(host) = t.host.clone() else {
            continue;
        };
        if is_localhost(&host) || names.extra_hosts.contains(&host) {
            continue;
        }
        let known = names.get(&host).cloned();
        if known.is_none() && (host.contains('.') || !may_be_host(g, t)) {
            continue;
        }
        // A name no container of a closed stack answers to never resolves:
        // that is SL204's finding (one cause, one finding), not a matter of
        // start order or stale addresses.
        if known.is_none() && !names.open_world && !names.is_default_container_name(&host) {
            continue;
        }
        let resolver = t.resolver.or_else(|| t.pass_resolvers.first().copied());
        out.push(StartupName {
            target: t,
            host,
            resolver,
            known,
        });
    }
    out
}

/// Addresses with variables whose host nginx must resolve per request, with no
/// `resolver` in scope: each such request fails.
pub fn runtime_without_resolver<'t, 'a>(
    g: &'t Group<'a>,
    names: &StackNames<'a>,
) -> Vec<&'t Target<'a>> {
    g.targets
        .iter()
        .filter(|t| {
            t.resolution == Resolution::Runtime
                && t.upstream.is_none()
                && !t.implicit_upstream
                && t.resolver.is_none()
                && t.is_hostname()
                && t.host.as_deref().is_some_and(|h| {
                    !is_localhost(h) && (names.get(h).is_some() || may_be_host(g, t))
                })
        })
        .collect()
}

/// The incident a startup-resolved name describes when its container may not
/// be running as nginx starts: SL201, SL202 and SL207 report it once.
pub const STARTUP_CRASH: &str = "nginx-startup-crash";

/// What a name nginx resolves once, at startup, does to the stack: the effect
/// for a message, whether it is a possible startup crash, and the evidence.
pub struct StartupEffect {
    /// Whether nginx may exit at startup (`host not found`); otherwise the
    /// address goes stale when the target is recreated.
    pub crash: bool,
    /// Completes "nginx resolves `x` once, at startup: ...".
    pub text: String,
    pub related: Vec<(Span, String)>,
    /// A fix besides resolving per request.
    pub order_fix: Option<String>,
}

impl StartupEffect {
    /// The finding's severity: an error for a possible startup crash, a warning
    /// for an address that goes stale.
    pub fn severity(&self) -> Severity {
        if self.crash {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

/// What happens with a startup-resolved name: `None` when nothing goes wrong
/// (compose starts the target first and restarts the proxy when it recreates it).
pub fn startup_effect(
    graph: &StackGraph,
    proxy: Option<&Service>,
    t: &Target<'_>,
    host: &str,
    known: Option<&Known<'_>>,
) -> Option<StartupEffect> {
    let name = t.nginx_upstream_name();
    let hnf = format!("(`host not found in upstream \"{name}\"`)");
    let (Some(proxy), Some(target)) = (proxy, known.and_then(|k| k.service)) else {
        return Some(StartupEffect {
            crash: true,
            text: format!(
                "if `{host}` is not up yet, nginx refuses to start {hnf}, and it keeps the old address when the container is recreated"
            ),
            related: Vec::new(),
            order_fix: None,
        });
    };
    let (pn, tn) = (&proxy.name.value, &target.name.value);
    if pn == tn {
        // nginx proxies to its own container: its name is there when nginx starts.
        return None;
    }
    match graph.startup_risk(proxy, target) {
        StartupRisk::Restarted { .. } => None,
        StartupRisk::Stale { via } => Some(StartupEffect {
            crash: false,
            text: format!(
                "compose starts `{tn}` before `{pn}`, so nginx starts, but it keeps the address it found: when `{tn}` is recreated (`docker compose up -d {tn}` after a change) it usually gets a new address, and requests then fail with 502 until nginx restarts"
            ),
            related: vec![(via, format!("`{pn}` starts after `{tn}` through this"))],
            order_fix: Some(format!(
                "or make compose restart nginx with it: `depends_on: {{{tn}: {{condition: service_started, restart: true}}}}` in `{pn}`"
            )),
        }),
        StartupRisk::Crash { order, absent } => {
            let mut related = Vec::new();
            let why = match order {
                StartOrder::AfterIfPresent { via } => {
                    related.push((
                        via,
                        format!("`required: false`: `{pn}` starts without `{tn}` when `{tn}` is not enabled"),
                    ));
                    format!(
                        "`{tn}` runs only under its profiles and `{pn}` does not require it, so compose can start `{pn}` without `{tn}`, and nginx exits {hnf}"
                    )
                }
                _ => {
                    related.push((
                        proxy.name.span,
                        format!("no `depends_on` path leads from `{pn}` to `{tn}`"),
                    ));
                    match absent {
                        Some(_) => format!(
                            "nothing makes `{pn}` start after `{tn}`, and `{tn}` runs only under its profiles: nginx exits {hnf} when it starts first or without `{tn}`"
                        ),
                        None => format!(
                            "nothing makes `{pn}` start after `{tn}`, so on `docker compose up` nginx can start first and exit {hnf}"
                        ),
                    }
                }
            };
            if let Some(span) = absent {
                related.push((span, format!("`{tn}` runs only when one of these profiles is active")));
            }
            // A target that may not run at all is fixed only by resolving per request.
            let order_fix = absent.is_none().then(|| {
                format!("or add `depends_on: [{tn}]` to `{pn}` (Docker's DNS knows the name once the container has started)")
            });
            Some(StartupEffect {
                crash: true,
                text: format!("{why}; it also keeps the old address when `{tn}` is recreated"),
                related,
                order_fix,
            })
        }
    }
}
