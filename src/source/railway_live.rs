//! Live Railway config as a source: each service of each environment read through the API
//! becomes a document in the model, so that every rule, snippet and output format works on
//! it as on a file. The document mirrors one service of `railway environment config --json`:
//!
//! ```json
//! {
//!   "source": { "image": "ghcr.io/org/tenant:staging-a14cf86" },
//!   "variables": {
//!     "DATABASE_URL": { "value": "postgres://…", "unrendered": "${{Postgres.DATABASE_URL}}" },
//!     "STRIPE_KEY": null
//!   }
//! }
//! ```
//!
//! A sealed variable is `null`, as the API answers it. Its places are `railway://<project>/<environment>/<service>/<KEY>`. Values are the
//! rendered ones (what the service really sees); the unrendered text is kept beside them so
//! references can be checked. Railway's built-in `RAILWAY_*` variables are left out: Railway
//! sets them, nobody configures them, and they differ per environment by design.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::model::{
    FileId, LiveFile, Location, Model, Origin, RailwayEnvironment, Reference, ReferenceTarget,
    Scope, Setting, SourceFile, SourceKind,
};
use crate::railway_api::{is_builtin, LiveProject, LiveService, Vars};

use super::railway::{placed_references, references, SOURCE_IMAGE_KEY};
use crate::redact::is_secret_key;

/// The pseudo-service that an environment's shared variables are scoped to.
pub const SHARED: &str = "shared";

/// Add every environment and service of `project` to the model.
pub fn load(model: &mut Model, project: &LiveProject) {
    for environment in &project.environments {
        let mut known = RailwayEnvironment {
            name: environment.name.clone(),
            services: project
                .service_names
                .iter()
                .map(|name| (name.clone(), None))
                .collect(),
            shared: environment
                .shared
                .as_ref()
                .map(|vars| vars.keys().cloned().collect()),
        };
        if let Some(shared) = &environment.shared {
            let uri = format!("railway://{}/{}/shared", project.name, environment.name);
            // Shared variables reach a service only through a reference: they are scoped as
            // their URI names them, apart from any service or environment-wide file, and are
            // no one's whole config, so a key missing here proves nothing.
            let scope = Scope {
                environment: Some(environment.name.clone()),
                service: Some(SHARED.to_string()),
                origin: Origin::Deployed,
            };
            add_document(model, uri, &scope, None, shared, Some(shared), true);
        }
        for service in &environment.services {
            let keys = service_keys(service);
            known.services.insert(service.name.clone(), keys);
            if service.rendered.is_none() && service.unrendered.is_none() && service.image.is_none()
            {
                continue;
            }
            let uri = format!(
                "railway://{}/{}/{}",
                project.name, environment.name, service.name
            );
            let scope = Scope {
                environment: Some(environment.name.clone()),
                service: Some(service.name.clone()),
                origin: Origin::Deployed,
            };
            let variables = service
                .rendered
                .clone()
                .or_else(|| service.unrendered.clone())
                .unwrap_or_default();
            // A service whose variables could not be read is not known to lack any key.
            let partial = service.rendered.is_none();
            add_document(
                model,
                uri,
                &scope,
                service.image.as_deref(),
                &variables,
                service.unrendered.as_ref(),
                partial,
            );
        }
        model.railway_environments.push(known);
    }
}

/// A service's variable keys, built-ins included (a reference may name one), when read.
fn service_keys(service: &LiveService) -> Option<BTreeSet<String>> {
    let mut keys: Option<BTreeSet<String>> = None;
    for vars in [&service.rendered, &service.unrendered]
        .into_iter()
        .flatten()
    {
        keys.get_or_insert_with(BTreeSet::new)
            .extend(vars.keys().cloned());
    }
    keys
}

