use super::*;
use crate::source::FileKind;

fn parse_str(text: &str) -> (SourceFile, NginxFile) {
    let src = SourceFile::new("t.conf", FileKind::Nginx, text.to_string());
    let f = parse(FileId(0), &src);
    (src, f)
}

fn at(src: &SourceFile, span: Span) -> &str {
    &src.text[span.range()]
}

/// Parses text that must be valid; returns the tree.
fn ok(text: &str) -> NginxFile {
    let (_, f) = parse_str(text);
    assert!(
        f.diags.is_empty(),
        "unexpected diags for {text:?}: {:?}",
        f.diags
    );
    f
}

/// `(message, spanned text)` of every diag.
fn diags(text: &str) -> Vec<(String, String)> {
    let (src, f) = parse_str(text);
    f.diags
        .iter()
        .map(|d| (d.message.clone(), at(&src, d.span).to_string()))
        .collect()
}

fn values(d: &Directive) -> Vec<&str> {
    d.arg_values().collect()
}

#[test]
fn simple_directives_and_spans() {
    let text = "user nobody;\nevents { worker_connections 1024; }\n";
    let (src, f) = parse_str(text);
    assert!(f.diags.is_empty());
    assert_eq!(f.directives.len(), 2);
    let user = &f.directives[0];
    assert_eq!(user.name, "user");
    assert_eq!(at(&src, user.name_span), "user");
    assert_eq!(at(&src, user.span), "user nobody;");
    assert_eq!(values(user), ["nobody"]);
    assert!(user.block.is_none());
    let events = &f.directives[1];
    assert_eq!(at(&src, events.span), "events { worker_connections 1024; }");
    let wc = &events.children()[0];
    assert_eq!(wc.arg(0), Some("1024"));
    assert_eq!(wc.arg(1), None);
    assert_eq!(at(&src, wc.span), "worker_connections 1024;");
}

#[test]
fn empty_and_whitespace_only() {
    assert!(ok("").directives.is_empty());
    assert!(ok(" \t\r\n# only a comment\n").directives.is_empty());
}

