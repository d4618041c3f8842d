//! GitHub Actions workflows and action metadata files (Gitea and Forgejo use the same format).
//!
//! What a workflow tells drift-lint:
//!
//! - **CI settings** (`Origin::Ci`): every `env:` entry at workflow, job and step level, plus
//!   the images CI runs, under synthetic keys so rules can see them: `container.image`,
//!   `services.<name>.image`, and `uses` for a `docker://` step. Job- and step-level settings
//!   take the job's `environment:` as their environment.
//! - **Deployed writes** (`Origin::Deployed`, `partial: true`): `railway variables --set K=V`
//!   and `railway variable set K=V ...` in `run:` scripts, with spans on the exact bytes
//!   inside the block.
//! - **Publications**: image references the workflow pushes, from
//!   `docker/build-push-action`, `docker/metadata-action`, and `docker`, `crane` and `skopeo`
//!   commands in `run:` scripts.
//!
//! Decisions worth knowing:
//!
//! - An `env:` value's span is its text (inside the quotes when quoted); a `${{ }}`-valued or
//!   non-scalar value spans the whole node. A null value (`KEY:`) is recorded as `""`, as the
//!   runner sets it; a non-scalar value (invalid in Actions) as its source text.
//! - An `environment:` written as a `${{ }}` expression names no environment we can know, so
//!   the hint's environment is used instead; the same goes for a `railway -e "$VAR"` that
//!   the visible env does not resolve.
//! - `docker/build-push-action` publishes only when `push` is `true` or a `${{ }}`
//!   expression (it may be true), or when `outputs` says `type=registry` or `push=true`. With
//!   `push` absent or false it only builds, so nothing is recorded. A tag that is exactly
//!   `${{ steps.<id>.outputs.tags }}` of a metadata-action step in the same job is skipped:
//!   that step's own publications already stand for it.
//! - `docker/metadata-action`: every enabled image is recorded as written, without a tag,
//!   and must not be read as `:latest`. Tags are combined with each image where the tag is
//!   known without a git ref: `type=raw` (its value as written, `{{...}}` placeholders kept),
//!   `type=sha` (written `<prefix>${{ github.sha }}<suffix>`, prefix `sha-` by default; the
//!   expression stands for both short and long forms), `type=edge` (`edge`) and
//!   `type=schedule` (its pattern, `nightly` by default). `latest` is added as the action
//!   does: always with `flavor: latest=true`, never with `latest=false`, and with
//!   `latest=auto` (the default) when a `semver`, `pep440`, `match` or `ref,event=tag` tag
//!   (or the default tag list) is present. A combined publication's span is its tag line.
//! - `docker buildx build --push -t X` (or `--output type=registry` / `push=true`) is
//!   recorded as `PublishMethod::DockerPush`; a plain `docker build -t X` is not, its
//!   `docker push` is.
//! - `crane tag IMG TAG` publishes IMG's repository with TAG: written is
//!   `<IMG without tag or digest>:TAG` and the span is the TAG word. `crane copy|cp SRC DST`
//!   and `crane push PATH DST` publish DST; `skopeo copy SRC docker://DST` publishes DST
//!   with the transport stripped (other transports are not registries and are skipped).
//! - `resolved` expands `${{ env.NAME }}` from the literal env values visible at that point
//!   (workflow, then job, then step; values containing `${{` are not used). In `run:`
//!   scripts `$NAME` and `${NAME}` are expanded too, as is a variable assigned earlier in
//!   the same script (`SRC="$IMAGE:tag"`, expanded when assigned; such a value may keep
//!   `${{ }}` as written, and a value from `$(...)` makes the variable unknown). Action
//!   inputs (`with:`) get no shell expansion, as the runner gives them none.
//!   A step that writes `NAME=...` to `$GITHUB_ENV` makes NAME unknown for the steps after it.
//! - `railway variable set KEY --stdin` and `railway variables --set-from-stdin KEY` set a
//!   value we cannot read: recorded with `value: None`, both spans on the key.
//! - Spans inside block scalars (`run: |`, `tags: |`) come from `Yaml::source_range`.
//! - Only the first YAML document of a file is read.

use std::collections::HashMap;
use std::ops::Range;

use crate::model::{
    floor_char_boundary, FileId, Location, Origin, Publication, PublishMethod, Scope, Setting,
};
use crate::source::shell::{self, is_name, Command, Word};
use crate::source::{Loaded, ScopeHint};
use crate::yaml::{self, Node, Yaml};

/// Load a GitHub Actions workflow (or Gitea/Forgejo, same format).
pub fn load_workflow(text: &str, file: FileId, hint: &ScopeHint) -> Loaded {
    let mut loader = Loader::new(text, file, hint);
    if let Some(root) = loader.root() {
        loader.workflow(&root);
    }
    loader.out
}

/// Load an action metadata file (action.yml / action.yaml): composite steps' env/run/uses,
/// `runs.image` of docker actions (`docker://...` or a Dockerfile), `runs.env`.
pub fn load_action(text: &str, file: FileId, hint: &ScopeHint) -> Loaded {
    let mut loader = Loader::new(text, file, hint);
    if let Some(root) = loader.root() {
        loader.action(&root);
    }
    loader.out
}

/// Literal env values visible at one point, by name.
type Vars = HashMap<String, String>;

/// What a step inherits from its job (or the workflow).
#[derive(Debug, Clone, Default)]
struct Context {
    /// The job's `environment:` name, else the hint's.
    environment: Option<String>,
    /// Literal env values visible here, for `resolved`.
    vars: Vars,
    /// Ids of this job's metadata-action steps, whose `outputs.tags` they record themselves.
    metadata_steps: Vec<String>,
}

/// Reads one file; everything found goes to `out`.
struct Loader<'a> {
    text: &'a str,
    file: FileId,
    hint: &'a ScopeHint,
    out: Loaded,
}

/// Flags of `railway` that take a value.
const RAILWAY_VALUE_FLAGS: &[&str] = &[
    "-s",
    "--service",
    "-e",
    "--environment",
    "-p",
    "--project",
    "--set",
    "--set-from-stdin",
];
/// `docker` flags before the subcommand that take a value.
const DOCKER_GLOBAL_VALUE_FLAGS: &[&str] = &[
    "--config",
    "-c",
    "--context",
    "-H",
    "--host",
    "-l",
    "--log-level",
    "--builder",
];
/// `docker build` / `docker buildx build` flags that take a value.
const BUILD_VALUE_FLAGS: &[&str] = &[
    "-t",
    "--tag",
    "-o",
    "--output",
    "-f",
    "--file",
    "--platform",
    "--build-arg",
    "--label",
    "--target",
    "--cache-from",
    "--cache-to",
    "--secret",
    "--ssh",
    "--progress",
    "--builder",
    "--iidfile",
    "--metadata-file",
    "--annotation",
    "--build-context",
    "--network",
    "--attest",
    "--provenance",
    "--sbom",
    "--allow",
    "--add-host",
];
/// `docker buildx imagetools create` flags that take a value.
const IMAGETOOLS_VALUE_FLAGS: &[&str] = &[
    "-t",
    "--tag",
    "-f",
    "--file",
    "--builder",
    "--annotation",
    "--progress",
    "--platform",
    "--metadata-file",
];
/// `crane` flags that take a value.
const CRANE_VALUE_FLAGS: &[&str] = &["--platform", "-j", "--jobs", "--format"];
/// `skopeo` (global and `copy`) flags that take a value.
const SKOPEO_VALUE_FLAGS: &[&str] = &[
    "--authfile",
    "--src-authfile",
    "--dest-authfile",
    "--src-creds",
    "--dest-creds",
    "--src-username",
    "--src-password",
    "--dest-username",
    "--dest-password",
    "--src-registry-token",
    "--dest-registry-token",
    "--src-cert-dir",
    "--dest-cert-dir",
    "--src-shared-blob-dir",
    "--dest-shared-blob-dir",
    "--format",
    "-f",
    "--override-arch",
    "--override-os",
    "--override-variant",
    "--sign-by",
    "--sign-by-sigstore",
    "--sign-by-sigstore-private-key",
    "--sign-passphrase-file",
    "--sign-identity",
    "--additional-tag",
    "--multi-arch",
    "--retry-times",
    "--retry-delay",
    "--dest-compress-format",
    "--dest-compress-level",
    "--encryption-key",
    "--decryption-key",
    "--digestfile",
    "--image-parallel-copies",
    "--registries-conf",
    "--policy",
    "--tmpdir",
    "--command-timeout",
];

impl<'a> Loader<'a> {
    fn new(text: &'a str, file: FileId, hint: &'a ScopeHint) -> Self {
        Loader {
            text,
            file,
            hint,
            out: Loaded::default(),
        }
    }

    /// The root mapping, or `None` after recording why the file cannot be read.
    fn root(&mut self) -> Option<Yaml> {
        match yaml::parse(self.text) {
            Err(error) => {
                self.problem_at(error.offset, format!("invalid YAML: {}", error.message));
                None
            }
            Ok(documents) => match documents.into_iter().next() {
                None => {
                    self.problem_at(0, "empty file: no YAML document");
                    None
                }
                Some(root) if root.as_mapping().is_some() => Some(root),
                Some(root) => {
                    let found = match root.node {
                        Node::Sequence(_) => "a sequence",
                        _ => "a scalar",
                    };
                    self.problem_at(
                        root.span.start,
                        format!("expected a mapping, found {found}"),
                    );
                    None
                }
            },
        }
    }

    /// A problem spanning from `offset` to the end of its line.
    fn problem_at(&mut self, offset: usize, message: impl Into<String>) {
        let start = floor_char_boundary(self.text, offset);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let end = if self.text[start..line_end].ends_with('\r') {
            line_end - 1
        } else {
            line_end
        };
        self.out.problem(self.file, start..end, message);
    }

    /// Workflow-level env, then each job.
    fn workflow(&mut self, root: &Yaml) {
        let mut top = Context {
            environment: self.hint.environment.clone(),
            ..Context::default()
        };
        self.env_block(root.get("env"), &mut top);
        let Some(jobs) = root.get("jobs") else {
            return;
        };
        for (_, job) in jobs.entries() {
            self.job(job, &top);
        }
    }

