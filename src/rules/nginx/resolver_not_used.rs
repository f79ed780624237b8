//! SL202 `resolver-not-used`: a resolver is in scope but the hostname is still resolved only at startup.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct ResolverNotUsed;

pub static META: RuleMeta = RuleMeta {
    code: "SL202",
    name: "resolver-not-used",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "A resolver is in scope but the hostname is still resolved only at startup",
};

impl Rule for ResolverNotUsed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
