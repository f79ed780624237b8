//! Parsers: each turns one file's text into a spanned tree plus diagnostics.
//! None of them panics on input; problems come back as [`crate::finding::ParseDiag`].

pub mod dockerfile;
pub mod env;
pub mod interpolate;
pub mod nginx;
pub mod shell;
pub mod yaml;

/// Where `needle` first occurs in `hay`, as `str::find` answers, for the short
/// fixed needles looked for in words and values (`://`, `/dev/tcp/`): `str::find`
/// builds a two-way searcher at every call, which cost more than the search
/// itself on a command's short words (about 1% of a 2,000-service run).
pub fn find_str(hay: &str, needle: &str) -> Option<usize> {
    let Some((&first, rest)) = needle.as_bytes().split_first() else {
        return Some(0);
    };
    let bytes = hay.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(first, bytes.get(from..)?) {
        let at = from + i;
        // A match of whole UTF-8 text starts on a character boundary.
        if bytes[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// What the parsers' tests share.
#[cfg(test)]
pub(crate) mod testing {
    /// A small deterministic generator: the same cases on every run (a
    /// dependency is not worth it for this).
    pub struct Lcg(pub u64);

    impl Lcg {
        /// A number below `n` (not 0).
        pub fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Lcg;

    /// `find_str` answers as `str::find` on words of ASCII and multi-byte
    /// characters that hold the needle, parts of it, or neither.
    #[test]
    fn find_str_answers_as_str_find() {
        let pieces = [
            "a",
            ":",
            "/",
            "é",
            "日",
            "本",
            "://",
            "/dev/tcp/",
            "tcp",
            "http",
            "s",
        ];
        let needles = [
            "://",
            "/dev/tcp/",
            "http://",
            "https://",
            "a",
            "é",
            "日本",
            "",
        ];
        let mut rng = Lcg(7);
        for _ in 0..2_000 {
            let n = rng.below(12) as usize;
            let hay: String = (0..n)
                .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
                .collect();
            for needle in needles {
                assert_eq!(
                    super::find_str(&hay, needle),
                    hay.find(needle),
                    "{hay:?} {needle:?}"
                );
            }
        }
    }
}
