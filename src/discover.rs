//! Finding input files: a walk that honours `.gitignore`, recognises each input kind by name
//! (and, where the name cannot say, by content), and reads each file exactly once.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::config::Config;
use crate::model::{Model, Origin, Skipped, SourceFile, SourceKind};
use crate::source::{self, dotenv, railway, Loaded, ScopeHint};

/// Files larger than this are skipped: config files are small, and this bounds memory.
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// Directories never worth walking into.
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules"];

/// What the name says a file may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidate {
    Known(SourceKind),
    /// A JSON file with a Railway name: variables, environment config or config as code.
    RailwayJson,
    /// A YAML file outside the workflow folders: a workflow or an action if its content says so.
    Yaml,
    /// A file named on the command line that no name rule covers: sniff it.
    Unknown,
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Components of the path, lowercased, for folder-name checks.
fn components(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().to_lowercase()),
            _ => None,
        })
        .collect()
}

fn in_workflow_folder(parts: &[String]) -> bool {
    parts.windows(2).any(|pair| {
        matches!(pair[0].as_str(), ".github" | ".gitea" | ".forgejo") && pair[1] == "workflows"
    })
}

fn candidate_by_name(path: &Path) -> Option<Candidate> {
    let name = file_name(path);
    let lower = name.to_lowercase();
    let parts = components(path);
    let parent_parts = &parts[..parts.len().saturating_sub(1)];
    let in_railway_folder = parent_parts.iter().any(|p| p == "railway");
    let extension = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    if lower.ends_with("railway.toml") {
        return Some(Candidate::Known(SourceKind::RailwayConfigToml));
    }
    if lower.ends_with("railway.json")
        || (extension == "json" && (in_railway_folder || lower.contains("railway")))
    {
        return Some(Candidate::RailwayJson);
    }
    if extension == "kv" || (in_railway_folder && extension == "txt") {
        return Some(Candidate::Known(SourceKind::RailwayVariablesKv));
    }
    if matches!(extension, "yml" | "yaml") {
        if in_workflow_folder(&parts) {
            return Some(Candidate::Known(SourceKind::Workflow));
        }
        if lower == "action.yml" || lower == "action.yaml" {
            return Some(Candidate::Known(SourceKind::Action));
        }
        return Some(Candidate::Yaml);
    }
    if dotenv::is_dotenv_name(&name) {
        return Some(Candidate::Known(SourceKind::Dotenv));
    }
    None
}

static WORKFLOW_ON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?m)^(on|"on"|'on'|true):"#).expect("valid pattern"));
static WORKFLOW_JOBS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^jobs:").expect("valid pattern"));
static ACTION_RUNS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^runs:").expect("valid pattern"));
static ACTION_HEAD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^(name|description|inputs):").expect("valid pattern"));
static KEY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=").expect("valid pattern")
});

/// Decide a kind from content where the name could not.
fn sniff(candidate: Candidate, path: &Path, text: &str) -> Option<SourceKind> {
    match candidate {
        Candidate::Known(kind) => Some(kind),
        // Decided while loading, from the one parse of the file.
        Candidate::RailwayJson => Some(SourceKind::RailwayVariablesJson),
        Candidate::Yaml => sniff_yaml(text),
        Candidate::Unknown => {
            let trimmed = text.trim_start();
            if trimmed.starts_with('{') {
                Some(SourceKind::RailwayVariablesJson)
            } else if let Some(kind) = sniff_yaml(text) {
                Some(kind)
            } else if text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .all(|l| KEY_LINE.is_match(l))
            {
                let railway_named = components(path).iter().any(|p| p.contains("railway"));
                Some(if railway_named {
                    SourceKind::RailwayVariablesKv
                } else {
                    SourceKind::Dotenv
                })
            } else {
                None
            }
        }
    }
}

