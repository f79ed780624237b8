//! SL404 `dangerous-capability`: `cap_add` grants a capability that lets a
//! process in the container reach the host.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct DangerousCapability;

pub static META: RuleMeta = RuleMeta {
    code: "SL404",
    name: "dangerous-capability",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A service adds a capability that reaches beyond the container",
    fix: crate::finding::FixAvailability::None,
};

/// Capabilities outside Docker's default set that open the host, with what
/// each allows (capabilities(7)).
const DANGEROUS: &[(&str, &str)] = &[
    ("ALL", "every capability: as much as `privileged` short of the devices"),
    ("SYS_ADMIN", "mounting file systems, namespaces and many more administrative calls: the usual way out of a container"),
    ("SYS_MODULE", "loading kernel modules: code in the host's kernel"),
    ("SYS_PTRACE", "tracing and reading the memory of other processes"),
    ("SYS_RAWIO", "raw access to I/O ports and device memory"),
    ("SYS_BOOT", "rebooting the host"),
    ("SYS_TIME", "setting the host's clock (the clock is not namespaced)"),
    ("DAC_READ_SEARCH", "opening any file by handle, bypassing read permissions: the known way to read the host's files from a container"),
    ("NET_ADMIN", "reconfiguring the host's interfaces, routes and firewall rules, since the service uses the host's network (`network_mode: host`)"),
    ("BPF", "loading eBPF programs into the host's kernel"),
    ("PERFMON", "observing the host's kernel and processes through perf events"),
    ("MAC_ADMIN", "changing the AppArmor or SELinux policy"),
    ("MAC_OVERRIDE", "bypassing the AppArmor or SELinux policy"),
    ("SYSLOG", "reading the kernel log and kernel addresses"),
];

/// The capability's entry, for a name as compose takes it (`sys_admin`, `CAP_SYS_ADMIN`).
fn dangerous(cap: &str) -> Option<(&'static str, &'static str)> {
    let upper = cap.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    DANGEROUS.iter().find(|(c, _)| *c == bare).copied()
}

impl Rule for DangerousCapability {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            let name = &svc.name.value;
            for cap in &svc.uncommon().cap_add {
                let Some((cap_name, allows)) = dangerous(&cap.value) else {
                    continue;
                };
                // In the container's own network namespace (a VPN's usual need),
                // NET_ADMIN reconfigures that namespace only.
                let host_network = svc
                    .network_mode
                    .as_ref()
                    .is_some_and(|m| m.value.trim() == "host");
                if cap_name == "NET_ADMIN" && !host_network {
                    continue;
                }
                out.push(
                    Finding::new(
                        &META,
                        cap.span,
                        format!("`{name}` adds {cap_name}, which allows {allows}"),
                    )
                    .label(format!("{cap_name} added"))
                    .help("add only the narrow capability the program needs (NET_BIND_SERVICE to bind a low port, CHOWN, ...), or move the task that needs it out of the long-running service")
                    .place(format!("services.{name}.cap_add")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_compose_takes_them() {
        assert_eq!(dangerous("SYS_ADMIN").map(|d| d.0), Some("SYS_ADMIN"));
        assert_eq!(dangerous("cap_sys_admin").map(|d| d.0), Some("SYS_ADMIN"));
        assert_eq!(dangerous(" all ").map(|d| d.0), Some("ALL"));
        assert_eq!(dangerous("NET_BIND_SERVICE"), None);
        assert_eq!(dangerous("CHOWN"), None);
    }
}
