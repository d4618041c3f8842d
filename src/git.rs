//! Facts about a pinned commit from a git repository, through the `git` program.
//!
//! An image tag such as `staging-a14cf86` names a commit. Its age in days is not enough (on
//! 2026-04-24 `a14cf86` was 3 days old but 1,450 commits behind main, and lacked the commit
//! that passed the model variable on), so [`Repository::commit_facts`] answers three
//! questions from a local clone: when the commit was made, how far main has moved past it,
//! and whether it contains the commits a deploy requires.
//!
//! Every answer is either a fact git proved or an [`Unknown`] that says why not and what to
//! do: a shallow clone, a short SHA that names two commits or a commit from another
//! repository never turns into a pass. Nothing here touches the network.
//!
//! ```no_run
//! use std::path::Path;
//! use drift_lint::git::{format_date, Repository, SystemGit};
//!
//! let repo = Repository::open(&SystemGit, Path::new("."), None)?;
//! let facts = repo.commit_facts("a14cf86", &[]).map_err(|unknown| unknown.reason)?;
//! println!(
//!     "{} committed {}, {} commits behind {}",
//!     facts.sha,
//!     format_date(facts.committed),
//!     facts.behind,
//!     facts.main
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Runs git. The real one spawns `git`; tests may substitute fakes.
pub trait Git: Send + Sync {
    /// Run `git -C <repo> <args>`: `Ok(stdout)` on exit 0, otherwise the exit code and
    /// stderr (trimmed), or why git could not be started.
    fn run(&self, repo: &Path, args: &[&str]) -> Result<String, GitError>;
}

/// The `git` program on `PATH`.
///
/// Each run is isolated from the caller's situation so that answers do not depend on it:
/// no terminal prompt and no stdin (a credential helper can never hang a lint), no pager,
/// English messages (`LC_ALL=C`, which the error classification below reads), no lazy fetch
/// of missing objects in partial clones (no network), no optional locks (we only read), and
/// none of the repository-selecting variables a git hook exports (`GIT_DIR`, ...), so
/// `-C <repo>` always means that repository. The user's git configuration is still read:
/// `safe.directory` lives there, and the commands used are plumbing whose output no
/// configuration changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemGit;

impl Git for SystemGit {
    fn run(&self, repo: &Path, args: &[&str]) -> Result<String, GitError> {
        run_command(git_command(repo, args))
    }
}

/// Variables that point git at another repository, index or object store. Git hooks (a
/// pre-commit hook running drift-lint) export some of them; `git rev-parse --local-env-vars`
/// lists them.
const REPOSITORY_ENV: &[&str] = &[
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CONFIG",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_DIR",
    "GIT_GRAFT_FILE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_NAMESPACE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_OBJECT_DIRECTORY",
    "GIT_PREFIX",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
    "GIT_WORK_TREE",
];

/// The command [`SystemGit`] runs, so that tests can add their own isolation to the same one.
fn git_command(repo: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .arg("--no-pager")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env("GIT_PAGER", "cat")
        .env("PAGER", "cat")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_NO_LAZY_FETCH", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in REPOSITORY_ENV {
        command.env_remove(name);
    }
    command
}

/// Run a prepared git command and classify how it ended.
fn run_command(mut command: Command) -> Result<String, GitError> {
    let output = command.output().map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => GitError::NotInstalled,
        _ => GitError::Io(error.to_string()),
    })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(GitError::Failed {
            code: output.status.code(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// Why a git command gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    /// There is no `git` program to run.
    #[error("git is not installed")]
    NotInstalled,
    /// Git ran and exited non-zero (`code` is `None` when a signal ended it).
    #[error("git failed: {}", failure(*.code, .stderr))]
    Failed { code: Option<i32>, stderr: String },
    /// Git could not be started for another reason.
    #[error("could not run git: {0}")]
    Io(String),
}

impl GitError {
    /// Git exited with `code`: `rev-parse --verify --quiet` and `merge-base --is-ancestor`
    /// answer "no" with exit 1 and nothing on stderr.
    fn exited(&self, wanted: i32) -> bool {
        matches!(self, GitError::Failed { code: Some(code), .. } if *code == wanted)
    }

    /// Git's own words, or empty for the errors git did not write.
    fn stderr(&self) -> &str {
        match self {
            GitError::Failed { stderr, .. } => stderr,
            _ => "",
        }
    }
}

/// What went wrong in git's words, or its exit code when it said nothing.
fn failure(code: Option<i32>, stderr: &str) -> String {
    match code {
        _ if !stderr.trim().is_empty() => one_line(stderr).to_string(),
        Some(code) => format!("exit code {code}, no message"),
        None => "ended by a signal".to_string(),
    }
}

/// The line of git's stderr that says what went wrong, without its `fatal: ` prefix: git
/// adds `hint:` lines and sometimes trace output around it, and messages must stay short.
fn one_line(stderr: &str) -> &str {
    let lines = || {
        stderr
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
    };
    let line = lines()
        .find(|line| line.starts_with("fatal:") || line.starts_with("error:"))
        .or_else(|| lines().next())
        .unwrap_or("no message");
    ["fatal:", "error:"]
        .iter()
        .find_map(|prefix| line.strip_prefix(prefix))
        .unwrap_or(line)
        .trim()
}

/// Why a fact is unknown, and what the user can do about it. Never a false pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub reason: String,
    pub remedy: Option<String>,
}

impl Unknown {
    fn new(reason: impl Into<String>) -> Unknown {
        Unknown {
            reason: reason.into(),
            remedy: None,
        }
    }

    fn with_remedy(reason: impl Into<String>, remedy: impl Into<String>) -> Unknown {
        Unknown {
            reason: reason.into(),
            remedy: Some(remedy.into()),
        }
    }

    /// A git failure we have no better words for: what we were doing, and git's one line.
    fn from_git(doing: &str, error: &GitError) -> Unknown {
        match error {
            GitError::NotInstalled => not_installed(),
            _ => Unknown::new(format!("{doing}: {error}")),
        }
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)?;
        match &self.remedy {
            Some(remedy) => write!(f, "; {remedy}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Unknown {}

fn not_installed() -> Unknown {
    Unknown::with_remedy(
        "git is not installed",
        "install git: drift-lint reads commit history through the `git` program",
    )
}

/// What to do when history is missing from a shallow clone.
const UNSHALLOW: &str =
    "fetch full history: `actions/checkout` with `fetch-depth: 0`, or `git fetch --unshallow`";

/// The branch a pinned commit is compared against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainRef {
    /// As the user would write it: `origin/main`, `main`, or the configured ref.
    pub name: String,
    /// Full SHA of the branch head, read once so every answer uses the same main.
    pub head: String,
    /// Committer time of the head, unix seconds: how current the local main is.
    pub head_time: i64,
}

/// Facts about one pinned commit, relative to main.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFacts {
    /// Full SHA.
    pub sha: String,
    /// Committer time, unix seconds (`%ct`): when it landed, not when it was written.
    pub committed: i64,
    /// Name of the main ref used.
    pub main: String,
    pub main_head_time: i64,
    /// Commits on main that the pinned commit lacks (`git rev-list --count <sha>..<main>`).
    pub behind: u64,
    /// The pinned commit is an ancestor of main (or main itself).
    pub on_main: bool,
    /// Required commits, as the user gave them, that are not ancestors of the pinned commit.
    pub missing_required: Vec<String>,
}

type FactsKey = (String, Vec<String>);

/// A git repository opened for questions about commits.
pub struct Repository<'g> {
    git: &'g dyn Git,
    root: PathBuf,
    shallow: bool,
    main: Option<MainRef>,
    /// Answers already given: a rule asks about the same tag once per file that pins it.
    facts: Mutex<HashMap<FactsKey, Result<CommitFacts, Unknown>>>,
    /// The commits a shallow clone's history stops at, read when first needed.
    boundary: OnceLock<Result<HashSet<String>, Unknown>>,
}

impl fmt::Debug for Repository<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("root", &self.root)
            .field("shallow", &self.shallow)
            .field("main", &self.main)
            .finish_non_exhaustive()
    }
}

