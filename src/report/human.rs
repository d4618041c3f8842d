//! Human output: rustc-style snippets with the exact span, drawn by miette.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use super::{plural, Counts, Report};
use crate::finding::{Finding, Severity};
use crate::model::Model;
use crate::redact::redacted_source;

pub struct HumanOptions {
    pub color: bool,
    /// Columns to wrap at.
    pub width: usize,
    /// Also draw the findings that suppressions silenced.
    pub show_suppressed: bool,
}

/// Render every finding, the suppressed ones when asked, then one summary line.
pub fn render(report: &Report, options: &HumanOptions) -> String {
    let mut out = render_findings(report.model, report.findings, options);
    if options.show_suppressed && !report.suppressed.is_empty() {
        out.push_str("suppressed:\n");
        out.push_str(&render_findings(report.model, report.suppressed, options));
    }
    out.push_str(&summary(report));
    out
}

fn render_findings(model: &Model, findings: &[Finding], options: &HumanOptions) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_wrap_lines(false)
        .with_context_lines(1);
    // Each file's text is redacted once and shared by all of its findings.
    let mut sources: HashMap<usize, Arc<String>> = HashMap::new();
    let mut out = String::new();
    for finding in findings {
        let text = sources
            .entry(finding.at.file)
            .or_insert_with(|| Arc::new(redacted_source(model, finding.at.file)))
            .clone();
        let path = model.place(&finding.at).name().to_string();
        let report = miette::Report::new(diagnostic(model, finding))
            .with_source_code(NamedSource::new(path, text));
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            let _ = writeln!(out, "{}: {}", finding.rule, finding.message);
        }
    }
    out
}

fn diagnostic(model: &Model, finding: &Finding) -> MietteDiagnostic {
    let severity = match finding.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let span = finding.at.span.clone();
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!finding.label.is_empty()).then(|| finding.label.clone()),
        span.start..span.end.max(span.start),
    )];
    let mut notes = Vec::new();
    for related in &finding.related {
        if related.at.file == finding.at.file {
            labels.push(LabeledSpan::new_with_span(
                Some(related.note.clone()),
                related.at.span.clone(),
            ));
        } else {
            notes.push(format!("{} ({})", related.note, model.place(&related.at)));
        }
    }
    let mut help = finding.help.clone().unwrap_or_default();
    for note in notes {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&format!("note: {note}"));
    }
    let mut diagnostic = MietteDiagnostic::new(finding.message.clone())
        .with_code(format!("{}[{}]", finding.severity, finding.rule))
        .with_severity(severity)
        .with_labels(labels);
    if !help.is_empty() {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// `2 errors, 1 warning in 14 files (1 suppressed)`, or a quiet all-clear.
pub fn summary(report: &Report) -> String {
    let counts = Counts::of(report.findings);
    let files = super::inputs_read(report.model);
    let suppressed = match report.suppressed.len() {
        0 => String::new(),
        n => format!(" ({n} suppressed)"),
    };
    if report.findings.is_empty() {
        return format!("no findings in {files}{suppressed}\n");
    }
    let mut parts = Vec::new();
    if counts.errors > 0 {
        parts.push(plural(counts.errors, "error"));
    }
    if counts.warnings > 0 {
        parts.push(plural(counts.warnings, "warning"));
    }
    if counts.infos > 0 {
        parts.push(plural(counts.infos, "info"));
    }
    format!("{} in {files}{suppressed}\n", parts.join(", "))
}
