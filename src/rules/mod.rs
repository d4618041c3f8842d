//! The rule engine. Rules are data: TOML rule packs name a rule, say where it applies and
//! pick one check kind implemented in Rust (one file per kind, named after it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::age::{limits_for, Ages, Wanted};
use crate::config::{line_of_field, Config};
use crate::error::Error;
use crate::finding::{Finding, Severity};
use crate::image::ImageRef;
use crate::model::{FileId, Model, Origin, Scope, Setting};

mod forbid;
mod image_pin;
mod parse_error;
mod reference;
mod require;
mod staleness;
mod suppression;

pub use forbid::ForbidParams;
pub use image_pin::ImagePinParams;
pub use require::RequireParams;
pub use staleness::StalenessParams;
pub use suppression::{Applied, SuppressionParams};

/// The packs shipped in `rules/`, compiled into the binary.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("rules/core.toml", include_str!("../../rules/core.toml")),
    ("rules/images.toml", include_str!("../../rules/images.toml")),
    ("rules/hermes.toml", include_str!("../../rules/hermes.toml")),
    (
        "rules/railway.toml",
        include_str!("../../rules/railway.toml"),
    ),
];

/// A rule pack file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
}

/// One `[[rule]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleDef {
    id: String,
    kind: String,
    severity: Severity,
    summary: String,
    docs: Docs,
    #[serde(default)]
    applies: Applies,
    /// Severity by origin, e.g. `{ template = "warning" }`.
    #[serde(default)]
    severity_in: BTreeMap<String, Severity>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    image_pin: Option<ImagePinParams>,
    #[serde(default)]
    require: Option<RequireParams>,
    #[serde(default)]
    forbid: Option<ForbidParams>,
    #[serde(default)]
    staleness: Option<StalenessParams>,
    #[serde(default)]
    suppression: Option<SuppressionParams>,
}

/// The rule's own documentation, printed by `drift-lint explain`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub example: String,
    pub fix: String,
}

/// Which settings a rule looks at.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Applies {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    origins: Vec<String>,
    #[serde(default)]
    environments: Vec<String>,
    #[serde(default)]
    services: Vec<String>,
}

/// Key globs (`*_IMAGE`), matched case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct KeyPatterns(Vec<Regex>);

impl KeyPatterns {
    pub fn compile(globs: &[String]) -> Result<Self, String> {
        globs
            .iter()
            .map(|glob| {
                let pattern = regex::escape(glob).replace(r"\*", ".*").replace(r"\?", ".");
                Regex::new(&format!("(?i)^{pattern}$"))
                    .map_err(|e| format!("bad key pattern `{glob}`: {e}"))
            })
            .collect::<Result<_, _>>()
            .map(KeyPatterns)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, key: &str) -> bool {
        self.0.iter().any(|re| re.is_match(key))
    }
}

/// A compiled selector over scopes and keys.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub keys: KeyPatterns,
    origins: Vec<Origin>,
    environments: Vec<String>,
    services: Vec<String>,
}

impl Selector {
    pub fn scope_matches(&self, scope: &Scope) -> bool {
        let listed = |list: &[String], value: &Option<String>| {
            list.is_empty()
                || value
                    .as_ref()
                    .is_some_and(|v| list.iter().any(|l| l.eq_ignore_ascii_case(v)))
        };
        (self.origins.is_empty() || self.origins.contains(&scope.origin))
            && listed(&self.environments, &scope.environment)
            && listed(&self.services, &scope.service)
    }

    /// Scope matches and, when keys are given, the key does too.
    pub fn setting_matches(&self, setting: &Setting) -> bool {
        self.scope_matches(&setting.scope)
            && (self.keys.is_empty() || self.keys.matches(&setting.key))
    }
}

/// A loaded, validated rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub summary: String,
    pub docs: Docs,
    pub source: String,
    pub applies: Selector,
    severity_in: BTreeMap<Origin, Severity>,
    templates: Templates,
    check: Check,
}

