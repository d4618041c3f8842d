//! Generated documentation stays in step with its source.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `docs/rules.md` is what `drift-lint rules --format markdown` prints for the built-in packs.
#[test]
fn rules_md_is_up_to_date() {
    let output = Command::new(env!("CARGO_BIN_EXE_drift-lint"))
        .args(["rules", "--format", "markdown"])
        .current_dir(root())
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).expect("UTF-8 output");
    let committed = std::fs::read_to_string(root().join("docs/rules.md")).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "docs/rules.md is out of date: run `cargo run -- rules --format markdown > docs/rules.md` \
             (first difference at line {line})"
        );
    }
}

/// Every built-in rule has a section, under its id, with each part of its docs.
#[test]
fn rules_md_documents_every_rule() {
    let rules = drift_lint::RuleSet::load(&drift_lint::Config::default()).expect("packs load");
    let page = drift_lint::report::rule_docs::markdown(&rules);
    for rule in &rules.rules {
        let heading = format!("## `{}`", rule.id);
        let at = page.find(&heading).unwrap_or_else(|| panic!("{heading}"));
        let section = &page[at..];
        let section = &section[..section[1..].find("\n## ").map_or(section.len(), |n| n + 1)];
        for part in [
            "### What it does",
            "### Why it matters",
            "### Example",
            "### Fix",
            rule.kind(),
            rule.summary.as_str(),
        ] {
            assert!(section.contains(part), "{}: no {part:?}", rule.id);
        }
        assert!(section.contains(rule.docs.fix.trim()), "{}: fix", rule.id);
    }
}
