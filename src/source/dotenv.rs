//! Dotenv files: `.env`, `.env.production`, `app.env`, `.env.example`, ...

use std::path::Path;

use super::dotenv_syntax::parse_dotenv;
use super::{Loaded, ScopeHint};
use crate::model::{FileId, Location, Origin, Scope, Setting};

/// Name parts that mark a file as a template that only documents keys.
const TEMPLATE_MARKERS: &[&str] = &["example", "sample", "template", "dist", "tmpl", "defaults"];

/// Name parts that name an environment.
const ENVIRONMENT_NAMES: &[&str] = &[
    "production",
    "prod",
    "staging",
    "stage",
    "development",
    "dev",
    "test",
    "testing",
    "qa",
    "uat",
    "preview",
    "sandbox",
    "demo",
    "canary",
];

/// Is this file name a dotenv file? `.env`, `.env.*`, `*.env`, `env.example`, `*.env.*`;
/// not `.envrc` (a shell script) nor code such as `env.ts`.
pub fn is_dotenv_name(name: &str) -> bool {
    const CODE: &[&str] = &[
        "ts", "js", "mjs", "cjs", "py", "go", "rs", "rb", "json", "yml", "yaml", "toml", "sh",
        "md", "d", "lock", "ps1", "bat", "tsx", "jsx", "php", "java", "kt", "swift", "patch",
        "diff", "orig", "bak", "swp", "rej",
    ];
    let extension = name.rsplit('.').next().unwrap_or_default();
    if CODE.contains(&extension) && name != ".env" {
        return false;
    }
    const TEMPLATE_NAMES: &[&str] = &["env.example", "env.sample", "env.template", "env.dist"];
    name == ".env"
        || name.starts_with(".env.")
        || name.ends_with(".env")
        || name.contains(".env.")
        || name.starts_with("env.")
        || TEMPLATE_NAMES.iter().any(|t| name.ends_with(t))
}

/// Origin and environment a dotenv file's name implies.
pub fn scope_from_name(path: &Path) -> (Origin, Option<String>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let parts: Vec<&str> = name
        .split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .collect();
    let origin = if parts.iter().any(|p| TEMPLATE_MARKERS.contains(p)) {
        Origin::Template
    } else {
        Origin::Deployed
    };
    let environment = parts
        .iter()
        .find(|p| ENVIRONMENT_NAMES.contains(p))
        .map(|p| p.to_string());
    (origin, environment)
}

pub fn load_dotenv(
    text: &str,
    file: FileId,
    path: &Path,
    hint: &ScopeHint,
    origin: Option<Origin>,
) -> Loaded {
    let (named_origin, named_environment) = scope_from_name(path);
    let scope = Scope {
        environment: hint.environment.clone().or(named_environment),
        service: hint.service.clone(),
        origin: origin.unwrap_or(named_origin),
    };
    let (entries, errors) = parse_dotenv(text);
    let mut loaded = Loaded::default();
    for entry in entries {
        loaded.settings.push(Setting {
            key: entry.key,
            value: Some(entry.value),
            key_at: Location::new(file, entry.key_span),
            value_at: Location::new(file, entry.value_span),
            scope: scope.clone(),
            partial: false,
        });
    }
    for error in errors {
        loaded.problem(file, error.span, error.message);
    }
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_names() {
        for name in [
            ".env",
            ".env.production",
            "app.env",
            ".env.example",
            "env.example",
            "foo__.env.sample",
            ".env.local",
        ] {
            assert!(is_dotenv_name(name), "{name}");
        }
        for name in [
            ".envrc",
            "env.ts",
            ".env.d.ts",
            "environment.yml",
            "dotenv.rs",
            "README.md",
        ] {
            assert!(!is_dotenv_name(name), "{name}");
        }
    }

    #[test]
    fn names_give_origin_and_environment() {
        let cases = [
            (".env", Origin::Deployed, None),
            (".env.production", Origin::Deployed, Some("production")),
            (".env.staging.example", Origin::Template, Some("staging")),
            (".env.sample", Origin::Template, None),
            ("prod.env", Origin::Deployed, Some("prod")),
            ("config.env.dist", Origin::Template, None),
        ];
        for (name, origin, environment) in cases {
            assert_eq!(
                scope_from_name(Path::new(name)),
                (origin, environment.map(String::from)),
                "{name}"
            );
        }
    }
}
