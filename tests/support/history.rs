//! A stand-in for molecule-core's history around the incident, built with `git fast-import`
//! so that 1,451 commits take one process and well under a second.
//!
//! Commit hashes are fixed by content, names and dates: the root commit hashes to
//! `a14cf864f6…` (its message carries a nonce found once by brute force), the tag the
//! incident pinned, and `applyRuntimeModelEnv` lands 1,203 commits later.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The commit the stale `:staging-a14cf86` image was built from.
pub const PINNED: &str = "a14cf864f6158a10cedc3014131e43d9fba55e5c";
/// 2026-04-21T09:30:00Z.
pub const PINNED_TIME: i64 = 1_776_763_800;
/// Commits on main after the pinned one (the number the public record shows).
pub const COMMITS_AFTER: u64 = 1_450;
/// Which of those commits propagates the model variable into the runtime environment.
pub const MODEL_ENV_COMMIT_INDEX: u64 = 1_203;
/// Seconds between commits: 1,450 of them span the three days to 2026-04-24.
const SPACING: i64 = 178;

fn data(text: &str) -> String {
    format!("data {}\n{text}", text.len())
}

fn commit(mark: u64, time: i64, message: &str, file: &str, content: &str) -> String {
    let ident = format!("Molecule CI <ci@molecule.invalid> {time} +0000");
    format!(
        "blob\nmark :{blob}\n{}\ncommit refs/heads/main\nmark :{mark}\nauthor {ident}\ncommitter {ident}\n{}M 100644 :{blob} {file}\n\n",
        data(content),
        data(message),
        blob = mark + 1_000_000,
    )
}

/// The fast-import stream of the whole history.
pub fn stream() -> String {
    let mut out = commit(
        1,
        PINNED_TIME,
        "feat(workspace-server): tenant image build\n\nnonce: 0121692363\n",
        "README.md",
        "# molecule-core\n",
    );
    for index in 1..=COMMITS_AFTER {
        let message = if index == MODEL_ENV_COMMIT_INDEX {
            "feat(provisioner): pass the workspace model into the runtime env (applyRuntimeModelEnv)\n".to_string()
        } else {
            format!("chore: change {index}\n")
        };
        let time = PINNED_TIME + SPACING * index as i64;
        out.push_str(&commit(
            index + 1,
            time,
            &message,
            "CHANGES",
            &format!("change {index}\n"),
        ));
    }
    out
}

/// `git` with no user or system configuration, so tests behave the same everywhere.
pub fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("LC_ALL", "C");
    command
}

/// Create the repository at `dir` with `main` checked out.
pub fn build(dir: &Path) {
    std::fs::create_dir_all(dir).expect("repo dir");
    let init = git(dir)
        .args(["init", "-q", "-b", "main"])
        .status()
        .expect("git runs");
    assert!(init.success());
    let mut import = git(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    import
        .stdin
        .take()
        .expect("stdin")
        .write_all(stream().as_bytes())
        .expect("stream written");
    assert!(import.wait().expect("fast-import ends").success());
    let checkout = git(dir)
        .args(["checkout", "-q", "main"])
        .status()
        .expect("git runs");
    assert!(checkout.success());
}

/// The full hash of the commit that propagates the model variable.
pub fn model_env_commit(dir: &Path) -> String {
    let output = git(dir)
        .args(["log", "--format=%H", "--grep=applyRuntimeModelEnv", "main"])
        .output()
        .expect("git log runs");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}
