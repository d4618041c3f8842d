//! One GraphQL request to Railway and what its answer means.
//!
//! The HTTP side (timeouts, retries, `Retry-After`, the in-flight gate) is the registry
//! client's [`Http`]; this file adds what is Railway's own: the token header, the JSON body,
//! and telling a refused token, a changed API, a rate limit and a broken answer apart. Every
//! piece of server text that reaches an error is scrubbed of the token first.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::Url;
use serde_json::{json, Value};

use super::error::ApiError;
use super::{ClientOptions, Token};
use crate::registry::http::{Answer, Body, Failure, Http, Request, RetryPolicy};
use crate::registry::scrub;

/// The longest wait for a connection; a slow network still gets the whole request timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The header a project token travels in (an account token is `Authorization: Bearer`).
const PROJECT_TOKEN_HEADER: &str = "project-access-token";

/// How much of an unexpected body an error quotes.
const EXCERPT_CHARS: usize = 200;

/// The queries drift-lint sends, as Railway's CLI and docs write them (railway.md section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Project,
    VariablesForServiceDeployment,
    Variables,
    ServiceInstance,
}

impl Operation {
    /// The `operationName`, which must name an operation in [`Operation::query`].
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Project => "Project",
            Operation::VariablesForServiceDeployment => "VariablesForServiceDeployment",
            Operation::Variables => "variables",
            Operation::ServiceInstance => "ServiceInstance",
        }
    }

    fn query(self) -> &'static str {
        match self {
            Operation::Project => {
                "query Project($id: String!) { project(id: $id) { id name \
                 environments { edges { node { id name } } } \
                 services { edges { node { id name } } } } }"
            }
            Operation::VariablesForServiceDeployment => {
                "query VariablesForServiceDeployment($projectId: String!, $environmentId: String!, $serviceId: String!) { \
                 variablesForServiceDeployment(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) }"
            }
            Operation::Variables => {
                "query variables($projectId: String!, $environmentId: String!, $serviceId: String, $unrendered: Boolean) { \
                 variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: $unrendered) }"
            }
            // railway.md shows this one anonymous; a GraphQL server only runs the operation
            // an `operationName` names, so it is named here.
            Operation::ServiceInstance => {
                "query ServiceInstance($environmentId: String!, $serviceId: String!) { \
                 serviceInstance(environmentId: $environmentId, serviceId: $serviceId) { serviceName source { image repo } } }"
            }
        }
    }
}

/// A client for one project's reads: the endpoint, the token's header, the HTTP layer.
pub(crate) struct Client {
    http: Http,
    url: Url,
    /// `host[:port]` of the endpoint, for messages.
    host: String,
    token_label: &'static str,
    /// The token as sent: to scrub from every server text.
    secrets: Vec<String>,
    /// `Bearer <account token>`.
    authorization: Option<String>,
    /// The project token, for the `Project-Access-Token` header.
    project_access: Option<String>,
    /// The project asked for, for remedies ("check that the token can see project ...").
    project: String,
    max_retry_after: Duration,
    pace: Pace,
}

/// Spaces request starts at least `interval` apart across all threads: Railway limits
/// requests per second (10 on Hobby, 50 on Pro) as well as per hour, and a burst of
/// parallel reads would otherwise spend the retry budget on 429s.
struct Pace {
    interval: Duration,
    next: std::sync::Mutex<std::time::Instant>,
}

impl Pace {
    fn new(per_second: u32) -> Pace {
        Pace {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: std::sync::Mutex::new(std::time::Instant::now()),
        }
    }

    /// Take the next free start time at or after `now`.
    fn reserve(&self, now: std::time::Instant) -> std::time::Instant {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }

