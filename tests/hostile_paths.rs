//! Hostile paths (issue 10): a stack written by a stranger names files outside
//! its project (`include: [/etc/passwd]`, an `env_file` up the tree, a bind
//! mount of a host directory into the proxy). stacklint does not read them: one
//! info finding says so at the reference, and nothing of the host file appears
//! in any format. `--allow-outside DIR` reads them.
//!
//! Each case is a temporary tree: the project is `proj/`, the "host" is `host/`
//! beside it. The host files are broken on purpose (a duplicate key, a bad env
//! line, a missing `;`), so that once read, their marked line is shown.

use std::path::Path;
use std::time::Duration;

mod common;
use common::tree;

const FORMATS: [&str; 5] = ["text", "json", "sarif", "github", "gitlab"];

const NOT_READ: &str = "not read: outside the project";

/// Runs stacklint on `.` in `dir` in every format with `extra` arguments: the outputs.
fn every_format(dir: &Path, extra: &[&str]) -> Vec<String> {
    FORMATS
        .iter()
        .map(|format| {
            let mut args = vec![".", "--format", format, "--fail-on", "never"];
            args.extend_from_slice(extra);
            let (code, out, err) = common::stacklint_within(Duration::from_secs(60), dir, &args);
            assert_eq!(code, 0, "--format {format}: {err}");
            assert!(!err.contains("panicked"), "--format {format}: {err}");
            out
        })
        .collect()
}

/// No output shows `secret`; the JSON report holds an info SL001 finding
/// saying `shown` was not read.
fn refused(outs: &[String], secret: &str, shown: &str) {
    for (format, out) in FORMATS.iter().zip(outs) {
        if let Some(at) = out.find(secret) {
            let around = &out[at.saturating_sub(200)..(at + 200).min(out.len())];
            panic!("--format {format} shows {secret}: …{around}…");
        }
    }
    let json: serde_json::Value = serde_json::from_str(&outs[1]).expect("JSON report");
    let found = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| {
            f["code"] == "SL001"
                && f["severity"] == "info"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(NOT_READ) && m.contains(shown))
        });
    assert!(found, "no info finding for {shown}:\n{}", outs[1]);
}

/// With `--allow-outside`, the host file is read: its marked line is shown
/// (text report) and no finding says it was not read.
fn read_when_allowed(dir: &Path, allow: &Path, secret: &str) {
    let allow = allow.to_string_lossy().into_owned();
    let outs = every_format(dir, &["--allow-outside", &allow]);
    assert!(outs[0].contains(secret), "{secret} not shown:\n{}", outs[0]);
    assert!(!outs[1].contains(NOT_READ), "{}", outs[1]);
}

const HOST_COMPOSE: &str = "services:\n  leak:\n    image: x\n    image: HOSTMARK_COMPOSE\n";
const HOST_ENV: &str = "HOSTMARK_ENV LINE=1\n";
const HOST_NGINX: &str = "server { listen 80 HOSTMARK_NGINX }\n";

#[test]
fn an_include_of_etc_passwd_is_not_read() {
    let dir = tree(&[(
        "compose.yaml",
        "include:\n  - /etc/passwd\nservices:\n  a:\n    image: x\n",
    )]);
    let outs = every_format(&dir, &[]);
    refused(&outs, "root:x:0:", "/etc/passwd");
    // Where /etc/passwd is the usual one, reading it shows its first line.
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    if passwd.starts_with("root:x:0:") {
        read_when_allowed(&dir, Path::new("/etc"), "root:x:0:");
    }
}

#[test]
fn includes_and_extends_up_the_tree_are_not_read() {
    let dir = tree(&[
        (
            "proj/compose.yaml",
            "include:\n  - ../host/other.yaml\nservices:\n  a:\n    image: x\n    extends:\n      file: ../host/base.yaml\n      service: base\n",
        ),
        ("host/other.yaml", HOST_COMPOSE),
        ("host/base.yaml", "services:\n  base:\n    image: x\n    image: HOSTMARK_EXTENDS\n"),
    ]);
    let proj = dir.join("proj");
    let outs = every_format(&proj, &[]);
    refused(&outs, "HOSTMARK_COMPOSE", "host/other.yaml");
    refused(&outs, "HOSTMARK_EXTENDS", "host/base.yaml");
    read_when_allowed(&proj, &dir.join("host"), "HOSTMARK_COMPOSE");
    read_when_allowed(&proj, &dir.join("host"), "HOSTMARK_EXTENDS");
}

/// A symlink inside the project that leads out counts as outside.
#[cfg(unix)]
#[test]
fn a_symlink_that_leads_out_is_not_read() {
    let dir = tree(&[
        (
            "proj/compose.yaml",
            "include:\n  - inc.yaml\nservices:\n  a:\n    image: x\n",
        ),
        ("host/other.yaml", HOST_COMPOSE),
        ("host/dot.env", HOST_ENV),
    ]);
    let proj = dir.join("proj");
    std::os::unix::fs::symlink(dir.join("host/other.yaml"), proj.join("inc.yaml")).unwrap();
    std::os::unix::fs::symlink(dir.join("host/dot.env"), proj.join(".env")).unwrap();
    let outs = every_format(&proj, &[]);
    refused(&outs, "HOSTMARK_COMPOSE", "inc.yaml");
    refused(&outs, "HOSTMARK_ENV", ".env");
    read_when_allowed(&proj, &dir.join("host"), "HOSTMARK_ENV");
}

