//! [`Frozen`]: a finished tree in one arena, as the rules read it.
//!
//! The loader builds, merges and interpolates trees of [`Node`]s (40 bytes a
//! node, a mapping entry 80, each collection an allocation of its own). Once a
//! project's merged tree is final, it is copied here and the `Node` tree is
//! dropped: a node is then a 20-byte slot, children are runs of slots, and
//! scalar texts are ranges of one string (the short ones, keys above all,
//! stored once). On a stack of 2,000 services the tree took 3.7 MB as
//! `Node`s and takes 1.7 MB here. The `Node` tree's pages go back to the
//! system when it is dropped (jemalloc is built to give them back at once,
//! `.cargo/config.toml`): kept, the later allocations seldom fitted them.
//!
//! A collection met through several aliases is one run, as it was one `Arc`:
//! its nodes keep one identity, and [`Frozen::shared`] says it is shared.

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};

use super::node::{Node, Style, Value};
use super::NodeRef;
use crate::parse::interpolate::VarUse;
use crate::source::Span;

/// One node: where it is written, its value's place (a scalar's text in
/// [`Frozen::text`], a collection's run of slots) and its kind.
#[derive(Clone, Copy, Debug)]
struct Slot {
    span: Span,
    /// A scalar's first byte in the text; a collection's first slot.
    at: u32,
    /// A scalar's length in bytes or a collection's number of items (entries),
    /// above [`FLAGS`]; the node's kind, style and flags below.
    len_bits: u32,
}

const NULL: u32 = 0;
const SCALAR: u32 = 1;
const SEQ: u32 = 2;
const MAP: u32 = 3;
const KIND: u32 = 3;
const STYLE_SHIFT: u32 = 2;
const STYLE: u32 = 7 << STYLE_SHIFT;
/// The node has a tag or variables ([`Frozen::rare`]).
const RARE: u32 = 1 << 5;
/// Its run is held by more than one node (an anchor's, met through aliases).
const SHARED: u32 = 1 << 6;
/// Bits taken by the kind, style and flags. A length fits in the rest: a
/// scalar is at most a file (8 MiB) and what interpolation adds (1 MiB), a
/// collection at most a file's nodes (500,000, `MAX_NODES`).
const FLAGS: u32 = 7;
const MAX_LEN: usize = (u32::MAX >> FLAGS) as usize;

const BLANK: Slot = Slot {
    span: Span::EMPTY,
    at: 0,
    len_bits: NULL,
};

/// Strings up to this long are stored once however often they occur (keys,
/// short values); longer ones are rarely repeated and are not looked up.
const INTERNED: usize = 32;

/// A finished YAML tree in one arena; its root is slot 0.
#[derive(Debug, Default)]
pub struct Frozen {
    slots: Vec<Slot>,
    text: String,
    /// Tags and variables of the few nodes that have them, by slot.
    rare: Vec<Rare>,
}

/// The slot of a node with a tag or variables, and them.
type Rare = (u32, Option<Box<str>>, Option<Arc<[VarUse]>>);

/// What [`Frozen`] answers of one node; read through [`super::NodeRef`].
pub(super) enum Read<'a> {
    Null,
    Scalar(&'a str),
    Seq(u32, u32),
    Map(u32, u32),
}

