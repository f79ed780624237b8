//! Inline suppressions end to end: every form, in YAML, NGINX and `.env` files,
//! with and without a reason; unknown rules (SL002), unused suppressions (SL003);
//! suppressed findings kept in JSON, counted, not failing the run, not shown in
//! the text report.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{stacklint_in, tree, Dir};

/// One finding of a JSON report.
#[derive(Debug)]
struct F {
    code: String,
    path: String,
    line: u64,
    /// `Some(justification)` when suppressed.
    suppressed: Option<String>,
    suppression_line: Option<u64>,
}

fn json(dir: &Path, args: &[&str]) -> (i32, Vec<F>, Value) {
    let mut all = vec![".", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = stacklint_in(dir, &all);
    assert_ne!(code, 2, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let list = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| F {
            code: f["code"].as_str().unwrap_or("").into(),
            path: f["location"]["path"].as_str().unwrap_or("").into(),
            line: f["location"]["start"]["line"].as_u64().unwrap_or(0),
            suppressed: f["suppressed"]["justification"].as_str().map(String::from),
            suppression_line: f["suppressed"]["location"]["start"]["line"].as_u64(),
        })
        .collect();
    (code, list, v["summary"].clone())
}

const LIMITS: &str =
    "    deploy:\n      resources:\n        limits: {memory: 256M, cpus: \"0.5\"}\n";

fn db(ports: &str) -> String {
    format!("services:\n  db:\n    image: postgres:16\n{LIMITS}    ports:\n{ports}")
}

#[test]
fn yaml_same_line_and_line_above_with_and_without_reason() {
    let dir = tree(&[(
        "compose.yaml",
        &db("      - \"5432:5432\" # stacklint: ignore[SL102] dev only, firewalled\n      # stacklint: ignore[internal-port-published]\n      - \"5433:5432\"\n      - \"5434:5432\"\n"),
    )]);
    let (code, list, summary) = json(&dir, &[]);
    let sl102: Vec<&F> = list.iter().filter(|f| f.code == "SL102").collect();
    assert_eq!(sl102.len(), 3, "{list:?}");
    assert_eq!(sl102[0].line, 8);
    assert_eq!(sl102[0].suppressed.as_deref(), Some("dev only, firewalled"));
    assert_eq!(sl102[0].suppression_line, Some(8));
    assert_eq!(sl102[1].line, 10);
    assert_eq!(sl102[1].suppressed.as_deref(), Some(""), "no reason given");
    assert_eq!(sl102[1].suppression_line, Some(9));
    assert_eq!(sl102[2].line, 11);
    assert_eq!(sl102[2].suppressed, None, "a suppression covers one line");
    assert_eq!(summary["suppressed"], 2);
    assert_eq!(summary["findings"], 1);
    assert_eq!(code, 1, "the unsuppressed one fails the run");
    assert!(!list.iter().any(|f| f.code == "SL003"), "{list:?}");
}

#[test]
fn suppressed_findings_do_not_fail_the_run_and_are_counted_in_text() {
    let dir = tree(&[(
        "compose.yaml",
        &db("      - \"5432:5432\" # stacklint: ignore[SL102] dev only\n"),
    )]);
    let (code, list, summary) = json(&dir, &[]);
    assert_eq!(list.len(), 1);
    assert_eq!(summary["findings"], 0);
    assert_eq!(summary["suppressed"], 1);
    assert_eq!(code, 0);
    let (code, out, _) = stacklint_in(&dir, &["."]);
    assert_eq!(code, 0);
    assert!(
        !out.contains("SL102"),
        "suppressed findings are not rendered: {out}"
    );
    assert_eq!(
        out.trim(),
        "No findings (1 suppressed) in 1 file (1 project)."
    );
    // --fail-on info still ignores suppressed findings.
    assert_eq!(stacklint_in(&dir, &[".", "--fail-on", "info"]).0, 0);
}

#[test]
fn stacked_comments_above_a_line() {
    let compose = format!(
        "services:\n  # stacklint: ignore[missing-resource-limits] limits come from the platform\n  # stacklint: ignore[SL101] (none here: reported unused)\n\n  # a plain comment between\n  app:\n    image: example/app:1.0\n{LIMITS}  worker:\n    image: example/worker:1.0\n"
    );
    let dir = tree(&[("compose.yaml", &compose)]);
    let (_, list, _) = json(&dir, &[]);
    let sl103: Vec<&F> = list.iter().filter(|f| f.code == "SL103").collect();
    assert_eq!(sl103.len(), 1, "{list:?}");
    assert_eq!(sl103[0].line, 11, "worker is not covered");
    assert!(sl103[0].suppressed.is_none());
    let unused: Vec<&F> = list.iter().filter(|f| f.code == "SL003").collect();
    assert_eq!(unused.len(), 2, "{list:?}");
    // `app` had limits: the first comment's target line (6) has no SL103.
    assert_eq!((unused[0].line, unused[1].line), (2, 3));
}

#[test]
fn file_ignore_in_yaml() {
    let compose = "# stacklint: file-ignore[SL103, internal-port-published] a throwaway dev stack\nservices:\n  db:\n    image: postgres:16\n    ports: [\"5432:5432\"]\n  cache:\n    image: redis:7\n";
    let dir = tree(&[("compose.yaml", compose)]);
    let (code, list, summary) = json(&dir, &[]);
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|f| f.suppressed.as_deref() == Some("a throwaway dev stack")),
        "{list:?}"
    );
    assert_eq!(summary["suppressed"], list.len());
    assert_eq!(code, 0);
}

