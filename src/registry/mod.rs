//! Online facts about deployed images: when a tag's image was built, and from which commit.
//!
//! A floating tag (`:staging-latest`) whose last build is 40 days old means the publish
//! pipeline stopped; a SHA tag (`:staging-a14cf86`) says its commit in its name, but a floating
//! tag only says it through the image's `org.opencontainers.image.revision` label. Both facts
//! live in the registry, in the image config blob. [`Registry::lookup`] fetches them:
//!
//! 1. tag -> manifest digest: `GET /v2/<repo>/manifests/<tag>` (skipped for `@sha256:`
//!    references), answering Docker's bearer-token challenge when the registry asks;
//! 2. an index (multi-platform) -> the manifest for [`RegistryOptions::platform`], skipping
//!    BuildKit attestation entries;
//! 3. manifest -> config blob (`GET /v2/<repo>/blobs/<digest>`, usually a redirect to storage,
//!    which never sees our credentials) -> `created` and the revision label.
//!
//! For Docker Hub images the Hub tag API (`/v2/repositories/<repo>/tags/<tag>`) answers the
//! digest and `last_updated` in one anonymous call that does not count against pull limits;
//! it is tried first and the registry protocol is the fallback. It knows no revision.
//!
//! Answers are cached on disk: a tag's digest for [`RegistryOptions::cache_ttl`], a digest's
//! facts forever (content named by digest never changes). Offline mode sends no request and
//! answers from fresh cache entries only. Everything is bounded: per-request timeouts, retries
//! with capped backoff, a cap on `Retry-After`, body size, redirects, and requests in flight.
//!
//! ```no_run
//! use drift_lint::image::ImageRef;
//! use drift_lint::registry::{Registry, RegistryOptions};
//!
//! let registry = Registry::new(RegistryOptions::default())?;
//! let image = ImageRef::parse("ghcr.io/molecule-ai/platform-tenant:staging-latest").unwrap();
//! match registry.lookup(&image) {
//!     Ok(facts) => println!("built {:?} from {:?}", facts.created, facts.revision),
//!     Err(error) => eprintln!("{error}"),
//! }
//! # Ok::<(), drift_lint::registry::RegistryError>(())
//! ```

mod auth;
mod cache;
mod error;
pub(crate) mod http;
mod manifest;
pub(crate) mod sha256;
mod time;

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Url;

use crate::image::{is_templated, ImageRef};

pub use auth::Credentials;
pub use error::RegistryError;
pub(crate) use error::{scrub, seconds};
pub use sha256::digest_of;
pub use time::parse_rfc3339;

use auth::{basic_header, parse_challenges, parse_token, refresh_form, token_url, Challenge};
use auth::{Login, Tokens};
use cache::{DiskCache, StoredFacts, TagEntry};
use http::{Answer, Body, Failure, Http, Request, RetryPolicy};
use manifest::{
    is_digest, is_image_config, parse_config, parse_manifest, pick_platform, shorten, ConfigFacts,
    Manifest, Platform, MANIFEST_ACCEPT,
};

/// Where the Docker Hub tag API lives unless `DRIFT_LINT_DOCKER_HUB_API` says otherwise.
pub const DOCKER_HUB_API: &str = "https://hub.docker.com";

/// The registry name `ImageRef` gives Docker Hub images, and the host that serves it.
const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io";

/// What to `Accept` for a config blob (storage backends may ignore it; registries may not).
const CONFIG_ACCEPT: &str =
    "application/vnd.oci.image.config.v1+json, application/vnd.docker.container.image.v1+json, */*";

/// How a [`Registry`] behaves. [`RegistryOptions::default`] reads the environment; tests build
/// options with [`RegistryOptions::from_lookup`] and override fields.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Send no request at all: lookups answer from fresh cache entries or fail with
    /// [`RegistryError::Offline`].
    pub offline: bool,
    /// Time to establish a connection (default 5 s).
    pub connect_timeout: Duration,
    /// Time for one whole request, answer included (default 20 s).
    pub timeout: Duration,
    /// Retries after a 429, a 5xx or a connection failure (default 3). A request that timed
    /// out after connecting is not retried, nor is any other 4xx.
    pub max_retries: u32,
    /// First retry delay, doubled each retry (default 500 ms).
    pub backoff: Duration,
    /// The longest we wait between tries, whatever `Retry-After` asks (default 60 s).
    pub max_retry_after: Duration,
    /// Requests in flight at once, across all threads (default 8).
    pub max_in_flight: usize,
    /// `os/architecture[/variant]` picked from multi-platform indexes (default `linux/amd64`).
    pub platform: String,
    /// Cache folder; `None` disables the cache. Default: `$DRIFT_LINT_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/drift-lint`, else `$HOME/.cache/drift-lint`.
    pub cache_dir: Option<PathBuf>,
    /// How long a tag's digest is trusted (default 1 h). Digest facts never expire.
    pub cache_ttl: Duration,
    /// Logins per registry (default: [`Credentials::from_env`]).
    pub credentials: Credentials,
    /// Base URL of the Docker Hub tag API, tried first for `docker.io` images; `None` skips it.
    /// Default: `$DRIFT_LINT_DOCKER_HUB_API`, else [`DOCKER_HUB_API`].
    pub docker_hub_api: Option<String>,
    /// Base URLs that replace a registry's own (`"docker.io" -> "http://127.0.0.1:5000"`):
    /// a pull-through mirror, or a test server. The registry's credentials go with it, so
    /// point a registry only at a mirror you would trust with its login.
    pub endpoints: BTreeMap<String, String>,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions::from_lookup(|name| std::env::var(name).ok())
    }
}

