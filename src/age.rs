//! How old deployed images are: limits (`max-age`, `max-commits-behind`, `require-commits`)
//! and the facts behind them, gathered once per run from git and, when online, from the
//! registry, before any rule runs. Rules then only read these facts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use crate::config::Config;
use crate::git::{CommitFacts, Git, Repository, Unknown};
use crate::image::{ImageRef, TagKind};
use crate::registry::{ImageFacts, Registry, RegistryError, RegistryOptions};

/// A maximum age, written as days (`7`) or with a unit: `"36h"`, `"7d"`, `"2w"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxAge {
    pub seconds: i64,
}

impl MaxAge {
    pub fn parse(text: &str) -> Result<MaxAge, String> {
        let text = text.trim();
        let bad = || {
            format!("bad age `{text}`: use days (7) or a number with h, d or w (\"36h\", \"2w\")")
        };
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: i64 = number.parse().map_err(|_| bad())?;
        let unit_seconds = match unit.trim() {
            "" | "d" | "day" | "days" => 86_400,
            "h" | "hour" | "hours" => 3_600,
            "w" | "week" | "weeks" => 7 * 86_400,
            _ => return Err(bad()),
        };
        Ok(MaxAge {
            seconds: number.saturating_mul(unit_seconds),
        })
    }
}

impl fmt::Display for MaxAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&human_duration(self.seconds))
    }
}

impl<'de> Deserialize<'de> for MaxAge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Days(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Days(days) => Ok(MaxAge {
                seconds: days.saturating_mul(86_400),
            }),
            Raw::Text(text) => MaxAge::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

/// `3 days`, `36 hours`, `1 day`: hours below two days, whole days (rounded) above.
pub fn human_duration(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if seconds < 2 * 86_400 && seconds % 86_400 != 0 {
        plural((seconds + 1_800) / 3_600, "hour")
    } else {
        plural((seconds + 43_200) / 86_400, "day")
    }
}

/// `1,450`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The three staleness measures, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_age: Option<MaxAge>,
    pub max_commits_behind: Option<u64>,
    pub require_commits: Vec<String>,
}

impl Limits {
    /// `other` wins where it says something; required commits add up.
    pub fn overlay(
        &self,
        max_age: Option<MaxAge>,
        max_commits_behind: Option<u64>,
        require: &[String],
    ) -> Limits {
        let mut require_commits = self.require_commits.clone();
        for commit in require {
            if !require_commits.contains(commit) {
                require_commits.push(commit.clone());
            }
        }
        Limits {
            max_age: max_age.or(self.max_age),
            max_commits_behind: max_commits_behind.or(self.max_commits_behind),
            require_commits,
        }
    }
}

/// `[staleness]` in drift-lint.toml: global limits and how to look ages up.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StalenessConfig {
    #[serde(default)]
    pub max_age: Option<MaxAge>,
    #[serde(default)]
    pub max_commits_behind: Option<u64>,
    #[serde(default)]
    pub require_commits: Vec<String>,
    /// The branch that "behind" is measured against (default: the remote's default
    /// branch, then `main`, then `master`).
    #[serde(default)]
    pub main_ref: Option<String>,
    /// Ask the registry for image ages (also `--online`; `--offline` always wins).
    #[serde(default)]
    pub online: bool,
    /// Platform to pick from multi-platform images (default `linux/amd64`).
    #[serde(default)]
    pub platform: Option<String>,
    /// Seconds one registry request may take, answer included (default 20).
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// `[images."ghcr.io/org/app"]`: where an image is built from, and its own limits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImageConfig {
    /// The git repository the image is built from, relative to drift-lint.toml.
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub main_ref: Option<String>,
    #[serde(default)]
    pub max_age: Option<MaxAge>,
    #[serde(default)]
    pub max_commits_behind: Option<u64>,
    #[serde(default)]
    pub require_commits: Vec<String>,
}

/// How a run looks ages up.
#[derive(Debug, Clone, Default)]
pub struct AgeOptions {
    /// Ask the registry (`--online`, or `online = true` in `[staleness]`).
    pub online: bool,
    /// `--offline`: no request at all, whatever the configuration says.
    pub offline: bool,
    /// `--git-repo`: the repository for every image not mapped in drift-lint.toml.
    pub git_repo: Option<PathBuf>,
    /// Where the scan started: its repository is the default.
    pub scan_root: PathBuf,
    /// Unix seconds taken as "now" for registry ages.
    pub now: i64,
}

