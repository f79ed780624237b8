//! The output formats end to end: snapshots of every format on the example stacks,
//! SARIF validated against the official schema and GitHub's field requirements, JSON
//! validated against `schemas/stacklint-output.schema.json`, fingerprints that
//! survive unrelated edits, `--output`, suppressed findings, GitHub's limits, and no
//! secret value in any snippet-free format.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use stacklint::cli::{load_all, Input};
use stacklint::compose::stack::Project;
use stacklint::finding::{Finding, Suppression};
use stacklint::output::{self, sarif, ProjectReport, Report, Resolved, Summary};

mod common;
use common::{manifest, shared, stacklint, stacklint_in};

const STACKS: [&str; 2] = ["fixtures/proxy-stack-before", "fixtures/deploy-env"];
const FORMATS: [&str; 5] = ["text", "json", "sarif", "github", "gitlab"];

fn format_of(path: &str, format: &str) -> String {
    let (code, out, err) = stacklint(&[path, "--format", format, "--fail-on", "never"]);
    assert_eq!(code, 0, "{path} --format {format}: {err}");
    out
}

fn sarif_of(path: &str) -> Value {
    serde_json::from_str(&format_of(path, "sarif")).expect("SARIF is JSON")
}

fn json_of(path: &str) -> Value {
    serde_json::from_str(&format_of(path, "json")).expect("JSON output is JSON")
}

fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).expect("schema is JSON"))
}

/// The SARIF 2.1.0 schema, vendored so that every run validates against it.
fn sarif_schema() -> Value {
    read_json(&manifest().join("schemas/sarif-schema-2.1.0.json"))
        .expect("schemas/sarif-schema-2.1.0.json exists")
}

fn output_schema() -> Value {
    read_json(&manifest().join("schemas/stacklint-output.schema.json"))
        .expect("schemas/stacklint-output.schema.json exists")
}

/// Every error of `instance` against `schema`, formats checked too (URIs).
fn schema_errors(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = errors_with(
        jsonschema::options().should_validate_formats(true),
        schema,
        instance,
    );
    // The SARIF schema is draft-04, which has no `uri-reference` format, so its
    // artifact URIs would go unchecked: validate again as draft-07, which checks them.
    if schema["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("draft-04"))
    {
        errors.extend(errors_with(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(true),
            schema,
            instance,
        ));
    }
    errors
}

fn errors_with(
    options: jsonschema::ValidationOptions<'_>,
    schema: &Value,
    instance: &Value,
) -> Vec<String> {
    let v = options.build(schema).expect("schema compiles");
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// What varies between machines and releases: the tool version, the root directory.
fn normalize(format: &str, out: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    match format {
        "json" => {
            let mut v: Value = serde_json::from_str(out).expect("JSON");
            assert_eq!(v["tool"]["version"], version);
            v["tool"]["version"] = json!("[VERSION]");
            serde_json::to_string_pretty(&v).expect("prints")
        }
        "sarif" => {
            let mut v: Value = serde_json::from_str(out).expect("JSON");
            let run = &mut v["runs"][0];
            let driver = &mut run["tool"]["driver"];
            assert_eq!(driver["version"], version);
            assert_eq!(driver["semanticVersion"], version);
            driver["version"] = json!("[VERSION]");
            driver["semanticVersion"] = json!("[VERSION]");
            // The rule pages belong to the rules (and are checked below); the snapshot
            // keeps what this format adds around them.
            for rule in driver["rules"].as_array_mut().expect("rules") {
                let name = rule["name"].as_str().unwrap_or_default().to_string();
                rule["fullDescription"]["text"] =
                    json!(format!("[first paragraph of rules/{name}.md]"));
                rule["help"]["text"] = json!(format!("[rules/{name}.md]"));
                rule["help"]["markdown"] = json!(format!("[rules/{name}.md]"));
            }
            assert_eq!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], root_uri());
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = json!("file:///[ROOT]/");
            serde_json::to_string_pretty(&v).expect("prints")
        }
        _ => out.to_string(),
    }
}

fn root_uri() -> String {
    format!(
        "file://{}/",
        sarif::encode(&manifest().to_string_lossy().replace('\\', "/"))
    )
}

