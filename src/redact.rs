//! Secret values never leave the tool: every renderer shows text through this module.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::Model;

/// Keys whose values are secrets: `*_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*` and kin.
static SECRET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[_.-])(KEY|TOKEN|SECRET|SECRETS|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?|PRIVATE_KEY|API_KEY|AUTH|COOKIE|SALT|DSN)($|[_.-])|PASSWORD|SECRET|TOKEN|APIKEY",
    )
    .expect("secret key pattern is valid")
});

/// `scheme://user:password@host`: the password part.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?P<password>[^@\s/]+)@")
        .expect("url credential pattern is valid")
});

/// `SECRET_KEY=value`, `SECRET_KEY: value`, `"SECRET_KEY": "value"` anywhere in a text, for
/// lines no loader understood (a parse error must not leak the secret on its line).
static SECRET_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)"?\s*[=:]\s*(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s#"']+)"#,
    )
    .expect("secret assignment pattern is valid")
});

pub const MASK: &str = "[redacted]";

pub fn is_secret_key(key: &str) -> bool {
    SECRET_KEY.is_match(key)
}

/// A value is no secret when it is wholly an expression, or a JSON literal such as the
/// `null` of a sealed Railway variable.
fn is_reference(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    // A JSON literal may be followed by the `,` or `}` that ends it in the raw text.
    let literal = value.trim_end_matches([',', '}', ']']);
    matches!(literal, "" | "null" | "true" | "false")
        || (value.starts_with("${{") && value.ends_with("}}"))
        || (value.starts_with("${") && value.ends_with('}') && !value[2..].contains("${"))
        || (value.starts_with('$')
            && value[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The value as it may be shown in a message for this key.
pub fn display_value(key: &str, value: &str) -> String {
    if is_secret_key(key) && !value.is_empty() && !is_reference(value) {
        MASK.to_string()
    } else {
        mask_url_credentials(value)
    }
}

pub fn mask_url_credentials(value: &str) -> String {
    URL_CREDENTIALS
        .replace_all(value, |caps: &regex::Captures<'_>| {
            let whole = &caps[0];
            let password = &caps["password"];
            whole.replacen(password, "****", 1)
        })
        .into_owned()
}

/// The secret values the model holds: values of secret-looking keys, and values at
/// [`Model::secret_spans`]. Short ones are left out: masking every `true` in a message would
/// hide more than it protects.
fn secret_values(model: &Model) -> Vec<&str> {
    let mut secrets: Vec<&str> = model
        .settings
        .iter()
        .filter(|setting| {
            is_secret_key(&setting.key) || model.secret_spans.contains(&setting.value_at)
        })
        .filter_map(|setting| setting.value.as_deref())
        .filter(|value| value.trim().len() >= 6 && !is_reference(value))
        .collect();
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|value| std::cmp::Reverse(value.len()));
    secrets.dedup();
    secrets
}

/// Defence in depth: rules never put secret values in messages, labels or help, and this
/// makes sure of it for every finding, whatever rule pack made it.
pub fn scrub_findings<'f>(
    model: &Model,
    findings: impl IntoIterator<Item = &'f mut crate::finding::Finding>,
) {
    let secrets = secret_values(model);
    if secrets.is_empty() {
        return;
    }
    let scrub = |text: &mut String| {
        for secret in &secrets {
            if text.contains(secret) {
                *text = text.replace(secret, MASK);
            }
        }
    };
    for finding in findings {
        scrub(&mut finding.message);
        scrub(&mut finding.label);
        if let Some(help) = &mut finding.help {
            scrub(help);
        }
        for related in &mut finding.related {
            scrub(&mut related.note);
        }
    }
}

/// The file's text with every secret value overwritten by `*`, byte for byte, so spans
/// into the original text stay valid for snippets.
pub fn redacted_source(model: &Model, file: usize) -> String {
    let text = &model.file(file).text;
    let mut bytes = text.as_bytes().to_vec();
    let mut mask = |range: std::ops::Range<usize>| {
        let range = range.start.min(bytes.len())..range.end.min(bytes.len());
        for byte in &mut bytes[range] {
            if !byte.is_ascii_whitespace() && *byte != b'"' && *byte != b'\'' {
                *byte = b'*';
            }
        }
    };
    for setting in model.settings.iter().filter(|s| s.value_at.file == file) {
        if let Some(value) = &setting.value {
            if is_secret_key(&setting.key) && !value.is_empty() && !is_reference(value) {
                mask(setting.value_at.span.clone());
            }
        }
    }
    for at in model.secret_spans.iter().filter(|at| at.file == file) {
        mask(at.span.clone());
    }
    for caps in SECRET_ASSIGNMENT.captures_iter(text) {
        let (key, value) = (&caps["key"], caps.name("value").expect("group exists"));
        // `"API_KEY": {` opens an object (a live document's entry): no value to mask there.
        let opens = value.as_str().starts_with(['{', '[']);
        if is_secret_key(key) && !is_reference(value.as_str()) && !opens {
            mask(value.range());
        }
    }
    for caps in URL_CREDENTIALS.captures_iter(text) {
        mask(caps.name("password").expect("group exists").range());
    }
    // Masking only ever writes ASCII over whole values, but a value boundary inside a
    // multibyte character would break UTF-8; fall back to a lossy copy in that case.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "OPENAI_API_KEY",
            "GITHUB_TOKEN",
            "CLIENT_SECRET",
            "POSTGRES_PASSWORD",
            "DB_PASS",
            "SECRETS_ENCRYPTION_KEY",
            "HERMES_CUSTOM_API_KEY",
            "RAILWAY_TOKEN",
            "SENTRY_DSN",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "TENANT_IMAGE",
            "HERMES_DEFAULT_MODEL",
            "PORT",
            "KEYBOARD_LAYOUT",
            "MONKEY",
            "DATABASE_URL",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn display_masks_secrets_and_url_passwords_but_not_references() {
        assert_eq!(display_value("OPENAI_API_KEY", "sk-live-123"), MASK);
        assert_eq!(
            display_value("OPENAI_API_KEY", "${{ secrets.KEY }}"),
            "${{ secrets.KEY }}"
        );
        assert_eq!(
            display_value("DATABASE_URL", "postgres://dev:hunter2@db:5432/x"),
            "postgres://dev:****@db:5432/x"
        );
        assert_eq!(
            display_value("TENANT_IMAGE", "ghcr.io/a/b:1"),
            "ghcr.io/a/b:1"
        );
    }
}