/// What is known about one image reference.
#[derive(Debug)]
pub struct ImageAge {
    /// Facts from git about the commit the tag (or the registry's revision label) names.
    pub git: Option<Result<CommitFacts, Unknown>>,
    /// Facts from the registry, when online.
    pub registry: Option<Result<ImageFacts, RegistryError>>,
    /// The repository that was asked, for messages.
    pub repo: Option<PathBuf>,
}

/// Facts for every image reference a staleness rule looks at, keyed by the reference text.
#[derive(Debug, Default)]
pub struct Ages {
    pub images: HashMap<String, ImageAge>,
    pub now: i64,
}

impl Ages {
    pub fn get(&self, reference: &str) -> Option<&ImageAge> {
        self.images.get(reference)
    }
}

/// One image to look up, and the required commits any rule asks of it.
pub struct Wanted {
    pub reference: String,
    pub image: ImageRef,
    pub require: BTreeSet<String>,
}

/// Reports progress of slow lookups (a terminal spinner, or nothing).
pub trait Progress: Sync {
    fn update(&self, done: usize, total: usize, what: &str);
    fn finish(&self);
}

/// A progress reporter that says nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn update(&self, _: usize, _: usize, _: &str) {}
    fn finish(&self) {}
}

/// Limits for `image` in a run: the rule's, then `[staleness]`, then `[images."<name>"]`.
pub fn limits_for(rule: &Limits, config: &Config, image: &ImageRef) -> Limits {
    let global = &config.file.staleness;
    let mut limits = rule.overlay(
        global.max_age,
        global.max_commits_behind,
        &global.require_commits,
    );
    if let Some(specific) = image_config(config, image) {
        limits = limits.overlay(
            specific.max_age,
            specific.max_commits_behind,
            &specific.require_commits,
        );
    }
    limits
}

/// `[images."..."]` for this image: by name as written (`ghcr.io/org/app`, `nginx`) or in
/// full (`docker.io/library/nginx`).
pub fn image_config<'c>(config: &'c Config, image: &ImageRef) -> Option<&'c ImageConfig> {
    let full = format!("{}/{}", image.registry, image.repository);
    config
        .file
        .images
        .get(&image.name())
        .or_else(|| config.file.images.get(&full))
}

/// Look every wanted image up: git for commit tags (and for registry revisions), the
/// registry when online. Each repository is opened once; each image asked once.
pub fn gather(
    wanted: &[Wanted],
    config: &Config,
    options: &AgeOptions,
    git: &dyn Git,
    progress: &dyn Progress,
) -> Ages {
    let mut ages = Ages {
        images: HashMap::new(),
        now: options.now,
    };
    let online = (options.online || config.file.staleness.online) && !options.offline;
    let registry_answers = if online && !wanted.is_empty() {
        lookup_registry(wanted, config, progress)
    } else {
        wanted.iter().map(|_| None).collect()
    };
    let mut repositories: BTreeMap<PathBuf, Result<Repository<'_>, Unknown>> = BTreeMap::new();
    for (item, registry) in wanted.iter().zip(registry_answers) {
        let sha = match item.image.kind() {
            TagKind::CommitSha { sha, .. } => Some(sha),
            _ => registry
                .as_ref()
                .and_then(|answer| answer.as_ref().ok())
                .and_then(|facts| facts.revision.clone()),
        };
        let (git_facts, repo) = match sha {
            Some(sha) => {
                let (path, main_ref) = repository_for(config, options, &item.image);
                let repository = repositories
                    .entry(path.clone())
                    .or_insert_with(|| open_repository(git, &path, main_ref.as_deref()));
                let required: Vec<String> = item.require.iter().cloned().collect();
                let facts = match repository {
                    Ok(repository) => repository.commit_facts(&sha, &required),
                    Err(unknown) => Err(unknown.clone()),
                }
                .map_err(|mut unknown| {
                    // git does not know the image's name; its remedies leave a placeholder.
                    unknown.remedy = unknown
                        .remedy
                        .map(|r| r.replace("<image>", &item.image.name()));
                    unknown
                });
                (Some(facts), Some(path))
            }
            None => (None, None),
        };
        ages.images.insert(
            item.reference.clone(),
            ImageAge {
                git: git_facts,
                registry,
                repo,
            },
        );
    }
    ages
}

