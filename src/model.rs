//! The model every loader produces and every rule reads: source files, settings with exact
//! byte spans, and the images a workflow publishes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// Index of a file in [`Model::files`].
pub type FileId = usize;

/// A byte range inside one source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: FileId,
    pub span: Range<usize>,
}

impl Location {
    pub fn new(file: FileId, span: Range<usize>) -> Self {
        Location { file, span }
    }
}

/// What kind of input a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Dotenv,
    RailwayVariablesJson,
    RailwayVariablesKv,
    RailwayEnvironmentConfig,
    RailwayConfigJson,
    RailwayConfigToml,
    Workflow,
    Action,
    /// A live Railway service read through the API (not a file kind: not in [`Self::ALL`]).
    RailwayLive,
    /// drift-lint.toml itself, read so that findings about its `[[ignore]]` tables have a
    /// place (not an input kind: not in [`Self::ALL`]).
    DriftLintConfig,
}

impl SourceKind {
    pub const ALL: [SourceKind; 8] = [
        SourceKind::Dotenv,
        SourceKind::RailwayVariablesJson,
        SourceKind::RailwayVariablesKv,
        SourceKind::RailwayEnvironmentConfig,
        SourceKind::RailwayConfigJson,
        SourceKind::RailwayConfigToml,
        SourceKind::Workflow,
        SourceKind::Action,
    ];

    pub fn from_label(label: &str) -> Option<SourceKind> {
        SourceKind::ALL
            .into_iter()
            .find(|kind| kind.label() == label)
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Dotenv => "dotenv",
            SourceKind::RailwayVariablesJson => "railway-variables-json",
            SourceKind::RailwayVariablesKv => "railway-variables-kv",
            SourceKind::RailwayEnvironmentConfig => "railway-environment-config",
            SourceKind::RailwayConfigJson => "railway-json",
            SourceKind::RailwayConfigToml => "railway-toml",
            SourceKind::Workflow => "github-workflow",
            SourceKind::Action => "github-action",
            SourceKind::RailwayLive => "railway-live",
            SourceKind::DriftLintConfig => "drift-lint-config",
        }
    }
}

/// One file that was read. `path` is the path as the user should see it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub kind: SourceKind,
    /// Set when the "file" is a live Railway service rendered as text: it has no path on
    /// disk, and its places are `railway://` URIs.
    pub live: Option<LiveFile>,
}

/// A live source rendered as a document so that spans, snippets and rules work as for files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFile {
    /// `railway://<project>/<environment>/<service>`.
    pub uri: String,
    /// The byte range of each key's entry in the document, and the key.
    pub entries: Vec<(Range<usize>, String)>,
}

impl LiveFile {
    /// `railway://<project>/<environment>/<service>/<KEY>` for a span inside a key's entry.
    pub fn uri_at(&self, offset: usize) -> String {
        match self
            .entries
            .iter()
            .find(|(range, _)| range.contains(&offset))
        {
            Some((_, key)) => format!("{}/{key}", self.uri),
            None => self.uri.clone(),
        }
    }
}

/// Where a finding is, as every renderer names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A file on disk; lines and columns are 1-based, columns count characters.
    File {
        path: String,
        line: usize,
        column: usize,
        end_line: usize,
        end_column: usize,
    },
    /// A live setting: `railway://<project>/<environment>/<service>/<KEY>`.
    Live { uri: String },
}

impl Place {
    /// The path or URI without line numbers.
    pub fn name(&self) -> &str {
        match self {
            Place::File { path, .. } => path,
            Place::Live { uri } => uri,
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::File {
                path, line, column, ..
            } => write!(f, "{path}:{line}:{column}"),
            Place::Live { uri } => f.write_str(uri),
        }
    }
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.text, offset)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Whether a setting is live deploy config, a template that only documents keys, or CI's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Deployed,
    Template,
    Ci,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Deployed => "deployed",
            Origin::Template => "template",
            Origin::Ci => "ci",
        }
    }

    pub fn from_label(label: &str) -> Option<Origin> {
        match label {
            "deployed" => Some(Origin::Deployed),
            "template" => Some(Origin::Template),
            "ci" => Some(Origin::Ci),
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which environment and service a setting belongs to, and what kind of source it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub environment: Option<String>,
    pub service: Option<String>,
    pub origin: Origin,
}

impl Scope {
    pub fn new(origin: Origin) -> Self {
        Scope {
            environment: None,
            service: None,
            origin,
        }
    }

    /// `staging/control-plane`, `staging`, `control-plane` or `unnamed scope`, for messages.
    pub fn describe(&self) -> String {
        match (&self.environment, &self.service) {
            (Some(env), Some(service)) => format!("{env}/{service}"),
            (Some(env), None) => env.clone(),
            (None, Some(service)) => service.clone(),
            (None, None) => "this file".to_string(),
        }
    }
}

/// One key with its value, where both were written, and the scope they apply to.
#[derive(Debug, Clone)]
pub struct Setting {
    pub key: String,
    /// `None` when the value exists but cannot be read back (a sealed Railway variable).
    pub value: Option<String>,
    pub key_at: Location,
    pub value_at: Location,
    pub scope: Scope,
    /// True when the source only changes some settings of its scope (a `railway variable set`
    /// in a workflow), so the absence of a key there proves nothing.
    pub partial: bool,
}

impl Setting {
    /// The value when it is known and not blank.
    pub fn non_empty_value(&self) -> Option<&str> {
        self.value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
    }

    /// A sealed value is set even though it cannot be read.
    pub fn is_set(&self) -> bool {
        self.value.is_none() || self.non_empty_value().is_some()
    }
}

/// How a workflow publishes an image tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishMethod {
    BuildPushAction,
    MetadataAction,
    DockerPush,
    DockerTag,
    ImagetoolsCreate,
    Crane,
    Skopeo,
}

