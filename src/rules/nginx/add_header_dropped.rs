//! SL208 `add-header-dropped`: an `add_header` in a block makes nginx drop every
//! `add_header` of the levels around it there, security headers included.
//!
//! nginx inherits `add_header` from the previous level only when the current
//! level has none of its own (ngx_http_headers_module). A location that adds one
//! header of its own loses the server's `Strict-Transport-Security`,
//! `Content-Security-Policy`, ... there.

use std::collections::HashSet;

use crate::finding::{Finding, Findings};
use crate::parse::nginx::Directive;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::FileId;

pub struct AddHeaderDropped;

pub static META: RuleMeta = RuleMeta {
    code: "SL208",
    name: "add-header-dropped",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "An add_header in a block drops the security headers set around it",
    fix: crate::finding::FixAvailability::None,
};

/// Headers whose loss weakens a response's protection.
const SECURITY_HEADERS: &[&str] = &[
    "strict-transport-security",
    "content-security-policy",
    "content-security-policy-report-only",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "feature-policy",
    "x-xss-protection",
    "cross-origin-opener-policy",
    "cross-origin-embedder-policy",
    "cross-origin-resource-policy",
];

/// The blocks where `add_header` may stand, so where it is inherited or not.
const LEVELS: &[&str] = &["http", "server", "location", "if"];

fn header_name(d: &Directive) -> Option<String> {
    d.arg(0).map(str::to_ascii_lowercase)
}

/// Checks one level (`block`, or a file's top level) and the levels inside it.
/// `inherited`: the `add_header`s in effect around it.
fn level<'f>(
    block: Option<&'f Directive>,
    children: &'f [Directive],
    inherited: &[&'f Directive],
    out: &mut Findings,
) {
    let own: Vec<&Directive> = children.iter().filter(|d| d.name == "add_header").collect();
    // An include may bring back what the outer levels set (a shared
    // headers snippet), and nginx >= 1.29.3's `add_header_inherit` changes
    // the rule: not sure, so silent below such a level.
    let unsure = children
        .iter()
        .any(|d| d.name == "include" || d.name == "add_header_inherit");
    let effective: Vec<&Directive> = if own.is_empty() {
        inherited.to_vec()
    } else {
        own.clone()
    };
    if let (false, false, Some(first)) = (unsure, inherited.is_empty(), own.first()) {
        let names: HashSet<String> = own.iter().filter_map(|d| header_name(d)).collect();
        let dropped: Vec<&Directive> = inherited
            .iter()
            .copied()
            .filter(|d| header_name(d).is_some_and(|n| !names.contains(&n)))
            .collect();
        let security: Vec<&str> = dropped
            .iter()
            .filter_map(|d| d.args.first())
            .filter(|a| SECURITY_HEADERS.contains(&a.value.to_ascii_lowercase().as_str()))
            .map(|a| a.value.as_str())
            .collect();
        if !security.is_empty() {
            let what = match block {
                Some(b) if b.name == "location" => format!(
                    "location `{}`",
                    b.args
                        .iter()
                        .map(|a| a.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                Some(b) => format!("this `{}` block", b.name),
                None => "this file's top level".to_string(),
            };
            let mut f = Finding::new(
                &META,
                first.span,
                format!(
                    "{what} has an `add_header` of its own, so nginx does not apply the `add_header`s around it there: its responses lack {}",
                    security.join(", ")
                ),
            )
            .label("replaces every outer add_header")
            .help("repeat the outer headers in this block (an `include` of a shared snippet keeps them in one place), or move this header out to the outer level")
            .place(format!("nginx.{}", block.map_or("add_header", |b| b.name.as_str())));
            for d in dropped.iter().take(16) {
                let name = d.arg(0).unwrap_or("");
                f = f.related(d.span, format!("`{name}` is not sent there"));
            }
            out.push(f);
        }
    }
    for d in children {
        if d.is_block() && LEVELS.contains(&d.name.as_str()) {
            let inner = if unsure { &[][..] } else { &effective[..] };
            level(Some(d), d.children(), inner, out);
        }
    }
}

impl Rule for AddHeaderDropped {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        // A config mounted into two proxies is one file: checked once.
        let mut seen: HashSet<FileId> = HashSet::new();
        for cfg in &cx.project.nginx {
            if seen.insert(cfg.file) {
                // The top level is a level too: a conf.d file's top level is the http block.
                level(None, &cfg.parsed.directives, &[], out);
            }
        }
    }
}
