//! SL205 `proxy-port-mismatch`: nGINX proxies to a stack service on a port it does not listen on.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct ProxyPortMismatch;

pub static META: RuleMeta = RuleMeta {
    code: "SL205",
    name: "proxy-port-mismatch",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "NGINX proxies to a stack service on a port it does not listen on",
};

impl Rule for ProxyPortMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
