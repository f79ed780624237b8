//! SL102 `internal-port-published`: a datastore or internal-only service publishes a port on all host interfaces.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct InternalPortPublished;

pub static META: RuleMeta = RuleMeta {
    code: "SL102",
    name: "internal-port-published",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A datastore or internal-only service publishes a port on all host interfaces",
};

impl Rule for InternalPortPublished {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
