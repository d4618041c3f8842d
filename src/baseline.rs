//! Baselines: alert only on what is new.
//!
//! A baseline file lists the findings a team has accepted for now, by fingerprint (rule,
//! place without line numbers, the offending value as it may be shown: see
//! [`crate::finding::fingerprint`]). A run with a baseline hides the findings it lists, fails
//! only on new ones, and reports the listed findings that are gone as fixed. The file holds
//! rule ids, places and messages, which never carry secret values, and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::finding::{fingerprint, Finding};
use crate::model::Model;

pub const BASELINE_VERSION: u32 = 1;

/// The file as written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// One accepted finding; the fields besides the fingerprint are for people reading the file
/// and for the "fixed" report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub place: String,
    pub message: String,
}

/// A run's findings split against a baseline.
#[derive(Debug, Default)]
pub struct Partition {
    pub new: Vec<Finding>,
    pub known: Vec<Finding>,
    /// Baseline entries no finding matched any more.
    pub fixed: Vec<Entry>,
}

impl Baseline {
    pub fn of(model: &Model, findings: &[Finding]) -> Baseline {
        let mut findings: Vec<Entry> = findings
            .iter()
            .map(|finding| Entry {
                fingerprint: fingerprint(model, finding),
                rule: finding.rule.clone(),
                place: model.place(&finding.at).name().to_string(),
                message: finding.message.clone(),
            })
            .collect();
        findings.sort_by(|a, b| {
            (&a.place, &a.rule, &a.fingerprint).cmp(&(&b.place, &b.rule, &b.fingerprint))
        });
        Baseline {
            version: BASELINE_VERSION,
            findings,
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not a drift-lint baseline: {e}"),
        })?;
        if baseline.version != BASELINE_VERSION {
            return Err(Error::Config {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "baseline version {} is not supported (expected {BASELINE_VERSION}); write it again with --write-baseline",
                    baseline.version
                ),
            });
        }
        Ok(baseline)
    }

    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        write_atomically(path, &text)
    }

    /// Findings the baseline lists are known; each entry matches at most one finding, so a
    /// second copy of an accepted problem is new.
    pub fn partition(&self, model: &Model, findings: Vec<Finding>) -> Partition {
        let mut remaining: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for entry in &self.findings {
            remaining.entry(&entry.fingerprint).or_default().push(entry);
        }
        let mut partition = Partition::default();
        for finding in findings {
            let print = fingerprint(model, &finding);
            match remaining.get_mut(print.as_str()).and_then(Vec::pop) {
                Some(_) => partition.known.push(finding),
                None => partition.new.push(finding),
            }
        }
        partition.fixed = remaining
            .into_values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>();
        partition
            .fixed
            .sort_by(|a, b| (&a.place, &a.rule).cmp(&(&b.place, &b.rule)));
        partition
    }
}

/// Write through a temporary file and a rename, so a crash never leaves half a baseline that
/// would make every finding look new (or fixed) at 3 a.m.
fn write_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut temporary = PathBuf::from(path);
    temporary.set_extension("tmp");
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::model::{Location, SourceFile, SourceKind};

    fn model() -> Model {
        let mut model = Model::default();
        model.add_file(SourceFile {
            path: "railway/staging.json".into(),
            text: "{\n  \"A_IMAGE\": \"x:a14cf86\",\n  \"B_IMAGE\": \"y:b25df97\"\n}\n".into(),
            kind: SourceKind::RailwayVariablesJson,
            live: None,
        });
        model
    }

    fn pin(start: usize, message: &str) -> Finding {
        Finding::new(
            "sha-pinned-image",
            Severity::Error,
            Location::new(0, start..start + 7),
            message,
        )
    }

    #[test]
    fn known_new_and_fixed() {
        let model = model();
        let a = pin(16, "A pinned");
        let b = pin(42, "B pinned");
        let baseline = Baseline::of(&model, std::slice::from_ref(&a));
        let split = baseline.partition(&model, vec![a.clone(), b.clone()]);
        assert_eq!(split.known, vec![a.clone()]);
        assert_eq!(split.new, vec![b.clone()]);
        assert!(split.fixed.is_empty());
        let split = baseline.partition(&model, vec![b]);
        assert_eq!(split.fixed.len(), 1);
        assert_eq!(split.fixed[0].message, "A pinned");
    }

    #[test]
    fn each_entry_accepts_one_finding() {
        let model = model();
        let a = pin(16, "A pinned");
        let baseline = Baseline::of(&model, std::slice::from_ref(&a));
        let split = baseline.partition(&model, vec![a.clone(), a]);
        assert_eq!((split.known.len(), split.new.len()), (1, 1));
    }
}
