//! SL405 `sensitive-host-mount`: a bind mount of a host directory that holds the
//! host's system, its configuration or someone's credentials.

use crate::compose::model::MountKind;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct SensitiveHostMount;

pub static META: RuleMeta = RuleMeta {
    code: "SL405",
    name: "sensitive-host-mount",
    severity: Severity::Warning,
    category: Category::Security,
    summary:
        "A service mounts a sensitive host path (/, /etc, /proc, /var/lib/docker, ~/.ssh, ...)",
    fix: crate::finding::FixAvailability::None,
};

/// Paths that are sensitive as a whole (the directory itself).
const EXACT: &[(&str, &str)] = &[
    ("/", "the host's whole file system"),
    ("/etc", "the host's configuration, password hashes and keys"),
    (
        "/root",
        "root's home directory, with its keys and credentials",
    ),
    (
        "/home",
        "every user's home directory, with their keys and credentials",
    ),
    ("/boot", "the host's kernel and boot loader"),
    ("/proc", "the host's process table and kernel settings"),
    ("/sys", "the host's kernel and device settings"),
    ("/dev", "every device of the host"),
    ("/usr", "the host's programs"),
    ("/bin", "the host's programs"),
    ("/sbin", "the host's programs"),
    ("/lib", "the host's libraries"),
    (
        "/var",
        "the host's state, including every container's files",
    ),
    (
        "/var/lib",
        "the host's state, including every container's files",
    ),
    ("/var/lib/docker", "every container's files and volumes"),
];

/// Paths sensitive with everything below them.
const TREES: &[(&str, &str)] = &[
    ("/boot", "the host's kernel and boot loader"),
    ("/var/lib/docker", "every container's files and volumes"),
    ("/var/lib/kubelet", "the kubelet's state and credentials"),
    ("/etc/ssh", "the host's SSH keys and configuration"),
    ("/etc/shadow", "the host's password hashes"),
    ("/etc/gshadow", "the host's group password hashes"),
    ("/etc/sudoers", "who may become root on the host"),
    ("/etc/sudoers.d", "who may become root on the host"),
    ("/etc/kubernetes", "the cluster's credentials"),
    (
        "/etc/docker",
        "the Docker daemon's configuration and TLS keys",
    ),
];

/// Paths harmless to read but not to write, with everything below them.
const WRITABLE_TREES: &[(&str, &str)] = &[
    ("/lib/modules", "the kernel modules the host loads by name"),
    (
        "/usr/lib/modules",
        "the kernel modules the host loads by name",
    ),
];

/// Directories of a home that hold credentials.
const CREDENTIAL_DIRS: &[(&str, &str)] = &[
    (".ssh", "SSH keys"),
    (".aws", "AWS credentials"),
    (".gnupg", "GPG keys"),
    (".kube", "Kubernetes credentials"),
    (".docker", "registry credentials"),
    (".config/gcloud", "Google Cloud credentials"),
    (".azure", "Azure credentials"),
];

/// What a host path exposes, when it is sensitive (`writable`: mounted so). Only paths of the host
/// count: absolute, or in a home (`~`); a path of the project is not.
fn exposes(source: &str, writable: bool) -> Option<&'static str> {
    let home = source == "~" || source.starts_with("~/");
    if !source.starts_with('/') && !home {
        return None;
    }
    let path = crate::paths::normalize_path(std::path::Path::new(source));
    let path = path.to_string_lossy();
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        &path
    };
    if path == "~" {
        return Some("a home directory, with its keys and credentials");
    }
    if let Some((_, why)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(why);
    }
    let under = |trees: &'static [(&'static str, &'static str)]| {
        trees
            .iter()
            .find(|(p, _)| {
                path.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map(|(_, why)| *why)
    };
    if let Some(why) = under(TREES) {
        return Some(why);
    }
    if let (true, Some(why)) = (writable, under(WRITABLE_TREES)) {
        return Some(why);
    }
    // `/home/ann` is a home as a whole.
    if path
        .strip_prefix("/home/")
        .is_some_and(|user| !user.is_empty() && !user.contains('/'))
    {
        return Some("a user's home directory, with their keys and credentials");
    }
    let in_home = home || path.starts_with("/home/") || path.starts_with("/root/");
    if in_home {
        for (dir, what) in CREDENTIAL_DIRS {
            let hit = path.match_indices(dir).any(|(i, _)| {
                path[..i].ends_with('/')
                    && path[i + dir.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == '/')
            });
            if hit {
                return Some(what);
            }
        }
    }
    None
}

