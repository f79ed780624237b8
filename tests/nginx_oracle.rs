//! The real nginx as the oracle of SL201 / SL202: for every fixture of the two
//! rules, the configs of each proxy service are laid out as in its container
//! (under a temporary prefix), and `nginx -t` must fail with `host not found in
//! upstream` exactly where the rules report a literal hostname, and load
//! everywhere else. Names like `app` do not resolve on a build machine, just as
//! a compose service that is not up yet.
//!
//! Skipped with a note when `nginx` is not installed (CI installs nginx-light).
//! A fixture with an `oracle.skip` file (its reason inside) is left out: it uses
//! what the installed nginx may not know (the `resolve` parameter of 1.27.3).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use stacklint::analysis::nginx::{self as scope, loading::misplaced};
use stacklint::compose::discover::{discover, Target};
use stacklint::compose::proxy::{self, NginxConfig};
use stacklint::compose::stack::{load_project, load_single, LoadOptions, Project};
use stacklint::report::check;

const RULES: [&str; 2] = ["static-upstream-without-resolver", "resolver-not-used"];

/// Files the image's nginx.conf and typical configs include; empty stand-ins.
const STOCK_FILES: [&str; 6] = [
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "uwsgi_params",
    "scgi_params",
    "proxy_params",
];

fn nginx() -> Option<PathBuf> {
    for bin in ["nginx", "/usr/sbin/nginx"] {
        if Command::new(bin)
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(PathBuf::from(bin));
        }
    }
    None
}

fn scratch_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "stacklint-oracle-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn load_dir(dir: &Path) -> Vec<Project> {
    discover(&[dir.to_path_buf()], &[])
        .expect("fixture exists")
        .iter()
        .map(|t| match t {
            Target::Project(spec) => load_project(spec, &LoadOptions::default()),
            Target::File(path, kind) => load_single(path, *kind),
        })
        .collect()
}

/// What `nginx -t` said.
#[derive(Debug)]
enum Verdict {
    Loads,
    HostNotFound(String),
    Other(String),
}

/// Where each config of a proxy service sits in its container; a config SL203
/// finds misplaced sits where it was meant to be (that is what SL201/202 judge).
fn layout_of(p: &Project, service: &str, configs: &[&NginxConfig]) -> Vec<(String, String)> {
    let mut meant: HashMap<stacklint::source::FileId, String> = HashMap::new();
    for m in misplaced(p) {
        if m.service.name.value != service {
            continue;
        }
        for c in &m.configs {
            meant.insert(c.file, m.meant_path(c));
        }
    }
    let env: HashMap<String, String> = p
        .environment(service)
        .filter_map(|(k, v)| Some((k.value.to_string(), v?.value.to_string())))
        .collect();
    let mut out = Vec::new();
    for c in configs {
        let text = p.sources.get(c.file).text.clone();
        let (path, text) = match (meant.get(&c.file), c.template) {
            (Some(path), _) => (path.clone(), text),
            // The image's entrypoint renders templates (into conf.d by default).
            (None, true) => (
                c.rendered_path.clone().unwrap_or_default(),
                proxy::envsubst(&text, &env),
            ),
            (None, false) => (c.container_path.clone().unwrap_or_default(), text),
        };
        out.push((path, text));
    }
    out
}

fn run_nginx(bin: &Path, files: &[(String, String)]) -> Verdict {
    let dir = scratch_dir();
    let root = dir.to_string_lossy().replace('\\', "/");
    let rewrite = |t: &str| t.replace("/etc/nginx/", &format!("{root}/etc/nginx/"));
    // Unprivileged paths for what nginx -t opens or creates.
    let http_prelude = format!(
        "access_log off; client_body_temp_path {root}/t/body; proxy_temp_path {root}/t/proxy; \
         fastcgi_temp_path {root}/t/fastcgi; uwsgi_temp_path {root}/t/uwsgi; scgi_temp_path {root}/t/scgi;"
    );
    std::fs::create_dir_all(dir.join("t")).expect("temp dir");
    std::fs::create_dir_all(dir.join("etc/nginx/conf.d")).expect("conf.d");
    for f in STOCK_FILES {
        let _ = std::fs::write(dir.join("etc/nginx").join(f), "");
    }
    let mut has_main = false;
    for (path, text) in files {
        let mut text = rewrite(text);
        if path == proxy::MAIN_CONF {
            has_main = true;
            text = text.replacen("http {", &format!("http {{ {http_prelude}"), 1);
        }
        let dest = dir.join(path.trim_start_matches('/'));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).expect("config dir");
        }
        std::fs::write(&dest, text).expect("config written");
    }
    if !has_main {
        // The official image's nginx.conf, as far as it matters here.
        std::fs::write(
            dir.join("etc/nginx/nginx.conf"),
            format!(
                "events {{}}\nhttp {{ {http_prelude} include {root}/etc/nginx/conf.d/*.conf; }}\n"
            ),
        )
        .expect("main written");
    }
    let out = Command::new(bin)
        .args(["-t", "-e", "stderr", "-p"])
        .arg(format!("{root}/"))
        .arg("-c")
        .arg(format!("{root}/etc/nginx/nginx.conf"))
        .args(["-g", &format!("pid {root}/nginx.pid;")])
        .output()
        .expect("nginx runs");
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        return Verdict::Loads;
    }
    match text.split_once("host not found in upstream \"") {
        Some((_, rest)) => Verdict::HostNotFound(rest.split('"').next().unwrap_or("").to_string()),
        None => Verdict::Other(text),
    }
}

