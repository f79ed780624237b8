use super::agrees_with_libyaml;

/// Texts made of lines of YAML fragments at random indentations, many of
/// them broken: the fast reader must decline every text where it would not
/// give libyaml's events (libyaml's errors included). Returns how many it read.
fn random_texts(seed: u64, count: usize) -> usize {
    const PIECES: &[&str] = &[
        "a: b",
        "k:",
        "k: v",
        "- x",
        "-",
        "- ",
        "- a: 1",
        "- k:",
        "k: &x",
        "k: &x v",
        "<<: *x",
        "k: *x",
        "k: [a, b]",
        "k: []",
        "k: {}",
        "k: {a: 1, b: \"2\"}",
        "k: [a, *x, 'c']",
        "\"q\": 'v'",
        "'q': v",
        "# c",
        "",
        "k: v # c",
        "k: v#c",
        "k: 'it''s'",
        "k: a b  c",
        "k: -1",
        "x",
        ":",
        "k:v",
        "k: a: b",
        "- - a",
        "&y k: v",
        "- &y",
        "- &y v",
        "- &y a: b",
        "k: \"a\\\"b\"",
        "[a]",
        "k: [a",
        "k: 'a",
        "k: [a, b,]",
        "k: [a: b]",
        "k: {a}",
        "k: {a: }",
        "k: [a, [b]]",
        "k: a # c",
        "- # c",
        "k : v",
        "k:  v  ",
        "- 'a'",
        "- \"a\": b",
        "? k",
        "k: |",
        "k: >",
        "  text",
        "k: !t v",
        "---",
        "...",
        "k: *",
        "k: &",
        "k: x:y",
        "k: {a: b:c}",
        "k: [a#b]",
        "k: é",
        "é: ü",
        "k: @x",
        "k: `x`",
        "k: %x",
        "k: a,b",
        "k: [a,b]",
        "k: {a: [b]}",
        "-x",
        "- -x",
        "k: - a",
        "k: -",
        "k: [ a , b ]",
        "k: { a: b }",
        "k: *x # c",
        "k: [*x]",
        "k: {a: *x}",
        "---",
        "--- # c",
        "k: \"a\\\"b\"",
        "k: \"\\x41\\u00e9\"",
        "k: \"\\q\"",
        "\"k\\\\\": v",
        "k: |-",
        "k: >+",
        "k: |2",
        "k: >-1",
        "k: |0",
        "k: | # c",
        "k: |x",
        "k: &x |",
        "- |",
        "- >-",
        "  more text",
        "    deeper",
        "   ",
    ];
    let mut state = seed;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let mut read = 0;
    for _ in 0..count {
        let lines = 1 + next(8);
        let mut text = String::new();
        for _ in 0..lines {
            let indent = [0, 0, 0, 1, 2, 2, 4, 4, 6][next(9)];
            text.push_str(&" ".repeat(indent));
            text.push_str(PIECES[next(PIECES.len())]);
            text.push('\n');
        }
        read += usize::from(read_alike(&text));
    }
    read
}

