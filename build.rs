//! Embeds every `rules/<name>.md` page in the binary, so `rules/` stays the single
//! source of the rule documentation (`stacklint explain`, SARIF help), embeds
//! `src/knowledge/images.toml` as JSON, embeds the compose-spec schema without its
//! prose and writes it as the tables of our own schema check, and, where the linker is known to be
//! LLD, has it lay out the binary's functions in the order of
//! `benches/symbol-order.txt` and pack its relative relocations.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    embed_rule_pages();
    embed_knowledge();
    embed_schema();
    link_args();
}

/// Where cargo has a build script write (always set when cargo runs one).
fn out_dir() -> String {
    std::env::var("OUT_DIR")
        .unwrap_or_else(|_| panic!("OUT_DIR is not set: build.rs runs under cargo"))
}

/// Writes `src/knowledge/images.toml` to `$OUT_DIR/images.json`, which the binary
/// embeds and reads into the same types: reading the TOML was a third of the
/// instructions of a run over a one-service stack (1.5 of 5 million), the JSON
/// takes a tenth of that. The TOML stays the one source (comments, sources);
/// a unit test reads both and compares them.
fn embed_knowledge() {
    println!("cargo:rerun-if-changed=src/knowledge/images.toml");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/knowledge/images.toml");
    let text = std::fs::read_to_string(&src)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.display()));
    let table: toml::Table = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid TOML: {e}", src.display()));
    let json = serde_json::to_string(&table)
        .unwrap_or_else(|e| panic!("{} has no JSON form: {e}", src.display()));
    let dest = Path::new(&out_dir()).join("images.json");
    if let Err(e) = std::fs::write(&dest, json) {
        panic!("cannot write {}: {e}", dest.display());
    }
}

/// Writes `schemas/compose-spec.json` to `$OUT_DIR/compose-spec.json` without the
/// keywords that only annotate (375 `description`s and a `title`, 60% of the
/// text) and without indentation, for `jsonschema`, which stacklint compiles at
/// run time to word the errors of a file found invalid (the prose was most of
/// what it parsed and validated against the meta-schema), and writes it as the
/// tables of our own check ([`SchemaChecks`]). Validation ignores annotations,
/// so the verdicts are the same. Values that are data (`enum`, `const`,
/// `default`, `examples`) are kept as written, whatever keys they hold.
fn embed_schema() {
    println!("cargo:rerun-if-changed=schemas/compose-spec.json");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/compose-spec.json");
    let text = std::fs::read_to_string(&src)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.display()));
    let mut schema: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", src.display()));
    strip_annotations(&mut schema);
    let dest = Path::new(&out_dir()).join("compose-spec.json");
    if let Err(e) = std::fs::write(&dest, schema.to_string()) {
        panic!("cannot write {}: {e}", dest.display());
    }
    let checks = SchemaChecks::compile(&schema);
    let dest = Path::new(&out_dir()).join("schema_checks.rs");
    if let Err(e) = std::fs::write(&dest, checks) {
        panic!("cannot write {}: {e}", dest.display());
    }
}

/// The compose-spec schema as the tables of `src/compose/schema_view.rs` (Rust
/// items: `CHECKS`, the root's first, and the runs of names and indices they
/// point into), so that a run judges files without parsing or compiling the
/// schema. The tables hold numbers, not references, so the loader relocates
/// nothing in them (600 checks of references were 94 KB of pages written at
/// every start). A keyword that the check does not know stops the build here;
/// a pattern it does not know, or a type, stops it where the generated code is
/// compiled.
#[derive(Default)]
struct SchemaChecks {
    /// Each check as Rust, by index.
    checks: Vec<String>,
    /// `$ref` values and the checks they name.
    defs: Vec<(String, usize)>,
    /// The checks each check applies to the same value (`$ref`, `oneOf`): a
    /// cycle of them would never end, so there must be none.
    same_value: Vec<(usize, usize)>,
    /// Every name, once: `TEXT`, and where each name is in it.
    text: String,
    at: std::collections::HashMap<String, (usize, usize)>,
    /// `LISTS` (check indices), `STRINGS` (names), `PROPERTIES`, `PATTERN_PROPERTIES`.
    lists: Vec<String>,
    strings: Vec<String>,
    properties: Vec<String>,
    patterns: Vec<String>,
}

