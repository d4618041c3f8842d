//! GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` line per
//! finding, which the runner turns into an annotation on the file and line of a pull
//! request, then a plain summary line for the log.
//!
//! GitHub shows at most 10 annotations of each kind (error, warning, notice) per step, and
//! 50 per job; the rest are only in the log. Use SARIF with code scanning to see them all.

use super::human::summary;
use super::Report;
use crate::finding::{Finding, Severity};
use crate::model::Place;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for finding in report.findings {
        out.push_str(&command(report, finding));
        out.push('\n');
    }
    out.push_str(&format!("drift-lint: {}", summary(report)));
    out
}

fn command(report: &Report, finding: &Finding) -> String {
    let name = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut properties = Vec::new();
    match report.model.place(&finding.at) {
        Place::File {
            path,
            line,
            column,
            end_line,
            end_column,
        } => {
            let path = path.replace('\\', "/");
            let path = path.trim_start_matches("./");
            properties.push(("file", path.to_string()));
            properties.push(("line", line.to_string()));
            properties.push(("col", column.to_string()));
            properties.push(("endLine", end_line.to_string()));
            properties.push(("endColumn", end_column.to_string()));
        }
        // A live setting has no file to annotate: the annotation goes on the run, and
        // the message starts with the setting's URI.
        Place::Live { uri } => message = format!("{uri}: {message}"),
    }
    properties.push(("title", format!("drift-lint {}", finding.rule)));
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    format!(
        "::{name} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// The runner toolkit's `escapeData`: the message of a command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The runner toolkit's `escapeProperty`: a `key=value` property of a command.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{LiveFile, Location, Model, SourceFile, SourceKind};
    use crate::rules::RuleSet;

    fn render_findings(model: &Model, findings: &[Finding], suppressed: &[Finding]) -> String {
        let rules = RuleSet::load(&Config::default()).unwrap();
        render(&Report {
            model,
            findings,
            suppressed,
            rules: &rules,
        })
    }

    #[test]
    fn escaping_matches_the_toolkit() {
        assert_eq!(escape_data("50% a:b, c\r\nd"), "50%25 a:b, c%0D%0Ad");
        assert_eq!(
            escape_property("50% a:b, c\r\nd"),
            "50%25 a%3Ab%2C c%0D%0Ad"
        );
        // `%` first, so an escape already in the text is not taken for one.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_property("%2C"), "%252C");
    }

    #[test]
    fn hostile_paths_and_messages_stay_one_command() {
        let mut model = Model::default();
        let id = model.add_file(SourceFile {
            path: "./odd,dir/a:b%2C\nname.env".into(),
            text: "A_IMAGE=x:a14cf86\n".into(),
            kind: SourceKind::Dotenv,
            live: None,
        });
        let finding = Finding::new(
            "sha-pinned-image",
            Severity::Warning,
            Location::new(id, 10..17),
            "line one\r\n::error::injected, 100% ,title=x",
        );
        let out = render_findings(&model, &[finding], &[]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(
            lines[0],
            "::warning file=odd%2Cdir/a%3Ab%252C%0Aname.env,line=1,col=11,endLine=1,endColumn=18,\
             title=drift-lint sha-pinned-image::line one%0D%0A::error::injected, 100%25 ,title=x"
        );
        assert_eq!(lines[1], "drift-lint: 1 warning in 1 file");
    }

    #[test]
    fn severities_map_to_commands_and_live_findings_have_no_file() {
        let mut model = Model::default();
        let text = "K=v\n";
        let id = model.add_file(SourceFile {
            path: "railway://p/staging/api".into(),
            text: text.into(),
            kind: SourceKind::RailwayVariablesJson,
            live: Some(LiveFile {
                uri: "railway://p/staging/api".into(),
                entries: vec![(0..text.len(), "K".into())],
            }),
        });
        let at = Location::new(id, 2..3);
        let findings = [
            Finding::new("forbid-x", Severity::Error, at.clone(), "e"),
            Finding::new("forbid-x", Severity::Warning, at.clone(), "w"),
            Finding::new("forbid-x", Severity::Info, at.clone(), "i").help("do y"),
        ];
        let suppressed = [Finding::new("forbid-x", Severity::Error, at, "s")];
        let out = render_findings(&model, &findings, &suppressed);
        assert_eq!(
            out,
            "::error title=drift-lint forbid-x::railway://p/staging/api/K: e\n\
             ::warning title=drift-lint forbid-x::railway://p/staging/api/K: w\n\
             ::notice title=drift-lint forbid-x::railway://p/staging/api/K: i%0Ahelp: do y\n\
             drift-lint: 1 error, 1 warning, 1 info in 1 live Railway source (1 suppressed)\n"
        );
    }
}