    /// An action's `runs`: its env and image (docker actions) and steps (composite ones).
    fn action(&mut self, root: &Yaml) {
        let mut context = Context {
            environment: self.hint.environment.clone(),
            ..Context::default()
        };
        let Some(runs) = root.get("runs") else {
            return;
        };
        self.env_block(runs.get("env"), &mut context);
        if let Some((key, image)) = runs.get_entry("image") {
            self.image_setting("runs.image", key, image, &context);
        }
        if let Some(steps) = runs.get("steps") {
            self.steps(steps, &context);
        }
    }

    /// One job: its environment names the scope of everything under it.
    fn job(&mut self, job: &Yaml, parent: &Context) {
        let mut context = parent.clone();
        if let Some(name) = job.get("environment").and_then(environment_name) {
            context.environment = Some(name);
        }
        self.env_block(job.get("env"), &mut context);
        self.job_images(job, &context);
        if let Some(steps) = job.get("steps") {
            self.steps(steps, &context);
        }
    }

    /// `container` and `services` images, each as a string or under `image:`.
    fn job_images(&mut self, job: &Yaml, context: &Context) {
        if let Some((key, container)) = job.get_entry("container") {
            match container.get_entry("image") {
                Some((image_key, image)) => {
                    self.image_setting("container.image", image_key, image, context)
                }
                None if container.as_str().is_some() => {
                    self.image_setting("container.image", key, container, context)
                }
                None => {}
            }
        }
        if let Some(services) = job.get("services") {
            for (name, service) in services.entries() {
                let Some(name_text) = name.as_str() else {
                    continue;
                };
                let synthetic = format!("services.{name_text}.image");
                match service.get_entry("image") {
                    Some((image_key, image)) => {
                        self.image_setting(&synthetic, image_key, image, context)
                    }
                    None if service.as_str().is_some() => {
                        self.image_setting(&synthetic, name, service, context)
                    }
                    None => {}
                }
            }
        }
    }

    /// A job's (or composite action's) steps, in order, so `$GITHUB_ENV` writes affect later ones.
    fn steps(&mut self, steps: &Yaml, parent: &Context) {
        let Some(items) = steps.as_sequence() else {
            return;
        };
        let mut context = parent.clone();
        context.metadata_steps = items
            .iter()
            .filter(|step| {
                step.get("uses").and_then(Yaml::as_str).map(action_name)
                    == Some("docker/metadata-action".to_string())
            })
            .filter_map(|step| step.get("id").and_then(Yaml::as_str).map(str::to_string))
            .collect();
        for step in items {
            self.step(step, &context);
            // A step that writes `NAME=...` to `$GITHUB_ENV` changes NAME for the steps after
            // it, to a value we do not track: stop resolving NAME from the literal env.
            for name in github_env_writes(step) {
                context.vars.remove(&name);
            }
        }
    }

    /// One step: its env, a `docker://` or docker action in `uses`, and its `run:` script.
    fn step(&mut self, step: &Yaml, parent: &Context) {
        let mut context = parent.clone();
        self.env_block(step.get("env"), &mut context);
        if let Some((key, uses)) = step.get_entry("uses") {
            if let Some(reference) = uses.as_str() {
                if reference.trim_start().starts_with("docker://") {
                    self.image_setting("uses", key, uses, &context);
                }
                let with = step.get("with");
                match action_name(reference).as_str() {
                    "docker/build-push-action" => self.build_push_action(with, &context),
                    "docker/metadata-action" => self.metadata_action(with, &context),
                    _ => {}
                }
            }
        }
        if let Some(run) = step.get("run") {
            self.script(run, &context);
        }
    }

    /// Record an `env:` mapping and add its literal values to the context. A non-mapping
    /// (`env: ${{ fromJSON(...) }}`) cannot be read statically and is skipped quietly.
    fn env_block(&mut self, env: Option<&Yaml>, context: &mut Context) {
        let Some(env) = env.filter(|env| env.as_mapping().is_some()) else {
            return;
        };
        for (key, value) in env.entries() {
            let Some(name) = key.as_str() else {
                continue;
            };
            let (text, literal) = match value.as_str() {
                Some(_) if value.is_null() => (String::new(), true),
                Some(text) => (text.to_string(), !text.contains("${{")),
                None => (self.slice(&self.node_span(value)).to_string(), false),
            };
            let scope = self.ci_scope(context);
            self.setting(
                name,
                Some(text.clone()),
                self.text_span(key),
                self.value_span(value),
                scope,
                false,
            );
            if literal {
                context.vars.insert(name.to_string(), text);
            } else {
                // A later expression value hides an earlier literal one.
                context.vars.remove(name);
            }
        }
    }

    /// An image CI runs, as a setting under a synthetic key; `key` is the YAML key it sits under.
    fn image_setting(&mut self, synthetic: &str, key: &Yaml, image: &Yaml, context: &Context) {
        let Some(text) = image.as_str() else {
            return;
        };
        let scope = self.ci_scope(context);
        self.setting(
            synthetic,
            Some(text.to_string()),
            self.text_span(key),
            self.value_span(image),
            scope,
            false,
        );
    }

    /// Scope of CI's own settings: the job's environment, the hint's service.
    fn ci_scope(&self, context: &Context) -> Scope {
        Scope {
            environment: context.environment.clone(),
            service: self.hint.service.clone(),
            origin: Origin::Ci,
        }
    }

    /// Record a setting in this file.
    fn setting(
        &mut self,
        key: &str,
        value: Option<String>,
        key_span: Range<usize>,
        value_span: Range<usize>,
        scope: Scope,
        partial: bool,
    ) {
        self.out.settings.push(Setting {
            key: key.to_string(),
            value,
            key_at: Location::new(self.file, key_span),
            value_at: Location::new(self.file, value_span),
            scope,
            partial,
        });
    }

    /// Record a publication in this file.
    fn publish(
        &mut self,
        written: &str,
        resolved: String,
        span: Range<usize>,
        method: PublishMethod,
    ) {
        let span = self.clean(span);
        self.out.publications.push(Publication {
            written: written.to_string(),
            resolved,
            at: Location::new(self.file, span),
            method,
        });
    }

    /// Source span of a scalar's whole text: inside the quotes when it was quoted.
    fn text_span(&self, node: &Yaml) -> Range<usize> {
        match node.as_str() {
            Some(text) => self.inner_span(node, 0..text.len()),
            None => self.clean(node.span.clone()),
        }
    }

    /// A value's span: its text, or the whole node for `${{ }}` values and collections.
    fn value_span(&self, node: &Yaml) -> Range<usize> {
        match node.as_str() {
            Some(text) if !text.contains("${{") => self.text_span(node),
            _ => self.node_span(node),
        }
    }

    /// A node's span, with the closing brackets of a flow collection, which the YAML tree
    /// leaves out (its span ends at the last item).
    fn node_span(&self, node: &Yaml) -> Range<usize> {
        let span = self.clean(node.span.clone());
        if node.as_str().is_some() {
            return span;
        }
        let mut open = 0usize;
        let mut quote = None;
        for byte in self.slice(&span).bytes() {
            match (quote, byte) {
                (Some(q), b) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(byte),
                (None, b'[' | b'{') => open += 1,
                (None, b']' | b'}') => open = open.saturating_sub(1),
                _ => {}
            }
        }
        let bytes = self.text.as_bytes();
        let mut end = span.end;
        let mut at = span.end;
        while open > 0 && at < bytes.len() {
            match bytes[at] {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b']' | b'}' => {
                    open -= 1;
                    end = at + 1;
                }
                _ => break,
            }
            at += 1;
        }
        span.start..end
    }

    /// Source span of `range` inside a scalar's text (exact inside `run: |` blocks).
    fn inner_span(&self, node: &Yaml, range: Range<usize>) -> Range<usize> {
        self.clean(node.source_range(self.text, range))
    }

    /// Clamp a span into the text and onto character boundaries.
    fn clean(&self, span: Range<usize>) -> Range<usize> {
        let end = floor_char_boundary(self.text, span.end);
        let start = floor_char_boundary(self.text, span.start.min(end));
        start..end
    }

