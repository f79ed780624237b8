//! Hostile files in a stack (a FIFO, a symlink to `/dev/zero`, a huge file)
//! never hang the linter or exhaust memory: each becomes an SL001 finding,
//! and the rest of the stack is still linted. Unix only (FIFOs, symlinks).
#![cfg(unix)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

mod common;

const LIMIT: Duration = Duration::from_secs(2);

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

fn symlink_zero(path: &Path) {
    std::os::unix::fs::symlink("/dev/zero", path).unwrap();
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir` with a JSON report, killed if it runs past [`LIMIT`].
fn run(dir: &Path, args: &[&str]) -> Run {
    let args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    let (code, stdout, stderr) = common::stacklint_within(LIMIT, dir, &args);
    Run {
        code,
        stdout,
        stderr,
    }
}

/// The (rule, file, message) of each finding of a JSON report.
fn findings(r: &Run) -> Vec<(String, String, String)> {
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    let list = v
        .get("findings")
        .and_then(|f| f.as_array())
        .unwrap_or_else(|| panic!("no findings array: {}", r.stdout));
    list.iter()
        .map(|f| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (s(&f["code"]), s(&f["location"]["path"]), s(&f["message"]))
        })
        .collect()
}

fn has(r: &Run, code: &str, file: &str, msg: &str) -> bool {
    findings(r)
        .iter()
        .any(|(c, f, m)| c == code && f == file && m.contains(msg))
}

const STACK: &str = "services:\n  web:\n    image: nginx:1.27\n    env_file: web.env\n";

#[test]
fn a_fifo_env_file_is_reported_at_its_reference() {
    let dir = common::tree(&[]);
    std::fs::write(dir.join("compose.yaml"), STACK).unwrap();
    mkfifo(&dir.join("web.env"));
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        has(
            &r,
            "SL001",
            "compose.yaml",
            "cannot read `web.env`: not a regular file"
        ),
        "{}",
        r.stdout
    );
    // The compose file itself is still linted.
    assert!(
        findings(&r).iter().any(|(c, _, _)| c != "SL001"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_fifo_or_dev_zero_dotenv_is_reported_at_its_first_line() {
    for (name, make) in [
        ("fifo-dotenv", mkfifo as fn(&Path)),
        ("zero-dotenv", symlink_zero),
    ] {
        let dir = common::tree(&[]);
        std::fs::write(
            dir.join("compose.yaml"),
            "services:\n  web:\n    image: nginx:1.27\n",
        )
        .unwrap();
        make(&dir.join(".env"));
        let r = run(&dir, &["."]);
        assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
        assert!(
            has(&r, "SL001", ".env", "cannot read `.env`"),
            "{name}: {}",
            r.stdout
        );
        assert!(
            findings(&r).iter().any(|(_, f, _)| f == "compose.yaml"),
            "{name}: {}",
            r.stdout
        );
    }
}

#[test]
fn a_fifo_compose_file_is_reported_found_or_named() {
    let dir = common::tree(&[]);
    mkfifo(&dir.join("compose.yaml"));
    for args in [&["."][..], &["-f", "compose.yaml"][..]] {
        let r = run(&dir, args);
        assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            has(&r, "SL001", "compose.yaml", "not a regular file"),
            "{args:?}: {}",
            r.stdout
        );
    }
}

#[test]
fn a_compose_file_over_8_mib_is_reported() {
    let dir = common::tree(&[]);
    let mut text = String::from("services:\n  web:\n    image: nginx:1.27\n");
    text.push_str(&"# padding\n".repeat(9 * 1024 * 1024 / 10 + 1));
    std::fs::write(dir.join("compose.yaml"), text).unwrap();
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        has(&r, "SL001", "compose.yaml", "larger than 8 MiB"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_included_dev_zero_is_reported_at_the_include() {
    let dir = common::tree(&[]);
    std::fs::write(
        dir.join("compose.yaml"),
        "include:\n  - other.yaml\nservices:\n  web:\n    image: nginx:1.27\n",
    )
    .unwrap();
    symlink_zero(&dir.join("other.yaml"));
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        has(&r, "SL001", "compose.yaml", "cannot read `other.yaml`"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_missing_path_on_the_command_line_is_one_line_and_exit_2() {
    let dir = common::tree(&[]);
    let r = run(&dir, &["nope"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("nope"), "{}", r.stderr);
}

#[test]
fn a_fifo_dockerfile_is_reported_at_the_build() {
    let dir = common::tree(&[]);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  app:\n    build:\n      context: ./app\n",
    )
    .unwrap();
    mkfifo(&dir.join("app/Dockerfile"));
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        has(&r, "SL001", "compose.yaml", "cannot read `app/Dockerfile`"),
        "{}",
        r.stdout
    );
}

#[test]
fn fifo_nginx_configs_are_reported_and_a_dev_null_mount_is_not() {
    let dir = common::tree(&[]);
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n      \
         - ./nginx.conf:/etc/nginx/nginx.conf:ro\n      \
         - ./conf.d:/etc/nginx/conf.d:ro\n      \
         - /dev/null:/etc/nginx/conf.d/default.conf\n",
    )
    .unwrap();
    mkfifo(&dir.join("nginx.conf"));
    std::fs::write(dir.join("conf.d/a.conf"), "server { listen 80; }\n").unwrap();
    mkfifo(&dir.join("conf.d/b.conf"));
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let sl001: Vec<_> = findings(&r)
        .into_iter()
        .filter(|(c, _, _)| c == "SL001")
        .map(|(_, _, m)| m)
        .collect();
    assert_eq!(sl001.len(), 2, "{sl001:?}");
    assert!(
        sl001.iter().any(|m| m.contains("`nginx.conf`")),
        "{sl001:?}"
    );
    assert!(
        sl001.iter().any(|m| m.contains("`conf.d/b.conf`")),
        "{sl001:?}"
    );
}

#[test]
fn a_fifo_config_file_is_one_line_and_exit_2() {
    let dir = common::tree(&[]);
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  web:\n    image: nginx:1.27\n",
    )
    .unwrap();
    mkfifo(&dir.join("stacklint.toml"));
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}

#[test]
fn a_fifo_include_and_extends_file_are_reported_where_named() {
    let dir = common::tree(&[]);
    std::fs::write(
        dir.join("compose.yaml"),
        "include:\n  - inc.yaml\nservices:\n  web:\n    image: nginx:1.27\n  \
         worker:\n    extends:\n      file: base.yaml\n      service: app\n",
    )
    .unwrap();
    mkfifo(&dir.join("inc.yaml"));
    mkfifo(&dir.join("base.yaml"));
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    for name in ["inc.yaml", "base.yaml"] {
        assert!(
            has(
                &r,
                "SL001",
                "compose.yaml",
                &format!("cannot read `{name}`: not a regular file")
            ),
            "{name}: {}",
            r.stdout
        );
    }
}

#[test]
fn a_big_dotenv_and_a_dev_zero_env_file_flag_are_reported() {
    let dir = common::tree(&[]);
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  web:\n    image: nginx:1.27\n",
    )
    .unwrap();
    std::fs::write(dir.join(".env"), "A=1\n".repeat(9 * 1024 * 1024 / 4 + 1)).unwrap();
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        has(&r, "SL001", ".env", "larger than 8 MiB"),
        "{}",
        r.stdout
    );
    symlink_zero(&dir.join("zero.env"));
    let r = run(&dir, &["--env-file", "zero.env", "."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        has(&r, "SL001", "zero.env", "cannot read `zero.env`"),
        "{}",
        r.stdout
    );
}

/// Runs the binary as an unprivileged user (root reads a `chmod 000` file anyway):
/// through `setpriv` as `nobody` when the tests run as root, directly otherwise.
/// None (with a note) when neither can show a permission error.
fn run_unprivileged(dir: &Path, args: &[&str]) -> Option<Run> {
    let bin = env!("CARGO_BIN_EXE_stacklint");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut c = if root {
        if !Path::new("/usr/bin/setpriv").exists() {
            eprintln!("skipped: running as root without setpriv, chmod 000 cannot be tested");
            return None;
        }
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    let out = c
        .args(args)
        .args(["--format", "json"])
        .current_dir(dir)
        .output()
        .ok()?;
    // setpriv could not start the binary: `nobody` cannot reach the checkout.
    if root && matches!(out.status.code(), Some(126 | 127)) {
        eprintln!(
            "skipped: nobody cannot run {bin}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// `chmod 000` on the compose file, found or named with `-f`, and on an env_file:
/// each is SL001 with exit 1, never "No findings in 0 files".
#[test]
fn unreadable_files_are_reported_not_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = common::tree(&[
        ("compose.yaml", "services:\n  web:\n    image: nginx:1.27\n"),
        ("env/compose.yaml", STACK),
        ("env/web.env", "A=1\n"),
    ]);
    // The unprivileged user must reach the files, not read them.
    let open = std::fs::Permissions::from_mode(0o755);
    for d in [&*dir, &dir.join("env")] {
        std::fs::set_permissions(d, open.clone()).unwrap();
    }
    let closed = std::fs::Permissions::from_mode(0o000);
    std::fs::set_permissions(dir.join("compose.yaml"), closed.clone()).unwrap();
    std::fs::set_permissions(dir.join("env/web.env"), closed).unwrap();
    for args in [&["compose.yaml"][..], &["-f", "compose.yaml"][..]] {
        let Some(r) = run_unprivileged(&dir, args) else {
            return;
        };
        assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            has(&r, "SL001", "compose.yaml", "permission denied"),
            "{args:?}: {}",
            r.stdout
        );
    }
    let Some(r) = run_unprivileged(&dir.join("env"), &["."]) else {
        return;
    };
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // At the env_file reference in compose.yaml, naming the file it could not read.
    assert!(
        findings(&r).iter().any(|(c, f, m)| c == "SL001"
            && f == "compose.yaml"
            && m.contains("web.env")
            && m.contains("permission denied")),
        "{}",
        r.stdout
    );
}

/// The walk reads `.gitignore`, `.ignore` and `.git/info/exclude` files (the
/// ignore crate opens them as they are): a FIFO among them would block it. At
/// the root (or above it) they are reported and the ignore files are not read;
/// in a subdirectory (a nested repository's exclude file too) they are reported
/// and that directory is not walked.
#[test]
fn fifo_ignore_files_do_not_block_the_walk() {
    let dir = common::tree(&[
        ("compose.yaml", "services:\n  web:\n    image: nginx:1.27\n"),
        (
            "sub/compose.yaml",
            "services:\n  api:\n    image: nginx:1.27\n",
        ),
        (
            "other/compose.yaml",
            "services:\n  db:\n    image: nginx:1.27\n",
        ),
        (
            "nested/compose.yaml",
            "services:\n  cache:\n    image: nginx:1.27\n",
        ),
    ]);
    for repo in [dir.to_path_buf(), dir.join("nested")] {
        std::fs::create_dir_all(repo.join(".git/info")).unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        mkfifo(&repo.join(".git/info/exclude"));
    }
    mkfifo(&dir.join(".gitignore"));
    mkfifo(&dir.join("sub/.ignore"));
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    for file in [
        ".gitignore",
        ".git/info/exclude",
        "sub/.ignore",
        "nested/.git/info/exclude",
    ] {
        assert!(
            has(&r, "SL001", file, "not a regular file"),
            "{file}: {}",
            r.stdout
        );
    }
    // The rest of the tree is still linted.
    let files: Vec<String> = findings(&r).into_iter().map(|(_, f, _)| f).collect();
    assert!(files.iter().any(|f| f == "compose.yaml"), "{files:?}");
    assert!(files.iter().any(|f| f == "other/compose.yaml"), "{files:?}");
    assert!(
        !files.iter().any(|f| f == "nested/compose.yaml"),
        "{files:?}"
    );
}

/// A git worktree's `.git` is a file naming its git directory, whose `commondir`
/// names the repository's: the walk opens that `commondir` and the repository's
/// `info/exclude` too. A FIFO at either is reported and the worktree not walked.
#[test]
fn fifo_files_of_a_worktree_do_not_block_the_walk() {
    let dir = common::tree(&[
        ("compose.yaml", "services:\n  web:\n    image: nginx:1.27\n"),
        (
            "wt1/compose.yaml",
            "services:\n  a:\n    image: nginx:1.27\n",
        ),
        (
            "wt2/compose.yaml",
            "services:\n  b:\n    image: nginx:1.27\n",
        ),
        (".repo/worktrees/wt2/commondir", "../..\n"),
    ]);
    std::fs::create_dir_all(dir.join(".repo/worktrees/wt1")).unwrap();
    std::fs::create_dir_all(dir.join(".repo/info")).unwrap();
    mkfifo(&dir.join(".repo/worktrees/wt1/commondir"));
    mkfifo(&dir.join(".repo/info/exclude"));
    for wt in ["wt1", "wt2"] {
        let git_dir = dir.join(".repo/worktrees").join(wt);
        std::fs::write(
            dir.join(wt).join(".git"),
            format!("gitdir: {}\n", git_dir.display()),
        )
        .unwrap();
    }
    let r = run(&dir, &["."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let files: Vec<String> = findings(&r).into_iter().map(|(_, f, _)| f).collect();
    for fifo in [".repo/worktrees/wt1/commondir", ".repo/info/exclude"] {
        assert!(
            has(&r, "SL001", fifo, "not a regular file"),
            "{fifo}: {files:?}"
        );
    }
    assert!(files.iter().any(|f| f == "compose.yaml"), "{files:?}");
    assert!(!files.iter().any(|f| f.starts_with("wt")), "{files:?}");
}
