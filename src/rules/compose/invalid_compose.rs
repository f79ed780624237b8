//! SL004 `invalid-compose`: a compose file breaks the compose specification.
//!
//! Each compose file is checked on its own against the compose-spec schema, as
//! compose-go does: after interpolation, with `!reset` entries removed, before any
//! normalization. An override file may hold half of an object whose other half is
//! in the base file, so a missing required key is only reported in a file that
//! stands alone. Where compose accepts what the schema forbids, the rule is silent:
//! strings that compose casts to numbers or booleans, empty (null) values,
//! duplicate list items (compose merges them before it validates).

use std::collections::{HashMap, HashSet};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError};
use serde_json::Value as Json;

use crate::compose::schema::{self, JsonTree};
use crate::compose::schema_view;
use crate::finding::{Edit, Finding, Findings, Fix};
use crate::parse::yaml::NodeRef;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::{FileId, Sources, Span};

pub struct InvalidCompose;

pub static META: RuleMeta = RuleMeta {
    code: "SL004",
    name: "invalid-compose",
    severity: Severity::Error,
    category: Category::Syntax,
    summary: "A compose file breaks the compose specification (unknown key, wrong type or value)",
    fix: crate::finding::FixAvailability::Sometimes,
};

impl Rule for InvalidCompose {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        // A stack that an ancestor's compose file includes is checked there, with the
        // variables compose uses: checking it here too would report each problem twice.
        if p.included_by.is_some() {
            return;
        }
        // A file with a reading problem (SL001) is not validated: its tree is partial.
        let broken: HashSet<FileId> = p.diags.iter().map(|d| d.span.file).collect();
        for tree in &p.file_trees {
            // A clean file's tree was not kept: nothing to report there.
            let Some(root) = &tree.root else {
                continue;
            };
            if broken.contains(&tree.file) {
                continue;
            }
            let partial = tree.partial || p.lone_override;
            out.extend(check_file(root.read(), partial, Some(&p.sources)));
        }
    }
}

/// One problem: where, what, and the finding's details.
struct Violation {
    span: Span,
    message: String,
    label: &'static str,
    help: Option<String>,
    place: String,
    /// The did-you-mean as a fix: (what the span must hold, its replacement).
    rename: Option<(String, String)>,
}

