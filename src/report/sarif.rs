//! SARIF 2.1.0, the format GitHub code scanning (and most code-review tools) import.
//!
//! One run: the tool with every rule that ran, then one result per finding, suppressed
//! findings included with a suppression so that code scanning shows them as dismissed.
//! Regions count columns in UTF-16 code units (`run.columnKind`), as GitHub does; they
//! are computed from the file text, not taken from the character columns of [`Place`].

use serde_json::{json, Map, Value};

use super::Report;
use crate::finding::{Finding, Severity, Suppression, SuppressionKind};
use crate::model::{Location, Model, Place};
use crate::rules::Rule;

/// What `$schema` names: the OASIS SARIF 2.1.0 schema (errata 01, the standard's own copy).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of `partialFingerprints`; bump the version if `finding::fingerprint` changes.
pub const FINGERPRINT_KEY: &str = "driftLint/v1";

/// Relative paths are relative to this base: the directory drift-lint ran in, which in CI
/// is the repository root GitHub resolves them against.
const SRCROOT: &str = "%SRCROOT%";

pub fn render(report: &Report) -> String {
    let rules = &report.rules.rules;
    let model = report.model;
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| result(model, rules, finding, false))
        .collect();
    results.extend(
        report
            .suppressed
            .iter()
            .map(|finding| result(model, rules, finding, true)),
    );
    let mut notifications: Vec<Value> = Vec::new();
    for (list, level, what) in [
        (&model.unreadable, "error", "cannot read"),
        (&model.skipped, "note", "skipped"),
    ] {
        for skipped in list.iter() {
            let path = skipped.path.display().to_string();
            notifications.push(json!({
                "level": level,
                "message": { "text": format!("{what} {path}: {}", skipped.reason) },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(&path) } }],
            }));
        }
    }
    let mut invocation = json!({ "executionSuccessful": model.unreadable.is_empty() });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": env!("CARGO_PKG_NAME"),
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(descriptor).collect::<Vec<_>>(),
                }
            },
            "invocations": [invocation],
            "originalUriBaseIds": {
                SRCROOT: { "description": { "text": "The directory drift-lint ran in" } }
            },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    });
    let mut text =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}

/// SARIF's level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `sha-pinned-image` -> `ShaPinnedImage`.
pub fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

fn descriptor(rule: &Rule) -> Value {
    let docs = &rule.docs;
    let example = docs.example.trim_end();
    let help_text = format!(
        "Why it matters\n{}\n\nExample\n{}\n\nFix\n{}",
        docs.why.trim(),
        example,
        docs.fix.trim()
    );
    let fence = fence_for(example);
    let help_markdown = format!(
        "**Why it matters**\n\n{}\n\n**Example**\n\n{fence}\n{}\n{fence}\n\n**Fix**\n\n{}\n\n\
         `drift-lint explain {}` prints these docs.",
        docs.why.trim(),
        example,
        docs.fix.trim(),
        rule.id
    );
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": docs.what.trim() },
        "help": { "text": help_text, "markdown": help_markdown },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": { "tags": ["config-drift", rule.kind()] },
    })
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat(longest.max(2) + 1)
}

fn result(model: &Model, rules: &[Rule], finding: &Finding, suppressed: bool) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(finding.rule));
    if let Some(index) = rules.iter().position(|rule| rule.id == finding.rule) {
        result.insert("ruleIndex".into(), json!(index));
    }
    result.insert("level".into(), json!(level(finding.severity)));
    let mut text = finding.message.clone();
    if let Some(help) = &finding.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    result.insert("message".into(), json!({ "text": text }));
    result.insert("locations".into(), json!([location(model, &finding.at)]));
    result.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: crate::finding::fingerprint(model, finding) }),
    );
    if !finding.related.is_empty() {
        let related: Vec<Value> = finding
            .related
            .iter()
            .enumerate()
            .map(|(i, related)| {
                let mut location = location(model, &related.at);
                location["id"] = json!(i + 1);
                location["message"] = json!({ "text": related.note });
                location
            })
            .collect();
        result.insert("relatedLocations".into(), Value::Array(related));
    }
    if suppressed {
        // The reason a team wrote becomes the justification code scanning shows.
        let (kind, justification) = match &finding.suppression {
            Some(Suppression {
                kind: SuppressionKind::External,
                reason,
            }) => ("external", reason.as_str()),
            Some(Suppression { reason, .. }) => ("inSource", reason.as_str()),
            None => ("inSource", ""),
        };
        let mut suppression = json!({ "kind": kind });
        if !justification.is_empty() {
            suppression["justification"] = json!(justification);
        }
        result.insert("suppressions".into(), json!([suppression]));
    }
    Value::Object(result)
}

