//! A mock of Railway's GraphQL API (railway.md section 2) on a mockito server, serving the
//! project of the 2026-04-24 incident: `molecule-platform` (`prj-1`) with environments
//! staging (`env-stg`) and production (`env-prod`) and services control-plane (`svc-cp`),
//! tenant (`svc-tenant`) and Postgres (`svc-pg`). Staging's control plane runs the tenant image
//! pinned to `:staging-a14cf86`, has no `HERMES_DEFAULT_MODEL` and a sealed `STRIPE_KEY`;
//! production floats on `:latest` and takes its model from a shared variable.
//!
//! One mock per GraphQL operation, routed on `operationName`; each answers from the request's
//! `variables`, so any mix of environments and services reads right. To make one request
//! fail, mount a fault (see [`operation`]) *before* [`incident_project`]: mockito answers with
//! the first-created matching mock that still expects hits, then with the last-created one.
//! Secret values here are fake.

use mockito::{Matcher, Mock, ServerGuard};
use serde_json::{json, Value};

/// Where the mock API listens on its server.
pub const PATH: &str = "/graphql/v2";
pub const PROJECT_ID: &str = "prj-1";
pub const PROJECT_NAME: &str = "molecule-platform";
pub const STAGING_TENANT_IMAGE: &str = "ghcr.io/molecule-ai/platform-tenant:staging-a14cf86";
pub const PRODUCTION_TENANT_IMAGE: &str = "ghcr.io/molecule-ai/platform-tenant:latest";
pub const POSTGRES_IMAGE: &str = "ghcr.io/railwayapp-templates/postgres-ssl:16";
/// `(id, name)` in the order the Project query lists them.
pub const ENVIRONMENTS: [(&str, &str); 2] = [("env-prod", "production"), ("env-stg", "staging")];
pub const SERVICES: [(&str, &str); 3] = [
    ("svc-cp", "control-plane"),
    ("svc-tenant", "tenant"),
    ("svc-pg", "Postgres"),
];

/// The endpoint to give the client: the server's URL and [`PATH`].
pub fn endpoint(server: &ServerGuard) -> String {
    format!("{}{PATH}", server.url())
}

/// A mock (not yet created) for the GraphQL operation `name` whose `variables` include
/// `variables` (`json!({})` for any).
pub fn operation(server: &mut ServerGuard, name: &str, variables: Value) -> Mock {
    server
        .mock("POST", PATH)
        .match_header("content-type", "application/json")
        .match_body(Matcher::PartialJson(
            json!({ "operationName": name, "variables": variables }),
        ))
}

/// `{"data": ...}` as a body.
pub fn data(data: Value) -> String {
    json!({ "data": data }).to_string()
}

/// A GraphQL error as Railway sends it inside an HTTP 200.
pub fn graphql_error(message: &str) -> String {
    json!({
        "errors": [{ "message": message, "extensions": { "code": "INTERNAL_SERVER_ERROR" } }],
        "data": null,
    })
    .to_string()
}

/// The incident project, answering any token.
pub fn incident_project(server: &mut ServerGuard) -> Vec<Mock> {
    mount(server, None)
}

/// The incident project, answering only requests that carry `header: value` and neither of
/// the two token headers otherwise (`authorization`, `project-access-token`).
pub fn incident_project_requiring(
    server: &mut ServerGuard,
    header: &str,
    value: &str,
) -> Vec<Mock> {
    mount(server, Some((header, value)))
}

fn mount(server: &mut ServerGuard, auth: Option<(&str, &str)>) -> Vec<Mock> {
    [
        "Project",
        "VariablesForServiceDeployment",
        "variables",
        "ServiceInstance",
    ]
    .into_iter()
    .map(|name| {
        let mut mock = operation(server, name, json!({}));
        if let Some((header, value)) = auth {
            for other in ["authorization", "project-access-token"] {
                if !other.eq_ignore_ascii_case(header) {
                    mock = mock.match_header(other, Matcher::Missing);
                }
            }
            mock = mock.match_header(header, value);
        }
        mock.with_header("content-type", "application/json")
            .with_body_from_request(move |request| {
                let body: Value = request
                    .body()
                    .ok()
                    .and_then(|body| serde_json::from_slice(body).ok())
                    .unwrap_or(Value::Null);
                incident_answer(name, &body["variables"])
                    .to_string()
                    .into_bytes()
            })
            .create()
    })
    .collect()
}

