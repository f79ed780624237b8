//! Variable interpolation exactly as docker compose does it.

use std::ops::Range;

use crate::source::Span;

/// Where a variable's value comes from.
pub trait Lookup {
    /// The value of `name`, and the span of the text that defined it (a `.env` line).
    fn lookup(&self, name: &str) -> Option<(String, Option<Span>)>;
}

/// The operator of a `${...}` expression.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum Op {
    /// `$VAR` or `${VAR}`
    Plain,
    /// `${VAR:-default}` (colon = true) or `${VAR-default}`
    Default { colon: bool },
    /// `${VAR:?err}` (colon = true) or `${VAR?err}`. When the variable is missing,
    /// `message` is the interpolated message (what compose prints); otherwise it is
    /// the text as written, since compose never evaluates it then.
    Required { colon: bool, message: String },
    /// `${VAR:+alt}` (colon = true) or `${VAR+alt}`
    Alternative { colon: bool },
}

/// One variable read while interpolating a string.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VarUse {
    pub name: compact_str::CompactString,
    pub op: Op,
    /// Byte range of the whole expression (`${VAR:-x}` or `$VAR`) in the interpolated text.
    #[serde(skip)]
    pub range: Range<usize>,
    /// The span of that expression in its source file, when the caller maps it.
    pub span: Option<Span>,
    /// Whether the variable had a value (for `:`-operators: a non-empty value).
    pub defined: bool,
    /// Where the value came from (a `.env` line), when known.
    pub source: Option<Span>,
}

impl VarUse {
    /// The span of the fallback text of `${VAR:-text}` / `${VAR-text}`, given
    /// the expression as written (`written`, at `span`).
    pub fn default_span(&self, written: &str, span: Span) -> Option<Span> {
        let op = match self.op {
            Op::Default { colon: true } => ":-",
            Op::Default { colon: false } => "-",
            _ => return None,
        };
        let start = 2 + self.name.len();
        if !written.get(start..)?.starts_with(op) || !written.ends_with('}') {
            return None;
        }
        let from = start + op.len();
        let to = written.len() - 1;
        (from < to).then(|| span.sub(from, to))
    }
}

/// A syntax error in a template: `${` unterminated, an invalid name, ...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterpError {
    /// Byte range in the interpolated text.
    pub range: Range<usize>,
    pub message: String,
    /// The template is valid, but its values would make the result longer than
    /// [`MAX_SUBSTITUTED`]; the caller keeps the text as written.
    pub too_long: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Interpolated {
    pub value: String,
    pub uses: Vec<VarUse>,
}

/// Nesting depth of `${A:-${B:-...}}` beyond which a template is rejected.
/// Real files nest three levels; the bound keeps recursion small on hostile input.
pub const MAX_DEPTH: usize = 32;

/// Bytes of variable values one interpolation may substitute. A `.env` line
/// `B=${A}${A}` doubles its variable, so forty such lines (1 KB) would grow to
/// terabytes; a value referenced 20,000 times in one string does the same. Real
/// values are far shorter than a mebibyte.
pub const MAX_SUBSTITUTED: usize = 1 << 20;

/// Bytes all the interpolated values of one file (a `.env` or a compose file) may
/// add up to: each value is bounded by [`MAX_SUBSTITUTED`], this bounds many
/// values that each stay just under it. Callers keep the text of the rest as written.
pub const MAX_FILE_SUBSTITUTED: usize = 8 * MAX_SUBSTITUTED;

