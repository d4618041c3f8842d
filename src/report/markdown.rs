//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments: a heading, a summary
//! line, one table row per finding, then the rules that fired and how to read their docs.
//!
//! Every piece of text that comes from input (messages, paths, rule summaries) goes through
//! [`text`] or [`code`], so pipes, newlines, backticks and HTML in it can neither break the
//! table nor inject markup.

use std::collections::BTreeSet;

use super::human::summary;
use super::Report;
use crate::finding::Severity;
use crate::model::Place;

/// GitHub takes at most 65,536 characters in a pull-request comment (and 1 MiB in a job
/// summary): the table stops before that, saying how many rows it left out, so a monorepo
/// with thousands of findings still gets a report GitHub will show.
pub const MAX_CHARS: usize = 60_000;

pub fn render(report: &Report) -> String {
    let mut out = String::from("## drift-lint\n\n");
    let line = summary(report).trim_end().to_string();
    let line = if report.findings.is_empty() {
        format!("No findings{}", line.trim_start_matches("no findings"))
    } else {
        format!("**{line}**")
    };
    out.push_str(&line);
    out.push_str(".\n");
    if report.findings.is_empty() {
        return out;
    }
    out.push_str("\n| Severity | Rule | Location | Message |\n| --- | --- | --- | --- |\n");
    // Room kept for the rules list and the note about rows left out.
    let budget = MAX_CHARS.saturating_sub(4_000);
    for (shown, finding) in report.findings.iter().enumerate() {
        let severity = match finding.severity {
            Severity::Error => "**error**",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let location = match report.model.place(&finding.at) {
            Place::File { path, line, .. } => {
                format!(
                    "{}:{line}",
                    path.replace('\\', "/").trim_start_matches("./")
                )
            }
            Place::Live { uri } => uri,
        };
        let row = format!(
            "| {severity} | {} | {} | {} |\n",
            code(&finding.rule),
            code(&location),
            text(&finding.message)
        );
        if out.len() + row.len() > budget {
            out.push_str(&format!(
                "\n{} more not shown: GitHub limits the size of a summary or comment; the JSON or SARIF report has them all.\n",
                report.findings.len() - shown
            ));
            break;
        }
        out.push_str(&row);
    }
    let fired: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    out.push_str("\n### Rules\n\n");
    for id in fired {
        match report.rules.get(id) {
            Some(rule) => out.push_str(&format!(
                "- {}: {} Docs: `drift-lint explain {id}`.\n",
                code(id),
                text(rule.summary.trim_end_matches('.')) + "."
            )),
            None => out.push_str(&format!("- {}\n", code(id))),
        }
    }
    out
}

/// Inline text, safe anywhere in a line or table cell. Balanced backticks stay code spans
/// (messages quote keys and values that way); everything else is plain text with markdown
/// and HTML punctuation escaped, and line breaks become `<br>`.
pub fn text(input: &str) -> String {
    let parts: Vec<&str> = input.split('`').collect();
    // An even number of backticks splits into an odd number of parts.
    let balanced = parts.len() % 2 == 1;
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if !balanced {
            if i > 0 {
                out.push_str("\\`");
            }
            out.push_str(&plain(part));
        } else if i % 2 == 0 {
            out.push_str(&plain(part));
        } else if part.trim().is_empty() {
            out.push_str(&format!("\\`{}\\`", plain(part)));
        } else {
            out.push_str(&code(part));
        }
    }
    out
}

