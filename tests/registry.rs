//! The registry client against real HTTP servers on 127.0.0.1 (mockito): token auth, indexes,
//! redirects, retries, timeouts, the cache, offline mode, concurrency, and secrets kept out
//! of every message. No test talks to anything but loopback servers it started.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use drift_lint::image::ImageRef;
use drift_lint::registry::{
    digest_of, Credentials, FactSource, ImageFacts, Registry, RegistryError, RegistryOptions,
};
use mockito::{Matcher, Mock, Server, ServerGuard};

const REPO: &str = "molecule-ai/platform-tenant";
const REVISION: &str = "a14cf86e2b7c4f0d9a8e5b3c1d2f4a6b8c0e1f23";
const CREATED: &str = "2026-04-21T09:30:12.123456789Z";
/// `CREATED` in unix seconds (`date -u -d 2026-04-21T09:30:12Z +%s`).
const CREATED_UNIX: i64 = 1_776_763_812;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

// ---------------------------------------------------------------------------------------------
// Realistic payloads

/// One multi-platform image as BuildKit pushes it: an OCI index with linux/amd64, linux/arm64
/// and a provenance attestation, each platform's manifest, and the amd64 config blob.
struct Image {
    index: String,
    index_digest: String,
    amd64: String,
    amd64_digest: String,
    arm64_digest: String,
    config: String,
    config_digest: String,
}

fn config_json(revision: &str, created: &str, architecture: &str) -> String {
    format!(
        r#"{{"architecture":"{architecture}","os":"linux","created":"{created}",
"config":{{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
"Entrypoint":["/platform"],"WorkingDir":"/app",
"Labels":{{"org.opencontainers.image.created":"{created}",
"org.opencontainers.image.revision":"{revision}",
"org.opencontainers.image.source":"https://github.com/molecule-ai/molecule-core",
"org.opencontainers.image.title":"platform-tenant",
"org.opencontainers.image.version":"staging-latest"}}}},
"rootfs":{{"type":"layers","diff_ids":["sha256:{zeros}"]}},
"history":[{{"created":"{created}","created_by":"COPY /out/platform /platform # buildkit","comment":"buildkit.dockerfile.v0"}}]}}"#,
        zeros = "0".repeat(64)
    )
}

fn manifest_json(config: &str, config_digest: &str) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}",
"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{size}}},
"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{layer}","size":31420102}}],
"annotations":{{"org.opencontainers.image.created":"{CREATED}"}}}}"#,
        size = config.len(),
        layer = "1".repeat(64)
    )
}

