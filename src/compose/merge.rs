//! Merging compose trees the way docker compose does: override files on top of the
//! base file, an extended service under the service that extends it.
//!
//! Values keep the spans of the file that supplied them. Fields that may be written
//! as a list or as a mapping are normalized to a mapping first (see [`normalize_service`]),
//! so that `environment: [A=1]` in one file merges with `environment: {B: 2}` in
//! another.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use crate::parse::yaml::{take_items, Node, NodeRef, Style, Value};
use crate::source::{Sources, Span};

/// How a sequence at a given path merges.
#[derive(PartialEq)]
enum SeqMerge {
    /// The later value replaces the earlier one (`command`, `healthcheck.test`).
    Replace,
    /// Items are appended; an item equal to an earlier one (or, for mounts and
    /// ports, with the same target) replaces it.
    Append,
}

fn seq_merge_for(path: &[&str]) -> SeqMerge {
    match path {
        ["services", _, "command" | "entrypoint"] => SeqMerge::Replace,
        ["services", _, "healthcheck", "test"] => SeqMerge::Replace,
        _ => SeqMerge::Append,
    }
}

/// Merges `over` on top of `base`. `path` is the logical path of `base`
/// (`["services", "app"]`), which selects the special cases.
///
/// Linear in the entries and items of both sides: keys and list items are found
/// through hash indexes, not by scanning `base` for each one of `over` (except
/// in mappings of a few entries, where a scan costs less).
pub fn merge(base: &mut Node, mut over: Node, path: &mut Vec<String>) {
    if over.has_tag("!override") {
        *base = strip_tag(over);
        return;
    }
    match (
        base.value_mut(),
        std::mem::replace(over.value_mut(), Value::Null),
    ) {
        (Value::Map(base_entries), Value::Map(mut over_entries)) => {
            let mut entries = take_items(base_entries);
            merge_maps(&mut entries, take_items(&mut over_entries), path);
            *base_entries = entries.into();
        }
        (Value::Seq(base_items), Value::Seq(over_items)) => {
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            if seq_merge_for(&p) == SeqMerge::Replace {
                base.set_value(Value::Seq(over_items));
                base.span = over.span;
            } else {
                let keyed = matches!(
                    p.as_slice(),
                    ["services", _, "volumes" | "ports" | "secrets" | "configs"]
                );
                let mut items = take_items(base_items);
                append_items(&mut items, take_items(&mut { over_items }), keyed);
                *base_items = items.into();
            }
        }
        (_, v) => {
            // `over` whole: its value with its span, style, variables and tag.
            over.set_value(v);
            *base = strip_tag(over);
        }
    }
}

fn merge_maps(base: &mut Vec<(Node, Node)>, over: Vec<(Node, Node)>, path: &mut Vec<String>) {
    let small = base.len() + over.len() <= SCANNED;
    merge_maps_by(base, over, path, small);
}

/// [`merge_maps`], finding `base`'s keys by a scan when `small`, else by an index.
fn merge_maps_by(
    base: &mut Vec<(Node, Node)>,
    over: Vec<(Node, Node)>,
    path: &mut Vec<String>,
    small: bool,
) {
    // A key is found at its first entry in `base` that is not reset: a key
    // listed twice (a list form normalized to a mapping) is found at its first
    // place, and the next one takes over when that one is reset. Maps that stay
    // small together (a service's keys and its override's) are scanned; larger
    // ones index each key's positions first (the index cost a few hundred
    // instructions a key to build).
    let mut index: Option<HashMap<String, Vec<usize>>> = (!small).then(|| {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (k, _)) in base.iter().enumerate() {
            crate::steps::step();
            if let Some(key) = k.as_str() {
                index.entry(key.to_string()).or_default().push(i);
            }
        }
        index
    });
    // `!reset` entries are taken out at the end, so positions stay valid.
    let mut reset = vec![false; base.len()];
    for (k, v) in over {
        crate::steps::step();
        let key = k.as_str().map(str::to_string);
        let existing = key.as_deref().and_then(|key| {
            let live = |&i: &usize| {
                crate::steps::step();
                !reset[i] && base[i].0.as_str() == Some(key)
            };
            match &index {
                Some(index) => index.get(key)?.iter().copied().find(live),
                None => (0..base.len()).find(live),
            }
        });
        if v.has_tag("!reset") {
            if let Some(i) = existing {
                reset[i] = true;
            }
            continue;
        }
        match existing {
            Some(i) => {
                path.push(key.unwrap_or_default());
                merge(&mut base[i].1, v, path);
                path.pop();
                // The key keeps its first definition: findings on a service
                // point at where it is declared.
            }
            None => {
                if let (Some(index), Some(key)) = (&mut index, key) {
                    index.entry(key).or_default().push(base.len());
                }
                reset.push(false);
                base.push((k, strip_tag(v)));
            }
        }
    }
    if reset.contains(&true) {
        let mut i = 0;
        base.retain(|_| {
            i += 1;
            !reset[i - 1]
        });
    }
}

