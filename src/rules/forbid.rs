//! Check kind `forbid`: a key (and optionally a value pattern) that must not appear.

use regex::Regex;
use serde::Deserialize;

use super::{Context, Rule, Values};
use crate::finding::Finding;
use crate::redact::display_value;

pub const PLACEHOLDERS: &[&str] = &["key", "value", "scope"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ForbidParams {
    /// A regex the value must not match; without it the key itself is forbidden.
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug)]
pub struct Forbid {
    value: Option<Regex>,
}

impl Forbid {
    pub fn new(params: ForbidParams) -> Result<Self, (&'static str, String)> {
        let value = params
            .value
            .as_deref()
            .map(|pattern| {
                Regex::new(pattern).map_err(|e| ("value", format!("bad regex `{pattern}`: {e}")))
            })
            .transpose()?;
        Ok(Forbid { value })
    }

    pub fn check(&self, rule: &Rule, context: &Context<'_>) -> Vec<Finding> {
        context
            .settings_for(rule)
            .filter_map(|setting| {
                let at = match (&self.value, setting.value.as_deref()) {
                    (None, _) => setting.key_at.clone(),
                    (Some(pattern), Some(value)) if pattern.is_match(value) => {
                        setting.value_at.clone()
                    }
                    _ => return None,
                };
                let shown = setting
                    .value
                    .as_deref()
                    .map_or("(sealed)".to_string(), |v| display_value(&setting.key, v));
                let values = Values::default()
                    .with("key", setting.key.clone())
                    .with("value", shown)
                    .with("scope", setting.scope.describe());
                Some(rule.finding(
                    at,
                    &setting.scope,
                    &values,
                    [
                        "`{key}` must not be `{value}` in {scope}",
                        "forbidden here",
                        "",
                    ],
                ))
            })
            .collect()
    }
}
