//! `drift-lint railway` and `--railway` through the real binary, against a mock of Railway's
//! GraphQL API on 127.0.0.1 (mockito) serving the 2026-04-24 incident project. Nothing here
//! leaves the machine.

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::railway_mock::{self, endpoint, graphql_error, incident_project, operation};

/// A token that must never appear in any output, file or message.
const TOKEN: &str = "rw-acct-SECRET-0d9f8e7c6b5a4f3e2d1c";

use support::run::{drift_lint_with, Run};

/// Run in `dir` with the account token set and every other Railway variable cleared.
fn drift_lint(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    drift_lint_with(dir, args, |command| {
        command.env("DRIFT_LINT_CACHE_DIR", dir.join(".cache"));
        for name in [
            "RAILWAY_TOKEN",
            "RAILWAY_API_TOKEN",
            "RAILWAY_PROJECT_ID",
            "RAILWAY_ENVIRONMENT_ID",
            "RAILWAY_SERVICE_ID",
            "RAILWAY_GRAPHQL_ENDPOINT",
        ] {
            command.env_remove(name);
        }
        command.env("RAILWAY_API_TOKEN", TOKEN);
        for (name, value) in env {
            command.env(name, value);
        }
    })
}

/// The incident project, with the rendered variables of one service refused the way a
/// token scoped to other environments is refused: inside an HTTP 200, not retried.
fn incident_refusing(
    environment: &str,
    service: &str,
) -> (mockito::ServerGuard, Vec<mockito::Mock>) {
    let mut server = mockito::Server::new();
    let mut mocks = vec![operation(
        &mut server,
        "VariablesForServiceDeployment",
        json!({ "environmentId": environment, "serviceId": service }),
    )
    .with_body(graphql_error("Not Authorized"))
    .create()];
    mocks.extend(incident_project(&mut server));
    (server, mocks)
}

/// A baseline of what `server` serves now, in a temporary directory.
fn write_live_baseline(server: &mockito::ServerGuard) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir
        .path()
        .join("baseline.json")
        .to_string_lossy()
        .into_owned();
    let (_d, written) = live(server, &["--write-baseline", &baseline]);
    assert_eq!(written.code, 0, "{}", written.transcript());
    (dir, baseline)
}

/// `drift-lint railway --project prj-1 --railway-endpoint <mock> ARGS` in a fresh directory.
fn live(server: &mockito::ServerGuard, args: &[&str]) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let url = endpoint(server);
    let mut all = vec![
        "railway",
        "--project",
        railway_mock::PROJECT_ID,
        "--railway-endpoint",
        &url,
        // Outside a git repository a SHA pin's age is unknown: not what these tests are about.
        "--ignore",
        "stale-image-tag",
    ];
    all.extend_from_slice(args);
    let run = drift_lint(dir.path(), &all, &[]);
    (dir, run)
}

fn assert_no_secrets(run: &Run) {
    for secret in [TOKEN, "sk-proj-FAKE", "fake-pg-password"] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "`{secret}` leaked:\n{}",
            run.transcript()
        );
    }
}

#[test]
fn the_incident_replayed_live() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let (_dir, run) = live(&server, &[]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_no_secrets(&run);
    let text = run.transcript().replace(&server.url(), "[MOCK]");
    insta::assert_snapshot!(text);
}

#[test]
fn live_findings_are_located_by_railway_uri() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let (_dir, run) = live(&server, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(
        run.rules_and_places(),
        [
            "hermes-model-unset railway://molecule-platform/staging/control-plane/HERMES_TEMPLATE_REPO",
            // The silent fallback model's provider needs a key staging does not have.
            "hermes-provider-key-missing railway://molecule-platform/staging/control-plane/HERMES_TEMPLATE_REPO",
            "sha-pinned-image railway://molecule-platform/staging/control-plane/TENANT_IMAGE",
            "sha-pinned-image railway://molecule-platform/staging/tenant/source.image",
        ]
    );
    // 3 services in each of 2 environments, plus each environment's shared variables.
    assert_eq!(run.json()["summary"]["live_sources"], 8);
    assert_eq!(run.json()["summary"]["files"], 0);
    let first = &run.json()["findings"][2];
    assert_eq!(first["line"], Value::Null);
    assert_eq!(first["span"], Value::Null);
    assert_eq!(first["environment"], "staging");
    assert_eq!(first["service"], "control-plane");
}

#[test]
fn environments_and_services_can_be_narrowed_by_name() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let (_dir, run) = live(
        &server,
        &[
            "--environment",
            "production",
            "--service",
            "control-plane",
            "--format",
            "json",
        ],
    );
    // Production floats on :latest and takes its model from a shared variable: clean.
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.rules_and_places(), Vec::<String>::new());
}

