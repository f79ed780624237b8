//! The variables of a project: `.env` files read in order, each value expanded
//! with the keys before it, as compose does.

// foldhash, not SipHash: asked for every variable a project sets or reads.
use foldhash::HashMap;
use std::path::Path;

use compact_str::CompactString;

use crate::finding::ParseDiag;
use crate::parse::env as envparse;
use crate::parse::interpolate::{interpolate, Lookup, MAX_FILE_SUBSTITUTED};
use crate::source::{FileId, FileKind, SourceFile, Sources, Span};

/// A set of variables, each with the span of the line that defined it.
///
/// Names and values are kept inline when short (most are): a `.env` of many
/// keys costs no allocation per key here.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    map: HashMap<CompactString, (CompactString, Option<Span>)>,
    /// Read the process environment too (`--use-env`); it wins, as in compose.
    pub use_process_env: bool,
}

impl Vars {
    pub fn insert(&mut self, name: String, value: String, span: Option<Span>) {
        self.map.insert(name.into(), (value.into(), span));
    }

    fn insert_str(&mut self, name: &str, value: CompactString, span: Option<Span>) {
        self.map.insert(CompactString::new(name), (value, span));
    }

    pub fn contains(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl Lookup for Vars {
    fn lookup(&self, name: &str) -> Option<(String, Option<Span>)> {
        if self.use_process_env {
            if let Ok(v) = std::env::var(name) {
                return Some((v, None));
            }
        }
        self.map
            .get(name)
            .map(|(v, span)| (v.as_str().to_string(), *span))
    }
}

/// A parsed env file and where it sits in the project.
#[derive(Debug)]
pub struct EnvFile {
    pub file: FileId,
    pub parsed: envparse::EnvFile,
}

/// Reads `path` as an env file into `sources`, expands its values with `outer`
/// and the keys before each one, and adds them to `into`.
pub fn load_env_file(
    sources: &mut Sources,
    path: &Path,
    into: &mut Vars,
    outer: &dyn Lookup,
) -> Result<EnvFile, crate::source::ReadError> {
    let text = sources.read(path)?;
    crate::source::check_items(FileKind::Env, &text)?;
    let id = sources.add(SourceFile::new(
        crate::paths::display(path),
        FileKind::Env,
        text,
    ));
    let mut parsed = envparse::parse(id, sources.get(id));
    let diags = expand_into(&parsed, into, outer);
    parsed.diags.extend(diags);
    Ok(EnvFile { file: id, parsed })
}

/// Adds the entries of `parsed` to `into`, expanding `${VAR}` in each value with
/// the keys defined before it (in `into`), then `outer`. A value that would grow
/// past the bounds keeps its text as written, with a diagnostic at its line.
pub fn expand_into(
    parsed: &envparse::EnvFile,
    into: &mut Vars,
    outer: &dyn Lookup,
) -> Vec<ParseDiag> {
    let mut diags = Vec::new();
    let mut total = 0usize;
    // One table of the right size instead of one regrown (and rehashed) as
    // the keys come in; bounded by the file's lines.
    into.map.reserve(parsed.entries.len());
    for e in &parsed.entries {
        // A bare `KEY` takes the value compose itself was started with, if any.
        if e.is_inherited() {
            if let Some((v, _)) = outer.lookup(&e.key) {
                into.insert_str(&e.key, v.into(), Some(e.key_span));
            }
            continue;
        }
        let value = if e.expand && e.value.contains('$') {
            let layered = crate::compose::load::Layered {
                first: &*into,
                then: outer,
            };
            match interpolate(&e.value, &layered) {
                Ok(v) if total.saturating_add(v.value.len()) <= MAX_FILE_SUBSTITUTED => {
                    total += v.value.len();
                    v.value.into()
                }
                Ok(_) => {
                    diags.push(ParseDiag::new(
                        e.value_span,
                        format!(
                            "`{}` is not expanded: with it, the values of this file would pass {} MiB",
                            e.key,
                            MAX_FILE_SUBSTITUTED >> 20
                        ),
                    ));
                    CompactString::new(&e.value)
                }
                Err(err) if err.too_long => {
                    diags.push(ParseDiag::new(
                        e.value_span,
                        format!("`{}` is not expanded: {}", e.key, err.message),
                    ));
                    CompactString::new(&e.value)
                }
                Err(_) => CompactString::new(&e.value),
            }
        } else {
            CompactString::new(&e.value)
        };
        into.insert_str(&e.key, value, Some(e.value_span));
    }
    diags
}

/// No variables at all (the outer scope of a project's own `.env`).
pub struct NoVars;

impl Lookup for NoVars {
    fn lookup(&self, _: &str) -> Option<(String, Option<Span>)> {
        None
    }
}
