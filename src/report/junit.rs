//! JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure DevOps,
//! CircleCI, Buildkite).
//!
//! One `<testsuite>` per rule that ran, not per file: the set of suites is then the same on
//! every run, a rule with no findings shows as one passing test rather than vanishing, and
//! test history (which those systems track by suite and test name) follows a rule across
//! runs. Each finding is a `<testcase>` named by its place, failing with the rule id as
//! its `type`; a suppressed finding is a skipped test case.

use std::fmt::Write as _;

use super::Report;
use crate::finding::Finding;

pub fn render(report: &Report) -> String {
    let mut ids: Vec<&str> = report.rules.rules.iter().map(|r| r.id.as_str()).collect();
    for finding in report.findings.iter().chain(report.suppressed) {
        if !ids.contains(&finding.rule.as_str()) {
            ids.push(&finding.rule);
        }
    }
    let of =
        |list: &'_ [Finding], id: &str| -> usize { list.iter().filter(|f| f.rule == id).count() };
    let mut suites = String::new();
    for id in &ids {
        let failures = of(report.findings, id);
        let skipped = of(report.suppressed, id);
        let tests = (failures + skipped).max(1);
        let classname = attr(&format!("drift-lint.{id}"));
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            attr(id)
        );
        if failures + skipped == 0 {
            let _ = writeln!(
                suites,
                "    <testcase classname=\"{classname}\" name=\"no findings\"/>"
            );
        }
        for finding in report.findings.iter().filter(|f| f.rule == *id) {
            let _ = writeln!(
                suites,
                "    <testcase classname=\"{classname}\" name=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                attr(&report.model.place(&finding.at).to_string()),
                attr(&finding.message),
                attr(id),
                text(&body(report, finding)),
            );
        }
        for finding in report.suppressed.iter().filter(|f| f.rule == *id) {
            let _ = writeln!(
                suites,
                "    <testcase classname=\"{classname}\" name=\"{}\">\n      <skipped message=\"suppressed: {}\"/>\n    </testcase>",
                attr(&report.model.place(&finding.at).to_string()),
                attr(&finding.message),
            );
        }
        suites.push_str("  </testsuite>\n");
    }
    let failures = report.findings.len();
    let skipped = report.suppressed.len();
    let tests: usize = ids
        .iter()
        .map(|id| (of(report.findings, id) + of(report.suppressed, id)).max(1))
        .sum();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"drift-lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}

/// The failure's text: severity, place, message, help and related places.
fn body(report: &Report, finding: &Finding) -> String {
    let model = report.model;
    let mut out = format!(
        "{}[{}] at {}\n{}\n",
        finding.severity,
        finding.rule,
        model.place(&finding.at),
        finding.message
    );
    if let Some(help) = &finding.help {
        let _ = writeln!(out, "help: {help}");
    }
    for related in &finding.related {
        let _ = writeln!(out, "note: {} ({})", related.note, model.place(&related.at));
    }
    out
}

/// Whether XML 1.0 allows the character at all (its `Char` production).
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Element text: markup escaped, characters XML 1.0 forbids dropped.
pub fn text(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars().filter(|&c| allowed(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A bare CR would be read back as LF.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value: as [`text`], and whitespace kept as references so that attribute
/// normalisation does not turn line breaks and tabs into spaces.
pub fn attr(input: &str) -> String {
    text(input).replace('\n', "&#10;").replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::finding::Severity;
    use crate::model::{Location, Model, SourceFile, SourceKind};
    use crate::rules::RuleSet;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            text("a & b <c> \"d\" 'e'"),
            "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"
        );
        assert_eq!(
            text("nul\u{0}bell\u{7}vt\u{b}ff\u{c}esc\u{1b}\u{fffe}ok"),
            "nulbellvtffescok"
        );
        assert_eq!(text("tab\tline\nret\r"), "tab\tline\nret&#13;");
        assert_eq!(attr("tab\tline\nret\r"), "tab&#9;line&#10;ret&#13;");
        assert_eq!(text("ünï 😀"), "ünï 😀");
    }

    #[test]
    fn one_suite_per_rule_with_failures_and_skips() {
        let mut model = Model::default();
        let id = model.add_file(SourceFile {
            path: "a/<b>&.env".into(),
            text: "A_IMAGE=x:a14cf86\nB_IMAGE=x:b14cf86\n".into(),
            kind: SourceKind::Dotenv,
            live: None,
        });
        let findings = [Finding::new(
            "sha-pinned-image",
            Severity::Error,
            Location::new(id, 10..17),
            "pins \"x\" <&> \u{1}",
        )];
        let suppressed = [Finding::new(
            "sha-pinned-image",
            Severity::Error,
            Location::new(id, 28..35),
            "b",
        )];
        let rules = RuleSet::load(&Config::default()).unwrap();
        let out = render(&Report {
            model: &model,
            findings: &findings,
            suppressed: &suppressed,
            rules: &rules,
        });
        assert_eq!(
            out.matches("<testsuite ").count(),
            rules.rules.len(),
            "{out}"
        );
        assert!(out.contains(
            "<testsuite name=\"sha-pinned-image\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\">"
        ), "{out}");
        assert!(out.contains(
            "name=\"a/&lt;b&gt;&amp;.env:1:11\">\n      <failure message=\"pins &quot;x&quot; &lt;&amp;&gt; \" type=\"sha-pinned-image\">"
        ), "{out}");
        assert!(
            out.contains("<skipped message=\"suppressed: b\"/>"),
            "{out}"
        );
        assert!(out.contains("name=\"no findings\""), "{out}");
        assert!(!out.contains('\u{1}'));
    }
}
