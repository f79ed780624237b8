//! SL406 `security-profile-disabled`: `security_opt` turns off seccomp,
//! AppArmor, SELinux labels or the masking of kernel paths.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct SecurityProfileDisabled;

pub static META: RuleMeta = RuleMeta {
    code: "SL406",
    name: "security-profile-disabled",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A service turns off seccomp, AppArmor or SELinux confinement",
    fix: crate::finding::FixAvailability::None,
};

/// What a `security_opt` entry turns off, if anything. Docker takes both
/// `key:value` and `key=value`.
fn disables(opt: &str) -> Option<&'static str> {
    let opt = opt.trim();
    let (key, value) = opt.split_once(['=', ':'])?;
    match (key.trim(), value.trim()) {
        ("seccomp", "unconfined") => Some("the seccomp filter, which blocks the system calls containers have no use for (mount, kernel modules, kexec, ...)"),
        ("apparmor", "unconfined") => Some("the AppArmor profile, which keeps the container off the host's sensitive files"),
        ("label", "disable") => Some("SELinux labelling, which keeps the container off the host's files"),
        ("systempaths", "unconfined") => Some("the masking of kernel paths under /proc and /sys"),
        _ => None,
    }
}

impl Rule for SecurityProfileDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            let Some(iso) = svc.isolation.as_deref() else {
                continue;
            };
            let name = &svc.name.value;
            for opt in &iso.security_opt {
                let Some(what) = disables(&opt.value) else {
                    continue;
                };
                out.push(
                    Finding::new(&META, opt.span, format!("`{name}` turns off {what}"))
                        .label("confinement off")
                        .help("remove the option; if one system call or path is missing, write a profile that allows just that (`seccomp=./profile.json`)")
                        .place(format!("services.{name}.security_opt")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert!(disables("seccomp:unconfined").is_some());
        assert!(disables("seccomp=unconfined").is_some());
        assert!(disables("apparmor:unconfined").is_some());
        assert!(disables("apparmor=unconfined").is_some());
        assert!(disables("label:disable").is_some());
        assert!(disables("label=disable").is_some());
        assert!(disables("systempaths=unconfined").is_some());
        assert!(disables("no-new-privileges:true").is_none());
        assert!(disables("seccomp=./profile.json").is_none());
        assert!(disables("label=type:svirt_apache_t").is_none());
        assert!(disables("apparmor=docker-default").is_none());
    }
}
