//! SL302 `env-example-drift`: the env template and .env disagree on their keys.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct EnvExampleDrift;

pub static META: RuleMeta = RuleMeta {
    code: "SL302",
    name: "env-example-drift",
    severity: Severity::Warning,
    category: Category::Correctness,
    summary: "The env template and .env disagree on their keys",
};

impl Rule for EnvExampleDrift {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
