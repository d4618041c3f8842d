//! One HTTP exchange with a registry or the Railway API: limits, retries, redirects.
//!
//! Everything here is about not hanging and not leaking: a per-request timeout, a cap on body
//! size, a bound on retries and on how long a `Retry-After` may make us wait, a bound on
//! redirects, and the `Authorization` header dropped when a redirect leaves the registry's
//! origin (registries send blob downloads to a storage host that must never see our token).
//! A gate keeps the number of requests in flight at or under `max_in_flight` no matter how
//! many threads look images up.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::Url;

use super::time::{now_unix, parse_http_date};
use crate::redact::MASK;

/// Manifests are at most 4 MiB by the distribution spec; image configs are far smaller. A
/// larger answer is refused rather than buffered.
pub const MAX_BODY: u64 = 8 * 1024 * 1024;

/// Registries redirect once (to storage); a CDN may add one more. Five is plenty and ends
/// loops.
const MAX_REDIRECTS: usize = 5;

/// How retries behave.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub backoff: Duration,
    pub max_retry_after: Duration,
    /// What to do when a `Retry-After` asks for more than `max_retry_after`: `false` waits
    /// the cap and tries again (registries' short-lived limits), `true` gives up at once and
    /// returns that answer (Railway's hourly quotas: a try after the cap meets the same 429).
    pub give_up_beyond_cap: bool,
}

impl RetryPolicy {
    /// Exponential backoff for retry number `attempt` (0-based), capped like `Retry-After` so
    /// a large retry count cannot turn into an hour's sleep.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        self.backoff
            .checked_mul(factor)
            .unwrap_or(self.max_retry_after)
            .min(self.max_retry_after)
    }
}

/// One request as a client means it. `Debug` masks the credentials.
#[derive(Clone)]
pub struct Request<'a> {
    pub url: Url,
    pub accept: &'a str,
    /// Full header value (`Bearer ...`, `Basic ...`); sent only to the request URL's origin.
    pub authorization: Option<&'a str>,
    /// More headers, treated like `authorization` (they may carry a credential, such as
    /// Railway's `Project-Access-Token`): sent only to the request URL's origin.
    pub headers: &'a [(&'a str, &'a str)],
    /// A body makes the request a POST, and redirects are then not followed.
    pub body: Option<Body>,
    /// Whether 429, 5xx and connection failures are retried (the Docker Hub API is one try:
    /// the registry protocol is the fallback).
    pub retry: bool,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let masked = |value: &str| if value.is_empty() { "" } else { MASK };
        f.debug_struct("Request")
            .field("url", &self.url.as_str())
            .field("accept", &self.accept)
            .field("authorization", &self.authorization.map(masked))
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, value)| (*name, masked(value)))
                    .collect::<Vec<_>>(),
            )
            .field("body", &self.body)
            .field("retry", &self.retry)
            .finish()
    }
}

/// What a POST sends.
#[derive(Debug, Clone)]
pub struct Body {
    pub content_type: &'static str,
    pub text: String,
}

impl Body {
    /// An `application/x-www-form-urlencoded` body (OAuth token refresh).
    pub fn form(text: String) -> Body {
        Body {
            content_type: "application/x-www-form-urlencoded",
            text,
        }
    }

    /// A JSON body (GraphQL).
    pub fn json(text: String) -> Body {
        Body {
            content_type: "application/json",
            text,
        }
    }
}

/// A complete answer, whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Attempts made, the last one included.
    pub attempts: u32,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header that may repeat (`WWW-Authenticate`).
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The wait a 429 or 503 asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers, now_unix())
    }
}

/// A request that got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No complete answer within the timeout.
    Timeout(Duration),
    /// Connection refused, DNS, TLS, reset; after all retries.
    Connect { reason: String, attempts: u32 },
    /// A redirect we would not follow.
    Redirect(String),
    /// Larger than [`MAX_BODY`].
    TooLarge,
}

/// The HTTP side of a [`super::Registry`].
pub struct Http {
    client: Client,
    gate: Gate,
    retry: RetryPolicy,
    timeout: Duration,
    requests: AtomicU64,
    retries: AtomicU64,
}

