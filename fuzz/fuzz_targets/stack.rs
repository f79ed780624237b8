#![no_main]
//! A whole stack through the lint the CLI runs, every report format and the graph;
//! the JSON ones (JSON, SARIF, GitLab, graph JSON) must parse.
//!
//! Input: compose file, NUL, `.env`, NUL, NGINX config, NUL, Dockerfile[, NUL,
//! stacklint.toml]. They are laid out as
//!     compose.yaml  .env  nginx/nginx.conf  nginx/Dockerfile  [stacklint.toml]
//! so a compose file whose proxy service has `build: ./nginx` and mounts
//! `./nginx/nginx.conf:/etc/nginx/nginx.conf` (as the seeds do) reads all of them.
//! A missing part is a missing file.

use libfuzzer_sys::fuzz_target;
use stacklint::cli::{self, Args, ColorWhen, Format, GraphArgs, GraphFormat, Input};
use stacklint_fuzz::{init, scratch, split, write};

const FILES: [&str; 5] = [
    "compose.yaml",
    ".env",
    "nginx/nginx.conf",
    "nginx/Dockerfile",
    "stacklint.toml",
];

fn input(dir: &std::path::Path) -> Input {
    Input {
        paths: vec![dir.to_path_buf()],
        ..Input::default()
    }
}

/// One lint run: `format` to the --output file, `stdout` on stdout. Returns both
/// texts (stdout, file), or None for an error message (a bad stacklint.toml).
fn lint(
    dir: &std::path::Path,
    format: Format,
    stdout: Format,
    color: ColorWhen,
) -> Option<(String, String)> {
    let args = Args {
        input: input(dir),
        format: Some(format),
        output: Some(dir.join("report.out")),
        stdout_format: Some(stdout),
        color,
        ..Args::default()
    };
    let outcome = cli::run(&args).ok()?;
    Some((outcome.stdout, outcome.file.map(|(_, text)| text)?))
}

fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

fuzz_target!(|data: &[u8]| {
    init();
    let dir = scratch("stack");
    for (part, name) in split(data, FILES.len()).into_iter().zip(FILES) {
        write(&dir, name, part);
    }
    // Every renderer once: JSON and SARIF, GitHub and GitLab, plain and coloured text.
    if let Some((json, sarif)) = lint(&dir, Format::Sarif, Format::Json, ColorWhen::Never) {
        assert!(is_json(&json), "the JSON report is not JSON:\n{json}");
        assert!(is_json(&sarif), "the SARIF report is not JSON:\n{sarif}");
    }
    if let Some((_, gitlab)) = lint(&dir, Format::Gitlab, Format::Github, ColorWhen::Never) {
        assert!(is_json(&gitlab), "the GitLab report is not JSON:\n{gitlab}");
    }
    lint(&dir, Format::Text, Format::Text, ColorWhen::Always);
    // `graph` renders its JSON along with each of the others.
    for format in [GraphFormat::Mermaid, GraphFormat::Dot, GraphFormat::Json] {
        let drawn = cli::graph(&GraphArgs {
            input: input(&dir),
            format,
        });
        if let (GraphFormat::Json, Ok(out)) = (format, drawn) {
            assert!(
                is_json(&out.stdout),
                "the graph is not JSON:\n{}",
                out.stdout
            );
        }
    }
});
