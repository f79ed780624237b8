//! Which ports a service listens on, from evidence with spans: `ports`, `expose`,
//! server flags in `command`/`entrypoint`, `PORT`-style variables, NGINX `listen`,
//! Dockerfile `EXPOSE`, and the documented defaults of well-known images.

use crate::compose::model::Service;
use crate::source::Span;
use crate::stack::Project;

/// Where a piece of port evidence comes from; its `Display` names it in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvidenceKind {
    /// The container side of `ports`.
    Ports,
    /// `expose`.
    Expose,
    /// A port flag of a known server in `command` / `entrypoint`.
    Command,
    /// A `PORT`-style variable in `environment`.
    Environment,
    /// A `listen` directive of an NGINX config mounted into the service.
    NginxListen,
    /// `EXPOSE` in the service's Dockerfile.
    DockerfileExpose,
    /// A server flag in the Dockerfile's `CMD` / `ENTRYPOINT`.
    DockerfileCmd,
    /// The documented default port of a well-known image.
    ImageDefault,
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EvidenceKind::Ports => "ports",
            EvidenceKind::Expose => "expose",
            EvidenceKind::Command => "command",
            EvidenceKind::Environment => "environment",
            EvidenceKind::NginxListen => "nginx listen",
            EvidenceKind::DockerfileExpose => "Dockerfile EXPOSE",
            EvidenceKind::DockerfileCmd => "Dockerfile CMD",
            EvidenceKind::ImageDefault => "image default",
        })
    }
}

/// One reason to believe the service listens on `port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortEvidence {
    pub port: u16,
    pub kind: EvidenceKind,
    /// The text that says so (`None` for an image default, which is not written anywhere).
    pub span: Option<Span>,
}

/// Every piece of evidence about the ports `svc` listens on, in the order above.
pub fn listening_ports(p: &Project, svc: &Service) -> Vec<PortEvidence> {
    let _ = (p, svc);
    Vec::new()
}
