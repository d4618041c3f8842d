//! Check kind `staleness`: deployed image tags older than allowed, in days, in commits
//! behind main, or missing a required commit. The facts come from [`crate::age`], gathered
//! before rules run; an image whose age cannot be told is reported as unknown, never passed.

use serde::Deserialize;

use super::{Context, Rule, Values};
use crate::age::{human_duration, limits_for, thousands, ImageAge, Limits, MaxAge};
use crate::finding::{Finding, Severity};
use crate::git::format_date;
use crate::image::{suggest_floating_tag, ImageRef, TagKind};
use crate::model::Setting;

pub const PLACEHOLDERS: &[&str] = &[
    "key",
    "image",
    "name",
    "tag",
    "scope",
    "verdict",
    "suggested",
];

/// Tag classes checked by default: pins of one build, and floating tags (whose last build
/// says whether the pipeline behind them still runs). Versions are a release choice.
fn default_kinds() -> Vec<String> {
    [
        "commit-sha",
        "digest",
        "date-or-build",
        "floating",
        "untagged",
    ]
    .map(String::from)
    .to_vec()
}

fn default_unknown_severity() -> Severity {
    Severity::Warning
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StalenessParams {
    #[serde(default)]
    pub max_age: Option<MaxAge>,
    #[serde(default)]
    pub max_commits_behind: Option<u64>,
    #[serde(default)]
    pub require_commits: Vec<String>,
    /// Tag classes to check.
    #[serde(default = "default_kinds")]
    pub kinds: Vec<String>,
    /// Severity of "age unknown" findings.
    #[serde(default = "default_unknown_severity")]
    pub unknown_severity: Severity,
}

impl Default for StalenessParams {
    fn default() -> Self {
        StalenessParams {
            max_age: None,
            max_commits_behind: None,
            require_commits: Vec::new(),
            kinds: default_kinds(),
            unknown_severity: default_unknown_severity(),
        }
    }
}

#[derive(Debug)]
pub struct Staleness {
    pub limits: Limits,
    kinds: Vec<String>,
    unknown_severity: Severity,
}

impl Staleness {
    pub fn new(params: StalenessParams) -> Result<Self, (&'static str, String)> {
        super::image_pin::check_tag_classes(&params.kinds).map_err(|m| ("kinds", m))?;
        Ok(Staleness {
            limits: Limits {
                max_age: params.max_age,
                max_commits_behind: params.max_commits_behind,
                require_commits: params.require_commits,
            },
            kinds: params.kinds,
            unknown_severity: params.unknown_severity,
        })
    }

    /// Does this rule look at this image at all?
    pub fn wants(&self, image: &ImageRef) -> bool {
        self.kinds.iter().any(|kind| kind == image.kind().label())
    }

    pub fn check(&self, rule: &Rule, context: &Context<'_>) -> Vec<Finding> {
        context
            .settings_for(rule)
            .filter_map(|setting| self.check_setting(rule, context, setting))
            .collect()
    }

    fn check_setting(
        &self,
        rule: &Rule,
        context: &Context<'_>,
        setting: &Setting,
    ) -> Option<Finding> {
        let value = setting.non_empty_value()?;
        let image = ImageRef::parse(value).ok()?;
        if !self.wants(&image) {
            return None;
        }
        let age = context.ages.get(value)?;
        let limits = limits_for(&self.limits, context.config, &image);
        let kind = image.kind();
        let verdict = Verdict::of(&image, &kind, age, &limits, context.ages.now);
        if verdict.failures.is_empty() && verdict.unknown.is_none() {
            return None;
        }
        let environment = setting.scope.environment.as_deref();
        let floating =
            suggest_floating_tag(&kind, environment, context.config.floating_tag(environment));
        let pin = image
            .tag
            .clone()
            .or_else(|| image.digest.clone())
            .unwrap_or_else(|| "latest".into());
        let pin_range = image
            .tag_range
            .clone()
            .or_else(|| image.digest_range.clone());
        let at = super::image_pin::pin_location(context, setting, value, pin_range);
        let values = Values::default()
            .with("key", setting.key.clone())
            .with("image", value.to_string())
            .with("name", image.name())
            .with("tag", pin.clone())
            .with("scope", setting.scope.describe())
            .with("suggested", format!("{}:{floating}", image.name()));
        let mut finding = if verdict.failures.is_empty() {
            let (reason, remedy) = verdict.unknown.clone().unwrap_or_default();
            let mut finding = rule.finding(
                at,
                &setting.scope,
                &values.with("verdict", format!("age of `{pin}` unknown: {reason}")),
                ["{verdict}", "age unknown", ""],
            );
            finding.severity = self.unknown_severity;
            finding.unknown = true;
            finding.help = remedy;
            finding
        } else {
            let verdict_text = format!("`{pin}` {}", verdict.sentence());
            rule.finding(
                at,
                &setting.scope,
                &values.with("verdict", verdict_text),
                [
                    "{verdict}",
                    "stale",
                    "float on `{suggested}`, or bump `{key}` and automate the bump",
                ],
            )
            .label(verdict.label())
        };
        if !verdict.notes.is_empty() {
            let notes = verdict.notes.join("; ");
            finding.help = Some(match finding.help.take() {
                Some(help) => format!("{help}\nnote: {notes}"),
                None => format!("note: {notes}"),
            });
        }
        Some(finding)
    }
}

/// What the facts say about one image against its limits.
#[derive(Debug, Default)]
struct Verdict {
    /// Measures that failed, worded to follow the tag: "is 1,450 commits behind `main` (limit 100)".
    failures: Vec<String>,
    /// Facts worth showing beside them: "committed 2026-04-21, 3 days before main's head".
    facts: Vec<String>,
    /// Other sources' facts, shown as a note.
    notes: Vec<String>,
    /// The first reason no measure could be taken, with its remedy.
    unknown: Option<(String, Option<String>)>,
    short: Option<String>,
}

impl Verdict {
    fn of(image: &ImageRef, kind: &TagKind, age: &ImageAge, limits: &Limits, now: i64) -> Verdict {
        let mut verdict = Verdict::default();
        let pinned_commit = matches!(kind, TagKind::CommitSha { .. });
        match &age.git {
            Some(Ok(facts)) => verdict.git(facts, limits),
            // For a commit tag git is the main witness: without it, say so. A revision label
            // of another image may simply come from a repository we were not given.
            Some(Err(unknown)) if pinned_commit => {
                verdict.unknown = Some((unknown.reason.clone(), unknown.remedy.clone()));
            }
            _ => {}
        }
        match &age.registry {
            Some(Ok(facts)) => verdict.registry(image, kind, facts, limits, now, age.git.is_some()),
            Some(Err(error)) => {
                if verdict.unknown.is_none() && !matches!(age.git, Some(Ok(_))) {
                    verdict.unknown = Some((error.to_string(), error.remedy()));
                } else {
                    verdict.notes.push(format!("registry: {error}"));
                }
            }
            None => {}
        }
        if !verdict.failures.is_empty() {
            verdict.unknown = None;
        }
        verdict
    }

    fn git(&mut self, facts: &crate::git::CommitFacts, limits: &Limits) {
        let main = &facts.main;
        let age = (facts.main_head_time - facts.committed).max(0);
        if let Some(max) = limits.max_commits_behind.filter(|max| facts.behind > *max) {
            self.failures.push(format!(
                "is {} commits behind `{main}` (limit {})",
                thousands(facts.behind),
                thousands(max)
            ));
            self.short
                .get_or_insert(format!("{} commits behind {main}", thousands(facts.behind)));
        }
        let too_old = limits.max_age.filter(|max| age > max.seconds);
        if let Some(max) = too_old {
            self.failures.push(format!(
                "was committed {} before `{main}`'s head (limit {max})",
                human_duration(age)
            ));
            self.short
                .get_or_insert(format!("{} older than {main}", human_duration(age)));
        }
        let missing: Vec<&String> = limits
            .require_commits
            .iter()
            .filter(|required| facts.missing_required.contains(required))
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|c| format!("`{c}`")).collect();
            let noun = if missing.len() == 1 {
                "commit"
            } else {
                "commits"
            };
            self.failures.push(format!(
                "does not contain required {noun} {}",
                list.join(", ")
            ));
            self.short.get_or_insert(format!("lacks required {noun}"));
        }
        self.facts.push(if too_old.is_some() {
            format!("committed {}", format_date(facts.committed))
        } else {
            format!(
                "committed {}, {} before `{main}`'s head",
                format_date(facts.committed),
                human_duration(age)
            )
        });
        if !facts.on_main {
            self.notes.push(format!(
                "commit {} is not on `{main}`",
                short_sha(&facts.sha)
            ));
        }
    }

    fn registry(
        &mut self,
        image: &ImageRef,
        kind: &TagKind,
        facts: &crate::registry::ImageFacts,
        limits: &Limits,
        now: i64,
        have_git: bool,
    ) {
        let Some(created) = facts.created else {
            self.notes
                .push("the registry gives no build time for this image".into());
            return;
        };
        let age = (now - created).max(0);
        let built = format!(
            "built {}, {} ago",
            format_date(created),
            human_duration(age)
        );
        let revision = facts
            .revision
            .as_deref()
            .map(|r| format!(" from commit {}", short_sha(r)))
            .unwrap_or_default();
        // A commit tag's age is told by git when git answers; the registry adds a note.
        if have_git && matches!(kind, TagKind::CommitSha { .. }) {
            self.notes
                .push(format!("the registry says {}{revision}", built));
            return;
        }
        if let Some(max) = limits.max_age.filter(|max| age > max.seconds) {
            let stopped = if matches!(kind, TagKind::Floating | TagKind::Untagged) {
                format!(
                    ": nothing has published `{}` since, so its pipeline has likely stopped",
                    image.tag.as_deref().unwrap_or("latest")
                )
            } else {
                String::new()
            };
            self.failures
                .push(format!("was {built} (limit {max}){stopped}"));
            self.short
                .get_or_insert(format!("built {} ago", human_duration(age)));
        } else {
            self.facts.push(format!("{built}{revision}"));
        }
    }

    fn sentence(&self) -> String {
        let mut text = self.failures.join(", and ");
        if !self.facts.is_empty() {
            text.push_str(", ");
            text.push_str(&self.facts.join("; "));
        }
        text
    }

    fn label(&self) -> String {
        self.short.clone().unwrap_or_else(|| "stale".into())
    }
}

fn short_sha(sha: &str) -> &str {
    sha.get(..8).unwrap_or(sha)
}
