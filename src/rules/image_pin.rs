//! Check kind `image-pin`: image references whose tag class is not allowed where they are.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Context, Rule, Values};
use crate::finding::Finding;
use crate::image::{looks_like_image_ref, suggest_floating_tag, ImageRef, TagKind};
use crate::model::{Location, Setting};

pub const PLACEHOLDERS: &[&str] = &[
    "key",
    "image",
    "name",
    "tag",
    "pin",
    "kind",
    "suggested",
    "floating",
    "scope",
];

/// Tag classes a pack may deny, as `TagKind::label` spells them.
const TAG_CLASSES: &[&str] = &[
    "commit-sha",
    "digest",
    "version",
    "date-or-build",
    "floating",
    "untagged",
    "templated-sha",
    "templated",
    "other",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImagePinParams {
    /// Tag classes that must not appear.
    #[serde(default = "default_deny")]
    pub deny: Vec<String>,
    /// The floating tag to suggest per environment (drift-lint.toml's `floating-tags` wins).
    #[serde(default)]
    pub floating_tags: BTreeMap<String, String>,
}

impl Default for ImagePinParams {
    fn default() -> Self {
        ImagePinParams {
            deny: default_deny(),
            floating_tags: BTreeMap::new(),
        }
    }
}

fn default_deny() -> Vec<String> {
    vec!["commit-sha".into(), "digest".into()]
}

/// Every name must be a tag class `TagKind::label` spells.
pub fn check_tag_classes(classes: &[String]) -> Result<(), String> {
    match classes
        .iter()
        .find(|class| !TAG_CLASSES.contains(&class.as_str()))
    {
        Some(unknown) => Err(format!(
            "unknown tag class `{unknown}` (expected one of {})",
            TAG_CLASSES.join(", ")
        )),
        None => Ok(()),
    }
}

#[derive(Debug)]
pub struct ImagePin {
    params: ImagePinParams,
}

impl ImagePin {
    pub fn new(params: ImagePinParams) -> Result<Self, (&'static str, String)> {
        check_tag_classes(&params.deny).map_err(|m| ("deny", m))?;
        Ok(ImagePin { params })
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
        // Without key patterns, only values that look like images are images.
        if rule.applies.keys.is_empty() && !looks_like_image_ref(value) {
            return None;
        }
        let image = ImageRef::parse(value).ok()?;
        let kind = image.kind();
        if !self.params.deny.iter().any(|class| class == kind.label()) {
            return None;
        }
        let environment = setting.scope.environment.as_deref();
        let configured = context.config.floating_tag(environment).or_else(|| {
            environment
                .and_then(|env| self.params.floating_tags.get(env))
                .map(String::as_str)
        });
        let floating = suggest_floating_tag(&kind, environment, configured);
        let (pin, pin_range) = match (&kind, &image.digest, &image.digest_range) {
            (TagKind::Digest, Some(digest), Some(range)) => {
                (short_digest(digest), Some(range.clone()))
            }
            _ => (
                image.tag.clone().unwrap_or_default(),
                image.tag_range.clone(),
            ),
        };
        let at = pin_location(context, setting, value, pin_range);
        let kind_text = match kind {
            TagKind::CommitSha { .. } => "a commit-SHA tag",
            TagKind::Digest => "a digest",
            TagKind::Templated { sha: true } => "a commit-SHA template",
            _ => "a tag of class",
        };
        let values = Values::default()
            .with("key", setting.key.clone())
            .with("image", value.to_string())
            .with("name", image.name())
            .with("tag", image.tag.clone().unwrap_or_default())
            .with("pin", pin)
            .with("kind", kind_text)
            .with("suggested", format!("{}:{floating}", image.name()))
            .with("floating", floating)
            .with("scope", setting.scope.describe());
        Some(rule.finding(
            at,
            &setting.scope,
            &values,
            [
                "`{key}` pins `{name}` to {kind} `{pin}`",
                "pinned to `{pin}`",
                "float on a named tag: `{suggested}`",
            ],
        ))
    }
}

/// `sha256:0123456789ab…`: enough to recognise, short enough to read.
fn short_digest(digest: &str) -> String {
    match digest.char_indices().nth(19) {
        Some((cut, _)) => format!("{}…", &digest[..cut]),
        None => digest.to_string(),
    }
}

/// The exact bytes of the tag or digest inside the value as written; the whole value when
/// the written form differs from the decoded one (escapes).
pub(super) fn pin_location(
    context: &Context<'_>,
    setting: &Setting,
    value: &str,
    pin: Option<std::ops::Range<usize>>,
) -> Location {
    let file = &context.model.file(setting.value_at.file).text;
    let span = setting.value_at.span.clone();
    let written = file.get(span.clone()).unwrap_or_default();
    let Some(pin) = pin else {
        return setting.value_at.clone();
    };
    match written.find(value) {
        Some(offset) => Location::new(
            setting.value_at.file,
            span.start + offset + pin.start..span.start + offset + pin.end,
        ),
        None => setting.value_at.clone(),
    }
}
