//! Snapshots of the loaded model for small fixtures, spans included: each span is
//! shown as `path:line:col-line:col` plus the exact text it covers, so a wrong byte
//! is visible in review.

use serde_json::Value;
use stacklint::compose::stack::Project;
use stacklint::source::{FileId, Sources, Span};

mod common;

fn load(dir: &str) -> Project {
    common::fixture(&format!("model/{dir}"))
}

fn show_span(sources: &Sources, span: &Span) -> String {
    let f = sources.get(span.file);
    let s = f.line_col(span.start());
    let e = f.line_col(span.end());
    let name = f.path.to_string_lossy().replace('\\', "/");
    let name = name
        .split("fixtures/model/")
        .last()
        .unwrap_or(&name)
        .to_string();
    let text = f.slice(span);
    // Long spans (a whole service) are cut: their ends are what a review checks.
    let text = if text.chars().count() > 48 {
        let head: String = text.chars().take(20).collect();
        let tail: String = text
            .chars()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{head}…{tail}")
    } else {
        text.to_string()
    };
    format!(
        "{name}:{}:{}-{}:{} {:?}",
        s.line, s.column, e.line, e.column, text
    )
}

/// Replaces every serialized span (`{"file", "start", "end"}`) by its rendering.
fn render_spans(v: Value, sources: &Sources) -> Value {
    match v {
        Value::Object(map) => {
            if map.len() == 3
                && map.contains_key("file")
                && map.contains_key("start")
                && map.contains_key("end")
            {
                let get = |k: &str| map.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
                let span = Span::new(FileId(get("file") as u32), get("start"), get("end"));
                return Value::String(show_span(sources, &span));
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, render_spans(v, sources)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| render_spans(i, sources))
                .collect(),
        ),
        other => other,
    }
}

fn snapshot(dir: &str) -> String {
    let p = load(dir);
    let model = serde_json::to_value(&p.model).expect("model serializes");
    // Host paths are absolute; the checkout's location is not part of the claim.
    let mut out = serde_json::to_string_pretty(&render_spans(model, &p.sources))
        .expect("json")
        .replace(env!("CARGO_MANIFEST_DIR"), "<repo>");
    let diags: Vec<String> = p
        .diags
        .iter()
        .map(|d| format!("{} at {}", d.message, show_span(&p.sources, &d.span)))
        .collect();
    out.push_str(&format!("\ndiagnostics: {diags:#?}\n"));
    out
}

#[test]
fn merge_keys_overrides_reset_and_override() {
    insta::assert_snapshot!(snapshot("merge"));
}

#[test]
fn extends_in_file_and_from_another_file() {
    insta::assert_snapshot!(snapshot("extends"));
}

#[test]
fn include_with_its_own_env_file() {
    insta::assert_snapshot!(snapshot("include"));
}

#[test]
fn every_service_construct() {
    insta::assert_snapshot!(snapshot("constructs"));
}

#[test]
fn interpolation_records_variables_and_env_lines() {
    let p = load("interpolation");
    let tree = p.tree.as_ref().expect("loaded");
    let env = tree
        .get("services")
        .and_then(|s| s.get("app"))
        .and_then(|a| a.get("environment"))
        .expect("env");
    let mut uses = Vec::new();
    for (k, v) in env.as_map().expect("map") {
        for u in v.as_scalar().expect("scalar").vars {
            uses.push(format!(
                "{} {} {:?} defined={} at {} from {}",
                k.as_str().unwrap_or(""),
                u.name,
                u.op,
                u.defined,
                u.span
                    .map(|s| show_span(&p.sources, &s))
                    .unwrap_or_default(),
                u.source
                    .map(|s| show_span(&p.sources, &s))
                    .unwrap_or_else(|| "-".into()),
            ));
        }
    }
    insta::assert_snapshot!(format!(
        "{}\n\n{}",
        uses.join("\n"),
        snapshot("interpolation")
    ));
}

#[test]
fn crlf_bom_and_non_ascii_spans() {
    insta::assert_snapshot!(snapshot("crlf-unicode"));
}