#[test]
fn the_common_shapes_are_read_with_libyamls_events() {
    for text in [
        "",
        "# only a comment\n\n",
        "a: 1\n",
        "a:\n  b: c  # why\n\n  d: 'it''s'\ne: \"x y\"\n",
        "x-d: &d\n  restart: always\ns:\n  a:\n    <<: *d\n    image: n:1\n",
        "k:\n- a\n- b: 1\n  c: 2\n-\n- [x, 'y', *a]\nz: {p: 1, q: \"2\"}\n",
        "k:\n  - - \n  -\n    a: b\n",
        "a: &e\nb: *e\n",
        "a: '''x'' y'''\nb: ['''', 'a''']\n'''k''': ''\n",
        "a: [ ]\nb: {}\nc: [a b, c ,]\nd: -1\ne: x:y\nf: a#b\ng: é ü\n",
        "  indented: root\n  second: key\n",
        "- a\n- b\n",
        "a: 1   \n   \n",
        // Block scalars: chomping, explicit indentation, folding, blank and
        // more indented lines, comments after them, anchored, in sequences.
        "a: |\n  x\n  y\n",
        "a: >\n  x\n  y\n\n  z\n    w\n  v\nb: 1\n",
        "a: |-\n  x\n\n\nb: |+\n  y\n\n\nc: >+\n\n",
        "a: |2\n    x\n  y\n",
        "s:\n  k: >-1\n    x\n   y\n",
        "a: | # note\n\n   \n   x\n\n   é ü\n# after\nb: &y >\n  z\n",
        "- |\n  one\n- >-\n two\n  three\n-   k: |\n      v\n    j: w\n",
        "a:\n  b: |\n  c: d\n",
        "a: |\n  x\n  # not a comment\n\n",
        "a: >\n\n  x\n\n\n  y\n   z\n  w\n",
        "a: |\n",
        // A document that starts with `---`, after comments or not.
        "---\na: 1\n",
        "--- # the stack\n\n- a\n",
        "# one\n\n---   \n  a: b\n",
        // Escapes in double-quoted scalars, keys too.
        "a: \"x \\\"y\\\" \\\\ \\/ \\t\\n\\0 \\e\\ \\N\\_\\L\\P\"\n\"k\\x41\": \"\\u00e9\\U0001F600\"\n",
        "- [\"a\\\"b\"]\n- {\"c\\\\\": \"\\x7e\"}\n",
    ] {
        // `- - ` and the empty anchored scalar are declined; the rest is read.
        let want = !text.contains("- - ") && !text.contains("&e\n");
        match agrees_with_libyaml(text) {
            Some(true) => assert!(want, "read but should decline: {text:?}"),
            Some(false) => panic!("events differ from libyaml's on {text:?}"),
            None => assert!(!want, "declined: {text:?}"),
        }
    }
}

#[test]
fn what_is_not_sure_is_declined() {
    let long = "k".repeat(1100);
    for text in [
        "a:\tb\n",
        "a: 1\r\nb: 2\r\n",
        "a: !t x\n",
        // libyaml's errors in block scalars, and a document marker after one.
        "a: |0\n  x\n",
        "a: |-0\n  x\n",
        "a: | x\n",
        "a: |\n  x\n---\nb: 1\n",
        "a: |\n    x\n  y\n",
        "a: |4\n  x\n",
        "a: b\n  c\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "%YAML 1.1\n---\na: 1\n",
        "a: \"x\\qy\"\n",
        "a: \"x\\'y\"\n",
        "a: \"x\\\n  y\"\n",
        "a: \"\\x4\"\n",
        "a: \"\\xZZ\"\n",
        "a: \"\\uD800\"\n",
        "a: \"\\U00110000\"\n",
        "---\n",
        "--- a\n",
        "---\na: 1\n---\nb: 2\n",
        "...\na: 1\n",
        "---x: 1\n",
        "a: \"x\n  y\"\n",
        "? a\n: b\n",
        "a: [b,\n  c]\n",
        "a: [[b]]\n",
        "a: b: c\n",
        "\u{feff}a: 1\n",
        "a: x\u{85}y\n",
        "a: \u{1}\n",
        "a:\n    b: 1\n  c: 2\n",
        &format!("{long}: v\n"),
        &format!("a: {{{long}: v}}\n"),
        "a: 1",
    ] {
        // Declined by the fast reader itself (the last for its missing line
        // break: `events` adds one first).
        assert!(super::read(text, |_| true).is_err(), "read: {text:?}");
    }
}

#[test]
fn a_stop_still_reads_to_the_end_before_saying_ok() {
    // Answered false at once, the reader hands nothing more over but still
    // declines a text it cannot read, so the caller knows to start over.
    for (text, ok) in [("a: 1\nb: [c]\n", true), ("a: 1\nb: !t c\n", false)] {
        let mut n = 0;
        let r = super::read(text, |_| {
            n += 1;
            false
        });
        assert_eq!((r.is_ok(), n), (ok, 1), "{text:?}");
    }
}

/// A random little PRNG (no dependency for tests this simple).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

const SCALARS: &[&str] = &[
    "v",
    "a b",
    "-1",
    "x:y",
    "\"q\"",
    "'s'",
    "'it''s'",
    "*x",
    "[a, b]",
    "{a: 1}",
    "[]",
    "&x v",
    "&x [a]",
    "a#b",
    "é",
    "http://h:80/p",
    "${X:-y}",
    "\"a: b\"",
    "[*x, 'c']",
];

