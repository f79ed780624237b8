//! The binary end to end: formats, exit codes, errors, secrets.

use serde_json::Value;

mod common;
use common::stacklint;

#[test]
fn json_has_the_documented_shape() {
    let (code, out, _) = stacklint(&["fixtures/proxy-stack-before", "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "stacklint");
    assert!(v["tool"]["version"].is_string());
    let findings = v["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "rule", "code", "severity", "message", "location", "related", "help",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        let loc = &f["location"];
        let path = loc["path"].as_str().expect("path");
        assert!(path.starts_with("fixtures/proxy-stack-before/"), "{path}");
        assert!(!path.contains('\\'));
        for end in ["start", "end"] {
            for k in ["line", "column", "offset"] {
                assert!(loc[end][k].as_u64().is_some(), "{end}.{k}");
            }
        }
    }
    for k in [
        "projects", "files", "findings", "errors", "warnings", "infos",
    ] {
        assert!(v["summary"][k].as_u64().is_some(), "summary.{k}");
    }
    // Stable: the same run gives the same bytes.
    assert_eq!(
        out,
        stacklint(&["fixtures/proxy-stack-before", "--format", "json"]).1
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    // deploy-env has warnings only; proxy-stack-before has errors; proxy-stack-fixed nothing.
    let code = |args: &[&str]| stacklint(args).0;
    assert_eq!(code(&["fixtures/deploy-env", "--fail-on", "never"]), 0);
    assert_eq!(code(&["fixtures/deploy-env", "--fail-on", "error"]), 0);
    assert_eq!(code(&["fixtures/deploy-env", "--fail-on", "warning"]), 1);
    assert_eq!(
        code(&["fixtures/proxy-stack-before", "--fail-on", "error"]),
        1
    );
    assert_eq!(
        code(&["fixtures/proxy-stack-fixed", "--fail-on", "info"]),
        0
    );
}

#[test]
fn a_missing_path_is_one_line_and_exit_2() {
    let (code, out, err) = stacklint(&["no/such/dir"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no/such/dir"));
}

#[test]
fn a_bad_flag_is_exit_2() {
    let (code, _, err) = stacklint(&["--formt", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("--format"), "suggests the right flag: {err}");
}

#[test]
fn text_is_plain_when_not_a_terminal_and_ends_with_a_summary() {
    let (_, out, _) = stacklint(&["fixtures/proxy-stack-before"]);
    assert!(!out.contains('\u{1b}'), "no colour codes when piped");
    // The summary: the totals, then one row per rule, the last row an info one.
    let summary: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Found "))
        .collect();
    assert!(summary.len() > 1, "{out}");
    assert!(summary
        .last()
        .is_some_and(|l| l.trim_start().starts_with("info")));
    assert!(out.contains("SL103(missing-resource-limits)"));
}

#[test]
fn secrets_never_appear_in_any_format() {
    for format in ["text", "json"] {
        let (code, out, err) = stacklint(&["fixtures/stack/secret-env", "--format", format]);
        assert_eq!(code, 1, "{out}");
        // The parse error on the line after the secret shows that line as context.
        if format == "text" {
            assert!(out.contains("BAD KEY"), "{out}");
        }
        assert!(
            !out.contains("hunter2-secret"),
            "{format} printed a secret:\n{out}"
        );
        assert!(!err.contains("hunter2-secret"));
    }
}

/// `--env-file prod.env` is compared with `prod.env.example`, not with the
/// project's `.env.example`, which belongs to `.env`.
#[test]
fn an_env_file_from_the_command_line_is_compared_with_its_own_template() {
    let dir = common::tree(&[
        (
            "compose.yaml",
            "services:\n  app:\n    image: example/app:${TAG}\n",
        ),
        ("prod.env", "TAG=1.2\n"),
        ("prod.env.example", "TAG=\nSENTRY_DSN=\n"),
        (".env.example", "TAG=\nDEBUG=\n"),
    ]);
    let (code, out, err) = common::stacklint_in(
        &dir,
        &[
            ".",
            "--env-file",
            "prod.env",
            "--select",
            "SL302",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(
        messages,
        vec!["`SENTRY_DSN` is in prod.env.example but not in prod.env"],
        "{out}"
    );
}

/// `--color` decides; `auto` on a pipe is plain unless FORCE_COLOR or
/// CLICOLOR_FORCE asks for colour, and NO_COLOR wins over FORCE_COLOR.
#[test]
fn colour_follows_the_flag_and_the_environment() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_stacklint"));
        c.args(["fixtures/proxy-stack-before", "--fail-on", "never"])
            .args(args)
            .current_dir(common::manifest())
            .env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("binary runs");
        String::from_utf8_lossy(&out.stdout).contains("\u{1b}[")
    };
    assert!(!run(&[], &[]), "a pipe gets no colour");
    assert!(run(&["--color", "always"], &[]));
    assert!(!run(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(run(&[], &[("FORCE_COLOR", "1")]));
    assert!(!run(&[], &[("FORCE_COLOR", "0")]));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
    assert!(run(&["--color", "always"], &[("NO_COLOR", "1")]));
}

/// `--output-format concise` (an alias of `--format`): one line a finding,
/// `path:line:col: CODE [severity] message`, the same findings as the JSON
/// report's unsuppressed ones, then a count.
#[test]
fn concise_output_is_one_line_a_finding() {
    for stack in [
        "fixtures/proxy-stack-before",
        "fixtures/deploy-env",
        "fixtures/rules/unused-suppression",
    ] {
        let (_, concise, _) =
            stacklint(&[stack, "--output-format", "concise", "--fail-on", "never"]);
        let (_, json, _) = stacklint(&[stack, "--format", "json", "--fail-on", "never"]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let expected: Vec<String> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["suppressed"].is_null())
            .map(|f| {
                format!(
                    "{}:{}:{}: {} [{}] {}",
                    f["location"]["path"].as_str().unwrap_or(""),
                    f["location"]["start"]["line"],
                    f["location"]["start"]["column"],
                    f["code"].as_str().unwrap_or(""),
                    f["severity"].as_str().unwrap_or(""),
                    f["message"].as_str().unwrap_or("").replace('\n', " "),
                )
            })
            .collect();
        let mut lines: Vec<&str> = concise.lines().collect();
        let last = lines.pop().unwrap_or("");
        assert_eq!(lines, expected, "{stack}");
        let n = v["summary"]["findings"].as_u64().unwrap_or(0);
        assert_eq!(
            last,
            match n {
                0 => "No findings.".to_string(),
                1 => "Found 1 finding.".to_string(),
                n => format!("Found {n} findings."),
            }
        );
    }
    let (_, quiet, _) = stacklint(&["fixtures/proxy-stack-fixed", "--format", "concise", "-q"]);
    assert_eq!(quiet, "");
}

/// `--statistics`: one line a rule, most findings first, the same counts as
/// the JSON report's unsuppressed findings, `[*]` where a fix is offered.
#[test]
fn statistics_count_the_findings_of_each_rule() {
    let (code, stats, _) = stacklint(&["fixtures/proxy-stack-before", "--statistics"]);
    assert_eq!(code, 1, "the exit code follows --fail-on as for a report");
    let (_, json, _) = stacklint(&["fixtures/proxy-stack-before", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let mut expected: std::collections::BTreeMap<String, (usize, bool)> = Default::default();
    for f in v["findings"].as_array().expect("findings") {
        let e = expected
            .entry(f["code"].as_str().unwrap_or("").to_string())
            .or_default();
        e.0 += 1;
        e.1 |= !f["fix"].is_null();
    }
    let mut last = usize::MAX;
    for line in stats.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let n: usize = parts[0].parse().expect("a count");
        assert!(n <= last, "most first: {stats}");
        last = n;
        let (count, fixable) = expected.remove(parts[1]).expect("a reported rule");
        assert_eq!(n, count, "{line}");
        assert_eq!(parts[2] == "[*]", fixable, "{line}");
    }
    assert!(expected.is_empty(), "missing: {expected:?}");
}

/// `--no-inline-ignores`: suppression comments are disregarded, so what they
/// silence is reported (and counts), and none is "unused".
#[test]
fn no_inline_ignores_reports_what_comments_silence() {
    let codes = |args: &[&str]| -> Vec<(String, bool)> {
        let mut all = vec!["--format", "json", "--fail-on", "never"];
        all.extend_from_slice(args);
        let (_, out, _) = stacklint(&all);
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap_or("").to_string(),
                    !f["suppressed"].is_null(),
                )
            })
            .collect()
    };
    let used = "fixtures/rules/unused-suppression/pass-used-env";
    assert!(codes(&[used]).contains(&("SL303".to_string(), true)));
    let without = codes(&[used, "--no-inline-ignores"]);
    assert!(
        without.contains(&("SL303".to_string(), false)),
        "{without:?}"
    );
    assert!(without.iter().all(|(_, suppressed)| !suppressed));
    let unused = "fixtures/rules/unused-suppression/fail-env";
    assert!(codes(&[unused]).iter().any(|(c, _)| c == "SL003"));
    assert!(codes(&[unused, "--no-inline-ignores"])
        .iter()
        .all(|(c, _)| c != "SL003"));
}

#[test]
fn completions_are_a_script_the_shell_loads() {
    let (code, script, _) = stacklint(&["completions", "bash"]);
    assert_eq!(code, 0);
    // Generated from the clap definition: every subcommand and flag is in it.
    for word in [
        "graph",
        "explain",
        "--fix",
        "--unsafe-fixes",
        "--select",
        "--format",
    ] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    // bash loads it and registers a completion for `stacklint`.
    let dir = common::tree(&[("stacklint.bash", &script)]);
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("source ./stacklint.bash && complete -p stacklint")
        .current_dir(&*dir)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("stacklint"));

    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (code, script, _) = stacklint(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(
            script.contains("unsafe-fixes"),
            "{shell} completion lacks unsafe-fixes"
        );
    }
    let (code, _, err) = stacklint(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("possible values"), "{err}");
}

/// git's global excludes file hides a directory of a repository from the walk,
/// wherever git finds it: named by any of its config files (`core.excludesFile`
/// in `GIT_CONFIG_GLOBAL`, `~/.gitconfig`, `$XDG_CONFIG_HOME/git/config`,
/// `GIT_CONFIG_SYSTEM`), or at its default place (`~/.config/git/ignore`,
/// `$XDG_CONFIG_HOME/git/ignore`). With none, the directory is linted.
#[test]
fn the_walk_honours_gits_global_excludes_file() {
    let compose = "services:\n  app:\n    image: example/app:1\n";
    // The projects linted in a repository of two, with a home holding `files`
    // (`HOME` in a file stands for the home's path) and `vars` set (values
    // relative to the home, or absolute).
    let projects = |files: &[(&str, &str)], vars: &[(&str, &str)]| -> u64 {
        let home = common::tree(files);
        for (name, _) in files {
            let path = home.join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            std::fs::write(&path, text.replace("HOME", &home.display().to_string()))
                .expect("write");
        }
        let repo = common::tree(&[
            ("app/compose.yaml", compose),
            ("skipped/compose.yaml", compose),
            (".git/HEAD", "ref: refs/heads/main\n"),
        ]);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stacklint"));
        cmd.args([".", "--format", "json", "--fail-on", "never"])
            .current_dir(&*repo)
            .env("HOME", &*home)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("GIT_CONFIG_GLOBAL")
            .env("GIT_CONFIG_SYSTEM", home.join("no-system-config"));
        for (name, value) in vars {
            cmd.env(name, home.join(value));
        }
        let out = cmd.output().expect("binary runs");
        let json: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        json["summary"]["projects"].as_u64().unwrap_or(0)
    };
    let names = "[core]\n\texcludesFile = HOME/global-ignore\n";
    let ignore = ("global-ignore", "skipped/\n");
    let plain = "[user]\n\tname = someone\n";
    // (Files of the home, variables set.)
    type Pairs<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Pairs, Pairs)] = &[
        (&[(".gitconfig", names), ignore], &[]),
        (
            &[("custom", names), ignore],
            &[("GIT_CONFIG_GLOBAL", "custom")],
        ),
        (&[(".config/git/config", names), ignore], &[]),
        (
            &[("xdg/git/config", names), ignore],
            &[("XDG_CONFIG_HOME", "xdg")],
        ),
        (
            &[("system", names), ignore],
            &[("GIT_CONFIG_SYSTEM", "system")],
        ),
        (
            &[(".gitconfig", plain), (".config/git/ignore", "skipped/\n")],
            &[],
        ),
        (
            &[("xdg/git/ignore", "skipped/\n")],
            &[("XDG_CONFIG_HOME", "xdg")],
        ),
    ];
    for (files, vars) in cases {
        assert_eq!(projects(files, vars), 1, "{files:?} {vars:?}");
    }
    // No excludes file: the other directory is linted too.
    assert_eq!(projects(&[(".gitconfig", plain)], &[]), 2);
    assert_eq!(projects(&[], &[("GIT_CONFIG_GLOBAL", "/dev/null")]), 2);
    assert_eq!(projects(&[], &[]), 2);
}

/// The allocator is built with one arena for all threads, gives freed pages
/// back at once and makes slabs of 8 pages (`.cargo/config.toml` sets these
/// when jemalloc is built): jemalloc's report of its settings says so.
#[cfg(not(target_env = "msvc"))]
#[test]
fn the_allocator_is_built_with_one_arena_and_no_decay() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stacklint"))
        .arg("--version")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .expect("run stacklint");
    let report = String::from_utf8_lossy(&out.stderr);
    // Built in (other settings may come with it), not taken from the environment.
    let built = report
        .lines()
        .find(|l| l.trim_start().starts_with("config.malloc_conf:"));
    assert!(
        built.is_some_and(|l| l.contains("narenas:1")
            && l.contains("dirty_decay_ms:0")
            && l.contains("slab_sizes:1-4096:8")),
        "built without the settings:\n{report}"
    );
    assert!(report.contains("opt.narenas: 1\n"), "{report}");
    assert!(report.contains("opt.dirty_decay_ms: 0 "), "{report}");
}
