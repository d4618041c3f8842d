//! Railway reading benchmark: a project of 2 environments x 25 services behind a slow
//! loopback API.
//!
//! `cargo bench --bench railway`. A mockito server on 127.0.0.1 answers every GraphQL read
//! of the project (151 requests: the project, 2 shared-variable reads, and 3 reads per
//! service per environment), each delayed by 20 ms the way Railway's latency would delay it.
//! It times the fetch with 1, 4 and 8 requests in flight, then a whole `drift-lint railway`
//! run through the library (fetch, model, every rule). It prints a table; it asserts nothing
//! about time. Pacing is off on loopback, so this measures concurrency alone.

use std::io::Write;
use std::time::{Duration, Instant};

use drift_lint::railway_api::{fetch, ClientOptions, NoProgress, Target, Token};
use mockito::{Matcher, Mock, Server, ServerGuard};
use serde_json::{json, Value};

const SERVICES: usize = 25;
const ENVIRONMENTS: [(&str, &str); 2] = [("env-stg", "staging"), ("env-prod", "production")];
const DELAY: Duration = Duration::from_millis(20);
const PATH: &str = "/graphql/v2";

/// A mock for `operation` with `variables`, answering `data` after [`DELAY`].
fn slow(server: &mut ServerGuard, operation: &str, variables: Value, data: Value) -> Mock {
    let matcher =
        Matcher::PartialJson(json!({ "operationName": operation, "variables": variables }));
    slow_matching(server, matcher, data)
}

fn slow_matching(server: &mut ServerGuard, matcher: Matcher, data: Value) -> Mock {
    let body = json!({ "data": data }).to_string();
    server
        .mock("POST", PATH)
        .match_body(matcher)
        .with_header("content-type", "application/json")
        .with_chunked_body(move |writer: &mut dyn Write| {
            std::thread::sleep(DELAY);
            writer.write_all(body.as_bytes())
        })
        .create()
}

fn project(server: &mut ServerGuard) -> Vec<Mock> {
    let edges = |nodes: Vec<(String, String)>| json!({ "edges": nodes.into_iter().map(|(id, name)| json!({ "node": { "id": id, "name": name } })).collect::<Vec<_>>() });
    let services: Vec<(String, String)> = (0..SERVICES)
        .map(|i| (format!("svc-{i}"), format!("service-{i}")))
        .collect();
    let mut mocks = vec![slow(
        server,
        "Project",
        json!({}),
        json!({ "project": {
            "id": "prj-bench",
            "name": "bench",
            "environments": edges(ENVIRONMENTS.iter().map(|(id, name)| (id.to_string(), name.to_string())).collect()),
            "services": edges(services.clone()),
        }}),
    )];
    for (env, name) in ENVIRONMENTS {
        // The shared read names no service: the environment id is followed by `unrendered`.
        mocks.push(slow_matching(
            server,
            Matcher::Regex(format!(r#""environmentId":"{env}","unrendered":true"#)),
            json!({ "variables": { "HERMES_DEFAULT_MODEL": "openai/gpt-4o" } }),
        ));
        for (i, (svc, _)) in services.iter().enumerate() {
            let ids = json!({ "environmentId": env, "serviceId": svc });
            let tag = if i % 5 == 0 {
                format!("{name}-a14cf86")
            } else {
                format!("{name}-latest")
            };
            let vars = json!({
                "APP_IMAGE": format!("ghcr.io/bench/app-{i}:{tag}"),
                "DATABASE_URL": "postgresql://app:secret@db:5432/app",
                "HERMES_DEFAULT_MODEL": "openai/gpt-4o",
                "OPENAI_API_KEY": null,
                "PORT": "8080",
            });
            mocks.push(slow(
                server,
                "VariablesForServiceDeployment",
                ids.clone(),
                json!({ "variablesForServiceDeployment": vars }),
            ));
            let mut unrendered = vars.clone();
            unrendered["HERMES_DEFAULT_MODEL"] = json!("${{shared.HERMES_DEFAULT_MODEL}}");
            mocks.push(slow(
                server,
                "variables",
                ids.clone(),
                json!({ "variables": unrendered }),
            ));
            mocks.push(slow(
                server,
                "ServiceInstance",
                ids,
                json!({ "serviceInstance": { "serviceName": svc, "source": { "image": format!("ghcr.io/bench/app-{i}:{tag}"), "repo": null } } }),
            ));
        }
    }
    mocks
}

fn main() {
    let mut server = Server::new();
    let _mocks = project(&mut server);
    let endpoint = format!("{}{PATH}", server.url());
    let target = Target {
        project: "prj-bench".into(),
        ..Target::default()
    };
    println!("{:<34} {:>9} {:>9}", "run", "time", "services");
    for in_flight in [1, 4, 8] {
        let options = ClientOptions {
            endpoint: endpoint.clone(),
            max_in_flight: in_flight,
            ..ClientOptions::new(Token::Account("bench-token".into()))
        };
        let started = Instant::now();
        let fetched = fetch(&options, &target, &NoProgress).expect("the mock answers");
        let services: usize = fetched
            .project
            .environments
            .iter()
            .map(|e| e.services.len())
            .sum();
        assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
        println!(
            "{:<34} {:>8.2}s {:>9}",
            format!("fetch, {in_flight} in flight"),
            started.elapsed().as_secs_f64(),
            services
        );
    }
    // The whole run as `drift-lint railway` does it: fetch (4 in flight), model, rules.
    std::env::set_var("RAILWAY_API_TOKEN", "bench-token");
    let dir = std::env::temp_dir().join("drift-lint-bench-railway");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let options = drift_lint::Options {
        paths: vec![dir],
        select: vec![],
        railway: Some(drift_lint::RailwayOptions {
            project: Some("prj-bench".into()),
            endpoint: Some(endpoint),
            files: false,
            ..Default::default()
        }),
        ignore: vec!["stale-image-tag".into()],
        ..Default::default()
    };
    let started = Instant::now();
    let outcome = drift_lint::run(&options).expect("the run succeeds");
    println!(
        "{:<34} {:>8.2}s {:>9}   {} findings",
        "drift-lint railway (whole run)",
        started.elapsed().as_secs_f64(),
        outcome.model.files.len(),
        outcome.findings.len()
    );
}
