//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (and other SARIF viewers).
//!
//! One run. `tool.driver.rules` lists every enabled rule with its page from
//! `rules/<name>.md`; each result points at its rule by id and index, carries a
//! region, the evidence as `relatedLocations` (linked from the message, which is how
//! GitHub shows them), a fingerprint of our own that survives unrelated edits, and
//! `suppressions` when an inline comment silences it. No source snippets: the format
//! carries messages only, which never hold a secret.
//!
//! GitHub's limits (per run: 25,000 results of which the top 5,000 are kept, 25,000
//! rules; per result: 1,000 locations of which 100 are kept; per rule: 20 tags) are
//! kept by truncating with a note, never by producing a file it would reject.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::{Location, Report, Resolved};
use crate::rules::{Category, RuleMeta};

pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of our fingerprint in `partialFingerprints` (versioned: a change of the
/// hashed fields bumps it, so old and new fingerprints are never compared).
pub const FINGERPRINT_KEY: &str = "stacklintFingerprint/v1";

/// GitHub stores only the top 5,000 results of a run (by severity); we keep the same
/// ones ourselves and say so, instead of letting them vanish silently.
pub const MAX_RESULTS: usize = 5_000;
/// GitHub keeps 100 locations of a result.
pub const MAX_RELATED: usize = 100;
/// Longest message text, in characters; longer ones are cut with a note.
pub const MAX_MESSAGE: usize = 4_000;
/// Longest related-location message, in characters.
const MAX_LABEL: usize = 500;

const SRCROOT: &str = "%SRCROOT%";

pub fn render(report: &Report<'_>) -> String {
    serde_json::to_string_pretty(&document(report, &report.fingerprints)).unwrap_or_default() + "\n"
}

/// The SARIF log as a JSON value.
pub fn log(report: &Report<'_>) -> Value {
    serde_json::to_value(document(report, &report.fingerprints)).unwrap_or_default()
}

#[derive(serde::Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    automation_details: Value,
    invocations: [Value; 1],
    original_uri_base_ids: Value,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

/// The log, ready to serialize; `fingerprints` are those of `report.resolved`.
fn document<'a>(report: &'a Report<'_>, fingerprints: &'a [String]) -> Log<'a> {
    // Every enabled rule; a finding of a rule not in that list (a rule run outside
    // the selection) adds it, so that every ruleIndex is valid.
    let mut rules: Vec<&'static RuleMeta> = report.rules.clone();
    for r in &report.resolved {
        if !rules.iter().any(|m| m.code == r.finding.rule.code) {
            rules.push(r.finding.rule);
        }
    }

    let kept = keep(&report.resolved);
    let results: Vec<SarifResult<'a>> = kept
        .iter()
        .map(|&i| {
            let r = &report.resolved[i];
            let index = rules
                .iter()
                .position(|m| m.code == r.finding.rule.code)
                .unwrap_or(0);
            let fingerprint = fingerprints.get(i).map_or("", String::as_str);
            result(r, index, fingerprint, &report.root)
        })
        .collect();

    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), json!(true));
    let left_out = report.resolved.len() - kept.len();
    if left_out > 0 {
        invocation.insert(
            "toolExecutionNotifications".into(),
            json!([{
                "level": "warning",
                "message": {"text": format!(
                    "{left_out} of {} results left out: GitHub code scanning keeps {MAX_RESULTS} \
                     results per run, so the most severe ones are kept; `--format json` lists all",
                    report.resolved.len()
                )},
            }]),
        );
    }

    let mut base = Map::new();
    match root_uri(&report.root) {
        Some(uri) => {
            base.insert("uri".into(), json!(uri));
        }
        None => {
            base.insert(
                "description".into(),
                json!({"text": "The directory stacklint was run in"}),
            );
        }
    }

    let version = env!("CARGO_PKG_VERSION");
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: json!({
                "driver": {
                    "name": "stacklint",
                    "version": version,
                    "semanticVersion": version,
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules.iter().map(|m| rule(m)).collect::<Vec<_>>(),
                },
            }),
            // The category and nothing after the `/`: code scanning tells runs of one
            // category apart by commit, and upload-sarif keeps an id that is there.
            automation_details: json!({"id": format!("{}/", report.sarif_category)}),
            invocations: [Value::Object(invocation)],
            original_uri_base_ids: json!({SRCROOT: base}),
            // Our columns count characters (Unicode scalar values), not UTF-16 units.
            column_kind: "unicodeCodePoints",
            results,
        }],
    }
}