/// A block collection `depth` levels deep at column `col`, nested `step` more.
fn tree(r: &mut Rng, out: &mut String, col: usize, step: usize, depth: usize, in_seq: bool) {
    let entries = 1 + r.below(3);
    let seq = r.below(3) == 0;
    for i in 0..entries {
        // The first entry of a mapping inside a sequence entry shares its line.
        if !(in_seq && i == 0) {
            out.push_str(&" ".repeat(col));
        }
        if seq {
            out.push_str("- ");
        } else {
            out.push_str(["k", "key", "\"k q\"", "'k'", "<<", "k-1"][r.below(6)]);
            out.push_str(&format!("{i}:"));
            out.push(' ');
        }
        match r.below(6) {
            0 | 1 if depth > 0 => {
                let nested_seq_compact = seq && r.below(2) == 0;
                if nested_seq_compact {
                    // `- k: v` and its siblings under it.
                    tree(r, out, col + 2, step, depth - 1, true);
                    continue;
                }
                if r.below(4) == 0 {
                    out.push_str("&x");
                }
                if r.below(4) == 0 {
                    out.push_str(" # c");
                }
                out.push('\n');
                if r.below(5) == 0 {
                    out.push_str("\n# comment\n");
                }
                // A mapping's sequence may sit at the mapping's own column.
                let inner = if !seq && r.below(3) == 0 {
                    col
                } else {
                    col + step
                };
                tree(r, out, inner, step, depth - 1, false);
            }
            2 => out.push('\n'),
            3 => {
                // A block scalar: its header, then lines indented past the
                // entry (more for some, and blank ones).
                out.push_str(["|", ">", "|-", ">+", "|2", ">-1", "| # c"][r.below(7)]);
                out.push('\n');
                let inner = col + step;
                for _ in 0..r.below(4) {
                    match r.below(5) {
                        0 => out.push('\n'),
                        1 => out.push_str(&format!("{}  more\n", " ".repeat(inner))),
                        _ => out.push_str(&format!("{}text {}\n", " ".repeat(inner), r.below(9))),
                    }
                }
            }
            _ => {
                out.push_str(SCALARS[r.below(SCALARS.len())]);
                if r.below(6) == 0 {
                    out.push_str("  # c");
                }
                out.push('\n');
            }
        }
    }
}

/// Nested documents, most of them valid, some with a line moved, cut or doubled.
fn random_trees(seed: u64, count: usize) -> usize {
    let mut r = Rng(seed);
    let mut read = 0;
    for _ in 0..count {
        let mut text = String::new();
        let step = 1 + r.below(4);
        let (col, depth) = (r.below(2), 1 + r.below(4));
        tree(&mut r, &mut text, col, step, depth, false);
        if r.below(3) == 0 {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            let at = r.below(lines.len());
            match r.below(4) {
                0 => lines[at].insert(0, ' '),
                1 => {
                    let l = lines[at].trim_start().to_owned();
                    lines[at] = l;
                }
                2 => lines.push(lines[at].clone()),
                _ => {
                    lines.remove(at);
                }
            }
            text = lines.join("\n") + "\n";
        }
        read += usize::from(read_alike(&text));
    }
    read
}

/// Whether the fast reader read `text` (with libyaml's events: it panics when
/// they differ).
fn read_alike(text: &str) -> bool {
    match agrees_with_libyaml(text) {
        Some(true) => true,
        Some(false) => panic!("the fast reader differs from libyaml on:\n{text}"),
        None => false,
    }
}

/// A number from the environment (to run more cases, or other ones, by hand).
fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_trees_read_fast_give_libyamls_events() {
    let count = knob("FAST_YAML_CASES", 20_000) as usize;
    let read = random_trees(knob("FAST_YAML_SEED", 11), count);
    eprintln!("read {read} of {count}");
    assert!(read > count / 4, "only {read} of {count} read");
}

#[test]
fn random_texts_read_fast_give_libyamls_events() {
    let count = knob("FAST_YAML_CASES", 20_000) as usize;
    let read = random_texts(knob("FAST_YAML_SEED", 7), count);
    eprintln!("read {read} of {count}");
    // Enough of them are read, not declined, for the comparison to mean something.
    assert!(read > count / 20, "only {read} of {count} read");
}
