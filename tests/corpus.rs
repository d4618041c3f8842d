//! The real-world corpus in `../shared/corpus/`, read in place (never copied): every input
//! file loads, or yields `parse-error` findings, and nothing panics. Skipped with a note
//! where the corpus is absent.

use std::path::{Path, PathBuf};

use drift_lint::{run, Options};

fn corpus() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("note: ../shared/corpus not found; corpus tests skipped");
        None
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("corpus folder reads")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Files in the input folders that are, on purpose, not inputs of drift-lint.
fn not_an_input(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    // Dependabot's config lives beside workflows but is not one; a `.env.patch` is a diff.
    name.ends_with("dependabot.yml") || name.ends_with(".patch")
}

#[test]
fn every_corpus_input_loads_or_reports_where_it_breaks() {
    let Some(corpus) = corpus() else { return };
    let outcome = run(&Options {
        paths: vec![corpus.clone()],
        ..Options::default()
    })
    .expect("the corpus run completes");
    let model = &outcome.model;
    assert!(model.unreadable.is_empty(), "{:?}", model.unreadable);
    let loaded: Vec<PathBuf> = model
        .files
        .iter()
        .map(|f| f.path.canonicalize().unwrap())
        .collect();
    let mut missing = Vec::new();
    for folder in [
        "dotenv",
        "railway",
        "workflows",
        "incident/before/.github",
        "incident/after/.github",
    ] {
        for path in files_under(&corpus.join(folder)) {
            let canonical = path.canonicalize().unwrap();
            if !loaded.contains(&canonical) && !not_an_input(&path) {
                missing.push(path);
            }
        }
    }
    // A file the name rules cannot place (a flattened `action.yml`) must at least be one
    // that does not parse: its content could not say what it is.
    missing.retain(|path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        drift_lint::yaml::parse(&text).is_ok()
    });
    assert!(missing.is_empty(), "corpus inputs not loaded: {missing:#?}");

    // Every span points inside its file, on character boundaries.
    for setting in &model.settings {
        for at in [&setting.key_at, &setting.value_at] {
            let text = &model.file(at.file).text;
            assert!(
                text.get(at.span.clone()).is_some(),
                "{} {:?}",
                setting.key,
                at
            );
        }
    }
    // Every finding of a parse problem names its file's place.
    let parse_errors = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "parse-error")
        .count();
    assert_eq!(parse_errors, model.parse_problems.len());
    eprintln!(
        "corpus: {} files, {} settings, {} publications, {} findings ({} parse errors)",
        model.files.len(),
        model.settings.len(),
        model.publications.len(),
        outcome.findings.len(),
        parse_errors
    );
}

#[test]
fn incident_before_publishes_only_sha_tags_and_after_adds_staging_latest() {
    let Some(corpus) = corpus() else { return };
    let publish = ".github/workflows/publish-workspace-server-image.yml";
    let tenant_tags = |side: &str| -> Vec<String> {
        let outcome = run(&Options {
            paths: vec![corpus.join("incident").join(side).join(publish)],
            ..Options::default()
        })
        .expect("runs");
        outcome
            .model
            .publications
            .iter()
            .map(|p| p.resolved.clone())
            .filter(|r| r.starts_with("ghcr.io/molecule-ai/platform-tenant:"))
            .collect()
    };
    assert_eq!(
        tenant_tags("before"),
        ["ghcr.io/molecule-ai/platform-tenant:staging-${{ steps.tags.outputs.sha }}"]
    );
    assert_eq!(
        tenant_tags("after"),
        [
            "ghcr.io/molecule-ai/platform-tenant:staging-${{ steps.tags.outputs.sha }}",
            "ghcr.io/molecule-ai/platform-tenant:staging-latest"
        ]
    );
}
