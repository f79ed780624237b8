#![no_main]
//! The Dockerfile reader and the queries the loader and rules make of it.

use libfuzzer_sys::fuzz_target;
use stacklint::parse::dockerfile;
use stacklint::source::{FileKind, SourceFile, Sources};
use stacklint_fuzz::{check_span, init, text};

fuzz_target!(|data: &[u8]| {
    init();
    let mut sources = Sources::new();
    let id = sources.add(SourceFile::new(
        "Dockerfile",
        FileKind::Dockerfile,
        text(data),
    ));
    let src = sources.get(id);
    let parsed = dockerfile::parse(id, src);
    for i in &parsed.instructions {
        check_span(src, &i.span);
        for w in &i.args {
            check_span(src, &w.span);
        }
    }
    let _ = parsed.final_stage();
    let _ = parsed.copies();
    let _ = parsed.from_images();
});
