//! Bounds on alias expansion ("billion laughs").
//!
//! An alias costs a pointer here (collections are shared), but whoever walks the
//! tree afterwards (interpolation, the schema's JSON, the rules) pays for every node
//! and byte behind it again. Two bounds, both checked as the file is read:
//!
//! - go-yaml v3's rule, which docker compose applies: per document, every node
//!   decoded counts, including the nodes inside each alias expansion; those count
//!   also as aliased. Once more than 100 aliased and more than 1,000 decoded, the
//!   aliased share may not pass 99% up to 400,000 decoded nodes, falling linearly to
//!   10% at 4,000,000 and beyond. Honest files that reuse anchors heavily (thousands
//!   of services with `<<: *defaults`) stay far below it.
//! - Our own bound on bytes: the scalar bytes reached through aliases in one file
//!   may not pass 16 MiB or four times the file's size, whichever is more. go-yaml
//!   has none, so a 1 MB scalar aliased 20,000 times loads in compose (as 20 GB);
//!   an honest file's aliases reach a few MB at most.
//!
//! And one bound on the nodes written in a file, aliases aside: [`MAX_NODES`]. Each
//! node costs tens of bytes in the tree and hundreds in the model, so an 8 MiB file
//! of one-character list items (four million nodes) would need gigabytes.

/// What a subtree expands to: its nodes, and the bytes of its scalars.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Size {
    pub nodes: usize,
    pub bytes: usize,
}

impl Size {
    pub const ONE_NODE: Size = Size { nodes: 1, bytes: 0 };

    pub fn scalar(bytes: usize) -> Size {
        Size { nodes: 1, bytes }
    }

    pub fn add(&mut self, other: Size) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// go-yaml's thresholds: below these counts any aliasing is allowed.
const MIN_ALIASED: usize = 100;
const MIN_DECODED: usize = 1_000;
/// The allowed aliased share is 99% up to `RATIO_LOW` decoded nodes, 10% from
/// `RATIO_HIGH` on, linear in between.
const RATIO_LOW: usize = 400_000;
const RATIO_HIGH: usize = 4_000_000;

/// Nodes written in one file: a compose file of 16,000 services, each a dozen
/// settings, has 480,034 (benches/scale.py). A value in a service's list costs up
/// to 400 bytes once normalized and modelled (a `networks` or `depends_on` list
/// becomes a mapping), so this many stay under 256 MiB.
pub const MAX_NODES: usize = 500_000;

/// The floor of the bound on bytes reached through aliases.
pub const MIN_ALIAS_BYTES: usize = 16 << 20;
/// Or this many times the size of the file, when that is more.
pub const ALIAS_BYTES_PER_FILE_BYTE: usize = 4;

fn allowed_ratio(decoded: usize) -> f64 {
    if decoded <= RATIO_LOW {
        0.99
    } else if decoded >= RATIO_HIGH {
        0.10
    } else {
        let along = (decoded - RATIO_LOW) as f64 / (RATIO_HIGH - RATIO_LOW) as f64;
        0.99 - 0.89 * along
    }
}

/// Which bound a document passed.
#[derive(Debug, PartialEq)]
pub(super) enum Excess {
    /// go-yaml's: (aliased nodes, decoded nodes).
    Ratio(usize, usize),
    /// Ours: the bound in bytes.
    Bytes(usize),
    /// Ours: more nodes written in the file than [`MAX_NODES`].
    Nodes,
}

impl Excess {
    pub fn message(&self) -> String {
        match self {
            Excess::Ratio(aliased, decoded) => format!(
                "document contains excessive aliasing: {aliased} of its {decoded} nodes \
                 come from aliases (a \"billion laughs\" document?)"
            ),
            Excess::Bytes(max) => format!(
                "alias expansion passes {} MiB of values (a \"billion laughs\" document?)",
                max >> 20
            ),
            Excess::Nodes => format!(
                "file not read: it has more than {MAX_NODES} YAML values, the most stacklint \
                 reads in one file"
            ),
        }
    }
}

/// The counts of one file (nodes per document, as go-yaml counts them; bytes per file).
pub(super) struct Expansion {
    decoded: usize,
    aliased: usize,
    bytes: usize,
    max_bytes: usize,
    /// Nodes written in the whole file, and their bound ([`MAX_NODES`]).
    written: usize,
    max_written: usize,
}

impl Expansion {
    pub fn new(file_len: usize) -> Expansion {
        Expansion {
            decoded: 0,
            aliased: 0,
            bytes: 0,
            max_bytes: MIN_ALIAS_BYTES.max(file_len.saturating_mul(ALIAS_BYTES_PER_FILE_BYTE)),
            written: 0,
            max_written: MAX_NODES,
        }
    }

