//! SL501 `no-new-privileges-missing`: `security_opt` lacks `no-new-privileges:true`.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct NoNewPrivilegesMissing;

pub static META: RuleMeta = RuleMeta {
    code: "SL501",
    name: "no-new-privileges-missing",
    severity: Severity::Warning,
    category: Category::Hardening,
    summary: "A service does not set `no-new-privileges:true` in `security_opt`",
    fix: crate::finding::FixAvailability::Sometimes,
};

/// Whether a `security_opt` entry turns no-new-privileges on (`no-new-privileges`,
/// `no-new-privileges:true`, `no-new-privileges=true`).
fn turns_on(opt: &str) -> bool {
    let opt = opt.trim();
    match opt.split_once([':', '=']) {
        None => opt == "no-new-privileges",
        Some((k, v)) => k.trim() == "no-new-privileges" && v.trim() == "true",
    }
}

impl Rule for NoNewPrivilegesMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            let opts = svc
                .isolation
                .as_deref()
                .map_or(&[][..], |i| i.security_opt.as_slice());
            // The last entry for the key wins, as in Docker.
            let last = opts
                .iter()
                .rev()
                .find(|o| o.value.trim().starts_with("no-new-privileges"));
            if last.is_some_and(|o| turns_on(&o.value)) {
                continue;
            }
            let name = &svc.name.value;
            let mut f = Finding::new(
                &META,
                svc.name.span,
                format!("`{name}` lets its processes gain privileges through setuid binaries (`no-new-privileges` is not set)"),
            )
            .label("no `no-new-privileges:true`")
            .help("add `security_opt: [\"no-new-privileges:true\"]`")
            .place(format!("services.{name}"));
            if let Some(o) = last {
                f = f.related(o.span, "turned off here");
            }
            if let Some(fix) = super::add_to_service(
                cx.project,
                svc,
                "security_opt",
                "security_opt: [\"no-new-privileges:true\"]",
                "add `security_opt: [\"no-new-privileges:true\"]`",
            ) {
                f = f.fix(fix);
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert!(turns_on("no-new-privileges:true"));
        assert!(turns_on("no-new-privileges=true"));
        assert!(turns_on("no-new-privileges"));
        assert!(!turns_on("no-new-privileges:false"));
        assert!(!turns_on("seccomp:unconfined"));
    }
}
