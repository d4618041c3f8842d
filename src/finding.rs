//! What a rule reports: a rule id, a severity, a message, and the exact place.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{Location, Model, Scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning or info)"
            )),
        }
    }
}

/// How a finding was silenced, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// The reason written after the `]`, or the `[[ignore]]` table's `reason`.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    /// A `# drift-lint: ignore[...]` comment in the file itself.
    InSource,
    /// An `[[ignore]]` table in drift-lint.toml.
    External,
}

impl SuppressionKind {
    pub fn label(self) -> &'static str {
        match self {
            SuppressionKind::InSource => "in-source",
            SuppressionKind::External => "external",
        }
    }
}

/// A secondary place that helps explain a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub at: Location,
    pub note: String,
}

/// One problem found, ready for any renderer. Messages never hold secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// Short text shown under the span in human output.
    pub label: String,
    pub help: Option<String>,
    pub at: Location,
    pub related: Vec<Related>,
    pub environment: Option<String>,
    pub service: Option<String>,
    /// The rule could not decide (a lookup failed): not a pass, not a proven problem.
    pub unknown: bool,
    /// Set on a finding that a suppression silenced.
    pub suppression: Option<Suppression>,
}

impl Finding {
    pub fn new(rule: &str, severity: Severity, at: Location, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.to_string(),
            severity,
            message: message.into(),
            label: String::new(),
            help: None,
            at,
            related: Vec::new(),
            environment: None,
            service: None,
            unknown: false,
            suppression: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, at: Location, note: impl Into<String>) -> Self {
        self.related.push(Related {
            at,
            note: note.into(),
        });
        self
    }

    pub fn in_scope(mut self, scope: &Scope) -> Self {
        self.environment = scope.environment.clone();
        self.service = scope.service.clone();
        self
    }
}

/// A finding's identity across runs, for baselines and SARIF `partialFingerprints`: the rule,
/// the place without line numbers, the setting's key, and the offending value as it may be
/// shown (secrets masked, so a baseline never holds one). Line moves and digit-only message
/// changes (an age that grows every day) keep the fingerprint; a new value or key does not.
pub fn fingerprint(model: &Model, finding: &Finding) -> String {
    let place = model.place(&finding.at);
    let name = place.name().trim_start_matches("./").replace('\\', "/");
    let subject = match model.setting_at(&finding.at) {
        Some(setting) => {
            let value = setting.value.as_deref().unwrap_or("");
            format!(
                "{}={}",
                setting.key,
                crate::redact::display_value(&setting.key, value)
            )
        }
        None => String::new(),
    };
    let message: String = finding
        .message
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .collect();
    let identity = [finding.rule.as_str(), &name, &subject, &message].join("\0");
    let digest = crate::registry::sha256::sha256(identity.as_bytes());
    crate::registry::sha256::hex(&digest[..16])
}
