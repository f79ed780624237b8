//! SL303 `placeholder-secret`: a secret-looking key has a placeholder value.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct PlaceholderSecret;

pub static META: RuleMeta = RuleMeta {
    code: "SL303",
    name: "placeholder-secret",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A secret-looking key has a placeholder value",
};

impl Rule for PlaceholderSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
