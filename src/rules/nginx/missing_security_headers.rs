//! SL209 `missing-security-headers` (hardening, off by default): a public
//! NGINX server answers without the usual security headers.

use crate::analysis::nginx::servers::public_servers;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct MissingSecurityHeaders;

pub static META: RuleMeta = RuleMeta {
    code: "SL209",
    name: "missing-security-headers",
    severity: Severity::Warning,
    category: Category::Hardening,
    summary: "A public NGINX server answers without X-Content-Type-Options, X-Frame-Options, Referrer-Policy or HSTS",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for MissingSecurityHeaders {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let mut once = super::Once::default();
        for g in cx.nginx {
            for s in public_servers(g) {
                // An include may set them: not sure, so silent.
                let Some(headers) = &s.headers else { continue };
                let has = |name: &str| {
                    headers
                        .iter()
                        .any(|d| d.arg(0).is_some_and(|h| h.eq_ignore_ascii_case(name)))
                };
                let frames = has("X-Frame-Options")
                    || headers.iter().any(|d| {
                        d.arg(0)
                            .is_some_and(|h| h.eq_ignore_ascii_case("Content-Security-Policy"))
                            && d.arg(1).is_some_and(|v| v.contains("frame-ancestors"))
                    });
                let mut missing = Vec::new();
                if !has("X-Content-Type-Options") {
                    missing.push("X-Content-Type-Options");
                }
                if !frames {
                    missing.push("X-Frame-Options (or CSP frame-ancestors)");
                }
                if !has("Referrer-Policy") {
                    missing.push("Referrer-Policy");
                }
                if s.tls && !has("Strict-Transport-Security") {
                    missing.push("Strict-Transport-Security");
                }
                if missing.is_empty() {
                    continue;
                }
                let port = s.listen.arg(0).unwrap_or("");
                let service = g.service.map_or("the proxy", |svc| svc.name.value.as_str());
                once.push(
                    out,
                    Finding::new(
                        &META,
                        s.listen.span,
                        format!(
                            "this server of `{service}` is reachable from the host (`listen {port}` is published) and sends no {}",
                            missing.join(", ")
                        ),
                    )
                    .label("public, without security headers")
                    .related(s.published, "the port published to the host")
                    .help("add them to the server (`add_header X-Content-Type-Options nosniff always;` ...), unless the application behind it sets them")
                    .place("nginx.server"),
                );
            }
        }
    }
}
