//! The NGINX configs of a stack, found by following the mounts of its proxy
//! services: which host file lands where in the container, and whether nginx
//! reads it there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::compose::model::{MountKind, Service};
use crate::compose::stack::{Project, Unreadable};
use crate::parse::dockerfile::{self, Dockerfile};
use crate::parse::nginx::{self, Directive, NginxFile};
use crate::paths::normalize_path;
use crate::source::{FileId, FileKind, SourceFile, Span};

mod index;
mod placements;
pub use index::{PathIndex, GLOB_OPTIONS};
use placements::{
    expand_include, host_of, placed_all, placed_files, placements, report_outside_dirs, Placement,
};

/// Where the official image's nginx.conf and its `include` of conf.d live.
pub const MAIN_CONF: &str = "/etc/nginx/nginx.conf";
pub const CONF_D: &str = "/etc/nginx/conf.d";
pub const TEMPLATES_DIR: &str = "/etc/nginx/templates";

/// Files read through `include` at most this deep.
const MAX_INCLUDE_DEPTH: usize = 16;

#[derive(Clone, Debug)]
pub struct NginxConfig {
    pub file: FileId,
    pub parsed: NginxFile,
    /// The proxy service it belongs to (`None` for a file linted on its own).
    pub service: Option<String>,
    /// Where it sits in the container.
    pub container_path: Option<String>,
    /// The mount (or Dockerfile COPY) that puts it there.
    pub mount_span: Option<Span>,
    /// Whether nginx reads it: the main config, a file it includes, or (with the
    /// image's own nginx.conf) a file in conf.d.
    pub loaded: bool,
    /// The block names that enclose this file where it is included
    /// (`["http"]` for conf.d files); empty for the main config.
    pub context: Vec<String>,
    /// The `include` directive that reads it, when it is included by another file.
    pub included_at: Option<Span>,
    /// A template the image's entrypoint renders with envsubst at start
    /// (`/etc/nginx/templates/*.template`, at any depth).
    pub template: bool,
    /// For a template: where the rendered file lands, the path nginx and its
    /// `include`s see (`/etc/nginx/conf.d/default.conf`).
    pub rendered_path: Option<String>,
}

impl NginxConfig {
    /// The path nginx reads this config at: the rendered file for a template.
    pub fn nginx_path(&self) -> Option<&str> {
        self.rendered_path
            .as_deref()
            .or(self.container_path.as_deref())
    }
}

/// Where the official image's entrypoint finds templates and writes them
/// (`20-envsubst-on-templates.sh`): every file under `dir` whose name ends in
/// `suffix` is rendered to `output` + its path below `dir`, without the suffix.
/// The `NGINX_ENVSUBST_TEMPLATE_DIR`, `_SUFFIX` and `_OUTPUT_DIR` variables of
/// the service change them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Templates {
    pub dir: String,
    pub suffix: String,
    pub output: String,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            dir: TEMPLATES_DIR.into(),
            suffix: ".template".into(),
            output: CONF_D.into(),
        }
    }
}

impl Templates {
    /// Whether a container path lies under the templates directory.
    pub fn holds(&self, container: &str) -> bool {
        container
            .strip_prefix(self.dir.as_str())
            .is_some_and(|r| r.starts_with('/'))
    }

    /// Where the entrypoint renders the file at this container path, when it is a template.
    pub fn rendered(&self, container: &str) -> Option<String> {
        let rel = container
            .strip_prefix(self.dir.as_str())?
            .strip_prefix('/')?;
        let base = rel.strip_suffix(self.suffix.as_str())?;
        // `find -name "*$suffix"`: the suffix alone is no template name.
        if base.is_empty() || base.ends_with('/') || self.suffix.is_empty() {
            return None;
        }
        Some(format!("{}/{base}", self.output.trim_end_matches('/')))
    }
}

pub use crate::knowledge::NginxFlavor as Flavor;

/// Where a proxy service's nginx starts reading, and what the image's own main
/// config reads when none is mounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub flavor: Flavor,
    /// The main config: the image's default or the one named with `nginx -c`.
    pub main: String,
    /// Relative `include` paths resolve against this directory.
    pub conf_dir: String,
    /// The includes of the image's own main config: glob, and the blocks around it.
    pub default_includes: Vec<(String, Vec<String>)>,
    /// Whether the image renders `/etc/nginx/templates/*.template` into conf.d at start.
    pub renders_templates: bool,
    /// Where it finds templates and writes them (when it renders them).
    pub templates: Templates,
    /// The `-c <file>` of `command` / `entrypoint`, when it names the main config.
    pub main_from_command: Option<Span>,
}

