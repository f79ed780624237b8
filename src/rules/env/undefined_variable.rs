//! SL301 `undefined-variable`: a variable without a default has no value.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct UndefinedVariable;

pub static META: RuleMeta = RuleMeta {
    code: "SL301",
    name: "undefined-variable",
    severity: Severity::Warning,
    category: Category::Correctness,
    summary: "A variable without a default has no value",
};

impl Rule for UndefinedVariable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
