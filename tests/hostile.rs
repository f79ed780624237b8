//! Hostile input (issue 10): inputs built at test time that once crashed stacklint,
//! exhausted its memory or flooded its output. Each run has a deadline, so a hang
//! fails the test instead of stalling the suite.

use std::path::Path;
use std::time::Duration;

mod common;
use common::tree;

const FORMATS: [&str; 5] = ["text", "json", "sarif", "github", "gitlab"];

/// Runs stacklint in `dir`, killed after `secs`: (exit code, stdout, stderr).
fn run_within(secs: u64, dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::stacklint_within(Duration::from_secs(secs), dir, args)
}

/// Every format on `dir`: exits 0 with `--fail-on never`, no panic, output under `max_bytes`.
fn every_format_works(dir: &Path, max_bytes: usize) -> Vec<String> {
    FORMATS
        .iter()
        .map(|format| {
            let (code, out, err) =
                run_within(60, dir, &[".", "--format", format, "--fail-on", "never"]);
            assert_eq!(code, 0, "--format {format} failed: {err}");
            assert!(!err.contains("panicked"), "--format {format}: {err}");
            assert!(
                out.len() < max_bytes,
                "--format {format} wrote {} bytes",
                out.len()
            );
            out
        })
        .collect()
}

/// A finding past column 65,535 (a duplicate key after a 70,000-character value on
/// one line): miette counts columns in a `u16` and panicked rendering its snippet.
#[test]
fn a_finding_past_column_65535_is_reported_in_every_format() {
    let compose = format!(
        "services:\n  a:\n    image: x:1\n    environment: {{K: \"{}\", K: y}}\n",
        "x".repeat(70_000)
    );
    let dir = tree(&[("compose.yaml", &compose)]);
    // SARIF alone carries every rule's documentation (~140 KB).
    let outs = every_format_works(&dir, 300 * 1024);
    let text = &outs[0];
    assert!(!text.contains(&"x".repeat(1_000)), "the long line is shown");
    assert!(
        text.contains("duplicate key `K` (at compose.yaml:4:70026; the line is too long to show)"),
        "{text}"
    );
    assert!(outs[1].contains("\"column\": 70026"), "{}", outs[1]);
}

/// `.env` lines that each double the one before (`V1=${V0}${V0}`, ...): 40 lines
/// of 1 KB would expand to terabytes. A value stops growing past 1 MiB, keeps its
/// text as written and is reported at its line.
#[test]
fn env_values_that_double_stop_at_a_mebibyte() {
    let mut env = String::from("V0=abcdefgh\n");
    for i in 1..=40 {
        env.push_str(&format!("V{i}=${{V{p}}}${{V{p}}}\n", p = i - 1));
    }
    let compose = "services:\n  a:\n    image: x:1\n    environment:\n      K: ${V40}\n";
    let dir = tree(&[(".env", &env), ("compose.yaml", compose)]);
    let outs = every_format_works(&dir, 300 * 1024);
    let json = &outs[1];
    // 8 bytes doubled 17 times is 1 MiB; the 18th doubling is refused.
    assert!(
        json.contains(
            "`V18` is not expanded: the values of its variables would make it longer than 1 MiB"
        ),
        "{json}"
    );
    assert!(json.contains("\"line\": 19"), "{json}");
}

/// A 1 MB value referenced 20,000 times in one compose value would be 20 GB.
#[test]
fn a_value_referenced_20000_times_is_not_interpolated() {
    let env = format!("BIG={}\n", "y".repeat(1_000_000));
    let compose = format!(
        "services:\n  a:\n    image: x:1\n    environment:\n      K: \"{}\"\n",
        "${BIG}".repeat(20_000)
    );
    let dir = tree(&[(".env", &env), ("compose.yaml", &compose)]);
    let outs = every_format_works(&dir, 300 * 1024);
    assert!(
        outs[1].contains(
            "value not interpolated: the values of its variables would make it longer than 1 MiB"
        ),
        "{}",
        outs[1]
    );
}

/// Many values that each stay under a mebibyte: a file's values add up to 8 MiB at
/// most, in a `.env` and in a compose file.
#[test]
fn the_values_of_one_file_add_up_to_8_mib_at_most() {
    let mut env = format!("BIG={}\n", "y".repeat(1_000_000));
    let mut compose = String::from("services:\n  a:\n    image: x:1\n    environment:\n");
    for i in 0..12 {
        env.push_str(&format!("V{i}=${{BIG}}\n"));
        compose.push_str(&format!("      K{i}: ${{BIG}}\n"));
    }
    let dir = tree(&[(".env", &env), ("compose.yaml", &compose)]);
    let json = &every_format_works(&dir, 300 * 1024)[1];
    // 1,000,000 bytes each: the ninth value would pass 8 MiB (8,388,608 bytes).
    assert!(
        json.contains("`V8` is not expanded: with it, the values of this file would pass 8 MiB"),
        "{json}"
    );
    assert!(
        json.contains("value not interpolated: with it, the values of this file would pass 8 MiB"),
        "{json}"
    );
}

/// A 2 MB variable name, unterminated or not: messages quote at most 60 characters of it.
#[test]
fn a_2_mb_variable_name_is_quoted_in_60_characters() {
    let name = "N".repeat(2_000_000);
    let shown = format!("{}…", "N".repeat(60));
    for (template, expected) in [
        (
            format!("${{{name}"),
            format!(
                "invalid template `${{{}…`: missing closing `}}`",
                &name[..58]
            ),
        ),
        (
            format!("${{{name}}}"),
            format!("`{shown}` is not set: the project has no .env file"),
        ),
    ] {
        let compose =
            format!("services:\n  a:\n    image: x:1\n    environment:\n      K: \"{template}\"\n");
        let dir = tree(&[("compose.yaml", &compose)]);
        let outs = every_format_works(&dir, 300 * 1024);
        for out in &outs {
            assert!(!out.contains(&"N".repeat(100)), "the name is quoted whole");
        }
        let json = &outs[1];
        assert!(json.contains(&expected), "{json}");
    }
}

