//! Who we are to a registry: credentials from the environment, the registry's challenge, and
//! the bearer tokens it hands out.
//!
//! Registries follow Docker's token auth: an anonymous request gets `401` with
//! `WWW-Authenticate: Bearer realm=...,service=...,scope=...`; the realm issues a short-lived
//! token (anonymously, or for Basic credentials); the request is repeated with it. ghcr.io
//! takes a GitHub token as the password of a Basic login to its realm, with any user name.
//!
//! Secrets stay inside this module's types: their `Debug` prints a mask, and
//! [`Credentials::secrets`] lists every form a secret can take on the wire so error messages
//! can be scrubbed of them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Url;

use crate::redact::MASK;

/// The registry name under which Docker Hub credentials are filed, whatever key the docker
/// config used (`https://index.docker.io/v1/`, `registry-1.docker.io`, ...).
const DOCKER_HUB: &str = "docker.io";

/// User name sent with a bare token (GHCR_TOKEN, GITHUB_TOKEN) when GITHUB_ACTOR is unset:
/// ghcr.io checks the token, not the name.
const TOKEN_USER: &str = "drift-lint";

/// A docker config larger than this is not a docker config.
const MAX_DOCKER_CONFIG: u64 = 1024 * 1024;

/// Credentials per registry. Build them with [`Credentials::from_env`] (what the CLI does),
/// or explicitly with the `with_*` methods (what tests do).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    logins: BTreeMap<String, Login>,
}

/// One registry's login.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Login {
    /// User and password (or token as password): Basic auth to the token realm, or to the
    /// registry itself when it challenges with Basic.
    Basic { username: String, password: String },
    /// A docker config `identitytoken`: an OAuth2 refresh token, exchanged at the realm with
    /// a form POST (`grant_type=refresh_token`).
    IdentityToken { username: String, token: String },
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Login::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &MASK)
                .finish(),
            Login::IdentityToken { username, .. } => f
                .debug_struct("IdentityToken")
                .field("username", username)
                .field("token", &MASK)
                .finish(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.logins.iter()).finish()
    }
}

impl Credentials {
    /// No credentials: every registry is asked anonymously.
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Credentials from this process's environment; see [`Credentials::from_lookup`].
    pub fn from_env() -> Credentials {
        Credentials::from_lookup(|name| std::env::var(name).ok())
    }

    /// Credentials from the values `env` gives for `GHCR_TOKEN`, `GITHUB_TOKEN`,
    /// `GITHUB_ACTOR`, `DOCKER_CONFIG` and `HOME` (the testable core of
    /// [`Credentials::from_env`]).
    ///
    /// Sources, strongest first: `GHCR_TOKEN` for ghcr.io (set for this tool on purpose); the
    /// docker config's `auths` (`$DOCKER_CONFIG/config.json`, else
    /// `$HOME/.docker/config.json`); `GITHUB_TOKEN` for ghcr.io (present in every Actions job,
    /// so it must not override a deliberate `docker login`). A missing, unreadable or corrupt
    /// docker config counts as empty. Credential helpers (`credsStore`, `credHelpers`) are not
    /// run.
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Credentials {
        let present = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut credentials = docker_config_path(&present)
            .and_then(|path| read_small(&path))
            .map(|text| Credentials::from_docker_config(&text))
            .unwrap_or_default();
        let user = present("GITHUB_ACTOR").unwrap_or_else(|| TOKEN_USER.to_string());
        if let Some(token) = present("GHCR_TOKEN") {
            credentials = credentials.with_basic("ghcr.io", &user, token.trim());
        } else if credentials.login("ghcr.io").is_none() {
            if let Some(token) = present("GITHUB_TOKEN") {
                credentials = credentials.with_basic("ghcr.io", &user, token.trim());
            }
        }
        credentials
    }

    /// Credentials from the text of a docker `config.json`: each `auths` entry with an
    /// `identitytoken`, a `username` and `password`, or an `auth` (base64 `user:password`).
    /// Entries that hold none of these, or an `auth` that does not decode, are skipped;
    /// text that is not a JSON object gives no credentials.
    pub fn from_docker_config(text: &str) -> Credentials {
        let mut credentials = Credentials::new();
        let Ok(serde_json::Value::Object(root)) = serde_json::from_str::<serde_json::Value>(text)
        else {
            return credentials;
        };
        let Some(serde_json::Value::Object(auths)) = root.get("auths") else {
            return credentials;
        };
        for (key, entry) in auths {
            if let Some(login) = login_from_entry(entry) {
                credentials.logins.insert(normalize_registry(key), login);
            }
        }
        credentials
    }

