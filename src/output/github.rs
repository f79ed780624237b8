//! `--format github`: GitHub Actions workflow commands (`::error file=...::message`),
//! which the runner turns into annotations on the diff. Suppressed findings are left
//! out: an annotation cannot be marked as suppressed.

use super::Report;

/// Help longer than this is replaced by a pointer to `stacklint explain`: an
/// annotation is a few lines next to the code, not a page.
const SHORT_HELP: usize = 300;

/// Escapes a command's message: `%`, CR and LF are the characters the runner decodes.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as data, plus `:` and `,`, which delimit properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for r in report
        .resolved
        .iter()
        .filter(|r| r.finding.suppressed.is_none())
    {
        let f = r.finding;
        let l = &r.location;
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            if help.chars().count() <= SHORT_HELP {
                message.push_str(&format!("\nhelp: {help}"));
            } else {
                message.push_str(&format!("\nhelp: see `stacklint explain {}`", f.rule.code));
            }
        }
        out.push_str(&format!(
            "::{} file={},line={},endLine={},col={},endColumn={},title={}::{}\n",
            f.severity.row().github_command,
            escape_property(&l.path),
            l.start.line,
            l.end.line,
            l.start.column,
            l.end.column,
            escape_property(&format!("{}({})", f.rule.code, f.rule.name)),
            escape_data(&message),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
