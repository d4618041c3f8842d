//! `drift-lint.toml`: found upward from the first path, read strictly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::age::{ImageConfig, StalenessConfig};
use crate::error::Error;
use crate::finding::Severity;
use crate::model::{Origin, SourceKind};

pub const CONFIG_FILE_NAME: &str = "drift-lint.toml";

/// The configuration file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Only these rules run (default: all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rule ids that never run (`"rule-id"`), and single findings silenced knowingly
    /// (`[[ignore]]` tables with `rule`, `path`, `key` and `reason`).
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
    /// Lowest severity that makes the run fail.
    #[serde(default)]
    pub fail_on: Option<Severity>,
    /// Globs (relative to this file) of paths never read.
    #[serde(default)]
    pub ignore_paths: Vec<String>,
    /// Extra rule packs (TOML files, relative to this file).
    #[serde(default)]
    pub rule_packs: Vec<String>,
    /// The tag each environment should float on, e.g. `staging = "staging-latest"`.
    #[serde(default)]
    pub floating_tags: BTreeMap<String, String>,
    /// Per-rule severity: `error`, `warning`, `info` or `off`.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// Railway service ids to names, for `railway environment config --json` exports.
    #[serde(default)]
    pub service_names: BTreeMap<String, String>,
    /// Globs that say which environment and service files belong to.
    #[serde(default)]
    pub scope: Vec<ScopeMapping>,
    /// Staleness limits and lookups for every image.
    #[serde(default)]
    pub staleness: StalenessConfig,
    /// Per-image source repository and limits, keyed by image name (`ghcr.io/org/app`).
    #[serde(default)]
    pub images: BTreeMap<String, ImageConfig>,
    /// The live Railway project that `drift-lint railway` and `--railway` read.
    #[serde(default)]
    pub railway: RailwayConfig,
}

/// `[railway]`: what to read live. Flags override it; it overrides the `RAILWAY_*_ID`
/// variables, which Railway sets inside every deployment (a cron job running on Railway
/// would otherwise narrow itself to its own environment and service).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RailwayConfig {
    /// Project id.
    #[serde(default)]
    pub project: Option<String>,
    /// Environment names or ids (default: all).
    #[serde(default)]
    pub environments: Vec<String>,
    /// Service names or ids (default: all).
    #[serde(default)]
    pub services: Vec<String>,
    /// GraphQL endpoint (default: Railway's, or `RAILWAY_GRAPHQL_ENDPOINT`).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Requests per second at most (default 8; Railway allows 10 on Hobby, 50 on Pro).
    #[serde(default)]
    pub requests_per_second: Option<u32>,
}

/// One entry of `ignore`: a whole rule, or the findings one `[[ignore]]` table names.
#[derive(Debug, Deserialize, Clone)]
#[serde(
    untagged,
    expecting = "a rule id, or a table with `rule`, `reason` and optional `path` and `key`"
)]
pub enum IgnoreEntry {
    Rule(String),
    Finding(IgnoreFinding),
}

/// `[[ignore]]`: silence the findings of `rule` at `path` (a glob relative to this file, or
/// a `railway://` URI glob) on `key`, for a reason. The way to suppress in JSON files, which
/// have no comments.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct IgnoreFinding {
    pub rule: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    pub reason: String,
}

impl ConfigFile {
    /// The rule ids that `ignore` switches off entirely.
    pub fn ignored_rules(&self) -> impl Iterator<Item = &String> {
        self.ignore.iter().filter_map(|entry| match entry {
            IgnoreEntry::Rule(id) => Some(id),
            IgnoreEntry::Finding(_) => None,
        })
    }

    /// The `[[ignore]]` tables, in order.
    pub fn ignored_findings(&self) -> impl Iterator<Item = &IgnoreFinding> {
        self.ignore.iter().filter_map(|entry| match entry {
            IgnoreEntry::Finding(finding) => Some(finding),
            IgnoreEntry::Rule(_) => None,
        })
    }
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScopeMapping {
    pub files: Vec<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    /// `deployed`, `template` or `ci`.
    #[serde(default)]
    pub origin: Option<String>,
    /// Read matching files as this kind, whatever their name: `dotenv`,
    /// `railway-variables-json`, `railway-variables-kv`, `railway-environment-config`,
    /// `railway-json`, `railway-toml`, `github-workflow`, `github-action`.
    #[serde(default)]
    pub kind: Option<String>,
}

/// What the rest of the tool needs from the configuration, validated and compiled.
#[derive(Debug, Default)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    /// Directory that globs and pack paths are relative to.
    pub root: PathBuf,
    pub file: ConfigFile,
    ignore_paths: Option<GlobSet>,
    scopes: Vec<(GlobSet, ScopeMapping)>,
    /// `[[ignore]]` path globs, one per table in order (`None`: any path).
    ignored_finding_paths: Vec<Option<GlobSet>>,
    /// The text of the file, and the byte range of each `[[ignore]]` table's `rule` value,
    /// so an unused one can be reported where it is written.
    pub text: String,
    pub ignored_finding_spans: Vec<std::ops::Range<usize>>,
}

