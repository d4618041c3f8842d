//! The live Railway API client against a mock GraphQL server on 127.0.0.1 (mockito): the
//! incident project read whole and in part, the token header per kind, name resolution,
//! every fault the API can answer with, failures that stay per service, the in-flight bound,
//! and the token kept out of every message. No test talks to anything but loopback servers
//! it started.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use drift_lint::railway_api::{
    fetch, is_builtin, ApiError, ClientOptions, Fetched, LiveEnvironment, LiveFailure, LiveService,
    NoProgress, Target, Token, Vars,
};
use mockito::{Matcher, Server, ServerGuard};
use serde_json::json;
use support::railway_mock::{
    data, endpoint, graphql_error, incident_project, incident_project_requiring, operation,
    project, PATH, POSTGRES_IMAGE, PRODUCTION_TENANT_IMAGE, PROJECT_ID, STAGING_TENANT_IMAGE,
};

const ACCOUNT_TOKEN: &str = "acct-7f3c9e1a-R41lw4yT0kenThatMustNeverLeak";
const PROJECT_TOKEN: &str = "proj-2b8d4f6a-R41lw4yPr0jectT0kenNeverLeaks";

// ---------------------------------------------------------------------------------------------
// Helpers

fn account() -> Token {
    Token::Account(ACCOUNT_TOKEN.to_string())
}

fn project_token() -> Token {
    Token::Project(PROJECT_TOKEN.to_string())
}

/// Options for tests: the mock's endpoint, short timeouts and backoff, two retries.
fn options(server: &ServerGuard, token: Token) -> ClientOptions {
    ClientOptions {
        endpoint: endpoint(server),
        timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(2),
        ..ClientOptions::new(token)
    }
}

/// The whole project: every environment, every service.
fn everything() -> Target {
    Target {
        project: PROJECT_ID.to_string(),
        ..Target::default()
    }
}

fn environment<'a>(fetched: &'a Fetched, name: &str) -> &'a LiveEnvironment {
    fetched
        .project
        .environments
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("environment {name} was read"))
}

fn service<'a>(environment: &'a LiveEnvironment, name: &str) -> &'a LiveService {
    environment
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("service {name} was read in {}", environment.name))
}

fn value<'a>(vars: &'a Option<Vars>, key: &str) -> Option<&'a str> {
    vars.as_ref()
        .expect("variables were read")
        .get(key)
        .expect("the key is there")
        .as_deref()
}

/// The Project query answering `status` and `body` (`expect` times).
fn project_fault(
    server: &mut ServerGuard,
    status: usize,
    body: &str,
    expect: usize,
) -> mockito::Mock {
    operation(server, "Project", json!({ "id": PROJECT_ID }))
        .with_status(status)
        .with_body(body)
        .expect(expect)
        .create()
}

/// A port nothing listens on: bound, then freed.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

// ---------------------------------------------------------------------------------------------
// 1. Reading the incident project