#[test]
fn quotes_and_escapes() {
    let text = r#"a "q\"s\'b\\" 'x\"y\'z' "t\tn\nr\r" "\x\$\ " a\ b a"b"c '' "#.to_string() + ";";
    let (src, f) = parse_str(&text);
    assert!(f.diags.is_empty(), "{:?}", f.diags);
    let d = &f.directives[0];
    assert_eq!(
        values(d),
        [
            "q\"s'b\\",
            "x\"y'z",
            "t\tn\nr\r",
            "\\x\\$\\ ",
            "a\\ b",
            "a\"b\"c",
            "",
        ]
    );
    let quoted: Vec<bool> = d.args.iter().map(|a| a.quoted).collect();
    assert_eq!(quoted, [true, true, true, true, false, false, true]);
    assert_eq!(at(&src, d.args[0].span), r#""q\"s\'b\\""#);
    assert_eq!(at(&src, d.args[4].span), r"a\ b");
    assert_eq!(at(&src, d.args[6].span), "''");
}

#[test]
fn quoted_strings_hold_delimiters() {
    let (src, f) = parse_str("location \"/a;b{c}#d\n e\" { return 200 '}'; }");
    assert!(f.diags.is_empty(), "{:?}", f.diags);
    let loc = &f.directives[0];
    assert_eq!(loc.arg(0), Some("/a;b{c}#d\n e"));
    assert_eq!(loc.children()[0].arg(1), Some("}"));
    assert_eq!(at(&src, loc.span), src.text.as_str());
}

#[test]
fn quoted_directive_names() {
    let (src, f) = parse_str("\"events\" { \"worker_connections\" \"2048\"; }");
    assert!(f.diags.is_empty());
    let ev = &f.directives[0];
    assert_eq!(ev.name, "events");
    assert_eq!(at(&src, ev.name_span), "\"events\"");
    assert_eq!(ev.children()[0].name, "worker_connections");
}

#[test]
fn quote_followed_by_delimiters() {
    // `;`, `{` and `)` may follow a closing quote directly.
    let f = ok("if ($a = \"b\"){ return 200 \"x\";}location \"/y\"{}");
    let iff = &f.directives[0];
    assert_eq!(values(iff), ["($a", "=", "b", ")"]);
    assert_eq!(f.directives[1].arg(0), Some("/y"));
}

#[test]
fn char_after_quote_is_an_error() {
    assert_eq!(
        diags("a \"left\"-quote;"),
        [(
            "unexpected \"-\" after a quoted string: expected whitespace, \";\", \"{\" or \"}\""
                .to_string(),
            "-".to_string()
        )]
    );
    // Recovery splits the token, as crossplane does; a `#` there is not a comment.
    let (_, f) = parse_str("a \"left\"-quote \"x\"#y;");
    assert_eq!(values(&f.directives[0]), ["left", "-quote", "x", "#y"]);
    assert_eq!(f.diags.len(), 2);
    // A multi-byte character is spanned whole.
    assert_eq!(diags("a \"b\"é;")[0].1, "é");
}

#[test]
fn quote_inside_token_is_plain() {
    let f = ok("a right-\"quote\" inner\"-\"quote right-empty-single\";");
    assert_eq!(
        values(&f.directives[0]),
        ["right-\"quote\"", "inner\"-\"quote", "right-empty-single\""]
    );
}

#[test]
fn comments() {
    let text = "# top\r\nserver { #c1\n  listen 80; # c2 { ; }\n  return 200 a#b;#c3\n  add_header X \\#y; # }\n}";
    let f = ok(text);
    let server = &f.directives[0];
    let kids: Vec<&str> = server.children().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(kids, ["listen", "return", "add_header"]);
    assert_eq!(server.children()[1].arg(1), Some("a#b"));
    // `\#` is not one of nginx's escapes: kept as written.
    assert_eq!(server.children()[2].arg(1), Some("\\#y"));
}

#[test]
fn comments_between_args() {
    let f = ok("log_format #c2\n  \\#arg\\ 1 #c3\n  '#arg 2' #c4\n  #c5\n  ;");
    assert_eq!(values(&f.directives[0]), ["\\#arg\\ 1", "#arg 2"]);
}

#[test]
fn dollar_brace_is_text() {
    let (src, f) =
        parse_str("location / { try_files /abc/${uri} /abc/${uri}.html =404; set $x ${host}y; }");
    assert!(f.diags.is_empty(), "{:?}", f.diags);
    let loc = &f.directives[0];
    assert_eq!(
        values(&loc.children()[0]),
        ["/abc/${uri}", "/abc/${uri}.html", "=404"]
    );
    let set = &loc.children()[1];
    assert_eq!(values(set), ["$x", "${host}y"]);
    assert_eq!(at(&src, set.args[1].span), "${host}y");
    // Only a `{` right after `$` is text: after `}` it opens a block, as
    // in nginx (which then rejects `set` for having one).
    let f = ok("set $x ${host}{ y; }");
    assert_eq!(f.directives[0].arg(1), Some("${host}"));
    assert!(f.directives[0].is_block());
    // nginx keeps the flag over a run of `{`.
    assert_eq!(ok("a ${{b;").directives[0].arg(0), Some("${{b"));
}

#[test]
fn brace_ends_unquoted_token_only_when_opening() {
    // nginx ends an unquoted token at `{` but not at `}`.
    let f = ok("location /foo{}location /bar{ return 200 a}; }");
    assert_eq!(f.directives[0].arg(0), Some("/foo"));
    assert_eq!(f.directives[1].children()[0].arg(1), Some("a}"));
}

#[test]
fn lua_blocks() {
    let text = r#"http {
    init_by_lua_block {
        print("Lua block code with curly brace str {")
    }
    server {
        server_name  content_by_lua_block ;
        set_by_lua_block $res { -- comment with } brace
            local s = '}' .. [[ } ]] .. [==[ ]] } ]==]
            --[[ long } comment ]]
            return { a = { 1 } }
        }
        "rewrite_by_lua_block" {do_something("{")}
        location / { content_by_lua_block{ngx.say("x")} return 200; }
    }
    upstream content_by_lua_block {
        # stuff
    }
}"#;
    let (src, f) = parse_str(text);
    assert!(f.diags.is_empty(), "{:?}", f.diags);
    let http = &f.directives[0];
    let init = &http.children()[0];
    assert_eq!(init.name, "init_by_lua_block");
    assert!(init.block.is_none());
    assert_eq!(init.args.len(), 1);
    assert_eq!(
        init.args[0].value,
        "\n        print(\"Lua block code with curly brace str {\")\n    "
    );
    assert_eq!(at(&src, init.args[0].span), init.args[0].value);
    assert!(at(&src, init.span).starts_with("init_by_lua_block {"));
    assert!(at(&src, init.span).ends_with('}'));

    let server = &http.children()[1];
    let names: Vec<&str> = server.children().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "server_name",
            "set_by_lua_block",
            "rewrite_by_lua_block",
            "location"
        ]
    );
    assert_eq!(server.children()[0].arg(0), Some("content_by_lua_block"));
    let set = &server.children()[1];
    assert_eq!(set.arg(0), Some("$res"));
    assert!(set.args[1]
        .value
        .trim_end()
        .ends_with("return { a = { 1 } }"));
    assert_eq!(server.children()[2].arg(0), Some("do_something(\"{\")"));
    let loc = &server.children()[3];
    assert_eq!(loc.children()[0].arg(0), Some("ngx.say(\"x\")"));
    assert_eq!(loc.children()[1].name, "return");

    let upstream = &http.children()[2];
    assert_eq!(upstream.name, "upstream");
    assert_eq!(upstream.arg(0), Some("content_by_lua_block"));
    assert_eq!(upstream.children().len(), 0);
}

