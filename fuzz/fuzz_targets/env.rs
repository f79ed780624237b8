#![no_main]
//! The `.env` parser and the expansion of its values (`B=${A}${A}`), as the loader
//! runs them on a project's `.env`.

use libfuzzer_sys::fuzz_target;
use stacklint::compose::env::{expand_into, NoVars, Vars};
use stacklint::parse::env;
use stacklint::source::{FileKind, SourceFile, Sources};
use stacklint_fuzz::{check_diags, check_span, init, text};

fuzz_target!(|data: &[u8]| {
    init();
    let mut sources = Sources::new();
    let id = sources.add(SourceFile::new(".env", FileKind::Env, text(data)));
    let src = sources.get(id);
    let parsed = env::parse(id, src);
    check_diags(src, &parsed.diags);
    for e in &parsed.entries {
        check_span(src, &e.key_span);
        check_span(src, &e.value_span);
    }
    let mut vars = Vars::default();
    let diags = expand_into(&parsed, &mut vars, &NoVars);
    check_diags(src, &diags);
});