/// Interpolates `text`. Variables are read through `lookup`.
///
/// The grammar is compose-go's: `$$` is a literal `$`; `$NAME` and `${NAME}` read
/// a variable; `${NAME<op><arg>}` with `<op>` one of `:-` `-` `:?` `?` `:+` `+`
/// reads a variable and, only when that branch is taken, interpolates `<arg>`.
/// A `$` followed by anything else is literal. `${` not followed by a valid
/// expression is an error. `${NAME:?msg}` is not an error here: it is recorded
/// as an undefined [`Op::Required`] use and substitutes an empty string.
pub fn interpolate(text: &str, lookup: &dyn Lookup) -> Result<Interpolated, InterpError> {
    let mut interp = Interp {
        text,
        lookup,
        uses: Vec::new(),
        substituted: 0,
    };
    let mut value = String::with_capacity(text.len());
    interp.run(0, text.len(), 0, &mut value)?;
    Ok(Interpolated {
        value,
        uses: interp.uses,
    })
}

/// compose-go matches names with the case-insensitive class `(?i:[_a-z])`. Go's
/// case folding puts KELVIN SIGN (U+212A, folds to `k`) and LATIN SMALL LETTER
/// LONG S (U+017F, folds to `s`) in that class, so compose accepts them too.
fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || c == '\u{212A}' || c == '\u{17F}'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit()
}

/// Byte length of the name starting at the beginning of `s` (0 if none).
fn name_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_name_start(c) => {}
        _ => return 0,
    }
    chars
        .find(|&(_, c)| !is_name_char(c))
        .map_or(s.len(), |(i, _)| i)
}

/// The operator kinds, before their argument is known.
#[derive(Clone, Copy)]
enum OpKind {
    Default,
    Required,
    Alternative,
}

/// The last `}` of the current line, cached per scan: compose's braced pattern
/// ends with a greedy `(.*)}`, so an operator expression's candidate text runs to
/// the last `}` on its line (`.` never matches a newline).
struct LineCache {
    /// End (exclusive) of the line the cache was computed for.
    line_end: usize,
    last_close: Option<usize>,
}

struct Interp<'a> {
    text: &'a str,
    lookup: &'a dyn Lookup,
    uses: Vec<VarUse>,
    /// Bytes of values substituted so far, bounded by [`MAX_SUBSTITUTED`].
    substituted: usize,
}

