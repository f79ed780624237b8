//! The configuration file end to end: discovery, every error with its position,
//! rule selection, severities, per-file ignores, rule options, and the command
//! line winning over the file. Each test builds its stack in a fresh temporary
//! directory (outside the repository, so no config of ours is found above it).

use std::path::Path;

use serde_json::Value;

mod common;
use common::{stacklint_in, tree};

/// (code, severity, suppressed) of every finding of a JSON run.
fn findings(dir: &Path, args: &[&str]) -> (i32, Vec<(String, String, bool)>) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = stacklint_in(dir, &all);
    assert_ne!(code, 2, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let list = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap_or("").to_string(),
                !f["suppressed"].is_null(),
            )
        })
        .collect();
    (code, list)
}

fn codes(list: &[(String, String, bool)]) -> Vec<&str> {
    let mut v: Vec<&str> = list.iter().map(|(c, _, _)| c.as_str()).collect();
    v.sort();
    v.dedup();
    v
}

const LIMITS: &str =
    "    deploy:\n      resources:\n        limits: {memory: 256M, cpus: \"0.5\"}\n";

/// A stack with one SL102 (published postgres) and one SL303 (placeholder in
/// .env), and an SL103 (no limits) on `db`.
fn stack() -> String {
    format!(
        "services:\n  app:\n    image: example/app:1.0\n    env_file: app.env\n{LIMITS}  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\"\n"
    )
}

const APP_ENV: &str = "API_TOKEN=changeme\n";

#[test]
fn found_by_walking_up_from_the_linted_path() {
    let dir = tree(&[
        ("stacklint.toml", "ignore = [\"internal-port-published\"]\n"),
        ("deploy/stack/compose.yaml", &stack()),
        ("deploy/stack/app.env", APP_ENV),
    ]);
    let (_, list) = findings(&dir, &["deploy/stack"]);
    assert!(!codes(&list).contains(&"SL102"), "{list:?}");
    assert!(codes(&list).contains(&"SL303"));
    // With no path, the search starts in the working directory.
    let (_, list) = findings(&dir.join("deploy/stack"), &[]);
    assert!(!codes(&list).contains(&"SL102"), "{list:?}");
    // A file path: from its directory.
    let (_, list) = findings(&dir, &["-f", "deploy/stack/compose.yaml"]);
    assert!(!codes(&list).contains(&"SL102"), "{list:?}");
}

#[test]
fn dot_stacklint_toml_and_the_nearest_file_win() {
    let dir = tree(&[
        ("stacklint.toml", "ignore = [\"SL303\"]\n"),
        ("stack/.stacklint.toml", "ignore = [\"SL102\"]\n"),
        ("stack/compose.yaml", &stack()),
        ("stack/app.env", APP_ENV),
    ]);
    let (_, list) = findings(&dir, &["stack"]);
    // The nearest file is the only one read: SL303 comes back.
    assert_eq!(codes(&list), ["SL103", "SL303"], "{list:?}");
}

#[test]
fn pyproject_tool_table() {
    let dir = tree(&[
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.stacklint]\nignore = [\"security\"]\n",
        ),
        ("compose.yaml", &stack()),
        ("app.env", APP_ENV),
    ]);
    let (_, list) = findings(&dir, &["."]);
    assert_eq!(codes(&list), ["SL103"], "{list:?}");
    // A pyproject.toml without the table is passed over.
    let dir = tree(&[
        ("pyproject.toml", "[project]\nname = \"x\"\n"),
        ("compose.yaml", &stack()),
        ("app.env", APP_ENV),
    ]);
    let (_, list) = findings(&dir, &["."]);
    assert_eq!(codes(&list), ["SL102", "SL103", "SL303"], "{list:?}");
}

#[test]
fn config_flag_names_the_file() {
    let dir = tree(&[
        ("stacklint.toml", "ignore = [\"SL103\"]\n"),
        ("ci/strict.toml", "select = [\"SL102\"]\n"),
        ("compose.yaml", &stack()),
        ("app.env", APP_ENV),
    ]);
    let (_, list) = findings(&dir, &["--config", "ci/strict.toml", "."]);
    assert_eq!(codes(&list), ["SL102"], "{list:?}");
    let (code, out, err) = stacklint_in(&dir, &["--config", "ci/nope.toml", "."]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("ci/nope.toml: config file not found"), "{err}");
}