    /// Wait for this request's slot.
    fn wait(&self) {
        let slot = self.reserve(std::time::Instant::now());
        let now = std::time::Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

impl Client {
    pub(crate) fn new(options: &ClientOptions, project: &str) -> Result<Client, ApiError> {
        let setup = |reason: String| ApiError::Setup { reason };
        let url = Url::parse(options.endpoint.trim())
            .map_err(|e| setup(format!("endpoint `{}` is not a URL: {e}", options.endpoint)))?;
        let host = host_of(&url);
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(setup(format!(
                    "endpoint `{}` is plain HTTP; the token is sent only over HTTPS (or to a loopback test server)",
                    options.endpoint
                )))
            }
            other => {
                return Err(setup(format!(
                    "endpoint `{}` has scheme `{other}`, not https",
                    options.endpoint
                )))
            }
        }
        let token = &options.token;
        let secret = token.secret();
        if secret.trim().is_empty() {
            return Err(setup(format!("the {} is empty", token.kind_label())));
        }
        let (authorization, project_access) = match token {
            Token::Account(_) => (Some(format!("Bearer {secret}")), None),
            Token::Project(_) => (None, Some(secret.to_string())),
        };
        if HeaderValue::from_str(secret).is_err() {
            return Err(setup(format!(
                "the {} holds characters an HTTP header cannot carry (a line break or a control character?)",
                token.kind_label()
            )));
        }
        let retry = RetryPolicy {
            max_retries: options.max_retries,
            backoff: options.backoff,
            max_retry_after: options.max_retry_after,
            give_up_beyond_cap: true,
        };
        let connect_timeout = options.timeout.min(MAX_CONNECT_TIMEOUT);
        let http = Http::new(
            connect_timeout,
            options.timeout,
            retry,
            options.max_in_flight,
        )
        .map_err(setup)?;
        // A loopback endpoint is a test server, not Railway: its quotas do not apply.
        let rate = if is_loopback(&url) {
            u32::MAX
        } else {
            options.max_per_second
        };
        Ok(Client {
            http,
            url,
            host,
            token_label: token.kind_label(),
            secrets: vec![secret.to_string()],
            authorization,
            project_access,
            project: project.to_string(),
            max_retry_after: options.max_retry_after,
            pace: Pace::new(rate),
        })
    }

    /// Runs `operation` with `variables` and reads its `data` with `parse`; what `parse`
    /// cannot read is a malformed answer.
    pub(crate) fn read<T>(
        &self,
        operation: Operation,
        variables: Value,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        let data = self.query(operation, variables)?;
        parse(&data).map_err(|reason| ApiError::Malformed {
            host: self.host.clone(),
            operation: operation.name(),
            token: self.token_label,
            reason: self.clean(reason),
        })
    }

    /// Runs `operation` with `variables` and returns its `data`, or why not.
    fn query(&self, operation: Operation, variables: Value) -> Result<Value, ApiError> {
        let body = json!({
            "query": operation.query(),
            "variables": variables,
            "operationName": operation.name(),
        });
        let headers: Vec<(&str, &str)> = self
            .project_access
            .iter()
            .map(|token| (PROJECT_TOKEN_HEADER, token.as_str()))
            .collect();
        self.pace.wait();
        let answer = self
            .http
            .send(&Request {
                url: self.url.clone(),
                accept: "application/json",
                authorization: self.authorization.as_deref(),
                headers: &headers,
                body: Some(Body::json(body.to_string())),
                retry: true,
            })
            .map_err(|failure| self.failure(operation, failure))?;
        self.data(operation, &answer)
    }

    /// A request that got no answer.
    fn failure(&self, operation: Operation, failure: Failure) -> ApiError {
        let host = self.host.clone();
        let token = self.token_label;
        match failure {
            Failure::Timeout(after) => ApiError::Timeout {
                host,
                operation: operation.name(),
                token,
                after,
            },
            Failure::Connect { reason, attempts } => ApiError::Connect {
                host,
                token,
                reason: self.clean(reason),
                attempts,
            },
            Failure::Redirect(reason) => ApiError::Malformed {
                host,
                operation: operation.name(),
                token,
                reason: self.clean(format!("a redirect drift-lint does not follow: {reason}")),
            },
            Failure::TooLarge => ApiError::Malformed {
                host,
                operation: operation.name(),
                token,
                reason: format!(
                    "a body larger than {} MiB",
                    crate::registry::http::MAX_BODY / (1024 * 1024)
                ),
            },
        }
    }

