//! env-file-committed (SL305) on real git repositories: each test builds a
//! repository in a temporary directory with the `git` program (the tests may
//! run git; stacklint itself never does) and checks what the rule reads from
//! its index and `.gitignore` files.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;

const COMPOSE: &str = "services:\n  api:\n    image: ghcr.io/example/api:2.4.1\n    environment:\n      JWT_SECRET: ${JWT_SECRET:?}\n";
const SECRET: &str = "5e8a1c3f7b9d2e4a6c8b0d1f3e5a7c9b";

fn env_text() -> String {
    format!("LOG_LEVEL=info\nJWT_SECRET={SECRET}\n")
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "init.defaultBranch=main", "-c", "core.excludesFile="])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs (the tests need the git program)");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository holding `files`.
fn repo(files: &[(&str, &str)]) -> common::Dir {
    let dir = common::tree(files);
    git(&dir, &["init", "-q"]);
    dir
}

/// The SL305 findings of linting `dir`, from the JSON report.
fn findings(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec![
        ".",
        "--select",
        "SL305",
        "--format",
        "json",
        "--fail-on",
        "never",
    ];
    all.extend_from_slice(args);
    let (code, out, err) = common::stacklint_in(dir, &all);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(SECRET), "a secret value was printed:\n{out}");
    let v: Value = serde_json::from_str(&out).expect("JSON report");
    v["findings"].as_array().cloned().unwrap_or_default()
}

fn message(f: &Value) -> &str {
    f["message"].as_str().unwrap_or_default()
}