fn open_repository<'g>(
    git: &'g dyn Git,
    path: &Path,
    main_ref: Option<&str>,
) -> Result<Repository<'g>, Unknown> {
    if !path.exists() {
        return Err(Unknown {
            reason: format!("repository `{}` does not exist", crate::error::shown(path)),
            remedy: Some("clone the image's source repository there, or fix `repo` under `[images.\"...\"]` in drift-lint.toml".into()),
        });
    }
    Repository::open(git, path, main_ref)
}

/// The repository an image is built from: `[images."<name>"] repo`, else `--git-repo`,
/// else the scanned repository.
fn repository_for(
    config: &Config,
    options: &AgeOptions,
    image: &ImageRef,
) -> (PathBuf, Option<String>) {
    let specific = image_config(config, image);
    let main_ref = specific
        .and_then(|c| c.main_ref.clone())
        .or_else(|| config.file.staleness.main_ref.clone());
    let path = match specific.and_then(|c| c.repo.as_deref()) {
        Some(repo) => config.root.join(repo),
        None => options
            .git_repo
            .clone()
            .unwrap_or_else(|| options.scan_root.clone()),
    };
    (path, main_ref)
}

fn lookup_registry(
    wanted: &[Wanted],
    config: &Config,
    progress: &dyn Progress,
) -> Vec<Option<Result<ImageFacts, RegistryError>>> {
    let mut registry_options = RegistryOptions::default();
    if let Some(platform) = &config.file.staleness.platform {
        registry_options.platform = platform.clone();
    }
    if let Some(seconds) = config.file.staleness.timeout {
        registry_options.timeout = std::time::Duration::from_secs(seconds.max(1));
        registry_options.connect_timeout = registry_options
            .connect_timeout
            .min(registry_options.timeout);
    }
    let registry = match Registry::new(registry_options) {
        Ok(registry) => registry,
        Err(error) => {
            let message = error.to_string();
            return wanted
                .iter()
                .map(|_| Some(Err(RegistryError::setup(&message))))
                .collect();
        }
    };
    let images: Vec<ImageRef> = wanted.iter().map(|w| w.image.clone()).collect();
    progress.update(
        0,
        images.len(),
        &format!("asking registries for image ages ({} images)", images.len()),
    );
    let answers = registry.lookup_all(&images);
    progress.finish();
    answers.into_iter().map(Some).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_with_units() {
        assert_eq!(MaxAge::parse("7").unwrap().seconds, 7 * 86_400);
        assert_eq!(MaxAge::parse("7d").unwrap().seconds, 7 * 86_400);
        assert_eq!(MaxAge::parse("36h").unwrap().seconds, 36 * 3_600);
        assert_eq!(MaxAge::parse("2w").unwrap().seconds, 14 * 86_400);
        assert!(MaxAge::parse("soon").is_err());
        assert!(MaxAge::parse("3y").is_err());
    }

    #[test]
    fn durations_and_counts_read_well() {
        assert_eq!(human_duration(3 * 86_400), "3 days");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(36 * 3_600), "36 hours");
        assert_eq!(human_duration(258_100), "3 days");
        assert_eq!(human_duration(40 * 86_400 + 7_000), "40 days");
        assert_eq!(thousands(1_450), "1,450");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn limits_overlay_later_values_and_add_required_commits() {
        let rule = Limits {
            max_age: Some(MaxAge {
                seconds: 7 * 86_400,
            }),
            max_commits_behind: Some(100),
            require_commits: vec!["aaa1111".into()],
        };
        let merged = rule.overlay(None, Some(200), &["bbb2222".into()]);
        assert_eq!(merged.max_age, rule.max_age);
        assert_eq!(merged.max_commits_behind, Some(200));
        assert_eq!(merged.require_commits, ["aaa1111", "bbb2222"]);
    }
}
