//! SL203 `nginx-config-not-loaded`: an NGINX config is mounted at a path nginx never reads.
//!
//! Evidence: the proxy service's mounts (and Dockerfile COPYs), the main config
//! nginx starts from (mounted, or the image's own), and the `include`s that
//! reach each file. The rule only speaks when the whole picture is visible: no
//! named volume, `configs:` or `volumes_from` that could add includes, no
//! command or Dockerfile step that could move files around.

use std::path::Path;

use crate::analysis::nginx::loading::{misplaced, Misplaced};
use crate::compose::proxy::{self, NginxConfig};
use crate::compose::stack::Project;
use crate::finding::{Edit, Finding, Findings, Fix};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct NginxConfigNotLoaded;

pub static META: RuleMeta = RuleMeta {
    code: "SL203",
    name: "nginx-config-not-loaded",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "An NGINX config is mounted at a path nginx never reads",
    fix: crate::finding::FixAvailability::Sometimes,
};

impl Rule for NginxConfigNotLoaded {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for m in misplaced(p) {
            out.push(finding(p, &m));
        }
    }
}

fn finding(p: &Project, m: &Misplaced<'_>) -> Finding {
    let svc = &m.service.name.value;
    let host_of = |c: &NginxConfig| crate::paths::slash(&p.sources.get(c.file).path);
    let at = m
        .target
        .clone()
        .or_else(|| m.configs.first().and_then(|c| c.container_path.clone()))
        .unwrap_or_default();
    let main_mounted = p.nginx.iter().find(|c| {
        c.loaded
            && c.service.as_deref() == Some(svc.as_str())
            && c.container_path.as_deref() == Some(m.layout.main.as_str())
    });
    let what = if m.directory {
        let mut names: Vec<String> = m
            .configs
            .iter()
            .filter_map(|c| c.container_path.as_deref())
            .filter_map(|c| Path::new(c).file_name())
            .map(|n| format!("`{}`", n.to_string_lossy()))
            .collect();
        names.sort();
        format!(
            "the directory mounted at `{at}` (with {})",
            names.join(", ")
        )
    } else {
        // The source as the compose file writes it, else the file's path.
        let host = m
            .service
            .volumes
            .iter()
            .find(|v| v.span == m.mount)
            .and_then(|v| v.source.as_ref())
            .map(|s| s.value.to_string())
            .or_else(|| copy_source(p, m))
            .or_else(|| m.configs.first().map(|c| host_of(c)))
            .unwrap_or_default();
        let how = if m.target.is_some() {
            "mounted at"
        } else {
            "copied to"
        };
        format!("`{host}` is {how} `{at}`, where nginx never reads it")
    };
    let in_templates = m.layout.renders_templates
        && m.configs.iter().all(|c| {
            c.container_path
                .as_deref()
                .is_some_and(|p| m.layout.templates.holds(p))
        });
    let t = &m.layout.templates;
    let reads = match (main_mounted, m.main_like) {
        _ if in_templates => format!(
            "the image renders only the files of `{}` whose names end in `{}` (into `{}`)",
            t.dir, t.suffix, t.output
        ),
        (_, true) => format!("nginx starts from `{}`", m.layout.main),
        (Some(_), false) => format!(
            "the mounted `{}` includes nothing at that path",
            m.layout.main
        ),
        (None, false) => {
            let globs: Vec<String> = m
                .layout
                .default_includes
                .iter()
                .map(|(g, _)| format!("`{g}`"))
                .collect();
            format!(
                "the image's own nginx.conf includes only {}",
                globs.join(" and ")
            )
        }
    };
    let service_configs_loaded = p
        .nginx
        .iter()
        .any(|c| c.loaded && c.service.as_deref() == Some(svc.as_str()));
    let effect = if m.main_like && main_mounted.is_none() {
        "so the image's own nginx.conf runs instead"
    } else if main_mounted.is_none() && !service_configs_loaded {
        "so the image's default server answers instead (404 for your routes)"
    } else {
        "so nginx runs without it"
    };
    let message = if m.directory {
        format!("nginx never reads {what}: {reads}, {effect}")
    } else {
        format!("{what}: {reads}, {effect}")
    };
    let mut f = Finding::new(&META, m.mount, message)
        .label("not read by nginx")
        .place(if m.target.is_some() {
            format!("services.{svc}.volumes")
        } else {
            format!("services.{svc}.build")
        });
    match main_mounted {
        Some(main) => {
            // The includes that can read server configs (not mime.types, *_params).
            let includes: Vec<_> = main
                .parsed
                .find_all("include")
                .filter(|v| v.is_inside("http"))
                .filter(|v| {
                    v.directive
                        .arg(0)
                        .is_some_and(|a| !a.ends_with("mime.types") && !a.ends_with("_params"))
                })
                .collect();
            if includes.is_empty() {
                if let Some(ms) = main.mount_span {
                    f = f.related(
                        ms,
                        format!(
                            "the main config `{}`, which includes no server configs",
                            m.layout.main
                        ),
                    );
                }
            }
            for v in includes.iter().take(4) {
                f = f.related(
                    v.directive.span,
                    format!("nginx reads `{}`", v.directive.arg(0).unwrap_or("")),
                );
            }
        }
        None => {
            let image = m
                .service
                .image
                .as_ref()
                .map(|i| (i.span, i.value.to_string()))
                .or_else(|| {
                    let df = proxy::service_dockerfile(p, m.service)?;
                    let w = df
                        .from_images()
                        .into_iter()
                        .rev()
                        .find(|w| proxy::is_nginx_image(&w.value))?;
                    Some((w.span, w.value.to_string()))
                });
            if let Some((span, name)) = image {
                f = f.related(
                    span,
                    format!("`{name}` starts from its own `{}`", m.layout.main),
                );
            }
        }
    }
    let help = if in_templates && !m.directory {
        format!(
            "rename it to end in `{}`: mount it at `{}` (rendered into `{}`)",
            t.suffix,
            m.suggested,
            t.rendered(&m.suggested).unwrap_or_default()
        )
    } else if in_templates {
        format!(
            "rename its files to end in `{}`, or mount the directory at `{}` instead",
            t.suffix, m.suggested
        )
    } else if m.suggested.is_empty() {
        format!(
            "add an `include` of this file to the `http` block of `{}`",
            m.layout.main
        )
    } else if m.target.is_none() {
        format!("copy it to `{}` instead", m.suggested)
    } else if m.directory {
        format!("mount the directory at `{}` instead", m.suggested)
    } else {
        format!("mount it at `{}` instead", m.suggested)
    };
    // The fix: the mount's target, where it is written as the model read it,
    // becomes the one path nginx reads (the help's). Safe for a file: it is
    // read nowhere now, so nothing that works changes. Unsafe for a directory:
    // mounted at its new place it hides what the image has there (the
    // image's mime.types under /etc/nginx, its default.conf in conf.d).
    // A directory of templates has no one path to move to.
    let templates_dir = in_templates && m.directory;
    let retarget = (!m.suggested.is_empty() && !templates_dir)
        .then(|| m.service.volumes.iter().find(|v| v.span == m.mount))
        .flatten()
        .filter(|v| m.target.as_deref() == Some(v.target.value.as_str()))
        .filter(|v| p.sources.get(v.target.span.file).slice(&v.target.span) == v.target.value);
    if let Some(v) = retarget {
        let edits = vec![Edit {
            span: v.target.span,
            replacement: m.suggested.clone(),
        }];
        f = f.fix(if m.directory {
            Fix::unsafe_(
                format!(
                    "mount the directory at `{}` (it hides what the image has there)",
                    m.suggested
                ),
                edits,
            )
        } else {
            Fix::safe(format!("mount it at `{}`", m.suggested), edits)
        });
    }
    f.help(help)
}

/// The source of the Dockerfile `COPY` that placed the config, as written.
fn copy_source(p: &Project, m: &Misplaced<'_>) -> Option<String> {
    let df = proxy::service_dockerfile(p, m.service)?;
    let ins = df.instructions.iter().find(|i| i.span == m.mount)?;
    let words: Vec<&str> = ins
        .args
        .iter()
        .map(|w| w.value.as_str())
        .filter(|w| !w.starts_with("--"))
        .collect();
    let (_, sources) = words.split_last()?;
    let name = m
        .configs
        .first()
        .and_then(|c| c.container_path.as_deref())
        .and_then(|c| c.rsplit('/').next())
        .unwrap_or("");
    sources
        .iter()
        .find(|s| s.ends_with(name))
        .or(sources.first())
        .map(|s| s.to_string())
}
