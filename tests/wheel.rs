//! The PyPI package: the wheel maturin builds from pyproject.toml installs into a fresh
//! virtualenv and gives a working `stacklint` there, with no Rust toolchain involved.
//!
//! `.ci/run` builds the wheel (`maturin build --profile dev`, from `python/`) before
//! `cargo test`, sharing this checkout's compiled dependencies. Run locally without it,
//! this test builds the wheel itself when `maturin` is on PATH (in a target directory of
//! its own, since the running `cargo test` holds this one), and otherwise says it skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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

/// The wheel of target/wheels, else one maturin builds, once for all the tests of this
/// file (two builds at once in one target directory would trip over each other).
fn built_wheel() -> Option<PathBuf> {
    static WHEEL: OnceLock<Option<PathBuf>> = OnceLock::new();
    WHEEL
        .get_or_init(|| {
            if let Some(w) = wheel_in(&manifest().join("target/wheels")) {
                return Some(w);
            }
            let out = manifest().join("target/wheel-test/dist");
            let _ = std::fs::remove_dir_all(&out);
            let status = Command::new("maturin")
                .args(["build", "--profile", "dev", "--out"])
                .arg(&out)
                .current_dir(manifest().join("python"))
                .env("CARGO_TARGET_DIR", manifest().join("target/wheel-test"))
                .status()
                .ok()?;
            assert!(status.success(), "maturin build failed");
            wheel_in(&out)
        })
        .clone()
}

#[test]
fn the_wheel_installs_into_a_fresh_virtualenv_and_lints() {
    let work = tree(&[]);
    let Some(wheel) = built_wheel() else {
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

/// Runs `action/install.sh` as the action's install step would, with pip pointed at
/// `links` alone: (exit code, stdout + stderr, the `bin` output).
fn install_step(
    work: &Path,
    links: &Path,
    version: &str,
    install: &str,
) -> (i32, String, Option<String>) {
    let temp = work.join(format!("runner-temp-{install}-{version}"));
    std::fs::create_dir_all(&temp).expect("mkdir");
    let output = temp.join("github-output");
    std::fs::write(&output, "").expect("output file");
    let run = Command::new("bash")
        .arg(manifest().join("action/install.sh"))
        .env("RUNNER_TEMP", &temp)
        .env("GITHUB_OUTPUT", &output)
        .env("INPUT_VERSION", version)
        .env("INPUT_INSTALL", install)
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", links)
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let written = std::fs::read_to_string(&output).unwrap_or_default();
    // `bin<<DELIM`, the path, `DELIM`.
    let bin = written
        .strip_prefix("bin<<")
        .and_then(|rest| rest.lines().nth(1))
        .map(str::to_string);
    (run.status.code().unwrap_or(-1), text, bin)
}

#[test]
fn the_action_installs_the_wheel_of_its_own_version() {
    let work = tree(&[]);
    // Refused before anything is installed: these need neither a wheel nor a network.
    let (code, out, bin) = install_step(&work, &work, "1.0 --index-url=http://x", "wheel");
    assert_eq!((code, bin), (1, None), "{out}");
    assert!(
        out.contains("::error title=stacklint::version must be a stacklint release"),
        "{out}"
    );
    // A second line would be a workflow command of its own: refused, and escaped.
    let (code, out, _) = install_step(&work, &work, "0.1.0\n::warning::injected", "wheel");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not '0.1.0%0A::warning::injected'") && !out.contains("\n::warning::"),
        "{out}"
    );
    let (code, out, _) = install_step(&work, &work, "", "binary");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("install must be wheel or source, not 'binary'"),
        "{out}"
    );

    let Some(wheel) = built_wheel() else {
        eprintln!("skipped: the action's wheel install (no wheel in target/wheels, no maturin)");
        return;
    };
    let links = wheel.parent().expect("a wheel is in a directory");
    // A version PyPI (here: the wheel directory) does not have: a clear error.
    let (code, out, bin) = install_step(&work, links, "999.0.0", "wheel");
    assert_eq!((code, bin), (1, None), "{out}");
    assert!(
        out.contains("could not install stacklint 999.0.0") && out.contains("set install: source"),
        "{out}"
    );
    // No version input: the action's own, which is this checkout's.
    let (code, out, bin) = install_step(&work, links, "", "wheel");
    assert_eq!(code, 0, "{out}");
    let bin = bin.expect("the step outputs the binary's path");
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .expect("the installed stacklint runs");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("stacklint {}", env!("CARGO_PKG_VERSION"))
    );
}

/// The root pyproject.toml is what pre-commit installs for the `stacklint` hook: it must
/// require exactly this version of the wheel.
#[test]
fn the_pre_commit_package_requires_this_version_of_the_wheel() {
    let text = std::fs::read_to_string(manifest().join("pyproject.toml")).expect("pyproject");
    let doc: toml::Table = toml::from_str(&text).expect("pyproject.toml is TOML");
    let project = doc["project"].as_table().expect("[project]");
    assert_eq!(project["version"].as_str(), Some(env!("CARGO_PKG_VERSION")));
    let deps: Vec<&str> = project["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter_map(|d| d.as_str())
        .collect();
    assert_eq!(
        deps,
        [format!("stacklint=={}", env!("CARGO_PKG_VERSION"))],
        "the hook installs the wheel of this release"
    );
    // And the wheel's own pyproject builds this crate's binary.
    let wheel = std::fs::read_to_string(manifest().join("python/pyproject.toml"))
        .expect("python/pyproject.toml");
    let wheel: toml::Table = toml::from_str(&wheel).expect("TOML");
    assert_eq!(wheel["project"]["name"].as_str(), Some("stacklint"));
    assert_eq!(
        wheel["tool"]["maturin"]["manifest-path"].as_str(),
        Some("../Cargo.toml")
    );
    assert_eq!(wheel["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
}

fn pre_commit() -> Option<PathBuf> {
    let local = manifest().join("target/ci-venv/bin/pre-commit");
    if local.is_file() {
        return Some(local);
    }
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("pre-commit"))
}

/// pre-commit itself, on a repository holding the README's example stack: the
/// `stacklint` hook installs from the wheel (and setuptools, to build the root package)
/// with no index, runs, and fails on the stack's findings.
#[test]
fn the_pre_commit_hook_runs_the_wheel() {
    let Some(pre_commit) = pre_commit() else {
        eprintln!("skipped: the pre-commit hook (no pre-commit; .ci/run installs it)");
        return;
    };
    let links = manifest().join("target/wheels");
    let has = |prefix: &str| {
        std::fs::read_dir(&links).is_ok_and(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
        })
    };
    if wheel_in(&links).is_none() || !has("setuptools-") {
        eprintln!(
            "skipped: the pre-commit hook (target/wheels needs the stacklint wheel and a setuptools wheel; .ci/run puts both there)"
        );
        return;
    }
    let work = tree(&[]);
    let repo = work.join("repo");
    common::copy_dir(&manifest().join("fixtures/proxy-stack-before"), &repo);
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&repo)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !git(&["init", "-q"]) || !git(&["add", "-A"]) {
        eprintln!("skipped: the pre-commit hook (no git)");
        return;
    }
    let run = Command::new(&pre_commit)
        .arg("try-repo")
        .arg(manifest())
        .args(["stacklint", "--all-files", "--color", "never"])
        .current_dir(&repo)
        .env("PRE_COMMIT_HOME", work.join("pre-commit-home"))
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", &links)
        .output()
        .expect("pre-commit runs");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(
        out.contains("stacklint") && out.contains("Failed") && out.contains("SL203"),
        "{out}"
    );
}