#[test]
fn the_incident_project_reads_whole() {
    let mut server = Server::new();
    let _mocks = incident_project(&mut server);
    let messages = Mutex::new(Vec::new());
    let progress = |message: &str| {
        messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message.to_string())
    };

    let fetched = fetch(&options(&server, account()), &everything(), &progress).expect("read");

    assert_eq!(fetched.failures, Vec::<LiveFailure>::new());
    assert_eq!(fetched.project.id, PROJECT_ID);
    assert_eq!(fetched.project.name, "molecule-platform");
    let names: Vec<&str> = fetched
        .project
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["production", "staging"], "the API's order");

    let staging = environment(&fetched, "staging");
    assert_eq!(staging.id, "env-stg");
    let services: Vec<&str> = staging.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(services, ["control-plane", "tenant", "Postgres"]);
    let control_plane = service(staging, "control-plane");
    assert_eq!(control_plane.id, "svc-cp");
    assert_eq!(
        value(&control_plane.rendered, "TENANT_IMAGE"),
        Some(STAGING_TENANT_IMAGE)
    );
    assert_eq!(value(&control_plane.rendered, "PORT"), Some("8080"));
    assert_eq!(
        value(&control_plane.rendered, "RAILWAY_ENVIRONMENT_NAME"),
        Some("staging")
    );
    assert_eq!(value(&control_plane.rendered, "STRIPE_KEY"), None, "sealed");
    let rendered = control_plane.rendered.as_ref().expect("rendered");
    assert!(!rendered.contains_key("HERMES_DEFAULT_MODEL"));
    assert_eq!(
        value(&control_plane.unrendered, "DATABASE_URL"),
        Some("${{Postgres.DATABASE_URL}}")
    );
    assert_eq!(control_plane.image, None, "built from its repository");
    assert_eq!(
        service(staging, "tenant").image.as_deref(),
        Some(STAGING_TENANT_IMAGE)
    );
    assert_eq!(
        service(staging, "Postgres").image.as_deref(),
        Some(POSTGRES_IMAGE)
    );
    assert_eq!(value(&staging.shared, "LOG_LEVEL"), Some("debug"));

    let production = environment(&fetched, "production");
    assert_eq!(
        value(&production.shared, "HERMES_DEFAULT_MODEL"),
        Some("openai/gpt-4o")
    );
    let production_cp = service(production, "control-plane");
    assert_eq!(
        value(&production_cp.rendered, "TENANT_IMAGE"),
        Some(PRODUCTION_TENANT_IMAGE)
    );
    assert_eq!(
        value(&production_cp.unrendered, "HERMES_DEFAULT_MODEL"),
        Some("${{shared.HERMES_DEFAULT_MODEL}}")
    );

    let drifting: Vec<&String> = rendered
        .keys()
        .filter(|key| {
            !is_builtin(key)
                && production_cp.rendered.as_ref().expect("rendered").get(*key)
                    != rendered.get(*key)
        })
        .collect();
    assert_eq!(
        drifting,
        ["CP_PUBLIC_URL", "OPENAI_API_KEY", "TENANT_IMAGE"],
        "built-ins such as RAILWAY_ENVIRONMENT_NAME differ by design"
    );

    let messages = messages.into_inner().unwrap_or_else(|e| e.into_inner());
    assert_eq!(
        messages.first().map(String::as_str),
        Some("Railway prj-1: reading the project")
    );
    assert!(
        messages.contains(&"Railway molecule-platform: 6/6 services read".to_string()),
        "{messages:?}"
    );
}

#[test]
fn environments_and_services_are_chosen_by_name_or_id_in_the_order_given() {
    let mut server = Server::new();
    let _mocks = incident_project(&mut server);
    let target = Target {
        project: PROJECT_ID.to_string(),
        environments: vec!["staging".into()],
        services: vec!["svc-tenant".into(), "control-plane".into(), "tenant".into()],
    };

    let fetched = fetch(&options(&server, account()), &target, &NoProgress).expect("read");

    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(fetched.project.environments.len(), 1);
    let staging = &fetched.project.environments[0];
    assert_eq!(staging.name, "staging");
    let services: Vec<(&str, &str)> = staging
        .services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(
        services,
        [("svc-tenant", "tenant"), ("svc-cp", "control-plane")]
    );
}

#[test]
fn an_unknown_environment_or_service_lists_the_real_ones() {
    let mut server = Server::new();
    let _mocks = incident_project(&mut server);
    let unknown_environment = Target {
        environments: vec!["staging".into(), "stagin".into()],
        ..everything()
    };
    let error = fetch(
        &options(&server, account()),
        &unknown_environment,
        &NoProgress,
    )
    .expect_err("no such environment");
    assert_eq!(
        error.to_string(),
        "project molecule-platform (prj-1) has no environment `stagin`; it has: production, staging"
    );

    let unknown_service = Target {
        services: vec!["worker".into()],
        ..everything()
    };
    let error = fetch(&options(&server, account()), &unknown_service, &NoProgress)
        .expect_err("no such service");
    assert_eq!(
        error.to_string(),
        "project molecule-platform (prj-1) has no service `worker`; it has: control-plane, Postgres, tenant"
    );
}

