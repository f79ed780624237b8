//! SL201 `static-upstream-without-resolver`: nGINX resolves a proxied hostname once at startup and no resolver is in scope.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct StaticUpstreamWithoutResolver;

pub static META: RuleMeta = RuleMeta {
    code: "SL201",
    name: "static-upstream-without-resolver",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "NGINX resolves a proxied hostname once at startup and no resolver is in scope",
};

impl Rule for StaticUpstreamWithoutResolver {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