#[test]
fn fragments_are_valid() {
    let f = ok("server {\n  listen 80;\n  location / { proxy_pass http://app:8080; }\n}\n");
    assert_eq!(f.directives[0].name, "server");
    let f = ok("location /api/ {\n\tproxy_pass http://api/;\n}\n");
    assert_eq!(f.directives[0].name, "location");
    let f = ok("add_header X-Frame-Options SAMEORIGIN;\nclient_max_body_size 10G;\n");
    assert_eq!(f.directives.len(), 2);
}

#[test]
fn missing_semicolon_before_brace() {
    let text = "server {\n  listen 80\n}\n";
    let (src, f) = parse_str(text);
    assert_eq!(f.diags.len(), 1);
    let d = &f.diags[0];
    assert_eq!(d.message, "missing \";\" after directive \"listen\"");
    assert_eq!(at(&src, d.span), "80");
    assert_eq!(at(&src, d.related[0].0), "}");
    // Recovered: the directive is kept and the block is closed.
    let server = &f.directives[0];
    assert_eq!(at(&src, server.span), "server {\n  listen 80\n}");
    assert_eq!(at(&src, server.children()[0].span), "listen 80");
}

#[test]
fn missing_semicolon_at_eof() {
    assert_eq!(
        diags("user nginx;\nworker_processes auto"),
        [(
            "missing \";\" after directive \"worker_processes\"".to_string(),
            "auto".to_string()
        )]
    );
    let (_, f) = parse_str("user nginx;\nworker_processes auto");
    assert_eq!(f.directives[1].arg(0), Some("auto"));
    // A bare name is the token where `;` was expected.
    assert_eq!(diags("daemon")[0].1, "daemon");
}

#[test]
fn missing_semicolon_recovers_structure() {
    let text = "http {\n  server {\n    location /is-broken {\n      proxy_pass http://is.broken.example\n    }\n    location /not-broken {\n      proxy_pass http://not.broken.example;\n    }\n  }\n}\n";
    let (src, f) = parse_str(text);
    assert_eq!(f.diags.len(), 1);
    assert_eq!(at(&src, f.diags[0].span), "http://is.broken.example");
    let server = &f.directives[0].children()[0];
    assert_eq!(server.children().len(), 2);
    assert_eq!(server.children()[1].children()[0].name, "proxy_pass");
}