/// Each mistake: exit 2, one line on stderr, naming the file, line and column.
#[test]
fn every_config_error_has_its_position() {
    let cases: &[(&str, &str, &str)] = &[
        ("selet = []\n", "stacklint.toml:1:1:", "unknown key `selet` (did you mean `select`?)"),
        ("select = [\"nope\"]\n", "stacklint.toml:1:11:", "unknown rule `nope` in `select`"),
        ("select = \"SL102\"\n", "stacklint.toml:1:10:", "`select` must be a list"),
        ("\nignore = [\"SL102\", 3]\n", "stacklint.toml:2:20:", "must be a list of strings"),
        ("ignore = [\"securty\"]\n", "stacklint.toml:1:11:", "(did you mean `security`?)"),
        ("fail-on = \"sometimes\"\n", "stacklint.toml:1:11:", "`fail-on` must be \"error\", \"warning\", \"info\" or \"never\""),
        ("[severity]\nmissing-resource-limits = \"low\"\n", "stacklint.toml:2:27:", "bad severity \"low\""),
        ("[severity]\nno-such-rule = \"info\"\n", "stacklint.toml:2:1:", "unknown rule `no-such-rule` in [severity]"),
        ("[severity]\nSL103 = \"info\"\nmissing-resource-limits = \"off\"\n", "stacklint.toml:", "is set twice"),
        ("[per-file-ignores]\n\"nginx/[a.conf\" = [\"SL204\"]\n", "stacklint.toml:2:1:", "bad glob `nginx/[a.conf`"),
        ("[per-file-ignores]\n\"*.env\" = [\"SL3O3\"]\n", "stacklint.toml:2:12:", "unknown rule `SL3O3` in `per-file-ignores` (did you mean `SL303`?)"),
        ("[internal-port-published]\nextra-images = [\"x\"]\n", "stacklint.toml:2:1:", "unknown option `extra-images` of rule `internal-port-published`; `internal-port-published` takes extra-internal-images"),
        ("[internal-port-published]\nextra-internal-images = \"acme/db\"\n", "stacklint.toml:2:25:", "must be a list of strings"),
        ("[placeholder-secret]\nextra-placeholders = [\"[oops\"]\n", "stacklint.toml:2:23:", "bad pattern"),
        ("[missing-resource-limits]\nmemory = \"1G\"\n", "stacklint.toml:2:1:", "`missing-resource-limits` has no options"),
        ("[workers-exceed-memory]\nmemory-per-worker = \"lots\"\n", "stacklint.toml:2:21:", "`memory-per-worker` must be a size of at least 1 MiB"),
        ("[workers-exceed-memory]\nmemory-per-worker = \"100k\"\n", "stacklint.toml:2:21:", "at least 1 MiB"),
        ("[workers-exceed-memory]\nmemory-per-worker = 150\n", "stacklint.toml:2:21:", "`memory-per-worker` must be a string, not integer"),
        ("[SL102]\n", "stacklint.toml:1:2:", "options of SL102 go in a table named [internal-port-published]"),
        ("select = [\"SL102\"\n", "stacklint.toml:", "invalid TOML"),
        ("select = []\nselect = []\n", "stacklint.toml:2:", "invalid TOML"),
    ];
    for (text, at, what) in cases {
        let dir = tree(&[("stacklint.toml", text), ("compose.yaml", &stack())]);
        let (code, out, err) = stacklint_in(&dir, &["."]);
        assert_eq!(code, 2, "{text:?}: {err}");
        assert!(out.is_empty(), "{text:?}");
        assert_eq!(err.trim().lines().count(), 1, "{text:?}: {err}");
        assert!(
            err.starts_with(&format!("stacklint: error: {at}")),
            "{text:?}: expected {at}, got {err}"
        );
        assert!(err.contains(what), "{text:?}: expected {what:?} in {err}");
    }
}