    /// Adds (or replaces) a user-and-password login for `registry`. For ghcr.io, a GitHub token
    /// is the password and any user name will do.
    pub fn with_basic(mut self, registry: &str, username: &str, password: &str) -> Credentials {
        self.logins.insert(
            normalize_registry(registry),
            Login::Basic {
                username: username.to_string(),
                password: password.to_string(),
            },
        );
        self
    }

    /// Adds (or replaces) an OAuth2 refresh token for `registry`, as `docker login` stores it
    /// in `identitytoken`.
    pub fn with_identity_token(mut self, registry: &str, token: &str) -> Credentials {
        self.logins.insert(
            normalize_registry(registry),
            Login::IdentityToken {
                username: String::new(),
                token: token.to_string(),
            },
        );
        self
    }

    /// The registries we hold a login for, normalized (`docker.io`, `ghcr.io`, ...).
    pub fn registries(&self) -> Vec<String> {
        self.logins.keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.logins.is_empty()
    }

    /// Describes the login for `registry` without its secret: `"user alice"`,
    /// `"identity token"`, or `None`.
    pub fn describe(&self, registry: &str) -> Option<String> {
        self.login(registry).map(|login| match login {
            Login::Basic { username, .. } => format!("user {username}"),
            Login::IdentityToken { .. } => "identity token".to_string(),
        })
    }

    pub(crate) fn login(&self, registry: &str) -> Option<&Login> {
        self.logins.get(&normalize_registry(registry))
    }

    /// Every secret in every form it can take on the wire: passwords, tokens, and the base64
    /// `user:password` of a Basic header.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        for login in self.logins.values() {
            match login {
                Login::Basic { username, password } => {
                    secrets.push(password.clone());
                    secrets.push(base64_encode(format!("{username}:{password}").as_bytes()));
                    secrets.push(percent_encode(password));
                }
                Login::IdentityToken { token, .. } => {
                    secrets.push(token.clone());
                    secrets.push(percent_encode(token));
                }
            }
        }
        secrets.retain(|s| !s.is_empty());
        secrets
    }
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
fn docker_config_path(env: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(dir) = env("DOCKER_CONFIG") {
        return Some(Path::new(&dir).join("config.json"));
    }
    env("HOME").map(|home| Path::new(&home).join(".docker").join("config.json"))
}

/// A file's text if it exists, is small and is UTF-8; anything else is `None`.
fn read_small(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_DOCKER_CONFIG {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// One `auths` entry as a login, preferring an identity token, then explicit fields, then
/// `auth`.
fn login_from_entry(entry: &serde_json::Value) -> Option<Login> {
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(serde_json::Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let decoded = field("auth")
        .and_then(base64_decode)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(user, password)| (user.to_string(), password.to_string()))
        });
    if let Some(token) = field("identitytoken") {
        let username = field("username")
            .map(str::to_string)
            .or_else(|| decoded.as_ref().map(|(user, _)| user.clone()))
            .unwrap_or_default();
        return Some(Login::IdentityToken {
            username,
            token: token.to_string(),
        });
    }
    if let (Some(username), Some(password)) = (field("username"), field("password")) {
        return Some(Login::Basic {
            username: username.to_string(),
            password: password.to_string(),
        });
    }
    let (username, password) = decoded?;
    (!password.is_empty()).then_some(Login::Basic { username, password })
}