impl Layout {
    fn for_flavor(flavor: Flavor) -> Layout {
        let http = || vec!["http".to_string()];
        let (main, conf_dir, default_includes) = match flavor {
            Flavor::Official => (
                MAIN_CONF,
                "/etc/nginx",
                vec![(format!("{CONF_D}/*.conf"), http())],
            ),
            Flavor::OpenResty => (
                "/usr/local/openresty/nginx/conf/nginx.conf",
                "/usr/local/openresty/nginx/conf",
                vec![(format!("{CONF_D}/*.conf"), http())],
            ),
            Flavor::Bitnami => (
                "/opt/bitnami/nginx/conf/nginx.conf",
                "/opt/bitnami/nginx/conf",
                vec![
                    (
                        "/opt/bitnami/nginx/conf/server_blocks/*.conf".to_string(),
                        http(),
                    ),
                    (
                        "/opt/bitnami/nginx/conf/bitnami/*.conf".to_string(),
                        vec!["http".into(), "server".into()],
                    ),
                ],
            ),
        };
        Layout {
            flavor,
            main: main.into(),
            conf_dir: conf_dir.into(),
            default_includes,
            renders_templates: flavor == Flavor::Official,
            templates: Templates::default(),
            main_from_command: None,
        }
    }

    /// The blocks around a container path that the image's own main config includes.
    pub fn default_context(&self, container: &str) -> Option<Vec<String>> {
        let opts = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        self.default_includes.iter().find_map(|(pat, ctx)| {
            glob::Pattern::new(pat)
                .ok()
                .filter(|g| g.matches_with(container, opts))
                .map(|_| ctx.clone())
        })
    }
}

fn flavor_of(image: &str) -> Flavor {
    crate::knowledge::nginx_flavor(image)
}

