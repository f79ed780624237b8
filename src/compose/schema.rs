//! The compose-spec JSON schema and the JSON view of a compose file that it checks.
//!
//! `schemas/compose-spec.json` is compose-go's `schema/compose-spec.json` (Apache-2.0,
//! <https://github.com/compose-spec/compose-go>), the copy docker compose validates
//! with; the compose-spec repository keeps an older copy of the same file.
//!
//! compose-go decodes each file with go-yaml v3 into plain values, interpolates it and
//! validates the result; [`to_json`] builds the same values from our spanned tree and
//! keeps, for every JSON pointer, where its key and value are written.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Number, Value as Json};

use crate::parse::yaml::{Kind, NodeRef, Style};
use crate::source::Span;

/// The compose-spec schema, as text: `schemas/compose-spec.json` without its
/// prose (`description`, `title`), which build.rs takes out (validation ignores
/// it, and it was most of what a run parsed).
pub const SCHEMA_TEXT: &str = include_str!(concat!(env!("OUT_DIR"), "/compose-spec.json"));

/// The parsed schema (to read the allowed keys of a location).
pub static SCHEMA: LazyLock<Option<Json>> = LazyLock::new(parse);

/// The schema parsed anew ([`SCHEMA`] keeps one parse for the process).
pub fn parse() -> Option<Json> {
    serde_json::from_str(SCHEMA_TEXT).ok()
}

/// The validator, compiled once per process.
pub static VALIDATOR: LazyLock<Option<jsonschema::Validator>> = LazyLock::new(|| {
    SCHEMA
        .as_ref()
        .and_then(|s| jsonschema::validator_for(s).ok())
});

/// Where the key and the value of one JSON pointer are written.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    /// The mapping key (absent for list items and the root).
    pub key: Option<Span>,
    pub value: Span,
    /// A value made of a variable that has no value here: what it will be at
    /// `docker compose up` (the shell may set it) is unknown.
    pub unknown: bool,
}

/// A compose file as JSON, with the source place of each pointer.
pub struct JsonTree {
    pub value: Json,
    pub places: HashMap<String, Place>,
}

/// Converts a compose tree the way go-yaml v3 decodes it into Go values: plain
/// scalars are typed by YAML 1.2's core schema (`yes` stays a string), quoted and
/// block scalars and interpolated values are strings, `!reset` entries are gone
/// (compose-go drops them before validating).
pub fn to_json(root: NodeRef<'_>) -> JsonTree {
    let mut places = HashMap::new();
    let value = convert(root, String::new(), None, &mut Some(&mut places));
    JsonTree { value, places }
}

/// The JSON value alone: most files are valid, and their places are never read.
pub fn to_json_value(root: NodeRef<'_>) -> Json {
    convert(root, String::new(), None, &mut None)
}

fn convert(
    n: NodeRef<'_>,
    ptr: String,
    key: Option<Span>,
    places: &mut Option<&mut HashMap<String, Place>>,
) -> Json {
    let value = match n.kind() {
        Kind::Null => Json::Null,
        Kind::Scalar(s) => typed_scalar(n).unwrap_or_else(|| Json::String(s.to_string())),
        Kind::Seq(items) => Json::Array(
            items
                .iter()
                .filter(|i| !i.has_tag("!reset"))
                .enumerate()
                .map(|(i, item)| {
                    let child = if places.is_some() {
                        format!("{ptr}/{i}")
                    } else {
                        String::new()
                    };
                    convert(item, child, None, places)
                })
                .collect(),
        ),
        Kind::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries.iter() {
                if v.has_tag("!reset") {
                    continue;
                }
                // go-yaml gives non-string keys their text; compose-go refuses them
                // before validating, which is not this check's concern.
                let Some(name) = k.as_str() else { continue };
                let child = if places.is_some() {
                    format!("{ptr}/{}", escape(name))
                } else {
                    String::new()
                };
                let j = convert(v, child, Some(k.span()), places);
                m.insert(name.to_string(), j);
            }
            Json::Object(m)
        }
    };
    let Some(places) = places else {
        return value;
    };
    let unknown = n
        .as_scalar()
        .is_some_and(|s| s.vars.iter().any(|v| !v.defined));
    places.insert(
        ptr,
        Place {
            key,
            value: n.span(),
            unknown,
        },
    );
    value
}

/// JSON pointer escaping of one segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A scalar node's JSON value when it is a bool or a number; `None`: the string
/// of its text. Quoted and block scalars, `!!str` and interpolated values are
/// strings; a plain scalar is typed as go-yaml v3 resolves it.
pub fn typed_scalar(n: NodeRef<'_>) -> Option<Json> {
    let s = n.as_scalar()?;
    let str_tag = matches!(n.tag_str(), Some("!!str" | "tag:yaml.org,2002:str"));
    if !s.vars.is_empty() || s.style != Style::Plain || str_tag {
        return None;
    }
    plain_scalar(s.value)
}

