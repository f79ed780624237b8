//! SL403 `host-namespace`: a service shares a namespace with the host
//! (`network_mode`, `pid`, `ipc`, `uts` or `userns_mode` set to `host`).

use crate::compose::model::Spanned;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct HostNamespace;

pub static META: RuleMeta = RuleMeta {
    code: "SL403",
    name: "host-namespace",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A service shares the host's network, process, IPC, UTS or user namespace",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for HostNamespace {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            let iso = svc.isolation.as_deref();
            let settings: [(&str, Option<&Spanned<crate::compose::model::CompactString>>, &str); 5] = [
                (
                    "network_mode",
                    svc.network_mode.as_ref(),
                    "uses the host's network stack: it reaches every service the host binds to localhost, and anything it listens on is open on the host's interfaces without `ports:`",
                ),
                (
                    "pid",
                    iso.and_then(|i| i.pid.as_ref()),
                    "sees every process of the host and, as root, can signal or trace them",
                ),
                (
                    "ipc",
                    iso.and_then(|i| i.ipc.as_ref()),
                    "shares the host's shared memory and message queues",
                ),
                (
                    "uts",
                    iso.and_then(|i| i.uts.as_ref()),
                    "shares the host's hostname and domain name",
                ),
                (
                    "userns_mode",
                    iso.and_then(|i| i.userns_mode.as_ref()),
                    "opts out of the daemon's user-namespace remapping: root in the container is root on the host",
                ),
            ];
            let name = &svc.name.value;
            for (key, value, why) in settings {
                let Some(v) = value.filter(|v| v.value.trim() == "host") else {
                    continue;
                };
                out.push(
                    Finding::new(&META, v.span, format!("`{name}` {why} (`{key}: host`)"))
                        .label("the host's namespace")
                        .help(format!("remove `{key}: host` unless the service cannot work without it; then keep this finding suppressed with the reason"))
                        .place(format!("services.{name}.{key}")),
                );
            }
        }
    }
}
