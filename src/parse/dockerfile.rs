//! The few Dockerfile instructions stacklint reads (FROM, EXPOSE, COPY/ADD, CMD,
//! ENTRYPOINT), each with spans. Not a full Dockerfile parser: unknown
//! instructions are kept as text and never reported.

use crate::source::{FileId, SourceFile, Span};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Word {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Instruction {
    /// Upper-cased instruction name (`FROM`, `EXPOSE`, ...).
    pub name: String,
    /// The arguments split on whitespace (JSON form: the array's strings), flags included.
    pub args: Vec<Word>,
    pub span: Span,
}

/// One `COPY` / `ADD` of files into the image.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyIns<'a> {
    pub sources: Vec<&'a Word>,
    pub dest: &'a Word,
    /// `--from=stage`: the sources are not in the build context.
    pub from_stage: bool,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
}

impl Dockerfile {
    /// Instructions of the final build stage (after the last FROM).
    pub fn final_stage(&self) -> &[Instruction] {
        let start = self
            .instructions
            .iter()
            .rposition(|i| i.name == "FROM")
            .unwrap_or(0);
        &self.instructions[start..]
    }

    /// The `COPY` / `ADD` instructions of the final stage: sources, destination,
    /// and whether they copy from another stage or image (`--from`).
    pub fn copies(&self) -> Vec<CopyIns<'_>> {
        self.final_stage()
            .iter()
            .filter(|i| i.name == "COPY" || i.name == "ADD")
            .filter_map(|i| {
                let words: Vec<&Word> = i
                    .args
                    .iter()
                    .filter(|w| !w.value.starts_with("--"))
                    .collect();
                let (dest, sources) = words.split_last()?;
                Some(CopyIns {
                    sources: sources.to_vec(),
                    dest,
                    from_stage: i.args.iter().any(|w| w.value.starts_with("--from")),
                    span: i.span,
                })
            })
            .collect()
    }

    /// The base images of every stage (`FROM [--platform=..] image [AS name]`).
    pub fn from_images(&self) -> Vec<&Word> {
        self.instructions
            .iter()
            .filter(|i| i.name == "FROM")
            .filter_map(|i| i.args.iter().find(|a| !a.value.starts_with("--")))
            .collect()
    }
}

pub fn parse(file: FileId, src: &SourceFile) -> Dockerfile {
    let text = &src.text;
    let mut out = Dockerfile::default();
    // Logical lines: a trailing backslash continues the instruction.
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..]
            .find('\n')
            .map(|i| pos + i)
            .unwrap_or(text.len());
        let line = &text[pos..line_end];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            pos = line_end + 1;
            continue;
        }
        let start = pos + (line.len() - trimmed.len());
        let mut end = line_end;
        let mut words: Vec<Word> = Vec::new();
        let mut seg_start = start;
        loop {
            let seg_end = end;
            let seg = text[seg_start..seg_end].trim_end_matches('\r');
            let (seg, cont) = match seg.trim_end().strip_suffix('\\') {
                Some(s) => (s, true),
                None => (seg, false),
            };
            split_words(file, seg, seg_start, &mut words);
            if !cont || end >= text.len() {
                break;
            }
            // Skip comment lines inside a continued instruction.
            let mut next = end + 1;
            loop {
                let ne = text[next.min(text.len())..]
                    .find('\n')
                    .map(|i| next + i)
                    .unwrap_or(text.len());
                let l = text.get(next..ne).unwrap_or("").trim_start();
                if l.starts_with('#') && ne < text.len() {
                    next = ne + 1;
                    continue;
                }
                seg_start = next.min(text.len());
                end = ne;
                break;
            }
            if seg_start >= text.len() {
                break;
            }
        }
        if !words.is_empty() {
            let name = words.remove(0).value.to_ascii_uppercase();
            let args = json_form(file, &words).unwrap_or(words);
            out.instructions.push(Instruction {
                name,
                args,
                span: Span::new(file, start, end.min(text.len())),
            });
        }
        pos = end + 1;
    }
    out
}

fn split_words(file: FileId, seg: &str, base: usize, out: &mut Vec<Word>) {
    let mut start = None;
    for (i, c) in seg.char_indices().chain([(seg.len(), ' ')]) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(Word {
                    value: seg[s..i].to_string(),
                    span: Span::new(file, base + s, base + i),
                });
                start = None;
            }
            _ => {}
        }
    }
}

/// `CMD ["a", "b"]`: the strings of the JSON array, each spanned by its quotes.
fn json_form(file: FileId, words: &[Word]) -> Option<Vec<Word>> {
    let first = words.first()?;
    let last = words.last()?;
    if !first.value.starts_with('[') || !last.value.ends_with(']') {
        return None;
    }
    let joined_start = first.span.start;
    let mut text = String::new();
    let mut offsets = Vec::new();
    for w in words {
        if !text.is_empty() {
            text.push(' ');
            offsets.push(None);
        }
        for (i, _) in w.value.char_indices() {
            offsets.push(Some(w.span.start + i));
        }
        text.push_str(&w.value);
    }
    let _ = joined_start;
    let arr: Vec<String> = serde_json::from_str(&text).ok()?;
    // Spans: find each string's quoted text in order.
    let mut out = Vec::new();
    let mut from = 0;
    for s in arr {
        let quoted = serde_json::to_string(&s).ok()?;
        let at = text[from..].find(&quoted).map(|i| from + i);
        let span = match at {
            Some(i) => {
                let s0 = offsets
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or(first.span.start);
                from = i + quoted.len();
                Span::new(file, s0, s0 + quoted.len())
            }
            None => Span::new(file, first.span.start, last.span.end),
        };
        out.push(Word { value: s, span });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    #[test]
    fn reads_from_expose_and_json_cmd() {
        let text = "# syntax\nFROM --platform=linux/amd64 python:3.12-slim AS base\nEXPOSE 5000 8080/tcp\nRUN a \\\n  # note\n  && b\nCMD [\"gunicorn\", \"-b\", \"0.0.0.0:5000\"]\n";
        let f = SourceFile::new("Dockerfile", FileKind::Dockerfile, text.into());
        let d = parse(FileId(0), &f);
        let names: Vec<&str> = d.instructions.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["FROM", "EXPOSE", "RUN", "CMD"]);
        assert_eq!(d.from_images()[0].value, "python:3.12-slim");
        let expose = &d.instructions[1].args;
        assert_eq!(f.slice(&expose[1].span), "8080/tcp");
        let cmd = &d.instructions[3].args;
        assert_eq!(cmd[2].value, "0.0.0.0:5000");
        assert_eq!(f.slice(&cmd[2].span), "\"0.0.0.0:5000\"");
    }
}