#[test]
fn env_files_outside_are_not_read_and_their_variables_are_unknown() {
    let dir = tree(&[
        (
            "proj/compose.yaml",
            "include:\n  - path: inc.yaml\n    env_file: ../host/inc.env\nservices:\n  a:\n    image: x\n    env_file: ../host/app.env\n",
        ),
        ("proj/inc.yaml", "services:\n  b:\n    image: \"${FROM_HOST_ENV}\"\n"),
        ("host/inc.env", "FROM_HOST_ENV=hostmark-inc-value\n"),
        ("host/app.env", HOST_ENV),
    ]);
    let proj = dir.join("proj");
    let outs = every_format(&proj, &[]);
    refused(&outs, "HOSTMARK_ENV", "host/app.env");
    refused(&outs, "hostmark-inc-value", "host/inc.env");
    // Unknown is not undefined: the variable may be set in the file not read.
    assert!(!outs[1].contains("SL301"), "{}", outs[1]);
    read_when_allowed(&proj, &dir.join("host"), "HOSTMARK_ENV");
    // Once read, a file that does not set the variable makes it undefined.
    std::fs::write(dir.join("host/inc.env"), "OTHER=1\n").unwrap();
    let allow = dir.join("host").to_string_lossy().into_owned();
    let outs = every_format(&proj, &["--allow-outside", &allow]);
    assert!(
        outs[1].contains("FROM_HOST_ENV") && outs[1].contains("SL301"),
        "{}",
        outs[1]
    );
    let outs = every_format(&proj, &[]);
    assert!(!outs[1].contains("SL301"), "{}", outs[1]);
    // `/proc` stays refused whatever is allowed.
    let proc_dir = tree(&[(
        "compose.yaml",
        "services:\n  a:\n    image: x\n    env_file: /proc/self/environ\n",
    )]);
    let outs = every_format(&proc_dir, &["--allow-outside", "/"]);
    assert!(
        outs[1].contains("a path under /proc, /sys or /dev is never read"),
        "{}",
        outs[1]
    );
}

/// A host directory mounted into the proxy, which nginx.conf includes.
#[test]
fn a_host_directory_mounted_into_the_proxy_is_not_read() {
    let dir = tree(&[
        (
            "proj/compose.yaml",
            "services:\n  proxy:\n    image: nginx\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n      - ../host/nginx:/etc/nginx/host:ro\n      - ../host/certs:/etc/nginx/certs:ro\n",
        ),
        (
            "proj/nginx.conf",
            "events {}\nhttp {\n  include /etc/nginx/host/*.conf;\n}\n",
        ),
        ("host/nginx/x.conf", HOST_NGINX),
        ("host/certs/site.conf", HOST_NGINX),
    ]);
    let proj = dir.join("proj");
    let outs = every_format(&proj, &[]);
    refused(&outs, "HOSTMARK_NGINX", "host/nginx");
    // The certificates directory holds nothing nginx is told to read: no finding.
    assert!(!outs[1].contains("host/certs"), "{}", outs[1]);
    read_when_allowed(&proj, &dir.join("host"), "HOSTMARK_NGINX");
}

/// `/etc` itself mounted over the container's `/etc`: nginx would read its
/// main config from the host.
#[test]
fn etc_mounted_into_the_proxy_is_not_read() {
    let dir = tree(&[(
        "compose.yaml",
        "services:\n  proxy:\n    image: nginx\n    volumes:\n      - /etc:/etc:ro\n",
    )]);
    let outs = every_format(&dir, &[]);
    refused(&outs, "root:x:0:", "/etc");
}

/// A Dockerfile outside the build context's project is not read.
#[test]
fn a_dockerfile_outside_is_not_read() {
    let dir = tree(&[
        (
            "proj/compose.yaml",
            "services:\n  a:\n    build:\n      context: ../host/ctx\n",
        ),
        ("host/ctx/Dockerfile", "FROM alpine\nHOSTMARK_DOCKER oops\n"),
    ]);
    let proj = dir.join("proj");
    let outs = every_format(&proj, &[]);
    refused(&outs, "HOSTMARK_DOCKER", "host/ctx/Dockerfile");
}

/// The root is the directory named on the command line: `../` inside it is read.
#[test]
fn files_up_the_tree_inside_the_named_directory_are_read() {
    let dir = tree(&[
        (
            "stacks/app/compose.yaml",
            "include:\n  - ../common/db.yaml\nservices:\n  a:\n    image: x\n",
        ),
        ("stacks/common/db.yaml", HOST_COMPOSE),
    ]);
    let outs = every_format(&dir, &[]);
    assert!(outs[0].contains("HOSTMARK_COMPOSE"), "{}", outs[0]);
    assert!(!outs[1].contains(NOT_READ), "{}", outs[1]);
    // Named by its file, the project's root is that file's directory.
    let (_, out, _) = common::stacklint_within(
        Duration::from_secs(60),
        &dir,
        &[
            "stacks/app/compose.yaml",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert!(
        out.contains(NOT_READ) && !out.contains("HOSTMARK_COMPOSE"),
        "{out}"
    );
}
