//! Image references (`registry/namespace/name:tag@digest`) and the tag grammar.
//!
//! Parsing follows the distribution reference grammar (the one `docker pull` uses), extended
//! for what config files really hold: GitHub Actions expressions (`${{ ... }}`), shell and
//! dotenv variables (`${VAR}`, `${VAR:-default}`, `$VAR`) and docker/metadata-action
//! placeholders (`{{sha}}`). Templates are opaque: the parser never splits inside one, keeps
//! their text as written and skips grammar checks on the pieces that contain one.
//!
//! Tag classification exists to tell a tag that pins one commit (`staging-a14cf86`, the
//! 2026-04-24 incident) from a floating tag (`staging-latest`, `latest`), a release version, a
//! dated build or a digest, so rules can say what a reference pins and what to float on.

use regex::Regex;
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

/// The registry a reference without one resolves to.
const DOCKER_HUB: &str = "docker.io";

/// Scheme-like prefixes that name an image rather than a URL: `uses: docker://alpine:3.19` in
/// GitHub Actions and `docker-image://` in buildx build contexts. Longest first.
const IMAGE_SCHEMES: [&str; 2] = ["docker-image://", "docker://"];

/// A parsed image reference. Byte ranges point into the exact string given to
/// [`ImageRef::parse`], so diagnostics can underline the tag or digest in the source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `"docker.io"` when absent (Docker Hub default); `"ghcr.io"`, `"localhost:5000"`,
    /// `"127.0.0.1:5000"`. Empty when the name starts with a template (`${{ env.IMAGE }}`,
    /// `$REGISTRY/app`): the template may expand to a registry, a namespace or the whole name,
    /// so the registry is unknown rather than Docker Hub.
    pub registry: String,
    /// Path without registry; Docker Hub official images get `library/`
    /// (`nginx` -> `library/nginx`). Templated text is kept as written.
    pub repository: String,
    /// Tag text as written (templates included), without the `:`.
    pub tag: Option<String>,
    /// `algorithm:hex` after `@`, e.g. `sha256:<64 hex>`.
    pub digest: Option<String>,
    /// Byte range of the tag text inside the parsed input (without `:`).
    pub tag_range: Option<Range<usize>>,
    /// Byte range of the digest text inside the parsed input (without `@`).
    pub digest_range: Option<Range<usize>>,
}

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRefError {
    reason: String,
}

impl ImageRefError {
    fn new(reason: impl Into<String>) -> Self {
        ImageRefError {
            reason: reason.into(),
        }
    }

    /// The one-line reason, without the "invalid image reference" lead-in.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid image reference: {}", self.reason)
    }
}

impl std::error::Error for ImageRefError {}

/// What a tag (or a whole reference, see [`ImageRef::kind`]) pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagKind {
    /// A tag naming one commit: `"staging-a14cf86"` -> sha `"a14cf86"`, prefix `"staging-"`,
    /// suffix `""`; `"a14cf86-amd64"` -> prefix `""`, suffix `"-amd64"`; git's `g` marker in
    /// `"ga14cf86"` belongs to the prefix (`"g"`).
    CommitSha {
        sha: String,
        prefix: String,
        suffix: String,
    },
    /// Pinned to content: an `@sha256:` digest, or a digest-named tag such as cosign's
    /// `sha256-<64 hex>.sig`.
    Digest,
    /// A release version: `1.2.3`, `v2`, `18`, `1.27-alpine`, `v1.2.3-rc.1`, `pg16`.
    Version,
    /// A date or a build number: `20240101`, `2024-01-01`, `build-1234`, `1234`,
    /// `nightly-20240101`, `RELEASE.2025-04-22T22-12-26Z`.
    DateOrBuild,
    /// A tag that moves: `latest`, `staging-latest`, `main`, `stable`, environment and branch
    /// names, `pr-123`, distro/variant aliases such as `alpine` or `bookworm`.
    Floating,
    /// No tag and no digest (Docker resolves it to `latest`).
    Untagged,
    /// A tag built from a template; `sha` when the template evidently names a commit
    /// (`github.sha`, `steps.x.outputs.sha`, `${GITHUB_SHA::7}`, `CI_COMMIT_SHA`, `{{sha}}` ...).
    Templated { sha: bool },
    /// A tag that fits nowhere above (`local`, `ci`, `e2e-smoke`, `free`).
    Other,
}

impl TagKind {
    /// Stable kebab-case name for reports and configuration.
    pub fn label(&self) -> &'static str {
        match self {
            TagKind::CommitSha { .. } => "commit-sha",
            TagKind::Digest => "digest",
            TagKind::Version => "version",
            TagKind::DateOrBuild => "date-or-build",
            TagKind::Floating => "floating",
            TagKind::Untagged => "untagged",
            TagKind::Templated { sha: true } => "templated-sha",
            TagKind::Templated { sha: false } => "templated",
            TagKind::Other => "other",
        }
    }
}

impl ImageRef {
    /// Parses `[scheme://][registry/]repository[:tag][@digest]`, templates allowed anywhere.
    ///
    /// # Errors
    ///
    /// When the text is empty, has whitespace outside a template, misses the name, has an
    /// empty or malformed tag or digest, or a literal name component breaks the grammar
    /// (uppercase, `//`, bad characters).
    pub fn parse(input: &str) -> Result<ImageRef, ImageRefError> {
        parse_parts(input).map(|parts| parts.image)
    }

    /// registry/repository as the user would write it: `"ghcr.io/molecule-ai/platform-tenant"`,
    /// `"nginx"` for `docker.io/library/nginx`, `"org/app"` for `docker.io/org/app`, and the
    /// text as written when the name starts with a template.
    pub fn name(&self) -> String {
        if self.registry.is_empty() {
            return self.repository.clone();
        }
        if self.registry == DOCKER_HUB {
            let short = self
                .repository
                .strip_prefix("library/")
                .filter(|rest| !rest.contains('/'));
            return short.unwrap_or(&self.repository).to_string();
        }
        format!("{}/{}", self.registry, self.repository)
    }

    /// What this reference pins. A digest wins over a tag (the digest is what gets pulled).
    /// Without tag and digest it is [`TagKind::Untagged`], except when the name holds a
    /// template: then the tag may hide inside the template (`$IMAGE`,
    /// `${{ steps.meta.outputs.tags }}`), so it is [`TagKind::Templated`].
    pub fn kind(&self) -> TagKind {
        if self.digest.is_some() {
            return TagKind::Digest;
        }
        if let Some(tag) = &self.tag {
            return classify_tag(tag);
        }
        let name = format!("{}/{}", self.registry, self.repository);
        if is_templated(&name) {
            return TagKind::Templated {
                sha: template_names_sha(&name),
            };
        }
        TagKind::Untagged
    }
}

// ---------------------------------------------------------------------------------------------
// Templates

/// Byte ranges of the template expressions in `text`: `${{ ... }}`, `{{ ... }}`, `${...}`
/// (nested braces counted) and `$NAME`. An unterminated template runs to the end, so a
/// truncated value is never split inside what was meant to be one expression.
fn template_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match template_end(bytes, i) {
            Some(end) => {
                spans.push(i..end);
                i = end;
            }
            None => i += 1,
        }
    }
    spans
}

/// If a template starts at byte `i`, the index just past its end. Every returned index is
/// either just after an ASCII byte or the end of the text, hence a char boundary.
fn template_end(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = bytes.get(i..)?;
    if rest.starts_with(b"${{") || rest.starts_with(b"{{") {
        let body = if rest[0] == b'$' { i + 3 } else { i + 2 };
        return Some(find_from(bytes, body, b"}}").map_or(bytes.len(), |at| at + 2));
    }
    if rest.starts_with(b"${") {
        return Some(matching_brace(bytes, i + 2));
    }
    let starts_name = rest
        .get(1)
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
    if rest[0] == b'$' && starts_name {
        let len = rest[1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        return Some(i + 1 + len);
    }
    None
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Index just past the `}` closing a `${` whose body starts at `from` (nesting counted, as in
/// `${A:-${B}}`), or the end of the text when unterminated.
fn matching_brace(bytes: &[u8], from: usize) -> usize {
    let mut depth = 1usize;
    for (offset, b) in bytes.iter().enumerate().skip(from) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return offset + 1;
                }
            }
            _ => {}
        }
    }
    bytes.len()
}

/// True when the text contains `${{`, `${`, or a `$NAME` shell reference. docker/metadata-action
/// placeholders (`{{sha}}`, `{{date 'YYYYMMDD'}}`) count too: such a tag is computed at build
/// time just the same, and calling it literal would misclassify `staging-{{sha}}`.
pub fn is_templated(text: &str) -> bool {
    !template_spans(text).is_empty()
}

/// Does one of the templates in `text` evidently name a commit? Identifiers are split on
/// anything not alphanumeric, so `GITHUB_SHA`, `steps.tags.outputs.sha`, `CI_COMMIT_SHORT_SHA`,
/// `head.sha`, `shortSha` and `{{sha}}` all match, while `github.ref_name` or `sha256` do not.
fn template_names_sha(text: &str) -> bool {
    template_spans(text).into_iter().any(|span| {
        text[span]
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(str::to_ascii_lowercase)
            .any(|word| is_commit_word(&word))
    })
}

fn is_commit_word(word: &str) -> bool {
    word == "sha"
        || word.starts_with("commit")
        || (word.ends_with("sha") && word.len() <= 12)
        || word == "githash"
}

/// The input seen with its templates blanked out: delimiters are only searched for outside
/// templates, so `${GITHUB_SHA::7}` or `${VAR:-a/b}` never split a reference.
struct Masked<'a> {
    text: &'a str,
    inside: Vec<bool>,
}

impl<'a> Masked<'a> {
    fn new(text: &'a str) -> Self {
        let mut inside = vec![false; text.len()];
        for span in template_spans(text) {
            inside[span].iter_mut().for_each(|b| *b = true);
        }
        Masked { text, inside }
    }

    /// Positions of `byte` outside templates within `range`.
    fn positions(&self, range: Range<usize>, byte: u8) -> impl Iterator<Item = usize> + '_ {
        let bytes = self.text.as_bytes();
        range.filter(move |&i| bytes[i] == byte && !self.inside[i])
    }

    fn templated(&self, range: &Range<usize>) -> bool {
        self.inside[range.clone()].iter().any(|b| *b)
    }

    /// Bytes outside templates in `range`, for checks on the literal part of a templated piece.
    fn literal_bytes(&self, range: Range<usize>) -> impl Iterator<Item = u8> + '_ {
        let bytes = self.text.as_bytes();
        range
            .filter(move |&i| !self.inside[i])
            .map(move |i| bytes[i])
    }
}

// ---------------------------------------------------------------------------------------------
// Reference parsing

static REPO_COMPONENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$").expect("valid regex"));
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$").expect("valid regex"));
static DIGEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
        .expect("valid regex")
});
static REGISTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$",
    )
    .expect("valid regex")
});

/// A parse result plus facts about how it was written, which the image heuristic needs.
struct Parts {
    image: ImageRef,
    /// The name was written with a registry (`ghcr.io/...`, `docker.io/...`).
    explicit_registry: bool,
    /// Path components after the registry, as written (`nginx` = 1, `org/app` = 2).
    path_components: usize,
    /// The name (registry or repository) contains a template.
    name_templated: bool,
}

/// Where the pieces of a reference sit, as byte ranges of the text after any scheme.
struct Layout {
    name: Range<usize>,
    tag: Option<Range<usize>>,
    digest: Option<Range<usize>>,
}

fn parse_parts(input: &str) -> Result<Parts, ImageRefError> {
    let offset = scheme_len(input);
    let text = &input[offset..];
    if text.is_empty() {
        return Err(ImageRefError::new("empty reference"));
    }
    let masked = Masked::new(text);
    if masked
        .literal_bytes(0..text.len())
        .any(|b| b.is_ascii_whitespace())
    {
        return Err(ImageRefError::new("contains whitespace"));
    }
    let layout = split_layout(&masked)?;
    if let Some(tag) = &layout.tag {
        check_tag(&masked, tag)?;
    }
    if let Some(digest) = &layout.digest {
        check_digest(&masked, digest)?;
    }
    let name = resolve_name(&masked, layout.name.clone())?;
    let shift = |r: Range<usize>| r.start + offset..r.end + offset;
    let image = ImageRef {
        registry: name.registry,
        repository: name.repository,
        tag: layout.tag.clone().map(|r| text[r].to_string()),
        digest: layout.digest.clone().map(|r| text[r].to_string()),
        tag_range: layout.tag.map(shift),
        digest_range: layout.digest.map(shift),
    };
    Ok(Parts {
        image,
        explicit_registry: name.explicit_registry,
        path_components: name.path_components,
        name_templated: name.templated,
    })
}

/// Length of a leading `docker://` or `docker-image://`, else 0.
fn scheme_len(input: &str) -> usize {
    IMAGE_SCHEMES
        .iter()
        .find(|scheme| {
            input
                .get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
        })
        .map_or(0, |scheme| scheme.len())
}

/// Splits name, tag and digest: the digest follows the first `@`, the tag follows the last `:`
/// after the last `/` (so a registry port is never a tag), all outside templates.
fn split_layout(masked: &Masked) -> Result<Layout, ImageRefError> {
    let len = masked.text.len();
    let at = masked.positions(0..len, b'@').next();
    let name_and_tag = 0..at.unwrap_or(len);
    let last_slash = masked.positions(name_and_tag.clone(), b'/').last();
    let colon = masked
        .positions(name_and_tag.clone(), b':')
        .last()
        .filter(|c| last_slash.is_none_or(|s| *c > s));
    let name = 0..colon.unwrap_or(name_and_tag.end);
    if name.is_empty() {
        return Err(ImageRefError::new("missing repository name"));
    }
    let tag = colon.map(|c| c + 1..name_and_tag.end);
    if tag.as_ref().is_some_and(|t| t.is_empty()) {
        return Err(ImageRefError::new("empty tag after ':'"));
    }
    let digest = at.map(|a| a + 1..len);
    if digest.as_ref().is_some_and(|d| d.is_empty()) {
        return Err(ImageRefError::new("empty digest after '@'"));
    }
    Ok(Layout { name, tag, digest })
}

