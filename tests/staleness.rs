//! Stale image tags through the real CLI: git history built in temporary directories, and a
//! registry on 127.0.0.1 (mockito). Nothing here leaves the machine.

mod support;

use std::path::{Path, PathBuf};

use support::history;

/// 2026-04-24T12:00:00Z, the day of the incident.
const INCIDENT_DAY: i64 = 1_777_032_000;

use support::run::{drift_lint_with, Run};

fn drift_lint(dir: &Path, args: &[&str], cache: &Path) -> Run {
    drift_lint_with(dir, args, |command| {
        command
            .env("DRIFT_LINT_NOW", INCIDENT_DAY.to_string())
            .env("DRIFT_LINT_CACHE_DIR", cache)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GHCR_TOKEN")
            .env("DOCKER_CONFIG", cache.join("no-docker-config"));
    })
}

/// The incident fixture in a temporary directory, with molecule-core's history beside it.
fn incident_with_history() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let fixture = temp.path().join("incident");
    support::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incident-2026-04-24"),
        &fixture,
    );
    history::build(&fixture.join("molecule-core"));
    (temp, fixture)
}

#[test]
fn the_incident_pin_fails_on_commits_behind_while_its_age_in_days_passes() {
    let (temp, fixture) = incident_with_history();
    let repo = fixture.join("molecule-core");
    assert!(history::model_env_commit(&repo).starts_with("572bdca7"));
    let root = history::git(&repo)
        .args(["rev-list", "--max-parents=0", "main"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&root.stdout).trim(),
        history::PINNED
    );
    let run = drift_lint(&fixture, &["--format", "json", "."], temp.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let stale = run.findings("stale-image-tag");
    assert_eq!(stale.len(), 1, "{stale:#?}");
    let finding = &stale[0];
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with("`staging-a14cf86` is 1,450 commits behind `main` (limit 100)"),
        "{message}"
    );
    assert!(
        message.contains("does not contain required commit `572bdca7`"),
        "{message}"
    );
    assert!(
        message.contains("committed 2026-04-21, 3 days before `main`'s head"),
        "{message}"
    );
    // Three days is within the 7-day limit: days alone would have passed this pin.
    assert!(!message.contains("limit 7 days"), "{message}");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["unknown"], false);
    assert_eq!(finding["file"], "railway/staging/control-plane.json");
    assert_eq!(finding["environment"], "staging");
}

#[test]
fn the_incident_pin_snapshot() {
    let (temp, fixture) = incident_with_history();
    let run = drift_lint(&fixture, &["--select", "stale-image-tag", "."], temp.path());
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(format!("exit: {}\n{}", run.code, run.stdout));
}

#[test]
fn days_alone_pass_the_pin_but_a_tighter_age_limit_catches_it() {
    let (temp, fixture) = incident_with_history();
    let config = fixture.join("drift-lint.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace(
        "require-commits = [\"572bdca7\"]",
        "max-commits-behind = 5000\nmax-age = \"36h\"",
    );
    std::fs::write(&config, text).unwrap();
    let run = drift_lint(
        &fixture,
        &["--format", "json", "--select", "stale-image-tag", "."],
        temp.path(),
    );
    let message = run.findings("stale-image-tag")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("was committed 3 days before `main`'s head (limit 36 hours)"),
        "{message}"
    );
    assert!(
        !message.contains("commits behind `main` (limit"),
        "{message}"
    );
}

#[test]
fn without_the_repository_the_age_is_unknown_not_passed() {
    let temp = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incident-2026-04-24");
    let run = drift_lint(
        &fixture,
        &["--format", "json", "--select", "stale-image-tag", "."],
        temp.path(),
    );
    let stale = run.findings("stale-image-tag");
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert_eq!(stale[0]["unknown"], true);
    assert_eq!(stale[0]["severity"], "warning");
    assert!(stale[0]["message"]
        .as_str()
        .unwrap()
        .contains("age of `staging-a14cf86` unknown"));
    assert_eq!(run.code, 0, "an unknown age is a warning: {}", run.stderr);
    let strict = drift_lint(
        &fixture,
        &["--select", "stale-image-tag", "--fail-on-unknown", "."],
        temp.path(),
    );
    assert_eq!(strict.code, 2, "{}", strict.stderr);
    assert!(
        strict.stderr.contains("could not be told"),
        "{}",
        strict.stderr
    );
}

#[test]
fn a_shallow_clone_says_fetch_full_history() {
    let (temp, fixture) = incident_with_history();
    let full = fixture.join("molecule-core");
    let shallow = fixture.join("shallow");
    let status = history::git(&fixture)
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", full.display()))
        .arg(&shallow)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(&full).unwrap();
    std::fs::rename(&shallow, &full).unwrap();
    let run = drift_lint(
        &fixture,
        &["--format", "json", "--select", "stale-image-tag", "."],
        temp.path(),
    );
    let finding = &run.findings("stale-image-tag")[0];
    assert_eq!(finding["unknown"], true, "{finding:#}");
    assert!(
        finding["message"].as_str().unwrap().contains("shallow"),
        "{finding:#}"
    );
    assert!(
        finding["help"].as_str().unwrap().contains("fetch-depth: 0"),
        "{finding:#}"
    );
}

