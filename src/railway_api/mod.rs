//! Reads one Railway project's live config through Railway's public GraphQL API.
//!
//! Exports in a repository say what the config was when someone ran `railway variables`; the
//! API says what runs now. [`fetch`] resolves the [`Target`]'s environment and service names
//! through the `Project` query, then reads, for every selected service in every selected
//! environment, its rendered variables (what the service sees), its unrendered variables
//! (with `${{ ... }}` references kept) and its image source, plus each environment's shared
//! variables. The result is plain data ([`LiveProject`]) for the linter to build its model
//! from.
//!
//! Reads run on a few threads under the HTTP layer the registry client uses: per-request
//! timeouts, bounded retries with backoff, `Retry-After` honoured up to a cap, and a gate on
//! requests in flight. A read that fails becomes a [`LiveFailure`] and never hides the others.
//! The token never appears in a message: [`Token`]'s `Debug` and `Display` show its kind only,
//! and server text is scrubbed of it before it reaches an [`ApiError`].
//!
//! ```no_run
//! use drift_lint::railway_api::{fetch, ClientOptions, NoProgress, Target, Token};
//!
//! let token = Token::from_env().expect("RAILWAY_TOKEN or RAILWAY_API_TOKEN is set");
//! let target = Target {
//!     project: "prj-1".into(),
//!     environments: vec!["staging".into()],
//!     services: vec![],
//! };
//! let fetched = fetch(&ClientOptions::new(token), &target, &NoProgress)?;
//! for failure in &fetched.failures {
//!     eprintln!("{failure}");
//! }
//! # Ok::<(), drift_lint::railway_api::ApiError>(())
//! ```

mod client;
mod error;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use crate::redact::MASK;
use client::{Client, Operation};

pub use error::ApiError;

/// Railway's public GraphQL endpoint. Older tooling used `backboard.railway.app`.
pub const DEFAULT_ENDPOINT: &str = "https://backboard.railway.com/graphql/v2";

/// A Railway token and how it is sent. `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Token {
    /// An account or workspace token (`RAILWAY_API_TOKEN`), sent as `Authorization: Bearer`.
    Account(String),
    /// A project token (`RAILWAY_TOKEN`), sent as `Project-Access-Token`. It is scoped to one
    /// project and one environment.
    Project(String),
}

