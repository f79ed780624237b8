#![no_main]
//! parse::yaml on arbitrary bytes: no panic (except the reader's own, which the
//! parser catches), no hang, and spans inside the text. And the fast reader gives
//! libyaml's own events wherever it does not decline the text. And the
//! compose-spec check judges each mapping as `jsonschema` does. And a tree
//! frozen into an arena reads as the tree itself.

use libfuzzer_sys::fuzz_target;
use stacklint::compose::{schema, schema_view};
use stacklint::parse::yaml::{self, Node, Value};
use stacklint::source::{FileKind, SourceFile, Sources};
use stacklint_fuzz::{check_diags, check_span, init, text};

fn walk(src: &SourceFile, n: &Node, budget: &mut usize) {
    // Aliases may repeat a subtree up to the alias budget; walking it all is enough.
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    check_span(src, &n.span);
    match n.value() {
        Value::Seq(items) => items.iter().for_each(|i| walk(src, i, budget)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            walk(src, k, budget);
            walk(src, v, budget);
        }),
        Value::Null | Value::Scalar(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    init();
    let mut sources = Sources::new();
    let id = sources.add(SourceFile::new(
        "compose.yaml",
        FileKind::Compose,
        text(data),
    ));
    let src = sources.get(id);
    assert_ne!(
        yaml::fast_reader_agrees(&src.text),
        Some(false),
        "the fast reader's events are not libyaml's"
    );
    let parsed = yaml::parse(id, src);
    check_diags(src, &parsed.diags);
    let mut budget = 1_000_000;
    for doc in &parsed.docs {
        walk(src, doc, &mut budget);
        // A short text bounds the frozen copy, walked beside the tree.
        if src.text.len() <= 4096 {
            let frozen = std::sync::Arc::new(yaml::Frozen::freeze(doc, src.text.len()));
            let diffs = yaml::differences(doc.read(), frozen.root());
            assert!(
                diffs.is_empty(),
                "the frozen tree reads otherwise: {diffs:?}"
            );
        }
        // A short text bounds the JSON copy (its aliases may still expand it
        // to a few hundred thousand nodes, within what the reader allows).
        if doc.as_map().is_some() && src.text.len() <= 4096 {
            let copy = schema::VALIDATOR
                .as_ref()
                .map(|v| v.is_valid(&schema::to_json_value(doc.read())));
            assert_eq!(
                Some(schema_view::is_valid(doc.read())),
                copy,
                "the compose-spec check and jsonschema differ"
            );
        }
    }
});
