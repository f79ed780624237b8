//! Hostile NGINX configs (issue 10), built at test time and run with a deadline:
//! deep nesting, a flood of stray braces, and thousands of include globs over a
//! large mount must stay fast, small and bounded in what they report.

use std::path::Path;
use std::time::Duration;

mod common;
use common::tree;

const PROXY: &str = "services:\n  proxy:\n    image: nginx\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./mount:/etc/nginx/m:ro\n";

/// The JSON report of `dir`, killed after `secs`.
fn json_within(secs: u64, dir: &Path) -> serde_json::Value {
    let (code, out, err) = common::stacklint_within(
        Duration::from_secs(secs),
        dir,
        &[".", "--format", "json", "--fail-on", "never"],
    );
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("JSON report")
}

fn messages(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str().map(str::to_string))
        .collect()
}

/// 90,000 stray `{` nested and closed: 100,000 were once 21 s and 800 MB with
/// one finding per brace. Stray braces now count towards the nesting bound.
/// (Past 100,000 statements the file is not parsed at all: see below.)
#[test]
fn stray_braces_nested_90000_deep_are_bounded() {
    let n = 90_000;
    let conf = format!(
        "events {{}}\nhttp {{\n{}{}\n}}\n",
        "{".repeat(n),
        "}".repeat(n)
    );
    let dir = tree(&[("compose.yaml", PROXY), ("nginx.conf", &conf)]);
    let msgs = messages(&json_within(60, &dir));
    assert!(msgs.len() < 200, "{} findings", msgs.len());
    assert!(
        msgs.iter()
            .any(|m| m.contains("nested more than 64 levels")),
        "{msgs:?}"
    );
}

/// A megabyte of `}`: once over two minutes and one finding per byte.
#[test]
fn a_megabyte_of_closing_braces_is_ten_findings_and_a_count() {
    let conf = "}".repeat(1_000_000);
    let dir = tree(&[("compose.yaml", PROXY), ("nginx.conf", &conf)]);
    let msgs = messages(&json_within(60, &dir));
    let stray = msgs
        .iter()
        .filter(|m| m.as_str() == "unexpected \"}\": no block is open");
    assert_eq!(stray.count(), 10);
    assert!(
        msgs.iter().any(|m| m.starts_with(
            "999990 more of the same from here on, not reported one by one: unexpected \"}\""
        )),
        "{msgs:?}"
    );
}

/// 20,000 include globs over a mount of 2,000 files: the mount was listed
/// again for each include (49.8 s in release). Each file is still read once,
/// and what the includes reach is still analysed.
#[test]
fn twenty_thousand_include_globs_over_two_thousand_files_are_fast() {
    let mut files: Vec<(String, String)> = (0..2_000)
        .map(|i| (format!("mount/f{i}.conf"), format!("# {i}\n")))
        .collect();
    // One included file proxies to a service the stack does not have.
    files.push((
        "mount/target.conf".into(),
        "server { listen 80; location / { proxy_pass http://nowhere-svc:5000; } }\n".into(),
    ));
    let includes: String = (0..20_000)
        .map(|i| format!("  include /etc/nginx/m/f{}*.conf;\n", i % 2_000))
        .collect();
    let conf =
        format!("events {{}}\nhttp {{\n{includes}  include /etc/nginx/m/target*.conf;\n}}\n");
    files.push(("nginx.conf".into(), conf));
    files.push(("compose.yaml".into(), PROXY.into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tree(&refs);
    let json = json_within(60, &dir);
    assert_eq!(json["summary"]["files"], 2_003, "{}", json["summary"]);
    assert!(
        messages(&json).iter().any(|m| m.contains("nowhere-svc")),
        "{:?}",
        messages(&json)
    );
}

/// An NGINX file of more statements than stacklint parses is one SL001 at the
/// mount, read in bounded memory: 150,000 `location`s once took 396 MB.
#[test]
fn a_file_of_more_than_100000_statements_is_not_parsed() {
    let mut conf = String::from("events {}\nhttp {\n server {\n  listen 80;\n");
    for i in 0..150_000 {
        conf.push_str(&format!(
            "  location /l{i} {{ proxy_pass http://up{}:80; }}\n",
            i % 5000
        ));
    }
    conf.push_str(" }\n}\n");
    let dir = tree(&[("compose.yaml", PROXY), ("nginx.conf", &conf)]);
    let msgs = messages(&json_within(60, &dir));
    assert!(
        msgs.iter()
            .any(|m| m.contains("more than 100000 statements")),
        "{msgs:?}"
    );
}

/// Under the bound, a proxy of 19,500 servers that each proxy to a service
/// listening on a thousand ports (itself): each finding pointed at every
/// port's evidence, 24 GB and ten minutes; now a few labels each.
#[test]
fn many_servers_proxying_to_a_service_of_many_ports_are_linear() {
    let mut conf = String::from("events {}\nhttp {\n");
    for i in 0..19_500 {
        conf.push_str(&format!(
            "server {{ listen {}; server_name s{i}; location / {{ proxy_pass http://proxy:80; }} }}\n",
            8000 + i % 1000
        ));
    }
    conf.push_str("}\n");
    // Only nginx.conf mounted: with a directory of unknown configs beside it, the
    // ports the proxy listens on would be unknown, and SL205 silent.
    let compose = "services:\n  proxy:\n    image: nginx\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n";
    let dir = tree(&[("compose.yaml", compose), ("nginx.conf", &conf)]);
    let msgs = messages(&json_within(60, &dir));
    assert!(msgs.len() < 400, "{} findings", msgs.len());
    // Each location is a finding; those not shown are still counted.
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("19400 more SL205 (proxy-port-mismatch) findings")),
        "{msgs:?}"
    );
}
