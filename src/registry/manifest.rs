//! Manifests, indexes and image configs: just the fields that say when an image was built
//! and from which commit.
//!
//! Parsing is lenient about what we do not use and strict about what we do: a digest that
//! goes into a URL must look like a digest, an index must list manifests, a manifest must
//! name its config. Every failure is a reason string for [`super::RegistryError::Malformed`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use super::time::parse_rfc3339;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The `Accept` header for a manifest request: all four types we read.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Config media types that are image configs (with `created` and `config.Labels`). Artifacts
/// (Helm charts, signatures) have other config types and no build facts.
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// The OCI label that ties an image to the commit it was built from.
pub const REVISION_LABEL: &str = "org.opencontainers.image.revision";
/// The OCI label for the build time, used when the config's own `created` is missing or a
/// reproducible-build placeholder.
pub const CREATED_LABEL: &str = "org.opencontainers.image.created";

/// Before this (1980-01-01) a `created` is a placeholder (`1970-01-01` from
/// `SOURCE_DATE_EPOCH=0`, `0001-01-01` from ko), not a build time.
const PLAUSIBLE_SINCE: i64 = 315_532_800;

/// A platform as `os/architecture[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`.
    pub fn parse(text: &str) -> Option<Platform> {
        let mut parts = text.trim().split('/');
        let os = parts.next().filter(|s| !s.is_empty())?.to_ascii_lowercase();
        let architecture = parts.next().filter(|s| !s.is_empty())?.to_ascii_lowercase();
        let variant = parts.next().map(str::to_ascii_lowercase);
        if parts.next().is_some() || variant.as_deref() == Some("") {
            return None;
        }
        Some(Platform {
            os,
            architecture,
            variant,
        })
    }

    /// The variant with defaults filled in, so `linux/arm64` and `linux/arm64/v8` are the
    /// same platform (as containerd treats them).
    fn normalized_variant(&self) -> Option<&str> {
        match (self.architecture.as_str(), self.variant.as_deref()) {
            ("arm64", None) => Some("v8"),
            (_, variant) => variant,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// A manifest or index entry pointing at other content.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub platform: Option<RawPlatform>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl RawPlatform {
    fn platform(&self) -> Platform {
        Platform {
            os: self.os.to_ascii_lowercase(),
            architecture: self.architecture.to_ascii_lowercase(),
            variant: self
                .variant
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(str::to_ascii_lowercase),
        }
    }
}

/// What a manifest request returned.
#[derive(Debug, Clone)]
pub enum Manifest {
    /// An OCI index or Docker manifest list.
    Index(Vec<Descriptor>),
    /// A single-platform manifest and its config descriptor.
    Image(Descriptor),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<u64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
}

/// Parses a manifest body. The kind comes from the body's `mediaType`, else the response's
/// `Content-Type`, else the shape (`manifests` or `config`).
pub fn parse_manifest(body: &[u8], content_type: Option<&str>) -> Result<Manifest, String> {
    let raw: RawManifest = serde_json::from_slice(body)
        .map_err(|e| format!("a manifest that is not valid JSON ({e})"))?;
    let declared = raw
        .media_type
        .as_deref()
        .or_else(|| content_type.map(|c| c.split(';').next().unwrap_or(c).trim()));
    if raw.schema_version == Some(1)
        || declared
            .is_some_and(|t| t.starts_with("application/vnd.docker.distribution.manifest.v1"))
    {
        return Err("a schema 1 manifest, which is not supported; re-push the image".into());
    }
    let is_index = match declared {
        Some(OCI_INDEX | DOCKER_LIST) => true,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
        _ => raw.manifests.is_some(),
    };
    if is_index {
        let entries = raw
            .manifests
            .ok_or_else(|| "an index without a `manifests` list".to_string())?;
        for entry in &entries {
            check_digest(&entry.digest, "an index entry")?;
        }
        return Ok(Manifest::Index(entries));
    }
    let config = raw
        .config
        .ok_or_else(|| "a manifest without a `config` descriptor".to_string())?;
    check_digest(&config.digest, "the manifest's config")?;
    Ok(Manifest::Image(config))
}

/// A digest is `sha256:<64 hex>` or `sha512:<128 hex>`, lowercase; anything else must not
/// reach a URL.
pub fn check_digest(digest: &str, what: &str) -> Result<(), String> {
    if is_digest(digest) {
        Ok(())
    } else if digest.is_empty() {
        Err(format!("{what} without a digest"))
    } else {
        Err(format!(
            "{what} with an invalid digest `{}`",
            shorten(digest)
        ))
    }
}

pub fn is_digest(digest: &str) -> bool {
    let hex_len = match digest.split_once(':') {
        Some(("sha256", hex)) if hex.len() == 64 => hex,
        Some(("sha512", hex)) if hex.len() == 128 => hex,
        _ => return false,
    };
    hex_len
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// At most 80 characters of server text, on one line.
pub fn shorten(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(80)
        .collect();
    if text.chars().count() > 80 {
        format!("{line}...")
    } else {
        line
    }
}

/// Is this index entry an attestation or other non-runnable entry? BuildKit stores
/// provenance and SBOMs as `unknown/unknown` entries annotated
/// `vnd.docker.reference.type: attestation-manifest`.
fn is_attestation(entry: &Descriptor) -> bool {
    let annotated = entry
        .annotations
        .as_ref()
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest");
    let unknown = entry
        .platform
        .as_ref()
        .is_some_and(|p| p.os == "unknown" || p.architecture == "unknown");
    annotated || unknown
}

/// The entry for `want`: an exact os/architecture/variant match first; when `want` names no
/// variant, the first entry with the right os and architecture. Attestations never match.
/// On no match, the platforms the index does list.
pub fn pick_platform<'a>(
    entries: &'a [Descriptor],
    want: &Platform,
) -> Result<&'a Descriptor, Vec<String>> {
    let candidates: Vec<(&Descriptor, Platform)> = entries
        .iter()
        .filter(|e| !is_attestation(e))
        .filter_map(|e| e.platform.as_ref().map(|p| (e, p.platform())))
        .collect();
    let same_machine = |p: &Platform| p.os == want.os && p.architecture == want.architecture;
    let exact = candidates
        .iter()
        .find(|(_, p)| same_machine(p) && p.normalized_variant() == want.normalized_variant());
    let loose = || {
        candidates
            .iter()
            .find(|(_, p)| want.variant.is_none() && same_machine(p))
    };
    match exact.or_else(loose) {
        Some((entry, _)) => Ok(entry),
        None => Err(candidates.iter().map(|(_, p)| p.to_string()).collect()),
    }
}