    /// The source text of a span, empty if the span is out of range.
    fn slice(&self, span: &Range<usize>) -> &'a str {
        self.text.get(span.clone()).unwrap_or("")
    }

    // ----- docker/build-push-action and docker/metadata-action -------------------------

    /// `with.tags` of docker/build-push-action, each tag one publication, when it pushes.
    fn build_push_action(&mut self, with: Option<&Yaml>, context: &Context) {
        let Some(with) = with else {
            return;
        };
        if !build_push_pushes(with) {
            return;
        }
        let Some((tags, text)) = scalar_input(with, "tags") else {
            return;
        };
        for line in lines(text) {
            for item in fields(text, line) {
                let tag = &text[item.clone()];
                if is_metadata_output(tag, &context.metadata_steps) {
                    continue;
                }
                let resolved = resolve(tag, &context.vars, false);
                let span = self.inner_span(tags, item);
                self.publish(tag, resolved, span, PublishMethod::BuildPushAction);
            }
        }
    }

    /// docker/metadata-action: each image, and each image with each tag we can know.
    fn metadata_action(&mut self, with: Option<&Yaml>, context: &Context) {
        let Some(with) = with else {
            return;
        };
        let Some((images, images_text)) = scalar_input(with, "images") else {
            return;
        };
        let tags = scalar_input(with, "tags");
        let specs: Vec<(Range<usize>, TagSpec)> = tags
            .map(|(_, text)| {
                lines(text)
                    .into_iter()
                    .map(|line| (line.clone(), TagSpec::parse(text, line)))
                    .collect()
            })
            .unwrap_or_default();
        let flavor_input = scalar_input(with, "flavor");
        let flavor = flavor_input
            .map(|(_, text)| Flavor::parse(text))
            .unwrap_or_default();
        let latest = self.latest_source(
            &flavor,
            flavor_input.map(|(node, _)| node),
            &specs,
            tags.map(|(node, _)| node),
        );
        for image_range in metadata_images(images_text) {
            let image = &images_text[image_range.clone()];
            let image_resolved = resolve(image, &context.vars, false);
            let image_span = self.inner_span(images, image_range);
            let method = PublishMethod::MetadataAction;
            self.publish(image, image_resolved.clone(), image_span.clone(), method);
            if let Some((tags_node, _)) = tags {
                for (line, spec) in &specs {
                    let Some(tag) = spec.tag(&flavor) else {
                        continue;
                    };
                    let span = self.inner_span(tags_node, line.clone());
                    let resolved =
                        format!("{image_resolved}:{}", resolve(&tag, &context.vars, false));
                    self.publish(&format!("{image}:{tag}"), resolved, span, method);
                }
            }
            if let Some(latest_span) = &latest {
                let tag = flavor.latest_tag();
                let span = latest_span.clone().unwrap_or_else(|| image_span.clone());
                let resolved = format!("{image_resolved}:{tag}");
                self.publish(&format!("{image}:{tag}"), resolved, span, method);
            }
        }
    }

    /// Whether metadata-action adds `latest`, and the span of what makes it do so (`None`
    /// inside when it is the default tag list, so each image entry stands for it).
    fn latest_source(
        &self,
        flavor: &Flavor,
        flavor_node: Option<&Yaml>,
        specs: &[(Range<usize>, TagSpec)],
        tags: Option<&Yaml>,
    ) -> Option<Option<Range<usize>>> {
        match flavor.latest.as_str() {
            "false" => None,
            "auto" => {
                if specs.is_empty() {
                    return Some(None);
                }
                let (line, _) = specs.iter().find(|(_, spec)| spec.triggers_latest())?;
                Some(tags.map(|node| self.inner_span(node, line.clone())))
            }
            _ => Some(
                flavor_node
                    .zip(flavor.latest_at.clone())
                    .map(|(node, range)| self.inner_span(node, range)),
            ),
        }
    }

    // ----- run: scripts -----------------------------------------------------------------

    /// A `run:` script, command by command; assignments update the variables as we go.
    fn script(&mut self, run: &Yaml, context: &Context) {
        let Some(script) = run.as_str() else {
            return;
        };
        let mut vars = context.vars.clone();
        for command in shell::commands(script) {
            self.command(&command, run, &mut vars, context);
        }
    }

    /// One command: an assignment, or a program we know how to read.
    fn command(&mut self, command: &Command, run: &Yaml, vars: &mut Vars, context: &Context) {
        if track_assignments(&command.words, vars) {
            return;
        }
        let Some((program, args)) = program(&command.words) else {
            return;
        };
        let script = Script { run, vars, context };
        match program.as_str() {
            "railway" => self.railway(args, &script),
            "docker" | "podman" => self.docker(args, &script),
            "crane" => self.crane(args, &script),
            "skopeo" => self.skopeo(args, &script),
            _ => {}
        }
    }

    /// `railway variables --set K=V ...`, `railway variable set K=V ...`, with `-e`/`-s`.
    fn railway(&mut self, args: &[Word], script: &Script) {
        let parsed = Parsed::new(args, RAILWAY_VALUE_FLAGS);
        let Some(command) = parsed.positional.first() else {
            return;
        };
        if !matches!(
            command.text.as_str(),
            "variable" | "variables" | "vars" | "var"
        ) {
            return;
        }
        let flag_text = |names: &[&str]| {
            parsed
                .value_of(names)
                .and_then(|(word, from)| word.text.get(from..))
                .map(|value| resolve(value, script.vars, true))
                .filter(|value| !value.is_empty() && !value.contains('$'))
        };
        let scope = Scope {
            environment: flag_text(&["-e", "--environment"])
                .or_else(|| script.context.environment.clone()),
            service: flag_text(&["-s", "--service"]).or_else(|| self.hint.service.clone()),
            origin: Origin::Deployed,
        };
        for (word, from) in parsed.values_of(&["--set"]) {
            self.railway_write(word, from, &scope, script);
        }
        for (word, from) in parsed.values_of(&["--set-from-stdin"]) {
            self.railway_stdin_write(word, from, &scope, script);
        }
        if parsed
            .positional
            .get(1)
            .is_some_and(|word| word.text == "set")
        {
            let stdin = parsed.has(&["--stdin"]);
            for word in parsed.positional.iter().skip(2) {
                if stdin {
                    self.railway_stdin_write(word, 0, &scope, script);
                } else {
                    self.railway_write(word, 0, &scope, script);
                }
            }
        }
    }

    /// One `K=V` word of a railway write.
    fn railway_write(&mut self, word: &Word, from: usize, scope: &Scope, script: &Script) {
        let Some(kv) = word.key_value_from(from) else {
            return;
        };
        if !is_name(kv.key) || kv.key_range.len() != kv.key.len() {
            return;
        }
        let key_span = self.inner_span(script.run, kv.key_range.clone());
        let value_span = self.inner_span(script.run, kv.value_range.clone());
        self.setting(
            kv.key,
            Some(kv.value.to_string()),
            key_span,
            value_span,
            scope.clone(),
            true,
        );
    }

    /// A railway write whose value comes from stdin: set, but to a value we cannot read.
    fn railway_stdin_write(&mut self, word: &Word, from: usize, scope: &Scope, script: &Script) {
        let Some(key) = word.text.get(from..).filter(|key| is_name(key)) else {
            return;
        };
        let span = self.inner_span(script.run, word.script_range(from..word.text.len()));
        self.setting(key, None, span.clone(), span, scope.clone(), true);
    }

    /// `docker push|tag|image push|image tag|build|buildx build|buildx imagetools create`.
    fn docker(&mut self, args: &[Word], script: &Script) {
        let rest = skip_global_flags(args, DOCKER_GLOBAL_VALUE_FLAGS);
        let Some((subcommand, rest)) = rest.split_first() else {
            return;
        };
        match subcommand.text.as_str() {
            "push" => self.docker_push(rest, script),
            "tag" => self.docker_tag(rest, script),
            "image" => match rest.split_first() {
                Some((word, rest)) if word.text == "push" => self.docker_push(rest, script),
                Some((word, rest)) if word.text == "tag" => self.docker_tag(rest, script),
                _ => {}
            },
            "build" => self.docker_build(rest, script),
            "buildx" => {
                let rest = skip_global_flags(rest, DOCKER_GLOBAL_VALUE_FLAGS);
                match rest.split_first() {
                    Some((word, rest)) if matches!(word.text.as_str(), "build" | "b") => {
                        self.docker_build(rest, script)
                    }
                    Some((word, rest)) if word.text == "imagetools" => {
                        if let Some((create, rest)) = rest.split_first() {
                            if create.text == "create" {
                                self.imagetools_create(rest, script);
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// `docker push IMG`.
    fn docker_push(&mut self, args: &[Word], script: &Script) {
        let parsed = Parsed::new(args, &["--platform"]);
        if let Some(image) = parsed.positional.first() {
            self.publish_word(image, 0, script, PublishMethod::DockerPush);
        }
    }

    /// `docker tag SRC DST`: DST is what a later push publishes.
    fn docker_tag(&mut self, args: &[Word], script: &Script) {
        let parsed = Parsed::new(args, &[]);
        if let Some(target) = parsed.positional.get(1) {
            self.publish_word(target, 0, script, PublishMethod::DockerTag);
        }
    }

    /// `docker build` / `docker buildx build`: its `-t` targets, only when it pushes.
    fn docker_build(&mut self, args: &[Word], script: &Script) {
        let parsed = Parsed::new(args, BUILD_VALUE_FLAGS);
        let push_flag = parsed
            .flags
            .iter()
            .any(|flag| flag.name == "--push" && flag.value_text() != Some("false"));
        let pushing_output = parsed
            .values_of(&["-o", "--output"])
            .into_iter()
            .any(|(word, from)| word.text.get(from..).is_some_and(output_pushes));
        if !(push_flag || pushing_output) {
            return;
        }
        for (word, from) in parsed.values_of(&["-t", "--tag"]) {
            self.publish_word(word, from, script, PublishMethod::DockerPush);
        }
    }

    /// `docker buildx imagetools create -t DST ... SRC...`: each `-t` (not with `--dry-run`).
    fn imagetools_create(&mut self, args: &[Word], script: &Script) {
        let parsed = Parsed::new(args, IMAGETOOLS_VALUE_FLAGS);
        if parsed.has(&["--dry-run"]) {
            return;
        }
        for (word, from) in parsed.values_of(&["-t", "--tag"]) {
            self.publish_word(word, from, script, PublishMethod::ImagetoolsCreate);
        }
    }

    /// `crane tag`, `crane copy|cp`, `crane push`.
    fn crane(&mut self, args: &[Word], script: &Script) {
        let parsed = Parsed::new(args, CRANE_VALUE_FLAGS);
        let positional = &parsed.positional;
        match positional.first().map(|word| word.text.as_str()) {
            Some("tag") => {
                if let (Some(image), Some(tag)) = (positional.get(1), positional.get(2)) {
                    self.crane_tag(image, tag, script);
                }
            }
            Some("copy" | "cp" | "push") => {
                if let Some(target) = positional.get(2) {
                    self.publish_word(target, 0, script, PublishMethod::Crane);
                }
            }
            _ => {}
        }
    }

    /// `crane tag IMG TAG` publishes IMG's repository under TAG; the span is the TAG word.
    fn crane_tag(&mut self, image: &Word, tag: &Word, script: &Script) {
        if tag.text.is_empty() {
            return;
        }
        let written = format!("{}:{}", repository(&image.text), tag.text);
        let resolved_image = resolve(&image.text, script.vars, true);
        let resolved = format!(
            "{}:{}",
            repository(&resolved_image),
            resolve(&tag.text, script.vars, true)
        );
        let span = self.inner_span(script.run, tag.script_range(0..tag.text.len()));
        self.publish(&written, resolved, span, PublishMethod::Crane);
    }

    /// `skopeo copy SRC docker://DST`.
    fn skopeo(&mut self, args: &[Word], script: &Script) {
        let parsed = Parsed::new(args, SKOPEO_VALUE_FLAGS);
        if parsed
            .positional
            .first()
            .is_none_or(|word| word.text != "copy")
        {
            return;
        }
        if let Some(target) = parsed.positional.get(2) {
            if target.text.starts_with("docker://") {
                self.publish_word(target, "docker://".len(), script, PublishMethod::Skopeo);
            }
        }
    }

    /// Publish the part of a script word from byte `from` of its text.
    fn publish_word(&mut self, word: &Word, from: usize, script: &Script, method: PublishMethod) {
        let Some(written) = word.text.get(from..).filter(|text| !text.is_empty()) else {
            return;
        };
        let resolved = resolve(written, script.vars, true);
        let span = self.inner_span(script.run, word.script_range(from..word.text.len()));
        self.publish(written, resolved, span, method);
    }
}

/// The `run:` script being read: its node (for spans), variables so far, and the step context.
struct Script<'s> {
    run: &'s Yaml,
    vars: &'s Vars,
    context: &'s Context,
}

/// A job's environment name from `environment: NAME` or `environment: {name: NAME}`;
/// `None` for an expression, which names no environment we can know.
fn environment_name(node: &Yaml) -> Option<String> {
    let name = match node.as_str() {
        Some(name) => name,
        None => node.get("name")?.as_str()?,
    };
    let name = name.trim();
    (!name.is_empty() && !name.contains("${{")).then(|| name.to_string())
}

/// `owner/repo` of a `uses:` reference, lowercased, without `@ref` or a subdirectory.
fn action_name(reference: &str) -> String {
    let without_ref = reference.trim().split('@').next().unwrap_or_default();
    let mut parts = without_ref.split('/');
    match (parts.next(), parts.next()) {
        (Some(owner), Some(repo)) => format!("{owner}/{repo}").to_ascii_lowercase(),
        _ => without_ref.to_ascii_lowercase(),
    }
}

/// An action input that is a scalar, with its text.
fn scalar_input<'y>(with: &'y Yaml, name: &str) -> Option<(&'y Yaml, &'y str)> {
    let node = with.get(name)?;
    node.as_str().map(|text| (node, text))
}

/// Whether a build-push-action step pushes (see the module docs).
fn build_push_pushes(with: &Yaml) -> bool {
    match with.get("push").and_then(Yaml::as_str).map(str::trim) {
        Some(push) if push.contains("${{") || push.eq_ignore_ascii_case("true") => true,
        _ => with
            .get("outputs")
            .and_then(Yaml::as_str)
            .is_some_and(output_pushes),
    }
}

/// Whether a buildx `--output` / `outputs` value writes to a registry.
fn output_pushes(output: &str) -> bool {
    let compact: String = output
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect::<String>()
        .to_ascii_lowercase();
    compact.contains("type=registry") || compact.contains("push=true")
}

/// `${{ steps.<id>.outputs.tags }}` of one of the job's metadata-action steps.
fn is_metadata_output(tag: &str, metadata_steps: &[String]) -> bool {
    let id = tag
        .strip_prefix("${{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .map(str::trim)
        .and_then(|inner| inner.strip_prefix("steps."))
        .and_then(|inner| inner.strip_suffix(".outputs.tags"));
    id.is_some_and(|id| metadata_steps.iter().any(|step| step == id))
}

/// Lines of an action input list as trimmed ranges, without blank and `#` comment lines.
fn lines(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        let range = trim_range(text, start..start + piece.len());
        start += piece.len();
        if !range.is_empty() && !text[range.clone()].starts_with('#') {
            out.push(range);
        }
    }
    out
}

/// Comma-separated fields of `range`, split outside `${{ }}` and double quotes, trimmed,
/// with surrounding double quotes removed (the actions parse their lists as CSV).
fn fields(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = range.start;
    for comma in top_level_positions(text, range.clone(), b',')
        .into_iter()
        .chain([range.end])
    {
        let field = unquote_range(text, trim_range(text, start..comma));
        if !field.is_empty() {
            out.push(field);
        }
        start = comma + 1;
    }
    out
}

/// Offsets of `byte` in `range` outside `${{ ... }}` and double quotes.
fn top_level_positions(text: &str, range: Range<usize>, byte: u8) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut quoted = false;
    let mut at = range.start;
    while at < range.end {
        if bytes[at..range.end].starts_with(b"${{") {
            at = text[at..range.end]
                .find("}}")
                .map_or(range.end, |i| at + i + 2);
            continue;
        }
        match bytes[at] {
            b'"' => quoted = !quoted,
            found if found == byte && !quoted => out.push(at),
            _ => {}
        }
        at += 1;
    }
    out
}

/// `range` without surrounding whitespace.
fn trim_range(text: &str, range: Range<usize>) -> Range<usize> {
    let piece = &text[range.clone()];
    let start = range.start + (piece.len() - piece.trim_start().len());
    let end = range.end - (piece.len() - piece.trim_end().len());
    start..end.max(start)
}

/// `range` without one pair of surrounding double quotes (a quoted CSV field).
fn unquote_range(text: &str, range: Range<usize>) -> Range<usize> {
    let piece = &text[range.clone()];
    if piece.len() >= 2 && piece.starts_with('"') && piece.ends_with('"') {
        range.start + 1..range.end - 1
    } else {
        range
    }
}

/// A field `key=value` split at its first top-level `=`: lowercased key and value range.
fn attribute(text: &str, field: Range<usize>) -> Option<(String, Range<usize>)> {
    let equals = *top_level_positions(text, field.clone(), b'=').first()?;
    let key = text[field.start..equals].trim().to_ascii_lowercase();
    Some((key, trim_range(text, equals + 1..field.end)))
}

/// Enabled image names of metadata-action's `images` input (newline-separated, each line
/// `name` or `name=...,enable=...`; a single line of bare names may be comma-separated).
fn metadata_images(text: &str) -> Vec<Range<usize>> {
    let lines = lines(text);
    if let [line] = lines.as_slice() {
        let names = fields(text, line.clone());
        if names
            .iter()
            .all(|field| attribute(text, field.clone()).is_none())
        {
            return names;
        }
    }
    let mut out = Vec::new();
    for line in lines {
        let mut name = None;
        let mut enabled = true;
        for field in fields(text, line) {
            match attribute(text, field.clone()) {
                None => name = Some(field),
                Some((key, value)) if key == "name" => name = Some(value),
                Some((key, value)) if key == "enable" => enabled = &text[value] != "false",
                Some(_) => {}
            }
        }
        if let Some(name) = name.filter(|name| enabled && !name.is_empty()) {
            out.push(name);
        }
    }
    out
}

/// One line of metadata-action's `tags` input: its type and attributes.
#[derive(Debug, Default)]
struct TagSpec {
    kind: String,
    attributes: Vec<(String, String)>,
}

impl TagSpec {
    fn parse(text: &str, line: Range<usize>) -> Self {
        let mut spec = TagSpec {
            kind: "raw".to_string(),
            attributes: Vec::new(),
        };
        for field in fields(text, line) {
            match attribute(text, field.clone()) {
                Some((key, value)) if key == "type" => {
                    spec.kind = text[value].to_ascii_lowercase();
                }
                Some((key, value)) => spec.attributes.push((key, text[value].to_string())),
                None => spec
                    .attributes
                    .push(("value".to_string(), text[field].to_string())),
            }
        }
        spec
    }

    /// The last value given for `key`, as the action keeps the last one.
    fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// The tag this line yields whatever the git ref, or `None` when it depends on the ref
    /// or is disabled.
    fn tag(&self, flavor: &Flavor) -> Option<String> {
        if self.get("enable") == Some("false") {
            return None;
        }
        let core = match self.kind.as_str() {
            "raw" => self.get("value").filter(|value| !value.is_empty())?,
            "sha" => "${{ github.sha }}",
            "edge" => "edge",
            "schedule" => self.get("pattern").unwrap_or("nightly"),
            _ => return None,
        };
        // metadata-action gives `type=sha` its own default prefix, so the flavor's is unused.
        let default_prefix = if self.kind == "sha" {
            "sha-"
        } else {
            flavor.prefix.as_str()
        };
        let prefix = self.get("prefix").unwrap_or(default_prefix);
        let suffix = self.get("suffix").unwrap_or(&flavor.suffix);
        Some(format!("{prefix}{core}{suffix}"))
    }

    /// Whether `latest=auto` adds `latest` for this tag (on a tag push).
    fn triggers_latest(&self) -> bool {
        self.get("enable") != Some("false")
            && (matches!(self.kind.as_str(), "semver" | "pep440" | "match")
                || (self.kind == "ref" && self.get("event") == Some("tag")))
    }
}

/// metadata-action's `flavor` input, as far as it shapes published tags.
#[derive(Debug)]
struct Flavor {
    /// `auto`, `true`, `false`, or an expression (treated as maybe true).
    latest: String,
    /// Range of the `latest=` entry in the flavor text.
    latest_at: Option<Range<usize>>,
    prefix: String,
    suffix: String,
    prefix_latest: bool,
    suffix_latest: bool,
}

impl Default for Flavor {
    fn default() -> Self {
        Flavor {
            latest: "auto".to_string(),
            latest_at: None,
            prefix: String::new(),
            suffix: String::new(),
            prefix_latest: false,
            suffix_latest: false,
        }
    }
}

impl Flavor {
    fn parse(text: &str) -> Self {
        let mut flavor = Flavor::default();
        for line in lines(text) {
            // `onlatest=` applies to the prefix or suffix just before it.
            let mut last = "";
            for field in fields(text, line) {
                let Some((key, value)) = attribute(text, field.clone()) else {
                    continue;
                };
                let value_text = &text[value];
                match key.as_str() {
                    "latest" => {
                        flavor.latest = value_text.to_string();
                        flavor.latest_at = Some(field);
                    }
                    "prefix" => {
                        flavor.prefix = value_text.to_string();
                        last = "prefix";
                    }
                    "suffix" => {
                        flavor.suffix = value_text.to_string();
                        last = "suffix";
                    }
                    "onlatest" if last == "prefix" => flavor.prefix_latest = value_text == "true",
                    "onlatest" if last == "suffix" => flavor.suffix_latest = value_text == "true",
                    _ => {}
                }
            }
        }
        flavor
    }

    /// The `latest` tag with the prefix and suffix that apply to it.
    fn latest_tag(&self) -> String {
        let prefix = if self.prefix_latest {
            self.prefix.as_str()
        } else {
            ""
        };
        let suffix = if self.suffix_latest {
            self.suffix.as_str()
        } else {
            ""
        };
        format!("{prefix}latest{suffix}")
    }
}

// ----- shell helpers -------------------------------------------------------------------

/// A flag of a command line, with its value when it takes one.
struct Flag<'w> {
    name: String,
    /// The word holding the value and where in its text the value starts.
    value: Option<(&'w Word, usize)>,
}

impl Flag<'_> {
    fn value_text(&self) -> Option<&str> {
        self.value.and_then(|(word, from)| word.text.get(from..))
    }
}

/// A command's arguments split into positional words and flags.
struct Parsed<'w> {
    positional: Vec<&'w Word>,
    flags: Vec<Flag<'w>>,
}

impl<'w> Parsed<'w> {
    /// Flags are `--name`, `--name=value`, `--name value` (for names in `takes_value`),
    /// `-x value` and `-xVALUE`; `--` ends them.
    fn new(words: &'w [Word], takes_value: &[&str]) -> Self {
        let mut parsed = Parsed {
            positional: Vec::new(),
            flags: Vec::new(),
        };
        let mut only_positional = false;
        let mut index = 0;
        while let Some(word) = words.get(index) {
            index += 1;
            let text = word.text.as_str();
            if only_positional || !text.starts_with('-') || text == "-" {
                parsed.positional.push(word);
            } else if text == "--" {
                only_positional = true;
            } else if let Some(equals) = text.find('=') {
                parsed.flags.push(Flag {
                    name: text[..equals].to_string(),
                    value: Some((word, equals + 1)),
                });
            } else if takes_value.contains(&text) {
                let value = words.get(index).map(|next| (next, 0));
                index += usize::from(value.is_some());
                parsed.flags.push(Flag {
                    name: text.to_string(),
                    value,
                });
            } else if let Some(short) = text
                .get(..2)
                .filter(|short| !text.starts_with("--") && takes_value.contains(short))
            {
                parsed.flags.push(Flag {
                    name: short.to_string(),
                    value: Some((word, 2)),
                });
            } else {
                parsed.flags.push(Flag {
                    name: text.to_string(),
                    value: None,
                });
            }
        }
        parsed
    }

    fn has(&self, names: &[&str]) -> bool {
        self.flags
            .iter()
            .any(|flag| names.contains(&flag.name.as_str()))
    }

    fn values_of(&self, names: &[&str]) -> Vec<(&'w Word, usize)> {
        self.flags
            .iter()
            .filter(|flag| names.contains(&flag.name.as_str()))
            .filter_map(|flag| flag.value)
            .collect()
    }

    /// The last value given for any of `names` (the CLI keeps the last one).
    fn value_of(&self, names: &[&str]) -> Option<(&'w Word, usize)> {
        self.values_of(names).pop()
    }
}

/// Skip flags before a subcommand; `takes_value` flags skip their value too.
fn skip_global_flags<'w>(words: &'w [Word], takes_value: &[&str]) -> &'w [Word] {
    let mut rest = words;
    while let Some((first, tail)) = rest.split_first() {
        if !first.text.starts_with('-') {
            break;
        }
        rest = if takes_value.contains(&first.text.as_str()) {
            tail.get(1..).unwrap_or_default()
        } else {
            tail
        };
    }
    rest
}