/// Message, label and help templates with `{placeholders}`.
#[derive(Debug, Clone, Default)]
struct Templates {
    message: Option<String>,
    label: Option<String>,
    help: Option<String>,
}

#[derive(Debug)]
enum Check {
    ParseError,
    ImagePin(image_pin::ImagePin),
    Require(require::Require),
    Forbid(forbid::Forbid),
    Staleness(staleness::Staleness),
    Suppression(SuppressionParams),
    Reference,
}

/// Check kinds a pack may name.
pub const KINDS: &[&str] = &[
    "image-pin",
    "require",
    "forbid",
    "staleness",
    "parse-error",
    "suppression",
    "reference",
];

impl Rule {
    pub fn kind(&self) -> &'static str {
        match self.check {
            Check::ParseError => "parse-error",
            Check::ImagePin(_) => "image-pin",
            Check::Require(_) => "require",
            Check::Forbid(_) => "forbid",
            Check::Staleness(_) => "staleness",
            Check::Suppression(_) => "suppression",
            Check::Reference => "reference",
        }
    }

    /// Origins whose findings get another severity than the rule's own (`severity-in`).
    pub fn severity_overrides(&self) -> impl Iterator<Item = (Origin, Severity)> + '_ {
        self.severity_in
            .iter()
            .map(|(origin, severity)| (*origin, *severity))
    }

    /// The severity for a finding in this scope, before configuration overrides.
    pub fn severity_for(&self, origin: Origin) -> Severity {
        self.severity_in
            .get(&origin)
            .copied()
            .unwrap_or(self.severity)
    }

    /// A finding with this rule's message, label and help, `{placeholders}` filled in.
    fn finding(
        &self,
        at: crate::model::Location,
        scope: &Scope,
        values: &Values,
        defaults: [&str; 3],
    ) -> Finding {
        let [message, label, help] = defaults;
        let fill = |template: &Option<String>, default: &str| {
            values.fill(template.as_deref().unwrap_or(default))
        };
        let mut finding = Finding::new(
            &self.id,
            self.severity_for(scope.origin),
            at,
            fill(&self.templates.message, message),
        )
        .label(fill(&self.templates.label, label))
        .in_scope(scope);
        let help = fill(&self.templates.help, help);
        if !help.is_empty() {
            finding = finding.help(help);
        }
        finding
    }
}

/// Placeholder values for message templates. Values of secret keys never get here.
#[derive(Debug, Default)]
pub struct Values(Vec<(&'static str, String)>);

impl Values {
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.push((name, value.into()));
        self
    }

    fn fill(&self, template: &str) -> String {
        static PLACEHOLDER: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\{([a-z_]+)\}").expect("placeholder pattern is valid"));
        PLACEHOLDER
            .replace_all(template, |caps: &regex::Captures<'_>| {
                self.0
                    .iter()
                    .find(|(name, _)| *name == &caps[1])
                    .map_or_else(|| caps[0].to_string(), |(_, value)| value.clone())
            })
            .into_owned()
    }
}

/// Every rule that can run, in a stable order.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Every id loaded, including rules `select` later left out.
    known: BTreeSet<String>,
}

static RULE_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$").expect("rule id pattern is valid")
});

impl RuleSet {
    /// The built-in packs plus the ones the configuration names.
    pub fn load(config: &Config) -> Result<RuleSet, Error> {
        let mut set = RuleSet::default();
        for (name, text) in BUILTIN_PACKS {
            set.add_pack(Path::new(name), text)?;
        }
        for path in config.pack_paths() {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            set.add_pack(&path, &text)?;
        }
        Ok(set)
    }