/// Indices of the results to write, in their original order: all of them, or, past
/// [`MAX_RESULTS`], the most severe unsuppressed ones first.
fn keep(resolved: &[Resolved<'_>]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..resolved.len()).collect();
    if idx.len() <= MAX_RESULTS {
        return idx;
    }
    idx.sort_by_key(|&i| {
        let f = resolved[i].finding;
        (f.suppressed.is_some(), std::cmp::Reverse(f.severity), i)
    });
    idx.truncate(MAX_RESULTS);
    idx.sort_unstable();
    idx
}

fn rule(m: &RuleMeta) -> Value {
    let page = crate::report::docs::page_of(m);
    // The first paragraph of "What it does": GitHub shows it above every alert, so it
    // stays short; the whole page is the help.
    let full = page
        .and_then(|p| section(p, "## What it does"))
        .map(|s| lead(&s))
        .unwrap_or_else(|| m.summary.to_string());
    let help_md = absolute_links(page.unwrap_or(m.summary).trim());
    let help_text = plain_text(&help_md);

    let category = serde_json::to_value(m.category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut tags = vec![category];
    if m.category == Category::Security && !tags.iter().any(|t| t == "security") {
        tags.push("security".into());
    }
    let mut props = Map::new();
    props.insert("tags".into(), json!(tags));
    props.insert("precision".into(), json!(precision(m)));
    if m.category == Category::Security {
        props.insert("security-severity".into(), json!(security_severity(m)));
    }

    json!({
        "id": m.code,
        "name": m.name,
        "shortDescription": {"text": m.summary},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": m.severity.row().sarif_level},
        "helpUri": m.page_url(),
        "help": {"text": help_text, "markdown": help_md},
        "properties": props,
    })
}

/// Links between rule pages (`[x](x.md)`) are relative to `rules/`; in an alert they
/// would point nowhere, so they point at the pages in the repository.
fn absolute_links(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some(i) = rest.find("](") {
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        let target = rest.find(')').map(|j| &rest[..j]);
        if let Some(t) = target {
            let local = t.ends_with(".md")
                && !t.is_empty()
                && t.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            if local {
                out.push_str(crate::finding::RULE_PAGES);
            }
        }
    }
    out.push_str(rest);
    out
}

/// A rule page as plain text, for viewers that do not render Markdown: heading marks,
/// `**bold**` marks, code marks and fences dropped, `[text](url)` as `text (url)`, code
/// blocks indented.
fn plain_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut in_code = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str("    ");
            out.push_str(line);
        } else {
            let line = line.trim_start_matches('#').trim_start();
            out.push_str(&plain_inline(line));
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// One line of Markdown prose without its marks.
fn plain_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        // `[text](url)` → `text (url)`.
        if c == '[' {
            let close = rest.find(']').filter(|&i| rest[i..].starts_with("]("));
            if let Some(close) = close {
                if let Some(end) = rest[close + 2..].find(')') {
                    let text = &rest[1..close];
                    let url = &rest[close + 2..close + 2 + end];
                    out.push_str(&plain_inline(text));
                    out.push_str(" (");
                    out.push_str(url);
                    out.push(')');
                    rest = &rest[close + 2 + end + 1..];
                    continue;
                }
            }
        }
        if c == '`' {
            rest = &rest[1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("**") {
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The text of a `## ` section of a rule page, up to the next heading: paragraphs
/// unwrapped to one line each, list items (`- `) kept on lines of their own.
fn section(page: &str, heading: &str) -> Option<String> {
    let start = page.find(heading)? + heading.len();
    let rest = &page[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let paragraphs: Vec<String> = rest[..end]
        .split("\n\n")
        .map(|block| {
            let mut lines: Vec<String> = Vec::new();
            for l in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
                match lines.last_mut() {
                    Some(last) if !l.starts_with("- ") => {
                        last.push(' ');
                        last.push_str(l);
                    }
                    _ => lines.push(l.to_string()),
                }
            }
            lines.join("\n")
        })
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs.is_empty() {
        None
    } else {
        Some(paragraphs.join("\n\n"))
    }
}

/// The lead of a section: its first paragraph, and the list that follows when the
/// paragraph ends with a colon (`... has no value where compose looks for it:`).
fn lead(section: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in section.split("\n\n") {
        out.push(p);
        if !p.ends_with(':') {
            break;
        }
    }
    out.join("\n\n")
}

/// How often a finding of the rule is right, as GitHub reads it to rank alerts. A
/// parse error is a fact; the other rules infer what a container will do from its
/// image and files, and stay silent when unsure.
fn precision(m: &RuleMeta) -> &'static str {
    match m.category {
        Category::Syntax => "very-high",
        _ => "high",
    }
}

/// GitHub's security severity (0.0-10.0; 7.0 and up is "high") of a security rule.
fn security_severity(m: &RuleMeta) -> &'static str {
    match m.name {
        // A datastore reachable from every network the host is on.
        "internal-port-published" => "7.5",
        // A guessable secret; harmful once the service is reachable.
        "placeholder-secret" => "6.5",
        _ => match m.severity {
            crate::severity::Severity::Error => "8.0",
            crate::severity::Severity::Warning => "5.5",
            crate::severity::Severity::Info => "3.0",
        },
    }
}

// A result as borrowed structs: results are most of a log, and building each
// as a `serde_json::Value` (an ordered map per object) cost more than writing
// it. Field order is the key order of the output; `None` fields are left out.

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Located; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    partial_fingerprints: Fingerprints<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression<'a>; 1]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

/// A finding's fix: its edits grouped by file (SARIF `fix`, `artifactChange`).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: Value,
    replacements: Vec<Replacement>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

#[derive(serde::Serialize)]
struct Text {
    text: String,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Located {
    physical_location: Physical,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: Physical,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(serde::Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "stacklintFingerprint/v1")]
    v1: &'a str,
}

#[derive(serde::Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    /// An inline comment or the config file is the project's own decision: accepted.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
    location: Located,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Value,
    region: Region,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

fn result<'a>(
    r: &'a Resolved<'_>,
    rule_index: usize,
    fingerprint: &'a str,
    root: &Path,
) -> SarifResult<'a> {
    let f = r.finding;
    let shown = r.related.len().min(MAX_RELATED);
    let related_locations = r.related[..shown]
        .iter()
        .enumerate()
        .map(|(i, (label, l))| RelatedLocation {
            id: i + 1,
            physical_location: physical(l, root),
            message: (!label.is_empty()).then(|| Text {
                text: truncate(label, MAX_LABEL),
            }),
        })
        .collect();
    SarifResult {
        rule_id: f.rule.code,
        rule_index,
        level: f.severity.row().sarif_level,
        message: Text {
            text: message(r, shown),
        },
        locations: [Located {
            physical_location: physical(&r.location, root),
        }],
        related_locations,
        partial_fingerprints: Fingerprints { v1: fingerprint },
        suppressions: f.suppressed.as_ref().map(|s| {
            let justification = s.justification.trim();
            [Suppression {
                kind: "inSource",
                status: "accepted",
                justification: (!justification.is_empty()).then_some(justification),
                location: Located {
                    physical_location: physical(&Location::of(r.sources, &s.span), root),
                },
            }]
        }),
        fixes: f
            .fix
            .as_ref()
            .map(|x| {
                let mut changes: Vec<ArtifactChange> = Vec::new();
                let mut paths: Vec<String> = Vec::new();
                for e in &x.edits {
                    let l = Location::of(r.sources, &e.span);
                    let p = physical(&l, root);
                    let replacement = Replacement {
                        deleted_region: p.region,
                        inserted_content: Text {
                            text: e.replacement.clone(),
                        },
                    };
                    match paths.iter().position(|q| *q == l.path) {
                        Some(i) => changes[i].replacements.push(replacement),
                        None => {
                            paths.push(l.path.clone());
                            changes.push(ArtifactChange {
                                artifact_location: p.artifact_location,
                                replacements: vec![replacement],
                            });
                        }
                    }
                }
                vec![SarifFix {
                    description: Text {
                        text: x.title.clone(),
                    },
                    artifact_changes: changes,
                }]
            })
            .unwrap_or_default(),
    }
}

/// The message, the evidence as embedded links to the related locations (GitHub
/// shows related locations only when the message links them), and the help.
fn message(r: &Resolved<'_>, shown: usize) -> String {
    let f = r.finding;
    let mut text = truncate(&f.message, MAX_MESSAGE);
    // `[x](1)` in our own text would read as a link: escape brackets in that case.
    if text.contains("](") {
        text = escape_link_text(&text);
    }
    if shown > 0 {
        let links: Vec<String> = r.related[..shown]
            .iter()
            .enumerate()
            .map(|(i, (label, _))| {
                let label = if label.is_empty() {
                    "related location"
                } else {
                    label
                };
                format!(
                    "[{}]({})",
                    escape_link_text(&truncate(label, MAX_LABEL)),
                    i + 1
                )
            })
            .collect();
        text.push_str("\nEvidence: ");
        text.push_str(&links.join("; "));
        if r.related.len() > shown {
            text.push_str(&format!(
                " (and {} more, not listed: GitHub keeps {MAX_RELATED} locations per result)",
                r.related.len() - shown
            ));
        }
    }
    if let Some(help) = &f.help {
        text.push_str("\nHelp: ");
        text.push_str(&truncate(help, MAX_MESSAGE));
    }
    text
}

/// SARIF link text escapes `\`, `[` and `]` with a backslash.
fn escape_link_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// At most `max` characters, with a note when cut.
fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… (truncated)", &s[..cut]),
    }
}