/// What the configuration says about one file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileScope {
    pub environment: Option<String>,
    pub service: Option<String>,
    pub origin: Option<Origin>,
    pub kind: Option<String>,
}

impl Config {
    /// Look for `drift-lint.toml` from `start` upward, stopping at the repository root
    /// (the first directory holding `.git`).
    pub fn discover(start: &Path) -> Result<Config, Error> {
        let start = if start.is_file() {
            start.parent().unwrap_or(Path::new("."))
        } else {
            start
        };
        let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
        let mut dir = Some(start.as_path());
        while let Some(current) = dir {
            let candidate = current.join(CONFIG_FILE_NAME);
            if candidate.is_file() {
                return Config::load(&candidate);
            }
            if current.join(".git").exists() {
                break;
            }
            dir = current.parent();
        }
        Ok(Config {
            root: start,
            ..Config::default()
        })
    }

    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| Error::toml(path, &text, &e))?;
        let root = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let root = root.canonicalize().unwrap_or(root);
        let invalid = |field: &str, message: String| Error::Config {
            path: path.to_path_buf(),
            line: line_of_field(&text, field),
            message,
        };
        let ignore_paths = if file.ignore_paths.is_empty() {
            None
        } else {
            Some(glob_set(&file.ignore_paths).map_err(|m| invalid("ignore-paths", m))?)
        };
        let mut scopes = Vec::new();
        for mapping in &file.scope {
            let set = glob_set(&mapping.files).map_err(|m| invalid("files", m))?;
            if let Some(origin) = &mapping.origin {
                if Origin::from_label(origin).is_none() {
                    return Err(invalid(
                        "origin",
                        format!("unknown origin `{origin}` (expected deployed, template or ci)"),
                    ));
                }
            }
            if let Some(kind) = &mapping.kind {
                if SourceKind::from_label(kind).is_none() {
                    let known: Vec<&str> = SourceKind::ALL.iter().map(|k| k.label()).collect();
                    return Err(invalid(
                        "kind",
                        format!(
                            "unknown kind `{kind}` (expected one of {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
            scopes.push((set, mapping.clone()));
        }
        let mut ignored_finding_paths = Vec::new();
        for entry in file.ignored_findings() {
            if entry.reason.trim().is_empty() {
                return Err(invalid(
                    "reason",
                    format!("[[ignore]] for `{}` needs a reason", entry.rule),
                ));
            }
            let set = match &entry.path {
                Some(path) => {
                    Some(glob_set(std::slice::from_ref(path)).map_err(|m| invalid("path", m))?)
                }
                None => None,
            };
            ignored_finding_paths.push(set);
        }
        for (rule, level) in &file.severity {
            if level != "off" && level.parse::<Severity>().is_err() {
                return Err(invalid(
                    rule,
                    format!("unknown severity `{level}` for `{rule}` (expected error, warning, info or off)"),
                ));
            }
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            root,
            file,
            ignore_paths,
            scopes,
            ignored_finding_paths,
            ignored_finding_spans: ignore_table_spans(&text),
            text,
        })
    }

    /// Whether `[[ignore]]` table number `index` covers a finding of its rule at `path` (a
    /// file path, or a `railway://` URI) on `key`.
    pub fn ignored_finding_matches(&self, index: usize, path: &str, key: Option<&str>) -> bool {
        let Some(entry) = self.file.ignored_findings().nth(index) else {
            return false;
        };
        let path_matches = match self.ignored_finding_paths.get(index) {
            Some(Some(set)) if path.starts_with("railway://") => set.is_match(path),
            Some(Some(set)) => set.is_match(self.relative(Path::new(path)).as_ref()),
            _ => true,
        };
        let key_matches = entry
            .key
            .as_deref()
            .is_none_or(|wanted| key.is_some_and(|key| key.eq_ignore_ascii_case(wanted)));
        path_matches && key_matches
    }

    fn relative<'p>(&self, path: &'p Path) -> std::borrow::Cow<'p, Path> {
        if path.is_absolute() {
            return path
                .strip_prefix(&self.root)
                .map_or(path.into(), Into::into);
        }
        match std::env::current_dir().ok().map(|cwd| cwd.join(path)) {
            Some(absolute) => match absolute.strip_prefix(&self.root) {
                Ok(relative) => relative.to_path_buf().into(),
                Err(_) => path.into(),
            },
            None => path.into(),
        }
    }

    pub fn is_ignored(&self, path: &Path) -> bool {
        self.ignore_paths
            .as_ref()
            .is_some_and(|set| set.is_match(self.relative(path).as_ref()))
    }

    /// Every matching `[[scope]]` applies in order; later ones override earlier fields.
    pub fn scope_for(&self, path: &Path) -> FileScope {
        let relative = self.relative(path);
        let mut scope = FileScope::default();
        for (set, mapping) in &self.scopes {
            if set.is_match(relative.as_ref()) {
                if mapping.environment.is_some() {
                    scope.environment.clone_from(&mapping.environment);
                }
                if mapping.service.is_some() {
                    scope.service.clone_from(&mapping.service);
                }
                if let Some(origin) = mapping.origin.as_deref().and_then(Origin::from_label) {
                    scope.origin = Some(origin);
                }
                if mapping.kind.is_some() {
                    scope.kind.clone_from(&mapping.kind);
                }
            }
        }
        scope
    }

    pub fn floating_tag(&self, environment: Option<&str>) -> Option<&str> {
        environment
            .and_then(|env| self.file.floating_tags.get(env))
            .map(String::as_str)
    }

    pub fn pack_paths(&self) -> Vec<PathBuf> {
        self.file
            .rule_packs
            .iter()
            .map(|p| self.root.join(p))
            .collect()
    }
}

