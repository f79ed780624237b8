//! SL002 `invalid-suppression`: a `# stacklint:` comment names an unknown rule or
//! cannot be read.
//!
//! Its findings come from the suppression post-pass (`crate::report::suppress::apply`),
//! which runs after every other rule; `check` is a no-op. It is registered so that
//! it has a code, a page, and can be selected, ignored or re-graded like any rule.

use crate::finding::Findings;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct InvalidSuppression;

pub static META: RuleMeta = RuleMeta {
    code: "SL002",
    name: "invalid-suppression",
    severity: Severity::Error,
    category: Category::Syntax,
    summary: "A `# stacklint:` suppression comment names an unknown rule or is malformed",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for InvalidSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _cx: &Context<'_>, _out: &mut Findings) {
        // Reported by the suppression post-pass, see the module comment.
    }
}