/// Names a step's script may write to `$GITHUB_ENV`: every `NAME=...` word of a script that
/// mentions `GITHUB_ENV` (an over-approximation, which only makes resolution more cautious).
fn github_env_writes(step: &Yaml) -> Vec<String> {
    let Some(script) = step.get("run").and_then(Yaml::as_str) else {
        return Vec::new();
    };
    if !script.contains("GITHUB_ENV") {
        return Vec::new();
    }
    shell::commands(script)
        .iter()
        .flat_map(|command| &command.words)
        .filter_map(|word| word.key_value().map(|kv| kv.key.to_string()))
        .filter(|name| is_name(name))
        .collect()
}

/// Declarations that may precede assignments.
const DECLARATIONS: &[&str] = &["export", "declare", "typeset", "local", "readonly"];
/// Words that run the rest of the command as a command.
const WRAPPERS: &[&str] = &["sudo", "env", "exec", "command", "nohup", "time", "builtin"];

/// A command that only assigns variables (`A=1 B=$A`, `export A=1`) updates `vars` and
/// returns true. A value from `$(...)` or backticks cannot be known, so it hides the name.
fn track_assignments(words: &[Word], vars: &mut Vars) -> bool {
    let declared = words
        .first()
        .is_some_and(|word| word.is_bare() && DECLARATIONS.contains(&word.text.as_str()));
    let assignments: Vec<&Word> = if declared {
        words[1..]
            .iter()
            .filter(|word| word.is_assignment())
            .collect()
    } else if words.iter().all(Word::is_assignment) {
        words.iter().collect()
    } else {
        return false;
    };
    for word in assignments {
        let Some(kv) = word.key_value() else {
            continue;
        };
        if kv.value.contains("$(") || kv.value.contains('`') {
            vars.remove(kv.key);
        } else {
            let value = resolve(kv.value, vars, true);
            vars.insert(kv.key.to_string(), value);
        }
    }
    true
}