impl SchemaChecks {
    fn compile(root: &serde_json::Value) -> String {
        let defs = root.get("$defs").and_then(serde_json::Value::as_object);
        let mut c = SchemaChecks {
            checks: vec![String::new()],
            ..SchemaChecks::default()
        };
        // Each definition gets its place first, so that a reference reaches it
        // whatever the order (and a definition can refer to itself).
        for (name, _) in defs.into_iter().flatten() {
            c.defs.push((format!("#/$defs/{name}"), c.checks.len()));
            c.checks.push(String::new());
        }
        for (i, (_, def)) in defs.into_iter().flatten().enumerate() {
            let at = c.defs[i].1;
            c.checks[at] = c.check(at, def);
        }
        // Only the root says which draft it is written in (the check knows
        // 2020-12) and where it lives; a nested `$id` would start a resource
        // of its own, which the `$ref`s here do not resolve.
        let draft = root.get("$schema").and_then(serde_json::Value::as_str);
        if draft != Some("https://json-schema.org/draft/2020-12/schema") {
            panic!("compose-spec.json: $schema {draft:?}, not draft 2020-12");
        }
        let mut top = root.clone();
        if let Some(m) = top.as_object_mut() {
            m.retain(|k, _| !matches!(k.as_str(), "$schema" | "$id" | "$defs"));
        }
        c.checks[0] = c.check(0, &top);
        c.refuse_cycles();
        let table = |name: &str, ty: &str, items: &[String]| {
            format!(
                "static {name}: [{ty}; {}] = [{}];\n",
                items.len(),
                items.join(", ")
            )
        };
        let mut out = format!("const TEXT: &str = {:?};\n", c.text);
        out += &table("LISTS", "u16", &c.lists);
        out += &table("STRINGS", "Text", &c.strings);
        out += &table("PROPERTIES", "(u32, Text, u16)", &c.properties);
        out += &table("PATTERN_PROPERTIES", "(Pattern, u16)", &c.patterns);
        let _ = writeln!(out, "static CHECKS: [Check; {}] = [", c.checks.len());
        for (i, check) in c.checks.iter().enumerate() {
            let _ = writeln!(out, "    /* {i} */ {check},");
        }
        out.push_str("];\n");
        out
    }

    /// `s` compiled as a check of its own: its index.
    fn sub(&mut self, s: &serde_json::Value) -> usize {
        let at = self.checks.len();
        self.checks.push(String::new());
        self.checks[at] = self.check(at, s);
        at
    }

    /// Panics if a check reaches itself through `$ref`s and `oneOf`s alone,
    /// without reading a part of the value (a check would recurse forever).
    fn refuse_cycles(&self) {
        let mut next = vec![Vec::new(); self.checks.len()];
        for &(from, to) in &self.same_value {
            next[from].push(to);
        }
        // 0: not seen, 1: on the path, 2: done.
        let mut state = vec![0u8; self.checks.len()];
        for start in 0..self.checks.len() {
            let mut path = vec![(start, 0)];
            while let Some(&mut (at, ref mut i)) = path.last_mut() {
                if *i == 0 {
                    state[at] = 1;
                }
                match next[at].get(*i).copied() {
                    Some(to) => {
                        *i += 1;
                        match state[to] {
                            0 => path.push((to, 0)),
                            1 => panic!("compose-spec.json: check {to} applies to itself"),
                            _ => {}
                        }
                    }
                    None => {
                        state[at] = 2;
                        path.pop();
                    }
                }
            }
        }
    }

    /// `name` as a `Text` (offset and length in `TEXT`).
    fn name(&mut self, name: &str) -> String {
        let (at, len) = match self.at.get(name) {
            Some(&found) => found,
            None => {
                let found = (self.text.len(), name.len());
                self.text.push_str(name);
                self.at.insert(name.to_string(), found);
                found
            }
        };
        format!("Text({at}, {len})")
    }

    /// A run of `table` from its length before `items` were added.
    fn run(table: &mut Vec<String>, items: Vec<String>) -> String {
        let at = table.len();
        table.extend(items);
        format!("Run({at}, {})", table.len() - at)
    }

