//! `stacklint -`: one file read from standard input, with the path `--stdin-filename`
//! gives it, linted with the rest of its stack read from disk. What an editor needs for
//! an unsaved buffer, and what `cat compose.yaml | stacklint -` does in a pipeline.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::tree;

/// Runs stacklint in `dir` with `input` on standard input: (exit code, stdout, stderr).
fn with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stacklint"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        // A run that refuses its arguments may exit before reading: a broken pipe is fine.
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().expect("binary ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"127.0.0.1:8080:80\"]\n";
/// The same stack with a variable that only the `.env` on disk defines.
const WITH_VAR: &str =
    "services:\n  web:\n    image: nginx:${NGINX_TAG}\n    ports: [\"127.0.0.1:8080:80\"]\n";

#[test]
fn the_text_on_stdin_is_linted_in_place_of_the_file_with_its_stack_from_disk() {
    let dir = tree(&[("compose.yaml", GOOD), (".env", "NGINX_TAG=1.27\n")]);
    let select = ["--select", "SL301", "--format", "concise"];
    // The buffer uses a variable the .env on disk defines: nothing to report.
    let mut args = vec!["-", "--stdin-filename", "compose.yaml"];
    args.extend(select);
    let (code, out, err) = with_stdin(&dir, &args, WITH_VAR.as_bytes());
    assert_eq!(code, 0, "{out}{err}");

    // Without that .env the same text has an undefined variable, reported at the
    // buffer's own line and column, under the name it was given.
    let bare = tree(&[("compose.yaml", GOOD)]);
    let (code, out, err) = with_stdin(&bare, &args, WITH_VAR.as_bytes());
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("compose.yaml:3:18: SL301 "), "{out}");
    // The file on disk (GOOD) was not what was read.
    let (code, out, _) = common::stacklint_in(&bare, &select);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn the_file_need_not_exist_and_its_name_decides_what_it_is() {
    let dir = tree(&[("deploy/.env", "NGINX_TAG=1.27\n")]);
    // A compose file not yet saved: its directory's .env is still read.
    let (code, out, err) = with_stdin(
        &dir,
        &[
            "-",
            "--stdin-filename",
            "deploy/compose.yaml",
            "--select",
            "SL301",
        ],
        WITH_VAR.as_bytes(),
    );
    assert_eq!(code, 0, "{out}{err}");
    // An NGINX config: parsed as NGINX, its error placed in it.
    let (code, out, err) = with_stdin(
        &dir,
        &["-", "--stdin-filename", "nginx.conf", "--format", "concise"],
        b"events {}\nhttp {\n  server { listen 80;\n}\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("nginx.conf:"), "{out}");
    assert!(out.contains(" SL001 "), "{out}");
    // No name: a compose file in the working directory.
    let (code, out, err) = with_stdin(
        &dir,
        &["-", "--format", "json", "--select", "SL301"],
        WITH_VAR.as_bytes(),
    );
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        json["findings"][0]["location"]["path"], "compose.yaml",
        "{json}"
    );
}

#[test]
fn stdin_is_refused_where_it_cannot_work() {
    let dir = tree(&[("compose.yaml", GOOD)]);
    for (args, says) in [
        (&["-", "."][..], "linted alone"),
        (&["-", "-f", "compose.yaml"][..], "linted alone"),
        (
            &[".", "--stdin-filename", "compose.yaml"][..],
            "give `-` as the path",
        ),
        (&["-", "--fix"][..], "do not take `-`"),
        (&["-", "--diff"][..], "do not take `-`"),
        (&["-", "--stdin-filename", "."][..], "is a directory"),
    ] {
        let (code, _, err) = with_stdin(&dir, args, GOOD.as_bytes());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
    }
    // More than the 8 MiB a file may have: said, not read into memory without end.
    let big = vec![b'#'; 8 * 1024 * 1024 + 10];
    let (code, _, err) = with_stdin(&dir, &["-"], &big);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("larger than 8 MiB"), "{err}");
}
