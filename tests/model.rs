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

/// Each service's `environment` as `Project::environment` reads it, and its
/// `labels` as the merged tree holds them, shown where the model kept them (after
/// `expose` and `profiles`) and in the form it had: the model no longer copies them.
fn with_tree_lists(p: &Project, mut model: Value) -> Value {
    use stacklint::compose::model::{CompactString, Spanned};
    let entry = |k: Spanned<&str>, v: Option<Spanned<&str>>| {
        let owned = |s: Spanned<&str>| Spanned::new(CompactString::from(s.value), s.span);
        serde_json::json!({ "key": owned(k), "value": v.map(owned) })
    };
    let services = model.get_mut("services").and_then(Value::as_array_mut);
    for svc in services.into_iter().flatten() {
        let Some(map) = svc.as_object_mut() else {
            continue;
        };
        let name = map["name"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let env: Vec<Value> = p.environment(&name).map(|(k, v)| entry(k, v)).collect();
        let labels: Vec<Value> = p
            .service_entries(&name, "labels")
            .map(|(k, v)| entry(k, v))
            .collect();
        let mut out = serde_json::Map::new();
        for (k, v) in std::mem::take(map) {
            let after = match k.as_str() {
                "expose" => Some(("environment", &env)),
                "profiles" => Some(("labels", &labels)),
                _ => None,
            };
            out.insert(k, v);
            if let Some((key, list)) = after {
                out.insert(key.into(), Value::Array(list.clone()));
            }
        }
        *map = out;
    }
    model
}

fn snapshot(dir: &str) -> String {
    let p = load(dir);
    let model = serde_json::to_value(&p.model).expect("model serializes");
    let model = with_tree_lists(&p, model);
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
    let tree = p.root().expect("loaded");
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

/// A scalar's style, tag and variables are the node's, beside its value: they must
/// travel with it. An override's scalar replaces the base's whole (its own style,
/// tag and variables; the base's gone), `!override` is stripped and nothing else,
/// a list item keeps its quoting and variables as a mapping value, and an anchored
/// subtree, interpolated by copy because its aliases share it, keeps its tag and
/// its scalars' style.
#[test]
fn a_scalars_style_tag_and_variables_travel_with_its_value() {
    use stacklint::parse::yaml::{NodeRef, Style};
    let dir = common::tree(&[
        (
            "compose.yaml",
            "services:\n  app:\n    image: \"img:${TAG:-1}\"\n    user: !!str 1000\n    \
             labels: {a: plain}\n    environment: [\"L=${L:-w}\"]\n    command: !!str ${C:-c}\n  \
             other:\n    image: x\n    environment: {OLD: 1}\n  \
             more:\n    image: y\n    environment: [OLD=2]\n",
        ),
        (
            "compose.override.yaml",
            "x-env: &env !override\n  SHARED: \"${SH:-1}\"\nservices:\n  app:\n    image: img:2\n    \
             user: 1000\n    labels: {a: !override 'q ${B:-y}'}\n  \
             other:\n    environment: *env\n  more:\n    environment: *env\n",
        ),
    ]);
    let projects = common::projects_in(&dir, &Default::default());
    let p = projects.first().expect("one project");
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let tree = p.root().expect("loaded");
    let services = tree.get("services").expect("services");
    let parts = |n: NodeRef<'_>| {
        let s = n.as_scalar().expect("a scalar");
        (
            s.value.to_string(),
            s.style,
            n.tag_str().map(str::to_string),
            s.vars.iter().map(|u| u.name.clone()).collect::<Vec<_>>(),
        )
    };
    let app = services.get("app").expect("app");
    let at = |path: &[&str]| {
        path.iter()
            .try_fold(app, |n, k| n.get(k))
            .unwrap_or_else(|| panic!("{path:?}"))
    };
    // The base's quoted value and its variable go: the override's plain one stays.
    assert_eq!(
        parts(at(&["image"])),
        ("img:2".into(), Style::Plain, None, vec![])
    );
    // The base's `!!str` goes with its value.
    assert_eq!(
        parts(at(&["user"])),
        ("1000".into(), Style::Plain, None, vec![])
    );
    // `!override` is stripped; the quoting and the variable stay.
    assert_eq!(
        parts(at(&["labels", "a"])),
        ("q y".into(), Style::SingleQuoted, None, vec!["B".into()])
    );
    // A tag and variables on one scalar: neither drops the other.
    assert_eq!(
        parts(at(&["command"])),
        (
            "c".into(),
            Style::Plain,
            Some("tag:yaml.org,2002:str".into()),
            vec!["C".into()]
        )
    );
    // `- "L=${L:-w}"` normalized: the value keeps the item's quoting and variable.
    assert_eq!(
        parts(at(&["environment", "L"])),
        ("w".into(), Style::DoubleQuoted, None, vec!["L".into()])
    );
    // The anchored mapping was copied when interpolated: still `!override`, so
    // the base's keys are gone, and its scalar is still double-quoted.
    for svc in ["other", "more"] {
        let env = services
            .get(svc)
            .and_then(|s| s.get("environment"))
            .expect("environment");
        assert_eq!(env.keys().collect::<Vec<_>>(), vec!["SHARED"], "{svc}");
        assert_eq!(env.tag_str(), None, "{svc}");
        assert_eq!(
            parts(env.get("SHARED").expect("SHARED")),
            ("1".into(), Style::DoubleQuoted, None, vec!["SH".into()]),
            "{svc}"
        );
    }
}

/// An anchor used by many services is interpolated at each use, as compose
/// interpolates each use: a `$`-free anchor reads as written under every alias
/// (inside a changed one too), one with a variable gives each use its value and
/// variable, and one with a broken `${` is reported at each use, however many
/// uses came before it.
#[test]
fn an_anchor_is_interpolated_at_every_use() {
    let mut text = String::from(
        "x-plain: &plain {restart: always, labels: {tier: web}}\n\
         x-var: &var {LEVEL: \"${LEVEL:-info}\"}\n\
         x-bad: &bad [\"echo ${\"]\n\
         x-outer: &outer {inner: *plain, level: \"${LEVEL:-info}\"}\n\
         services:\n",
    );
    for i in 0..4 {
        text.push_str(&format!(
            "  s{i}:\n    <<: *plain\n    image: app\n    environment: *var\n    \
             command: *bad\n    x-meta: *outer\n"
        ));
    }
    let dir = common::tree(&[("compose.yaml", &text)]);
    let projects = common::projects_in(&dir, &Default::default());
    let p = projects.first().expect("one project");
    let broken = p
        .diags
        .iter()
        .filter(|d| d.message.starts_with("invalid interpolation"))
        .count();
    // x-bad itself and its four aliases.
    assert_eq!(broken, 5, "{:?}", p.diags);
    let services = p.root().and_then(|t| t.get("services")).expect("services");
    let text_at = |n: stacklint::parse::yaml::NodeRef<'_>, path: &[&str]| {
        let n = path
            .iter()
            .try_fold(n, |n, k| n.get(k))
            .unwrap_or_else(|| panic!("{path:?}"));
        let s = n.as_scalar().expect("a scalar");
        let vars: Vec<String> = s.vars.iter().map(|u| u.name.to_string()).collect();
        (s.value.to_string(), vars)
    };
    for i in 0..4 {
        let svc = services.get(&format!("s{i}")).expect("service");
        assert_eq!(text_at(svc, &["restart"]), ("always".into(), vec![]));
        assert_eq!(text_at(svc, &["labels", "tier"]), ("web".into(), vec![]));
        let level = ("info".to_string(), vec!["LEVEL".to_string()]);
        assert_eq!(text_at(svc, &["environment", "LEVEL"]), level);
        assert_eq!(text_at(svc, &["x-meta", "level"]), level);
        assert_eq!(
            text_at(svc, &["x-meta", "inner", "restart"]),
            ("always".into(), vec![])
        );
    }
}
