//! Every `stacklint ...` command of the README's shell blocks runs, with this build's
//! binary standing in for the installed one, and is understood: exit 0 or 1 (findings),
//! never 2 (a usage or I/O error). Commands on `.` run in a copy of the README's example
//! stack, so `--fix` and `--output` change nothing here. What follows a `|` or `>` is the
//! shell's business and is left out; cargo, pipx and docker commands are not run here
//! (tests/wheel.rs and tests/dockerfile.rs cover the wheel and the image).

mod common;

use common::{manifest, stacklint_in};

/// The commands of every ```sh block, comments and pipes cut off, split on whitespace.
fn readme_commands() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(manifest().join("README.md")).expect("README.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let command = line.split(" #").next().unwrap_or(line);
        let command = command.split(['|', '>']).next().unwrap_or(command);
        let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
        if words.first().is_some_and(|w| w == "stacklint") {
            out.push(words);
        }
    }
    out
}

#[test]
fn every_stacklint_command_in_the_readme_runs() {
    let commands = readme_commands();
    assert!(
        commands.len() >= 10,
        "the README's commands were not found: {commands:?}"
    );
    // The README's lint command names the example stack; it must be there to lint.
    assert!(
        commands
            .iter()
            .any(|c| c[1..] == ["fixtures/proxy-stack-before".to_string()]),
        "the README lints the example stack with `stacklint fixtures/proxy-stack-before`"
    );
    for words in commands {
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let on_dot = args.contains(&".");
        let copy = common::fixture_copy("proxy-stack-before");
        let dir = if on_dot { &*copy } else { manifest() };
        let (code, _, err) = stacklint_in(dir, &args);
        assert!(
            code == 0 || code == 1,
            "`{}` exited {code}: {err}",
            words.join(" ")
        );
    }
}
