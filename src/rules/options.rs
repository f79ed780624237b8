//! What the configuration tells the rules: each rule's `[rule-name]` table,
//! read by `crate::report::config`.

/// Options of individual rules, from their `[rule-name]` tables.
#[derive(Clone, Debug, Default)]
pub struct RuleOptions {
    /// `[internal-port-published] extra-internal-images = ["acme/db"]`: images
    /// treated like the built-in datastores (matched on the repository path,
    /// without registry or tag; a name without `/` matches the last component).
    pub extra_internal_images: Vec<String>,
    /// `[placeholder-secret] extra-placeholders = ["please-change", "dummy-*"]`:
    /// values (case-insensitive, `*` and `?` wildcards) that count as placeholders.
    pub extra_placeholders: Vec<globset::GlobMatcher>,
    /// `[workers-exceed-memory] memory-per-worker = "150m"`, in MiB.
    pub memory_per_worker_mib: Option<u64>,
}

impl RuleOptions {
    /// Whether `value` matches one of `extra-placeholders`.
    pub fn is_extra_placeholder(&self, value: &str) -> bool {
        let v = crate::analysis::secrets::unquote(value);
        if v.is_empty() {
            return false;
        }
        self.extra_placeholders.iter().any(|p| p.is_match(v))
    }

    /// Whether `image` is one of `extra-internal-images`; returns the entry.
    pub fn extra_internal_image(&self, image: &str) -> Option<&str> {
        let path = crate::knowledge::parse_ref(image)?.full;
        self.extra_internal_images
            .iter()
            .find(|e| {
                let e = e.trim().to_ascii_lowercase();
                !e.is_empty() && (path == e || path.ends_with(&format!("/{e}")))
            })
            .map(String::as_str)
    }
}