#[test]
fn a_project_the_token_cannot_see_is_an_error() {
    let mut server = Server::new();
    let _mocks = incident_project(&mut server);
    let target = Target {
        project: "prj-unknown".into(),
        ..Target::default()
    };
    let error = fetch(&options(&server, account()), &target, &NoProgress).expect_err("null");
    assert!(matches!(error, ApiError::NoProject { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("Railway knows no project `prj-unknown` that the account token (RAILWAY_API_TOKEN) can see"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. How the token and the request are sent

#[test]
fn an_account_token_is_sent_as_a_bearer_with_a_json_body_and_our_user_agent() {
    let mut server = Server::new();
    let first = operation(&mut server, "Project", json!({ "id": PROJECT_ID }))
        .match_header("user-agent", Matcher::Regex("^drift-lint/".into()))
        .match_header("accept", "application/json")
        .match_body(Matcher::AllOf(vec![
            Matcher::PartialJson(json!({ "operationName": "Project" })),
            Matcher::Regex(r#""query":"query Project\(\$id: String!\)"#.into()),
        ]))
        .with_body(data(json!({ "project": project() })))
        .expect(1)
        .create();
    let _mocks = incident_project_requiring(
        &mut server,
        "authorization",
        &format!("Bearer {ACCOUNT_TOKEN}"),
    );

    let fetched = fetch(&options(&server, account()), &everything(), &NoProgress).expect("read");

    first.assert();
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
}

#[test]
fn a_project_token_is_sent_as_project_access_token() {
    let mut server = Server::new();
    let _mocks = incident_project_requiring(&mut server, "project-access-token", PROJECT_TOKEN);

    let fetched = fetch(
        &options(&server, project_token()),
        &everything(),
        &NoProgress,
    )
    .expect("read");

    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(fetched.project.environments.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 3. Faults

#[test]
fn not_authorized_names_the_account_token_and_the_project() {
    let mut server = Server::new();
    let refused = project_fault(&mut server, 200, &graphql_error("Not Authorized"), 1);
    let error =
        fetch(&options(&server, account()), &everything(), &NoProgress).expect_err("refused");
    refused.assert();
    assert!(matches!(error, ApiError::Refused { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(
            "Railway refused the account token (RAILWAY_API_TOKEN): Not Authorized; check that the token can see project prj-1"
        ),
        "{error}"
    );
}

#[test]
fn an_unknown_project_token_says_the_token_is_wrong() {
    let mut server = Server::new();
    let refused = project_fault(
        &mut server,
        200,
        &graphql_error("Project Token not found"),
        1,
    );
    let error = fetch(
        &options(&server, project_token()),
        &everything(),
        &NoProgress,
    )
    .expect_err("refused");
    refused.assert();
    assert_eq!(
        error.to_string(),
        "Railway refused the project token (RAILWAY_TOKEN): Project Token not found; the project token is wrong, expired, or for another project; create one in project prj-1's settings (Tokens) and put it in RAILWAY_TOKEN"
    );
}

#[test]
fn not_authorized_for_a_project_token_mentions_its_environment_scope() {
    let mut server = Server::new();
    let _refused = project_fault(&mut server, 200, &graphql_error("Not Authorized"), 1);
    let error = fetch(
        &options(&server, project_token()),
        &everything(),
        &NoProgress,
    )
    .expect_err("refused");
    let text = error.to_string();
    assert!(
        text.starts_with("Railway refused the project token (RAILWAY_TOKEN): Not Authorized; "),
        "{text}"
    );
    assert!(
        text.contains("a project token sees one environment"),
        "{text}"
    );
}

#[test]
fn a_400_says_the_api_changed_and_quotes_the_server() {
    let mut server = Server::new();
    let body = json!({"errors":[{
        "message":"Cannot query field \"environments\" on type \"Project\".",
        "extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]})
    .to_string();
    let rejected = project_fault(&mut server, 400, &body, 1);
    let error =
        fetch(&options(&server, account()), &everything(), &NoProgress).expect_err("rejected");
    rejected.assert();
    let host = server.host_with_port();
    assert_eq!(
        error.to_string(),
        format!("Railway ({host}) rejected the Project query with HTTP 400: GRAPHQL_VALIDATION_FAILED: Cannot query field \"environments\" on type \"Project\".; the Railway API has changed and drift-lint needs an update (the account token (RAILWAY_API_TOKEN) is not the problem)")
    );
}

#[test]
fn a_401_and_a_403_name_the_token_and_what_to_check() {
    let mut server = Server::new();
    let unauthorized = project_fault(&mut server, 401, "", 1);
    let error = fetch(&options(&server, account()), &everything(), &NoProgress).expect_err("401");
    unauthorized.assert();
    let host = server.host_with_port();
    assert_eq!(
        error.to_string(),
        format!("Railway ({host}) answered HTTP 401 to the account token (RAILWAY_API_TOKEN); check that RAILWAY_API_TOKEN holds a current account or workspace token (a project token belongs in RAILWAY_TOKEN)")
    );

    let mut server = Server::new();
    let forbidden = project_fault(&mut server, 403, &graphql_error("Forbidden"), 1);
    let error = fetch(
        &options(&server, project_token()),
        &everything(),
        &NoProgress,
    )
    .expect_err("403");
    forbidden.assert();
    let host = server.host_with_port();
    assert_eq!(
        error.to_string(),
        format!("Railway ({host}) answered HTTP 403 to the project token (RAILWAY_TOKEN): Forbidden; check that the token may read project prj-1")
    );
}

#[test]
fn a_500_is_retried_then_fails() {
    let mut server = Server::new();
    let broken = project_fault(&mut server, 500, "upstream connect error", 3);
    let error =
        fetch(&options(&server, account()), &everything(), &NoProgress).expect_err("still broken");
    broken.assert();
    assert!(
        matches!(
            error,
            ApiError::Server {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("answered HTTP 500 to the Project query after 3 attempts, using the account token (RAILWAY_API_TOKEN); Railway is having trouble: retry later"),
        "{error}"
    );
}

#[test]
fn a_429_with_retry_after_is_waited_out_then_succeeds() {
    let mut server = Server::new();
    let limited = operation(&mut server, "Project", json!({ "id": PROJECT_ID }))
        .with_status(429)
        .with_header("retry-after", "1")
        .expect(1)
        .create();
    let _mocks = incident_project(&mut server);

    let started = Instant::now();
    let fetched = fetch(&options(&server, account()), &everything(), &NoProgress)
        .expect("read after the wait");

    limited.assert();
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was waited out"
    );
}

#[test]
fn a_429_asking_longer_than_the_cap_fails_at_once() {
    let mut server = Server::new();
    let limited = operation(&mut server, "Project", json!({ "id": PROJECT_ID }))
        .with_status(429)
        .with_header("retry-after", "3600")
        .expect(1)
        .create();

    let started = Instant::now();
    let error =
        fetch(&options(&server, account()), &everything(), &NoProgress).expect_err("rate limited");

    limited.assert();
    assert!(started.elapsed() < Duration::from_millis(900), "no wait");
    let host = server.host_with_port();
    assert_eq!(
        error.to_string(),
        format!("rate limited by Railway ({host}) using the account token (RAILWAY_API_TOKEN): it asked to wait 3600 s, longer than the 2 s drift-lint waits; retry later, or lower the request rate (fewer environments or services per run, fewer requests in flight)")
    );
}

#[test]
fn a_slow_answer_times_out_naming_the_host() {
    let mut server = Server::new();
    let slow = operation(&mut server, "Project", json!({}))
        .with_body_from_request(|_| {
            std::thread::sleep(Duration::from_millis(1200));
            data(json!({ "project": project() })).into_bytes()
        })
        .expect(1)
        .create();

    let started = Instant::now();
    let error = fetch(
        &ClientOptions {
            timeout: Duration::from_millis(300),
            ..options(&server, account())
        },
        &everything(),
        &NoProgress,
    )
    .expect_err("too slow");
    let elapsed = started.elapsed();

    assert!(matches!(error, ApiError::Timeout { .. }), "{error:?}");
    let host = server.host_with_port();
    assert_eq!(
        error.to_string(),
        format!("Railway ({host}) did not answer the Project query within 300 ms, using the account token (RAILWAY_API_TOKEN); check the network, or allow a longer timeout")
    );
    assert!(
        elapsed < Duration::from_millis(1100),
        "gave up after {elapsed:?}"
    );
    slow.assert();
}

#[test]
fn a_body_that_is_not_json_is_malformed() {
    let mut server = Server::new();
    let _html = project_fault(
        &mut server,
        200,
        "<html><body><h1>Bad gateway</h1>\n</body></html>",
        1,
    );
    let error =
        fetch(&options(&server, account()), &everything(), &NoProgress).expect_err("not JSON");
    assert!(matches!(error, ApiError::Malformed { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("answered the Project query with a body that is not JSON"),
        "{text}"
    );
    assert!(
        text.contains("<html><body><h1>Bad gateway</h1> </body></html>"),
        "{text}"
    );
    assert!(
        text.ends_with("check that the endpoint is Railway's GraphQL API"),
        "{text}"
    );
}

#[test]
fn a_refused_connection_is_retried_then_names_the_host() {
    let port = closed_port();
    let options = ClientOptions {
        endpoint: format!("http://127.0.0.1:{port}{PATH}"),
        timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff: Duration::from_millis(10),
        ..ClientOptions::new(account())
    };
    let error = fetch(&options, &everything(), &NoProgress).expect_err("nothing listens");
    assert!(
        matches!(error, ApiError::Connect { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("cannot reach Railway at 127.0.0.1:{port} after 3 attempts, using the account token (RAILWAY_API_TOKEN): ")),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Failures stay per read

#[test]
fn one_failing_read_does_not_hide_the_others() {
    let mut server = Server::new();
    let missing = operation(
        &mut server,
        "VariablesForServiceDeployment",
        json!({ "environmentId": "env-stg", "serviceId": "svc-tenant" }),
    )
    .with_body(graphql_error("Service not found in environment"))
    .expect(1)
    .create();
    let broken_instance = operation(
        &mut server,
        "ServiceInstance",
        json!({ "environmentId": "env-prod", "serviceId": "svc-pg" }),
    )
    .with_status(503)
    .expect(3)
    .create();
    let _mocks = incident_project(&mut server);

    let fetched =
        fetch(&options(&server, account()), &everything(), &NoProgress).expect("partial read");

    missing.assert();
    broken_instance.assert();
    let whats: Vec<&str> = fetched.failures.iter().map(|f| f.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            "production/Postgres: image source",
            "staging/tenant: rendered variables"
        ]
    );
    assert!(
        fetched.failures[1].message.starts_with(
            "Railway answered the VariablesForServiceDeployment query with an error, using the account token (RAILWAY_API_TOKEN): Service not found in environment; "
        ),
        "{}",
        fetched.failures[1]
    );
    assert!(
        fetched.failures[0]
            .message
            .contains("answered HTTP 503 to the ServiceInstance query after 3 attempts"),
        "{}",
        fetched.failures[0]
    );

    let production = environment(&fetched, "production");
    let postgres = service(production, "Postgres");
    assert_eq!(postgres.image, None);
    assert!(postgres.rendered.is_some() && postgres.unrendered.is_some());
    assert!(service(production, "control-plane").rendered.is_some());
    let staging = environment(&fetched, "staging");
    assert!(staging.shared.is_some());
    let tenant = service(staging, "tenant");
    assert_eq!(tenant.rendered, None);
    assert_eq!(value(&tenant.unrendered, "PORT"), Some("3000"));
    assert_eq!(tenant.image.as_deref(), Some(STAGING_TENANT_IMAGE));
    let control_plane = service(staging, "control-plane");
    assert_eq!(
        value(&control_plane.rendered, "TENANT_IMAGE"),
        Some(STAGING_TENANT_IMAGE)
    );
}

#[test]
fn requests_in_flight_never_exceed_the_limit() {
    let mut server = Server::new();
    let _project = operation(&mut server, "Project", json!({}))
        .with_body(data(json!({ "project": project() })))
        .create();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, top) = (Arc::clone(&in_flight), Arc::clone(&peak));
    // Chunked bodies run on their own threads in mockito, so slow answers overlap. One body
    // answers all three per-service queries.
    let _reads = server
        .mock("POST", PATH)
        .match_body(Matcher::Regex(
            r#""operationName":"(VariablesForServiceDeployment|variables|ServiceInstance)""#.into(),
        ))
        .with_chunked_body(move |writer| {
            let current = now.fetch_add(1, Ordering::SeqCst) + 1;
            top.fetch_max(current, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(40));
            now.fetch_sub(1, Ordering::SeqCst);
            writer.write_all(
                br#"{"data":{"variablesForServiceDeployment":{},"variables":{},"serviceInstance":null}}"#,
            )
        })
        .create();

    let fetched = fetch(
        &ClientOptions {
            max_in_flight: 2,
            ..options(&server, account())
        },
        &everything(),
        &NoProgress,
    )
    .expect("read");

    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 2, "{peak} requests were in flight");
    assert!(peak >= 2, "reads did overlap ({peak})");
}

// ---------------------------------------------------------------------------------------------
// 5. The token never reaches a message

/// Echoes both token headers back inside a body, as a careless proxy might.
fn echoed(request: &mockito::Request) -> String {
    ["authorization", "project-access-token"]
        .iter()
        .filter_map(|name| {
            request
                .header(*name)
                .first()
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn no_message_ever_holds_the_token() {
    type Body = fn(&str) -> String;
    let faults: Vec<(&str, usize, Body)> = vec![
        ("not authorized", 200, |t| {
            graphql_error(&format!("Not Authorized: {t}"))
        }),
        ("project token", 200, |t| {
            graphql_error(&format!("Project Token not found: {t}"))
        }),
        ("graphql", 200, |t| {
            graphql_error(&format!("Problem processing request for {t}"))
        }),
        ("not json", 200, |t| format!("<html>{t}</html>")),
        ("no data", 200, |t| {
            json!({ "data": { "project": { "id": t } } }).to_string()
        }),
        ("400", 400, |t| {
            json!({"errors":[{"message":format!("Cannot query field {t}"),"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}).to_string()
        }),
        ("400 text", 400, |t| format!("bad request from {t}")),
        ("401", 401, |t| {
            graphql_error(&format!("token {t} is invalid"))
        }),
        ("403", 403, |t| format!("forbidden: {t}")),
        ("404", 404, |t| format!("no route for {t}")),
        ("302", 302, |t| format!("moved; {t}")),
        ("429", 429, |t| format!("slow down {t}")),
        ("500", 500, |t| format!("panic while serving {t}")),
    ];
    let mut texts = Vec::new();
    for token in [account(), project_token()] {
        for (name, status, body) in &faults {
            let mut server = Server::new();
            let body = *body;
            let _fault = operation(&mut server, "Project", json!({}))
                .with_status(*status)
                .with_header("retry-after", "3600")
                .with_header("location", "https://elsewhere.example/graphql")
                .with_body_from_request(move |request| body(&echoed(request)).into_bytes())
                .create();
            let error = fetch(&options(&server, token.clone()), &everything(), &NoProgress)
                .expect_err(name);
            texts.push(format!("{name}: {error} | {error:?}"));
        }

        // A timeout, with the token echoed too late to matter.
        let mut server = Server::new();
        let _slow = operation(&mut server, "Project", json!({}))
            .with_body_from_request(|request| {
                std::thread::sleep(Duration::from_millis(600));
                echoed(request).into_bytes()
            })
            .create();
        let slow = ClientOptions {
            timeout: Duration::from_millis(200),
            ..options(&server, token.clone())
        };
        let error = fetch(&slow, &everything(), &NoProgress).expect_err("timeout");
        texts.push(format!("timeout: {error} | {error:?}"));

        // Nothing listening.
        let refused = ClientOptions {
            endpoint: format!("http://127.0.0.1:{}{PATH}", closed_port()),
            ..options(&server, token.clone())
        };
        let error = fetch(&refused, &everything(), &NoProgress).expect_err("refused");
        texts.push(format!("connect: {error} | {error:?}"));

        // Setup: a plain-HTTP endpoint off loopback, and a token no header can carry.
        let remote = ClientOptions {
            endpoint: "http://backboard.railway.com/graphql/v2".into(),
            ..options(&server, token.clone())
        };
        let error = fetch(&remote, &everything(), &NoProgress).expect_err("setup");
        texts.push(format!("setup: {error} | {error:?} | {remote:?}"));

        // Per-service failures, each echoing the token, inside a Fetched.
        let mut server = Server::new();
        let _leaky = server
            .mock("POST", PATH)
            .match_body(Matcher::Regex(
                r#""operationName":"(VariablesForServiceDeployment|variables|ServiceInstance)""#
                    .into(),
            ))
            .with_body_from_request(|request| {
                graphql_error(&format!("Not Authorized {}", echoed(request))).into_bytes()
            })
            .create();
        let _project = operation(&mut server, "Project", json!({}))
            .with_body(data(json!({ "project": project() })))
            .create();
        let progress_messages = Mutex::new(Vec::new());
        let progress = |message: &str| {
            progress_messages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(message.to_string())
        };
        let fetched = fetch(&options(&server, token.clone()), &everything(), &progress)
            .expect("the project reads");
        assert_eq!(fetched.failures.len(), 2 + 2 * 3 * 3, "every read failed");
        let failures: Vec<String> = fetched.failures.iter().map(ToString::to_string).collect();
        texts.push(format!("fetched: {fetched:?} | {}", failures.join(" | ")));
        texts.extend(
            progress_messages
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
        );
    }

    for text in &texts {
        assert!(
            !text.contains(ACCOUNT_TOKEN) && !text.contains(PROJECT_TOKEN),
            "the token leaked: {text}"
        );
    }
    let scrubbed = texts.iter().filter(|t| t.contains("[redacted]")).count();
    assert!(
        scrubbed >= 18,
        "echoed tokens were masked, not dropped ({scrubbed})"
    );
}
