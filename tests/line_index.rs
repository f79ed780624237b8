//! `SourceFile::line_col` and `line_range` against a plain reference (count the
//! `\n`s, find the last one) on many generated texts: line breaks of every kind,
//! multi-byte characters, offsets past the end and inside a character. Every
//! line and column a finding shows comes from these two.
use stacklint::source::{FileKind, LineCol, SourceFile};

fn ref_line_col(t: &str, off: usize) -> LineCol {
    let mut o = off.min(t.len());
    while !t.is_char_boundary(o) {
        o -= 1;
    }
    let before = &t[..o];
    let line = before.matches('\n').count() + 1;
    let ls = before.rfind('\n').map_or(0, |i| i + 1);
    LineCol {
        line,
        column: t[ls..o].chars().count() + 1,
    }
}

fn ref_line_range(t: &str, line: usize) -> Option<(usize, usize)> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for (n, seg) in t.split('\n').enumerate() {
        if n + 1 == line {
            let kept = seg.trim_end_matches(['\r', '\n']);
            return Some((start, start + kept.len()));
        }
        start += seg.len() + 1;
    }
    None
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn line_index_matches_reference() {
    let alphabet = ["a", "\n", "\r", "\r\n", "é", "€", "😀", " ", "\t", ":"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut fixed: Vec<String> = [
        "",
        "\n",
        "\r\n",
        "a",
        "a\n",
        "a\r\n",
        "\n\n",
        "é\r\n😀",
        "x\r\r\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for _ in 0..20_000 {
        let n = rng.below(24);
        fixed.push(
            (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect(),
        );
    }
    for t in &fixed {
        let f = SourceFile::new("x", FileKind::Other, t.clone());
        let lines = t.matches('\n').count() + 1;
        assert_eq!(f.line_count(), lines, "{t:?}");
        for off in 0..=t.len() + 6 {
            assert_eq!(
                f.line_col(off),
                ref_line_col(t, off),
                "line_col {t:?} @{off}"
            );
        }
        for off in [
            usize::MAX,
            usize::MAX / 2,
            u32::MAX as usize,
            u32::MAX as usize + 1,
        ] {
            assert_eq!(
                f.line_col(off),
                ref_line_col(t, off),
                "line_col {t:?} @{off}"
            );
        }
        for line in 0..=lines + 3 {
            assert_eq!(
                f.line_range(line),
                ref_line_range(t, line),
                "line_range {t:?} L{line}"
            );
        }
        assert_eq!(f.line_range(usize::MAX), None);
        // Every line's range lies on char boundaries and round-trips through line_col.
        for line in 1..=lines {
            let (s, e) = f.line_range(line).unwrap();
            assert!(t.is_char_boundary(s) && t.is_char_boundary(e) && s <= e);
            assert_eq!(f.line_col(s), LineCol { line, column: 1 });
        }
    }
}
