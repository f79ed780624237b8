//! SL003 `unused-suppression`: a `# stacklint:` suppression names a rule that
//! ran and found nothing where the comment applies.
//!
//! Its findings come from the suppression post-pass (`crate::report::suppress::apply`):
//! whether a suppression is used depends on every other rule's findings, so it
//! cannot be a rule of its own; `check` is a no-op. It is registered so that it
//! has a code, a page, and can be selected, ignored or re-graded like any rule.

use crate::finding::Findings;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct UnusedSuppression;

pub static META: RuleMeta = RuleMeta {
    code: "SL003",
    name: "unused-suppression",
    severity: Severity::Info,
    category: Category::Syntax,
    summary: "A `# stacklint:` suppression suppresses nothing",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _cx: &Context<'_>, _out: &mut Findings) {
        // Reported by the suppression post-pass, see the module comment.
    }
}