#[test]
fn unexpected_close() {
    let text = "events {}\n}\nhttp {}";
    let (src, f) = parse_str(text);
    assert_eq!(f.diags.len(), 1);
    assert_eq!(f.diags[0].message, "unexpected \"}\": no block is open");
    assert_eq!(f.diags[0].span.start(), 10);
    assert_eq!(at(&src, f.diags[0].span), "}");
    assert_eq!(f.directives.len(), 2);
}

#[test]
fn unclosed_block() {
    let text = "http {\n  server {\n    listen 80;\n  }\n  server { listen 81; }\n";
    let (src, f) = parse_str(text);
    assert_eq!(f.diags.len(), 1, "{:?}", f.diags);
    assert_eq!(
        f.diags[0].message,
        "block \"http\" is not closed: expected \"}\" before end of file"
    );
    assert_eq!(at(&src, f.diags[0].span), "http {");
    let http = &f.directives[0];
    assert_eq!(http.children().len(), 2);
    // Cut at the last token, not at trailing whitespace.
    assert!(at(&src, http.span).ends_with("listen 81; }"));

    let d = diags("a {\n b { c x {\n");
    let spans: Vec<&str> = d.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(spans, ["a {", "b {", "c x {"]);
}

#[test]
fn unterminated_quote() {
    let text = "server {\n  return 200 \"oops;\n}\n";
    let (src, f) = parse_str(text);
    assert_eq!(f.diags.len(), 1, "{:?}", f.diags);
    assert_eq!(
        f.diags[0].message,
        "unterminated quoted string: no closing \" before end of file"
    );
    assert_eq!(at(&src, f.diags[0].span), "\"oops;");
    // Recovered by reading the quote as a plain character.
    let ret = &f.directives[0].children()[0];
    assert_eq!(values(ret), ["200", "\"oops"]);
    assert!(!ret.args[1].quoted);

    let d = diags("a 'b;");
    assert_eq!(d[0].1, "'b;");
    assert!(d[0].0.contains("no closing '"));
}

#[test]
fn stray_semicolon_and_brace() {
    assert_eq!(
        diags("user x;;"),
        [(
            "unexpected \";\" without a directive".to_string(),
            ";".to_string()
        )]
    );
    let text = "http { { listen 80; } }";
    let (src, f) = parse_str(text);
    assert_eq!(f.diags.len(), 1);
    assert_eq!(
        f.diags[0].message,
        "unexpected \"{\" without a directive name"
    );
    assert_eq!(f.diags[0].span.start(), 7);
    assert_eq!(at(&src, f.diags[0].span), "{");
    // The anonymous block's children are kept in its parent.
    assert_eq!(f.directives[0].children()[0].name, "listen");
}

#[test]
fn unclosed_lua_block() {
    let text = "location / {\n  content_by_lua_block {\n    ngx.say('hi')\n";
    let (src, f) = parse_str(text);
    let msgs: Vec<(&str, &str)> = f
        .diags
        .iter()
        .map(|d| (d.message.as_str(), at(&src, d.span)))
        .collect();
    assert_eq!(
        msgs,
        [
            (
                "block \"location\" is not closed: expected \"}\" before end of file",
                "location / {"
            ),
            (
                "Lua block \"content_by_lua_block\" is not closed: expected \"}\" before end of file",
                "content_by_lua_block {"
            ),
        ]
    );
    let lua = &f.directives[0].children()[0];
    assert_eq!(lua.args[0].value, "\n    ngx.say('hi')\n");
}

#[test]
fn byte_order_mark() {
    let (src, f) = parse_str("\u{feff}events {}");
    assert_eq!(f.diags.len(), 1);
    assert!(f.diags[0].message.starts_with("byte order mark"));
    assert_eq!(at(&src, f.diags[0].span), "\u{feff}");
    assert_eq!(f.directives[0].name, "events");
}