/// The program a command runs and its arguments, past assignments and wrappers such as
/// `sudo`; `npx @railway/cli ...` counts as `railway`.
fn program(words: &[Word]) -> Option<(String, &[Word])> {
    let mut rest = words;
    loop {
        let (first, tail) = rest.split_first()?;
        if first.is_assignment() {
            rest = tail;
        } else if WRAPPERS.contains(&first.text.as_str()) {
            rest = tail;
            while rest.first().is_some_and(|word| word.text.starts_with('-')) {
                rest = &rest[1..];
            }
        } else {
            break;
        }
    }
    let (first, tail) = rest.split_first()?;
    let name = first.text.rsplit('/').next().unwrap_or_default();
    if matches!(name, "npx" | "bunx" | "pnpx") {
        let package_at = tail.iter().position(|word| !word.text.starts_with('-'))?;
        let package = &tail[package_at].text;
        if package == "@railway/cli" || package.starts_with("@railway/cli@") {
            return Some(("railway".to_string(), &tail[package_at + 1..]));
        }
        return None;
    }
    Some((name.to_string(), tail))
}

/// `written` with `${{ env.NAME }}` (and, in shell, `$NAME` / `${NAME}`) replaced by the
/// literal values in `vars`; anything unknown stays as written.
fn resolve(written: &str, vars: &Vars, shell: bool) -> String {
    let mut out = String::with_capacity(written.len());
    let mut rest = written;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let tail = &rest[dollar..];
        if let Some(inner) = tail.strip_prefix("${{") {
            let Some(close) = inner.find("}}") else {
                out.push_str(tail);
                return out;
            };
            let expression = inner[..close].trim();
            let value = expression
                .strip_prefix("env.")
                .filter(|name| is_name(name))
                .and_then(|name| vars.get(name));
            match value {
                Some(value) => out.push_str(value),
                None => out.push_str(&tail[..3 + close + 2]),
            }
            rest = &inner[close + 2..];
            continue;
        }
        if shell {
            if let Some((value, used)) = shell_variable(tail, vars) {
                out.push_str(value);
                rest = &tail[used..];
                continue;
            }
        }
        out.push('$');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The value of a `$NAME` or `${NAME}` at the start of `tail`, and its length.
fn shell_variable<'v>(tail: &str, vars: &'v Vars) -> Option<(&'v str, usize)> {
    let body = tail.strip_prefix('$')?;
    if let Some(braced) = body.strip_prefix('{') {
        let close = braced.find('}')?;
        let name = &braced[..close];
        return is_name(name)
            .then(|| vars.get(name))
            .flatten()
            .map(|value| (value.as_str(), close + 3));
    }
    let len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let name = &body[..len];
    is_name(name)
        .then(|| vars.get(name))
        .flatten()
        .map(|value| (value.as_str(), len + 1))
}

