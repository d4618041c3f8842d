//! The `drift-lint` command line: arguments in, exit codes out.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use drift_lint::report::{github, human, json, junit, markdown, sarif, Report};

mod progress;
use drift_lint::{Config, Error, Options, RuleSet, Severity};

/// Exit codes: 0 clean, 1 findings at or above --fail-on, 2 the tool could not do its job.
const EXIT_FINDINGS: u8 = 1;
const EXIT_TROUBLE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "drift-lint",
    version,
    about = "Catch stale deploy pins and unusable model config before they cost a day",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Check files and directories (the default command).
    Check(CheckArgs),
    /// List every rule: id, severity, summary.
    Rules {
        /// Also load the packs that this configuration file names.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a rule's documentation: what it does, why, an example, the fix.
    Explain {
        rule: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct CheckArgs {
    /// Files or directories to check.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format; repeat it with --output to write several in one run
    /// (`--format human --format sarif --output - --output drift.sarif`).
    #[arg(long, value_enum)]
    format: Vec<Format>,
    /// Where each --format goes, in order: a file, or `-` for stdout (the default).
    #[arg(long, value_name = "FILE")]
    output: Vec<PathBuf>,
    /// Also print how many findings each rule produced.
    #[arg(long)]
    statistics: bool,
    /// Also list the findings that suppressions silenced.
    #[arg(long)]
    show_suppressed: bool,
    /// Configuration file (default: drift-lint.toml found upward from the first path).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Only run these rules (comma-separated).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Never run these rules (comma-separated).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Environment for inputs whose name does not say (e.g. a bare `variables.json`).
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Ask container registries for image ages (also `online = true` in [staleness]).
    #[arg(long, conflicts_with = "offline")]
    online: bool,
    /// Make no network request at all, whatever the configuration says.
    #[arg(long)]
    offline: bool,
    /// Git repository to look commit tags up in (default: the scanned repository).
    #[arg(long, value_name = "PATH")]
    git_repo: Option<PathBuf>,
    /// Exit 2 when an image's age cannot be told (a lookup failed, history missing).
    #[arg(long)]
    fail_on_unknown: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Markdown,
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

impl From<FailOn> for Severity {
    fn from(level: FailOn) -> Self {
        match level {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

fn main() -> ExitCode {
    // A bug must never surface as exit 101 with a backtrace: say so briefly and exit 2.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("drift-lint: internal error: {info}");
        eprintln!("drift-lint: this is a bug; please report it with the input that caused it");
    }));
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| dispatch(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(error)) => {
            eprintln!("drift-lint: error: {error}");
            ExitCode::from(EXIT_TROUBLE)
        }
        Err(_) => ExitCode::from(EXIT_TROUBLE),
    }
}

fn dispatch(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        None => check(cli.check),
        Some(Command::Check(args)) => check(args),
        Some(Command::Rules { config }) => list_rules(config),
        Some(Command::Explain { rule, config }) => explain(&rule, config),
    }
}

fn load_rules(config: Option<PathBuf>) -> Result<RuleSet, Error> {
    let config = match config {
        Some(path) => Config::load(&path)?,
        None => Config::discover(std::path::Path::new("."))?,
    };
    RuleSet::load(&config)
}

fn list_rules(config: Option<PathBuf>) -> Result<u8, Error> {
    let rules = load_rules(config)?;
    let width = rules.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in &rules.rules {
        out.push_str(&format!(
            "{:width$}  {:7}  {}\n",
            rule.id,
            rule.severity.label(),
            rule.summary
        ));
    }
    write_out(&out)?;
    Ok(0)
}

fn explain(id: &str, config: Option<PathBuf>) -> Result<u8, Error> {
    let rules = load_rules(config)?;
    let Some(rule) = rules.get(id) else {
        return Err(Error::Usage(format!(
            "unknown rule `{id}`; `drift-lint rules` lists them"
        )));
    };
    let docs = &rule.docs;
    let text = format!(
        "{id} ({severity}, kind {kind}, from {source})\n{summary}\n\nWhat it does\n{what}\n\nWhy it matters\n{why}\n\nExample\n{example}\n\nFix\n{fix}\n",
        id = rule.id,
        severity = rule.severity,
        kind = rule.kind(),
        source = rule.source,
        summary = rule.summary,
        what = indent(&docs.what),
        why = indent(&docs.why),
        example = indent(docs.example.trim_end()),
        fix = indent(docs.fix.trim()),
    );
    write_out(&text)?;
    Ok(0)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(args: CheckArgs) -> Result<u8, Error> {
    let options = Options {
        paths: args.paths.clone(),
        config: args.config.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        environment: args.environment.clone(),
        online: args.online,
        offline: args.offline,
        git_repo: args.git_repo.clone(),
        now: None,
    };
    let outputs = pair_outputs(&args.format, &args.output)?;
    let human_on_stdout = outputs
        .iter()
        .any(|(format, path)| *format == Format::Human && path.is_none());
    let show_progress = human_on_stdout && io::stderr().is_terminal();
    let outcome = if show_progress {
        drift_lint::run_with_progress(&options, &progress::Spinner::default())?
    } else {
        drift_lint::run(&options)?
    };
    let model = &outcome.model;
    let report = Report {
        model,
        findings: &outcome.findings,
        suppressed: &outcome.suppressed,
        rules: &outcome.rules,
    };
    if human_on_stdout {
        for skipped in &model.skipped {
            eprintln!(
                "note: skipped {}: {}",
                skipped.path.display(),
                skipped.reason
            );
        }
    }
    for (format, path) in &outputs {
        let text = render(*format, &report, &args, path.is_none());
        match path {
            None => write_out(&text)?,
            Some(path) => std::fs::write(path, text).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?,
        }
    }
    if args.statistics {
        let table = drift_lint::report::statistics(&report);
        if human_on_stdout {
            write_out(&table)?;
        } else {
            // stdout holds a machine format: the table must not corrupt it.
            eprint!("{table}");
        }
    }
    for unreadable in &model.unreadable {
        eprintln!(
            "drift-lint: error: cannot read {}: {}",
            unreadable.path.display(),
            unreadable.reason
        );
    }
    if !model.unreadable.is_empty() {
        return Ok(EXIT_TROUBLE);
    }
    let unknown = outcome.findings.iter().filter(|f| f.unknown).count();
    if args.fail_on_unknown && unknown > 0 {
        eprintln!("drift-lint: error: the age of {unknown} image(s) could not be told (--fail-on-unknown)");
        return Ok(EXIT_TROUBLE);
    }
    let threshold: Severity = args
        .fail_on
        .map(Severity::from)
        .or(outcome.config.file.fail_on)
        .unwrap_or(Severity::Error);
    let failing = outcome.findings.iter().any(|f| f.severity >= threshold);
    Ok(if failing { EXIT_FINDINGS } else { 0 })
}

/// Pair each --format with its --output (`-` or none: stdout). At most one format may go to
/// stdout, or the outputs would interleave.
fn pair_outputs(
    formats: &[Format],
    outputs: &[PathBuf],
) -> Result<Vec<(Format, Option<PathBuf>)>, Error> {
    if outputs.len() > formats.len().max(1) {
        return Err(Error::Usage(
            "more --output than --format: give one --format for each --output".into(),
        ));
    }
    let formats = if formats.is_empty() {
        vec![Format::Human]
    } else {
        formats.to_vec()
    };
    let pairs: Vec<(Format, Option<PathBuf>)> = formats
        .iter()
        .enumerate()
        .map(|(i, format)| {
            let path = outputs.get(i).filter(|p| p.as_os_str() != "-").cloned();
            (*format, path)
        })
        .collect();
    if pairs.iter().filter(|(_, path)| path.is_none()).count() > 1 {
        return Err(Error::Usage(
            "several formats would go to stdout: give each extra --format an --output FILE".into(),
        ));
    }
    Ok(pairs)
}

/// One format's text. Color only ever goes to a terminal on stdout.
fn render(format: Format, report: &Report, args: &CheckArgs, to_stdout: bool) -> String {
    match format {
        Format::Json => json::render(report.model, report.findings),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(report),
        Format::Junit => junit::render(report),
        Format::Human => {
            let color = to_stdout
                && match args.color {
                    Color::Always => true,
                    Color::Never => false,
                    Color::Auto => {
                        io::stdout().is_terminal()
                            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    }
                };
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(100);
            human::render(
                report.model,
                report.findings,
                &human::HumanOptions { color, width },
            )
        }
    }
}

/// Write to stdout; a closed pipe (`drift-lint . | head`) ends output quietly, any other
/// write failure means the report was lost.
fn write_out(text: &str) -> Result<(), Error> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(Error::Io {
            path: PathBuf::from("<stdout>"),
            source: error,
        }),
        _ => Ok(()),
    }
}
