//! What a proxy service puts into its container (bind mounts, Dockerfile
//! COPYs), and which of those host paths hold NGINX configs. A host path
//! outside the project is never listed nor read.

use std::path::{Path, PathBuf};

use super::{service_dockerfile, PathIndex, Templates};
use crate::compose::model::{MountKind, Service};
use crate::compose::stack::{Project, Unreadable};
use crate::paths::normalize_path;
use crate::source::{ReadError, Span};

/// A host path placed at a container path, by a bind mount or a Dockerfile COPY.
#[derive(Clone, Debug)]
pub(super) struct Placement {
    pub(super) container: String,
    pub(super) host: PathBuf,
    pub(super) span: Span,
    /// The host path lies outside the project: never listed nor read.
    pub(super) outside: bool,
}

/// What the service puts into its container: bind mounts, then Dockerfile COPYs.
pub(super) fn placements(p: &Project, svc: &Service) -> Vec<Placement> {
    // Docker refuses two mounts at one container path; the first is kept, and a
    // list naming one path a million times costs one placement.
    let mut targets = std::collections::HashSet::new();
    let mut out: Vec<Placement> = svc
        .volumes
        .iter()
        .filter(|m| m.kind == MountKind::Bind)
        .filter(|m| targets.insert(m.target.value.trim_end_matches('/')))
        .filter_map(|m| {
            let host = m.host_path.clone()?;
            Some(Placement {
                container: m.target.value.trim_end_matches('/').to_string(),
                outside: p.sources.outside(&host),
                host,
                span: m.span,
            })
        })
        .collect();
    if let (Some(df), Some(ctx)) = (
        service_dockerfile(p, svc),
        svc.build.as_ref().and_then(|b| b.context_dir.clone()),
    ) {
        for c in df.copies() {
            if c.sources.is_empty() || c.from_stage {
                continue;
            }
            let dest = &c.dest.value;
            for src in &c.sources {
                let host = normalize_path(&ctx.join(&src.value));
                // `COPY a.conf /etc/nginx/conf.d/` keeps the file name.
                let container = if dest.ends_with('/') && host.is_file() {
                    format!(
                        "{}/{}",
                        dest.trim_end_matches('/'),
                        host.file_name()
                            .map(|n| n.to_string_lossy())
                            .unwrap_or_default()
                    )
                } else {
                    dest.trim_end_matches('/').to_string()
                };
                out.push(Placement {
                    container,
                    outside: p.sources.outside(&host),
                    host,
                    span: c.span,
                });
            }
        }
    }
    out
}

/// The host path behind a container path, through the deepest placement above it.
pub(super) fn host_of(placements: &[Placement], container: &str) -> Option<(PathBuf, Span)> {
    placements
        .iter()
        .filter(|pl| {
            container == pl.container || container.starts_with(&format!("{}/", pl.container))
        })
        .max_by_key(|pl| pl.container.len())
        .map(|pl| {
            let rest = container[pl.container.len()..].trim_start_matches('/');
            let host = if rest.is_empty() {
                pl.host.clone()
            } else {
                pl.host.join(rest)
            };
            (host, pl.span)
        })
}

/// Every nginx-looking file the placements put into the container: (container path, host path, span).
pub(super) fn placed_files(
    placements: &[Placement],
    templates: &Templates,
) -> Vec<(String, PathBuf, Span)> {
    let mut out = Vec::new();
    for pl in placements {
        // A FIFO or device mounted as a file is read (and reported as unreadable);
        // `/dev/null` mounted over a config is how one empties it, so never read.
        // One `stat` per placement.
        let Ok(meta) = std::fs::metadata(&pl.host) else {
            continue;
        };
        if !meta.is_dir() {
            if !crate::source::is_system_path(&pl.host) {
                out.push((pl.container.clone(), pl.host.clone(), pl.span));
            }
        } else if !pl.outside {
            let walker = walkdir::WalkDir::new(&pl.host)
                .max_depth(4)
                .follow_links(false);
            for e in walker.into_iter().filter_map(Result::ok) {
                // FIFOs and devices are kept, to be reported when read.
                if e.file_type().is_dir() || e.file_type().is_symlink() {
                    continue;
                }
                let Ok(rel) = e.path().strip_prefix(&pl.host) else {
                    continue;
                };
                let rel = crate::paths::slash(rel);
                out.push((
                    format!("{}/{}", pl.container, rel),
                    e.path().to_path_buf(),
                    pl.span,
                ));
            }
        }
    }
    out.retain(|(c, h, _)| looks_like_nginx(c, h) || templates.rendered(c).is_some());
    out
}

pub(super) fn looks_like_nginx(container: &str, host: &Path) -> bool {
    let name = host
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let under_nginx = container.starts_with("/etc/nginx/")
        || container.starts_with("/usr/local/openresty/nginx/conf")
        || container.starts_with("/opt/bitnami/nginx/conf");
    under_nginx
        && (name.ends_with(".conf")
            || name.ends_with(".template")
            || name == "nginx.conf"
            || container.contains("/sites-"))
}

/// A directory mounted from outside the project is not listed: where nginx
/// would read configs from it (its main config, an include, the templates
/// lie below it), one finding at the mount says what was not read.
pub(super) fn report_outside_dirs(p: &mut Project, placements: &[Placement], wanted: &[String]) {
    for pl in placements {
        if !pl.outside || pl.host.is_file() || crate::source::is_system_path(&pl.host) {
            continue;
        }
        let below = |w: &String| {
            w.strip_prefix(pl.container.as_str())
                .is_some_and(|r| r.is_empty() || r.starts_with('/'))
        };
        let known = p
            .unreadable
            .iter()
            .any(|u| u.referenced_at == Some(pl.span) && u.error == ReadError::Outside);
        if wanted.iter().any(below) && !known {
            p.unreadable.push(Unreadable {
                path: pl.host.clone(),
                error: ReadError::Outside,
                referenced_at: Some(pl.span),
            });
        }
    }
}

/// The container paths an include pattern names: itself, or what its glob
/// matches among the placed files (`index`).
pub(super) fn expand_include(pattern: &str, index: &mut PathIndex, all: &[String]) -> Vec<String> {
    let pattern = normalize_path(Path::new(pattern))
        .to_string_lossy()
        .into_owned();
    if !pattern.contains(['*', '?', '[']) {
        return vec![pattern];
    }
    let mut out: Vec<String> = index
        .matches(&pattern)
        .iter()
        .filter_map(|&i| all.get(i).cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

pub(super) fn placed_all(placements: &[Placement]) -> Vec<String> {
    let mut out = Vec::new();
    for pl in placements {
        if pl.host.is_file() {
            out.push(pl.container.clone());
        } else if pl.host.is_dir() && !pl.outside {
            for e in walkdir::WalkDir::new(&pl.host)
                .max_depth(4)
                .into_iter()
                .filter_map(Result::ok)
            {
                if let (true, Ok(rel)) = (e.file_type().is_file(), e.path().strip_prefix(&pl.host))
                {
                    out.push(format!("{}/{}", pl.container, crate::paths::slash(rel)));
                }
            }
        }
    }
    out
}