    fn check(&mut self, at: usize, s: &serde_json::Value) -> String {
        use serde_json::Value;
        let map = match s {
            Value::Bool(b) => return format!("Check {{ never: {}, ..Check::ANY }}", !b),
            Value::Object(map) => map,
            _ => panic!("compose-spec.json: a schema that is neither an object nor a boolean: {s}"),
        };
        let strings = |v: &Value, what: &str| -> Vec<String> {
            let items = v
                .as_array()
                .unwrap_or_else(|| panic!("compose-spec.json: {what} {v}"));
            let each = |x: &Value| x.as_str().map(str::to_string);
            items
                .iter()
                .map(|x| each(x).unwrap_or_else(|| panic!("compose-spec.json: {what} {x}")))
                .collect()
        };
        let mut fields = Vec::new();
        for (key, v) in map {
            let field = match key.as_str() {
                // Annotations only.
                "$comment" | "default" | "deprecated" | "description" | "examples" | "title" => {
                    continue
                }
                "type" => {
                    let names: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        one => vec![one],
                    };
                    let bits: Vec<String> = names
                        .iter()
                        .map(|n| match n.as_str() {
                            Some(name) => format!("Types::{}", name.to_uppercase()),
                            None => panic!("compose-spec.json: type {n}"),
                        })
                        .collect();
                    format!("types: {}", bits.join(" | "))
                }
                "$ref" => {
                    let r = v.as_str().unwrap_or_default();
                    match self.defs.iter().find(|(name, _)| name == r).map(|d| d.1) {
                        Some(to) => {
                            self.same_value.push((at, to));
                            format!("reference: Some({to})")
                        }
                        None => panic!("compose-spec.json: $ref {v}"),
                    }
                }
                "oneOf" => {
                    let alternatives = v
                        .as_array()
                        .unwrap_or_else(|| panic!("compose-spec.json: oneOf {v}"));
                    let mut to = Vec::new();
                    for a in alternatives {
                        let alternative = self.sub(a);
                        self.same_value.push((at, alternative));
                        to.push(alternative.to_string());
                    }
                    format!("one_of: {}", Self::run(&mut self.lists, to))
                }
                "enum" | "required" => {
                    let names: Vec<String> =
                        strings(v, key).iter().map(|n| self.name(n)).collect();
                    let run = Self::run(&mut self.strings, names);
                    match key.as_str() {
                        "enum" => format!("enumeration: Some({run})"),
                        _ => format!("required: {run}"),
                    }
                }
                "properties" => {
                    let props = v
                        .as_object()
                        .unwrap_or_else(|| panic!("compose-spec.json: properties {v}"));
                    let mut named: Vec<(u32, &str, usize)> = props
                        .iter()
                        .map(|(name, p)| (name_hash(name), name.as_str(), self.sub(p)))
                        .collect();
                    // The order `Check::property` searches in.
                    named.sort_unstable();
                    let entries: Vec<String> = named
                        .iter()
                        .map(|(h, n, i)| format!("({h}, {}, {i})", self.name(n)))
                        .collect();
                    format!("properties: {}", Self::run(&mut self.properties, entries))
                }
                "patternProperties" => {
                    let props = v
                        .as_object()
                        .unwrap_or_else(|| panic!("compose-spec.json: patternProperties {v}"));
                    let entries: Vec<String> = props
                        .iter()
                        .map(|(source, p)| format!("(Pattern::of({source:?}), {})", self.sub(p)))
                        .collect();
                    format!("pattern_properties: {}", Self::run(&mut self.patterns, entries))
                }
                "additionalProperties" => format!("additional: Some({})", self.sub(v)),
                "items" => format!("items: Some({})", self.sub(v)),
                "uniqueItems" => match v.as_bool() {
                    Some(b) => format!("unique_items: {b}"),
                    None => panic!("compose-spec.json: uniqueItems {v}"),
                },
                "minimum" | "maximum" => match v.as_i64().and_then(|n| i32::try_from(n).ok()) {
                    Some(n) => format!("{key}: Some({n})"),
                    None => panic!("compose-spec.json: {key} {v} is not a 32-bit integer"),
                },
                "pattern" => match v.as_str() {
                    Some(source) => format!("pattern: Some(Pattern::of({source:?}))"),
                    None => panic!("compose-spec.json: pattern {v}"),
                },
                k => panic!("compose-spec.json: the keyword {k} is not checked (src/compose/schema_view.rs)"),
            };
            fields.push(field);
        }
        fields.push("..Check::ANY".to_string());
        format!("Check {{ {} }}", fields.join(", "))
    }
}

