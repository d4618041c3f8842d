//! Check kind `require`: when a scope meets a condition, some keys must be set.
//!
//! Two forms: a fixed set (`any-of`, `all-of`), or keys chosen by a value's prefix
//! (`value-of` + `prefixes` + `providers`): a model slug `anthropic/...` needs
//! `ANTHROPIC_API_KEY`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Context, GroupKey, KeyPatterns, Rule, Values};
use crate::finding::Finding;
use crate::model::{Scope, Setting};
use crate::redact::display_value;

pub const PLACEHOLDERS: &[&str] = &[
    "scope",
    "trigger",
    "missing",
    "keys",
    "empty",
    "default",
    "model",
    "model_source",
    "provider",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RequireParams {
    /// The rule applies to a scope holding a key like one of these (all scopes when empty).
    #[serde(default)]
    pub when_any_key: Vec<String>,
    /// Whether that key must also be set (non-empty); otherwise being present is enough.
    #[serde(default)]
    pub when_set: bool,
    /// At least one of these must be set.
    #[serde(default)]
    pub any_of: Vec<String>,
    /// Every one of these must be set.
    #[serde(default)]
    pub all_of: Vec<String>,
    /// Keys whose value picks the requirement; the first one set wins.
    #[serde(default)]
    pub value_of: Vec<String>,
    /// The value used when none of `value-of` is set (a silent fallback).
    #[serde(default)]
    pub default_value: Option<String>,
    /// A key that, when set, names the provider directly.
    #[serde(default)]
    pub override_key: Option<String>,
    /// Value prefix to provider name, e.g. `"anthropic/" = "anthropic"`.
    #[serde(default)]
    pub prefixes: BTreeMap<String, String>,
    /// Provider name to the keys of which at least one must be set.
    #[serde(default)]
    pub providers: BTreeMap<String, Vec<String>>,
}

#[derive(Debug)]
pub struct Require {
    params: RequireParams,
    trigger: KeyPatterns,
}

/// A group's settings by key; the last write of a key wins, as in a dotenv loader.
struct Keys<'m>(BTreeMap<&'m str, &'m Setting>);

impl<'m> Keys<'m> {
    fn new(settings: &[&'m Setting]) -> Self {
        Keys(settings.iter().map(|s| (s.key.as_str(), *s)).collect())
    }

    fn get(&self, key: &str) -> Option<&'m Setting> {
        self.0.get(key).copied()
    }

    fn is_set(&self, key: &str) -> bool {
        self.get(key).is_some_and(Setting::is_set)
    }
}

fn or_list(keys: &[String]) -> String {
    joined_list(keys, "or")
}

fn and_list(keys: &[String]) -> String {
    joined_list(keys, "and")
}

/// `` `A`, `B` or `C` ``.
fn joined_list(keys: &[String], conjunction: &str) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

impl Require {
    pub fn new(params: RequireParams) -> Result<Self, (&'static str, String)> {
        let forms = [
            !params.any_of.is_empty(),
            !params.all_of.is_empty(),
            !params.providers.is_empty(),
        ];
        if forms.iter().filter(|f| **f).count() != 1 {
            return Err((
                "require",
                "give exactly one of `any-of`, `all-of` or `providers`".into(),
            ));
        }
        if !params.providers.is_empty() && params.value_of.is_empty() {
            return Err((
                "providers",
                "`providers` needs `value-of`: the keys whose value picks the provider".into(),
            ));
        }
        if let Some((prefix, provider)) = params
            .prefixes
            .iter()
            .find(|(_, p)| !params.providers.contains_key(*p))
        {
            return Err(("prefixes", format!("prefix `{prefix}` maps to provider `{provider}`, which `providers` does not list")));
        }
        let trigger =
            KeyPatterns::compile(&params.when_any_key).map_err(|m| ("when-any-key", m))?;
        Ok(Require { params, trigger })
    }

    pub fn check(&self, rule: &Rule, context: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (key, settings) in &context.groups.groups {
            let scope = group_scope(key);
            if !rule.applies.scope_matches(&scope) || settings.iter().all(|s| s.partial) {
                continue;
            }
            let trigger = settings.iter().copied().find(|s| {
                (self.trigger.is_empty() || self.trigger.matches(&s.key))
                    && (!self.params.when_set || s.is_set())
            });
            let Some(trigger) = trigger else { continue };
            let keys = Keys::new(settings);
            // A scope without environment or service is one file: name it.
            let scope_text = match key.file {
                Some(file) => format!("`{}`", context.model.file(file).path.display()),
                None => scope.describe(),
            };
            let finding = if self.params.providers.is_empty() {
                self.check_fixed(rule, &scope, &scope_text, &keys, trigger)
            } else {
                self.check_provider(rule, &scope, &scope_text, &keys, trigger)
            };
            findings.extend(finding);
        }
        findings
    }

    /// `any-of` / `all-of`: name what is missing, pointing at an empty key when there is one.
    fn check_fixed(
        &self,
        rule: &Rule,
        scope: &Scope,
        scope_text: &str,
        keys: &Keys<'_>,
        trigger: &Setting,
    ) -> Option<Finding> {
        let all = self.params.any_of.is_empty();
        let (wanted, satisfied) = if all {
            (
                &self.params.all_of,
                self.params.all_of.iter().all(|k| keys.is_set(k)),
            )
        } else {
            (
                &self.params.any_of,
                self.params.any_of.iter().any(|k| keys.is_set(k)),
            )
        };
        let list = if all { and_list } else { or_list };
        if satisfied {
            return None;
        }
        let missing: Vec<String> = wanted.iter().filter(|k| !keys.is_set(k)).cloned().collect();
        let empty = wanted
            .iter()
            .find_map(|k| keys.get(k).filter(|s| !s.is_set()));
        let (at, empty_text) = match empty {
            Some(setting) => (
                setting.key_at.clone(),
                format!("`{}` is empty", setting.key),
            ),
            None => (trigger.key_at.clone(), String::new()),
        };
        let values = Values::default()
            .with("scope", scope_text)
            .with("trigger", trigger.key.clone())
            .with("missing", list(&missing))
            .with("keys", list(wanted))
            .with("empty", empty_text)
            .with(
                "default",
                self.params.default_value.clone().unwrap_or_default(),
            );
        let mut finding = rule.finding(
            at,
            scope,
            &values,
            ["{scope} does not set {missing}", "{missing} missing", ""],
        );
        if empty.is_some() && trigger.key_at != finding.at {
            finding = finding.related(
                trigger.key_at.clone(),
                format!("`{}` is set here", trigger.key),
            );
        }
        Some(finding)
    }

    /// `value-of` + `providers`: the provider the value (or the fallback) routes to must
    /// have one of its keys set.
    fn check_provider(
        &self,
        rule: &Rule,
        scope: &Scope,
        scope_text: &str,
        keys: &Keys<'_>,
        trigger: &Setting,
    ) -> Option<Finding> {
        let chosen = self.params.value_of.iter().find_map(|k| {
            keys.get(k)
                .and_then(|s| s.non_empty_value().map(|v| (s, v.to_string())))
        });
        // A sealed model cannot be read; claim nothing about it.
        if chosen.is_none()
            && self
                .params
                .value_of
                .iter()
                .any(|k| keys.get(k).is_some_and(|s| s.value.is_none()))
        {
            return None;
        }
        let (model, model_setting) = match &chosen {
            Some((setting, value)) => (value.clone(), Some(*setting)),
            None => (self.params.default_value.clone()?, None),
        };
        if crate::image::is_templated(&model) {
            return None;
        }
        let forced = self
            .params
            .override_key
            .as_deref()
            .and_then(|k| keys.get(k))
            .and_then(|s| s.non_empty_value().map(|v| (s, v.to_ascii_lowercase())));
        let provider = match &forced {
            Some((_, name)) => name.clone(),
            None => self.provider_for(&model)?,
        };
        let wanted = self.params.providers.get(&provider)?;
        if wanted.iter().any(|k| keys.is_set(k)) {
            return None;
        }
        let (at, model_source) = match (&forced, model_setting) {
            (Some((setting, _)), _) => (
                setting.value_at.clone(),
                format!("`{}` forces it", setting.key),
            ),
            (None, Some(setting)) => (
                setting.value_at.clone(),
                format!("set by `{}`", setting.key),
            ),
            (None, None) => (trigger.key_at.clone(), "the silent fallback".to_string()),
        };
        let values = Values::default()
            .with("scope", scope_text)
            .with("trigger", trigger.key.clone())
            .with("missing", or_list(wanted))
            .with("keys", or_list(wanted))
            .with("model", display_value("model", &model))
            .with("model_source", model_source)
            .with("provider", provider)
            .with(
                "default",
                self.params.default_value.clone().unwrap_or_default(),
            );
        Some(rule.finding(
            at,
            scope,
            &values,
            [
                "`{model}` routes to {provider}, which needs {missing}; {scope} sets none",
                "{provider} needs {missing}",
                "",
            ],
        ))
    }

    /// The provider of the longest matching prefix (case-insensitive).
    fn provider_for(&self, value: &str) -> Option<String> {
        let value = value.to_ascii_lowercase();
        self.params
            .prefixes
            .iter()
            .filter(|(prefix, _)| value.starts_with(&prefix.to_ascii_lowercase()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, provider)| provider.clone())
    }
}

fn group_scope(key: &GroupKey) -> Scope {
    Scope {
        environment: key.environment.clone(),
        service: key.service.clone(),
        origin: key.origin,
    }
}