/// An image reference without its tag and digest. `:` and `@` inside `${{ }}` or `${...}`
/// do not count, and a `:` before the last `/` is a registry port.
fn repository(reference: &str) -> &str {
    let bytes = reference.as_bytes();
    let mut last_slash = None;
    let mut last_colon = None;
    let mut end = reference.len();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at..].starts_with(b"${") {
            let close = if bytes[at..].starts_with(b"${{") {
                "}}"
            } else {
                "}"
            };
            at = reference[at..]
                .find(close)
                .map_or(bytes.len(), |i| at + i + close.len());
            continue;
        }
        match bytes[at] {
            b'/' => last_slash = Some(at),
            b':' => last_colon = Some(at),
            b'@' => {
                end = at;
                break;
            }
            _ => {}
        }
        at += 1;
    }
    match last_colon {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => &reference[..colon],
        _ => &reference[..end],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::line_col;
    use std::path::Path;

    const FILE: FileId = 7;

    fn hint() -> ScopeHint {
        ScopeHint {
            environment: Some("hinted".to_string()),
            service: Some("svc".to_string()),
        }
    }

    fn load(text: &str) -> Loaded {
        load_workflow(text, FILE, &hint())
    }

    fn at<'t>(text: &'t str, location: &Location) -> &'t str {
        assert_eq!(location.file, FILE);
        &text[location.span.clone()]
    }

    fn setting<'l>(loaded: &'l Loaded, key: &str) -> &'l Setting {
        loaded
            .settings
            .iter()
            .find(|s| s.key == key)
            .unwrap_or_else(|| panic!("no setting {key} in {:#?}", loaded.settings))
    }

    fn written(loaded: &Loaded) -> Vec<&str> {
        loaded
            .publications
            .iter()
            .map(|p| p.written.as_str())
            .collect()
    }

    fn resolved(loaded: &Loaded) -> Vec<&str> {
        loaded
            .publications
            .iter()
            .map(|p| p.resolved.as_str())
            .collect()
    }

    /// Read a corpus file in place, or `None` (with a note) when the corpus is absent.
    fn corpus_file(path: &str) -> Option<String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(error) => {
                println!("note: skipping, {path} not readable: {error}");
                None
            }
        }
    }

    const INCIDENT: &str = "/work/shared/corpus/incident";

    #[test]
    fn incident_before_publishes_only_staging_sha() {
        let path =
            format!("{INCIDENT}/before/.github/workflows/publish-workspace-server-image.yml");
        let Some(text) = corpus_file(&path) else {
            return;
        };
        let loaded = load(&text);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let tenant = "${{ env.TENANT_IMAGE_NAME }}:staging-${{ steps.tags.outputs.sha }}";
        let publication = loaded
            .publications
            .iter()
            .find(|p| p.written == tenant)
            .expect("tenant :staging-<sha> publication");
        assert_eq!(
            publication.resolved,
            "ghcr.io/molecule-ai/platform-tenant:staging-${{ steps.tags.outputs.sha }}"
        );
        assert_eq!(at(&text, &publication.at), tenant);
        assert_eq!(publication.method, PublishMethod::BuildPushAction);
        assert_eq!(
            resolved(&loaded),
            [
                "ghcr.io/molecule-ai/platform:staging-${{ steps.tags.outputs.sha }}",
                "ghcr.io/molecule-ai/platform-tenant:staging-${{ steps.tags.outputs.sha }}",
            ]
        );
    }

    #[test]
    fn incident_after_also_publishes_staging_latest() {
        let path = format!("{INCIDENT}/after/.github/workflows/publish-workspace-server-image.yml");
        let Some(text) = corpus_file(&path) else {
            return;
        };
        let loaded = load(&text);
        assert_eq!(
            resolved(&loaded),
            [
                "ghcr.io/molecule-ai/platform:staging-${{ steps.tags.outputs.sha }}",
                "ghcr.io/molecule-ai/platform:staging-latest",
                "ghcr.io/molecule-ai/platform-tenant:staging-${{ steps.tags.outputs.sha }}",
                "ghcr.io/molecule-ai/platform-tenant:staging-latest",
            ]
        );
        let latest = &loaded.publications[3];
        assert_eq!(
            latest.written,
            "${{ env.TENANT_IMAGE_NAME }}:staging-latest"
        );
        assert_eq!(at(&text, &latest.at), latest.written);
    }

    #[test]
    fn incident_crane_retags_publish_latest_for_both_images() {
        for name in ["canary-verify.yml", "promote-latest.yml"] {
            let path = format!("{INCIDENT}/before/.github/workflows/{name}");
            let Some(text) = corpus_file(&path) else {
                return;
            };
            let loaded = load(&text);
            assert_eq!(
                resolved(&loaded),
                [
                    "ghcr.io/molecule-ai/platform:latest",
                    "ghcr.io/molecule-ai/platform-tenant:latest",
                ],
                "{name}"
            );
            for publication in &loaded.publications {
                assert_eq!(publication.method, PublishMethod::Crane);
                assert_eq!(at(&text, &publication.at), "latest", "{name}");
            }
        }
        // canary-verify names the images directly; promote-latest goes through `$SRC`.
        let path = format!("{INCIDENT}/before/.github/workflows/canary-verify.yml");
        if let Some(text) = corpus_file(&path) {
            assert_eq!(
                written(&load(&text)),
                ["${IMAGE_NAME}:latest", "${TENANT_IMAGE_NAME}:latest"]
            );
        }
        let path = format!("{INCIDENT}/before/.github/workflows/promote-latest.yml");
        if let Some(text) = corpus_file(&path) {
            assert_eq!(written(&load(&text)), ["$SRC:latest", "$SRC:latest"]);
        }
    }

    #[test]
    fn env_at_three_levels_with_exact_spans() {
        let text = "\
env:
  TOP: 'quoted value'
  NUM: 3
jobs:
  build:
    env:
      JOB: \"job value\"
      EMPTY:
    steps:
      - env:
          STEP: ${{ secrets.TOKEN }}
          FLAG: true
        run: echo
";
        let loaded = load(text);
        let keys: Vec<&str> = loaded.settings.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["TOP", "NUM", "JOB", "EMPTY", "STEP", "FLAG"]);
        for setting in &loaded.settings {
            assert_eq!(at(text, &setting.key_at), setting.key);
            assert_eq!(setting.scope.origin, Origin::Ci);
            assert!(!setting.partial);
            assert_eq!(setting.scope.service.as_deref(), Some("svc"));
            assert_eq!(setting.scope.environment.as_deref(), Some("hinted"));
        }
        let top = setting(&loaded, "TOP");
        assert_eq!(top.value.as_deref(), Some("quoted value"));
        assert_eq!(at(text, &top.value_at), "quoted value");
        assert_eq!(setting(&loaded, "NUM").value.as_deref(), Some("3"));
        assert_eq!(at(text, &setting(&loaded, "JOB").value_at), "job value");
        assert_eq!(setting(&loaded, "EMPTY").value.as_deref(), Some(""));
        let step = setting(&loaded, "STEP");
        assert_eq!(at(text, &step.value_at), "${{ secrets.TOKEN }}");
        assert_eq!(setting(&loaded, "FLAG").value.as_deref(), Some("true"));
        let (line, column) = line_col(text, step.key_at.span.start);
        assert_eq!((line, column), (11, 11));
    }

    #[test]
    fn expression_env_and_odd_values_are_handled_quietly() {
        let text = "\
env: ${{ fromJSON(inputs.env) }}
jobs:
  a:
    env:
      LIST: [1, 2]
      ? [complex]
      : key
    steps: not-a-list
  b:
    uses: ./.github/workflows/reusable.yml
    with:
      image: x
    strategy:
      matrix:
        v: [1, 2]
";
        let loaded = load(text);
        assert!(loaded.problems.is_empty());
        let list = setting(&loaded, "LIST");
        assert_eq!(list.value.as_deref(), Some("[1, 2]"));
        assert_eq!(at(text, &list.value_at), "[1, 2]");
        let nested = load("env:\n  N: {a: [1, {b: 2}] }\n");
        assert_eq!(
            nested.settings[0].value.as_deref(),
            Some("{a: [1, {b: 2}] }")
        );
        assert_eq!(loaded.settings.len(), 1);
    }

    #[test]
    fn job_environment_as_string_mapping_or_expression() {
        let text = "\
env:
  TOP: 1
jobs:
  staging:
    environment: staging
    env: {A: 1}
    steps:
      - env: {B: 2}
  production:
    environment:
      name: production
      url: https://example.com
    env: {C: 3}
  dynamic:
    environment: ${{ inputs.environment }}
    env: {D: 4}
";
        let loaded = load(text);
        let environment = |key: &str| setting(&loaded, key).scope.environment.clone();
        assert_eq!(environment("TOP").as_deref(), Some("hinted"));
        assert_eq!(environment("A").as_deref(), Some("staging"));
        assert_eq!(environment("B").as_deref(), Some("staging"));
        assert_eq!(environment("C").as_deref(), Some("production"));
        assert_eq!(environment("D").as_deref(), Some("hinted"));
        assert_eq!(at(text, &setting(&loaded, "A").key_at), "A");
    }

    #[test]
    fn ci_images_become_synthetic_settings() {
        let text = "\
jobs:
  one:
    container: node:20-alpine
    services:
      db: postgres:16
      cache:
        image: \"redis:7\"
    steps:
      - uses: docker://alpine:3.19
      - uses: actions/checkout@v4
  two:
    environment: staging
    container:
      image: ghcr.io/org/ci:${{ github.sha }}
";
        let loaded = load(text);
        let images: Vec<(&str, Option<&str>, &str, &str)> = loaded
            .settings
            .iter()
            .map(|s| {
                (
                    s.key.as_str(),
                    s.value.as_deref(),
                    at(text, &s.key_at),
                    at(text, &s.value_at),
                )
            })
            .collect();
        assert_eq!(
            images,
            [
                (
                    "container.image",
                    Some("node:20-alpine"),
                    "container",
                    "node:20-alpine"
                ),
                (
                    "services.db.image",
                    Some("postgres:16"),
                    "db",
                    "postgres:16"
                ),
                ("services.cache.image", Some("redis:7"), "image", "redis:7"),
                (
                    "uses",
                    Some("docker://alpine:3.19"),
                    "uses",
                    "docker://alpine:3.19"
                ),
                (
                    "container.image",
                    Some("ghcr.io/org/ci:${{ github.sha }}"),
                    "image",
                    "ghcr.io/org/ci:${{ github.sha }}"
                ),
            ]
        );
        assert!(loaded.settings.iter().all(|s| s.scope.origin == Origin::Ci));
        assert_eq!(
            loaded.settings[4].scope.environment.as_deref(),
            Some("staging")
        );
    }

    /// Every setting's key and value spans hold exactly its key and value.
    fn assert_exact(text: &str, loaded: &Loaded) {
        for setting in &loaded.settings {
            assert_eq!(at(text, &setting.key_at), setting.key, "{setting:?}");
            if let Some(value) = &setting.value {
                assert_eq!(at(text, &setting.value_at), value, "{setting:?}");
            }
        }
    }

    #[test]
    fn railway_set_in_a_run_block_with_flags() {
        let text = "\
jobs:
  deploy:
    environment: staging
    steps:
      - name: Point staging at the floating tag
        run: |
          echo start
          railway variables -s control-plane -e production --set TENANT_IMAGE=ghcr.io/molecule-ai/platform-tenant:staging-latest --set \"HERMES_DEFAULT_MODEL=openai/gpt-4o\"
          railway variables --set=PORT=8080 && echo done
";
        let loaded = load(text);
        assert_exact(text, &loaded);
        let keys: Vec<&str> = loaded.settings.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["TENANT_IMAGE", "HERMES_DEFAULT_MODEL", "PORT"]);
        let image = setting(&loaded, "TENANT_IMAGE");
        assert_eq!(
            image.value.as_deref(),
            Some("ghcr.io/molecule-ai/platform-tenant:staging-latest")
        );
        assert_eq!(image.scope.origin, Origin::Deployed);
        assert!(image.partial);
        assert_eq!(image.scope.environment.as_deref(), Some("production"));
        assert_eq!(image.scope.service.as_deref(), Some("control-plane"));
        let line = text.lines().nth(7).unwrap();
        let column = line.find("TENANT_IMAGE").unwrap() + 1;
        assert_eq!(line_col(text, image.key_at.span.start), (8, column));
        let value_column = line.find("ghcr.io").unwrap() + 1;
        assert_eq!(line_col(text, image.value_at.span.start), (8, value_column));
        // Without flags, the job's environment and the hint's service apply.
        let port = setting(&loaded, "PORT");
        assert_eq!(port.scope.environment.as_deref(), Some("staging"));
        assert_eq!(port.scope.service.as_deref(), Some("svc"));
        assert_eq!(line_col(text, port.value_at.span.start).0, 9);
    }

    #[test]
    fn railway_variable_set_takes_several_pairs() {
        let text = "\
jobs:
  deploy:
    steps:
      - run: railway variable set A=1 B=2 --service api --environment=staging --skip-deploys
      - run: npx @railway/cli variables set C=3
      - run: echo \"$X\" | railway variable set SECRET --stdin
      - run: railway variables --set-from-stdin TOKEN < token.txt
      - run: railway variables --kv
";
        let loaded = load(text);
        assert_exact(text, &loaded);
        // (key, value, environment, service)
        type Row<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);
        let found: Vec<Row> = loaded
            .settings
            .iter()
            .map(|s| {
                (
                    s.key.as_str(),
                    s.value.as_deref(),
                    s.scope.environment.as_deref(),
                    s.scope.service.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("A", Some("1"), Some("staging"), Some("api")),
                ("B", Some("2"), Some("staging"), Some("api")),
                ("C", Some("3"), Some("hinted"), Some("svc")),
                ("SECRET", None, Some("hinted"), Some("svc")),
                ("TOKEN", None, Some("hinted"), Some("svc")),
            ]
        );
        assert!(loaded.settings.iter().all(|s| s.partial));
    }

    #[test]
    fn railway_quoted_forms_and_line_continuations() {
        let text = "\
env:
  RAILWAY_ENV: staging
jobs:
  deploy:
    steps:
      - run: |
          railway variables \\
            --environment \"$RAILWAY_ENV\" \\
            --set 'SINGLE=one two' \\
            --set DOUBLE=\"a b\" \\
            --set \"WHOLE=${{ env.RAILWAY_ENV }}-latest\"  # --set IGNORED=1
          if true; then railway variable set REF=\"$IMAGE:${{ github.sha }}\"; fi
          X=$(railway variables --set INNER=1)
";
        let loaded = load(text);
        let deployed: Vec<&Setting> = loaded
            .settings
            .iter()
            .filter(|s| s.scope.origin == Origin::Deployed)
            .collect();
        let pairs: Vec<(&str, &str)> = deployed
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            pairs,
            [
                ("SINGLE", "one two"),
                ("DOUBLE", "a b"),
                ("WHOLE", "${{ env.RAILWAY_ENV }}-latest"),
                ("REF", "$IMAGE:${{ github.sha }}"),
                ("INNER", "1"),
            ]
        );
        assert_exact(text, &loaded);
        // `--environment "$RAILWAY_ENV"` resolves through the workflow env.
        assert_eq!(deployed[0].scope.environment.as_deref(), Some("staging"));
        assert_eq!(line_col(text, deployed[0].key_at.span.start).0, 9);
        assert_eq!(line_col(text, deployed[2].value_at.span.start).0, 11);
    }

    #[test]
    fn docker_commands_in_run_scripts_publish() {
        let text = "\
env:
  REGISTRY: ghcr.io/org
jobs:
  publish:
    env:
      IMAGE: ghcr.io/org/app
    steps:
      - run: |
          docker build -t app:ci .
          docker tag app:ci \"$IMAGE:staging-latest\"
          docker push \"${IMAGE}:staging-latest\" >/dev/null 2>&1
          docker image push --all-tags $REGISTRY/other
          docker buildx imagetools create -t ${{ env.IMAGE }}:latest --tag=$IMAGE:stable \\
            $IMAGE@sha256:0123
          docker buildx build --push --platform linux/amd64 -t $IMAGE:edge -f Dockerfile .
          docker buildx build -t $IMAGE:not-pushed .
          docker buildx imagetools create --dry-run -t $IMAGE:dry src
";
        let loaded = load(text);
        let found: Vec<(&str, &str, PublishMethod)> = loaded
            .publications
            .iter()
            .map(|p| (p.written.as_str(), p.resolved.as_str(), p.method))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "$IMAGE:staging-latest",
                    "ghcr.io/org/app:staging-latest",
                    PublishMethod::DockerTag
                ),
                (
                    "${IMAGE}:staging-latest",
                    "ghcr.io/org/app:staging-latest",
                    PublishMethod::DockerPush
                ),
                (
                    "$REGISTRY/other",
                    "ghcr.io/org/other",
                    PublishMethod::DockerPush
                ),
                (
                    "${{ env.IMAGE }}:latest",
                    "ghcr.io/org/app:latest",
                    PublishMethod::ImagetoolsCreate
                ),
                (
                    "$IMAGE:stable",
                    "ghcr.io/org/app:stable",
                    PublishMethod::ImagetoolsCreate
                ),
                (
                    "$IMAGE:edge",
                    "ghcr.io/org/app:edge",
                    PublishMethod::DockerPush
                ),
            ]
        );
        for publication in &loaded.publications {
            assert_eq!(at(text, &publication.at), publication.written);
        }
    }

    #[test]
    fn crane_and_skopeo_publish() {
        let text = "\
jobs:
  promote:
    steps:
      - env:
          SRC_IMAGE: ghcr.io/org/app:staging-abc1234
        run: |
          crane tag \"$SRC_IMAGE\" latest
          crane tag localhost:5000/app@sha256:beef v1
          crane copy --platform linux/amd64 ghcr.io/org/app:1 docker.io/org/app:1
          crane cp a b
          skopeo copy --all --dest-creds u:p \"docker://ghcr.io/org/app:1\" \"docker://quay.io/org/app:1\"
          skopeo copy docker://a docker-archive:/tmp/x.tar
";
        let loaded = load(text);
        let found: Vec<(&str, &str, &str)> = loaded
            .publications
            .iter()
            .map(|p| (p.written.as_str(), p.resolved.as_str(), at(text, &p.at)))
            .collect();
        assert_eq!(
            found,
            [
                ("$SRC_IMAGE:latest", "ghcr.io/org/app:latest", "latest"),
                ("localhost:5000/app:v1", "localhost:5000/app:v1", "v1"),
                (
                    "docker.io/org/app:1",
                    "docker.io/org/app:1",
                    "docker.io/org/app:1"
                ),
                ("b", "b", "b"),
                (
                    "quay.io/org/app:1",
                    "quay.io/org/app:1",
                    "quay.io/org/app:1"
                ),
            ]
        );
        let methods: Vec<PublishMethod> = loaded.publications.iter().map(|p| p.method).collect();
        assert_eq!(
            methods,
            [
                PublishMethod::Crane,
                PublishMethod::Crane,
                PublishMethod::Crane,
                PublishMethod::Crane,
                PublishMethod::Skopeo
            ]
        );
    }

    #[test]
    fn script_variables_resolve_and_command_substitution_hides_them() {
        let text = "\
env:
  IMAGE: ghcr.io/org/app
jobs:
  a:
    steps:
      - run: |
          TAG=staging-latest
          export FULL=\"$IMAGE:$TAG\"
          docker push \"$FULL\"
          IMAGE=$(cat image.txt)
          docker push \"$IMAGE:x\"
";
        let loaded = load(text);
        assert_eq!(
            resolved(&loaded),
            ["ghcr.io/org/app:staging-latest", "$IMAGE:x"]
        );
    }

    #[test]
    fn github_env_writes_stop_literal_resolution_for_later_steps() {
        let text = "\
env:
  IMAGE_NAME: \"\"
  REGISTRY: ghcr.io
jobs:
  a:
    steps:
      - run: docker push ${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}:before
      - run: echo \"IMAGE_NAME=${GITHUB_REPOSITORY,,}\" >> $GITHUB_ENV
      - run: docker push ${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}:after
";
        assert_eq!(
            resolved(&load(text)),
            ["ghcr.io/:before", "ghcr.io/${{ env.IMAGE_NAME }}:after"]
        );
    }

    #[test]
    fn build_push_action_records_tags_only_when_pushing() {
        let text = "\
env:
  IMAGE: ghcr.io/org/app
jobs:
  build:
    steps:
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: ${{ env.IMAGE }}
          tags: type=raw,value=meta
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ${{ env.IMAGE }}:a, ${{ env.IMAGE }}:b
      - uses: docker/build-push-action@v6
        with:
          push: ${{ github.event_name != 'pull_request' }}
          tags: |
            ${{ steps.meta.outputs.tags }}
            ${{ env.IMAGE }}:${{ format('{0},{1}', 'c', 'd') }}
      - uses: docker/build-push-action@v6
        with:
          push: false
          tags: ${{ env.IMAGE }}:never
      - uses: docker/build-push-action@v6
        with:
          tags: ${{ env.IMAGE }}:absent
      - uses: Docker/Build-Push-Action@0123456789abcdef
        with:
          outputs: type=image,push=true
          tags: ${{ env.IMAGE }}:outputs
";
        let loaded = load(text);
        let build_push: Vec<(&str, &str)> = loaded
            .publications
            .iter()
            .filter(|p| p.method == PublishMethod::BuildPushAction)
            .map(|p| (p.written.as_str(), at(text, &p.at)))
            .collect();
        assert_eq!(
            build_push,
            [
                ("${{ env.IMAGE }}:a", "${{ env.IMAGE }}:a"),
                ("${{ env.IMAGE }}:b", "${{ env.IMAGE }}:b"),
                (
                    "${{ env.IMAGE }}:${{ format('{0},{1}', 'c', 'd') }}",
                    "${{ env.IMAGE }}:${{ format('{0},{1}', 'c', 'd') }}"
                ),
                ("${{ env.IMAGE }}:outputs", "${{ env.IMAGE }}:outputs"),
            ]
        );
        assert_eq!(loaded.publications[2].resolved, "ghcr.io/org/app:a");
    }

    #[test]
    fn metadata_action_records_images_and_known_tags() {
        let text = "\
env:
  IMAGE: ghcr.io/org/app
jobs:
  build:
    steps:
      - uses: docker/metadata-action@v5
        with:
          images: |
            ${{ env.IMAGE }}
            name=docker.io/org/app,enable=true
            name=quay.io/org/app,enable=false
          tags: |
            # comment
            type=raw,value=staging-latest
            type=sha,prefix=staging-
            type=sha
            type=ref,event=branch
            type=semver,pattern={{version}}
            type=raw,value=never,enable=false
            edge-line
";
        let loaded = load(text);
        let found: Vec<(&str, &str, &str)> = loaded
            .publications
            .iter()
            .map(|p| (p.written.as_str(), p.resolved.as_str(), at(text, &p.at)))
            .collect();
        let sha = "${{ github.sha }}";
        let expected_for = |image: &'static str, resolved_image: &'static str| {
            vec![
                (
                    image.to_string(),
                    resolved_image.to_string(),
                    image.to_string(),
                ),
                (
                    format!("{image}:staging-latest"),
                    format!("{resolved_image}:staging-latest"),
                    "type=raw,value=staging-latest".to_string(),
                ),
                (
                    format!("{image}:staging-{sha}"),
                    format!("{resolved_image}:staging-{sha}"),
                    "type=sha,prefix=staging-".to_string(),
                ),
                (
                    format!("{image}:sha-{sha}"),
                    format!("{resolved_image}:sha-{sha}"),
                    "type=sha".to_string(),
                ),
                (
                    format!("{image}:edge-line"),
                    format!("{resolved_image}:edge-line"),
                    "edge-line".to_string(),
                ),
                (
                    format!("{image}:latest"),
                    format!("{resolved_image}:latest"),
                    "type=semver,pattern={{version}}".to_string(),
                ),
            ]
        };
        let mut expected = expected_for("${{ env.IMAGE }}", "ghcr.io/org/app");
        expected.extend(expected_for("docker.io/org/app", "docker.io/org/app"));
        let found: Vec<(String, String, String)> = found
            .into_iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(found, expected);
        assert!(loaded
            .publications
            .iter()
            .all(|p| p.method == PublishMethod::MetadataAction));
    }

    #[test]
    fn metadata_action_flavor_controls_latest() {
        let text = "\
jobs:
  build:
    steps:
      - uses: docker/metadata-action@v5
        with:
          images: a/one, a/two
          flavor: |
            latest=true
            prefix=staging-,onlatest=true
      - uses: docker/metadata-action@v5
        with:
          images: b/img
          flavor: latest=false
          tags: type=semver,pattern={{version}}
      - uses: docker/metadata-action@v5
        with:
          images: c/img
";
        let loaded = load(text);
        let found: Vec<(&str, &str)> = loaded
            .publications
            .iter()
            .map(|p| (p.written.as_str(), at(text, &p.at)))
            .collect();
        assert_eq!(
            found,
            [
                ("a/one", "a/one"),
                ("a/one:staging-latest", "latest=true"),
                ("a/two", "a/two"),
                ("a/two:staging-latest", "latest=true"),
                ("b/img", "b/img"),
                ("c/img", "c/img"),
                // The default tag list has `type=ref,event=tag`, which adds latest.
                ("c/img:latest", "c/img"),
            ]
        );
    }

    #[test]
    fn action_metadata_files_are_read() {
        let composite = "\
name: deploy
runs:
  using: composite
  steps:
    - uses: docker://ghcr.io/org/tool:1
    - shell: bash
      env:
        IMAGE: ghcr.io/org/app
      run: |
        docker push $IMAGE:latest
        railway variable set TENANT_IMAGE=$IMAGE:staging-latest
";
        let loaded = load_action(composite, FILE, &hint());
        assert_exact(composite, &loaded);
        let keys: Vec<&str> = loaded.settings.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["uses", "IMAGE", "TENANT_IMAGE"]);
        assert_eq!(resolved(&loaded), ["ghcr.io/org/app:latest"]);
        let docker = "\
runs:
  using: docker
  image: docker://alpine:3.19
  env:
    MODE: ci