fn check_tag(masked: &Masked, range: &Range<usize>) -> Result<(), ImageRefError> {
    let text = &masked.text[range.clone()];
    let ok = if masked.templated(range) {
        masked
            .literal_bytes(range.clone())
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    } else {
        TAG.is_match(text)
    };
    if ok {
        Ok(())
    } else {
        Err(ImageRefError::new(format!(
            "invalid tag {:?}",
            excerpt(text)
        )))
    }
}

fn check_digest(masked: &Masked, range: &Range<usize>) -> Result<(), ImageRefError> {
    let text = &masked.text[range.clone()];
    if masked.templated(range) {
        return Ok(());
    }
    if !DIGEST.is_match(text) {
        return Err(ImageRefError::new(format!(
            "invalid digest {:?} (expected algorithm:hex)",
            excerpt(text)
        )));
    }
    let (algorithm, hex) = text.split_once(':').unwrap_or((text, ""));
    let expected = match algorithm {
        "sha256" => Some(64),
        "sha512" => Some(128),
        _ => None,
    };
    match expected {
        Some(n) if hex.len() != n => Err(ImageRefError::new(format!(
            "{algorithm} digest must have {n} hex characters, found {}",
            hex.len()
        ))),
        _ => Ok(()),
    }
}

/// The name split into registry and repository.
struct Name {
    registry: String,
    repository: String,
    explicit_registry: bool,
    path_components: usize,
    templated: bool,
}

/// Applies the registry rule: the first component is a registry when there is more than one
/// and it contains `.` or `:` or is `localhost`. A name starting with a template keeps its text
/// as written with an unknown (empty) registry.
fn resolve_name(masked: &Masked, range: Range<usize>) -> Result<Name, ImageRefError> {
    let text = masked.text;
    let components = split_components(masked, range.clone());
    let templated = masked.templated(&range);
    let first = components[0].clone();
    if masked.templated(&first) {
        for component in &components {
            check_component(masked, component)?;
        }
        return Ok(Name {
            registry: String::new(),
            repository: text[range].to_string(),
            explicit_registry: false,
            path_components: components.len(),
            templated,
        });
    }
    let first_text = &text[first.clone()];
    let has_registry =
        components.len() > 1 && (first_text.contains(['.', ':']) || first_text == "localhost");
    for component in &components[usize::from(has_registry)..] {
        check_component(masked, component)?;
    }
    let (registry, path) = if has_registry {
        if !REGISTRY.is_match(first_text) {
            return Err(ImageRefError::new(format!(
                "invalid registry {:?}",
                excerpt(first_text)
            )));
        }
        (normalize_registry(first_text), first.end + 1..range.end)
    } else {
        (DOCKER_HUB.to_string(), range.clone())
    };
    let path_components = components.len() - usize::from(has_registry);
    let path_text = &text[path];
    let official = registry == DOCKER_HUB && path_components == 1 && !templated;
    let repository = if official {
        format!("library/{path_text}")
    } else {
        path_text.to_string()
    };
    Ok(Name {
        registry,
        repository,
        explicit_registry: has_registry,
        path_components,
        templated,
    })
}

/// `index.docker.io` and `registry-1.docker.io` are Docker Hub under other names.
fn normalize_registry(registry: &str) -> String {
    match registry {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        other => other.to_string(),
    }
}

fn split_components(masked: &Masked, range: Range<usize>) -> Vec<Range<usize>> {
    let mut components = Vec::new();
    let mut start = range.start;
    for slash in masked.positions(range.clone(), b'/') {
        components.push(start..slash);
        start = slash + 1;
    }
    components.push(start..range.end);
    components
}

/// Path components follow the grammar (lowercase, `.`/`_`/`-` separators) unless templated;
/// a registry component is checked separately by [`resolve_name`].
fn check_component(masked: &Masked, range: &Range<usize>) -> Result<(), ImageRefError> {
    let text = &masked.text[range.clone()];
    if text.is_empty() {
        return Err(ImageRefError::new("empty path component in name"));
    }
    let ok = if masked.templated(range) {
        masked
            .literal_bytes(range.clone())
            .all(|b| b.is_ascii_alphanumeric() || b"_.-:".contains(&b))
    } else {
        REPO_COMPONENT.is_match(text)
    };
    if ok {
        Ok(())
    } else {
        Err(ImageRefError::new(format!(
            "invalid name component {:?} (lowercase letters, digits and . _ - only)",
            excerpt(text)
        )))
    }
}

/// At most 40 chars of `text`, cut on a char boundary, so errors stay one short line.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tag classification

static DIGEST_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:sha256[-_][0-9a-f]{64}|sha512[-_][0-9a-f]{128}|[0-9a-f]{64})(?:\.[a-z]+)*$")
        .expect("valid regex")
});

/// A calendar date: `20240101`, `2024-01-01`, `2024.01.15`.
const DATE: &str = r"(?:19|20)[0-9]{2}(?:(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])|-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])|\.(?:0[1-9]|1[0-2])\.(?:0[1-9]|[12][0-9]|3[01]))";

static DATE_AT_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^{DATE}(?:$|[^0-9])")).expect("valid regex"));
static DATE_ANYWHERE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:^|[-_.]){DATE}(?:$|[^0-9])")).expect("valid regex"));
/// Build numbers: a number of 4+ digits first (`1234`, `1234-5`), or a build word and a number.
static BUILD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[0-9]{4,}(?:[-_.+].*)?|(?:build|b|bn|r|rev|run|ci|pipeline|job)[-_.]?[0-9]+(?:[-_.].*)?)$")
        .expect("valid regex")
});
/// `v`, a number, dots; what follows must be a separated qualifier, or, after a dotted
/// version, letters (`1.0.0a1`). Captures: 1 = `v`, 2 = leading number, 3 = dotted part.
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(v?)([0-9]+)((?:\.[0-9]+)*)(?:[-+._~][0-9a-z][0-9a-z._+~-]*|[a-z][0-9a-z._+~-]*)?$",
    )
    .expect("valid regex")
});
/// A word glued to a version: `pg16`, `ubuntu24.04`, `python3.12-slim`, `alpine3.19`.
static WORD_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z]{2,}[0-9]+(?:\.[0-9]+)*(?:[-_.+][0-9a-z][0-9a-z._+-]*)?$")
        .expect("valid regex")
});
/// A word, then a dotted version: `release-1.2.3`, `ubuntu-24.04`.
static WORD_DOTTED_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z]+[-_]v?[0-9]+(?:\.[0-9]+)+(?:[-_.+][0-9a-z][0-9a-z._+-]*)?$")
        .expect("valid regex")
});
/// Pull-request tags (docker/metadata-action `type=ref,event=pr`) move with every push.
static PULL_REQUEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^pr[-_]?[0-9]+$").expect("valid regex"));

/// Environment names that mean production: they float on plain `latest`.
const PRODUCTION_ENVIRONMENTS: &[&str] = &["production", "prod", "prd", "live"];

/// Other environment names; `E` floats on `E-latest`.
const OTHER_ENVIRONMENTS: &[&str] = &[
    "staging",
    "stage",
    "stg",
    "preview",
    "qa",
    "test",
    "testing",
    "uat",
    "dev",
    "development",
    "sandbox",
    "demo",
    "canary",
    "integration",
    "perf",
];

/// Branch and channel words that name a moving target.
const FLOATING_WORDS: &[&str] = &[
    "latest",
    "stable",
    "edge",
    "nightly",
    "main",
    "master",
    "trunk",
    "head",
    "develop",
    "beta",
    "alpha",
    "release",
    "rolling",
    "current",
    "lts",
    "next",
    "unstable",
    "experimental",
    "insiders",
];

/// Channel words that make a tag floating wherever they appear (`buildx-stable-1`).
const CHANNEL_WORDS: &[&str] = &[
    "latest", "stable", "edge", "nightly", "canary", "rolling", "lts", "unstable",
];

/// Distro and variant aliases (`nginx:alpine`, `nextcloud:apache`): Docker Hub moves them
/// with every release of the image.
const VARIANT_WORDS: &[&str] = &[
    "alpine",
    "slim",
    "bookworm",
    "bullseye",
    "buster",
    "stretch",
    "trixie",
    "jammy",
    "noble",
    "focal",
    "bionic",
    "debian",
    "ubuntu",
    "apache",
    "fpm",
    "base",
    "distroless",
    "nonroot",
    "debug",
    "windowsservercore",
    "nanoserver",
];

/// Prefixes that only say "a sha follows" and carry no channel to float on.
const SHA_MARKERS: &[&str] = &["sha", "git", "commit", "g", "rev", "hash"];

/// Classifies a tag. Checks run from the most to the least specific:
/// templated, digest-named, a `latest` component, a leading date, a version, a commit SHA,
/// a date or build number anywhere, then floating words, word-glued versions, and `Other`.
///
/// Decisions encoded here:
/// - A version wins over a hex component: `v1.2.3-4-ga14cf86` (git describe) and
///   `v3.9.7-75e084e` name a release, so they are `Version`.
/// - A lone integer below 1000 is a major version (`node:18`, `postgres:16`); 1000 and up is a
///   build number (`1234`), unless written with `v` (`v1234`).
/// - A `latest` component makes a tag floating even after a version (`3-latest`).
/// - Commit SHAs are 7 to 40 hex chars, with a digit and a letter, all lowercase or all
///   uppercase (mixed case is not how tools print hashes). A SHA beats a date
///   (`20240101-a14cf86` pins one commit) but not a version.
/// - 64 hex chars (optionally `sha256-` and a `.sig`/`.att` suffix, as cosign names them) is
///   a digest-named tag: `Digest`.
/// - `latest-<variant>` and `<word>-latest` float; `nightly-20240101` is a dated build.
/// - Any templated tag is `Templated`, even `${{ inputs.environment }}-latest`: what it
///   expands to is unknown here.
pub fn classify_tag(tag: &str) -> TagKind {
    if tag.is_empty() {
        return TagKind::Untagged;
    }
    if is_templated(tag) {
        return TagKind::Templated {
            sha: template_names_sha(tag),
        };
    }
    let lower = tag.to_ascii_lowercase();
    if DIGEST_TAG.is_match(&lower) {
        return TagKind::Digest;
    }
    if components(&lower).any(|c| c == "latest") {
        return TagKind::Floating;
    }
    if DATE_AT_START.is_match(&lower) {
        // a dated commit build (`20240101-a14cf86`) still pins one commit
        return commit_sha(tag).unwrap_or(TagKind::DateOrBuild);
    }
    // A hex first component is a commit, not a number glued to letters (`3f9c2e1`, `9be2d41-amd64`).
    if components(&lower).next().is_some_and(is_sha_hex) {
        if let Some(sha) = commit_sha(tag) {
            return sha;
        }
    }
    if is_version(&lower) {
        return TagKind::Version;
    }
    if let Some(sha) = commit_sha(tag) {
        return sha;
    }
    if DATE_ANYWHERE.is_match(&lower) || BUILD.is_match(&lower) {
        return TagKind::DateOrBuild;
    }
    classify_word_tag(&lower)
}

/// The tail of [`classify_tag`]: tags made of words.
fn classify_word_tag(lower: &str) -> TagKind {
    if PULL_REQUEST.is_match(lower) {
        return TagKind::Floating;
    }
    if WORD_DOTTED_VERSION.is_match(lower) {
        return TagKind::Version;
    }
    if is_floating_word_tag(lower) {
        return TagKind::Floating;
    }
    if is_word_version(lower) {
        return TagKind::Version;
    }
    TagKind::Other
}

/// [`WORD_VERSION`], where the word needs a letter beyond `f` (so a short hash like `af07` is
/// not a version) and is not a hash algorithm (`sha256-abc.sig`).
fn is_word_version(lower: &str) -> bool {
    let word: String = lower.chars().take_while(char::is_ascii_lowercase).collect();
    WORD_VERSION.is_match(lower) && word.chars().any(|c| c > 'f') && !word.starts_with("sha")
}

fn components(tag: &str) -> impl Iterator<Item = &str> {
    tag.split(['-', '_', '.'])
}

fn is_version(lower: &str) -> bool {
    let Some(caps) = VERSION.captures(lower) else {
        return false;
    };
    let has_v = caps.get(1).is_some_and(|m| !m.is_empty());
    let dotted = caps.get(3).is_some_and(|m| !m.is_empty());
    let lead_len = caps.get(2).map_or(0, |m| m.len());
    has_v || dotted || lead_len <= 3
}

/// Floating when the whole tag or its first component is a floating, environment or variant
/// word (`main`, `staging`, `stable-alpine`, `slim-bookworm`), or a channel word appears
/// anywhere (`buildx-stable-1`).
fn is_floating_word_tag(lower: &str) -> bool {
    let known = |word: &str| {
        FLOATING_WORDS.contains(&word) || VARIANT_WORDS.contains(&word) || is_environment(word)
    };
    let first = components(lower).next().unwrap_or(lower);
    known(lower) || known(first) || components(lower).any(|c| CHANNEL_WORDS.contains(&c))
}

fn is_environment(word: &str) -> bool {
    PRODUCTION_ENVIRONMENTS.contains(&word) || OTHER_ENVIRONMENTS.contains(&word)
}

