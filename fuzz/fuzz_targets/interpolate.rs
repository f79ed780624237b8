#![no_main]
//! The `${}` parser/expander. Input: `.env` text, NUL, a template. The `.env` is
//! parsed and expanded as the loader does, and its variables serve the template;
//! without a NUL the whole input is the template over a few fixed variables.

use libfuzzer_sys::fuzz_target;
use stacklint::compose::env::{expand_into, NoVars, Vars};
use stacklint::parse::interpolate::{interpolate, MAX_SUBSTITUTED};
use stacklint::source::{FileKind, SourceFile, Sources};
use stacklint_fuzz::{init, split, text};

fuzz_target!(|data: &[u8]| {
    init();
    let parts = split(data, 2);
    let mut vars = Vars::default();
    let template = if let [env_text, template] = parts[..] {
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new(".env", FileKind::Env, text(env_text)));
        let parsed = stacklint::parse::env::parse(id, sources.get(id));
        let _ = expand_into(&parsed, &mut vars, &NoVars);
        text(template)
    } else {
        for (k, v) in [
            ("A", "a"),
            ("EMPTY", ""),
            ("LONG", "0123456789abcdef"),
            ("D", "$A"),
        ] {
            vars.insert(k.to_string(), v.to_string(), None);
        }
        text(data)
    };
    match interpolate(&template, &vars) {
        Ok(out) => {
            // The bound holds: substituted values add at most MAX_SUBSTITUTED bytes.
            assert!(
                out.value.len() <= template.len() + MAX_SUBSTITUTED,
                "{} bytes from a template of {}",
                out.value.len(),
                template.len()
            );
            for u in &out.uses {
                assert!(u.range.start <= u.range.end && u.range.end <= template.len());
                assert!(template.is_char_boundary(u.range.start));
                assert!(template.is_char_boundary(u.range.end));
            }
        }
        Err(e) => {
            assert!(e.range.start <= e.range.end && e.range.end <= template.len());
            assert!(template.is_char_boundary(e.range.start));
            assert!(template.is_char_boundary(e.range.end));
        }
    }
});