impl<'g> Repository<'g> {
    /// Open the repository containing `path` (a directory or a file in it) and find its
    /// main branch: `main_ref` when given (it must resolve), otherwise the remote's default
    /// branch, then `main`, then `master`.
    pub fn open(git: &'g dyn Git, path: &Path, main_ref: Option<&str>) -> Result<Self, Unknown> {
        let (root, shallow) = locate(git, path)?;
        let main = match main_ref {
            Some(name) => Some(configured_main(git, &root, name)?),
            None => default_main(git, &root)?,
        };
        Ok(Repository {
            git,
            root,
            shallow,
            main,
            facts: Mutex::new(HashMap::new()),
            boundary: OnceLock::new(),
        })
    }

    /// The top of the work tree (the git directory of a bare repository).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A shallow clone (the default of `actions/checkout`) holds only recent history.
    pub fn is_shallow(&self) -> bool {
        self.shallow
    }

    /// The main branch found when the repository was opened, if any.
    pub fn main(&self) -> Option<&MainRef> {
        self.main.as_ref()
    }

    /// Facts about `sha` (4 to 64 hex digits, short or full) and the `required` commits it
    /// must contain. Asking twice runs git once.
    pub fn commit_facts(&self, sha: &str, required: &[String]) -> Result<CommitFacts, Unknown> {
        let key = (sha.to_string(), required.to_vec());
        if let Some(answer) = self.lock_facts().get(&key) {
            return answer.clone();
        }
        // Not holding the lock while git runs: two threads may both ask, and both get the
        // same answer; one more git run is cheaper than serialising every question.
        let answer = self.compute_facts(sha, required);
        self.lock_facts().insert(key, answer.clone());
        answer
    }