/// The layout of a proxy service: its image's flavor, and a main config named
/// with `nginx -c` in `command` / `entrypoint`.
pub fn layout(p: &Project, svc: &Service) -> Layout {
    let image = nginx_base(p, svc).map_or("", |b| b.text.as_str());
    let mut layout = Layout::for_flavor(flavor_of(image));
    for (key, value) in p.environment(&svc.name.value) {
        let Some(v) = value.map(|v| v.value.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        match key.value {
            "NGINX_ENVSUBST_TEMPLATE_DIR" => layout.templates.dir = v.trim_end_matches('/').into(),
            "NGINX_ENVSUBST_TEMPLATE_SUFFIX" => layout.templates.suffix = v.into(),
            "NGINX_ENVSUBST_OUTPUT_DIR" => layout.templates.output = v.trim_end_matches('/').into(),
            _ => {}
        }
    }
    // `nginx -c FILE` (or `-cFILE`), only after a word that runs nginx.
    for cmd in [&svc.entrypoint, &svc.command].into_iter().flatten() {
        let words = cmd.words();
        let mut after_nginx = false;
        for (i, w) in words.iter().enumerate() {
            let base = w.value.rsplit('/').next().unwrap_or(&w.value);
            if base == "nginx" || base == "nginx-debug" || base == "openresty" {
                after_nginx = true;
                continue;
            }
            if !after_nginx {
                continue;
            }
            let path = if w.value == "-c" {
                words.get(i + 1).map(|n| (n.value.to_string(), n.span))
            } else {
                w.value
                    .strip_prefix("-c")
                    .filter(|r| r.starts_with('/'))
                    .map(|r| (r.to_string(), w.span))
            };
            if let Some((path, span)) = path.filter(|(p, _)| p.starts_with('/')) {
                layout.main = normalize_path(Path::new(&path))
                    .to_string_lossy()
                    .into_owned();
                if let Some(dir) = Path::new(&layout.main).parent() {
                    layout.conf_dir = dir.to_string_lossy().into_owned();
                }
                layout.main_from_command = Some(span);
            }
        }
    }
    layout
}

/// Is this image an NGINX (official, nginxinc, openresty, bitnami)?
pub fn is_nginx_image(image: &str) -> bool {
    crate::knowledge::parse_ref(image).is_some_and(|r| crate::knowledge::is_nginx(&r))
}

/// Reads and parses the Dockerfile of every service with a local build, once.
pub fn load_dockerfiles(p: &mut Project) {
    // Set aside while `p` is changed below (nothing here reads the services),
    // rather than cloned: a service can hold a million items.
    let services = std::mem::take(&mut p.model.services);
    for svc in services.iter().filter(|s| s.build.is_some()) {
        let Some(build) = svc.build.as_ref() else {
            continue;
        };
        let Some(dir) = build.context_dir.as_ref() else {
            continue;
        };
        let name = build
            .dockerfile
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| "Dockerfile".into());
        let path = normalize_path(&dir.join(name));
        let shown = crate::paths::display(&path);
        let id = match p.sources.find(&shown) {
            Some(id) => id,
            None => match p.sources.read(&path) {
                Ok(text) => p
                    .sources
                    .add(SourceFile::new(shown, FileKind::Dockerfile, text)),
                // A missing Dockerfile stays quiet (the context may be generated);
                // one that exists but cannot be read is reported at `dockerfile:`
                // or `build:`.
                Err(e) => {
                    if !e.is_missing() {
                        let at = build.dockerfile.as_ref().map_or(build.span, |d| d.span);
                        p.unreadable.push(Unreadable {
                            path,
                            error: e,
                            referenced_at: Some(at),
                        });
                    }
                    continue;
                }
            },
        };
        let mut parsed = dockerfile::parse(id, p.sources.get(id));
        // The stage compose builds, and the arguments its FROM lines may use.
        let node = p.service_node(&svc.name.value);
        parsed.build_args = crate::compose::base::build_args(node);
        parsed.target = node
            .and_then(|n| n.get("build"))
            .and_then(|b| b.get("target"))
            .and_then(|t| t.as_str())
            .map(str::to_string);
        p.dockerfiles
            .insert(svc.name.value.to_string(), (id, parsed));
        // gunicorn's config beside the Dockerfile, which `COPY . .` puts in the
        // working directory. A missing one is the usual case: quiet.
        let conf = normalize_path(&dir.join("gunicorn.conf.py"));
        if let Some(conf_id) = read_optional(p, &conf) {
            p.gunicorn_configs
                .insert(svc.name.value.to_string(), conf_id);
        }
    }
    p.model.services = services;
}

/// A `gunicorn.conf.py` bind-mounted into a service: a file mounted under that
/// name (gunicorn reads it from its working directory, or through `-c`), or the
/// one in a host directory mounted at the service's `working_dir`. It shadows
/// the build context's: the mount hides what the image holds there.
fn load_mounted_gunicorn_configs(p: &mut Project) {
    const NAME: &str = "gunicorn.conf.py";
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for svc in &p.model.services {
        // Only a bind mount places the file: a service without one (most of a
        // large stack) needs no look at its `working_dir`.
        if !svc.volumes.iter().any(|m| m.kind == MountKind::Bind) {
            continue;
        }
        let working_dir = p
            .service_node(&svc.name.value)
            .and_then(|n| n.get("working_dir"))
            .and_then(|w| w.as_str())
            .map(|w| w.trim_end_matches('/').to_string());
        let host = svc.volumes.iter().rev().find_map(|m| {
            if m.kind != MountKind::Bind {
                return None;
            }
            let host = m.host_path.as_ref()?;
            let target = m.target.value.trim_end_matches('/');
            if target.rsplit('/').next() == Some(NAME) {
                return Some(host.clone());
            }
            (working_dir.as_deref() == Some(target)).then(|| host.join(NAME))
        });
        if let Some(host) = host {
            found.push((svc.name.value.to_string(), normalize_path(&host)));
        }
    }
    for (service, conf) in found {
        if let Some(id) = read_optional(p, &conf) {
            p.gunicorn_configs.insert(service, id);
        }
    }
}

/// A file of the project that may well not exist (a `gunicorn.conf.py`), read
/// once: missing, unreadable or outside the project, it is quietly `None`.
fn read_optional(p: &mut Project, path: &Path) -> Option<FileId> {
    let shown = crate::paths::display(path);
    if let Some(id) = p.sources.find(&shown) {
        return Some(id);
    }
    let text = p.sources.read(path).ok()?;
    Some(p.sources.add(SourceFile::new(shown, FileKind::Other, text)))
}

