//! The `.env` parser over every env file of the corpus: no panic, exact spans,
//! diags only where compose fails too, compose-go's expected values on its own
//! fixtures, and dotenvy as an oracle elsewhere.
//!
//! dotenvy follows the Ruby dotenv dialect, compose follows compose-go's: where
//! they part, compose is the reference and the difference is listed below with
//! its reason. dotenvy rejects many files compose reads (bare `KEY` lines, keys
//! with `-` or a leading digit, unquoted values with spaces, `\'` in single
//! quotes); those files are left to the other two tests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use stacklint::parse::env::{self, EnvFile, Quote};
use stacklint::source::{FileId, FileKind, SourceFile};

mod common;

/// The shared corpus sits beside the checkout (`../shared/corpus`).
fn corpus() -> PathBuf {
    common::shared_path("corpus")
}

fn fixtures_dir() -> PathBuf {
    corpus().join("compose-go/dotenv/fixtures")
}

/// Values compose (and so this parser) reads differently from dotenvy:
/// (path suffix, key, why).
const KNOWN_VALUE_DIFFERENCES: &[(&str, &str, &str)] = &[(
    "laradock/thumbor/defaults.env",
    "MEMCACHE_STORAGE_SERVERS",
    // `["localhost:11211",]`: a value that does not start with a quote is raw
    // text for compose; dotenvy strips quotes anywhere in the value.
    "quotes inside an unquoted value are kept",
)];

/// Files whose key lists differ from dotenvy's: (path suffix, why). None so
/// far: every file dotenvy accepts yields the same keys in the same order.
const KNOWN_KEY_DIFFERENCES: &[(&str, &str)] = &[];

/// Corpus files that compose refuses on purpose: (path suffix, diag lines).
const EXPECTED_DIAGS: &[(&str, &[usize])] = &[
    // compose-go's own test expects "line 7: key cannot contain a space".
    ("compose-go/dotenv/fixtures/invalid1.env", &[7]),
];

fn corpus_files() -> Vec<PathBuf> {
    let mut files = BTreeSet::new();
    for entry in walkdir::WalkDir::new(corpus()).into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy();
        let rel = path.strip_prefix(corpus()).unwrap_or(path);
        // The dotenv-linter inputs are `*.env.golden`, and compose-go has a
        // `custom.format` fixture: env files too.
        let env_dirs =
            rel.starts_with("dotenv-linter") || rel.starts_with("compose-go/dotenv/fixtures");
        if name.ends_with(".env") || name.starts_with(".env") || env_dirs {
            files.insert(path.to_path_buf());
        }
    }
    files.into_iter().collect()
}

fn read(path: &Path) -> (SourceFile, EnvFile) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let src = SourceFile::new(path, FileKind::Env, text);
    let env = env::parse(FileId(0), &src);
    (src, env)
}

fn suffix_matches(path: &Path, suffix: &str) -> bool {
    path.to_string_lossy().ends_with(suffix)
}

fn corpus_present(what: &str) -> bool {
    common::shared("corpus", what).is_some()
}

