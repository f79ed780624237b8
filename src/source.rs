//! Source files and spans. Every position in stacklint is a byte range into one
//! [`SourceFile`]; lines and columns are derived on demand, never stored twice.

use std::path::{Path, PathBuf};

/// Index of a file in a [`Sources`] registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The sub-range `[from, to)` relative to this span's start, clamped to it.
    pub fn sub(&self, from: usize, to: usize) -> Span {
        let s = (self.start + from).min(self.end);
        let e = (self.start + to).min(self.end).max(s);
        Span::new(self.file, s, e)
    }

    /// The smallest span covering both (same file assumed; other file: self).
    pub fn cover(&self, other: &Span) -> Span {
        if other.file != self.file {
            return *self;
        }
        Span::new(
            self.file,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }
}

/// A 1-based line and column; the column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// What kind of file this is, as far as stacklint is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Compose,
    Env,
    Nginx,
    Dockerfile,
    Other,
}

/// One file read from disk (or given in a test), with its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as it is displayed: relative to the working directory when possible.
    pub path: PathBuf,
    pub kind: FileKind,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, kind: FileKind, text: String) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        SourceFile {
            path: path.into(),
            kind,
            text,
            line_starts,
        }
    }

    /// 1-based line and (character) column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts[line_idx];
        let column = self.text[start..offset].chars().count() + 1;
        LineCol {
            line: line_idx + 1,
            column,
        }
    }

    /// Byte range of 1-based line `line`, without its line terminator.
    pub fn line_range(&self, line: usize) -> Option<(usize, usize)> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let mut end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        let bytes = self.text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Some((start, end))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn slice(&self, span: &Span) -> &str {
        let s = self.floor_char_boundary(span.start.min(self.text.len()));
        let e = self
            .floor_char_boundary(span.end.min(self.text.len()))
            .max(s);
        &self.text[s..e]
    }

    fn floor_char_boundary(&self, mut i: usize) -> usize {
        while i > 0 && !self.text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// The files of one project. Each is read once; everything else refers to it by id.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

/// Files larger than this are not read: they are reported instead.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.iter().find(|(_, f)| f.path == path).map(|(id, _)| id)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Reads a file as text for linting: a BOM is dropped, invalid UTF-8 is replaced.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "file is larger than {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    let bytes = std::fs::read(path)?;
    Ok(decode_text(&bytes))
}

/// A file's bytes as the text we lint: a BOM is dropped, invalid UTF-8 is replaced.
pub fn decode_text(bytes: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if text.starts_with('\u{feff}') {
        // Keep offsets meaningful: replace the BOM by nothing and accept that
        // columns count from after it, as editors show them.
        text.drain(..3);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let f = SourceFile::new("x", FileKind::Other, "é: 1\nkey: ünï\r\nz".into());
        // "ü" starts at byte 11 (line 2 starts at byte 6 because é is 2 bytes).
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(2), LineCol { line: 1, column: 2 });
        assert_eq!(f.line_col(11), LineCol { line: 2, column: 6 });
        assert_eq!(f.line_col(f.text.len()), LineCol { line: 3, column: 2 });
        assert_eq!(f.line_range(2), Some((6, 16)));
    }

    #[test]
    fn decoding_drops_a_bom_and_replaces_invalid_utf8() {
        assert_eq!(decode_text(b"\xef\xbb\xbfa: 1\n"), "a: 1\n");
        assert_eq!(decode_text(b"a: \xff\n"), "a: \u{fffd}\n");
    }

    #[test]
    fn offsets_inside_a_char_do_not_panic() {
        let f = SourceFile::new("x", FileKind::Other, "é".into());
        assert_eq!(f.line_col(1), LineCol { line: 1, column: 1 });
        assert_eq!(f.slice(&Span::new(FileId(0), 1, 2)), "é");
    }
}