#[test]
fn git_repo_flag_points_at_the_source_repository() {
    let (temp, fixture) = incident_with_history();
    let source = temp.path().join("elsewhere");
    std::fs::rename(fixture.join("molecule-core"), &source).unwrap();
    let config = fixture.join("drift-lint.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("repo = \"molecule-core\"\n", "");
    std::fs::write(&config, text).unwrap();
    let run = drift_lint(
        &fixture,
        &[
            "--format",
            "json",
            "--select",
            "stale-image-tag",
            "--git-repo",
            &source.to_string_lossy(),
            ".",
        ],
        temp.path(),
    );
    let message = run.findings("stale-image-tag")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("1,450 commits behind"), "{message}");
}

/// A registry on 127.0.0.1 serving one image: tag -> OCI manifest -> config blob.
mod registry {
    use drift_lint::registry::digest_of;

    pub struct Served {
        pub mocks: Vec<mockito::Mock>,
    }

    pub fn serve(
        server: &mut mockito::Server,
        repo: &str,
        tag: &str,
        created: &str,
        revision: &str,
    ) -> Served {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","created":"{created}","config":{{"Labels":{{"org.opencontainers.image.revision":"{revision}","org.opencontainers.image.source":"https://github.com/molecule-ai/molecule-core"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let config_digest = digest_of(config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
            config.len()
        );
        let manifest_digest = digest_of(manifest.as_bytes());
        let tag_mock = server
            .mock("GET", format!("/v2/{repo}/manifests/{tag}").as_str())
            .with_status(200)
            .with_header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .with_header("docker-content-digest", &manifest_digest)
            .with_body(manifest)
            .expect_at_most(1)
            .create();
        let blob_mock = server
            .mock("GET", format!("/v2/{repo}/blobs/{config_digest}").as_str())
            .with_status(200)
            .with_header("content-type", "application/vnd.oci.image.config.v1+json")
            .with_body(config)
            .expect_at_most(1)
            .create();
        Served {
            mocks: vec![tag_mock, blob_mock],
        }
    }
}

/// A work folder whose staging export floats `TENANT_IMAGE` on the server's `:staging-latest`.
fn tenant_export(temp: &Path, server: &mockito::Server) -> PathBuf {
    let work = temp.join("work");
    write_export(
        &work,
        &format!(
            "{}/molecule-ai/platform-tenant:staging-latest",
            server.host_with_port()
        ),
    );
    work
}

fn write_export(dir: &Path, image: &str) {
    let export = dir.join("railway/staging");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::write(
        export.join("control-plane.json"),
        format!("{{\n  \"TENANT_IMAGE\": \"{image}\"\n}}\n"),
    )
    .unwrap();
}