    /// The `data` of a complete answer, or the error its status or body means.
    fn data(&self, operation: Operation, answer: &Answer) -> Result<Value, ApiError> {
        let host = self.host.clone();
        let token = self.token_label;
        let op = operation.name();
        let parsed: Result<Value, _> = serde_json::from_slice(&answer.body);
        let server_message = parsed
            .as_ref()
            .ok()
            .and_then(graphql_message)
            .map(|m| self.clean(m));
        match answer.status {
            200 => {}
            400 => {
                return Err(ApiError::Rejected {
                    host,
                    operation: op,
                    token,
                    message: server_message.unwrap_or_else(|| self.excerpt(&answer.body)),
                })
            }
            401 | 403 => {
                return Err(ApiError::Unauthorized {
                    host,
                    status: answer.status,
                    token,
                    message: server_message.unwrap_or_default(),
                    remedy: self.http_refusal_remedy(answer.status),
                })
            }
            429 => {
                return Err(ApiError::RateLimited {
                    host,
                    token,
                    retry_after: answer.retry_after(),
                    cap: self.max_retry_after,
                    attempts: answer.attempts,
                })
            }
            status if status >= 500 => {
                return Err(ApiError::Server {
                    host,
                    operation: op,
                    token,
                    status,
                    attempts: answer.attempts,
                })
            }
            status => {
                return Err(ApiError::Status {
                    host,
                    operation: op,
                    token,
                    status,
                    message: server_message.unwrap_or_else(|| self.excerpt(&answer.body)),
                })
            }
        }
        let mut document = parsed.map_err(|e| ApiError::Malformed {
            host: host.clone(),
            operation: op,
            token,
            reason: format!(
                "a body that is not JSON ({e}): {}",
                self.excerpt(&answer.body)
            ),
        })?;
        if let Some(message) = server_message {
            return Err(self.graphql_error(operation, message));
        }
        match document.get_mut("data").map(Value::take) {
            Some(data) if data.is_object() => Ok(data),
            _ => Err(ApiError::Malformed {
                host,
                operation: op,
                token,
                reason: "JSON without `data` and without `errors`".to_string(),
            }),
        }
    }

    /// A GraphQL error inside an HTTP 200: a refusal of the token, or anything else.
    fn graphql_error(&self, operation: Operation, message: String) -> ApiError {
        let lower = message.to_ascii_lowercase();
        let project = &self.project;
        let remedy = if lower.contains("project token not found") {
            Some(format!(
                "the project token is wrong, expired, or for another project; create one in project {project}'s settings (Tokens) and put it in RAILWAY_TOKEN"
            ))
        } else if lower.contains("not authorized") {
            Some(if self.project_access.is_some() {
                format!(
                    "check that the token belongs to project {project} and to the environment being read (a project token sees one environment), or use an account token in RAILWAY_API_TOKEN"
                )
            } else {
                format!(
                    "check that the token can see project {project} (an account or workspace token sees its workspace's projects) and has not been revoked"
                )
            })
        } else {
            None
        };
        match remedy {
            Some(remedy) => ApiError::Refused {
                token: self.token_label,
                message,
                remedy,
            },
            None => ApiError::GraphQl {
                operation: operation.name(),
                token: self.token_label,
                message,
                remedy: format!(
                    "check the project ({project}), environment and service ids, and that the token may read them"
                ),
            },
        }
    }

    fn http_refusal_remedy(&self, status: u16) -> String {
        if status == 403 {
            format!("check that the token may read project {}", self.project)
        } else if self.project_access.is_some() {
            "check that RAILWAY_TOKEN holds a current project token (an account token belongs in RAILWAY_API_TOKEN)".to_string()
        } else {
            "check that RAILWAY_API_TOKEN holds a current account or workspace token (a project token belongs in RAILWAY_TOKEN)".to_string()
        }
    }

    /// Server text with the token masked.
    fn clean(&self, text: String) -> String {
        scrub(text, &self.secrets)
    }