/// Finds the first commit-SHA component (`-`, `_` or `.` separated). A git `g` marker glued to
/// the hash (`ga14cf86`) is moved into the prefix.
fn commit_sha(tag: &str) -> Option<TagKind> {
    let mut start = 0;
    for component in tag.split(['-', '_', '.']) {
        let end = start + component.len();
        let marker = usize::from(component.starts_with('g'));
        if let Some(hex) = component.get(marker..).filter(|h| is_sha_hex(h)) {
            return Some(TagKind::CommitSha {
                sha: hex.to_string(),
                prefix: tag[..start + marker].to_string(),
                suffix: tag[end..].to_string(),
            });
        }
        start = end + 1;
    }
    None
}

/// 7 to 40 hex chars with at least one digit and one letter a-f, in one case. The digit rule
/// keeps words like `deadbeef`/`defaced` out; the letter rule keeps build numbers out.
fn is_sha_hex(text: &str) -> bool {
    let bytes = text.as_bytes();
    (7..=40).contains(&bytes.len())
        && bytes.iter().all(u8::is_ascii_hexdigit)
        && bytes.iter().any(u8::is_ascii_digit)
        && bytes.iter().any(u8::is_ascii_alphabetic)
        && (!bytes.iter().any(u8::is_ascii_uppercase) || !bytes.iter().any(u8::is_ascii_lowercase))
}

// ---------------------------------------------------------------------------------------------
// Heuristics for config values

static URL_SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://").expect("valid regex"));

/// Heuristic: does this env/config value look like a container image reference?
///
/// Config values are full of strings that parse as references (`localhost:8080`, `true`,
/// `mistralai/mistral-7b-instruct:free`, `text/html`), so a value needs positive evidence:
/// - a digest (`app@sha256:...`); or
/// - an explicit registry with a tag or at least two path components
///   (`ghcr.io/org/app`, `localhost:5000/app:1`; any `docker.io/...`); or
/// - a Docker Hub name with a tag whose kind is recognized, i.e. not [`TagKind::Other`]
///   (`org/app:1.2`, `nginx:1.27-alpine`; not the model id `org/model:free`); or `library/x`.
///
/// A one-component name with an all-digit tag is `host:port` unless the number is below 80
/// (`postgres:16` yes, `db:5432` no); a one-component name that is all digits, contains a dot
/// or is `localhost` is a host or a time (`0.0.0.0:3000`, `12:30`). A name that starts with a
/// template counts when its template mentions an image, registry or repository
/// (`${REGISTRY}/${IMAGE}:${TAG}`), or when its tag is literal and recognized (`$IMAGE:latest`);
/// `${HOST}:${PORT}` does not. URLs with a scheme (other than `docker://`), paths and values
/// with whitespace outside templates (surrounding whitespace included) are never images; a
/// bare `nginx` is too ambiguous. Whenever this returns true, [`ImageRef::parse`] succeeds on
/// the same text.
pub fn looks_like_image_ref(value: &str) -> bool {
    let is_path = value.starts_with(['/', '.', '~']);
    if value.is_empty() || is_path || (URL_SCHEME.is_match(value) && scheme_len(value) == 0) {
        return false;
    }
    match parse_parts(value) {
        Ok(parts) => has_image_evidence(&parts),
        Err(_) => false,
    }
}

fn has_image_evidence(parts: &Parts) -> bool {
    let image = &parts.image;
    if image.digest.is_some() {
        return true;
    }
    let tag_kind = image.tag.as_deref().map(classify_tag);
    if image.registry.is_empty() {
        return name_template_mentions_image(&image.repository)
            || tag_kind.is_some_and(|k| recognized_literal_tag(&k, image));
    }
    if parts.explicit_registry {
        let hub = image.registry == DOCKER_HUB;
        return hub || image.tag.is_some() || parts.path_components >= 2;
    }
    if parts.path_components >= 2 {
        let library = image.repository.starts_with("library/") && image.tag.is_none();
        return library || tag_kind.is_some_and(|k| k != TagKind::Other);
    }
    let short_name = image.repository.trim_start_matches("library/");
    let hostish = short_name == "localhost"
        || short_name.contains('.')
        || short_name.bytes().all(|b| b.is_ascii_digit());
    !hostish && !parts.name_templated && tag_kind.is_some_and(|k| recognized_literal_tag(&k, image))
}

/// A literal tag of a known kind; an all-digit tag counts only below 80 (a major version,
/// not a port).
fn recognized_literal_tag(kind: &TagKind, image: &ImageRef) -> bool {
    let tag = image.tag.as_deref().unwrap_or("");
    if tag.bytes().all(|b| b.is_ascii_digit()) {
        return tag.len() <= 2 && tag.parse::<u8>().is_ok_and(|n| n < 80);
    }
    !matches!(kind, TagKind::Other | TagKind::Templated { .. })
}

fn name_template_mentions_image(name: &str) -> bool {
    template_spans(name).into_iter().any(|span| {
        name[span]
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(str::to_ascii_lowercase)
            .any(|w| matches!(w.as_str(), "image" | "registry" | "repo" | "repository"))
    })
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/// The floating tag to suggest instead of a pinned one.
///
/// - `configured` (the floating tag configured for this environment) wins when non-empty.
/// - A commit SHA with a meaningful prefix floats that prefix: `staging-a14cf86` ->
///   `staging-latest`, `main-a14cf86` -> `main-latest`. Prefixes that only mark a sha (`sha-`,
///   `git-`, `commit-`, `g`) or contain digits (`pr-123-`, `20240101-`) are not meaningful.
///   A prefix that is an environment name defers to `environment` when one is given
///   (`staging-a14cf86` in production -> `latest`, as production floats on what the canary
///   promotes) and stands for the environment otherwise.
/// - Otherwise (bare SHA, digest, any other kind) the environment decides: production, prod,
///   prd, live -> `latest`; another known environment `E` -> `E-latest`; unknown or none ->
///   `latest`.
/// - A SHA's suffix is kept after the floating word, minus numeric or hex build counters:
///   `a14cf86-amd64` in production -> `latest-amd64`, `staging-a14cf86-amd64` ->
///   `staging-latest-amd64` (the docker/metadata-action `suffix=` convention).
pub fn suggest_floating_tag(
    kind: &TagKind,
    environment: Option<&str>,
    configured: Option<&str>,
) -> String {
    if let Some(tag) = configured.map(str::trim).filter(|t| !t.is_empty()) {
        return tag.to_string();
    }
    let environment = environment
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty());
    let (prefix, suffix) = match kind {
        TagKind::CommitSha { prefix, suffix, .. } => {
            (meaningful_prefix(prefix), kept_suffix(suffix))
        }
        _ => (None, String::new()),
    };
    let base = match (prefix, environment) {
        (Some(channel), _) if !is_environment(&channel.to_ascii_lowercase()) => {
            format!("{channel}-latest")
        }
        (_, Some(env)) => environment_floating_tag(&env),
        (Some(env_prefix), None) => environment_floating_tag(&env_prefix.to_ascii_lowercase()),
        (None, None) => "latest".to_string(),
    };
    format!("{base}{suffix}")
}

fn environment_floating_tag(environment: &str) -> String {
    if OTHER_ENVIRONMENTS.contains(&environment) {
        format!("{environment}-latest")
    } else {
        "latest".to_string()
    }
}

/// The channel a SHA prefix names, e.g. `staging` in `staging-` or `staging-sha-`.
fn meaningful_prefix(prefix: &str) -> Option<String> {
    let mut words: Vec<&str> = prefix
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| w.bytes().any(|b| b.is_ascii_digit())) {
        return None;
    }
    while words
        .last()
        .is_some_and(|w| SHA_MARKERS.contains(&w.to_ascii_lowercase().as_str()))
    {
        words.pop();
    }
    (!words.is_empty()).then(|| words.join("-"))
}

