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

pub mod config;
pub mod discover;
mod error;
pub mod finding;
pub mod image;
pub mod model;
pub mod redact;
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
    let findings = rules::check(&rules, &model, &config);
    Ok(Outcome {
        model,
        findings,
        config,
    })
}
