//! SL503 `writable-root-filesystem`: no `read_only: true`.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct WritableRootFilesystem;

pub static META: RuleMeta = RuleMeta {
    code: "SL503",
    name: "writable-root-filesystem",
    severity: Severity::Warning,
    category: Category::Hardening,
    summary: "A service's root file system is writable (no `read_only: true`)",
    fix: crate::finding::FixAvailability::Sometimes,
};

impl Rule for WritableRootFilesystem {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            if svc
                .uncommon()
                .read_only
                .as_ref()
                .is_some_and(|r| crate::compose::model::is_true(&r.value))
            {
                continue;
            }
            let name = &svc.name.value;
            let mut f = Finding::new(
                &META,
                svc.name.span,
                format!("`{name}` can write anywhere in its image's file system: an intruder can change its programs and leave files behind"),
            )
            .label("no `read_only: true`")
            .help("add `read_only: true`, with `tmpfs: [/tmp]` and volumes for the paths the service writes")
            .place(format!("services.{name}"));
            if let Some(r) = &svc.uncommon().read_only {
                f = f.related(r.span, "turned off here");
            }
            if let Some(fix) = super::add_to_service(
                cx.project,
                svc,
                "read_only",
                "read_only: true",
                "add `read_only: true` (the paths it writes need a volume or tmpfs)",
            ) {
                f = f.fix(fix);
            }
            out.push(f);
        }
    }
}