impl RegistryOptions {
    /// The defaults, with the environment read through `env` (so tests need no real
    /// variables): cache folder, credentials, Docker Hub API base.
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> RegistryOptions {
        RegistryOptions {
            offline: false,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
            max_retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
            max_in_flight: 8,
            platform: "linux/amd64".to_string(),
            cache_dir: default_cache_dir(&env),
            cache_ttl: Duration::from_secs(3600),
            credentials: Credentials::from_lookup(&env),
            docker_hub_api: Some(
                env("DRIFT_LINT_DOCKER_HUB_API")
                    .filter(|v| !v.trim().is_empty())
                    .unwrap_or_else(|| DOCKER_HUB_API.to_string()),
            ),
            endpoints: BTreeMap::new(),
        }
    }
}

/// `$DRIFT_LINT_CACHE_DIR`, else `$XDG_CACHE_HOME/drift-lint`, else `$HOME/.cache/drift-lint`;
/// `None` when none is set.
pub fn default_cache_dir(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    set("DRIFT_LINT_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| set("XDG_CACHE_HOME").map(|d| Path::new(&d).join("drift-lint")))
        .or_else(|| set("HOME").map(|h| Path::new(&h).join(".cache").join("drift-lint")))
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactSource {
    /// The registry protocol, this run (the tag was resolved online even if the digest's
    /// facts were cached).
    Registry,
    /// The Docker Hub tag API, this run.
    DockerHubApi,
    /// The disk cache alone: no request was sent.
    Cache,
}

/// What the registry says about one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// The digest the tag points at (an index's digest for a multi-platform image), or the
    /// pinned digest.
    pub digest: String,
    /// The single-platform manifest the facts come from: the index entry for the configured
    /// platform, or `digest` itself when that is a plain manifest. `None` when the Docker Hub
    /// API did not list the platform.
    pub platform_digest: Option<String>,
    /// The config blob read (not known from the Docker Hub API).
    pub config_digest: Option<String>,
    /// Build time, unix seconds: the config's `created` (or its
    /// `org.opencontainers.image.created` label when `created` is a placeholder), or Docker
    /// Hub's `last_updated` (the tag's last push).
    pub created: Option<i64>,
    /// `org.opencontainers.image.revision`: the commit the image was built from.
    pub revision: Option<String>,
    pub source: FactSource,
}

impl ImageFacts {
    fn from_stored(stored: StoredFacts, source: FactSource) -> ImageFacts {
        ImageFacts {
            digest: stored.digest,
            platform_digest: stored.platform_digest,
            config_digest: stored.config_digest,
            created: stored.created,
            revision: stored.revision,
            source,
        }
    }

    fn stored(&self) -> StoredFacts {
        StoredFacts {
            digest: self.digest.clone(),
            platform_digest: self.platform_digest.clone(),
            config_digest: self.config_digest.clone(),
            created: self.created,
            revision: self.revision.clone(),
        }
    }
}

/// Counters since the [`Registry`] was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent: every attempt, redirect hop and token request.
    pub requests: u64,
    /// Of those, retries.
    pub retries: u64,
    /// Cache entries used (a tag entry and a digest entry each count).
    pub cache_hits: u64,
    /// Cache entries looked for and not found (or stale).
    pub cache_misses: u64,
}

/// A registry client. Cheap to share between threads; [`Registry::lookup_all`] does.
pub struct Registry {
    http: Http,
    credentials: Credentials,
    tokens: Tokens,
    cache: Option<DiskCache>,
    platform: Platform,
    offline: bool,
    timeout: Duration,
    max_in_flight: usize,
    hub: Option<Url>,
    endpoints: BTreeMap<String, Url>,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
}

/// One image as the lookup sees it: what to show in messages and where to send requests.
struct Target {
    image: String,
    registry: String,
    repository: String,
    base: Url,
    /// The token scope for pulling this repository.
    scope: String,
}

