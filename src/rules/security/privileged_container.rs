//! SL402 `privileged-container`: `privileged: true`.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct PrivilegedContainer;

pub static META: RuleMeta = RuleMeta {
    code: "SL402",
    name: "privileged-container",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A service runs privileged: every capability and every host device",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for PrivilegedContainer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            let Some(flag) = svc.uncommon().privileged.as_ref() else {
                continue;
            };
            if !svc.runs_as_written() || !crate::compose::model::is_true(&flag.value) {
                continue;
            }
            let name = &svc.name.value;
            out.push(
                Finding::new(
                    &META,
                    flag.span,
                    format!("`{name}` runs privileged: it has every capability, sees every host device and is not confined by seccomp or AppArmor, so a process that escapes it is root on the host"),
                )
                .label("privileged")
                .help("remove `privileged: true` and grant only what the service needs: `cap_add` of one capability, `devices` for one device")
                .place(format!("services.{name}.privileged")),
            );
        }
    }
}