impl Token {
    /// The token in the environment, chosen as the Railway CLI chooses (its
    /// `GQLClient::new_authorized`): `RAILWAY_TOKEN` (a project token) when set, else
    /// `RAILWAY_API_TOKEN` (an account token). Unlike the CLI, a value that is empty or only
    /// whitespace counts as unset, and surrounding whitespace (a trailing newline from
    /// `$(cat token)`) is trimmed.
    pub fn from_env() -> Option<Token> {
        Token::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Token::from_env`] with the environment read through `env` (for tests).
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Option<Token> {
        let set = |name: &str| {
            env(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        set("RAILWAY_TOKEN")
            .map(Token::Project)
            .or_else(|| set("RAILWAY_API_TOKEN").map(Token::Account))
    }

    /// What kind of token this is and where it came from, for messages.
    pub fn kind_label(&self) -> &'static str {
        match self {
            Token::Account(_) => "account token (RAILWAY_API_TOKEN)",
            Token::Project(_) => "project token (RAILWAY_TOKEN)",
        }
    }

    fn secret(&self) -> &str {
        match self {
            Token::Account(secret) | Token::Project(secret) => secret,
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Token::Account(_) => "Account",
            Token::Project(_) => "Project",
        };
        f.debug_tuple(kind).field(&format_args!("{MASK}")).finish()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind_label())
    }
}

/// Where to ask, with what, and how patiently.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The GraphQL endpoint (default [`DEFAULT_ENDPOINT`]). Plain HTTP is refused except to
    /// a loopback address (a test server): the token must not cross a network in clear.
    pub endpoint: String,
    pub token: Token,
    /// Time for one whole request, answer included (default 30 s, as the Railway CLI).
    pub timeout: Duration,
    /// Requests in flight at once (default 4).
    pub max_in_flight: usize,
    /// Retries after a 429, a 5xx or a connection failure (default 3). A timeout is not
    /// retried, nor is any other status.
    pub max_retries: u32,
    /// The longest a 429's `Retry-After` may make us wait (default 60 s); a longer one fails
    /// at once, since Railway's hourly quotas would answer the next try with another 429.
    pub max_retry_after: Duration,
    /// First retry delay, doubled each retry (default 500 ms).
    pub backoff: Duration,
    /// Requests started per second at most, across all threads (default 8: under the
    /// Hobby plan's 10).
    pub max_per_second: u32,
}

impl ClientOptions {
    /// The defaults, for `token`.
    pub fn new(token: Token) -> ClientOptions {
        ClientOptions {
            endpoint: DEFAULT_ENDPOINT.to_string(),
            token,
            timeout: Duration::from_secs(30),
            max_in_flight: 4,
            max_retries: 3,
            max_retry_after: Duration::from_secs(60),
            backoff: Duration::from_millis(500),
            max_per_second: 8,
        }
    }
}

/// What to read: a project id, and environments and services by name or id (empty: all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub project: String,
    pub environments: Vec<String>,
    pub services: Vec<String>,
}

/// Variables by key; `None` is a sealed variable (the API answers `null` for it).
pub type Vars = BTreeMap<String, Option<String>>;

/// One project as read. Environments and services are in the order the [`Target`] named
/// them, or the API's order when it named none. Values can be secrets: show them through
/// [`crate::redact`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveProject {
    pub id: String,
    pub name: String,
    pub environments: Vec<LiveEnvironment>,
    /// Every service of the project by name, read or not: a reference to a service that
    /// was not selected is not broken.
    pub service_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEnvironment {
    pub id: String,
    pub name: String,
    /// Shared variables, unrendered; `None` if the read failed.
    pub shared: Option<Vars>,
    pub services: Vec<LiveService>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveService {
    pub id: String,
    pub name: String,
    /// `variablesForServiceDeployment`: what the service sees, references resolved and
    /// Railway's built-ins included; `None` if the read failed.
    pub rendered: Option<Vars>,
    /// `variables(unrendered: true)`: as set, `${{ ... }}` references kept; `None` if the read
    /// failed.
    pub unrendered: Option<Vars>,
    /// `serviceInstance.source.image`; `None` when the service is not deployed from an image
    /// (a repository, or no instance in this environment), or when the read failed.
    pub image: Option<String>,
}

/// One read that failed while the others went on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFailure {
    /// What was being read: `staging/control-plane: rendered variables`, `staging: shared
    /// variables`.
    pub what: String,
    /// Why it failed: an [`ApiError`]'s message.
    pub message: String,
}

impl fmt::Display for LiveFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.message)
    }
}

/// What [`fetch`] read, and what it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub project: LiveProject,
    pub failures: Vec<LiveFailure>,
}

