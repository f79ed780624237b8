//! The programs a command runs: a shell string or an exec-form word list,
//! through wrappers (`sh -c`, `exec`, `gosu`, ...), into [`Invocation`]s.

use super::{split, Text};

/// One program run by a command, after wrappers (`sh -c`, `exec`, `gosu`, ...).
#[derive(Clone, Debug)]
pub struct Invocation {
    /// Lower-case base name (`gunicorn`), or the Python module (`http.server`).
    pub prog: compact_str::CompactString,
    pub prog_word: Text,
    pub args: Vec<Text>,
    pub background: bool,
    pub writes_file: bool,
}

/// `/usr/local/bin/gunicorn` → `gunicorn`.
pub fn basename(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase()
}

/// The programs a shell string runs.
pub fn invocations(t: &Text) -> Vec<Invocation> {
    let mut out = Vec::new();
    run_shell(t, 0, &mut out);
    out
}

/// The programs an exec-form word list runs.
pub fn expand_words(words: &[Text]) -> Vec<Invocation> {
    let mut out = Vec::new();
    expand(words, false, false, 0, &mut out);
    out
}

const MAX_NESTING: usize = 4;

fn run_shell(t: &Text, depth: usize, out: &mut Vec<Invocation>) {
    if depth > MAX_NESTING {
        return;
    }
    for cmd in split(t) {
        expand(&cmd.words, cmd.background, cmd.writes_file, depth, out);
    }
}