fn sniff_yaml(text: &str) -> Option<SourceKind> {
    if WORKFLOW_JOBS.is_match(text) && WORKFLOW_ON.is_match(text) {
        Some(SourceKind::Workflow)
    } else if ACTION_RUNS.is_match(text) && ACTION_HEAD.is_match(text) {
        Some(SourceKind::Action)
    } else {
        None
    }
}

/// Environment and service that a Railway export's path names:
/// `railway/<environment>/<service>.json` or `railway/<environment>.json`.
fn railway_path_scope(path: &Path, kind: SourceKind) -> ScopeHint {
    let parts = components(path);
    let Some(at) = parts.iter().rposition(|p| p == "railway") else {
        return ScopeHint::default();
    };
    let stem = |part: &str| part.rsplit_once('.').map_or(part, |(s, _)| s).to_string();
    let original: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let offset = original.len() - parts.len();
    let after = &original[offset + at + 1..];
    match after {
        [environment, service] => ScopeHint {
            environment: Some(environment.clone()),
            service: Some(stem(service)),
        },
        [single] if kind == SourceKind::RailwayEnvironmentConfig => ScopeHint {
            environment: Some(stem(single)),
            service: None,
        },
        [single] => ScopeHint {
            environment: None,
            service: Some(stem(single)),
        },
        _ => ScopeHint::default(),
    }
}

/// Inputs of one run.
pub struct Inputs<'a> {
    pub paths: &'a [PathBuf],
    pub config: &'a Config,
    /// Environment for inputs whose name does not say.
    pub environment: Option<&'a str>,
}

/// Walk the paths, read and load every recognised file into one model.
pub fn load(inputs: &Inputs<'_>) -> Model {
    let mut model = Model::default();
    let mut files: Vec<(PathBuf, Candidate)> = Vec::new();
    for root in inputs.paths {
        if root.is_file() {
            let candidate = candidate_by_name(root).unwrap_or(Candidate::Unknown);
            files.push((root.clone(), candidate));
            continue;
        }
        if !root.exists() {
            model.unreadable.push(Skipped {
                path: root.clone(),
                reason: "no such file or directory".into(),
            });
            continue;
        }
        walk(root, inputs.config, &mut files, &mut model);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    for (path, candidate) in files {
        load_file(&mut model, inputs, &path, candidate);
    }
    model
}

fn walk(root: &Path, config: &Config, files: &mut Vec<(PathBuf, Candidate)>, model: &mut Model) {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .follow_links(false)
        .filter_entry(|entry| {
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && SKIP_DIRS.contains(&entry.file_name().to_string_lossy().as_ref()))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let path = entry.into_path();
                if config.is_ignored(&path) {
                    continue;
                }
                let scoped_kind = config.scope_for(&path).kind;
                let candidate = match scoped_kind {
                    Some(_) => Some(Candidate::Unknown),
                    None => candidate_by_name(&path),
                };
                if let Some(candidate) = candidate {
                    files.push((path, candidate));
                }
            }
            // A symlink loop is only noted; a directory that cannot be read means part of
            // the tree went unchecked, so the run cannot pass.
            Err(error) => {
                let skipped = Skipped {
                    path: error_path(&error).unwrap_or_else(|| root.to_path_buf()),
                    reason: walk_error_reason(&error),
                };
                if is_loop(&error) {
                    model.skipped.push(skipped);
                } else {
                    model.unreadable.push(skipped);
                }
            }
        }
    }
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn is_loop(error: &ignore::Error) -> bool {
    match error {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

fn walk_error_reason(error: &ignore::Error) -> String {
    match error {
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic link loop back to {}", ancestor.display())
        }
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            walk_error_reason(err)
        }
        other => other.to_string(),
    }
}