/// Hears how a fetch is going: `Railway molecule-platform: 3/8 services read`. Called from
/// the reading threads.
pub trait LiveProgress: Sync {
    fn update(&self, message: &str);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl LiveProgress for NoProgress {
    fn update(&self, _: &str) {}
}

impl<F: Fn(&str) + Sync> LiveProgress for F {
    fn update(&self, message: &str) {
        self(message)
    }
}

/// Resolves the target through the `Project` query, then reads every selected service in
/// every selected environment, and each selected environment's shared variables.
///
/// `Err` only when nothing could be read at all: the client cannot be set up, the `Project`
/// query fails, or an environment or service name does not exist (the error lists the names
/// that do). Every other failure is a [`LiveFailure`] next to what was read.
pub fn fetch(
    options: &ClientOptions,
    target: &Target,
    progress: &dyn LiveProgress,
) -> Result<Fetched, ApiError> {
    let client = Client::new(options, &target.project)?;
    progress.update(&format!("Railway {}: reading the project", target.project));
    let listing = client.read(
        Operation::Project,
        json!({ "id": target.project }),
        parse_project,
    )?;
    let Some(listing) = listing else {
        return Err(ApiError::NoProject {
            project: target.project.clone(),
            token: options.token.kind_label(),
        });
    };
    let label = format!("{} ({})", listing.name, listing.id);
    let environments = select(
        &label,
        "environment",
        &listing.environments,
        &target.environments,
    )?;
    let services = select(&label, "service", &listing.services, &target.services)?;

    let jobs: Vec<Job<'_>> = environments
        .iter()
        .flat_map(|&environment| {
            std::iter::once(Job::Shared { environment }).chain(services.iter().map(
                move |&service| Job::Service {
                    environment,
                    service,
                },
            ))
        })
        .collect();
    let total = environments.len() * services.len();
    let done = AtomicUsize::new(0);
    let report = |done: usize| {
        progress.update(&format!(
            "Railway {}: {done}/{total} services read",
            listing.name
        ))
    };
    report(0);
    let results = run_all(&jobs, options.max_in_flight, |job| {
        let read = job.run(&client, &listing.id);
        if matches!(job, Job::Service { .. }) {
            report(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
        read
    });

    let mut failures = Vec::new();
    let mut results = results.into_iter();
    let mut live = Vec::new();
    for environment in &environments {
        let shared = match results.next() {
            Some(Read::Shared(shared)) => keep(
                shared,
                format!("{}: shared variables", environment.name),
                &mut failures,
            ),
            _ => None,
        };
        let mut live_services = Vec::new();
        for service in &services {
            let Some(Read::Service(read)) = results.next() else {
                continue;
            };
            let what = |part: &str| format!("{}/{}: {part}", environment.name, service.name);
            live_services.push(LiveService {
                id: service.id.clone(),
                name: service.name.clone(),
                rendered: keep(read.rendered, what("rendered variables"), &mut failures),
                unrendered: keep(read.unrendered, what("unrendered variables"), &mut failures),
                image: keep(read.image, what("image source"), &mut failures).flatten(),
            });
        }
        live.push(LiveEnvironment {
            id: environment.id.clone(),
            name: environment.name.clone(),
            shared,
            services: live_services,
        });
    }
    Ok(Fetched {
        project: LiveProject {
            service_names: listing.services.iter().map(|s| s.name.clone()).collect(),
            id: listing.id,
            name: listing.name,
            environments: live,
        },
        failures,
    })
}

/// Railway's built-in `RAILWAY_*` variables (railway.md section 3): always provided, and
/// different in every environment by design, so environment-drift checks skip them.
pub fn is_builtin(key: &str) -> bool {
    BUILTINS.contains(&key)
}

const BUILTINS: &[&str] = &[
    "RAILWAY_PUBLIC_DOMAIN",
    "RAILWAY_PRIVATE_DOMAIN",
    "RAILWAY_TCP_PROXY_DOMAIN",
    "RAILWAY_TCP_PROXY_PORT",
    "RAILWAY_TCP_APPLICATION_PORT",
    "RAILWAY_PROJECT_NAME",
    "RAILWAY_PROJECT_ID",
    "RAILWAY_ENVIRONMENT_NAME",
    "RAILWAY_ENVIRONMENT_ID",
    "RAILWAY_SERVICE_NAME",
    "RAILWAY_SERVICE_ID",
    "RAILWAY_REPLICA_ID",
    "RAILWAY_REPLICA_REGION",
    "RAILWAY_DEPLOYMENT_ID",
    "RAILWAY_SNAPSHOT_ID",
    "RAILWAY_VOLUME_NAME",
    "RAILWAY_VOLUME_MOUNT_PATH",
    "RAILWAY_GIT_COMMIT_SHA",
    "RAILWAY_GIT_AUTHOR",
    "RAILWAY_GIT_BRANCH",
    "RAILWAY_GIT_REPO_NAME",
    "RAILWAY_GIT_REPO_OWNER",
    "RAILWAY_GIT_COMMIT_MESSAGE",
];

/// An environment or a service as the `Project` query lists it.
#[derive(Debug, Clone)]
struct Named {
    id: String,
    name: String,
}

/// The `Project` query's answer.
#[derive(Debug)]
struct Listing {
    id: String,
    name: String,
    environments: Vec<Named>,
    services: Vec<Named>,
}

/// One unit of work for a reading thread.
enum Job<'a> {
    Shared {
        environment: &'a Named,
    },
    Service {
        environment: &'a Named,
        service: &'a Named,
    },
}

/// A job's outcome.
enum Read {
    Shared(Result<Vars, ApiError>),
    Service(ServiceRead),
}

struct ServiceRead {
    rendered: Result<Vars, ApiError>,
    unrendered: Result<Vars, ApiError>,
    image: Result<Option<String>, ApiError>,
}

impl Job<'_> {
    fn run(&self, client: &Client, project_id: &str) -> Read {
        match self {
            Job::Shared { environment } => Read::Shared(client.read(
                Operation::Variables,
                json!({
                    "projectId": project_id,
                    "environmentId": environment.id,
                    "unrendered": true,
                }),
                |data| vars_in(data, "variables"),
            )),
            Job::Service {
                environment,
                service,
            } => {
                let ids = json!({
                    "projectId": project_id,
                    "environmentId": environment.id,
                    "serviceId": service.id,
                });
                let unrendered_ids = json!({
                    "projectId": project_id,
                    "environmentId": environment.id,
                    "serviceId": service.id,
                    "unrendered": true,
                });
                let instance_ids = json!({
                    "environmentId": environment.id,
                    "serviceId": service.id,
                });
                Read::Service(ServiceRead {
                    rendered: client.read(Operation::VariablesForServiceDeployment, ids, |data| {
                        vars_in(data, "variablesForServiceDeployment")
                    }),
                    unrendered: client.read(Operation::Variables, unrendered_ids, |data| {
                        vars_in(data, "variables")
                    }),
                    image: client.read(Operation::ServiceInstance, instance_ids, image_in),
                })
            }
        }
    }
}

/// Runs `work` over `jobs` on at most `threads` threads; results in the jobs' order.
fn run_all<J: Sync, R: Send>(jobs: &[J], threads: usize, work: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let results: Vec<Mutex<Option<R>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = threads.clamp(1, jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let result = work(job);
                if let Some(cell) = results.get(i) {
                    *cell.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .filter_map(|cell| cell.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// The value of a read, or `None` with its failure recorded under `what`.
fn keep<T>(
    result: Result<T, ApiError>,
    what: String,
    failures: &mut Vec<LiveFailure>,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            failures.push(LiveFailure {
                what,
                message: error.to_string(),
            });
            None
        }
    }
}

/// The environments or services `wanted` names (by id, by name, or by a name that differs
/// only in case from exactly one), in that order and without repeats; all of them when it
/// names none.
fn select<'a>(
    project: &str,
    kind: &'static str,
    all: &'a [Named],
    wanted: &[String],
) -> Result<Vec<&'a Named>, ApiError> {
    if wanted.is_empty() {
        return Ok(all.iter().collect());
    }
    let mut chosen: Vec<&Named> = Vec::new();
    let mut unknown = Vec::new();
    for name in wanted {
        let name = name.trim();
        let found = all
            .iter()
            .find(|n| n.id == name)
            .or_else(|| all.iter().find(|n| n.name == name))
            .or_else(|| {
                let mut alike = all.iter().filter(|n| n.name.eq_ignore_ascii_case(name));
                match (alike.next(), alike.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            });
        match found {
            Some(named) if chosen.iter().all(|c| c.id != named.id) => chosen.push(named),
            Some(_) => {}
            None => unknown.push(name.to_string()),
        }
    }
    if unknown.is_empty() {
        return Ok(chosen);
    }
    let mut known: Vec<String> = all.iter().map(|n| n.name.clone()).collect();
    known.sort_by_key(|name| name.to_lowercase());
    Err(ApiError::UnknownNames {
        project: project.to_string(),
        kind,
        unknown,
        known,
    })
}

/// The `Project` query's `data`: `None` when the project is `null`.
fn parse_project(data: &Value) -> Result<Option<Listing>, String> {
    let project = match data.get("project") {
        None => return Err("JSON without `data.project`".to_string()),
        Some(Value::Null) => return Ok(None),
        Some(project) => project,
    };
    Ok(Some(Listing {
        id: text_in(project, "id", "a project")?,
        name: text_in(project, "name", "a project")?,
        environments: nodes_in(project, "environments")?,
        services: nodes_in(project, "services")?,
    }))
}

/// `{field}.edges[].node{id, name}`.
fn nodes_in(project: &Value, field: &str) -> Result<Vec<Named>, String> {
    let edges = project
        .get(field)
        .and_then(|connection| connection.get("edges"))
        .and_then(Value::as_array)
        .ok_or_else(|| format!("a project without `{field}.edges`"))?;
    edges
        .iter()
        .map(|edge| {
            let node = edge
                .get("node")
                .ok_or_else(|| format!("a `{field}` edge without `node`"))?;
            let what = format!("a `{field}` node");
            Ok(Named {
                id: text_in(node, "id", &what)?,
                name: text_in(node, "name", &what)?,
            })
        })
        .collect()
}

fn text_in(value: &Value, field: &str, what: &str) -> Result<String, String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("{what} without a text `{field}`"))
}

