//! Errors that stop a run (exit code 2). Findings are not errors.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", shown(path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", shown(path))]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
    /// A network source that the run needed could not be read at all.
    #[error("{0}")]
    Network(String),
}

impl Error {
    /// A TOML error with the file, the line and the message (which names the field).
    pub fn toml(path: &Path, text: &str, error: &toml::de::Error) -> Error {
        let line = error
            .span()
            .map_or(1, |span| crate::model::line_col(text, span.start).0);
        Error::Config {
            path: path.to_path_buf(),
            line,
            message: error.message().trim().to_string(),
        }
    }
}

/// A path as the user would type it: relative to the working directory when it is inside it.
pub(crate) fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}
