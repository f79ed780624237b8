//! The rule registry. One rule per file; each file holds its metadata and logic,
//! and `rules/<name>.md` at the repository root holds its documentation.

use crate::severity::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A file that stacklint (and docker compose) cannot read.
    Syntax,
    /// The stack will not start or not work as written.
    Correctness,
    /// The stack works but exposes something it should not.
    Security,
    /// Opinionated hardening; off until selected.
    Hardening,
}

#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line: what the rule reports.
    pub summary: &'static str,
}