/// A variables map: strings as they are, `null` (sealed) as `None`. Railway's map scalar
/// holds strings; any other JSON value is kept as its JSON text rather than dropped.
fn vars_in(data: &Value, field: &str) -> Result<Vars, String> {
    match data.get(field) {
        Some(Value::Object(map)) => Ok(map
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::Null => None,
                    Value::String(text) => Some(text.clone()),
                    other => Some(other.to_string()),
                };
                (key.clone(), value)
            })
            .collect()),
        Some(Value::Null) | None => Err(format!("JSON without a `{field}` object")),
        Some(_) => Err(format!("a `{field}` that is not an object")),
    }
}

/// `serviceInstance.source.image`; a `null` instance or source is no image, not an error.
fn image_in(data: &Value) -> Result<Option<String>, String> {
    let instance = data
        .get("serviceInstance")
        .ok_or_else(|| "JSON without `serviceInstance`".to_string())?;
    Ok(instance
        .pointer("/source/image")
        .and_then(Value::as_str)
        .filter(|image| !image.trim().is_empty())
        .map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(id: &str, name: &str) -> Named {
        Named {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn from_env_prefers_the_project_token_like_the_cli() {
        let both = |name: &str| match name {
            "RAILWAY_TOKEN" => Some(" project-secret\n".to_string()),
            "RAILWAY_API_TOKEN" => Some("account-secret".to_string()),
            _ => None,
        };
        assert_eq!(
            Token::from_lookup(both),
            Some(Token::Project("project-secret".into()))
        );
        let empty_project = |name: &str| match name {
            "RAILWAY_TOKEN" => Some("  ".to_string()),
            "RAILWAY_API_TOKEN" => Some("account-secret".to_string()),
            _ => None,
        };
        assert_eq!(
            Token::from_lookup(empty_project),
            Some(Token::Account("account-secret".into()))
        );
        assert_eq!(Token::from_lookup(|_| None), None);
    }

    #[test]
    fn token_debug_and_display_hide_the_secret() {
        let token = Token::Account("account-secret".into());
        assert_eq!(format!("{token:?}"), "Account([redacted])");
        assert_eq!(token.to_string(), "account token (RAILWAY_API_TOKEN)");
        let options = ClientOptions::new(Token::Project("project-secret".into()));
        assert!(!format!("{options:?}").contains("project-secret"));
        assert!(format!("{options:?}").contains("Project([redacted])"));
    }

    #[test]
    fn select_matches_ids_names_and_unique_case_insensitive_names() {
        let all = [named("env-prod", "production"), named("env-stg", "staging")];
        let pick = |wanted: &[&str]| {
            let wanted: Vec<String> = wanted.iter().map(|w| w.to_string()).collect();
            select("p (prj-1)", "environment", &all, &wanted)
                .map(|found| found.iter().map(|n| n.id.clone()).collect::<Vec<_>>())
        };
        assert_eq!(pick(&[]).expect("all"), ["env-prod", "env-stg"]);
        assert_eq!(
            pick(&["staging", "env-prod", "Staging"]).expect("found"),
            ["env-stg", "env-prod"]
        );
        let error = pick(&["stagin", "qa"]).expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "project p (prj-1) has no environment `stagin`, `qa`; it has: production, staging"
        );
    }

    #[test]
    fn vars_keep_sealed_values_as_none() {
        let data = json!({"variables": {"PORT": "8080", "STRIPE_KEY": null, "REPLICAS": 2}});
        let vars = vars_in(&data, "variables").expect("vars");
        assert_eq!(vars.get("PORT"), Some(&Some("8080".to_string())));
        assert_eq!(vars.get("STRIPE_KEY"), Some(&None));
        assert_eq!(vars.get("REPLICAS"), Some(&Some("2".to_string())));
        assert!(vars_in(&json!({"variables": {}}), "variables")
            .expect("empty")
            .is_empty());
        assert!(vars_in(&json!({"variables": null}), "variables").is_err());
    }

    #[test]
    fn images_come_only_from_image_sources() {
        let image = json!({"serviceInstance": {"serviceName": "tenant",
            "source": {"image": "ghcr.io/molecule-ai/platform-tenant:staging-a14cf86", "repo": null}}});
        assert_eq!(
            image_in(&image).expect("read").as_deref(),
            Some("ghcr.io/molecule-ai/platform-tenant:staging-a14cf86")
        );
        let repo =
            json!({"serviceInstance": {"source": {"image": null, "repo": "molecule-ai/core"}}});
        assert_eq!(image_in(&repo).expect("read"), None);
        assert_eq!(
            image_in(&json!({"serviceInstance": null})).expect("read"),
            None
        );
        assert!(image_in(&json!({})).is_err());
    }

    #[test]
    fn builtins_are_the_documented_railway_names() {
        assert!(is_builtin("RAILWAY_ENVIRONMENT_NAME"));
        assert!(is_builtin("RAILWAY_GIT_COMMIT_SHA"));
        assert!(!is_builtin("RAILWAY_TOKEN"));
        assert!(!is_builtin("TENANT_IMAGE"));
    }
}