impl Interp<'_> {
    /// Interpolates `text[start..end]` into `out`. `depth` counts enclosing
    /// operator arguments.
    fn run(
        &mut self,
        start: usize,
        end: usize,
        depth: usize,
        out: &mut String,
    ) -> Result<(), InterpError> {
        let text = self.text;
        let mut cache: Option<LineCache> = None;
        let mut pos = start;
        while pos < end {
            let Some(rel) = text.get(pos..end).and_then(|s| s.find('$')) else {
                out.push_str(text.get(pos..end).unwrap_or_default());
                break;
            };
            let dollar = pos + rel;
            out.push_str(text.get(pos..dollar).unwrap_or_default());
            let after = text.get(dollar + 1..end).unwrap_or_default();
            pos = match after.as_bytes().first() {
                Some(b'$') => {
                    out.push('$');
                    dollar + 2
                }
                Some(b'{') => self.braced(dollar, end, depth, &mut cache, out)?,
                _ => {
                    let n = name_len(after);
                    if n == 0 {
                        // `a $ string`, `^REGEX$`, `$}`, `$1`: literal.
                        out.push('$');
                        dollar + 1
                    } else {
                        let name_end = dollar + 1 + n;
                        let name = &after[..n];
                        self.plain(name, dollar..name_end, out)?;
                        name_end
                    }
                }
            };
        }
        Ok(())
    }

    /// `$NAME` or `${NAME}`: unset substitutes "" (compose warns).
    fn plain(
        &mut self,
        name: &str,
        range: Range<usize>,
        out: &mut String,
    ) -> Result<(), InterpError> {
        let found = self.lookup.lookup(name);
        let defined = found.is_some();
        let (value, source) = found.unwrap_or_default();
        self.substitute(&value, &range, out)?;
        self.uses.push(VarUse {
            name: name.into(),
            op: Op::Plain,
            range,
            span: None,
            defined,
            source,
        });
        Ok(())
    }

    /// Appends a variable's value for the expression at `range`, unless the values
    /// substituted so far would pass [`MAX_SUBSTITUTED`].
    fn substitute(
        &mut self,
        value: &str,
        range: &Range<usize>,
        out: &mut String,
    ) -> Result<(), InterpError> {
        self.substituted = self.substituted.saturating_add(value.len());
        if self.substituted > MAX_SUBSTITUTED {
            return Err(InterpError {
                range: range.clone(),
                message: format!(
                    "the values of its variables would make it longer than {} MiB",
                    MAX_SUBSTITUTED >> 20
                ),
                too_long: true,
            });
        }
        out.push_str(value);
        Ok(())
    }

    /// Handles the expression starting at `text[dollar..]` == `${`; returns the
    /// position just after it.
    fn braced(
        &mut self,
        dollar: usize,
        end: usize,
        depth: usize,
        cache: &mut Option<LineCache>,
        out: &mut String,
    ) -> Result<usize, InterpError> {
        let text = self.text;
        let name_start = dollar + 2;
        let tail = text.get(name_start..end).unwrap_or_default();
        let n = name_len(tail);
        if n == 0 {
            let what = match tail.chars().next() {
                None => "a variable name after `${`".to_string(),
                Some(c) => format!("a variable name after `${{`, found {c:?}"),
            };
            return Err(self.invalid(dollar, end, &format!("expected {what}")));
        }
        let name = &tail[..n];
        let name_end = name_start + n;
        let rest = &tail[n..];
        let (kind, colon, op_len) = match rest.as_bytes() {
            [b'}', ..] => {
                self.plain(name, dollar..name_end + 1, out)?;
                return Ok(name_end + 1);
            }
            [b':', b'-', ..] => (OpKind::Default, true, 2),
            [b':', b'?', ..] => (OpKind::Required, true, 2),
            [b':', b'+', ..] => (OpKind::Alternative, true, 2),
            [b'-', ..] => (OpKind::Default, false, 1),
            [b'?', ..] => (OpKind::Required, false, 1),
            [b'+', ..] => (OpKind::Alternative, false, 1),
            [] => {
                return Err(self.invalid(dollar, end, "missing closing `}`"));
            }
            _ => {
                let found = rest.chars().next().unwrap_or('}');
                let msg = format!(
                    "unexpected {found:?} after variable name `{name}`; \
                     expected `}}` or an operator (:- - :? ? :+ +)"
                );
                return Err(self.invalid(dollar, end, &msg));
            }
        };
        let arg_start = name_end + op_len;

        // The candidate text ends at the last `}` on this line.
        let line_end = match cache {
            Some(c) if arg_start < c.line_end => c.line_end,
            _ => {
                let le = text
                    .get(arg_start..end)
                    .and_then(|s| s.find('\n'))
                    .map_or(end, |i| arg_start + i);
                let last_close = text
                    .get(arg_start..le)
                    .and_then(|s| s.rfind('}'))
                    .map(|i| arg_start + i);
                *cache = Some(LineCache {
                    line_end: le,
                    last_close,
                });
                le
            }
        };
        let last_close = cache
            .as_ref()
            .and_then(|c| c.last_close)
            .filter(|&c| c >= arg_start);
        let Some(last_close) = last_close else {
            return Err(InterpError {
                range: dollar..line_end.max(arg_start),
                // The quote stops at the operator: what follows is a default,
                // an error message or an alternative, and may be a secret.
                message: format!(
                    "invalid template `{}`: missing closing `}}` (it must be on the same line)",
                    operator_excerpt(text.get(dollar..arg_start).unwrap_or_default())
                ),
                too_long: false,
            });
        };
        let close = closing_brace(text.as_bytes(), dollar, last_close + 1)
            .unwrap_or(last_close)
            .max(arg_start);
        let range = dollar..close + 1;

        if depth >= MAX_DEPTH {
            return Err(InterpError {
                range,
                message: format!(
                    "interpolation nested more than {MAX_DEPTH} levels deep; not evaluated"
                ),
                too_long: false,
            });
        }

        let found = self.lookup.lookup(name);
        let set = found.is_some();
        let (value, source) = found.unwrap_or_default();
        // `defined` is what the operator tests: set, or for `:` forms set and non-empty.
        let defined = set && (!colon || !value.is_empty());
        let op = match kind {
            OpKind::Default => Op::Default { colon },
            OpKind::Alternative => Op::Alternative { colon },
            // The message is filled in below, once we know whether it is read.
            OpKind::Required => Op::Required {
                colon,
                message: String::new(),
            },
        };
        // Record the variable before any it leads to: that is evaluation order.
        let index = self.uses.len();
        self.uses.push(VarUse {
            name: name.into(),
            op,
            range: range.clone(),
            span: None,
            defined,
            source,
        });

        match kind {
            OpKind::Default if defined => self.substitute(&value, &range, out)?,
            OpKind::Default => self.run(arg_start, close, depth + 1, out)?,
            OpKind::Alternative if defined => self.run(arg_start, close, depth + 1, out)?,
            // Not taken: compose yields the variable's own value, which is empty here.
            OpKind::Alternative => self.substitute(&value, &range, out)?,
            OpKind::Required => {
                let message = if defined {
                    self.substitute(&value, &range, out)?;
                    // Compose never reads the message then; keep it as written.
                    text.get(arg_start..close).unwrap_or_default().to_string()
                } else {
                    // Compose interpolates the message for its error; the rules
                    // report that, and the value stands in as empty.
                    let mut message = String::new();
                    self.run(arg_start, close, depth + 1, &mut message)?;
                    message
                };
                if let Some(VarUse {
                    op: Op::Required { message: m, .. },
                    ..
                }) = self.uses.get_mut(index)
                {
                    *m = message;
                }
            }
        }
        Ok(close + 1)
    }

    /// An error for a `${` at `dollar` that does not start a valid expression.
    /// The range runs to the next `}` on the line, else to the end of the line.
    fn invalid(&self, dollar: usize, end: usize, why: &str) -> InterpError {
        let text = self.text;
        let tail = text.get(dollar..end).unwrap_or_default();
        let stop = tail
            .find(['}', '\n'])
            .map_or(tail.len(), |i| {
                if tail.as_bytes()[i] == b'}' {
                    i + 1
                } else {
                    i
                }
            })
            .max(2.min(tail.len()));
        // The quote stops after the name and the character that broke it:
        // `${DB_PASSWORD=hunter2}` is a default written with the wrong operator.
        let name_end = 2 + tail.get(2..).map_or(0, name_len);
        let keep = tail
            .get(name_end..stop)
            .and_then(|r| r.chars().next())
            .map_or(name_end, |c| name_end + c.len_utf8())
            .min(stop);
        let full = tail.get(..stop).unwrap_or_default();
        let quoted = match full.get(keep..) {
            // Nothing but the closing brace left out: quote it all.
            Some("" | "}") | None => excerpt(full),
            Some(_) => operator_excerpt(full.get(..keep).unwrap_or_default()),
        };
        InterpError {
            range: dollar..dollar + stop,
            message: format!("invalid template `{quoted}`: {why}"),
            too_long: false,
        }
    }
}

