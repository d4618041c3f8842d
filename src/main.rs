//! The `drift-lint` command line: arguments in, exit codes out.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use drift_lint::report::{github, human, json, junit, markdown, rule_docs, sarif, Report};

mod progress;
use drift_lint::baseline::Baseline;
use drift_lint::{Config, Error, Options, Outcome, RailwayOptions, RuleSet, Severity};

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
    /// Check the live variables of a Railway project (token from RAILWAY_API_TOKEN or
    /// RAILWAY_TOKEN); `drift-lint PATH --railway` checks files and the project together.
    Railway(CheckArgs),
    /// List every rule: id, severity, summary (or every rule's docs, as Markdown).
    Rules {
        /// Also load the packs that this configuration file names.
        #[arg(long)]
        config: Option<PathBuf>,
        /// `text`: one line per rule; `markdown`: every rule's full docs (docs/rules.md).
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print a rule's documentation: what it does, why, an example, the fix.
    Explain {
        rule: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a shell completion script to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    Man,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Markdown,
}

#[derive(Args, Clone)]
struct CheckArgs {
    /// Files or directories to check.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format; repeat it with --output to write several in one run
    /// (`--format human --format sarif --output drift.sarif`).
    #[arg(long, value_enum)]
    format: Vec<Format>,
    /// Where the --format before it goes: a file, or `-` for stdout (the default).
    #[arg(long, value_name = "FILE")]
    output: Vec<PathBuf>,
    /// --format values with their argv positions, filled in after parsing.
    #[arg(skip)]
    format_at: Vec<(usize, Format)>,
    /// --output values with their argv positions, filled in after parsing.
    #[arg(skip)]
    output_at: Vec<(usize, PathBuf)>,
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
    /// Hide the findings this baseline file lists and fail only on new ones; report the
    /// listed ones that are gone as fixed.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the findings of this run to a baseline file (exits 0 once written).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Also check the live Railway project's variables and image sources.
    #[arg(long)]
    railway: bool,
    /// Railway project id (default: `[railway] project`, then RAILWAY_PROJECT_ID).
    #[arg(long, value_name = "ID")]
    project: Option<String>,
    /// Railway environment to read, by name or id; repeatable (default: all).
    #[arg(long = "environment", value_name = "NAME")]
    railway_environments: Vec<String>,
    /// Railway service to read, by name or id; repeatable (default: all).
    #[arg(long = "service", value_name = "NAME")]
    railway_services: Vec<String>,
    /// Railway GraphQL endpoint (default: RAILWAY_GRAPHQL_ENDPOINT, then Railway's own).
    #[arg(long, value_name = "URL")]
    railway_endpoint: Option<String>,
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
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => with_positions(cli, &matches),
        Err(error) => error.exit(),
    };
    match std::panic::catch_unwind(|| dispatch(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(error)) => {
            eprintln!("drift-lint: error: {error}");
            ExitCode::from(EXIT_TROUBLE)
        }
        Err(_) => ExitCode::from(EXIT_TROUBLE),
    }
}

/// Record where each --format and --output sat on the command line, so that each --output
/// pairs with the format written before it.
fn with_positions(mut cli: Cli, matches: &clap::ArgMatches) -> Cli {
    let (args, matches) = match &mut cli.command {
        Some(Command::Check(args)) | Some(Command::Railway(args)) => {
            (args, matches.subcommand().map_or(matches, |(_, sub)| sub))
        }
        _ => (&mut cli.check, matches),
    };
    let positions = |id: &str| -> Vec<usize> {
        matches
            .indices_of(id)
            .map(|indices| indices.collect())
            .unwrap_or_default()
    };
    args.format_at = positions("format")
        .into_iter()
        .zip(args.format.iter().copied())
        .collect();
    args.output_at = positions("output")
        .into_iter()
        .zip(args.output.iter().cloned())
        .collect();
    cli
}

fn dispatch(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        None => check(cli.check, false),
        Some(Command::Check(args)) => check(args, false),
        Some(Command::Railway(args)) => check(args, true),
        Some(Command::Rules { config, format }) => list_rules(config, format),
        Some(Command::Explain { rule, config }) => explain(&rule, config),
        Some(Command::Completions { shell }) => completions(shell),
        Some(Command::Man) => man_page(),
    }
}

fn load_rules(config: Option<PathBuf>) -> Result<RuleSet, Error> {
    let config = match config {
        Some(path) => Config::load(&path)?,
        None => Config::discover(std::path::Path::new("."))?,
    };
    RuleSet::load(&config)
}

fn list_rules(config: Option<PathBuf>, format: RulesFormat) -> Result<u8, Error> {
    let rules = load_rules(config)?;
    if let RulesFormat::Markdown = format {
        write_out(&rule_docs::markdown(&rules))?;
        return Ok(0);
    }
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

/// A completion script for `shell`, built from the same argument definitions as the CLI.
fn completions(shell: clap_complete::Shell) -> Result<u8, Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "drift-lint", &mut script);
    write_out(&String::from_utf8_lossy(&script))?;
    Ok(0)
}

/// The man page, in roff, built from the same argument definitions as the CLI.
fn man_page() -> Result<u8, Error> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|source| Error::Io {
            path: PathBuf::from("<man page>"),
            source,
        })?;
    write_out(&String::from_utf8_lossy(&page))?;
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

