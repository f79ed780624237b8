//! The compose-spec schema, checked on our YAML tree in place.
//!
//! Seen as JSON, a compose tree is the value [`schema::to_json_value`] builds
//! (plain scalars typed as go-yaml types them, `!reset` entries gone, keys that
//! are no scalar left out). Most files are valid, and whether they are is all
//! they need: [`is_valid`] answers it on the tree, without that copy. A file
//! found invalid is copied and judged again by `jsonschema`
//! ([`schema::VALIDATOR`]), which words its errors.
//!
//! The check is our own because the compose-spec schema asks little of a JSON
//! Schema engine: thirteen keywords and seven regular expressions. Compiling it
//! with `jsonschema` took 2 to 3 ms and about 1 MiB on every run that judged a
//! large file, and a small file's copy took more time than its judgement.
//! build.rs writes the embedded schema as `Check`s, which the binary holds as
//! constants. What the check does not know stops the build rather than being
//! judged otherwise: a keyword, a pattern, a draft other than 2020-12, a
//! nested `$id`, a `$ref` outside `$defs`, checks that apply to one value in a
//! cycle. Unit tests and the `yaml` fuzz target compare its verdicts with
//! `jsonschema`'s.

use serde_json::{Number, Value as Json};

use crate::compose::schema;
use crate::parse::yaml::{self, Entries, NodeRef};

// The compose-spec schema as tables, written by build.rs from the same embedded
// schema, so a run neither parses nor compiles it: `CHECKS` (the root's first)
// and what they point into, `TEXT`, `LISTS`, `STRINGS`, `PROPERTIES` and
// `PATTERN_PROPERTIES`.
include!(concat!(env!("OUT_DIR"), "/schema_checks.rs"));

/// FNV-1a of a property's name, as build.rs hashes the names of `PROPERTIES`.
fn name_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// A name: where it is in `TEXT` (offset, length).
#[derive(Clone, Copy)]
struct Text(u16, u16);

impl Text {
    fn get(self) -> &'static str {
        let at = usize::from(self.0);
        TEXT.get(at..at + usize::from(self.1)).unwrap_or_default()
    }
}

/// Items of a table: the first and how many.
#[derive(Clone, Copy)]
struct Run(u16, u16);

impl Run {
    fn of<T>(self, table: &'static [T]) -> &'static [T] {
        let at = usize::from(self.0);
        table.get(at..at + usize::from(self.1)).unwrap_or_default()
    }
}

/// What one (sub)schema asks of a value: the keywords the compose-spec schema
/// uses. A keyword applies to the values of its type only (`items` to arrays, ...);
/// a check is named by its index in `CHECKS`.
struct Check {
    /// The schema `false`: no value satisfies it.
    never: bool,
    /// `type`, as a set of [`Types`] bits; 0: any type.
    types: u8,
    /// `$ref`; in draft 2020-12 it applies beside the other keywords.
    reference: Option<u16>,
    /// `oneOf`, in `LISTS`.
    one_of: Run,
    /// `enum` (strings only, as in the compose-spec schema), in `STRINGS`.
    enumeration: Option<Run>,
    /// `properties`, in `PROPERTIES`: (hash of the name, name, check), by hash
    /// ([`Check::property`]).
    properties: Run,
    /// `patternProperties`, in `PATTERN_PROPERTIES`.
    pattern_properties: Run,
    /// `additionalProperties`; `None`: any.
    additional: Option<u16>,
    /// `required`, in `STRINGS`.
    required: Run,
    items: Option<u16>,
    unique_items: bool,
    minimum: Option<i32>,
    maximum: Option<i32>,
    pattern: Option<Pattern>,
}

impl Check {
    /// The schema `true`, which the generated checks start from.
    const ANY: Check = Check {
        never: false,
        types: 0,
        reference: None,
        one_of: Run(0, 0),
        enumeration: None,
        properties: Run(0, 0),
        pattern_properties: Run(0, 0),
        additional: None,
        required: Run(0, 0),
        items: None,
        unique_items: false,
        minimum: None,
        maximum: None,
        pattern: None,
    };