/// The closing brace of the expression at `bytes[dollar..]` (which starts with
/// `${`), searched up to `limit`, counting braces the way compose-go does: every
/// `{` opens a level and the byte right after a `{` is not examined (so the `}`
/// of an empty `{}` is never seen and that level stays open). `None` when no
/// brace closes the outermost level before `limit`; compose then takes the text
/// up to `limit`.
fn closing_brace(bytes: &[u8], dollar: usize, limit: usize) -> Option<usize> {
    let limit = limit.min(bytes.len());
    let mut open = 0isize;
    let mut i = dollar;
    while i < limit {
        match bytes[i] {
            b'}' => {
                open -= 1;
                if open == 0 {
                    return Some(i);
                }
            }
            b'{' => {
                open += 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `${NAME:-` as a message quotes it: the operator's argument left out (`…`).
fn operator_excerpt(s: &str) -> String {
    let e = excerpt(s);
    if e.ends_with('…') {
        e
    } else {
        format!("{e}…")
    }
}

/// A short excerpt of an expression for messages (at most 60 characters).
fn excerpt(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use std::collections::HashMap;

    /// A lookup over fixed pairs; every value comes from a made-up `.env` line.
    struct Env(HashMap<String, String>);

    impl Lookup for Env {
        fn lookup(&self, name: &str) -> Option<(String, Option<Span>)> {
            self.0
                .get(name)
                .map(|v| (v.clone(), Some(Span::new(FileId(7), 1, 2))))
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env(pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    /// SET is non-empty, EMPTY is set to "", anything else is unset.
    fn std_env() -> Env {
        env(&[("SET", "val"), ("EMPTY", ""), ("B", "bee"), ("C", "")])
    }

    fn ok(text: &str) -> Interpolated {
        match interpolate(text, &std_env()) {
            Ok(i) => i,
            Err(e) => panic!("{text:?}: unexpected error {e:?}"),
        }
    }

    fn val(text: &str) -> String {
        ok(text).value
    }

    fn err(text: &str) -> InterpError {
        match interpolate(text, &std_env()) {
            Ok(i) => panic!("{text:?}: expected an error, got {i:?}"),
            Err(e) => e,
        }
    }

    fn names(i: &Interpolated) -> Vec<&str> {
        i.uses.iter().map(|u| u.name.as_str()).collect()
    }

    #[test]
    fn substituted_values_stop_at_a_mebibyte() {
        let big = "y".repeat(MAX_SUBSTITUTED / 2);
        let vars = env(&[("BIG", &big)]);
        // Exactly the bound is fine, in any operator that substitutes a value.
        let i = interpolate("a${BIG}b${X:-$BIG}", &vars).expect("at the bound");
        assert_eq!(i.value.len(), MAX_SUBSTITUTED + 2);
        let e = interpolate("a${BIG}b${X:-$BIG}c$BIG", &vars).expect_err("past the bound");
        assert!(e.too_long);
        // The expression that went over.
        assert_eq!(e.range, 19..23);
        // A syntax error is not a length error.
        assert!(!interpolate("${", &vars).expect_err("syntax").too_long);
    }

    #[test]
    fn plain_forms() {
        for text in ["$SET", "${SET}"] {
            let i = ok(text);
            assert_eq!(i.value, "val");
            assert_eq!(i.uses.len(), 1);
            let u = &i.uses[0];
            assert_eq!(u.op, Op::Plain);
            assert!(u.defined);
            assert_eq!(u.source, Some(Span::new(FileId(7), 1, 2)));
            assert_eq!(u.span, None);
            assert_eq!(&text[u.range.clone()], text);
        }
        // Set-but-empty is defined for a plain use (compose does not warn).
        let i = ok("x${EMPTY}y");
        assert_eq!(i.value, "xy");
        assert!(i.uses[0].defined);
        // Unset: empty, recorded as undefined, no source.
        let i = ok("a $NOPE b");
        assert_eq!(i.value, "a  b");
        assert!(!i.uses[0].defined);
        assert_eq!(i.uses[0].source, None);
        assert_eq!(i.uses[0].range, 2..7);
    }

    #[test]
    fn named_stops_at_non_name_chars() {
        assert_eq!(val("$SET-bar"), "val-bar");
        assert_eq!(val("$SET.x"), "val.x");
        assert_eq!(val("$SET_x"), "");
        assert_eq!(val("$SET1"), "");
        assert_eq!(val("${SET}1"), "val1");
    }

    #[test]
    fn default_operators() {
        // (template, value, defined)
        let cases = [
            ("${SET:-d}", "val", true),
            ("${EMPTY:-d}", "d", false),
            ("${NOPE:-d}", "d", false),
            ("${SET-d}", "val", true),
            ("${EMPTY-d}", "", true),
            ("${NOPE-d}", "d", false),
        ];
        for (text, value, defined) in cases {
            let i = ok(text);
            assert_eq!(i.value, value, "{text}");
            assert_eq!(i.uses.len(), 1, "{text}");
            assert_eq!(i.uses[0].defined, defined, "{text}");
            let colon = text.contains(":-");
            assert_eq!(i.uses[0].op, Op::Default { colon }, "{text}");
        }
    }

    #[test]
    fn alternative_operators() {
        let cases = [
            ("${SET:+alt}", "alt", true),
            ("${EMPTY:+alt}", "", false),
            ("${NOPE:+alt}", "", false),
            ("${SET+alt}", "alt", true),
            ("${EMPTY+alt}", "alt", true),
            ("${NOPE+alt}", "", false),
        ];
        for (text, value, defined) in cases {
            let i = ok(text);
            assert_eq!(i.value, value, "{text}");
            assert_eq!(i.uses.len(), 1, "{text}");
            assert_eq!(i.uses[0].defined, defined, "{text}");
            let colon = text.contains(":+");
            assert_eq!(i.uses[0].op, Op::Alternative { colon }, "{text}");
        }
    }

    #[test]
    fn required_operators_are_not_errors() {
        let cases = [
            ("${SET:?msg}", "val", true),
            ("${EMPTY:?msg}", "", false),
            ("${NOPE:?msg}", "", false),
            ("${SET?msg}", "val", true),
            ("${EMPTY?msg}", "", true),
            ("${NOPE?msg}", "", false),
        ];
        for (text, value, defined) in cases {
            let i = ok(text);
            assert_eq!(i.value, value, "{text}");
            assert_eq!(i.uses.len(), 1, "{text}");
            assert_eq!(i.uses[0].defined, defined, "{text}");
            let colon = text.contains(":?");
            let message = "msg".to_string();
            assert_eq!(i.uses[0].op, Op::Required { colon, message }, "{text}");
        }
        // An empty message, and a message read only when the variable is missing.
        let i = ok("${NOPE:?}");
        assert_eq!(
            i.uses[0].op,
            Op::Required {
                colon: true,
                message: String::new()
            }
        );
        let i = ok("${NOPE?set $B}");
        assert_eq!(names(&i), ["NOPE", "B"]);
        assert_eq!(
            i.uses[0].op,
            Op::Required {
                colon: false,
                message: "set bee".into()
            }
        );
        let i = ok("${SET?set $B}");
        assert_eq!(names(&i), ["SET"]);
        assert_eq!(
            i.uses[0].op,
            Op::Required {
                colon: false,
                message: "set $B".into()
            }
        );
    }

    #[test]
    fn operator_is_the_first_after_the_name() {
        assert_eq!(val("${NOPE-a:-b?c}"), "a:-b?c");
        assert_eq!(val("${NOPE:-/non:-alpha}"), "/non:-alpha");
        assert_eq!(val("${SET+x-y}"), "x-y");
        let i = ok("${NOPE?bar-baz}");
        assert!(
            matches!(&i.uses[0].op, Op::Required { colon: false, message } if message == "bar-baz")
        );
    }

    #[test]
    fn nested_defaults_three_levels() {
        let i = ok("${NOPE:-${EMPTY:-${NOPE2:-deep}}}");
        assert_eq!(i.value, "deep");
        assert_eq!(names(&i), ["NOPE", "EMPTY", "NOPE2"]);
        assert!(i.uses.iter().all(|u| !u.defined));
        // Nested ranges slice the original text.
        let text = "${NOPE:-${EMPTY:-${NOPE2:-deep}}}";
        assert_eq!(&text[i.uses[0].range.clone()], text);
        assert_eq!(&text[i.uses[1].range.clone()], "${EMPTY:-${NOPE2:-deep}}");
        assert_eq!(&text[i.uses[2].range.clone()], "${NOPE2:-deep}");

        let i = ok("${NOPE:-${EMPTY:-${B}}}/x");
        assert_eq!(i.value, "bee/x");
        assert_eq!(names(&i), ["NOPE", "EMPTY", "B"]);
        assert_eq!(val("${NOPE-$B ${SET:+second}}"), "bee second");
    }

    #[test]
    fn lazy_evaluation_records_only_the_taken_branch() {
        let i = ok("${SET:-${B}}");
        assert_eq!(i.value, "val");
        assert_eq!(names(&i), ["SET"]);
        let i = ok("${NOPE:+${B},}x");
        assert_eq!(i.value, "x");
        assert_eq!(names(&i), ["NOPE"]);
        let i = ok("${SET:+${B},}x");
        assert_eq!(i.value, "bee,x");
        assert_eq!(names(&i), ["SET", "B"]);
        // An invalid branch that is never taken is never parsed (compose too).
        assert_eq!(val("${SET:-${ bad}"), "val");
        let e = err("${NOPE:-${ bad}");
        assert!(e.message.contains("invalid template"), "{}", e.message);
    }

    #[test]
    fn dollar_escapes_and_literals() {
        assert_eq!(val("$${foo}"), "${foo}");
        assert_eq!(val("$$SET"), "$SET");
        assert_eq!(val("$$$SET"), "$val");
        assert!(ok("$${SET}").uses.is_empty());
        for text in [
            "a $ string",
            "^REGEX$",
            "$}",
            "$",
            "$1",
            "100$",
            "$-x",
            "$ë",
        ] {
            let i = ok(text);
            assert_eq!(i.value, text);
            assert!(i.uses.is_empty());
        }
        assert_eq!(val("${NOPE:-$}"), "$");
        assert_eq!(val("${NOPE:-$$}"), "$");
    }

    #[test]
    fn unterminated_and_invalid() {
        let cases = [
            ("${", 0..2),
            ("${}", 0..3),
            ("${ }", 0..4),
            ("${ foo}", 0..7),
            ("${foo }", 0..7),
            ("${foo!}", 0..7),
            ("${foo", 0..5),
            ("${foo:-bar", 0..10),
            ("x ${foo:-bar\n}", 2..12),
            ("${foo.bar}", 0..10),
            ("${foo:bar}", 0..10),
            ("${1x}", 0..5),
            ("a${-x}b", 1..6),
            ("ok $SET ${", 8..10),
        ];
        for (text, range) in cases {
            let e = err(text);
            assert_eq!(e.range, range, "{text:?}: {}", e.message);
            assert!(e.message.starts_with("invalid template"), "{}", e.message);
        }
        // The message names the problem.
        assert!(err("${foo!}").message.contains("'!'"));
        // ...and quotes no more than the name and the character that broke it: a
        // default written with the wrong operator is often a password.
        for (text, quoted) in [
            ("${DB_PASSWORD=hunter2}", "`${DB_PASSWORD=…`"),
            ("${DB_PASSWORD:hunter2}", "`${DB_PASSWORD:…`"),
            ("${ hunter2}", "`${ …`"),
            ("${foo!}", "`${foo!}`"),
            ("${}", "`${}`"),
        ] {
            let m = err(text).message;
            assert!(m.contains(quoted), "{text:?}: {m}");
            assert!(!m.contains("hunter2"), "{text:?}: {m}");
        }
        assert!(err("${foo:-x").message.contains("missing closing"));
        // Errors nested in a taken default keep ranges in the outer text.
        let e = err("ab ${NOPE:-${ x}}");
        assert_eq!(e.range, 11..16);
    }

    #[test]
    fn non_ascii_around_variables() {
        let text = "été ${SET}→$B ünï ${NOPE:-ça}ß";
        let i = ok(text);
        assert_eq!(i.value, "été val→bee ünï çaß");
        let ranges: Vec<&str> = i.uses.iter().map(|u| &text[u.range.clone()]).collect();
        assert_eq!(ranges, ["${SET}", "$B", "${NOPE:-ça}"]);
        assert_eq!(i.uses[0].range, 6..12); // "été " is 6 bytes
                                            // A non-ASCII character ends a `$NAME`.
        assert_eq!(val("$Bé"), "beeé");
        // And cannot start one inside braces.
        let e = err("x${é}");
        assert_eq!(e.range, 1..6);
        assert!(e.message.contains("'é'"), "{}", e.message);
    }

    #[test]
    fn kelvin_and_long_s_are_name_chars_as_in_go() {
        let i = ok("$\u{17F}x-${\u{212A}}");
        assert_eq!(names(&i), ["\u{17F}x", "\u{212A}"]);
        assert_eq!(i.value, "-");
    }

    #[test]
    fn range_is_exactly_the_expression() {
        let text = "pre ${SET:-x} mid $SET post";
        let i = ok(text);
        assert_eq!(&text[i.uses[0].range.clone()], "${SET:-x}");
        assert_eq!(&text[i.uses[1].range.clone()], "$SET");
        let text = "${EMPTY:-x}}";
        let i = ok(text);
        assert_eq!(i.value, "x}");
        assert_eq!(&text[i.uses[0].range.clone()], "${EMPTY:-x}");
    }

    #[test]
    fn braces_in_arguments_follow_compose() {
        assert_eq!(val(r#"${NOPE:-{"json":1}}"#), r#"{"json":1}"#);
        assert_eq!(val(r#"${SET:-{"json":1}}"#), "val");
        assert_eq!(val("${NOPE:-{}}"), "{}");
        assert_eq!(val("${NOPE:-a}b}c"), "ab}c");
        // The argument's braces must balance on the line: compose reads the rest
        // of the line into the default here, and `${B` in it is invalid.
        assert!(interpolate("${NOPE:-{}} ${B}", &std_env()).is_err());
        // A newline ends the search for the closing brace.
        assert_eq!(val("${NOPE:-a}\n${B:-b}"), "a\nbee");
    }

    #[test]
    fn depth_is_bounded() {
        let mut text = String::new();
        for _ in 0..(MAX_DEPTH + 1) {
            text.push_str("${NOPE:-");
        }
        text.push('x');
        text.push_str(&"}".repeat(MAX_DEPTH + 1));
        let e = interpolate(&text, &std_env()).unwrap_err();
        assert!(e.message.contains("nested"), "{}", e.message);

        let mut text = String::new();
        for _ in 0..MAX_DEPTH {
            text.push_str("${NOPE:-");
        }
        text.push('x');
        text.push_str(&"}".repeat(MAX_DEPTH));
        assert_eq!(interpolate(&text, &std_env()).unwrap().value, "x");

        // Deep nesting in an untaken branch is not evaluated, so not an error.
        let deep = format!("${{SET:-{}}}", "${A:-".repeat(1000) + &"}".repeat(1000));
        assert_eq!(val(&deep), "val");
    }

    #[test]
    fn hostile_input_terminates() {
        let inputs = [
            "${".repeat(5000),
            "$".repeat(5001),
            "${A:-".repeat(3000),
            "${NOPE:-{".repeat(3000) + &"}".repeat(100),
            "${NOPE:-x}".repeat(20000),
            "}{$".repeat(3000),
            "${NOPE-${NOPE-${NOPE-".repeat(20) + &"}".repeat(60),
        ];
        for text in &inputs {
            let _ = interpolate(text, &std_env());
        }
        assert_eq!(val(&"${NOPE:-x}".repeat(20000)), "x".repeat(20000));
    }
}
