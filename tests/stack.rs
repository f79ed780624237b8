//! The stack model beyond compose: NGINX configs found through proxy mounts, what
//! nginx loads, templates, Dockerfile COPYs, variables and env files.

use std::path::Path;

use stacklint::compose::stack::{EnvRole, LoadOptions, Project};

mod common;
use common::{fixture_with, manifest, projects_in};

/// (container path, loaded, context) of every NGINX config, sorted.
fn configs(p: &Project) -> Vec<(String, bool, String)> {
    let mut v: Vec<_> = p
        .nginx
        .iter()
        .map(|c| {
            (
                c.container_path.clone().unwrap_or_default(),
                c.loaded,
                c.context.join(">"),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn config_mounted_where_nginx_never_reads_it() {
    let p = fixture_with("proxy-stack-before", &LoadOptions::default());
    assert_eq!(
        configs(&p),
        vec![("/etc/nginx/default.conf".to_string(), false, String::new())]
    );
}

#[test]
fn main_config_and_includes_through_container_paths() {
    let p = fixture_with("stack/nginx-main", &LoadOptions::default());
    assert_eq!(
        configs(&p),
        vec![
            (
                "/etc/nginx/conf.d/app.conf".to_string(),
                true,
                "http".to_string()
            ),
            (
                "/etc/nginx/conf.d/snippets/proxy.conf".to_string(),
                true,
                "http>server".to_string()
            ),
            ("/etc/nginx/nginx.conf".to_string(), true, String::new()),
            ("/etc/nginx/unused.conf".to_string(), false, String::new()),
        ]
    );
    let snippet = p
        .nginx
        .iter()
        .find(|c| c.container_path.as_deref() == Some("/etc/nginx/conf.d/snippets/proxy.conf"));
    let at = snippet.and_then(|c| c.included_at).expect("included");
    assert_eq!(
        p.sources.get(at.file).slice(&at),
        "include conf.d/snippets/proxy.conf;"
    );
}

#[test]
fn templates_are_rendered_with_the_service_environment() {
    let p = fixture_with("stack/nginx-template", &LoadOptions::default());
    assert_eq!(
        configs(&p),
        vec![(
            "/etc/nginx/templates/default.conf.template".to_string(),
            true,
            "http".to_string()
        )]
    );
    let cfg = &p.nginx[0];
    let pass: Vec<_> = cfg
        .parsed
        .find_all("proxy_pass")
        .map(|v| v.directive)
        .collect();
    assert_eq!(pass[0].args[0].value, "http://app:5000$request_uri");
    // The span still points at the template's own text.
    let span = pass[0].args[0].span;
    assert_eq!(
        p.sources.get(span.file).slice(&span),
        "http://${BACKEND}$request_uri"
    );
}

#[test]
fn proxy_built_from_nginx_copies_its_config() {
    let p = fixture_with("stack/proxy-build", &LoadOptions::default());
    assert_eq!(
        configs(&p),
        vec![(
            "/etc/nginx/conf.d/default.conf".to_string(),
            true,
            "http".to_string()
        )]
    );
    let at = p.nginx[0].mount_span.expect("COPY");
    assert_eq!(
        p.sources.get(at.file).slice(&at),
        "COPY default.conf /etc/nginx/conf.d/default.conf"
    );
}

#[test]
fn env_file_flag_replaces_the_project_env() {
    let p = fixture_with("model/interpolation", &LoadOptions::default());
    assert!(p.has_env_file);
    assert_eq!(
        p.env_files
            .iter()
            .filter(|e| e.role == EnvRole::Project)
            .count(),
        1
    );
    let other = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/model/include/sub/vars.env");
    let p = fixture_with(
        "model/interpolation",
        &LoadOptions {
            include_cache: Default::default(),
            dir_cache: Default::default(),
            real_dirs: Default::default(),
            env_files: vec![other],
            ..Default::default()
        },
    );
    use stacklint::parse::interpolate::Lookup;
    assert!(p.vars.lookup("DB_USER").is_none());
    assert_eq!(
        p.vars.lookup("PG_VERSION").map(|v| v.0),
        Some("16".to_string())
    );
}

/// (image, memory limit) of the single service of each project under `dir`, in discovery order.
fn images(dir: &str) -> Vec<(String, Option<String>)> {
    projects_in(
        &manifest().join("fixtures").join(dir),
        &LoadOptions::default(),
    )
    .into_iter()
    .filter(|p| !p.compose_files.is_empty())
    .map(|p| {
        let s = &p.model.services[0];
        (
            s.image
                .as_ref()
                .map(|i| i.value.to_string())
                .unwrap_or_default(),
            s.resources
                .as_ref()
                .and_then(|r| r.mem_limit.as_ref())
                .map(|m| m.value.to_string()),
        )
    })
    .collect()
}

#[test]
fn override_is_merged_and_other_compose_files_lint_on_top_of_the_base() {
    assert_eq!(
        images("discover/multi"),
        vec![
            ("example/app:dev".to_string(), None),
            ("example/app:prod".to_string(), None)
        ]
    );
}

#[test]
fn compose_file_in_env_names_the_files() {
    assert_eq!(
        images("discover/compose-file-env"),
        vec![("example/app:1".to_string(), Some("1g".to_string()))]
    );
}

/// A file's later documents are merged into its first, and what they add is
/// interpolated like the rest: variables a later document adds to the first's
/// `environment` are read from `.env` (`B`) or take their default (`C`).
#[test]
fn later_documents_are_interpolated_where_they_merge() {
    let dir = common::tree(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx\n    environment:\n      A: plain\n\
             ---\nservices:\n  web:\n    environment:\n      B: ${V:-fallback}\n      C: ${W:-fallback}\n",
        ),
        (".env", "V=from-env\n"),
    ]);
    let p = projects_in(&dir, &LoadOptions::default())
        .into_iter()
        .find(|p| !p.compose_files.is_empty())
        .expect("a project");
    let env: Vec<(String, String)> = p
        .environment(&p.model.services[0].name.value)
        .map(|(k, v)| {
            (
                k.value.to_string(),
                v.map(|v| v.value.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let want = [("A", "plain"), ("B", "from-env"), ("C", "fallback")];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(env, want);
}