fn plain(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span for a table cell: a fence longer than any backtick run inside, `|` escaped
/// (GitHub applies that escape inside code spans in tables too), line breaks as spaces.
pub fn code(input: &str) -> String {
    let content: String = input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if content.starts_with('`') || content.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{content}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::finding::Finding;
    use crate::model::{Location, Model, SourceFile, SourceKind};
    use crate::rules::RuleSet;

    /// Pipes that end a cell: those not escaped by a backslash.
    fn cells(row: &str) -> usize {
        let bytes = row.as_bytes();
        (0..bytes.len())
            .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count()
            - 1
    }

    #[test]
    fn messages_keep_code_spans_and_escape_the_rest() {
        assert_eq!(
            text("`TENANT_IMAGE` pins `a|b` to *x*"),
            "`TENANT_IMAGE` pins `a\\|b` to \\*x\\*"
        );
        assert_eq!(text("odd ` tick"), "odd \\` tick");
        assert_eq!(
            text("<script>&amp;</script>"),
            "\\<script\\>\\&amp;\\</script\\>"
        );
        assert_eq!(text("two\r\nlines"), "two<br>lines");
        assert_eq!(text("empty `` span"), "empty \\`\\` span");
        assert_eq!(code("a`b``c"), "```a`b``c```");
        assert_eq!(code("`x"), "`` `x ``");
    }

    #[test]
    fn hostile_text_stays_in_its_cell() {
        let mut model = Model::default();
        let id = model.add_file(SourceFile {
            path: "dir|x/`we`ird\n.env".into(),
            text: "A_IMAGE=x:a14cf86\n".into(),
            kind: SourceKind::Dotenv,
            live: None,
        });
        let message = "a | b `c|d` <!-- <img src=x onerror=alert(1)>\nnew row | x | y |\n``` [l](javascript:x)";
        let findings = [Finding::new(
            "sha-pinned-image",
            Severity::Error,
            Location::new(id, 10..17),
            message,
        )];
        let rules = RuleSet::load(&Config::default()).unwrap();
        let out = render(&Report {
            model: &model,
            findings: &findings,
            suppressed: &[],
            rules: &rules,
        });
        let rows: Vec<&str> = out.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(rows.len(), 3, "{out}");
        for row in rows {
            assert_eq!(cells(row), 4, "{row}");
        }
        // The only raw `<` is the line break this renderer writes itself.
        let html = out.replace("<br>", "");
        let raw_lt = html
            .char_indices()
            .any(|(i, c)| c == '<' && !html[..i].ends_with('\\'));
        assert!(!raw_lt, "{out}");
        assert!(out.contains("| ``dir\\|x/`we`ird .env:1`` |"), "{out}");
    }

    #[test]
    fn clean_run_says_no_findings() {
        let mut model = Model::default();
        model.add_file(SourceFile {
            path: ".env".into(),
            text: "PORT=1\n".into(),
            kind: SourceKind::Dotenv,
            live: None,
        });
        let rules = RuleSet::load(&Config::default()).unwrap();
        let report = Report {
            model: &model,
            findings: &[],
            suppressed: &[],
            rules: &rules,
        };
        assert_eq!(render(&report), "## drift-lint\n\nNo findings in 1 file.\n");
    }

    #[test]
    fn a_huge_report_stays_under_githubs_comment_limit() {
        let mut model = Model::default();
        let id = model.add_file(SourceFile {
            path: "railway/staging/control-plane.json".into(),
            text: "A_IMAGE=x:a14cf86\n".into(),
            kind: SourceKind::Dotenv,
            live: None,
        });
        let findings: Vec<Finding> = (0..5_000)
            .map(|i| {
                Finding::new(
                    "sha-pinned-image",
                    Severity::Error,
                    Location::new(id, 10..17),
                    format!("`IMAGE_{i}` pins `ghcr.io/org/app-{i}` to a commit-SHA tag `a14cf86`"),
                )
            })
            .collect();
        let rules = RuleSet::load(&Config::default()).unwrap();
        let out = render(&Report {
            model: &model,
            findings: &findings,
            suppressed: &[],
            rules: &rules,
        });
        assert!(out.len() < 65_536, "{} characters", out.len());
        let shown = out.lines().filter(|l| l.starts_with("| **error**")).count();
        assert!(shown > 100, "{shown}");
        assert!(
            out.contains(&format!("{} more not shown", 5_000 - shown)),
            "{}",
            &out[out.len() - 400..]
        );
        assert!(out.contains("### Rules"));
    }
}
