//! SL204 `proxy-target-unknown`: nGINX proxies to a host that is not a service of the stack.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct ProxyTargetUnknown;

pub static META: RuleMeta = RuleMeta {
    code: "SL204",
    name: "proxy-target-unknown",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "NGINX proxies to a host that is not a service of the stack",
};

impl Rule for ProxyTargetUnknown {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