fn nginx_stack(conf: &str) -> Dir {
    let compose = format!(
        "services:\n  proxy:\n    image: nginx:1.27-alpine\n    ports: [\"127.0.0.1:80:80\"]\n    volumes:\n      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n    depends_on: [app]\n{LIMITS}  app:\n    image: example/app:1.0\n    command: gunicorn -b 0.0.0.0:8080 app:app\n{LIMITS}"
    );
    tree(&[("compose.yaml", &compose), ("nginx/default.conf", conf)])
}

#[test]
fn nginx_forms() {
    let dir = nginx_stack(
        "# stacklint: file-ignore[static-upstream-without-resolver] legacy host, static address\nserver {\n    listen 80;\n    location /a/ { proxy_pass http://legacy:8080; } # stacklint: ignore[SL204] in /etc/hosts\n    # stacklint: ignore[proxy-target-unknown]\n    location /b/ { proxy_pass http://legacy2:8080; }\n    location /c/ { proxy_pass http://legacy3:8080; }\n    location /d/ { return 200 \"# stacklint: ignore[SL204]\"; }\n    location /e/ { proxy_pass http://app:8080; }\n}\n",
    );
    let (code, list, _) = json(&dir, &[]);
    let at = |code: &str, line: u64| {
        list.iter()
            .find(|f| f.code == code && f.line == line)
            .unwrap_or_else(|| panic!("no {code} at line {line}: {list:?}"))
    };
    assert_eq!(at("SL204", 4).suppressed.as_deref(), Some("in /etc/hosts"));
    assert_eq!(at("SL204", 6).suppressed.as_deref(), Some(""));
    assert_eq!(at("SL204", 7).suppressed, None);
    // The unknown hosts are SL204's alone; the stack's `app` gives SL201.
    assert!(
        !list.iter().any(|f| f.code == "SL201" && f.line < 9),
        "{list:?}"
    );
    assert_eq!(
        at("SL201", 9).suppressed.as_deref(),
        Some("legacy host, static address")
    );
    assert!(
        !list.iter().any(|f| f.code == "SL002" || f.code == "SL003"),
        "the quoted `#` is no comment: {list:?}"
    );
    assert_eq!(code, 1);
}

#[test]
fn env_forms() {
    let compose =
        format!("services:\n  app:\n    image: example/app:1.0\n    env_file: app.env\n{LIMITS}");
    let env = "API_TOKEN=changeme # stacklint: ignore[SL303] the tests replace it\n# stacklint: ignore[placeholder-secret]\nDB_PASSWORD=changeme\nSMTP_PASSWORD=changeme\nNOTE=\"x # stacklint: ignore[bogus]\"\n";
    let dir = tree(&[("compose.yaml", &compose), ("app.env", env)]);
    let (_, list, _) = json(&dir, &[]);
    let sl303: Vec<&F> = list.iter().filter(|f| f.code == "SL303").collect();
    assert_eq!(sl303.len(), 3, "{list:?}");
    assert_eq!(sl303[0].suppressed.as_deref(), Some("the tests replace it"));
    assert_eq!(sl303[1].suppressed.as_deref(), Some(""));
    assert_eq!(sl303[2].suppressed, None);
    assert!(!list.iter().any(|f| f.code == "SL002"), "{list:?}");

    let dir = tree(&[
        ("compose.yaml", &compose),
        (
            "app.env",
            "# stacklint: file-ignore[SL303] a development file\nAPI_TOKEN=changeme\nDB_PASSWORD=changeme\n",
        ),
    ]);
    let (code, list, _) = json(&dir, &[]);
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .all(|f| f.suppressed.as_deref() == Some("a development file")));
    assert_eq!(code, 0);
}

