//! SL502 `capabilities-not-dropped`: no `cap_drop: [ALL]`.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct CapabilitiesNotDropped;

pub static META: RuleMeta = RuleMeta {
    code: "SL502",
    name: "capabilities-not-dropped",
    severity: Severity::Warning,
    category: Category::Hardening,
    summary: "A service keeps Docker's default capabilities (no `cap_drop: [ALL]`)",
    fix: crate::finding::FixAvailability::Sometimes,
};

impl Rule for CapabilitiesNotDropped {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            let drops = svc
                .isolation
                .as_deref()
                .map_or(&[][..], |i| i.cap_drop.as_slice());
            let all = drops.iter().any(|c| {
                let c = c.value.trim().to_ascii_uppercase();
                c == "ALL" || c == "CAP_ALL"
            });
            if all {
                continue;
            }
            let name = &svc.name.value;
            let mut f = Finding::new(
                &META,
                svc.name.span,
                format!("`{name}` keeps Docker's default capabilities (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, NET_RAW, ...): drop them all and add back what it needs"),
            )
            .label("no `cap_drop: [ALL]`")
            .help("add `cap_drop: [ALL]`, and `cap_add` for each capability the service needs (often none, or NET_BIND_SERVICE, CHOWN, SETUID, SETGID for an image that drops root itself)")
            .place(format!("services.{name}"));
            if let Some(fix) = super::add_to_service(
                cx.project,
                svc,
                "cap_drop",
                "cap_drop: [ALL]",
                "add `cap_drop: [ALL]` (the service may need some back with `cap_add`)",
            ) {
                f = f.fix(fix);
            }
            out.push(f);
        }
    }
}