/// Checks the proxy services of the fixture at `case` against `nginx -t`:
/// (services checked, loads, problems).
fn check_case(bin: &Path, case: &Path, name: &str) -> (usize, usize, Vec<String>) {
    let mut checked = 0;
    let mut loads = 0;
    let mut problems = Vec::new();
    for p in load_dir(case) {
        let findings = check::run(&p, &|m| m.code == "SL201" || m.code == "SL202");
        for g in scope::analyze(&p) {
            let Some(svc) = g.service else {
                continue;
            };
            // What we report as resolved once at startup (not the per-request
            // failures of addresses with variables): the name nginx will print.
            let expected: Vec<String> = findings
                .iter()
                .filter(|f| g.configs.iter().any(|c| c.file == f.primary.file))
                .filter(|f| f.message.contains("once, at startup"))
                .filter_map(|f| {
                    // A stale-address warning names no error: take the
                    // name from the address it reports.
                    let t = g.targets.iter().find(|t| t.arg.span == f.primary)?;
                    Some(t.nginx_upstream_name())
                })
                .collect();
            let files = layout_of(&p, &svc.name.value, &g.configs);
            let verdict = run_nginx(bin, &files);
            checked += 1;
            eprintln!("{name}: nginx -t: {verdict:?}; reported at startup: {expected:?}");
            if matches!(verdict, Verdict::Loads) {
                loads += 1;
            }
            let said = match (&verdict, expected.is_empty()) {
                (Verdict::Loads, true) => continue,
                (Verdict::HostNotFound(h), false) if expected.contains(h) => continue,
                (Verdict::Loads, false) => "the config loads".to_string(),
                (Verdict::HostNotFound(h), _) => {
                    format!("host not found in upstream \"{h}\"")
                }
                (Verdict::Other(text), _) => text.clone(),
            };
            problems.push(format!(
                "{name} (service {}): nginx says {said}; our startup findings name {expected:?}",
                svc.name.value
            ));
        }
    }
    (checked, loads, problems)
}

/// The fixture cases of the two rules that the oracle can check.
fn cases() -> Vec<(String, PathBuf)> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut out = Vec::new();
    for rule in RULES {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(base.join(rule))
            .expect("fixtures")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        cases.sort();
        for case in cases {
            let name = format!(
                "{rule}/{}",
                case.file_name().unwrap_or_default().to_string_lossy()
            );
            if let Ok(reason) = std::fs::read_to_string(case.join("oracle.skip")) {
                eprintln!("note: {name} skipped: {}", reason.trim());
                continue;
            }
            out.push((name, case));
        }
    }
    out
}

#[test]
fn nginx_fails_exactly_where_a_literal_host_is_reported() {
    let Some(bin) = nginx() else {
        eprintln!("note: nginx is not installed; the nginx oracle test is skipped");
        return;
    };
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, case) in cases() {
        let (c, _, p) = check_case(&bin, &case, &name);
        checked += c;
        problems.extend(p);
    }
    assert!(checked > 0, "no proxy service was checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every config `--fix --unsafe-fixes` rewrites for SL201/SL202 loads in the
/// real nginx where the fixed addresses stood, and the oracle above still
/// holds on the fixed copy.
#[test]
fn nginx_accepts_every_fixed_config() {
    let Some(bin) = nginx() else {
        eprintln!("note: nginx is not installed; the nginx oracle test is skipped");
        return;
    };
    let mut fixed = 0;
    let mut problems = Vec::new();
    for (name, case) in cases() {
        let copy = scratch_dir();
        let status = Command::new("cp")
            .arg("-r")
            .arg(&case)
            .arg(copy.join("case"))
            .status()
            .expect("cp runs");
        assert!(status.success());
        let before = check_case(&bin, &copy.join("case"), &name).1;
        let out = Command::new(env!("CARGO_BIN_EXE_stacklint"))
            .args([
                "case",
                "--select",
                "SL201,SL202",
                "--fix",
                "--unsafe-fixes",
                "--fail-on",
                "never",
            ])
            .current_dir(&copy)
            .output()
            .expect("stacklint runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !stdout.starts_with("Fixed ") {
            let _ = std::fs::remove_dir_all(&copy);
            continue;
        }
        fixed += 1;
        let (_, after, p) = check_case(&bin, &copy.join("case"), &format!("{name} (fixed)"));
        problems.extend(p);
        if after <= before {
            problems.push(format!(
                "{name}: no more configs load after the fix ({before} before, {after} after)"
            ));
        }
        let _ = std::fs::remove_dir_all(&copy);
    }
    assert!(fixed >= 3, "only {fixed} fixtures were fixed");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