fn is_assignment(s: &str) -> bool {
    match s.split_once('=') {
        Some((k, _)) => {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !k.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

fn is_python(name: &str) -> bool {
    name == "python"
        || name == "pypy3"
        || name
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn expand(
    words: &[Text],
    background: bool,
    writes_file: bool,
    depth: usize,
    out: &mut Vec<Invocation>,
) {
    let mut i = 0;
    // Skips option words (and `--`), with the options in `with_arg` taking a value.
    let skip_opts = |i: &mut usize, with_arg: &[&str]| {
        while let Some(w) = words.get(*i) {
            if w.s == "--" {
                *i += 1;
                break;
            }
            if !w.s.starts_with('-') || w.s == "-" {
                break;
            }
            *i += if with_arg.contains(&w.s.as_str()) {
                2
            } else {
                1
            };
        }
    };
    let after_dashes = |i: &mut usize| -> bool {
        match words[*i..].iter().position(|w| w.s == "--") {
            Some(k) => {
                *i += k + 1;
                true
            }
            None => false,
        }
    };
    loop {
        let Some(w) = words.get(i) else { return };
        let name = basename(&w.s);
        let next = words.get(i + 1).map(|w| w.s.as_str());
        match name.as_str() {
            "exec" | "nohup" | "time" | "!" | "then" | "do" | "else" | "if" | "while" | "until"
            | "command" | "{" | "}" | "stdbuf" => {
                i += 1;
                if name == "stdbuf" || name == "exec" {
                    skip_opts(&mut i, &["-a"]);
                }
            }
            _ if is_assignment(&w.s) => i += 1,
            "env" => {
                i += 1;
                while let Some(w) = words.get(i) {
                    if w.s == "-u" || w.s == "-C" || w.s == "-S" {
                        i += 2;
                    } else if w.s.starts_with('-') || is_assignment(&w.s) {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            "tini" | "tini-static" | "dumb-init" | "catatonit" => {
                i += 1;
                skip_opts(&mut i, &["-p", "-e"]);
            }
            "gosu" | "su-exec" | "s6-setuidgid" => i += 2,
            // The official images' entrypoint runs its arguments.
            "docker-entrypoint.sh" | "docker-entrypoint" => i += 1,
            "sudo" => {
                i += 1;
                skip_opts(
                    &mut i,
                    &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
                );
            }
            "runuser" | "setpriv" | "doppler" | "infisical" | "watchmedo" | "chpst" => {
                if !after_dashes(&mut i) {
                    return;
                }
            }
            n if n.contains("wait-for") || n.contains("wait_for") => {
                if !after_dashes(&mut i) {
                    return;
                }
            }
            "dockerize" => {
                i += 1;
                while let Some(w) = words.get(i) {
                    if w.s.starts_with('-') {
                        i += if w.s.contains('=') { 1 } else { 2 };
                    } else {
                        break;
                    }
                }
            }
            "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" => {
                // `sh -c 'script'`: the script is the command; `sh file` runs a file.
                let mut k = i + 1;
                let mut has_c = false;
                while let Some(o) = words.get(k) {
                    if o.s.starts_with('-') && o.s.len() > 1 && !o.s.starts_with("--") {
                        has_c |= o.s.contains('c');
                        k += 1;
                        if has_c {
                            break;
                        }
                    } else if o.s.starts_with("--") {
                        k += 1;
                    } else {
                        break;
                    }
                }
                match (has_c, words.get(k)) {
                    (true, Some(script)) => run_shell(script, depth + 1, out),
                    _ => push(words, i, background, writes_file, out),
                }
                return;
            }
            n if is_python(n) => {
                let mut k = i + 1;
                while let Some(o) = words.get(k) {
                    match o.s.as_str() {
                        "-X" | "-W" => k += 2,
                        "-m" => {
                            if let Some(m) = words.get(k + 1) {
                                out.push(Invocation {
                                    prog: m.s.to_ascii_lowercase(),
                                    prog_word: m.clone(),
                                    args: words[k + 2..].to_vec(),
                                    background,
                                    writes_file,
                                });
                            }
                            return;
                        }
                        "-c" => break,
                        s if s.starts_with('-') && !s.starts_with("-c") => k += 1,
                        _ => break,
                    }
                }
                match words.get(k) {
                    // A script: the program is the script (`manage.py`).
                    Some(o) if !o.s.starts_with('-') => {
                        push(words, k, background, writes_file, out)
                    }
                    _ => push(words, i, background, writes_file, out),
                }
                return;
            }
            "node" | "nodejs" => {
                // `node node_modules/.bin/next start`: the CLI is the program.
                match next {
                    Some(s) if !s.starts_with('-') && s.contains("node_modules/") => {
                        let mut inv = mk(words, i + 1, background, writes_file);
                        inv.prog = inv.prog.trim_end_matches(".js").into();
                        out.push(inv);
                    }
                    _ => push(words, i, background, writes_file, out),
                }
                return;
            }
            "npx" | "bunx" | "pnpx" => {
                i += 1;
                skip_opts(&mut i, &["-p", "--package", "-c", "--call"]);
            }
            "npm" | "pnpm" | "yarn" | "bun" if matches!(next, Some("exec" | "dlx" | "x")) => {
                i += 2;
                skip_opts(
                    &mut i,
                    &["-p", "--package", "-c", "--call", "--filter", "-F"],
                );
            }
            "poetry" | "pipenv" | "uv" | "pdm" | "hatch" | "rye" | "conda" | "mamba"
            | "micromamba"
                if next == Some("run") =>
            {
                i += 2;
                skip_opts(
                    &mut i,
                    &[
                        "-n",
                        "-p",
                        "--name",
                        "--prefix",
                        "--with",
                        "--python",
                        "--env-file",
                        "--project",
                        "--directory",
                        "--package",
                        "-e",
                        "--extra",
                        "--group",
                        "--env",
                    ],
                );
            }
            "bundle" if next == Some("exec") => i += 2,
            "opentelemetry-instrument" | "ddtrace-run" => {
                i += 1;
                while let Some(o) = words.get(i) {
                    if o.s.starts_with("--") {
                        i += if o.s.contains('=') { 1 } else { 2 };
                    } else {
                        break;
                    }
                }
            }
            "newrelic-admin" if next == Some("run-program") => i += 2,
            _ => {
                push(words, i, background, writes_file, out);
                return;
            }
        }
    }
}

fn mk(words: &[Text], i: usize, background: bool, writes_file: bool) -> Invocation {
    Invocation {
        prog: basename(&words[i].s).into(),
        prog_word: words[i].clone(),
        args: words[i + 1..].to_vec(),
        background,
        writes_file,
    }
}

fn push(words: &[Text], i: usize, background: bool, writes_file: bool, out: &mut Vec<Invocation>) {
    if i < words.len() {
        out.push(mk(words, i, background, writes_file));
    }
}
