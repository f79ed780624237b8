//! The example stacks give exactly their incidents: no more, no fewer, at these places.

use serde_json::Value;

mod common;

/// (code, file below the fixture, line, column) of every finding, in output order.
fn findings(fixture: &str) -> Vec<(String, String, u64, u64)> {
    let path = format!("fixtures/{fixture}");
    let (_, out, _) = common::stacklint(&[&path, "--format", "json", "--fail-on", "never"]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let prefix = format!("fixtures/{fixture}/");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let loc = &f["location"];
            (
                f["code"].as_str().unwrap_or("").to_string(),
                loc["path"]
                    .as_str()
                    .unwrap_or("")
                    .trim_start_matches(&prefix)
                    .to_string(),
                loc["start"]["line"].as_u64().unwrap_or(0),
                loc["start"]["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn expect(rows: &[(&str, &str, u64, u64)]) -> Vec<(String, String, u64, u64)> {
    rows.iter()
        .map(|(c, f, l, col)| (c.to_string(), f.to_string(), *l, *col))
        .collect()
}

#[test]
fn proxy_stack_before_its_fixes() {
    assert_eq!(
        findings("proxy-stack-before"),
        expect(&[
            // The stack's .env, with the database password, is committed (this
            // repository tracks it): every clone has the password.
            ("SL305", ".env", 1, 1),
            ("SL103", "docker-compose.yml", 3, 3),
            // Issue 2: the config is mounted where nginx never reads it.
            ("SL203", "docker-compose.yml", 9, 9),
            ("SL103", "docker-compose.yml", 15, 3),
            // And the probe itself cannot run: python:3.12-slim has no curl, so the
            // check fails even on the right port.
            ("SL108", "docker-compose.yml", 22, 21),
            // Issue 1: the healthcheck probes 8000, gunicorn binds 5000.
            ("SL101", "docker-compose.yml", 22, 53),
            ("SL103", "docker-compose.yml", 33, 3),
            ("SL103", "docker-compose.yml", 41, 3),
            // Issue 3: the static upstream is resolved once, at startup. `depends_on:
            // [app]` starts the app's container first, so Docker's DNS knows its
            // name and nginx starts (no SL207); what remains is the address that
            // goes stale when the app is recreated (SL201 as a warning).
            ("SL201", "nginx/default.conf", 3, 12),
        ])
    );
}

#[test]
fn proxy_stack_after_the_fixes_of_its_write_up() {
    assert_eq!(
        findings("proxy-stack-after"),
        expect(&[
            ("SL305", ".env", 1, 1),
            ("SL103", "docker-compose.yml", 3, 3),
            ("SL103", "docker-compose.yml", 17, 3),
            // The port is right now, but curl is still not in python:3.12-slim:
            // the container stays unhealthy.
            ("SL108", "docker-compose.yml", 24, 21),
            ("SL103", "docker-compose.yml", 35, 3),
            ("SL103", "docker-compose.yml", 43, 3),
            // The write-up's "fix" keeps the host literal: still resolved at startup,
            // so the address still goes stale when the app is recreated.
            ("SL202", "nginx/default.conf", 12, 20),
        ])
    );
}

#[test]
fn proxy_stack_done_right_is_clean() {
    // Its .env is git-ignored; the committed .env.example has names only.
    assert_eq!(findings("proxy-stack-fixed"), expect(&[]));
}

#[test]
fn deploy_env_compose_and_env_template() {
    assert_eq!(
        findings("deploy-env"),
        expect(&[
            // The template's placeholders, copied into .env.
            ("SL303", ".env", 16, 19),
            ("SL303", ".env", 28, 16),
            ("SL303", ".env", 38, 16),
            // PROJECT_NAME and OPENAI_API_KEY are in no env file.
            ("SL301", "docker-compose.yml", 14, 21),
            ("SL301", "docker-compose.yml", 20, 24),
            // Datastores published to the host; redis has no limits.
            ("SL102", "docker-compose.yml", 60, 9),
            ("SL103", "docker-compose.yml", 83, 3),
            ("SL102", "docker-compose.yml", 87, 9),
        ])
    );
}

/// The production-readiness review of a Flask dashboard: workers from the
/// host's CPU count in a 512 MB container, debug on in production, a secret key
/// with a fallback written in the compose file, and a location that drops the
/// server's security headers.
#[test]
fn production_readiness_stack() {
    assert_eq!(
        findings("production-readiness"),
        expect(&[
            ("SL113", "compose.yaml", 23, 21),
            ("SL304", "compose.yaml", 24, 33),
            ("SL208", "nginx/default.conf", 19, 9),
            // 33 workers on a 16-core host, in 512 MB.
            ("SL112", "web/gunicorn.conf.py", 5, 11),
        ])
    );
}