#[test]
fn unknown_rule_is_sl002_and_fails() {
    let dir = tree(&[(
        "compose.yaml",
        &db("      - \"5432:5432\" # stacklint: ignore[internal-port-publish] typo\n"),
    )]);
    let (code, list, _) = json(&dir, &[]);
    let codes: Vec<&str> = list.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["SL102", "SL002"]);
    assert!(list.iter().all(|f| f.suppressed.is_none()));
    assert_eq!(code, 1);
    let (_, out, _) = stacklint_in(&dir, &["."]);
    assert!(
        out.contains("unknown rule `internal-port-publish` in a suppression"),
        "{out}"
    );
}

#[test]
fn unused_is_sl003_info_and_does_not_fail() {
    let dir = tree(&[(
        "compose.yaml",
        &db("      # stacklint: ignore[SL102] was published once\n      - \"127.0.0.1:5432:5432\"\n"),
    )]);
    let (code, list, summary) = json(&dir, &[]);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (list[0].code.as_str(), list[0].path.as_str(), list[0].line),
        ("SL003", "compose.yaml", 8)
    );
    assert_eq!(summary["infos"], 1);
    assert_eq!(code, 0);
    assert_eq!(json(&dir, &["--fail-on", "info"]).0, 1);
}

#[test]
fn a_rule_that_did_not_run_is_not_unused() {
    let dir = tree(&[(
        "compose.yaml",
        &db("      # stacklint: ignore[SL102] was published once\n      - \"127.0.0.1:5432:5432\"\n"),
    )]);
    for args in [&["--ignore", "SL102"][..], &["--select", "SL103,SL003"][..]] {
        let (_, list, _) = json(&dir, args);
        assert!(list.is_empty(), "{args:?}: {list:?}");
    }
    // `[severity] ... = "off"` too.
    std::fs::write(
        dir.join("stacklint.toml"),
        "[severity]\ninternal-port-published = \"off\"\n",
    )
    .expect("write");
    let (_, list, _) = json(&dir, &[]);
    assert!(list.is_empty(), "{list:?}");
}

#[test]
fn the_meta_rules_obey_the_configuration() {
    let dir = tree(&[(
        "compose.yaml",
        &db("      - \"127.0.0.1:5432:5432\" # stacklint: ignore[SL102, nope]\n"),
    )]);
    let codes =
        |args: &[&str]| -> Vec<String> { json(&dir, args).1.into_iter().map(|f| f.code).collect() };
    // Same line: the unused `SL102` comes before the unknown `nope`.
    assert_eq!(codes(&[]), ["SL003", "SL002"]);
    assert_eq!(codes(&["--ignore", "unused-suppression"]), ["SL002"]);
    assert_eq!(codes(&["--ignore", "SL002,SL003"]), Vec::<String>::new());
    std::fs::write(
        dir.join("stacklint.toml"),
        "[severity]\ninvalid-suppression = \"warning\"\n[per-file-ignores]\n\"compose.yaml\" = [\"SL003\"]\n",
    )
    .expect("write");
    let (code, list, _) = json(&dir, &["--fail-on", "error"]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].code, "SL002");
    assert_eq!(code, 0, "SL002 graded down to a warning");
}

#[test]
fn quiet_prints_nothing_when_everything_is_suppressed() {
    let dir = tree(&[(
        "compose.yaml",
        &db("      - \"5432:5432\" # stacklint: ignore[SL102]\n"),
    )]);
    let (code, out, _) = stacklint_in(&dir, &[".", "--quiet"]);
    assert_eq!(code, 0);
    assert!(out.trim().is_empty(), "{out}");
}
