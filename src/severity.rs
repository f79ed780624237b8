//! The one table of severities: how each maps to every output format.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One row per severity: name, miette severity, SARIF level, GitHub workflow command,
/// GitLab Code Quality severity, LSP `DiagnosticSeverity`.
pub struct SeverityRow {
    pub severity: Severity,
    pub name: &'static str,
    pub miette: miette::Severity,
    pub sarif_level: &'static str,
    pub github_command: &'static str,
    pub gitlab: &'static str,
    /// The language server's `DiagnosticSeverity` (1 error, 2 warning, 3 information).
    pub lsp: u8,
}

pub const SEVERITY_TABLE: [SeverityRow; 3] = [
    SeverityRow {
        severity: Severity::Error,
        name: "error",
        miette: miette::Severity::Error,
        sarif_level: "error",
        github_command: "error",
        gitlab: "major",
        lsp: 1,
    },
    SeverityRow {
        severity: Severity::Warning,
        name: "warning",
        miette: miette::Severity::Warning,
        sarif_level: "warning",
        github_command: "warning",
        gitlab: "minor",
        lsp: 2,
    },
    SeverityRow {
        severity: Severity::Info,
        name: "info",
        miette: miette::Severity::Advice,
        sarif_level: "note",
        github_command: "notice",
        gitlab: "info",
        lsp: 3,
    },
];

impl Severity {
    pub fn row(self) -> &'static SeverityRow {
        // The table holds every variant, in this order.
        match self {
            Severity::Error => &SEVERITY_TABLE[0],
            Severity::Warning => &SEVERITY_TABLE[1],
            Severity::Info => &SEVERITY_TABLE[2],
        }
    }

    pub fn as_str(self) -> &'static str {
        self.row().name
    }

    pub fn parse(s: &str) -> Option<Severity> {
        SEVERITY_TABLE
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(s))
            .map(|r| r.severity)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_match_their_variant() {
        for s in [Severity::Error, Severity::Warning, Severity::Info] {
            assert_eq!(s.row().severity, s);
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        assert_eq!(Severity::parse("fatal"), None);
    }
}
