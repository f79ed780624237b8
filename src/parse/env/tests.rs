use super::*;
use crate::source::FileKind;

fn run(text: &str) -> (SourceFile, EnvFile) {
    let src = SourceFile::new(".env", FileKind::Env, text.to_string());
    let env = parse(FileId(0), &src);
    (src, env)
}

fn pairs(env: &EnvFile) -> Vec<(&str, &str)> {
    env.entries
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_str()))
        .collect()
}

fn entry<'a>(env: &'a EnvFile, key: &str) -> &'a EnvEntry {
    match env.entries.iter().find(|e| e.key == key) {
        Some(e) => e,
        None => panic!("no entry {key} in {:?}", pairs(env)),
    }
}

/// Every span slices the text on char boundaries; keys match their span.
fn check_spans(src: &SourceFile, env: &EnvFile) {
    for e in &env.entries {
        assert!(src.text.is_char_boundary(e.key_span.start()));
        assert!(src.text.is_char_boundary(e.key_span.end()));
        assert!(src.text.is_char_boundary(e.value_span.start()));
        assert!(src.text.is_char_boundary(e.value_span.end()));
        assert_eq!(&src.text[e.key_span.range()], e.key);
    }
    for d in &env.diags {
        assert!(d.span.end() <= src.text.len());
        assert!(src.text.is_char_boundary(d.span.start()));
        assert!(src.text.is_char_boundary(d.span.end()));
    }
}

fn value_text<'a>(src: &'a SourceFile, e: &EnvEntry) -> &'a str {
    &src.text[e.value_span.range()]
}

#[test]
fn plain_fixture() {
    let (src, env) = run("OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n");
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    assert_eq!(
        pairs(&env),
        vec![
            ("OPTION_A", "1"),
            ("OPTION_B", "2"),
            ("OPTION_C", "3"),
            ("OPTION_D", "4"),
            ("OPTION_E", "5"),
            ("456", "ABC"),
            ("OPTION_F", ""),
            ("OPTION_G", ""),
            ("OPTION_H", "my string"),
        ]
    );
    let h = entry(&env, "OPTION_H");
    assert_eq!(value_text(&src, h), "my string");
    assert_eq!(h.quote, Quote::None);
    assert!(h.expand);
}

#[test]
fn empty_value_span_sits_after_equals() {
    let (src, env) = run("A=\nB = \nC: \n");
    check_spans(&src, &env);
    for (key, eq) in [("A", 1), ("B", 5), ("C", 9)] {
        let e = entry(&env, key);
        assert_eq!(e.value, "");
        assert_eq!((e.value_span.start(), e.value_span.end()), (eq + 1, eq + 1));
        assert!(!e.is_inherited());
    }
}

#[test]
fn quote_styles() {
    let (src, env) = run(
        "A='1'\nB=\"2\"\nC=''\nD='\\n'\nE=\"\\n\"\nF = \"echo 'asd'\" # Inline comment\nG='Let\\'s go!'\nH='$X'\nI=\"$X\"\n",
    );
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    assert_eq!(
        pairs(&env),
        vec![
            ("A", "1"),
            ("B", "2"),
            ("C", ""),
            ("D", "\\n"),
            ("E", "\n"),
            ("F", "echo 'asd'"),
            ("G", "Let's go!"),
            ("H", "$X"),
            ("I", "$X"),
        ]
    );
    let a = entry(&env, "A");
    assert_eq!((a.quote, a.expand), (Quote::Single, false));
    assert_eq!(value_text(&src, a), "'1'");
    let b = entry(&env, "B");
    assert_eq!((b.quote, b.expand), (Quote::Double, true));
    assert_eq!(value_text(&src, b), "\"2\"");
    assert_eq!(value_text(&src, entry(&env, "C")), "''");
    assert_eq!(value_text(&src, entry(&env, "F")), "\"echo 'asd'\"");
    assert_eq!(value_text(&src, entry(&env, "G")), "'Let\\'s go!'");
}

