//! JSON output, schema version 1 (documented in the README). Additive changes keep the
//! version; anything else bumps it.

use serde::Serialize;

use super::{input_counts, Counts, Report};
use crate::finding::{Finding, Severity};
use crate::model::{Location, Model, Place};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    /// Findings that an inline suppression or an `[[ignore]]` table silenced.
    suppressed: Vec<JsonFinding<'a>>,
    skipped: Vec<JsonSkipped>,
    unreadable: Vec<JsonSkipped>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    label: &'a str,
    help: Option<&'a str>,
    #[serde(flatten)]
    location: JsonLocation,
    environment: Option<&'a str>,
    service: Option<&'a str>,
    /// True when a lookup failed and the rule could not decide.
    unknown: bool,
    /// Stable identity across runs (see `finding::fingerprint`).
    fingerprint: String,
    /// On a suppressed finding: how it was silenced and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<JsonSuppression<'a>>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    /// `in-source` (a comment in the file) or `external` (`[[ignore]]` in drift-lint.toml).
    kind: &'static str,
    reason: &'a str,
}

/// A file path with lines and columns, or a live `railway://` URI whose lines, columns and
/// span are null (it has no file to point into).
#[derive(Serialize)]
struct JsonLocation {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    /// Byte offsets into the file: `[start, end)`.
    span: Option<Span>,
}

#[derive(Serialize)]
struct Span {
    start: usize,
    end: usize,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    note: &'a str,
    #[serde(flatten)]
    location: JsonLocation,
}

#[derive(Serialize)]
struct JsonSkipped {
    path: String,
    reason: String,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    /// Live Railway services (and shared-variable sets) read through the API.
    live_sources: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    suppressed: usize,
}

fn location(model: &Model, at: &Location) -> JsonLocation {
    let span = Span {
        start: at.span.start,
        end: at.span.end,
    };
    match model.place(at) {
        Place::File {
            path,
            line,
            column,
            end_line,
            end_column,
        } => JsonLocation {
            file: path,
            line: Some(line),
            column: Some(column),
            end_line: Some(end_line),
            end_column: Some(end_column),
            span: Some(span),
        },
        Place::Live { uri } => JsonLocation {
            file: uri,
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            span: None,
        },
    }
}

fn finding<'a>(model: &Model, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: &f.rule,
        severity: f.severity,
        message: &f.message,
        label: &f.label,
        help: f.help.as_deref(),
        location: location(model, &f.at),
        environment: f.environment.as_deref(),
        service: f.service.as_deref(),
        unknown: f.unknown,
        fingerprint: crate::finding::fingerprint(model, f),
        suppression: f.suppression.as_ref().map(|s| JsonSuppression {
            kind: s.kind.label(),
            reason: &s.reason,
        }),
        related: f
            .related
            .iter()
            .map(|r| JsonRelated {
                note: &r.note,
                location: location(model, &r.at),
            })
            .collect(),
    }
}

pub fn render(report: &Report) -> String {
    let model = report.model;
    let counts = Counts::of(report.findings);
    let (files, live_sources) = input_counts(model);
    let skipped = |list: &[crate::model::Skipped]| {
        list.iter()
            .map(|s| JsonSkipped {
                path: s.path.display().to_string(),
                reason: s.reason.clone(),
            })
            .collect()
    };
    let output = Output {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report.findings.iter().map(|f| finding(model, f)).collect(),
        suppressed: report
            .suppressed
            .iter()
            .map(|f| finding(model, f))
            .collect(),
        skipped: skipped(&model.skipped),
        unreadable: skipped(&model.unreadable),
        summary: Summary {
            files,
            live_sources,
            errors: counts.errors,
            warnings: counts.warnings,
            infos: counts.infos,
            suppressed: report.suppressed.len(),
        },
    };
    let mut text =
        serde_json::to_string_pretty(&output).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}