#[test]
fn an_unknown_environment_names_the_real_ones() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let (_dir, run) = live(&server, &["--environment", "stagign"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("stagign"), "{}", run.stderr);
    assert!(run.stderr.contains("staging"), "{}", run.stderr);
}

#[test]
fn the_target_comes_from_drift_lint_toml() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("drift-lint.toml"),
        format!(
            "[railway]\nproject = \"prj-1\"\nenvironments = [\"staging\"]\nservices = [\"tenant\"]\nendpoint = \"{}\"\n\n[severity]\nstale-image-tag = \"off\"\n",
            endpoint(&server)
        ),
    )
    .unwrap();
    // Railway sets these inside its own deployments; the config file wins over them.
    let run = drift_lint(
        dir.path(),
        &["railway", "--format", "json"],
        &[
            ("RAILWAY_ENVIRONMENT_ID", "env-prod"),
            ("RAILWAY_SERVICE_ID", "svc-cp"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(
        run.rules_and_places(),
        ["sha-pinned-image railway://molecule-platform/staging/tenant/source.image"]
    );
}

#[test]
fn files_and_the_live_project_together() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env.production"),
        "WORKER_IMAGE=ghcr.io/molecule-ai/worker:0c1d2e3\n",
    )
    .unwrap();
    let url = endpoint(&server);
    let run = drift_lint(
        dir.path(),
        &[
            ".",
            "--railway",
            "--project",
            "prj-1",
            "--railway-endpoint",
            &url,
            "--environment",
            "production",
            "--ignore",
            "stale-image-tag",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(run.rules_and_places(), ["sha-pinned-image .env.production"]);
}

#[test]
fn a_broken_reference_is_an_error() {
    let mut server = mockito::Server::new();
    let _broken = operation(
        &mut server,
        "variables",
        json!({ "environmentId": "env-prod", "serviceId": "svc-cp" }),
    )
    .with_body(
        json!({ "data": { "variables": {
            "DATABASE_URL": "${{ Postgress.DATABASE_URL }}",
            "HERMES_DEFAULT_MODEL": "${{shared.HERMES_MODEL}}",
            "CP_PUBLIC_URL": "https://${{ tenant.RAILWAY_PUBLIC_DOMAIN }}",
            "PORT": "${{ PORT_NUMBER }}",
        }}})
        .to_string(),
    )
    .create();
    let _mocks = incident_project(&mut server);
    let (_dir, run) = live(
        &server,
        &["--environment", "production", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    let messages: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "railway-broken-reference")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        messages,
        [
            "`DATABASE_URL` references `${{ Postgress.DATABASE_URL }}`, but production has no service `Postgress` (did you mean `Postgres`?)",
            "`HERMES_DEFAULT_MODEL` references `${{shared.HERMES_MODEL}}`, but production has no shared variable `HERMES_MODEL`",
            "`PORT` references `${{ PORT_NUMBER }}`, but service `control-plane` has no variable `PORT_NUMBER` in production",
        ]
    );
}

#[test]
fn one_service_failing_hides_nothing_else_and_exits_2() {
    let (server, _mocks) = incident_refusing("env-prod", "svc-cp");
    let (_dir, run) = live(&server, &["--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    // Staging was still read and checked.
    assert!(
        run.rules_and_places().contains(
            &"sha-pinned-image railway://molecule-platform/staging/control-plane/TENANT_IMAGE"
                .to_string()
        ),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr
            .contains("could not read from Railway: production/control-plane"),
        "{}",
        run.stderr
    );
    assert_no_secrets(&run);
}

#[test]
fn the_api_down_exits_2_and_says_why() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/graphql/v2");
    let run = drift_lint(
        dir.path(),
        &["railway", "--project", "prj-1", "--railway-endpoint", &url],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("127.0.0.1"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.transcript());
    assert_no_secrets(&run);
}

#[test]
fn a_refusal_inside_http_200_names_the_token_kind() {
    let mut server = mockito::Server::new();
    let _refused = operation(&mut server, "Project", json!({}))
        .with_body(graphql_error("Not Authorized"))
        .create();
    let (_dir, run) = live(&server, &[]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("RAILWAY_API_TOKEN"), "{}", run.stderr);
    assert!(run.stderr.contains("Not Authorized"), "{}", run.stderr);
    assert_no_secrets(&run);
}

#[test]
fn offline_with_railway_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = drift_lint(
        dir.path(),
        &["railway", "--project", "prj-1", "--offline"],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("--offline"), "{}", run.stderr);
}

#[test]
fn no_token_is_a_usage_error_that_names_both_variables() {
    let dir = tempfile::tempdir().unwrap();
    let run = drift_lint(
        dir.path(),
        &["railway", "--project", "prj-1"],
        &[("RAILWAY_API_TOKEN", "")],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stderr.contains("RAILWAY_API_TOKEN") && run.stderr.contains("RAILWAY_TOKEN"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_project_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = drift_lint(dir.path(), &["railway"], &[]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("--project"), "{}", run.stderr);
}

#[test]
fn the_token_appears_in_no_format_no_baseline_and_no_error() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let dir = tempfile::tempdir().unwrap();
    let url = endpoint(&server);
    let baseline = dir.path().join("baseline.json");
    let baseline_arg = baseline.to_string_lossy().into_owned();
    let base = ["railway", "--project", "prj-1", "--railway-endpoint", &url];
    for format in FORMATS {
        let mut args = base.to_vec();
        args.extend(["--format", format, "--show-suppressed", "--statistics"]);
        let run = drift_lint(dir.path(), &args, &[]);
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert_no_secrets(&run);
    }
    let mut args = base.to_vec();
    args.extend(["--write-baseline", &baseline_arg]);
    let run = drift_lint(dir.path(), &args, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let written = std::fs::read_to_string(&baseline).unwrap();
    for secret in [TOKEN, "sk-proj-FAKE", "fake-pg-password"] {
        assert!(
            !written.contains(secret),
            "{secret} in the baseline:\n{written}"
        );
    }
    // A project token, refused: the message names it, and does not show it.
    let mut refused = mockito::Server::new();
    let _no = operation(&mut refused, "Project", json!({}))
        .with_body(graphql_error("Project Token not found"))
        .create();
    let refused_url = endpoint(&refused);
    let run = drift_lint(
        dir.path(),
        &[
            "railway",
            "--project",
            "prj-1",
            "--railway-endpoint",
            &refused_url,
        ],
        &[("RAILWAY_API_TOKEN", ""), ("RAILWAY_TOKEN", TOKEN)],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("RAILWAY_TOKEN"), "{}", run.stderr);
    assert_no_secrets(&run);
}

#[test]
fn a_live_baseline_round_trip() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let (_dir, baseline_arg) = write_live_baseline(&server);
    let (_d, again) = live(&server, &["--baseline", &baseline_arg]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert!(
        again
            .stderr
            .contains("4 known finding(s) hidden, 0 new, 0 fixed"),
        "{}",
        again.stderr
    );
    // Production's tenant is pinned too, overnight: only that fails.
    let mut drifted = mockito::Server::new();
    let _pinned = operation(
        &mut drifted,
        "ServiceInstance",
        json!({ "environmentId": "env-prod", "serviceId": "svc-tenant" }),
    )
    .with_body(
        json!({ "data": { "serviceInstance": { "serviceName": "tenant", "source": {
            "image": "ghcr.io/molecule-ai/platform-tenant:0c1d2e3", "repo": null } } } })
        .to_string(),
    )
    .create();
    let _mocks = incident_project(&mut drifted);
    let (_d, new) = live(&drifted, &["--baseline", &baseline_arg, "--format", "json"]);
    assert_eq!(new.code, 1, "{}", new.transcript());
    assert_eq!(
        new.rules_and_places(),
        ["sha-pinned-image railway://molecule-platform/production/tenant/source.image"]
    );
}

#[test]
fn live_sarif_is_valid_and_locates_by_uri() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let (_dir, run) = live(&server, &["--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let errors = support::sarif::schema_errors(&sarif);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let names: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        names.contains(&"railway://molecule-platform/staging/control-plane/TENANT_IMAGE"),
        "{names:?}"
    );
}

#[test]
fn what_could_not_be_read_is_not_reported_as_fixed() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let (_dir, baseline_arg) = write_live_baseline(&server);

    let (failing, _mocks) = incident_refusing("env-stg", "svc-cp");
    let (_d, run) = live(&failing, &["--baseline", &baseline_arg]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        !run.stderr.contains("fixed since the baseline"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("not reporting them as fixed"),
        "{}",
        run.stderr
    );
}

const FORMATS: [&str; 6] = ["human", "json", "sarif", "github", "markdown", "junit"];

/// Secrets that only the unrendered text or a reference reveals stay hidden too: the
/// literal part of a secret key's unrendered value, a value rendered from a secret-named
/// shared variable, and a value that needed JSON escaping around a broken reference.
#[test]
fn secrets_behind_references_never_show() {
    let mut server = mockito::Server::new();
    let ids = json!({ "environmentId": "env-stg", "serviceId": "svc-cp" });
    let _rendered = operation(&mut server, "VariablesForServiceDeployment", ids.clone())
        .with_body(
            json!({ "data": { "variablesForServiceDeployment": {
                "API_KEY": "sk-live-HIDDENPART-prod",
                "STRIPE": "sk_live_HIDDENSTRIPE123",
                "CONFIG": "{\"pw\":\"HIDDENJSONPW\"}",
                "TENANT_IMAGE": "ghcr.io/molecule-ai/platform-tenant:staging-a14cf86",
            }}})
            .to_string(),
        )
        // Once per format below: mockito serves a mock first while it expects more hits.
        .expect(FORMATS.len())
        .create();
    let _unrendered = operation(&mut server, "variables", ids)
        .with_body(
            json!({ "data": { "variables": {
                "API_KEY": "sk-live-HIDDENPART-${{shared.SUFFIX}}",
                "STRIPE": "${{shared.STRIPE_SECRET_KEY}}",
                "CONFIG": "{\"pw\":\"HIDDENJSONPW\",\"url\":\"${{Missing.URL}}\"}",
                "TENANT_IMAGE": "ghcr.io/molecule-ai/platform-tenant:staging-a14cf86",
            }}})
            .to_string(),
        )
        // Once per format below: mockito serves a mock first while it expects more hits.
        .expect(FORMATS.len())
        .create();
    let _mocks = incident_project(&mut server);
    for format in ["human", "json", "sarif", "github", "markdown", "junit"] {
        let (_dir, run) = live(
            &server,
            &[
                "--environment",
                "staging",
                "--format",
                format,
                "--show-suppressed",
            ],
        );
        assert_eq!(run.code, 1, "{}", run.transcript());
        for secret in ["HIDDENPART", "HIDDENSTRIPE"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format}: `{secret}` leaked:\n{}",
                run.transcript()
            );
        }
        if format == "json" {
            // `CONFIG` is no secret-looking key, so its value may show in a snippet; but a
            // message quotes only the reference, never the value around it.
            let messages = run.json()["findings"].to_string();
            assert!(!messages.contains("HIDDENJSONPW"), "{messages}");
            let broken: Vec<String> = run
                .findings("railway-broken-reference")
                .iter()
                .map(|f| f["message"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                broken,
                [
                    "`API_KEY` references `${{shared.SUFFIX}}`, but staging has no shared variable `SUFFIX`",
                    "`CONFIG` references `${{Missing.URL}}`, but staging has no service `Missing` (it has `Postgres`, `control-plane`, `tenant`)",
                    "`STRIPE` references `${{shared.STRIPE_SECRET_KEY}}`, but staging has no shared variable `STRIPE_SECRET_KEY`",
                ]
            );
        }
    }
}

/// One drift-lint.toml serves the pre-merge job (files) and the nightly job (live): each
/// judges only the `[[ignore]]` tables and baseline entries it could have seen.
#[test]
fn ignore_tables_and_baselines_are_judged_only_where_they_apply() {
    let mut server = mockito::Server::new();
    let _mocks = incident_project(&mut server);
    let dir = tempfile::tempdir().unwrap();
    support::write_file(
        dir.path(),
        "drift-lint.toml",
        &format!(
            r#"[railway]
project = "prj-1"
endpoint = "{}"

[severity]
stale-image-tag = "off"

[[ignore]]
rule = "sha-pinned-image"
path = "railway://molecule-platform/staging/control-plane/TENANT_IMAGE"
reason = "rollback pin while #1203 ships"

[[ignore]]
rule = "sha-pinned-image"
path = ".env.production"
reason = "worker pinned during the queue migration"
"#,
            endpoint(&server)
        ),
    );
    support::write_file(
        dir.path(),
        ".env.production",
        "WORKER_IMAGE=ghcr.io/molecule-ai/worker:0c1d2e3\n",
    );
    support::write_file(
        dir.path(),
        ".env.staging",
        "API_IMAGE=ghcr.io/molecule-ai/api:staging-0c1d2e3\n",
    );
    let unused = |run: &Run| run.findings("unused-suppression").len();

    let files = drift_lint(dir.path(), &[".", "--format", "json"], &[]);
    assert_eq!(unused(&files), 0, "{}", files.transcript());
    let live_only = drift_lint(dir.path(), &["railway", "--format", "json"], &[]);
    assert_eq!(unused(&live_only), 0, "{}", live_only.transcript());
    assert_eq!(live_only.json()["summary"]["suppressed"], 1);

    // A baseline of both, checked live only: the file's entry is not "fixed".
    let both = drift_lint(
        dir.path(),
        &[
            ".",
            "--railway",
            "--write-baseline",
            "baseline.json",
            "--ignore",
            "hermes-model-unset,hermes-provider-key-missing",
        ],
        &[],
    );
    assert_eq!(both.code, 0, "{}", both.transcript());
    let live_only = drift_lint(
        dir.path(),
        &[
            "railway",
            "--baseline",
            "baseline.json",
            "--ignore",
            "hermes-model-unset,hermes-provider-key-missing",
        ],
        &[],
    );
    assert!(
        !live_only.stderr.contains("fixed since the baseline"),
        "{}",
        live_only.transcript()
    );
}
