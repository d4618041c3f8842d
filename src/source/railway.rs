//! Railway inputs: `railway variables --json` / `--kv` exports, the
//! `railway environment config --json` blob, and `railway.json` / `railway.toml`.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::dotenv_syntax::parse_railway_kv;
use super::{Loaded, ScopeHint};
use crate::model::{
    FileId, Location, Origin, RailwayEnvironment, Reference, ReferenceTarget, Scope, Setting,
};
use crate::yaml::{self, Yaml};

/// The `${{ ... }}` references in a Railway value, with their byte ranges. Template
/// functions such as `${{ secret(32) }}` are not references.
pub fn references(value: &str) -> Vec<(Range<usize>, ReferenceTarget)> {
    static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\$\{\{\s*([^{}]*?)\s*\}\}").expect("reference pattern is valid")
    });
    REFERENCE
        .captures_iter(value)
        .filter_map(|caps| {
            let whole = caps.get(0).expect("group 0 always matches");
            let inner = caps[1].trim();
            if inner.is_empty() || inner.contains('(') {
                return None;
            }
            let target = match inner.split_once('.') {
                Some(("shared", key)) => ReferenceTarget::Shared(key.trim().to_string()),
                Some((service, key)) => ReferenceTarget::Service {
                    service: service.trim().to_string(),
                    key: key.trim().to_string(),
                },
                None => ReferenceTarget::Own(inner.to_string()),
            };
            Some((whole.range(), target))
        })
        .collect()
}

/// The references in `value` placed in the source text that spells it (`written_at` in
/// `text`: a JSON string's content, escapes and all). Each is found by its own text; one
/// that escaping changed is placed at the whole value. Returns the span, the target, and
/// the reference as written.
pub fn placed_references(
    text: &str,
    written_at: Range<usize>,
    value: &str,
) -> Vec<(Range<usize>, ReferenceTarget, String)> {
    let source = text.get(written_at.clone()).unwrap_or_default();
    let mut from = 0;
    references(value)
        .into_iter()
        .map(|(range, target)| {
            let written = value[range].to_string();
            let at = match source.get(from..).and_then(|rest| rest.find(&written)) {
                Some(offset) => {
                    let start = written_at.start + from + offset;
                    from += offset + written.len();
                    start..start + written.len()
                }
                None => written_at.clone(),
            };
            (at, target, written)
        })
        .collect()
}

/// Synthetic key under which a service's image source is recorded, so image rules see it.
pub const SOURCE_IMAGE_KEY: &str = "source.image";

fn deployed_scope(hint: &ScopeHint, environment: Option<&str>, service: Option<&str>) -> Scope {
    Scope {
        environment: environment
            .map(str::to_string)
            .or_else(|| hint.environment.clone()),
        service: service.map(str::to_string).or_else(|| hint.service.clone()),
        origin: Origin::Deployed,
    }
}

fn setting(
    file: FileId,
    key: &str,
    key_span: Range<usize>,
    value: Option<String>,
    value_span: Range<usize>,
    scope: Scope,
    partial: bool,
) -> Setting {
    Setting {
        key: key.to_string(),
        value,
        key_at: Location::new(file, key_span),
        value_at: Location::new(file, value_span),
        scope,
        partial,
    }
}

/// Parse JSON (a YAML subset) into our spanned tree; a syntax error becomes a problem.
fn parse_json_root(text: &str, file: FileId, loaded: &mut Loaded) -> Option<Yaml> {
    match yaml::parse(text) {
        Ok(mut documents) if !documents.is_empty() => Some(documents.remove(0)),
        Ok(_) => {
            loaded.problem(file, 0..0, "empty file: expected a JSON object");
            None
        }
        Err(error) => {
            let end = line_end(text, error.offset);
            loaded.problem(
                file,
                error.offset..end,
                format!("invalid JSON: {}", error.message),
            );
            None
        }
    }
}

fn line_end(text: &str, offset: usize) -> usize {
    let offset = crate::model::floor_char_boundary(text, offset);
    text[offset..].find('\n').map_or(text.len(), |i| offset + i)
}

