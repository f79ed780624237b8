//! Parsers: each turns one file's text into a spanned tree plus diagnostics.
//! None of them panics on input; problems come back as [`crate::finding::ParseDiag`].

pub mod dockerfile;
pub mod env;
pub mod interpolate;
pub mod nginx;
pub mod shell;
pub mod yaml;

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