#[test]
fn select_and_ignore_by_name_code_and_category() {
    let dir = tree(&[("compose.yaml", &stack()), ("app.env", APP_ENV)]);
    let run = |cfg: &str| {
        std::fs::write(dir.join("stacklint.toml"), cfg).expect("write");
        codes(&findings(&dir, &["."]).1)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(""), ["SL102", "SL103", "SL303"]);
    assert_eq!(run("select = [\"security\"]"), ["SL102", "SL303"]);
    assert_eq!(
        run("select = [\"SL103\", \"placeholder-secret\"]"),
        ["SL103", "SL303"]
    );
    assert_eq!(
        run("select = [\"all\"]\nignore = [\"SL303\", \"correctness\"]"),
        // `all` takes the hardening rules too (off by default).
        ["SL102", "SL501", "SL502", "SL503", "SL505"]
    );
    assert_eq!(
        run("ignore = [\"internal-port-published\"]"),
        ["SL103", "SL303"]
    );
    assert_eq!(
        run("select = [\"Security\", \"sl103\"]"),
        ["SL102", "SL103", "SL303"]
    );
}

#[test]
fn the_command_line_wins_over_the_file() {
    let dir = tree(&[
        (
            "stacklint.toml",
            "select = [\"SL103\"]\nignore = [\"SL102\"]\nfail-on = \"never\"\n",
        ),
        ("compose.yaml", &stack()),
        ("app.env", APP_ENV),
    ]);
    let (code, list) = findings(&dir, &["."]);
    assert_eq!(codes(&list), ["SL103"]);
    assert_eq!(code, 0, "fail-on = never");
    // --select replaces the file's select and ignore; --fail-on replaces fail-on.
    let (code, list) = findings(
        &dir,
        &[".", "--select", "SL102,SL303", "--fail-on", "warning"],
    );
    assert_eq!(codes(&list), ["SL102", "SL303"]);
    assert_eq!(code, 1);
    // --ignore removes from what the file selects.
    let (_, list) = findings(&dir, &[".", "--select", "all", "--ignore", "SL303"]);
    assert_eq!(
        codes(&list),
        ["SL102", "SL103", "SL501", "SL502", "SL503", "SL505"]
    );
}