/// (path, line) of each related span.
fn related(f: &Value) -> Vec<(String, u64)> {
    f["related"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["location"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                r["location"]["start"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn silent_outside_a_work_tree() {
    let env = env_text();
    let dir = common::tree(&[("compose.yaml", COMPOSE), (".env", &env)]);
    assert!(findings(&dir, &[]).is_empty());
}

#[test]
fn an_env_file_no_gitignore_ignores_is_reported_at_its_first_secret() {
    let env = env_text();
    let dir = repo(&[("compose.yaml", COMPOSE), (".env", &env)]);
    let f = findings(&dir, &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        message(&f[0]).contains("does not ignore it"),
        "{}",
        message(&f[0])
    );
    assert!(message(&f[0]).contains("`JWT_SECRET`"));
    assert_eq!(f[0]["location"]["path"], ".env");
    assert_eq!(f[0]["location"]["start"]["line"], 2);
}

#[test]
fn an_ignored_untracked_env_file_is_fine() {
    let env = env_text();
    for pattern in [".env\n", "*.env\n", "/.env\n", ".env*\n!.env.example\n"] {
        let dir = repo(&[
            ("compose.yaml", COMPOSE),
            (".env", &env),
            (".gitignore", pattern),
        ]);
        assert!(findings(&dir, &[]).is_empty(), "{pattern:?}");
    }
}

#[test]
fn an_ignored_directory_hides_the_file_even_from_a_negation() {
    let env = env_text();
    // git cannot re-include a file whose directory is excluded.
    let dir = repo(&[
        ("deploy/compose.yaml", COMPOSE),
        ("deploy/.env", &env),
        (".gitignore", "deploy/\n!deploy/.env\n"),
    ]);
    // Named on the command line: the walk of `.` would skip the ignored directory.
    assert!(findings(&dir.join("deploy"), &[]).is_empty());
}

#[test]
fn a_negation_that_unignores_the_file_is_its_evidence() {
    let env = env_text();
    let dir = repo(&[
        ("compose.yaml", COMPOSE),
        (".env", &env),
        (".gitignore", "node_modules/\n.env\n!.env\n"),
    ]);
    let f = findings(&dir, &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(message(&f[0]).contains("un-ignores"), "{}", message(&f[0]));
    assert_eq!(related(&f[0]), vec![(".gitignore".to_string(), 3)]);
}

#[test]
fn a_deeper_gitignore_decides_before_the_root_one() {
    let env = env_text();
    let dir = repo(&[
        ("stack/compose.yaml", COMPOSE),
        ("stack/.env", &env),
        (".gitignore", ".env\n"),
        ("stack/.gitignore", "!.env\n"),
    ]);
    let f = findings(&dir.join("stack"), &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(related(&f[0]), vec![(".gitignore".to_string(), 1)]);

    let dir = repo(&[
        ("stack/compose.yaml", COMPOSE),
        ("stack/.env", &env),
        (".gitignore", "!.env\n"),
        ("stack/.gitignore", ".env\n"),
    ]);
    assert!(findings(&dir.join("stack"), &[]).is_empty());
}

#[test]
fn a_tracked_env_file_is_reported_even_when_ignored() {
    let env = env_text();
    let dir = repo(&[
        ("compose.yaml", COMPOSE),
        (".env", &env),
        (".gitignore", "# secrets\n.env\n"),
    ]);
    git(&dir, &["add", "-f", ".env"]);
    let f = findings(&dir, &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        message(&f[0]).contains("is tracked by git"),
        "{}",
        message(&f[0])
    );
    // The ignoring line is evidence that it does not help.
    assert_eq!(related(&f[0]), vec![(".gitignore".to_string(), 2)]);

    git(&dir, &["rm", "-q", "--cached", ".env"]);
    assert!(findings(&dir, &[]).is_empty());
}

#[test]
fn the_index_is_read_in_every_format_git_writes() {
    let env = env_text();
    for setup in [
        &["update-index", "--index-version", "2"][..],
        &["update-index", "--index-version", "3"],
        &["update-index", "--index-version", "4"],
        &["update-index", "--split-index"],
    ] {
        let dir = repo(&[
            ("compose.yaml", COMPOSE),
            (".env", &env),
            ("a/b/c.txt", "x"),
        ]);
        git(&dir, &["add", "."]);
        git(&dir, &["commit", "-q", "-m", "init"]);
        git(&dir, setup);
        let f = findings(&dir, &[]);
        assert_eq!(f.len(), 1, "{setup:?}: {f:?}");
        assert!(message(&f[0]).contains("is tracked by git"), "{setup:?}");
    }
}

#[test]
fn a_linked_worktree_reads_its_own_index() {
    let env = env_text();
    let dir = common::tree(&[
        ("main/compose.yaml", COMPOSE),
        ("main/.gitignore", ".env\n"),
    ]);
    let main = dir.join("main");
    git(&main, &["init", "-q"]);
    git(&main, &["add", "."]);
    git(&main, &["commit", "-q", "-m", "init"]);
    git(&main, &["worktree", "add", "-q", "../wt"]);
    let wt = dir.join("wt");
    std::fs::write(wt.join(".env"), &env).expect("write");
    // Ignored through the worktree's checked-out .gitignore, not tracked.
    assert!(findings(&wt, &[]).is_empty());
    git(&wt, &["add", "-f", ".env"]);
    let f = findings(&wt, &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(message(&f[0]).contains("is tracked by git"));
    // The main work tree's index does not have it.
    std::fs::write(main.join(".env"), &env).expect("write");
    assert!(findings(&main, &[]).is_empty());
}

#[test]
fn a_service_env_file_is_read_and_templates_are_not() {
    let dir = repo(&[
        (
            "compose.yaml",
            "services:\n  api:\n    image: ghcr.io/example/api:2.4.1\n    env_file: config/api.env\n",
        ),
        ("config/api.env", &format!("API_TOKEN={SECRET}\n")),
        (".env.example", &format!("JWT_SECRET={SECRET}\n")),
    ]);
    let f = findings(&dir, &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["location"]["path"], "config/api.env");
}

#[test]
fn placeholders_references_and_public_values_are_no_secrets() {
    let dir = repo(&[
        ("compose.yaml", COMPOSE),
        (
            ".env",
            "JWT_SECRET=changeme\nAPI_TOKEN=\nDB_PASSWORD=${OTHER}\nSENTRY_DSN=https://4f2a9c1e@o1.ingest.sentry.io/2\nDATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\nDEBUG=true\n",
        ),
    ]);
    assert!(findings(&dir, &[]).is_empty());
    // The same file with one real value is reported, at that value's key.
    std::fs::write(
        dir.join(".env"),
        format!("JWT_SECRET=changeme\nDATABASE_URL=postgres://app:{SECRET}@db/app\n"),
    )
    .expect("write");
    let f = findings(&dir, &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        message(&f[0]).contains("`DATABASE_URL`"),
        "{}",
        message(&f[0])
    );
}

#[test]
fn a_file_of_its_own_and_a_broken_index() {
    let env = env_text();
    let dir = repo(&[(".env", &env)]);
    // A `.env` linted on its own is read too.
    let (_, out, _) =
        common::stacklint_in(&dir, &[".env", "--select", "SL305", "--format", "json"]);
    assert!(out.contains("\"SL305\""), "{out}");
    // An index that cannot be read leaves the .gitignore half: still reported
    // when nothing ignores the file, silent when something does.
    std::fs::write(dir.join(".git/index"), "DIRC garbage").expect("write");
    let (_, out, _) =
        common::stacklint_in(&dir, &[".env", "--select", "SL305", "--format", "json"]);
    assert!(out.contains("does not ignore it"), "{out}");
    std::fs::write(dir.join(".gitignore"), ".env\n").expect("write");
    let (_, out, _) =
        common::stacklint_in(&dir, &[".env", "--select", "SL305", "--format", "json"]);
    assert!(!out.contains("\"SL305\""), "{out}");
}

/// Whether a file is ignored, as we read it and as `git check-ignore` says, over
/// patterns that exercise git's rules: anchoring, `**`, directories, negation,
/// nested `.gitignore` files, escapes and trailing spaces.
#[test]
fn ignored_as_git_check_ignore_says() {
    let cases: &[(&str, &str, &str)] = &[
        // (root .gitignore, stack/.gitignore, env file below the root)
        (".env", "", "stack/.env"),
        ("/.env", "", "stack/.env"),
        ("/.env", "", ".env"),
        ("stack/.env", "", "stack/.env"),
        ("**/.env", "", "a/b/stack/.env"),
        ("*.env", "", "stack/prod.env"),
        ("*.env\n!prod.env", "", "stack/prod.env"),
        (".env*", "", "stack/.env.local"),
        ("stack/", "", "stack/.env"),
        ("stack", "", "stack/.env"),
        ("stack/*\n!stack/.env", "", "stack/.env"),
        ("stack/\n!stack/.env", "", "stack/.env"),
        ("*\n!*/\n!.gitignore", "", "stack/.env"),
        ("*\n!*/\n!*.env", "", "stack/.env"),
        ("", ".env", "stack/.env"),
        ("", "/.env", "stack/.env"),
        ("", "*", "stack/.env"),
        (".env", "!.env", "stack/.env"),
        ("!.env", ".env", "stack/.env"),
        ("\\#.env", "", "stack/#.env"),
        (".env   ", "", "stack/.env"),
        ("# .env", "", "stack/.env"),
        ("a/**/b/.env", "", "a/x/y/b/.env"),
        ("config/*.env", "", "config/sub/app.env"),
        ("[.]env", "", "stack/.env"),
    ];
    for (root, sub, file) in cases {
        let stack = Path::new(file).parent().expect("has a parent");
        let mut files = vec![(*file, "X=1\n")];
        if !root.is_empty() {
            files.push((".gitignore", root));
        }
        let sub_path = format!("{}/.gitignore", stack.display());
        if !sub.is_empty() {
            files.push((&sub_path, sub));
        }
        let dir = repo(&files);
        let git_says = Command::new("git")
            .args([
                "-c",
                "core.excludesFile=",
                "check-ignore",
                "-q",
                "--no-index",
                file,
            ])
            .current_dir(&*dir)
            .status()
            .expect("git runs")
            .code();
        let cache = stacklint::compose::git::GitCache::default();
        let st =
            stacklint::compose::git::status(&stacklint::source::real_path(&dir.join(file)), &cache)
                .expect("in a work tree");
        assert_eq!(
            st.ignored,
            git_says == Some(0),
            "root {root:?}, stack {sub:?}, file {file}: git says {git_says:?}"
        );
    }
}

/// Git's files are input too: a FIFO for an index, and a `.git` file that points
/// nowhere, are read as "unknown", never waited on. (A FIFO `.gitignore` still
/// blocks the project walk, which reads it through the ignore crate.)
#[test]
fn hostile_git_files_neither_block_nor_crash() {
    let env = env_text();
    let dir = repo(&[("compose.yaml", COMPOSE), (".env", &env)]);
    let fifo = |p: &Path| {
        let _ = std::fs::remove_file(p);
        let ok = Command::new("mkfifo").arg(p).status().expect("mkfifo runs");
        assert!(ok.success());
    };
    fifo(&dir.join(".git/index"));
    let (code, out, err) = common::stacklint_within(
        std::time::Duration::from_secs(20),
        &dir,
        &[
            ".",
            "--select",
            "SL305",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The index is unknown; nothing ignores the file.
    assert!(out.contains("does not ignore it"), "{out}");

    // A linked worktree whose git directory is gone: not a work tree.
    let other = common::tree(&[
        ("compose.yaml", COMPOSE),
        (".env", &env),
        (".git", "gitdir: /nonexistent/worktrees/x\n"),
    ]);
    assert!(findings(&other, &[]).is_empty());
}
