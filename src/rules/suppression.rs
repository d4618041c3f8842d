//! Check kind `suppression`: silencing a finding knowingly, and keeping suppressions honest.
//!
//! A finding is silenced by an inline comment in the file's own comment syntax (YAML, dotenv,
//! TOML, and shell lines inside `run: |` blocks):
//!
//! ```text
//! # drift-lint: ignore[sha-pinned-image, stale-image-tag] rollback pin until #1234 ships
//! TENANT_IMAGE=ghcr.io/org/tenant:staging-a14cf86
//! FOO=x  # drift-lint: ignore[forbid-foo] a trailing comment silences its own line
//! ```
//!
//! A comment on a line of its own applies to the next line; a trailing one to its own line.
//! JSON has no comments, so `[[ignore]]` tables in drift-lint.toml do the same for any file
//! or live setting. Rules of this kind then report what rots: a suppression that silences
//! nothing, and one that gives no reason.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::{Rule, RuleSet, Values};
use crate::config::Config;
use crate::finding::{Finding, Suppression, SuppressionKind};
use crate::model::{line_col, Location, Model, Origin, Scope, SourceKind};

pub const PLACEHOLDERS: &[&str] = &["rule", "line"];

/// What a rule of this kind reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// A suppression that silenced no finding.
    Unused,
    /// A suppression without a reason after the `]`.
    MissingReason,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressionParams {
    pub report: Problem,
}

/// One `# drift-lint: ignore[...]` comment.
#[derive(Debug)]
struct Pragma {
    file: usize,
    /// The 1-based line whose findings it silences.
    target_line: usize,
    /// The whole comment, for the missing-reason finding.
    at: Range<usize>,
    /// Each rule id with its byte range, for the unused finding.
    ids: Vec<(String, Range<usize>)>,
    /// The text after the `]`, trimmed; empty when none was given.
    reason: String,
}

impl Pragma {
    fn has_reason(&self) -> bool {
        !self.reason.is_empty()
    }
}

/// Whether a file kind has `#` comments in which a suppression can be written.
fn has_comments(kind: SourceKind) -> bool {
    match kind {
        SourceKind::Dotenv
        | SourceKind::DriftLintConfig
        | SourceKind::RailwayConfigToml
        | SourceKind::Workflow
        | SourceKind::Action => true,
        // JSON has no comments; a `--kv` export is raw `KEY=VALUE` output with none either.
        SourceKind::RailwayVariablesJson
        | SourceKind::RailwayVariablesKv
        | SourceKind::RailwayEnvironmentConfig
        | SourceKind::RailwayConfigJson
        | SourceKind::RailwayLive => false,
    }
}

fn pragmas(model: &Model) -> Vec<Pragma> {
    // `#` must start a comment: at the line start or after whitespace, as YAML, dotenv and
    // shell all require, so a `#` inside a URL fragment is not one.
    static PRAGMA: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|\s)(#\s*drift-lint:\s*ignore\[(?P<ids>[^\]\n]*)\](?P<reason>[^\n]*))")
            .expect("pragma pattern is valid")
    });
    let mut found = Vec::new();
    for (file_id, file) in model.files.iter().enumerate() {
        if file.live.is_some() || !has_comments(file.kind) || !file.text.contains("drift-lint:") {
            continue;
        }
        let mut line_start = 0;
        for (index, line) in file.text.split_inclusive('\n').enumerate() {
            if let Some(caps) = PRAGMA.captures(line) {
                let comment = caps.get(1).expect("group 1 always matches");
                let ids_match = caps.name("ids").expect("ids group always matches");
                let mut ids = Vec::new();
                let mut offset = line_start + ids_match.start();
                for id in ids_match.as_str().split(',') {
                    let trimmed = id.trim();
                    if !trimmed.is_empty() {
                        let start = offset + (id.len() - id.trim_start().len());
                        ids.push((trimmed.to_string(), start..start + trimmed.len()));
                    }
                    offset += id.len() + 1;
                }
                let own_line = line[..comment.start()].trim().is_empty();
                let end = line_start + comment.end();
                found.push(Pragma {
                    file: file_id,
                    target_line: if own_line { index + 2 } else { index + 1 },
                    at: line_start + comment.start()..end - trailing_newline(comment.as_str()),
                    ids,
                    reason: caps["reason"].trim().to_string(),
                });
            }
            line_start += line.len();
        }
    }
    found
}

fn trailing_newline(text: &str) -> usize {
    text.len() - text.trim_end_matches(['\r', '\n']).len()
}

/// Findings after suppressions, and the ones they silenced.
#[derive(Debug, Default)]
pub struct Applied {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Finding>,
}