/// What a request was after, to say what was not found.
#[derive(Clone, Copy)]
enum Wanted<'a> {
    Tag,
    Manifest(&'a str),
    Blob(&'a str),
}

impl Registry {
    /// A client for these options.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Setup`] for an unusable platform, Docker Hub API URL or endpoint, or
    /// an HTTP client that cannot be built.
    pub fn new(options: RegistryOptions) -> Result<Registry, RegistryError> {
        let setup = |reason: String| RegistryError::Setup { reason };
        let platform = Platform::parse(&options.platform).ok_or_else(|| {
            setup(format!(
                "platform `{}` is not os/architecture[/variant]",
                options.platform
            ))
        })?;
        let hub =
            match &options.docker_hub_api {
                Some(base) => Some(base_url(base).ok_or_else(|| {
                    setup(format!("Docker Hub API `{base}` is not an HTTP(S) URL"))
                })?),
                None => None,
            };
        let mut endpoints = BTreeMap::new();
        for (registry, base) in &options.endpoints {
            let url = base_url(base).ok_or_else(|| {
                setup(format!(
                    "endpoint `{base}` for {registry} is not an HTTP(S) URL"
                ))
            })?;
            endpoints.insert(auth::normalize_registry(registry), url);
        }
        let retry = RetryPolicy {
            max_retries: options.max_retries,
            backoff: options.backoff,
            max_retry_after: options.max_retry_after,
            give_up_beyond_cap: false,
        };
        let http = Http::new(
            options.connect_timeout,
            options.timeout,
            retry,
            options.max_in_flight,
        )
        .map_err(setup)?;
        Ok(Registry {
            http,
            credentials: options.credentials,
            tokens: Tokens::default(),
            cache: options
                .cache_dir
                .as_deref()
                .map(|dir| DiskCache::new(dir, options.cache_ttl)),
            platform,
            offline: options.offline,
            timeout: options.timeout,
            max_in_flight: options.max_in_flight.max(1),
            hub,
            endpoints,
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
        })
    }

    /// The facts of one image: digest, build time, revision.
    ///
    /// # Errors
    ///
    /// Any [`RegistryError`]; its `Display` is one line naming the image, the registry and
    /// the reason, and never holds a secret.
    pub fn lookup(&self, image: &ImageRef) -> Result<ImageFacts, RegistryError> {
        self.lookup_unscrubbed(image)
            .map_err(|error| error.scrubbed(&self.secrets()))
    }

    /// Many lookups, at most `max_in_flight` requests in flight, results in input order.
    /// Repeated images are looked up once and share the result.
    pub fn lookup_all(&self, images: &[ImageRef]) -> Vec<Result<ImageFacts, RegistryError>> {
        type Key<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>);
        let mut slot_of: HashMap<Key<'_>, usize> = HashMap::new();
        let mut distinct: Vec<&ImageRef> = Vec::new();
        let slots: Vec<usize> = images
            .iter()
            .map(|image| {
                let key = (
                    image.registry.as_str(),
                    image.repository.as_str(),
                    image.tag.as_deref(),
                    image.digest.as_deref(),
                );
                *slot_of.entry(key).or_insert_with(|| {
                    distinct.push(image);
                    distinct.len() - 1
                })
            })
            .collect();
        let results: Vec<Mutex<Option<Result<ImageFacts, RegistryError>>>> =
            distinct.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let workers = self.max_in_flight.min(distinct.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(image) = distinct.get(i) else { break };
                    let result = self.lookup(image);
                    if let Some(cell) = results.get(i) {
                        *cell.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    }
                });
            }
        });
        let results: Vec<Option<Result<ImageFacts, RegistryError>>> = results
            .into_iter()
            .map(|cell| cell.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect();
        slots
            .iter()
            .zip(images)
            .map(|(&slot, image)| {
                results.get(slot).cloned().flatten().unwrap_or_else(|| {
                    Err(RegistryError::Invalid {
                        image: shown(image),
                        reason: "the lookup did not finish".to_string(),
                    })
                })
            })
            .collect()
    }

    /// Counters for benchmarks and tests.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.http.requests(),
            retries: self.http.retries(),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
        }
    }

    /// Every secret that could surface in a message: credentials and issued tokens.
    fn secrets(&self) -> Vec<String> {
        let mut secrets = self.credentials.secrets();
        secrets.extend(self.tokens.secrets());
        secrets
    }

    fn lookup_unscrubbed(&self, image: &ImageRef) -> Result<ImageFacts, RegistryError> {
        let target = self.target(image)?;
        match (&image.digest, &image.tag) {
            (Some(digest), _) => self.facts_for_digest(&target, digest),
            (None, tag) => self.facts_for_tag(&target, tag.as_deref().unwrap_or("latest")),
        }
    }

    /// Checks that the reference can be looked up and says where.
    fn target(&self, image: &ImageRef) -> Result<Target, RegistryError> {
        let invalid = |reason: &str| RegistryError::Invalid {
            image: shown(image),
            reason: reason.to_string(),
        };
        let whole = format!(
            "{}/{}:{}@{}",
            image.registry,
            image.repository,
            image.tag.as_deref().unwrap_or(""),
            image.digest.as_deref().unwrap_or("")
        );
        if is_templated(&whole) {
            return Err(invalid(
                "it holds a template; only literal references can be looked up",
            ));
        }
        if image.registry.is_empty() {
            return Err(invalid("it names no registry"));
        }
        let repository_ok = !image.repository.is_empty()
            && image.repository.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-' | b'/')
            });
        let tag_ok = image.tag.as_deref().is_none_or(|tag| {
            !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
        let digest_ok = image.digest.as_deref().is_none_or(is_digest);
        if !(repository_ok && tag_ok && digest_ok) {
            return Err(invalid("its name, tag or digest is not valid"));
        }
        let registry = auth::normalize_registry(&image.registry);
        let base = self
            .base_for(&registry)
            .ok_or_else(|| invalid("its registry is not a valid host name"))?;
        Ok(Target {
            image: shown(image),
            scope: format!("repository:{}:pull", image.repository),
            repository: image.repository.clone(),
            registry,
            base,
        })
    }

    /// The registry's base URL: an override, Docker Hub's real host, plain HTTP for loopback
    /// registries (as Docker does), HTTPS for everything else.
    fn base_for(&self, registry: &str) -> Option<Url> {
        if let Some(url) = self.endpoints.get(registry) {
            return Some(url.clone());
        }
        let host = if registry == DOCKER_HUB {
            DOCKER_HUB_REGISTRY
        } else {
            registry
        };
        let scheme = if is_loopback(registry) {
            "http"
        } else {
            "https"
        };
        let url = Url::parse(&format!("{scheme}://{host}/")).ok()?;
        (url.path() == "/" && url.query().is_none() && url.username().is_empty()).then_some(url)
    }

    fn tag_key(&self, target: &Target, tag: &str) -> String {
        format!(
            "{}/{}:{tag}#{}",
            target.registry, target.repository, self.platform
        )
    }

    fn facts_key(&self, target: &Target, digest: &str) -> String {
        format!(
            "{}/{}@{digest}#{}",
            target.registry, target.repository, self.platform
        )
    }

    fn cached_tag(&self, key: &str) -> Option<TagEntry> {
        let found = self.cache.as_ref()?.tag(key);
        self.count_cache(found.is_some());
        found
    }

    fn cached_facts(&self, key: &str) -> Option<StoredFacts> {
        let found = self.cache.as_ref()?.facts(key);
        self.count_cache(found.is_some());
        found
    }

    fn count_cache(&self, hit: bool) {
        let counter = if hit {
            &self.cache_hits
        } else {
            &self.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Facts for a tag: a fresh cache entry, else the Docker Hub API (docker.io), else the
    /// registry.
    fn facts_for_tag(&self, target: &Target, tag: &str) -> Result<ImageFacts, RegistryError> {
        let tag_key = self.tag_key(target, tag);
        if let Some(entry) = self.cached_tag(&tag_key) {
            if let Some(hub) = entry.hub {
                return Ok(ImageFacts::from_stored(hub, FactSource::Cache));
            }
            return self.facts_for_digest(target, &entry.digest);
        }
        if self.offline {
            return Err(RegistryError::Offline {
                image: target.image.clone(),
            });
        }
        if target.registry == DOCKER_HUB {
            if let Some(facts) = self.hub_lookup(target, tag) {
                self.put_tag(&tag_key, &facts.digest, Some(facts.stored()));
                return Ok(facts);
            }
        }
        let (manifest, digest) = self.get_manifest(target, tag, Wanted::Tag)?;
        self.put_tag(&tag_key, &digest, None);
        if let Some(stored) = self.cached_facts(&self.facts_key(target, &digest)) {
            return Ok(ImageFacts::from_stored(stored, FactSource::Registry));
        }
        self.facts_from_manifest(target, &digest, manifest)
    }

    /// Facts for a digest: cached forever once known.
    fn facts_for_digest(&self, target: &Target, digest: &str) -> Result<ImageFacts, RegistryError> {
        if let Some(stored) = self.cached_facts(&self.facts_key(target, digest)) {
            return Ok(ImageFacts::from_stored(stored, FactSource::Cache));
        }
        if self.offline {
            return Err(RegistryError::Offline {
                image: target.image.clone(),
            });
        }
        let (manifest, digest) = self.get_manifest(target, digest, Wanted::Manifest(digest))?;
        self.facts_from_manifest(target, &digest, manifest)
    }

    /// From a fetched manifest (or index) to facts, through the platform manifest and the
    /// config blob; the result is cached under `digest`.
    fn facts_from_manifest(
        &self,
        target: &Target,
        digest: &str,
        manifest: Manifest,
    ) -> Result<ImageFacts, RegistryError> {
        let (platform_digest, config) = match manifest {
            Manifest::Image(config) => (digest.to_string(), config),
            Manifest::Index(entries) => {
                let entry = pick_platform(&entries, &self.platform).map_err(|available| {
                    RegistryError::NoPlatform {
                        image: target.image.clone(),
                        registry: target.registry.clone(),
                        platform: self.platform.to_string(),
                        available,
                    }
                })?;
                let wanted = entry.digest.clone();
                match self.get_manifest(target, &wanted, Wanted::Manifest(&wanted))? {
                    (Manifest::Image(config), _) => (wanted, config),
                    (Manifest::Index(_), _) => {
                        return Err(malformed(
                            target,
                            format!("an index whose {} entry is another index", self.platform),
                        ))
                    }
                }
            }
        };
        let ConfigFacts { created, revision } = if is_image_config(&config) {
            self.get_config(target, &config.digest)?
        } else {
            ConfigFacts::default()
        };
        let facts = ImageFacts {
            digest: digest.to_string(),
            platform_digest: Some(platform_digest),
            config_digest: Some(config.digest),
            created,
            revision,
            source: FactSource::Registry,
        };
        if let Some(cache) = &self.cache {
            cache.put_facts(&self.facts_key(target, digest), &facts.stored());
        }
        Ok(facts)
    }

    fn put_tag(&self, key: &str, digest: &str, hub: Option<StoredFacts>) {
        if let Some(cache) = &self.cache {
            cache.put_tag(&TagEntry {
                key: key.to_string(),
                digest: digest.to_string(),
                fetched_at: time::now_unix(),
                hub,
            });
        }
    }

    /// The Docker Hub tag API, one anonymous try; `None` on any failure (the registry
    /// protocol is the fallback, and gives the better error).
    fn hub_lookup(&self, target: &Target, tag: &str) -> Option<ImageFacts> {
        let hub = self.hub.as_ref()?;
        let url = hub
            .join(&format!("v2/repositories/{}/tags/{tag}", target.repository))
            .ok()?;
        let answer = self
            .http
            .send(&Request {
                url,
                accept: "application/json",
                authorization: None,
                headers: &[],
                body: None,
                retry: false,
            })
            .ok()?;
        if answer.status != 200 {
            return None;
        }
        hub_facts(&answer.body, &self.platform)
    }

    /// A manifest by tag or digest, with its digest: the one asked for (verified against the
    /// content), else `Docker-Content-Digest`, else the SHA-256 of the body.
    fn get_manifest(
        &self,
        target: &Target,
        reference: &str,
        wanted: Wanted<'_>,
    ) -> Result<(Manifest, String), RegistryError> {
        let url = endpoint(target, &format!("manifests/{reference}"))?;
        let answer = self.registry_get(target, &url, MANIFEST_ACCEPT)?;
        if !(200..300).contains(&answer.status) {
            return Err(self.status_error(target, &answer, wanted));
        }
        let digest = match wanted {
            Wanted::Manifest(expected) => {
                verify(target, &answer.body, expected, "manifest")?;
                expected.to_string()
            }
            _ => answer
                .header("docker-content-digest")
                .map(str::trim)
                .filter(|d| is_digest(d))
                .map_or_else(|| digest_of(&answer.body), str::to_string),
        };
        let manifest = parse_manifest(&answer.body, answer.header("content-type"))
            .map_err(|reason| malformed(target, reason))?;
        Ok((manifest, digest))
    }

    /// The image config blob's build facts.
    fn get_config(&self, target: &Target, digest: &str) -> Result<ConfigFacts, RegistryError> {
        let url = endpoint(target, &format!("blobs/{digest}"))?;
        let answer = self.registry_get(target, &url, CONFIG_ACCEPT)?;
        if !(200..300).contains(&answer.status) {
            return Err(self.status_error(target, &answer, Wanted::Blob(digest)));
        }
        verify(target, &answer.body, digest, "config blob")?;
        parse_config(&answer.body).map_err(|reason| malformed(target, reason))
    }

    /// A GET to the registry with whatever authorization it has asked for before, answering
    /// one `401` challenge. The answer may have any status; the caller judges it.
    fn registry_get(
        &self,
        target: &Target,
        url: &Url,
        accept: &str,
    ) -> Result<Answer, RegistryError> {
        let mut authorization =
            self.tokens
                .header(&target.registry, &target.scope, &self.credentials);
        let mut challenged = false;
        loop {
            let answer = self
                .http
                .send(&Request {
                    url: url.clone(),
                    accept,
                    authorization: authorization.as_deref(),
                    headers: &[],
                    body: None,
                    retry: true,
                })
                .map_err(|failure| self.failure(target, failure))?;
            if answer.status != 401 || challenged {
                return Ok(answer);
            }
            challenged = true;
            authorization = Some(self.authorize(target, &answer)?);
        }
    }

    /// The `Authorization` value that answers a `401`'s challenge.
    fn authorize(&self, target: &Target, answer: &Answer) -> Result<String, RegistryError> {
        let login = self.credentials.login(&target.registry);
        match parse_challenges(&answer.header_all("www-authenticate")) {
            None => Err(self.unauthorized(
                target,
                Some(401),
                "authentication required, and no WWW-Authenticate challenge said how".into(),
            )),
            Some(Challenge::Basic) => {
                let header = login.and_then(basic_header).ok_or_else(|| {
                    self.unauthorized(
                        target,
                        Some(401),
                        "it wants a user name and password (Basic auth) and none is configured"
                            .into(),
                    )
                })?;
                self.tokens.remember_basic(&target.registry);
                Ok(header)
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let scope = scope.unwrap_or_else(|| target.scope.clone());
                let (token, lifetime) =
                    self.fetch_token(target, &realm, service.as_deref(), &scope, login)?;
                self.tokens
                    .put_bearer(&target.registry, &target.scope, token.clone(), lifetime);
                Ok(format!("Bearer {token}"))
            }
        }
    }

    /// A bearer token from the challenge's realm: anonymous, for a Basic login, or exchanged
    /// for an identity token.
    fn fetch_token(
        &self,
        target: &Target,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        login: Option<&Login>,
    ) -> Result<(String, Duration), RegistryError> {
        let oauth = matches!(login, Some(Login::IdentityToken { .. }));
        let url = token_url(realm, service, scope, !oauth).ok_or_else(|| {
            self.unauthorized(
                target,
                None,
                format!("its token realm `{}` is not an HTTP(S) URL", shorten(realm)),
            )
        })?;
        let host = url.host_str().unwrap_or("?").to_string();
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        if login.is_some() && url.scheme() == "http" && !is_loopback(&authority) {
            return Err(self.unauthorized(
                target,
                None,
                format!("refusing to send credentials to the plain-HTTP token endpoint {host}"),
            ));
        }
        let (authorization, form) = match login {
            Some(login @ Login::Basic { .. }) => (basic_header(login), None),
            Some(Login::IdentityToken { token, .. }) => {
                (None, Some(refresh_form(token, service, scope)))
            }
            None => (None, None),
        };
        let answer = self
            .http
            .send(&Request {
                url,
                accept: "application/json",
                authorization: authorization.as_deref(),
                headers: &[],
                body: form.map(Body::form),
                retry: true,
            })
            .map_err(|failure| self.failure(target, failure))?;
        let who = match login {
            Some(_) => format!(
                "the {}",
                self.credentials
                    .describe(&target.registry)
                    .map_or_else(|| "login".to_string(), |d| format!("login ({d})"))
            ),
            None => "anonymous access".to_string(),
        };
        match answer.status {
            200..=299 => parse_token(&answer.body)
                .map_err(|reason| malformed(target, format!("{reason} from {authority}"))),
            429 => Err(RegistryError::RateLimited {
                image: target.image.clone(),
                registry: authority,
                retry_after: answer.retry_after(),
                attempts: answer.attempts,
            }),
            status @ 500..=599 => Err(RegistryError::Server {
                image: target.image.clone(),
                registry: authority,
                status,
                attempts: answer.attempts,
            }),
            status => Err(self.unauthorized(
                target,
                None,
                format!("its token endpoint {authority} answered {status} for {who}"),
            )),
        }
    }

    /// A non-success answer as an error.
    fn status_error(&self, target: &Target, answer: &Answer, wanted: Wanted<'_>) -> RegistryError {
        let (code, message) = registry_message(&answer.body);
        let detail = message
            .as_deref()
            .map_or_else(String::new, |m| format!(" ({m})"));
        let image = target.image.clone();
        let registry = target.registry.clone();
        match answer.status {
            401 => {
                let reason = if self.credentials.login(&target.registry).is_some() {
                    format!("the credentials were not accepted{detail}")
                } else {
                    format!("anonymous access was refused; the image may be private or may not exist{detail}")
                };
                self.unauthorized(target, Some(401), reason)
            }
            403 => self.unauthorized(target, Some(403), format!("access denied{detail}")),
            404 => {
                let reason = match (code.as_deref(), wanted) {
                    (Some("NAME_UNKNOWN"), _) => "repository not found".to_string(),
                    (_, Wanted::Tag) => "tag not found".to_string(),
                    (_, Wanted::Manifest(digest)) => format!("manifest {digest} not found"),
                    (_, Wanted::Blob(digest)) => format!("config blob {digest} not found"),
                };
                RegistryError::NotFound {
                    image,
                    registry,
                    reason,
                }
            }
            429 => RegistryError::RateLimited {
                image,
                registry,
                retry_after: answer.retry_after(),
                attempts: answer.attempts,
            },
            status @ 500..=599 => RegistryError::Server {
                image,
                registry,
                status,
                attempts: answer.attempts,
            },
            status => RegistryError::Http {
                image,
                registry,
                status,
                reason: message.unwrap_or_else(|| canonical_reason(status)),
            },
        }
    }

    fn unauthorized(&self, target: &Target, status: Option<u16>, reason: String) -> RegistryError {
        RegistryError::Unauthorized {
            image: target.image.clone(),
            registry: target.registry.clone(),
            status,
            reason,
            remedy: self.remedy(&target.registry),
        }
    }

    /// What the user can do about an auth failure on `registry`.
    fn remedy(&self, registry: &str) -> String {
        if let Some(login) = self.credentials.describe(registry) {
            return format!("check that the login for {registry} ({login}) may pull this image");
        }
        match registry {
            "ghcr.io" => "set GHCR_TOKEN (a GitHub token with read:packages) or log in with `docker login ghcr.io`".to_string(),
            DOCKER_HUB => "log in with `docker login`".to_string(),
            other => format!("log in with `docker login {other}`"),
        }
    }

    fn failure(&self, target: &Target, failure: Failure) -> RegistryError {
        let image = target.image.clone();
        let registry = target.registry.clone();
        match failure {
            Failure::Timeout(after) => RegistryError::Timeout {
                image,
                registry,
                after,
            },
            Failure::Connect { reason, attempts } => RegistryError::Connect {
                image,
                registry,
                reason: if attempts > 1 {
                    format!("{reason} (after {attempts} attempts)")
                } else {
                    reason
                },
            },
            Failure::Redirect(reason) => RegistryError::Redirect {
                image,
                registry,
                reason,
            },
            Failure::TooLarge => malformed(
                target,
                format!(
                    "an answer larger than {} MiB",
                    http::MAX_BODY / (1024 * 1024)
                ),
            ),
        }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("credentials", &self.credentials)
            .field("platform", &self.platform.to_string())
            .field("offline", &self.offline)
            .field("timeout", &self.timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("cache", &self.cache)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn malformed(target: &Target, reason: String) -> RegistryError {
    RegistryError::Malformed {
        image: target.image.clone(),
        registry: target.registry.clone(),
        reason,
    }
}

/// Content fetched by digest must hash to it (checked for sha256, the digest every registry
/// uses; other algorithms are taken on trust).
fn verify(target: &Target, body: &[u8], digest: &str, what: &str) -> Result<(), RegistryError> {
    if digest.starts_with("sha256:") && digest_of(body) != digest {
        return Err(malformed(
            target,
            format!("a {what} whose content does not match its digest {digest}"),
        ));
    }
    Ok(())
}

/// A URL under the repository: `<base>v2/<repo>/<rest>`.
fn endpoint(target: &Target, rest: &str) -> Result<Url, RegistryError> {
    target
        .base
        .join(&format!("v2/{}/{rest}", target.repository))
        .map_err(|_| RegistryError::Invalid {
            image: target.image.clone(),
            reason: "it does not make a valid registry URL".to_string(),
        })
}

/// A base URL with a trailing slash, so `join` appends rather than replaces.
fn base_url(text: &str) -> Option<Url> {
    let mut url = Url::parse(text.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Some(url)
}

/// `localhost`, `127.x.x.x` and `[::1]`, with or without a port: served over plain HTTP.
fn is_loopback(registry: &str) -> bool {
    let host = if registry.starts_with('[') {
        registry.split_inclusive(']').next().unwrap_or(registry)
    } else {
        registry.split(':').next().unwrap_or(registry)
    };
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// An image as the user wrote it: `ghcr.io/org/app:tag`, `nginx:1.27`, `app@sha256:...`.
fn shown(image: &ImageRef) -> String {
    let mut text = image.name();
    if let Some(tag) = &image.tag {
        text.push(':');
        text.push_str(tag);
    }
    if let Some(digest) = &image.digest {
        text.push('@');
        text.push_str(digest);
    }
    text
}

/// The first error of a registry error body (`{"errors":[{"code":..,"message":..}]}`), as
/// the code and a short one-line `CODE: message`.
fn registry_message(body: &[u8]) -> (Option<String>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    let Ok(Errors { errors }) = serde_json::from_slice::<Errors>(body) else {
        return (None, None);
    };
    let Some(first) = errors.into_iter().next() else {
        return (None, None);
    };
    let text = match (&first.code, &first.message) {
        (Some(code), Some(message)) => Some(format!("{code}: {message}")),
        (Some(only), None) | (None, Some(only)) => Some(only.clone()),
        (None, None) => None,
    };
    (first.code, text.map(|t| shorten(&t)))
}

fn canonical_reason(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unexpected status")
        .to_string()
}

/// Facts from a Docker Hub tag API answer: `digest`, `last_updated`, and the platform's
/// entry in `images`. `None` when the digest is missing or invalid.
fn hub_facts(body: &[u8], platform: &Platform) -> Option<ImageFacts> {
    #[derive(serde::Deserialize)]
    struct HubTag {
        #[serde(default)]
        digest: Option<String>,
        #[serde(default)]
        last_updated: Option<String>,
        #[serde(default)]
        tag_last_pushed: Option<String>,
        #[serde(default)]
        images: Vec<HubImage>,
    }
    #[derive(serde::Deserialize)]
    struct HubImage {
        #[serde(default)]
        os: Option<String>,
        #[serde(default)]
        architecture: Option<String>,
        #[serde(default)]
        variant: Option<String>,
        #[serde(default)]
        digest: Option<String>,
    }
    let tag: HubTag = serde_json::from_slice(body).ok()?;
    let digest = tag.digest.filter(|d| is_digest(d))?;
    let created = tag
        .last_updated
        .as_deref()
        .and_then(parse_rfc3339)
        .or_else(|| tag.tag_last_pushed.as_deref().and_then(parse_rfc3339));
    let entries: Vec<manifest::Descriptor> = tag
        .images
        .into_iter()
        .map(|image| manifest::Descriptor {
            digest: image.digest.unwrap_or_default(),
            platform: Some(manifest::RawPlatform {
                os: image.os.unwrap_or_default(),
                architecture: image.architecture.unwrap_or_default(),
                variant: image.variant,
            }),
            ..manifest::Descriptor::default()
        })
        .collect();
    let platform_digest = pick_platform(&entries, platform)
        .ok()
        .map(|entry| entry.digest.clone())
        .filter(|d| is_digest(d));
    Some(ImageFacts {
        digest,
        platform_digest,
        config_digest: None,
        created,
        revision: None,
        source: FactSource::DockerHubApi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_use_plain_http() {
        for registry in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "[::1]",
        ] {
            assert!(is_loopback(registry), "{registry}");
        }
        for registry in [
            "ghcr.io",
            "docker.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[::2]:5000",
        ] {
            assert!(!is_loopback(registry), "{registry}");
        }
    }

    #[test]
    fn cache_dir_precedence() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        assert_eq!(
            default_cache_dir(env(&[
                ("DRIFT_LINT_CACHE_DIR", "/c"),
                ("XDG_CACHE_HOME", "/x"),
                ("HOME", "/h")
            ])),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(
            default_cache_dir(env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/drift-lint"))
        );
        assert_eq!(
            default_cache_dir(env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/drift-lint"))
        );
        assert_eq!(default_cache_dir(env(&[])), None);
    }

    #[test]
    fn hub_answers_become_facts() {
        let platform = Platform::parse("linux/amd64").expect("platform");
        let index = format!("sha256:{}", "a".repeat(64));
        let amd = format!("sha256:{}", "b".repeat(64));
        let body = format!(
            r#"{{"name":"1.27","last_updated":"2026-04-21T09:30:12.123456Z","digest":"{index}",
                "images":[{{"os":"linux","architecture":"amd64","digest":"{amd}"}}]}}"#
        );
        let facts = hub_facts(body.as_bytes(), &platform).expect("facts");
        assert_eq!(facts.digest, index);
        assert_eq!(facts.platform_digest, Some(amd));
        assert_eq!(facts.created, Some(1_776_763_812));
        assert_eq!(
            hub_facts(br#"{"last_updated":"2026-04-21T09:30:12Z"}"#, &platform),
            None
        );
        assert_eq!(hub_facts(b"<html>", &platform), None);
    }

    #[test]
    fn registry_messages() {
        let (code, text) = registry_message(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#,
        );
        assert_eq!(code.as_deref(), Some("MANIFEST_UNKNOWN"));
        assert_eq!(text.as_deref(), Some("MANIFEST_UNKNOWN: manifest unknown"));
        assert_eq!(registry_message(b"not json"), (None, None));
    }
}
