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
pub mod baseline;
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
    /// Also read a live Railway project (`--railway`, `drift-lint railway`).
    pub railway: Option<RailwayOptions>,
}

/// What to read from the live Railway API. Empty fields fall back to `[railway]` in
/// drift-lint.toml, then to `RAILWAY_PROJECT_ID`, `RAILWAY_ENVIRONMENT_ID` and
/// `RAILWAY_SERVICE_ID`.
#[derive(Debug, Default, Clone)]
pub struct RailwayOptions {
    pub project: Option<String>,
    pub environments: Vec<String>,
    pub services: Vec<String>,
    /// GraphQL endpoint (`--railway-endpoint`); else `[railway] endpoint`, else
    /// `RAILWAY_GRAPHQL_ENDPOINT`, else Railway's own.
    pub endpoint: Option<String>,
    /// Check the files under `paths` too; `drift-lint railway` reads only the live project.
    pub files: bool,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub model: Model,
    pub findings: Vec<Finding>,
    /// Findings silenced by an inline suppression or a `[[ignore]]` entry, for
    /// `--show-suppressed` and the summary count.
    pub suppressed: Vec<Finding>,
    /// Live reads that failed while the others went on: the run did not see everything.
    pub live_failures: Vec<String>,
    pub config: Config,
    /// The rules that ran, for renderers that describe them (SARIF).
    pub rules: RuleSet,
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
    if options.railway.is_some() && options.offline {
        return Err(Error::Usage(
            "--offline cannot read the live Railway project: drop --offline, or check files only without --railway".into(),
        ));
    }
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
    check_rule_ids(&config, &rules)?;
    let select = if options.select.is_empty() {
        config.file.select.clone()
    } else {
        options.select.clone()
    };
    let ignore: Vec<String> = config
        .file
        .ignored_rules()
        .chain(&options.ignore)
        .cloned()
        .collect();
    rules.select(&select, &ignore)?;
    let files = options.railway.as_ref().is_none_or(|live| live.files);
    let mut model = if files {
        discover::load(&discover::Inputs {
            paths: &paths,
            config: &config,
            environment: options.environment.as_deref(),
        })
    } else {
        Model::default()
    };
    if let (Some(path), true) = (
        &config.path,
        config.file.ignored_findings().next().is_some(),
    ) {
        // Unused `[[ignore]]` tables are findings like unused comments: they need a place.
        model.config_file = Some(model.add_file(model::SourceFile {
            path: PathBuf::from(error::shown(path)),
            text: config.text.clone(),
            kind: model::SourceKind::DriftLintConfig,
            live: None,
        }));
    }
    model.read.files = files;
    let mut live_failures = Vec::new();
    if let Some(live) = &options.railway {
        let fetched = read_railway(live, &config, progress)?;
        source::railway_live::load(&mut model, &fetched.project);
        live_failures = fetched.failures.iter().map(ToString::to_string).collect();
        model.read.railway = Some(live_failures.is_empty());
    }
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
    let applied = rules::check(&rules, &model, &config, &ages);
    Ok(Outcome {
        model,
        findings: applied.findings,
        suppressed: applied.suppressed,
        live_failures,
        config,
        rules,
    })
}

/// Rule ids in `[severity]` and `[[ignore]]` must name rules: a typo would silently do
/// nothing, so it is an error at its line.
fn check_rule_ids(config: &Config, rules: &RuleSet) -> Result<(), Error> {
    let unknown_rule = |line: usize, id: &str, section: &str| Error::Config {
        path: config.path.clone().unwrap_or_default(),
        line,
        message: format!("unknown rule `{id}` in {section}; `drift-lint rules` lists them"),
    };
    if let Some(id) = config
        .file
        .severity
        .keys()
        .find(|id| rules.get(id).is_none())
    {
        return Err(unknown_rule(
            config::line_of_field(&config.text, id),
            id,
            "[severity]",
        ));
    }
    if let Some((index, entry)) = config
        .file
        .ignored_findings()
        .enumerate()
        .find(|(_, entry)| rules.get(&entry.rule).is_none())
    {
        let line = config
            .ignored_finding_spans
            .get(index)
            .map_or(1, |span| model::line_col(&config.text, span.start).0);
        return Err(unknown_rule(line, &entry.rule, "[[ignore]]"));
    }
    Ok(())
}

/// Resolve the target (flags, then `[railway]`, then Railway's own variables) and read it.
fn read_railway(
    live: &RailwayOptions,
    config: &Config,
    progress: &dyn age::Progress,
) -> Result<railway_api::Fetched, Error> {
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let wanted = &config.file.railway;
    let list = |flags: &[String], configured: &[String], variable: &str| -> Vec<String> {
        if !flags.is_empty() {
            flags.to_vec()
        } else if !configured.is_empty() {
            configured.to_vec()
        } else {
            from_env(variable).into_iter().collect()
        }
    };
    let project = live
        .project
        .clone()
        .or_else(|| wanted.project.clone())
        .or_else(|| from_env("RAILWAY_PROJECT_ID"))
        .ok_or_else(|| {
            Error::Usage(
                "no Railway project to read: pass --project ID, set `project` under [railway] in drift-lint.toml, or set RAILWAY_PROJECT_ID".into(),
            )
        })?;
    let target = railway_api::Target {
        project,
        environments: list(
            &live.environments,
            &wanted.environments,
            "RAILWAY_ENVIRONMENT_ID",
        ),
        services: list(&live.services, &wanted.services, "RAILWAY_SERVICE_ID"),
    };
    let token = railway_api::Token::from_env().ok_or_else(|| {
        Error::Usage(
            "no Railway token: set RAILWAY_API_TOKEN (an account or workspace token) or RAILWAY_TOKEN (a project token)".into(),
        )
    })?;
    let mut client = railway_api::ClientOptions::new(token);
    if let Some(rate) = wanted.requests_per_second {
        client.max_per_second = rate.max(1);
    }
    if let Some(endpoint) = live
        .endpoint
        .clone()
        .or_else(|| wanted.endpoint.clone())
        .or_else(|| from_env("RAILWAY_GRAPHQL_ENDPOINT"))
    {
        client.endpoint = endpoint;
    }
    let report = |message: &str| progress.update(0, 0, message);
    let fetched = railway_api::fetch(&client, &target, &report);
    progress.finish();
    fetched.map_err(|error| Error::Network(error.to_string()))
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