/// `sources`: where a did-you-mean fix checks that the key is written plainly.
fn check_file(root: NodeRef<'_>, partial: bool, sources: Option<&Sources>) -> Vec<Finding> {
    // Valid files are judged by `schema_view`; the `serde_json` validator is
    // compiled only when a file fails, to word its errors.
    // A YAML file without one compose key at its top (a Kubernetes manifest, a Helm
    // chart, a piece of a service) is not a compose file gone wrong.
    // (`name` and `version` alone are no evidence: a Helm chart has them too.)
    let top = schema::schema_at("/properties")
        .and_then(Json::as_object)
        .map(|m| m.keys().map(String::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    let compose_key =
        |k: &str| k.starts_with("x-") || (top.contains(&k) && k != "name" && k != "version");
    if !root.keys().any(compose_key) {
        return Vec::new();
    }
    let mut found = Vec::new();
    restart_policies(root, &mut found);
    // The schema's validator explains a failing `oneOf` with one error per item of a
    // list, all at once: a 1.6M-item list where strings belong took 2.4 GB. No
    // compose list is that long; such a file is not validated (we stay silent).
    if longest_list(root, 0) > MAX_LIST_ITEMS {
        return findings(found, sources);
    }
    // The common case, a valid file, costs one pass over its tree.
    if schema_view::is_valid(root) {
        return findings(found, sources);
    }
    let Some(validator) = schema::VALIDATOR.as_ref() else {
        return findings(found, sources);
    };
    let json = schema::to_json(root);
    let cx = FileCx {
        json: &json,
        root,
        partial,
    };
    let mut schema_found = Vec::new();
    // A hostile file can break the schema millions of times (a 1.6M-item list of
    // numbers where strings belong): past this many errors nobody reads them, and
    // the report keeps at most 100 findings of a rule per file anyway.
    for err in validator.iter_errors(&json.value).take(MAX_SCHEMA_ERRORS) {
        cx.describe(&err, &mut schema_found);
    }
    schema_found.append(&mut found);
    findings(schema_found, sources)
}

/// The longest list a validated file may hold.
const MAX_LIST_ITEMS: usize = 10_000;

/// The length of the longest list in `n`, at most [`MAX_LIST_ITEMS`] + 1 (it stops
/// there). Aliased subtrees are walked once per use, bounded by the YAML reader's
/// alias limits; `depth` is bounded by its nesting limit.
fn longest_list(n: NodeRef<'_>, depth: usize) -> usize {
    if depth > 256 {
        return 0;
    }
    let mut longest = 0;
    if let Some(items) = n.as_seq() {
        if items.len() > MAX_LIST_ITEMS {
            return items.len();
        }
        longest = items.len();
        for i in items {
            longest = longest.max(longest_list(i, depth + 1));
            if longest > MAX_LIST_ITEMS {
                return longest;
            }
        }
    } else if let Some(entries) = n.as_map() {
        for (_, v) in entries {
            longest = longest.max(longest_list(v, depth + 1));
            if longest > MAX_LIST_ITEMS {
                return longest;
            }
        }
    }
    longest
}

/// Schema errors read per file (see where it is used).
const MAX_SCHEMA_ERRORS: usize = 1_000;
/// Places an anchored block reaches that one message names; the rest are counted.
const MAX_PLACES_NAMED: usize = 5;

fn findings(found: Vec<Violation>, sources: Option<&Sources>) -> Vec<Finding> {
    // An anchored block merged into several services is one mistake where it is
    // written: one finding, naming the other places it reaches.
    let mut first: HashMap<(Span, &'static str), usize> = HashMap::new();
    let mut kept: Vec<(Violation, Vec<String>)> = Vec::new();
    for v in found {
        match first.get(&(v.span, v.label)) {
            Some(&i) => kept[i].1.push(v.place),
            None => {
                first.insert((v.span, v.label), kept.len());
                kept.push((v, Vec::new()));
            }
        }
    }
    kept.into_iter()
        .map(|(v, also)| {
            let mut message = v.message;
            if !also.is_empty() {
                let mut places: Vec<String> = also
                    .iter()
                    .take(MAX_PLACES_NAMED)
                    .map(|p| format!("`{p}`"))
                    .collect();
                if also.len() > MAX_PLACES_NAMED {
                    places.push(format!("{} more", also.len() - MAX_PLACES_NAMED));
                }
                message.push_str(&format!(" (merged into {} too)", places.join(", ")));
            }
            let mut f = Finding::new(&META, v.span, message)
                .label(v.label)
                .place(v.place);
            // Only a key written plainly is renamed: not a quoted one, nor one
            // whose span is not the key's text.
            let plain = |written: &str| {
                sources.is_some_and(|s| s.get(v.span.file).slice(&v.span) == written)
            };
            if let Some((written, to)) = v.rename.filter(|(w, _)| plain(w)) {
                f = f.fix(Fix::unsafe_(
                    format!("rename `{written}` to `{to}`"),
                    vec![Edit {
                        span: v.span,
                        replacement: to,
                    }],
                ));
            }
            if let Some(h) = v.help {
                f = f.help(h);
            }
            f
        })
        .collect()
}

struct FileCx<'a> {
    json: &'a JsonTree,
    root: NodeRef<'a>,
    partial: bool,
}

impl FileCx<'_> {
    fn describe(&self, err: &ValidationError<'_>, out: &mut Vec<Violation>) {
        let ptr = err.instance_path().as_str().to_string();
        let segs = segments(&ptr);
        let Some(place) = self.json.places.get(&ptr).copied() else {
            return;
        };
        let instance = err.instance();
        // The value of an unset variable is not known here: nothing to say about it.
        if place.unknown && !matches!(err.kind(), ValidationErrorKind::AdditionalProperties { .. })
        {
            return;
        }
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let container = err.schema_path().as_str();
                let container = container
                    .strip_suffix("/additionalProperties")
                    .unwrap_or(container);
                for key in unexpected {
                    let at = self
                        .json
                        .places
                        .get(&format!("{ptr}/{}", schema::escape(key)))
                        .and_then(|p| p.key)
                        .unwrap_or(place.value);
                    out.push(unknown_key(&segs, key, container, at));
                }
            }
            ValidationErrorKind::Enum { options } => {
                let allowed: Vec<String> = options
                    .as_array()
                    .map(|a| a.iter().map(show).collect())
                    .unwrap_or_default();
                let value = show(instance);
                let near = instance
                    .as_str()
                    .and_then(|s| crate::names::nearest(s, allowed.iter().map(String::as_str)));
                out.push(Violation {
                    span: place.value,
                    message: format!(
                        "{} is not an allowed value for {}: use {}",
                        code(&value),
                        what(&segs),
                        list(&allowed)
                    ),
                    label: "not an allowed value",
                    rename: None,
                    help: near.map(|n| format!("did you mean `{n}`?")),
                    place: dotted(&segs),
                });
            }
            ValidationErrorKind::Type { kind } => {
                let expected: Vec<JsonType> = match kind {
                    TypeKind::Single(t) => vec![*t],
                    TypeKind::Multiple(set) => set.iter().collect(),
                };
                if lenient(instance, &expected) {
                    return;
                }
                out.push(type_violation(&segs, instance, &expected, place.value));
            }
            ValidationErrorKind::Required { property } => {
                if self.partial || self.in_extending_service(&segs) {
                    return;
                }
                let name = property.as_str().unwrap_or_default();
                out.push(Violation {
                    span: place.key.unwrap_or(place.value),
                    message: format!("{} lacks the required key `{name}`", what(&segs)),
                    label: "required key missing",
                    rename: None,
                    help: None,
                    place: dotted(&segs),
                });
            }
            ValidationErrorKind::OneOfNotValid { context }
            | ValidationErrorKind::AnyOf { context } => {
                if instance.is_null() {
                    return;
                }
                // The branches whose type fits the value are what the author meant;
                // the others only say "not a string", "not a list".
                let fitting: Vec<&Vec<ValidationError<'static>>> = context
                    .iter()
                    .filter(|branch| {
                        !branch.iter().any(|e| {
                            e.instance_path().as_str() == ptr
                                && matches!(e.kind(), ValidationErrorKind::Type { .. })
                        })
                    })
                    .collect();
                match fitting.as_slice() {
                    [] => {
                        let mut expected = Vec::new();
                        for e in context.iter().flatten() {
                            if let ValidationErrorKind::Type { kind } = e.kind() {
                                match kind {
                                    TypeKind::Single(t) => expected.push(*t),
                                    TypeKind::Multiple(set) => expected.extend(set.iter()),
                                }
                            }
                        }
                        if lenient(instance, &expected) {
                            return;
                        }
                        out.push(type_violation(&segs, instance, &expected, place.value));
                    }
                    [one] => {
                        for e in one.iter() {
                            self.describe(e, out);
                        }
                    }
                    // Several forms fit the type and none is satisfied: staying
                    // precise means naming the value, not guessing the form.
                    _ => out.push(Violation {
                        span: place.value,
                        message: format!(
                            "{} is not in any form the compose specification allows",
                            what(&segs)
                        ),
                        label: "invalid value",
                        rename: None,
                        help: None,
                        place: dotted(&segs),
                    }),
                }
            }
            // compose removes duplicates of ports, volumes and such before it
            // validates; a schema with two matching forms is not the author's fault.
            ValidationErrorKind::UniqueItems | ValidationErrorKind::OneOfMultipleValid { .. } => {}
            ValidationErrorKind::Pattern { .. } => out.push(Violation {
                span: place.key.filter(|_| segs.len() > 1).unwrap_or(place.value),
                message: format!("{} is not written in the form compose expects", what(&segs)),
                label: "invalid format",
                rename: None,
                help: None,
                place: dotted(&segs),
            }),
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => out.push(Violation {
                span: place.value,
                message: format!("{} is below its minimum of {limit}", what(&segs)),
                label: "too small",
                rename: None,
                help: None,
                place: dotted(&segs),
            }),
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => out.push(Violation {
                span: place.value,
                message: format!("{} is above its maximum of {limit}", what(&segs)),
                label: "too large",
                rename: None,
                help: None,
                place: dotted(&segs),
            }),
            other => out.push(Violation {
                span: place.value,
                message: format!(
                    "{} breaks the compose specification (`{}`)",
                    what(&segs),
                    other.keyword()
                ),
                label: "invalid",
                rename: None,
                help: None,
                place: dotted(&segs),
            }),
        }
    }

    /// Whether the location is inside a service that extends another one: compose
    /// validates it after the base service's keys are merged in.
    fn in_extending_service(&self, segs: &[String]) -> bool {
        match segs {
            // `extends` itself is read before any merge.
            [s, _, key, ..] if s == "services" && key == "extends" => false,
            [s, name, ..] if s == "services" => self
                .root
                .get("services")
                .and_then(|svcs| svcs.get(name))
                .is_some_and(|svc| svc.get("extends").is_some()),
            _ => false,
        }
    }
}