#[test]
fn unknown_rules_on_the_command_line_are_one_line_and_exit_2() {
    let dir = tree(&[("compose.yaml", &stack())]);
    for args in [
        &[".", "--select", "nope"][..],
        &[".", "--ignore", "SL102,nope"][..],
    ] {
        let (code, out, err) = stacklint_in(&dir, args);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("unknown rule `nope`"), "{err}");
        assert!(err.contains("`stacklint rules` lists them"), "{err}");
    }
    let (code, _, err) = stacklint_in(&dir, &[".", "--select", "securty"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `security`?"), "{err}");
    let (code, _, err) = stacklint_in(&dir, &[".", "--fail-on", "sometimes"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("possible values: error, warning, info, never"),
        "{err}"
    );
}

#[test]
fn severity_override_and_off() {
    let dir = tree(&[
        (
            "stacklint.toml",
            "[severity]\ninternal-port-published = \"info\"\nSL303 = \"error\"\nmissing-resource-limits = \"off\"\n",
        ),
        ("compose.yaml", &stack()),
        ("app.env", APP_ENV),
    ]);
    let (code, list) = findings(&dir, &["."]);
    let sev = |c: &str| {
        list.iter()
            .find(|(code, _, _)| code == c)
            .map(|(_, s, _)| s.as_str())
    };
    assert_eq!(sev("SL102"), Some("info"));
    assert_eq!(sev("SL303"), Some("error"));
    assert_eq!(sev("SL103"), None, "off");
    assert_eq!(code, 1);
    // Only the info-graded SL102 left: the run passes at the default fail-on.
    std::fs::write(
        dir.join("stacklint.toml"),
        "ignore = [\"SL303\"]\n[severity]\nSL102 = \"info\"\nSL103 = \"off\"\n",
    )
    .expect("write");
    let (code, list) = findings(&dir, &["."]);
    assert_eq!(codes(&list), ["SL102"]);
    assert_eq!(code, 0);
}

#[test]
fn per_file_ignores_match_globs_relative_to_the_config() {
    let nginx_stack = "services:\n  proxy:\n    image: nginx:1.27-alpine\n    ports: [\"127.0.0.1:80:80\"]\n    volumes:\n      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n    env_file: app.env\n    deploy:\n      resources:\n        limits: {memory: 64M, cpus: \"0.5\"}\n  app:\n    image: example/app:1.0\n    command: gunicorn -b 0.0.0.0:8000 app:app\n    deploy:\n      resources:\n        limits: {memory: 64M, cpus: \"0.5\"}\n";
    // `bakend` is no container of the stack (SL204); `app` is, but nothing
    // starts it before the proxy (SL201, with SL207 as its note).
    let conf = "server {\n    listen 80;\n    location / { proxy_pass http://bakend:8000; }\n    location /api/ { proxy_pass http://app:8000; }\n}\n";
    let dir = tree(&[
        ("stacks/web/compose.yaml", nginx_stack),
        ("stacks/web/nginx/default.conf", conf),
        ("stacks/web/app.env", APP_ENV),
    ]);
    let (_, list) = findings(&dir, &["stacks/web"]);
    assert_eq!(codes(&list), ["SL201", "SL204", "SL303"], "{list:?}");
    let run = |cfg: &str, cwd: &Path| {
        std::fs::write(dir.join("stacklint.toml"), cfg).expect("write");
        findings(cwd, &[dir.join("stacks/web").to_str().expect("utf-8")]).1
    };
    // Relative to the config's directory, whatever the working directory.
    for cwd in [dir.to_path_buf(), dir.join("stacks")] {
        let list = run(
            "[per-file-ignores]\n\"stacks/*/nginx/*.conf\" = [\"SL204\", \"static-upstream-without-resolver\", \"SL207\"]\n",
            &cwd,
        );
        assert_eq!(codes(&list), ["SL303"], "{list:?}");
    }
    // Ignoring SL201 alone leaves SL207, which described the same startup crash.
    let list = run(
        "[per-file-ignores]\n\"stacks/*/nginx/*.conf\" = [\"SL204\", \"SL201\"]\n",
        &dir,
    );
    assert_eq!(codes(&list), ["SL207", "SL303"], "{list:?}");
    // Without `/`: a file name in any directory; categories work too.
    let list = run("[per-file-ignores]\n\"*.env\" = [\"security\"]\n", &dir);
    assert_eq!(codes(&list), ["SL201", "SL204"], "{list:?}");
    // `**` crosses directories; a glob that matches nothing changes nothing.
    let list = run(
        "[per-file-ignores]\n\"**/default.conf\" = [\"SL204\"]\n\"other/*.conf\" = [\"SL201\"]\n",
        &dir,
    );
    assert_eq!(codes(&list), ["SL201", "SL303"], "{list:?}");
}

#[test]
fn extra_internal_images_make_sl102_fire() {
    let compose = format!(
        "services:\n  ledger:\n    image: ghcr.io/acme/ledger-db:2.1\n    ports:\n      - \"7000:7000\"\n{LIMITS}"
    );
    let dir = tree(&[("compose.yaml", &compose)]);
    let (_, list) = findings(&dir, &["."]);
    assert!(list.is_empty(), "{list:?}");
    std::fs::write(
        dir.join("stacklint.toml"),
        "[internal-port-published]\nextra-internal-images = [\"acme/ledger-db\"]\n",
    )
    .expect("write");
    let (code, out, _) = stacklint_in(&dir, &[".", "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "SL102");
    assert!(f["message"]
        .as_str()
        .unwrap_or("")
        .contains("`ledger` (an internal service) publishes port 7000"));
    assert!(f["related"].to_string().contains("extra-internal-images"));
}

#[test]
fn extra_placeholders_make_sl303_fire() {
    let compose =
        format!("services:\n  app:\n    image: example/app:1.0\n    env_file: app.env\n{LIMITS}");
    let dir = tree(&[
        ("compose.yaml", &compose),
        (
            "app.env",
            "API_TOKEN=acme-dev-token\nDB_PASSWORD=Dummy-123\n",
        ),
    ]);
    let (_, list) = findings(&dir, &["."]);
    assert!(list.is_empty(), "{list:?}");
    std::fs::write(
        dir.join("stacklint.toml"),
        "[placeholder-secret]\nextra-placeholders = [\"acme-dev-token\", \"dummy-*\"]\n",
    )
    .expect("write");
    let (code, out, _) = stacklint_in(&dir, &[".", "--format", "json"]);
    assert_eq!(code, 1);
    assert!(
        !out.contains("acme-dev-token") && !out.contains("Dummy-123"),
        "no secret printed"
    );
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let found: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(found, ["SL303", "SL303"]);
}

#[test]
fn memory_per_worker_sets_what_sl112_counts() {
    // 6 workers in 512 MiB: fine at 64 MiB each (384), too many at 100 MiB (600).
    let compose = "services:\n  web:\n    image: example/web:1.0\n    command: gunicorn -w 6 app:app\n    mem_limit: 512m\n    cpus: 1\n";
    let dir = tree(&[("compose.yaml", compose)]);
    let sl112 = |dir: &std::path::Path| -> Vec<String> {
        let (_, out, _) = stacklint_in(dir, &[".", "--select", "SL112", "--format", "json"]);
        let v: Value = serde_json::from_str(&out).expect("JSON");
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["message"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert!(sl112(&dir).is_empty());
    std::fs::write(
        dir.join("stacklint.toml"),
        "[workers-exceed-memory]\nmemory-per-worker = \"100m\"\n",
    )
    .expect("write");
    let found = sl112(&dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("at about 100 MiB each that is 600 MiB"),
        "{found:?}"
    );
}

/// The JSON Schema of the config lists every rule's table and every selector,
/// and a config using every key validates against it.
#[test]
fn the_config_schema_knows_every_rule_and_validates_a_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/stacklint-config.schema.json"))
            .expect("schema"),
    )
    .expect("schema is JSON");
    let props = &schema["properties"];
    let rule_enum = schema["$defs"]["rule"]["enum"].to_string();
    for m in stacklint::rules::all() {
        assert!(
            props[m.name].is_object(),
            "schemas/stacklint-config.schema.json has no table for `{}`",
            m.name
        );
        let keys: Vec<&str> = props[m.name]["properties"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut expected = stacklint::report::config::rule_option_keys(m).to_vec();
        expected.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, expected, "options of `{}` in the schema", m.name);
        for word in [m.name, m.code] {
            assert!(
                rule_enum.contains(&format!("\"{word}\"")),
                "the schema's rule list lacks `{word}`"
            );
        }
    }
    let sample = r#"
select = ["correctness", "security", "SL103"]
ignore = ["env-example-drift"]
fail-on = "warning"
exclude = ["legacy", "deploy/{old,tmp}/**"]

[severity]
missing-resource-limits = "warning"
SL303 = "off"

[per-file-ignores]
"nginx/legacy/*.conf" = ["SL201", "resolver-not-used"]

[internal-port-published]
extra-internal-images = ["acme/ledger-db"]

[placeholder-secret]
extra-placeholders = ["please-change", "dummy-*"]

[workers-exceed-memory]
memory-per-worker = "150m"
"#;
    // The sample is a valid config for stacklint itself...
    stacklint::report::config::parse(sample, Path::new("sample.toml"), false)
        .unwrap_or_else(|e| panic!("{e}"));
    // ...and for the schema.
    let instance: Value = toml::from_str(sample).expect("TOML");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // And the schema rejects what stacklint rejects.
    for bad in [
        "selet = []",
        "select = [\"nope\"]",
        "[severity]\nparse-error = \"low\"",
        "[parse-error]\nx = 1",
    ] {
        let v: Value = toml::from_str(bad).expect("TOML");
        assert!(!validator.is_valid(&v), "schema accepts {bad:?}");
        assert!(stacklint::report::config::parse(bad, Path::new("x.toml"), false).is_err());
    }
}

/// The example in the README's configuration section is a valid config.
#[test]
fn the_readme_example_config_is_valid() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let section = readme
        .split("### Configuration")
        .nth(1)
        .expect("a configuration section");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml example");
    let cfg = stacklint::report::config::parse(block, Path::new("README.md"), false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cfg.options.extra_internal_image("acme/ledger-db").is_some());
}
