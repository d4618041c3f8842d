//! The CI output formats through the real binary: SARIF (validated against the official
//! schema), GitHub workflow commands, Markdown and JUnit XML.

mod support;

use serde_json::Value;

use support::run::{drift_lint_in, root, transcript, Run};

fn drift_lint(args: &[&str]) -> Run {
    drift_lint_in(&root(), args)
}

const INCIDENT: &str = "fixtures/incident-2026-04-24";

fn sarif_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", transcript(run)))
}

#[test]
fn sarif_incident_fixture() {
    let run = drift_lint(&["--format", "sarif", INCIDENT]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    let sarif = sarif_of(&run);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 5);
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn github_incident_fixture() {
    let run = drift_lint(&["--format", "github", INCIDENT]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn markdown_incident_fixture() {
    let run = drift_lint(&["--format", "markdown", INCIDENT]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn junit_incident_fixture() {
    let run = drift_lint(&["--format", "junit", INCIDENT]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn markdown_says_no_findings_when_clean() {
    let run = drift_lint(&["--format", "markdown", "fixtures/incident-2026-04-24-fixed"]);
    assert_eq!(run.code, 0, "{}", transcript(&run));
    assert!(
        run.stdout.starts_with("## drift-lint\n\nNo findings in "),
        "{}",
        run.stdout
    );
}

/// A tree whose names need URI encoding, with a non-ASCII line before a finding.
fn odd_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| support::write_file(dir.path(), path, text);
    let pinned = "# déploiement 🚀\nA_IMAGE=ghcr.io/a/b:a14cf86\n";
    write("dir with space/.env.staging", pinned);
    write("50%/.env.staging", pinned);
    write("ünïcode#x?y/.env.staging", pinned);
    write("a:b,c/.env.staging", pinned);
    write(
        "railway/staging/api.json",
        "{\"NOTE\": \"😀 déjà vu\", \"TENANT_IMAGE\": \"ghcr.io/a/b:staging-a14cf86\"}\n",
    );
    write("broken/.env", "A_IMAGE=\"unterminated\n");
    write("binary/.env", "PORT=1\0\0");
    dir
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let odd = odd_tree();
    let mut runs = Vec::new();
    for input in [
        INCIDENT,
        "fixtures/incident-2026-04-24-fixed",
        "fixtures/secrets",
        "fixtures/rules/parse-error/bad",
        "fixtures/custom-rule-pack",
    ] {
        runs.push((input.to_string(), drift_lint(&["--format", "sarif", input])));
    }
    // Relative paths with odd names, and the same tree by absolute path (`file:` URIs).
    runs.push((
        "odd tree, relative".into(),
        drift_lint_in(odd.path(), &["--format", "sarif", "."]),
    ));
    let absolute = odd.path().to_string_lossy().into_owned();
    runs.push((
        "odd tree, absolute".into(),
        drift_lint(&["--format", "sarif", &absolute]),
    ));
    for (input, run) in runs {
        let sarif = sarif_of(&run);
        let errors = support::sarif::schema_errors(&sarif);
        assert!(
            errors.is_empty(),
            "SARIF of {input} is invalid:\n{}\n{}",
            errors.join("\n"),
            run.stdout
        );
    }
}

/// A live setting rendered through the library, with a related place and a space to encode
/// (tests/railway.rs checks the CLI's live SARIF against the schema too).
#[test]
fn sarif_of_a_live_setting_is_valid() {
    use drift_lint::finding::{Finding, Severity};
    use drift_lint::model::{LiveFile, Location, Model, SourceFile, SourceKind};
    use drift_lint::report::{sarif, Report};

    let mut model = Model::default();
    let text = "TENANT_IMAGE=ghcr.io/a/b:staging-a14cf86\nPORT=8080\n";
    let uri = "railway://molecule ai/staging/control-plane";
    let id = model.add_file(SourceFile {
        path: uri.into(),
        text: text.into(),
        kind: SourceKind::RailwayVariablesJson,
        live: Some(LiveFile {
            uri: uri.into(),
            entries: vec![(0..41, "TENANT_IMAGE".into()), (41..51, "PORT".into())],
        }),
    });
    let finding = Finding::new(
        "sha-pinned-image",
        Severity::Error,
        Location::new(id, 25..40),
        "pinned",
    )
    .related(Location::new(id, 41..45), "and a port");
    let rules = drift_lint::RuleSet::load(&drift_lint::Config::default()).unwrap();
    let findings = [finding];
    let text = sarif::render(&Report {
        model: &model,
        findings: &findings,
        suppressed: &findings,
        rules: &rules,
    });
    let value: Value = serde_json::from_str(&text).unwrap();
    let errors = support::sarif::schema_errors(&value);
    assert!(errors.is_empty(), "{}\n{text}", errors.join("\n"));
    let result = &value["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "railway://molecule ai/staging/control-plane/TENANT_IMAGE"
    );
    assert_eq!(
        result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "railway://molecule%20ai/staging/control-plane/PORT"
    );
}

/// The schema check is no rubber stamp: broken SARIF fails it.
#[test]
fn schema_check_rejects_broken_sarif() {
    let run = drift_lint(&["--format", "sarif", INCIDENT]);
    let good = sarif_of(&run);
    assert!(support::sarif::schema_errors(&good).is_empty());
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 4] = [
        ("unknown level", |s| {
            s["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        ("line 0", |s| {
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                0.into()
        }),
        ("no driver name", |s| {
            s["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
        ("unencoded uri", |s| {
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                ["uri"] = "dir with space/%zz".into()
        }),
    ];
    for (what, break_it) in breakages {
        let mut bad = good.clone();
        break_it(&mut bad);
        assert!(
            !support::sarif::schema_errors(&bad).is_empty(),
            "{what} passed the schema"
        );
    }
}

#[test]
fn sarif_columns_are_utf16_and_uris_encoded() {
    let odd = odd_tree();
    let sarif = sarif_of(&drift_lint_in(odd.path(), &["--format", "sarif", "."]));
    let json: Value =
        serde_json::from_str(&drift_lint_in(odd.path(), &["--format", "json", "."]).stdout)
            .unwrap();
    let text = std::fs::read_to_string(odd.path().join("railway/staging/api.json")).unwrap();
    let start = text.find("staging-a14cf86").unwrap();
    let utf16 = text[..start].encode_utf16().count() + 1;
    let chars = text[..start].chars().count() + 1;
    assert_eq!(utf16, chars + 1, "😀 is two UTF-16 units");

    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let pin = results
        .iter()
        .find(|r| {
            r["ruleId"] == "sha-pinned-image"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "railway/staging/api.json"
        })
        .expect("the pin in the railway export");
    let region = &pin["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], utf16);
    assert_eq!(region["endColumn"], utf16 + "staging-a14cf86".len());
    let json_finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "sha-pinned-image" && f["file"].as_str().unwrap().ends_with("api.json")
        })
        .unwrap();
    assert_eq!(
        json_finding["column"], chars,
        "JSON keeps character columns"
    );

    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    for expected in [
        "dir%20with%20space/.env.staging",
        "50%25/.env.staging",
        "%C3%BCn%C3%AFcode%23x%3Fy/.env.staging",
        "a%3Ab%2Cc/.env.staging",
    ] {
        assert!(uris.contains(&expected), "{expected} not in {uris:?}");
    }
    for result in results {
        let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uriBaseId"], "%SRCROOT%", "{location}");
    }
}

#[test]
fn human_and_sarif_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.sarif");
    // Each --output belongs to the --format written just before it.
    let run = drift_lint(&[
        "--format",
        "human",
        "--format",
        "sarif",
        "--output",
        &file.to_string_lossy(),
        INCIDENT,
    ]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    assert!(
        run.stdout.contains("error[sha-pinned-image]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("3 errors, 2 warnings in 5 files\n"));
    assert!(!run.stdout.contains("\"$schema\""), "{}", run.stdout);
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 5);
}

#[test]
fn secrets_never_appear_in_any_format() {
    let secrets = [
        "sk-proj-FAKEfakeFAKEfake0123456789",
        "sk-proj-FAKEprodFAKEprod0123456789",
        "fake-pg-password",
        "sk-fake-333",
        "sk-fake-000",
        "sk-fake-111",
        "sk-fake-222",
        "fake-nous-key-123",
        "fake-or-key",
        "hunter2",
        "ghp_FAKE",
    ];
    let inputs = [
        INCIDENT,
        "fixtures/rules/parse-error/bad",
        "fixtures/rules/hermes-provider-key-missing/bad",
        "fixtures/rules/hermes-custom-endpoint-incomplete/bad",
        "fixtures/rules/hermes-model-unset/bad",
        "fixtures/secrets",
    ];
    for input in inputs {
        for format in ["human", "json", "sarif", "github", "markdown", "junit"] {
            let run = drift_lint(&["--format", format, input]);
            assert!(run.code == 0 || run.code == 1, "{}", transcript(&run));
            for secret in secrets {
                assert!(
                    !run.stdout.contains(secret) && !run.stderr.contains(secret),
                    "{secret} leaked by {format} output of {input}:\n{}",
                    transcript(&run)
                );
            }
        }
    }
}

#[test]
fn with_every_report_in_a_file_the_summary_goes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.sarif");
    let run = drift_lint(&[
        "--format",
        "sarif",
        "--output",
        &file.to_string_lossy(),
        INCIDENT,
    ]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    assert!(run.stdout.is_empty(), "{}", transcript(&run));
    assert!(
        run.stderr
            .starts_with("drift-lint: 3 errors, 2 warnings in 5 files"),
        "{}",
        transcript(&run)
    );
    assert!(file.exists());
}
