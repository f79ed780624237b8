//! What the value of a secret-looking key says: whether the key names a secret
//! itself (not a setting about one), and whether its value is a placeholder or
//! known to others. Shared by the rules on placeholder and hard-coded secrets.

use super::{is_secret_key, unquote};

/// The last word of a key that makes it a setting *about* a secret, not the
/// secret: `PASSWORD_RESET_URL`, `JWT_SECRET_FILE`, `TOKEN_EXPIRE_MINUTES`.
const NOT_A_SECRET: [&str; 54] = [
    // people, not secrets: `PASSWORD_RESET_USERS`, `TOKEN_ADMIN_EMAILS`
    "users",
    "admins",
    "emails",
    "owners",
    "recipients",
    "login",
    "url",
    "uri",
    "urls",
    "host",
    "hostname",
    "port",
    "user",
    "username",
    "name",
    "file",
    "path",
    "dir",
    "expiry",
    "expires",
    "expire",
    "expiration",
    "ttl",
    "timeout",
    "length",
    "len",
    "algorithm",
    "alg",
    "enabled",
    "enable",
    "disabled",
    "minutes",
    "seconds",
    "hours",
    "days",
    "lifetime",
    "type",
    "mode",
    "id",
    "email",
    "issuer",
    "audience",
    "header",
    "prefix",
    "endpoint",
    "policy",
    "min",
    "max",
    "size",
    "version",
    // `SECRET_FORCED_LANGUAGE` (an app whose settings are all `SECRET_*`)
    "language",
    "locale",
    // a hash of a password is not the password
    "hash",
    "hashed",
];

/// Values that set no secret whatever the key says: switches, numbers of a
/// few digits, paths (a `*_FILE` convention or a docker secret mount).
pub fn sets_no_secret(value: &str) -> bool {
    // `- DB_PASSWORD="none"`: compose keeps the quotes of the list form.
    let v = unquote(value.trim()).trim();
    let lower = v.to_ascii_lowercase();
    let path_like = v.contains('/')
        && [".pem", ".key", ".crt", ".json", ".txt", ".p12"]
            .iter()
            .any(|ext| lower.ends_with(ext));
    v.is_empty()
        || matches!(
            lower.as_str(),
            "true"
                | "false"
                | "yes"
                | "no"
                | "on"
                | "off"
                | "null"
                | "none"
                | "invalid"
                | "disabled"
                | "unset"
                | "empty"
        )
        || (v.len() < 6 && v.chars().all(|c| c.is_ascii_digit()))
        || v.starts_with('/')
        || v.starts_with("./")
        || path_like
}

/// The password of a `scheme://user:password@host` URL in `value`, as a byte
/// range, when it is written out (no `$`) and not a placeholder.
pub fn url_password(value: &str) -> Option<std::ops::Range<usize>> {
    let scheme_end = crate::parse::find_str(value, "://")? + 3;
    let rest = &value[scheme_end..];
    let at = rest.find('@')?;
    let userinfo = &rest[..at];
    // A `/` before the `@` is a path, not user information.
    if userinfo.contains('/') {
        return None;
    }
    let colon = userinfo.find(':')?;
    let password = &userinfo[colon + 1..];
    if password.is_empty() || password.contains('$') || password.contains(['{', '<', '*']) {
        return None;
    }
    let start = scheme_end + colon + 1;
    Some(start..start + password.len())
}

/// A secret-looking key as this rule reads it: [`is_secret_key`] (which output
/// masking uses, and so errs on the side of masking) without the keys that
/// name a setting about a secret.
pub fn is_secret_setting(key: &str) -> bool {
    if !is_secret_key(key) {
        return false;
    }
    let lower = key.to_ascii_lowercase();
    let last = lower
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    // `STORAGE_ACCESS_KEY`, `MINIO_ACCESS_KEY`: the S3 access key is the
    // account's name; its secret is the `*_SECRET_KEY` beside it.
    let access_key_id = (lower.ends_with("access_key") || lower.ends_with("accesskey"))
        && !lower.contains("secret");
    !NOT_A_SECRET.contains(&last) && !access_key_id
}

