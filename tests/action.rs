//! The composite action (`action.yml`) run locally: each `run:` step except the install is
//! run with bash the way a runner runs `shell: bash` steps, with its `env:` filled from test
//! inputs, against the binary this build produced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use drift_lint::yaml::{self, Yaml};

/// The report format the action is tested with: its default, annotations.
const FORMAT: &str = "github";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One step of the composite action, as written.
struct Step {
    id: String,
    condition: Option<String>,
    run: Option<String>,
    env: Vec<(String, String)>,
}

struct Action {
    /// Input names and their defaults.
    inputs: BTreeMap<String, String>,
    steps: Vec<Step>,
}

fn text(node: Option<&Yaml>) -> Option<String> {
    node.and_then(Yaml::as_str).map(str::to_string)
}

fn action() -> Action {
    let source = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let documents = yaml::parse(&source).expect("action.yml parses");
    let action = &documents[0];
    let inputs = action
        .get("inputs")
        .expect("inputs")
        .entries()
        .into_iter()
        .map(|(name, input)| {
            (
                name.as_str().expect("input name").to_string(),
                text(input.get("default")).unwrap_or_default(),
            )
        })
        .collect();
    let runs = action.get("runs").expect("runs");
    assert_eq!(text(runs.get("using")).as_deref(), Some("composite"));
    let steps = runs
        .get("steps")
        .and_then(Yaml::as_sequence)
        .expect("steps")
        .iter()
        .map(|step| Step {
            id: text(step.get("id")).unwrap_or_default(),
            condition: text(step.get("if")),
            run: text(step.get("run")),
            env: step
                .get("env")
                .map(|env| {
                    env.entries()
                        .into_iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().expect("env name").to_string(),
                                v.as_str().expect("env value").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Action { inputs, steps }
}

/// `${{ inputs.NAME }}` -> `NAME`; any other expression is `None`.
fn input_reference(value: &str) -> Option<&str> {
    let inner = value.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
    inner.strip_prefix("inputs.")
}

/// What one step did.
struct StepRun {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    path_additions: String,
}

/// A runner in miniature: a home, and per-step files for outputs, summary and PATH.
struct Runner {
    temp: tempfile::TempDir,
    /// Prepended to PATH: where `drift-lint` is found.
    bin_dir: PathBuf,
    /// The job's own `env:`, which every step sees.
    job_env: Vec<(String, String)>,
}

impl Runner {
    fn new() -> Runner {
        let bin = Path::new(env!("CARGO_BIN_EXE_drift-lint"));
        Runner {
            temp: tempfile::tempdir().unwrap(),
            bin_dir: bin.parent().unwrap().to_path_buf(),
            job_env: Vec::new(),
        }
    }

    fn with_bin_dir(bin_dir: PathBuf) -> Runner {
        Runner {
            bin_dir,
            ..Runner::new()
        }
    }

    /// Run `step` as `shell: bash` does (`bash --noprofile --norc -eo pipefail FILE`), with
    /// `inputs` over the action's defaults.
    fn run(
        &self,
        step: &Step,
        defaults: &BTreeMap<String, String>,
        inputs: &[(&str, &str)],
    ) -> StepRun {
        let mut values = defaults.clone();
        for (name, value) in inputs {
            assert!(
                values.contains_key(*name),
                "action.yml has no input `{name}`"
            );
            values.insert(name.to_string(), value.to_string());
        }
        let dir = self.temp.path().join(format!("step-{}", step.id));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("script.sh");
        std::fs::write(&script, step.run.as_deref().expect("a run: step")).unwrap();
        let [output, summary, path_file] = ["output", "summary", "path"].map(|name| dir.join(name));
        for file in [&output, &summary, &path_file] {
            std::fs::write(file, "").unwrap();
        }
        let path = std::env::join_paths(std::iter::once(self.bin_dir.clone()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(root())
            .env("PATH", path)
            .env("HOME", self.temp.path())
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", root())
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", &path_file)
            .env("NO_COLOR", "1")
            .env("DRIFT_LINT_CACHE_DIR", self.temp.path().join("cache"))
            .env_remove("RAILWAY_API_TOKEN")
            .env_remove("RAILWAY_TOKEN");
        command.envs(self.job_env.iter().map(|(k, v)| (k, v)));
        for (name, value) in &step.env {
            let input = input_reference(value)
                .unwrap_or_else(|| panic!("{}: env {name} is not `${{{{ inputs.* }}}}`", step.id));
            command.env(name, &values[input]);
        }
        let result = command.output().expect("bash runs");
        let read = |file: &Path| std::fs::read_to_string(file).unwrap();
        StepRun {
            code: result.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
            outputs: read(&output)
                .lines()
                .filter_map(|line| line.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            summary: read(&summary),
            path_additions: read(&path_file),
        }
    }
}

/// Run every `run:` step but the install, in order, as the runner would after a cache hit.
fn run_action(runner: &Runner, inputs: &[(&str, &str)]) -> BTreeMap<String, StepRun> {
    let action = action();
    action
        .steps
        .iter()
        .filter(|step| step.run.is_some() && step.id != "install")
        .map(|step| (step.id.clone(), runner.run(step, &action.inputs, inputs)))
        .collect()
}

fn have_bash() -> bool {
    let found = Command::new("bash").arg("--version").output().is_ok();
    if !found {
        eprintln!("note: bash not found; the action's steps were not run");
    }
    found
}

fn transcript(run: &StepRun) -> String {
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

#[test]
fn scripts_take_inputs_only_through_env() {
    let action = action();
    let mut used = Vec::new();
    for step in &action.steps {
        if let Some(run) = &step.run {
            assert!(
                !run.contains("${{"),
                "step `{}` interpolates an expression into its script: pass it through env:",
                step.id
            );
        }
        for (name, value) in &step.env {
            let input = input_reference(value)
                .unwrap_or_else(|| panic!("{}: env {name} = {value}", step.id));
            assert!(action.inputs.contains_key(input), "unknown input {input}");
            used.push(input.to_string());
        }
    }
    for input in action.inputs.keys() {
        assert!(
            used.contains(input),
            "input `{input}` never reaches a script"
        );
    }
}

#[test]
fn install_step_builds_from_the_action_path_unless_cached() {
    let action = action();
    let install = action
        .steps
        .iter()
        .find(|step| step.id == "install")
        .expect("a step with id `install`");
    let script = install.run.as_deref().unwrap();
    assert!(script.contains("cargo install --locked"), "{script}");
    assert!(
        script.contains("--path \"$GITHUB_ACTION_PATH\""),
        "{script}"
    );
    assert_eq!(
        install.condition.as_deref(),
        Some("steps.cache.outputs.cache-hit != 'true'")
    );
    // Everything else runs unconditionally, as run_action runs it.
    for step in &action.steps {
        if step.run.is_some() && step.id != "install" {
            assert_eq!(step.condition, None, "step `{}`", step.id);
        }
    }
}

#[test]
fn cache_key_is_the_source_digest_and_stable() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let first = run_action(&runner, &[]);
    let second = run_action(&runner, &[]);
    let key = &first["key"];
    assert_eq!(key.code, 0, "{}", transcript(key));
    let digest = &key.outputs["source"];
    assert_eq!(digest.len(), 64, "{digest}");
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()), "{digest}");
    assert_eq!(digest, &second["key"].outputs["source"]);
    assert_eq!(
        key.path_additions.trim(),
        runner.temp.path().join(".cargo/bin").to_string_lossy()
    );
}

#[test]
fn findings_fail_the_step_with_exit_1() {
    if !have_bash() {
        return;
    }
    let runs = run_action(
        &Runner::new(),
        &[
            ("paths", "fixtures/incident-2026-04-24"),
            ("format", FORMAT),
            ("summary", "false"),
        ],
    );
    let check = &runs["check"];
    assert_eq!(check.code, 1, "{}", transcript(check));
    assert_eq!(check.outputs["exit-code"], "1");
    for rule in ["sha-pinned-image", "hermes-model-unset"] {
        assert!(check.stdout.contains(rule), "{}", transcript(check));
    }
    assert!(
        check
            .stdout
            .lines()
            .any(|line| line.starts_with("::error file=fixtures/incident-2026-04-24/")),
        "{}",
        transcript(check)
    );
}

#[test]
fn sarif_and_the_job_summary_are_written_beside_the_annotations() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let sarif = runner.temp.path().join("drift-lint.sarif");
    let runs = run_action(
        &runner,
        &[
            ("paths", "fixtures/incident-2026-04-24"),
            ("format", FORMAT),
            ("sarif-file", &sarif.to_string_lossy()),
        ],
    );
    let check = &runs["check"];
    assert_eq!(check.code, 1, "{}", transcript(check));
    assert!(check.stdout.starts_with("::"), "{}", transcript(check));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("SARIF written")).unwrap();
    assert_eq!(report["version"], "2.1.0");
    assert!(
        check.summary.starts_with("## drift-lint"),
        "{}",
        check.summary
    );
}

#[test]
fn a_clean_tree_passes() {
    if !have_bash() {
        return;
    }
    let runs = run_action(
        &Runner::new(),
        &[
            ("paths", "fixtures/incident-2026-04-24-fixed"),
            ("format", FORMAT),
            ("summary", "false"),
        ],
    );
    let check = &runs["check"];
    assert_eq!(check.code, 0, "{}", transcript(check));
    assert_eq!(check.outputs["exit-code"], "0");
    assert!(check.summary.is_empty());
}

#[test]
fn inputs_reach_drift_lint() {
    if !have_bash() {
        return;
    }
    // Two paths, a rule selection and a stricter threshold.
    let runs = run_action(
        &Runner::new(),
        &[
            (
                "paths",
                "fixtures/incident-2026-04-24/.env.example\n  fixtures/incident-2026-04-24-fixed",
            ),
            ("format", FORMAT),
            ("summary", "false"),
            ("args", "--select sha-pinned-image"),
            ("fail-on", "warning"),
        ],
    );
    let check = &runs["check"];
    // The template's pin is a warning: it fails the step only because fail-on is `warning`.
    assert_eq!(check.code, 1, "{}", transcript(check));
    assert!(
        check.stdout.contains(".env.example"),
        "{}",
        transcript(check)
    );
    assert!(!check.stdout.contains("hermes-"), "{}", transcript(check));
}

#[test]
fn drift_lint_trouble_fails_the_step_with_exit_2() {
    if !have_bash() {
        return;
    }
    let runs = run_action(
        &Runner::new(),
        &[
            ("paths", "fixtures/does-not-exist"),
            ("format", FORMAT),
            ("summary", "false"),
        ],
    );
    let check = &runs["check"];
    assert_eq!(check.code, 2, "{}", transcript(check));
    assert_eq!(check.outputs["exit-code"], "2");
}

/// With a stand-in `drift-lint` that prints its arguments: the exact command line, and no
/// input is ever evaluated by the shell.
#[cfg(unix)]
#[test]
fn inputs_become_arguments_never_code() {
    use std::os::unix::fs::PermissionsExt;
    if !have_bash() {
        return;
    }
    let bin = tempfile::tempdir().unwrap();
    let stub = bin.path().join("drift-lint");
    std::fs::write(&stub, "#!/bin/sh\nprintf '%s\\n' \"$@\"\nexit 3\n").unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let marker = bin.path().join("injected");
    let injection = format!("$(touch {0}) `touch {0}`;touch {0}", marker.display());
    let runner = Runner::with_bin_dir(bin.path().to_path_buf());
    let runs = run_action(
        &runner,
        &[
            ("paths", "a\n b  c"),
            ("format", "github"),
            ("fail-on", "warning"),
            ("sarif-file", "out dir/drift-lint.sarif"),
            ("summary", "true"),
            ("args", &format!("--online {injection}")),
        ],
    );
    let check = &runs["check"];
    assert_eq!(check.code, 3, "{}", transcript(check));
    assert_eq!(check.outputs["exit-code"], "3");
    assert!(!marker.exists(), "an input was run as shell code");
    let summary = runner.temp.path().join("step-check/summary");
    let mut expected: Vec<String> = [
        "check",
        "--format",
        "github",
        "--fail-on",
        "warning",
        "--format",
        "sarif",
        "--output",
        "out dir/drift-lint.sarif",
        "--format",
        "markdown",
        "--output",
        &summary.to_string_lossy(),
        "--online",
    ]
    .map(String::from)
    .to_vec();
    expected.extend(injection.split_whitespace().map(String::from));
    expected.extend(["--", "a", "b", "c"].map(String::from));
    assert_eq!(check.stdout.lines().collect::<Vec<_>>(), expected);
}

/// The defaults: github annotations, a job summary, no SARIF, drift-lint.toml's fail-on.
#[cfg(unix)]
#[test]
fn defaults_pass_format_and_summary_only() {
    use std::os::unix::fs::PermissionsExt;
    if !have_bash() {
        return;
    }
    let bin = tempfile::tempdir().unwrap();
    let stub = bin.path().join("drift-lint");
    std::fs::write(&stub, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n").unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let runner = Runner::with_bin_dir(bin.path().to_path_buf());
    let check = &run_action(&runner, &[])["check"];
    assert_eq!(check.code, 0, "{}", transcript(check));
    let summary = runner.temp.path().join("step-check/summary");
    assert_eq!(
        check.stdout.lines().collect::<Vec<_>>(),
        [
            "check",
            "--format",
            "github",
            "--format",
            "markdown",
            "--output",
            &summary.to_string_lossy(),
            "--",
            "."
        ]
    );
}

/// Railway tokens given as inputs reach only the check, as the variables drift-lint reads;
/// an empty input leaves a token the job set in its own env alone.
#[cfg(unix)]
#[test]
fn railway_tokens_reach_only_the_check() {
    use std::os::unix::fs::PermissionsExt;
    if !have_bash() {
        return;
    }
    let bin = tempfile::tempdir().unwrap();
    let stub = bin.path().join("drift-lint");
    std::fs::write(
        &stub,
        "#!/bin/sh\necho \"api=${RAILWAY_API_TOKEN-unset} project=${RAILWAY_TOKEN-unset} input=${INPUT_RAILWAY_API_TOKEN-unset}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let runner = Runner::with_bin_dir(bin.path().to_path_buf());
    let runs = run_action(
        &runner,
        &[("railway-api-token", "tok-input"), ("summary", "false")],
    );
    assert_eq!(
        runs["check"].stdout.trim(),
        "api=tok-input project=unset input=unset"
    );
    assert!(!runs["key"].stdout.contains("tok-input"));

    let mut runner = Runner::with_bin_dir(bin.path().to_path_buf());
    runner.job_env = vec![("RAILWAY_TOKEN".into(), "tok-job".into())];
    let runs = run_action(&runner, &[("summary", "false")]);
    assert_eq!(
        runs["check"].stdout.trim(),
        "api=unset project=tok-job input=unset"
    );
}