    /// The start of a body on one line, scrubbed: enough to recognise an HTML error page.
    fn excerpt(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        // Scrub before cutting: a token cut in two would no longer be recognised.
        let one_line = self.clean(text.split_whitespace().collect::<Vec<_>>().join(" "));
        if one_line.is_empty() {
            return "an empty body".to_string();
        }
        let mut excerpt: String = one_line.chars().take(EXCERPT_CHARS).collect();
        if one_line.chars().count() > EXCERPT_CHARS {
            excerpt.push_str("...");
        }
        excerpt
    }
}

/// The messages of a GraphQL `errors` array, joined; `None` when there is none. A code in
/// `extensions.code` leads its message (`GRAPHQL_VALIDATION_FAILED: Cannot query field ...`),
/// except the catch-all `INTERNAL_SERVER_ERROR` Railway puts on refusals.
fn graphql_message(document: &Value) -> Option<String> {
    let errors = document.get("errors")?.as_array()?;
    let messages: Vec<String> = errors
        .iter()
        .map(|error| {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("an error without a message");
            match error
                .pointer("/extensions/code")
                .and_then(Value::as_str)
                .filter(|code| *code != "INTERNAL_SERVER_ERROR")
            {
                Some(code) => format!("{code}: {message}"),
                None => message.to_string(),
            }
        })
        .collect();
    if messages.is_empty() {
        None
    } else {
        Some(messages.join("; "))
    }
}

/// `host[:port]`, as a person would type it.
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`: a test server the token may reach over plain HTTP.
fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_messages_lead_with_their_code() {
        let document = json!({"errors":[
            {"message":"Cannot query field \"x\"","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}},
            {"message":"Not Authorized","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]});
        assert_eq!(
            graphql_message(&document).as_deref(),
            Some("GRAPHQL_VALIDATION_FAILED: Cannot query field \"x\"; Not Authorized")
        );
        assert_eq!(graphql_message(&json!({"errors":[]})), None);
        assert_eq!(graphql_message(&json!({"data":{}})), None);
    }

    #[test]
    fn plain_http_only_reaches_loopback() {
        for (endpoint, allowed) in [
            ("http://127.0.0.1:4000/graphql/v2", true),
            ("http://localhost/graphql/v2", true),
            ("http://[::1]:4000/graphql/v2", true),
            ("https://backboard.railway.com/graphql/v2", true),
            ("http://backboard.railway.com/graphql/v2", false),
            ("ftp://127.0.0.1/graphql/v2", false),
            ("not a url", false),
        ] {
            let options = ClientOptions {
                endpoint: endpoint.to_string(),
                ..ClientOptions::new(Token::Account("secret-token".into()))
            };
            assert_eq!(
                Client::new(&options, "prj-1").is_ok(),
                allowed,
                "{endpoint}"
            );
        }
    }

    #[test]
    fn a_token_a_header_cannot_carry_is_refused_without_showing_it() {
        let options = ClientOptions::new(Token::Project("secret\ntoken".into()));
        let error = Client::new(&options, "prj-1").err().expect("refused");
        let text = format!("{error} {error:?}");
        assert!(text.contains("project token (RAILWAY_TOKEN)"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn hosts_keep_explicit_ports() {
        let url = Url::parse("http://127.0.0.1:4000/graphql/v2").expect("valid");
        assert_eq!(host_of(&url), "127.0.0.1:4000");
        let url = Url::parse("https://backboard.railway.com/graphql/v2").expect("valid");
        assert_eq!(host_of(&url), "backboard.railway.com");
    }

    #[test]
    fn requests_are_paced_across_threads() {
        let pace = Pace::new(10);
        let start = std::time::Instant::now();
        let slots: Vec<_> = (0..5).map(|_| pace.reserve(start)).collect();
        let gaps: Vec<Duration> = slots.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(slots[0], start);
        assert!(
            gaps.iter().all(|gap| *gap == Duration::from_millis(100)),
            "{gaps:?}"
        );
        // After a quiet spell the next request goes at once.
        let later = start + Duration::from_secs(5);
        assert_eq!(pace.reserve(later), later);
    }
}