/// FNV-1a of `name`: `schema_view::name_hash`, which a unit test compares with
/// the hashes written here.
fn name_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Removes `description` and `title` (as text) from `schema` and its subschemas.
fn strip_annotations(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(m) => {
            m.retain(|k, v| !(matches!(k.as_str(), "description" | "title") && v.is_string()));
            for (k, v) in m.iter_mut() {
                if !matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                    strip_annotations(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_annotations),
        _ => {}
    }
}

fn embed_rule_pages() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.strip_suffix(".md"))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from("static PAGES: &[(&str, &str)] = &[\n");
    for n in names {
        let path = dir.join(format!("{n}.md"));
        let _ = writeln!(
            out,
            "    ({n:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = Path::new(&out_dir()).join("pages.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}

/// Passes the linker the two flags below. Only when building on and for
/// x86_64 Linux with glibc, whose default linker is rust-lld from Rust 1.90, and
/// only when no other linker is chosen: another linker may not know the flags.
fn link_args() {
    println!("cargo:rerun-if-changed=benches/symbol-order.txt");
    println!("cargo:rerun-if-env-changed=STACKLINT_NO_SYMBOL_ORDER");
    println!("cargo:rerun-if-env-changed=STACKLINT_NO_PACKED_RELOCS");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let target = var("TARGET");
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    if target != "x86_64-unknown-linux-gnu"
        || var("HOST") != target
        // A linker named in the configuration or in RUSTFLAGS (`-C linker=`,
        // `-C linker-flavor=`, `-C link-arg=-fuse-ld=mold`) may not be LLD.
        || std::env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("fuse-ld")
        || !rust_lld_by_default()
    {
        return;
    }
    if std::env::var_os("STACKLINT_NO_SYMBOL_ORDER").is_none() {
        order_symbols();
    }
    // A static binary (`crt-static`) relocates itself with the build host's own
    // glibc, linked in: the same check holds for it.
    if std::env::var_os("STACKLINT_NO_PACKED_RELOCS").is_none()
        && glibc_version().is_some_and(|v| v >= (2, 36))
    {
        pack_relative_relocs();
    }
}

/// Lays the binary's functions out in the order of `benches/symbol-order.txt`: what
/// a run executes, together, so that it touches a few megabytes of code instead
/// of pages all over the text (benches/symbol_order.py says why and measures).
/// `STACKLINT_NO_SYMBOL_ORDER=1` leaves the layout to the linker.
fn order_symbols() {
    let order = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/symbol-order.txt");
    // The driver splits `-Wl,` arguments at commas.
    match order.to_str() {
        Some(path) if order.is_file() && !path.contains(',') => {
            println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={path}");
            // A name the binary no longer has (renamed code, another toolchain) is
            // skipped: the list is a layout hint, not a contract.
            println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
        }
        _ => {}
    }
}

/// Packs the binary's relative relocations (`DT_RELR`, 8 bytes for up to 63 of
/// them, instead of 24 bytes each). A position-independent binary has about
/// 15,000; the loader read all 340 KB of them at every start, which stayed
/// resident: 0.3 to 0.5 MiB of every run's peak memory. glibc applies packed
/// relocations from 2.36 on and refuses to start a binary with them before
/// (the linker marks it so). So the build host's glibc decides, and the binary
/// then needs 2.36 or later where it runs: build with
/// `STACKLINT_NO_PACKED_RELOCS=1` (or on the oldest glibc it must run on) for
/// a binary that also runs on an older one.
fn pack_relative_relocs() {
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
}

/// The host's glibc version (`getconf GNU_LIBC_VERSION` prints `glibc 2.36`).
fn glibc_version() -> Option<(u32, u32)> {
    let out = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    major_minor(text.trim().strip_prefix("glibc ")?)
}

/// `1.90.0` or `2.36` as (1, 90) or (2, 36).
fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Whether the compiler is Rust 1.90 or later (`rustc -vV`'s `release: 1.90.0`).
fn rust_lld_by_default() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = std::process::Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("release: "))
        .and_then(major_minor)
        .is_some_and(|v| v >= (1, 90))
}
