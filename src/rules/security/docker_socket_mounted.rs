//! SL401 `docker-socket-mounted`: a service mounts the Docker (or Podman) API socket.

use crate::compose::model::MountKind;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct DockerSocketMounted;

pub static META: RuleMeta = RuleMeta {
    code: "SL401",
    name: "docker-socket-mounted",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A service mounts the Docker socket, which gives it control of the host",
    fix: crate::finding::FixAvailability::None,
};

/// The API sockets of the container engines, by file name.
const SOCKETS: &[&str] = &["docker.sock", "podman.sock"];

/// Whether a bind mount's host side is an engine socket (or a directory
/// holding one: `/var/run`, `/run`), and which.
fn socket_of(source: &str) -> Option<&'static str> {
    let path = source.trim_end_matches('/');
    if let Some(name) = path.rsplit('/').next() {
        if let Some(s) = SOCKETS.iter().find(|s| **s == name) {
            return Some(s);
        }
    }
    matches!(path, "/var/run" | "/run").then_some("docker.sock")
}

impl Rule for DockerSocketMounted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            // A socket proxy holds the socket so that the other services need not.
            // Its image is read only for a service that mounts a socket: few do.
            let is_proxy = || {
                svc.image
                    .as_ref()
                    .and_then(|i| crate::image::ImageRef::parse(&i.value))
                    .is_some_and(|i| crate::knowledge::is_socket_proxy(&i.path))
            };
            let name = &svc.name.value;
            for m in &svc.volumes {
                let Some(src) = m.source.as_ref().filter(|_| m.kind == MountKind::Bind) else {
                    continue;
                };
                // A relative path is a file of the project, not the host's socket.
                if !src.value.starts_with('/') {
                    continue;
                }
                let Some(socket) = socket_of(&src.value) else {
                    continue;
                };
                if is_proxy() {
                    break;
                }
                let what = if src.value.ends_with(socket) {
                    format!("the host's `{socket}`")
                } else {
                    format!("`{}`, which holds the host's `{socket}`", src.value)
                };
                let ro = if m.read_only {
                    " (read-only does not help: the API is used through the socket, not by writing the file)"
                } else {
                    ""
                };
                let f = Finding::new(
                    &META,
                    src.span,
                    format!("`{name}` mounts {what}: whoever controls the container controls the host{ro}"),
                )
                .label("the container engine's API")
                .related(m.target.span, "where the container sees it")
                .help("drop the mount, or put a socket proxy in front of it that allows only the API calls the service needs (for example tecnativa/docker-socket-proxy with CONTAINERS=1)")
                .place(format!("services.{name}.volumes"));
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets() {
        assert_eq!(socket_of("/var/run/docker.sock"), Some("docker.sock"));
        assert_eq!(socket_of("/run/docker.sock"), Some("docker.sock"));
        assert_eq!(
            socket_of("/run/user/1000/podman/podman.sock"),
            Some("podman.sock")
        );
        assert_eq!(socket_of("/var/run/"), Some("docker.sock"));
        assert_eq!(socket_of("/var/run/docker.sock.bak"), None);
        assert_eq!(socket_of("/var/run/postgresql"), None);
        assert_eq!(socket_of("/srv/app"), None);
    }
}
