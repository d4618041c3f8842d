//! Check kind `parse-error`: every problem a loader met becomes a finding at its place.

use super::{Context, Rule, Values};
use crate::finding::Finding;
use crate::model::{Origin, Scope};

pub const PLACEHOLDERS: &[&str] = &["reason", "kind"];

pub fn check(rule: &Rule, context: &Context<'_>) -> Vec<Finding> {
    context
        .model
        .parse_problems
        .iter()
        .map(|problem| {
            let kind = context.model.file(problem.at.file).kind.label();
            let values = Values::default()
                .with("reason", problem.message.clone())
                .with("kind", kind);
            // A file that cannot be read hides whatever it configures: always the rule's severity.
            rule.finding(
                problem.at.clone(),
                &Scope::new(Origin::Deployed),
                &values,
                ["cannot parse {kind} file: {reason}", "{reason}", ""],
            )
        })
        .collect()
}