#[test]
fn spans_after_non_ascii() {
    let text = "# héllo wörld ✓\r\nserver_name\tünï.example \"ä b\" 'ö';\r\nreturn 200 日本;";
    let (src, f) = parse_str(text);
    assert!(f.diags.is_empty());
    let sn = &f.directives[0];
    let texts: Vec<&str> = sn.args.iter().map(|a| at(&src, a.span)).collect();
    assert_eq!(texts, ["ünï.example", "\"ä b\"", "'ö'"]);
    assert_eq!(values(sn), ["ünï.example", "ä b", "ö"]);
    assert_eq!(at(&src, sn.span), "server_name\tünï.example \"ä b\" 'ö';");
    assert_eq!(f.directives[1].arg(1), Some("日本"));
    for v in f.walk() {
        for a in &v.directive.args {
            assert!(src.text.is_char_boundary(a.span.start()));
            assert!(src.text.is_char_boundary(a.span.end()));
        }
    }
}

#[test]
fn depth_limit() {
    // Exactly MAX_DEPTH levels is fine.
    let ok_text = "a {".repeat(MAX_DEPTH) + &"}".repeat(MAX_DEPTH);
    assert!(parse_str(&ok_text).1.diags.is_empty());

    let n = 100_000;
    let text = "a {".repeat(n) + "x;" + &"}".repeat(n) + " tail;";
    let (src, f) = parse_str(&text);
    assert_eq!(f.diags.len(), 1, "{:?}", &f.diags[..f.diags.len().min(3)]);
    assert!(f.diags[0].message.contains("nested more than 64"));
    assert_eq!(at(&src, f.diags[0].span), "a {");
    assert_eq!(f.directives.len(), 2);
    assert_eq!(f.directives[1].name, "tail");
    let depth = f.walk().map(|v| v.parents.len()).max().unwrap_or(0);
    assert_eq!(depth, MAX_DEPTH);

    // Unclosed and deep: still bounded; one "unclosed" per kept level, capped as
    // one message repeated, and the depth diagnostic.
    let (_, f) = parse_str(&"a {".repeat(n));
    assert_eq!(f.diags.len(), MAX_SAME_DIAGS + 2);
    // Many stray braces: the first hundred, then one count of the rest.
    let (src, f) = parse_str(&"}".repeat(n));
    assert_eq!(f.diags.len(), MAX_SAME_DIAGS + 1);
    let last = &f.diags[MAX_SAME_DIAGS];
    assert_eq!(last.span.start(), MAX_SAME_DIAGS);
    assert_eq!(
        last.message,
        format!(
            "{} more of the same from here on, not reported one by one: \
             unexpected \"}}\": no block is open",
            n - MAX_SAME_DIAGS
        )
    );
    assert_eq!(at(&src, last.span), "}");
    // Stray `{`s nest: bounded like named blocks, skipped past the limit.
    let text = "{".repeat(n) + &"}".repeat(n) + " tail;";
    let (_, f) = parse_str(&text);
    // One "without a name" per kept level (capped), their count, the depth.
    assert_eq!(f.diags.len(), MAX_SAME_DIAGS + 2, "{:?}", &f.diags[..3]);
    assert!(f
        .diags
        .iter()
        .any(|d| d.message.contains("nested more than 64")));
    assert_eq!(f.directives.len(), 1);
    assert_eq!(f.directives[0].name, "tail");
    // Distinct messages are capped in all. Each `dN }` lacks its `;` (a message
    // naming dN) and closes no block (the same message each time): 100 items
    // make 200 diagnostics, then each item adds one until 500 are kept.
    let items = 1_000;
    let text: String = (0..items).map(|i| format!("d{i} }} ")).collect();
    let (_, f) = parse_str(&text);
    assert_eq!(f.diags.len(), MAX_DIAGS + 2);
    let summaries: Vec<&str> = f
        .diags
        .iter()
        .map(|d| d.message.as_str())
        .filter(|m| m.contains("more"))
        .collect();
    assert_eq!(
        summaries,
        [
            format!(
                "{} more of the same from here on, not reported one by one: \
                 unexpected \"}}\": no block is open",
                items - MAX_SAME_DIAGS
            ),
            format!(
                "{} more problems in this file from here on are not reported",
                items - (MAX_DIAGS - MAX_SAME_DIAGS)
            ),
        ]
    );
}