/// The registry a docker config key or a registry name means: host and port only,
/// lowercase, and every Docker Hub alias folded into `docker.io`.
pub(crate) fn normalize_registry(key: &str) -> String {
    let key = key.trim();
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" | "docker.io" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (a Basic header value).
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64, padding optional, whitespace ignored (a docker config `auth`). `None` for
/// any other character, misplaced padding, or an impossible length.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let data_len = symbols
        .iter()
        .position(|&b| b == b'=')
        .unwrap_or(symbols.len());
    let (data, padding) = symbols.split_at(data_len);
    if padding.len() > 2 || padding.iter().any(|&b| b != b'=') || data.len() % 4 == 1 {
        return None;
    }
    if !padding.is_empty() && (data.len() + padding.len()) % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &symbol in data {
        let value = BASE64.iter().position(|&c| c == symbol)?;
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Percent-encoding for a form or query value: unreserved characters as they are, every
/// other byte as `%XX`.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What a `401` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Basic,
}

/// The challenge to answer among a response's `WWW-Authenticate` values: Bearer if offered
/// (with a realm), else Basic; `None` when there is neither.
pub(crate) fn parse_challenges(values: &[&str]) -> Option<Challenge> {
    let challenges: Vec<(String, HashMap<String, String>)> =
        values.iter().flat_map(|v| split_challenges(v)).collect();
    let bearer = challenges.iter().find_map(|(scheme, params)| {
        (scheme == "bearer")
            .then(|| params.get("realm").filter(|r| !r.is_empty()))
            .flatten()
            .map(|realm| Challenge::Bearer {
                realm: realm.clone(),
                service: params.get("service").cloned(),
                scope: params.get("scope").cloned(),
            })
    });
    bearer.or_else(|| {
        challenges
            .iter()
            .any(|(scheme, _)| scheme == "basic")
            .then_some(Challenge::Basic)
    })
}

/// Splits one header value into challenges: `Scheme k="v", k2=v2, Other k="v"`. Quoted
/// values may hold commas (`scope="repository:a:pull,push"`) and `\"` escapes.
fn split_challenges(value: &str) -> Vec<(String, HashMap<String, String>)> {
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let mut out: Vec<(String, HashMap<String, String>)> = Vec::new();
    let skip = |i: &mut usize, what: &dyn Fn(char) -> bool| {
        while *i < chars.len() && what(chars[*i]) {
            *i += 1;
        }
    };
    let is_token = |c: char| !c.is_whitespace() && c != ',' && c != '=' && c != '"';
    while i < chars.len() {
        skip(&mut i, &|c| c.is_whitespace() || c == ',');
        let start = i;
        skip(&mut i, &is_token);
        if start == i {
            // A stray `=` or quote: skip it rather than loop.
            i += 1;
            continue;
        }
        let word: String = chars[start..i].iter().collect();
        let mut j = i;
        skip(&mut j, &|c| c.is_whitespace());
        if j < chars.len() && chars[j] == '=' && !out.is_empty() {
            // A parameter of the current challenge.
            i = j + 1;
            skip(&mut i, &|c| c.is_whitespace());
            let value = if i < chars.len() && chars[i] == '"' {
                i += 1;
                let mut value = String::new();
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    value.push(chars[i]);
                    i += 1;
                }
                i += 1;
                value
            } else {
                let start = i;
                skip(&mut i, &|c| c != ',' && !c.is_whitespace());
                chars[start..i].iter().collect()
            };
            if let Some((_, params)) = out.last_mut() {
                params.insert(word.to_ascii_lowercase(), value);
            }
        } else {
            out.push((word.to_ascii_lowercase(), HashMap::new()));
        }
    }
    out
}

/// Where to ask for a token: the realm, with `service` and `scope` in the query for a GET
/// (`in_query`), or as it is for an OAuth2 POST, which sends them in the form.
pub(crate) fn token_url(
    realm: &str,
    service: Option<&str>,
    scope: &str,
    in_query: bool,
) -> Option<Url> {
    let mut url = Url::parse(realm).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    if in_query {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        query.append_pair("scope", scope);
    }
    Some(url)
}

/// The body of an OAuth2 refresh-token exchange for an identity token.
pub(crate) fn refresh_form(token: &str, service: Option<&str>, scope: &str) -> String {
    let mut form = format!(
        "grant_type=refresh_token&client_id=drift-lint&refresh_token={}&scope={}",
        percent_encode(token),
        percent_encode(scope)
    );
    if let Some(service) = service {
        form.push_str(&format!("&service={}", percent_encode(service)));
    }
    form
}

/// The token in a realm's answer (`token`, or OAuth2's `access_token`) and how long to keep
/// it: `expires_in` (60 s when absent, the spec's default) less a margin so a token is never
/// used in its last seconds.
pub(crate) fn parse_token(body: &[u8]) -> Result<(String, Duration), String> {
    #[derive(serde::Deserialize)]
    struct TokenAnswer {
        token: Option<String>,
        access_token: Option<String>,
        expires_in: Option<u64>,
    }
    let answer: TokenAnswer = serde_json::from_slice(body)
        .map_err(|e| format!("a token answer that is not the expected JSON ({e})"))?;
    let token = answer
        .token
        .filter(|t| !t.is_empty())
        .or(answer.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| "a token answer without `token` or `access_token`".to_string())?;
    let lifetime = answer.expires_in.unwrap_or(60).min(24 * 3600);
    let margin = (lifetime / 2).min(10);
    Ok((token, Duration::from_secs(lifetime - margin)))
}

