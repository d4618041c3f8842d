//! The CLI as users meet it: fixture trees through the real binary, output snapshotted.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use drift_lint::{Config, RuleSet};

use support::run::{drift_lint_in, root, transcript, Run};

/// Run the binary from the crate root, so paths in output are the stable relative ones.
fn drift_lint(args: &[&str]) -> Run {
    drift_lint_in(&root(), args)
}

#[test]
fn incident_fixture_reproduces_the_incident() {
    let run = drift_lint(&["fixtures/incident-2026-04-24"]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn incident_fixture_json() {
    let run = drift_lint(&["--format", "json", "fixtures/incident-2026-04-24"]);
    assert_eq!(run.code, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(value["version"], 1);
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn fixed_incident_is_clean() {
    let run = drift_lint(&["fixtures/incident-2026-04-24-fixed"]);
    assert_eq!(run.code, 0, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn check_subcommand_is_the_default() {
    let plain = drift_lint(&["fixtures/incident-2026-04-24"]);
    let explicit = drift_lint(&["check", "fixtures/incident-2026-04-24"]);
    assert_eq!(plain.stdout, explicit.stdout);
    assert_eq!(plain.code, explicit.code);
}

fn rule_ids() -> Vec<String> {
    RuleSet::load(&Config::default())
        .expect("built-in packs load")
        .rules
        .into_iter()
        .map(|rule| rule.id)
        .collect()
}

fn rules_in_json(run: &Run) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    value["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule id").to_string())
        .collect()
}

/// A fixture holding a `molecule-core.history` marker needs molecule-core's history beside
/// it (tests/support/history.rs builds it): it runs from a temporary copy. Others run in place.
struct Fixture {
    _temp: Option<tempfile::TempDir>,
    dir: PathBuf,
    path: String,
}

fn fixture(relative: &str) -> Fixture {
    let source = root().join(relative);
    if !source.join("molecule-core.history").exists() {
        return Fixture {
            _temp: None,
            dir: root(),
            path: relative.to_string(),
        };
    }
    let temp = tempfile::tempdir().unwrap();
    let copy = temp.path().join("fixture");
    support::copy_tree(&source, &copy);
    support::history::build(&copy.join("molecule-core"));
    Fixture {
        _temp: Some(temp),
        dir: copy,
        path: ".".to_string(),
    }
}

fn run_fixture(relative: &str, args: &[&str]) -> Run {
    let fixture = fixture(relative);
    let mut all: Vec<&str> = args.to_vec();
    all.push(&fixture.path);
    drift_lint_in(&fixture.dir, &all)
}

/// Every built-in rule has a bad fixture that triggers it and an ok fixture that does not.
#[test]
fn every_rule_has_a_bad_and_an_ok_fixture() {
    for id in rule_ids() {
        let dir = format!("fixtures/rules/{id}");
        for case in ["bad", "ok"] {
            assert!(
                root().join(&dir).join(case).is_dir(),
                "missing {dir}/{case}"
            );
        }
        let bad = run_fixture(&format!("{dir}/bad"), &["--format", "json"]);
        assert!(
            rules_in_json(&bad).contains(&id),
            "{id}: bad fixture does not trigger it:\n{}",
            bad.stdout
        );
        let ok = run_fixture(&format!("{dir}/ok"), &["--format", "json"]);
        assert!(
            !rules_in_json(&ok).contains(&id),
            "{id}: ok fixture triggers it:\n{}",
            ok.stdout
        );
    }
}

#[test]
fn rule_fixture_snapshots() {
    for id in rule_ids() {
        let run = run_fixture(&format!("fixtures/rules/{id}/bad"), &["--select", &id]);
        insta::assert_snapshot!(format!("rule-{id}"), transcript(&run));
    }
}

#[test]
fn rules_lists_every_rule() {
    let run = drift_lint(&["rules"]);
    assert_eq!(run.code, 0);
    for id in rule_ids() {
        assert!(
            run.stdout.contains(&id),
            "{id} missing from:\n{}",
            run.stdout
        );
    }
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn explain_prints_the_rule_docs() {
    let run = drift_lint(&["explain", "sha-pinned-image"]);
    assert_eq!(run.code, 0);
    for heading in ["What it does", "Why it matters", "Example", "Fix"] {
        assert!(run.stdout.contains(heading), "{}", run.stdout);
    }
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn explain_unknown_rule_is_a_usage_error() {
    let run = drift_lint(&["explain", "no-such-rule"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-rule"));
}

#[test]
fn completions_for_every_shell() {
    let shells = [
        ("bash", "complete -F _drift__lint"),
        ("zsh", "#compdef drift-lint"),
        ("fish", "complete -c drift-lint"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'drift-lint'",
        ),
        ("elvish", "edit:completion:arg-completer[drift-lint]"),
    ];
    for (shell, marker) in shells {
        let run = drift_lint(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", transcript(&run));
        assert!(run.stdout.contains(marker), "{shell}:\n{}", run.stdout);
        for word in ["check", "explain", "completions", "fail-on"] {
            assert!(run.stdout.contains(word), "{shell} lacks {word}");
        }
    }
    assert_eq!(drift_lint(&["completions", "tcsh"]).code, 2);
}

#[test]
fn bash_completion_script_parses() {
    let run = drift_lint(&["completions", "bash"]);
    let Ok(mut bash) = Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("note: bash not found; bash completion syntax check skipped");
        return;
    };
    use std::io::Write;
    bash.stdin
        .take()
        .unwrap()
        .write_all(run.stdout.as_bytes())
        .unwrap();
    assert!(bash.wait().unwrap().success(), "{}", run.stdout);
}

#[test]
fn man_page_is_roff_for_the_whole_cli() {
    let run = drift_lint(&["man"]);
    assert_eq!(run.code, 0, "{}", transcript(&run));
    assert!(run.stdout.contains(".TH drift-lint 1"), "{}", run.stdout);
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(run.stdout.contains(section), "{section} missing");
    }
    for word in ["explain", "completions", "fail\\-on"] {
        assert!(run.stdout.contains(word), "{word} missing:\n{}", run.stdout);
    }
}

#[test]
fn unknown_rule_in_select_is_a_usage_error() {
    let run = drift_lint(&[
        "--select",
        "sha-pined-image",
        "fixtures/incident-2026-04-24",
    ]);
    assert_eq!(run.code, 2, "{}", transcript(&run));
    assert!(run.stderr.contains("unknown rule `sha-pined-image`"));
}

#[test]
fn select_and_ignore_choose_rules() {
    let only = drift_lint(&[
        "--format",
        "json",
        "--select",
        "sha-pinned-image",
        "fixtures/incident-2026-04-24",
    ]);
    assert!(rules_in_json(&only).iter().all(|r| r == "sha-pinned-image"));
    let without = drift_lint(&[
        "--format",
        "json",
        "--ignore",
        "sha-pinned-image,hermes-model-unset,stale-image-tag",
        "fixtures/incident-2026-04-24",
    ]);
    let rules = rules_in_json(&without);
    assert_eq!(rules, ["hermes-provider-key-missing"], "{rules:?}");
}

#[test]
fn fail_on_sets_the_threshold() {
    // The template's pin is only a warning: below the default threshold, above `warning`.
    let args = [
        "--select",
        "sha-pinned-image",
        "fixtures/rules/sha-pinned-image/bad/.env.example",
    ];
    assert_eq!(drift_lint(&args).code, 0);
    let mut strict = vec!["--fail-on", "warning"];
    strict.extend(args);
    assert_eq!(drift_lint(&strict).code, 1);
}

#[test]
fn missing_path_exits_2_and_names_it() {
    let run = drift_lint(&["fixtures/does-not-exist"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("fixtures/does-not-exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(drift_lint(&["--format", "xml", "."]).code, 2);
    assert_eq!(drift_lint(&["--no-such-flag"]).code, 2);
}

#[test]
fn env_flag_names_the_environment_of_unnamed_inputs() {
    let file = "fixtures/env-flag/variables.json";
    let run = drift_lint(&["--format", "json", "--env", "production", file]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let finding = &value["findings"][0];
    assert_eq!(finding["environment"], "production");
    assert!(
        finding["help"].as_str().unwrap().contains(":latest`"),
        "{finding}"
    );
}

#[test]
fn config_errors_name_file_line_and_field() {
    let run = drift_lint(&[
        "--config",
        "fixtures/bad-config/drift-lint.toml",
        "fixtures/bad-config",
    ]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn repository_rule_packs_add_rules() {
    let run = drift_lint(&["fixtures/custom-rule-pack"]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn bad_rule_pack_is_an_error_naming_the_field() {
    let run = drift_lint(&[
        "--config",
        "fixtures/bad-rule-pack/drift-lint.toml",
        "fixtures/bad-rule-pack",
    ]);
    assert_eq!(run.code, 2, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn skipped_files_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), b"PORT=1\0\0binary").unwrap();
    std::fs::write(dir.path().join(".env.production"), b"PORT=\xff\xfe\n").unwrap();
    let big = "A=1\n".repeat(1_200_000);
    std::fs::write(dir.path().join(".env.big"), big).unwrap();
    std::fs::write(
        dir.path().join(".env.staging"),
        "TENANT_IMAGE=ghcr.io/a/b:a14cf86\n",
    )
    .unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    let run = drift_lint(&[&path]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    assert!(run.stderr.contains("binary file"), "{}", run.stderr);
    assert!(run.stderr.contains("not UTF-8"), "{}", run.stderr);
    assert!(run.stderr.contains("larger than 4 MiB"), "{}", run.stderr);
    assert!(run.stdout.contains("sha-pinned-image"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang_or_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    std::fs::write(dir.path().join("a/.env"), "PORT=1\n").unwrap();
    let run = drift_lint(&[&dir.path().to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", transcript(&run));
}

#[test]
fn walk_honours_gitignore_and_skips_vendor_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| support::write_file(dir.path(), path, text);
    let pinned = "TENANT_IMAGE=ghcr.io/a/b:a14cf86\n";
    write(".gitignore", "ignored/\n");
    write("ignored/.env", pinned);
    write("node_modules/pkg/.env", pinned);
    write("target/.env", pinned);
    write(".git/.env", pinned);
    write("app/.env", pinned);
    let run = drift_lint(&[
        "--format",
        "json",
        "--select",
        "sha-pinned-image",
        &dir.path().to_string_lossy(),
    ]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files: Vec<&str> = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("app/.env"), "{files:?}");
}

#[test]
fn inline_suppression_silences_one_rule_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env.staging"),
        "# drift-lint: ignore[sha-pinned-image]\nA_IMAGE=ghcr.io/a/b:a14cf86\nB_IMAGE=ghcr.io/a/c:a14cf86 # drift-lint: ignore[hermes-model-unset]\n",
    )
    .unwrap();
    let run = drift_lint(&[
        "--format",
        "json",
        "--select",
        "sha-pinned-image",
        &dir.path().to_string_lossy(),
    ]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = value["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["line"], 3);
}

#[test]
fn json_locations_are_exact() {
    let run = drift_lint(&[
        "--format",
        "json",
        "--select",
        "sha-pinned-image",
        "fixtures/incident-2026-04-24/railway",
    ]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let finding = &value["findings"][0];
    let file = finding["file"].as_str().unwrap();
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let start = finding["span"]["start"].as_u64().unwrap() as usize;
    let end = finding["span"]["end"].as_u64().unwrap() as usize;
    assert_eq!(&text[start..end], "staging-a14cf86");
    assert_eq!(finding["line"], 10);
    assert_eq!(finding["column"], 56);
    assert_eq!(finding["end_column"], 71);
    assert_eq!(finding["environment"], "staging");
    assert_eq!(finding["service"], "control-plane");
}

#[test]
fn broken_pipe_exits_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_drift-lint"))
        .args(["fixtures/incident-2026-04-24"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Reads the real-world corpus in place; skipped with a note where it is absent.
fn corpus() -> Option<PathBuf> {
    let path = root().join("../shared/corpus");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("note: ../shared/corpus not found; corpus test skipped");
        None
    }
}

#[test]
fn corpus_run_finishes_with_findings_or_clean_never_trouble() {
    let Some(corpus) = corpus() else { return };
    let run = drift_lint(&["--format", "json", &corpus.to_string_lossy()]);
    assert!(run.code == 0 || run.code == 1, "{}", transcript(&run));
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert!(
        value["summary"]["files"].as_u64().unwrap() > 300,
        "{}",
        value["summary"]
    );
    assert!(Path::new(&corpus).is_dir());
}

#[test]
fn suppressions_inline_and_from_config() {
    let run = drift_lint(&["fixtures/suppressions", "--show-suppressed"]);
    assert_eq!(run.code, 1, "{}", transcript(&run));
    insta::assert_snapshot!(transcript(&run));
}

#[test]
fn suppressions_in_json_are_listed_apart_and_counted() {
    let run = drift_lint(&["fixtures/suppressions", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let located = |list: &serde_json::Value| -> Vec<String> {
        let mut found: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}:{}",
                    f["rule"].as_str().unwrap(),
                    f["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                    f["line"]
                )
            })
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        located(&value["suppressed"]),
        [
            "sha-pinned-image .env.staging:2",
            "sha-pinned-image .env.staging:3",
            "sha-pinned-image .env.staging:5",
            "sha-pinned-image .env.staging:7",
            "sha-pinned-image deploy.yml:10",
            "sha-pinned-image worker.json:3",
        ]
    );
    assert_eq!(value["summary"]["suppressed"], 6);
    assert_eq!(
        located(&value["findings"]),
        [
            "sha-pinned-image .env.staging:11",
            "sha-pinned-image deploy.yml:11",
            "sha-pinned-image worker.json:2",
            "suppression-missing-reason .env.staging:6",
            "unused-suppression .env.staging:10",
            "unused-suppression .env.staging:8",
            // The `[[ignore]]` table for production matches nothing.
            "unused-suppression drift-lint.toml:14",
        ]
    );
}

#[test]
fn a_rule_left_out_by_select_is_not_an_unused_suppression() {
    let run = drift_lint(&[
        "fixtures/suppressions",
        "--format",
        "json",
        "--select",
        "unused-suppression",
    ]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let messages: Vec<&str> = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    // Only the misspelt id: `sha-pinned-image` did not run, so its comments prove nothing.
    assert_eq!(
        messages,
        ["suppression names `sha-pined-image`, which is not a rule"]
    );
}

#[test]
fn ignore_table_for_an_unknown_rule_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("drift-lint.toml"),
        "[[ignore]]\nrule = \"sha-pined-image\"\nreason = \"typo\"\n",
    )
    .unwrap();
    let run = drift_lint_in(dir.path(), &["."]);
    assert_eq!(run.code, 2, "{}", transcript(&run));
    assert!(
        run.stderr
            .contains("drift-lint.toml:2: unknown rule `sha-pined-image` in [[ignore]]"),
        "{}",
        run.stderr
    );
    std::fs::write(
        dir.path().join("drift-lint.toml"),
        "[[ignore]]\nrule = \"sha-pinned-image\"\n",
    )
    .unwrap();
    let run = drift_lint_in(dir.path(), &["."]);
    assert_eq!(run.code, 2, "{}", transcript(&run));
    assert!(run.stderr.contains("drift-lint.toml"), "{}", run.stderr);
}

#[test]
fn baseline_round_trip_fails_only_on_what_is_new() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("incident");
    support::copy_tree(&root().join("fixtures/incident-2026-04-24"), &dir);
    let baseline = temp.path().join("baseline.json");
    let baseline_arg = baseline.to_string_lossy().into_owned();

    let written = drift_lint_in(&dir, &[".", "--write-baseline", &baseline_arg]);
    assert_eq!(written.code, 0, "{}", transcript(&written));
    assert!(
        written.stderr.contains("wrote a baseline of"),
        "{}",
        written.stderr
    );
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(text.contains("\"fingerprint\""), "{text}");

    // Nothing changed: clean, and the known findings are hidden.
    let clean = drift_lint_in(&dir, &[".", "--baseline", &baseline_arg]);
    assert_eq!(clean.code, 0, "{}", transcript(&clean));
    assert!(clean.stdout.contains("no findings"), "{}", clean.stdout);
    assert!(clean.stderr.contains("0 new, 0 fixed"), "{}", clean.stderr);

    // A new pin fails, and only it is shown.
    std::fs::write(
        dir.join("railway/staging/worker.json"),
        "{\n  \"WORKER_IMAGE\": \"ghcr.io/molecule-ai/worker:staging-0c1d2e3\"\n}\n",
    )
    .unwrap();
    let new = drift_lint_in(
        &dir,
        &[".", "--baseline", &baseline_arg, "--format", "json"],
    );
    assert_eq!(new.code, 1, "{}", transcript(&new));
    let found = new.rules_and_places();
    assert!(
        found
            .iter()
            .all(|f| f.ends_with("railway/staging/worker.json")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.starts_with("sha-pinned-image")),
        "{found:?}"
    );

    // Lines moving keeps findings known: prepend a blank line to a file.
    let control = dir.join("railway/staging/control-plane.json");
    let original = std::fs::read_to_string(&control).unwrap();
    std::fs::write(&control, format!("\n{original}")).unwrap();
    std::fs::remove_file(dir.join("railway/staging/worker.json")).unwrap();
    let moved = drift_lint_in(&dir, &[".", "--baseline", &baseline_arg]);
    assert_eq!(moved.code, 0, "{}", transcript(&moved));

    // The pin fixed: reported as fixed, still clean.
    let fixed_text = original.replace("staging-a14cf86", "staging-latest");
    std::fs::write(&control, fixed_text).unwrap();
    let fixed = drift_lint_in(&dir, &[".", "--baseline", &baseline_arg]);
    assert!(
        fixed
            .stderr
            .contains("fixed since the baseline: sha-pinned-image at"),
        "{}",
        fixed.stderr
    );
}

#[test]
fn a_baseline_that_is_not_one_is_a_clear_error() {
    let temp = tempfile::tempdir().unwrap();
    let baseline = temp.path().join("baseline.json");
    std::fs::write(&baseline, "{\"findings\": 3}").unwrap();
    let run = drift_lint(&[
        "fixtures/incident-2026-04-24",
        "--baseline",
        &baseline.to_string_lossy(),
    ]);
    assert_eq!(run.code, 2, "{}", transcript(&run));
    assert!(
        run.stderr.contains("not a drift-lint baseline"),
        "{}",
        run.stderr
    );
}

#[test]
fn sarif_dismisses_suppressed_findings_with_their_reason_and_kind() {
    let run = drift_lint(&["fixtures/suppressions", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let suppressions: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.get("suppressions"))
        .map(|s| {
            format!(
                "{} {}",
                s[0]["kind"].as_str().unwrap(),
                s[0]["justification"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert!(
        suppressions.contains(
            &"external worker stays pinned while the queue migration runs (#812)".to_string()
        ),
        "{suppressions:?}"
    );
    assert!(
        suppressions.contains(&"inSource rollback pin until the fix ships (#1203)".to_string()),
        "{suppressions:?}"
    );
    // The suppression without a reason still dismisses its finding, with no justification.
    assert!(
        suppressions.contains(&"inSource -".to_string()),
        "{suppressions:?}"
    );
    let json = drift_lint(&["fixtures/suppressions", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["suppressed"][0]["suppression"]["kind"], "in-source");
    assert!(value["findings"][0].get("suppression").is_none());
}

/// The example workflows are workflows drift-lint reads cleanly: they parse, and pin
/// nothing they should not.
#[test]
fn example_workflows_are_clean() {
    let run = drift_lint(&["examples", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", transcript(&run));
    assert_eq!(run.json()["summary"]["files"], 2, "{}", transcript(&run));
}