fn physical(l: &Location, root: &Path) -> Physical {
    Physical {
        artifact_location: artifact(&l.path, root),
        region: Region {
            start_line: l.start.line.max(1),
            start_column: l.start.column.max(1),
            end_line: l.end.line.max(1),
            end_column: l.end.column.max(1),
        },
    }
}

/// A file below the root is a relative reference against `%SRCROOT%` (what GitHub
/// maps to the repository). Anything else (`../shared/x`, `/etc/x`) becomes an
/// absolute `file:` URI without a base: a base id may only go with a relative
/// reference, and one that climbs out of the root would name no repository file.
pub fn artifact(path: &str, root: &Path) -> Value {
    let p = Path::new(path);
    let inside = !p.is_absolute()
        && !path.starts_with('/')
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if inside {
        json!({"uri": encode(path), "uriBaseId": SRCROOT})
    } else {
        let abs: PathBuf = if p.is_absolute() {
            p.to_path_buf()
        } else {
            crate::paths::normalize_path(&root.join(p))
        };
        json!({"uri": file_uri(&crate::paths::slash(&abs))})
    }
}

/// `file:` URI of the root directory, ending in `/` as SARIF requires of a base.
fn root_uri(root: &Path) -> Option<String> {
    if !root.is_absolute() {
        return None;
    }
    let mut s = crate::paths::slash(root);
    if !s.ends_with('/') {
        s.push('/');
    }
    Some(file_uri(&s))
}