/// The whole answer of the incident project to `operation` with `variables`: `data`, or a
/// GraphQL error for ids it does not know.
pub fn incident_answer(operation: &str, variables: &Value) -> Value {
    let text = |field: &str| variables.get(field).and_then(Value::as_str);
    let environment = text("environmentId");
    let service = text("serviceId");
    let answer = match operation {
        "Project" if text("id") == Some(PROJECT_ID) => Some(json!({ "project": project() })),
        "Project" => Some(json!({ "project": null })),
        "VariablesForServiceDeployment" => environment
            .zip(service)
            .and_then(|(e, s)| rendered(e, s))
            .map(|vars| json!({ "variablesForServiceDeployment": vars })),
        "variables" => match service {
            Some(s) => environment.and_then(|e| unrendered(e, s)),
            None => environment.and_then(shared),
        }
        .map(|vars| json!({ "variables": vars })),
        "ServiceInstance" => environment
            .zip(service)
            .and_then(|(e, s)| instance(e, s))
            .map(|instance| json!({ "serviceInstance": instance })),
        _ => None,
    };
    match answer {
        Some(data) => json!({ "data": data }),
        None => json!({
            "errors": [{ "message": format!("{operation}: not found"), "extensions": { "code": "INTERNAL_SERVER_ERROR" } }],
            "data": null,
        }),
    }
}

/// The Project query's `project`.
pub fn project() -> Value {
    let edges = |pairs: &[(&str, &str)]| {
        json!({
            "edges": pairs
                .iter()
                .map(|(id, name)| json!({ "node": { "id": id, "name": name } }))
                .collect::<Vec<_>>()
        })
    };
    json!({
        "id": PROJECT_ID,
        "name": PROJECT_NAME,
        "environments": edges(&ENVIRONMENTS),
        "services": edges(&SERVICES),
    })
}

/// `variablesForServiceDeployment`: references resolved, built-ins added, sealed as `null`.
pub fn rendered(environment: &str, service: &str) -> Option<Value> {
    let name = environment_name(environment)?;
    let database_url =
        "postgresql://postgres:fake-pg-password@postgres.railway.internal:5432/railway";
    let builtins = |service_name: &str| {
        json!({
            "RAILWAY_ENVIRONMENT_NAME": name,
            "RAILWAY_ENVIRONMENT_ID": environment,
            "RAILWAY_PROJECT_ID": PROJECT_ID,
            "RAILWAY_SERVICE_NAME": service_name,
            "RAILWAY_PRIVATE_DOMAIN": format!("{}.railway.internal", service_name.to_lowercase()),
        })
    };
    let mut vars = match (environment, service) {
        ("env-stg", "svc-cp") => json!({
            "CP_PUBLIC_URL": "https://staging-api.moleculesai.app",
            "DATABASE_URL": database_url,
            "HERMES_TEMPLATE_REPO": "Molecule-AI/molecule-ai-workspace-template-hermes",
            "OPENAI_API_KEY": "sk-proj-FAKEfakeFAKEfake0123456789",
            "PORT": "8080",
            "STRIPE_KEY": null,
            "TENANT_IMAGE": STAGING_TENANT_IMAGE,
        }),
        ("env-prod", "svc-cp") => json!({
            "CP_PUBLIC_URL": "https://api.moleculesai.app",
            "DATABASE_URL": database_url,
            "HERMES_DEFAULT_MODEL": "openai/gpt-4o",
            "HERMES_TEMPLATE_REPO": "Molecule-AI/molecule-ai-workspace-template-hermes",
            "OPENAI_API_KEY": "sk-proj-FAKEprodFAKEprod0123456789",
            "PORT": "8080",
            "STRIPE_KEY": null,
            "TENANT_IMAGE": PRODUCTION_TENANT_IMAGE,
        }),
        (_, "svc-tenant") => json!({
            "CP_URL": if environment == "env-stg" { "https://staging-api.moleculesai.app" } else { "https://api.moleculesai.app" },
            "PORT": "3000",
        }),
        (_, "svc-pg") => json!({
            "DATABASE_URL": database_url,
            "PGDATA": "/var/lib/postgresql/data/pgdata",
            "POSTGRES_PASSWORD": "fake-pg-password",
        }),
        _ => return None,
    };
    let service_name = SERVICES.iter().find(|(id, _)| *id == service)?.1;
    merge(&mut vars, builtins(service_name));
    Some(vars)
}

