//! SL203 `nginx-config-not-loaded`: an NGINX config is mounted at a path nginx never reads.

use crate::finding::Finding;
use crate::rules::{Category, Rule, RuleMeta};
use crate::severity::Severity;
use crate::stack::Project;

pub struct NginxConfigNotLoaded;

pub static META: RuleMeta = RuleMeta {
    code: "SL203",
    name: "nginx-config-not-loaded",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "An NGINX config is mounted at a path nginx never reads",
};

impl Rule for NginxConfigNotLoaded {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _p: &Project, _out: &mut Vec<Finding>) {}
}