/// `/a b/c` → `file:///a%20b/c`; `C:/x` → `file:///C:/x`.
fn file_uri(abs: &str) -> String {
    let b = abs.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        format!("file:///{}:{}", &abs[..1], encode(&abs[2..]))
    } else {
        format!("file://{}", encode(abs))
    }
}

/// Percent-encodes everything but unreserved characters and `/` (so `:` in a file
/// name cannot read as a scheme, and spaces or non-ASCII names stay valid).
pub fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_inside_and_outside_the_root() {
        let root = Path::new("/w/main");
        assert_eq!(
            artifact("fixtures/a b/compose.yaml", root),
            json!({"uri": "fixtures/a%20b/compose.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact("../shared/corpus/x/compose.yaml", root),
            json!({"uri": "file:///w/shared/corpus/x/compose.yaml"})
        );
        assert_eq!(
            artifact("/etc/nginx/nginx.conf", root),
            json!({"uri": "file:///etc/nginx/nginx.conf"})
        );
        assert_eq!(encode("a:b/é"), "a%3Ab/%C3%A9");
        assert_eq!(file_uri("C:/x y"), "file:///C:/x%20y");
        assert_eq!(root_uri(root).as_deref(), Some("file:///w/main/"));
    }

    #[test]
    fn the_fingerprint_field_is_named_by_its_key() {
        let v = serde_json::to_value(Fingerprints { v1: "ab" }).unwrap_or_default();
        assert_eq!(v, json!({FINGERPRINT_KEY: "ab"}));
    }

    #[test]
    fn help_text_is_the_page_without_markdown() {
        let md = "# bad-thing (SL999)\n\nDefault severity: **warning**\n\n## Example\n\n\
                  ```yaml\nports: [\"5432:5432\"]\n```\n\nSee [`other-rule`](other-rule.md) \
                  and `ports`.";
        assert_eq!(
            plain_text(md),
            "bad-thing (SL999)\n\nDefault severity: warning\n\nExample\n\n    \
             ports: [\"5432:5432\"]\n\nSee other-rule (other-rule.md) and ports."
        );
        // Brackets that are not a link stay.
        assert_eq!(plain_inline("ignore[a] x"), "ignore[a] x");
        assert_eq!(plain_inline("[a] and [b](c)"), "[a] and b (c)");
    }

    #[test]
    fn truncation_and_link_escaping() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "abc… (truncated)");
        assert_eq!(escape_link_text(r"ignore[a]\b"), r"ignore\[a\]\\b");
    }

    #[test]
    fn links_between_pages_become_absolute() {
        assert_eq!(
            absolute_links("see [a](a-b.md) and [c](https://x.org/c.md) or [d](d)"),
            format!(
                "see [a]({}/blob/main/rules/a-b.md) and [c](https://x.org/c.md) or [d](d)",
                env!("CARGO_PKG_REPOSITORY")
            )
        );
    }

    #[test]
    fn the_full_description_is_the_what_it_does_section() {
        let page = "# x (SL1)\n\n## What it does\nReports a\nthing.\n\nSecond.\n\n## Why\nno";
        assert_eq!(
            section(page, "## What it does").as_deref(),
            Some("Reports a thing.\n\nSecond.")
        );
        let page = "## What it does\nIt reports\nthese:\n\n- one\n  wrapped\n- two\n\nMore.\n";
        let s = section(page, "## What it does").unwrap_or_default();
        assert_eq!(s, "It reports these:\n\n- one wrapped\n- two\n\nMore.");
        assert_eq!(lead(&s), "It reports these:\n\n- one wrapped\n- two");
        assert_eq!(lead("One.\n\nTwo."), "One.");
    }
}
