//! Why a read of the live Railway API failed, as one line a person can act on.
//!
//! Every variant that comes from a request names the kind of token that was sent (a refusal
//! means something different for a project token than for an account token) and says what
//! to check. No variant holds the token: messages are built from our own words and from
//! server text scrubbed of the token before it gets here.

use std::time::Duration;

use crate::registry::seconds;

/// A failed read. `Display` is one line: what happened, with which token, what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The client could not be built: a bad endpoint, an unusable token.
    #[error("cannot set up the Railway API client: {reason}")]
    Setup { reason: String },
    /// A GraphQL error inside an HTTP 200 that refuses the token (`Not Authorized`,
    /// `Project Token not found`).
    #[error("Railway refused the {token}: {message}; {remedy}")]
    Refused {
        token: &'static str,
        message: String,
        remedy: String,
    },
    /// Any other GraphQL error inside an HTTP 200.
    #[error("Railway answered the {operation} query with an error, using the {token}: {message}; {remedy}")]
    GraphQl {
        operation: &'static str,
        token: &'static str,
        message: String,
        remedy: String,
    },
    /// HTTP 400: the server did not accept the query itself (`GRAPHQL_VALIDATION_FAILED`).
    #[error("Railway ({host}) rejected the {operation} query with HTTP 400: {message}; the Railway API has changed and drift-lint needs an update (the {token} is not the problem)")]
    Rejected {
        host: String,
        operation: &'static str,
        token: &'static str,
        message: String,
    },
    /// HTTP 401 or 403.
    #[error(
        "Railway ({host}) answered HTTP {status} to the {token}{}; {remedy}",
        detail(message)
    )]
    Unauthorized {
        host: String,
        status: u16,
        token: &'static str,
        message: String,
        remedy: String,
    },
    /// HTTP 429 after every retry, or with a `Retry-After` longer than we wait.
    #[error("rate limited by Railway ({host}) using the {token}: {}; retry later, or lower the request rate (fewer environments or services per run, fewer requests in flight)", waited(*retry_after, *cap, *attempts))]
    RateLimited {
        host: String,
        token: &'static str,
        retry_after: Option<Duration>,
        cap: Duration,
        attempts: u32,
    },
    /// 5xx after every retry.
    #[error("Railway ({host}) answered HTTP {status} to the {operation} query after {}, using the {token}; Railway is having trouble: retry later", attempts_text(*attempts))]
    Server {
        host: String,
        operation: &'static str,
        token: &'static str,
        status: u16,
        attempts: u32,
    },
    /// Any other HTTP status (a redirect, 404, 405, ...), not retried.
    #[error("Railway ({host}) answered HTTP {status} to the {operation} query, using the {token}{}; check that the endpoint is Railway's GraphQL API", detail(message))]
    Status {
        host: String,
        operation: &'static str,
        token: &'static str,
        status: u16,
        message: String,
    },
    /// No complete answer within the per-request timeout.
    #[error("Railway ({host}) did not answer the {operation} query within {}, using the {token}; check the network, or allow a longer timeout", seconds(*after))]
    Timeout {
        host: String,
        operation: &'static str,
        token: &'static str,
        after: Duration,
    },
    /// Connection refused, DNS, TLS, reset; after every retry.
    #[error("cannot reach Railway at {host} after {}, using the {token}: {reason}; check the network and the endpoint", attempts_text(*attempts))]
    Connect {
        host: String,
        token: &'static str,
        reason: String,
        attempts: u32,
    },
    /// An answer we cannot read: not JSON, or JSON without the fields the query asks for.
    #[error("Railway ({host}) answered the {operation} query with {reason}, using the {token}; check that the endpoint is Railway's GraphQL API")]
    Malformed {
        host: String,
        operation: &'static str,
        token: &'static str,
        reason: String,
    },
    /// The Project query answered `null`: no such project, or not one this token sees.
    #[error("Railway knows no project `{project}` that the {token} can see; check the project id (`railway status` shows it) and that the token belongs to its workspace")]
    NoProject {
        project: String,
        token: &'static str,
    },
    /// Environments or services asked for by a name or id the project does not have.
    #[error(
        "project {project} has no {kind} {}; it has: {}",
        quoted(unknown),
        listed(known)
    )]
    UnknownNames {
        /// `name (id)`.
        project: String,
        /// `environment` or `service`.
        kind: &'static str,
        unknown: Vec<String>,
        known: Vec<String>,
    },
}

/// `: message`, or nothing when the server said nothing.
fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn waited(retry_after: Option<Duration>, cap: Duration, attempts: u32) -> String {
    match retry_after {
        Some(asked) if asked > cap => format!(
            "it asked to wait {}, longer than the {} drift-lint waits",
            seconds(asked),
            seconds(cap)
        ),
        _ => format!("still limited after {}", attempts_text(attempts)),
    }
}

fn attempts_text(attempts: u32) -> String {
    if attempts == 1 {
        "1 attempt".to_string()
    } else {
        format!("{attempts} attempts")
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_say_whether_the_wait_was_too_long() {
        let beyond = ApiError::RateLimited {
            host: "backboard.railway.com".into(),
            token: "account token (RAILWAY_API_TOKEN)",
            retry_after: Some(Duration::from_secs(3600)),
            cap: Duration::from_secs(60),
            attempts: 1,
        };
        assert!(beyond
            .to_string()
            .starts_with("rate limited by Railway (backboard.railway.com) using the account token (RAILWAY_API_TOKEN): it asked to wait 3600 s, longer than the 60 s drift-lint waits; retry later"));
        let exhausted = ApiError::RateLimited {
            host: "backboard.railway.com".into(),
            token: "account token (RAILWAY_API_TOKEN)",
            retry_after: Some(Duration::from_secs(1)),
            cap: Duration::from_secs(60),
            attempts: 4,
        };
        assert!(
            exhausted
                .to_string()
                .contains(": still limited after 4 attempts; "),
            "{exhausted}"
        );
    }

    #[test]
    fn unknown_names_list_the_real_ones() {
        let error = ApiError::UnknownNames {
            project: "molecule-platform (prj-1)".into(),
            kind: "environment",
            unknown: vec!["stagin".into()],
            known: vec!["production".into(), "staging".into()],
        };
        assert_eq!(
            error.to_string(),
            "project molecule-platform (prj-1) has no environment `stagin`; it has: production, staging"
        );
    }
}