#[test]
fn double_quote_escapes() {
    let (_, env) = run(concat!(
        r#"A="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#,
        "\n",
        r#"B="escaped\"bar""#,
        "\n",
        r#"C="\x07 \u12e4 \c \q""#,
        "\n",
        r#"D="foo\$BAR \${BAR}""#,
        "\n",
        r#"E="bar\nbaz\\""#,
        "\n",
        r#"F="\0 \01 \012 \0377 \0400 \089""#,
        "\n",
        r#"G="a\\\nb""#,
        "\n",
    ));
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    assert_eq!(
        entry(&env, "A").value,
        "Z\u{7}Z\u{8}Z\u{c}Z\nZ\rZ\tZ\u{b}Z\\ZSZ"
    );
    assert_eq!(entry(&env, "B").value, "escaped\"bar");
    assert_eq!(entry(&env, "C").value, r"\x07 \u12e4 \c \q");
    // `$$` is left for the expansion step, which reads it as `$`.
    assert_eq!(entry(&env, "D").value, "foo$$BAR $${BAR}");
    assert_eq!(entry(&env, "E").value, "bar\nbaz\\");
    assert_eq!(entry(&env, "F").value, "\\ \\1 \\12 \u{ff} \\400 \\89");
    assert_eq!(entry(&env, "G").value, "a\\\nb");
}

#[test]
fn single_quotes_keep_backslashes() {
    let (_, env) = run(r#"A='a\\b\nc\"d'"#);
    assert!(env.diags.is_empty());
    assert_eq!(entry(&env, "A").value, r#"a\\b\nc\"d"#);
}

#[test]
fn unquoted_values_are_raw() {
    let (_, env) = run("A=a\\tb\nB=foobar=\nC=1:B\nD:  Foo=bar\nE=\"x\"y\n");
    assert_eq!(
        pairs(&env),
        vec![
            ("A", "a\\tb"),
            ("B", "foobar="),
            ("C", "1:B"),
            ("D", "Foo=bar"),
            ("E", "x"),
            ("y", ""),
        ]
    );
}

#[test]
fn multi_line_values() {
    let text = "J = 'first line\nsecond line\nthird line'\nK=\"a\n  b\\n\"\nZ=z\n";
    let (src, env) = run(text);
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    let j = entry(&env, "J");
    assert_eq!(j.value, "first line\nsecond line\nthird line");
    assert_eq!(value_text(&src, j), "'first line\nsecond line\nthird line'");
    assert_eq!(entry(&env, "K").value, "a\n  b\n");
    assert_eq!(entry(&env, "Z").value, "z");
}

#[test]
fn export_prefix() {
    let (src, env) = run(
        "export A=2\nexport B='\\n'\nexport exportFoo=2\nexportFOO=2\nexport_FOO =2\nexport.FOO= 2\nexport\tC=2\n  export D=2\nexport E=\"export A\"\nexport=1\nexport   F\n",
    );
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    let got: Vec<_> = env
        .entries
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_str(), e.exported))
        .collect();
    assert_eq!(
        got,
        vec![
            ("A", "2", true),
            ("B", "\\n", true),
            ("exportFoo", "2", true),
            ("exportFOO", "2", false),
            ("export_FOO", "2", false),
            ("export.FOO", "2", false),
            ("C", "2", true),
            ("D", "2", true),
            ("E", "export A", true),
            ("export", "1", false),
            ("F", "", true),
        ]
    );
    assert!(entry(&env, "F").is_inherited());
}

#[test]
fn bare_export_is_reported() {
    let (_, env) = run("export\nA=1\nexport");
    assert_eq!(pairs(&env), vec![("A", "1")]);
    assert_eq!(env.diags.len(), 2);
    assert_eq!((env.diags[0].span.start(), env.diags[0].span.end()), (0, 6));
}

#[test]
fn inline_comments() {
    let (src, env) = run(
        "A=bar # this is foo\nB=bar #this\nC=bar #\nD=123#not-a-comment\nE=a#b\nF=\"bar#baz\" # c\nG='bar#baz'#c\nH=\"bar#baz\"#\nI=a\t#b\nJ= # value\n",
    );
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    assert_eq!(
        pairs(&env),
        vec![
            ("A", "bar"),
            ("B", "bar"),
            ("C", "bar"),
            ("D", "123#not-a-comment"),
            ("E", "a#b"),
            ("F", "bar#baz"),
            ("G", "bar#baz"),
            ("H", "bar#baz"),
            // Compose cuts only at a space then `#`.
            ("I", "a\t#b"),
            // The blanks after `=` are skipped first, so nothing precedes the `#`.
            ("J", "# value"),
        ]
    );
    assert_eq!(value_text(&src, entry(&env, "A")), "bar");
}

#[test]
fn comments_and_blank_lines() {
    let (_, env) = run("\n\r\n\t\t \n# Comment\n\t # comment\nA=1\n#B=2\n   \n");
    assert!(env.diags.is_empty());
    assert_eq!(pairs(&env), vec![("A", "1")]);
}