/// Up to this many entries in a mapping and its override together, keys are
/// found by a scan rather than an index ([`merge_maps`]).
const SCANNED: usize = 32;

/// Appends `over`'s items; an item with the identity of an earlier one replaces
/// the first such item instead (see [`seq_item_identity`]).
fn append_items(base: &mut Vec<Node>, over: Vec<Node>, keyed: bool) {
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, b) in base.iter().enumerate() {
        if let Some(id) = seq_item_identity(b, keyed) {
            index.entry(id).or_insert(i);
        }
    }
    for item in over {
        match seq_item_identity(&item, keyed) {
            // A replaced item has the same identity, so the index stays right.
            Some(id) => match index.get(&id) {
                Some(&pos) => base[pos] = item,
                None => {
                    index.insert(id, base.len());
                    base.push(item);
                }
            },
            None => base.push(item),
        }
    }
}

fn strip_tag(mut n: Node) -> Node {
    if matches!(n.tag_str(), Some("!override" | "!reset")) {
        n.set_tag(None);
    }
    n
}

/// What makes two sequence items "the same" for deduplication: the mount target or
/// the container port for keyed lists, the scalar text otherwise.
fn seq_item_identity(n: &Node, keyed: bool) -> Option<String> {
    if keyed {
        if let Some(t) = n.get("target").and_then(Node::as_str) {
            return Some(format!("target:{t}"));
        }
        if let Some(s) = n.as_str() {
            // `src:/target[:mode]` for mounts; ports stay whole (two hosts may map one port).
            return Some(s.to_string());
        }
        return n
            .get("source")
            .and_then(Node::as_str)
            .map(|s| format!("source:{s}"));
    }
    n.as_str().map(str::to_string)
}

/// Fields of a service that may be a list or a mapping, normalized to a mapping.
const LIST_OR_MAP: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "extra_hosts",
];

/// Lists that several services share (an anchor's: `networks: *nets`), each
/// rewritten once: the services then share its mapping too, where each would
/// hold a copy. Keyed by the list's address and the rewrite; the list is held
/// with its mapping, so the address stays its own.
#[derive(Default)]
pub struct Normalized(std::sync::Mutex<foldhash::HashMap<(usize, u8), Rewritten>>);

/// A shared list, and the mapping it was rewritten to.
type Rewritten = (Arc<[Node]>, Value);

impl Normalized {
    /// Rewrites `v` with `rewrite` (number `kind` of them), or takes the mapping
    /// its shared list was rewritten to before.
    fn rewrite(&self, v: &mut Node, kind: u8, rewrite: impl FnOnce(&mut Node)) {
        // More than two holders: a list of one service is held twice while the
        // file's tree is kept for invalid-compose (its services copied on write),
        // and an anchored list once more than the services that use it.
        let (Some(at), Value::Seq(items)) = (v.value().shared_address(2), v.value()) else {
            return rewrite(v);
        };
        let (items, key) = (Arc::clone(items), (at, kind));
        let seen = self
            .0
            .lock()
            .ok()
            .and_then(|m| m.get(&key).map(|(_, done)| done.clone()));
        if let Some(done) = seen {
            v.set_value(done);
            return;
        }
        rewrite(v);
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, (items, v.value().clone()));
        }
    }
}