/// compose casts strings at typed fields (`"3"` → 3, `"true"`/`yes` → true) before
/// they matter; a string that casts is not an error. Null values are left alone.
fn lenient(instance: &Json, expected: &[JsonType]) -> bool {
    let Some(s) = instance.as_str() else {
        return instance.is_null();
    };
    let s = s.trim();
    expected.iter().any(|t| match t {
        JsonType::Integer => s.parse::<i64>().is_ok(),
        JsonType::Number => s.parse::<f64>().is_ok(),
        JsonType::Boolean => matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        ),
        _ => false,
    })
}

fn unknown_key(segs: &[String], key: &str, container: &str, at: Span) -> Violation {
    let node = schema::schema_at(container);
    let allowed: Vec<&str> = node
        .and_then(|n| n.get("properties"))
        .and_then(Json::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // A name pattern without listed keys: the key is a name (of a service, say).
    let named = allowed.is_empty()
        && node
            .and_then(|n| n.get("patternProperties"))
            .and_then(Json::as_object)
            .is_some_and(|m| m.keys().any(|k| k != "^x-"));
    if named {
        return Violation {
            span: at,
            message: format!(
                "`{key}` is not a valid name in {}: use letters, digits, `.`, `_` and `-`",
                what(segs)
            ),
            label: "invalid name",
            rename: None,
            help: None,
            place: dotted(segs),
        };
    }
    let near = crate::names::nearest(key, allowed.iter().copied());
    let within = match segs {
        [] => "at the top level".to_string(),
        _ => format!("in {}", what(segs)),
    };
    let message = match near {
        Some(n) => format!("unknown key `{key}` {within}; did you mean `{n}`?"),
        None => format!("unknown key `{key}` {within}"),
    };
    let help = if near.is_none() && !allowed.is_empty() && allowed.len() <= 12 {
        let names: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
        Some(format!(
            "allowed here: {}; custom keys start with `x-`",
            names.join(", ")
        ))
    } else {
        Some("custom keys start with `x-`".to_string())
    };
    let mut place = segs.to_vec();
    place.push(key.to_string());
    Violation {
        span: at,
        message,
        label: "not a compose key",
        rename: near.map(|n| (key.to_string(), n.to_string())),
        help,
        place: dotted(&place),
    }
}

fn type_violation(segs: &[String], instance: &Json, expected: &[JsonType], at: Span) -> Violation {
    let mut names: Vec<&str> = Vec::new();
    for t in expected {
        let n = type_name(*t);
        // "an integer or a number" says nothing more than "a number".
        if *t == JsonType::Integer && expected.contains(&JsonType::Number) {
            continue;
        }
        if !names.contains(&n) {
            names.push(n);
        }
    }
    Violation {
        span: at,
        message: format!(
            "{} must be {}, not {}",
            what(segs),
            or_list(&names),
            kind_of(instance)
        ),
        label: "wrong type",
        rename: None,
        help: None,
        place: dotted(segs),
    }
}

/// `restart:` is a plain string in the schema, but docker refuses to create a
/// container with an unknown policy.
fn restart_policies(root: NodeRef<'_>, out: &mut Vec<Violation>) {
    let Some(services) = root.get("services").and_then(NodeRef::as_map) else {
        return;
    };
    for (name, svc) in services {
        let (Some(name), Some(restart)) = (name.as_str(), svc.get("restart")) else {
            continue;
        };
        let Some(s) = restart.as_scalar() else {
            continue;
        };
        if schema_view::restart_accepted(s) {
            continue;
        }
        let policy = s.value.split(':').next().unwrap_or_default();
        let allowed: Vec<String> = schema_view::RESTART.iter().map(|r| r.to_string()).collect();
        let near = crate::names::nearest(policy, schema_view::RESTART.iter().copied());
        out.push(Violation {
            span: restart.span(),
            message: format!(
                "`{}` is not a restart policy (service `{name}`): use {}",
                s.value,
                list(&allowed)
            ),
            label: "unknown restart policy",
            rename: None,
            help: Some(match near {
                Some(n) => {
                    format!("did you mean `{n}`? docker refuses to create the container otherwise")
                }
                None => "docker refuses to create the container with an unknown policy".to_string(),
            }),
            place: format!("services.{name}.restart"),
        });
    }
}

fn segments(ptr: &str) -> Vec<String> {
    ptr.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// `services.web.ports[0]`.
fn dotted(segs: &[String]) -> String {
    let mut s = String::new();
    for seg in segs {
        if seg.parse::<usize>().is_ok() && !s.is_empty() {
            s.push_str(&format!("[{seg}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(seg);
        }
    }
    s
}

/// The location in words: "`ports[0]` of service `web`", "network `front`", "`version`".
fn what(segs: &[String]) -> String {
    let kinds = [
        ("services", "service"),
        ("networks", "network"),
        ("volumes", "volume"),
        ("secrets", "secret"),
        ("configs", "config"),
        ("models", "model"),
    ];
    match segs {
        [] => "the file".to_string(),
        [top, name, rest @ ..] => {
            if let Some((_, kind)) = kinds.iter().find(|(k, _)| k == top) {
                if rest.is_empty() {
                    format!("{kind} `{name}`")
                } else {
                    format!("`{}` of {kind} `{name}`", dotted(rest))
                }
            } else {
                format!("`{}`", dotted(segs))
            }
        }
        _ => format!("`{}`", dotted(segs)),
    }
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Null => "empty",
        JsonType::Number => "a number",
        JsonType::Object => "a mapping",
        JsonType::String => "a string",
    }
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "empty",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_f64() => "a decimal number",
        Json::Number(_) => "an integer",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// A short rendering of an enum option or value.
fn show(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| code(i)).collect();
    or_list(&quoted.iter().map(String::as_str).collect::<Vec<_>>())
}

fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use crate::source::{FileKind, SourceFile};

    fn run(text: &str, partial: bool) -> Vec<(String, String)> {
        let f = SourceFile::new("c.yaml", FileKind::Compose, text.to_string());
        let y = yaml::parse(FileId(0), &f);
        check_file(y.docs[0].read(), partial, None)
            .into_iter()
            .map(|f| {
                let at = text[f.primary.range()].to_string();
                (f.message, at)
            })
            .collect()
    }

    #[test]
    fn misspelled_keys_get_a_suggestion_at_the_key() {
        let got = run(
            "services:\n  web:\n    image: nginx\n    helthcheck:\n      test: [CMD, true]\n    port: [\"80:80\"]\n",
            false,
        );
        assert_eq!(
            got,
            vec![
                (
                    "unknown key `helthcheck` in service `web`; did you mean `healthcheck`?".into(),
                    "helthcheck".into()
                ),
                (
                    "unknown key `port` in service `web`; did you mean `ports`?".into(),
                    "port".into()
                ),
            ]
        );
    }

    #[test]
    fn extension_keys_casts_and_nulls_are_fine() {
        let got = run(
            "x-common: &c {a: 1}\nservices:\n  web:\n    x-note: hi\n    image: nginx\n    \
             privileged: yes\n    healthcheck:\n      retries: '3'\n    environment:\n    \
             ports: [80, \"443:443\", {target: 8080, published: '8080'}]\n",
            false,
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn types_enums_and_restart() {
        let got = run(
            "version: 3.8\nservices:\n  web:\n    image: nginx\n    restart: sometimes\n    \
             ports: \"80:80\"\n    depends_on:\n      db:\n        condition: service_healty\n  db:\n    image: postgres\n",
            false,
        );
        let msgs: Vec<&str> = got.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "`version` must be a string, not a decimal number",
                "`ports` of service `web` must be a list, not a string",
                "`service_healty` is not an allowed value for `depends_on.db.condition` of service `web`: use `service_started`, `service_healthy` or `service_completed_successfully`",
                "`sometimes` is not a restart policy (service `web`): use `no`, `always`, `on-failure` or `unless-stopped`",
            ],
            "{got:?}"
        );
    }

    #[test]
    fn keys_inside_one_of_forms_get_a_suggestion_too() {
        let got = run(
            "services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        publishd: 8080\n    \
             depends_on:\n      db:\n        conditon: service_started\n  db:\n    image: postgres\n",
            true,
        );
        assert_eq!(
            got,
            vec![
                (
                    "unknown key `publishd` in `ports[0]` of service `web`; did you mean `published`?".into(),
                    "publishd".into()
                ),
                (
                    "unknown key `conditon` in `depends_on.db` of service `web`; did you mean `condition`?".into(),
                    "conditon".into()
                ),
            ]
        );
    }

    #[test]
    fn an_unknown_service_in_depends_on_is_left_to_sl105() {
        let got = run(
            "services:\n  web:\n    image: nginx\n    depends_on: [dbb]\n  db:\n    image: postgres\n",
            false,
        );
        assert_eq!(got, vec![]);
    }

    #[test]
    fn required_keys_only_in_files_that_stand_alone() {
        let text = "services:\n  web:\n    image: nginx\n    depends_on:\n      db:\n        restart: true\n";
        assert_eq!(run(text, true), vec![]);
        let got = run(text, false);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            got[0].0,
            "`depends_on.db` of service `web` lacks the required key `condition`"
        );
    }
}