/// Whether `value` is a placeholder that someone was meant to replace:
/// `change_me`, `change_this_to_a_secure_password`, `your_api_key_here`,
/// `<token>`, `xxx`, `sk-...`, `example`, `TODO`. Weak but real values
/// (`postgres`, `admin123`) are not placeholders.
pub fn is_placeholder(value: &str) -> bool {
    let v = unquote(value);
    if v.is_empty() || v.contains("://") || v.starts_with('/') {
        return false;
    }
    // `<your key>`, `[token]`
    if v.len() > 2
        && ((v.starts_with('<') && v.ends_with('>')) || (v.starts_with('[') && v.ends_with(']')))
    {
        return true;
    }
    // A shortened example (`sk-proj-...`, `ghp_…`), or only dots.
    if v.contains("...") || v.contains('…') {
        return true;
    }
    if v.len() >= 3 && v.chars().all(|c| c == '*') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let joined: String = tokens.concat();
    // `xxx`, `XXXX-XXXX-XXXX`
    if joined.len() >= 3 && joined.chars().all(|c| c == 'x') {
        return true;
    }
    const WHOLE: [&str; 11] = [
        "secret",
        "password",
        "passwd",
        "todo",
        "tbd",
        "fixme",
        "example",
        "placeholder",
        "changeme",
        "changeit",
        "replaceme",
    ];
    if WHOLE.contains(&joined.as_str()) {
        return true;
    }
    const PREFIXES: [&str; 7] = [
        "changeme",
        "changethis",
        "changeit",
        "replaceme",
        "replacethis",
        "replacewith",
        "pleasechange",
    ];
    if PREFIXES.iter().any(|p| joined.starts_with(p)) {
        return true;
    }
    // `pls-changeme-to-strong-pw`
    if tokens
        .iter()
        .any(|t| matches!(*t, "changeme" | "changeit" | "changethis" | "replaceme"))
    {
        return true;
    }
    // `please_change_me`, `must-change-this`
    if tokens.windows(2).any(|w| {
        matches!(w[0], "change" | "replace") && matches!(w[1], "me" | "this" | "it" | "with")
    }) {
        return true;
    }
    match tokens.as_slice() {
        // `your_api_key`, `your-secret-here`
        ["your", _, ..] => return true,
        // `todo: generate`, `fixme`
        ["todo" | "fixme" | "tbd", ..] => return true,
        // `generated_key_here`, `put_token_here`
        [_, .., "here"] => return true,
        _ => {}
    }
    if let Some(rest) = joined.strip_prefix("your") {
        if ["password", "secret", "token", "key", "apikey", "api"]
            .iter()
            .any(|w| rest.starts_with(w))
        {
            return true;
        }
    }
    if tokens
        .iter()
        .any(|t| matches!(*t, "example" | "placeholder"))
    {
        return true;
    }
    // A made-up token in the shape of a real one: `ghp_1234567890abcdef...`.
    if joined.contains("1234567890") || joined.contains("abcdefghijkl") {
        return true;
    }
    descriptive_placeholder(v)
}

/// A value that describes the secret instead of being one, written as words
/// (`changePassword`, `YourOpenAiApiKey`, `MySecureDatabasePassword`,
/// `super_strong_password`, `ThisShouldBeAVerySecureAndLongSecretString`): an
/// instruction to replace it, or a phrase that names what belongs there.
fn descriptive_placeholder(v: &str) -> bool {
    // Other characters (`!`, `+`, `/`, `=`) are a real password's.
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
    {
        return false;
    }
    // The words of the value, digits after a word left out (`Password5`).
    let words: Vec<String> = words(v)
        .into_iter()
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()).to_string())
        .filter(|w| !w.is_empty())
        .collect();
    let Some(first) = words.first() else {
        return false;
    };
    // `changePassword`, `replace_token`, `YourApiKey`, `insert-key`
    let instruction = matches!(
        first.as_str(),
        "change" | "replace" | "your" | "insert" | "enter" | "put" | "generate"
    );
    if instruction && words.len() >= 2 {
        return true;
    }
    // `MySecureDatabasePassword`, `super_strong_password`, `SomeRandomString`
    let names_it = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "password" | "passwd" | "secret" | "token" | "key" | "string" | "passphrase"
        )
    });
    words.len() >= 3
        && names_it
        && matches!(
            first.as_str(),
            "my" | "some" | "this" | "the" | "a" | "super" | "very" | "secure" | "strong"
        )
}

/// Well-known secret values, compared with the whole value (quotes removed,
/// case ignored). Sources: the most common passwords of public breach lists
/// (`123456`, `qwerty`, `letmein`, `admin`, ...); the values that official
/// images document or ship as their default: postgres' `docker run` example
/// (`mysecretpassword`), mysql's and mariadb's (`my-secret-pw`), wordpress'
/// (`examplepass`), pgadmin's (`SuperSecret`), MinIO's root credentials
/// (`minioadmin`), RabbitMQ's `guest`, Neo4j's `neo4j`, Grafana's and
/// Keycloak's `admin`. Kept as data in one place: add a value here, with its
/// source.
const KNOWN_VALUES: [&str; 39] = [
    // common passwords
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "12345",
    "1234",
    "111111",
    "000000",
    "654321",
    "qwerty",
    "qwerty123",
    "abc123",
    "letmein",
    "welcome",
    "iloveyou",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "test",
    "test123",
    "supersecret",
    "changeme!",
    // image documentation and defaults
    "mysecretpassword",
    "my-secret-pw",
    "examplepass",
    "supersecretpassword",
    "minioadmin",
    "guest",
    "neo4j",
    "secret123",
];