/// A plain scalar as go-yaml v3 resolves it: bool, int or float; `None`: a string.
fn plain_scalar(s: &str) -> Option<Json> {
    match s {
        "true" | "True" | "TRUE" => return Some(Json::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Json::Bool(false)),
        _ => {}
    }
    // A number starts with a digit, a sign or a dot (after any `_`): most scalars
    // (names, images, paths) are strings, decided here without a copy.
    if !s
        .bytes()
        .find(|&b| b != b'_')
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.chars().filter(|&c| c != '_').collect::<String>().into()
    } else {
        s.into()
    };
    if let Some(i) = parse_int(&plain) {
        return Some(Json::Number(i));
    }
    if is_yaml_float(&plain) {
        if let Some(n) = plain.parse::<f64>().ok().and_then(Number::from_f64) {
            return Some(Json::Number(n));
        }
    }
    // `.inf` and `.nan` have no JSON form; a string keeps them out of type errors
    // on the fields that accept strings.
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)` (then `ParseUint`): decimal, `0x`, `0o`,
/// `0b` and a leading-zero octal, with a sign.
fn parse_int(s: &str) -> Option<Number> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        let i = i64::try_from(v).ok()?;
        Some(Number::from(-i))
    } else {
        Some(Number::from(v))
    }
}

/// go-yaml's float form: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The schema node at a JSON pointer into the schema (`/$defs/service`).
pub fn schema_at(pointer: &str) -> Option<&'static Json> {
    SCHEMA.as_ref()?.pointer(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use crate::source::{FileId, FileKind, SourceFile};
    use serde_json::json;

    fn json_of(text: &str) -> (SourceFile, JsonTree) {
        let f = SourceFile::new("c.yaml", FileKind::Compose, text.to_string());
        let y = yaml::parse(FileId(0), &f);
        let t = to_json(y.docs[0].read());
        (f, t)
    }

    #[test]
    fn scalars_are_typed_as_go_yaml_v3_does() {
        let (_, t) = json_of(
            "a: 1\nb: '1'\nc: yes\nd: True\ne: 1.5\nf: 0x1F\ng: 0755\nh: 1_000\n\
             i: .inf\nj: 08\nk: 3.8\nl:\nm: \"true\"\nn: 2001-12-14\no: -0b11\np: 1e3\n",
        );
        assert_eq!(
            t.value,
            json!({"a": 1, "b": "1", "c": "yes", "d": true, "e": 1.5, "f": 31, "g": 493,
                   "h": 1000, "i": ".inf", "j": 8.0, "k": 3.8, "l": null, "m": "true",
                   "n": "2001-12-14", "o": -3, "p": 1000.0})
        );
    }

    #[test]
    fn pointers_map_to_keys_and_values() {
        let (f, t) = json_of("services:\n  web:\n    ports: [\"80:80\"]\n    a/b~: x\n");
        let p = t.places["/services/web/ports/0"];
        assert_eq!(p.key, None);
        assert_eq!(f.slice(&p.value), "\"80:80\"");
        let p = t.places["/services/web/a~1b~0"];
        assert_eq!(f.slice(&p.key.unwrap()), "a/b~");
        assert_eq!(f.slice(&p.value), "x");
        assert!(t.places.contains_key(""));
    }

    #[test]
    fn reset_entries_are_dropped() {
        let (_, t) =
            json_of("a: !reset null\nb: [1, !reset 2, 3]\nc: !override {x: 1}\nd: !!str 5\n");
        assert_eq!(t.value, json!({"b": [1, 3], "c": {"x": 1}, "d": "5"}));
    }

    /// The schema embedded is `schemas/compose-spec.json` less its prose: the same
    /// members everywhere else, in the same order, and the data values whole.
    #[test]
    fn the_embedded_schema_lacks_only_annotations() {
        const DATA: [&str; 4] = ["enum", "const", "default", "examples"];
        fn prose(k: &str, v: &Json) -> bool {
            matches!(k, "description" | "title") && v.is_string()
        }
        // The members `full` has and `lean` lacks, counted; panics at any other difference.
        fn dropped(full: &Json, lean: &Json, data: bool) -> usize {
            match (full, lean) {
                (Json::Object(f), Json::Object(l)) => {
                    let kept: Vec<_> = f.iter().filter(|(k, v)| data || !prose(k, v)).collect();
                    let names: Vec<&String> = kept.iter().map(|(k, _)| *k).collect();
                    assert_eq!(names, l.keys().collect::<Vec<_>>());
                    let below: usize = kept
                        .iter()
                        .map(|(k, v)| {
                            let data = data || DATA.contains(&k.as_str());
                            dropped(v, &l[k.as_str()], data)
                        })
                        .sum();
                    f.len() - kept.len() + below
                }
                (Json::Array(f), Json::Array(l)) => {
                    assert_eq!(f.len(), l.len());
                    f.iter().zip(l).map(|(f, l)| dropped(f, l, data)).sum()
                }
                _ => {
                    assert_eq!(full, lean);
                    0
                }
            }
        }
        let text = include_str!("../../schemas/compose-spec.json");
        let full: Json =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("the schema is JSON: {e}"));
        let Some(lean) = SCHEMA.as_ref() else {
            panic!("the embedded schema is JSON");
        };
        // Its 375 descriptions and its title are gone, and nothing else.
        assert_eq!(dropped(&full, lean, false), 376);
        assert!(SCHEMA_TEXT.len() * 2 < text.len());
    }

    #[test]
    fn the_schema_compiles() {
        assert!(VALIDATOR.is_some());
        assert!(schema_at("/$defs/service/properties/healthcheck").is_some());
    }
}
