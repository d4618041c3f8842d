//! Check kind `reference`: a Railway `${{ Service.KEY }}`, `${{ shared.KEY }}` or `${{ KEY }}`
//! reference must name a service and a variable that exist in the same environment.
//! Railway renders a broken reference as an empty string, so the service starts with a blank
//! value and fails later, far from the cause. Only environments whose services and
//! variables were read (live, through the API) can be checked; a service that was not read
//! is not known to lack a variable.

use super::{Context, Rule, Values};
use crate::finding::Finding;
use crate::model::{RailwayEnvironment, Reference, ReferenceTarget};
use crate::railway_api::is_builtin;

pub const PLACEHOLDERS: &[&str] = &["key", "reference", "problem", "scope"];

pub fn check(rule: &Rule, context: &Context<'_>) -> Vec<Finding> {
    let model = context.model;
    model
        .references
        .iter()
        .filter(|reference| rule.applies.scope_matches(&reference.scope))
        .filter_map(|reference| {
            let environment = model
                .railway_environments
                .iter()
                .find(|env| Some(&env.name) == reference.scope.environment.as_ref())?;
            let problem = problem(environment, reference)?;
            let values = Values::default()
                .with("key", reference.key.clone())
                .with("reference", reference.written.clone())
                .with("problem", problem)
                .with("scope", reference.scope.describe());
            Some(rule.finding(
                reference.at.clone(),
                &reference.scope,
                &values,
                [
                    "`{key}` references `{reference}`, but {problem}",
                    "Railway renders this as an empty string",
                    "",
                ],
            ))
        })
        .collect()
}

/// Why the reference does not resolve, or `None` when it does (or cannot be told).
fn problem(environment: &RailwayEnvironment, reference: &Reference) -> Option<String> {
    let env = &environment.name;
    match &reference.target {
        ReferenceTarget::Shared(key) => {
            let shared = environment.shared.as_ref()?;
            (!shared.contains(key)).then(|| format!("{env} has no shared variable `{key}`"))
        }
        ReferenceTarget::Service { service, key } => {
            let Some(keys) = environment.services.get(service) else {
                let near = environment
                    .services
                    .keys()
                    .min_by_key(|name| distance(&name.to_lowercase(), &service.to_lowercase()))
                    .filter(|name| distance(&name.to_lowercase(), &service.to_lowercase()) <= 2);
                return Some(match near {
                    Some(name) => {
                        format!("{env} has no service `{service}` (did you mean `{name}`?)")
                    }
                    None => format!(
                        "{env} has no service `{service}` (it has {})",
                        environment
                            .services
                            .keys()
                            .map(|name| format!("`{name}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            };
            missing_variable(keys.as_ref()?, key)
                .then(|| format!("service `{service}` has no variable `{key}` in {env}"))
        }
        ReferenceTarget::Own(key) => {
            let service = reference.scope.service.as_ref()?;
            let keys = environment.services.get(service)?.as_ref()?;
            missing_variable(keys, key)
                .then(|| format!("service `{service}` has no variable `{key}` in {env}"))
        }
    }
}

/// Levenshtein distance, for "did you mean": service names are short.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

fn missing_variable(keys: &std::collections::BTreeSet<String>, key: &str) -> bool {
    !keys.contains(key) && !is_builtin(key)
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("postgress", "postgres"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("control-plane", "tenant"), 10);
    }
}