    /// The check of property `name`: found by its hash (a binary search over
    /// integers, then one comparison of names; a search by name compared
    /// about seven names for each key of a file).
    fn property(&self, name: &str) -> Option<u16> {
        let properties = self.properties.of(&PROPERTIES);
        let hash = name_hash(name);
        let first = properties.partition_point(|p| p.0 < hash);
        let same_hash = properties.get(first..).unwrap_or_default();
        same_hash
            .iter()
            .take_while(|p| p.0 == hash)
            .find(|p| p.1.get() == name)
            .map(|p| p.2)
    }

    /// Whether `s` is one of the `enum` strings (true without `enum`).
    fn enumerates(&self, s: &str) -> bool {
        self.enumeration
            .is_none_or(|e| e.of(&STRINGS).iter().any(|t| t.get() == s))
    }
}

/// `type` names as bits.
struct Types;

impl Types {
    const NULL: u8 = 1;
    const BOOLEAN: u8 = 2;
    const INTEGER: u8 = 4;
    const NUMBER: u8 = 8;
    const STRING: u8 = 16;
    const ARRAY: u8 = 32;
    const OBJECT: u8 = 64;
}

/// The regular expressions of the compose-spec schema, each matched as the
/// `regex` crate matches it (`jsonschema` hands such patterns to it, through
/// `fancy-regex`): `^` and `$` at the ends of the text, `.` any character but
/// `\n`, unanchored patterns anywhere. A unit test compares each with the
/// `regex` crate on many strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    /// `^x-`
    Extension,
    /// `^[a-zA-Z0-9._-]+$`
    Name,
    /// `^.+$`
    OneLine,
    /// `.+`
    AnyCharacter,
    /// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`
    TwoNameCharacters,
    /// `always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+`
    PullPolicy,
    /// `^[a-z]+$`
    Lowercase,
}

impl Pattern {
    const ALL: [(&'static str, Pattern); 7] = [
        ("^x-", Pattern::Extension),
        ("^[a-zA-Z0-9._-]+$", Pattern::Name),
        ("^.+$", Pattern::OneLine),
        (".+", Pattern::AnyCharacter),
        ("[a-zA-Z0-9][a-zA-Z0-9_.-]+", Pattern::TwoNameCharacters),
        (
            "always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+",
            Pattern::PullPolicy,
        ),
        ("^[a-z]+$", Pattern::Lowercase),
    ];

    /// The pattern written `source`; one this type does not know stops the
    /// build (the generated checks call this in a constant).
    const fn of(source: &str) -> Pattern {
        const fn same(a: &str, b: &str) -> bool {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            if a.len() != b.len() {
                return false;
            }
            let mut i = 0;
            while i < a.len() {
                if a[i] != b[i] {
                    return false;
                }
                i += 1;
            }
            true
        }
        let mut i = 0;
        while i < Self::ALL.len() {
            if same(Self::ALL[i].0, source) {
                return Self::ALL[i].1;
            }
            i += 1;
        }
        panic!("a pattern of the compose-spec schema that `Pattern` does not match")
    }

    fn matches(self, s: &str) -> bool {
        let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
        match self {
            Pattern::Extension => s.starts_with("x-"),
            Pattern::Name => !s.is_empty() && s.bytes().all(name),
            Pattern::OneLine => !s.is_empty() && !s.contains('\n'),
            Pattern::AnyCharacter => s.bytes().any(|b| b != b'\n'),
            Pattern::TwoNameCharacters => s
                .as_bytes()
                .windows(2)
                .any(|w| w[0].is_ascii_alphanumeric() && name(w[1])),
            Pattern::PullPolicy => {
                const WORDS: [&str; 8] = [
                    "always",
                    "never",
                    "build",
                    "if_not_present",
                    "missing",
                    "refresh",
                    "daily",
                    "weekly",
                ];
                WORDS.iter().any(|w| s.contains(w))
                    || s.match_indices("every_").any(|(i, m)| {
                        let rest = &s.as_bytes()[i + m.len()..];
                        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                        digits > 0 && rest.get(digits).is_some_and(|b| b"wdhms".contains(b))
                    })
            }
            Pattern::Lowercase => !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase()),
        }
    }
}