fn image(revision: &str) -> Image {
    let config = config_json(revision, CREATED, "amd64");
    let config_digest = digest_of(config.as_bytes());
    let amd64 = manifest_json(&config, &config_digest);
    let amd64_digest = digest_of(amd64.as_bytes());
    let arm_config = config_json(revision, CREATED, "arm64");
    let arm64 = manifest_json(&arm_config, &digest_of(arm_config.as_bytes()));
    let arm64_digest = digest_of(arm64.as_bytes());
    let attestation_digest = digest_of(format!("attestation {revision}").as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
{{"mediaType":"{OCI_MANIFEST}","digest":"{attestation_digest}","size":839,
  "annotations":{{"vnd.docker.reference.digest":"{amd64_digest}","vnd.docker.reference.type":"attestation-manifest"}},
  "platform":{{"architecture":"unknown","os":"unknown"}}}},
{{"mediaType":"{OCI_MANIFEST}","digest":"{arm64_digest}","size":{arm_size},"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},
{{"mediaType":"{OCI_MANIFEST}","digest":"{amd64_digest}","size":{amd_size},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        arm_size = arm64.len(),
        amd_size = amd64.len()
    );
    let index_digest = digest_of(index.as_bytes());
    Image {
        index,
        index_digest,
        amd64,
        amd64_digest,
        arm64_digest,
        config,
        config_digest,
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Options for tests: tiny timeouts and backoff, no cache, no credentials, no Docker Hub API,
/// and nothing read from the real environment.
fn options() -> RegistryOptions {
    RegistryOptions {
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(2),
        cache_dir: None,
        credentials: Credentials::new(),
        docker_hub_api: None,
        ..RegistryOptions::from_lookup(|_| None)
    }
}

fn registry(options: RegistryOptions) -> Registry {
    Registry::new(options).expect("the client builds")
}

fn reference(server: &ServerGuard, repo: &str, tag: &str) -> ImageRef {
    ImageRef::parse(&format!("{}/{repo}:{tag}", server.host_with_port())).expect("valid reference")
}

fn manifest_path(repo: &str, reference: &str) -> String {
    format!("/v2/{repo}/manifests/{reference}")
}

fn blob_path(repo: &str, digest: &str) -> String {
    format!("/v2/{repo}/blobs/{digest}")
}

/// The three mocks of one image: tag -> index, amd64 manifest, config blob. `auth` is the
/// exact `Authorization` each must carry (`None`: any or none).
struct Mounted {
    tag: Mock,
    manifest: Mock,
    blob: Mock,
}

/// Requires `Authorization` to be exactly `auth`; with `None`, leaves it unchecked (a mockito
/// `Matcher::Any` would require the header to be present).
fn with_auth(mock: Mock, auth: Option<&str>) -> Mock {
    match auth {
        Some(value) => mock.match_header("authorization", value),
        None => mock,
    }
}

fn mount(
    server: &mut ServerGuard,
    repo: &str,
    tag: &str,
    image: &Image,
    auth: Option<&str>,
) -> Mounted {
    Mounted {
        tag: mount_tag(server, repo, tag, image, auth, 1),
        manifest: with_auth(
            server.mock("GET", manifest_path(repo, &image.amd64_digest).as_str()),
            auth,
        )
        .with_header("content-type", OCI_MANIFEST)
        .with_header("docker-content-digest", &image.amd64_digest)
        .with_body(&image.amd64)
        .expect(1)
        .create(),
        blob: with_auth(
            server.mock("GET", blob_path(repo, &image.config_digest).as_str()),
            auth,
        )
        .with_header("content-type", "application/octet-stream")
        .with_body(&image.config)
        .expect(1)
        .create(),
    }
}

fn mount_tag(
    server: &mut ServerGuard,
    repo: &str,
    tag: &str,
    image: &Image,
    auth: Option<&str>,
    hits: usize,
) -> Mock {
    with_auth(server.mock("GET", manifest_path(repo, tag).as_str()), auth)
        .match_header(
            "accept",
            Matcher::Regex("application/vnd.oci.image.index.v1\\+json".into()),
        )
        .with_header("content-type", OCI_INDEX)
        .with_header("docker-content-digest", &image.index_digest)
        .with_body(&image.index)
        .expect(hits)
        .create()
}

/// A mock that must never be hit: any request to this server.
fn nothing_expected(server: &mut ServerGuard) -> Mock {
    server
        .mock("GET", Matcher::Any)
        .with_status(500)
        .expect(0)
        .create()
}

fn assert_facts(facts: &ImageFacts, image: &Image) {
    assert_eq!(facts.digest, image.index_digest);
    assert_eq!(
        facts.platform_digest.as_deref(),
        Some(image.amd64_digest.as_str())
    );
    assert_eq!(
        facts.config_digest.as_deref(),
        Some(image.config_digest.as_str())
    );
    assert_eq!(facts.created, Some(CREATED_UNIX));
    assert_eq!(facts.revision.as_deref(), Some(REVISION));
}

fn challenge(server: &ServerGuard, repo: &str) -> String {
    format!(
        r#"Bearer realm="{}/token",service="{}",scope="repository:{repo}:pull""#,
        server.url(),
        server.host_with_port()
    )
}

/// The token endpoint: `hits` token requests for `repo`, optionally only with this
/// `Authorization`.
fn mount_token(
    server: &mut ServerGuard,
    repo: &str,
    token: &str,
    auth: Option<&str>,
    hits: usize,
) -> Mock {
    with_auth(server.mock("GET", "/token"), auth)
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("service".into(), server.host_with_port()),
            Matcher::UrlEncoded("scope".into(), format!("repository:{repo}:pull")),
        ]))
        .with_header("content-type", "application/json")
        .with_body(format!(
            r#"{{"token":"{token}","access_token":"{token}","expires_in":300,"issued_at":"2026-04-24T10:00:00Z"}}"#
        ))
        .expect(hits)
        .create()
}

// ---------------------------------------------------------------------------------------------
// 1. The happy path through a token challenge

#[test]
fn token_challenge_then_index_manifest_and_config() {
    let mut server = Server::new();
    let image = image(REVISION);
    let challenged = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", &challenge(&server, REPO))
        .with_body(r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
        .expect(1)
        .create();
    let token = mount_token(&mut server, REPO, "tok-4f1e", None, 1);
    let mounted = mount(
        &mut server,
        REPO,
        "staging-latest",
        &image,
        Some("Bearer tok-4f1e"),
    );

    let client = registry(options());
    let facts = client
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect("facts");

    assert_facts(&facts, &image);
    assert_eq!(facts.source, FactSource::Registry);
    challenged.assert();
    token.assert();
    mounted.tag.assert();
    mounted.manifest.assert();
    mounted.blob.assert();
    assert_eq!(
        client.stats().requests,
        5,
        "401, token, index, manifest, blob"
    );
}

#[test]
fn a_pinned_digest_skips_the_tag_and_a_plain_manifest_needs_no_index() {
    let mut server = Server::new();
    let image = image(REVISION);
    let mounted = mount(&mut server, REPO, "unused", &image, None);
    mounted.tag.remove();
    let image_ref = ImageRef::parse(&format!(
        "{}/{REPO}@{}",
        server.host_with_port(),
        image.amd64_digest
    ))
    .expect("valid");

    let facts = registry(options()).lookup(&image_ref).expect("facts");

    assert_eq!(facts.digest, image.amd64_digest);
    assert_eq!(
        facts.platform_digest.as_deref(),
        Some(image.amd64_digest.as_str())
    );
    assert_eq!(facts.revision.as_deref(), Some(REVISION));
    mounted.manifest.assert();
    mounted.blob.assert();
}

#[test]
fn arm64_picks_the_arm64_manifest_and_a_missing_platform_lists_the_others() {
    let mut server = Server::new();
    let image = image(REVISION);
    let _tag = mount_tag(&mut server, REPO, "staging-latest", &image, None, 2);
    let arm = server
        .mock("GET", manifest_path(REPO, &image.arm64_digest).as_str())
        .with_status(404)
        .expect(1)
        .create();
    let image_ref = reference(&server, REPO, "staging-latest");

    let arm64 = registry(RegistryOptions {
        platform: "linux/arm64".into(),
        ..options()
    })
    .lookup(&image_ref)
    .expect_err("the arm64 manifest is missing on purpose");
    arm.assert();
    assert!(
        arm64
            .to_string()
            .contains(&format!("manifest {} not found", image.arm64_digest)),
        "{arm64}"
    );

    let s390x = registry(RegistryOptions {
        platform: "linux/s390x".into(),
        ..options()
    })
    .lookup(&image_ref)
    .expect_err("no such platform");
    assert_eq!(
        s390x.to_string(),
        format!(
            "{}/{REPO}:staging-latest: {} has no linux/s390x image (the index lists linux/arm64/v8, linux/amd64)",
            server.host_with_port(),
            server.host_with_port()
        )
    );
}

#[test]
fn basic_challenge_uses_the_configured_login() {
    let mut server = Server::new();
    let image = image(REVISION);
    let basic = "Basic cm9ib3Q6czNjcjN0LXBhc3M="; // robot:s3cr3t-pass
    let _challenged = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", r#"Basic realm="Registry Realm""#)
        .expect(1)
        .create();
    let mounted = mount(&mut server, REPO, "staging-latest", &image, Some(basic));
    let credentials =
        Credentials::new().with_basic(&server.host_with_port(), "robot", "s3cr3t-pass");

    let client = registry(RegistryOptions {
        credentials,
        ..options()
    });
    let facts = client
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect("facts");

    assert_facts(&facts, &image);
    mounted.manifest.assert();
    mounted.blob.assert();
    assert_eq!(
        client.stats().requests,
        4,
        "Basic is sent up front once known"
    );
}

#[test]
fn an_identity_token_is_exchanged_with_a_form_post() {
    let mut server = Server::new();
    let image = image(REVISION);
    let _challenged = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", &challenge(&server, REPO))
        .create();
    let exchange = server
        .mock("POST", "/token")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "refresh_token".into()),
            Matcher::UrlEncoded("refresh_token".into(), "refresh-7d1c/+=".into()),
            Matcher::UrlEncoded("scope".into(), format!("repository:{REPO}:pull")),
        ]))
        .with_body(r#"{"access_token":"oauth-access-9","expires_in":60}"#)
        .expect(1)
        .create();
    let mounted = mount(
        &mut server,
        REPO,
        "staging-latest",
        &image,
        Some("Bearer oauth-access-9"),
    );
    let credentials =
        Credentials::new().with_identity_token(&server.host_with_port(), "refresh-7d1c/+=");

    let facts = registry(RegistryOptions {
        credentials,
        ..options()
    })
    .lookup(&reference(&server, REPO, "staging-latest"))
    .expect("facts");

    assert_facts(&facts, &image);
    exchange.assert();
    mounted.blob.assert();
}

// ---------------------------------------------------------------------------------------------
// 2-3. Unauthorized and not found

#[test]
fn a_401_without_a_challenge_is_unauthorized_with_a_remedy() {
    let mut server = Server::new();
    let refused = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_status(401)
        .with_body(r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
        .expect(1)
        .create();

    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("unauthorized");

    refused.assert();
    let host = server.host_with_port();
    assert!(
        matches!(
            error,
            RegistryError::Unauthorized {
                status: Some(401),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        !error.is_transient(),
        "an auth failure will not pass by itself"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{host}/{REPO}:staging-latest: {host} answered 401: authentication required, and no WWW-Authenticate challenge said how"
        )
    );
    assert_eq!(
        error.remedy(),
        Some(format!("log in with `docker login {host}`"))
    );
}

#[test]
fn a_refused_token_names_the_endpoint_and_the_ghcr_remedy_names_ghcr_token() {
    let mut server = Server::new();
    let _challenged = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_status(401)
        .with_header("www-authenticate", &challenge(&server, REPO))
        .create();
    let _token = server
        .mock("GET", "/token")
        .match_query(Matcher::Any)
        .with_status(403)
        .with_body(r#"{"errors":[{"code":"DENIED","message":"denied"}]}"#)
        .create();

    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("refused");

    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "refused access: its token endpoint {} answered 403 for anonymous access",
            server.host_with_port()
        )),
        "{text}"
    );

    assert_eq!(
        error.remedy(),
        Some(format!(
            "log in with `docker login {}`",
            server.host_with_port()
        ))
    );

    // ghcr.io itself (served here by a loopback stand-in) names GHCR_TOKEN.
    let mut ghcr = Server::new();
    let _private = ghcr
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_status(401)
        .create();
    let image =
        ImageRef::parse("ghcr.io/molecule-ai/platform-tenant:staging-latest").expect("valid");
    let error = registry(RegistryOptions {
        endpoints: [("ghcr.io".to_string(), ghcr.url())].into(),
        ..options()
    })
    .lookup(&image)
    .expect_err("unauthorized");
    assert!(
        error.to_string().starts_with(
            "ghcr.io/molecule-ai/platform-tenant:staging-latest: ghcr.io answered 401: "
        ),
        "{error}"
    );
    assert_eq!(
        error.remedy().as_deref(),
        Some("set GHCR_TOKEN (a GitHub token with read:packages) or log in with `docker login ghcr.io`")
    );
}

#[test]
fn a_missing_tag_is_not_found_naming_image_and_registry() {
    let mut server = Server::new();
    let missing = server
        .mock("GET", manifest_path(REPO, "staging-a14cf86").as_str())
        .with_status(404)
        .with_header("content-type", "application/json")
        .with_body(r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"staging-a14cf86"}}]}"#)
        .expect(1)
        .create();

    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-a14cf86"))
        .expect_err("not found");

    missing.assert();
    let host = server.host_with_port();
    assert_eq!(
        error.to_string(),
        format!("{host}/{REPO}:staging-a14cf86: {host} answered 404: tag not found")
    );
}

