//! Renderers: findings in, text out. Rules never print.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod rule_docs;
pub mod sarif;

use std::collections::BTreeMap;

use crate::finding::{Finding, Severity};
use crate::model::Model;
use crate::rules::RuleSet;

/// Everything a renderer may show about one run.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    pub model: &'a Model,
    pub findings: &'a [Finding],
    /// Findings a suppression silenced: counted in summaries, listed only on request.
    pub suppressed: &'a [Finding],
    /// The rules that ran.
    pub rules: &'a RuleSet,
}

/// Counts for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut counts = Counts::default();
        for finding in findings {
            match finding.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
        }
        counts
    }
}

/// `1 error`, `2 warnings`.
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// How many files and how many live Railway sources a run read.
pub fn input_counts(model: &Model) -> (usize, usize) {
    let live = model.files.iter().filter(|f| f.live.is_some()).count();
    (model.files.len() - live, live)
}

/// What a run read, for summaries: `14 files`, `8 live Railway sources`, or both.
pub fn inputs_read(model: &Model) -> String {
    let (files, live) = input_counts(model);
    match (files, live) {
        (_, 0) => plural(files, "file"),
        (0, _) => format!(
            "{} live Railway {}",
            live,
            if live == 1 { "source" } else { "sources" }
        ),
        _ => format!(
            "{} and {} live Railway {}",
            plural(files, "file"),
            live,
            if live == 1 { "source" } else { "sources" }
        ),
    }
}

/// `--statistics`: findings per rule, most frequent first, then by id.
pub fn statistics(report: &Report) -> String {
    let mut per_rule: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
    for finding in report.findings {
        let entry = per_rule
            .entry(finding.rule.as_str())
            .or_insert((0, finding.severity));
        entry.0 += 1;
        entry.1 = entry.1.max(finding.severity);
    }
    let mut rows: Vec<_> = per_rule.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    let width = rows.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (id, (count, severity)) in rows {
        out.push_str(&format!("{count:5}  {id:width$}  {severity}\n"));
    }
    if !report.suppressed.is_empty() {
        out.push_str(&format!(
            "{:5}  {:width$}\n",
            report.suppressed.len(),
            "(suppressed)"
        ));
    }
    out
}