/// Does this JSON text look like `railway variables --json` output: a flat object of
/// string (or null) values?
pub fn is_variables_json(root: &Yaml) -> bool {
    root.as_mapping().is_some_and(|pairs| {
        pairs
            .iter()
            .all(|(key, value)| key.as_str().is_some() && value.as_str().is_some())
    })
}

/// Does this JSON text look like `railway environment config --json` output?
pub fn is_environment_config(root: &Yaml) -> bool {
    root.get("services").and_then(Yaml::as_mapping).is_some()
        || root
            .get("sharedVariables")
            .and_then(Yaml::as_mapping)
            .is_some()
}

/// Which Railway JSON shape a file holds, decided from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RailwayJson {
    Variables,
    EnvironmentConfig,
    ConfigAsCode,
}

/// The shape of a parsed Railway JSON file, if it is one.
pub fn shape_of(root: &Yaml) -> Option<RailwayJson> {
    if is_environment_config(root) {
        Some(RailwayJson::EnvironmentConfig)
    } else if root.get("build").is_some()
        || root.get("deploy").is_some()
        || root.get("$schema").is_some()
    {
        Some(RailwayJson::ConfigAsCode)
    } else if is_variables_json(root) {
        Some(RailwayJson::Variables)
    } else {
        None
    }
}

/// Parse a JSON file with a Railway name once, decide its shape from the content, and load
/// it. A file that does not parse is loaded as a variables export so its error is reported;
/// valid JSON of no Railway shape gives `None`.
pub fn load_json(
    text: &str,
    file: FileId,
    hint_for: &dyn Fn(RailwayJson) -> ScopeHint,
    service_name: &dyn Fn(&str) -> Option<String>,
) -> Option<(RailwayJson, Loaded)> {
    let mut loaded = Loaded::default();
    let Some(root) = parse_json_root(text, file, &mut loaded) else {
        return Some((RailwayJson::Variables, loaded));
    };
    let shape = shape_of(&root)?;
    let hint = &hint_for(shape);
    match shape {
        RailwayJson::Variables => variables_from_root(&mut loaded, &root, text, file, hint),
        RailwayJson::EnvironmentConfig => {
            environment_config_from_root(&mut loaded, &root, text, file, hint, service_name)
        }
        RailwayJson::ConfigAsCode => config_json_from_root(&mut loaded, &root, text, file, hint),
    }
    Some((shape, loaded))
}

/// `railway variables --json`: an object of string to string, `null` for sealed values.
pub fn load_variables_json(text: &str, file: FileId, hint: &ScopeHint) -> Loaded {
    let mut loaded = Loaded::default();
    if let Some(root) = parse_json_root(text, file, &mut loaded) {
        variables_from_root(&mut loaded, &root, text, file, hint);
    }
    loaded
}

fn variables_from_root(
    loaded: &mut Loaded,
    root: &Yaml,
    text: &str,
    file: FileId,
    hint: &ScopeHint,
) {
    let Some(pairs) = root.as_mapping() else {
        loaded.problem(
            file,
            root.span.clone(),
            "expected an object of variable names to values",
        );
        return;
    };
    let scope = deployed_scope(hint, None, None);
    for (key, value) in pairs {
        let Some(name) = key.as_str() else {
            loaded.problem(file, key.span.clone(), "variable names must be strings");
            continue;
        };
        let Some(text_value) = value.as_str() else {
            loaded.problem(
                file,
                value.span.clone(),
                format!("value of `{name}` must be a string or null"),
            );
            continue;
        };
        let value_text = (!value.is_null()).then(|| text_value.to_string());
        loaded.settings.push(setting(
            file,
            name,
            unquoted(&key.span, text),
            value_text,
            unquoted(&value.span, text),
            scope.clone(),
            false,
        ));
    }
}

/// The span inside JSON quotes, so a label points at the text itself.
fn unquoted(span: &Range<usize>, text: &str) -> Range<usize> {
    // The parser's span of a flow scalar can run on over the spaces before a `,` or `}`.
    let span = match text.get(span.clone()) {
        Some(raw) => span.start..span.start + raw.trim_end().len(),
        None => span.clone(),
    };
    match text.get(span.clone()) {
        Some(raw) if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') => {
            span.start + 1..span.end - 1
        }
        _ => span,
    }
}

