use super::*;

fn parse_ok(text: &str) -> Config {
    parse(text, Path::new("stacklint.toml"), false).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(text: &str) -> String {
    match parse(text, Path::new("stacklint.toml"), false) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_leave_hardening_off() {
    let c = Config::default();
    for m in rules::all() {
        assert_eq!(
            c.enabled(m),
            m.category != Category::Hardening,
            "{}",
            m.name
        );
    }
}

#[test]
fn select_and_ignore_by_name_code_and_category() {
    let c = parse_ok("select = [\"security\", \"SL101\"]\nignore = [\"placeholder-secret\"]\n");
    let on: Vec<&str> = c.enabled_rules().iter().map(|m| m.name).collect();
    assert!(on.contains(&"internal-port-published"));
    assert!(on.contains(&"healthcheck-port-mismatch"));
    assert!(!on.contains(&"placeholder-secret"));
    assert!(!on.contains(&"parse-error"));
}

#[test]
fn errors_have_positions() {
    assert_eq!(
        parse_err("select = [\"nope\"]"),
        "stacklint.toml:1:11: unknown rule `nope` in `select`; `stacklint rules` lists them (categories: syntax, correctness, security, hardening, or all)"
    );
    assert!(parse_err("\n\nselet = []")
        .starts_with("stacklint.toml:3:1: unknown key `selet` (did you mean `select`?)"));
    assert!(parse_err("[severity]\nparse-error = \"fatal\"")
        .starts_with("stacklint.toml:2:15: bad severity"));
    assert!(parse_err("[per-file-ignores]\n\"a/[b\" = [\"SL001\"]")
        .starts_with("stacklint.toml:2:1: bad glob"));
    assert!(parse_err("select = [").starts_with("stacklint.toml:1:"));
    assert!(parse_err("[SL102]\n").contains("table named [internal-port-published]"));
}

#[test]
fn option_matching() {
    let c = parse_ok(
        "[internal-port-published]\nextra-internal-images = [\"acme/db\", \"vault\"]\n[placeholder-secret]\nextra-placeholders = [\"dummy-*\"]\n",
    );
    assert_eq!(
        c.options.extra_internal_image("ghcr.io/acme/db:1"),
        Some("acme/db")
    );
    assert_eq!(
        c.options.extra_internal_image("hashicorp/vault"),
        Some("vault")
    );
    assert_eq!(c.options.extra_internal_image("acme/dbx"), None);
    assert!(c.options.is_extra_placeholder("'DUMMY-key'"));
    assert!(!c.options.is_extra_placeholder("real"));
}

#[test]
fn suggestions() {
    assert_eq!(
        suggest("securty", rule_words()),
        " (did you mean `security`?)"
    );
    assert_eq!(suggest("zzzzzz", rule_words()), "");
}
