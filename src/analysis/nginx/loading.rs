//! Which NGINX configs a proxy never reads: the mounts (or COPYs) that place
//! server or main configs where nginx does not look, and where they were meant.

use foldhash::{HashMap, HashMapExt};
use std::path::Path;

use crate::compose::model::{MountKind, Service};
use crate::compose::proxy::{self, Flavor, Layout, NginxConfig, TEMPLATES_DIR};
use crate::compose::stack::Project;
use crate::source::Span;

/// A mount (or COPY) that puts server or main configs where nginx never reads them.
pub struct Misplaced<'a> {
    pub service: &'a Service,
    pub layout: Layout,
    /// The volume entry (or COPY instruction).
    pub mount: Span,
    /// The mount's container target, when it is a compose volume.
    pub target: Option<String>,
    /// The configs it places, none of which nginx reads.
    pub configs: Vec<&'a NginxConfig>,
    /// The mount is a directory.
    pub directory: bool,
    /// A complete main config (`events` / `http` at its top).
    pub main_like: bool,
    /// Where nginx would read it.
    pub suggested: String,
    /// The blocks nginx would read it in, at the suggested path.
    pub context: Vec<String>,
}

impl Misplaced<'_> {
    /// Where nginx would read this config, had it been placed as the help says.
    pub fn meant_path(&self, c: &NginxConfig) -> String {
        if !self.directory {
            return self.suggested.clone();
        }
        let path = c.container_path.as_deref().unwrap_or("");
        let rel = match &self.target {
            Some(t) => path.strip_prefix(t.as_str()).unwrap_or(path),
            None => path.rsplit_once('/').map(|(_, n)| n).unwrap_or(path),
        };
        format!("{}/{}", self.suggested, rel.trim_start_matches('/'))
    }

    /// The blocks around this config where it was meant to be read.
    pub fn meant_context(&self, c: &NginxConfig) -> Vec<String> {
        if is_main_config(c) {
            Vec::new()
        } else {
            self.context.clone()
        }
    }
}

/// Every misplaced config mount of the project, when the rule can be sure.
pub fn misplaced(p: &Project) -> Vec<Misplaced<'_>> {
    let mut out = Vec::new();
    let mut by_service: HashMap<&str, Vec<&NginxConfig>> = HashMap::new();
    for c in &p.nginx {
        if let Some(s) = c.service.as_deref() {
            by_service.entry(s).or_default().push(c);
        }
    }
    for svc in &p.model.services {
        let Some(configs) = by_service.remove(svc.name.value.as_str()) else {
            continue;
        };
        if configs.iter().all(|c| c.loaded) {
            continue;
        }
        let layout = proxy::layout(p, svc);
        if !fully_visible(p, svc, &layout) {
            continue;
        }
        let main_loaded = configs
            .iter()
            .any(|c| c.loaded && c.container_path.as_deref() == Some(layout.main.as_str()));
        // Group the unread configs by the mount that placed them.
        let mut mounts: Vec<Span> = Vec::new();
        for c in &configs {
            if let Some(m) = c.mount_span {
                if !c.loaded && !mounts.contains(&m) {
                    mounts.push(m);
                }
            }
        }
        for mount in mounts {
            let placed: Vec<&NginxConfig> = configs
                .iter()
                .copied()
                .filter(|c| c.mount_span == Some(mount))
                .collect();
            // Part of the mount is read: the rest is there on purpose (snippets, spares).
            if placed.iter().any(|c| c.loaded) {
                continue;
            }
            let unread: Vec<&NginxConfig> = placed
                .iter()
                .copied()
                .filter(|c| is_standalone_config(c))
                // Rendered by the image's entrypoint; other files beside the
                // templates are never read (unless the image renders none).
                .filter(|c| {
                    !c.template
                        && (layout.renders_templates
                            || !c
                                .container_path
                                .as_deref()
                                .is_some_and(|p| p.starts_with(&format!("{TEMPLATES_DIR}/"))))
                })
                // The same file is also mounted where nginx reads it.
                .filter(|c| !configs.iter().any(|o| o.loaded && o.file == c.file))
                .collect();
            if unread.is_empty() {
                continue;
            }
            let volume = svc.volumes.iter().find(|m| m.span == mount);
            let target = volume.map(|m| m.target.value.trim_end_matches('/').to_string());
            let directory = placed.len() > 1
                || match &target {
                    Some(t) => unread[0].container_path.as_deref() != Some(t.as_str()),
                    None => false,
                };
            let main_like = unread.iter().all(|c| is_main_config(c));
            let (suggested, context) =
                suggest(p, svc, &layout, main_loaded, &unread, directory, main_like);
            out.push(Misplaced {
                service: svc,
                layout: layout.clone(),
                mount,
                target,
                configs: unread,
                directory,
                main_like,
                suggested,
                context,
            });
        }
    }
    out
}

