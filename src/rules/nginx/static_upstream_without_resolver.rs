//! SL201 `static-upstream-without-resolver`: NGINX resolves a proxied hostname once at startup and no resolver is in scope.
//!
//! Evidence: the address of `proxy_pass` (and the other `*_pass` directives) or
//! of an upstream `server`, the `resolver`s in scope (http > server > location,
//! across includes), and the compose service behind the name. Also reports an
//! address with variables whose host nginx must resolve per request with no
//! resolver in scope: every such request fails.

use crate::analysis::nginx::{self, PassKind, StackNames, Target};
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct StaticUpstreamWithoutResolver;

pub static META: RuleMeta = RuleMeta {
    code: "SL201",
    name: "static-upstream-without-resolver",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "NGINX resolves a proxied hostname once at startup and no resolver is in scope",
    fix: crate::finding::FixAvailability::Sometimes,
};

impl Rule for StaticUpstreamWithoutResolver {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let mut once = super::Once::default();
        for g in cx.nginx {
            let names = StackNames::new(p, g.service);
            let resolvers = nginx::all_resolvers(g);
            for s in nginx::startup_names(g, &names) {
                if s.resolver.is_some() {
                    continue;
                }
                let t = s.target;
                let Some(effect) =
                    nginx::startup_effect(cx.graph, g.service, t, &s.host, s.known.as_ref())
                else {
                    continue;
                };
                let mut help = super::runtime_fix(t, false);
                if let Some(fix) = &effect.order_fix {
                    help.push_str(&format!("; {fix}"));
                }
                let mut f =
                    Finding::new(&META, t.arg.span, startup_message(t, &s.host, &effect.text))
                        .severity(effect.severity())
                        .label(if effect.crash {
                            "resolved once, at startup: nginx may not start"
                        } else {
                            "resolved once, at startup: goes stale"
                        })
                        .place(super::place(t))
                        .help(help);
                if effect.crash {
                    f = f.incident(nginx::STARTUP_CRASH);
                }
                f = super::with_known(f, &s.host, s.known.as_ref());
                f = super::with_users(f, t);
                for (span, label) in effect.related {
                    f = f.related(span, label);
                }
                for r in resolvers.iter().take(3) {
                    f = f.related(r.span, "this resolver is not in scope here");
                }
                if let Some(fix) = super::runtime_fix_edits(p, t, true) {
                    f = f.fix(fix);
                }
                once.push(out, f);
            }
            for t in nginx::runtime_without_resolver(g, &names) {
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
                .place(super::place(t))
                .help("add `resolver 127.0.0.11 valid=10s;` (Docker's DNS) to this server or to the http block");
                for d in &t.sets {
                    f = f.related(
                        d.span,
                        format!("`{}` gets its value here", nginx::assigned_var(d)),
                    );
                }
                for r in resolvers.iter().take(3) {
                    f = f.related(r.span, "this resolver is not in scope here");
                }
                f = super::with_known(f, &host, names.get(&host));
                once.push(out, f);
            }
        }
    }
}

fn startup_message(t: &Target<'_>, host: &str, effect: &str) -> String {
    let whose = match t.kind {
        PassKind::UpstreamServer => format!("the upstream server `{}`", t.arg.value),
        kind => format!("`{}`", kind.directive()),
    };
    format!(
        "{}nginx resolves `{host}` ({whose}) once, at startup, and no `resolver` is in scope: {effect}",
        super::misplaced_prefix(t)
    )
}