#[test]
fn inherited_keys() {
    let (src, env) = run("foo=bar\nVAR_FROM_OS\nbar=baz\n  LAST  ");
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    assert_eq!(
        pairs(&env),
        vec![
            ("foo", "bar"),
            ("VAR_FROM_OS", ""),
            ("bar", "baz"),
            ("LAST", "")
        ]
    );
    let v = entry(&env, "VAR_FROM_OS");
    assert!(v.is_inherited());
    assert_eq!(v.value_span.start(), v.key_span.end());
    assert!(entry(&env, "LAST").is_inherited());
    assert!(!entry(&env, "foo").is_inherited());
}

#[test]
fn yaml_colon_form() {
    let (_, env) = run("FOO:BAR\nZOT:QIX\nOPTION_A: 1\n");
    assert_eq!(
        pairs(&env),
        vec![("FOO", "BAR"), ("ZOT", "QIX"), ("OPTION_A", "1")]
    );
}

#[test]
fn key_characters() {
    let (src, env) = run(
        "VAR.WITH.DOTS=dots\nVAR-WITH-DASHES=dashes\na[1]=c\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép\n",
    );
    check_spans(&src, &env);
    assert!(env.diags.is_empty());
    assert_eq!(
        pairs(&env),
        vec![
            ("VAR.WITH.DOTS", "dots"),
            ("VAR-WITH-DASHES", "dashes"),
            ("a[1]", "c"),
            ("árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép"),
        ]
    );
}

#[test]
fn spans_are_exact() {
    let text = "  export KEY_1 = \"a b\"  # c\nK2='x'\nK3 =  plain value  # c\n";
    let (src, env) = run(text);
    check_spans(&src, &env);
    let k1 = entry(&env, "KEY_1");
    assert_eq!(k1.key_span.start(), 9);
    assert_eq!(value_text(&src, k1), "\"a b\"");
    assert_eq!(k1.value_span.start(), 17);
    assert_eq!(value_text(&src, entry(&env, "K2")), "'x'");
    let k3 = entry(&env, "K3");
    assert_eq!(value_text(&src, k3), "plain value");
    assert_eq!(k3.value, "plain value");
}

#[test]
fn crlf() {
    let text = "A=1\r\nB = 'two'\r\nC=\"x\r\ny\"\r\nD\r\n# c\r\nE=e # c\r\n";
    let (src, env) = run(text);
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    assert_eq!(
        pairs(&env),
        // Compose keeps the CR inside a multi-line quoted value.
        vec![
            ("A", "1"),
            ("B", "two"),
            ("C", "x\r\ny"),
            ("D", ""),
            ("E", "e")
        ]
    );
    assert_eq!(value_text(&src, entry(&env, "A")), "1");
    assert!(entry(&env, "D").is_inherited());
}

#[test]
fn bom_is_skipped() {
    let (src, env) = run("\u{feff}A=1\nB=2\n");
    check_spans(&src, &env);
    assert!(env.diags.is_empty());
    assert_eq!(pairs(&env), vec![("A", "1"), ("B", "2")]);
    assert_eq!(entry(&env, "A").key_span.start(), 3);
}

#[test]
fn non_ascii_values() {
    let text = "A=héllo wörld # ç\nB=\"日本語\\n\"\nC='€'\nD=😀\nÉ=1\n";
    let (src, env) = run(text);
    check_spans(&src, &env);
    assert!(env.diags.is_empty(), "{:?}", env.diags);
    assert_eq!(
        pairs(&env),
        vec![
            ("A", "héllo wörld"),
            ("B", "日本語\n"),
            ("C", "€"),
            ("D", "😀"),
            ("É", "1")
        ]
    );
    assert_eq!(value_text(&src, entry(&env, "A")), "héllo wörld");
    assert_eq!(value_text(&src, entry(&env, "B")), "\"日本語\\n\"");
}

#[test]
fn unterminated_quote_then_recovery() {
    let text = "A=1\nB=\"never closed\nC=3\nD='x\n";
    let (src, env) = run(text);
    check_spans(&src, &env);
    assert_eq!(pairs(&env), vec![("A", "1"), ("C", "3")]);
    assert_eq!(env.diags.len(), 2, "{:?}", env.diags);
    assert_eq!(src.slice(&env.diags[0].span), "\"never closed");
    assert!(env.diags[0].message.contains("unterminated"));
    assert_eq!(src.slice(&env.diags[1].span), "'x");
}

#[test]
fn unterminated_cases() {
    for text in [
        "KEY=\"",
        "KEY=\"value",
        "KEY=\"value\\\"",
        "KEY=\"value'",
        "KEY='",
        "KEY='value",
        "KEY='value\\'",
        "KEY='value\"",
    ] {
        let (_, env) = run(text);
        assert!(env.entries.is_empty(), "{text}");
        assert_eq!(env.diags.len(), 1, "{text}");
        assert!(env.diags[0].message.contains("unterminated"), "{text}");
    }
}