/// Whether everything that decides what nginx reads is in the stack's files:
/// no named volume, `configs:` or `volumes_from` under nginx's directories, no
/// command or Dockerfile step that may write or move configs.
pub fn fully_visible(p: &Project, svc: &Service, layout: &Layout) -> bool {
    // bitnami's own configs vary between releases; openresty and the official
    // image are known.
    if layout.flavor == Flavor::Bitnami {
        return false;
    }
    // A main config named with `-c` that is not mounted: unknown.
    if layout.main_from_command.is_some()
        && !p
            .nginx
            .iter()
            .any(|c| c.service.as_deref() == Some(svc.name.value.as_str()) && c.loaded)
    {
        return false;
    }
    if !svc.uncommon().configs.is_empty() || !svc.volumes_from.is_empty() {
        return false;
    }
    let roots = ["/etc/nginx", "/usr/local/openresty", "/opt/bitnami/nginx"];
    let under_roots = |t: &str| {
        let t = t.trim_end_matches('/');
        roots
            .iter()
            .any(|r| t == *r || t.starts_with(&format!("{r}/")) || r.starts_with(&format!("{t}/")))
            || t.is_empty()
    };
    for m in &svc.volumes {
        if !under_roots(&m.target.value) {
            continue;
        }
        // A mount from outside the project is not read: what it holds is unknown.
        let visible = m.kind == MountKind::Bind
            && m.host_path
                .as_ref()
                .is_some_and(|h| p.sources.admits(h) && p.sources.exists(h));
        if !visible {
            return false;
        }
        // A symlink (sites-enabled -> sites-available) makes nginx read a file
        // under another name; the placements do not follow links.
        let has_link = m.host_path.as_ref().is_some_and(|h| {
            h.is_dir()
                && walkdir::WalkDir::new(h)
                    .max_depth(4)
                    .follow_links(false)
                    .into_iter()
                    .filter_map(Result::ok)
                    .take(10_000)
                    .any(|e| e.path_is_symlink())
        });
        if has_link {
            return false;
        }
    }
    for cmd in [&svc.command, &svc.entrypoint].into_iter().flatten() {
        if !plain_nginx_command(
            &cmd.words()
                .iter()
                .map(|w| w.value.to_string())
                .collect::<Vec<_>>(),
        ) {
            return false;
        }
    }
    if svc.build.is_some() {
        let Some(df) = proxy::service_dockerfile(p, svc) else {
            return false;
        };
        let ctx = svc.build.as_ref().and_then(|b| b.context_dir.clone());
        for ins in df.final_stage() {
            let words: Vec<String> = ins.args.iter().map(|w| w.value.clone()).collect();
            let ok = match ins.name.as_str() {
                "FROM" | "EXPOSE" | "LABEL" | "ENV" | "ARG" | "WORKDIR" | "USER"
                | "HEALTHCHECK" | "STOPSIGNAL" | "VOLUME" | "MAINTAINER" | "SHELL" | "ONBUILD" => {
                    true
                }
                // A RUN that touches nginx's files may write an include we cannot see.
                "RUN" => !words
                    .iter()
                    .any(|w| w.contains("nginx") || w.contains("/etc/")),
                "CMD" | "ENTRYPOINT" => plain_nginx_command(&words),
                // COPY from the context is followed; other stages and archives are not.
                "COPY" => {
                    !words.iter().any(|w| w.starts_with("--from"))
                        && words
                            .iter()
                            .filter(|w| !w.starts_with("--"))
                            .rev()
                            .skip(1)
                            .all(|src| {
                                ctx.as_ref()
                                    .is_some_and(|c| c.join(src).exists() && !src.contains('*'))
                            })
                }
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// `nginx -g 'daemon off;'` and the like: nothing that moves files around.
fn plain_nginx_command(words: &[String]) -> bool {
    let mut it = words
        .iter()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''));
    while let Some(w) = it.next() {
        match w {
            "nginx"
            | "nginx-debug"
            | "openresty"
            | "/usr/sbin/nginx"
            | "/docker-entrypoint.sh"
            | "daemon"
            | "off;"
            | "daemon off;"
            | "" => {}
            "-g" | "-c" | "-e" | "-p" => {
                it.next();
            }
            _ => return false,
        }
    }
    true
}

/// A file nginx could read on its own: a main config, or `server` / `upstream`
/// blocks for `http`. Snippets (locations, bare directives) are meant to be included.
fn is_standalone_config(c: &NginxConfig) -> bool {
    c.parsed.directives.iter().any(|d| {
        d.is_block()
            && matches!(
                d.name.as_str(),
                "server" | "upstream" | "http" | "events" | "stream"
            )
    })
}

fn is_main_config(c: &NginxConfig) -> bool {
    c.parsed
        .directives
        .iter()
        .any(|d| d.is_block() && matches!(d.name.as_str(), "http" | "events"))
}

/// Where nginx would read these configs, and the blocks around them there.
fn suggest(
    p: &Project,
    svc: &Service,
    layout: &Layout,
    main_loaded: bool,
    unread: &[&NginxConfig],
    directory: bool,
    main_like: bool,
) -> (String, Vec<String>) {
    let http = vec!["http".to_string()];
    if main_like {
        return (layout.main.clone(), Vec::new());
    }
    // A directory with the main config in it belongs where the main config lives.
    if directory && unread.iter().any(|c| is_main_config(c)) {
        return (layout.conf_dir.clone(), http);
    }
    // A file beside the templates is rendered once its name ends in the suffix.
    let in_templates = layout.renders_templates
        && unread.iter().all(|c| {
            c.container_path
                .as_deref()
                .is_some_and(|p| layout.templates.holds(p))
        });
    if in_templates && !directory {
        if let Some(path) = unread.first().and_then(|c| c.container_path.as_deref()) {
            return (format!("{path}{}", layout.templates.suffix), http);
        }
    }
    if in_templates {
        return (layout.templates.output.clone(), http);
    }
    // A template is rendered only from the templates directory.
    let template_name = unread
        .first()
        .and_then(|c| c.container_path.as_deref())
        .and_then(|c| c.rsplit('/').next())
        .filter(|n| n.ends_with(".template"));
    if let (Some(name), true, false) = (template_name, layout.renders_templates, directory) {
        return (format!("{}/{name}", layout.templates.dir), http);
    }
    // The directory an include of the mounted main config reads, else the image's own.
    let mut dir_glob: Option<String> = None;
    if main_loaded {
        for c in p
            .nginx
            .iter()
            .filter(|c| c.loaded && c.service.as_deref() == Some(svc.name.value.as_str()))
        {
            for v in c.parsed.find_all("include") {
                let mut ctx = c.context.clone();
                ctx.extend(v.context().iter().map(|s| s.to_string()));
                if ctx != http {
                    continue;
                }
                let Some(pat) = v.directive.arg(0) else {
                    continue;
                };
                if pat.contains('*') && !pat.ends_with("mime.types") {
                    let full = if pat.starts_with('/') {
                        pat.to_string()
                    } else {
                        format!("{}/{pat}", layout.conf_dir)
                    };
                    dir_glob = Some(full);
                    break;
                }
            }
            if dir_glob.is_some() {
                break;
            }
        }
    } else {
        dir_glob = layout
            .default_includes
            .iter()
            .find(|(_, ctx)| *ctx == http)
            .map(|(g, _)| g.clone());
    }
    let Some(glob) = dir_glob else {
        return (String::new(), http);
    };
    let (dir, last) = glob.rsplit_once('/').unwrap_or(("", glob.as_str()));
    if directory {
        return (dir.to_string(), http);
    }
    let name = unread
        .first()
        .and_then(|c| c.container_path.as_deref())
        .and_then(|c| Path::new(c).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "default.conf".into());
    let name = match last.strip_prefix('*') {
        Some(ext) if !ext.is_empty() && !name.ends_with(ext) => format!("{name}{ext}"),
        _ => name,
    };
    (format!("{dir}/{name}"), http)
}
