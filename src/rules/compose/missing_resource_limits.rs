//! SL103 `missing-resource-limits`: a service without a memory or CPU limit.
//!
//! Info by default: most real stacks set no limits, and a warning on every service
//! buried the findings that break a stack. A team that enforces limits raises it in
//! `[severity]`.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct MissingResourceLimits;

pub static META: RuleMeta = RuleMeta {
    code: "SL103",
    name: "missing-resource-limits",
    severity: Severity::Info,
    category: Category::Correctness,
    summary: "A service has no memory limit or no CPU limit",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for MissingResourceLimits {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for svc in &p.model.services {
            // Neither `image` nor `build`, even after overrides and `extends`: a fragment
            // of an override file linted without its base. The complete service is
            // reported where its base file is linted; this one never runs as written.
            if svc.image.is_none() && svc.build.is_none() {
                continue;
            }
            let none = crate::compose::model::Resources::default();
            let r = svc.resources.as_deref().unwrap_or(&none);
            let missing: Vec<&str> = [
                ("memory", r.mem_limit.is_none()),
                ("CPU", r.cpus_limit.is_none()),
            ]
            .into_iter()
            .filter_map(|(what, absent)| absent.then_some(what))
            .collect();
            if missing.is_empty() {
                continue;
            }
            let name = &svc.name.value;
            let mut f = Finding::new(
                &META,
                svc.name.span,
                format!("service `{name}` has no {} limit", missing.join(" and no ")),
            )
            .label(format!("no {} limit", missing.join(" or ")))
            .help("set `deploy.resources.limits.memory` and `deploy.resources.limits.cpus` (or `mem_limit` and `cpus`)")
            .place(format!("services.{name}"));
            for (res, what) in [(&r.mem_reservation, "memory"), (&r.cpus_reservation, "CPU")] {
                if let Some(res) = res {
                    f = f.related(res.span, format!("a {what} reservation is not a limit"));
                }
            }
            if let Some(m) = &r.mem_limit {
                f = f.related(m.span, "memory limit");
            }
            if let Some(c) = &r.cpus_limit {
                f = f.related(c.span, "CPU limit");
            }
            out.push(f);
        }
    }
}