#[test]
fn crlf_and_tabs() {
    let f = ok("server\r\n{\r\n\tlisten\t80;\r\n\tserver_name\texample.com;\r\n}\r\n");
    let s = &f.directives[0];
    assert_eq!(s.children()[1].arg(0), Some("example.com"));
}

#[test]
fn walk_and_find_all() {
    let f = ok("http { server { listen 80; location / { add_header A b; } } add_header C d; }");
    let found: Vec<(Vec<&str>, Option<&str>)> = f
        .find_all("add_header")
        .map(|v| (v.context(), v.directive.arg(0)))
        .collect();
    assert_eq!(
        found,
        [
            (vec!["http", "server", "location"], Some("A")),
            (vec!["http"], Some("C")),
        ]
    );
    let names: Vec<&str> = f.walk().map(|v| v.directive.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "http",
            "server",
            "listen",
            "location",
            "add_header",
            "add_header"
        ]
    );
    let listen = f
        .find_all("listen")
        .next()
        .map(|v| v.parent().map(|p| p.name.clone()));
    assert_eq!(listen, Some(Some("server".to_string())));
    assert!(f.find_all("listen").all(|v| v.is_inside("http")));
    let server = &f.directives[0].children()[0];
    assert_eq!(server.find_all("add_header").count(), 1);
}

#[test]
fn hostile_inputs_terminate() {
    let n = 200_000;
    for text in [
        "\"".repeat(n),
        "'\"".repeat(n),
        "a \"".repeat(n),
        "\\".repeat(n),
        "${".repeat(n),
        "x_by_lua_block {".repeat(n),
        "content_by_lua_block { [[".to_string() + &"]=".repeat(n),
        "content_by_lua_block { --[==[".to_string() + &"]=]".repeat(n),
        "#".repeat(n),
        ";{}".repeat(n),
    ] {
        let start = std::time::Instant::now();
        let _ = parse_str(&text);
        assert!(start.elapsed().as_secs() < 5, "slow on {:?}", &text[..10]);
    }
}

#[test]
fn every_prefix_parses() {
    // Cutting a real-looking config anywhere must never panic, and every
    // span must stay on char boundaries.
    let text = "http {\n  # ünï\n  server { listen 80; return 200 \"a\\\"b ${x}\"; }\n  content_by_lua_block { ngx.say('}') -- }\n }\n  if ($a = 'b') { set $c d\\;e; }\n}\n";
    let mut cut = 0;
    while cut <= text.len() {
        if text.is_char_boundary(cut) {
            let (src, f) = parse_str(&text[..cut]);
            for d in &f.diags {
                assert!(src.text.is_char_boundary(d.span.start()));
                assert!(src.text.is_char_boundary(d.span.end()));
                assert!(d.span.end() <= src.text.len());
            }
            for v in f.walk() {
                let d = v.directive;
                assert!(d.span.end() <= src.text.len());
                assert!(src.text.get(d.span.range()).is_some());
            }
        }
        cut += 1;
    }
}

#[test]
fn pseudo_random_bytes() {
    // A small LCG over the characters that matter to the lexer.
    let alphabet: Vec<char> = " \t\r\n;{}#\"'\\$()ab_é".chars().collect();
    let mut seed: u64 = 0x5eed;
    for _ in 0..2000 {
        let mut s = String::new();
        for _ in 0..(seed % 64) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
        }
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let (src, f) = parse_str(&s);
        for d in &f.diags {
            assert!(src.text.get(d.span.range()).is_some(), "{s:?}");
        }
        for v in f.walk() {
            for a in &v.directive.args {
                assert!(src.text.get(a.span.range()).is_some(), "{s:?}");
            }
        }
    }
}