#[test]
fn an_unknown_repository_says_so() {
    let mut server = Server::new();
    let _missing = server
        .mock("GET", manifest_path("nobody/nothing", "latest").as_str())
        .with_status(404)
        .with_body(r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#)
        .create();
    let error = registry(options())
        .lookup(&reference(&server, "nobody/nothing", "latest"))
        .expect_err("not found");
    assert!(
        error
            .to_string()
            .ends_with("answered 404: repository not found"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4-5. Retries

#[test]
fn a_429_with_retry_after_is_honoured_then_succeeds() {
    let mut server = Server::new();
    let image = image(REVISION);
    let limited = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_status(429)
        .with_header("retry-after", "1")
        .with_body(r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limit exceeded"}]}"#)
        .expect(1)
        .create();
    let mounted = mount(&mut server, REPO, "staging-latest", &image, None);

    let client = registry(options());
    let started = Instant::now();
    let facts = client
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect("facts after a retry");

    assert_facts(&facts, &image);
    limited.assert();
    mounted.tag.assert();
    assert_eq!(client.stats().retries, 1);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was waited out"
    );
}

#[test]
fn a_500_is_retried_then_succeeds() {
    let mut server = Server::new();
    let image = image(REVISION);
    let broken = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_status(500)
        .expect(1)
        .create();
    let mounted = mount(&mut server, REPO, "staging-latest", &image, None);

    let facts = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect("facts after a retry");

    assert_facts(&facts, &image);
    broken.assert();
    mounted.tag.assert();
}

#[test]
fn a_500_forever_is_a_server_error_after_max_retries() {
    let mut server = Server::new();
    let max_retries = 3;
    let broken = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_status(503)
        .with_body("upstream connect error")
        .expect(1 + max_retries)
        .create();

    let client = registry(RegistryOptions {
        max_retries: max_retries as u32,
        ..options()
    });
    let error = client
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("still failing");

    broken.assert();
    assert!(error.is_transient());
    let host = server.host_with_port();
    assert_eq!(
        error.to_string(),
        format!("{host}/{REPO}:staging-latest: {host} answered 503: server error after 4 attempts")
    );
}

#[test]
fn other_4xx_are_not_retried() {
    let mut server = Server::new();
    let bad = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_status(400)
        .with_body(r#"{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]}"#)
        .expect(1)
        .create();
    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("bad request");
    bad.assert();
    assert!(
        error
            .to_string()
            .ends_with("answered 400: MANIFEST_INVALID: manifest invalid"),
        "{error}"
    );
}

#[test]
fn a_refused_connection_is_retried_then_a_connect_error() {
    // Bind a port, then free it: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let image_ref =
        ImageRef::parse(&format!("127.0.0.1:{port}/{REPO}:staging-latest")).expect("valid");
    let client = registry(options());
    let error = client.lookup(&image_ref).expect_err("nothing listens");
    assert!(matches!(error, RegistryError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains("after 3 attempts"), "{error}");
    assert_eq!(client.stats().requests, 3);
}

// ---------------------------------------------------------------------------------------------
// 6. Timeouts

#[test]
fn a_slow_answer_times_out_within_bounds() {
    let mut server = Server::new();
    let slow = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_body_from_request(|_| {
            std::thread::sleep(Duration::from_millis(1200));
            b"{}".to_vec()
        })
        .expect(1)
        .create();

    let started = Instant::now();
    let error = registry(RegistryOptions {
        timeout: Duration::from_millis(300),
        ..options()
    })
    .lookup(&reference(&server, REPO, "staging-latest"))
    .expect_err("too slow");
    let elapsed = started.elapsed();

    assert!(matches!(error, RegistryError::Timeout { .. }), "{error:?}");
    assert!(
        error.to_string().ends_with("did not answer within 300 ms"),
        "{error}"
    );
    assert!(
        elapsed < Duration::from_millis(1100),
        "gave up after {elapsed:?}"
    );
    slow.assert();
}

// ---------------------------------------------------------------------------------------------
// 7. Malformed answers

#[test]
fn a_malformed_manifest_is_malformed_with_a_reason() {
    let mut server = Server::new();
    let _broken = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_header("content-type", OCI_INDEX)
        .with_body(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"#)
        .create();
    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("malformed");
    assert!(
        matches!(error, RegistryError::Malformed { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("sent a manifest that is not valid JSON"),
        "{error}"
    );
}

#[test]
fn a_malformed_config_is_malformed_with_a_reason() {
    let mut server = Server::new();
    let config = r#"{"architecture":"amd64","created":"#;
    let config_digest = digest_of(config.as_bytes());
    let manifest = manifest_json(config, &config_digest);
    let _tag = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .with_header("content-type", OCI_MANIFEST)
        .with_body(&manifest)
        .create();
    let _blob = server
        .mock("GET", blob_path(REPO, &config_digest).as_str())
        .with_body(config)
        .create();
    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("malformed");
    assert!(
        error
            .to_string()
            .contains("sent an image config that is not valid JSON"),
        "{error}"
    );
}

#[test]
fn content_that_does_not_match_its_digest_is_refused() {
    let mut server = Server::new();
    let image = image(REVISION);
    let mounted = mount(&mut server, REPO, "staging-latest", &image, None);
    mounted.blob.remove();
    let _tampered = server
        .mock("GET", blob_path(REPO, &image.config_digest).as_str())
        .with_body(config_json("0000000", CREATED, "amd64"))
        .create();
    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("tampered");
    assert!(
        error.to_string().contains(&format!(
            "config blob whose content does not match its digest {}",
            image.config_digest
        )),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Blob redirects to storage

#[test]
fn a_blob_redirect_to_storage_drops_the_authorization_header() {
    let mut server = Server::new();
    let mut storage = Server::new();
    let image = image(REVISION);
    let _challenged = server
        .mock("GET", manifest_path(REPO, "staging-latest").as_str())
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", &challenge(&server, REPO))
        .create();
    let _token = mount_token(&mut server, REPO, "tok-storage", None, 1);
    let mounted = mount(
        &mut server,
        REPO,
        "staging-latest",
        &image,
        Some("Bearer tok-storage"),
    );
    mounted.blob.remove();
    let signed = format!(
        "/ghcr1/blobs/sha256/{}?se=2026-04-24T10%3A10%3A00Z&sig=abc",
        &image.config_digest[7..]
    );
    let redirect = server
        .mock("GET", blob_path(REPO, &image.config_digest).as_str())
        .match_header("authorization", "Bearer tok-storage")
        .with_status(307)
        .with_header("location", &format!("{}{signed}", storage.url()))
        .expect(1)
        .create();
    let stored = storage
        .mock("GET", Matcher::Regex("^/ghcr1/blobs/sha256/".into()))
        .match_header("authorization", Matcher::Missing)
        .with_body(&image.config)
        .expect(1)
        .create();
    let leaked = storage
        .mock("GET", Matcher::Any)
        .match_header("authorization", Matcher::Any)
        .expect(0)
        .create();

    let facts = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect("facts through the redirect");

    assert_facts(&facts, &image);
    redirect.assert();
    stored.assert();
    leaked.assert();
}

#[test]
fn a_redirect_without_location_or_in_a_loop_is_refused() {
    let mut server = Server::new();
    let path = manifest_path(REPO, "staging-latest");
    let _looping = server
        .mock("GET", path.as_str())
        .with_status(302)
        .with_header("location", &path)
        .create();
    let error = registry(options())
        .lookup(&reference(&server, REPO, "staging-latest"))
        .expect_err("a loop");
    assert!(
        error
            .to_string()
            .contains("redirected badly: more than 5 redirects"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Docker Hub

fn hub_tag_json(index_digest: &str, amd64_digest: &str) -> String {
    format!(
        r#"{{"creator":7,"id":2,"images":[
{{"architecture":"amd64","features":"","variant":null,"digest":"{amd64_digest}","os":"linux","os_features":"","os_version":null,"size":72925412,"status":"active","last_pulled":"2026-04-24T09:00:00Z","last_pushed":"2026-03-15T08:00:00Z"}},
{{"architecture":"arm64","features":"","variant":"v8","digest":"sha256:{arm}","os":"linux","size":71000000,"status":"active"}}],
"last_updated":"2026-03-15T08:00:01.123456Z","last_updater":1,"last_updater_username":"molecule","name":"staging-latest","repository":3,
"full_size":72925412,"v2":true,"tag_status":"active","tag_last_pulled":"2026-04-24T09:00:00Z","tag_last_pushed":"2026-03-15T08:00:01Z",
"media_type":"application/vnd.oci.image.index.v1+json","content_type":"image","digest":"{index_digest}"}}"#,
        arm = "9".repeat(64)
    )
}

#[test]
fn docker_hub_images_use_the_hub_tag_api_first() {
    let mut hub = Server::new();
    let mut mirror = Server::new();
    let image = image(REVISION);
    let tag = hub
        .mock(
            "GET",
            "/v2/repositories/molecule/platform/tags/staging-latest",
        )
        .match_header("authorization", Matcher::Missing)
        .with_header("content-type", "application/json")
        .with_body(hub_tag_json(&image.index_digest, &image.amd64_digest))
        .expect(1)
        .create();
    let untouched = nothing_expected(&mut mirror);
    let client = registry(RegistryOptions {
        docker_hub_api: Some(hub.url()),
        endpoints: [("docker.io".to_string(), mirror.url())].into(),
        ..options()
    });

    let facts = client
        .lookup(&ImageRef::parse("molecule/platform:staging-latest").expect("valid"))
        .expect("facts from the Hub API");

    tag.assert();
    untouched.assert();
    assert_eq!(facts.source, FactSource::DockerHubApi);
    assert_eq!(facts.digest, image.index_digest);
    assert_eq!(
        facts.platform_digest.as_deref(),
        Some(image.amd64_digest.as_str())
    );
    assert_eq!(
        facts.created,
        Some(1_773_561_601),
        "2026-03-15T08:00:01Z, from last_updated"
    );
    assert_eq!(facts.revision, None, "the Hub API knows no labels");
    assert_eq!(client.stats().requests, 1);
}

#[test]
fn docker_hub_falls_back_to_the_registry_when_the_hub_api_fails() {
    let mut hub = Server::new();
    let mut mirror = Server::new();
    let image = image(REVISION);
    let down = hub
        .mock("GET", Matcher::Any)
        .with_status(503)
        .expect(1)
        .create();
    let mounted = mount(&mut mirror, "library/nginx", "1.27", &image, None);
    let client = registry(RegistryOptions {
        docker_hub_api: Some(hub.url()),
        endpoints: [("docker.io".to_string(), mirror.url())].into(),
        ..options()
    });

    let facts = client
        .lookup(&ImageRef::parse("nginx:1.27").expect("valid"))
        .expect("facts from the registry");

    down.assert();
    mounted.tag.assert();
    mounted.blob.assert();
    assert_facts(&facts, &image);
    assert_eq!(facts.source, FactSource::Registry);
}

// ---------------------------------------------------------------------------------------------
// 10. The disk cache

fn cached_options(dir: &Path) -> RegistryOptions {
    RegistryOptions {
        cache_dir: Some(dir.to_path_buf()),
        ..options()
    }
}

#[test]
fn a_warm_cache_answers_without_any_request() {
    let mut server = Server::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let image = image(REVISION);
    let mounted = mount(&mut server, REPO, "staging-latest", &image, None);
    let image_ref = reference(&server, REPO, "staging-latest");

    let cold = registry(cached_options(dir.path()));
    let first = cold.lookup(&image_ref).expect("facts");
    assert_eq!(first.source, FactSource::Registry);

    let warm = registry(cached_options(dir.path()));
    let second = warm.lookup(&image_ref).expect("cached facts");

    assert_eq!(second.source, FactSource::Cache);
    assert_eq!(
        ImageFacts {
            source: FactSource::Registry,
            ..second
        },
        first
    );
    let stats = warm.stats();
    assert_eq!(stats.requests, 0);
    assert_eq!(stats.cache_hits, 2, "the tag entry and the digest entry");
    mounted.tag.assert();
    mounted.manifest.assert();
    mounted.blob.assert();
}

#[test]
fn an_expired_tag_is_asked_again_but_the_config_is_not() {
    let mut server = Server::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let image = image(REVISION);
    let mounted = mount(&mut server, REPO, "staging-latest", &image, None);
    mounted.tag.remove();
    let tag = mount_tag(&mut server, REPO, "staging-latest", &image, None, 2);
    let image_ref = reference(&server, REPO, "staging-latest");
    let expiring = || RegistryOptions {
        cache_ttl: Duration::ZERO,
        ..cached_options(dir.path())
    };

    registry(expiring()).lookup(&image_ref).expect("facts");
    let again = registry(expiring());
    let facts = again.lookup(&image_ref).expect("facts");

    assert_facts(&facts, &image);
    assert_eq!(
        facts.source,
        FactSource::Registry,
        "the tag was resolved online"
    );
    assert_eq!(again.stats().requests, 1, "the tag only");
    tag.assert();
    mounted.manifest.assert();
    mounted.blob.assert();
}

#[test]
fn a_corrupt_cache_is_ignored_and_rewritten() {
    let mut server = Server::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let image = image(REVISION);
    let mounted = mount(&mut server, REPO, "staging-latest", &image, None);
    mounted.tag.remove();
    let tag = mount_tag(&mut server, REPO, "staging-latest", &image, None, 2);
    let image_ref = reference(&server, REPO, "staging-latest");
    registry(cached_options(dir.path()))
        .lookup(&image_ref)
        .expect("facts");
    mounted.manifest.remove();
    mounted.blob.remove();
    let mounted = mount(&mut server, REPO, "unused", &image, None);
    mounted.tag.remove();

    let mut corrupted = 0;
    for entry in walk(dir.path()) {
        std::fs::write(&entry, b"{\"key\": \"truncated").expect("overwrite");
        corrupted += 1;
    }
    assert_eq!(corrupted, 2, "one tag entry and one digest entry");

    let client = registry(cached_options(dir.path()));
    let facts = client
        .lookup(&image_ref)
        .expect("facts despite the corrupt cache");
    assert_facts(&facts, &image);
    assert_eq!(client.stats().cache_hits, 0);
    tag.assert();
    mounted.manifest.assert();
    mounted.blob.assert();

    let rewarmed = registry(cached_options(dir.path()));
    rewarmed.lookup(&image_ref).expect("cached");
    assert_eq!(rewarmed.stats().requests, 0, "the entries were rewritten");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

// ---------------------------------------------------------------------------------------------
// 11. Offline

#[test]
fn offline_sends_nothing_and_uses_only_the_cache() {
    let mut server = Server::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let image = image(REVISION);
    let image_ref = reference(&server, REPO, "staging-latest");
    let untouched = nothing_expected(&mut server);
    let offline = || RegistryOptions {
        offline: true,
        ..cached_options(dir.path())
    };

    let client = registry(offline());
    let error = client.lookup(&image_ref).expect_err("nothing cached");
    assert_eq!(
        error,
        RegistryError::Offline {
            image: format!("{}/{REPO}:staging-latest", server.host_with_port())
        }
    );
    assert!(error
        .remedy()
        .is_some_and(|r| r.contains("without offline mode")));
    assert_eq!(client.stats().requests, 0);
    untouched.assert();
    untouched.remove();

    let mounted = mount(&mut server, REPO, "staging-latest", &image, None);
    registry(cached_options(dir.path()))
        .lookup(&image_ref)
        .expect("online once");
    let untouched = nothing_expected(&mut server);
    let client = registry(offline());
    let facts = client.lookup(&image_ref).expect("answered from the cache");
    assert_eq!(facts.source, FactSource::Cache);
    assert_facts(&facts, &image);
    assert_eq!(client.stats().requests, 0);
    mounted.blob.assert();
    untouched.assert();
}

// ---------------------------------------------------------------------------------------------
// 12. Many lookups

#[test]
fn lookup_all_keeps_order_and_asks_once_per_image() {
    let mut server = Server::new();
    let revisions: Vec<String> = (0..20)
        .map(|i| format!("{i:02}{}", &REVISION[2..]))
        .collect();
    let mut mounts = Vec::new();
    let mut refs = Vec::new();
    for (i, revision) in revisions.iter().enumerate() {
        let repo = format!("team/service-{i:02}");
        mounts.push(mount(
            &mut server,
            &repo,
            "staging-latest",
            &image(revision),
            None,
        ));
        refs.push(reference(&server, &repo, "staging-latest"));
    }
    // Every image once, then a few again, out of order.
    let mut input = refs.clone();
    input.extend([3, 17, 0, 3, 11].map(|i| refs[i].clone()));
    let expected: Vec<&str> = (0..20)
        .chain([3, 17, 0, 3, 11])
        .map(|i| revisions[i].as_str())
        .collect();

    let client = registry(RegistryOptions {
        max_in_flight: 4,
        ..options()
    });
    let results = client.lookup_all(&input);

    let got: Vec<&str> = results
        .iter()
        .map(|r| {
            r.as_ref()
                .expect("facts")
                .revision
                .as_deref()
                .expect("revision")
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        client.stats().requests,
        60,
        "3 requests for each of 20 distinct images"
    );
    for mounted in &mounts {
        mounted.tag.assert();
        mounted.manifest.assert();
        mounted.blob.assert();
    }
}

#[test]
fn lookup_all_never_has_more_than_max_in_flight_requests() {
    let mut server = Server::new();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, top) = (Arc::clone(&in_flight), Arc::clone(&peak));
    // Chunked bodies run on their own threads in mockito, so slow answers overlap.
    let _slow = server
        .mock("GET", Matcher::Regex("^/v2/team/".into()))
        .with_status(404)
        .with_chunked_body(move |writer| {
            let current = now.fetch_add(1, Ordering::SeqCst) + 1;
            top.fetch_max(current, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(60));
            now.fetch_sub(1, Ordering::SeqCst);
            writer.write_all(b"{}")
        })
        .create();
    let refs: Vec<ImageRef> = (0..12)
        .map(|i| reference(&server, &format!("team/app-{i}"), "latest"))
        .collect();

    let results = registry(RegistryOptions {
        max_in_flight: 3,
        ..options()
    })
    .lookup_all(&refs);

    assert!(results
        .iter()
        .all(|r| matches!(r, Err(RegistryError::NotFound { .. }))));
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 3, "{peak} requests were in flight");
    assert!(peak >= 2, "lookups did overlap ({peak})");
}

// ---------------------------------------------------------------------------------------------
// 13. Secrets never reach a message

const TOKEN: &str = "ghp_R3gistryT0kenThatMustNeverLeak0123456789";
const BEARER: &str = "issued-bearer-Zx81Qm2v";

/// Echoes the request's Authorization header back inside a registry error, as a careless
/// proxy might.
fn echo(request: &mockito::Request) -> Vec<u8> {
    let auth = request
        .header("authorization")
        .first()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    format!(r#"{{"errors":[{{"code":"DENIED","message":"denied for {auth}"}}]}}"#).into_bytes()
}

#[test]
fn no_error_message_ever_holds_a_secret() {
    let mut server = Server::new();
    let host = server.host_with_port();
    let image = image(REVISION);
    // A Basic login whose base64 form would also be a leak.
    let credentials = Credentials::new()
        .with_basic(&host, "ci-bot", TOKEN)
        .with_basic("ghcr.io", "ci-bot", TOKEN);
    let basic = format!(
        "Basic {}",
        "Y2ktYm90OmdocF9SM2dpc3RyeVQwa2VuVGhhdE11c3ROZXZlckxlYWswMTIzNDU2Nzg5"
    );
    let secrets = [
        TOKEN.to_string(),
        BEARER.to_string(),
        basic["Basic ".len()..].to_string(),
    ];

    // Every repository below first challenges for a token, issued for the Basic login.
    let _challenge = server
        .mock("GET", Matcher::Regex("^/v2/".into()))
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header(
            "www-authenticate",
            &format!(r#"Bearer realm="{}/token",service="{host}""#, server.url()),
        )
        .create();
    let _token = server
        .mock("GET", "/token")
        .match_query(Matcher::Regex("scope=repository%3Afault%2F".into()))
        .match_header("authorization", basic.as_str())
        .with_body(format!(r#"{{"token":"{BEARER}"}}"#))
        .create();
    let _token_echo = server
        .mock("GET", "/token")
        .match_query(Matcher::Regex("scope=repository%3Arefused%2F".into()))
        .with_status(401)
        .with_body_from_request(echo)
        .create();
    let faults: [(&str, usize, &str); 7] = [
        ("fault/denied", 403, ""),
        ("fault/unauthorized", 401, ""),
        ("fault/bad-request", 400, ""),
        ("fault/missing", 404, ""),
        ("fault/limited", 429, "1"),
        ("fault/broken", 500, ""),
        ("fault/garbage", 200, ""),
    ];
    for (repo, status, retry_after) in faults {
        let mut mock = server
            .mock("GET", manifest_path(repo, "staging-latest").as_str())
            .match_header("authorization", Matcher::Exact(format!("Bearer {BEARER}")))
            .with_status(status)
            .with_body_from_request(echo);
        if !retry_after.is_empty() {
            mock = mock.with_header("retry-after", "0");
        }
        mock.create();
    }
    let _redirect = server
        .mock(
            "GET",
            manifest_path("fault/redirect", "staging-latest").as_str(),
        )
        .match_header("authorization", Matcher::Exact(format!("Bearer {BEARER}")))
        .with_status(302)
        .create();
    let slow_body = echo_slowly();
    let _slow = server
        .mock(
            "GET",
            manifest_path("fault/slow", "staging-latest").as_str(),
        )
        .match_header("authorization", Matcher::Exact(format!("Bearer {BEARER}")))
        .with_body_from_request(slow_body)
        .create();
    let mounted = mount(
        &mut server,
        "fault/ok",
        "staging-latest",
        &image,
        Some(&format!("Bearer {BEARER}")),
    );

    let client = registry(RegistryOptions {
        credentials: credentials.clone(),
        max_retries: 1,
        timeout: Duration::from_millis(300),
        ..options()
    });
    // The working image first: the slow fault below stalls this (single-threaded) mock
    // server for a while, so it comes last.
    assert!(client
        .lookup(&reference(&server, "fault/ok", "staging-latest"))
        .is_ok());
    mounted.blob.assert();
    let repos = [
        "fault/denied",
        "fault/unauthorized",
        "fault/bad-request",
        "fault/missing",
        "fault/limited",
        "fault/broken",
        "fault/garbage",
        "fault/redirect",
        "refused/private",
        "fault/slow",
    ];
    let mut errors: Vec<RegistryError> = repos
        .iter()
        .map(|repo| {
            client
                .lookup(&reference(&server, repo, "staging-latest"))
                .expect_err(repo)
        })
        .collect();
    errors.push(
        client
            .lookup(
                &ImageRef::parse(&format!("{host}/fault/ok:${{{{ secrets.GHCR_TOKEN }}}}"))
                    .expect("a templated reference parses"),
            )
            .expect_err("templated"),
    );
    let kinds: Vec<&str> = errors.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "Unauthorized",
            "Unauthorized",
            "Http",
            "NotFound",
            "RateLimited",
            "Server",
            "Malformed",
            "Redirect",
            "Unauthorized",
            "Timeout",
            "Invalid"
        ]
    );
    let denied = errors[0].to_string();
    assert!(
        denied.contains("denied for Bearer [redacted]"),
        "the echo was masked: {denied}"
    );
    for error in &errors {
        for text in [error.to_string(), format!("{error:?}")] {
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{text}");
            }
        }
    }
    for text in [
        format!("{credentials:?}"),
        format!("{client:?}"),
        format!(
            "{:?}",
            RegistryOptions {
                credentials,
                ..options()
            }
        ),
    ] {
        assert!(
            !text.contains(TOKEN) && text.contains("[redacted]"),
            "{text}"
        );
    }
}

/// A body that arrives after the client's 300 ms timeout.
fn echo_slowly() -> impl Fn(&mockito::Request) -> Vec<u8> + Send + Sync + 'static {
    |request| {
        std::thread::sleep(Duration::from_millis(500));
        echo(request)
    }
}

fn kind(error: &RegistryError) -> &'static str {
    match error {
        RegistryError::Offline { .. } => "Offline",
        RegistryError::Invalid { .. } => "Invalid",
        RegistryError::Unauthorized { .. } => "Unauthorized",
        RegistryError::NotFound { .. } => "NotFound",
        RegistryError::NoPlatform { .. } => "NoPlatform",
        RegistryError::RateLimited { .. } => "RateLimited",
        RegistryError::Server { .. } => "Server",
        RegistryError::Http { .. } => "Http",
        RegistryError::Timeout { .. } => "Timeout",
        RegistryError::Connect { .. } => "Connect",
        RegistryError::Malformed { .. } => "Malformed",
        RegistryError::Redirect { .. } => "Redirect",
        RegistryError::Setup { .. } => "Setup",
    }
}

// ---------------------------------------------------------------------------------------------
// 14. Credentials from docker config and the environment

const DOCKER_CONFIG: &str = r#"{
  "auths": {
    "https://index.docker.io/v1/": { "auth": "aHViLXVzZXI6aHViLXBhc3N3b3Jk" },
    "ghcr.io": { "username": "octocat", "password": "ghp_fromDockerLogin" },
    "registry.example.com:5000": { "auth": "b2F1dGg6", "identitytoken": "refresh-abc" },
    "broken.example.com": { "auth": "!!!not base64!!!" },
    "empty.example.com": {}
  },
  "credsStore": "desktop"
}"#;

#[test]
fn docker_config_auths_are_read_in_every_form() {
    let credentials = Credentials::from_docker_config(DOCKER_CONFIG);
    assert_eq!(
        credentials.registries(),
        ["docker.io", "ghcr.io", "registry.example.com:5000"]
    );
    // Each form decodes to the right secret.
    let one = |registry: &str, entry: &str| {
        Credentials::from_docker_config(&format!(r#"{{"auths":{{"{registry}":{entry}}}}}"#))
    };
    assert_eq!(
        one(
            "https://index.docker.io/v1/",
            r#"{"auth":"aHViLXVzZXI6aHViLXBhc3N3b3Jk"}"#
        ),
        Credentials::new().with_basic("docker.io", "hub-user", "hub-password")
    );
    assert_eq!(
        one(
            "ghcr.io",
            r#"{"username":"octocat","password":"ghp_fromDockerLogin"}"#
        ),
        Credentials::new().with_basic("ghcr.io", "octocat", "ghp_fromDockerLogin")
    );
    assert_eq!(
        one("r.example", r#"{"identitytoken":"refresh-abc"}"#),
        Credentials::new().with_identity_token("r.example", "refresh-abc")
    );
    assert_eq!(
        credentials.describe("index.docker.io").as_deref(),
        Some("user hub-user")
    );
    assert_eq!(
        credentials.describe("registry.example.com:5000").as_deref(),
        Some("identity token")
    );
    let debug = format!("{credentials:?}");
    for secret in [
        "hub-password",
        "ghp_fromDockerLogin",
        "refresh-abc",
        "aHViLXVzZXI6aHViLXBhc3N3b3Jk",
    ] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(
        debug.contains("hub-user") && debug.contains("[redacted]"),
        "{debug}"
    );

    for corrupt in [
        "",
        "{",
        "[]",
        r#"{"auths": []}"#,
        r#"{"auths": {"x": "y"}}"#,
    ] {
        assert!(
            Credentials::from_docker_config(corrupt).is_empty(),
            "{corrupt:?}"
        );
    }
}

#[test]
fn environment_sources_and_their_precedence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docker_dir = dir.path().join("docker");
    std::fs::create_dir_all(&docker_dir).expect("mkdir");
    std::fs::write(docker_dir.join("config.json"), DOCKER_CONFIG).expect("write");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".docker")).expect("mkdir");
    std::fs::write(
        home.join(".docker").join("config.json"),
        r#"{"auths":{"quay.io":{"auth":"cXVheTpxdWF5LXB3"}}}"#,
    )
    .expect("write");
    let env = |pairs: Vec<(&'static str, String)>| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let docker_config = docker_dir.display().to_string();
    let home_dir = home.display().to_string();

    // DOCKER_CONFIG wins over HOME.
    let from_override = Credentials::from_lookup(env(vec![
        ("DOCKER_CONFIG", docker_config.clone()),
        ("HOME", home_dir.clone()),
    ]));
    assert_eq!(
        from_override.describe("ghcr.io").as_deref(),
        Some("user octocat")
    );
    assert_eq!(from_override.describe("quay.io"), None);
    // Without it, HOME's.
    let from_home = Credentials::from_lookup(env(vec![("HOME", home_dir.clone())]));
    assert_eq!(from_home.registries(), ["quay.io"]);
    // GHCR_TOKEN beats docker login for ghcr.io; GITHUB_TOKEN does not.
    let ghcr = Credentials::from_lookup(env(vec![
        ("DOCKER_CONFIG", docker_config.clone()),
        ("GHCR_TOKEN", "ghp_explicit".into()),
        ("GITHUB_TOKEN", "ghs_actions".into()),
    ]));
    assert_eq!(ghcr.describe("ghcr.io").as_deref(), Some("user drift-lint"));
    let actions = Credentials::from_lookup(env(vec![
        ("DOCKER_CONFIG", docker_config),
        ("GITHUB_TOKEN", "ghs_actions".into()),
    ]));
    assert_eq!(actions.describe("ghcr.io").as_deref(), Some("user octocat"));
    // GITHUB_TOKEN alone serves ghcr.io, as GITHUB_ACTOR.
    let token_only = Credentials::from_lookup(env(vec![
        ("GITHUB_TOKEN", "ghs_actions".into()),
        ("GITHUB_ACTOR", "molecule-bot".into()),
    ]));
    assert_eq!(
        token_only,
        Credentials::new().with_basic("ghcr.io", "molecule-bot", "ghs_actions")
    );
    // An empty token is no token.
    assert!(Credentials::from_lookup(env(vec![("GHCR_TOKEN", " ".into())])).is_empty());

    // A corrupt or unreadable config is ignored.
    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir_all(&corrupt).expect("mkdir");
    std::fs::write(corrupt.join("config.json"), b"{\"auths\": {\x00").expect("write");
    assert!(
        Credentials::from_lookup(env(vec![("DOCKER_CONFIG", corrupt.display().to_string())]))
            .is_empty()
    );
    let unreadable = dir.path().join("unreadable");
    std::fs::create_dir_all(unreadable.join("config.json"))
        .expect("a directory where the file should be");
    assert!(Credentials::from_lookup(env(vec![(
        "DOCKER_CONFIG",
        unreadable.display().to_string()
    )]))
    .is_empty());
    assert!(Credentials::from_lookup(env(vec![])).is_empty());
}

#[test]
fn invalid_references_and_options_are_refused_without_requests() {
    let client = registry(options());
    for text in ["${{ env.IMAGE }}:latest", "ghcr.io/org/app:${TAG}"] {
        let image = ImageRef::parse(text).expect("parses");
        let error = client.lookup(&image).expect_err("templated");
        assert!(error.to_string().contains("holds a template"), "{error}");
    }
    assert_eq!(client.stats().requests, 0);
    let error = Registry::new(RegistryOptions {
        platform: "amd64".into(),
        ..options()
    })
    .expect_err("bad platform");
    assert_eq!(
        error.to_string(),
        "cannot set up the registry client: platform `amd64` is not os/architecture[/variant]"
    );
}