/// Words that add nothing to a value made of its key's own words
/// (`app-secret-key`, `my_dev_key`, `insecure-dev-key`).
const FILLER: [&str; 18] = [
    "app",
    "secret",
    "password",
    "pass",
    "my",
    "default",
    "dev",
    "development",
    "local",
    "test",
    "testing",
    "key",
    "the",
    "for",
    "insecure",
    "unsafe",
    "docker",
    "compose",
];

/// Why the value of a secret-looking key is known to others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// A placeholder meant to be replaced (`changeme`, `<token>`).
    Placeholder,
    /// A well-known value: a common password or an image's documented default.
    KnownValue,
    /// Made of the words of its own key (`SECRET_KEY=app-secret-key`).
    OwnName,
}

impl Weakness {
    /// "`KEY` has {phrase}": never the value itself.
    pub fn phrase(self) -> &'static str {
        match self {
            Weakness::Placeholder => "a placeholder value",
            Weakness::KnownValue => {
                "a well-known value (a common password or an image's documented default)"
            }
            Weakness::OwnName => "a value made of the words of its own name",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Weakness::Placeholder => "placeholder value",
            Weakness::KnownValue => "well-known value",
            Weakness::OwnName => "guessable from the key's name",
        }
    }

    /// "falls back to {default_phrase}".
    pub fn default_phrase(self) -> &'static str {
        match self {
            Weakness::Placeholder => "a placeholder default",
            Weakness::KnownValue => {
                "a well-known default (a common password or an image's documented default)"
            }
            Weakness::OwnName => "a default made of the words of its own name",
        }
    }

    pub fn default_label(self) -> &'static str {
        match self {
            Weakness::Placeholder => "placeholder default",
            Weakness::KnownValue => "well-known default",
            Weakness::OwnName => "default guessable from the name",
        }
    }
}

/// The lowercase words of a key or value: split on anything but letters and
/// digits, and where a lowercase letter meets an uppercase one (`SuperSecret`).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `word` is a concatenation of `dict` words (`secretkey`), and whether
/// one of them is a word of the key (`own`), not only filler.
fn segments(word: &str, own: &[String]) -> Option<bool> {
    let n = word.len();
    // best[i]: `word[..i]` splits into dictionary words; Some(uses_own).
    let mut best: Vec<Option<bool>> = vec![None; n + 1];
    best[0] = Some(false);
    for i in 0..n {
        let Some(used) = best[i] else { continue };
        let rest = &word[i..];
        for w in own.iter().map(String::as_str) {
            if !w.is_empty() && rest.starts_with(w) {
                best[i + w.len()] = Some(true);
            }
        }
        for w in FILLER {
            if rest.starts_with(w) {
                let j = i + w.len();
                best[j] = Some(best[j] == Some(true) || used);
            }
        }
    }
    best[n]
}

/// Whether `value` holds a list or an email address (`alice,bob`,
/// `admin@example.com`): names of people, not a secret.
fn names_people(value: &str) -> bool {
    value.contains(',')
        || value
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
}

/// How the value of the secret-looking `keys` (the key and the variable that
/// feeds it) is weak, if it is.
pub fn weakness(keys: &[&str], value: &str, extra: bool) -> Option<Weakness> {
    let v = unquote(value);
    if names_people(v) {
        return None;
    }
    if is_placeholder(value) || extra {
        return Some(Weakness::Placeholder);
    }
    if v.is_empty() || v.contains('$') {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if KNOWN_VALUES.contains(&lower.as_str()) {
        return Some(Weakness::KnownValue);
    }
    let own: Vec<String> = keys.iter().flat_map(|k| words(k)).collect();
    let vw = words(v);
    // Only letters: `secret-key-2024` mixes in something of its own.
    if vw.is_empty()
        || vw
            .iter()
            .any(|w| !w.chars().all(|c| c.is_ascii_lowercase()))
    {
        return None;
    }
    let mut uses_own = false;
    for w in &vw {
        uses_own |= segments(w, &own)?;
    }
    uses_own.then_some(Weakness::OwnName)
}