/// The parsed Dockerfile of a service's build, when it has a readable one.
pub fn service_dockerfile<'a>(p: &'a Project, svc: &Service) -> Option<&'a Dockerfile> {
    p.dockerfiles.get(svc.name.value.as_str()).map(|(_, d)| d)
}

/// Is this service an NGINX proxy: an NGINX image, or a build from one?
pub fn is_proxy(p: &Project, svc: &Service) -> bool {
    nginx_base(p, svc).is_some()
}

/// The NGINX image the service runs ([`crate::compose::base::base_image`]), if it runs one.
fn nginx_base<'s>(p: &Project, svc: &'s Service) -> Option<&'s crate::compose::base::Base> {
    crate::compose::base::base_image(p, svc).filter(|b| crate::knowledge::is_nginx(&b.image))
}

/// Finds and parses the NGINX configs of every proxy service of the project.
pub fn collect(p: &mut Project) {
    load_dockerfiles(p);
    load_mounted_gunicorn_configs(p);
    // Set aside while the proxies' configs are read (which never look at the
    // services), rather than cloned: a service can hold a million items.
    let services = std::mem::take(&mut p.model.services);
    if services.len() >= crate::PARALLEL_SERVICES {
        // Each service's base image, read once and kept (the analysis and the
        // rules ask again), read on every core first: this function took 0.8 to
        // 1.0 ms of a 2,000-service load reading them one after another, 0.6 to
        // 0.75 ms so.
        use rayon::prelude::*;
        let p: &Project = p;
        services.par_iter().for_each(|svc| {
            crate::compose::base::base_image(p, svc);
        });
    }
    let mut parsed: HashMap<PathBuf, FileId> = HashMap::new();
    for svc in &services {
        let placements = match is_proxy(p, svc) {
            true => placements(p, svc),
            false => continue,
        };
        if placements.is_empty() {
            continue;
        }
        collect_service(p, svc, &placements, &mut parsed);
    }
    p.model.services = services;
}