#[test]
fn snapshots_of_every_format_on_the_example_stacks() {
    for stack in STACKS {
        let name = stack.trim_start_matches("fixtures/");
        for format in FORMATS {
            let out = normalize(format, &format_of(stack, format));
            insta::assert_snapshot!(format!("{format}__{name}"), out);
        }
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema = sarif_schema();
    let mut paths: Vec<String> = STACKS.iter().map(|s| s.to_string()).collect();
    paths.extend(
        [
            "fixtures/proxy-stack-after",
            "fixtures/proxy-stack-fixed",
            "fixtures/stack",
        ]
        .map(String::from),
    );
    for path in &paths {
        let errors = schema_errors(&schema, &sarif_of(path));
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
    // The validator does reject what the schema forbids.
    let mut bad = sarif_of("fixtures/proxy-stack-before");
    bad["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!schema_errors(&schema, &bad).is_empty());
    let mut bad = sarif_of("fixtures/proxy-stack-before");
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!schema_errors(&schema, &bad).is_empty());
    let mut bad = sarif_of("fixtures/proxy-stack-before");
    bad["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] = json!("not a uri");
    assert!(
        !schema_errors(&schema, &bad).is_empty(),
        "formats are checked"
    );
}

#[test]
fn json_validates_against_its_schema() {
    let schema = output_schema();
    jsonschema::meta::validate(&schema).expect("the schema is a valid JSON Schema");
    assert_eq!(
        schema["properties"]["version"]["const"],
        json!(output::json::VERSION),
        "the schema's version is the output's version"
    );
    for path in [
        "fixtures/proxy-stack-before",
        "fixtures/deploy-env",
        "fixtures/proxy-stack-after",
        "fixtures/proxy-stack-fixed",
        "fixtures/stack",
        "fixtures/rules/placeholder-secret",
    ] {
        let doc = json_of(path);
        let errors = schema_errors(&schema, &doc);
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
}

/// JSON findings are written one by one and spliced into the document: byte for
/// byte the output is what one pretty pass over the whole document writes, with
/// findings (suppressed ones and fixes among them) and without any.
#[test]
fn json_output_is_one_pretty_document() {
    for (path, select) in [
        (STACKS[0], None),
        (STACKS[1], None),
        ("fixtures/rules", None),
        (STACKS[0], Some("SL104")),
    ] {
        let mut args = vec![path, "--format", "json", "--fail-on", "never"];
        args.extend(select.iter().flat_map(|r| ["--select", *r]));
        let (code, out, err) = stacklint(&args);
        assert_eq!(code, 0, "{path}: {err}");
        let v: Value = serde_json::from_str(&out).expect("JSON");
        let findings = v["findings"].as_array().map_or(0, Vec::len);
        assert_eq!(findings == 0, select.is_some(), "{path} {select:?}");
        let once = serde_json::to_string_pretty(&v).expect("prints") + "\n";
        assert!(
            out == once,
            "{path} {select:?}: not as one pretty pass writes it"
        );
    }
}

#[test]
fn the_json_schema_rejects_a_change_of_shape() {
    let schema = output_schema();
    let doc = json_of("fixtures/proxy-stack-before");
    assert!(schema_errors(&schema, &doc).is_empty());

    let mut extra = doc.clone();
    extra["findings"][0]["new_key"] = json!(1);
    assert!(!schema_errors(&schema, &extra).is_empty(), "unknown key");

    let mut missing = doc.clone();
    if let Some(o) = missing["findings"][0].as_object_mut() {
        o.remove("fingerprint");
    }
    assert!(!schema_errors(&schema, &missing).is_empty(), "missing key");

    let mut retyped = doc.clone();
    retyped["findings"][0]["location"]["start"]["line"] = json!("3");
    assert!(!schema_errors(&schema, &retyped).is_empty(), "retyped");

    let mut bumped = doc.clone();
    bumped["version"] = json!(2);
    assert!(!schema_errors(&schema, &bumped).is_empty(), "other version");

    let mut summary = doc;
    summary["summary"]["skipped"] = json!(0);
    assert!(!schema_errors(&schema, &summary).is_empty(), "summary key");
}

/// What GitHub code scanning reads, checked on one SARIF log.
fn assert_github_requirements(log: &Value, what: &str) {
    assert_eq!(log["version"], "2.1.0", "{what}");
    assert_eq!(log["$schema"], sarif::SCHEMA_URI, "{what}");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{what}: one run");
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["automationDetails"]["id"], "stacklint/", "{what}");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "stacklint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    let rules = driver["rules"].as_array().expect("rules");
    assert!(rules.len() <= 25_000);
    let mut ids = std::collections::HashSet::new();
    for r in rules {
        let id = r["id"].as_str().expect("rule id");
        assert!(ids.insert(id), "{what}: duplicate rule {id}");
        let meta = stacklint::rules::lookup(id).expect("a real rule");
        assert_eq!(r["name"], meta.name);
        assert_eq!(r["shortDescription"]["text"], meta.summary);
        assert!(!r["fullDescription"]["text"]
            .as_str()
            .unwrap_or("")
            .is_empty());
        let help = r["help"]["markdown"].as_str().expect("help.markdown");
        assert!(
            help.starts_with(&format!("# {} ({})", meta.name, meta.code)),
            "{id}: help is its page"
        );
        // The plain help is the same page without Markdown: no headings, fences or code
        // marks, but the same words.
        let text = r["help"]["text"].as_str().expect("help.text");
        assert!(
            text.starts_with(&format!("{} ({})", meta.name, meta.code)),
            "{id}: {text}"
        );
        // (Code blocks are indented and kept as they are: a comment in them may quote.)
        for line in text.lines().filter(|l| !l.starts_with("    ")) {
            assert!(
                !line.contains('`') && !line.starts_with('#'),
                "{id}: help.text has Markdown left: {line}"
            );
        }
        assert_eq!(
            r["helpUri"].as_str(),
            Some(
                format!(
                    "{}/blob/main/rules/{}.md",
                    env!("CARGO_PKG_REPOSITORY"),
                    meta.name
                )
                .as_str()
            ),
            "{id}: helpUri is the rule's page"
        );
        assert!(
            manifest().join(format!("rules/{}.md", meta.name)).is_file(),
            "{id}: the page helpUri names exists"
        );
        assert_eq!(
            r["defaultConfiguration"]["level"],
            meta.severity.row().sarif_level
        );
        let tags: Vec<&str> = r["properties"]["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!tags.is_empty() && tags.len() <= 10, "{id}: {tags:?}");
        assert!(matches!(
            r["properties"]["precision"].as_str(),
            Some("high" | "very-high")
        ));
        let security = meta.category == stacklint::rules::Category::Security;
        assert_eq!(tags.contains(&"security"), security, "{id}: {tags:?}");
        match r["properties"]["security-severity"].as_str() {
            Some(s) => {
                assert!(security, "{id}: security-severity on a non-security rule");
                let score: f64 = s.parse().expect("a number");
                assert!((0.0..=10.0).contains(&score), "{id}: {score}");
            }
            None => assert!(!security, "{id}: security rule without security-severity"),
        }
    }
    let results = run["results"].as_array().expect("results");
    assert!(results.len() <= sarif::MAX_RESULTS, "{what}");
    let mut fingerprints = std::collections::HashSet::new();
    for res in results {
        let id = res["ruleId"].as_str().expect("ruleId");
        let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id, "{what}: ruleIndex of {id}");
        assert!(matches!(
            res["level"].as_str(),
            Some("error" | "warning" | "note")
        ));
        let text = res["message"]["text"].as_str().expect("message.text");
        assert!(!text.is_empty());
        assert!(text.chars().count() <= 3 * sarif::MAX_MESSAGE);
        let locations = res["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        assert_physical(&locations[0]["physicalLocation"], what);
        let related = res["relatedLocations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(related.len() <= sarif::MAX_RELATED);
        for (i, l) in related.iter().enumerate() {
            assert_eq!(l["id"], i + 1);
            assert_physical(&l["physicalLocation"], what);
            // GitHub shows a related location only when the message links it.
            assert!(text.contains(&format!("]({})", i + 1)), "{what}: {text}");
        }
        let fp = res["partialFingerprints"][sarif::FINGERPRINT_KEY]
            .as_str()
            .expect("our fingerprint");
        assert!(
            fingerprints.insert(fp.to_string()),
            "{what}: duplicate {fp}"
        );
    }
}

fn assert_physical(p: &Value, what: &str) {
    let a = &p["artifactLocation"];
    let uri = a["uri"].as_str().expect("uri");
    assert!(!uri.is_empty());
    assert!(!uri.contains('\\') && !uri.contains(' '), "{what}: {uri}");
    match a["uriBaseId"].as_str() {
        Some(base) => {
            assert_eq!(base, "%SRCROOT%");
            assert!(!uri.contains(':') && !uri.starts_with('/') && !uri.starts_with(".."));
        }
        None => assert!(uri.starts_with("file:///"), "{what}: {uri}"),
    }
    let r = &p["region"];
    let n = |k: &str| {
        r[k].as_u64()
            .unwrap_or_else(|| panic!("{what}: region.{k}"))
    };
    assert!(n("startLine") >= 1 && n("startColumn") >= 1);
    assert!((n("endLine"), n("endColumn")) >= (n("startLine"), n("startColumn")));
}

#[test]
fn sarif_meets_github_code_scanning_requirements() {
    for path in [
        "fixtures/proxy-stack-before",
        "fixtures/deploy-env",
        "fixtures/stack",
        "fixtures/rules/placeholder-secret",
    ] {
        let log = sarif_of(path);
        assert_github_requirements(&log, path);
        assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    }
}

#[test]
fn sarif_rules_are_the_enabled_rules() {
    let log = sarif_of("fixtures/deploy-env");
    let listed: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    // Every rule that is on by default is listed, used or not.
    for m in stacklint::rules::all() {
        if m.category != stacklint::rules::Category::Hardening {
            assert!(listed.contains(&m.code), "{} missing", m.code);
        }
    }
    let (_, out, err) = stacklint(&[
        "fixtures/proxy-stack-before",
        "--format",
        "sarif",
        "--select",
        "SL203,healthcheck-port-mismatch",
    ]);
    let log: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let ids: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["SL101", "SL203"]);
    assert_github_requirements(&log, "selected");
}

#[test]
fn paths_outside_the_root_are_absolute_file_uris() {
    // The corpus lives beside the repository: `../shared/corpus/...` from here.
    let Some(corpus) = shared("corpus/awesome-compose", "SARIF paths outside the root") else {
        return;
    };
    let log = sarif_of(&corpus.to_string_lossy());
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let a = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert!(a["uriBaseId"].is_null());
        assert!(a["uri"].as_str().unwrap().starts_with("file:///"), "{a}");
        assert!(!a["uri"].as_str().unwrap().contains(".."), "{a}");
    }
    assert_github_requirements(&log, "corpus");
    let errors = schema_errors(&sarif_schema(), &log);
    assert!(errors.is_empty(), "{errors:#?}");
}

// --- fingerprints ---------------------------------------------------------------

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stacklint-formats-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// (ruleId, fingerprint, startLine) of every result.
fn fingerprinted(log: &Value) -> Vec<(String, String, u64)> {
    let mut v: Vec<_> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"][sarif::FINGERPRINT_KEY]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn fingerprints_survive_an_unrelated_line_above() {
    for fixture in [
        "fixtures/proxy-stack-before",
        "fixtures/deploy-env",
        "fixtures/stack/secret-env",
    ] {
        let name = fixture.rsplit('/').next().unwrap();
        let dir = scratch(&format!("fp-{name}"));
        common::copy_dir(&manifest().join(fixture), &dir.join("stack"));
        let run = |dir: &Path| {
            let (_, out, err) =
                stacklint_in(dir, &["stack", "--format", "sarif", "--fail-on", "never"]);
            serde_json::from_str::<Value>(&out).unwrap_or_else(|_| panic!("{err}"))
        };
        let before = fingerprinted(&run(&dir));
        assert!(!before.is_empty(), "{fixture}");

        // A comment line on top of every file the stack reads: every line moves.
        for e in walk(&dir.join("stack")) {
            let text = std::fs::read_to_string(&e).expect("read");
            std::fs::write(&e, format!("# an unrelated comment\n{text}")).expect("write");
        }
        let after = fingerprinted(&run(&dir));
        assert_eq!(before.len(), after.len(), "{fixture}");
        let mut moved = 0;
        for ((r1, f1, l1), (r2, f2, l2)) in before.iter().zip(&after) {
            assert_eq!((r1, f1), (r2, f2), "{fixture}: fingerprint changed");
            if l2 == &(l1 + 1) {
                moved += 1;
            }
        }
        // Sorted by fingerprint, each result pairs with itself: all moved down a line.
        assert_eq!(moved, before.len(), "{fixture}: {before:?} vs {after:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn fingerprints_are_the_same_in_json_sarif_and_gitlab() {
    let stack = "fixtures/deploy-env";
    let sarif: Vec<String> = sarif_of(stack)["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"][sarif::FINGERPRINT_KEY]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let json: Vec<String> = json_of(stack)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    let gitlab: Value = serde_json::from_str(&format_of(stack, "gitlab")).unwrap();
    let gitlab: Vec<String> = gitlab
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sarif, json);
    assert_eq!(gitlab, json);
}

// --- --output ---------------------------------------------------------------------

#[test]
fn output_writes_the_format_to_a_file_and_text_to_the_terminal() {
    let dir = scratch("output");
    let stack = "fixtures/proxy-stack-before";
    for format in ["sarif", "json", "github", "gitlab"] {
        let file = dir.join(format!("report.{format}"));
        let file_arg = file.to_string_lossy().into_owned();
        let (code, out, err) = stacklint(&[stack, "--format", format, "--output", &file_arg]);
        assert_eq!(code, 1, "{err}");
        assert!(out.contains("SL101(healthcheck-port-mismatch)"), "{out}");
        assert!(out.lines().any(|l| l.starts_with("Found ")), "{out}");
        let written = std::fs::read_to_string(&file).expect("the file is written");
        assert_eq!(
            written,
            stacklint(&[stack, "--format", format]).1,
            "{format}: the file holds the format"
        );
    }
    // Annotations on stdout while SARIF goes to the file: the Action's setup.
    let file = dir.join("report.sarif");
    let file_arg = file.to_string_lossy().into_owned();
    let (code, out, _) = stacklint(&[
        stack,
        "--format",
        "sarif",
        "--output",
        &file_arg,
        "--stdout-format",
        "github",
    ]);
    assert_eq!(code, 1);
    assert_eq!(out, stacklint(&[stack, "--format", "github"]).1);
    assert!(out.lines().all(|l| l.starts_with("::")), "{out}");
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_github_requirements(&log, "--output");
    let _ = std::fs::remove_dir_all(&dir);
}

// --- github and gitlab --------------------------------------------------------------

#[test]
fn github_commands_have_every_property() {
    let out = format_of("fixtures/proxy-stack-before", "github");
    let json = json_of("fixtures/proxy-stack-before");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(out.lines().count(), findings.len());
    for (line, f) in out.lines().zip(findings) {
        let cmd = match f["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        let l = &f["location"];
        let expected = format!(
            "::{cmd} file={},line={},endLine={},col={},endColumn={},title={}({})::",
            l["path"].as_str().unwrap(),
            l["start"]["line"],
            l["end"]["line"],
            l["start"]["column"],
            l["end"]["column"],
            f["code"].as_str().unwrap(),
            f["rule"].as_str().unwrap(),
        );
        assert!(line.starts_with(&expected), "{line}\n{expected}");
        // One command per line: newlines in the message are escaped.
        assert!(!line.contains('\r'));
    }
}

#[test]
fn gitlab_issues_have_the_code_quality_fields() {
    let v: Value = serde_json::from_str(&format_of("fixtures/deploy-env", "gitlab")).unwrap();
    let issues = v.as_array().unwrap();
    assert!(!issues.is_empty());
    let mut fps = std::collections::HashSet::new();
    for i in issues {
        let o = i.as_object().unwrap();
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "description",
                "check_name",
                "fingerprint",
                "severity",
                "location"
            ]
        );
        assert!(matches!(
            i["severity"].as_str(),
            Some("info" | "minor" | "major" | "critical" | "blocker")
        ));
        assert!(fps.insert(i["fingerprint"].as_str().unwrap().to_string()));
        let begin = i["location"]["lines"]["begin"].as_u64().unwrap();
        assert!(begin >= 1 && i["location"]["lines"]["end"].as_u64().unwrap() >= begin);
        assert!(!i["location"]["path"].as_str().unwrap().starts_with('/'));
    }
    // No findings: an empty array, still valid for GitLab.
    assert_eq!(
        format_of("fixtures/proxy-stack-fixed", "gitlab").trim(),
        "[]"
    );
    assert_eq!(format_of("fixtures/proxy-stack-fixed", "github"), "");
}

// --- reports built in the test: suppressions, limits ---------------------------------

fn load(path: &str) -> Vec<Project> {
    load_all(&Input {
        paths: vec![PathBuf::from(path)],
        ..Default::default()
    })
    .expect("loads")
}

fn report<'a>(reports: &'a [ProjectReport<'a>]) -> Report<'a> {
    Report::new(reports, reports.len(), 0, stacklint::rules::all().collect())
}

#[test]
fn suppressed_findings_are_kept_in_sarif_and_json_only() {
    let projects = load("fixtures/proxy-stack-before");
    let p = &projects[0];
    let mut findings = stacklint::report::check::run(p, &|_| true);
    assert!(findings.len() >= 3);
    // Any span will do for the comment; the first finding's is at hand.
    let comment = findings[0].primary;
    findings.sort_by_key(|f| f.rule.code);
    findings[0].suppressed = Some(Suppression {
        span: comment,
        justification: "dev only: the healthcheck is patched at deploy".into(),
    });
    findings[1].suppressed = Some(Suppression {
        span: comment,
        justification: String::new(),
    });
    let suppressed_codes = [findings[0].rule.code, findings[1].rule.code];
    let reports = [ProjectReport {
        sources: &p.sources,
        secrets: stacklint::analysis::secrets::secret_spans(p),
        findings,
    }];
    let report = report(&reports);
    assert_eq!(report.summary.suppressed, 2);

    let log = sarif::log(&report);
    assert_github_requirements(&log, "suppressed");
    let errors = schema_errors(&sarif_schema(), &log);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        report.resolved.len(),
        "suppressed results stay"
    );
    let sups: Vec<&Value> = results
        .iter()
        .filter_map(|r| r.get("suppressions"))
        .collect();
    assert_eq!(sups.len(), 2);
    for s in &sups {
        assert_eq!(s[0]["kind"], "inSource");
        assert_eq!(s[0]["status"], "accepted");
        assert!(s[0]["location"]["physicalLocation"]["region"]["startLine"].is_u64());
    }
    assert!(sups
        .iter()
        .any(|s| s[0]["justification"] == "dev only: the healthcheck is patched at deploy"));
    assert!(sups.iter().any(|s| s[0].get("justification").is_none()));

    let json: Value = serde_json::from_str(&output::json::render(&report)).unwrap();
    let errors = schema_errors(&output_schema(), &json);
    assert!(errors.is_empty(), "{errors:#?}");
    let marked: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["suppressed"].is_null())
        .collect();
    assert_eq!(marked.len(), 2);
    assert_eq!(json["summary"]["suppressed"], 2);

    let active = report.resolved.len() - 2;
    let github = output::github::render(&report);
    assert_eq!(github.lines().count(), active);
    let gitlab: Value = serde_json::from_str(&output::gitlab::render(&report)).unwrap();
    assert_eq!(gitlab.as_array().unwrap().len(), active);
    for code in suppressed_codes {
        // Only the unsuppressed findings of the rule are annotated.
        let n = report
            .resolved
            .iter()
            .filter(|r| r.finding.rule.code == code && r.finding.suppressed.is_none())
            .count();
        assert_eq!(
            github.matches(&format!("title={code}(")).count(),
            n,
            "{code}"
        );
    }
}

#[test]
fn github_limits_are_kept_with_a_note() {
    let projects = load("fixtures/proxy-stack-before");
    let p = &projects[0];
    let base = stacklint::report::check::run(p, &|_| true);
    let sl101 = base
        .iter()
        .find(|f| f.rule.code == "SL101")
        .expect("stack 001 has SL101")
        .clone();

    // One finding with a huge message and 150 related locations.
    let mut big = sl101.clone();
    big.message = "x".repeat(sarif::MAX_MESSAGE + 500);
    big.related = (0..150).map(|_| sl101.related[0].clone()).collect();
    // And 5,100 small ones, a few of them errors: the errors must be kept.
    let mut many: Vec<Finding> = (0..5_100)
        .map(|i| {
            let mut f = sl101.clone();
            f.message = format!("finding {i}");
            f.related.clear();
            f.severity = if i % 1000 == 999 {
                stacklint::severity::Severity::Error
            } else {
                stacklint::severity::Severity::Info
            };
            f
        })
        .collect();
    many.push(big);
    let secrets = stacklint::analysis::secrets::secret_spans(p);
    let resolved: Vec<Resolved<'_>> = many
        .iter()
        .map(|f| Resolved {
            finding: f,
            sources: &p.sources,
            secrets: &secrets,
            location: output::Location::of(&p.sources, &f.primary),
            related: f
                .related
                .iter()
                .map(|l| (l.message.clone(), output::Location::of(&p.sources, &l.span)))
                .collect(),
        })
        .collect();
    let report = Report {
        summary: Summary::of(&resolved, 1, 1),
        fingerprints: stacklint::output::fingerprints(&resolved),
        resolved,
        rules: stacklint::rules::all().collect(),
        root: std::env::current_dir().unwrap(),
        sarif_category: stacklint::output::DEFAULT_SARIF_CATEGORY.to_string(),
    };
    let log = sarif::log(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), sarif::MAX_RESULTS);
    let errors = results.iter().filter(|r| r["level"] == "error").count();
    assert_eq!(
        errors,
        5 + 1,
        "every error kept (the big one is an error too)"
    );
    let note = log["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .expect("a note says results were left out");
    assert!(note.starts_with("101 of 5101 results left out"), "{note}");

    let big = results
        .iter()
        .find(|r| r["relatedLocations"].is_array())
        .expect("the big one is kept");
    assert_eq!(
        big["relatedLocations"].as_array().unwrap().len(),
        sarif::MAX_RELATED
    );
    let text = big["message"]["text"].as_str().unwrap();
    assert!(text.contains("… (truncated)"));
    assert!(text.contains("(and 50 more, not listed"), "{text}");
    assert_github_requirements(&log, "limits");
    let errors = schema_errors(&sarif_schema(), &log);
    assert!(errors.is_empty(), "{errors:#?}");
}

// --- secrets ------------------------------------------------------------------------

/// The secret values of the stacks under `path`, as written in their files. A value
/// that also appears elsewhere in the stack (`POSTGRES_PASSWORD: postgres` next to a
/// service `postgres`) cannot be told apart in the output and is not checked.
fn secret_values(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in load(path) {
        let spans = stacklint::analysis::secrets::secret_spans(&p);
        let masked: Vec<String> = p
            .sources
            .iter()
            .map(|(id, f)| {
                let mine: Vec<(usize, usize)> = spans
                    .iter()
                    .filter(|s| s.file == id)
                    .map(|s| (s.start(), s.end()))
                    .collect();
                stacklint::analysis::secrets::mask(&f.text, &mine)
            })
            .collect();
        for s in &spans {
            let text = p.sources.get(s.file).text.get(s.range()).unwrap_or("");
            let v = text.trim().trim_matches(|c| c == '"' || c == '\'');
            // `${VAR}` names a variable, not a value; tiny values match anything.
            if v.len() >= 4 && !v.contains("${") && !masked.iter().any(|m| m.contains(v)) {
                out.push(v.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn no_secret_value_in_any_format() {
    let mut dirs = vec!["fixtures/stack/secret-env".to_string()];
    for rule in ["placeholder-secret", "env-example-drift"] {
        let base = manifest().join("fixtures/rules").join(rule);
        let mut cases: Vec<String> = std::fs::read_dir(&base)
            .expect("rule fixtures")
            .flatten()
            .map(|e| format!("fixtures/rules/{rule}/{}", e.file_name().to_string_lossy()))
            .collect();
        cases.sort();
        dirs.extend(cases);
    }
    let mut checked = 0;
    for dir in &dirs {
        let secrets = secret_values(dir);
        // The text report shows masked snippets; the others show no source text.
        for format in FORMATS {
            let out = format_of(dir, format);
            // The rule pages in SARIF show example values on purpose (`changeme`);
            // what comes from the stack is in the results.
            let mut out = if format == "sarif" {
                let v: Value = serde_json::from_str(&out).unwrap();
                v["runs"][0]["results"].to_string()
            } else {
                out
            };
            // Rule names (`placeholder-secret`) are ours, not the stack's.
            for m in stacklint::rules::all() {
                out = out.replace(m.name, "");
            }
            for s in &secrets {
                assert!(
                    !out.contains(s.as_str()),
                    // Not the value itself: a test log is an output too.
                    "{dir} --format {format} prints a secret value ({} chars)",
                    s.chars().count()
                );
                checked += 1;
            }
        }
    }
    eprintln!("{checked} (format, secret value) pairs checked");
    assert!(checked > 100, "only {checked} checks");
    assert!(secret_values("fixtures/stack/secret-env").contains(&"hunter2-secret".to_string()));
}

/// Masking hides values, not the names and references around them: a finding
/// on a line points at text a reader can recognise.
#[test]
fn text_masks_values_and_keeps_keys_and_references() {
    let dir = common::tree(&[
        (
            "compose.yaml",
            "services:\n  app:\n    image: example/app\n    environment:\n      - OPENAI_API_KEY=${OPENAI_API_KEY}\n      - \"JWT_SIGNING_KEY=${JWT_SIGNING_KEY:-insecure-dev-key}\"\n      - SECRET_KEY=changeme\n    command: redis-server --requirepass ${REDIS_PASSWORD:-Redis-Dev-Pw}\n",
        ),
        (".env", "OPENAI_API_KEY=sk-live-9f8e7d6c5b4a\nDB_URL=${DB_HOST}\nDB_PASSWORD=hunter2-${DB_SUFFIX}\n"),
    ]);
    let (code, out, err) = stacklint_in(&dir, &[".", "--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    for shown in [
        "- OPENAI_API_KEY=${OPENAI_API_KEY}",
        "- \"JWT_SIGNING_KEY=${JWT_SIGNING_KEY:-****************}\"",
        "- SECRET_KEY=********",
        "--requirepass ${REDIS_PASSWORD:-************}",
    ] {
        assert!(out.contains(shown), "missing {shown:?} in\n{out}");
    }
    for secret in ["insecure-dev-key", "changeme", "Redis-Dev-Pw"] {
        assert!(!out.contains(secret), "a secret value is printed");
    }
    let (_, json, _) = stacklint_in(&dir, &[".", "--fail-on", "never", "--format", "json"]);
    for secret in [
        "insecure-dev-key",
        "changeme",
        "Redis-Dev-Pw",
        "sk-live-9f8e7d6c5b4a",
    ] {
        assert!(!json.contains(secret), "a secret value is printed in JSON");
    }
}

#[test]
fn the_sarif_category_is_the_automation_id() {
    for (given, id) in [
        ("deploy", "deploy/"),
        ("stacklint/prod/", "stacklint/prod/"),
    ] {
        let (code, out, err) = stacklint(&[
            "fixtures/proxy-stack-fixed",
            "--format",
            "sarif",
            "--sarif-category",
            given,
        ]);
        assert_eq!(code, 0, "{err}");
        let log: Value = serde_json::from_str(&out).expect("SARIF is JSON");
        assert_eq!(log["runs"][0]["automationDetails"]["id"], id);
    }
    // Empty is a usage error, not an id of "/".
    let (code, _, err) = stacklint(&["fixtures/proxy-stack-fixed", "--sarif-category", " "]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("non-empty name"), "{err}");
}