    /// Read one pack strictly: unknown fields, bad ids, bad patterns and duplicate ids are
    /// errors naming the file, line and field.
    pub fn add_pack(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        let pack: PackFile = toml::from_str(text).map_err(|e| Error::toml(path, text, &e))?;
        for def in pack.rule {
            let rule_line = line_of_rule(text, &def.id);
            let invalid = |field: &str, message: String| Error::Config {
                path: path.to_path_buf(),
                line: line_of_field_after(text, rule_line, field),
                message: format!("rule `{}`: {message}", def.id),
            };
            if !RULE_ID.is_match(&def.id) {
                return Err(invalid(
                    "id",
                    "rule ids are kebab-case, like `sha-pinned-image`".into(),
                ));
            }
            if self.get(&def.id).is_some() {
                return Err(invalid(
                    "id",
                    "a rule with this id is already defined".into(),
                ));
            }
            let origins = def
                .applies
                .origins
                .iter()
                .map(|o| {
                    Origin::from_label(o).ok_or_else(|| {
                        invalid(
                            "origins",
                            format!("unknown origin `{o}` (expected deployed, template or ci)"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut severity_in = BTreeMap::new();
            for (origin, severity) in &def.severity_in {
                let origin = Origin::from_label(origin).ok_or_else(|| {
                    invalid(
                        "severity-in",
                        format!("unknown origin `{origin}` (expected deployed, template or ci)"),
                    )
                })?;
                severity_in.insert(origin, *severity);
            }
            let applies = Selector {
                keys: KeyPatterns::compile(&def.applies.keys).map_err(|m| invalid("keys", m))?,
                origins,
                environments: def.applies.environments.clone(),
                services: def.applies.services.clone(),
            };
            let check = build_check(&def).map_err(|(field, message)| invalid(field, message))?;
            let placeholders = check_placeholders(&check);
            for (field, template) in [
                ("message", &def.message),
                ("label", &def.label),
                ("help", &def.help),
            ] {
                if let Some(template) = template {
                    unknown_placeholder(template, placeholders).map_or(Ok(()), |name| {
                        Err(invalid(
                            field,
                            format!(
                                "unknown placeholder `{{{name}}}`; this kind offers {}",
                                placeholders.join(", ")
                            ),
                        ))
                    })?;
                }
            }
            self.known.insert(def.id.clone());
            self.rules.push(Rule {
                id: def.id.clone(),
                severity: def.severity,
                summary: def.summary.clone(),
                docs: def.docs.clone(),
                source: path.display().to_string(),
                applies,
                severity_in,
                templates: Templates {
                    message: def.message.clone(),
                    label: def.label.clone(),
                    help: def.help.clone(),
                },
                check,
            });
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id == id)
    }

    /// Whether `id` names a loaded rule, selected or not.
    pub fn is_known(&self, id: &str) -> bool {
        self.known.contains(id)
    }

    /// Keep the rules that `select` names (all when empty) minus those `ignore` names.
    /// Unknown ids are an error, so a typo never silently disables a check.
    pub fn select(&mut self, select: &[String], ignore: &[String]) -> Result<(), Error> {
        for id in select.iter().chain(ignore) {
            if self.get(id).is_none() {
                return Err(Error::Usage(format!(
                    "unknown rule `{id}`; `drift-lint rules` lists them"
                )));
            }
        }
        self.rules.retain(|rule| {
            (select.is_empty() || select.contains(&rule.id)) && !ignore.contains(&rule.id)
        });
        Ok(())
    }
}

fn build_check(def: &RuleDef) -> Result<Check, (&'static str, String)> {
    let given: Vec<&str> = [
        ("image-pin", def.image_pin.is_some()),
        ("require", def.require.is_some()),
        ("forbid", def.forbid.is_some()),
        ("staleness", def.staleness.is_some()),
        ("suppression", def.suppression.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    if given.iter().any(|name| *name != def.kind) {
        return Err((
            "kind",
            format!(
                "kind `{}` does not take a `[rule.{}]` table",
                def.kind,
                given.join("`, `")
            ),
        ));
    }
    match def.kind.as_str() {
        "parse-error" => Ok(Check::ParseError),
        "reference" => Ok(Check::Reference),
        "image-pin" => {
            image_pin::ImagePin::new(def.image_pin.clone().unwrap_or_default()).map(Check::ImagePin)
        }
        "require" => {
            let params = def.require.clone().ok_or((
                "kind",
                "kind `require` needs a `[rule.require]` table".to_string(),
            ))?;
            require::Require::new(params).map(Check::Require)
        }
        "forbid" => forbid::Forbid::new(def.forbid.clone().unwrap_or_default()).map(Check::Forbid),
        "staleness" => staleness::Staleness::new(def.staleness.clone().unwrap_or_default())
            .map(Check::Staleness),
        "suppression" => def.suppression.clone().map(Check::Suppression).ok_or((
            "kind",
            "kind `suppression` needs a `[rule.suppression]` table with `report = \"unused\"` or `\"missing-reason\"`".to_string(),
        )),
        other => Err((
            "kind",
            format!(
                "unknown kind `{other}` (expected one of {})",
                KINDS.join(", ")
            ),
        )),
    }
}

fn check_placeholders(check: &Check) -> &'static [&'static str] {
    match check {
        Check::ParseError => parse_error::PLACEHOLDERS,
        Check::ImagePin(_) => image_pin::PLACEHOLDERS,
        Check::Require(_) => require::PLACEHOLDERS,
        Check::Forbid(_) => forbid::PLACEHOLDERS,
        Check::Staleness(_) => staleness::PLACEHOLDERS,
        Check::Suppression(_) => suppression::PLACEHOLDERS,
        Check::Reference => reference::PLACEHOLDERS,
    }
}

fn unknown_placeholder<'t>(template: &'t str, known: &[&str]) -> Option<&'t str> {
    static PLACEHOLDER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\{([a-z_]+)\}").expect("placeholder pattern is valid"));
    PLACEHOLDER
        .captures_iter(template)
        .map(|caps| caps.get(1).expect("group exists").as_str())
        .find(|name| !known.contains(name))
}

fn line_of_rule(text: &str, id: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim();
            line.starts_with("id") && line.contains(&format!("\"{id}\""))
        })
        .map_or(1, |index| index + 1)
}

/// The line of `field` at or after `from` (1-based), or `from` itself.
fn line_of_field_after(text: &str, from: usize, field: &str) -> usize {
    let rest: String = text
        .lines()
        .skip(from.saturating_sub(1))
        .collect::<Vec<_>>()
        .join("\n");
    let found = line_of_field(&rest, field);
    if found == 1 && !rest.trim_start().starts_with(field) {
        from
    } else {
        from + found - 1
    }
}

/// Settings grouped by the scope they describe together: one service in one environment
/// (or one file when neither is known), so a `require` rule sees every key of it.
pub struct Groups<'m> {
    pub groups: BTreeMap<GroupKey, Vec<&'m Setting>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    pub origin: Origin,
    pub environment: Option<String>,
    pub service: Option<String>,
    /// Set when neither environment nor service is known: each file is its own scope.
    pub file: Option<FileId>,
}

impl<'m> Groups<'m> {
    pub fn new(model: &'m Model) -> Self {
        let mut groups: BTreeMap<GroupKey, Vec<&Setting>> = BTreeMap::new();
        for setting in &model.settings {
            let scope = &setting.scope;
            let unnamed = scope.environment.is_none() && scope.service.is_none();
            let key = GroupKey {
                origin: scope.origin,
                environment: scope.environment.clone(),
                service: scope.service.clone(),
                file: unnamed.then_some(setting.key_at.file),
            };
            groups.entry(key).or_default().push(setting);
        }
        Groups { groups }
    }
}

/// What every check may read.
pub struct Context<'a> {
    pub model: &'a Model,
    pub config: &'a Config,
    pub groups: &'a Groups<'a>,
    /// Image ages gathered before the rules ran.
    pub ages: &'a Ages,
}

impl<'a> Context<'a> {
    /// The settings a rule applies to.
    pub fn settings_for<'r>(&self, rule: &'r Rule) -> impl Iterator<Item = &'a Setting> + 'r
    where
        'a: 'r,
    {
        self.model
            .settings
            .iter()
            .filter(move |setting| rule.applies.setting_matches(setting))
    }
}