fn collect_service(
    p: &mut Project,
    svc: &Service,
    placements: &[Placement],
    parsed: &mut HashMap<PathBuf, FileId>,
) {
    let layout = layout(p, svc);
    let templates = layout.renders_templates.then_some(&layout.templates);
    let files = placed_files(placements, &layout.templates);
    let env: HashMap<String, String> = p
        .environment(&svc.name.value)
        .filter_map(|(k, v)| Some((k.value.to_string(), v?.value.to_string())))
        .collect();
    let mut configs: Vec<NginxConfig> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (container, host, span) in &files {
        let rendered = templates.and_then(|t| t.rendered(container));
        let Some(mut cfg) = parse_config(p, host, parsed, Some(*span)) else {
            continue;
        };
        if rendered.is_some() {
            substitute_env(&mut cfg.parsed.directives, &env);
        }
        cfg.service = Some(svc.name.value.to_string());
        cfg.container_path = Some(container.clone());
        cfg.template = rendered.is_some();
        // nginx and its includes see a template at its rendered path only.
        seen.insert(rendered.clone().unwrap_or(container.clone()), configs.len());
        cfg.rendered_path = rendered;
        configs.push(cfg);
    }

    // What nginx reads: the main config and what it includes; without a mounted
    // main config, the image's own, which includes conf.d/*.conf inside `http`
    // (server_blocks for bitnami).
    let main = seen.get(&layout.main).copied();
    let mut queue: Vec<(usize, Vec<String>, usize)> = Vec::new();
    match main {
        Some(i) => {
            configs[i].loaded = true;
            queue.push((i, Vec::new(), 0));
        }
        // A main config named with `-c` but not visible: nothing is known.
        None if layout.main_from_command.is_some() => {}
        None => {
            for (i, c) in configs.iter_mut().enumerate() {
                let path = c.nginx_path().unwrap_or_default().to_string();
                if let Some(ctx) = layout.default_context(&path) {
                    c.loaded = true;
                    c.context = ctx.clone();
                    queue.push((i, ctx, 0));
                }
            }
        }
    }
    // Follow includes through container paths. The mounts are listed once, and
    // a pattern met again adds nothing: the first time loaded all it matches.
    let rendered: Vec<String> = configs
        .iter()
        .filter_map(|c| c.rendered_path.clone())
        .collect();
    let mut index: Option<(PathIndex, Vec<String>)> = None;
    let mut followed: std::collections::HashSet<String> = Default::default();
    while let Some((i, ctx, depth)) = queue.pop() {
        if depth >= MAX_INCLUDE_DEPTH {
            continue;
        }
        let includes = find_includes(&configs[i].parsed.directives, &ctx);
        let from_dir = configs[i]
            .container_path
            .as_deref()
            .and_then(|c| Path::new(c).parent())
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_else(|| "/etc/nginx".into());
        for (pattern, at, inner_ctx) in includes {
            // Relative includes are relative to the main config's directory.
            let pattern = if pattern.starts_with('/') {
                pattern
            } else {
                format!("{}/{pattern}", layout.conf_dir)
            };
            let _ = &from_dir;
            if !followed.insert(pattern.clone()) {
                continue;
            }
            let (index, all) = index.get_or_insert_with(|| {
                let mut all = placed_all(placements);
                all.extend(rendered.iter().cloned());
                let index = PathIndex::new(all.iter().cloned().enumerate().map(|(i, c)| (c, i)));
                (index, all)
            });
            for container in expand_include(&pattern, index, all) {
                let idx = match seen.get(&container) {
                    Some(&j) => j,
                    None => {
                        let Some((host, span)) = host_of(placements, &container) else {
                            continue;
                        };
                        let Some(mut cfg) = parse_config(p, &host, parsed, Some(span)) else {
                            continue;
                        };
                        cfg.service = Some(svc.name.value.to_string());
                        cfg.container_path = Some(container.clone());
                        seen.insert(container.clone(), configs.len());
                        configs.push(cfg);
                        configs.len() - 1
                    }
                };
                if !configs[idx].loaded {
                    configs[idx].loaded = true;
                    configs[idx].context = inner_ctx.clone();
                    configs[idx].included_at = Some(at);
                    queue.push((idx, inner_ctx.clone(), depth + 1));
                }
            }
        }
    }
    let mut wanted: Vec<String> = vec![layout.main.clone()];
    wanted.extend(layout.default_includes.iter().map(|(g, _)| g.clone()));
    if layout.renders_templates {
        wanted.push(layout.templates.dir.clone());
    }
    wanted.extend(
        followed
            .into_iter()
            .map(|w| normalize_path(Path::new(&w)).to_string_lossy().into_owned()),
    );
    report_outside_dirs(p, placements, &wanted);
    p.nginx.extend(configs);
}

fn parse_config(
    p: &mut Project,
    host: &Path,
    parsed: &mut HashMap<PathBuf, FileId>,
    referenced_at: Option<Span>,
) -> Option<NginxConfig> {
    let id = match parsed.get(host) {
        Some(id) => *id,
        None => match p
            .sources
            .read(host)
            .and_then(|text| crate::source::check_items(FileKind::Nginx, &text).map(|()| text))
        {
            Ok(text) => {
                let id = p.sources.add(SourceFile::new(
                    crate::paths::display(host),
                    FileKind::Nginx,
                    text,
                ));
                parsed.insert(host.to_path_buf(), id);
                id
            }
            Err(e) => {
                p.unreadable.push(Unreadable {
                    path: host.to_path_buf(),
                    error: e,
                    referenced_at,
                });
                return None;
            }
        },
    };
    let file = nginx::parse(id, p.sources.get(id));
    // Report each file's syntax problems once, even when two services mount it.
    if !p.nginx.iter().any(|c| c.file == id) {
        p.diags.extend(file.diags.iter().cloned());
    }
    Some(NginxConfig {
        file: id,
        parsed: file,
        service: None,
        container_path: None,
        mount_span: referenced_at,
        loaded: false,
        context: Vec::new(),
        included_at: None,
        template: false,
        rendered_path: None,
    })
}

/// Every `include` in the tree with the block names that enclose it.
fn find_includes(dirs: &[Directive], ctx: &[String]) -> Vec<(String, Span, Vec<String>)> {
    let mut out = Vec::new();
    let mut todo: Vec<(&Directive, Vec<String>)> = dirs.iter().map(|d| (d, ctx.to_vec())).collect();
    while let Some((d, c)) = todo.pop() {
        if d.name == "include" {
            if let Some(a) = d.args.first() {
                out.push((a.value.clone(), d.span, c.clone()));
            }
        }
        if let Some(children) = &d.block {
            let mut inner = c.clone();
            inner.push(d.name.clone());
            todo.extend(children.iter().map(|ch| (ch, inner.clone())));
        }
    }
    out
}

