#![no_main]
//! A whole stack through the lint the CLI runs, every report format and the graph.
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

/// One lint run: `format` to the --output file, `stdout` on stdout.
fn lint(dir: &std::path::Path, format: Format, stdout: Format, color: ColorWhen) {
    let args = Args {
        input: input(dir),
        format: Some(format),
        output: Some(dir.join("report.out")),
        stdout_format: Some(stdout),
        color,
        ..Args::default()
    };
    // A bad stacklint.toml is an error message, not a crash.
    let _ = cli::run(&args);
}

fuzz_target!(|data: &[u8]| {
    init();
    let dir = scratch("stack");
    for (part, name) in split(data, FILES.len()).into_iter().zip(FILES) {
        write(&dir, name, part);
    }
    // Every renderer once: JSON and SARIF, GitHub and GitLab, plain and coloured text.
    lint(&dir, Format::Sarif, Format::Json, ColorWhen::Never);
    lint(&dir, Format::Gitlab, Format::Github, ColorWhen::Never);
    lint(&dir, Format::Text, Format::Text, ColorWhen::Always);
    // `graph` renders JSON with each of the others.
    for format in [GraphFormat::Mermaid, GraphFormat::Dot] {
        let _ = cli::graph(&GraphArgs {
            input: input(&dir),
            format,
        });
    }
});