impl Frozen {
    /// `root` copied into an arena. Iterative: through chains of aliases a value
    /// nests deeper than any text does. `source_bytes`, the size of the files it
    /// was read from, sizes the arena: about a slot for each 9 bytes of a compose
    /// file, so a slot for each 4 is rarely outgrown (a vector grown by doubling
    /// copied a large tree's slots again and again), and what is not written is
    /// never touched, then given back.
    pub fn freeze(root: &Node, source_bytes: usize) -> Frozen {
        let mut f = Frozen {
            slots: Vec::with_capacity(source_bytes / 4 + 16),
            text: String::with_capacity(source_bytes / 2 + 64),
            rare: Vec::new(),
        };
        // Runs already copied, by the address of the shared collection they
        // copy: the slot of the run and of the first node that holds it.
        let mut runs: HashMap<usize, (u32, u32)> = HashMap::new();
        let mut interned: HashMap<&str, u32> = HashMap::new();
        let mut work: Vec<(u32, &Node)> = vec![(0, root)];
        f.slots.push(BLANK);
        while let Some((at, n)) = work.pop() {
            let mut bits = style_bits(n.style);
            let value = n.value();
            let shared = value.shared_address(1);
            // A collection's run is new (its children are copied next) or one
            // already copied, which this node shares.
            let (kind, first, len, seen) = match value {
                Value::Null => (NULL, 0, 0, false),
                Value::Scalar(s) => (SCALAR, f.store(s, &mut interned), s.len(), false),
                Value::Seq(items) => {
                    let (run, new) =
                        f.run(&mut runs, &mut work, shared, at, items.len(), items.iter());
                    (SEQ, run, items.len(), !new)
                }
                Value::Map(entries) => {
                    // A mapping's run is its keys and values in turn.
                    let children = entries.iter().flat_map(|(k, v)| [k, v]);
                    let (run, new) = f.run(
                        &mut runs,
                        &mut work,
                        shared,
                        at,
                        2 * entries.len(),
                        children,
                    );
                    (MAP, run, entries.len(), !new)
                }
            };
            if seen {
                bits |= SHARED;
            }
            let tag = n.tag_str();
            let vars = n.shared_vars();
            if tag.is_some() || vars.is_some() {
                bits |= RARE;
                f.rare.push((at, tag.map(Into::into), vars.cloned()));
            }
            if let Some(slot) = f.slots.get_mut(at as usize) {
                // SHARED may have been set already, by a later holder of its run.
                let flags = (slot.len_bits & SHARED) | bits | kind;
                *slot = Slot {
                    span: n.span,
                    at: first,
                    len_bits: ((len.min(MAX_LEN) as u32) << FLAGS) | flags,
                };
            }
        }
        f.rare.sort_unstable_by_key(|r| r.0);
        f.rare.shrink_to_fit();
        f.slots.shrink_to_fit();
        f.text.shrink_to_fit();
        f
    }

    /// The run of a collection of `slots` slots, held by slot `holder`, and
    /// whether it is new rather than one already copied: a new run's `children`
    /// (in slot order) are queued on `work` to be copied. Only a shared
    /// collection (`shared`: its address, when another node holds it too) can
    /// be met again; an empty one has no run to share.
    fn run<'n>(
        &mut self,
        runs: &mut HashMap<usize, (u32, u32)>,
        work: &mut Vec<(u32, &'n Node)>,
        shared: Option<usize>,
        holder: u32,
        slots: usize,
        children: impl DoubleEndedIterator<Item = &'n Node>,
    ) -> (u32, bool) {
        if slots == 0 {
            return (0, true);
        }
        if let Some(&(run, first)) = shared.and_then(|address| runs.get(&address)) {
            if let Some(s) = self.slots.get_mut(first as usize) {
                s.len_bits |= SHARED;
            }
            return (run, false);
        }
        let run = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slots.resize(self.slots.len() + slots, BLANK);
        if let Some(address) = shared {
            runs.insert(address, (run, holder));
        }
        // Queued last first, so that the first is copied first: the arena then
        // holds the tree in the text's order, the order it is read in.
        let at = (run..run.saturating_add(slots as u32)).rev();
        work.extend(children.rev().zip(at).map(|(n, i)| (i, n)));
        (run, true)
    }