impl PublishMethod {
    pub fn label(self) -> &'static str {
        match self {
            PublishMethod::BuildPushAction => "docker/build-push-action",
            PublishMethod::MetadataAction => "docker/metadata-action",
            PublishMethod::DockerPush => "docker push",
            PublishMethod::DockerTag => "docker tag",
            PublishMethod::ImagetoolsCreate => "docker buildx imagetools create",
            PublishMethod::Crane => "crane",
            PublishMethod::Skopeo => "skopeo copy",
        }
    }
}

/// An image reference that a workflow publishes, as written (templates unexpanded unless
/// the workflow's own `env:` resolves them).
#[derive(Debug, Clone)]
pub struct Publication {
    /// The reference as written in the file.
    pub written: String,
    /// The reference with `${{ env.X }}` / `$X` expanded from the workflow's literal `env:`.
    pub resolved: String,
    pub at: Location,
    pub method: PublishMethod,
}

/// What a Railway variable reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceTarget {
    /// `${{ shared.KEY }}`
    Shared(String),
    /// `${{ Service.KEY }}`
    Service { service: String, key: String },
    /// `${{ KEY }}`: another variable of the same service.
    Own(String),
}

/// A `${{ ... }}` reference in an unrendered Railway value.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The whole `${{ ... }}`.
    pub at: Location,
    /// The environment and service whose variable holds it (`service: None`: shared).
    pub scope: Scope,
    /// The variable that holds it.
    pub key: String,
    /// The reference as written, `${{ ... }}` and nothing around it: the only part of the
    /// value a message may quote.
    pub written: String,
    pub target: ReferenceTarget,
}

/// What exists in one Railway environment, as far as it was read: what references resolve
/// against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RailwayEnvironment {
    pub name: String,
    /// Every service of the project by name, with its variable keys when they were read.
    pub services: BTreeMap<String, Option<BTreeSet<String>>>,
    /// Shared variable keys, when they were read.
    pub shared: Option<BTreeSet<String>>,
}

/// What a run read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourcesRead {
    /// Files under the paths (`drift-lint railway` reads none).
    pub files: bool,
    /// The live Railway project: `None` when not asked, `Some(false)` when some read failed.
    pub railway: Option<bool>,
}

impl SourcesRead {
    /// Whether a finding at `place` (a path, or a `railway://` URI) would have been seen.
    pub fn covers(&self, place: &str) -> bool {
        if place.starts_with("railway://") {
            self.railway == Some(true)
        } else {
            self.files
        }
    }
}

/// A file that was not read, and why. Reported to the user, never an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// A problem a loader met while reading a file; it becomes a `parse-error` finding.
#[derive(Debug, Clone)]
pub struct ParseProblem {
    pub at: Location,
    pub message: String,
}

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Model {
    pub files: Vec<SourceFile>,
    pub settings: Vec<Setting>,
    pub publications: Vec<Publication>,
    pub parse_problems: Vec<ParseProblem>,
    pub skipped: Vec<Skipped>,
    /// Files that exist but could not be read (I/O errors): the run cannot be trusted.
    pub unreadable: Vec<Skipped>,
    /// Railway variable references, with where they sit.
    pub references: Vec<Reference>,
    /// Railway environments whose services and variables are known (read live).
    pub railway_environments: Vec<RailwayEnvironment>,
    /// drift-lint.toml, when findings may point into it (its `[[ignore]]` tables).
    pub config_file: Option<FileId>,
    /// Which kinds of source this run read, so that nothing is judged absent from a source
    /// that was never read.
    pub read: SourcesRead,
    /// Places that hold secrets although no secret-looking key names them (a live value
    /// rendered from `${{ shared.STRIPE_SECRET_KEY }}`): masked like secret values.
    pub secret_spans: Vec<Location>,
}

impl Model {
    pub fn add_file(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// The place a location names: path and line/column for a file, a URI for a live setting.
    pub fn place(&self, at: &Location) -> Place {
        let file = self.file(at.file);
        if let Some(live) = &file.live {
            return Place::Live {
                uri: live.uri_at(at.span.start),
            };
        }
        let (line, column) = file.line_col(at.span.start);
        let (end_line, end_column) = file.line_col(at.span.end);
        Place::File {
            path: file.path.display().to_string(),
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// The setting whose key or value holds `at`, if any.
    pub fn setting_at(&self, at: &Location) -> Option<&Setting> {
        self.settings.iter().find(|setting| {
            [&setting.key_at, &setting.value_at].iter().any(|loc| {
                loc.file == at.file
                    && loc.span.start <= at.span.start
                    && at.span.end <= loc.span.end.max(loc.span.start)
            })
        })
    }
}
