//! Why a lookup failed, as one line a person can act on.
//!
//! Every variant names the image as written and the registry asked, so a report over many
//! images stays readable. `Display` says what happened; [`RegistryError::remedy`] says what to
//! do about it, so a report can show the two apart (a finding's message and its help). No variant ever holds a credential: messages are built from our own
//! words and from registry answers that [`RegistryError::scrubbed`] has cleaned of every
//! secret we hold (a registry that echoes the `Authorization` header back cannot leak it).

use std::time::Duration;

use crate::redact::MASK;

/// A failed lookup. `Display` is one line: image, registry, reason (and a remedy where there
/// is one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Offline mode and no usable cached answer. No request was sent.
    #[error("{image}: not looked up: offline, and no cached answer")]
    Offline { image: String },
    /// The reference cannot be looked up as written (a template, no registry, a bad platform).
    #[error("{image}: cannot look up: {reason}")]
    Invalid { image: String, reason: String },
    /// 401/403, no usable challenge, or a token endpoint that refused us. `remedy` names the
    /// login to fix or to create (`GHCR_TOKEN`, `docker login`).
    #[error("{image}: {registry} {}: {reason}", answered(*status))]
    Unauthorized {
        image: String,
        registry: String,
        status: Option<u16>,
        reason: String,
        remedy: String,
    },
    /// 404: the tag, manifest, repository or config blob does not exist.
    #[error("{image}: {registry} answered 404: {reason}")]
    NotFound {
        image: String,
        registry: String,
        reason: String,
    },
    /// The index has no manifest for the configured platform.
    #[error(
        "{image}: {registry} has no {platform} image (the index lists {})",
        listed(available)
    )]
    NoPlatform {
        image: String,
        registry: String,
        platform: String,
        available: Vec<String>,
    },
    /// 429 after every retry.
    #[error(
        "{image}: {registry} answered 429: rate limited{} after {attempts} attempts",
        retry_hint(*retry_after)
    )]
    RateLimited {
        image: String,
        registry: String,
        retry_after: Option<Duration>,
        attempts: u32,
    },
    /// 5xx after every retry.
    #[error("{image}: {registry} answered {status}: server error after {attempts} attempts")]
    Server {
        image: String,
        registry: String,
        status: u16,
        attempts: u32,
    },
    /// Any other HTTP status (400, 405, ...), not retried.
    #[error("{image}: {registry} answered {status}: {reason}")]
    Http {
        image: String,
        registry: String,
        status: u16,
        reason: String,
    },
    /// No complete answer within the per-request timeout.
    #[error("{image}: {registry} did not answer within {}", seconds(*after))]
    Timeout {
        image: String,
        registry: String,
        after: Duration,
    },
    /// The connection failed (refused, DNS, TLS, reset) after every retry.
    #[error("{image}: cannot reach {registry}: {reason}")]
    Connect {
        image: String,
        registry: String,
        reason: String,
    },
    /// An answer we cannot use: bad JSON, a missing field, a digest that does not match.
    #[error("{image}: {registry} sent {reason}")]
    Malformed {
        image: String,
        registry: String,
        reason: String,
    },
    /// A redirect we would not follow: no `Location`, a loop, an HTTPS-to-HTTP downgrade.
    #[error("{image}: {registry} redirected badly: {reason}")]
    Redirect {
        image: String,
        registry: String,
        reason: String,
    },
    /// The HTTP client could not be built ([`super::Registry::new`]).
    #[error("{SETUP_LEAD}{reason}")]
    Setup { reason: String },
}

impl RegistryError {
    /// A [`RegistryError::Setup`] from a message, for callers that report a failed
    /// [`super::Registry::new`] once per image. A `Setup` error's own text is accepted as the
    /// message without doubling its lead-in.
    pub fn setup(message: &str) -> RegistryError {
        let reason = message
            .strip_prefix(SETUP_LEAD)
            .unwrap_or(message)
            .to_string();
        RegistryError::Setup { reason }
    }