#[test]
fn every_corpus_env_file_parses() {
    if !corpus_present("parsing every corpus .env file") {
        return;
    }
    let files = corpus_files();
    assert!(files.len() > 100, "only {} env files found", files.len());
    let mut failures = Vec::new();
    let mut entries = 0;
    for path in &files {
        let (src, env) = read(path);
        entries += env.entries.len();
        for e in &env.entries {
            for s in [e.key_span, e.value_span] {
                assert!(
                    s.end() <= src.text.len(),
                    "{}: span out of range",
                    path.display()
                );
                assert!(src.text.is_char_boundary(s.start()) && src.text.is_char_boundary(s.end()));
            }
            assert_eq!(&src.text[e.key_span.range()], e.key);
            let raw = &src.text[e.value_span.range()];
            match e.quote {
                Quote::None => assert_eq!(raw, e.value, "{}: {}", path.display(), e.key),
                Quote::Single => assert!(raw.starts_with('\'') && raw.ends_with('\'')),
                Quote::Double => assert!(raw.starts_with('"') && raw.ends_with('"')),
            }
        }
        let expected: &[usize] = EXPECTED_DIAGS
            .iter()
            .find(|(s, _)| suffix_matches(path, s))
            .map_or(&[], |(_, lines)| lines);
        let lines: Vec<usize> = env
            .diags
            .iter()
            .map(|d| src.line_col(d.span.start()).line)
            .collect();
        if lines != expected {
            failures.push(format!(
                "{}: diags on lines {lines:?}, expected {expected:?}: {:?}",
                path.display(),
                env.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!("env corpus: {} files, {entries} entries", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_env_files_agree_with_dotenvy() {
    if !corpus_present("comparing corpus .env files with dotenvy") {
        return;
    }
    let files = corpus_files();
    let mut dotenvy_ok = 0;
    let mut keys_agree = 0;
    let mut values_compared = 0;
    let mut values_agree = 0;
    let mut rejected = Vec::new();
    let mut failures = Vec::new();

    for path in &files {
        let (src, ours) = read(path);
        // compose drops a BOM before parsing; dotenvy's iterator does not.
        let input = src.text.strip_prefix('\u{feff}').unwrap_or(&src.text);
        let Ok(theirs) =
            dotenvy::from_read_iter(input.as_bytes()).collect::<Result<Vec<(String, String)>, _>>()
        else {
            rejected.push(
                path.strip_prefix(corpus())
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            );
            continue;
        };
        dotenvy_ok += 1;

        let our_keys: Vec<&str> = ours.entries.iter().map(|e| e.key.as_str()).collect();
        let their_keys: Vec<&str> = theirs.iter().map(|(k, _)| k.as_str()).collect();
        if our_keys == their_keys {
            keys_agree += 1;
        } else if !KNOWN_KEY_DIFFERENCES
            .iter()
            .any(|(s, _)| suffix_matches(path, s))
        {
            failures.push(format!(
                "{}: keys differ\n  ours:    {our_keys:?}\n  dotenvy: {their_keys:?}",
                path.display()
            ));
            continue;
        }

        for (e, (k, v)) in ours.entries.iter().zip(&theirs) {
            // Expansion happens elsewhere (and dotenvy reads the process
            // environment for it): compare only values without references.
            if e.key != *k || src.text[e.value_span.range()].contains('$') {
                continue;
            }
            values_compared += 1;
            if e.value == *v {
                values_agree += 1;
                continue;
            }
            let known = KNOWN_VALUE_DIFFERENCES
                .iter()
                .any(|(s, key, _)| suffix_matches(path, s) && *key == e.key);
            if !known {
                failures.push(format!(
                    "{}: {}: ours {:?}, dotenvy {:?}",
                    path.display(),
                    e.key,
                    e.value,
                    v
                ));
            }
        }
    }

    eprintln!(
        "dotenvy parsed {dotenvy_ok} of {} files; same keys in {keys_agree}; \
         {values_agree}/{values_compared} values without `$` equal; rejected by dotenvy: {rejected:?}",
        files.len()
    );
    assert!(dotenvy_ok > 100);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The values compose-go's own tests expect from its fixtures (before
/// expansion, which is not this module's job).
#[test]
fn compose_go_fixtures() {
    if !corpus_present("compose-go's .env fixtures") {
        return;
    }
    let fixture = |name: &str| read(&fixtures_dir().join(name));
    let pairs = |env: &EnvFile| -> Vec<(String, String)> {
        env.entries
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect()
    };
    let owned = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };

    let plain = [
        ("OPTION_A", "1"),
        ("OPTION_B", "2"),
        ("OPTION_C", "3"),
        ("OPTION_D", "4"),
        ("OPTION_E", "5"),
        // compose-go's Read() drops keys starting with a digit, but docker
        // compose loads env files with ParseWithLookup, which keeps them.
        ("456", "ABC"),
        ("OPTION_F", ""),
        ("OPTION_G", ""),
        ("OPTION_H", "my string"),
    ];
    for name in ["plain.env", "utf8-bom.env"] {
        let (_, env) = fixture(name);
        assert!(env.diags.is_empty(), "{name}");
        assert_eq!(pairs(&env), owned(&plain), "{name}");
    }

    let (_, env) = fixture("quoted.env");
    assert!(env.diags.is_empty());
    assert_eq!(
        pairs(&env),
        owned(&[
            ("OPTION_A", "1"),
            ("OPTION_B", "2"),
            ("OPTION_C", ""),
            ("OPTION_D", "\\n"),
            ("OPTION_E", "1"),
            ("OPTION_F", "2"),
            ("OPTION_G", ""),
            ("OPTION_H", "\n"),
            ("OPTION_I", "echo 'asd'"),
            ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
            ("OPTION_K", "Let's go!"),
            ("OPTION_Z", "last value"),
        ])
    );

    let (_, env) = fixture("unquoted.env");
    assert_eq!(
        pairs(&env),
        owned(&[
            ("OPTION_A", "some quoted phrase"),
            ("OPTION_B", "first one with an unquoted phrase"),
            ("OPTION_C", "then another one with an unquoted phrase"),
            (
                "OPTION_D",
                "then another one with an unquoted phrase special è char"
            ),
            ("OPTION_E", "then another one quoted phrase"),
        ])
    );

    let (_, env) = fixture("special.env");
    assert_eq!(
        pairs(&env),
        owned(&[
            ("VAR.WITH.DOTS", "dots"),
            ("VAR_WITH_UNDERSCORES", "underscores"),
            ("VAR-WITH-DASHES", "dashes"),
        ])
    );

    let (_, env) = fixture("exported.env");
    assert_eq!(
        pairs(&env),
        owned(&[("OPTION_A", "2"), ("OPTION_B", "\\n")])
    );
    assert!(env.entries.iter().all(|e| e.exported));

    let (_, env) = fixture("equals.env");
    assert_eq!(
        pairs(&env),
        owned(&[(
            "OPTION_A",
            "postgres://localhost:5432/database?sslmode=disable"
        )])
    );

    let (_, env) = fixture("custom.format");
    assert_eq!(pairs(&env), owned(&[("FOO", "BAR"), ("ZOT", "QIX")]));

    let (_, env) = fixture("inherited-multi-var.env");
    assert_eq!(
        pairs(&env),
        owned(&[
            ("foo", "bar"),
            ("VAR_TO_BE_LOADED_FROM_OS_ENV", ""),
            ("bar", "baz"),
        ])
    );
    let inherited: Vec<bool> = env.entries.iter().map(|e| e.is_inherited()).collect();
    assert_eq!(inherited, vec![false, true, false]);
    for name in ["inherited-single-var.env", "inherited-not-found.env"] {
        let (_, env) = fixture(name);
        assert!(env.diags.is_empty(), "{name}");
        assert_eq!(env.entries.len(), 1, "{name}");
        assert!(env.entries[0].is_inherited(), "{name}");
    }

    let (_, env) = fixture("substitutions-default.env");
    assert_eq!(
        pairs(&env),
        owned(&[
            ("OPTION_A", "${OPTION_A:-1}"),
            ("OPTION_B", "${OPTION_A}"),
            ("OPTION_C", "$OPTION_B"),
            ("OPTION_D", "${OPTION_A}_${OPTION_B}"),
            ("OPTION_E", "${OPTION_NOT_DEFINED}"),
        ])
    );
    assert!(env.entries.iter().all(|e| e.expand));

    // compose stops at line 7; this parser reports it and reads on.
    let (src, env) = fixture("invalid1.env");
    assert_eq!(
        pairs(&env),
        owned(&[("foo", "\n  a\n  multine\n  value\n"), ("zot", "qix")])
    );
    assert_eq!(env.diags.len(), 1);
    assert_eq!(src.slice(&env.diags[0].span), "INVALID LINE");
}
