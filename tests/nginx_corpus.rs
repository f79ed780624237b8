//! Parses every NGINX config of the shared corpus (`../shared/corpus`): no
//! panic, and the files with syntax errors are exactly the ones listed here,
//! each with the diagnostics it must give.

use std::collections::BTreeMap;
use std::path::Path;

use stacklint::parse::nginx::{self, NginxFile};
use stacklint::source::{FileId, FileKind, SourceFile};

mod common;

/// NGINX configs whose names match none of the patterns (`*.conf`,
/// `nginx.conf*`, `*.template`).
const EXTRA: &[&str] = &[
    "awesome-compose/nginx-aspnet-mysql/proxy/conf",
    "awesome-compose/nginx-flask-mysql/proxy/conf",
    "laradock/nginx/sites/app.conf.example",
    "laradock/nginx/sites/confluence.conf.example",
    "laradock/nginx/sites/laravel.conf.example",
    "laradock/nginx/sites/laravel_varnish.conf.example",
    "laradock/nginx/sites/node.conf.example",
    "laradock/nginx/sites/octane.conf.example",
    "laradock/nginx/sites/symfony.conf.example",
    "plausible-ce/reverse-proxy/nginx/plausible",
];

const AFTER_QUOTE: &str = "after a quoted string: expected whitespace, \";\", \"{\" or \"}\"";

/// Invalid NGINX, checked by hand: every diagnostic, as (line, message).
const INVALID: &[(&str, &[(usize, &str)])] = &[
    // "this file should never be included": one bare word, no `;`.
    (
        "crossplane/tests/configs/includes-globbed/servers/locations/not-included.conf",
        &[(2, "missing \";\" after directive \"asdfasdfasdfasdfasdfasdfasdfasdfasdf\"")],
    ),
    (
        "crossplane/tests/configs/includes-regular/conf.d/bar.conf",
        &[(2, "missing \";\" after directive \"asdfasdfasdfasdfasdfasdfasdfasdfasdf\"")],
    ),
    (
        "crossplane/tests/configs/includes-regular/conf.d/foo.conf",
        &[(2, "missing \";\" after directive \"asdfasdfasdfasdfasdfasdfasdfasdfasdf\"")],
    ),
    // `proxy_pass http://is.broken.example` then `}`.
    (
        "crossplane/tests/configs/missing-semicolon/broken-above.conf",
        &[(4, "missing \";\" after directive \"proxy_pass\"")],
    ),
    (
        "crossplane/tests/configs/missing-semicolon/broken-below.conf",
        &[(7, "missing \";\" after directive \"proxy_pass\"")],
    ),
    // A lexer test: `"left"-quote` and `""left-empty` are rejected by nginx
    // (`unexpected "-"`), though crossplane splits them.
    (
        "crossplane/tests/configs/quote-behavior/nginx.conf",
        &[
            (1, "unexpected \"-\" "),
            (2, "unexpected \"l\" "),
        ],
    ),
    // The upstream file ends inside `server {` (its closing brace is missing).
    (
        "haxxnet-compose-examples/examples/privatebin/configs/nginx_sites_available_privatebin.conf",
        &[(9, "block \"server\" is not closed: expected \"}\" before end of file")],
    ),
];

/// Templates rendered before nginx reads them (Go templates in jitsi, Jinja
/// in mailcow): not NGINX as written. Only the first diagnostic is pinned,
/// the rest is recovery noise.
const TEMPLATES: &[(&str, usize, &str)] = &[
    (
        "docker-jitsi-meet/web/rootfs/defaults/meet.conf",
        1,
        "unexpected \"{\" without a directive name",
    ),
    (
        "docker-jitsi-meet/web/rootfs/defaults/nginx.conf",
        1,
        "unexpected \"{\" without a directive name",
    ),
    (
        "mailcow/data/conf/nginx/templates/nginx.conf.j2",
        13,
        "block \"http\" is not closed: expected \"}\" before end of file",
    ),
];

fn is_nginx_name(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.ends_with(".conf")
        || name.starts_with("nginx.conf")
        || name.ends_with(".template")
        || EXTRA.contains(&rel)
}

/// Every NGINX config of the corpus, as paths relative to it, sorted.
fn corpus_files(root: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(root).ok()?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            is_nginx_name(&rel).then_some(rel)
        })
        .collect();
    files.sort();
    files
}

fn parse_file(root: &Path, rel: &str) -> (SourceFile, NginxFile) {
    let bytes = std::fs::read(root.join(rel)).unwrap_or_default();
    // crossplane's non-unicode test is Latin-1: read it as the crate would.
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let src = SourceFile::new(rel, FileKind::Nginx, text);
    let parsed = nginx::parse(FileId(0), &src);
    (src, parsed)
}