    /// What the user can do about it, when there is something: the login to set for an auth
    /// failure, logging in against rate limits, checking the publish pipeline for a missing
    /// tag. `None` when only the registry can fix it (malformed answers, odd statuses).
    pub fn remedy(&self) -> Option<String> {
        let text = match self {
            RegistryError::Unauthorized { remedy, .. } => return Some(remedy.clone()),
            RegistryError::Offline { .. } => {
                "run once without offline mode to ask the registry and fill the cache"
            }
            RegistryError::NotFound { .. } => {
                "check the name and tag; if a workflow should publish this tag, check that it still does"
            }
            RegistryError::NoPlatform { .. } => "set the platform to one the index lists",
            RegistryError::RateLimited { .. } => {
                "log in (docker login) for a higher rate limit, or try again later"
            }
            RegistryError::Server { .. } => "try again later",
            RegistryError::Timeout { .. } => "try again later, or allow a longer timeout",
            RegistryError::Connect { .. } => {
                "check the network, any proxy settings, and the registry's host name"
            }
            RegistryError::Invalid { .. }
            | RegistryError::Http { .. }
            | RegistryError::Malformed { .. }
            | RegistryError::Redirect { .. }
            | RegistryError::Setup { .. } => return None,
        };
        Some(text.to_string())
    }

    /// True for failures that may pass by themselves (rate limits, 5xx, timeouts, connection
    /// trouble): a caller may report them as warnings, and treat the rest (auth, not found,
    /// malformed) as findings or hard errors.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RegistryError::RateLimited { .. }
                | RegistryError::Server { .. }
                | RegistryError::Timeout { .. }
                | RegistryError::Connect { .. }
        )
    }

    /// The same error with every occurrence of each secret replaced by the redaction mask.
    /// Secrets shorter than four characters are left alone: masking every `a` in a message
    /// would destroy it, and such a value is no secret worth the name.
    pub(crate) fn scrubbed(self, secrets: &[String]) -> RegistryError {
        let clean = |text: String| scrub(text, secrets);
        match self {
            RegistryError::Offline { image } => RegistryError::Offline {
                image: clean(image),
            },
            RegistryError::Invalid { image, reason } => RegistryError::Invalid {
                image: clean(image),
                reason: clean(reason),
            },
            RegistryError::Unauthorized {
                image,
                registry,
                status,
                reason,
                remedy,
            } => RegistryError::Unauthorized {
                image: clean(image),
                registry: clean(registry),
                status,
                reason: clean(reason),
                remedy: clean(remedy),
            },
            RegistryError::NotFound {
                image,
                registry,
                reason,
            } => RegistryError::NotFound {
                image: clean(image),
                registry: clean(registry),
                reason: clean(reason),
            },
            RegistryError::NoPlatform {
                image,
                registry,
                platform,
                available,
            } => RegistryError::NoPlatform {
                image: clean(image),
                registry: clean(registry),
                platform: clean(platform),
                available: available.into_iter().map(clean).collect(),
            },
            RegistryError::RateLimited {
                image,
                registry,
                retry_after,
                attempts,
            } => RegistryError::RateLimited {
                image: clean(image),
                registry: clean(registry),
                retry_after,
                attempts,
            },
            RegistryError::Server {
                image,
                registry,
                status,
                attempts,
            } => RegistryError::Server {
                image: clean(image),
                registry: clean(registry),
                status,
                attempts,
            },
            RegistryError::Http {
                image,
                registry,
                status,
                reason,
            } => RegistryError::Http {
                image: clean(image),
                registry: clean(registry),
                status,
                reason: clean(reason),
            },
            RegistryError::Timeout {
                image,
                registry,
                after,
            } => RegistryError::Timeout {
                image: clean(image),
                registry: clean(registry),
                after,
            },
            RegistryError::Connect {
                image,
                registry,
                reason,
            } => RegistryError::Connect {
                image: clean(image),
                registry: clean(registry),
                reason: clean(reason),
            },
            RegistryError::Malformed {
                image,
                registry,
                reason,
            } => RegistryError::Malformed {
                image: clean(image),
                registry: clean(registry),
                reason: clean(reason),
            },
            RegistryError::Redirect {
                image,
                registry,
                reason,
            } => RegistryError::Redirect {
                image: clean(image),
                registry: clean(registry),
                reason: clean(reason),
            },
            RegistryError::Setup { reason } => RegistryError::Setup {
                reason: clean(reason),
            },
        }
    }
}