/// What a host device gives a container, when it is one of raw memory, I/O
/// ports or a disk. Devices that are the point of a service (GPUs, USB, serial,
/// `/dev/kmsg` for a monitoring agent, `/dev/net/tun`) are not listed.
fn device_exposes(source: &str) -> Option<&'static str> {
    let path = crate::paths::normalize_path(std::path::Path::new(source.trim()));
    let path = path.to_string_lossy();
    let name = path.strip_prefix("/dev/")?;
    match name {
        "mem" | "kmem" => {
            return Some("the host's physical memory, every process's secrets included")
        }
        "port" => return Some("the host's I/O ports"),
        _ => {}
    }
    // A disk or a partition of one: the host's files, past their permissions.
    let disk = ["sd", "hd", "vd", "xvd", "nvme", "mmcblk", "dm-", "md"]
        .iter()
        .any(|p| {
            name.strip_prefix(p).is_some_and(|rest| {
                rest.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            })
        })
        || name.starts_with("mapper/")
        || name.starts_with("disk/");
    disk.then_some("raw access to a disk of the host: every file on it, past its permissions")
}

impl Rule for SensitiveHostMount {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            let name = &svc.name.value;
            for m in &svc.volumes {
                let Some(src) = m.source.as_ref().filter(|_| m.kind == MountKind::Bind) else {
                    continue;
                };
                let Some(what) = exposes(&src.value, !m.read_only) else {
                    continue;
                };
                let (how, help) = if m.read_only {
                    (
                        "read-only",
                        "mount only the file or directory the service needs, read-only",
                    )
                } else {
                    (
                        "writable: the container can change it",
                        "mount only the file or directory the service needs, and add `:ro` (or `read_only: true`) unless it must write there",
                    )
                };
                out.push(
                    Finding::new(
                        &META,
                        src.span,
                        format!(
                            "`{name}` mounts the host's `{}` ({how}), which exposes {what}",
                            src.value
                        ),
                    )
                    .label("a sensitive host path")
                    .related(m.target.span, "where the container sees it")
                    .help(help)
                    .place(format!("services.{name}.volumes")),
                );
            }
            // `devices:` as `HOST[:CONTAINER[:PERMISSIONS]]` or `{source, target}`.
            let devices = cx
                .project
                .service_node(name)
                .and_then(|n| n.get("devices"))
                .and_then(|d| d.as_seq())
                .unwrap_or_default();
            for d in devices {
                let (source, span) = match d.as_str() {
                    Some(s) => {
                        let host = s.split(':').next().unwrap_or(s);
                        let at =
                            crate::compose::merge::sub_span(d, &cx.project.sources, 0, host.len());
                        (host, at)
                    }
                    None => match d
                        .get("source")
                        .and_then(|s| s.as_str().map(|v| (v, s.span())))
                    {
                        Some(found) => found,
                        None => continue,
                    },
                };
                let Some(what) = device_exposes(source) else {
                    continue;
                };
                out.push(
                    Finding::new(
                        &META,
                        span,
                        format!("`{name}` is given the host's device `{source}`, which exposes {what}"),
                    )
                    .label("a sensitive host device")
                    .help("give the service only the devices it needs; a disk's data belongs in a mounted directory or a volume")
                    .place(format!("services.{name}.devices")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths() {
        for p in [
            "/",
            "/etc",
            "/etc/",
            "/proc",
            "/var/lib/docker",
            "/var/lib/docker/volumes",
            "/root/.ssh",
            "~/.ssh",
            "~/.ssh/id_ed25519",
            "/home/ann/.aws",
            "/home/ann",
            "~",
            "/etc/ssh/sshd_config",
            "/var/../etc",
        ] {
            assert!(exposes(p, false).is_some(), "{p}");
        }
        for p in [
            "/etc/localtime",
            "/etc/timezone",
            "/etc/ssl/certs",
            "/etc/hosts",
            "/var/run/docker.sock",
            "/dev/null",
            "/dev/ttyUSB0",
            "/sys/fs/cgroup",
            "/srv/app",
            "./etc",
            "etc",
            "~/projects/app",
            "/home/ann/.sshd",
            "/opt/.ssh-keys",
            "/root/n8n/letsencrypt",
            "/var/log",
        ] {
            assert!(exposes(p, true).is_none(), "{p}");
        }
        assert!(exposes("/lib/modules", true).is_some());
        assert!(exposes("/lib/modules/6.1.0", true).is_some());
        assert!(exposes("/lib/modules", false).is_none());
    }
}
