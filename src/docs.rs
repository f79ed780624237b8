//! Rule documentation, embedded in the binary: `rules/<name>.md` is the single
//! source, read by `stacklint explain` and the SARIF rule descriptions.

use crate::rules::{self, RuleMeta};

/// (rule name, its page).
static PAGES: &[(&str, &str)] = &[
    (
        "env-example-drift",
        include_str!("../rules/env-example-drift.md"),
    ),
    (
        "healthcheck-port-mismatch",
        include_str!("../rules/healthcheck-port-mismatch.md"),
    ),
    (
        "internal-port-published",
        include_str!("../rules/internal-port-published.md"),
    ),
    (
        "missing-resource-limits",
        include_str!("../rules/missing-resource-limits.md"),
    ),
    (
        "nginx-config-not-loaded",
        include_str!("../rules/nginx-config-not-loaded.md"),
    ),
    ("parse-error", include_str!("../rules/parse-error.md")),
    (
        "placeholder-secret",
        include_str!("../rules/placeholder-secret.md"),
    ),
    (
        "proxy-port-mismatch",
        include_str!("../rules/proxy-port-mismatch.md"),
    ),
    (
        "proxy-target-unknown",
        include_str!("../rules/proxy-target-unknown.md"),
    ),
    (
        "resolver-not-used",
        include_str!("../rules/resolver-not-used.md"),
    ),
    (
        "static-upstream-without-resolver",
        include_str!("../rules/static-upstream-without-resolver.md"),
    ),
    (
        "undefined-variable",
        include_str!("../rules/undefined-variable.md"),
    ),
];

/// The page of a rule, by name or code.
pub fn page(name_or_code: &str) -> Option<&'static str> {
    let meta = rules::lookup(name_or_code)?;
    page_of(meta)
}

pub fn page_of(meta: &RuleMeta) -> Option<&'static str> {
    PAGES.iter().find(|(n, _)| *n == meta.name).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_an_embedded_page_and_every_page_a_rule() {
        for m in rules::all() {
            let page = page_of(m).unwrap_or_else(|| panic!("{} has no embedded page", m.name));
            assert!(page.contains(m.code));
        }
        for (name, _) in PAGES {
            assert!(rules::lookup(name).is_some(), "page {name} has no rule");
        }
    }
}
