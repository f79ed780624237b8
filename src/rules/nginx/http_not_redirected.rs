//! SL210 `http-not-redirected` (hardening, off by default): a published
//! plain-HTTP server proxies to the application although the stack serves TLS.

use crate::analysis::nginx::servers::public_servers;
use crate::finding::{Finding, Findings};
use crate::parse::nginx::Directive;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct HttpNotRedirected;

pub static META: RuleMeta = RuleMeta {
    code: "SL210",
    name: "http-not-redirected",
    severity: Severity::Warning,
    category: Category::Hardening,
    summary:
        "A published plain-HTTP server proxies application traffic although the stack serves TLS",
    fix: crate::finding::FixAvailability::None,
};

/// The first `*_pass` directive in the block, at any depth.
fn first_pass(block: &Directive) -> Option<&Directive> {
    block.walk().map(|v| v.directive).find(|d| {
        matches!(
            d.name.as_str(),
            "proxy_pass" | "fastcgi_pass" | "uwsgi_pass" | "grpc_pass" | "scgi_pass"
        )
    })
}

impl Rule for HttpNotRedirected {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let mut once = super::Once::default();
        for g in cx.nginx {
            let servers = public_servers(g);
            let Some(tls) = servers.iter().find(|s| s.tls) else {
                continue;
            };
            for s in servers.iter().filter(|s| !s.tls) {
                // A server that redirects everything at its own level proxies nothing.
                let redirects = s.block.children().iter().any(|d| d.name == "return");
                if redirects {
                    continue;
                }
                let Some(pass) = first_pass(s.block) else {
                    continue;
                };
                let port = s.listen.arg(0).unwrap_or("");
                once.push(
                    out,
                    Finding::new(
                        &META,
                        pass.span,
                        format!("the plain-HTTP server on `{port}` proxies to the application instead of redirecting to HTTPS: requests and cookies sent to it cross the network unencrypted"),
                    )
                    .label("proxies over plain HTTP")
                    .related(s.listen.span, "published without TLS")
                    .related(tls.listen.span, "the stack serves TLS here")
                    .related(s.published, "the port published to the host")
                    .help("make the plain-HTTP server redirect: `return 301 https://$host$request_uri;` (keep `location /.well-known/acme-challenge/` if certificates are issued over HTTP)")
                    .place("nginx.server"),
                );
            }
        }
    }
}