/// Apply inline suppressions and `[[ignore]]` tables, then let the rules of this kind report
/// on the suppressions themselves.
pub fn apply(rules: &RuleSet, model: &Model, config: &Config, findings: Vec<Finding>) -> Applied {
    let pragmas = pragmas(model);
    let mut used: BTreeSet<(usize, usize)> = BTreeSet::new();
    let ignores: Vec<_> = config.file.ignored_findings().collect();
    let mut used_ignores = vec![false; ignores.len()];
    let mut applied = Applied::default();
    for mut finding in findings {
        let line = line_col(&model.file(finding.at.file).text, finding.at.span.start).0;
        for (p, pragma) in pragmas.iter().enumerate() {
            if pragma.file != finding.at.file || pragma.target_line != line {
                continue;
            }
            for (i, (id, _)) in pragma.ids.iter().enumerate() {
                if *id == finding.rule {
                    used.insert((p, i));
                    finding.suppression = Some(Suppression {
                        kind: SuppressionKind::InSource,
                        reason: pragma.reason.clone(),
                    });
                }
            }
        }
        if finding.suppression.is_none() {
            let place = model.place(&finding.at);
            let key = model.setting_at(&finding.at).map(|s| s.key.as_str());
            for (index, entry) in ignores.iter().enumerate() {
                if entry.rule == finding.rule
                    && config.ignored_finding_matches(index, place.name(), key)
                {
                    used_ignores[index] = true;
                    finding.suppression = Some(Suppression {
                        kind: SuppressionKind::External,
                        reason: entry.reason.trim().to_string(),
                    });
                }
            }
        }
        if finding.suppression.is_some() {
            applied.suppressed.push(finding);
        } else {
            applied.findings.push(finding);
        }
    }
    for rule in rules.rules.iter() {
        let super::Check::Suppression(params) = &rule.check else {
            continue;
        };
        for (p, pragma) in pragmas.iter().enumerate() {
            match params.report {
                Problem::MissingReason if !pragma.has_reason() => {
                    let ids: Vec<&str> = pragma.ids.iter().map(|(id, _)| id.as_str()).collect();
                    applied.findings.push(report(
                        rule,
                        Location::new(pragma.file, pragma.at.clone()),
                        &ids.join(", "),
                        pragma.target_line,
                        "suppression of `{rule}` gives no reason",
                        "add why after the `]`, e.g. `ignore[{rule}] rollback pin until the fix ships`",
                    ));
                }
                Problem::Unused => {
                    for (i, (id, span)) in pragma.ids.iter().enumerate() {
                        // A rule that did not run (`--select`, `off`) proves nothing either way.
                        let known = rules.is_known(id);
                        if used.contains(&(p, i)) || (known && !ran(rules, config, id)) {
                            continue;
                        }
                        let (message, help) = if known {
                            (
                                "suppression of `{rule}` silences nothing on line {line}",
                                "remove it, or move it to the line above the finding",
                            )
                        } else {
                            (
                                "suppression names `{rule}`, which is not a rule",
                                "`drift-lint rules` lists the rule ids",
                            )
                        };
                        applied.findings.push(report(
                            rule,
                            Location::new(pragma.file, span.clone()),
                            id,
                            pragma.target_line,
                            message,
                            help,
                        ));
                    }
                }
                Problem::MissingReason => {}
            }
        }
        let config_file = model
            .config_file
            .filter(|_| params.report == Problem::Unused);
        for (index, (entry, used)) in ignores.iter().zip(&used_ignores).enumerate() {
            let (Some(file), Some(span)) = (config_file, config.ignored_finding_spans.get(index))
            else {
                continue;
            };
            // Only what this run could have matched: a table for live settings says nothing
            // in a files-only run, and a rule that is off matches nothing anywhere.
            let could_match = match &entry.path {
                Some(path) => model.read.covers(path),
                None => model.read.files && model.read.railway != Some(false),
            };
            if !used && ran(rules, config, &entry.rule) && could_match {
                applied.findings.push(report(
                    rule,
                    Location::new(file, span.clone()),
                    &entry.rule,
                    0,
                    "`[[ignore]]` for `{rule}` matches no finding",
                    "remove the table, or correct its `path` and `key`",
                ));
            }
        }
    }
    applied
}

/// Whether rule `id` ran in this run: selected, and not `off`. A suppression for a rule
/// that did not run proves nothing either way.
fn ran(rules: &RuleSet, config: &Config, id: &str) -> bool {
    rules.get(id).is_some()
        && config
            .file
            .severity
            .get(id)
            .is_none_or(|level| level != "off")
}

fn report(rule: &Rule, at: Location, ids: &str, line: usize, message: &str, help: &str) -> Finding {
    let values = Values::default()
        .with("rule", ids.to_string())
        .with("line", line.to_string());
    rule.finding(
        at,
        &Scope::new(Origin::Deployed),
        &values,
        [message, "", help],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceFile;

    fn model_of(kind: SourceKind, text: &str) -> Model {
        let mut model = Model::default();
        model.add_file(SourceFile {
            path: "f".into(),
            text: text.to_string(),
            kind,
            live: None,
        });
        model
    }

    #[test]
    fn own_line_comments_target_the_next_line_trailing_ones_their_own() {
        let text = "# drift-lint: ignore[a, b-c] why\nX=1 # drift-lint: ignore[d] why\n";
        let found = pragmas(&model_of(SourceKind::Dotenv, text));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].target_line, 2);
        assert_eq!(found[1].target_line, 2);
        let ids: Vec<&str> = found[0].ids.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["a", "b-c"]);
        let (_, span) = &found[0].ids[1];
        assert_eq!(&text[span.clone()], "b-c");
        assert_eq!(&text[found[1].at.clone()], "# drift-lint: ignore[d] why");
        assert!(found.iter().all(|p| p.has_reason()));
        assert_eq!(found[0].reason, "why");
    }

    #[test]
    fn a_missing_reason_is_noticed() {
        let found = pragmas(&model_of(
            SourceKind::Workflow,
            "    # drift-lint: ignore[a]   \r\n",
        ));
        assert!(!found[0].has_reason());
    }

    #[test]
    fn a_hash_inside_a_value_is_no_comment_and_json_has_none() {
        let url = "URL=https://x.example/#drift-lint: ignore[a] why\n";
        assert!(pragmas(&model_of(SourceKind::Dotenv, url)).is_empty());
        let json = "{\"A\": \"x # drift-lint: ignore[a] why\"}";
        assert!(pragmas(&model_of(SourceKind::RailwayVariablesJson, json)).is_empty());
    }
}