/// Write one document, and the settings and references that point into it.
fn add_document(
    model: &mut Model,
    uri: String,
    scope: &Scope,
    image: Option<&str>,
    variables: &Vars,
    unrendered: Option<&Vars>,
    partial: bool,
) {
    let mut text = String::from("{\n");
    let mut entries = Vec::new();
    let mut settings = Vec::new();
    // (key, where the unrendered text sits, the text)
    let mut raw_values: Vec<(String, Range<usize>, String)> = Vec::new();
    // Spans that hold secrets the key name alone does not reveal.
    let mut secret_spans: Vec<Range<usize>> = Vec::new();
    if let Some(image) = image {
        text.push_str("  \"source\": {\n");
        let start = text.len();
        text.push_str("    \"image\": ");
        let key_at = start + 5..start + 10;
        let value_at = push_string(&mut text, image);
        entries.push((start..text.len(), SOURCE_IMAGE_KEY.to_string()));
        settings.push((
            SOURCE_IMAGE_KEY.to_string(),
            Some(image.to_string()),
            key_at,
            value_at,
        ));
        text.push_str("\n  },\n");
    }
    text.push_str("  \"variables\": {");
    let mut first = true;
    for (key, value) in variables.iter().filter(|(key, _)| !is_builtin(key)) {
        text.push_str(if first { "\n" } else { ",\n" });
        first = false;
        let start = text.len();
        text.push_str("    ");
        let key_at = push_string(&mut text, key);
        text.push_str(": ");
        let raw = unrendered
            .and_then(|vars| vars.get(key))
            .and_then(Option::as_deref)
            .filter(|raw| raw.contains("${{"));
        let value_at = match (value, raw) {
            // Sealed: present, unreadable; `null` as the API answers it.
            (None, _) => {
                let sealed_start = text.len();
                text.push_str("null");
                sealed_start..text.len()
            }
            (Some(value), Some(raw)) if raw != value => {
                text.push_str("{\"value\": ");
                let value_at = push_string(&mut text, value);
                text.push_str(", \"unrendered\": ");
                let raw_at = push_string(&mut text, raw);
                text.push('}');
                if is_secret_key(key) {
                    // `sk-live-...${{shared.SUFFIX}}`: the literal part is the secret's.
                    secret_spans.push(raw_at.clone());
                } else if references_a_secret(raw) {
                    // `STRIPE=${{shared.STRIPE_SECRET_KEY}}` renders to the secret itself.
                    secret_spans.push(value_at.clone());
                }
                raw_values.push((key.clone(), raw_at, raw.to_string()));
                value_at
            }
            (Some(value), raw) => {
                let value_at = push_string(&mut text, value);
                if let Some(raw) = raw {
                    // Shared variables come unrendered: the value is the reference itself.
                    raw_values.push((key.clone(), value_at.clone(), raw.to_string()));
                }
                value_at
            }
        };
        entries.push((start..text.len(), key.clone()));
        settings.push((key.clone(), value.clone(), key_at, value_at));
    }
    text.push_str(if first { "}\n}\n" } else { "\n  }\n}\n" });
    let file: FileId = model.add_file(SourceFile {
        path: uri.clone().into(),
        text,
        kind: SourceKind::RailwayLive,
        live: Some(LiveFile { uri, entries }),
    });
    for (key, value, key_at, value_at) in settings {
        model.settings.push(Setting {
            key,
            value,
            key_at: Location::new(file, key_at),
            value_at: Location::new(file, value_at),
            scope: scope.clone(),
            partial,
        });
    }
    model.secret_spans.extend(
        secret_spans
            .into_iter()
            .map(|span| Location::new(file, span)),
    );
    let mut references = Vec::new();
    for (key, raw_at, raw) in raw_values {
        for (at, target, written) in placed_references(&model.file(file).text, raw_at, &raw) {
            references.push(Reference {
                at: Location::new(file, at),
                scope: scope.clone(),
                key: key.clone(),
                written,
                target,
            });
        }
    }
    model.references.extend(references);
}

/// Whether a value takes any part from a variable whose name says it is a secret.
fn references_a_secret(raw: &str) -> bool {
    references(raw).iter().any(|(_, target)| match target {
        ReferenceTarget::Shared(key)
        | ReferenceTarget::Own(key)
        | ReferenceTarget::Service { key, .. } => is_secret_key(key),
    })
}

/// Append `value` as a JSON string; the span of its content, inside the quotes.
fn push_string(text: &mut String, value: &str) -> Range<usize> {
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string());
    let start = text.len() + 1;
    text.push_str(&quoted);
    start..text.len() - 1
}
