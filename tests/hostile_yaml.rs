//! Hostile YAML (issue 10): compose files built at test time whose anchors,
//! aliases, merge keys and duplicate keys once took minutes or gigabytes. Reading
//! is linear now: an alias shares its anchor's subtree, aliasing is bounded as
//! go-yaml bounds it plus a bound on aliased bytes, and keys are found by hash.
//! Each run has a deadline, so a hang fails the test instead of stalling the suite.

use std::path::Path;
use std::time::Duration;

mod common;
use common::tree;

/// Runs `stacklint . --format github` in `dir`, killed after `secs`: each finding
/// is one line of its output. Returns the output.
fn lint_within(secs: u64, dir: &Path, select: &str) -> String {
    let (code, out, err) = common::stacklint_within(
        Duration::from_secs(secs),
        dir,
        &[
            ".",
            "--format",
            "github",
            "--fail-on",
            "never",
            "--select",
            select,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    out
}

fn parse_errors(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains("SL001")).collect()
}

/// 16,000 services, each `<<: *defaults` plus a few keys of its own: PyYAML and
/// docker compose load it (a third of its nodes come from the alias, far from
/// go-yaml's bound), and so do we. A bound on expanded nodes alone (the former
/// 100,000) rejected it.
#[test]
fn sixteen_thousand_services_sharing_defaults_load() {
    let mut compose = String::from(
        "x-defaults: &defaults\n  restart: always\n  environment:\n    TZ: UTC\n    LANG: C\n",
    );
    compose.push_str("services:\n");
    for i in 0..16_000 {
        compose.push_str(&format!(
            "  s{i}:\n    <<: *defaults\n    image: registry.example/app:{i}\n    command: run {i}\n"
        ));
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(120, &dir, "SL001,SL004");
    assert_eq!(parse_errors(&out), Vec::<&str>::new());
    // The merged keys are there: a schema error would name a service otherwise.
    assert!(!out.contains("SL004"), "{out}");
}

/// Ten levels of nine aliases each (9^10 nodes): reported at the alias where the
/// aliased share passes go-yaml's bound, at once.
#[test]
fn billion_laughs_is_excessive_aliasing() {
    let mut compose = String::from("services:\n  a:\n    image: x\n");
    compose.push_str("x-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let uses = vec![format!("*a{}", i - 1); 9].join(", ");
        compose.push_str(&format!("x-{i}: &a{i} [{uses}]\n"));
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(30, &dir, "SL001");
    let errors = parse_errors(&out);
    assert_eq!(errors.len(), 1, "{out}");
    assert!(
        errors[0].contains("document contains excessive aliasing"),
        "{out}"
    );
    // The third level (line 7) is the first past 1,000 nodes, and its second
    // alias passes 99%.
    assert!(
        errors[0].contains("line=7,") && errors[0].contains("col=16,"),
        "{out}"
    );
}

/// A 1 MB scalar used through 20,000 aliases, each in a mapping of written keys so
/// that go-yaml's ratio lets it through (compose would load 20 GB): our bound on
/// aliased bytes stops it at the 17th use.
#[test]
fn a_large_scalar_aliased_twenty_thousand_times_is_bounded() {
    let mut compose = format!(
        "services:\n  a:\n    image: x\nx-big: &big {}\nx-uses:\n",
        "x".repeat(1_000_000)
    );
    for i in 0..20_000 {
        compose.push_str(&format!("  - {{a: {i}, b: {i}, c: {i}, d: *big}}\n"));
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(30, &dir, "SL001");
    let errors = parse_errors(&out);
    assert_eq!(errors.len(), 1, "{out}");
    assert!(
        errors[0].contains("alias expansion passes 16 MiB of values"),
        "{out}"
    );
    assert!(errors[0].contains("line=22,"), "{out}");
}

/// 100 anchors nested one in another over a 300,000-item list: each anchor used to
/// copy its subtree (30 million nodes); now each is a shared pointer, and an alias
/// to the outermost one is one more (the aliased share is a half).
#[test]
fn nested_anchors_over_a_large_list_are_shared() {
    let items: Vec<String> = (0..300_000).map(|i| i.to_string()).collect();
    let mut list = format!("[{}]", items.join(", "));
    for i in 0..100 {
        list = format!("&a{i} [{list}]");
    }
    let compose = format!("services:\n  a:\n    image: x\nx-a: {list}\nx-b: *a99\n");
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(120, &dir, "SL001");
    assert_eq!(parse_errors(&out), Vec::<&str>::new());
}

/// `<<: *big` over a 100,000-key mapping, and two files of 100,000 keys merged as
/// base and override: linear (hash lookups), not a scan of one side per key.
#[test]
fn merging_a_hundred_thousand_keys_is_linear() {
    let keys: String = (0..100_000).map(|i| format!("  k{i}: v\n")).collect();
    let compose =
        format!("services:\n  a:\n    image: x\nx-big: &big\n{keys}x-use:\n  <<: *big\n  own: 1\n");
    let dir = tree(&[("compose.yaml", &compose)]);
    assert_eq!(
        parse_errors(&lint_within(120, &dir, "SL001")),
        Vec::<&str>::new()
    );

    let env = |v: &str| -> String {
        let vars: String = (0..100_000).map(|i| format!("      K{i}: {v}\n")).collect();
        format!("services:\n  a:\n    image: x\n    environment:\n{vars}")
    };
    let (base, over) = (env("a"), env("b"));
    let dir = tree(&[("compose.yaml", &base), ("compose.override.yaml", &over)]);
    assert_eq!(
        parse_errors(&lint_within(120, &dir, "SL001")),
        Vec::<&str>::new()
    );
}

/// 200,000 repetitions of one key: each is found by hash and reported once.
#[test]
fn two_hundred_thousand_duplicate_keys_are_reported_in_linear_time() {
    let dups: String = (0..200_000).map(|i| format!("  k: {i}\n")).collect();
    let compose = format!("services:\n  a:\n    image: x\nx-d:\n{dups}");
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(120, &dir, "SL001");
    let errors = parse_errors(&out);
    // 199,999 duplicates: the first 100 one by one, the rest counted in one.
    assert_eq!(errors.len(), 101, "{out}");
    let (counted, each): (Vec<&str>, Vec<&str>) =
        errors.iter().partition(|e| e.contains("more SL001"));
    assert!(each.iter().all(|e| e.contains("duplicate key `k`")));
    assert_eq!(counted.len(), 1);
    assert!(
        counted[0].contains("199899 more SL001 (parse-error)"),
        "{out}"
    );
}

/// Nesting past 128 levels stays one finding.
#[test]
fn deep_nesting_is_one_finding() {
    let compose = format!(
        "services:\n  a:\n    image: x\nx-deep: {}1{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(30, &dir, "SL001");
    let errors = parse_errors(&out);
    assert_eq!(errors.len(), 1, "{out}");
    assert!(
        errors[0].contains("YAML nesting is deeper than 128 levels"),
        "{out}"
    );
}

/// A `command` of 200,000 numbers (one line): the compose schema wants strings,
/// and its validator explained the failing `oneOf` with an error per item, all at
/// once (395 MB; 2.4 GB at 1.6M items). A list that long is not validated.
#[test]
fn a_list_of_200000_numbers_is_not_explained_item_by_item() {
    let items = vec!["1"; 200_000].join(", ");
    let compose = format!("services: {{a: {{image: x, command: [{items}]}}}}\n");
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(60, &dir, "SL001,SL004");
    assert!(!out.contains("SL004"), "{out}");
    assert_eq!(parse_errors(&out), Vec::<&str>::new());
}

/// A 4.8 MB file that is one flow list of 1.6 million items on one line: its tree
/// alone took most of a gigabyte. Past stacklint's bound on the values of one file it
/// is one SL001 at the first value over it, in bounded memory, under an extension
/// key or as a service's `command` alike.
#[test]
fn a_flow_list_of_1_6_million_items_is_over_the_bound_on_values() {
    let items = vec!["10"; 1_600_000].join(",");
    for compose in [
        format!("services:\n  app:\n    image: nginx\nx-big: [{items}]\n"),
        format!("services:\n  app:\n    image: nginx\n    command: [{items}]\n"),
    ] {
        let dir = tree(&[("compose.yaml", &compose)]);
        let out = lint_within(60, &dir, "SL001,SL004");
        let errors = parse_errors(&out);
        assert_eq!(errors.len(), 1, "{out}");
        assert!(
            errors[0].contains("more than 500000 YAML values"),
            "{errors:?}"
        );
        // At the value past the bound, inside the list on line 4.
        assert!(errors[0].contains("line=4,"), "{errors:?}");
    }
}

/// Just under the bound, the same list is read and the file linted as usual.
#[test]
fn a_flow_list_under_the_bound_on_values_is_read() {
    let items = vec!["10"; 490_000].join(",");
    let compose = format!("services:\n  app:\n    image: nginx\nx-big: [{items}]\n");
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(60, &dir, "SL001,SL103");
    assert_eq!(parse_errors(&out), Vec::<&str>::new());
    assert!(out.contains("SL103"), "{out}");
}

/// A service whose `key` is a flow list of `n` copies of `item`, in an nginx
/// proxy (so the proxy's mounts are read too).
fn service_list(key: &str, item: &str, n: usize) -> String {
    let items = vec![item; n].join(", ");
    format!("services:\n  app:\n    image: nginx\n    {key}: [{items}]\n")
}

/// Just under the bound on values, each list a service can hold is read in
/// bounded memory and time with every rule on. Once, a healthcheck test of a
/// million words took 690 MB (each word a text with a position per byte), a
/// `volumes` list 7.8 s (three `stat`s per mount), and a proxy service was
/// copied whole before its configs were read.
#[test]
fn service_lists_just_under_the_bound_on_values_are_read_in_bounded_memory() {
    const N: usize = 490_000;
    let words = vec!["10"; N].join(" ");
    for compose in [
        service_list("command", "10", N),
        format!(
            "services:\n  app:\n    image: nginx\n    healthcheck:\n      test: [CMD, curl, {}]\n",
            vec!["10"; N].join(", ")
        ),
        format!(
            "services:\n  app:\n    image: nginx\n    healthcheck:\n      test: \"curl {words}\"\n"
        ),
        format!("services:\n  app:\n    image: nginx\n    command: \"sh -c '{words}'\"\n"),
        service_list("ports", "80", N),
        service_list("environment", "A=1", N),
        service_list("labels", "a=b", N),
        service_list("volumes", "./a:/a", N),
        service_list("depends_on", "app", N),
        service_list("networks", "n", N),
        service_list("secrets", "s", N),
    ] {
        let dir = tree(&[("compose.yaml", &compose)]);
        let out = lint_within(60, &dir, "ALL");
        let head = &compose[..compose.len().min(120)];
        assert_eq!(parse_errors(&out), Vec::<&str>::new(), "{head}");
        assert!(out.contains("SL103"), "{head}\n{out}");
    }
}

/// One command just under the bound on a command's bytes, of one-letter words
/// (or commands), anchored once and run by 250 services: a 75 KB file, within the
/// bound on aliased bytes. Parsed, each service's command costs about 110 bytes a
/// word; kept for every service, it held 875 MB (1.4 GB as commands).
#[test]
fn a_long_command_run_by_many_services_is_read_in_bounded_memory() {
    for word in ["a ", "a;"] {
        let cmd = word.repeat(32_000);
        let mut compose = format!("x-c: &c \"{}\"\nservices:\n", cmd.trim_end());
        for i in 0..250 {
            compose.push_str(&format!("  s{i}:\n    image: python\n    command: *c\n"));
        }
        let dir = tree(&[("compose.yaml", &compose)]);
        let out = lint_within(60, &dir, "ALL");
        assert_eq!(parse_errors(&out), Vec::<&str>::new(), "{word:?}");
        assert!(out.contains("SL103"), "{word:?}\n{out}");
    }
}

/// A service `app` attached to the networks `n0`, `n1`, … (`n` of them), in a
/// flow list; the caller appends the top-level `networks:` it wants.
fn service_on_networks(n: usize) -> String {
    let names: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
    format!(
        "services:\n  app:\n    image: nginx\n    networks: [{}]\n",
        names.join(", ")
    )
}

/// The findings of a run with `--format json` and `args`, which must exit 0.
fn json_findings(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec![".", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = common::stacklint_within(Duration::from_secs(60), dir, &all);
    assert_eq!(code, 0, "{err}\n{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    json["findings"].as_array().cloned().unwrap_or_default()
}

/// 120,000 networks declared and a service attached to each: every name was
/// looked up in the list of declarations (a linear scan), and minutes went by.
#[test]
fn a_service_on_120000_declared_networks_is_linted_in_linear_time() {
    const N: usize = 120_000;
    let mut compose = service_on_networks(N) + "networks:\n";
    for i in 0..N {
        compose.push_str(&format!("  n{i}: {{}}\n"));
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(60, &dir, "ALL");
    assert_eq!(parse_errors(&out), Vec::<&str>::new());
    assert!(!out.contains("SL107"), "{out}");
}

/// 200,000 undeclared networks: a finding each, of which 100 are shown and the
/// rest counted in one more, without holding 200,000 findings in memory, and
/// without comparing each name with every declared one for a suggestion.
#[test]
fn two_hundred_thousand_undeclared_networks_are_counted_not_held() {
    const N: usize = 200_000;
    let mut compose = service_on_networks(N) + "networks:\n";
    // Declared names one letter off: suggestions, while there are few enough.
    for i in 0..2_000 {
        compose.push_str(&format!("  m{i}: {{}}\n"));
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let out = lint_within(60, &dir, "SL107");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("SL107")).collect();
    assert_eq!(lines.len(), 101, "{out}");
    assert!(
        lines[100].contains(&format!("{} more SL107", N - 100)),
        "{}",
        lines[100]
    );
}

/// A file-level suppression covers the findings past the bound too: the summary
/// is suppressed, the run passes, and the suppression is not called unused.
#[test]
fn a_file_ignore_covers_the_findings_that_are_only_counted() {
    let compose =
        "# stacklint: file-ignore[SL107] generated\n".to_string() + &service_on_networks(3_000);
    let dir = tree(&[("compose.yaml", &compose)]);
    let findings = json_findings(&dir, &["--select", "SL107,SL003"]);
    assert_eq!(findings.len(), 101, "{findings:?}");
    assert!(findings
        .iter()
        .all(|f| f["code"] == "SL107" && !f["suppressed"].is_null()));
    let last = findings[100]["message"].as_str().unwrap_or_default();
    assert!(last.starts_with("2900 more SL107"), "{last}");
}

/// The configuration re-grades the findings only counted as it re-grades the
/// others: with `undeclared-resource = "warning"`, the summary of 2,900 more is a
/// warning too, and the run passes `--fail-on error`.
#[test]
fn the_configuration_regrades_the_findings_that_are_only_counted() {
    let compose = service_on_networks(3_000);
    let config = "[severity]\nundeclared-resource = \"warning\"\n";
    let dir = tree(&[("compose.yaml", &compose), ("stacklint.toml", config)]);
    let findings = json_findings(&dir, &["--select", "SL107", "--fail-on", "error"]);
    assert_eq!(findings.len(), 101, "{findings:?}");
    assert!(
        findings.iter().all(|f| f["severity"] == "warning"),
        "{findings:?}"
    );
}

/// 2,000 services each publishing the same range of 4,095 host ports: every
/// port of every entry was expanded and compared (6.5 s, 389 MB). Past 100,000
/// expanded ports SL109 stops comparing; the clashes found before are reported.
#[test]
fn thousands_of_wide_port_ranges_are_bounded() {
    let mut compose = String::from("services:\n");
    for i in 0..2_000 {
        compose.push_str(&format!(
            "  s{i}:\n    image: x:1\n    ports: [\"1-4095:1-4095\"]\n"
        ));
    }
    let dir = tree(&[("compose.yaml", &compose)]);
    let found = json_findings(&dir, &["--select", "SL109", "--fail-on", "never"]);
    assert!((1..=20).contains(&found.len()), "{} findings", found.len());
    assert!(found.iter().all(|f| f["code"] == "SL109"));
}
