//! Inputs of the fuzz targets (fuzz/, CONTRIBUTING.md), replayed through the binary:
//! the seeds of `fuzz/corpus/<target>/` and every minimised finding, which is added
//! there too so the fuzzers start from it. Each run has a deadline, so a hang fails
//! the test instead of stalling the suite.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;
use common::tree;

const FORMATS: [&str; 5] = ["text", "json", "sarif", "github", "gitlab"];

/// The files of a `stack` input, in the order the target writes them: parts are
/// separated by NUL (fuzz/src/lib.rs, SEPARATOR), a missing part is a missing file.
const STACK_FILES: [&str; 5] = [
    "compose.yaml",
    ".env",
    "nginx/nginx.conf",
    "nginx/Dockerfile",
    "stacklint.toml",
];

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = common::manifest().join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

/// Lints `dir` in every format and draws its graph: each run ends in time, with exit
/// code 0 (`--fail-on never`) or 2 (an error message, e.g. a bad stacklint.toml),
/// never a panic.
fn lint_everything(dir: &Path, what: &str) {
    let runs = FORMATS
        .iter()
        .map(|f| vec![".", "--format", f, "--fail-on", "never"])
        .chain(
            ["mermaid", "dot", "json"]
                .iter()
                .map(|f| vec!["graph", ".", "--format", f]),
        );
    for args in runs {
        let (code, _, err) = common::stacklint_within(Duration::from_secs(60), dir, &args);
        assert!(
            !err.contains("panicked"),
            "{what}: stacklint {args:?} panicked: {err}"
        );
        assert!(
            code == 0 || (code == 2 && err.contains("stacklint: error:")),
            "{what}: stacklint {args:?} exited {code}: {err}"
        );
    }
}

/// Each `stack` input laid out as the fuzz target lays it out.
#[test]
fn stack_inputs_lint_in_every_format() {
    for input in corpus("stack") {
        let bytes = std::fs::read(&input).expect("read");
        let dir = tree(&[]);
        for (part, name) in bytes
            .splitn(STACK_FILES.len(), |&b| b == 0)
            .zip(STACK_FILES)
        {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&path, part).expect("write");
        }
        lint_everything(&dir, &input.display().to_string());
    }
}

/// Each single-file input as the file it stands for, in a stack that reads it.
#[test]
fn single_file_inputs_lint_in_every_format() {
    let cases: [(&str, &str, &str); 5] = [
        ("yaml", "compose.yaml", ""),
        ("compose", "compose.yaml", ""),
        // The others are read through a minimal compose file that points at them.
        ("env", ".env", "services:\n  app:\n    image: alpine\n    env_file: .env\n"),
        (
            "nginx",
            "nginx.conf",
            "services:\n  proxy:\n    image: nginx\n    volumes: ['./nginx.conf:/etc/nginx/nginx.conf']\n",
        ),
        (
            "dockerfile",
            "app/Dockerfile",
            "services:\n  app:\n    build: ./app\n",
        ),
    ];
    for (target, name, compose) in cases {
        for input in corpus(target) {
            let bytes = std::fs::read(&input).expect("read");
            let dir = tree(&[]);
            if !compose.is_empty() {
                std::fs::write(dir.join("compose.yaml"), compose).expect("write");
            }
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&path, &bytes).expect("write");
            lint_everything(&dir, &input.display().to_string());
        }
    }
}

/// Each `interpolate` input (`.env`, NUL, template) as a `.env` and a compose value.
#[test]
fn interpolate_inputs_lint_in_every_format() {
    for input in corpus("interpolate") {
        let bytes = std::fs::read(&input).expect("read");
        let (env, template) = match bytes.iter().position(|&b| b == 0) {
            Some(i) => (&bytes[..i], &bytes[i + 1..]),
            None => (&b""[..], &bytes[..]),
        };
        let dir = tree(&[]);
        std::fs::write(dir.join(".env"), env).expect("write");
        // The template as a single-quoted YAML scalar: quotes doubled, so any text fits.
        let value = String::from_utf8_lossy(template).replace('\'', "''");
        let compose = format!("services:\n  app:\n    image: alpine\n    command: '{value}'\n");
        std::fs::write(dir.join("compose.yaml"), compose).expect("write");
        lint_everything(&dir, &input.display().to_string());
    }
}

/// Found by the `dockerfile` target: `CMD ["<non-ASCII>",""]`. The exec form's spans
/// were looked up by byte position in a table kept per character, so after a
/// multi-byte character they pointed past the string (here past the end of the file).
/// Each string's span is now its quoted text as written.
#[test]
fn dockerfile_exec_form_spans_after_multibyte_characters() {
    use stacklint::parse::dockerfile;
    use stacklint::source::{FileKind, SourceFile, Sources};
    // The minimised input was `M ["\x87",""]`; invalid UTF-8 reads as U+FFFD.
    let bytes =
        std::fs::read(common::manifest().join("fuzz/corpus/dockerfile/exec-form-multibyte"))
            .expect("read");
    let texts = [
        stacklint::source::decode_text(bytes),
        "CMD [\"é\",  \"x\"]\n".to_string(),
        "CMD\t[\"ü\",\t\t\"\\u00e9\", \"€\"]".to_string(),
    ];
    for text in texts {
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new("Dockerfile", FileKind::Dockerfile, text));
        let src = sources.get(id);
        let parsed = dockerfile::parse(id, src);
        let args = &parsed.instructions[0].args;
        for w in args {
            assert!(
                w.span.end() <= src.text.len(),
                "{:?} in {:?}",
                w.span,
                src.text
            );
            let written = src.slice(&w.span);
            // A string written with escapes (`"\u00e9"`) is not found again by its
            // value: it keeps the span of the whole array.
            if written.starts_with('[') {
                continue;
            }
            assert_eq!(
                serde_json::from_str::<String>(written).ok().as_deref(),
                Some(w.value.as_str()),
                "{:?} spans {written:?}",
                w.value
            );
        }
    }
}