#[test]
fn lone_quotes_stay_fast() {
    let mut text = String::new();
    for i in 0..30_000 {
        text.push_str(&format!("A{i}=\"x\nB{i}='y\\'\nC{i}=z\nlol$wut\n"));
    }
    let start = std::time::Instant::now();
    let (src, env) = run(&text);
    check_spans(&src, &env);
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
}

#[test]
fn garbage_lines() {
    let text = "# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nlol$wut\n%!(EXTRA string)=foo\n=value\n{ json: 1 }\n- X=1\nzot=qix\n😀=1\nok=1";
    let (src, env) = run(text);
    check_spans(&src, &env);
    assert_eq!(
        pairs(&env),
        vec![
            ("foo", "\n  a\n  multine\n  value\n"),
            ("zot", "qix"),
            ("ok", "1")
        ]
    );
    let flagged: Vec<_> = env.diags.iter().map(|d| src.slice(&d.span)).collect();
    assert_eq!(
        flagged,
        vec!["INVALID LINE", "$", "%", "=", "{", "- X", "😀"]
    );
}

#[test]
fn text_after_closing_quote() {
    let (src, env) = run("A=\"x\" B=y\nC='z' more text\nD=\"d\"e\nF=1\n");
    check_spans(&src, &env);
    // Compose's reading: `B=y` is a second statement, `e` an inherited key,
    // and `more text` an error.
    assert_eq!(
        pairs(&env),
        vec![
            ("A", "x"),
            ("B", "y"),
            ("C", "z"),
            ("D", "d"),
            ("e", ""),
            ("F", "1")
        ]
    );
    let flagged: Vec<_> = env.diags.iter().map(|d| src.slice(&d.span)).collect();
    assert_eq!(flagged, vec!["B=y", "more text", "e"]);
}

#[test]
fn duplicates_are_kept_in_order() {
    let (_, env) = run("A=1\nA=2\n");
    assert_eq!(pairs(&env), vec![("A", "1"), ("A", "2")]);
}

#[test]
fn never_panics_on_odd_input() {
    let inputs = [
        "",
        "\u{feff}",
        "=",
        ":",
        "\"",
        "'",
        "\\",
        "A=\\",
        "A=\"\\",
        "A='\\",
        "export",
        "export ",
        "A",
        "A=\"\\0",
        "A=\"\\01\"",
        "\u{a0}A\u{a0}=\u{a0}b",
        "A\u{85}B=1",
        "A=\"x\"\u{a0}y",
        "\r",
        "\r\r\n",
        "A=\"é\\é\"",
        "#",
        "# é",
        "A\tB=1",
        "A=\"\\0999\"",
    ];
    for text in inputs {
        let (src, env) = run(text);
        check_spans(&src, &env);
    }
    // Every prefix of a tricky file, cut on char boundaries.
    let text = "export A = \"x\\\"y\" # c\nB='é\n'\nC=ü # d\nD\n";
    for (i, _) in text.char_indices() {
        let (src, env) = run(&text[..i]);
        check_spans(&src, &env);
    }
}

#[test]
fn inline_comment_needs_a_space_before_its_hash() {
    let (src, env) = run("A=x#y #z\nB=#a #b\nC=a\t#b\nD=## x\nE=a  # b\n");
    check_spans(&src, &env);
    assert_eq!(
        pairs(&env),
        vec![
            ("A", "x#y"),
            ("B", "#a"),
            ("C", "a\t#b"),
            ("D", "## x"),
            ("E", "a")
        ]
    );
}

#[test]
fn long_values_end_at_their_line_and_comment() {
    // Past the first 32 bytes the search goes on from a character boundary: a
    // multi-byte character there must not hide the `#` or the line end.
    let long = format!("{}é{} #c", "a".repeat(31), "b".repeat(40));
    let (_, env) = run(&format!("A={long}\nB=x\nC={}\n", "é".repeat(30)));
    assert_eq!(
        pairs(&env),
        vec![
            (
                "A",
                format!("{}é{}", "a".repeat(31), "b".repeat(40)).as_str()
            ),
            ("B", "x"),
            ("C", "é".repeat(30).as_str()),
        ]
    );
    assert_eq!(find_ascii("short", b'#'), None);
    assert_eq!(find_ascii(&"x".repeat(32), b'#'), None);
    assert_eq!(find_ascii(&format!("{}#", "x".repeat(32)), b'#'), Some(32));
    assert_eq!(find_ascii(&format!("{}é#", "x".repeat(31)), b'#'), Some(33));
}
