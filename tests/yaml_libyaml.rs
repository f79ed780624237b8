//! Our YAML reader accepts and rejects exactly what libyaml does.
//!
//! docker compose reads YAML with go-yaml v3, a port of libyaml's scanner and
//! parser; a file libyaml rejects never reaches compose, and a file it accepts
//! must not vanish behind a parse error in stacklint. The oracle is PyYAML's C
//! parser (tests/oracles/libyaml.py), run once over every input: each YAML file of
//! ../shared/corpus and the table below. Duplicate keys are the one deliberate
//! difference from libyaml's parser: go-yaml's node builder rejects them, so we do
//! too, and the oracle reports them apart ("dup").
//!
//! The table records libyaml's verdict for each construct, so it also runs (against
//! the recorded verdicts) where python3 or libyaml is missing.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use stacklint::parse::yaml;
use stacklint::source::{decode_text, FileId, FileKind, SourceFile};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Loads,
    /// Valid YAML with a duplicate key in a mapping.
    Dup,
    Rejects,
}
use Verdict::{Dup, Loads, Rejects};

mod common;

/// (name, YAML, libyaml's verdict).
const TABLE: &[(&str, &str, Verdict)] = &[
    // Flow collections across lines: libyaml checks no indentation inside `[]`/`{}`.
    (
        "flow sequence closed at its parent key's indentation",
        "services:\n  store:\n    image: x\n    healthcheck:\n      test: [\n          \"CMD-SHELL\",\n          \"wget -q -O- http://store:9333/healthz || exit 1\",\n      ]\n",
        Loads,
    ),
    (
        "flow sequence closed at column 0 under a nested key",
        "a:\n  b:\n    c: [\n  1,\n 2\n]\nd: 1\n",
        Loads,
    ),
    (
        "flow sequence items left of the key",
        "a:\n  b: [\n1, 2,\n  3]\n",
        Loads,
    ),
    (
        "flow mapping across lines at odd indents",
        "a: {\n x: 1,\n     y: 2\n}\n",
        Loads,
    ),
    (
        "flow mapping closed left of its key",
        "s:\n  e: {\n    A: 1,\n    B: 2\n  }\n",
        Loads,
    ),
    ("nested flow collections", "a: [[1, 2], {b: [3, {c: d}]}, []]\n", Loads),
    ("trailing comma in flow", "a: [1, 2, ]\nb: {x: 1, }\n", Loads),
    ("flow value on the next line", "a: {b:\n  1}\n", Loads),
    ("flow pair inside a sequence", "a: [b: 1, c]\n", Loads),
    ("flow mapping entry without value", "a: {b, c: 1}\n", Loads),
    ("unclosed flow sequence", "a: [1, 2\nb: 3\n", Rejects),
    ("unclosed flow mapping", "a: {b: 1\n", Rejects),
    ("closing bracket inside a plain value", "a: 1]\n", Loads),
    ("closing bracket as a value", "a: ]\n", Rejects),
    ("closing bracket after a flow sequence", "a: [1]]\n", Rejects),
    ("flow sequence as a document", "[\n  a,\n  b\n]\n", Loads),
    // Comments.
    (
        "comments inside a flow sequence",
        "a: [ # first\n  1, # one\n  # own line\n  2 ]\n",
        Loads,
    ),
    (
        "comments inside a flow mapping",
        "a: { # c\n  b: 1, # d\n  c: 2 # e\n}\n",
        Loads,
    ),
    ("comment without space before", "a: b# not a comment\n", Loads),
    ("comment right after a flow item", "a: [1,# c\n 2]\n", Loads),
    // Tabs.
    ("tab between key and value", "a:\t1\nb: \t2\n", Loads),
    ("tab as indentation", "a:\n\tb: 1\n", Rejects),
    ("tab after indentation spaces", "a:\n  \tb: 1\n", Rejects),
    ("tab before a comment", "a: 1\t# c\n", Loads),
    ("tab after a sequence dash", "-\tx\n-\ty\n", Rejects),
    ("tab after a sequence dash and space", "- \tx\n", Rejects),
    ("tab inside flow", "a: [1,\t2]\n", Loads),
    ("trailing tab", "a: 1\t\n", Loads),
    ("tab in a quoted scalar", "a: \"x\ty\"\n", Loads),
    // Plain and quoted scalars over several lines.
    (
        "multi-line plain scalar",
        "a: this is\n  a long\n  value\nb: 1\n",
        Loads,
    ),
    ("plain scalar continued at the key's column", "a: x\nb\n", Rejects),
    ("multi-line plain scalar in flow", "a: [x\ny, z]\n", Loads),
    ("multi-line double-quoted scalar", "a: \"x\n  y\"\n", Loads),
    ("double-quoted continuation at column 0", "a: \"x\ny\"\n", Loads),
    ("multi-line single-quoted scalar", "a: 'x\n\n  y'\n", Loads),
    ("unterminated double quote", "a: \"x\n", Rejects),
    ("bad escape", "a: \"\\q\"\n", Rejects),
    ("colon inside a plain scalar", "a: b:c\nurl: http://x:80/y\n", Loads),
    ("mapping value after a plain value", "a: b: c\n", Rejects),
    ("reserved indicator starts a scalar", "a: @x\n", Rejects),
    ("backtick starts a scalar", "a: `x`\n", Rejects),
    ("percent in a plain value", "a: 100%\n", Loads),
    // Block scalars.
    (
        "block scalars with indicators",
        "a: |2\n   x\nb: >-\n  y\n  z\nc: |+\n  k\n\nd: 1\n",
        Loads,
    ),
    ("block scalar less indented than its first line", "a: |\n    x\n  y\n", Rejects),
    ("empty block scalar", "a: |\nb: 1\n", Loads),
    // Keys.
    ("complex key", "? a\n: b\n", Loads),
    ("complex key without value", "? a\n? b\n", Loads),
    ("flow sequence as a complex key", "? [a, b]\n: c\n", Loads),
    ("block scalar as a complex key", "? |\n  k\n: v\n", Loads),
    ("flow sequence as an implicit key", "[a, b]: c\n", Loads),
    ("quoted keys", "\"a b\": 1\n'c': 2\n", Loads),
    ("empty value then a key", "a:\nb: 1\n", Loads),
    ("implicit key over two lines", "a\nb: 1\n", Rejects),
    (
        "implicit key longer than 1024 characters",
        concat!(
            "k0123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            "01234567890123456789012345678901234567890123456789012345678901234567890123456789",
            ": v\n"
        ),
        Rejects,
    ),
    // Indentation.
    ("over-indented sibling", "a: 1\n  b: 2\n", Rejects),
    ("under-indented sibling", "a:\n    b: 1\n  c: 2\n", Rejects),
    ("sequence at its key's indentation", "a:\n- 1\n- 2\nb: 3\n", Loads),
    ("nested sequences on one line", "- - a\n  - b\n- c\n", Loads),
    ("sequence then mapping at one level", "- a\nb: 1\n", Rejects),
    ("dash without space", "-a\n", Loads),
    ("sequence entry in a flow collection", "a: [- 1]\n", Rejects),
    // Document markers, directives, several documents.
    ("explicit document start", "---\na: 1\n", Loads),
    ("document start with a comment", "--- # c\na: 1\n", Loads),
    ("document end marker", "a: 1\n...\n", Loads),
    ("several documents", "---\na: 1\n...\n---\nb: 2\n", Loads),
    ("several documents without end markers", "a: 1\n---\nb: 2\n---\n", Loads),
    ("scalar on the document start line", "--- text\n", Loads),
    ("mapping on the document start line", "--- a: 1\n", Rejects),
    ("only comments", "# nothing here\n", Loads),
    ("empty file", "", Loads),
    ("YAML 1.1 directive", "%YAML 1.1\n---\na: 1\n", Loads),
    ("YAML 1.2 directive", "%YAML 1.2\n---\na: 1\n", Loads),
    ("directive without document start", "%YAML 1.1\na: 1\n", Rejects),
    ("duplicate YAML directive", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n", Rejects),
    ("content after document end", "a: 1\n... b\n", Rejects),
    // Byte-order mark and line ends.
    ("byte-order mark", "\u{feff}a: 1\n", Loads),
    ("CRLF line ends", "a: 1\r\nb:\r\n  - x\r\n", Loads),
    // Anchors, aliases, merge keys.
    ("anchor and alias", "a: &x 1\nb: *x\n", Loads),
    (
        "anchor redefined (go-yaml takes the last)",
        "a: &x 1\nb: &x 2\nc: *x\n",
        Loads,
    ),
    ("alias to an unknown anchor", "a: *nope\n", Rejects),
    ("alias to an anchor defined later", "a: *x\nb: &x 1\n", Rejects),
    (
        "alias to an anchor of an earlier document (go-yaml keeps anchors)",
        "a: &x 1\n---\nb: *x\n",
        Loads,
    ),
    ("anchor on an empty value", "a: &x\nb: *x\n", Loads),
    ("alias as a key", "a: &k key\n*k : v\n", Loads),
    ("merge keys", "x: &b {p: 1}\ny:\n  <<: *b\n  q: 2\n", Loads),
    ("anchor on a block mapping", "a: &m\n  b: 1\nc: *m\n", Loads),
    // Tags.
    ("compose tags", "a: !reset []\nb: !override {x: 1}\n", Loads),
    ("core tags", "a: !!str 1\nb: !!int \"2\"\n", Loads),
    ("verbatim tag", "a: !<tag:yaml.org,2002:str> x\n", Loads),
    ("undefined tag handle", "a: !e!x y\n", Rejects),
    (
        "tag handle defined by a directive",
        "%TAG !e! tag:example.com,2000:\n---\na: !e!x y\n",
        Loads,
    ),
    ("tag and anchor together", "a: !!str &x y\nb: *x\n", Loads),
    // Characters and escapes.
    ("emoji", "a: 😀\n", Loads),
    ("control character", "a: \u{1}\n", Rejects),
    ("NUL character", "a: x\u{0}y\n", Rejects),
    ("DEL character", "a: \u{7f}\n", Rejects),
    ("C1 control character", "a: \u{90}\n", Rejects),
    ("next-line character breaks a line", "a: x\u{85}y\n", Rejects),
    ("line separator breaks a line", "a: x\u{2028}y\n", Rejects),
    ("byte-order mark inside the text", "a: 1\n\u{feff}b: 2\n", Rejects),
    // Its first byte, 0xEF, is a UTF-8 byte order mark's first byte.
    ("text beginning with a character from U+F000", "\u{ff03}a: 1\n", Loads),
    // The first is the file's; the second a character, skipped at column 0.
    ("two byte-order marks and two keys", "\u{feff}\u{feff}a: 1\nb: 2\n", Rejects),
    ("32-bit escape", "a: \"\\U0001F600\"\n", Loads),
    ("escape past Unicode", "a: \"\\U00110000\"\n", Rejects),
    ("escaped surrogate", "a: \"\\ud800\"\n", Rejects),
    ("percent-encoded tag", "a: !t%C3%A9 x\n", Loads),
    ("bad percent in a tag", "a: !t%ZZ x\n", Rejects),
    ("flow indicator in an anchor", "a: &x[ 1\n", Rejects),
    ("flow key broken before its colon", "{a\n: 1}\n", Rejects),
    ("unknown directive", "%FOO bar\n---\na: 1\n", Rejects),
    ("YAML 1.3 directive", "%YAML 1.3\n---\na: 1\n", Rejects),
    // Duplicate keys: valid YAML, rejected by go-yaml's node builder.
    ("duplicate key", "a: 1\nb: 2\na: 3\n", Dup),
    ("duplicate key, one quoted", "a: 1\n\"a\": 2\n", Dup),
    ("duplicate key in flow", "a: {x: 1, x: 2}\n", Dup),
    ("same key in two mappings", "a: {x: 1}\nb: {x: 2}\n", Loads),
    ("null key twice", "null: 1\nnull: 2\n", Dup),
    ("null key quoted and plain", "null: 1\n\"null\": 2\n", Dup),
    ("two spellings of null", "null: 1\n~: 2\n", Loads),
    ("merge key twice", "x: &a {p: 1}\ny:\n  <<: *a\n  <<: *a\n", Dup),
    ("quoted and plain merge keys", "x: &a {p: 1}\ny:\n  <<: *a\n  \"<<\": 1\n", Dup),
    ("plain merge key after a quoted one", "x: &a {p: 1}\ny:\n  \"<<\": 1\n  <<: *a\n", Dup),
];

/// Where libyaml-safer 0.3 parts from libyaml, each checked both ways so that a
/// fix upstream shows here: (name, YAML, libyaml's verdict, ours).
/// - An implicit key may be 1024 characters long; libyaml-safer counts bytes.
/// - libyaml accepts a tag followed straight by `,` in a flow collection;
///   libyaml-safer panics there, which we turn into a parse error.
const KNOWN_DIFFERENCES: &[(&str, &str, Verdict, Verdict)] = &[
    (
        "implicit key of 600 two-byte characters",
        concat!(
            "k",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
            ": v\n"
        ),
        Loads,
        Rejects,
    ),
    (
        "tag followed by a comma in flow",
        "a: [!t, x]\n",
        Loads,
        Rejects,
    ),
];

/// Our verdict: syntax errors (all start "invalid YAML") reject the file;
/// duplicate keys are reported but the file loads.
fn ours(bytes: &[u8]) -> (Verdict, String) {
    let src = SourceFile::new("t.yaml", FileKind::Compose, decode_text(bytes));
    let parsed = yaml::parse(FileId(0), &src);
    let mut verdict = Loads;
    let mut messages = Vec::new();
    for d in &parsed.diags {
        messages.push(d.message.clone());
        if d.message.starts_with("invalid YAML") {
            verdict = Rejects;
        } else if d.message.starts_with("duplicate key") && verdict == Loads {
            verdict = Dup;
        } else if !d.message.starts_with("duplicate key") {
            // Merge, aliasing and depth findings are not libyaml's business;
            // no input here should give one.
            verdict = Rejects;
        }
    }
    (verdict, messages.join("; "))
}

/// libyaml's verdicts, or None (with the reason) when the oracle cannot run.
fn libyaml(inputs: &[Vec<u8>]) -> Result<Vec<(Verdict, String)>, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/libyaml.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3: {e}"))?;
    let hex: Vec<String> = inputs
        .iter()
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
        .collect();
    let payload = serde_json::to_vec(&hex).map_err(|e| e.to_string())?;
    // Write from a thread: the oracle's answer may fill the pipe before we finish.
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(&payload));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "oracle failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let answers: Vec<(String, String)> =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("oracle output: {e}"))?;
    if answers.len() != inputs.len() {
        return Err(format!(
            "oracle gave {} answers for {} inputs",
            answers.len(),
            inputs.len()
        ));
    }
    Ok(answers
        .into_iter()
        .map(|(v, m)| {
            let v = match v.as_str() {
                "ok" => Loads,
                "dup" => Dup,
                _ => Rejects,
            };
            (v, m)
        })
        .collect())
}

fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let Some(root) = common::shared(
        "corpus",
        "the corpus half of the libyaml differential (the table still runs)",
    ) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        let name = e.file_name().to_string_lossy();
        if !e.file_type().is_file() || !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let Ok(bytes) = std::fs::read(e.path()) else {
            continue;
        };
        // Our reader replaces invalid UTF-8, libyaml rejects it: not a YAML
        // question (the corpus has no such file today).
        if std::str::from_utf8(&bytes).is_err() {
            continue;
        }
        let rel = e.path().strip_prefix(&root).unwrap_or(e.path());
        files.push((rel.to_string_lossy().into_owned(), bytes));
    }
    files
}

#[test]
fn table_matches_the_recorded_libyaml_verdicts() {
    let mut wrong = Vec::new();
    for (name, text, want) in TABLE {
        let (got, msg) = ours(text.as_bytes());
        if got != *want {
            wrong.push(format!(
                "{name}: libyaml {want:?}, we {got:?} ({msg})\n  {text:?}"
            ));
        }
    }
    for (name, text, _, ours_now) in KNOWN_DIFFERENCES {
        let (got, msg) = ours(text.as_bytes());
        if got != *ours_now {
            wrong.push(format!(
                "known difference `{name}`: we now say {got:?} ({msg}); update KNOWN_DIFFERENCES"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} constructs differ:\n{}",
        wrong.len(),
        TABLE.len(),
        wrong.join("\n")
    );
}

#[test]
fn we_accept_and_reject_what_libyaml_does() {
    let corpus = corpus_files();
    let mut names: Vec<String> = TABLE
        .iter()
        .map(|(n, _, _)| format!("table: {n}"))
        .collect();
    let mut inputs: Vec<Vec<u8>> = TABLE
        .iter()
        .map(|(_, t, _)| t.as_bytes().to_vec())
        .collect();
    // The known differences follow the table: libyaml must still say what they
    // record, and they are left out of the comparison with us.
    for (n, t, _, _) in KNOWN_DIFFERENCES {
        names.push(format!("known difference: {n}"));
        inputs.push(t.as_bytes().to_vec());
    }
    let known = TABLE.len()..TABLE.len() + KNOWN_DIFFERENCES.len();
    for (n, b) in corpus {
        names.push(n);
        inputs.push(b);
    }
    let theirs = match libyaml(&inputs) {
        Ok(v) => v,
        Err(why) => {
            eprintln!("skipping the libyaml differential: {why} (needs python3 with PyYAML built on libyaml: yaml.CSafeLoader)");
            return;
        }
    };
    let mut wrong = Vec::new();
    for (i, (name, bytes)) in names.iter().zip(&inputs).enumerate() {
        let (want, why) = &theirs[i];
        if let Some((_, _, recorded)) = TABLE.get(i) {
            if recorded != want {
                wrong.push(format!(
                    "{name}: the table records {recorded:?} but libyaml says {want:?} ({why})"
                ));
            }
        }
        if known.contains(&i) {
            let (_, _, recorded, _) = KNOWN_DIFFERENCES[i - known.start];
            if recorded != *want {
                wrong.push(format!(
                    "{name}: recorded as {recorded:?} but libyaml says {want:?} ({why})"
                ));
            }
            continue;
        }
        let (got, msg) = ours(bytes);
        if got != *want {
            wrong.push(format!(
                "{name}: libyaml {want:?} ({why}), we {got:?} ({msg})"
            ));
        }
    }
    // Both verdicts occur, so the comparison can fail either way.
    assert!(theirs.iter().any(|(v, _)| *v == Loads) && theirs.iter().any(|(v, _)| *v == Rejects));
    assert!(
        wrong.is_empty(),
        "{} of {} inputs differ from libyaml:\n{}",
        wrong.len(),
        inputs.len(),
        wrong.join("\n")
    );
}

/// The fast reader (`parse/yaml/fast/`) reads most files in place of
/// libyaml-safer: wherever it does not decline, its events must be libyaml-safer's,
/// marks included. Checked on every construct of the table and every corpus file;
/// it must also read most of the corpus, or the speed it exists for is gone.
#[test]
fn the_fast_reader_gives_libyamls_events_where_it_reads() {
    let corpus = corpus_files();
    let mut wrong = Vec::new();
    let (mut read, mut texts) = (0, 0);
    let table = TABLE.iter().map(|(n, t, _)| (format!("table: {n}"), *t));
    let files = corpus
        .iter()
        .filter_map(|(n, b)| Some((n.clone(), std::str::from_utf8(b).ok()?)));
    for (name, text) in table.chain(files) {
        texts += 1;
        match yaml::fast_reader_agrees(text) {
            Some(true) => read += 1,
            Some(false) => wrong.push(name),
            None => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "events differ from libyaml's on: {wrong:?}"
    );
    eprintln!("the fast reader read {read} of {texts} texts");
    if !corpus.is_empty() {
        // 1,172 of 1,347 when written; 1,233 once it read block scalars,
        // escapes and a first `---`.
        assert!(read * 10 > texts * 8, "it read only {read} of {texts}");
    }
}
