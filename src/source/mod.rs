//! Loaders: one per input kind, each turning a file's text into the shared model.

use crate::model::{
    FileId, Location, ParseProblem, Publication, RailwayEnvironment, Reference, Setting,
};

pub mod dotenv;
pub mod dotenv_syntax;
pub mod railway;
pub mod railway_live;
pub mod shell;
pub mod workflow;

/// What one loader read from one file.
#[derive(Debug, Default)]
pub struct Loaded {
    pub settings: Vec<Setting>,
    pub publications: Vec<Publication>,
    pub problems: Vec<ParseProblem>,
    /// Railway `${{ ... }}` references, where a loader can tell what they resolve against.
    pub references: Vec<Reference>,
    /// Railway environments read whole, for resolving references.
    pub railway_environments: Vec<RailwayEnvironment>,
}

impl Loaded {
    pub fn problem(
        &mut self,
        file: FileId,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) {
        self.problems.push(ParseProblem {
            at: Location::new(file, span),
            message: message.into(),
        });
    }
}

/// Environment and service known for a file from outside its content: `drift-lint.toml`
/// globs, `--env`, or the file's path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeHint {
    pub environment: Option<String>,
    pub service: Option<String>,
}