/// The images staleness rules will ask about, with the commits each must contain, so
/// they can be looked up once, before any rule runs.
pub fn staleness_wanted(rules: &RuleSet, model: &Model, config: &Config) -> Vec<Wanted> {
    let mut wanted: BTreeMap<String, Wanted> = BTreeMap::new();
    for rule in &rules.rules {
        let Check::Staleness(check) = &rule.check else {
            continue;
        };
        for setting in model
            .settings
            .iter()
            .filter(|s| rule.applies.setting_matches(s))
        {
            let Some(value) = setting.non_empty_value() else {
                continue;
            };
            let Ok(image) = ImageRef::parse(value) else {
                continue;
            };
            if !check.wants(&image) {
                continue;
            }
            let require = limits_for(&check.limits, config, &image).require_commits;
            wanted
                .entry(value.to_string())
                .or_insert_with(|| Wanted {
                    reference: value.to_string(),
                    image,
                    require: BTreeSet::new(),
                })
                .require
                .extend(require);
        }
    }
    wanted.into_values().collect()
}

/// Run every rule over the model; findings come back with suppressions applied, deduplicated
/// and sorted.
pub fn check(rules: &RuleSet, model: &Model, config: &Config, ages: &Ages) -> Applied {
    let groups = Groups::new(model);
    let context = Context {
        model,
        config,
        groups: &groups,
        ages,
    };
    let mut findings = Vec::new();
    for rule in &rules.rules {
        let found = match &rule.check {
            Check::ParseError => parse_error::check(rule, &context),
            Check::ImagePin(check) => check.check(rule, &context),
            Check::Require(check) => check.check(rule, &context),
            Check::Forbid(check) => check.check(rule, &context),
            Check::Staleness(check) => check.check(rule, &context),
            Check::Reference => reference::check(rule, &context),
            // Runs last, over the other rules' findings.
            Check::Suppression(_) => Vec::new(),
        };
        findings.extend(found);
    }
    apply_severity_overrides(&mut findings, config);
    let mut applied = suppression::apply(rules, model, config, findings);
    apply_severity_overrides(&mut applied.findings, config);
    crate::redact::scrub_findings(
        model,
        applied
            .findings
            .iter_mut()
            .chain(applied.suppressed.iter_mut()),
    );
    sort_and_dedupe(model, &mut applied.findings);
    sort_and_dedupe(model, &mut applied.suppressed);
    applied
}

fn apply_severity_overrides(findings: &mut Vec<Finding>, config: &Config) {
    findings.retain_mut(|finding| match config.file.severity.get(&finding.rule) {
        Some(level) if level == "off" => false,
        Some(level) => {
            if let Ok(severity) = level.parse() {
                finding.severity = severity;
            }
            true
        }
        None => true,
    });
}

/// Stable order: file path, position, rule; the same rule at the same place once.
fn sort_and_dedupe(model: &Model, findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        model
            .file(a.at.file)
            .path
            .cmp(&model.file(b.at.file).path)
            .then(a.at.span.start.cmp(&b.at.span.start))
            .then(a.at.span.end.cmp(&b.at.span.end))
            .then(a.rule.cmp(&b.rule))
            .then(a.message.cmp(&b.message))
    });
    let mut seen = BTreeSet::new();
    findings.retain(|f| seen.insert((f.rule.clone(), f.at.file, f.at.span.start, f.at.span.end)));
}
