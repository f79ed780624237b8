//! SL201 `static-upstream-without-resolver`: NGINX resolves a proxied hostname once at startup and no resolver is in scope.
//!
//! Evidence: the address of `proxy_pass` (and the other `*_pass` directives) or
//! of an upstream `server`, the `resolver`s in scope (http > server > location,
//! across includes), and the compose service behind the name. Also reports an
//! address with variables whose host nginx must resolve per request with no
//! resolver in scope: every such request fails.

use crate::finding::Finding;
use crate::rules::nginx::scope::{self, Known, PassKind, StackNames, Target};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct StaticUpstreamWithoutResolver;

pub static META: RuleMeta = RuleMeta {
    code: "SL201",
    name: "static-upstream-without-resolver",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "NGINX resolves a proxied hostname once at startup and no resolver is in scope",
};

impl Rule for StaticUpstreamWithoutResolver {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let p = cx.project;
        let mut once = scope::Once::default();
        for g in cx.nginx {
            let names = StackNames::new(p, g.service);
            let resolvers = scope::all_resolvers(g);
            for s in scope::startup_names(g, &names) {
                if s.resolver.is_some() {
                    continue;
                }
                let t = s.target;
                let mut f = Finding::new(&META, t.arg.span, startup_message(t, &s.host))
                    .label("resolved once, at startup")
                    .place(scope::place(t))
                    .help(scope::runtime_fix(t, false));
                f = with_known(f, &s.host, s.known.as_ref());
                f = with_users(f, t);
                for r in resolvers.iter().take(3) {
                    f = f.related(r.span, "this resolver is not in scope here");
                }
                once.push(out, f);
            }
            for t in scope::runtime_without_resolver(g, &names) {
                let host = t.host.clone().unwrap_or_default();
                let mut f = Finding::new(
                    &META,
                    t.arg.span,
                    format!(
                        "`{}` has a variable, so nginx resolves `{host}` for each request, but no `resolver` is in scope: every request here fails with 502 (`no resolver defined to resolve {host}`)",
                        t.kind.directive()
                    ),
                )
                .label("resolved per request, without a resolver")
                .place(scope::place(t))
                .help("add `resolver 127.0.0.11 valid=10s;` (Docker's DNS) to this server or to the http block");
                for d in &t.sets {
                    f = f.related(
                        d.span,
                        format!("`{}` gets its value here", d.arg(0).unwrap_or("")),
                    );
                }
                for r in resolvers.iter().take(3) {
                    f = f.related(r.span, "this resolver is not in scope here");
                }
                f = with_known(f, &host, names.get(&host));
                once.push(out, f);
            }
        }
    }
}

fn startup_message(t: &Target<'_>, host: &str) -> String {
    let name = t.nginx_upstream_name();
    let whose = match t.kind {
        PassKind::UpstreamServer => format!("the upstream server `{}`", t.arg.value),
        kind => format!("`{}`", kind.directive()),
    };
    format!(
        "{}nginx resolves `{host}` ({whose}) once, at startup, and no `resolver` is in scope: if `{host}` is not up yet, nginx refuses to start (`host not found in upstream \"{name}\"`), and it keeps the old address when the container is recreated",
        scope::misplaced_prefix(t)
    )
}

/// The compose definition behind the name, as related evidence.
pub(crate) fn with_known(f: Finding, host: &str, known: Option<&Known<'_>>) -> Finding {
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
pub(crate) fn with_users(mut f: Finding, t: &Target<'_>) -> Finding {
    for d in t.used_by.iter().take(4) {
        f = f.related(d.span, "requests go to this upstream here");
    }
    f
}
