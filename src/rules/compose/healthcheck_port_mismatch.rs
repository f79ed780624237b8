//! SL101 `healthcheck-port-mismatch`: a healthcheck probes a port the service does not listen on.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct HealthcheckPortMismatch;

pub static META: RuleMeta = RuleMeta {
    code: "SL101",
    name: "healthcheck-port-mismatch",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "A healthcheck probes a port the service does not listen on",
};

impl Rule for HealthcheckPortMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
