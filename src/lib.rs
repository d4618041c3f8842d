//! drift-lint: a config drift linter for deploy config.
//!
//! It reads Railway exports and config, GitHub Actions workflows and dotenv files into one
//! model with exact byte spans, runs data-defined rules over it, and renders findings.
//! The pipeline is `discover -> load -> check -> report`:
//!
//! ```no_run
//! use drift_lint::{run, Options};
//!
//! let outcome = run(&Options { paths: vec![".".into()], ..Options::default() })?;
//! for finding in &outcome.findings {
//!     println!("{}: {}", finding.rule, finding.message);
//! }
//! # Ok::<(), drift_lint::Error>(())
//! ```

use std::path::PathBuf;

pub mod age;
pub mod config;
pub mod discover;
mod error;
pub mod finding;
pub mod git;
pub mod image;
pub mod model;
pub mod railway_api;
pub mod redact;
pub mod registry;
pub mod report;
pub mod rules;
pub mod source;
pub mod yaml;

pub use config::Config;
pub use error::Error;
pub use finding::{Finding, Severity};
pub use model::Model;
pub use rules::RuleSet;

/// What one run reads and which rules it runs.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// An explicit configuration file; otherwise `drift-lint.toml` is searched for.
    pub config: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Environment for inputs whose name does not say.
    pub environment: Option<String>,
    /// Ask registries for image ages.
    pub online: bool,
    /// Make no network request at all, whatever the configuration says.
    pub offline: bool,
    /// The git repository for images not mapped in drift-lint.toml.
    pub git_repo: Option<PathBuf>,
    /// "Now" in unix seconds, for reproducible registry ages (default: the clock, or
    /// `DRIFT_LINT_NOW`).
    pub now: Option<i64>,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub model: Model,
    pub findings: Vec<Finding>,
    pub config: Config,
}

/// Load the configuration and rules, read every input once, run every rule.
pub fn run(options: &Options) -> Result<Outcome, Error> {
    run_with_progress(options, &age::Quiet)
}

/// [`run`], reporting slow lookups to `progress`.
pub fn run_with_progress(
    options: &Options,
    progress: &dyn age::Progress,
) -> Result<Outcome, Error> {
    let paths = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let config = match &options.config {
        Some(path) => Config::load(path)?,
        None => Config::discover(&paths[0])?,
    };
    let mut rules = RuleSet::load(&config)?;
    if let Some(id) = config
        .file
        .severity
        .keys()
        .find(|id| rules.get(id).is_none())
    {
        let path = config.path.clone().unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        return Err(Error::Config {
            line: config::line_of_field(&text, id),
            path,
            message: format!("unknown rule `{id}` in [severity]; `drift-lint rules` lists them"),
        });
    }
    let select = if options.select.is_empty() {
        config.file.select.clone()
    } else {
        options.select.clone()
    };
    let ignore: Vec<String> = config
        .file
        .ignore
        .iter()
        .chain(&options.ignore)
        .cloned()
        .collect();
    rules.select(&select, &ignore)?;
    let model = discover::load(&discover::Inputs {
        paths: &paths,
        config: &config,
        environment: options.environment.as_deref(),
    });
    let scan_root = if paths[0].is_file() {
        paths[0].parent().map(PathBuf::from).unwrap_or_default()
    } else {
        paths[0].clone()
    };
    let age_options = age::AgeOptions {
        online: options.online,
        offline: options.offline,
        git_repo: options.git_repo.clone(),
        scan_root: if scan_root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            scan_root
        },
        now: options.now.unwrap_or_else(now),
    };
    let wanted = rules::staleness_wanted(&rules, &model, &config);
    let ages = age::gather(&wanted, &config, &age_options, &git::SystemGit, progress);
    let findings = rules::check(&rules, &model, &config, &ages);
    Ok(Outcome {
        model,
        findings,
        config,
    })
}

/// Unix seconds now, or `DRIFT_LINT_NOW` when set (reproducible runs and tests).
fn now() -> i64 {
    std::env::var("DRIFT_LINT_NOW")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}
