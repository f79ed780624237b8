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
    /// compose `build.target`: the stage that is built instead of the last one.
    pub target: Option<String>,
    /// compose `build.args`, for `FROM ${VAR}`.
    pub build_args: Vec<(String, String)>,
}

impl Dockerfile {
    /// Instructions of the stage that is built: `build.target`, or the last one.
    pub fn final_stage(&self) -> &[Instruction] {
        let froms = || {
            self.instructions
                .iter()
                .enumerate()
                .filter(|(_, i)| i.name == "FROM")
        };
        let targeted = self.target.as_deref().and_then(|t| {
            froms().find(|(_, i)| {
                let n = i.args.len();
                n >= 3
                    && i.args[n - 2].value.eq_ignore_ascii_case("as")
                    && i.args[n - 1].value.eq_ignore_ascii_case(t)
            })
        });
        let Some((start, _)) = targeted.or_else(|| froms().next_back()) else {
            return &self.instructions;
        };
        let end = froms()
            .map(|(k, _)| k)
            .find(|k| *k > start)
            .unwrap_or(self.instructions.len());
        &self.instructions[start..end]
    }

    /// The `COPY` / `ADD` instructions of the final stage: sources, destination,
    /// and whether they copy from another stage or image (`--from`).
    pub fn copies(&self) -> Vec<CopyIns<'_>> {
        self.final_stage()
            .iter()
            .filter(|i| i.name == "COPY" || i.name == "ADD")
            .filter_map(|i| {
                // A here-document (`COPY <<EOT /x`) is not a file of the context.
                let words: Vec<&Word> = i
                    .args
                    .iter()
                    .filter(|w| !w.value.starts_with("--") && !w.value.starts_with("<<"))
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
    // Each physical line as a byte range, without its `\n` and a Windows `\r`.
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let nl = text[pos..].find('\n').map(|i| pos + i);
        let end = nl.unwrap_or(text.len());
        let trimmed = if text[pos..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        lines.push((pos, trimmed));
        pos = end + 1;
    }
    let escape = escape_char(text, &lines);
    let mut out = Dockerfile::default();
    let mut i = 0;
    while i < lines.len() {
        let (ls, le) = lines[i];
        let line = &text[ls..le];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = ls + (line.len() - trimmed.len());
        let mut words: Vec<Word> = Vec::new();
        let mut seg_start = start;
        let mut end;
        // Logical line: a trailing escape character continues the instruction;
        // empty and comment lines inside it are dropped, as BuildKit does.
        loop {
            let (_, le) = lines[i];
            end = le;
            let seg = &text[seg_start..le];
            let (seg, cont) = match seg.trim_end().strip_suffix(escape) {
                Some(s) => (s, true),
                None => (seg, false),
            };
            split_words(file, seg, seg_start, &mut words);
            i += 1;
            if !cont {
                break;
            }
            while i < lines.len() {
                let l = text[lines[i].0..lines[i].1].trim_start();
                if l.is_empty() || l.starts_with('#') {
                    i += 1;
                } else {
                    break;
                }
            }
            if i >= lines.len() {
                break;
            }
            seg_start = lines[i].0;
        }
        if words.is_empty() {
            continue;
        }
        let name = words.remove(0).value.to_ascii_uppercase();
        // `RUN <<EOF`, `COPY <<EOT /x`: the lines up to each delimiter are the
        // here-document's body (a script, a file), not instructions.
        if matches!(name.as_str(), "RUN" | "COPY" | "ADD") {
            for (delim, strip_tabs) in heredocs(&words) {
                while i < lines.len() {
                    let (a, b) = lines[i];
                    i += 1;
                    end = b;
                    let l = &text[a..b];
                    let l = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if l == delim {
                        break;
                    }
                }
            }
        }
        let args = json_form(file, &words).unwrap_or(words);
        out.instructions.push(Instruction {
            name,
            args,
            span: Span::new(file, start, end.min(text.len())),
        });
    }
    out
}

/// The escape character: `\\`, or a backtick set by a `# escape=` parser
/// directive at the top of the file.
fn escape_char(text: &str, lines: &[(usize, usize)]) -> char {
    for &(a, b) in lines {
        let Some(d) = text[a..b].trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = d.split_once('=') else {
            break;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            break;
        }
        if key.eq_ignore_ascii_case("escape") && value.trim() == "`" {
            return '`';
        }
    }
    '\\'
}

/// The here-documents an instruction opens (`<<EOF`, `<<-EOF`, `<<'EOF'`,
/// `cat<<"EOF"`, `3<<EOF`), in order: (delimiter, leading tabs stripped).
fn heredocs(words: &[Word]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for w in words {
        let mut rest = w.value.as_str();
        while let Some(at) = rest.find("<<") {
            rest = &rest[at + 2..];
            // `<<<` is a here-string, not a here-document.
            if rest.starts_with('<') {
                rest = rest.trim_start_matches('<');
                continue;
            }
            let strip_tabs = rest.starts_with('-');
            if strip_tabs {
                rest = &rest[1..];
            }
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
            if let Some(q) = quote {
                rest = &rest[1..];
                let Some(close) = rest.find(q) else { break };
                let delim = &rest[..close];
                if !delim.is_empty() {
                    out.push((delim.to_string(), strip_tabs));
                }
                rest = &rest[close + 1..];
                continue;
            }
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let delim = &rest[..len];
            // `$((1<<2))` shifts bits: a delimiter starts with a letter or `_`.
            if delim.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                out.push((delim.to_string(), strip_tabs));
            }
            rest = &rest[len..];
        }
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
    let joined_start = first.span.start();
    let mut text = String::new();
    let mut offsets = Vec::new();
    for w in words {
        if !text.is_empty() {
            text.push(' ');
            offsets.push(None);
        }
        // One entry per byte: `find` below gives byte positions (a word is its
        // source text verbatim, so byte i of it is at span.start + i).
        offsets.extend((0..w.value.len()).map(|i| Some(w.span.start() + i)));
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
                from = i + quoted.len();
                // From the opening to the closing quote as written: the blanks
                // between words may be longer in the source than the one space here.
                let at = |k: usize| offsets.get(k).copied().flatten();
                match (at(i), at(from - 1)) {
                    (Some(a), Some(b)) => Span::new(file, a, b + 1),
                    _ => Span::new(file, first.span.start(), last.span.end()),
                }
            }
            None => Span::new(file, first.span.start(), last.span.end()),
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

    fn names(text: &str) -> Vec<String> {
        let f = SourceFile::new("Dockerfile", FileKind::Dockerfile, text.into());
        parse(FileId(0), &f)
            .instructions
            .into_iter()
            .map(|i| i.name)
            .collect()
    }

    #[test]
    fn heredoc_bodies_are_not_instructions() {
        let text = "FROM python:3.12\nCOPY <<EOT /app/start.sh\n#!/bin/sh\nCMD echo no\nEOT\nRUN <<-'EOF' bash\n\tFROM nope\n\tEOF\nRUN cat <<\"A\" > /a && cat <<B > /b\nEXPOSE 1\nA\nEXPOSE 2\nB\nCMD [\"gunicorn\"]\n";
        assert_eq!(names(text), ["FROM", "COPY", "RUN", "RUN", "CMD"]);
        let f = SourceFile::new("Dockerfile", FileKind::Dockerfile, text.into());
        let d = parse(FileId(0), &f);
        // The body belongs to its instruction's span; the COPY copies no context file.
        assert!(f.slice(&d.instructions[1].span).ends_with("EOT"));
        let copies = d.copies();
        assert!(copies[0].sources.is_empty());
        assert_eq!(copies[0].dest.value, "/app/start.sh");
        // A bit shift and a here-string open no here-document.
        assert_eq!(
            names("FROM a\nRUN echo $((1<<2)) && cat <<<x\nCMD b\n"),
            ["FROM", "RUN", "CMD"]
        );
        // Odd openers never panic.
        for t in [
            "RUN <<",
            "RUN <<-",
            "RUN <<'",
            "RUN <<\"é",
            "COPY <<é x",
            "RUN a<<<<b\\",
        ] {
            let _ = names(t);
        }
        // An unterminated here-document swallows the rest, without a panic.
        assert_eq!(names("FROM a\nRUN <<EOF\nCMD x\n"), ["FROM", "RUN"]);
    }

    #[test]
    fn continuations_and_escape_directive() {
        let text =
            "# escape=`\nFROM mcr.microsoft.com/windows `\n\n  AS base\nRUN dir C:\\ \nCMD x\r\n";
        let f = SourceFile::new("Dockerfile", FileKind::Dockerfile, text.into());
        let d = parse(FileId(0), &f);
        let got: Vec<&str> = d.instructions.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(got, ["FROM", "RUN", "CMD"]);
        let from: Vec<&str> = d.instructions[0]
            .args
            .iter()
            .map(|w| w.value.as_str())
            .collect();
        assert_eq!(from, ["mcr.microsoft.com/windows", "AS", "base"]);
        // Without the directive a backslash continues, and an empty line inside is dropped.
        assert_eq!(
            names("FROM a\nRUN x \\\n\n  y\nCMD z\n"),
            ["FROM", "RUN", "CMD"]
        );
    }
}