/// Whether a config descriptor points at an image config worth fetching.
pub fn is_image_config(config: &Descriptor) -> bool {
    config
        .media_type
        .as_deref()
        .is_none_or(|t| IMAGE_CONFIGS.contains(&t))
}

/// What an image config says about the build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFacts {
    pub created: Option<i64>,
    pub revision: Option<String>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    created: Option<serde_json::Value>,
    #[serde(default)]
    config: Option<RawRuntime>,
}

#[derive(Deserialize)]
struct RawRuntime {
    #[serde(default, rename = "Labels")]
    labels: Option<BTreeMap<String, serde_json::Value>>,
}

/// Build time and revision from an image config. `created` is the config's own field when it
/// is a plausible date, else the `org.opencontainers.image.created` label; a missing or
/// unreadable date is `None`, not an error (the revision may still be there).
pub fn parse_config(body: &[u8]) -> Result<ConfigFacts, String> {
    let raw: RawConfig = serde_json::from_slice(body)
        .map_err(|e| format!("an image config that is not valid JSON ({e})"))?;
    let labels = raw.config.and_then(|c| c.labels).unwrap_or_default();
    let label = |name: &str| {
        labels
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let plausible = |t: &i64| *t >= PLAUSIBLE_SINCE;
    let created = raw
        .created
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(parse_rfc3339)
        .filter(plausible)
        .or_else(|| {
            label(CREATED_LABEL)
                .as_deref()
                .and_then(parse_rfc3339)
                .filter(plausible)
        });
    Ok(ConfigFacts {
        created,
        revision: label(REVISION_LABEL),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

    fn index() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
                {{"mediaType":"{OCI_MANIFEST}","digest":"{D3}","size":1,
                  "platform":{{"architecture":"unknown","os":"unknown"}},
                  "annotations":{{"vnd.docker.reference.type":"attestation-manifest"}}}},
                {{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":1,
                  "platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},
                {{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":1,
                  "platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#
        )
    }

    #[test]
    fn picks_platforms_and_skips_attestations() {
        let Ok(Manifest::Index(entries)) = parse_manifest(index().as_bytes(), None) else {
            panic!("an index");
        };
        let pick = |p: &str| {
            pick_platform(&entries, &Platform::parse(p).expect("platform"))
                .map(|d| d.digest.clone())
        };
        assert_eq!(pick("linux/amd64"), Ok(D1.to_string()));
        assert_eq!(pick("linux/arm64"), Ok(D2.to_string()));
        assert_eq!(pick("linux/arm64/v8"), Ok(D2.to_string()));
        assert_eq!(
            pick("linux/s390x"),
            Err(vec![
                "linux/arm64/v8".to_string(),
                "linux/amd64".to_string()
            ])
        );
        assert_eq!(
            pick("unknown/unknown").map(|_| ()),
            Err(vec![
                "linux/arm64/v8".to_string(),
                "linux/amd64".to_string()
            ])
        );
    }

    #[test]
    fn manifests_need_valid_digests() {
        let bad = br#"{"schemaVersion":2,"config":{"digest":"sha256:../../etc"}}"#;
        assert!(parse_manifest(bad, None)
            .expect_err("refused")
            .contains("invalid digest"));
        let none =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
        assert!(parse_manifest(none, None)
            .expect_err("refused")
            .contains("without a `config`"));
        assert!(parse_manifest(b"[1,2]", None).is_err());
        assert!(
            parse_manifest(br#"{"schemaVersion":1,"fsLayers":[]}"#, None)
                .expect_err("refused")
                .contains("schema 1")
        );
    }

    #[test]
    fn config_facts_with_fallbacks() {
        let config = br#"{"created":"2026-04-21T09:30:12.123456789Z","config":{"Labels":{"org.opencontainers.image.revision":"a14cf86"}}}"#;
        assert_eq!(
            parse_config(config),
            Ok(ConfigFacts {
                created: Some(1_776_763_812),
                revision: Some("a14cf86".into())
            })
        );
        let placeholder = br#"{"created":"1970-01-01T00:00:00Z","config":{"Labels":{"org.opencontainers.image.created":"2026-04-21T09:30:12Z"}}}"#;
        assert_eq!(
            parse_config(placeholder).map(|f| f.created),
            Ok(Some(1_776_763_812))
        );
        let bare = br#"{"architecture":"amd64","config":{"Labels":null}}"#;
        assert_eq!(parse_config(bare), Ok(ConfigFacts::default()));
        assert!(parse_config(b"{").is_err());
    }

    #[test]
    fn platform_strings() {
        assert_eq!(
            Platform::parse("linux/arm/v7").map(|p| p.to_string()),
            Some("linux/arm/v7".into())
        );
        assert_eq!(Platform::parse("linux"), None);
        assert_eq!(Platform::parse("linux/amd64/"), None);
        assert_eq!(Platform::parse("a/b/c/d"), None);
    }
}