    fn lock_facts(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<FactsKey, Result<CommitFacts, Unknown>>> {
        // A panic elsewhere cannot leave a half-written answer: entries are inserted whole.
        self.facts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn compute_facts(&self, sha: &str, required: &[String]) -> Result<CommitFacts, Unknown> {
        // Validate all user text before git sees any of it.
        let pinned = commit_id(sha)?;
        let required_ids = required
            .iter()
            .map(|text| commit_id(text).map(|id| (text, id)))
            .collect::<Result<Vec<_>, _>>()?;
        let main = self.main.as_ref().ok_or_else(|| self.no_main())?;

        let full = match self.resolve(&pinned)? {
            Some(full) => full,
            None if self.shallow => {
                return Err(Unknown::with_remedy(
                    format!("commit `{sha}` is not in this shallow clone"),
                    UNSHALLOW,
                ))
            }
            None => return Err(self.not_found(sha)),
        };
        let committed = commit_time(self.git, &self.root, &full)?;
        let (ahead, behind) = self.ahead_behind(&full, &main.head)?;
        let on_main = ahead == 0;
        let cuts = if self.shallow {
            self.check_shallow_range(sha, &full, main)?
        } else {
            Vec::new()
        };

        let mut missing_required = Vec::new();
        for (text, id) in required_ids {
            if !self.contains(sha, &full, text, &id, &cuts)? {
                missing_required.push(text.clone());
            }
        }
        Ok(CommitFacts {
            sha: full,
            committed,
            main: main.name.clone(),
            main_head_time: main.head_time,
            behind,
            on_main,
            missing_required,
        })
    }

    /// Full SHA of the commit `id` names, `None` when the repository has no such commit.
    /// Without `--quiet`, so that git says when a short SHA names several commits.
    fn resolve(&self, id: &str) -> Result<Option<String>, Unknown> {
        let peeled = format!("{id}^{{commit}}");
        match self
            .git
            .run(&self.root, &["rev-parse", "--verify", &peeled])
        {
            Ok(out) => full_sha(&out)
                .map(Some)
                .ok_or_else(|| Unknown::new(format!("git gave no SHA for `{id}`"))),
            Err(error) if error.stderr().contains("is ambiguous") => Err(Unknown::with_remedy(
                format!("short SHA `{id}` is ambiguous in `{}`", self.root.display()),
                "pin a longer SHA",
            )),
            // No such commit, or an object that is not a commit.
            Err(error) if error.stderr().contains("Needed a single revision") => Ok(None),
            Err(error) => Err(Unknown::from_git(
                &format!("could not look up `{id}`"),
                &error,
            )),
        }
    }

    /// Commits `full` has that `head` lacks, and the reverse, in one walk
    /// (`git rev-list --count --left-right <full>...<head>`). None ahead: `full` is
    /// `head` or one of its ancestors.
    fn ahead_behind(&self, full: &str, head: &str) -> Result<(u64, u64), Unknown> {
        let range = format!("{full}...{head}");
        let no_count = || Unknown::new(format!("git gave no counts for `{range}`"));
        let out = self
            .git
            .run(&self.root, &["rev-list", "--count", "--left-right", &range])
            .map_err(|error| Unknown::from_git(&format!("could not count `{range}`"), &error))?;
        let mut counts = out.split_whitespace().map(str::parse::<u64>);
        match (counts.next(), counts.next(), counts.next()) {
            (Some(Ok(ahead)), Some(Ok(behind)), None) => Ok((ahead, behind)),
            _ => Err(no_count()),
        }
    }

    /// `ancestor` is `descendant` or one of its ancestors.
    fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, Unknown> {
        match self.git.run(
            &self.root,
            &["merge-base", "--is-ancestor", ancestor, descendant],
        ) {
            Ok(_) => Ok(true),
            Err(error) if error.exited(1) && error.stderr().is_empty() => Ok(false),
            Err(error) => Err(Unknown::from_git(
                &format!("could not tell whether {ancestor} is an ancestor of {descendant}"),
                &error,
            )),
        }
    }

    /// Whether the pinned commit `full` contains the required commit `id` (given as `text`).
    /// `Ok(false)` only when that is proved: in a shallow clone a commit may be missing, or
    /// hidden below a boundary commit in `cuts`, without being absent from the real history.
    fn contains(
        &self,
        sha: &str,
        full: &str,
        text: &str,
        id: &str,
        cuts: &[String],
    ) -> Result<bool, Unknown> {
        let Some(required) = self.resolve(id)? else {
            return Err(if self.shallow {
                Unknown::with_remedy(
                    format!("required commit `{text}` is not in this shallow clone"),
                    UNSHALLOW,
                )
            } else {
                Unknown::with_remedy(
                    format!(
                        "required commit `{text}` not found in `{}`",
                        self.root.display()
                    ),
                    "check the required commit: it may be mistyped, or belong to another repository",
                )
            });
        };
        if self.is_ancestor(&required, full)? {
            return Ok(true);
        }
        // A hidden ancestor of the pinned commit is an ancestor of a boundary commit on its
        // history; one that descends from every such boundary commit is none.
        for boundary_commit in cuts {
            if !self.is_ancestor(boundary_commit, &required)? {
                return Err(Unknown::with_remedy(
                    format!(
                        "cannot tell whether `{sha}` contains required commit `{text}`: \
                         its history is cut short in this shallow clone"
                    ),
                    UNSHALLOW,
                ));
            }
        }
        Ok(false)
    }

    /// In a shallow clone, prove that `rev-list <full>..<main>` counted what the full history
    /// would count, or say it cannot be known. Returns the boundary commits the pinned
    /// commit's own history stops at (none when it is complete).
    ///
    /// Too few: the walk down from main stops at a boundary commit before it reaches the
    /// pinned commit's history, so a boundary commit is in the range; none may be.
    ///
    /// Too many: when the pinned commit's history is cut at boundary `s`, main may still
    /// reach, by another path, commits that are really ancestors of `s` and so of the
    /// pinned commit. A counted commit that descends from the pinned commit, or from every
    /// such `s`, cannot be one of them: no commit is its own ancestor.
    fn check_shallow_range(
        &self,
        sha: &str,
        full: &str,
        main: &MainRef,
    ) -> Result<Vec<String>, Unknown> {
        let boundary = self.boundary()?;
        let range = format!("{full}..{}", main.head);
        let cut = || {
            Unknown::with_remedy(
                format!(
                    "the history between `{sha}` and `{}` is cut short in this shallow clone",
                    main.name
                ),
                UNSHALLOW,
            )
        };
        let counted = self.list(&[&range])?;
        if counted.iter().any(|commit| boundary.contains(commit)) {
            return Err(cut());
        }
        let cuts: Vec<String> = self
            .list(&[full])?
            .into_iter()
            .filter(|commit| boundary.contains(commit))
            .collect();
        if cuts.is_empty() || counted.is_empty() {
            return Ok(cuts);
        }
        let descendants = self.descendants(full, &main.head)?;
        let others: Vec<&String> = counted
            .iter()
            .filter(|commit| !descendants.contains(*commit))
            .collect();
        for boundary_commit in &cuts {
            if others.is_empty() {
                break;
            }
            let below = self.descendants(boundary_commit, &main.head)?;
            if others.iter().any(|commit| !below.contains(*commit)) {
                return Err(cut());
            }
        }
        Ok(cuts)
    }

    /// Commits between `ancestor` and `head` that descend from `ancestor`.
    fn descendants(&self, ancestor: &str, head: &str) -> Result<HashSet<String>, Unknown> {
        let range = format!("{ancestor}..{head}");
        Ok(self
            .list(&["--ancestry-path", &range])?
            .into_iter()
            .collect())
    }

    /// The commits `git rev-list <args>` lists.
    fn list(&self, args: &[&str]) -> Result<Vec<String>, Unknown> {
        let mut all = vec!["rev-list"];
        all.extend_from_slice(args);
        let out = self
            .git
            .run(&self.root, &all)
            .map_err(|error| Unknown::from_git("could not list commits", &error))?;
        Ok(out.lines().map(str::to_string).collect())
    }

    /// The commits whose parents a shallow clone leaves out (`.git/shallow`), read once.
    fn boundary(&self) -> Result<&HashSet<String>, Unknown> {
        self.boundary
            .get_or_init(|| read_boundary(self.git, &self.root))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn no_main(&self) -> Unknown {
        Unknown::with_remedy(
            format!(
                "no main branch found in `{}` (looked for origin/HEAD, origin/main, main, \
                 origin/master, master)",
                self.root.display()
            ),
            "name the main branch ref explicitly, e.g. `origin/develop`",
        )
    }

    fn not_found(&self, sha: &str) -> Unknown {
        Unknown::with_remedy(
            format!("commit `{sha}` not found in `{}`", self.root.display()),
            "fetch the latest history (`git fetch`); or, if the image is built from another \
             repository, map it with `[images.\"<image>\"] repo = \"...\"` in drift-lint.toml \
             or pass `--git-repo`",
        )
    }
}

/// The top of the repository containing `path` and whether it is a shallow clone (one git
/// run), or the reason a user can act on.
fn locate(git: &dyn Git, path: &Path) -> Result<(PathBuf, bool), Unknown> {
    // `git -C` needs a directory; a file stands for the directory holding it.
    let dir = if path.is_file() {
        path.parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    } else {
        path
    };
    let shown = path.display();
    let open_failed =
        |error: &GitError| Unknown::from_git(&format!("could not open `{shown}`"), error);
    let out = match git.run(
        dir,
        &["rev-parse", "--is-shallow-repository", "--show-toplevel"],
    ) {
        Ok(out) => out,
        // A bare repository (a mirror) has history but no work tree.
        Err(error) if error.stderr().contains("must be run in a work tree") => git
            .run(
                dir,
                &["rev-parse", "--is-shallow-repository", "--absolute-git-dir"],
            )
            .map_err(|error| open_failed(&error))?,
        Err(GitError::NotInstalled) => return Err(not_installed()),
        Err(error) if error.stderr().contains("not a git repository") => {
            return Err(Unknown::with_remedy(
                format!("`{shown}` is not a git repository"),
                "run drift-lint inside a clone of the repository that builds the image, \
                 or pass `--git-repo`",
            ))
        }
        Err(error) if error.stderr().contains("dubious ownership") => {
            // git names the repository it refuses: `... in repository at '/srv/app'`.
            let top = error
                .stderr()
                .split_once("repository at '")
                .and_then(|(_, rest)| rest.split_once('\''))
                .map_or_else(|| path.display().to_string(), |(top, _)| top.to_string());
            return Err(Unknown::with_remedy(
                format!("git refuses to read `{shown}`: the repository belongs to another user"),
                format!("if you trust it: `git config --global --add safe.directory {top}`"),
            ));
        }
        Err(error) => return Err(open_failed(&error)),
    };
    let mut lines = out.lines();
    let shallow = lines.next().map(str::trim) == Some("true");
    match lines.next().map(|top| top.trim_end_matches('\r')) {
        Some(top) if !top.is_empty() => Ok((PathBuf::from(top), shallow)),
        _ => Err(Unknown::new(format!(
            "git found no repository at `{shown}`"
        ))),
    }
}

/// The main ref the user configured, which must resolve: a typo must not silently compare
/// against another branch.
fn configured_main(git: &dyn Git, root: &Path, name: &str) -> Result<MainRef, Unknown> {
    let not_found = || {
        Unknown::with_remedy(
            format!("ref `{name}` not found in `{}`", root.display()),
            "check the configured main branch; `git branch -a` lists the branches",
        )
    };
    // Never hand git an option in place of a ref.
    if name.is_empty()
        || name.starts_with('-')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(not_found());
    }
    let head = resolve_ref(git, root, name)?.ok_or_else(not_found)?;
    main_ref(git, root, name.to_string(), head)
}

/// The remote's default branch (`origin/HEAD`), then `main`, then `master`; a remote
/// branch before a local one of the same name, as the remote one is what CI builds.
fn default_main(git: &dyn Git, root: &Path) -> Result<Option<MainRef>, Unknown> {
    let mut candidates = Vec::new();
    match git.run(
        root,
        &["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
    ) {
        Ok(out) => candidates.push(out.trim().to_string()),
        // Exit 1: origin/HEAD is not a symbolic ref (no remote, or never set).
        Err(error) if error.exited(1) || error.exited(128) => {}
        Err(error) => return Err(Unknown::from_git("could not read origin/HEAD", &error)),
    }
    for name in ["main", "master"] {
        candidates.push(format!("refs/remotes/origin/{name}"));
        candidates.push(format!("refs/heads/{name}"));
    }
    for full in candidates {
        if let Some(head) = resolve_ref(git, root, &full)? {
            return main_ref(git, root, short_ref_name(&full), head).map(Some);
        }
    }
    Ok(None)
}

/// `refs/remotes/origin/main` as a user writes it: `origin/main`.
fn short_ref_name(full: &str) -> String {
    full.strip_prefix("refs/remotes/")
        .or_else(|| full.strip_prefix("refs/heads/"))
        .unwrap_or(full)
        .to_string()
}

/// The commit a ref points at, `None` when it does not exist.
fn resolve_ref(git: &dyn Git, root: &Path, name: &str) -> Result<Option<String>, Unknown> {
    let peeled = format!("{name}^{{commit}}");
    match git.run(root, &["rev-parse", "--verify", "--quiet", &peeled]) {
        Ok(out) => full_sha(&out)
            .map(Some)
            .ok_or_else(|| Unknown::new(format!("git gave no SHA for `{name}`"))),
        Err(error) if error.exited(1) => Ok(None),
        Err(error) => Err(Unknown::from_git(
            &format!("could not resolve `{name}`"),
            &error,
        )),
    }
}

fn main_ref(git: &dyn Git, root: &Path, name: String, head: String) -> Result<MainRef, Unknown> {
    let head_time = commit_time(git, root, &head)?;
    Ok(MainRef {
        name,
        head,
        head_time,
    })
}

/// Committer time of a commit, from the commit object itself: plumbing whose output no
/// configuration (`log.showSignature`, a custom date format) can change.
fn commit_time(git: &dyn Git, root: &Path, full: &str) -> Result<i64, Unknown> {
    let out = git
        .run(root, &["cat-file", "commit", full])
        .map_err(|error| Unknown::from_git(&format!("could not read commit {full}"), &error))?;
    committer_time(&out).ok_or_else(|| Unknown::new(format!("commit {full} has no committer time")))
}

/// `committer Name <mail> 1776729600 +0000` in a commit's header (which ends at the first
/// empty line) gives 1776729600. The name may hold anything, the time follows the last `>`.
fn committer_time(commit: &str) -> Option<i64> {
    let line = commit
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| line.strip_prefix("committer "))?;
    let (_, after) = line.rsplit_once('>')?;
    after.split_whitespace().next()?.parse().ok()
}

/// The SHA on the first line of git's output, if it is one.
fn full_sha(out: &str) -> Option<String> {
    let line = out.lines().next()?.trim();
    (matches!(line.len(), 40 | 64) && line.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| line.to_string())
}

/// Commit IDs the user gave, checked before git sees them: 4 (git's shortest abbreviation)
/// to 64 (SHA-256) hex digits, so nothing can be read as an option, a ref or a range.
fn commit_id(text: &str) -> Result<String, Unknown> {
    let valid = (4..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
    if valid {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(Unknown::new(format!(
            "`{}` is not a commit SHA (4 to 64 hex digits)",
            text.escape_debug()
        )))
    }
}

/// The boundary commits listed in the shallow file. Its path comes from git (`.git` may be
/// a file in a worktree or submodule).
fn read_boundary(git: &dyn Git, root: &Path) -> Result<HashSet<String>, Unknown> {
    let out = git
        .run(root, &["rev-parse", "--git-path", "shallow"])
        .map_err(|error| Unknown::from_git("could not find the shallow file", &error))?;
    let path = root.join(out.trim_end_matches(['\n', '\r']));
    let text = std::fs::read_to_string(&path).map_err(|error| {
        Unknown::with_remedy(
            format!(
                "could not read the shallow boundary `{}`: {error}",
                path.display()
            ),
            UNSHALLOW,
        )
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect())
}

/// `2026-04-21` from unix seconds (UTC). Years before 1 are written with a sign (`-0001`).
pub fn format_date(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    if year < 0 {
        format!("-{:04}-{month:02}-{day:02}", year.unsigned_abs())
    } else {
        format!("{year:04}-{month:02}-{day:02}")
    }
}

/// Proleptic Gregorian (year, month, day) of a day number counted from 1970-01-01: Howard
/// Hinnant's `civil_from_days`, which works in 400-year eras starting on March 1 so that
/// the leap day falls at the end of the year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let shifted_month = (5 * day_of_year + 2) / 153; // [0, 11], March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1; // [1, 31]
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are small by construction; the fallbacks are unreachable.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// 2026-04-21 00:00 UTC: when `a14cf86` was committed.
    const PINNED_TIME: i64 = 1_776_729_600;
    /// 2026-04-24 00:00 UTC: main's head on the day of the incident.
    const HEAD_TIME: i64 = 1_776_988_800;
    /// Commits main was ahead of the pinned one.
    const BEHIND: usize = 1_450;

    /// A temporary home for one test's repositories, whose git reads no system or user
    /// configuration and never searches above it for a repository.
    struct Sandbox {
        dir: tempfile::TempDir,
    }

    impl Sandbox {
        fn new() -> Sandbox {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("gitconfig"), "").expect("empty gitconfig");
            Sandbox { dir }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        /// `git clone --depth <depth> file://<origin> <sandbox>/clone` (`file://` makes the
        /// depth apply), returning the clone's path.
        fn shallow_clone(&self, origin: &Path, depth: u32) -> PathBuf {
            let clone = self.path("clone");
            let url = format!("file://{}", origin.display());
            let (depth, clone_arg) = (depth.to_string(), clone.display().to_string());
            let args = [
                "clone",
                "-q",
                "--template=",
                "--depth",
                &depth,
                &url,
                &clone_arg,
            ];
            self.run(self.dir.path(), &args, None);
            clone
        }

        fn git(&self) -> IsolatedGit {
            IsolatedGit {
                home: self.dir.path().to_path_buf(),
                calls: Mutex::new(Vec::new()),
            }
        }

        /// Run git for the test's own setup; a failure is a broken test.
        fn run(&self, dir: &Path, args: &[&str], input: Option<&str>) -> String {
            let mut command = isolate(git_command(dir, args), self.dir.path());
            if input.is_some() {
                command.stdin(Stdio::piped());
            }
            let mut child = command.spawn().expect("spawn git");
            if let Some(input) = input {
                use std::io::Write as _;
                let mut stdin = child.stdin.take().expect("stdin");
                stdin.write_all(input.as_bytes()).expect("write stream");
            }
            let output = child.wait_with_output().expect("wait for git");
            assert!(
                output.status.success(),
                "git {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout).into_owned()
        }

        /// A new repository holding `history`, and the full SHA of each mark (index 0 unused).
        fn import(&self, name: &str, history: &History) -> (PathBuf, Vec<String>) {
            let repo = self.path(name);
            let marks = self.path(&format!("{name}.marks"));
            self.run(
                self.dir.path(),
                &["init", "-q", "--template=", "-b", "main", name],
                None,
            );
            let export = format!("--export-marks={}", marks.display());
            self.run(
                &repo,
                &["fast-import", "--quiet", &export],
                Some(&history.stream),
            );
            let text = std::fs::read_to_string(&marks).expect("marks file");
            let mut shas = vec![String::new(); history.commits + 1];
            for line in text.lines() {
                let (mark, sha) = line.split_once(' ').expect("`:mark sha`");
                let mark: usize = mark.trim_start_matches(':').parse().expect("mark number");
                shas[mark] = sha.to_string();
            }
            (repo, shas)
        }
    }

    /// The same command as [`SystemGit`], plus the sandbox's isolation.
    fn isolate(mut command: Command, home: &Path) -> Command {
        command
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home)
            .env("GIT_CEILING_DIRECTORIES", home);
        command
    }

    /// [`SystemGit`] inside a sandbox, recording every command it runs.
    struct IsolatedGit {
        home: PathBuf,
        calls: Mutex<Vec<Vec<String>>>,
    }

    impl IsolatedGit {
        fn calls(&self) -> Vec<Vec<String>> {
            self.calls.lock().expect("calls").clone()
        }
    }

    impl Git for IsolatedGit {
        fn run(&self, repo: &Path, args: &[&str]) -> Result<String, GitError> {
            let call = args.iter().map(|arg| arg.to_string()).collect();
            self.calls.lock().expect("calls").push(call);
            run_command(isolate(git_command(repo, args), &self.home))
        }
    }

    /// A history written as one `git fast-import` stream (one process for thousands of
    /// commits), with fixed names and dates so that every SHA is the same on every run.
    #[derive(Default)]
    struct History {
        stream: String,
        commits: usize,
    }

    impl History {
        /// A commit on `branch` at `time` with `parents` (marks); returns its mark.
        fn commit(&mut self, branch: &str, time: i64, parents: &[usize]) -> usize {
            self.commits += 1;
            let mark = self.commits;
            let message = format!("commit {mark}\n");
            let _ = write!(
                self.stream,
                "commit refs/heads/{branch}\nmark :{mark}\n\
                 committer Drift Lint <drift-lint@example.com> {time} +0000\n\
                 data {}\n{message}",
                message.len()
            );
            for (i, parent) in parents.iter().enumerate() {
                let verb = if i == 0 { "from" } else { "merge" };
                let _ = writeln!(self.stream, "{verb} :{parent}");
            }
            self.stream.push('\n');
            mark
        }

        /// `count` commits on `branch` after `parent`, dated evenly up to `end`.
        fn chain(
            &mut self,
            branch: &str,
            parent: Option<usize>,
            count: usize,
            start: i64,
            end: i64,
        ) -> Vec<usize> {
            let mut marks = Vec::with_capacity(count);
            let mut previous = parent;
            for i in 0..count {
                let step = (end - start) * i as i64 / (count.max(2) as i64 - 1);
                let parents: Vec<usize> = previous.into_iter().collect();
                let mark = self.commit(branch, start + step, &parents);
                marks.push(mark);
                previous = Some(mark);
            }
            marks
        }
    }

    /// The incident: ten older commits, the pinned one on 2026-04-21, then 1,450 more on
    /// main up to 2026-04-24.
    struct Incident {
        repo: PathBuf,
        shas: Vec<String>,
        older: Vec<usize>,
        pinned: usize,
        newer: Vec<usize>,
    }

    impl Incident {
        fn build(sandbox: &Sandbox) -> Incident {
            let mut history = History::default();
            let older = history.chain(
                "main",
                None,
                10,
                PINNED_TIME - 86_400 * 10,
                PINNED_TIME - 3_600,
            );
            let pinned = history.commit("main", PINNED_TIME, &[older[9]]);
            let newer = history.chain("main", Some(pinned), BEHIND, PINNED_TIME + 60, HEAD_TIME);
            let (repo, shas) = sandbox.import("origin", &history);
            Incident {
                repo,
                shas,
                older,
                pinned,
                newer,
            }
        }

        fn sha(&self, mark: usize) -> &str {
            &self.shas[mark]
        }

        fn short(&self, mark: usize) -> String {
            self.shas[mark][..7].to_string()
        }
    }

    /// Five commits on main, for questions that need a repository but not a long history.
    fn small_repo(sandbox: &Sandbox) -> (PathBuf, Vec<String>) {
        let mut history = History::default();
        history.chain("main", None, 5, PINNED_TIME, HEAD_TIME);
        sandbox.import("repo", &history)
    }

    fn unknown(result: Result<CommitFacts, Unknown>) -> Unknown {
        match result {
            Ok(facts) => panic!("expected Unknown, got {facts:?}"),
            Err(unknown) => unknown,
        }
    }

    #[test]
    fn pinned_commit_far_behind_main() {
        let sandbox = Sandbox::new();
        let incident = Incident::build(&sandbox);
        let git = sandbox.git();
        let repo = Repository::open(&git, &incident.repo, None).expect("open");
        assert!(!repo.is_shallow());

        let facts = repo
            .commit_facts(&incident.short(incident.pinned), &[])
            .expect("facts");
        assert_eq!(facts.sha, incident.sha(incident.pinned));
        assert_eq!(facts.behind, BEHIND as u64);
        assert!(facts.on_main);
        assert_eq!(facts.main, "main");
        assert_eq!(facts.committed, PINNED_TIME);
        assert_eq!(facts.main_head_time, HEAD_TIME);
        assert_eq!(format_date(facts.committed), "2026-04-21");
        assert_eq!(format_date(facts.main_head_time), "2026-04-24");
        assert!(facts.missing_required.is_empty());

        // Uppercase and full SHAs name the same commit; main's head is 0 behind.
        let upper = incident.short(incident.pinned).to_uppercase();
        assert_eq!(
            repo.commit_facts(&upper, &[]).expect("upper").sha,
            facts.sha
        );
        let head = repo
            .commit_facts(incident.sha(incident.newer[BEHIND - 1]), &[])
            .expect("head");
        assert_eq!((head.behind, head.on_main), (0, true));
    }

    #[test]
    fn required_commits_must_be_ancestors() {
        let sandbox = Sandbox::new();
        let incident = Incident::build(&sandbox);
        let git = sandbox.git();
        let repo = Repository::open(&git, &incident.repo, None).expect("open");
        let later = incident.short(incident.newer[100]);
        let earlier = incident.sha(incident.older[3])[..8].to_string();
        let itself = incident.short(incident.pinned);
        let required = vec![later.clone(), earlier, itself];

        let facts = repo
            .commit_facts(&incident.short(incident.pinned), &required)
            .expect("facts");
        assert_eq!(facts.missing_required, vec![later]);

        let head = repo
            .commit_facts(&incident.short(incident.newer[BEHIND - 1]), &required)
            .expect("head");
        assert!(head.missing_required.is_empty());
    }

    #[test]
    fn a_commit_on_a_branch_is_not_on_main() {
        let sandbox = Sandbox::new();
        let mut history = History::default();
        let base = history.chain("main", None, 3, PINNED_TIME, PINNED_TIME + 100);
        let branch = history.chain(
            "feature",
            Some(base[2]),
            2,
            PINNED_TIME + 200,
            PINNED_TIME + 300,
        );
        let main = history.chain(
            "main",
            Some(base[2]),
            4,
            PINNED_TIME + 400,
            PINNED_TIME + 500,
        );
        let (repo_path, shas) = sandbox.import("repo", &history);
        let git = sandbox.git();
        let repo = Repository::open(&git, &repo_path, None).expect("open");

        let facts = repo.commit_facts(&shas[branch[1]], &[]).expect("facts");
        assert!(!facts.on_main);
        assert_eq!(facts.behind, main.len() as u64);
    }

    #[test]
    fn shallow_clone_without_the_commit_is_unknown() {
        let sandbox = Sandbox::new();
        let incident = Incident::build(&sandbox);
        let clone = sandbox.shallow_clone(&incident.repo, 1);
        let git = sandbox.git();
        let repo = Repository::open(&git, &clone, None).expect("open");
        assert!(repo.is_shallow());
        assert_eq!(
            repo.main().map(|main| main.name.as_str()),
            Some("origin/main")
        );

        let pinned = incident.short(incident.pinned);
        let outside = unknown(repo.commit_facts(&pinned, &[]));
        assert_eq!(
            outside.reason,
            format!("commit `{pinned}` is not in this shallow clone")
        );
        assert!(outside
            .remedy
            .as_deref()
            .is_some_and(|r| r.contains("fetch-depth: 0")));

        // The head itself is provably 0 behind, but whether it holds an older commit is not
        // known: that commit is not in the clone.
        let head = incident.short(incident.newer[BEHIND - 1]);
        let facts = repo.commit_facts(&head, &[]).expect("head facts");
        assert_eq!((facts.behind, facts.on_main), (0, true));
        let required = unknown(repo.commit_facts(&head, std::slice::from_ref(&pinned)));
        assert!(
            required.reason.contains("not in this shallow clone"),
            "{required:?}"
        );
        assert!(required
            .remedy
            .as_deref()
            .is_some_and(|r| r.contains("--unshallow")));
    }

    #[test]
    fn shallow_clone_answers_what_it_can_prove() {
        let sandbox = Sandbox::new();
        let incident = Incident::build(&sandbox);
        let clone = sandbox.shallow_clone(&incident.repo, 10);
        let git = sandbox.git();
        let repo = Repository::open(&git, &clone, None).expect("open");
        let at = |back: usize| incident.short(incident.newer[BEHIND - 1 - back]);

        let facts = repo
            .commit_facts(&at(3), &[at(1), at(5)])
            .expect("range inside the clone");
        assert_eq!(facts.behind, 3);
        assert!(facts.on_main);
        // `at(1)` descends from the pinned commit, so it is missing whatever lies below the
        // boundary; `at(5)` is a visible ancestor.
        assert_eq!(facts.missing_required, vec![at(1)]);

        // Below the boundary: not in the clone.
        let deep = unknown(repo.commit_facts(&at(3), &[at(20)]));
        assert!(
            deep.reason.contains("not in this shallow clone"),
            "{deep:?}"
        );
    }

    /// Clone `origin` with `--depth` and ask the clone about each of `marks` with each set of
    /// required commits: every answer must be the full history's answer. Returns the
    /// shallow repository's answers, to check which were unknown.
    fn shallow_agrees_with_full(
        sandbox: &Sandbox,
        history: &History,
        depth: u32,
        marks: &[usize],
        required: &[Vec<usize>],
    ) -> (Vec<Result<CommitFacts, Unknown>>, Vec<String>) {
        let (origin, shas) = sandbox.import("origin", history);
        let clone = sandbox.shallow_clone(&origin, depth);
        let git = sandbox.git();
        let full = Repository::open(&git, &origin, None).expect("open origin");
        let shallow = Repository::open(&git, &clone, None).expect("open clone");
        assert!(shallow.is_shallow());

        let fields = |f: &CommitFacts| {
            let missing = f.missing_required.clone();
            (f.sha.clone(), f.committed, f.behind, f.on_main, missing)
        };
        let mut answers = Vec::new();
        for &mark in marks {
            for set in required {
                let set: Vec<String> = set.iter().map(|&m| shas[m].clone()).collect();
                let answer = shallow.commit_facts(&shas[mark], &set);
                if let Ok(facts) = &answer {
                    let truth = full.commit_facts(&shas[mark], &set).expect("full facts");
                    assert_eq!(fields(facts), fields(&truth), "commit {mark}, {set:?}");
                }
                answers.push(answer);
            }
        }
        (answers, shas)
    }

    #[test]
    fn shallow_clone_of_merges_answers_only_what_is_proved() {
        // main: 60 commits, a 4-commit branch forked at its 50th and merged, then 3 more.
        // A depth-20 clone holds the branch and the last ~20 commits of main.
        let sandbox = Sandbox::new();
        let mut history = History::default();
        let main = history.chain("main", None, 60, PINNED_TIME, PINNED_TIME + 6_000);
        let branch = history.chain(
            "feature",
            Some(main[49]),
            4,
            HEAD_TIME - 900,
            HEAD_TIME - 800,
        );
        let merge = history.commit("main", HEAD_TIME - 700, &[main[59], branch[3]]);
        let after = history.chain("main", Some(merge), 3, HEAD_TIME - 600, HEAD_TIME);
        let marks = [
            main[30], main[45], main[55], branch[0], branch[3], merge, after[1],
        ];
        let required = [vec![main[50], branch[1]]];
        let (answers, _) = shallow_agrees_with_full(&sandbox, &history, 20, &marks, &required);
        let answered = answers.iter().filter(|answer| answer.is_ok()).count();
        // Below the boundary (main[30]) is not in the clone; all others are answered.
        assert_eq!(answered, answers.len() - 1, "{answers:#?}");
    }

    #[test]
    fn shallow_clone_never_miscounts_across_a_cut_merge() {
        // main: 10 commits, then a merge of a 100-commit branch forked at main's first
        // commit. A depth-50 clone cuts the branch but keeps all of main's side, so from
        // main git reaches old commits that are, unseen, ancestors of the branch's commits.
        let sandbox = Sandbox::new();
        let mut history = History::default();
        let main = history.chain("main", None, 10, PINNED_TIME, PINNED_TIME + 1_000);
        let start = PINNED_TIME + 2_000;
        let branch = history.chain("feature", Some(main[0]), 100, start, start + 1_000);
        let merge = history.commit("main", PINNED_TIME + 4_000, &[main[9], branch[99]]);
        let marks = [main[5], branch[70], branch[99], merge];
        let (answers, shas) = shallow_agrees_with_full(&sandbox, &history, 50, &marks, &[vec![]]);

        // main[5] lacks branch commits below the boundary. From branch[70] and branch[99]
        // git in the clone would count main's root, which is really their ancestor.
        for answer in &answers[..3] {
            let reason = &answer.as_ref().expect_err("unknown").reason;
            assert!(
                reason.contains("cut short in this shallow clone"),
                "{reason}"
            );
        }
        assert_eq!(answers[3].as_ref().map(|f| f.behind), Ok(0));
        let range = format!("{}..HEAD", shas[branch[70]]);
        let naive = sandbox.run(
            &sandbox.path("clone"),
            &["rev-list", "--count", &range],
            None,
        );
        let truth = sandbox.run(
            &sandbox.path("origin"),
            &["rev-list", "--count", &range.replace("HEAD", "main")],
            None,
        );
        assert_eq!((naive.trim(), truth.trim()), ("40", "39"));
    }

    #[test]
    fn unknown_commit_is_not_found_with_a_remedy() {
        let sandbox = Sandbox::new();
        let (repo_path, shas) = small_repo(&sandbox);
        let git = sandbox.git();
        let repo = Repository::open(&git, &repo_path, None).expect("open");

        let missing = unknown(repo.commit_facts("deadbeef", &[]));
        assert!(
            missing
                .reason
                .starts_with("commit `deadbeef` not found in `"),
            "{missing:?}"
        );
        let remedy = missing.remedy.expect("remedy");
        assert!(remedy.contains("--git-repo") && remedy.contains("drift-lint.toml"));

        let pinned = shas[2][..7].to_string();
        let required = unknown(repo.commit_facts(&pinned, &["d4d115f3".to_string()]));
        assert!(
            required
                .reason
                .starts_with("required commit `d4d115f3` not found in `"),
            "{required:?}"
        );
    }

    #[test]
    fn user_text_that_is_not_a_sha_never_reaches_git() {
        let sandbox = Sandbox::new();
        let (repo_path, shas) = small_repo(&sandbox);
        let git = sandbox.git();
        let repo = Repository::open(&git, &repo_path, None).expect("open");
        let before = git.calls().len();
        let pinned = shas[2][..7].to_string();
        let bad = [
            "--upload-pack=x",
            "-h",
            "abc",
            "",
            "a14cf86..main",
            "HEAD",
            "a14cf86^{tree}",
            "g14cf86",
            " a14cf86",
        ];
        for text in bad {
            let reason = unknown(repo.commit_facts(text, &[])).reason;
            assert!(reason.contains("is not a commit SHA"), "{text:?}: {reason}");
            let reason = unknown(repo.commit_facts(&pinned, &[text.to_string()])).reason;
            assert!(reason.contains("is not a commit SHA"), "{text:?}: {reason}");
        }
        let long = "a".repeat(65);
        assert!(repo.commit_facts(&long, &[]).is_err());
        assert_eq!(git.calls().len(), before, "{:?}", &git.calls()[before..]);
    }

    #[test]
    fn ambiguous_short_sha_is_unknown() {
        let sandbox = Sandbox::new();
        let incident = Incident::build(&sandbox);
        let mut seen = HashSet::new();
        let prefix = incident.shas[1..]
            .iter()
            .map(|sha| &sha[..4])
            .find(|prefix| !seen.insert(*prefix))
            .expect("1,461 commits share some 4-digit prefix")
            .to_string();
        let git = sandbox.git();
        let repo = Repository::open(&git, &incident.repo, None).expect("open");

        let ambiguous = unknown(repo.commit_facts(&prefix, &[]));
        assert_eq!(
            ambiguous.reason,
            format!(
                "short SHA `{prefix}` is ambiguous in `{}`",
                repo.root().display()
            )
        );
        assert_eq!(ambiguous.remedy.as_deref(), Some("pin a longer SHA"));
        let pinned = incident.short(incident.pinned);
        let required = unknown(repo.commit_facts(&pinned, &[prefix]));
        assert!(required.reason.contains("is ambiguous"), "{required:?}");
    }

    #[test]
    fn main_ref_resolution() {
        let sandbox = Sandbox::new();
        let mut history = History::default();
        let trunk = history.chain("trunk", None, 5, PINNED_TIME, PINNED_TIME + 500);
        let main = history.chain("main", Some(trunk[1]), 2, PINNED_TIME + 600, HEAD_TIME);
        history.chain(
            "master",
            Some(trunk[0]),
            1,
            PINNED_TIME + 700,
            PINNED_TIME + 700,
        );
        let (origin, shas) = sandbox.import("origin", &history);
        sandbox.run(&origin, &["symbolic-ref", "HEAD", "refs/heads/trunk"], None);
        let clone = sandbox.path("clone");
        let origin_arg = origin.display().to_string();
        let clone_arg = clone.display().to_string();
        sandbox.run(
            sandbox.dir.path(),
            &["clone", "-q", "--template=", &origin_arg, &clone_arg],
            None,
        );
        sandbox.run(&clone, &["branch", "-q", "main", "origin/main"], None);
        let git = sandbox.git();

        // The remote's default branch beats a local `main`.
        let repo = Repository::open(&git, &clone, None).expect("open clone");
        let found = repo.main().expect("main ref");
        assert_eq!(found.name, "origin/trunk");
        assert_eq!(found.head, shas[trunk[4]]);
        assert_eq!(found.head_time, PINNED_TIME + 500);

        // A configured ref wins.
        let repo = Repository::open(&git, &clone, Some("main")).expect("configured");
        let configured = repo.main().expect("main ref");
        assert_eq!(
            (configured.name.as_str(), configured.head.as_str()),
            ("main", shas[main[1]].as_str())
        );
        let facts = repo.commit_facts(&shas[trunk[1]], &[]).expect("facts");
        assert_eq!((facts.main.as_str(), facts.behind), ("main", 2));

        // A configured ref that does not resolve is an error, never another branch.
        for bad in ["nope", "--all", ""] {
            let error = Repository::open(&git, &clone, Some(bad)).expect_err("bad ref");
            assert!(
                error.reason.starts_with(&format!("ref `{bad}` not found")),
                "{error:?}"
            );
        }

        // Without a remote: `main` before `master`.
        let repo = Repository::open(&git, &origin, None).expect("open origin");
        assert_eq!(repo.main().map(|m| m.name.as_str()), Some("main"));
        sandbox.run(&origin, &["branch", "-q", "-D", "main"], None);
        let repo = Repository::open(&git, &origin, None).expect("open origin");
        assert_eq!(repo.main().map(|m| m.name.as_str()), Some("master"));

        // No main branch at all: opening works, facts say what to configure.
        sandbox.run(&origin, &["branch", "-q", "-D", "master"], None);
        let repo = Repository::open(&git, &origin, None).expect("open origin");
        assert!(repo.main().is_none());
        let none = unknown(repo.commit_facts(&shas[trunk[0]], &[]));
        assert!(none.reason.starts_with("no main branch found"), "{none:?}");
    }

    #[test]
    fn open_finds_the_top_or_says_why_not() {
        let sandbox = Sandbox::new();
        let (repo_path, shas) = small_repo(&sandbox);
        let sub = repo_path.join("deploy");
        std::fs::create_dir(&sub).expect("subdir");
        let file = sub.join("drift-lint.toml");
        std::fs::write(&file, "").expect("file");
        let git = sandbox.git();
        let top = sandbox.run(&repo_path, &["rev-parse", "--show-toplevel"], None);
        for path in [&sub, &file] {
            let repo = Repository::open(&git, path, None).expect("open");
            assert_eq!(repo.root(), Path::new(top.trim()));
        }

        // A bare mirror has no work tree; its git directory stands in for the top.
        let bare = sandbox.path("mirror.git");
        let (from, to) = (repo_path.display().to_string(), bare.display().to_string());
        sandbox.run(
            sandbox.dir.path(),
            &["clone", "-q", "--bare", "--template=", &from, &to],
            None,
        );
        let repo = Repository::open(&git, &bare, None).expect("open bare");
        assert_eq!(repo.root().file_name(), bare.file_name());
        let facts = repo
            .commit_facts(&shas[1], &[])
            .expect("facts in a bare repo");
        assert_eq!((facts.main.as_str(), facts.behind), ("main", 4));

        let outside = sandbox.path("plain");
        std::fs::create_dir(&outside).expect("plain dir");
        let error = Repository::open(&git, &outside, None).expect_err("not a repo");
        assert_eq!(
            error.reason,
            format!("`{}` is not a git repository", outside.display())
        );
        assert!(error.remedy.is_some_and(|r| r.contains("--git-repo")));
    }

    #[test]
    fn a_repository_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Repository<'static>>();
        shared::<SystemGit>();
    }

    #[test]
    fn a_second_question_runs_no_git() {
        let sandbox = Sandbox::new();
        let (repo_path, shas) = small_repo(&sandbox);
        let git = sandbox.git();
        let repo = Repository::open(&git, &repo_path, None).expect("open");
        let pinned = shas[2][..7].to_string();
        let required = vec![shas[4][..7].to_string()];
        let first = repo.commit_facts(&pinned, &required);
        let calls = git.calls().len();
        assert_eq!(repo.commit_facts(&pinned, &required), first);
        let missing = repo.commit_facts("deadbeef", &[]);
        let calls_after_missing = git.calls().len();
        assert_eq!(repo.commit_facts("deadbeef", &[]), missing);
        assert_eq!(git.calls().len(), calls_after_missing);
        assert!(calls_after_missing > calls);
    }

    /// A git that answers from a script: the first entry whose words begin the command.
    struct FakeGit(Vec<(&'static str, Result<String, GitError>)>);

    impl Git for FakeGit {
        fn run(&self, _repo: &Path, args: &[&str]) -> Result<String, GitError> {
            let command = args.join(" ");
            match self.0.iter().find(|(start, _)| command.starts_with(start)) {
                Some((_, answer)) => answer.clone(),
                None => Err(failed(128, &format!("fatal: unexpected `git {command}`"))),
            }
        }
    }

    fn failed(code: i32, stderr: &str) -> GitError {
        GitError::Failed {
            code: Some(code),
            stderr: stderr.to_string(),
        }
    }

    #[test]
    fn without_git_the_reason_is_clear() {
        let git = FakeGit(vec![("", Err(GitError::NotInstalled))]);
        let error = Repository::open(&git, Path::new("."), None).expect_err("no git");
        assert_eq!(error.reason, "git is not installed");
        assert!(error.remedy.is_some_and(|r| r.contains("install git")));

        // The real spawn error maps the same way.
        let missing = run_command(Command::new("/nonexistent/drift-lint-test/git"));
        assert_eq!(missing, Err(GitError::NotInstalled));
    }

    #[test]
    fn git_failures_are_one_short_line() {
        let stderr =
            "hint: x\nfatal: not a git repository (or any of the parent directories): .git";
        let git = FakeGit(vec![("", Err(failed(128, stderr)))]);
        let error = Repository::open(&git, Path::new("somewhere"), None).expect_err("no repo");
        assert_eq!(error.reason, "`somewhere` is not a git repository");

        let other = failed(
            128,
            "warning: x\nerror: object file is empty\nfatal: bad\nhint: y",
        );
        assert_eq!(other.to_string(), "git failed: object file is empty");
        let git = FakeGit(vec![("", Err(other))]);
        let error = Repository::open(&git, Path::new("x"), None).expect_err("fails");
        assert_eq!(
            error.reason,
            "could not open `x`: git failed: object file is empty"
        );
        assert_eq!(
            failed(1, "").to_string(),
            "git failed: exit code 1, no message"
        );
        assert_eq!(one_line("  just this  \n"), "just this");

        let dubious = "fatal: detected dubious ownership in repository at '/srv/app'\n\
                       To add an exception for this directory, call:";
        let git = FakeGit(vec![("", Err(failed(128, dubious)))]);
        let error =
            Repository::open(&git, Path::new("/srv/app/deploy"), None).expect_err("dubious");
        assert_eq!(
            error.remedy.as_deref(),
            Some("if you trust it: `git config --global --add safe.directory /srv/app`")
        );
    }

    #[test]
    fn output_git_never_gives_is_unknown_not_a_pass() {
        let sha = "a".repeat(40);
        let script = |rev_list: &'static str| {
            FakeGit(vec![
                (
                    "rev-parse --is-shallow-repository",
                    Ok("false\n/repo\n".to_string()),
                ),
                ("symbolic-ref", Err(failed(1, ""))),
                ("rev-parse --verify", Ok(format!("{sha}\n"))),
                (
                    "cat-file",
                    Ok("tree t\ncommitter A <a@x> 1776729600 +0000\n\nm\n".to_string()),
                ),
                ("rev-list", Ok(rev_list.to_string())),
                ("merge-base", Err(failed(128, "fatal: bad object"))),
            ])
        };
        let git = script("twelve\n");
        let repo = Repository::open(&git, Path::new("/repo"), None).expect("open");
        assert_eq!(repo.main().map(|m| m.name.as_str()), Some("origin/main"));
        let reason = unknown(repo.commit_facts("aaaaaaa", &[])).reason;
        assert!(reason.starts_with("git gave no counts"), "{reason}");

        let git = script("0\t3\n");
        let repo = Repository::open(&git, Path::new("/repo"), None).expect("open");
        assert_eq!(repo.commit_facts("aaaaaaa", &[]).map(|f| f.behind), Ok(3));
        let reason = unknown(repo.commit_facts("aaaaaaa", &["bbbbbbb".to_string()])).reason;
        assert!(reason.ends_with("git failed: bad object"), "{reason}");

        let git = FakeGit(vec![("", Ok("not what git says\n".to_string()))]);
        let reason = Repository::open(&git, Path::new("/repo"), None)
            .expect_err("open")
            .reason;
        assert_eq!(reason, "git found no repository at `/repo`");
    }

    #[test]
    fn committer_time_reads_the_header_only() {
        let commit = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
                      author A <a@x> 1 +0000\n\
                      committer Odd > Name <c@x> 1776729600 -0700\n\
                      gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\
                      \n\
                      committer Fake <f@x> 5 +0000\n";
        assert_eq!(committer_time(commit), Some(1_776_729_600));
        assert_eq!(
            committer_time("tree x\n\ncommitter F <f@x> 5 +0000\n"),
            None
        );
        assert_eq!(committer_time("committer F <f@x> soon +0000\n"), None);
    }

    #[test]
    fn format_date_table() {
        let table = [
            (0, "1970-01-01"),
            (86_399, "1970-01-01"),
            (-1, "1969-12-31"),
            (-86_400, "1969-12-31"),
            (-86_401, "1969-12-30"),
            (951_782_400, "2000-02-29"),
            (951_868_800, "2000-03-01"),
            (PINNED_TIME, "2026-04-21"),
            (HEAD_TIME + 86_399, "2026-04-24"),
            (4_107_542_400, "2100-03-01"),
            (-62_135_596_800, "0001-01-01"),
            (-62_135_596_801, "0000-12-31"),
            (-62_167_219_201, "-0001-12-31"),
        ];
        for (unix, date) in table {
            assert_eq!(format_date(unix), date, "{unix}");
        }
        // The extremes do not overflow.
        assert!(!format_date(i64::MAX).is_empty());
        assert!(format_date(i64::MIN).starts_with('-'));
    }

    fn is_leap(year: i64) -> bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    fn month_length(year: i64, month: u32) -> u32 {
        match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// Day number of a proleptic Gregorian date, counted from 1970-01-01, by adding up year
    /// and month lengths: an independent check of `civil_from_days`, not its inverse formula.
    fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
        let year_days = |y: i64| if is_leap(y) { 366 } else { 365 };
        let years: i64 = if year >= 1970 {
            (1970..year).map(year_days).sum()
        } else {
            -(year..1970).map(year_days).sum::<i64>()
        };
        let months: i64 = (1..month).map(|m| i64::from(month_length(year, m))).sum();
        years + months + i64::from(day) - 1
    }

    #[test]
    fn civil_from_days_counts_every_day() {
        // Walk 1.6 million consecutive days (about 4,400 years, crossing 0000-03-01, 1970
        // and 2100) with a plain calendar counter.
        let (mut year, mut month, mut day) = (-2_400_i64, 1_u32, 1_u32);
        let first = days_from_civil(year, month, day);
        for days in first..first + 1_600_000 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            day += 1;
            if day > month_length(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2026, 4, 21),
            (1600, 3, 1),
            (-4, 2, 29),
        ] {
            assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
        }
        assert_eq!(days_from_civil(2026, 4, 21) * 86_400, PINNED_TIME);
    }
}