/// A file place: its relative URI and a UTF-16 region.
///
/// A live Railway setting has no file. GitHub code scanning keeps only results with a
/// `physicalLocation`, so it gets one whose `artifactLocation.uri` is the setting's own
/// `railway://<project>/<environment>/<service>/<KEY>` URI, without a region (lines of the
/// rendered live document would mean nothing to a reader), and `logicalLocations` naming
/// the same setting as a `resource`, SARIF's way to say where a non-file thing is.
fn location(model: &Model, at: &Location) -> Value {
    match model.place(at) {
        Place::Live { uri } => json!({
            "physicalLocation": { "artifactLocation": { "uri": encode_live_uri(&uri) } },
            "logicalLocations": [{ "fullyQualifiedName": uri, "kind": "resource" }],
        }),
        Place::File { path, .. } => {
            let text = &model.file(at.file).text;
            let (start_line, start_column) = utf16_line_col(text, at.span.start);
            let (end_line, end_column) = utf16_line_col(text, at.span.end.max(at.span.start));
            json!({
                "physicalLocation": {
                    "artifactLocation": artifact(&path),
                    "region": {
                        "startLine": start_line,
                        "startColumn": start_column,
                        "endLine": end_line,
                        "endColumn": end_column,
                    }
                }
            })
        }
    }
}

/// 1-based line and 1-based column in UTF-16 code units of a byte offset in `text`.
pub fn utf16_line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = crate::model::floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].encode_utf16().count() + 1;
    (line, column)
}

/// The `artifactLocation` of a path as drift-lint names it: a relative URI against
/// `%SRCROOT%`, or a `file:` URI for an absolute path.
fn artifact(path: &str) -> Value {
    let path = path.replace('\\', "/");
    let bytes = path.as_bytes();
    let is_windows_absolute =
        bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if path.starts_with('/') || is_windows_absolute {
        // `:` may stay in an absolute path (`file:///C:/work`); only a relative
        // reference's first segment must not hold one.
        let encoded = encode(&path, b":");
        let uri = if encoded.starts_with('/') {
            format!("file://{encoded}")
        } else {
            format!("file:///{encoded}")
        };
        return json!({ "uri": uri });
    }
    let mut relative = path.as_str();
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest;
    }
    json!({ "uri": encode_path(relative), "uriBaseId": SRCROOT })
}

/// Percent-encode everything in a path but unreserved characters and `/` (RFC 3986), so a
/// name holding `%`, spaces, `#`, `?`, `:` or non-ASCII stays one valid URI reference.
pub fn encode_path(path: &str) -> String {
    encode(path, b"")
}