/// `variables(unrendered: true)` for a service: as set, references kept.
pub fn unrendered(environment: &str, service: &str) -> Option<Value> {
    environment_name(environment)?;
    Some(match (environment, service) {
        ("env-stg", "svc-cp") => json!({
            "CP_PUBLIC_URL": "https://staging-api.moleculesai.app",
            "DATABASE_URL": "${{Postgres.DATABASE_URL}}",
            "HERMES_TEMPLATE_REPO": "Molecule-AI/molecule-ai-workspace-template-hermes",
            "OPENAI_API_KEY": "sk-proj-FAKEfakeFAKEfake0123456789",
            "PORT": "8080",
            "STRIPE_KEY": null,
            "TENANT_IMAGE": STAGING_TENANT_IMAGE,
        }),
        ("env-prod", "svc-cp") => json!({
            "CP_PUBLIC_URL": "https://api.moleculesai.app",
            "DATABASE_URL": "${{Postgres.DATABASE_URL}}",
            "HERMES_DEFAULT_MODEL": "${{shared.HERMES_DEFAULT_MODEL}}",
            "HERMES_TEMPLATE_REPO": "Molecule-AI/molecule-ai-workspace-template-hermes",
            "OPENAI_API_KEY": "sk-proj-FAKEprodFAKEprod0123456789",
            "PORT": "8080",
            "STRIPE_KEY": null,
            "TENANT_IMAGE": PRODUCTION_TENANT_IMAGE,
        }),
        (_, "svc-tenant") => json!({
            "CP_URL": "https://${{ control-plane.RAILWAY_PUBLIC_DOMAIN }}",
            "PORT": "3000",
        }),
        (_, "svc-pg") => json!({
            "DATABASE_URL": "postgresql://postgres:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/railway",
            "PGDATA": "/var/lib/postgresql/data/pgdata",
            "POSTGRES_PASSWORD": "fake-pg-password",
        }),
        _ => return None,
    })
}

/// An environment's shared variables.
pub fn shared(environment: &str) -> Option<Value> {
    match environment {
        "env-stg" => Some(json!({ "LOG_LEVEL": "debug" })),
        "env-prod" => Some(json!({ "HERMES_DEFAULT_MODEL": "openai/gpt-4o", "LOG_LEVEL": "info" })),
        _ => None,
    }
}

/// `serviceInstance`: the tenant and Postgres run images, the control plane builds from its
/// repository.
pub fn instance(environment: &str, service: &str) -> Option<Value> {
    let (image, repo) = match service {
        "svc-cp" => (None, Some("molecule-ai/molecule-core")),
        "svc-tenant" if environment == "env-stg" => (Some(STAGING_TENANT_IMAGE), None),
        "svc-tenant" => (Some(PRODUCTION_TENANT_IMAGE), None),
        "svc-pg" => (Some(POSTGRES_IMAGE), None),
        _ => return None,
    };
    environment_name(environment)?;
    let service_name = SERVICES.iter().find(|(id, _)| *id == service)?.1;
    Some(json!({ "serviceName": service_name, "source": { "image": image, "repo": repo } }))
}

fn environment_name(id: &str) -> Option<&'static str> {
    ENVIRONMENTS
        .iter()
        .find(|(environment, _)| *environment == id)
        .map(|(_, name)| *name)
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}
