//! The official SARIF 2.1.0 schema, as a check on what drift-lint writes.

use std::path::Path;

use serde_json::Value;

/// Every error the official SARIF 2.1.0 schema finds in `sarif`, with its place.
pub fn schema_errors(sarif: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .expect("schema is checked in");
    let mut schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    // The schema's one typo: the `language` pattern of `run` and `toolComponent` has a stray
    // `]`, which the validator's meta-schema check rejects as a regex. drift-lint never
    // writes `language`; fix it here, leaving the checked-in file as published.
    for owner in ["run", "toolComponent"] {
        let pattern = &mut schema["definitions"][owner]["properties"]["language"]["pattern"];
        assert_eq!(pattern, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *pattern = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