fn encode(path: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
            || keep.contains(&byte)
        {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `railway://` plus the encoded path of project, environment, service and key.
fn encode_live_uri(uri: &str) -> String {
    match uri.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", encode_path(rest)),
        None => encode_path(uri),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{LiveFile, SourceFile, SourceKind};
    use crate::rules::RuleSet;

    fn file(model: &mut Model, path: &str, text: &str) -> usize {
        model.add_file(SourceFile {
            path: path.into(),
            text: text.into(),
            kind: SourceKind::Dotenv,
            live: None,
        })
    }

    fn render_one(model: &Model, findings: &[Finding], suppressed: &[Finding]) -> Value {
        let rules = RuleSet::load(&Config::default()).unwrap();
        let report = Report {
            model,
            findings,
            suppressed,
            rules: &rules,
        };
        serde_json::from_str(&render(&report)).unwrap()
    }

    #[test]
    fn columns_count_utf16_code_units() {
        let mut model = Model::default();
        // 😀 is one char but two UTF-16 units; é is one of each.
        let text = "# ok\nNOTE=\"😀é\" X_IMAGE=ghcr.io/a/b:a14cf86\n";
        let id = file(&mut model, ".env", text);
        let start = text.find("a14cf86").unwrap();
        let at = Location::new(id, start..start + 7);
        let Place::File {
            column, end_column, ..
        } = model.place(&at)
        else {
            panic!("a file place")
        };
        assert_eq!((column, end_column), (31, 38));
        let finding = Finding::new("sha-pinned-image", Severity::Error, at, "pinned");
        let sarif = render_one(&model, &[finding], &[]);
        let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 2);
        assert_eq!(region["startColumn"], 32);
        assert_eq!(region["endLine"], 2);
        assert_eq!(region["endColumn"], 39);
        assert_eq!(sarif["runs"][0]["columnKind"], "utf16CodeUnits");
    }

    #[test]
    fn live_settings_get_a_logical_location_and_a_uri_without_region() {
        let mut model = Model::default();
        let text = "TENANT_IMAGE=ghcr.io/a/b:a14cf86\n";
        let id = model.add_file(SourceFile {
            path: "railway://molecule/staging/control plane".into(),
            text: text.into(),
            kind: SourceKind::RailwayVariablesJson,
            live: Some(LiveFile {
                uri: "railway://molecule/staging/control plane".into(),
                entries: vec![(0..text.len(), "TENANT_IMAGE".into())],
            }),
        });
        let finding = Finding::new(
            "sha-pinned-image",
            Severity::Error,
            Location::new(id, 25..32),
            "pinned",
        );
        let sarif = render_one(&model, &[finding], &[]);
        let location = &sarif["runs"][0]["results"][0]["locations"][0];
        assert_eq!(
            location["logicalLocations"][0],
            json!({
                "fullyQualifiedName": "railway://molecule/staging/control plane/TENANT_IMAGE",
                "kind": "resource"
            })
        );
        let physical = &location["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "railway://molecule/staging/control%20plane/TENANT_IMAGE"
        );
        assert!(physical.get("region").is_none(), "{physical}");
        assert!(physical["artifactLocation"].get("uriBaseId").is_none());
    }

    #[test]
    fn suppressed_findings_are_results_with_an_in_source_suppression() {
        let mut model = Model::default();
        let id = file(
            &mut model,
            "a/.env",
            "A_IMAGE=x:a14cf86\nB_IMAGE=x:b14cf86\n",
        );
        let shown = Finding::new(
            "sha-pinned-image",
            Severity::Error,
            Location::new(id, 10..17),
            "a",
        );
        let silenced = Finding::new(
            "sha-pinned-image",
            Severity::Error,
            Location::new(id, 28..35),
            "b",
        );
        let sarif = render_one(&model, &[shown], &[silenced]);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert!(results[0].get("suppressions").is_none());
        assert_eq!(results[1]["suppressions"], json!([{ "kind": "inSource" }]));
        assert_eq!(
            sarif["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }

    #[test]
    fn related_locations_have_ids_and_messages() {
        let mut model = Model::default();
        let id = file(&mut model, "./b.env", "A=1\nB=2\n");
        let finding = Finding::new(
            "hermes-model-unset",
            Severity::Error,
            Location::new(id, 0..1),
            "m",
        )
        .related(Location::new(id, 4..5), "set here");
        let sarif = render_one(&model, &[finding], &[]);
        let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0];
        assert_eq!(related["id"], 1);
        assert_eq!(related["message"]["text"], "set here");
        assert_eq!(
            related["physicalLocation"]["artifactLocation"]["uri"],
            "b.env"
        );
        assert_eq!(related["physicalLocation"]["region"]["startLine"], 2);
    }

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(
            artifact("./dir name/50%/ünï:x#y?.env"),
            json!({ "uri": "dir%20name/50%25/%C3%BCn%C3%AF%3Ax%23y%3F.env", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact(r"sub\dir\.env"),
            json!({ "uri": "sub/dir/.env", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact("/tmp/a b/.env"),
            json!({ "uri": "file:///tmp/a%20b/.env" })
        );
        assert_eq!(
            artifact(r"C:\work\.env"),
            json!({ "uri": "file:///C:/work/.env" })
        );
        assert_eq!(
            artifact("a:b/.env"),
            json!({ "uri": "a%3Ab/.env", "uriBaseId": "%SRCROOT%" })
        );
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("sha-pinned-image"), "ShaPinnedImage");
        assert_eq!(pascal_case("parse-error"), "ParseError");
    }
}