/// envsubst as the official image runs it: `${VAR}` and `$VAR` for the variables the
/// service defines; everything else (nginx's own `$host`) stays.
fn substitute_env(dirs: &mut [Directive], env: &HashMap<String, String>) {
    if env.is_empty() {
        return;
    }
    for d in dirs.iter_mut() {
        for a in d.args.iter_mut() {
            if a.value.contains('$') {
                a.value = envsubst(&a.value, env);
            }
        }
        if let Some(children) = &mut d.block {
            substitute_env(children, env);
        }
    }
}

pub fn envsubst(s: &str, env: &HashMap<String, String>) -> String {
    let re_braced = |name: &str| format!("${{{name}}}");
    let mut out = s.to_string();
    // Longer names first so `$HOST_NAME` is not cut at `$HOST`.
    let mut names: Vec<&String> = env.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        let v = &env[name];
        out = out.replace(&re_braced(name), v);
        let plain = format!("${name}");
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(&plain) {
            let after = &rest[i + plain.len()..];
            let boundary = !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            result.push_str(&rest[..i]);
            result.push_str(if boundary { v } else { &plain });
            rest = after;
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// A single NGINX file named on the command line.
pub fn load_standalone(p: &mut Project, path: &Path) {
    let mut parsed = HashMap::new();
    if let Some(mut cfg) = parse_config(p, path, &mut parsed, None) {
        cfg.loaded = true;
        // A file with `server` blocks at the top is a conf.d fragment, read inside `http`.
        if cfg
            .parsed
            .directives
            .iter()
            .any(|d| d.name == "server" || d.name == "upstream")
        {
            cfg.context = vec!["http".into()];
        }
        p.nginx.push(cfg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_images() {
        for i in [
            "nginx",
            "nginx:1.27-alpine",
            "docker.io/library/nginx:latest",
            "nginxinc/nginx-unprivileged:stable",
            "openresty/openresty:alpine",
            "bitnami/nginx:1.25",
        ] {
            assert!(is_nginx_image(i), "{i}");
        }
        for i in [
            "nginx-proxy/nginx-proxy",
            "jwilder/nginx-proxy",
            "postgres",
            "myorg/nginx-exporter",
        ] {
            assert!(!is_nginx_image(i), "{i}");
        }
    }

    #[test]
    fn rendered_paths_of_templates() {
        let t = Templates::default();
        let r = |p: &str| t.rendered(p);
        assert_eq!(
            r("/etc/nginx/templates/default.conf.template").as_deref(),
            Some("/etc/nginx/conf.d/default.conf")
        );
        // No `.conf`: rendered all the same, read only where something includes it.
        assert_eq!(
            r("/etc/nginx/templates/upstreams.template").as_deref(),
            Some("/etc/nginx/conf.d/upstreams")
        );
        assert_eq!(
            r("/etc/nginx/templates/sites/a.conf.template").as_deref(),
            Some("/etc/nginx/conf.d/sites/a.conf")
        );
        assert_eq!(r("/etc/nginx/templates/default.conf"), None);
        assert_eq!(r("/etc/nginx/templates/.template"), None);
        assert_eq!(r("/etc/nginx/templatesx/a.template"), None);
        let custom = Templates {
            dir: "/tpl".into(),
            suffix: ".tmpl".into(),
            output: "/etc/nginx/sites".into(),
        };
        assert_eq!(
            custom.rendered("/tpl/a.conf.tmpl").as_deref(),
            Some("/etc/nginx/sites/a.conf")
        );
        assert!(custom.holds("/tpl/a.conf") && !custom.holds("/tplx/a"));
    }

    #[test]
    fn envsubst_only_defined_names() {
        let env: HashMap<String, String> = [
            ("HOST".to_string(), "app".to_string()),
            ("HOSTNAME_X".into(), "z".into()),
        ]
        .into();
        assert_eq!(
            envsubst("http://${HOST}:$HOSTNAME_X/$host", &env),
            "http://app:z/$host"
        );
        assert_eq!(envsubst("$HOSTS", &env), "$HOSTS");
    }
}