/// Read a file once: size cap, binary and UTF-8 checks, then the loader for its kind.
fn load_file(model: &mut Model, inputs: &Inputs<'_>, path: &Path, candidate: Candidate) {
    let skip = |model: &mut Model, reason: String| {
        model.skipped.push(Skipped {
            path: display_path(path),
            reason,
        })
    };
    let bytes = match read_capped(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return skip(
                model,
                format!("larger than {} MiB", MAX_FILE_SIZE / 1024 / 1024),
            )
        }
        Err(error) => {
            model.unreadable.push(Skipped {
                path: display_path(path),
                reason: error.to_string(),
            });
            return;
        }
    };
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return skip(model, "binary file".into());
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return skip(model, "not UTF-8 text".into());
    };
    let file_scope = inputs.config.scope_for(path);
    let forced = file_scope.kind.as_deref().and_then(SourceKind::from_label);
    let kind = match forced.or_else(|| sniff(candidate, path, &text)) {
        Some(kind) => kind,
        None => {
            if candidate == Candidate::Unknown {
                skip(model, "not a recognised config file (dotenv, Railway export or config, GitHub Actions workflow)".into());
            }
            return;
        }
    };
    // JSON whose shape only its content tells is parsed once, while loading.
    let json_shape_unknown = forced.is_none() && kind == SourceKind::RailwayVariablesJson;
    let hint_for = |kind: SourceKind| {
        let mut hint = match kind {
            SourceKind::RailwayVariablesJson
            | SourceKind::RailwayVariablesKv
            | SourceKind::RailwayEnvironmentConfig => railway_path_scope(path, kind),
            _ => ScopeHint::default(),
        };
        if file_scope.environment.is_some() {
            hint.environment.clone_from(&file_scope.environment);
        }
        if file_scope.service.is_some() {
            hint.service.clone_from(&file_scope.service);
        }
        // `--env` fills in only where nothing else names the environment: a workflow names
        // it per job, a dotenv file may in its name (`.env.production`).
        let named_by_file = match kind {
            SourceKind::Workflow | SourceKind::Action => true,
            SourceKind::Dotenv => dotenv::scope_from_name(path).1.is_some(),
            _ => false,
        };
        if hint.environment.is_none() && !named_by_file {
            hint.environment = inputs.environment.map(str::to_string);
        }
        hint
    };
    let file = model.add_file(SourceFile {
        path: display_path(path),
        text,
        kind,
        live: None,
    });
    let text = &model.files[file].text;
    let loaded = if json_shape_unknown {
        let names = |id: &str| inputs.config.file.service_names.get(id).cloned();
        let shape_hint = |shape: railway::RailwayJson| hint_for(json_kind(shape));
        match railway::load_json(text, file, &shape_hint, &names) {
            Some((shape, loaded)) => {
                model.files[file].kind = json_kind(shape);
                loaded
            }
            None => {
                model.files.pop();
                if candidate == Candidate::Unknown {
                    skip(model, "JSON, but not a Railway export or config".into());
                }
                return;
            }
        }
    } else {
        load_kind(
            kind,
            text,
            file,
            path,
            &hint_for(kind),
            inputs,
            file_scope.origin,
        )
    };
    merge(model, loaded, file_scope.origin);
}

fn json_kind(shape: railway::RailwayJson) -> SourceKind {
    match shape {
        railway::RailwayJson::Variables => SourceKind::RailwayVariablesJson,
        railway::RailwayJson::EnvironmentConfig => SourceKind::RailwayEnvironmentConfig,
        railway::RailwayJson::ConfigAsCode => SourceKind::RailwayConfigJson,
    }
}

#[allow(clippy::too_many_arguments)]
fn load_kind(
    kind: SourceKind,
    text: &str,
    file: usize,
    path: &Path,
    hint: &ScopeHint,
    inputs: &Inputs<'_>,
    origin: Option<Origin>,
) -> Loaded {
    match kind {
        SourceKind::Dotenv => dotenv::load_dotenv(text, file, path, hint, origin),
        SourceKind::RailwayVariablesJson => railway::load_variables_json(text, file, hint),
        SourceKind::RailwayVariablesKv => railway::load_variables_kv(text, file, hint),
        SourceKind::RailwayEnvironmentConfig => {
            let names = |id: &str| inputs.config.file.service_names.get(id).cloned();
            railway::load_environment_config(text, file, hint, &names)
        }
        SourceKind::RailwayConfigJson => railway::load_config_json(text, file, hint),
        SourceKind::RailwayConfigToml => railway::load_config_toml(text, file, hint),
        SourceKind::Workflow => source::workflow::load_workflow(text, file, hint),
        SourceKind::Action => source::workflow::load_action(text, file, hint),
        // Never found by the walk: live documents are built by `source::railway_live`, and
        // drift-lint.toml is added by the run itself.
        SourceKind::RailwayLive | SourceKind::DriftLintConfig => Loaded::default(),
    }
}