/// `railway variables --kv`: raw `KEY=VALUE` lines.
pub fn load_variables_kv(text: &str, file: FileId, hint: &ScopeHint) -> Loaded {
    let mut loaded = Loaded::default();
    let (entries, errors) = parse_railway_kv(text);
    let scope = deployed_scope(hint, None, None);
    for kv in entries {
        let entry = kv.entry;
        loaded.settings.push(setting(
            file,
            &entry.key,
            entry.key_span,
            Some(entry.value),
            entry.value_span,
            scope.clone(),
            false,
        ));
    }
    for error in errors {
        loaded.problem(file, error.span, error.message);
    }
    loaded
}

/// `railway environment config --json`: services with `source.image`, `variables` and
/// `deploy`, plus the environment's `sharedVariables`, which every service sees.
pub fn load_environment_config(
    text: &str,
    file: FileId,
    hint: &ScopeHint,
    service_name: &dyn Fn(&str) -> Option<String>,
) -> Loaded {
    let mut loaded = Loaded::default();
    if let Some(root) = parse_json_root(text, file, &mut loaded) {
        environment_config_from_root(&mut loaded, &root, text, file, hint, service_name);
    }
    loaded
}

fn environment_config_from_root(
    loaded: &mut Loaded,
    root: &Yaml,
    text: &str,
    file: FileId,
    hint: &ScopeHint,
    service_name: &dyn Fn(&str) -> Option<String>,
) {
    let environment = root
        .get("name")
        .or_else(|| root.get("environmentName"))
        .and_then(Yaml::as_str)
        .map(str::to_string);
    let shared = root.get("sharedVariables");
    let services = root.get("services").map(Yaml::entries).unwrap_or_default();
    // The export holds the whole environment: with its name and every service's name known,
    // references in it can be checked against it.
    let env_name = environment.clone().or_else(|| hint.environment.clone());
    let mut whole = env_name.map(|name| RailwayEnvironment {
        name,
        services: Default::default(),
        shared: Some(
            shared
                .map(|s| {
                    s.entries()
                        .iter()
                        .filter_map(|(k, _)| k.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        ),
    });
    if let (Some(shared), Some(whole)) = (shared, &whole) {
        let scope = deployed_scope(hint, Some(&whole.name), Some(super::railway_live::SHARED));
        references_into(loaded, file, text, shared, &scope);
    }
    // Shared variables reach a service only through a `${{ shared.KEY }}` reference: they
    // are scoped apart, as the pseudo-service `shared`, and are no one's whole config.
    if let Some(shared) = shared {
        let scope = deployed_scope(
            hint,
            environment.as_deref(),
            Some(super::railway_live::SHARED),
        );
        variables_into(loaded, file, text, shared, &scope, true);
    }
    for (id_node, service) in services {
        let id = id_node.as_str().unwrap_or_default();
        let name = service
            .get("serviceName")
            .or_else(|| service.get("name"))
            .and_then(Yaml::as_str)
            .map(str::to_string)
            .or_else(|| service_name(id));
        let Some(name) = name else {
            // References name services; with one service known only by id they cannot
            // be told apart from broken ones.
            whole = None;
            let name = hint.service.clone().unwrap_or_else(|| id.to_string());
            service_into(
                loaded,
                file,
                text,
                service,
                &deployed_scope(hint, environment.as_deref(), Some(&name)),
            );
            continue;
        };
        let scope = deployed_scope(hint, environment.as_deref(), Some(&name));
        if let Some(whole) = &mut whole {
            let keys = service
                .get("variables")
                .map(|vars| {
                    vars.entries()
                        .iter()
                        .filter_map(|(k, _)| k.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            whole.services.insert(name.clone(), Some(keys));
        }
        if let Some(variables) = service.get("variables") {
            references_into(loaded, file, text, variables, &scope);
        }
        service_into(loaded, file, text, service, &scope);
    }
    if let Some(whole) = whole.filter(|whole| !whole.services.is_empty()) {
        loaded.railway_environments.push(whole);
    }
}

/// One service of an environment export: its variables, its image source, and its deploy
/// and build settings.
fn service_into(loaded: &mut Loaded, file: FileId, text: &str, service: &Yaml, scope: &Scope) {
    if let Some(variables) = service.get("variables") {
        variables_into(loaded, file, text, variables, scope, false);
    }
    if let Some((key, image)) = service
        .get("source")
        .and_then(|source| source.get_entry("image"))
    {
        if let Some(value) = image.as_str().filter(|_| !image.is_null()) {
            loaded.settings.push(setting(
                file,
                SOURCE_IMAGE_KEY,
                unquoted(&key.span, text),
                Some(value.to_string()),
                unquoted(&image.span, text),
                scope.clone(),
                false,
            ));
        }
    }
    for section in ["deploy", "build"] {
        if let Some(node) = service.get(section) {
            flatten_yaml(loaded, file, text, section, node, scope);
        }
    }
}

/// The `${{ ... }}` references in a variables object (`{"KEY": {"value": "..."}}` or
/// `{"KEY": "..."}`).
fn references_into(loaded: &mut Loaded, file: FileId, text: &str, node: &Yaml, scope: &Scope) {
    for (key, entry) in node.entries() {
        let Some(name) = key.as_str() else { continue };
        let value_node = if entry.as_str().is_some() {
            entry
        } else {
            match entry.get("value") {
                Some(value) => value,
                None => continue,
            }
        };
        let Some(value) = value_node.as_str().filter(|v| v.contains("${{")) else {
            continue;
        };
        let span = unquoted(&value_node.span, text);
        for (at, target, written) in placed_references(text, span, value) {
            loaded.references.push(Reference {
                at: Location::new(file, at),
                scope: scope.clone(),
                key: name.to_string(),
                written,
                target,
            });
        }
    }
}

/// Variables written as `{"KEY": {"value": "..."}}` or `{"KEY": {"isSealed": true}}`
/// (or, leniently, `{"KEY": "..."}`).
fn variables_into(
    loaded: &mut Loaded,
    file: FileId,
    text: &str,
    node: &Yaml,
    scope: &Scope,
    partial: bool,
) {
    for (key, entry) in node.entries() {
        let Some(name) = key.as_str() else { continue };
        let (value, span) = if let Some(plain) = entry.as_str() {
            ((!entry.is_null()).then(|| plain.to_string()), &entry.span)
        } else if let Some(value) = entry.get("value").filter(|v| !v.is_null()) {
            (value.as_str().map(str::to_string), &value.span)
        } else {
            (None, &entry.span)
        };
        loaded.settings.push(setting(
            file,
            name,
            unquoted(&key.span, text),
            value,
            unquoted(span, text),
            scope.clone(),
            partial,
        ));
    }
}

/// Scalar leaves of a JSON subtree as `prefix.key.sub` settings.
fn flatten_yaml(
    loaded: &mut Loaded,
    file: FileId,
    text: &str,
    prefix: &str,
    node: &Yaml,
    scope: &Scope,
) {
    for (key, value) in node.entries() {
        let Some(name) = key.as_str() else { continue };
        let path = format!("{prefix}.{name}");
        if value.as_mapping().is_some() {
            flatten_yaml(loaded, file, text, &path, value, scope);
        } else if let Some(scalar) = value.as_str() {
            loaded.settings.push(setting(
                file,
                &path,
                unquoted(&key.span, text),
                (!value.is_null()).then(|| scalar.to_string()),
                unquoted(&value.span, text),
                scope.clone(),
                true,
            ));
        }
    }
}

/// `railway.json`: build and deploy settings, `environments.<name>` overrides, and the
/// `variables` object some templates carry. Config as code never holds every variable of a
/// service, so its settings are partial.
pub fn load_config_json(text: &str, file: FileId, hint: &ScopeHint) -> Loaded {
    let mut loaded = Loaded::default();
    if let Some(root) = parse_json_root(text, file, &mut loaded) {
        config_json_from_root(&mut loaded, &root, text, file, hint);
    }
    loaded
}

fn config_json_from_root(
    loaded: &mut Loaded,
    root: &Yaml,
    text: &str,
    file: FileId,
    hint: &ScopeHint,
) {
    if root.as_mapping().is_none() {
        loaded.problem(file, root.span.clone(), "expected a JSON object");
        return;
    }
    config_sections_yaml(loaded, file, text, root, &deployed_scope(hint, None, None));
    for (name, overrides) in root
        .get("environments")
        .map(Yaml::entries)
        .unwrap_or_default()
    {
        let Some(environment) = name.as_str() else {
            continue;
        };
        let scope = deployed_scope(hint, Some(environment), None);
        config_sections_yaml(loaded, file, text, overrides, &scope);
    }
}

fn config_sections_yaml(loaded: &mut Loaded, file: FileId, text: &str, node: &Yaml, scope: &Scope) {
    for section in ["build", "deploy"] {
        if let Some(value) = node.get(section) {
            flatten_yaml(loaded, file, text, section, value, scope);
        }
    }
    if let Some(variables) = node.get("variables") {
        variables_into(loaded, file, text, variables, scope, true);
    }
}

/// `railway.toml`: the same sections as `railway.json`, plus `[[services]]` blocks that some
/// monorepos use (each with a `name`).
pub fn load_config_toml(text: &str, file: FileId, hint: &ScopeHint) -> Loaded {
    let mut loaded = Loaded::default();
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let end = line_end(text, span.start).max(span.end);
            loaded.problem(
                file,
                span.start..end,
                format!("invalid TOML: {}", error.message().trim()),
            );
            return loaded;
        }
    };
    let root = root.get_ref();
    config_sections_toml(&mut loaded, file, root, &deployed_scope(hint, None, None));
    if let Some(DeValue::Table(environments)) = root.get("environments").map(Spanned::get_ref) {
        for (name, overrides) in environments.iter() {
            if let DeValue::Table(table) = overrides.get_ref() {
                let scope = deployed_scope(hint, Some(name.get_ref()), None);
                config_sections_toml(&mut loaded, file, table, &scope);
            }
        }
    }
    if let Some(DeValue::Array(services)) = root.get("services").map(Spanned::get_ref) {
        for service in services.iter() {
            if let DeValue::Table(table) = service.get_ref() {
                let name = table
                    .get("name")
                    .and_then(|n| n.get_ref().as_str())
                    .map(str::to_string);
                let scope = deployed_scope(hint, None, name.as_deref());
                config_sections_toml(&mut loaded, file, table, &scope);
            }
        }
    }
    loaded
}

fn config_sections_toml(loaded: &mut Loaded, file: FileId, table: &DeTable<'_>, scope: &Scope) {
    for section in ["build", "deploy"] {
        if let Some(DeValue::Table(inner)) = table.get(section).map(Spanned::get_ref) {
            flatten_toml(loaded, file, section, inner, scope);
        }
    }
    if let Some(DeValue::Table(variables)) = table.get("variables").map(Spanned::get_ref) {
        for (key, value) in variables.iter() {
            loaded.settings.push(setting(
                file,
                key.get_ref(),
                key.span(),
                Some(toml_scalar_text(value.get_ref())),
                toml_value_span(value),
                scope.clone(),
                true,
            ));
        }
    }
}

fn flatten_toml(
    loaded: &mut Loaded,
    file: FileId,
    prefix: &str,
    table: &DeTable<'_>,
    scope: &Scope,
) {
    for (key, value) in table.iter() {
        let path = format!("{prefix}.{}", key.get_ref());
        match value.get_ref() {
            DeValue::Table(inner) => flatten_toml(loaded, file, &path, inner, scope),
            other => loaded.settings.push(setting(
                file,
                &path,
                key.span(),
                Some(toml_scalar_text(other)),
                toml_value_span(value),
                scope.clone(),
                true,
            )),
        }
    }
}

/// The span of a TOML string without its quotes.
fn toml_value_span(value: &Spanned<DeValue<'_>>) -> Range<usize> {
    let span = value.span();
    match value.get_ref() {
        DeValue::String(_) if span.len() >= 2 => span.start + 1..span.end - 1,
        _ => span,
    }
}

fn toml_scalar_text(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(text) => text.to_string(),
        DeValue::Integer(number) => number.as_str().to_string(),
        DeValue::Float(number) => number.as_str().to_string(),
        DeValue::Boolean(flag) => flag.to_string(),
        DeValue::Datetime(datetime) => datetime.to_string(),
        DeValue::Array(_) => "[array]".to_string(),
        DeValue::Table(_) => "{table}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(environment: &str, service: &str) -> ScopeHint {
        ScopeHint {
            environment: Some(environment.into()),
            service: Some(service.into()),
        }
    }

    #[test]
    fn variables_json_with_sealed_null() {
        let text = "{\n  \"OPENAI_API_KEY\": null,\n  \"TENANT_IMAGE\": \"ghcr.io/a/b:staging-a14cf86\"\n}\n";
        let loaded = load_variables_json(text, 0, &hint("staging", "control-plane"));
        assert!(loaded.problems.is_empty());
        let [sealed, image] = &loaded.settings[..] else {
            panic!("{loaded:?}")
        };
        assert_eq!(sealed.value, None);
        assert_eq!(&text[sealed.key_at.span.clone()], "OPENAI_API_KEY");
        assert_eq!(
            &text[image.value_at.span.clone()],
            "ghcr.io/a/b:staging-a14cf86"
        );
        assert_eq!(image.scope.describe(), "staging/control-plane");
    }

    #[test]
    fn tab_indented_json_still_parses() {
        let text = "{\n\t\"PORT\": \"8080\"\n}\n";
        let loaded = load_variables_json(text, 0, &ScopeHint::default());
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.settings[0].value.as_deref(), Some("8080"));
    }

    #[test]
    fn broken_json_is_a_problem_with_a_location() {
        let text = "{\n  \"PORT\": \"8080\",\n  \"X\" \"y\"\n}\n";
        let loaded = load_variables_json(text, 0, &ScopeHint::default());
        assert_eq!(loaded.problems.len(), 1);
        assert!(loaded.problems[0].at.span.start > 10);
    }

    #[test]
    fn environment_config_references_resolve_against_the_whole_environment() {
        let text = r#"{"services":{"svc-cp":{"variables":{
  "DB": {"value": "${{ Postgres.DATABASE_URL }}"},
  "M": {"value": "x-${{shared.MODEL}}"}}}},
 "sharedVariables":{"MODEL":{"value":"${{ svc.X }}"}}}"#;
        let names = |id: &str| (id == "svc-cp").then(|| "control-plane".to_string());
        let hint = ScopeHint {
            environment: Some("production".into()),
            service: None,
        };
        let loaded = load_environment_config(text, 0, &hint, &names);
        let placed: Vec<(&str, &str, String)> = loaded
            .references
            .iter()
            .map(|r| (r.key.as_str(), &text[r.at.span.clone()], r.scope.describe()))
            .collect();
        assert_eq!(
            placed,
            [
                ("MODEL", "${{ svc.X }}", "production/shared".to_string()),
                (
                    "DB",
                    "${{ Postgres.DATABASE_URL }}",
                    "production/control-plane".to_string()
                ),
                (
                    "M",
                    "${{shared.MODEL}}",
                    "production/control-plane".to_string()
                ),
            ]
        );
        let environment = &loaded.railway_environments[0];
        assert_eq!(environment.name, "production");
        assert!(environment.services.contains_key("control-plane"));
        // A service known only by id: references could not be told from broken ones.
        let loaded = load_environment_config(text, 0, &hint, &|_: &str| None);
        assert!(loaded.railway_environments.is_empty());
    }

    #[test]
    fn environment_config_services_and_shared_variables() {
        let text = r#"{"services":{"svc-cp":{"source":{"image":"ghcr.io/molecule-ai/platform-tenant:staging-a14cf86"},
  "variables":{"TENANT_IMAGE":{"value":"ghcr.io/x/y:1"},"STRIPE_KEY":{"isSealed":true}},
  "deploy":{"startCommand":"node server.js"}}},
 "sharedVariables":{"HERMES_DEFAULT_MODEL":{"value":"openai/gpt-4o"}}}"#;
        let names = |id: &str| (id == "svc-cp").then(|| "control-plane".to_string());
        let loaded = load_environment_config(
            text,
            0,
            &ScopeHint {
                environment: Some("staging".into()),
                service: None,
            },
            &names,
        );
        let keys: Vec<_> = loaded.settings.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "HERMES_DEFAULT_MODEL",
                "TENANT_IMAGE",
                "STRIPE_KEY",
                "source.image",
                "deploy.startCommand"
            ]
        );
        // Shared variables reach services only through references: scoped apart, partial.
        assert_eq!(loaded.settings[0].scope.describe(), "staging/shared");
        assert!(loaded.settings[0].partial);
        assert!(loaded.settings[1..]
            .iter()
            .all(|s| s.scope.describe() == "staging/control-plane"));
        assert!(!loaded.settings[1].partial);
        let image = &loaded.settings[3];
        assert_eq!(
            &text[image.value_at.span.clone()],
            "ghcr.io/molecule-ai/platform-tenant:staging-a14cf86"
        );
        assert_eq!(loaded.settings[2].value, None);
    }

    #[test]
    fn kv_export() {
        let text = "PORT=8080\nTENANT_IMAGE=ghcr.io/a/b:staging-a14cf86\n";
        let loaded = load_variables_kv(text, 0, &hint("staging", "cp"));
        assert_eq!(loaded.settings.len(), 2);
        assert_eq!(
            &text[loaded.settings[1].value_at.span.clone()],
            "ghcr.io/a/b:staging-a14cf86"
        );
    }

    #[test]
    fn railway_toml_sections_environments_services_and_variables() {
        let text = "[build]\nbuilder = \"DOCKERFILE\"\n\n[deploy]\nstartCommand = \"./server\"\n\n[environments.staging.deploy]\nnumReplicas = 2\n\n[variables]\nTENANT_IMAGE = \"ghcr.io/a/b:sha-a14cf86\"\n\n[[services]]\nname = \"canvas\"\n[services.deploy]\nstartCommand = \"node server.js\"\n";
        let loaded = load_config_toml(text, 0, &ScopeHint::default());
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let found: Vec<_> = loaded
            .settings
            .iter()
            .map(|s| (s.key.as_str(), s.scope.describe(), s.partial))
            .collect();
        assert!(
            found.contains(&("deploy.numReplicas", "staging".into(), true)),
            "{found:?}"
        );
        assert!(
            found.contains(&("deploy.startCommand", "canvas".into(), true)),
            "{found:?}"
        );
        let image = loaded
            .settings
            .iter()
            .find(|s| s.key == "TENANT_IMAGE")
            .unwrap();
        assert_eq!(
            &text[image.value_at.span.clone()],
            "ghcr.io/a/b:sha-a14cf86"
        );
        assert_eq!(&text[image.key_at.span.clone()], "TENANT_IMAGE");
    }

    #[test]
    fn broken_toml_is_a_problem() {
        let loaded = load_config_toml("[build\nbuilder = 1\n", 0, &ScopeHint::default());
        assert_eq!(loaded.problems.len(), 1);
        assert!(loaded.problems[0].message.starts_with("invalid TOML"));
    }

    #[test]
    fn railway_json_environments() {
        let text = r#"{"$schema":"https://railway.com/railway.schema.json","deploy":{"startCommand":"x"},"environments":{"production":{"deploy":{"numReplicas":3}}}}"#;
        let loaded = load_config_json(text, 0, &ScopeHint::default());
        let replicas = loaded
            .settings
            .iter()
            .find(|s| s.key == "deploy.numReplicas")
            .unwrap();
        assert_eq!(replicas.scope.environment.as_deref(), Some("production"));
        let root = yaml::parse(text).unwrap().remove(0);
        assert_eq!(shape_of(&root), Some(RailwayJson::ConfigAsCode));
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    #[test]
    fn references_in_their_three_forms_and_inside_text() {
        let value = "https://${{ backend.RAILWAY_PUBLIC_DOMAIN }}/api?db=${{shared.DB}}&p=${{PORT}}&s=${{ secret(32) }}";
        let found = references(value);
        let targets: Vec<&ReferenceTarget> = found.iter().map(|(_, t)| t).collect();
        assert_eq!(
            targets,
            [
                &ReferenceTarget::Service {
                    service: "backend".into(),
                    key: "RAILWAY_PUBLIC_DOMAIN".into()
                },
                &ReferenceTarget::Shared("DB".into()),
                &ReferenceTarget::Own("PORT".into()),
            ]
        );
        assert_eq!(
            &value[found[0].0.clone()],
            "${{ backend.RAILWAY_PUBLIC_DOMAIN }}"
        );
        assert_eq!(&value[found[2].0.clone()], "${{PORT}}");
    }
}