    /// go-yaml decodes each document on its own, with fresh counts.
    pub fn new_document(&mut self) {
        self.decoded = 0;
        self.aliased = 0;
    }

    /// A node written in the file. It can pass the ratio too: the allowed share
    /// falls as the document grows.
    pub fn node(&mut self) -> Result<(), Excess> {
        self.written += 1;
        if self.written > self.max_written {
            return Err(Excess::Nodes);
        }
        self.decoded = self.decoded.saturating_add(1);
        self.check_ratio()
    }

    /// An alias to a subtree of `size`.
    pub fn alias(&mut self, size: Size) -> Result<(), Excess> {
        self.decoded = self.decoded.saturating_add(size.nodes);
        self.aliased = self.aliased.saturating_add(size.nodes);
        self.bytes = self.bytes.saturating_add(size.bytes);
        if self.bytes > self.max_bytes {
            return Err(Excess::Bytes(self.max_bytes));
        }
        self.check_ratio()
    }

    fn check_ratio(&self) -> Result<(), Excess> {
        if self.aliased > MIN_ALIASED
            && self.decoded > MIN_DECODED
            && self.aliased as f64 / self.decoded as f64 > allowed_ratio(self.decoded)
        {
            return Err(Excess::Ratio(self.aliased, self.decoded));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_falls_from_99_to_10_percent() {
        assert_eq!(allowed_ratio(0), 0.99);
        assert_eq!(allowed_ratio(RATIO_LOW), 0.99);
        assert!((allowed_ratio(2_200_000) - 0.545).abs() < 1e-9);
        assert_eq!(allowed_ratio(RATIO_HIGH), 0.10);
        assert_eq!(allowed_ratio(usize::MAX), 0.10);
    }

    #[test]
    fn small_documents_may_alias_freely() {
        let mut e = Expansion::new(0);
        // 100 aliased nodes out of 101: within go-yaml's minimum.
        e.node().unwrap();
        assert_eq!(
            e.alias(Size {
                nodes: 100,
                bytes: 0
            }),
            Ok(())
        );
        // The 101st aliased node passes 99% once past 1,000 decoded nodes.
        assert_eq!(
            e.alias(Size {
                nodes: 900,
                bytes: 0
            }),
            Err(Excess::Ratio(1000, 1001))
        );
    }

    #[test]
    fn written_nodes_can_tip_the_ratio_past_400k() {
        let mut e = Expansion::new(0);
        // go-yaml's rule on its own, past our bound on written nodes.
        e.max_written = usize::MAX;
        for _ in 0..900_000 {
            e.node().unwrap();
        }
        // 1.1M of 2M nodes aliased: 55% is within the 59% allowed at 2M...
        e.alias(Size {
            nodes: 1_100_000,
            bytes: 0,
        })
        .unwrap();
        // ...but more written nodes lower the allowed share faster than the
        // aliased one (35% at 3M), as go-yaml checks at every node.
        let failed_at = (0..1_000_000).position(|_| e.node().is_err());
        assert!(failed_at.is_some_and(|n| n > 500_000), "{failed_at:?}");
    }

    #[test]
    fn nodes_written_are_bounded_per_file_not_per_document() {
        let mut e = Expansion::new(0);
        for _ in 0..MAX_NODES / 2 {
            e.node().unwrap();
        }
        e.new_document();
        for _ in 0..MAX_NODES / 2 {
            e.node().unwrap();
        }
        assert_eq!(e.node(), Err(Excess::Nodes));
    }

    #[test]
    fn bytes_are_bounded_by_the_larger_of_16_mib_and_four_times_the_file() {
        let mut e = Expansion::new(1 << 20);
        assert_eq!(e.max_bytes, MIN_ALIAS_BYTES);
        e.alias(Size {
            nodes: 1,
            bytes: 16 << 20,
        })
        .unwrap();
        assert_eq!(e.alias(Size::scalar(1)), Err(Excess::Bytes(16 << 20)));
        assert_eq!(Expansion::new(8 << 20).max_bytes, 32 << 20);
    }
}