#[test]
fn online_a_floating_tag_built_40_days_ago_means_its_pipeline_stopped() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("molecule-core");
    history::build(&repo);
    let mut server = mockito::Server::new();
    let served = registry::serve(
        &mut server,
        "molecule-ai/platform-tenant",
        "staging-latest",
        "2026-03-15T12:00:00Z",
        history::PINNED,
    );
    let work = tenant_export(temp.path(), &server);
    let run = drift_lint(
        &work,
        &[
            "--format",
            "json",
            "--select",
            "stale-image-tag",
            "--online",
            "--git-repo",
            &repo.to_string_lossy(),
            ".",
        ],
        temp.path(),
    );
    for mock in &served.mocks {
        mock.assert();
    }
    let stale = run.findings("stale-image-tag");
    assert_eq!(stale.len(), 1, "{}\n{}", run.stdout, run.stderr);
    let message = stale[0]["message"].as_str().unwrap();
    // The registry's build time and, through the revision label, git's count: both shown.
    assert!(
        message.contains("1,450 commits behind `main` (limit 100)"),
        "{message}"
    );
    assert!(
        message.contains("was built 2026-03-15, 40 days ago (limit 7 days)"),
        "{message}"
    );
    assert!(
        message.contains("its pipeline has likely stopped"),
        "{message}"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn online_a_fresh_floating_tag_passes() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("molecule-core");
    history::build(&repo);
    let head = history::git(&repo)
        .args(["rev-parse", "main"])
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let mut server = mockito::Server::new();
    let _served = registry::serve(
        &mut server,
        "molecule-ai/platform-tenant",
        "staging-latest",
        "2026-04-24T09:15:00Z",
        &head,
    );
    let work = tenant_export(temp.path(), &server);
    let run = drift_lint(
        &work,
        &[
            "--format",
            "json",
            "--online",
            "--git-repo",
            &repo.to_string_lossy(),
            ".",
        ],
        temp.path(),
    );
    assert!(run.findings("stale-image-tag").is_empty(), "{}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn online_a_failed_lookup_is_unknown_and_names_image_and_registry() {
    let temp = tempfile::tempdir().unwrap();
    let mut server = mockito::Server::new();
    let missing = server
        .mock(
            "GET",
            "/v2/molecule-ai/platform-tenant/manifests/staging-latest",
        )
        .with_status(404)
        .with_body(r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#)
        .create();
    let work = tenant_export(temp.path(), &server);
    let host = server.host_with_port();
    let run = drift_lint(&work, &["--format", "json", "--online", "."], temp.path());
    missing.assert();
    let stale = run.findings("stale-image-tag");
    assert_eq!(stale.len(), 1, "{}", run.stdout);
    assert_eq!(stale[0]["unknown"], true);
    let message = stale[0]["message"].as_str().unwrap();
    assert!(
        message.contains("age of `staging-latest` unknown"),
        "{message}"
    );
    assert!(
        message.contains(&host) && message.contains("404"),
        "{message}"
    );
    let strict = drift_lint(&work, &["--online", "--fail-on-unknown", "."], temp.path());
    assert_eq!(strict.code, 2, "{}", strict.stderr);
}

#[test]
fn offline_makes_no_request_even_when_the_config_says_online() {
    let temp = tempfile::tempdir().unwrap();
    let mut server = mockito::Server::new();
    let untouched = server.mock("GET", mockito::Matcher::Any).expect(0).create();
    let work = tenant_export(temp.path(), &server);
    std::fs::write(work.join("drift-lint.toml"), "[staleness]\nonline = true\n").unwrap();
    let run = drift_lint(&work, &["--format", "json", "--offline", "."], temp.path());
    untouched.assert();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

/// Each registry fault through the CLI: a clear message and the right exit code, and none
/// hangs. With `--fail-on-unknown`, an age that could not be told exits 2; a fault that a
/// retry overcomes leaves a fresh image clean (exit 0).
#[test]
fn online_registry_faults_give_clear_messages_and_exit_codes() {
    use std::time::{Duration, Instant};
    let manifest_path = "/v2/molecule-ai/platform-tenant/manifests/staging-latest".to_string();
    type Setup = fn(&mut mockito::Server, &str) -> Vec<mockito::Mock>;
    let fresh: fn(&mut mockito::Server) -> Vec<mockito::Mock> = |server| {
        registry::serve(
            server,
            "molecule-ai/platform-tenant",
            "staging-latest",
            "2026-04-24T09:00:00Z",
            history::PINNED,
        )
        .mocks
    };
    let cases: Vec<(&str, Setup, i32, &str)> = vec![
        (
            "401 without a challenge",
            |server, path| vec![server.mock("GET", path).with_status(401).create()],
            2,
            "401",
        ),
        (
            "404 tag",
            |server, path| vec![server.mock("GET", path).with_status(404).create()],
            2,
            "404",
        ),
        (
            "malformed manifest",
            |server, path| {
                vec![server
                    .mock("GET", path)
                    .with_status(200)
                    .with_header("content-type", "application/vnd.oci.image.manifest.v1+json")
                    .with_body("{\"schemaVersion\": 2, \"config\": ")
                    .create()]
            },
            2,
            "manifest",
        ),
        (
            "slower than the timeout",
            |server, path| {
                vec![server
                    .mock("GET", path)
                    .with_body_from_request(|_| {
                        std::thread::sleep(std::time::Duration::from_millis(2_500));
                        b"{}".to_vec()
                    })
                    .create()]
            },
            2,
            "",
        ),
    ];
    for (name, setup, expected, says) in cases {
        let temp = tempfile::tempdir().unwrap();
        let mut server = mockito::Server::new();
        let _mocks = setup(&mut server, &manifest_path);
        let work = tenant_export(temp.path(), &server);
        std::fs::write(work.join("drift-lint.toml"), "[staleness]\ntimeout = 1\n").unwrap();
        let started = Instant::now();
        let run = drift_lint(
            &work,
            &["--format", "json", "--online", "--fail-on-unknown", "."],
            temp.path(),
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name}: took {:?}",
            started.elapsed()
        );
        assert_eq!(run.code, expected, "{name}: {}\n{}", run.stdout, run.stderr);
        let finding = &run.findings("stale-image-tag")[0];
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.contains("unknown") && message.contains(says),
            "{name}: {message}"
        );
        assert!(
            message.contains(&server.host_with_port()),
            "{name}: {message}"
        );
    }
    // Faults a retry overcomes: 429 with Retry-After, and a 500, then the real answer.
    for (name, status, header) in [
        ("429 then success", 429, Some(("retry-after", "1"))),
        ("500 then success", 500, None),
    ] {
        let temp = tempfile::tempdir().unwrap();
        let mut server = mockito::Server::new();
        let mut fault = server
            .mock("GET", manifest_path.as_str())
            .with_status(status)
            .expect(1);
        if let Some((header, value)) = header {
            fault = fault.with_header(header, value);
        }
        let fault = fault.create();
        let _served = fresh(&mut server);
        let work = tenant_export(temp.path(), &server);
        let run = drift_lint(
            &work,
            &["--format", "json", "--online", "--fail-on-unknown", "."],
            temp.path(),
        );
        fault.assert();
        assert_eq!(run.code, 0, "{name}: {}\n{}", run.stdout, run.stderr);
    }
}