";
        let loaded = load_action(docker, FILE, &hint());
        let found: Vec<(&str, Option<&str>)> = loaded
            .settings
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                ("MODE", Some("ci")),
                ("runs.image", Some("docker://alpine:3.19"))
            ]
        );
        let dockerfile = load_action(
            "runs:\n  using: docker\n  image: Dockerfile\n",
            FILE,
            &hint(),
        );
        assert_eq!(dockerfile.settings[0].value.as_deref(), Some("Dockerfile"));
    }

    #[test]
    fn yaml_errors_become_one_problem_at_the_offset() {
        let text = "on: push\njobs:\n  a: [unclosed\n  b: 1\n";
        let loaded = load(text);
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        let problem = &loaded.problems[0];
        assert!(
            problem.message.starts_with("invalid YAML: "),
            "{}",
            problem.message
        );
        assert!(problem.at.span.start <= text.len() && problem.at.span.end <= text.len());
        assert!(!text[problem.at.span.clone()].contains('\n'));
        assert!(loaded.settings.is_empty() && loaded.publications.is_empty());

        let text = "jobs:\n  a: b: c\n";
        let problem = &load(text).problems[0];
        assert_eq!(line_col(text, problem.at.span.start).0, 2);
        assert_eq!(problem.at.span.end, text.len() - 1);

        for (text, message) in [
            ("", "empty file"),
            ("# only a comment\n", "empty file"),
            ("- a\n- b\n", "found a sequence"),
            ("just text\n", "found a scalar"),
        ] {
            let loaded = load(text);
            assert_eq!(loaded.problems.len(), 1);
            assert!(loaded.problems[0].message.contains(message), "{text:?}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "\u{0}\u{1}\u{2}",
            "jobs: [",
            "jobs:\n  a:\n    steps:\n      - run: \"\\u00e9 $(\"\n",
            "jobs:\n  a:\n    steps:\n      - run: |\n          railway variables --set\n          docker push\n          crane tag\n          skopeo copy docker://\n          docker buildx imagetools create -t\n",
            "jobs:\n  a:\n    steps:\n      - run: \"railway variables --set=é=ü --set ==\"\n",
            "jobs:\n  a:\n    steps:\n      - uses: docker/metadata-action@v5\n        with:\n          images: ','\n          tags: \"type=,=,,\"\n          flavor: \"latest\"\n",
            "jobs:\n  a:\n    steps:\n      - uses: docker/build-push-action@v6\n        with: {push: true, tags: '\"'}\n",
            "env: &a {A: *a}\n",
            "jobs: {a: {steps: [{run: [1]}, {uses: {}}, 3, null]}}\n",
            "jobs:\n  a:\n    steps:\n      - run: |\n          ✓ docker push ✓:ü \"✓\n",
            "\u{feff}jobs: {}\n",
        ];
        for text in samples {
            let _ = load(text);
            let _ = load_action(text, FILE, &hint());
        }
        // Every prefix of a realistic workflow, cut anywhere on a char boundary.
        let full = "env:\n  IMAGE: ghcr.io/ö/app\njobs:\n  a:\n    environment: {name: stäging}\n    steps:\n      - uses: docker/metadata-action@v5\n        with:\n          images: ${{ env.IMAGE }}\n          tags: |\n            type=sha\n      - run: |\n          railway variables -e x --set \"K=ü\" && docker push \"$IMAGE:1\"\n";
        for (cut, _) in full.char_indices() {
            let loaded = load(&full[..cut]);
            check_spans(&full[..cut], &loaded);
        }
    }

    /// Spans in range and on char boundaries; key spans hold the key (a synthetic key holds
    /// the YAML key it sits under).
    fn check_spans(text: &str, loaded: &Loaded) {
        let spans = loaded
            .settings
            .iter()
            .flat_map(|s| [&s.key_at, &s.value_at])
            .chain(loaded.publications.iter().map(|p| &p.at))
            .chain(loaded.problems.iter().map(|p| &p.at));
        for location in spans {
            let span = &location.span;
            assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
        for setting in &loaded.settings {
            let written = &text[setting.key_at.span.clone()];
            let synthetic = setting.key.contains('.') || setting.key == "uses";
            if synthetic {
                assert!(setting.key.contains(written), "{setting:?}");
            } else {
                assert_eq!(written, setting.key, "{setting:?}");
            }
        }
    }

    #[test]
    fn every_corpus_workflow_loads() {
        let dir = Path::new("/work/shared/corpus/workflows");
        let Ok(entries) = std::fs::read_dir(dir) else {
            println!("note: skipping, {} is absent", dir.display());
            return;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        let (mut files, mut settings, mut deployed, mut publications, mut problems) =
            (0, 0, 0, 0, 0);
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let loaded = if name.ends_with("action.yml") || name.ends_with("action.yaml") {
                load_action(&text, FILE, &hint())
            } else {
                load(&text)
            };
            check_spans(&text, &loaded);
            files += 1;
            settings += loaded.settings.len();
            deployed += loaded
                .settings
                .iter()
                .filter(|s| s.scope.origin == Origin::Deployed)
                .count();
            publications += loaded.publications.len();
            problems += loaded.problems.len();
            for problem in &loaded.problems {
                let (line, column) = line_col(&text, problem.at.span.start);
                println!("problem: {name}:{line}:{column}: {}", problem.message);
            }
        }
        println!(
            "corpus: {files} files, {settings} settings ({deployed} deployed), {publications} publications, {problems} problems"
        );
        assert!(files > 0);
    }

    #[test]
    fn resolve_expands_only_known_literals() {
        let vars: Vars = [("A", "x"), ("B_2", "y")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(resolve("${{ env.A }}:${{env.B_2}}", &vars, false), "x:y");
        assert_eq!(resolve("$A:${B_2}", &vars, false), "$A:${B_2}");
        assert_eq!(
            resolve("$A:${B_2}:$C:${A:-z}:$", &vars, true),
            "x:y:$C:${A:-z}:$"
        );
        assert_eq!(
            resolve("${{ env.C }}${{ github.sha }}", &vars, true),
            "${{ env.C }}${{ github.sha }}"
        );
        assert_eq!(resolve("${{ env.A", &vars, true), "${{ env.A");
    }

    #[test]
    fn repository_drops_tag_and_digest_only() {
        assert_eq!(repository("ghcr.io/org/app:1"), "ghcr.io/org/app");
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(repository("app@sha256:abc"), "app");
        assert_eq!(repository("${IMAGE:-x/y}:tag"), "${IMAGE:-x/y}");
        assert_eq!(
            repository("${{ env.A }}:staging-${{ x.y }}"),
            "${{ env.A }}"
        );
        assert_eq!(repository("$SRC"), "$SRC");
    }
}