/// Bearer tokens per (registry, scope) until they expire, and which registries want Basic.
#[derive(Default)]
pub(crate) struct Tokens {
    bearer: Mutex<HashMap<(String, String), (String, Instant)>>,
    basic: Mutex<Vec<String>>,
}

impl Tokens {
    /// The `Authorization` value to send before any challenge: a live cached token, or Basic
    /// for a registry that asked for it before.
    pub fn header(&self, registry: &str, scope: &str, credentials: &Credentials) -> Option<String> {
        let basic = self
            .basic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|r| r == registry);
        if basic {
            return basic_header(credentials.login(registry)?);
        }
        let map = self.bearer.lock().unwrap_or_else(|e| e.into_inner());
        let (token, expires) = map.get(&(registry.to_string(), scope.to_string()))?;
        (Instant::now() < *expires).then(|| format!("Bearer {token}"))
    }

    pub fn put_bearer(&self, registry: &str, scope: &str, token: String, lifetime: Duration) {
        let mut map = self.bearer.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(
            (registry.to_string(), scope.to_string()),
            (token, Instant::now() + lifetime),
        );
    }

    pub fn remember_basic(&self, registry: &str) {
        let mut basic = self.basic.lock().unwrap_or_else(|e| e.into_inner());
        if !basic.iter().any(|r| r == registry) {
            basic.push(registry.to_string());
        }
    }

    /// Every token ever issued to us (expired ones too: a late echo must still be masked).
    pub fn secrets(&self) -> Vec<String> {
        let map = self.bearer.lock().unwrap_or_else(|e| e.into_inner());
        map.values().map(|(token, _)| token.clone()).collect()
    }
}

/// `Basic base64(user:password)` for a Basic login; an identity token cannot do Basic.
pub(crate) fn basic_header(login: &Login) -> Option<String> {
    match login {
        Login::Basic { username, password } => Some(format!(
            "Basic {}",
            base64_encode(format!("{username}:{password}").as_bytes())
        )),
        Login::IdentityToken { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects_garbage() {
        for text in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "user:pa:ss",
        ] {
            let encoded = base64_encode(text.as_bytes());
            assert_eq!(base64_decode(&encoded).as_deref(), Some(text.as_bytes()));
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode("Zm9v\nYmFy").as_deref(), Some(&b"foobar"[..]));
        for bad in ["Z", "Zm8==x", "Zm=8", "Zm8===", "Z!8=", "Zg="] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn challenges_parse_bearer_basic_and_quoted_commas() {
        let bearer = parse_challenges(&[
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull,push""#,
        ]);
        assert_eq!(
            bearer,
            Some(Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: Some("ghcr.io".into()),
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenges(&[r#"Basic realm="Registry Realm""#]),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenges(&[r#"Basic realm="x", Bearer realm="https://a/t""#]),
            Some(Challenge::Bearer {
                realm: "https://a/t".into(),
                service: None,
                scope: None
            })
        );
        assert_eq!(parse_challenges(&["Bearer"]), None);
        assert_eq!(parse_challenges(&[""]), None);
        assert_eq!(parse_challenges(&["=\"\",,=="]), None);
    }

    #[test]
    fn token_answers() {
        let (token, lifetime) = parse_token(br#"{"token":"abc","expires_in":300}"#).expect("ok");
        assert_eq!((token.as_str(), lifetime.as_secs()), ("abc", 290));
        let (token, lifetime) = parse_token(br#"{"access_token":"xyz"}"#).expect("ok");
        assert_eq!((token.as_str(), lifetime.as_secs()), ("xyz", 50));
        assert!(parse_token(br#"{"token":""}"#).is_err());
        assert!(parse_token(b"<html>").is_err());
    }

    #[test]
    fn registry_keys_normalize() {
        assert_eq!(
            normalize_registry("https://index.docker.io/v1/"),
            "docker.io"
        );
        assert_eq!(normalize_registry("GHCR.io"), "ghcr.io");
        assert_eq!(
            normalize_registry("http://localhost:5000/v2/"),
            "localhost:5000"
        );
    }
}