/// How a [`RegistryError::Setup`] message starts.
const SETUP_LEAD: &str = "cannot set up the registry client: ";

/// `text` with every secret of at least four characters masked.
pub(crate) fn scrub(mut text: String, secrets: &[String]) -> String {
    for secret in secrets.iter().filter(|s| s.chars().count() >= 4) {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), MASK);
        }
        // A server text cut short (`...`) may end in the first part of a secret.
        let body_end = text.strip_suffix("...").map_or(text.len(), str::len);
        let cut = (4..secret.len())
            .rev()
            .filter(|&n| secret.is_char_boundary(n))
            .find(|&n| text[..body_end].ends_with(&secret[..n]));
        if let Some(n) = cut {
            text.replace_range(body_end - n..body_end, MASK);
        }
    }
    text
}

/// "answered 401" or, when no status applies (a token endpoint we could not use), "refused
/// access".
fn answered(status: Option<u16>) -> String {
    status.map_or_else(|| "refused access".to_string(), |s| format!("answered {s}"))
}

fn listed(available: &[String]) -> String {
    if available.is_empty() {
        "no platform".to_string()
    } else {
        available.join(", ")
    }
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| format!(" (Retry-After {})", seconds(d)))
}

/// `1.5 s`, `300 ms`: the unit a person reads fastest at that size.
pub(crate) fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_image_registry_and_reason() {
        let error = RegistryError::NotFound {
            image: "ghcr.io/molecule-ai/platform-tenant:staging-latest".into(),
            registry: "ghcr.io".into(),
            reason: "tag not found".into(),
        };
        assert_eq!(
            error.to_string(),
            "ghcr.io/molecule-ai/platform-tenant:staging-latest: ghcr.io answered 404: tag not found"
        );
        let timeout = RegistryError::Timeout {
            image: "a".into(),
            registry: "r".into(),
            after: Duration::from_millis(300),
        };
        assert_eq!(timeout.to_string(), "a: r did not answer within 300 ms");
    }

    #[test]
    fn setup_errors_do_not_double_their_lead_in() {
        let error = RegistryError::Setup {
            reason: "platform `x` is not os/architecture[/variant]".into(),
        };
        assert_eq!(RegistryError::setup(&error.to_string()), error);
        assert_eq!(
            RegistryError::setup("no TLS roots").to_string(),
            "cannot set up the registry client: no TLS roots"
        );
        assert_eq!(error.remedy(), None);
    }

    #[test]
    fn scrub_masks_long_secrets_only() {
        let secrets = vec!["ghp_secret123".to_string(), "ab".to_string()];
        let error = RegistryError::Http {
            image: "img".into(),
            registry: "reg".into(),
            status: 400,
            reason: "bad token ghp_secret123 about ab".into(),
        }
        .scrubbed(&secrets);
        assert_eq!(
            error.to_string(),
            "img: reg answered 400: bad token [redacted] about ab"
        );
    }

    #[test]
    fn a_secret_cut_short_at_the_end_is_masked_too() {
        let secrets = vec!["tok-SECRET-abcdef".to_string()];
        assert_eq!(
            scrub("echo: Bearer tok-SECR...".into(), &secrets),
            format!("echo: Bearer {MASK}...")
        );
        assert_eq!(
            scrub("echo: tok-SECRET-abcdef!".into(), &secrets),
            format!("echo: {MASK}!")
        );
        assert_eq!(scrub("plain text".into(), &secrets), "plain text");
    }
}
