//! The PyPI package: the wheel maturin builds from pyproject.toml installs into a fresh
//! virtualenv and gives a working `stacklint` there, with no Rust toolchain involved.
//!
//! `.ci/run` builds the wheel (`maturin build --profile dev --out target/wheels`) before
//! `cargo test`, sharing this checkout's compiled dependencies. Run locally without it,
//! this test builds the wheel itself when `maturin` is on PATH (in a target directory of
//! its own, since the running `cargo test` holds this one), and otherwise says it skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{manifest, tree};

/// The newest wheel of this version in `dir`.
fn wheel_in(dir: &Path) -> Option<PathBuf> {
    let prefix = format!("stacklint-{}-", env!("CARGO_PKG_VERSION"));
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

fn built_wheel(out: &Path) -> Option<PathBuf> {
    if let Some(w) = wheel_in(&manifest().join("target/wheels")) {
        return Some(w);
    }
    let status = Command::new("maturin")
        .args(["build", "--profile", "dev", "--out"])
        .arg(out)
        .current_dir(manifest())
        .env("CARGO_TARGET_DIR", manifest().join("target/wheel-test"))
        .status()
        .ok()?;
    assert!(status.success(), "maturin build failed");
    wheel_in(out)
}

#[test]
fn the_wheel_installs_into_a_fresh_virtualenv_and_lints() {
    let work = tree(&[]);
    let Some(wheel) = built_wheel(&work.join("dist")) else {
        eprintln!(
            "skipped: no wheel in target/wheels and no maturin on PATH (`pip install maturin`)"
        );
        return;
    };
    let venv = work.join("venv");
    let made = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status();
    let Ok(made) = made else {
        eprintln!("skipped: no python3 to make a virtualenv with");
        return;
    };
    assert!(made.success(), "python3 -m venv failed");
    // --no-index: the wheel alone, nothing fetched.
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--no-index", "--quiet"])
        .arg(&wheel)
        .status()
        .expect("the virtualenv has pip");
    assert!(pip.success(), "pip install {} failed", wheel.display());

    let bin = venv.join("bin/stacklint");
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .expect("stacklint installed");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("stacklint {}", env!("CARGO_PKG_VERSION"))
    );
    // The README's example stack, linted by the installed binary: the NGINX config
    // mounted where nginx never reads it (SL203) is found, and the exit code says so.
    let run = Command::new(&bin)
        .args(["fixtures/proxy-stack-before", "--format", "concise"])
        .current_dir(manifest())
        .output()
        .expect("stacklint runs");
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(
        out.lines().any(|l| {
            l.starts_with("fixtures/proxy-stack-before/docker-compose.yml:")
                && l.contains(": SL203 ")
        }),
        "{out}"
    );
}