    /// Where `s` is in the text, stored now unless a short string already is.
    fn store<'n>(&mut self, s: &'n str, interned: &mut HashMap<&'n str, u32>) -> u32 {
        if s.len() <= INTERNED {
            if let Some(&at) = interned.get(s) {
                return at;
            }
        }
        // Texts past 4 GiB cannot be reached: the files read are bounded far below.
        let at = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(s);
        if s.len() <= INTERNED {
            interned.insert(s, at);
        }
        at
    }

    #[inline]
    pub(super) fn span(&self, i: u32) -> Span {
        self.slot(i).span
    }

    #[inline]
    fn slot(&self, i: u32) -> Slot {
        self.slots.get(i as usize).copied().unwrap_or(BLANK)
    }

    #[inline]
    fn bits(&self, i: u32) -> u32 {
        self.slot(i).len_bits
    }

    #[inline]
    pub(super) fn style(&self, i: u32) -> Style {
        match (self.bits(i) & STYLE) >> STYLE_SHIFT {
            1 => Style::SingleQuoted,
            2 => Style::DoubleQuoted,
            3 => Style::Literal,
            4 => Style::Folded,
            _ => Style::Plain,
        }
    }

    #[inline]
    pub(super) fn read(&self, i: u32) -> Read<'_> {
        let s = self.slot(i);
        let len = s.len_bits >> FLAGS;
        match s.len_bits & KIND {
            SCALAR => Read::Scalar(
                self.text
                    .get(s.at as usize..s.at as usize + len as usize)
                    .unwrap_or(""),
            ),
            SEQ => Read::Seq(s.at, len),
            MAP => Read::Map(s.at, len),
            _ => Read::Null,
        }
    }

    /// The scalar text of node `i`.
    #[inline]
    pub(super) fn as_str(&self, i: u32) -> Option<&str> {
        match self.read(i) {
            Read::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The slot of the key `key` in mapping `i` (its value is the next slot).
    #[inline]
    pub(super) fn find_key(&self, i: u32, key: &str) -> Option<u32> {
        let s = self.slot(i);
        if s.len_bits & KIND != MAP {
            return None;
        }
        let len = (s.len_bits >> FLAGS) as usize;
        let run = self.slots.get(s.at as usize..s.at as usize + 2 * len)?;
        let text = self.text.as_bytes();
        let wanted = key.as_bytes();
        // A scalar of the key's length, in one comparison (most keys differ in
        // length), then its bytes.
        if wanted.len() > MAX_LEN {
            return None;
        }
        let kind_and_length = ((wanted.len() as u32) << FLAGS) | SCALAR;
        let same = !(STYLE | RARE | SHARED);
        run.iter()
            .step_by(2)
            .position(|k| {
                k.len_bits & same == kind_and_length
                    && text.get(k.at as usize..k.at as usize + wanted.len()) == Some(wanted)
            })
            .map(|j| s.at + 2 * j as u32)
    }

    /// Whether node `i`'s run is held by another node too.
    #[inline]
    pub(super) fn shared(&self, i: u32) -> bool {
        self.bits(i) & SHARED != 0
    }

    #[inline]
    fn rare(&self, i: u32) -> Option<&Rare> {
        if self.bits(i) & RARE == 0 {
            return None;
        }
        let at = self.rare.binary_search_by_key(&i, |r| r.0).ok()?;
        self.rare.get(at)
    }

    #[inline]
    pub(super) fn tag_str(&self, i: u32) -> Option<&str> {
        self.rare(i)?.1.as_deref()
    }

    #[inline]
    pub(super) fn vars(&self, i: u32) -> &[VarUse] {
        self.rare(i).and_then(|r| r.2.as_deref()).unwrap_or(&[])
    }

    /// The address of slot `i`: a node's identity while the tree lives.
    #[inline]
    pub(super) fn address(&self, i: u32) -> usize {
        self.slots
            .get(i as usize)
            .map_or(0, |s| std::ptr::from_ref::<Slot>(s) as usize)
    }

    /// The bytes the tree holds (its vectors' capacities).
    pub fn heap_size(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.text.capacity()
            + self.rare.capacity() * std::mem::size_of::<Rare>()
    }
}

fn style_bits(style: Style) -> u32 {
    let n = match style {
        Style::Plain => 0,
        Style::SingleQuoted => 1,
        Style::DoubleQuoted => 2,
        Style::Literal => 3,
        Style::Folded => 4,
    };
    n << STYLE_SHIFT
}

/// The differences between two readings of one tree (the loader's and the
/// frozen copy), walked side by side without recursion: empty when they agree
/// on every node's kind, span, style, text, tag, variables and entries (found
/// in order and by key), and on which nodes are one node (an anchor's, met
/// through aliases). For the tests and the fuzz target.
pub fn differences(a: NodeRef<'_>, b: NodeRef<'_>) -> Vec<String> {
    use super::Kind;
    let mut out = Vec::new();
    // The identity each reading gave a node the other gave `key`.
    let (mut ab, mut ba): (HashMap<usize, usize>, HashMap<usize, usize>) = Default::default();
    let mut work = vec![(a, b, String::from("$"))];
    // Paths past this long are cut (a chain of aliases nests without bound).
    let step = |path: &str, next: &str| -> String {
        if path.len() > 200 {
            path.to_string()
        } else {
            format!("{path}{next}")
        }
    };
    while let Some((a, b, path)) = work.pop() {
        if out.len() >= 20 {
            break;
        }
        let said = |what: &str| format!("{path}: {what}");
        let two = ab.insert(a.id(), b.id()).is_some_and(|was| was != b.id());
        let one = ba.insert(b.id(), a.id()).is_some_and(|was| was != a.id());
        if two || one {
            out.push(said("nodes are not the same nodes"));
        }
        if (a.span(), a.style(), a.tag_str(), a.vars())
            != (b.span(), b.style(), b.tag_str(), b.vars())
        {
            out.push(said("span, style, tag or variables differ"));
        }
        // What the copy shares, the tree shares. Not the other way round: a
        // tree's collection may also be held outside it (by a later document's
        // alias, or a file's own tree), which a copy of the tree alone cannot
        // see; which nodes are one node is checked above.
        if b.shared_key().is_some() && a.shared_key().is_none() {
            out.push(said("shared in the copy only"));
        }
        match (a.kind(), b.kind()) {
            (Kind::Null, Kind::Null) => {}
            (Kind::Scalar(x), Kind::Scalar(y)) => {
                if x != y || a.as_bool() != b.as_bool() {
                    out.push(said("scalars differ"));
                }
            }
            (Kind::Seq(x), Kind::Seq(y)) => {
                if x.len() != y.len() || x.first().map(|n| n.span()) != y.first().map(|n| n.span())
                {
                    out.push(said("items differ"));
                }
                for (i, (x, y)) in x.iter().zip(y.iter()).enumerate() {
                    work.push((x, y, step(&path, &format!("[{i}]"))));
                }
            }
            (Kind::Map(x), Kind::Map(y)) => {
                if x.len() != y.len() || !a.keys().eq(b.keys()) {
                    out.push(said("entries differ"));
                }
                for ((xk, xv), (yk, yv)) in x.iter().zip(y.iter()) {
                    let key = xk.as_str().unwrap_or("?").to_string();
                    let spans = |e: Option<(NodeRef<'_>, NodeRef<'_>)>| {
                        e.map(|(k, v)| (k.span(), v.span()))
                    };
                    if spans(a.get_entry(&key)) != spans(b.get_entry(&key)) {
                        out.push(format!("{path}.{key}: found differently by key"));
                    }
                    work.push((xk, yk, step(&path, &format!(".{key}(key)"))));
                    work.push((xv, yv, step(&path, &format!(".{key}"))));
                }
            }
            _ => out.push(said("kinds differ")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml::tests::{drop_nested, load, nested};
    use crate::source::FileId;

    fn frozen_agrees(text: &str) {
        let (_, y) = load(text);
        assert!(!y.docs.is_empty(), "{text:?}: {:?}", y.diags);
        for doc in &y.docs {
            let f = Arc::new(Frozen::freeze(doc, 0));
            let diffs = differences(doc.read(), f.root());
            assert!(diffs.is_empty(), "{text:?}: {diffs:?}");
        }
    }

    /// Every kind of node, style, tag, anchor, alias and merge key reads the
    /// same frozen.
    #[test]
    fn the_frozen_tree_reads_as_the_tree() {
        for text in [
            "a: 1\nb: [x, 'y', \"z\"]\nc: {d: ~, e: []}\nf: {}\n",
            "x: &a {p: 1, q: [1, 2]}\ny: *a\nz: *a\n",
            "base: &b {restart: always, logging: {driver: x}}\ns1: {<<: *b, image: a}\ns2:\n  <<: *b\n  restart: 'no'\n",
            "l: &l [a, b]\nm: [*l, *l, {k: *l}]\n",
            "t: !!str 1\nu: !reset []\nv: !override {a: 1}\nw: !custom x\n",
            "lit: |\n  line\n  two\nfold: >\n  a\n  b\nnon-ascii: ünï 😀\n",
            "? [complex, key]\n: value\n? {k: v}\n: 2\n1: one\n~: null key\n",
            "bools: [yes, No, ON, off, TRUE, false, y]\n",
            "empty:\nnulls: [~, null, '']\n",
            "- top\n- level\n- [list]\n",
            "a: 1\n---\nb: 2\n",
            // An alias of an earlier document's anchor (found by the fuzz target).
            "x: &b {image: a, restart: b}\n---\nx: &e {k: v}\nweb:\n  l: [*b]\n",
        ] {
            frozen_agrees(text);
        }
    }

    /// The stacks under `fixtures/` read the same frozen.
    #[test]
    fn the_fixtures_read_the_same_frozen() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut read = 0;
        for e in walkdir::WalkDir::new(root).sort_by_file_name() {
            let Ok(e) = e else { continue };
            let p = e.path();
            if !matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(p) else {
                continue;
            };
            let (_, y) = load(&text);
            for doc in &y.docs {
                let f = Arc::new(Frozen::freeze(doc, 0));
                let diffs = differences(doc.read(), f.root());
                assert!(diffs.is_empty(), "{}: {diffs:?}", p.display());
                read += 1;
            }
        }
        assert!(read > 300, "only {read} documents under fixtures/");
    }

    /// Tags and the variables interpolation recorded carry over; a node without
    /// them has none.
    #[test]
    fn tags_and_variables_carry_over() {
        use crate::parse::interpolate::{Op, VarUse};
        let at = |n: usize| Span::new(FileId(3), n, n + 1);
        let var = VarUse {
            name: "V".into(),
            op: Op::Plain,
            range: 0..4,
            defined: true,
            span: None,
            source: None,
        };
        let mut tagged = Node::scalar(at(1), "x", Style::DoubleQuoted);
        tagged.set_vars(vec![var.clone()]);
        tagged.set_tag(Some("!!str".into()));
        let root = Node::new(
            at(0),
            Value::seq(vec![tagged, Node::scalar(at(2), "y", Style::Plain)]),
        );
        let f = Arc::new(Frozen::freeze(&root, 0));
        let items = f.root().as_seq().expect("a sequence");
        let (x, y) = (items.get(0).expect("x"), items.get(1).expect("y"));
        assert_eq!(x.tag_str(), Some("!!str"));
        assert_eq!(x.vars(), [var]);
        assert_eq!(x.style(), Style::DoubleQuoted);
        assert_eq!(x.span(), at(1));
        assert_eq!((y.tag_str(), y.vars().len()), (None, 0));
        assert!(differences(root.read(), f.root()).is_empty());
    }

    /// A tree nested far deeper than a stack of 256 KiB could recurse (as
    /// chains of aliases make) is frozen and compared.
    #[test]
    fn deep_trees_freeze_without_recursion() {
        let n = nested("leaf", 50_000);
        let checked = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let f = Arc::new(Frozen::freeze(&n, 0));
                let diffs = differences(n.read(), f.root());
                let mut leaf = f.root();
                while let Some(first) = leaf.as_seq().and_then(|s| s.first()) {
                    leaf = first;
                }
                let found = leaf.as_str().map(str::to_string);
                (diffs, found, n)
            })
            .and_then(|t| t.join().map_err(|_| std::io::Error::other("overflowed")));
        let (diffs, found, n) = match checked {
            Ok(v) => v,
            Err(e) => panic!("freezing ran out of stack: {e}"),
        };
        assert!(diffs.is_empty(), "{diffs:?}");
        assert_eq!(found.as_deref(), Some("leaf"));
        drop_nested(n);
    }

    /// An anchored block merged into each of many services is one run: the
    /// arena grows by what each service writes, about a kilobyte.
    #[test]
    fn anchored_services_take_about_a_kilobyte_each() {
        let size = |n: usize| {
            let mut text = String::from(
                "x-d: &d\n  restart: always\n  logging: {driver: local, options: {max-size: 1m}}\n\
                 \x20 deploy: {resources: {limits: {memory: 1G}}}\nservices:\n",
            );
            for i in 0..n {
                text.push_str(&format!(
                    "  s{i}:\n    <<: *d\n    image: registry.example.com/app{i}:1\n    \
                     command: [gunicorn, -b, \"0.0.0.0:80\", app:wsgi]\n    \
                     environment: {{NAME: s{i}, LEVEL: info}}\n"
                ));
            }
            let (_, y) = load(&text);
            Frozen::freeze(&y.docs[0], text.len()).heap_size()
        };
        let (small, large) = (size(100), size(400));
        let per_service = (large - small) / 300;
        assert!(per_service < 1024, "{per_service} bytes a service");
    }
}