/// An unterminated `${VAR:-default}`: the message quotes the name and the operator,
/// never the default, which may be a secret.
#[test]
fn an_unterminated_default_stays_out_of_the_message() {
    let compose = "services:\n  a:\n    image: x:1\n    environment:\n      K: \"${POSTGRES_PASSWORD:-S3cretDefault\"\n";
    let dir = tree(&[("compose.yaml", compose)]);
    let outs = every_format_works(&dir, 300 * 1024);
    // The text report's snippet shows the file itself; every other format has no snippet.
    for out in &outs[1..] {
        assert!(!out.contains("S3cretDefault"), "{out}");
    }
    assert!(
        outs[1].contains("invalid template `${POSTGRES_PASSWORD:-…`: missing closing `}`"),
        "{}",
        outs[1]
    );
}

/// 20,000 duplicate keys: one finding each would flood every format (the text
/// report once took 16 s over them). A rule reports at most 100 findings in one
/// file, then one finding that counts the rest, at the first one left out.
#[test]
fn twenty_thousand_duplicate_keys_are_capped_at_one_hundred() {
    let mut compose = String::from("services:\n  a:\n    image: x:1\n    environment:\n");
    for _ in 0..20_000 {
        compose.push_str("      K: v\n");
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let outs = every_format_works(&dir, 400 * 1024);
    let text = &outs[0];
    assert!(
        text.contains("19899 more SL001 (parse-error) findings in this file are not shown"),
        "{text}"
    );
    assert!(text.contains("  error    101  SL001 parse-error"), "{text}");
    // The finding that counts the rest is at the first one left out: line 106.
    let json: serde_json::Value = serde_json::from_str(&outs[1]).expect("JSON");
    let capped: Vec<_> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .is_some_and(|m| m.contains("more SL001"))
        })
        .collect();
    assert_eq!(capped.len(), 1);
    assert_eq!(capped[0]["location"]["start"]["line"], 106);
    assert_eq!(capped[0]["severity"], "error");
}

/// 40,000 duplicate keys on one 240 KB line: every finding's column, fingerprint
/// and snippet is on that line, so a pass that copies or scans the line per finding
/// is quadratic (a fingerprint once copied its span's text for each finding).
#[test]
fn many_findings_on_one_long_line_stay_linear() {
    let compose = format!(
        "services:\n  a:\n    image: x:1\n    environment: {{{}}}\n",
        vec!["K: v"; 40_000].join(", ")
    );
    let dir = tree(&[("compose.yaml", &compose)]);
    let outs = every_format_works(&dir, 400 * 1024);
    assert!(
        outs[0].contains("39899 more SL001 (parse-error) findings in this file are not shown"),
        "{}",
        outs[0]
    );
    // Each fingerprint is distinct: the rank among equal keys tells them apart.
    let json: serde_json::Value = serde_json::from_str(&outs[1]).expect("JSON");
    let prints: std::collections::HashSet<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert_eq!(prints.len(), 102);
}

/// A `.env` of two million `A=1` lines (8 MB) took 284 MB parsed. Past 100,000
/// lines it is not read: one SL001, and the variable it may set is not called
/// undefined (its value is unknown, not missing).
#[test]
fn a_dot_env_of_two_million_lines_is_not_read() {
    let env = "A=1\n".repeat(2_000_000);
    let compose = "services:\n  a:\n    image: x:1\n    environment:\n      K: ${A}\n";
    let dir = tree(&[(".env", &env), ("compose.yaml", compose)]);
    let (code, out, err) = run_within(60, &dir, &[".", "--format", "github", "--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("file has more than 100000 lines, the most stacklint reads in one file"),
        "{out}"
    );
    assert!(!out.contains("SL301"), "{out}");
}

/// Service `s{i}`, its command 3,000 one-letter words (6 KB): kept for the rules
/// that read it at about a hundred bytes a word.
fn many_word_service(i: usize) -> String {
    let words = vec!["a"; 3_000].join(" ");
    format!("  s{i}:\n    image: app:1\n    command: \"{words}\"\n")
}

/// A thousand services with many-word commands (6 MB): what each service runs is
/// kept for the rules that read it, and unbounded that took 350 MB. The rest is
/// computed again as needed (the harness holds the peak to 256 MiB).
#[test]
fn commands_of_many_tiny_words_keep_memory_bounded() {
    let mut compose = String::from("services:\n");
    for i in 0..1_000 {
        compose.push_str(&many_word_service(i));
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let (code, out, err) = run_within(120, &dir, &[".", "--format", "json", "--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.contains("\"findings\""), "{out}");
}

/// The same services, one to a project over 1,000 projects: what a project keeps
/// goes when its rules have run, so a run's memory does not grow with its number
/// of projects (held to the same 256 MiB).
#[test]
fn commands_of_many_tiny_words_over_many_projects_keep_memory_bounded() {
    let files: Vec<(String, String)> = (0..1_000)
        .map(|i| {
            let compose = format!("services:\n{}", many_word_service(i));
            (format!("p{i}/compose.yaml"), compose)
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = tree(&files);
    let (code, out, err) = run_within(120, &dir, &[".", "--format", "json", "--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Every project was linted: memory would be bounded as well by a walk that
    // found none.
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(report["summary"]["projects"], 1_000, "{err}");
}
