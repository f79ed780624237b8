//! The compose-spec validator reading our YAML tree in place.
//!
//! jsonschema validates any representation that implements its `Json` traits. Seen
//! through [`View`], a compose tree is the JSON value [`schema::to_json_value`]
//! would build (same types, `!reset` entries gone, non-string keys skipped), so
//! the common case, a valid file, costs no copy of the file as `serde_json` values
//! (on 16,000 anchored services, building and freeing that copy was 15% of the run).
//! A file found invalid is converted as before, to word its errors.
//!
//! That validator is compiled from the schema at run time, in 2 to 3 ms: most of a
//! run over a few small files. A small file is judged instead by `Built`, the
//! same schema's validator generated when stacklint is built, on a `serde_json`
//! copy of the file; the compile starts only for a file too large to copy cheaply.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::LazyLock;

use jsonschema::json::{Array, Json, Node as JsonNode, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde_json::{Number, Value as Serde};

use crate::compose::schema;
use crate::parse::yaml::{self, Entries, Node, NodeRef, Value};

/// The compose-spec validator for [`View`]s, compiled once per process.
/// It is compiled from a parse of the schema of its own, dropped once compiled: a
/// run that needs no other use of the schema (a large file found valid) does not
/// keep it.
pub static VALIDATOR: LazyLock<Option<jsonschema::Validator<YamlJson>>> = LazyLock::new(|| {
    let v = schema::parse().and_then(|s| jsonschema::options_for::<YamlJson>().build(&s).ok());
    COMPILED.store(true, Ordering::Release);
    v
});

/// Set once [`VALIDATOR`] is compiled.
static COMPILED: AtomicBool = AtomicBool::new(false);

/// Set once [`VALIDATOR`]'s compile is started.
static STARTED: AtomicBool = AtomicBool::new(false);

/// Whether [`VALIDATOR`] is compiled: asking it now would not wait for the compile.
pub fn compiled() -> bool {
    COMPILED.load(Ordering::Acquire)
}

/// Starts compiling [`VALIDATOR`] on another thread, once per process: called for
/// a text large enough to need it ([`LARGE_TEXT`]), so that it compiles while the
/// text is parsed. (The schema is bundled: a panic in the compile, which would
/// abort a spawned job, is a bug of ours that the tests meet first.)
pub fn compile_soon() {
    if !STARTED.swap(true, Ordering::AcqRel) {
        rayon::spawn(|| {
            let _ = VALIDATOR.as_ref();
        });
    }
}

/// A compose text of this many bytes or more is likely to be judged by
/// [`VALIDATOR`] (most compose files are a few KiB).
pub const LARGE_TEXT: usize = 16 * 1024;

/// The compose-spec validator generated from the schema when stacklint is built,
/// over `serde_json` values: it needs no compile at run time.
#[jsonschema::validator(path = "schemas/compose-spec.json")]
struct Built;

/// The nodes of a file's JSON copy (an aliased node counted at each use) up to
/// which [`Built`] judges the copy. A copy costs about a quarter of a microsecond
/// a node, built and freed: 8,000 nodes cost what compiling [`VALIDATOR`] does.
const COPIED_NODES: usize = 8_000;

/// The scalar bytes (keys included, an aliased scalar counted at each use) up to
/// which [`Built`] judges a copy: the reader lets aliases reach 16 MiB, which the
/// view judges in place but a copy would allocate.
const COPIED_BYTES: usize = 256 * 1024;

/// Whether `n` is judged on a `serde_json` copy: its copy holds at most
/// [`COPIED_NODES`] nodes and [`COPIED_BYTES`] of text. Counting stops there, so
/// a large file costs no more than a small one here.
fn small_enough_to_copy(n: NodeRef<'_>) -> bool {
    fn take(budget: &mut usize, n: usize) -> bool {
        budget.checked_sub(n).map(|rest| *budget = rest).is_some()
    }
    fn fits(n: NodeRef<'_>, nodes: &mut usize, bytes: &mut usize) -> bool {
        take(nodes, 1)
            && match n.kind() {
                yaml::Kind::Seq(items) => items.iter().all(|i| fits(i, nodes, bytes)),
                yaml::Kind::Map(entries) => entries.iter().all(|(k, v)| {
                    take(bytes, k.as_str().map_or(0, str::len)) && fits(v, nodes, bytes)
                }),
                yaml::Kind::Scalar(s) => take(bytes, s.len()),
                yaml::Kind::Null => true,
            }
    }
    fits(n, &mut { COPIED_NODES }, &mut { COPIED_BYTES })
}

/// Whether judging `root` now waits for no compile, or is worth waiting for (a
/// file of many services, judged in parallel). When it is not, the compile that
/// will judge it starts.
pub fn judged_now(root: NodeRef<'_>) -> bool {
    if compiled() || has_many_services(root) || small_enough_to_copy(root) {
        return true;
    }
    // A short text can still be too large to copy (aliases): the tree is judged
    // later, by the compiled validator, whose compile starts now.
    compile_soon();
    false
}

/// Whether the JSON view of `root` satisfies the compose-spec schema; `None`
/// when the schema did not compile.
pub fn is_valid(root: NodeRef<'_>) -> Option<bool> {
    if let (Some(top), Some(services)) = (root.as_map(), many_services(root)) {
        let validator = VALIDATOR.as_ref()?;
        // The same verdict, split: the file with `services` seen as an empty
        // mapping, then each service in a file of its own that holds only it.
        // The schema requires no top-level key, so such a file is valid exactly
        // when the service and its name are: one validator, compiled once,
        // judges both (a second one for a service alone cost a 2 ms compile).
        use rayon::prelude::*;
        let rest = validator.is_valid(View {
            node: Some(root),
            kind: Kind::Object(top),
            hollow: Some(services.1),
        });
        let entries = services.1.as_map().unwrap_or_default();
        let alone: Vec<_> = kept_entries(entries).collect();
        return Some(
            rest && alone
                .par_iter()
                .all(|&entry| validator.is_valid(View::of(file_of_one(services, entry).read()))),
        );
    }
    if small_enough_to_copy(root) {
        return Some(Built::is_valid(&schema::to_json_value(root)));
    }
    Some(VALIDATOR.as_ref()?.is_valid(View::of(root)))
}

/// A compose file whose only content is its `services:` holding one `entry`.
fn file_of_one(
    (key, services): (NodeRef<'_>, NodeRef<'_>),
    (k, v): (NodeRef<'_>, NodeRef<'_>),
) -> Node {
    // Clones share the service's subtree: each costs a node, not a copy.
    let one = Node::new(
        services.span(),
        Value::map(vec![(k.node().clone(), v.node().clone())]),
    );
    Node::new(services.span(), Value::map(vec![(key.node().clone(), one)]))
}

/// Whether `root` has `services` enough to be checked service by service.
pub fn has_many_services(root: NodeRef<'_>) -> bool {
    many_services(root).is_some()
}

/// The `services` entry of `root` (key and value), when it is a mapping of many
/// (not `!reset`, which the JSON view leaves out).
fn many_services(root: NodeRef<'_>) -> Option<(NodeRef<'_>, NodeRef<'_>)> {
    root.as_map()?.iter().find(|(k, s)| {
        k.as_str() == Some("services")
            && !s.has_tag("!reset")
            && s.as_map()
                .is_some_and(|m| m.len() >= crate::PARALLEL_SERVICES)
    })
}

/// The representation: a compose tree as JSON.
pub struct YamlJson;

impl Json for YamlJson {
    type Node<'a> = View<'a>;
    type PreparedKey = Box<str>;
    // A lookup scans the mapping; one pass over its members costs no more.
    const KEYS_PER_LOOKUP: usize = 16;
    type StringBuffer = ();

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>(_: &mut (), string: &str, f: impl FnOnce(View<'_>) -> T) -> T {
        f(View {
            node: None,
            kind: Kind::Str(string),
            hollow: None,
        })
    }
}

/// One node as JSON, its type decided once when the view is made.
#[derive(Clone)]
pub struct View<'a> {
    /// `None` for a mapping key seen as a string (`propertyNames`).
    node: Option<NodeRef<'a>>,
    kind: Kind<'a>,
    /// A member of this mapping seen as an empty mapping (see [`is_valid`]).
    hollow: Option<NodeRef<'a>>,
}

#[derive(Clone)]
enum Kind<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(&'a str),
    Array(yaml::Items<'a>),
    Object(Entries<'a>),
}

impl<'a> View<'a> {
    pub fn of(n: NodeRef<'a>) -> View<'a> {
        let kind = match n.kind() {
            yaml::Kind::Null => Kind::Null,
            yaml::Kind::Seq(items) => Kind::Array(items),
            yaml::Kind::Map(entries) => Kind::Object(entries),
            yaml::Kind::Scalar(s) => match schema::typed_scalar(n) {
                None => Kind::Str(s),
                Some(Serde::Bool(b)) => Kind::Bool(b),
                Some(Serde::Number(x)) => Kind::Number(x),
                // typed_scalar gives only bools and numbers.
                Some(_) => Kind::Str(s),
            },
        };
        View {
            node: Some(n),
            kind,
            hollow: None,
        }
    }
}

impl<'a> JsonNode<'a, YamlJson> for View<'a> {
    type Object = Members<'a>;
    type Array = Items<'a>;
    type Number = Number;

    fn as_object(&self) -> Option<Members<'a>> {
        match self.kind {
            Kind::Object(entries) => Some(Members(entries, self.hollow)),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Items<'a>> {
        match self.kind {
            Kind::Array(items) => Some(Items(items)),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.kind {
            Kind::Str(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<Number> {
        match &self.kind {
            Kind::Number(n) => Some(n.clone()),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    fn json_type(&self) -> JsonType {
        match self.kind {
            Kind::Null => JsonType::Null,
            Kind::Bool(_) => JsonType::Boolean,
            Kind::Number(_) => JsonType::Number,
            Kind::Str(_) => JsonType::String,
            Kind::Array(_) => JsonType::Array,
            Kind::Object(_) => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, Serde> {
        Cow::Owned(match (self.node, &self.kind) {
            (Some(n), _) => schema::to_json_value(n),
            (None, Kind::Str(s)) => Serde::String((*s).to_string()),
            (None, Kind::Object(_)) => Serde::Object(Default::default()),
            (None, _) => Serde::Null,
        })
    }

    fn identity(&self) -> Option<NodeIdentity> {
        // A node of the tree is where it lives; a key seen as a string is no container.
        self.node.map(|n| NodeIdentity::new(n.id()))
    }
}

/// The entries of a mapping that the JSON value has: string keys, no `!reset`.
fn kept_entries(entries: Entries<'_>) -> impl Iterator<Item = (NodeRef<'_>, NodeRef<'_>)> {
    entries
        .iter()
        .filter(|(k, v)| k.as_str().is_some() && !v.has_tag("!reset"))
}

/// [`kept_entries`] as (key, value).
fn kept(entries: Entries<'_>) -> impl Iterator<Item = (&str, NodeRef<'_>)> {
    kept_entries(entries).filter_map(|(k, v)| Some((k.as_str()?, v)))
}

/// A mapping as a JSON object. Its keys are unique: the YAML reader keeps one
/// entry per key (a repeated key is a parse error, and such a file is not validated).
pub struct Members<'a>(Entries<'a>, Option<NodeRef<'a>>);

/// The view of a member: its own, or an empty mapping for the hollow one.
fn member_view<'a>(v: NodeRef<'a>, hollow: Option<NodeRef<'a>>) -> View<'a> {
    match hollow {
        Some(h) if h.id() == v.id() => View {
            node: None,
            kind: Kind::Object(Entries::default()),
            hollow: None,
        },
        _ => View::of(v),
    }
}

impl<'a> Object<'a, YamlJson> for Members<'a> {
    type Node = View<'a>;
    type MemberName = &'a str;
    type MembersIter = Box<dyn Iterator<Item = (&'a str, View<'a>)> + 'a>;

    fn len(&self) -> usize {
        kept(self.0).count()
    }

    fn get(&self, key: &Box<str>) -> Option<View<'a>> {
        kept(self.0)
            .find(|(k, _)| *k == &**key)
            .map(|(_, v)| member_view(v, self.1))
    }

    fn members(&self) -> Self::MembersIter {
        let hollow = self.1;
        Box::new(kept(self.0).map(move |(k, v)| (k, member_view(v, hollow))))
    }
}

/// A sequence as a JSON array, without its `!reset` items.
pub struct Items<'a>(yaml::Items<'a>);

impl<'a> Array<'a, YamlJson> for Items<'a> {
    type Node = View<'a>;
    type ElementsIter = Box<dyn Iterator<Item = View<'a>> + 'a>;

    fn len(&self) -> usize {
        self.0.iter().filter(|i| !i.has_tag("!reset")).count()
    }

    fn elements(&self) -> Self::ElementsIter {
        Box::new(self.0.iter().filter(|i| !i.has_tag("!reset")).map(View::of))
    }
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
/// loader keeps a file's own tree for that check only when this is false (or when it
/// did not wait for the validator to ask): most files are clean, and keeping theirs
/// doubled each service map that normalization changes.
pub fn is_clean(root: NodeRef<'_>) -> bool {
    let restarts_ok = root
        .get("services")
        .and_then(NodeRef::as_map)
        .into_iter()
        .flatten()
        .filter_map(|(_, svc)| svc.get("restart")?.as_scalar())
        .all(restart_accepted);
    restarts_ok && is_valid(root) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use crate::source::{FileId, FileKind, SourceFile};

    /// The view and the `serde_json` copy get the same verdict.
    fn same_verdict(text: &str) -> bool {
        let f = SourceFile::new("c.yaml", FileKind::Compose, text.to_string());
        let y = yaml::parse(FileId(0), &f);
        let root = y.docs[0].read();
        let copy = schema::VALIDATOR
            .as_ref()
            .map(|v| v.is_valid(&schema::to_json_value(root)));
        assert_eq!(is_valid(root), copy, "{text}");
        let view = VALIDATOR.as_ref().map(|v| v.is_valid(View::of(root)));
        assert_eq!(view, copy, "{text}");
        copy.unwrap_or(false)
    }

    /// The validator generated at build time and the one compiled at run time
    /// judge every compose-like YAML file of the fixtures alike.
    #[test]
    fn the_built_validator_judges_as_the_compiled_one_does() {
        let Some(compiled) = VALIDATOR.as_ref() else {
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
            // As written, and with every `image` misspelt.
            let misspelt = text.replace("image:", "images:");
            for text in [text, misspelt] {
                let f = SourceFile::new(path, FileKind::Compose, text);
                for doc in yaml::parse(FileId(0), &f).docs {
                    if doc.as_map().is_none() {
                        continue;
                    }
                    let built = Built::is_valid(&schema::to_json_value(doc.read()));
                    assert_eq!(built, compiled.is_valid(View::of(doc.read())), "{path:?}");
                    *if built { &mut valid } else { &mut invalid } += 1;
                }
            }
        }
        // Both verdicts are met, many times.
        assert!(
            valid > 100 && invalid > 100,
            "{valid} valid, {invalid} invalid"
        );
    }

    /// A copy is made of at most `COPIED_NODES` nodes, aliases counted at each use.
    #[test]
    fn only_small_files_are_copied() {
        let seq = |n: usize| {
            Node::new(
                crate::source::Span::new(FileId(0), 0, 0),
                Value::seq(vec![
                    Node::null(crate::source::Span::new(FileId(0), 0, 0));
                    n
                ]),
            )
        };
        assert!(small_enough_to_copy(seq(COPIED_NODES - 1).read()));
        assert!(!small_enough_to_copy(seq(COPIED_NODES).read()));
        // 100 aliases of a list of 100 items: a short text, a large copy.
        let mut text = String::from("x-a: &a [");
        text.push_str(&"1, ".repeat(100));
        text.push_str("]\nx-b: [");
        text.push_str(&"*a, ".repeat(100));
        text.push_str("]\n");
        let f = SourceFile::new("c.yaml", FileKind::Compose, text);
        let y = yaml::parse(FileId(0), &f);
        assert!(!small_enough_to_copy(y.docs[0].read()));
        assert_eq!(is_valid(y.docs[0].read()), Some(true));
        // A scalar of 4 KiB aliased 100 times: few nodes, a large copy.
        let text = format!(
            "x-a: &a {}\nx-b: [{}]\n",
            "a".repeat(4096),
            "*a, ".repeat(100)
        );
        let f = SourceFile::new("c.yaml", FileKind::Compose, text);
        assert!(!small_enough_to_copy(
            yaml::parse(FileId(0), &f).docs[0].read()
        ));
    }

    #[test]
    fn the_view_judges_as_the_json_copy_does() {
        assert!(same_verdict(
            "services:\n  web:\n    image: nginx\n    ports: [\"80:80\", 443]\n    \
             cpus: 0.5\n    restart: always\n    environment: {A: 1, B: yes, C: ~}\n"
        ));
        assert!(same_verdict(
            "x-a: &a {restart: always}\nservices:\n  w:\n    <<: *a\n    image: x\n"
        ));
        // Wrong types, an unknown key, a number where a list belongs.
        assert!(!same_verdict("services:\n  web:\n    imagee: nginx\n"));
        assert!(!same_verdict("services:\n  web:\n    ports: 80\n"));
        assert!(!same_verdict("services:\n  web:\n    privileged: 1.5\n"));
        assert!(!same_verdict(
            "services:\n  web:\n    deploy: {replicass: 1}\n"
        ));
        // `!reset` entries are gone, quoted numbers stay strings.
        assert!(same_verdict(
            "services:\n  web:\n    image: !reset 5\n    user: '1000'\n"
        ));
        assert!(!same_verdict(
            "services:\n  web:\n    scale: '2'\n    mem_limit: [1]\n"
        ));
        // Keys checked by pattern (`propertyNames`-like places) and extensions.
        assert!(same_verdict(
            "services:\n  web:\n    image: a\n    x-own: {any: 1}\nx-top: 1\n"
        ));
        assert!(!same_verdict("services:\n  \"bad name!\":\n    image: a\n"));
        // The schema's patterns at their edges: `$` before a final line break, a
        // name of other letters, an alternation matched in part.
        assert!(!same_verdict("services:\n  \"web\\n\":\n    image: a\n"));
        assert!(!same_verdict("services:\n  wéb:\n    image: a\n"));
        assert!(same_verdict(
            "services:\n  w:\n    image: a\n    pull_policy: every_12h\n"
        ));
        assert!(same_verdict(
            "services:\n  w:\n    image: a\n    pull_policy: \"never\\n\"\n"
        ));
        assert!(!same_verdict(
            "services:\n  w:\n    image: a\n    pull_policy: sometimes\n"
        ));
        // (The pattern is not anchored.)
        assert!(same_verdict(
            "services:\n  w:\n    image: a\n    pull_policy: xalwaysx\n"
        ));
        assert!(same_verdict(
            "services:\n  w:\n    image: a\n    \"x-\\n\": 1\n"
        ));
        assert!(!same_verdict(
            "services:\n  w:\n    image: a\n    \"\\nx-\": 1\n"
        ));
    }

    /// A file of many services is validated split (each service on its own):
    /// the verdict of the whole, whichever part is wrong.
    #[test]
    fn many_services_are_judged_as_the_whole_file_is() {
        let many = |svc: &str, top: &str| {
            let mut t = String::from("x-d: &d {restart: always}\nservices:\n");
            for i in 0..crate::PARALLEL_SERVICES + 6 {
                t.push_str(&format!("  s{i}:\n    <<: *d\n    image: a{i}\n"));
            }
            t.push_str(svc);
            t.push_str(top);
            t
        };
        // The split judges each service in a file of its own: right only while the
        // schema asks nothing of a file's top level or of `services` as a whole.
        let spec = schema::SCHEMA.as_ref().and_then(|s| s.as_object());
        fn keys(o: Option<&serde_json::Map<String, Serde>>) -> Vec<&str> {
            let mut k: Vec<&str> = o.map_or(vec![], |o| o.keys().map(String::as_str).collect());
            k.sort_unstable();
            k
        }
        let meta = [
            "$comment",
            "$defs",
            "$id",
            "$schema",
            "description",
            "title",
        ];
        let top: Vec<&str> = keys(spec)
            .into_iter()
            .filter(|k| !meta.contains(k))
            .collect();
        assert_eq!(
            top,
            [
                "additionalProperties",
                "patternProperties",
                "properties",
                "type"
            ]
        );
        let services = spec
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get("services"))
            .and_then(|s| s.as_object());
        let svc: Vec<&str> = keys(services)
            .into_iter()
            .filter(|k| !meta.contains(k))
            .collect();
        assert_eq!(svc, ["additionalProperties", "patternProperties", "type"]);
        // The split is taken (else this test would judge the whole file twice).
        let f = SourceFile::new("c.yaml", FileKind::Compose, many("", ""));
        assert!(has_many_services(yaml::parse(FileId(0), &f).docs[0].read()));
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