/// Add what a loader read; an origin forced by configuration applies to every setting.
fn merge(model: &mut Model, mut loaded: Loaded, origin: Option<Origin>) {
    if let Some(origin) = origin {
        for setting in &mut loaded.settings {
            setting.scope.origin = origin;
        }
    }
    model.settings.append(&mut loaded.settings);
    model.publications.append(&mut loaded.publications);
    model.parse_problems.append(&mut loaded.problems);
    model.references.append(&mut loaded.references);
    model
        .railway_environments
        .append(&mut loaded.railway_environments);
}

/// Read at most `MAX_FILE_SIZE` bytes; `None` when the file is larger.
fn read_capped(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = fs::File::open(path)?;
    if file.metadata()?.len() > MAX_FILE_SIZE {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_FILE_SIZE).then_some(bytes))
}

/// Paths as the user typed them, without a leading `./`.
fn display_path(path: &Path) -> PathBuf {
    path.strip_prefix(".")
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pick_candidates() {
        let known = |p: &str| candidate_by_name(Path::new(p));
        assert_eq!(
            known("a/.github/workflows/ci.yml"),
            Some(Candidate::Known(SourceKind::Workflow))
        );
        assert_eq!(
            known(".gitea/workflows/publish.yaml"),
            Some(Candidate::Known(SourceKind::Workflow))
        );
        assert_eq!(
            known("action.yml"),
            Some(Candidate::Known(SourceKind::Action))
        );
        assert_eq!(known("k8s/deploy.yaml"), Some(Candidate::Yaml));
        assert_eq!(
            known("railway/staging/cp.json"),
            Some(Candidate::RailwayJson)
        );
        assert_eq!(known("app/railway.json"), Some(Candidate::RailwayJson));
        assert_eq!(
            known("railway.toml"),
            Some(Candidate::Known(SourceKind::RailwayConfigToml))
        );
        assert_eq!(
            known("railway/staging/cp.kv"),
            Some(Candidate::Known(SourceKind::RailwayVariablesKv))
        );
        assert_eq!(
            known(".env.production"),
            Some(Candidate::Known(SourceKind::Dotenv))
        );
        assert_eq!(known("package.json"), None);
        assert_eq!(known("src/main.rs"), None);
    }

    #[test]
    fn railway_paths_name_environment_and_service() {
        let hint = railway_path_scope(
            Path::new("infra/railway/staging/control-plane.json"),
            SourceKind::RailwayVariablesJson,
        );
        assert_eq!(hint.environment.as_deref(), Some("staging"));
        assert_eq!(hint.service.as_deref(), Some("control-plane"));
        let hint = railway_path_scope(
            Path::new("railway/production.json"),
            SourceKind::RailwayEnvironmentConfig,
        );
        assert_eq!(hint.environment.as_deref(), Some("production"));
        assert_eq!(hint.service, None);
    }

    #[test]
    fn content_decides_yaml_outside_workflow_folders() {
        assert_eq!(
            sniff_yaml("on:\n  push:\njobs:\n  a: {}\n"),
            Some(SourceKind::Workflow)
        );
        assert_eq!(
            sniff_yaml("name: x\nruns:\n  using: composite\n"),
            Some(SourceKind::Action)
        );
        assert_eq!(sniff_yaml("apiVersion: v1\nkind: Pod\n"), None);
    }
}