#[test]
fn corpus_parses_and_only_known_files_are_invalid() {
    let Some(root) = common::shared("corpus", "parsing every corpus NGINX config") else {
        return;
    };
    let files = corpus_files(&root);
    assert!(files.len() >= 100, "only {} files found", files.len());
    for extra in EXTRA {
        assert!(files.iter().any(|f| f == extra), "{extra} is missing");
    }

    let mut with_diags: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut directives = 0;
    for rel in &files {
        let (src, parsed) = parse_file(&root, rel);
        directives += parsed.walk().count();
        for d in &parsed.diags {
            assert!(
                src.text.get(d.span.range()).is_some(),
                "{rel}: bad span {:?}",
                d.span
            );
        }
        if !parsed.diags.is_empty() {
            let diags = parsed
                .diags
                .iter()
                .map(|d| (src.line_col(d.span.start()).line, d.message.clone()))
                .collect();
            with_diags.insert(rel.clone(), diags);
        } else if !src.text.trim().is_empty() {
            assert!(!parsed.directives.is_empty(), "{rel}: nothing parsed");
        }
    }
    println!(
        "{} NGINX files parsed, {directives} directives, {} with diagnostics",
        files.len(),
        with_diags.len()
    );

    let mut expected: Vec<&str> = INVALID.iter().map(|(f, _)| *f).collect();
    expected.extend(TEMPLATES.iter().map(|(f, _, _)| *f));
    expected.sort_unstable();
    let found: Vec<&str> = with_diags.keys().map(String::as_str).collect();
    assert_eq!(found, expected, "files with diagnostics: {with_diags:#?}");

    for (file, want) in INVALID {
        let got = &with_diags[*file];
        assert_eq!(got.len(), want.len(), "{file}: {got:?}");
        for ((line, msg), (want_line, want_msg)) in got.iter().zip(want.iter()) {
            assert_eq!(line, want_line, "{file}: {msg}");
            let ok = if want_msg.ends_with(' ') {
                // Prefix form for the long "after a quoted string" message.
                msg.starts_with(want_msg) && msg.ends_with(AFTER_QUOTE)
            } else {
                msg == want_msg
            };
            assert!(ok, "{file}:{line}: got {msg:?}, want {want_msg:?}");
        }
    }
    for (file, want_line, want_msg) in TEMPLATES {
        let (line, msg) = &with_diags[*file][0];
        assert_eq!((line, msg.as_str()), (want_line, *want_msg), "{file}");
    }
}

/// Structure spot checks on crossplane's trickiest valid configs.
#[test]
fn crossplane_tricky_configs() {
    let Some(root) = common::shared(
        "corpus/crossplane/tests/configs",
        "crossplane's tricky NGINX configs",
    ) else {
        return;
    };
    let (_, f) = parse_file(&root, "lua-block-tricky/nginx.conf");
    assert!(f.diags.is_empty());
    let names: Vec<(Vec<&str>, &str)> = f
        .walk()
        .map(|v| (v.context(), v.directive.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (vec![], "http"),
            (vec!["http"], "server"),
            (vec!["http", "server"], "listen"),
            (vec!["http", "server"], "server_name"),
            (vec!["http", "server"], "set_by_lua_block"),
            (vec!["http", "server"], "rewrite_by_lua_block"),
            (vec!["http"], "upstream"),
        ]
    );
    let set = f.find_all("set_by_lua_block").next().map(|v| v.directive);
    let set = set.map(|d| (d.arg(0), d.args.len()));
    assert_eq!(set, Some((Some("$res"), 2)));

    let (src, f) = parse_file(&root, "messy/nginx.conf");
    assert!(f.diags.is_empty());
    let locations: Vec<&str> = f
        .find_all("location")
        .filter_map(|v| v.directive.args.last().map(|a| a.value.as_str()))
        .collect();
    assert_eq!(
        locations,
        [
            "/hello/world;",
            "/foo",
            "/bar",
            "/\\{\\;\\}\\ #\\ ab",
            "/status.html",
            "/sta;\n                    tus",
            "/upstream_conf",
        ]
    );
    let iff = f.find_all("if").next().map(|v| v.directive);
    let iff_args: Vec<&str> = iff.map(|d| d.arg_values().collect()).unwrap_or_default();
    assert_eq!(
        iff_args,
        ["($request_method", "=", "P\\{O\\)\\###\\;ST", ")"]
    );
    let try_files = f.find_all("try_files").next().map(|v| v.directive);
    let span = try_files.map(|d| &src.text[d.span.range()]);
    assert_eq!(span, Some("try_files /abc/${uri} /abc/${uri}.html =404 ;"));
}

/// SL208 agrees with gixy's `add_header_redefinition` cases: each `*_fp.conf` is
/// quiet, every other case gives one finding. And no other NGINX config of the
/// corpus (real stacks among them) gets one.
#[test]
fn add_header_dropped_agrees_with_gixy_and_is_quiet_elsewhere() {
    let Some(root) = common::shared("corpus", "SL208 against gixy's cases and the corpus") else {
        return;
    };
    let gixy = "gixy/tests/plugins/simply/add_header_redefinition/";
    let mut cases = 0;
    for rel in corpus_files(&root) {
        let p = stacklint::compose::stack::load_single(&root.join(&rel), FileKind::Nginx);
        let found = stacklint::report::check::run(&p, &|m| m.code == "SL208").len();
        let expected = match rel.strip_prefix(gixy) {
            Some(case) if !case.ends_with("_fp.conf") => {
                cases += 1;
                1
            }
            _ => 0,
        };
        assert_eq!(found, expected, "{rel}");
    }
    assert_eq!(cases, 4, "gixy's failing cases");
}