/// Run a check; `live_only` is `drift-lint railway`, which reads no files.
fn check(args: CheckArgs, live_only: bool) -> Result<u8, Error> {
    if live_only && args.paths != [PathBuf::from(".")] {
        return Err(Error::Usage(
            "`drift-lint railway` reads only the live project; to check files too, run `drift-lint PATH --railway`".into(),
        ));
    }
    let wants_railway = live_only
        || args.railway
        || args.project.is_some()
        || !args.railway_environments.is_empty()
        || !args.railway_services.is_empty();
    let railway = wants_railway.then(|| RailwayOptions {
        project: args.project.clone(),
        environments: args.railway_environments.clone(),
        services: args.railway_services.clone(),
        endpoint: args.railway_endpoint.clone(),
        files: !live_only,
    });
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
        railway,
    };
    let outputs = pair_outputs(&args.format_at, &args.output_at)?;
    // A bad baseline is found before a live read spends API quota.
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let human_on_stdout = outputs
        .iter()
        .any(|(format, path)| *format == Format::Human && path.is_none());
    let show_progress = human_on_stdout && io::stderr().is_terminal();
    let mut outcome = if show_progress {
        drift_lint::run_with_progress(&options, &progress::Spinner::default())?
    } else {
        drift_lint::run(&options)?
    };
    // The baseline to write holds every finding, the known ones included.
    let all_findings = args
        .write_baseline
        .is_some()
        .then(|| outcome.findings.clone());
    if let Some(baseline) = &baseline {
        hide_known(baseline, &mut outcome);
    }
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
    if outputs.iter().all(|(_, path)| path.is_some()) {
        // Every report went to a file: still say how the run went.
        eprint!("drift-lint: {}", human::summary(&report));
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
    for failure in &outcome.live_failures {
        eprintln!("drift-lint: error: could not read from Railway: {failure}");
    }
    if !model.unreadable.is_empty() || !outcome.live_failures.is_empty() {
        if args.write_baseline.is_some() {
            eprintln!("drift-lint: error: baseline not written: the run could not read everything");
        }
        return Ok(EXIT_TROUBLE);
    }
    if let (Some(path), Some(all_findings)) = (&args.write_baseline, &all_findings) {
        let written = Baseline::of(model, all_findings);
        written.write(path)?;
        eprintln!(
            "wrote a baseline of {} finding(s) to {}",
            written.findings.len(),
            path.display()
        );
        return Ok(0);
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

/// Hide the findings `baseline` lists, and say on stderr what is new and what is fixed.
/// What was not read is not fixed: a live-only run says nothing about files, and a run that
/// could not read everything says nothing at all.
fn hide_known(baseline: &Baseline, outcome: &mut Outcome) {
    let split = baseline.partition(&outcome.model, std::mem::take(&mut outcome.findings));
    outcome.findings = split.new;
    let read_everything = outcome.model.unreadable.is_empty() && outcome.live_failures.is_empty();
    let (fixed, unseen): (Vec<_>, Vec<_>) = split
        .fixed
        .iter()
        .partition(|entry| read_everything && outcome.model.read.covers(&entry.place));
    if !read_everything && !unseen.is_empty() {
        eprintln!(
            "baseline: {} listed finding(s) not seen, but the run could not read everything; not reporting them as fixed",
            unseen.len()
        );
    }
    for fixed in &fixed {
        eprintln!(
            "fixed since the baseline: {} at {}: {}",
            fixed.rule, fixed.place, fixed.message
        );
    }
    eprintln!(
        "baseline: {} known finding(s) hidden, {} new, {} fixed",
        split.known.len(),
        outcome.findings.len(),
        fixed.len()
    );
}

/// Pair each --output with the --format written just before it (`--format sarif --output
/// x.sarif`); a format with no --output, or with `-`, goes to stdout. Without --format the
/// output is human. At most one format may go to stdout, or the outputs would interleave.
/// Positions are argv indices, as clap reports them.
fn pair_outputs(
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<Vec<(Format, Option<PathBuf>)>, Error> {
    let mut pairs: Vec<(usize, Format, Option<PathBuf>)> = if formats.is_empty() {
        vec![(0, Format::Human, None)]
    } else {
        formats
            .iter()
            .map(|(at, format)| (*at, *format, None))
            .collect()
    };
    let mut taken = vec![false; pairs.len()];
    for (at, path) in outputs {
        let owner = pairs
            .iter()
            .enumerate()
            .rev()
            .find(|(i, (format_at, _, _))| format_at < at && !taken[*i])
            .map(|(i, _)| i)
            // `--output F` alone (or before its format) keeps the default human format.
            .or_else(|| (formats.is_empty() && !taken[0]).then_some(0))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--output {} has no --format of its own: write `--format FORMAT --output {}`",
                    path.display(),
                    path.display()
                ))
            })?;
        taken[owner] = true;
        pairs[owner].2 = Some(path.clone()).filter(|p| p.as_os_str() != "-");
    }
    let pairs: Vec<(Format, Option<PathBuf>)> = pairs
        .into_iter()
        .map(|(_, format, path)| (format, path))
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
        Format::Json => json::render(report),
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
                report,
                &human::HumanOptions {
                    color,
                    width,
                    show_suppressed: args.show_suppressed,
                },
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