/// A value as JSON sees it, its type decided once.
#[derive(Clone, Copy)]
enum Value<'a> {
    Null,
    Bool(bool),
    Number(&'a Number),
    Str(&'a str),
    Array(yaml::Items<'a>),
    Object(Entries<'a>),
}

/// Calls `f` with `n` as JSON (a number typed from its text lives on the stack).
fn as_json<T>(n: NodeRef<'_>, f: impl FnOnce(Value<'_>) -> T) -> T {
    match n.kind() {
        yaml::Kind::Null => f(Value::Null),
        yaml::Kind::Seq(items) => f(Value::Array(items)),
        yaml::Kind::Map(entries) => f(Value::Object(entries)),
        yaml::Kind::Scalar(s) => match schema::typed_scalar(n) {
            Some(Json::Bool(b)) => f(Value::Bool(b)),
            Some(Json::Number(x)) => f(Value::Number(&x)),
            // typed_scalar gives only bools and numbers.
            _ => f(Value::Str(s)),
        },
    }
}

fn is_integer(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// The members of a mapping that the JSON value has (scalar keys, no `!reset`),
/// as (key, value).
fn kept(entries: Entries<'_>) -> impl Iterator<Item = (&str, NodeRef<'_>)> {
    entries
        .iter()
        .filter(|(_, v)| !v.has_tag("!reset"))
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
}

/// The items of a sequence that the JSON value has: no `!reset`.
fn kept_items(items: yaml::Items<'_>) -> impl Iterator<Item = NodeRef<'_>> {
    items.iter().filter(|i| !i.has_tag("!reset"))
}

/// Whether `n` satisfies check `at`.
fn satisfies(at: u16, n: NodeRef<'_>) -> bool {
    as_json(n, |v| satisfies_value(at, v))
}

fn satisfies_value(at: u16, v: Value<'_>) -> bool {
    let Some(c) = CHECKS.get(usize::from(at)) else {
        return false;
    };
    if c.never {
        return false;
    }
    if c.types != 0 {
        let t = match v {
            Value::Null => Types::NULL,
            Value::Bool(_) => Types::BOOLEAN,
            Value::Number(x) if is_integer(x) => Types::INTEGER | Types::NUMBER,
            Value::Number(_) => Types::NUMBER,
            Value::Str(_) => Types::STRING,
            Value::Array(_) => Types::ARRAY,
            Value::Object(_) => Types::OBJECT,
        };
        if c.types & t == 0 {
            return false;
        }
    }
    if c.reference.is_some_and(|r| !satisfies_value(r, v)) {
        return false;
    }
    let one_of = c.one_of.of(&LISTS);
    if !one_of.is_empty()
        && one_of
            .iter()
            .filter(|&&a| satisfies_value(a, v))
            .take(2)
            .count()
            != 1
    {
        return false;
    }
    match v {
        Value::Str(s) => c.enumerates(s) && c.pattern.is_none_or(|p| p.matches(s)),
        Value::Number(x) => c.enumeration.is_none() && in_range(x, c.minimum, c.maximum),
        Value::Array(items) => {
            c.enumeration.is_none()
                && c.items
                    .is_none_or(|i| kept_items(items).all(|n| satisfies(i, n)))
                && (!c.unique_items || unique(items))
        }
        Value::Object(entries) => c.enumeration.is_none() && object(c, entries),
        Value::Null | Value::Bool(_) => c.enumeration.is_none(),
    }
}

fn object(c: &Check, entries: Entries<'_>) -> bool {
    let required = c
        .required
        .of(&STRINGS)
        .iter()
        .all(|r| kept(entries).any(|(k, _)| k == r.get()));
    let member = |(k, v): (&str, NodeRef<'_>)| {
        let mut matched = false;
        if let Some(at) = c.property(k) {
            matched = true;
            if !satisfies(at, v) {
                return false;
            }
        }
        for &(p, at) in c.pattern_properties.of(&PATTERN_PROPERTIES) {
            if p.matches(k) {
                matched = true;
                if !satisfies(at, v) {
                    return false;
                }
            }
        }
        matched || c.additional.is_none_or(|a| satisfies(a, v))
    };
    if !required {
        return false;
    }
    // A mapping of many members (a large file's `services`, a long
    // `environment`) has them judged on every core.
    if entries.len() >= crate::PARALLEL_SERVICES {
        use rayon::prelude::*;
        let members: Vec<_> = kept(entries).collect();
        return members.into_par_iter().all(member);
    }
    kept(entries).all(member)
}

/// Whether `x` lies within `minimum` and `maximum`, compared exactly.
fn in_range(x: &Number, minimum: Option<i32>, maximum: Option<i32>) -> bool {
    use std::cmp::Ordering;
    // `x` against a bound: exactly (an i32 is exact as an f64; a number that only
    // a u64 holds is above every i32).
    let against = |bound: i32| -> Option<Ordering> {
        match (x.as_i64(), x.as_u64()) {
            (Some(i), _) => Some(i.cmp(&i64::from(bound))),
            (None, Some(_)) => Some(Ordering::Greater),
            (None, None) => x.as_f64()?.partial_cmp(&f64::from(bound)),
        }
    };
    minimum.is_none_or(|m| against(m).is_some_and(Ordering::is_ge))
        && maximum.is_none_or(|m| against(m).is_some_and(Ordering::is_le))
}

/// Whether no two items of `items` (as JSON, `!reset` ones gone) are equal.
/// Equal as JSON Schema compares: `1` and `1.0` are, `1` and `"1"` are not, nor
/// are mappings that differ only in the order of their keys.
fn unique(items: yaml::Items<'_>) -> bool {
    use std::hash::BuildHasher as _;
    if items.len() < 2 {
        return true;
    }
    // Each item's canonical text is hashed, not kept: a hostile list of a
    // million items would hold a million strings. Items of one hash are then
    // compared by their texts, written again.
    let items: Vec<NodeRef<'_>> = kept_items(items).collect();
    let hasher = foldhash::fast::RandomState::default();
    let text = |n: NodeRef<'_>| {
        let mut t = String::new();
        canonical(n, &mut t);
        t
    };
    let mut hashes: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, &n)| (hasher.hash_one(text(n)), i))
        .collect();
    hashes.sort_unstable();
    hashes.chunk_by(|a, b| a.0 == b.0).all(|same| {
        // One item (nothing to compare), or equal ones (the second settles
        // it); distinct texts of one hash are next to never met.
        if same.len() == 1 {
            return true;
        }
        let mut seen: Vec<String> = Vec::new();
        same.iter().all(|&(_, i)| {
            let t = text(items[i]);
            let new = !seen.contains(&t);
            seen.push(t);
            new
        })
    })
}

/// Writes `n` as a text that is equal for two values exactly when they are equal
/// as JSON: each part says where it ends, numbers are written one way per value,
/// and a mapping's members are sorted by key. With a stack of its own rather than
/// recursion: through chains of aliases a value can be nested far deeper than
/// the YAML reader lets one text nest.
fn canonical(n: NodeRef<'_>, out: &mut String) {
    use std::fmt::Write as _;
    enum Part<'a> {
        Node(NodeRef<'a>),
        Key(&'a str),
        Close(char),
    }
    let mut parts = vec![Part::Node(n)];
    while let Some(part) = parts.pop() {
        let n = match part {
            Part::Node(n) => n,
            Part::Key(k) => {
                let _ = write!(out, "s{}:{k}", k.len());
                continue;
            }
            Part::Close(c) => {
                out.push(c);
                continue;
            }
        };
        match n.kind() {
            yaml::Kind::Seq(items) => {
                out.push('[');
                parts.push(Part::Close(']'));
                let items: Vec<NodeRef<'_>> = kept_items(items).collect();
                parts.extend(items.into_iter().rev().map(Part::Node));
            }
            yaml::Kind::Map(entries) => {
                out.push('{');
                parts.push(Part::Close('}'));
                let mut members: Vec<(&str, NodeRef<'_>)> = kept(entries).collect();
                // Pushed last key first, so that they are written in key order.
                members.sort_unstable_by(|a, b| b.0.cmp(a.0));
                for (k, v) in members {
                    parts.push(Part::Node(v));
                    parts.push(Part::Key(k));
                }
            }
            yaml::Kind::Null | yaml::Kind::Scalar(_) => as_json(n, |v| match v {
                Value::Bool(b) => out.push(if b { 't' } else { 'f' }),
                Value::Number(x) => {
                    out.push('#');
                    if let Some(i) = x.as_i64() {
                        let _ = write!(out, "{i}");
                    } else if let Some(u) = x.as_u64() {
                        let _ = write!(out, "{u}");
                    } else if let Some(f) = x.as_f64() {
                        // An integral f64 below 2^64 is written as the integer it equals.
                        if f.fract() == 0.0 && f.abs() < 18_446_744_073_709_551_616.0 {
                            let _ = write!(out, "{}", f as i128);
                        } else {
                            let _ = write!(out, "{f:?}");
                        }
                    }
                    out.push(';');
                }
                Value::Str(s) => {
                    let _ = write!(out, "s{}:{s}", s.len());
                }
                // A scalar or null node is none of these.
                Value::Null | Value::Array(_) | Value::Object(_) => out.push('n'),
            }),
        }
    }
}

/// Whether the JSON view of `root` satisfies the compose-spec schema.
pub fn is_valid(root: NodeRef<'_>) -> bool {
    satisfies(0, root)
}

/// Restart policies docker accepts (compose maps `none` and `any` too).
pub const RESTART: &[&str] = &["no", "always", "on-failure", "unless-stopped"];
pub const RESTART_ALIASES: &[&str] = &["none", "any"];

/// Whether a `restart:` value is a policy docker accepts, or cannot be judged here
/// (empty, or read from an unset variable).
pub fn restart_accepted(s: crate::parse::yaml::Scalar) -> bool {
    if s.vars.iter().any(|v| !v.defined) || s.value.is_empty() {
        return true;
    }
    let policy = s.value.split(':').next().unwrap_or_default();
    RESTART.contains(&policy) || RESTART_ALIASES.contains(&policy)
}

/// Whether a compose file's tree leaves the compose-spec check nothing to say: it
/// validates against the schema and every restart policy is one docker accepts. The
/// loader keeps a file's own tree for that check only when this is false: most
/// files are clean, and keeping theirs doubled each service map that
/// normalization changes.
pub fn is_clean(root: NodeRef<'_>) -> bool {
    let restarts_ok = root
        .get("services")
        .and_then(NodeRef::as_map)
        .into_iter()
        .flatten()
        .filter_map(|(_, svc)| svc.get("restart")?.as_scalar())
        .all(restart_accepted);
    restarts_ok && is_valid(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, FileKind, SourceFile};

    /// The check and `jsonschema`, on a copy of the file, give the same verdict.
    fn same_verdict(text: &str) -> bool {
        let f = SourceFile::new("c.yaml", FileKind::Compose, text.to_string());
        let y = yaml::parse(FileId(0), &f);
        assert!(y.diags.is_empty(), "{text}: {:?}", y.diags);
        let root = y.docs[0].read();
        let copy = schema::VALIDATOR
            .as_ref()
            .map(|v| v.is_valid(&schema::to_json_value(root)));
        assert_eq!(Some(is_valid(root)), copy, "{text}");
        copy.unwrap_or(false)
    }

    /// The generated checks start at the schema's root, and every check they
    /// name is one of them.
    #[test]
    fn the_checks_hold_together() {
        let root = &CHECKS[0];
        assert_eq!(root.types, Types::OBJECT);
        assert!(["services", "networks", "volumes", "include"]
            .iter()
            .all(|p| root.property(p).is_some()));
        assert_eq!(root.property("service"), None);
        let named = |c: &Check| -> Vec<usize> {
            let mut v: Vec<u16> = c.one_of.of(&LISTS).to_vec();
            v.extend(c.properties.of(&PROPERTIES).iter().map(|p| p.2));
            v.extend(
                c.pattern_properties
                    .of(&PATTERN_PROPERTIES)
                    .iter()
                    .map(|p| p.1),
            );
            v.extend([c.reference, c.additional, c.items].into_iter().flatten());
            v.into_iter().map(usize::from).collect()
        };
        let mut reached = vec![false; CHECKS.len()];
        reached[0] = true;
        for c in &CHECKS {
            for i in named(c) {
                assert!(i < CHECKS.len(), "check {i} of {}", CHECKS.len());
                reached[i] = true;
            }
        }
        // Every check is the root or named by another (definitions included).
        assert!(reached.iter().all(|&r| r));
        // Every run and name lies within its table (a run out of it would read
        // as empty).
        let within = |r: Run, len: usize| usize::from(r.0) + usize::from(r.1) <= len;
        let names = |r: Run| r.of(&STRINGS).to_vec();
        let mut texts: Vec<Text> = PROPERTIES.iter().map(|p| p.1).collect();
        // build.rs hashes names as `name_hash` does.
        assert!(PROPERTIES.iter().all(|p| p.0 == name_hash(p.1.get())));
        for c in &CHECKS {
            assert!(within(c.one_of, LISTS.len()));
            assert!(within(c.properties, PROPERTIES.len()));
            assert!(within(c.pattern_properties, PATTERN_PROPERTIES.len()));
            assert!(within(c.required, STRINGS.len()));
            assert!(c.enumeration.is_none_or(|e| within(e, STRINGS.len())));
            texts.extend(names(c.required));
            texts.extend(c.enumeration.map(names).unwrap_or_default());
        }
        assert!(texts.iter().all(|t| {
            let end = usize::from(t.0) + usize::from(t.1);
            t.1 > 0 && TEXT.get(usize::from(t.0)..end) == Some(t.get())
        }));
        assert!(LISTS.iter().all(|&i| usize::from(i) < CHECKS.len()));
        // Names read back as written in the schema.
        assert_eq!(
            CHECKS[0]
                .property("services")
                .map(|at| CHECKS[usize::from(at)].types),
            Some(Types::OBJECT)
        );
        for (source, p) in Pattern::ALL {
            assert_eq!(Pattern::of(source), p);
        }
    }

    /// Values nested deeper than a small stack holds frames for (through
    /// aliases, a value can nest far deeper than a text may) are compared for
    /// `uniqueItems` all the same.
    #[test]
    fn deep_items_are_compared_without_recursion() {
        use crate::parse::yaml::tests::{drop_nested, nested};
        use crate::parse::yaml::{Node, Value as Tree};
        use crate::source::Span;
        let at = Span::new(FileId(0), 0, 0);
        let deep = |s: &str| nested(s, 50_000);
        let lists = vec![
            Node::new(at, Tree::seq(vec![deep("a"), deep("b")])),
            Node::new(at, Tree::seq(vec![deep("a"), deep("b"), deep("a")])),
        ];
        // 50,000 frames of even 16 bytes would not fit in 256 KiB.
        let judged = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let verdicts: Vec<bool> = lists
                    .iter()
                    .map(|l| l.read().as_seq().is_some_and(unique))
                    .collect();
                (verdicts, lists)
            })
            .and_then(|t| t.join().map_err(|_| std::io::Error::other("overflowed")));
        let (verdicts, lists) = match judged {
            Ok(v) => v,
            Err(e) => panic!("the comparison ran out of stack: {e}"),
        };
        assert_eq!(verdicts, [true, false]);
        drop_nested(lists);
    }

    /// Each pattern matches as the `regex` crate does, on every string of up to
    /// three pieces taken from the characters and words the patterns turn on.
    #[test]
    fn patterns_match_as_the_regex_crate_does() {
        let pieces = [
            "",
            "x",
            "-",
            "x-",
            "a",
            "Z",
            "0",
            "7",
            "_",
            ".",
            "\n",
            "\r",
            " ",
            "é",
            "/",
            "every_",
            "every_12",
            "h",
            "w",
            "q",
            "never",
            "if_not_present",
            "daily",
        ];
        for (source, pattern) in Pattern::ALL {
            let re = regex::Regex::new(source).unwrap_or_else(|e| panic!("{source}: {e}"));
            for a in pieces {
                for b in pieces {
                    for c in pieces {
                        let s = format!("{a}{b}{c}");
                        assert_eq!(pattern.matches(&s), re.is_match(&s), "{source} on {s:?}");
                    }
                }
            }
        }
    }

    /// The check judges as `jsonschema` does every compose-like YAML document of
    /// the fixtures, as written and with every `image` misspelt.
    #[test]
    fn the_check_judges_the_fixtures_as_jsonschema_does() {
        let Some(validator) = schema::VALIDATOR.as_ref() else {
            panic!("the schema compiles");
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let (mut valid, mut invalid) = (0, 0);
        for e in walkdir::WalkDir::new(root).into_iter().flatten() {
            let path = e.path();
            let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
            let Some(text) = yaml.then(|| std::fs::read_to_string(path).ok()).flatten() else {
                continue;
            };
            let misspelt = text.replace("image:", "images:");
            for text in [text, misspelt] {
                let f = SourceFile::new(path, FileKind::Compose, text);
                for doc in yaml::parse(FileId(0), &f).docs {
                    if doc.as_map().is_none() {
                        continue;
                    }
                    let theirs = validator.is_valid(&schema::to_json_value(doc.read()));
                    assert_eq!(is_valid(doc.read()), theirs, "{path:?}");
                    *if theirs { &mut valid } else { &mut invalid } += 1;
                }
            }
        }
        // Both verdicts are met, many times.
        assert!(
            valid > 100 && invalid > 100,
            "{valid} valid, {invalid} invalid"
        );
    }

    #[test]
    fn the_check_judges_as_jsonschema_does() {
        // (file, valid): each judged by both, alike.
        let cases = [
            ("services:\n  web:\n    image: nginx\n    ports: [\"80:80\", 443]\n    \
                 cpus: 0.5\n    restart: always\n    environment: {A: 1, B: yes, C: ~}\n", true),
            ("x-a: &a {restart: always}\nservices:\n  w:\n    <<: *a\n    image: x\n", true),
            // Wrong types, an unknown key, a number where a list belongs.
            ("services:\n  web:\n    imagee: nginx\n", false),
            ("services:\n  web:\n    ports: 80\n", false),
            ("services:\n  web:\n    privileged: 1.5\n", false),
            ("services:\n  web:\n    deploy: {replicass: 1}\n", false),
            // `!reset` entries are gone, quoted numbers stay strings.
            ("services:\n  web:\n    image: !reset 5\n    user: '1000'\n", true),
            ("services:\n  web:\n    scale: '2'\n    mem_limit: [1]\n", false),
            // An integer may be written as a float with no fraction.
            ("services:\n  web:\n    scale: 2.0\n", true),
            ("services:\n  web:\n    scale: 2.5\n", false),
            // Bounds, inclusive, on integers and floats.
            ("services:\n  web:\n    oom_score_adj: -1000\n", true),
            ("services:\n  web:\n    oom_score_adj: 1000.0\n", true),
            ("services:\n  web:\n    oom_score_adj: 1001\n", false),
            ("services:\n  web:\n    oom_score_adj: -1e4\n", false),
            ("services:\n  web:\n    oom_score_adj: 18446744073709551615\n", false),
            // `enum`: a value of the list, of its type.
            ("services:\n  a:\n    depends_on: {b: {condition: service_healthy}}\n  b: {}\n", true),
            ("services:\n  a:\n    depends_on: {b: {condition: service_sick}}\n  b: {}\n", false),
            ("services:\n  a:\n    depends_on: {b: {condition: 1}}\n  b: {}\n", false),
            // `uniqueItems`: equal as JSON (1 and 1.0 are, 1 and '1' are not; mappings
            // whatever the order of their keys).
            ("services:\n  a:\n    cap_add: [A, B]\n", true),
            ("services:\n  a:\n    cap_add: [A, B, A]\n", false),
            ("services:\n  a:\n    expose: [1, '1', 2.5]\n", true),
            ("services:\n  a:\n    expose: [1, 1.0]\n", false),
            ("services:\n  a:\n    group_add: [0x10, 16]\n", false),
            ("services:\n  a:\n    cap_add: [A, !reset A]\n", true),
            ("services:\n  a:\n    ports: [{target: 80, published: 8080}, {target: 80}]\n", true),
            ("services:\n  a:\n    ports: [{target: 80, published: 8080}, {published: 8080, target: 80}]\n", false),
            // Keys checked by pattern and extensions.
            ("services:\n  web:\n    image: a\n    x-own: {any: 1}\nx-top: 1\n", true),
            ("services:\n  \"bad name!\":\n    image: a\n", false),
            // The schema's patterns at their edges: `$` before a final line break, a
            // name of other letters, an alternation matched in part.
            ("services:\n  \"web\\n\":\n    image: a\n", false),
            ("services:\n  wéb:\n    image: a\n", false),
            ("services:\n  w:\n    image: a\n    pull_policy: every_12h\n", true),
            ("services:\n  w:\n    image: a\n    pull_policy: \"never\\n\"\n", true),
            ("services:\n  w:\n    image: a\n    pull_policy: sometimes\n", false),
            // (The pattern is not anchored.)
            ("services:\n  w:\n    image: a\n    pull_policy: xalwaysx\n", true),
            ("services:\n  w:\n    image: a\n    \"x-\\n\": 1\n", true),
            ("services:\n  w:\n    image: a\n    \"\\nx-\": 1\n", false),
            // `oneOf`: exactly one alternative (a string or a list, not a number).
            ("services:\n  w:\n    command: [a, b]\n", true),
            ("services:\n  w:\n    command: 5\n", false),
        ];
        for (text, valid) in cases {
            assert_eq!(same_verdict(text), valid, "{text}");
        }
    }

    /// A file of many services has them judged in parallel: the verdict of the
    /// whole, whichever part is wrong.
    #[test]
    fn many_services_are_judged_as_few_are() {
        let many = |svc: &str, top: &str| {
            let mut t = String::from("x-d: &d {restart: always}\nservices:\n");
            for i in 0..crate::PARALLEL_SERVICES + 6 {
                t.push_str(&format!("  s{i}:\n    <<: *d\n    image: a{i}\n"));
            }
            t.push_str(svc);
            t.push_str(top);
            t
        };
        assert!(same_verdict(&many("", "")));
        // `!reset` services are no services: nothing of them is validated.
        assert!(same_verdict(
            &many("  last:\n    imagee: b\n", "").replacen("services:\n", "services: !reset\n", 1)
        ));
        assert!(same_verdict(&many("  gone: !reset {}\n", "")));
        assert!(same_verdict(&many(
            "  last:\n    image: b\n    x-own: 1\n",
            "x-top: 1\n"
        )));
        assert!(!same_verdict(&many("  last:\n    imagee: b\n", "")));
        assert!(!same_verdict(&many("  last:\n    ports: 80\n", "")));
        assert!(!same_verdict(&many("  \"bad name!\":\n    image: b\n", "")));
        assert!(!same_verdict(&many("  last: 5\n", "")));
        assert!(!same_verdict(&many("", "unknown: 1\n")));
        assert!(!same_verdict(&many("", "networks: 5\n")));
    }
}
