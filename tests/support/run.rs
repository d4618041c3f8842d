//! The binary as a user runs it: arguments in, exit code and both streams out.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What one run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The crate root: fixtures are relative to it.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the binary in `dir` without colour or a terminal width; `setup` adds what a suite
/// needs (a cache directory, a clock, tokens).
pub fn drift_lint_with(dir: &Path, args: &[&str], setup: impl FnOnce(&mut Command)) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drift-lint"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
    setup(&mut command);
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Run {
    /// One text for a snapshot or a failure message: the exit code, then stdout and stderr,
    /// with this checkout's absolute path redacted.
    pub fn transcript(&self) -> String {
        let text = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        text.replace(root().to_string_lossy().as_ref(), "[ROOT]")
    }

    /// Stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}\n{}", self.transcript()))
    }

    /// `rule place` for every finding of a JSON run, sorted.
    pub fn rules_and_places(&self) -> Vec<String> {
        let mut found: Vec<String> = self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["rule"].as_str().unwrap(),
                    f["file"].as_str().unwrap()
                )
            })
            .collect();
        found.sort();
        found
    }

    /// The findings of a JSON run that `rule` produced.
    pub fn findings(&self, rule: &str) -> Vec<Value> {
        self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == rule)
            .cloned()
            .collect()
    }
}

/// The binary in `dir`, with a registry cache of its own so runs never share one with the
/// user's.
pub fn drift_lint_in(dir: &Path, args: &[&str]) -> Run {
    drift_lint_with(dir, args, |command| {
        command.env(
            "DRIFT_LINT_CACHE_DIR",
            std::env::temp_dir().join("drift-lint-tests-cache"),
        );
    })
}

/// [`Run::transcript`], for `assert!(..., "{}", transcript(&run))`.
pub fn transcript(run: &Run) -> String {
    run.transcript()
}
