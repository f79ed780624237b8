//! What the fuzz targets share: the panic hook, span checks, input splitting and a
//! scratch directory for the targets that must read files from disk.

use std::path::{Path, PathBuf};
use std::sync::Once;

use stacklint::finding::ParseDiag;
use stacklint::source::{SourceFile, Span};

/// The byte that separates the files of a multi-file input (`stack`, `interpolate`).
/// NUL: text files never hold it, so seeds are readable and the fuzzer rarely splits
/// a file by accident.
pub const SEPARATOR: u8 = 0;

static HOOK: Once = Once::new();

/// libfuzzer-sys aborts on every panic, caught or not. `parse::yaml` deliberately
/// catches the reader's (libyaml-safer's) known panics and reports them as a parse
/// error, as `main` does; those are not crashes of ours. Every other panic still aborts.
pub fn init() {
    HOOK.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let from_reader = info.location().is_some_and(|l| {
                l.file().contains("libyaml-safer") || l.file().contains("libyaml_safer")
            });
            if !from_reader {
                fuzzer_hook(info);
            }
        }));
    });
}

/// The input as the text a parser gets after reading a file.
pub fn text(data: &[u8]) -> String {
    stacklint::source::decode_text(data)
}

/// A span a parser hands out must lie in its file, on character boundaries: the
/// renderers slice the text with it.
pub fn check_span(src: &SourceFile, span: &Span) {
    assert!(
        span.start() <= span.end() && span.end() <= src.text.len(),
        "span {}..{} outside a text of {} bytes",
        span.start(),
        span.end(),
        src.text.len()
    );
    assert!(
        src.text.is_char_boundary(span.start()) && src.text.is_char_boundary(span.end()),
        "span {}..{} cuts a character",
        span.start(),
        span.end()
    );
    // What a renderer does with it.
    let _ = src.line_col(span.start());
    let _ = src.slice(span);
}

pub fn check_diags(src: &SourceFile, diags: &[ParseDiag]) {
    for d in diags {
        check_span(src, &d.span);
        for (s, _) in &d.related {
            check_span(src, s);
        }
    }
}

/// `data` cut at each [`SEPARATOR`], at most `n` parts (the last keeps the rest).
pub fn split(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |&b| b == SEPARATOR).collect()
}

/// An empty directory of this process, the same one each run (creating a fresh
/// one per input would only leave more behind when the fuzzer is killed).
pub fn scratch(target: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stacklint-fuzz-{target}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A failure here is the machine's, not the input's: stop the run loudly.
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

pub fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}