/// Where each `[[ignore]]` table's `rule` value is written, in order.
fn ignore_table_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        return Vec::new();
    };
    let Some(DeValue::Array(entries)) = root.get_ref().get("ignore").map(|v| v.get_ref()) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| match entry.get_ref() {
            DeValue::Table(table) => Some(
                table
                    .get("rule")
                    .map_or_else(|| entry.span(), |rule| rule.span()),
            ),
            _ => None,
        })
        .collect()
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| format!("bad glob `{pattern}`: {e}"))?;
        builder.add(glob);
        // `dir/**` should also match `dir` itself, and `name` anywhere below the root.
        if !pattern.contains('/') {
            if let Ok(anywhere) = Glob::new(&format!("**/{pattern}")) {
                builder.add(anywhere);
            }
        }
    }
    builder.build().map_err(|e| e.to_string())
}

/// The 1-based line where `field` first appears as a key, for error messages.
pub fn line_of_field(text: &str, field: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches('"');
            line.starts_with(field)
                && line[field.len()..]
                    .trim_start_matches('"')
                    .trim_start()
                    .starts_with('=')
        })
        .map_or(1, |index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join(CONFIG_FILE_NAME);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn unknown_fields_name_the_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "select = []\n\n[[scope]]\nfiles = [\"a\"]\nenvironmnet = \"x\"\n",
        );
        let error = Config::load(&path).unwrap_err().to_string();
        assert!(error.contains("drift-lint.toml:5"), "{error}");
        assert!(error.contains("environmnet"), "{error}");
    }

    #[test]
    fn bad_severity_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "[severity]\nsha-pinned-image = \"loud\"\n");
        let error = Config::load(&path).unwrap_err().to_string();
        assert!(error.contains(":2"), "{error}");
        assert!(error.contains("loud"), "{error}");
    }

    #[test]
    fn scopes_match_relative_globs_and_later_mappings_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "[[scope]]\nfiles = [\"exports/**\"]\nenvironment = \"staging\"\n\n[[scope]]\nfiles = [\"exports/cp.json\"]\nservice = \"control-plane\"\n",
        );
        let config = Config::load(&path).unwrap();
        let root = config.root.clone();
        let scope = config.scope_for(&root.join("exports/cp.json"));
        assert_eq!(scope.environment.as_deref(), Some("staging"));
        assert_eq!(scope.service.as_deref(), Some("control-plane"));
        assert_eq!(
            config.scope_for(&root.join("other.json")),
            FileScope::default()
        );
    }

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "select = []\n");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("sub")).unwrap();
        let config = Config::discover(&repo.join("sub")).unwrap();
        assert!(config.path.is_none());
        write(&repo, "ignore = [\"x\"]\n");
        let config = Config::discover(&repo.join("sub")).unwrap();
        assert!(config.path.is_some());
    }
}
