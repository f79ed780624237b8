//! `--format json`: one object, schema in `schemas/stacklint-output.schema.json`.
//!
//! The schema is the contract: `tests/formats.rs` validates real output against it,
//! and it forbids unknown keys, so a change of shape fails there first. Adding an
//! optional key is compatible; removing, renaming or retyping one bumps [`VERSION`]
//! (and the schema's `version` const).

use serde::Serialize;

use super::{Location, Report, Summary};

/// Bumped on any breaking change of the shape.
pub const VERSION: u32 = 1;

// The document as borrowed structs, serialized in one pass: no intermediate
// `serde_json::Value` tree (an ordered map per object) is built. Field order is
// the key order of the output.

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    location: &'a Location,
    related: Vec<Related<'a>>,
    help: Option<&'a str>,
    fingerprint: &'a str,
    suppressed: Option<Suppressed<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: crate::finding::Applicability,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    location: Location,
    replacement: &'a str,
}

#[derive(Serialize)]
struct Related<'a> {
    message: &'a str,
    location: &'a Location,
}

#[derive(Serialize)]
struct Suppressed<'a> {
    justification: &'a str,
    location: Location,
}

pub fn render(report: &Report<'_>) -> String {
    use rayon::prelude::*;
    let (resolved, summary) = (&report.resolved, &report.summary);
    // Each finding is written on its own, in parallel (serializing a large report
    // was most of a run's serial end), then placed in the document at its depth:
    // the bytes are those of the document serialized in one pass. A JSON string
    // holds no raw line break, so every line break in an item is between tokens.
    let items: Vec<String> = resolved
        .par_iter()
        .zip(&report.fingerprints)
        .map(|(r, fingerprint)| {
            let item = serde_json::to_string_pretty(&finding(r, fingerprint)).unwrap_or_default();
            indented(&item)
        })
        .collect();
    let doc = Doc {
        version: VERSION,
        tool: Tool {
            name: "stacklint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: Vec::new(),
        summary,
    };
    let empty = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    const HOLE: &str = "\"findings\": []";
    match (items.is_empty(), empty.find(HOLE)) {
        (false, Some(at)) => {
            let len = empty.len() + items.iter().map(|i| i.len() + 6).sum::<usize>();
            let mut out = String::with_capacity(len);
            out.push_str(&empty[..at]);
            out.push_str("\"findings\": [");
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n    " } else { ",\n    " });
                out.push_str(item);
            }
            out.push_str("\n  ]");
            out.push_str(&empty[at + HOLE.len()..]);
            out
        }
        _ => empty,
    }
}

fn finding<'a>(r: &'a super::Resolved<'a>, fingerprint: &'a str) -> JsonFinding<'a> {
    let f = r.finding;
    JsonFinding {
        rule: f.rule.name,
        code: f.rule.code,
        severity: f.severity.as_str(),
        message: &f.message,
        location: &r.location,
        related: r
            .related
            .iter()
            .map(|(message, location)| Related { message, location })
            .collect(),
        help: f.help.as_deref(),
        fingerprint,
        suppressed: f.suppressed.as_ref().map(|s| Suppressed {
            justification: &s.justification,
            location: Location::of(r.sources, &s.span),
        }),
        fix: f.fix.as_ref().map(|x| JsonFix {
            title: &x.title,
            applicability: x.applicability,
            edits: x
                .edits
                .iter()
                .map(|e| JsonEdit {
                    location: Location::of(r.sources, &e.span),
                    replacement: &e.replacement,
                })
                .collect(),
        }),
    }
}

/// `item` with each line after the first indented by four more spaces (the depth
/// of `findings`' items). A byte scan: `str::replace` searched line by line.
fn indented(item: &str) -> String {
    let mut out = String::with_capacity(item.len() + item.len() / 4);
    let mut rest = item;
    while let Some(i) = rest.bytes().position(|b| b == b'\n') {
        out.push_str(&rest[..=i]);
        out.push_str("    ");
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out
}
