//! Registry client benchmark: 200 images behind a slow loopback registry.
//!
//! `cargo bench --bench registry`. A mockito server on 127.0.0.1 serves 200 distinct images
//! (OCI index -> amd64 manifest -> config blob), each answer delayed by 20 ms the way a real
//! registry's latency would delay it. We time cold lookups with one request in flight, cold
//! lookups with eight, a warm pass from the disk cache, and a pass after the tag TTL expired
//! (tags asked again, configs not). It prints a table; it asserts nothing about time.
//!
//! The delay runs in mockito's chunked-body threads, so slow answers overlap the way they
//! would on a real registry (a sleeping `with_body_from_request` would stall its one
//! runtime thread and serialize everything).

use std::io::Write;
use std::time::{Duration, Instant};

use drift_lint::image::ImageRef;
use drift_lint::registry::{digest_of, Credentials, Registry, RegistryOptions, Stats};
use mockito::{Mock, Server, ServerGuard};

const IMAGES: usize = 200;
const DELAY: Duration = Duration::from_millis(20);
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// One image's three documents and their digests.
struct Image {
    index: String,
    index_digest: String,
    manifest: String,
    manifest_digest: String,
    config: String,
    config_digest: String,
}

fn image(i: usize) -> Image {
    let revision = format!("{i:04x}{}", "c0ffee".repeat(6));
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","created":"2026-04-{day:02}T09:30:12.123456789Z","config":{{"Labels":{{"org.opencontainers.image.revision":"{revision}","org.opencontainers.image.source":"https://github.com/molecule-ai/service-{i}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#,
        day = 1 + i % 28
    );
    let config_digest = digest_of(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    let manifest_digest = digest_of(manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{manifest_digest}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        manifest.len()
    );
    let index_digest = digest_of(index.as_bytes());
    Image {
        index,
        index_digest,
        manifest,
        manifest_digest,
        config,
        config_digest,
    }
}

/// A mock answering `body` after [`DELAY`].
fn slow(
    server: &mut ServerGuard,
    path: &str,
    content_type: &str,
    digest: &str,
    body: String,
) -> Mock {
    server
        .mock("GET", path)
        .with_header("content-type", content_type)
        .with_header("docker-content-digest", digest)
        .with_chunked_body(move |writer: &mut dyn Write| {
            std::thread::sleep(DELAY);
            writer.write_all(body.as_bytes())
        })
        .create()
}

fn serve(server: &mut ServerGuard) -> (Vec<ImageRef>, Vec<Mock>) {
    let host = server.host_with_port();
    let mut refs = Vec::with_capacity(IMAGES);
    let mut mocks = Vec::with_capacity(IMAGES * 3);
    for i in 0..IMAGES {
        let repo = format!("bench/service-{i:03}");
        let doc = image(i);
        mocks.push(slow(
            server,
            &format!("/v2/{repo}/manifests/staging-latest"),
            OCI_INDEX,
            &doc.index_digest,
            doc.index,
        ));
        mocks.push(slow(
            server,
            &format!("/v2/{repo}/manifests/{}", doc.manifest_digest),
            OCI_MANIFEST,
            &doc.manifest_digest,
            doc.manifest,
        ));
        mocks.push(slow(
            server,
            &format!("/v2/{repo}/blobs/{}", doc.config_digest),
            "application/octet-stream",
            &doc.config_digest,
            doc.config,
        ));
        match ImageRef::parse(&format!("{host}/{repo}:staging-latest")) {
            Ok(image) => refs.push(image),
            Err(error) => eprintln!("skipping {repo}: {error}"),
        }
    }
    (refs, mocks)
}

fn options(cache: &std::path::Path, max_in_flight: usize, ttl: Duration) -> RegistryOptions {
    RegistryOptions {
        max_in_flight,
        cache_dir: Some(cache.to_path_buf()),
        cache_ttl: ttl,
        credentials: Credentials::new(),
        docker_hub_api: None,
        timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(50),
        ..RegistryOptions::from_lookup(|_| None)
    }
}

/// One pass over every image with a fresh client: wall time, stats, failures.
fn pass(refs: &[ImageRef], options: RegistryOptions) -> (Duration, Stats, usize) {
    let registry = match Registry::new(options) {
        Ok(registry) => registry,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let results = registry.lookup_all(refs);
    let elapsed = started.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
        eprintln!("first failure: {error}");
    }
    (elapsed, registry.stats(), failed)
}

fn main() {
    let mut server = Server::new();
    let (refs, _mocks) = serve(&mut server);
    let (Ok(serial_cache), Ok(parallel_cache)) = (tempfile::tempdir(), tempfile::tempdir()) else {
        eprintln!("cannot create cache folders");
        std::process::exit(2);
    };
    let hour = Duration::from_secs(3600);

    println!(
        "registry client: {} images (index -> manifest -> config), {} ms per answer, loopback mockito\n",
        refs.len(),
        DELAY.as_millis()
    );
    println!(
        "{:<40} {:>9} {:>9} {:>8} {:>7} {:>7}",
        "pass", "wall ms", "requests", "retries", "hits", "failed"
    );
    let rows = [
        (
            "(a) cold, max_in_flight = 1",
            options(serial_cache.path(), 1, hour),
        ),
        (
            "(b) cold, max_in_flight = 8",
            options(parallel_cache.path(), 8, hour),
        ),
        (
            "(c) warm cache, max_in_flight = 8",
            options(parallel_cache.path(), 8, hour),
        ),
        (
            "(d) tag TTL expired, max_in_flight = 8",
            options(parallel_cache.path(), 8, Duration::ZERO),
        ),
    ];
    for (label, options) in rows {
        let (elapsed, stats, failed) = pass(&refs, options);
        println!(
            "{:<40} {:>9.0} {:>9} {:>8} {:>7} {:>7}",
            label,
            elapsed.as_secs_f64() * 1000.0,
            stats.requests,
            stats.retries,
            stats.cache_hits,
            failed
        );
    }
}