/// Rewrites list forms of a service into the mapping forms, in place, so merges and
/// the model see one shape. Spans of the new keys and values point into the list item.
pub fn normalize_service(svc: &mut Node, sources: &Sources, shared: &Normalized) {
    let Value::Map(entries) = svc.value_mut() else {
        return;
    };
    for (k, v) in Arc::make_mut(entries).iter_mut() {
        match k.as_str() {
            Some(key) if LIST_OR_MAP.contains(&key) => {
                let hosts = key == "extra_hosts";
                shared.rewrite(v, u8::from(hosts), |v| list_to_map(v, sources, hosts))
            }
            Some("build") => {
                if let Value::Map(b) = v.value_mut() {
                    for (bk, bv) in Arc::make_mut(b).iter_mut() {
                        if matches!(bk.as_str(), Some("args" | "labels")) {
                            list_to_map(bv, sources, false);
                        }
                    }
                }
            }
            // `networks` names become keys as `depends_on` names do.
            Some("depends_on" | "networks") => shared.rewrite(v, 2, depends_on_to_map),
            _ => {}
        }
    }
}

/// `["A=1", "B"]` → `{A: "1", B: null}`; `extra_hosts` also splits on `:`.
fn list_to_map(v: &mut Node, sources: &Sources, hosts: bool) {
    let Value::Seq(items) = v.value() else {
        return;
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items.iter() {
        let Some(s) = item.as_scalar() else {
            continue;
        };
        let sep = if hosts {
            s.value.find(['=', ':'])
        } else {
            s.value.find('=')
        };
        let (key, val) = match sep {
            Some(i) => (&s.value[..i], Some((&s.value[i + 1..], i + 1))),
            None => (s.value, None),
        };
        // After interpolation the value may differ from the text
        // (`KEY=${VAR}`); the key and the `=` are still written out, so the
        // value's span is the rest of the item's text.
        let raw_value = raw_item_value(item, sources, key, sep.is_some());
        let key_span = sub_span(item.read(), sources, 0, key.len());
        let key_node = Node::scalar(key_span, key, Style::Plain);
        let val_node = match val {
            None => Node::null(key_span),
            Some((text, at)) => {
                let span = raw_value
                    .unwrap_or_else(|| sub_span(item.read(), sources, at, at + text.len()));
                // Keep the variable uses that fall into the value part.
                let vars: Vec<_> = s
                    .vars
                    .iter()
                    .filter(|u| u.range.start >= at)
                    .cloned()
                    .map(|mut u| {
                        u.range = u.range.start - at..u.range.end - at;
                        u
                    })
                    .collect();
                let mut n = Node::scalar(span, text, s.style);
                n.set_vars(vars);
                n
            }
        };
        entries.push((key_node, val_node));
    }
    v.set_value(Value::map(entries));
}

/// The span of the value part of a `KEY=value` list item in its source text,
/// when the item's text starts with `KEY` and its separator (plain or quoted).
fn raw_item_value(item: &Node, sources: &Sources, key: &str, has_sep: bool) -> Option<Span> {
    if !has_sep || key.is_empty() {
        return None;
    }
    let raw = sources.get(item.span.file).slice(&item.span);
    let (from, inner) = match item.as_scalar().map(|s| s.style) {
        Some(Style::SingleQuoted | Style::DoubleQuoted) if raw.len() >= 2 => {
            (1, raw.get(1..raw.len() - 1)?)
        }
        Some(Style::Plain) => (0, raw),
        _ => return None,
    };
    let rest = inner.strip_prefix(key)?;
    if !rest.starts_with(['=', ':']) {
        return None;
    }
    let at = from + key.len() + 1;
    Some(item.span.sub(at, from + inner.len()))
}

/// The span of bytes `[from, to)` of a scalar's value, mapped into its source text
/// when the value is written there verbatim; otherwise the whole scalar.
pub fn sub_span(node: NodeRef<'_>, sources: &Sources, from: usize, to: usize) -> Span {
    let Some(value) = node.as_str() else {
        return node.span();
    };
    let src = sources.get(node.span().file);
    let raw = src.slice(&node.span());
    let inner = match node.as_scalar().map(|s| s.style) {
        Some(Style::SingleQuoted | Style::DoubleQuoted) if raw.len() >= 2 => {
            (1, &raw[1..raw.len() - 1])
        }
        _ => (0, raw),
    };
    if inner.1 == value {
        return node.span().sub(inner.0 + from, inner.0 + to);
    }
    // Escapes, folding or interpolation changed the text: find the piece itself
    // in the source. Where it should be comes first: a piece that ends the value
    // ends the text, one that starts it starts it, and one after a `${VAR:-x}`
    // moved by the difference in length (`${SOCK:-/run/x}:/run/x` has the piece
    // `/run/x` twice).
    if let Some(piece) = value.get(from..to) {
        if !piece.is_empty() {
            let raw = inner.1;
            let shifted = (from + raw.len()).checked_sub(value.len());
            let at = [
                (to == value.len())
                    .then(|| raw.len().checked_sub(piece.len()))
                    .flatten(),
                (from == 0).then_some(0),
                Some(from),
                shifted,
            ]
            .into_iter()
            .flatten()
            .find(|&i| raw.get(i..i + piece.len()) == Some(piece))
            .or_else(|| raw.find(piece));
            if let Some(i) = at {
                return node.span().sub(inner.0 + i, inner.0 + i + piece.len());
            }
        }
    }
    node.span()
}

/// `depends_on: [a, b]` → `{a: null, b: null}` (a name alone waits for the
/// service to start); `networks: [a, b]` alike.
fn depends_on_to_map(v: &mut Node) {
    let Value::Seq(items) = v.value() else {
        return;
    };
    // Collected into an exact slice: most of these lists hold one or two names.
    v.set_value(Value::Map(
        items
            .iter()
            .filter(|i| i.as_str().is_some())
            .map(|i| (i.clone(), Node::null(i.span)))
            .collect(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use crate::source::{FileId, FileKind, SourceFile};

    fn tree(text: &str, id: u32) -> (SourceFile, Node) {
        let f = SourceFile::new("t.yaml", FileKind::Compose, text.to_string());
        let y = yaml::parse(FileId(id), &f);
        assert!(y.diags.is_empty(), "{:?}", y.diags);
        let n = y.docs.into_iter().next().unwrap();
        (f, n)
    }

    fn merged(a: &str, b: &str) -> Node {
        let (_, mut base) = tree(a, 0);
        let (_, over) = tree(b, 1);
        merge(&mut base, over, &mut Vec::new());
        base
    }

    /// A scan of a small mapping finds what the index finds: the same entries in
    /// the same order, on generated mappings with keys listed twice, `!reset`
    /// and `!override` entries, new keys and nested mappings.
    #[test]
    fn a_scanned_merge_is_the_indexed_merge() {
        use crate::parse::testing::Lcg;
        let span = Span::new(FileId(0), 0, 0);
        let mut rng = Lcg(11);
        let entry = |rng: &mut Lcg| -> (Node, Node) {
            let key = ["a", "b", "c", "d", "e"][rng.below(5) as usize];
            let k = Node::scalar(span, key, Style::Plain);
            let v = match rng.below(6) {
                0 => Node::new(
                    span,
                    Value::map(vec![(
                        Node::scalar(span, "n", Style::Plain),
                        Node::scalar(span, format!("{}", rng.below(9)), Style::Plain),
                    )]),
                ),
                1 => Node::null(span).with_tag(Some("!reset".into())),
                2 => Node::scalar(span, "o", Style::Plain).with_tag(Some("!override".into())),
                _ => Node::scalar(span, format!("{}", rng.below(9)), Style::Plain),
            };
            (k, v)
        };
        for _ in 0..500 {
            let base: Vec<(Node, Node)> = (0..rng.below(8)).map(|_| entry(&mut rng)).collect();
            let over: Vec<(Node, Node)> = (0..rng.below(8)).map(|_| entry(&mut rng)).collect();
            let (mut scanned, mut indexed) = (base.clone(), base);
            merge_maps_by(&mut scanned, over.clone(), &mut Vec::new(), true);
            merge_maps_by(&mut indexed, over, &mut Vec::new(), false);
            assert_eq!(scanned, indexed);
        }
    }

    /// A key listed twice is found at its first entry; `!reset` takes that one
    /// out, and the next override of the key lands on the second. Both ways.
    #[test]
    fn a_reset_key_passes_to_its_next_entry() {
        let span = Span::new(FileId(0), 0, 0);
        let s = |v: &str| Node::scalar(span, v, Style::Plain);
        let shown = |m: &[(Node, Node)]| {
            m.iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        k.as_str().unwrap_or("?"),
                        v.as_str().unwrap_or("~")
                    )
                })
                .collect::<Vec<_>>()
        };
        for small in [true, false] {
            let mut base = vec![(s("a"), s("1")), (s("a"), s("2")), (s("b"), s("3"))];
            let over = vec![
                (s("a"), Node::null(span).with_tag(Some("!reset".into()))),
                (s("a"), s("9")),
                (s("b"), s("4")),
            ];
            merge_maps_by(&mut base, over, &mut Vec::new(), small);
            assert_eq!(shown(&base), ["a=9", "b=4"], "small: {small}");
        }
    }

    #[test]
    fn maps_merge_and_scalars_override() {
        let m = merged(
            "services:\n  a:\n    image: x\n    restart: always\n",
            "services:\n  a:\n    image: y\n",
        );
        let a = m.get("services").unwrap().get("a").unwrap();
        assert_eq!(a.get("image").unwrap().as_str(), Some("y"));
        assert_eq!(a.get("image").unwrap().span.file, FileId(1));
        assert_eq!(a.get("restart").unwrap().span.file, FileId(0));
    }

    #[test]
    fn command_replaces_and_ports_append() {
        let m = merged(
            "services:\n  a:\n    command: [a, b]\n    ports: ['80:80']\n",
            "services:\n  a:\n    command: [c]\n    ports: ['443:443', '80:80']\n",
        );
        let a = m.get("services").unwrap().get("a").unwrap();
        assert_eq!(a.get("command").unwrap().as_seq().unwrap().len(), 1);
        assert_eq!(a.get("ports").unwrap().as_seq().unwrap().len(), 2);
    }

    #[test]
    fn reset_and_override_tags() {
        let m = merged(
            "services:\n  a:\n    ports: ['80:80']\n    environment: {A: 1, B: 2}\n",
            "services:\n  a:\n    ports: !reset []\n    environment: !override {C: 3}\n",
        );
        let a = m.get("services").unwrap().get("a").unwrap();
        assert!(a.get("ports").is_none());
        let env: Vec<&str> = a.get("environment").unwrap().keys().collect();
        assert_eq!(env, vec!["C"]);
    }

    #[test]
    fn merged_keys_keep_the_base_order_and_new_keys_follow() {
        let m = merged(
            "services:\n  a:\n    environment: {A: 1, B: 2, C: 3}\n",
            "services:\n  a:\n    environment: {D: 4, B: !reset null, A: 5, E: 6}\n",
        );
        let env = m
            .get("services")
            .unwrap()
            .get("a")
            .unwrap()
            .get("environment");
        let env = env.unwrap();
        assert_eq!(env.keys().collect::<Vec<_>>(), vec!["A", "C", "D", "E"]);
        assert_eq!(env.get("A").unwrap().as_str(), Some("5"));
    }

    #[test]
    fn a_key_listed_twice_merges_into_its_first_place_then_its_second() {
        // A list form normalized to a mapping may repeat a key: the override goes to
        // the first one, and once that is reset, to the next.
        let (_, over) = tree("{K: !reset null, L: 1}\n", 1);
        let (_, mut base) = tree("{K: 1, X: 2}\n", 0);
        if let Value::Map(entries) = base.value_mut() {
            let k = entries[0].clone();
            let mut v = take_items(entries);
            v.push((k.0, Node::null(k.1.span)));
            *entries = v.into();
        }
        merge(&mut base, over.clone(), &mut Vec::new());
        assert_eq!(base.keys().collect::<Vec<_>>(), vec!["X", "K", "L"]);
        assert!(base.get("K").unwrap().is_null());
        merge(&mut base, over, &mut Vec::new());
        assert_eq!(base.keys().collect::<Vec<_>>(), vec!["X", "L"]);
    }

    #[test]
    fn list_items_with_one_identity_replace_the_first() {
        let m = merged(
            "services:\n  a:\n    volumes: [/a:/data, /b:/logs]\n    dns: [x, y]\n",
            "services:\n  a:\n    volumes: [{type: bind, source: /c, target: /data}, /d:/d]\n    dns: [y, z]\n",
        );
        let a = m.get("services").unwrap().get("a").unwrap();
        let dns: Vec<_> = a
            .get("dns")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(dns, vec![Some("x"), Some("y"), Some("z")]);
        let volumes = a.get("volumes").unwrap().as_seq().unwrap();
        assert_eq!(volumes.len(), 4);
    }

    #[test]
    fn environment_list_normalizes_with_spans() {
        let (f, mut n) = tree("environment:\n  - \"A=1\"\n  - B=two\n  - C\n", 0);
        let mut sources = Sources::new();
        sources.add(f);
        normalize_service(&mut n, &sources, &Normalized::default());
        let f = sources.get(FileId(0));
        let env = n.get("environment").unwrap();
        let (k, v) = env.get_entry("B").unwrap();
        assert_eq!(f.slice(&k.span), "B");
        assert_eq!(f.slice(&v.span), "two");
        let (k, v) = env.get_entry("A").unwrap();
        assert_eq!(f.slice(&k.span), "A");
        assert_eq!(f.slice(&v.span), "1");
        assert!(env.get("C").unwrap().is_null());
    }

    /// Services that share an anchored list share the mapping it becomes, and
    /// that mapping is the one a list of their own becomes; `extra_hosts` splits
    /// the same items otherwise, and a service's own list is rewritten alone.
    #[test]
    fn a_shared_list_is_rewritten_once() {
        let text = "x: &l [\"A=1\", \"h:2\"]\ns:\n  a: {environment: *l, networks: *l, extra_hosts: *l}\n  \
                    b: {environment: *l, networks: *l, extra_hosts: *l}\n  \
                    c: {environment: [\"A=1\", \"h:2\"], networks: [n]}\n";
        let (f, root) = tree(text, 0);
        let mut sources = Sources::new();
        sources.add(f);
        let shared = Normalized::default();
        let mut services: Vec<Node> = ["a", "b", "c"]
            .map(|s| root.get("s").unwrap().get(s).unwrap().clone())
            .into();
        for svc in &mut services {
            normalize_service(svc, &sources, &shared);
        }
        drop(shared);
        let map = |i: usize, key: &str| match services[i].get(key).unwrap().value() {
            Value::Map(m) => Arc::clone(m),
            v => panic!("{key} of service {i} is not a mapping: {v:?}"),
        };
        for key in ["environment", "networks", "extra_hosts"] {
            assert!(Arc::ptr_eq(&map(0, key), &map(1, key)), "{key}");
        }
        assert!(!Arc::ptr_eq(&map(0, "environment"), &map(0, "extra_hosts")));
        assert!(!Arc::ptr_eq(&map(0, "environment"), &map(0, "networks")));
        let pairs = |m: Arc<[(Node, Node)]>| -> Vec<(String, Option<String>)> {
            m.iter()
                .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().map(str::to_string)))
                .collect()
        };
        assert_eq!(pairs(map(0, "environment")), pairs(map(2, "environment")));
        let keys = |i: usize, key: &str| -> Vec<String> {
            services[i]
                .get(key)
                .unwrap()
                .keys()
                .map(str::to_string)
                .collect()
        };
        assert_eq!(keys(0, "environment"), ["A", "h:2"]);
        assert_eq!(keys(0, "extra_hosts"), ["A", "h"]);
        assert_eq!(keys(0, "networks"), ["A=1", "h:2"]);
        assert_eq!(keys(2, "networks"), ["n"]);
    }
}