impl Http {
    /// A client with our timeouts, no automatic redirects (we follow them ourselves so we
    /// decide what the next hop sees), and a user agent that says who is asking.
    pub fn new(
        connect_timeout: Duration,
        timeout: Duration,
        retry: RetryPolicy,
        max_in_flight: usize,
    ) -> Result<Http, String> {
        let client = Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("drift-lint/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| innermost(&e))?;
        Ok(Http {
            client,
            gate: Gate::new(max_in_flight),
            retry,
            timeout,
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// Requests sent so far (every attempt and redirect hop counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Retries made so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Sends the request, following redirects, retrying 429, 5xx and connection failures with
    /// exponential backoff (or the server's `Retry-After`, capped) up to `max_retries` times.
    /// A 429 or 5xx that outlasts the retries comes back as an [`Answer`] with that status, as
    /// does a 429 asking for more than the cap when the policy gives up beyond it.
    pub fn send(&self, request: &Request<'_>) -> Result<Answer, Failure> {
        let mut attempt = 0u32;
        loop {
            let result = self.follow(request);
            let retryable = match &result {
                Ok(answer) => answer.status == 429 || answer.status >= 500,
                Err(Failure::Connect { .. }) => true,
                Err(_) => false,
            };
            if !retryable || !request.retry || attempt >= self.retry.max_retries {
                return match result {
                    Ok(answer) => Ok(Answer {
                        attempts: attempt + 1,
                        ..answer
                    }),
                    Err(Failure::Connect { reason, .. }) => Err(Failure::Connect {
                        reason,
                        attempts: attempt + 1,
                    }),
                    Err(other) => Err(other),
                };
            }
            let asked = result.as_ref().ok().and_then(Answer::retry_after);
            if self.retry.give_up_beyond_cap
                && asked.is_some_and(|d| d > self.retry.max_retry_after)
            {
                return result.map(|answer| Answer {
                    attempts: attempt + 1,
                    ..answer
                });
            }
            let delay = asked.map_or_else(
                || self.retry.backoff(attempt),
                |d| d.min(self.retry.max_retry_after),
            );
            std::thread::sleep(delay);
            attempt += 1;
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One attempt: the request and the redirects it leads to.
    fn follow(&self, request: &Request<'_>) -> Result<Answer, Failure> {
        let mut url = request.url.clone();
        let mut with_credentials = true;
        for _ in 0..=MAX_REDIRECTS {
            let answer = self.once(request, &url, with_credentials)?;
            if !is_redirect(answer.status) || request.body.is_some() {
                return Ok(answer);
            }
            let next = redirect_target(&url, &answer)?;
            if origin(&next) != origin(&url) {
                // The storage host is not the registry: it gets no credentials.
                with_credentials = false;
            }
            url = next;
        }
        Err(Failure::Redirect(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    /// One HTTP exchange, under the in-flight gate, body read to the end within the limits.
    /// `with_credentials` is false once a redirect has left the request URL's origin.
    fn once(
        &self,
        request: &Request<'_>,
        url: &Url,
        with_credentials: bool,
    ) -> Result<Answer, Failure> {
        let _pass = self.gate.enter();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let mut builder = match &request.body {
            Some(body) => self
                .client
                .post(url.clone())
                .header(CONTENT_TYPE, body.content_type)
                .body(body.text.clone()),
            None => self.client.get(url.clone()),
        };
        builder = builder.header(ACCEPT, request.accept);
        if with_credentials {
            if let Some(value) = request.authorization {
                builder = builder.header(AUTHORIZATION, value);
            }
            for (name, value) in request.headers {
                builder = builder.header(*name, *value);
            }
        }
        let mut response = builder.send().map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if response.content_length().is_some_and(|len| len > MAX_BODY) {
            return Err(Failure::TooLarge);
        }
        let body = self.read_body(&mut response, started)?;
        Ok(Answer {
            status,
            headers,
            body,
            attempts: 1,
        })
    }

    /// The body, at most [`MAX_BODY`] bytes, within the request's total time.
    fn read_body(
        &self,
        response: &mut reqwest::blocking::Response,
        started: Instant,
    ) -> Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match response.read(&mut chunk) {
                Ok(0) => return Ok(body),
                Ok(n) => {
                    body.extend_from_slice(&chunk[..n]);
                    if body.len() as u64 > MAX_BODY {
                        return Err(Failure::TooLarge);
                    }
                    if started.elapsed() > self.timeout {
                        return Err(Failure::Timeout(self.timeout));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout_io(&e) => return Err(Failure::Timeout(self.timeout)),
                Err(e) => {
                    return Err(Failure::Connect {
                        reason: format!("connection broken while reading the answer: {e}"),
                        attempts: 1,
                    })
                }
            }
        }
    }

    /// A transport error as a failure: connection trouble (a connect timeout included) is
    /// retried, a request that timed out once connected is not (the next try would most
    /// likely wait just as long, and a lint run must stay bounded).
    fn transport(&self, error: &reqwest::Error) -> Failure {
        if error.is_connect() {
            Failure::Connect {
                reason: innermost(error),
                attempts: 1,
            }
        } else if error.is_timeout() {
            Failure::Timeout(self.timeout)
        } else {
            Failure::Connect {
                reason: innermost(error),
                attempts: 1,
            }
        }
    }
}

/// The innermost cause of an error: "Connection refused (os error 111)" says more than
/// reqwest's "error sending request", and it carries no URL.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    let text = current.to_string();
    if text.is_empty() {
        "connection failed".to_string()
    } else {
        text
    }
}

/// A body read that timed out, as std or reqwest reports it.
fn is_timeout_io(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::TimedOut
        || error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect points, refused when it is missing, not HTTP(S), or a downgrade from
/// HTTPS to plain HTTP.
fn redirect_target(from: &Url, answer: &Answer) -> Result<Url, Failure> {
    let location = answer.header(LOCATION.as_str()).ok_or_else(|| {
        Failure::Redirect(format!("a {} without a Location header", answer.status))
    })?;
    let next = from
        .join(location)
        .map_err(|_| Failure::Redirect("a Location header that is not a URL".to_string()))?;
    match (from.scheme(), next.scheme()) {
        (_, "https") | ("http", "http") => Ok(next),
        ("https", "http") => Err(Failure::Redirect(format!(
            "from HTTPS to plain HTTP ({})",
            next.host_str().unwrap_or("?")
        ))),
        (_, scheme) => Err(Failure::Redirect(format!(
            "to an unsupported scheme `{scheme}`"
        ))),
    }
}

/// Scheme, host and port: what must match for a request to keep its credentials.
fn origin(url: &Url) -> (String, Option<String>, Option<u16>) {
    (
        url.scheme().to_string(),
        url.host_str().map(str::to_ascii_lowercase),
        url.port_or_known_default(),
    )
}

/// `Retry-After` as a wait: delta seconds, or an HTTP date (a date in the past means now).
pub fn retry_after(headers: &HeaderMap, now: i64) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(Duration::from_secs(
        u64::try_from(at.saturating_sub(now)).unwrap_or(0),
    ))
}

/// A counting semaphore: at most `max` requests in flight across all threads.
struct Gate {
    used: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// Held while a request is in flight; leaving frees the slot.
struct Pass<'a>(&'a Gate);

impl Gate {
    fn new(max: usize) -> Gate {
        Gate {
            used: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    fn enter(&self) -> Pass<'_> {
        // A poisoned lock only means another thread panicked while counting; the count is
        // still a number, so carry on with it.
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= self.max {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += 1;
        Pass(self)
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut used = self.0.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, 0), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(
            retry_after(&headers, 784_111_777 - 30),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers, 784_111_777 + 30),
            Some(Duration::ZERO)
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, 0), None);
    }

    #[test]
    fn request_debug_masks_credentials() {
        let request = Request {
            url: Url::parse("https://backboard.railway.com/graphql/v2").expect("valid"),
            accept: "application/json",
            authorization: Some("Bearer acct-secret-0123"),
            headers: &[("project-access-token", "proj-secret-4567")],
            body: None,
            retry: true,
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("project-access-token"), "{shown}");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            max_retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
            give_up_beyond_cap: false,
        };
        assert_eq!(policy.backoff(0), Duration::from_millis(500));
        assert_eq!(policy.backoff(1), Duration::from_secs(1));
        assert_eq!(policy.backoff(3), Duration::from_secs(4));
        assert_eq!(policy.backoff(40), Duration::from_secs(60));
    }

    #[test]
    fn redirects_refuse_downgrades_and_resolve_relative_locations() {
        let answer = |location: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(LOCATION, HeaderValue::from_str(location).expect("valid"));
            Answer {
                status: 307,
                headers,
                body: Vec::new(),
                attempts: 1,
            }
        };
        let from = Url::parse("https://ghcr.io/v2/a/blobs/sha256:x").expect("valid");
        assert!(matches!(
            redirect_target(&from, &answer("http://storage.example/blob")),
            Err(Failure::Redirect(_))
        ));
        assert_eq!(
            redirect_target(&from, &answer("/storage/blob"))
                .expect("followed")
                .as_str(),
            "https://ghcr.io/storage/blob"
        );
        assert!(matches!(
            redirect_target(&from, &answer("file:///etc/passwd")),
            Err(Failure::Redirect(_))
        ));
    }
}
