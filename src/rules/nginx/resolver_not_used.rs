//! SL202 `resolver-not-used`: a resolver is in scope but the hostname is still resolved only at startup.
//!
//! Evidence: a `resolver` in scope of a `*_pass` whose host is written
//! literally, or of an upstream `server` without `resolve` (in the upstream's
//! http block, or in the server that proxies to the upstream). nginx uses a
//! resolver only for addresses with variables (and `resolve` servers).

use crate::analysis::nginx::{self, PassKind, StackNames};
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ResolverNotUsed;

pub static META: RuleMeta = RuleMeta {
    code: "SL202",
    name: "resolver-not-used",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "A resolver is in scope but the hostname is still resolved only at startup",
    fix: crate::finding::FixAvailability::Sometimes,
};

impl Rule for ResolverNotUsed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let mut once = super::Once::default();
        for g in cx.nginx {
            let names = StackNames::new(p, g.service);
            for s in nginx::startup_names(g, &names) {
                let Some(resolver) = s.resolver else {
                    continue;
                };
                let t = s.target;
                let host = &s.host;
                let why = match t.kind {
                    PassKind::UpstreamServer => format!(
                        "the upstream server `{}` has no `resolve` parameter",
                        t.arg.value
                    ),
                    kind => format!("`{host}` is written literally in `{}`", kind.directive()),
                };
                let Some(effect) =
                    nginx::startup_effect(cx.graph, g.service, t, host, s.known.as_ref())
                else {
                    continue;
                };
                let message = format!(
                    "{}a `resolver` is in scope, but {why}, so nginx still resolves `{host}` once, at startup (the resolver is used only for addresses with variables): {}",
                    super::misplaced_prefix(t),
                    effect.text
                );
                let mut help = super::runtime_fix(t, true);
                if let Some(fix) = &effect.order_fix {
                    help.push_str(&format!("; {fix}"));
                }
                let mut f = Finding::new(&META, t.arg.span, message)
                    .severity(effect.severity())
                    .label("still resolved once, at startup")
                    .related(
                        resolver.span,
                        format!("this resolver does nothing for `{host}`"),
                    )
                    .place(super::place(t))
                    .help(help);
                if effect.crash {
                    f = f.incident(nginx::STARTUP_CRASH);
                }
                f = super::with_known(f, host, s.known.as_ref());
                f = super::with_users(f, t);
                for (span, label) in effect.related {
                    f = f.related(span, label);
                }
                if let Some(fix) = super::runtime_fix_edits(p, t, false) {
                    f = f.fix(fix);
                }
                once.push(out, f);
            }
        }
    }
}