/// The suffix without build counters or hashes: `-amd64` stays, `-1` and `-20240101` go.
fn kept_suffix(suffix: &str) -> String {
    let mut kept = String::new();
    let words = suffix
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()) && !is_sha_hex(w));
    for word in words {
        kept.push('-');
        kept.push_str(word);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(sha: &str, prefix: &str, suffix: &str) -> TagKind {
        TagKind::CommitSha {
            sha: sha.to_string(),
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        }
    }

    fn parse(input: &str) -> ImageRef {
        match ImageRef::parse(input) {
            Ok(image) => image,
            Err(e) => panic!("{input:?} should parse: {e}"),
        }
    }

    fn slice<'a>(input: &'a str, range: &Option<Range<usize>>) -> Option<&'a str> {
        range.clone().map(|r| &input[r])
    }

    // --- the incident ------------------------------------------------------------------------

    #[test]
    fn incident_pinned_tag() {
        let input = "ghcr.io/molecule-ai/platform-tenant:staging-a14cf86";
        let image = parse(input);
        assert_eq!(image.registry, "ghcr.io");
        assert_eq!(image.repository, "molecule-ai/platform-tenant");
        assert_eq!(image.tag.as_deref(), Some("staging-a14cf86"));
        assert_eq!(image.tag_range, Some(36..51));
        assert_eq!(slice(input, &image.tag_range), Some("staging-a14cf86"));
        assert_eq!(image.digest, None);
        assert_eq!(image.name(), "ghcr.io/molecule-ai/platform-tenant");
        assert_eq!(image.kind(), commit("a14cf86", "staging-", ""));
        assert_eq!(image.kind().label(), "commit-sha");
    }

    #[test]
    fn shas_that_start_with_a_digit_are_not_versions() {
        for (tag, prefix, sha, suffix) in [
            ("3f9c2e1", "", "3f9c2e1", ""),
            ("3f9c2e1d7b", "", "3f9c2e1d7b", ""),
            ("0c1d2e3", "", "0c1d2e3", ""),
            ("12abcde", "", "12abcde", ""),
            ("9be2d41-amd64", "", "9be2d41", "-amd64"),
            ("staging-3f9c2e1", "staging-", "3f9c2e1", ""),
        ] {
            assert_eq!(
                classify_tag(tag),
                TagKind::CommitSha {
                    sha: sha.into(),
                    prefix: prefix.into(),
                    suffix: suffix.into()
                },
                "{tag}"
            );
        }
        for tag in [
            "1.2.3",
            "16",
            "1234567",
            "3.12-slim",
            "v2",
            "1.0.0a1",
            "2.4.1-1",
        ] {
            assert_ne!(classify_tag(tag).label(), "commit-sha", "{tag}");
        }
    }

    #[test]
    fn incident_fixed_tags_float() {
        for input in [
            "ghcr.io/molecule-ai/platform-tenant:staging-latest",
            "ghcr.io/molecule-ai/platform-tenant:latest",
        ] {
            assert_eq!(parse(input).kind(), TagKind::Floating, "{input}");
        }
    }

    #[test]
    fn incident_publish_template() {
        let input = "${{ env.TENANT_IMAGE_NAME }}:staging-${{ steps.tags.outputs.sha }}";
        let image = parse(input);
        assert_eq!(image.registry, "");
        assert_eq!(image.repository, "${{ env.TENANT_IMAGE_NAME }}");
        assert_eq!(image.name(), "${{ env.TENANT_IMAGE_NAME }}");
        let tag = "staging-${{ steps.tags.outputs.sha }}";
        assert_eq!(image.tag.as_deref(), Some(tag));
        assert_eq!(slice(input, &image.tag_range), Some(tag));
        assert_eq!(image.kind(), TagKind::Templated { sha: true });
        assert_eq!(image.kind().label(), "templated-sha");
    }

    #[test]
    fn incident_suggestions() {
        let pinned = classify_tag("staging-a14cf86");
        assert_eq!(
            suggest_floating_tag(&pinned, Some("staging"), None),
            "staging-latest"
        );
        assert_eq!(
            suggest_floating_tag(&pinned, Some("production"), None),
            "latest"
        );
        assert_eq!(suggest_floating_tag(&pinned, None, None), "staging-latest");
        let bare = classify_tag("a14cf86");
        assert_eq!(
            suggest_floating_tag(&bare, Some("staging"), None),
            "staging-latest"
        );
        assert_eq!(
            suggest_floating_tag(&bare, Some("production"), None),
            "latest"
        );
    }

    // --- reference grammar -------------------------------------------------------------------

    #[test]
    fn docker_hub_defaults() {
        let image = parse("nginx");
        assert_eq!(image.registry, "docker.io");
        assert_eq!(image.repository, "library/nginx");
        assert_eq!(image.tag, None);
        assert_eq!(image.name(), "nginx");
        assert_eq!(image.kind(), TagKind::Untagged);

        let image = parse("org/app:1.2");
        assert_eq!(
            (image.registry.as_str(), image.repository.as_str()),
            ("docker.io", "org/app")
        );
        assert_eq!(image.name(), "org/app");

        let image = parse("docker.io/library/nginx:1.27");
        assert_eq!(image.repository, "library/nginx");
        assert_eq!(image.name(), "nginx");

        let image = parse("docker.io/nginx");
        assert_eq!(image.repository, "library/nginx");

        let image = parse("index.docker.io/org/app");
        assert_eq!(image.registry, "docker.io");
        assert_eq!(image.name(), "org/app");
    }

    #[test]
    fn registry_detection() {
        let cases = [
            ("localhost:5000/app:1", "localhost:5000", "app", Some("1")),
            ("localhost/app", "localhost", "app", None),
            ("localhost:5000/app", "localhost:5000", "app", None),
            (
                "127.0.0.1:5000/team/app:2.0",
                "127.0.0.1:5000",
                "team/app",
                Some("2.0"),
            ),
            (
                "registry.example.com:5000/a/b",
                "registry.example.com:5000",
                "a/b",
                None,
            ),
            ("ghcr.io/org/app", "ghcr.io", "org/app", None),
            ("[::1]:5000/app:1", "[::1]:5000", "app", Some("1")),
            // no '.', ':' or localhost: a Docker Hub namespace, not a registry
            ("myregistry/app:1", "docker.io", "myregistry/app", Some("1")),
            // a single component is never a registry
            ("localhost", "docker.io", "library/localhost", None),
        ];
        for (input, registry, repository, tag) in cases {
            let image = parse(input);
            assert_eq!(image.registry, registry, "{input}");
            assert_eq!(image.repository, repository, "{input}");
            assert_eq!(image.tag.as_deref(), tag, "{input}");
        }
    }

    #[test]
    fn port_is_not_a_tag() {
        let image = parse("localhost:5000/app");
        assert_eq!(image.tag, None);
        assert_eq!(image.tag_range, None);
    }

    #[test]
    fn tag_and_digest_together() {
        let digest = "sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373";
        let input = format!("app:1.2@{digest}");
        let image = parse(&input);
        assert_eq!(image.tag.as_deref(), Some("1.2"));
        assert_eq!(image.tag_range, Some(4..7));
        assert_eq!(image.digest.as_deref(), Some(digest));
        assert_eq!(image.digest_range, Some(8..input.len()));
        assert_eq!(slice(&input, &image.digest_range), Some(digest));
        assert_eq!(image.kind(), TagKind::Digest, "digest wins over tag");
    }

    #[test]
    fn digest_only() {
        let input = "registry.example.com:5000/a/b@sha256:6a097f68bae708cedbabd6188d68c7e2e7a38cedd05a176e1cc0ba29e3bbe029";
        let image = parse(input);
        assert_eq!(image.registry, "registry.example.com:5000");
        assert_eq!(image.repository, "a/b");
        assert_eq!(image.tag, None);
        assert_eq!(
            slice(input, &image.digest_range),
            image.digest.as_deref(),
            "range and text agree"
        );
        assert_eq!(image.kind(), TagKind::Digest);
    }

    #[test]
    fn docker_scheme_is_stripped_and_ranges_stay_absolute() {
        let input = "docker://alpine:3.19";
        let image = parse(input);
        assert_eq!(image.registry, "docker.io");
        assert_eq!(image.repository, "library/alpine");
        assert_eq!(image.tag_range, Some(16..20));
        assert_eq!(slice(input, &image.tag_range), Some("3.19"));
        assert_eq!(image.kind(), TagKind::Version);

        let input = "docker://ghcr.io/org/app:1@sha256:b26249e2ede0949755f5af8028185dc2bcfc3aa2db21eb9610543d144eb6ee9d";
        let image = parse(input);
        assert_eq!(slice(input, &image.tag_range), Some("1"));
        assert_eq!(slice(input, &image.digest_range), image.digest.as_deref());
    }

    #[test]
    fn templates_are_never_split() {
        let input = "${IMAGE}:${GITHUB_SHA::7}";
        let image = parse(input);
        assert_eq!(image.repository, "${IMAGE}");
        assert_eq!(image.tag.as_deref(), Some("${GITHUB_SHA::7}"));
        assert_eq!(slice(input, &image.tag_range), Some("${GITHUB_SHA::7}"));
        assert_eq!(image.kind(), TagKind::Templated { sha: true });

        let image = parse("${REGISTRY}/${IMAGE}:${TAG}");
        assert_eq!(image.registry, "");
        assert_eq!(image.repository, "${REGISTRY}/${IMAGE}");
        assert_eq!(image.kind(), TagKind::Templated { sha: false });

        let image = parse("$IMAGE:latest");
        assert_eq!(image.repository, "$IMAGE");
        assert_eq!(image.kind(), TagKind::Floating);

        // a default holding ':' and '/' stays inside its template
        let image = parse("${APP_IMAGE:-org/app:1.2}");
        assert_eq!(image.tag, None);
        assert_eq!(image.repository, "${APP_IMAGE:-org/app:1.2}");
        assert_eq!(image.kind(), TagKind::Templated { sha: false });

        // templated registry with a literal repository
        let image = parse("${{ env.REGISTRY }}/app:${{ github.sha }}");
        assert_eq!(image.registry, "");
        assert_eq!(image.repository, "${{ env.REGISTRY }}/app");
        assert_eq!(image.kind(), TagKind::Templated { sha: true });

        // literal registry with a templated repository
        let image = parse("ghcr.io/${{ github.repository }}:main");
        assert_eq!(image.registry, "ghcr.io");
        assert_eq!(image.repository, "${{ github.repository }}");
        assert_eq!(image.name(), "ghcr.io/${{ github.repository }}");
        assert_eq!(image.kind(), TagKind::Floating);
    }

    #[test]
    fn unterminated_template_runs_to_the_end() {
        let image = parse("app:${{ github.sha");
        assert_eq!(image.tag.as_deref(), Some("${{ github.sha"));
        assert_eq!(image.kind(), TagKind::Templated { sha: true });
        let image = parse("${IMAGE:-app:1");
        assert_eq!(image.tag, None);
    }

    #[test]
    fn untagged_templated_name_is_templated_not_untagged() {
        assert_eq!(
            parse("${{ steps.meta.outputs.tags }}").kind(),
            TagKind::Templated { sha: false }
        );
        assert_eq!(
            parse("ghcr.io/org/app-${{ github.sha }}").kind(),
            TagKind::Templated { sha: true }
        );
        assert_eq!(parse("ghcr.io/org/app").kind(), TagKind::Untagged);
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("", "empty reference"),
            ("docker://", "empty reference"),
            (":", "missing repository name"),
            (":tag", "missing repository name"),
            ("@", "missing repository name"),
            ("@sha256:", "missing repository name"),
            ("a:", "empty tag"),
            ("a@", "empty digest"),
            ("::::", "empty tag"),
            ("app :1", "whitespace"),
            ("app:1 ", "whitespace"),
            ("Nginx:1", "invalid name component"),
            ("a//b", "empty path component"),
            ("ghcr.io/", "empty path component"),
            ("app:-bad", "invalid tag"),
            ("app:bad!", "invalid tag"),
            ("app@sha256:abc", "invalid digest"),
            ("app@md5", "invalid digest"),
            ("app@sha256:0123456789abcdef0123456789abcdef", "64 hex"),
            ("user@example.com", "invalid digest"),
            ("ex_ample.com/app", "invalid registry"),
        ];
        for (input, reason) in cases {
            match ImageRef::parse(input) {
                Ok(image) => panic!("{input:?} should fail, got {image:?}"),
                Err(e) => assert!(
                    e.reason().contains(reason),
                    "{input:?}: {:?} lacks {reason:?}",
                    e.reason()
                ),
            }
        }
    }

    #[test]
    fn tag_longer_than_128_is_invalid() {
        let long = format!("app:{}", "a".repeat(129));
        assert!(ImageRef::parse(&long).is_err());
        let ok = format!("app:{}", "a".repeat(128));
        assert!(ImageRef::parse(&ok).is_ok());
    }

    #[test]
    fn error_display_is_one_line() {
        let Err(e) = ImageRef::parse(&format!("app:{}", "bad!".repeat(100))) else {
            panic!("should fail");
        };
        let text = e.to_string();
        assert!(text.starts_with("invalid image reference: "));
        assert!(!text.contains('\n'));
        assert!(text.len() < 120, "{text}");
        let source: &dyn std::error::Error = &e;
        assert!(source.source().is_none());
    }

    #[test]
    fn name_round_trips() {
        for input in [
            "nginx",
            "org/app",
            "ghcr.io/molecule-ai/platform-tenant",
            "localhost:5000/app",
            "quay.io/prometheus/golang-builder",
        ] {
            assert_eq!(parse(input).name(), input);
        }
        assert_eq!(parse("docker.io/library/redis:7").name(), "redis");
        assert_eq!(parse("docker.io/org/app:7").name(), "org/app");
    }

    // --- tag grammar -------------------------------------------------------------------------

    #[test]
    fn commit_sha_shapes() {
        let cases = [
            ("a14cf86", commit("a14cf86", "", "")),
            ("staging-a14cf86", commit("a14cf86", "staging-", "")),
            ("sha-a14cf86", commit("a14cf86", "sha-", "")),
            ("a14cf86-amd64", commit("a14cf86", "", "-amd64")),
            ("main-a14cf86", commit("a14cf86", "main-", "")),
            ("pr-123-a14cf86", commit("a14cf86", "pr-123-", "")),
            ("main_a14cf86.arm64", commit("a14cf86", "main_", ".arm64")),
            ("ga14cf86", commit("a14cf86", "g", "")),
            ("git-ga14cf86", commit("a14cf86", "git-g", "")),
            ("20240101-a14cf86", commit("a14cf86", "20240101-", "")),
            ("A14CF86", commit("A14CF86", "", "")),
            (
                "e83c5163316f89bfbde7d9ab23ca2e25604af290",
                commit("e83c5163316f89bfbde7d9ab23ca2e25604af290", "", ""),
            ),
            (
                "staging-e83c5163316f89bfbde7d9ab23ca2e25604af290-amd64",
                commit(
                    "e83c5163316f89bfbde7d9ab23ca2e25604af290",
                    "staging-",
                    "-amd64",
                ),
            ),
        ];
        for (tag, expected) in cases {
            assert_eq!(classify_tag(tag), expected, "{tag}");
        }
    }

    #[test]
    fn hex_words_and_numbers_are_not_shas() {
        assert_eq!(classify_tag("deadbeef"), TagKind::Other, "no digit");
        assert_eq!(classify_tag("defaced"), TagKind::Other);
        assert_eq!(classify_tag("1234567"), TagKind::DateOrBuild, "no letter");
        assert_eq!(
            classify_tag("a14cf8"),
            TagKind::Other,
            "6 chars is too short"
        );
        assert_eq!(classify_tag("a14Cf86"), TagKind::Other, "mixed case");
        assert_eq!(
            classify_tag("e83c5163316f89bfbde7d9ab23ca2e25604af2901"),
            TagKind::Other,
            "41 hex chars is no git hash"
        );
    }

    #[test]
    fn digest_named_tags() {
        let hex = "b26249e2ede0949755f5af8028185dc2bcfc3aa2db21eb9610543d144eb6ee9d";
        assert_eq!(classify_tag(&format!("sha256-{hex}.sig")), TagKind::Digest);
        assert_eq!(classify_tag(&format!("sha256-{hex}.att")), TagKind::Digest);
        assert_eq!(classify_tag(&format!("sha256-{hex}")), TagKind::Digest);
        assert_eq!(classify_tag(hex), TagKind::Digest);
        assert_eq!(
            classify_tag("sha256-abc.sig"),
            TagKind::Other,
            "truncated digest"
        );
    }

    #[test]
    fn versions() {
        for tag in [
            "1",
            "1.2",
            "1.2.3",
            "v2",
            "V2.0",
            "18",
            "3",
            "999",
            "v1234",
            "1.27-alpine",
            "3.12-slim-bookworm",
            "v1.2.3-rc.1",
            "2.4.1-1",
            "1.0+build5",
            "1.0.0a1",
            "2025.1",
            "4.40_large_disk",
            "v1.2.3-4-ga14cf86",
            "v3.9.7-75e084e",
            "1.2.3-a14cf86",
            "pg16",
            "python3.12-slim",
            "release-1.2.3",
            "ubuntu-24.04",
        ] {
            assert_eq!(classify_tag(tag), TagKind::Version, "{tag}");
        }
    }

    #[test]
    fn dates_and_builds() {
        for tag in [
            "20240101",
            "2024-01-01",
            "2024.01.15",
            "build-1234",
            "build1234",
            "1234",
            "1000",
            "1234-alpine",
            "20240101-1530",
            "nightly-20240101",
            "ubuntu-jammy-20240101",
            "RELEASE.2025-04-22T22-12-26Z",
            "ci-42",
        ] {
            assert_eq!(classify_tag(tag), TagKind::DateOrBuild, "{tag}");
        }
    }

    #[test]
    fn floating_tags() {
        for tag in [
            "latest",
            "Latest",
            "staging-latest",
            "main-latest",
            "latest-alpine",
            "3-latest",
            "cpu-latest",
            "stable",
            "edge",
            "nightly",
            "main",
            "master",
            "dev",
            "develop",
            "development",
            "staging",
            "stage",
            "production",
            "prod",
            "preview",
            "canary",
            "beta",
            "alpha",
            "test",
            "qa",
            "release",
            "rolling",
            "current",
            "lts",
            "stable-alpine",
            "buildx-stable-1",
            "pr-123",
            "pr123",
            "alpine",
            "slim-bookworm",
        ] {
            assert_eq!(classify_tag(tag), TagKind::Floating, "{tag}");
        }
    }

    #[test]
    fn templated_tags() {
        let cases = [
            ("${{ github.sha }}", true),
            ("${{ steps.tags.outputs.sha }}", true),
            ("staging-${{ steps.tags.outputs.sha }}", true),
            ("${GITHUB_SHA::7}", true),
            ("$GITHUB_SHA", true),
            ("${CI_COMMIT_SHA}", true),
            ("$CI_COMMIT_SHORT_SHA", true),
            ("${COMMIT_SHA}", true),
            ("${GIT_SHA}", true),
            ("${{ github.event.pull_request.head.sha }}", true),
            ("${{ needs.build.outputs.short_sha }}", true),
            ("${{ steps.vars.outputs.shortSha }}", true),
            ("${{ steps.meta.outputs.commit_short }}", true),
            ("{{sha}}", true),
            ("${{ github.ref_name }}", false),
            ("${TAG}", false),
            ("$VERSION", false),
            ("v${{ matrix.version }}", false),
            ("{{date 'YYYYMMDD'}}", false),
            ("${{ steps.build.outputs.digest }}", false),
        ];
        for (tag, sha) in cases {
            assert_eq!(classify_tag(tag), TagKind::Templated { sha }, "{tag}");
        }
    }

    #[test]
    fn other_tags() {
        for tag in [
            "foo-bar",
            "local",
            "ci",
            "e2e-smoke",
            "dry-run",
            "sha",
            "free",
        ] {
            assert_eq!(classify_tag(tag), TagKind::Other, "{tag}");
        }
        assert_eq!(classify_tag(""), TagKind::Untagged);
    }

    #[test]
    fn labels() {
        let cases = [
            (commit("a", "", ""), "commit-sha"),
            (TagKind::Digest, "digest"),
            (TagKind::Version, "version"),
            (TagKind::DateOrBuild, "date-or-build"),
            (TagKind::Floating, "floating"),
            (TagKind::Untagged, "untagged"),
            (TagKind::Templated { sha: true }, "templated-sha"),
            (TagKind::Templated { sha: false }, "templated"),
            (TagKind::Other, "other"),
        ];
        for (kind, label) in cases {
            assert_eq!(kind.label(), label);
        }
    }

    #[test]
    fn is_templated_cases() {
        for text in [
            "${{ github.sha }}",
            "${VAR}",
            "${VAR:-x}",
            "$VAR",
            "$_x",
            "a-$B",
            "{{sha}}",
            "${{",
        ] {
            assert!(is_templated(text), "{text}");
        }
        for text in ["", "latest", "$", "$5", "a$", "$-x", "{sha}", "price: 5$"] {
            assert!(!is_templated(text), "{text}");
        }
    }

    // --- real-world corpus -------------------------------------------------------------------

    /// (reference as found in /work/shared/corpus, registry, repository, tag, kind label).
    /// Expected values were worked out by hand from the grammar, not copied from output.
    #[rustfmt::skip]
    const CORPUS: &[(&str, &str, &str, Option<&str>, &str)] = &[
        // incident/ (molecule-core before/after, template-hermes) and the Railway variable
        ("ghcr.io/molecule-ai/platform-tenant:staging-a14cf86", "ghcr.io", "molecule-ai/platform-tenant", Some("staging-a14cf86"), "commit-sha"),
        ("ghcr.io/molecule-ai/platform-tenant:staging-latest", "ghcr.io", "molecule-ai/platform-tenant", Some("staging-latest"), "floating"),
        ("ghcr.io/molecule-ai/platform-tenant:latest", "ghcr.io", "molecule-ai/platform-tenant", Some("latest"), "floating"),
        ("ghcr.io/molecule-ai/platform-tenant:a14cf86", "ghcr.io", "molecule-ai/platform-tenant", Some("a14cf86"), "commit-sha"),
        ("ghcr.io/molecule-ai/platform-tenant:sha-a14cf86", "ghcr.io", "molecule-ai/platform-tenant", Some("sha-a14cf86"), "commit-sha"),
        ("${{ env.TENANT_IMAGE_NAME }}:staging-${{ steps.tags.outputs.sha }}", "", "${{ env.TENANT_IMAGE_NAME }}", Some("staging-${{ steps.tags.outputs.sha }}"), "templated-sha"),
        ("${{ env.TENANT_IMAGE_NAME }}:staging-latest", "", "${{ env.TENANT_IMAGE_NAME }}", Some("staging-latest"), "floating"),
        ("${{ env.IMAGE_NAME }}:staging-${{ steps.tags.outputs.sha }}", "", "${{ env.IMAGE_NAME }}", Some("staging-${{ steps.tags.outputs.sha }}"), "templated-sha"),
        ("${{ env.IMAGE_NAME }}:staging-latest", "", "${{ env.IMAGE_NAME }}", Some("staging-latest"), "floating"),
        ("${{ env.IMAGE_NAME }}:latest", "", "${{ env.IMAGE_NAME }}", Some("latest"), "floating"),
        ("${{ env.IMAGE_NAME }}:sha-${{ steps.tags.outputs.sha }}", "", "${{ env.IMAGE_NAME }}", Some("sha-${{ steps.tags.outputs.sha }}"), "templated-sha"),
        ("${{ env.IMAGE_NAME }}:sha-${{ needs.resolve-version.outputs.sha }}", "", "${{ env.IMAGE_NAME }}", Some("sha-${{ needs.resolve-version.outputs.sha }}"), "templated-sha"),
        ("${IMAGE_NAME}:staging-${{ needs.canary-smoke.outputs.sha }}", "", "${IMAGE_NAME}", Some("staging-${{ needs.canary-smoke.outputs.sha }}"), "templated-sha"),
        ("${TENANT_IMAGE_NAME}:staging-${{ needs.canary-smoke.outputs.sha }}", "", "${TENANT_IMAGE_NAME}", Some("staging-${{ needs.canary-smoke.outputs.sha }}"), "templated-sha"),
        ("${IMAGE_NAME}:latest", "", "${IMAGE_NAME}", Some("latest"), "floating"),
        ("${TENANT_IMAGE_NAME}:latest", "", "${TENANT_IMAGE_NAME}", Some("latest"), "floating"),
        ("${IMAGE_NAME}:staging-${{ inputs.sha }}", "", "${IMAGE_NAME}", Some("staging-${{ inputs.sha }}"), "templated-sha"),
        ("ghcr.io/molecule-ai/platform", "ghcr.io", "molecule-ai/platform", None, "untagged"),
        ("ghcr.io/molecule-ai/canvas", "ghcr.io", "molecule-ai/canvas", None, "untagged"),
        ("ghcr.io/molecule-ai/canvas:latest", "ghcr.io", "molecule-ai/canvas", Some("latest"), "floating"),
        ("ghcr.io/berriai/litellm:main-latest", "ghcr.io", "berriai/litellm", Some("main-latest"), "floating"),
        ("ollama/ollama:latest", "docker.io", "ollama/ollama", Some("latest"), "floating"),
        ("registry.fly.io/molecule-tenant:latest", "registry.fly.io", "molecule-tenant", Some("latest"), "floating"),
        ("153263036946.dkr.ecr.us-east-2.amazonaws.com/molecule-ai/workspace-template-hermes", "153263036946.dkr.ecr.us-east-2.amazonaws.com", "molecule-ai/workspace-template-hermes", None, "untagged"),
        ("postgres:16-alpine", "docker.io", "library/postgres", Some("16-alpine"), "version"),
        ("redis:7-alpine", "docker.io", "library/redis", Some("7-alpine"), "version"),
        ("clickhouse/clickhouse-server:24-alpine", "docker.io", "clickhouse/clickhouse-server", Some("24-alpine"), "version"),
        ("langfuse/langfuse:2", "docker.io", "langfuse/langfuse", Some("2"), "version"),
        ("temporalio/auto-setup:1.25", "docker.io", "temporalio/auto-setup", Some("1.25"), "version"),
        ("temporalio/ui:2.31.2", "docker.io", "temporalio/ui", Some("2.31.2"), "version"),
        ("python:3.11-slim", "docker.io", "library/python", Some("3.11-slim"), "version"),
        ("golang:1.25-alpine", "docker.io", "library/golang", Some("1.25-alpine"), "version"),
        ("node:20-alpine", "docker.io", "library/node", Some("20-alpine"), "version"),
        ("alpine:3.20", "docker.io", "library/alpine", Some("3.20"), "version"),
        // compose/
        ("registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373", "docker.io", "library/registry", Some("2.8.3"), "digest"),
        ("postgres:15-alpine", "docker.io", "library/postgres", Some("15-alpine"), "version"),
        ("quay.io/prometheus/golang-builder:1.26-base", "quay.io", "prometheus/golang-builder", Some("1.26-base"), "version"),
        ("quay.io/prometheus/golang-builder", "quay.io", "prometheus/golang-builder", None, "untagged"),
        ("docker.io/bitnamilegacy/redis-cluster:8.0", "docker.io", "bitnamilegacy/redis-cluster", Some("8.0"), "version"),
        ("redis:latest", "docker.io", "library/redis", Some("latest"), "floating"),
        ("nginx:latest", "docker.io", "library/nginx", Some("latest"), "floating"),
        ("minio/minio:latest", "docker.io", "minio/minio", Some("latest"), "floating"),
        ("makeplane/plane-backend:${APP_RELEASE:-stable}", "docker.io", "makeplane/plane-backend", Some("${APP_RELEASE:-stable}"), "templated"),
        ("apache/kafka:3.9.0", "docker.io", "apache/kafka", Some("3.9.0"), "version"),
        ("${_APP_IMAGE:-appwrite/appwrite}:${_APP_VERSION:-latest}", "", "${_APP_IMAGE:-appwrite/appwrite}", Some("${_APP_VERSION:-latest}"), "templated"),
        ("postgres:18", "docker.io", "library/postgres", Some("18"), "version"),
        ("postgres:16", "docker.io", "library/postgres", Some("16"), "version"),
        ("nginx:alpine", "docker.io", "library/nginx", Some("alpine"), "floating"),
        ("mysql:8.0", "docker.io", "library/mysql", Some("8.0"), "version"),
        ("ubuntu/squid:latest@sha256:6a097f68bae708cedbabd6188d68c7e2e7a38cedd05a176e1cc0ba29e3bbe029", "docker.io", "ubuntu/squid", Some("latest"), "digest"),
        ("traefik:3.6", "docker.io", "library/traefik", Some("3.6"), "version"),
        ("nextcloud:apache", "docker.io", "library/nextcloud", Some("apache"), "floating"),
        ("opengitbase-compute-agent", "docker.io", "library/opengitbase-compute-agent", None, "untagged"),
        ("postgres", "docker.io", "library/postgres", None, "untagged"),
        ("frostgate-core:latest", "docker.io", "library/frostgate-core", Some("latest"), "floating"),
        ("backend:latest", "docker.io", "library/backend", Some("latest"), "floating"),
        ("apex-arena-backend:local", "docker.io", "library/apex-arena-backend", Some("local"), "other"),
        ("ghcr.io/railwayapp-templates/postgres-ssl:16", "ghcr.io", "railwayapp-templates/postgres-ssl", Some("16"), "version"),
        ("prefecthq/prefect-client", "docker.io", "prefecthq/prefect-client", None, "untagged"),
        ("$SYMBOLICATOR_IMAGE", "", "$SYMBOLICATOR_IMAGE", None, "templated"),
        ("voicevox/voicevox_engine:cpu-latest", "docker.io", "voicevox/voicevox_engine", Some("cpu-latest"), "floating"),
        ("valkey/valkey:7.2.11-alpine", "docker.io", "valkey/valkey", Some("7.2.11-alpine"), "version"),
        ("us-central1-docker.pkg.dev/database-toolbox/toolbox/toolbox:latest", "us-central1-docker.pkg.dev", "database-toolbox/toolbox/toolbox", Some("latest"), "floating"),
        ("tonistiigi/binfmt@sha256:d3b963f787999e6c0219a48dba02978769286ff61a5f4d26245cb6a6e5567ea3", "docker.io", "tonistiigi/binfmt", None, "digest"),
        ("timescale/timescaledb:latest-pg17", "docker.io", "timescale/timescaledb", Some("latest-pg17"), "floating"),
        ("temporalio/ui:${TEMPORAL_UI_VERSION:-2.30.2}", "docker.io", "temporalio/ui", Some("${TEMPORAL_UI_VERSION:-2.30.2}"), "templated"),
        ("tecnativa/docker-socket-proxy:0.3.0", "docker.io", "tecnativa/docker-socket-proxy", Some("0.3.0"), "version"),
        ("sonatype/nexus3:${NEXUS_VERSION:-latest}", "docker.io", "sonatype/nexus3", Some("${NEXUS_VERSION:-latest}"), "templated"),
        ("sentry-self-hosted-local", "docker.io", "library/sentry-self-hosted-local", None, "untagged"),
        ("semgrep/semgrep:1.155.0@sha256:cc869c685dcc0fe497c86258da9f205397d8108e56d21a86082ea4886e52784d", "docker.io", "semgrep/semgrep", Some("1.155.0"), "digest"),
        ("registry:3", "docker.io", "library/registry", Some("3"), "version"),
        ("registry:${REGISTRY_IMAGE_TAG:-2}", "docker.io", "library/registry", Some("${REGISTRY_IMAGE_TAG:-2}"), "templated"),
        ("registry.gitlab.com/egos-tech/smtp", "registry.gitlab.com", "egos-tech/smtp", None, "untagged"),
        ("redis/redis-stack-server:latest", "docker.io", "redis/redis-stack-server", Some("latest"), "floating"),
        ("rabbitmq:4.1.2-management-alpine", "docker.io", "library/rabbitmq", Some("4.1.2-management-alpine"), "version"),
        ("rabbitmq:3-alpine", "docker.io", "library/rabbitmq", Some("3-alpine"), "version"),
        ("quay.io/keycloak/keycloak:24.0", "quay.io", "keycloak/keycloak", Some("24.0"), "version"),
        ("prom/statsd-exporter:v0.26.0", "docker.io", "prom/statsd-exporter", Some("v0.26.0"), "version"),
        ("prom/prometheus@sha256:e4254400b85610324913f0dc4acf92603d9984e7519414c5a12811aa6146acc3", "docker.io", "prom/prometheus", None, "digest"),
        ("prom/prometheus:${PROMETHEUS_VERSION:-v2.55.1}", "docker.io", "prom/prometheus", Some("${PROMETHEUS_VERSION:-v2.55.1}"), "templated"),
        ("postgres:alpine", "docker.io", "library/postgres", Some("alpine"), "floating"),
        ("postgres:${POSTGRES_VERSION:-17.2-alpine3.21}", "docker.io", "library/postgres", Some("${POSTGRES_VERSION:-17.2-alpine3.21}"), "templated"),
        ("pihole/pihole:latest", "docker.io", "pihole/pihole", Some("latest"), "floating"),
        ("pgvector/pgvector:pg16", "docker.io", "pgvector/pgvector", Some("pg16"), "version"),
        ("pgvector/pgvector:0.8.0-pg17", "docker.io", "pgvector/pgvector", Some("0.8.0-pg17"), "version"),
        ("otterscan/otterscan:v2.3.0", "docker.io", "otterscan/otterscan", Some("v2.3.0"), "version"),
        ("otel/opentelemetry-collector-contrib:${OTEL_COLLECTOR_VERSION:-0.115.1}", "docker.io", "otel/opentelemetry-collector-contrib", Some("${OTEL_COLLECTOR_VERSION:-0.115.1}"), "templated"),
        ("openruntimes/executor:0.25.4", "docker.io", "openruntimes/executor", Some("0.25.4"), "version"),
        ("nginx/nginx-prometheus-exporter@sha256:bf76e58df548a13e52bd543ac70f6d3d667e14884e8b51c149bd81994ca75ccd", "docker.io", "nginx/nginx-prometheus-exporter", None, "digest"),
        ("nats:2.10-alpine", "docker.io", "library/nats", Some("2.10-alpine"), "version"),
        ("mysql", "docker.io", "library/mysql", None, "untagged"),
        ("mongo:7-jammy", "docker.io", "library/mongo", Some("7-jammy"), "version"),
        ("moby/buildkit:master", "docker.io", "moby/buildkit", Some("master"), "floating"),
        ("moby/buildkit:buildx-stable-1", "docker.io", "moby/buildkit", Some("buildx-stable-1"), "floating"),
        ("minio/minio:RELEASE.2025-04-22T22-12-26Z", "docker.io", "minio/minio", Some("RELEASE.2025-04-22T22-12-26Z"), "date-or-build"),
        ("minio/mc:RELEASE.2025-04-16T18-13-26Z", "docker.io", "minio/mc", Some("RELEASE.2025-04-16T18-13-26Z"), "date-or-build"),
        ("mariadb:lts", "docker.io", "library/mariadb", Some("lts"), "floating"),
        ("mariadb:10.11", "docker.io", "library/mariadb", Some("10.11"), "version"),
        ("karyl-chan-bot:local", "docker.io", "library/karyl-chan-bot", Some("local"), "other"),
        ("haproxy:3.2", "docker.io", "library/haproxy", Some("3.2"), "version"),
        ("greptime/greptimedb:v1.0.0", "docker.io", "greptime/greptimedb", Some("v1.0.0"), "version"),
        ("grafana/grafana@sha256:0f86bada30d65ef9d0183b90c1e2682ac92d53d95da8bed322b984ea78a4a73a", "docker.io", "grafana/grafana", None, "digest"),
        ("gotenberg/gotenberg:8", "docker.io", "gotenberg/gotenberg", Some("8"), "version"),
        ("ghcr.io/triggerdotdev/trigger.dev:${TRIGGER_IMAGE_TAG:-latest}", "ghcr.io", "triggerdotdev/trigger.dev", Some("${TRIGGER_IMAGE_TAG:-latest}"), "templated"),
        ("ghcr.io/sigstore/cosign/cosign:v3.1.1-dev@sha256:0dcd21d8b6464a526e3225f44c50f34687e861dcf010f566b3caa4f0e5cd898a", "ghcr.io", "sigstore/cosign/cosign", Some("v3.1.1-dev"), "digest"),
        ("ghcr.io/open-runtimes/orchestrator/orchestrator:1.3.0", "ghcr.io", "open-runtimes/orchestrator/orchestrator", Some("1.3.0"), "version"),
        ("ghcr.io/gythialy/golang-cross:v1.26.4-0@sha256:638b15f32291895696ec579e36cbf37ee186374f828e4a211072558b816c3c7e", "ghcr.io", "gythialy/golang-cross", Some("v1.26.4-0"), "digest"),
        ("ghcr.io/gnzsnz/ib-gateway:stable", "ghcr.io", "gnzsnz/ib-gateway", Some("stable"), "floating"),
        ("ghcr.io/foundry-rs/foundry:stable", "ghcr.io", "foundry-rs/foundry", Some("stable"), "floating"),
        ("ghcr.io/csingh26/apex-arena-backend", "ghcr.io", "csingh26/apex-arena-backend", None, "untagged"),
        ("getmeili/meilisearch:v1.12", "docker.io", "getmeili/meilisearch", Some("v1.12"), "version"),
        ("gcr.io/cadvisor/cadvisor:v0.47.0", "gcr.io", "cadvisor/cadvisor", Some("v0.47.0"), "version"),
        ("electricsql/electric:${ELECTRIC_IMAGE_TAG:-1.2.4}", "docker.io", "electricsql/electric", Some("${ELECTRIC_IMAGE_TAG:-1.2.4}"), "templated"),
        ("edoburu/pgbouncer:1.21.0", "docker.io", "edoburu/pgbouncer", Some("1.21.0"), "version"),
        ("docker.io/valkey/valkey:9-alpine", "docker.io", "valkey/valkey", Some("9-alpine"), "version"),
        ("docker.io/tonistiigi/binfmt:latest@sha256:400a4873b838d1b89194d982c45e5fb3cda4593fbfd7e08a02e76b03b21166f0", "docker.io", "tonistiigi/binfmt", Some("latest"), "digest"),
        ("docker.io/postgres:${POSTGRES_VERSION:-17}", "docker.io", "library/postgres", Some("${POSTGRES_VERSION:-17}"), "templated"),
        ("docker.io/library/mariadb:12", "docker.io", "library/mariadb", Some("12"), "version"),
        ("docker.io/indexsupply/shovel:${SHOVEL_VERSION:-af07}", "docker.io", "indexsupply/shovel", Some("${SHOVEL_VERSION:-af07}"), "templated"),
        ("docker.io/clickhouse/clickhouse-server:25.12", "docker.io", "clickhouse/clickhouse-server", Some("25.12"), "version"),
        ("${REGISTRY_URL:-docker.io}/coollabsio/coolify:${LATEST_IMAGE:-latest}", "", "${REGISTRY_URL:-docker.io}/coollabsio/coolify", Some("${LATEST_IMAGE:-latest}"), "templated"),
        ("chrislusf/seaweedfs:4.40_large_disk@sha256:d07aa1dae03c687e0737b86130ded1b18474211a09e85d737fbe5508b8805139", "docker.io", "chrislusf/seaweedfs", Some("4.40_large_disk"), "digest"),
        ("edoburu/pgbouncer:v1.25.2-p0", "docker.io", "edoburu/pgbouncer", Some("v1.25.2-p0"), "version"),
        ("postgres:14.24-bookworm", "docker.io", "library/postgres", Some("14.24-bookworm"), "version"),
        ("traefik/whoami", "docker.io", "traefik/whoami", None, "untagged"),
        ("traefik:v3.7", "docker.io", "library/traefik", Some("v3.7"), "version"),
        ("${ARBITRUM_NITRO_IMAGE:-offchainlabs/nitro-node:v3.9.7-75e084e}", "", "${ARBITRUM_NITRO_IMAGE:-offchainlabs/nitro-node:v3.9.7-75e084e}", None, "templated"),
        ("${S2_IMAGE:-ghcr.io/s2-streamstore/s2:latest@sha256:d6ded5ca7dd619fa7c946f06e39a98f9c95c6883c8bb884e5eaa129f232c920c}", "", "${S2_IMAGE:-ghcr.io/s2-streamstore/s2:latest@sha256:d6ded5ca7dd619fa7c946f06e39a98f9c95c6883c8bb884e5eaa129f232c920c}", None, "templated"),
        ("${NEXUS_IMAGE_REPOSITORY:-ghcr.io/0honus0/nexus-terminal}:${NEXUS_IMAGE_TAG:-latest}", "", "${NEXUS_IMAGE_REPOSITORY:-ghcr.io/0honus0/nexus-terminal}", Some("${NEXUS_IMAGE_TAG:-latest}"), "templated"),
        ("${BFF_IMAGE:?BFF_IMAGE must be pinned to a digest by pullfm-deploy}", "", "${BFF_IMAGE:?BFF_IMAGE must be pinned to a digest by pullfm-deploy}", None, "templated"),
        ("${AIRFLOW_IMAGE:-engine-airflow:latest}", "", "${AIRFLOW_IMAGE:-engine-airflow:latest}", None, "templated"),
        ("cgr.dev/chainguard/minio", "cgr.dev", "chainguard/minio", None, "untagged"),
        ("code-evo-be0.1", "docker.io", "library/code-evo-be0.1", None, "untagged"),
        ("chatgpt2api:warp", "docker.io", "library/chatgpt2api", Some("warp"), "other"),
        ("alpine/openssl", "docker.io", "alpine/openssl", None, "untagged"),
        ("caddy:2-alpine", "docker.io", "library/caddy", Some("2-alpine"), "version"),
        ("memcached:1.6.45-alpine", "docker.io", "library/memcached", Some("1.6.45-alpine"), "version"),
        ("confluentinc/cp-kafka:7.6.13", "docker.io", "confluentinc/cp-kafka", Some("7.6.13"), "version"),
        ("busybox:${BUSYBOX_IMAGE_TAG:-1.37}", "docker.io", "library/busybox", Some("${BUSYBOX_IMAGE_TAG:-1.37}"), "templated"),
        ("bitnamilegacy/minio:${MINIO_IMAGE_TAG:-latest}", "docker.io", "bitnamilegacy/minio", Some("${MINIO_IMAGE_TAG:-latest}"), "templated"),
        // dotenv/
        ("offchainlabs/nitro-node:v3.9.7-75e084e", "docker.io", "offchainlabs/nitro-node", Some("v3.9.7-75e084e"), "version"),
        ("us-docker.pkg.dev/oplabs-tools-artifacts/images/op-node:v1.16.4", "us-docker.pkg.dev", "oplabs-tools-artifacts/images/op-node", Some("v1.16.4"), "version"),
        ("ghcr.io/paradigmxyz/op-reth:v1.9.3", "ghcr.io", "paradigmxyz/op-reth", Some("v1.9.3"), "version"),
        ("sigp/lighthouse:v8.1.2", "docker.io", "sigp/lighthouse", Some("v8.1.2"), "version"),
        ("ghcr.io/paradigmxyz/reth:v1.9.3", "ghcr.io", "paradigmxyz/reth", Some("v1.9.3"), "version"),
        // railway-iac/
        ("ghcr.io/saleor/saleor-dashboard:3.23.20@sha256:c1ce2f625316bf1e02dd8070335bf3bdbaeaa388e14b094d35dd5db2f9b60cf3", "ghcr.io", "saleor/saleor-dashboard", Some("3.23.20"), "digest"),
        ("metabase/metabase:v0.63.19@sha256:7324f83713df9851c6c7b6c8247098de14c0924fc3b868202f886df4877cd4ff", "docker.io", "metabase/metabase", Some("v0.63.19"), "digest"),
        ("postgres:17.11-alpine@sha256:b0f9560a2de083e2cc7382e75f808c7381a32852a7ec49117deedb300e552b24", "docker.io", "library/postgres", Some("17.11-alpine"), "digest"),
        ("valkey/valkey:8.1-alpine@sha256:a038175878d66b9d274fbf8be73c0305e93798b83917647f167e18cef3c71eec", "docker.io", "valkey/valkey", Some("8.1-alpine"), "digest"),
        ("docker.restate.dev/restatedev/restate:1.7.7@sha256:dd1695b61c9de877d24bf9afe8a0ac5fb0f66d175c1bc397975d2252bd784eb2", "docker.restate.dev", "restatedev/restate", Some("1.7.7"), "digest"),
        ("clickhouse/clickhouse-server:25.3", "docker.io", "clickhouse/clickhouse-server", Some("25.3"), "version"),
        ("edoburu/pgbouncer:v1.24.1-p1", "docker.io", "edoburu/pgbouncer", Some("v1.24.1-p1"), "version"),
        ("ghcr.io/bcm-works/site:latest", "ghcr.io", "bcm-works/site", Some("latest"), "floating"),
        ("ghcr.io/imgproxy/imgproxy:v4.0.3", "ghcr.io", "imgproxy/imgproxy", Some("v4.0.3"), "version"),
        ("inngest/inngest:v1.39.0", "docker.io", "inngest/inngest", Some("v1.39.0"), "version"),
        ("paradedb/paradedb:latest", "docker.io", "paradedb/paradedb", Some("latest"), "floating"),
        ("pgvector/pgvector:0.8.6-pg18-bookworm", "docker.io", "pgvector/pgvector", Some("0.8.6-pg18-bookworm"), "version"),
        ("postgis/postgis:16-3.4", "docker.io", "postgis/postgis", Some("16-3.4"), "version"),
        ("orthancteam/orthanc:26.8.2-full", "docker.io", "orthancteam/orthanc", Some("26.8.2-full"), "version"),
        ("ghcr.io/railwayapp/function-bun:1.3.0", "ghcr.io", "railwayapp/function-bun", Some("1.3.0"), "version"),
        ("postgres:17.6-alpine", "docker.io", "library/postgres", Some("17.6-alpine"), "version"),
        ("ghcr.io/edwarmkaer/cubeos-api:sha-${sha}", "ghcr.io", "edwarmkaer/cubeos-api", Some("sha-${sha}"), "templated-sha"),
        ("ghcr.io/edwarmkaer/cubeos-web:sha-${sha}", "ghcr.io", "edwarmkaer/cubeos-web", Some("sha-${sha}"), "templated-sha"),
        // workflows/
        ("ghcr.io/github/gh-aw-firewall/agent:0.27.11@sha256:979723c628182da7729333f2208bb249fd25ddee579645cf9a3892d681a929c7", "ghcr.io", "github/gh-aw-firewall/agent", Some("0.27.11"), "digest"),
        ("ghcr.io/github/gh-aw-firewall/squid:0.27.44", "ghcr.io", "github/gh-aw-firewall/squid", Some("0.27.44"), "version"),
        ("ghcr.io/github/gh-aw-node@sha256:0d9f1fb5fd6610c0ac1f5194a38e45a8a1e81f8a390d5142d8e4e6f26a4b3196", "ghcr.io", "github/gh-aw-node", None, "digest"),
        ("ghcr.io/github/gh-aw-mcpg:v0.4.9@sha256:e5a1569aeaf41820fa7bdee3e94468cae448133cdbf00119ad24f5b74db1ab9f", "ghcr.io", "github/gh-aw-mcpg", Some("v0.4.9"), "digest"),
        ("ghcr.io/github/github-mcp-server:v0.20.1", "ghcr.io", "github/github-mcp-server", Some("v0.20.1"), "version"),
        ("ghcr.io/zaproxy/zaproxy@sha256:8d387b1a63e3425beef4846e39719f5af2a787753af2d8b6558c6257d7a577a2", "ghcr.io", "zaproxy/zaproxy", None, "digest"),
        ("ghcr.io/s2-streamstore/s2:0.40.0@sha256:b26249e2ede0949755f5af8028185dc2bcfc3aa2db21eb9610543d144eb6ee9d", "ghcr.io", "s2-streamstore/s2", Some("0.40.0"), "digest"),
        ("mcp/fetch", "docker.io", "mcp/fetch", None, "untagged"),
        ("ghcr.io/0gfoundation/compute-network-buildpack:20250619", "ghcr.io", "0gfoundation/compute-network-buildpack", Some("20250619"), "date-or-build"),
        ("gcr.io/distroless/static-debian13:nonroot", "gcr.io", "distroless/static-debian13", Some("nonroot"), "floating"),
        ("gcr.io/distroless/static", "gcr.io", "distroless/static", None, "untagged"),
        ("ghcr.io/owner/repo/next-app:sha", "ghcr.io", "owner/repo/next-app", Some("sha"), "other"),
        ("ghcr.io/testssl/testssl.sh:3.2", "ghcr.io", "testssl/testssl.sh", Some("3.2"), "version"),
        ("ghcr.io/cross-rs/aarch64-unknown-linux-gnu:main", "ghcr.io", "cross-rs/aarch64-unknown-linux-gnu", Some("main"), "floating"),
        ("ghcr.io/cross-rs/${{ matrix.target }}:main", "ghcr.io", "cross-rs/${{ matrix.target }}", Some("main"), "floating"),
        ("quay.io/$IMAGE_NAMESPACE/$IMAGE_REPOSITORY:latest", "quay.io", "$IMAGE_NAMESPACE/$IMAGE_REPOSITORY", Some("latest"), "floating"),
        ("ghcr.io/traefik/traefik:$tag", "ghcr.io", "traefik/traefik", Some("$tag"), "templated"),
        ("traefik:latest", "docker.io", "library/traefik", Some("latest"), "floating"),
        ("ghcr.io/argoproj/argo-cd/argocd:${NEEDS_SET_VARS_OUTPUTS_IMAGE_TAG}", "ghcr.io", "argoproj/argo-cd/argocd", Some("${NEEDS_SET_VARS_OUTPUTS_IMAGE_TAG}"), "templated"),
        ("registry.digitalocean.com/${{ secrets.DIGITALOCEAN_REGISTRY }}/smartbudget:${{ github.sha }}", "registry.digitalocean.com", "${{ secrets.DIGITALOCEAN_REGISTRY }}/smartbudget", Some("${{ github.sha }}"), "templated-sha"),
        ("registry.digitalocean.com/${{ secrets.DIGITALOCEAN_REGISTRY }}/smartbudget:latest", "registry.digitalocean.com", "${{ secrets.DIGITALOCEAN_REGISTRY }}/smartbudget", Some("latest"), "floating"),
        ("docker.io/404gen/gateway:${{ env.SHA }}-amd64", "docker.io", "404gen/gateway", Some("${{ env.SHA }}-amd64"), "templated-sha"),
        ("404gen/gateway:${{ env.SHA }}-arm64", "docker.io", "404gen/gateway", Some("${{ env.SHA }}-arm64"), "templated-sha"),
        ("ghcr.io/0gfoundation/0g-serving-broker:${{ github.ref_name }}-amd64", "ghcr.io", "0gfoundation/0g-serving-broker", Some("${{ github.ref_name }}-amd64"), "templated"),
        ("ghcr.io/fluxcd/kindest/node:v${{ matrix.KUBERNETES_VERSION }}-arm64", "ghcr.io", "fluxcd/kindest/node", Some("v${{ matrix.KUBERNETES_VERSION }}-arm64"), "templated"),
        ("ghcr.io/huggingface/text-generation-inference:sha-${{ env.GITHUB_SHA_SHORT}}${{ env.LABEL_EXTENSION }}", "ghcr.io", "huggingface/text-generation-inference", Some("sha-${{ env.GITHUB_SHA_SHORT}}${{ env.LABEL_EXTENSION }}"), "templated-sha"),
        ("ghcr.io/langfuse/${{ matrix.image_name }}", "ghcr.io", "langfuse/${{ matrix.image_name }}", None, "templated"),
        ("index.docker.io/triggerdotdev/${{ matrix.image.repo }}", "docker.io", "triggerdotdev/${{ matrix.image.repo }}", None, "templated"),
        ("triggerdotdev/${{ matrix.image.repo }}:${{ matrix.image.tag }}-build", "docker.io", "triggerdotdev/${{ matrix.image.repo }}", Some("${{ matrix.image.tag }}-build"), "templated"),
        ("${{ secrets.DOCKER_USERNAME }}/rideghana:latest", "", "${{ secrets.DOCKER_USERNAME }}/rideghana", Some("latest"), "floating"),
        ("${{ matrix.service }}:latest", "", "${{ matrix.service }}", Some("latest"), "floating"),
        ("tekvwarho-proaudit:${{ github.sha }}", "docker.io", "library/tekvwarho-proaudit", Some("${{ github.sha }}"), "templated-sha"),
        ("tekvwarho-proaudit:test", "docker.io", "library/tekvwarho-proaudit", Some("test"), "floating"),
        ("pr_image:${{ github.sha }}", "docker.io", "library/pr_image", Some("${{ github.sha }}"), "templated-sha"),
        ("automatic-ripping-machine:pr${{ github.event.number }}", "docker.io", "library/automatic-ripping-machine", Some("pr${{ github.event.number }}"), "templated"),
        ("hyperscape-server:${{ steps.env.outputs.env_tag }}-${{ github.sha }}", "docker.io", "library/hyperscape-server", Some("${{ steps.env.outputs.env_tag }}-${{ github.sha }}"), "templated-sha"),
        ("${{ env.RUNS_ON_ECR_CACHE }}:${{ env.IMAGE }}-${{ github.sha }}", "", "${{ env.RUNS_ON_ECR_CACHE }}", Some("${{ env.IMAGE }}-${{ github.sha }}"), "templated-sha"),
        ("${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}-projection:${{ steps.meta.outputs.tags }}", "", "${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}-projection", Some("${{ steps.meta.outputs.tags }}"), "templated"),
        ("${{ env.IMAGE_PREFIX }}/haproxy-rust-binaries:${{ steps.sha.outputs.short }}", "", "${{ env.IMAGE_PREFIX }}/haproxy-rust-binaries", Some("${{ steps.sha.outputs.short }}"), "templated-sha"),
        ("${{ env.IMAGE_PREFIX }}/etcd:${{ env.ETCD_VERSION }}-${{ steps.meta.outputs.sha }}", "", "${{ env.IMAGE_PREFIX }}/etcd", Some("${{ env.ETCD_VERSION }}-${{ steps.meta.outputs.sha }}"), "templated-sha"),
        ("${{ env.IMAGE_PREFIX }}/haproxy:${{ env.HAPROXY_VERSION }}-${{ steps.meta.outputs.short }}${{ env.BETA_SUFFIX }}", "", "${{ env.IMAGE_PREFIX }}/haproxy", Some("${{ env.HAPROXY_VERSION }}-${{ steps.meta.outputs.short }}${{ env.BETA_SUFFIX }}"), "templated"),
        ("ghcr.io/hadolint/hadolint:${{github.sha}}-alpine-${{matrix.target}}", "ghcr.io", "hadolint/hadolint", Some("${{github.sha}}-alpine-${{matrix.target}}"), "templated-sha"),
        ("hadolint/hadolint:${{github.sha}}-debian-${{matrix.target}}", "docker.io", "hadolint/hadolint", Some("${{github.sha}}-debian-${{matrix.target}}"), "templated-sha"),
        ("cryptoandcoffee/k3d-gpu:ubuntu24.04", "docker.io", "cryptoandcoffee/k3d-gpu", Some("ubuntu24.04"), "version"),
        ("cryptoandcoffee/k3d-gpu:${{ steps.k3s.outputs.latest }}-ubuntu24.04", "docker.io", "cryptoandcoffee/k3d-gpu", Some("${{ steps.k3s.outputs.latest }}-ubuntu24.04"), "templated"),
        ("ghcr.io/${{ github.repository_owner }}/k3d-gpu:latest", "ghcr.io", "${{ github.repository_owner }}/k3d-gpu", Some("latest"), "floating"),
        ("ghcr.io/railwayapp/nixpacks:ubuntu", "ghcr.io", "railwayapp/nixpacks", Some("ubuntu"), "floating"),
        ("railwayapp/nixpacks:debian", "docker.io", "railwayapp/nixpacks", Some("debian"), "floating"),
        ("ghcr.io/railwayapp/nixpacks:debian-${{ steps.date.outputs.date }}", "ghcr.io", "railwayapp/nixpacks", Some("debian-${{ steps.date.outputs.date }}"), "templated"),
        ("localhost:5000/name/app:latest", "localhost:5000", "name/app", Some("latest"), "floating"),
        ("localhost:5000/name/app:1.0.0", "localhost:5000", "name/app", Some("1.0.0"), "version"),
        ("localhost:5000/openscientist-base:latest", "localhost:5000", "openscientist-base", Some("latest"), "floating"),
        ("ghcr.io/${{ github.repository }}:latest", "ghcr.io", "${{ github.repository }}", Some("latest"), "floating"),
        ("ghcr.io/${{ github.repository }}:${{ needs.tag.outputs.tag }}", "ghcr.io", "${{ github.repository }}", Some("${{ needs.tag.outputs.tag }}"), "templated"),
        ("ghcr.io/2024866732/hafjet-bukku-backend:${{ github.sha }}", "ghcr.io", "2024866732/hafjet-bukku-backend", Some("${{ github.sha }}"), "templated-sha"),
        ("ghcr.io/${{ env.IMAGE_OWNER }}/hafjet-bukku-frontend:${{ env.IMAGE_TAG }}", "ghcr.io", "${{ env.IMAGE_OWNER }}/hafjet-bukku-frontend", Some("${{ env.IMAGE_TAG }}"), "templated"),
        ("${{ env.DOCKER_REGISTRY }}/${{ env.IMAGE_NAME }}:next-build-${{ needs.prepare.outputs.short_sha }}-${{ matrix.arch }}", "", "${{ env.DOCKER_REGISTRY }}/${{ env.IMAGE_NAME }}", Some("next-build-${{ needs.prepare.outputs.short_sha }}-${{ matrix.arch }}"), "templated-sha"),
        ("${{ env.GITHUB_REGISTRY }}/${{ env.IMAGE_NAME }}:release-${{ needs.validate.outputs.version }}-${{ github.sha }}-${{ matrix.arch }}", "", "${{ env.GITHUB_REGISTRY }}/${{ env.IMAGE_NAME }}", Some("release-${{ needs.validate.outputs.version }}-${{ github.sha }}-${{ matrix.arch }}"), "templated-sha"),
        ("${{ steps.image.outputs.name }}:${{ needs.prepare.outputs.image_tag }}", "", "${{ steps.image.outputs.name }}", Some("${{ needs.prepare.outputs.image_tag }}"), "templated"),
        ("$ECR_REPOSITORY:$IMAGE_TAG", "", "$ECR_REPOSITORY", Some("$IMAGE_TAG"), "templated"),
        ("$REGISTRY/$REPOSITORY:$IMAGE_TAG", "", "$REGISTRY/$REPOSITORY", Some("$IMAGE_TAG"), "templated"),
        ("${IMAGE}:${IMAGE_TAG}", "", "${IMAGE}", Some("${IMAGE_TAG}"), "templated"),
        ("openscientist:$TAG", "docker.io", "library/openscientist", Some("$TAG"), "templated"),
        ("danleeca/docker-php-fpm:7.4-fpm", "docker.io", "danleeca/docker-php-fpm", Some("7.4-fpm"), "version"),
        ("dotenvlinter/dotenv-linter:${GIT_TAG}", "docker.io", "dotenvlinter/dotenv-linter", Some("${GIT_TAG}"), "templated"),
        ("dotenvlinter/dotenv-linter:latest", "docker.io", "dotenvlinter/dotenv-linter", Some("latest"), "floating"),
        ("ghcr.io/project-zot/zot-minimal-linux-amd64:$ZOT_VERSION", "ghcr.io", "project-zot/zot-minimal-linux-amd64", Some("$ZOT_VERSION"), "templated"),
        ("registry.internal.huggingface.tech/api-inference/community/text-generation-inference:$TAG", "registry.internal.huggingface.tech", "api-inference/community/text-generation-inference", Some("$TAG"), "templated"),
        ("ghcr.io/${owner}/nexus-terminal-e2e-runner:${tag}", "ghcr.io", "${owner}/nexus-terminal-e2e-runner", Some("${tag}"), "templated"),
        ("archlinux:base", "docker.io", "library/archlinux", Some("base"), "floating"),
        ("archlinux:latest", "docker.io", "library/archlinux", Some("latest"), "floating"),
        ("alpine:3.24", "docker.io", "library/alpine", Some("3.24"), "version"),
        ("golang:latest", "docker.io", "library/golang", Some("latest"), "floating"),
        ("example.com/owner/image", "example.com", "owner/image", None, "untagged"),
        ("ghcr.io/rhysd/actionlint:latest", "ghcr.io", "rhysd/actionlint", Some("latest"), "floating"),
        ("${{ needs.build-and-push.outputs.docker_image }}", "", "${{ needs.build-and-push.outputs.docker_image }}", None, "templated"),
        ("${{ matrix.image }}", "", "${{ matrix.image }}", None, "templated"),
        ("docker://$IMAGE", "", "$IMAGE", None, "templated"),
        ("docker://${tag}", "", "${tag}", None, "templated"),
        ("docker-image://alpine:edge", "docker.io", "library/alpine", Some("edge"), "floating"),
        ("docker-image://localhost:5000/my-base-image:latest", "localhost:5000", "my-base-image", Some("latest"), "floating"),
        ("docker-image://my-base-image:local", "docker.io", "library/my-base-image", Some("local"), "other"),
        ("redis-sentinel-e2e:local", "docker.io", "library/redis-sentinel-e2e", Some("local"), "other"),
        ("mysql-ha-e2e:8.4", "docker.io", "library/mysql-ha-e2e", Some("8.4"), "version"),
        ("nexus-terminal:e2e-smoke", "docker.io", "library/nexus-terminal", Some("e2e-smoke"), "other"),
        ("name/app:latest", "docker.io", "name/app", Some("latest"), "floating"),
        ("hyonion/fly:latest", "docker.io", "hyonion/fly", Some("latest"), "floating"),
        ("postgres-ssl-pitr:${{ matrix.pg_version }}", "docker.io", "library/postgres-ssl-pitr", Some("${{ matrix.pg_version }}"), "templated"),
        ("prefecthq/prefect-dev:${{ steps.get_image_tag.outputs.image_tag }}", "docker.io", "prefecthq/prefect-dev", Some("${{ steps.get_image_tag.outputs.image_tag }}"), "templated"),
        ("ghcr.io/umami-software/umami:latest", "ghcr.io", "umami-software/umami", Some("latest"), "floating"),
        ("smartbudget:test", "docker.io", "library/smartbudget", Some("test"), "floating"),
        ("railpack-frontend:local", "docker.io", "library/railpack-frontend", Some("local"), "other"),
        ("openscientist-base:latest", "docker.io", "library/openscientist-base", Some("latest"), "floating"),
    ];

    #[test]
    fn corpus_references() {
        assert!(CORPUS.len() >= 150, "table has {} rows", CORPUS.len());
        for &(input, registry, repository, tag, label) in CORPUS {
            let image = parse(input);
            assert_eq!(image.registry, registry, "registry of {input}");
            assert_eq!(image.repository, repository, "repository of {input}");
            assert_eq!(image.tag.as_deref(), tag, "tag of {input}");
            assert_eq!(slice(input, &image.tag_range), tag, "tag range of {input}");
            assert_eq!(image.kind().label(), label, "kind of {input}");
            let digest = input
                .rfind("@sha256:")
                .filter(|_| !image.registry.is_empty())
                .map(|at| &input[at + 1..]);
            assert_eq!(image.digest.as_deref(), digest, "digest of {input}");
            assert_eq!(
                slice(input, &image.digest_range),
                digest,
                "digest range of {input}"
            );
        }
    }

    /// Tags found in the corpus outside a full reference (metadata-action `value=`, dotenv
    /// `*_VERSION`, compose defaults), with their kind label.
    const CORPUS_TAGS: &[(&str, &str)] = &[
        ("staging", "floating"),
        ("develop", "floating"),
        ("nightly", "floating"),
        ("main", "floating"),
        ("latest", "floating"),
        ("debian-trixie", "floating"),
        ("3-latest", "floating"),
        ("edge", "floating"),
        ("dry-run", "other"),
        ("examples", "other"),
        ("ci", "other"),
        ("scan", "other"),
        ("verify", "other"),
        ("foo", "other"),
        ("nightly-{{date 'YYYYMMDD'}}", "templated"),
        ("${{ inputs.environment }}-{{sha}}", "templated-sha"),
        ("${{ inputs.environment }}-latest", "templated"),
        ("gexp-date-{{date 'YYYYMMDD'}}", "templated"),
        ("gh-runid-${{ github.run_id }}", "templated"),
        ("3-latest${{ matrix.flavor }}", "templated"),
        ("${{ github.sha }}", "templated-sha"),
        ("${{ env.SHA }}-amd64", "templated-sha"),
        ("${{ steps.release-meta.outputs.version }}-${{ steps.release-meta.outputs.commit_short }}", "templated-sha"),
        ("1.25.2-tctl-1.18.1-cli-1.1.1", "version"),
        ("17.2-alpine3.21", "version"),
        ("v2.55.1", "version"),
        ("0.115.1", "version"),
        ("11.3.1", "version"),
        ("24.3", "version"),
        ("8.17.0", "version"),
        ("ubuntu26.04", "version"),
        ("20250619", "date-or-build"),
    ];

    #[test]
    fn corpus_tags() {
        for &(tag, label) in CORPUS_TAGS {
            assert_eq!(classify_tag(tag).label(), label, "{tag}");
        }
    }

    // --- suggestions -------------------------------------------------------------------------

    #[test]
    fn suggest_floating_tags() {
        let sha = |tag: &str| classify_tag(tag);
        let cases: &[(TagKind, Option<&str>, Option<&str>, &str)] = &[
            (
                sha("staging-a14cf86"),
                Some("staging"),
                None,
                "staging-latest",
            ),
            (sha("staging-a14cf86"), Some("production"), None, "latest"),
            (sha("staging-a14cf86"), None, None, "staging-latest"),
            (sha("main-a14cf86"), None, None, "main-latest"),
            (sha("main-a14cf86"), Some("production"), None, "main-latest"),
            (sha("a14cf86"), Some("production"), None, "latest"),
            (sha("a14cf86"), Some("Prod"), None, "latest"),
            (sha("a14cf86"), Some("live"), None, "latest"),
            (sha("a14cf86"), Some("staging"), None, "staging-latest"),
            (sha("a14cf86"), Some("qa"), None, "qa-latest"),
            (sha("a14cf86"), Some("tenant-eu-1"), None, "latest"),
            (sha("a14cf86"), None, None, "latest"),
            (sha("sha-a14cf86"), Some("staging"), None, "staging-latest"),
            (sha("sha-a14cf86"), None, None, "latest"),
            (sha("git-a14cf86"), Some("production"), None, "latest"),
            (
                sha("commit-a14cf86"),
                Some("preview"),
                None,
                "preview-latest",
            ),
            (sha("ga14cf86"), None, None, "latest"),
            (
                sha("pr-123-a14cf86"),
                Some("preview"),
                None,
                "preview-latest",
            ),
            (
                sha("staging-sha-a14cf86"),
                Some("staging"),
                None,
                "staging-latest",
            ),
            (
                sha("a14cf86-amd64"),
                Some("production"),
                None,
                "latest-amd64",
            ),
            (
                sha("a14cf86-amd64"),
                Some("staging"),
                None,
                "staging-latest-amd64",
            ),
            (
                sha("staging-a14cf86-amd64"),
                None,
                None,
                "staging-latest-amd64",
            ),
            (sha("main-a14cf86-1"), None, None, "main-latest"),
            (sha("production-a14cf86"), None, None, "latest"),
            (TagKind::Digest, Some("production"), None, "latest"),
            (TagKind::Digest, Some("staging"), None, "staging-latest"),
            (
                TagKind::Templated { sha: true },
                Some("staging"),
                None,
                "staging-latest",
            ),
            (TagKind::Version, None, None, "latest"),
            (
                sha("staging-a14cf86"),
                Some("staging"),
                Some("edge"),
                "edge",
            ),
            (
                sha("staging-a14cf86"),
                Some("staging"),
                Some("  "),
                "staging-latest",
            ),
        ];
        for (kind, environment, configured, expected) in cases {
            assert_eq!(
                suggest_floating_tag(kind, *environment, *configured),
                *expected,
                "{kind:?} in {environment:?} (configured {configured:?})"
            );
        }
    }

    #[test]
    fn suggestions_are_floating() {
        for tag in [
            "staging-a14cf86",
            "a14cf86-amd64",
            "main-a14cf86",
            "a14cf86",
        ] {
            for env in [None, Some("staging"), Some("production"), Some("qa")] {
                let suggested = suggest_floating_tag(&classify_tag(tag), env, None);
                assert_eq!(classify_tag(&suggested), TagKind::Floating, "{suggested}");
            }
        }
    }

    // --- image heuristic ---------------------------------------------------------------------

    #[test]
    fn looks_like_image_yes() {
        for value in [
            "ghcr.io/org/app:staging-a14cf86",
            "ghcr.io/molecule-ai/platform-tenant:staging-a14cf86",
            "org/app:1.2",
            "nginx:1.27-alpine",
            "nginx:latest",
            "library/nginx",
            "postgres:16",
            "redis:7",
            "registry.example.com:5000/a/b@sha256:6a097f68bae708cedbabd6188d68c7e2e7a38cedd05a176e1cc0ba29e3bbe029",
            "app@sha256:6a097f68bae708cedbabd6188d68c7e2e7a38cedd05a176e1cc0ba29e3bbe029",
            "ghcr.io/csingh26/apex-arena-backend",
            "docker.io/nginx",
            "localhost:5000/app:1",
            "docker://alpine:3.19",
            "ghcr.io/paradigmxyz/reth:v1.9.3",
            "offchainlabs/nitro-node:v3.9.7-75e084e",
            "$IMAGE:latest",
            "${REGISTRY}/${IMAGE}:${TAG}",
            "${{ env.TENANT_IMAGE_NAME }}:staging-${{ steps.tags.outputs.sha }}",
            "ghcr.io/${{ github.repository }}:${{ github.sha }}",
        ] {
            assert!(looks_like_image_ref(value), "{value:?} should look like an image");
        }
    }

    #[test]
    fn looks_like_image_no() {
        for value in [
            "",
            "   ",
            "https://ghcr.io",
            "https://ghcr.io/org/app:1",
            "postgres://user:pass@host:5432/db",
            "postgresql://postgres:password@host:port/railway",
            "redis://:secret@redis:6379/0",
            "s3://foundry-lake/warehouse",
            "localhost:8080",
            "0.0.0.0:3000",
            "127.0.0.1:5432",
            "db:5432",
            "true",
            "8080",
            "staging",
            "nginx",
            "/backup",
            "./storage",
            "../x/y:1",
            "~/app:1",
            "notifications@your-domain.com",
            "user:pass@host",
            "nginx latest",
            " nginx:1.27 ",
            "12:30",
            "08:00",
            "1.0.0",
            "v1",
            "123456789:ABC-DEFghijkl-mnop",
            "PullFM/0.1.0",
            "nousresearch/hermes-4-70b",
            "mistralai/mistral-7b-instruct:free",
            "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
            "text/html",
            "tag:ci",
            "admin:password",
            "${HOST}:${PORT}",
            "${{ github.sha }}",
            "ghcr.io",
            "api.example.com/v1",
            "localhost:3000/api",
        ] {
            assert!(
                !looks_like_image_ref(value),
                "{value:?} should not look like an image"
            );
        }
    }

    // --- robustness --------------------------------------------------------------------------

    fn exercise(input: &str) {
        let _ = classify_tag(input);
        let _ = is_templated(input);
        if looks_like_image_ref(input) {
            assert!(
                ImageRef::parse(input).is_ok(),
                "{input:?} looks like an image"
            );
        }
        if let Ok(image) = ImageRef::parse(input) {
            let _ = image.kind();
            let _ = image.name();
            for range in [&image.tag_range, &image.digest_range]
                .into_iter()
                .flatten()
            {
                assert!(input.is_char_boundary(range.start), "{input:?} {range:?}");
                assert!(input.is_char_boundary(range.end), "{input:?} {range:?}");
            }
            assert_eq!(slice(input, &image.tag_range), image.tag.as_deref());
            assert_eq!(slice(input, &image.digest_range), image.digest.as_deref());
        }
        for kind in [classify_tag(input), TagKind::Digest] {
            let _ = suggest_floating_tag(&kind, Some(input), None);
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let long = "a".repeat(10 * 1024);
        let long_template = format!("${{{{ {} :", "x".repeat(10 * 1024));
        let long_colons = ":".repeat(10 * 1024);
        let odd = [
            "",
            ":",
            "@",
            "/",
            "a:",
            "@sha256:",
            "::::",
            "${{",
            "${",
            "$",
            "{{",
            "}}",
            "${{}}",
            "${}",
            "$:",
            "a@b@c",
            "a:b:c",
            "/a",
            "a/",
            "docker://",
            "docker://@",
            "DOCKER://nginx:1",
            "ü",
            "ghcr.io/ü/app:tag",
            "app:tägg",
            "日本:語",
            "app@sha256:é",
            "🦀:🦀@🦀",
            "${{ é }}:é-${{ ü }}",
            "\u{0}:\u{0}",
            "app:\t1",
            &long,
            &long_template,
            &long_colons,
        ];
        for input in odd {
            exercise(input);
        }
    }

    #[test]
    fn every_prefix_of_corpus_references_is_safe() {
        for &(input, ..) in CORPUS {
            for (cut, _) in input.char_indices() {
                exercise(&input[..cut]);
                exercise(&input[cut..]);
            }
        }
    }
}
