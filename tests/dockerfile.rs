//! The container image (`Dockerfile`). There is no Docker engine where the tests run, so
//! the image is not built here: the Dockerfile is read with stacklint's own parser and
//! held to what it promises (a multi-stage build with `cargo build --release --locked` in
//! the official Rust image, a distroless non-root runtime), and the two facts the build
//! depends on are checked for real: `--locked` accepts Cargo.lock, and the Rust of the
//! build stage is new enough for every locked dependency.

mod common;

use std::process::Command;

use common::manifest;
use stacklint::parse::dockerfile::{self, Instruction};
use stacklint::source::{FileId, FileKind, SourceFile};

fn instructions() -> Vec<Instruction> {
    let path = manifest().join("Dockerfile");
    let text = std::fs::read_to_string(&path).expect("Dockerfile");
    let src = SourceFile::new(&path, FileKind::Dockerfile, text);
    dockerfile::parse(FileId(0), &src).instructions
}

fn args(i: &Instruction) -> Vec<&str> {
    i.args.iter().map(|w| w.value.as_str()).collect()
}

/// `1.88` → (1, 88).
fn version(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

fn rust_version() -> String {
    let text = std::fs::read_to_string(manifest().join("Cargo.toml")).expect("Cargo.toml");
    let doc: toml::Table = toml::from_str(&text).expect("TOML");
    doc["package"]["rust-version"]
        .as_str()
        .expect("rust-version")
        .to_string()
}

#[test]
fn the_image_is_built_with_cargo_locked_and_runs_distroless_as_non_root() {
    let ins = instructions();
    let froms: Vec<Vec<&str>> = ins.iter().filter(|i| i.name == "FROM").map(args).collect();
    assert_eq!(
        froms.len(),
        2,
        "a build stage and a runtime stage: {froms:?}"
    );

    // The build stage: the official Rust image at the crate's minimum Rust.
    let build_image = froms[0][0];
    let tag = build_image
        .strip_prefix("rust:")
        .expect("the build stage is the official Rust image");
    let tag_version = tag.split('-').next().unwrap_or_default();
    assert_eq!(
        version(tag_version),
        version(&rust_version()),
        "the build stage's Rust ({tag}) is Cargo.toml's rust-version"
    );
    assert_eq!(&froms[0][1..], ["AS", "build"]);
    let runs: Vec<String> = ins
        .iter()
        .filter(|i| i.name == "RUN")
        .map(|i| args(i).join(" "))
        .collect();
    assert_eq!(runs, ["cargo build --release --locked --bin stacklint"]);

    // The runtime stage: distroless, the binary copied from the build, a non-root user.
    assert!(
        froms[1][0].starts_with("gcr.io/distroless/cc-debian12:nonroot"),
        "{:?}",
        froms[1]
    );
    let runtime: Vec<&Instruction> = ins
        .iter()
        .skip_while(|i| i.name != "FROM")
        .skip(1)
        .skip_while(|i| i.name != "FROM")
        .collect();
    let find = |name: &str| {
        runtime
            .iter()
            .find(|i| i.name == name)
            .map(|i| args(i))
            .unwrap_or_else(|| panic!("the runtime stage has {name}"))
    };
    assert_eq!(
        find("COPY"),
        [
            "--from=build",
            "/build/target/release/stacklint",
            "/usr/local/bin/stacklint"
        ]
    );
    let user = find("USER");
    assert!(
        user.len() == 1 && user[0] != "root" && user[0] != "0",
        "{user:?}"
    );
    assert_eq!(find("ENTRYPOINT"), ["/usr/local/bin/stacklint"]);
    assert_eq!(
        find("WORKDIR"),
        ["/src"],
        "the README mounts the stack at /src"
    );
    assert_eq!(find("CMD"), ["."]);

    // The build context leaves out the build output.
    let ignore = std::fs::read_to_string(manifest().join(".dockerignore")).expect(".dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target/"), "{ignore}");
}

/// `cargo build --locked` fails when Cargo.lock is not what Cargo.toml resolves to, and
/// every locked dependency names the oldest Rust it builds with: the crate's
/// `rust-version` (and so the image's Rust) must be at least the newest of those.
#[test]
fn cargo_lock_is_in_sync_and_rust_version_covers_every_dependency() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(manifest())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo metadata --locked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let ours = version(&rust_version());
    let mut too_new = Vec::new();
    for p in meta["packages"].as_array().expect("packages") {
        if let Some(v) = p["rust_version"].as_str() {
            if version(v) > ours {
                too_new.push(format!("{} {} needs Rust {v}", p["name"], p["version"]));
            }
        }
    }
    assert!(
        too_new.is_empty(),
        "rust-version {} is too old: {too_new:#?}",
        rust_version()
    );
}
