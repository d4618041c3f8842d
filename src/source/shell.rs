//! A small shell-word scanner for the bash found in workflow `run:` scripts.
//!
//! This is **not** a shell parser. It knows just enough bash to find commands such as
//! `railway variable set K=V` or `docker push IMG` and to say exactly where each word was
//! written:
//!
//! - commands end at a newline, `;`, `&&`, `||`, `|`, `&` and at `(` / `)`; a `\`-newline
//!   continues the command on the next line;
//! - words split at blanks outside quotes; quotes are removed and backslash escapes applied,
//!   but expansions (`$VAR`, `${VAR}`, `$(...)`, backticks, and GitHub's `${{ ... }}`) stay in
//!   the text as written, since only the runner can expand them;
//! - commands inside `$(...)`, `<(...)` and backticks are scanned too and returned as commands
//!   of their own;
//! - `# comments` (at the start of a word), redirections with their targets, and here-document
//!   bodies are skipped; a here-document ends at the first line whose trimmed text is its
//!   delimiter (bash itself is stricter for `<<` without `-`);
//! - leading reserved words (`if`, `then`, `do`, `!`, `{`, ...) are dropped, so the command
//!   word of `if docker push x; then` is `docker`.
//!
//! Control flow, functions, aliases, arithmetic and expansion itself are out of scope. Any
//! input, however broken, yields some list of commands and never panics.

use std::ops::Range;

use crate::model::floor_char_boundary;

/// Nesting of `$(...)` / backticks scanned for commands; deeper ones are kept as text only.
const MAX_NESTING: usize = 32;

/// Reserved words that may open a command without being its program.
const LEADING_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
    "esac",
];

/// One word of a command: its text after quote removal, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word with quotes removed and backslash escapes applied; `$VAR`, `${...}`, `$(...)`
    /// and `${{ ... }}` are kept as written.
    pub text: String,
    /// Byte range of the word as written in the script, quotes included.
    pub range: Range<usize>,
    /// Script offset of each byte of `text`, so any part of the text maps back exactly.
    origins: Vec<usize>,
}

/// The two halves of a `KEY=VALUE` word, each with its script range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue<'w> {
    pub key: &'w str,
    pub value: &'w str,
    /// Script range of the key as written.
    pub key_range: Range<usize>,
    /// Script range of the value as written (inside the quotes when it was quoted).
    pub value_range: Range<usize>,
}

impl Word {
    /// Script range of `text[range]`: from the first byte's origin to just past the last's.
    ///
    /// An empty range maps to an empty range just after the preceding byte, so the value
    /// of `K=` points right after the `=`.
    pub fn script_range(&self, range: Range<usize>) -> Range<usize> {
        let start = range.start.min(self.origins.len());
        let end = range.end.clamp(start, self.origins.len());
        if start == end {
            let at = match start.checked_sub(1) {
                Some(previous) => self.origins[previous] + 1,
                None => self.origins.first().copied().unwrap_or(self.range.start),
            };
            return at..at;
        }
        self.origins[start]..self.origins[end - 1] + 1
    }

    /// Split at the first `=` into key and value; `None` without `=` or with an empty key.
    pub fn key_value(&self) -> Option<KeyValue<'_>> {
        self.key_value_from(0)
    }

    /// Like [`Word::key_value`], for the part of the word from byte `offset` of its text
    /// (the `K=V` of `--set=K=V`).
    pub fn key_value_from(&self, offset: usize) -> Option<KeyValue<'_>> {
        let rest = self.text.get(offset..)?;
        let equals = rest.find('=')?;
        if equals == 0 {
            return None;
        }
        let key_end = offset + equals;
        Some(KeyValue {
            key: &self.text[offset..key_end],
            value: &self.text[key_end + 1..],
            key_range: self.script_range(offset..key_end),
            value_range: self.script_range(key_end + 1..self.text.len()),
        })
    }

    /// A shell variable assignment: `NAME=value` with a valid name, written unquoted.
    pub fn is_assignment(&self) -> bool {
        let Some(kv) = self.key_value() else {
            return false;
        };
        // The name and its `=` must stand bare at the start: `"B=2"` is a command name.
        let equals_at = self.origins.get(kv.key.len()).copied();
        is_name(kv.key)
            && kv.key_range.start == self.range.start
            && equals_at == Some(self.range.start + kv.key.len())
    }

    /// Whether the word was written without quotes or escapes.
    pub fn is_bare(&self) -> bool {
        self.range.len() == self.text.len()
    }
}

/// One simple command: its words in order, and the script range from first to last word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    pub range: Range<usize>,
}

/// A shell variable name: a letter or `_`, then letters, digits or `_`.
pub fn is_name(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Split a script into simple commands. Commands found inside `$(...)` come before the
/// command that contains them, as the shell runs them first.
pub fn commands(script: &str) -> Vec<Command> {
    let mut scanner = Scanner::new(script, 0..script.len(), 0);
    scanner.run();
    scanner.out
}

/// Scans one range of a script; each substitution gets a scanner of its own.
struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    nesting: usize,
    words: Vec<Word>,
    out: Vec<Command>,
    heredocs: Vec<String>,
}

/// Builds one word's text and origins.
struct WordBuf {
    text: String,
    origins: Vec<usize>,
}

impl WordBuf {
    /// Append `text`, which was written at script offset `at`.
    fn push_str(&mut self, text: &str, at: usize) {
        self.text.push_str(text);
        self.origins.extend(at..at + text.len());
    }
}

impl<'a> Scanner<'a> {
    /// A scanner over `range` of `src`; offsets stay relative to the whole script.
    fn new(src: &'a str, range: Range<usize>, nesting: usize) -> Self {
        Scanner {
            src,
            bytes: src.as_bytes(),
            pos: range.start,
            end: range.end.min(src.len()),
            nesting,
            words: Vec::new(),
            out: Vec::new(),
            heredocs: Vec::new(),
        }
    }

    /// The byte `offset` ahead of the cursor, if still inside the scan range.
    fn peek(&self, offset: usize) -> Option<u8> {
        let at = self.pos + offset;
        if at < self.end {
            self.bytes.get(at).copied()
        } else {
            None
        }
    }

    /// Whether the scan range continues with `text` at the cursor.
    fn starts_with(&self, text: &str) -> bool {
        self.src
            .get(self.pos..self.end)
            .is_some_and(|rest| rest.starts_with(text))
    }

    /// The top-level loop: operators end commands, everything else is words.
    fn run(&mut self) {
        while let Some(byte) = self.peek(0) {
            match byte {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\\' if self.continuation_len() > 0 => self.pos += self.continuation_len(),
                b'\n' => {
                    self.pos += 1;
                    self.finish_command();
                    self.skip_heredoc_bodies();
                }
                b'#' => self.skip_comment(),
                b'&' if self.peek(1) == Some(b'>') => self.redirection(),
                b';' | b'&' | b'|' | b'(' | b')' => {
                    // `&&`, `||`, `;;` end the command the same way; the second byte then
                    // ends an empty one.
                    self.pos += 1;
                    self.finish_command();
                }
                b'<' | b'>' if self.peek(1) == Some(b'(') => self.word(),
                b'<' | b'>' => self.redirection(),
                b'0'..=b'9' if self.digits_then_redirect() => self.redirection(),
                _ => self.word(),
            }
        }
        self.finish_command();
    }

    /// Length of a `\`-newline (or `\`-CRLF) line continuation at the cursor, or 0.
    fn continuation_len(&self) -> usize {
        match (self.peek(0), self.peek(1), self.peek(2)) {
            (Some(b'\\'), Some(b'\n'), _) => 2,
            (Some(b'\\'), Some(b'\r'), Some(b'\n')) => 3,
            _ => 0,
        }
    }

    /// `2>`, `10<`: a file-descriptor number opening a redirection, not a word.
    fn digits_then_redirect(&self) -> bool {
        let mut offset = 0;
        while self.peek(offset).is_some_and(|b| b.is_ascii_digit()) {
            offset += 1;
        }
        matches!(self.peek(offset), Some(b'<' | b'>')) && self.peek(offset + 1) != Some(b'(')
    }

    /// Skip a `#` comment up to (not including) the newline, which still ends the command.
    fn skip_comment(&mut self) {
        while let Some(byte) = self.peek(0) {
            if byte == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skip a redirection operator and its target word; remember here-document delimiters.
    fn redirection(&mut self) {
        while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.peek(0) == Some(b'&') {
            self.pos += 1;
        }
        let heredoc = self.starts_with("<<") && !self.starts_with("<<<");
        for operator in ["<<<", "<<-", "<<", ">>", ">|", ">&", "<&", "<>", ">", "<"] {
            if self.starts_with(operator) {
                self.pos += operator.len();
                break;
            }
        }
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        let starts_word = self
            .peek(0)
            .is_some_and(|b| !matches!(b, b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'));
        if starts_word {
            if let Some(target) = self.read_word() {
                if heredoc {
                    self.heredocs.push(target.text);
                }
            }
        }
    }

    /// After a newline: skip the bodies of here-documents opened on the line just ended.
    fn skip_heredoc_bodies(&mut self) {
        for delimiter in std::mem::take(&mut self.heredocs) {
            loop {
                let Some(rest) = self.src.get(self.pos..self.end) else {
                    return;
                };
                if rest.is_empty() {
                    return;
                }
                let line_len = rest.find('\n').map_or(rest.len(), |i| i + 1);
                let line = rest[..line_len].trim();
                self.pos += line_len;
                if line == delimiter {
                    break;
                }
            }
        }
    }

    /// Close the current command, dropping leading reserved words.
    fn finish_command(&mut self) {
        let mut words = std::mem::take(&mut self.words);
        let keywords = words
            .iter()
            .take_while(|word| word.is_bare() && LEADING_KEYWORDS.contains(&word.text.as_str()))
            .count();
        words.drain(..keywords);
        if let (Some(first), Some(last)) = (words.first(), words.last()) {
            let range = first.range.start..last.range.end;
            self.out.push(Command { words, range });
        }
    }

    /// Read a word into the current command.
    fn word(&mut self) {
        let before = self.pos;
        if let Some(word) = self.read_word() {
            self.words.push(word);
        }
        if self.pos == before {
            // Never stall on a byte no rule consumed.
            self.pos += 1;
        }
    }

    /// Read one word from the cursor; `None` if nothing was consumed.
    fn read_word(&mut self) -> Option<Word> {
        let start = self.pos;
        let mut buf = WordBuf {
            text: String::new(),
            origins: Vec::new(),
        };
        if matches!(self.peek(0), Some(b'<' | b'>')) && self.peek(1) == Some(b'(') {
            // Process substitution `<(...)`: scan its commands, keep it as text.
            self.substitution(&mut buf, 1);
        }
        while let Some(byte) = self.peek(0) {
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => {
                    break
                }
                b'\\' => self.escape(&mut buf),
                b'\'' => self.single_quoted(&mut buf),
                b'"' => self.double_quoted(&mut buf),
                b'$' => self.dollar(&mut buf),
                b'`' => self.backticks(&mut buf),
                _ => self.plain_char(&mut buf),
            }
        }
        (self.pos > start).then_some(Word {
            text: buf.text,
            range: start..self.pos,
            origins: buf.origins,
        })
    }

    /// One character taken literally.
    fn plain_char(&mut self, buf: &mut WordBuf) {
        let len = self.char_len();
        let at = self.pos;
        // Scan ranges end at ASCII delimiters, so a character never straddles the end.
        if let Some(text) = self.src.get(at..at + len) {
            buf.push_str(text, at);
        }
        self.pos += len;
    }

    /// Byte length of the character at the cursor (1 at the end, to keep moving).
    fn char_len(&self) -> usize {
        self.src
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
            .map_or(1, char::len_utf8)
    }

    /// `\x` outside quotes is a literal `x`; `\`-newline joins lines.
    fn escape(&mut self, buf: &mut WordBuf) {
        let continuation = self.continuation_len();
        if continuation > 0 {
            self.pos += continuation;
            return;
        }
        self.pos += 1;
        if self.peek(0).is_some() {
            self.plain_char(buf);
        }
    }

    /// `'...'`: everything literal up to the closing quote.
    fn single_quoted(&mut self, buf: &mut WordBuf) {
        self.pos += 1;
        while let Some(byte) = self.peek(0) {
            if byte == b'\'' {
                self.pos += 1;
                return;
            }
            self.plain_char(buf);
        }
    }

    /// Inside `"..."`, a backslash escapes only `$`, `` ` ``, `"`, `\` and newline.
    fn double_quoted(&mut self, buf: &mut WordBuf) {
        self.pos += 1;
        while let Some(byte) = self.peek(0) {
            match byte {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' if matches!(self.peek(1), Some(b'$' | b'`' | b'"' | b'\\' | b'\n')) => {
                    self.pos += 1;
                    if self.peek(0) == Some(b'\n') {
                        self.pos += 1;
                    } else {
                        self.plain_char(buf);
                    }
                }
                b'$' => self.dollar(buf),
                b'`' => self.backticks(buf),
                _ => self.plain_char(buf),
            }
        }
    }

    /// `${{ ... }}`, `$((...))`, `$(...)`, `${...}` kept as written; a lone `$` is text.
    fn dollar(&mut self, buf: &mut WordBuf) {
        if self.starts_with("${{") {
            let close = self.src[self.pos + 3..self.end]
                .find("}}")
                .map_or(self.end, |i| self.pos + 3 + i + 2);
            self.take_verbatim(buf, close);
        } else if self.starts_with("$((") {
            let close = self.matching_paren(self.pos + 1, 0);
            self.take_verbatim(buf, close);
        } else if self.starts_with("$(") {
            self.substitution(buf, 1);
        } else if self.starts_with("${") {
            let close = self.matching_brace(self.pos + 1);
            self.take_verbatim(buf, close);
        } else {
            self.plain_char(buf);
        }
    }

    /// A `$(...)` or `<(...)` whose `(` is `offset` bytes ahead: scan the inside for
    /// commands, then keep the whole substitution in the word as written.
    fn substitution(&mut self, buf: &mut WordBuf, offset: usize) {
        let open = self.pos + offset;
        let close = self.matching_paren(open, 0);
        let inner_end = if self.bytes.get(close.wrapping_sub(1)) == Some(&b')') && close > open + 1
        {
            close - 1
        } else {
            close
        };
        self.scan_nested(open + 1..inner_end);
        self.take_verbatim(buf, close);
    }

    /// Backticks: the old form of `$(...)`.
    fn backticks(&mut self, buf: &mut WordBuf) {
        let open = self.pos;
        let mut at = open + 1;
        while at < self.end {
            match self.bytes[at] {
                b'\\' => at += 2,
                b'`' => break,
                _ => at += 1,
            }
        }
        let inner_end = at.min(self.end);
        let close = (inner_end + 1).min(self.end);
        self.scan_nested(open + 1..inner_end);
        self.take_verbatim(buf, close);
    }

    /// Scan the inside of a substitution for commands, up to `MAX_NESTING` levels deep.
    fn scan_nested(&mut self, range: Range<usize>) {
        if self.nesting >= MAX_NESTING || range.start >= range.end {
            return;
        }
        let mut nested = Scanner::new(self.src, range, self.nesting + 1);
        nested.run();
        self.out.append(&mut nested.out);
    }

    /// Append the source from the cursor up to `end` to the word unchanged.
    fn take_verbatim(&mut self, buf: &mut WordBuf, end: usize) {
        let end = end.clamp(self.pos + 1, self.end.max(self.pos + 1));
        let end = floor_char_boundary(self.src, end.min(self.src.len())).max(self.pos);
        if end == self.pos {
            self.pos += 1;
            return;
        }
        let at = self.pos;
        buf.push_str(&self.src[at..end], at);
        self.pos = end;
    }

    /// Offset just past the `)` matching the `(` at `open`, or the end of the scan range.
    /// `quote_depth` counts `"$(` levels already open, which bounds the recursion.
    fn matching_paren(&self, open: usize, quote_depth: usize) -> usize {
        self.matching(open, (b'(', b')'), quote_depth + 1, true)
    }

    /// Offset just past the `}` matching the `{` at `open`, or the end of the scan range.
    fn matching_brace(&self, open: usize) -> usize {
        self.matching(open, (b'{', b'}'), 0, false)
    }

    /// Offset just past the `close` matching the `open` byte at `open`, skipping quotes
    /// (double quotes scanned at `quote_depth`) and, when asked, `${{ ... }}` expressions.
    fn matching(
        &self,
        open: usize,
        (opening, closing): (u8, u8),
        quote_depth: usize,
        skip_expressions: bool,
    ) -> usize {
        let mut depth = 0usize;
        let mut at = open;
        while at < self.end {
            match self.bytes[at] {
                b'\\' => at += 1,
                b'\'' => at = self.skip_past(at + 1, b'\'') - 1,
                b'"' => at = self.skip_double_quotes(at + 1, quote_depth) - 1,
                b'$' if skip_expressions && self.bytes[at..].starts_with(b"${{") => {
                    at = self.src[at..self.end]
                        .find("}}")
                        .map_or(self.end, |i| at + i + 1);
                }
                byte if byte == opening => depth += 1,
                byte if byte == closing => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return at + 1;
                    }
                }
                _ => {}
            }
            at += 1;
        }
        self.end
    }

    /// Offset just past the next `quote` at or after `from`.
    fn skip_past(&self, from: usize, quote: u8) -> usize {
        self.bytes[from.min(self.end)..self.end]
            .iter()
            .position(|&b| b == quote)
            .map_or(self.end, |i| from + i + 1)
    }

    /// Offset just past the closing `"` of a double-quoted string whose body starts at `from`.
    fn skip_double_quotes(&self, from: usize, quote_depth: usize) -> usize {
        let mut at = from;
        while at < self.end {
            match self.bytes[at] {
                b'\\' => at += 2,
                b'"' => return at + 1,
                b'$' if self.bytes.get(at + 1) == Some(&b'(') && quote_depth < MAX_NESTING => {
                    at = self.matching_paren(at + 1, quote_depth);
                }
                _ => at += 1,
            }
        }
        self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<Vec<String>> {
        commands(script)
            .into_iter()
            .map(|command| command.words.into_iter().map(|w| w.text).collect())
            .collect()
    }

    fn strs(lists: &[&[&str]]) -> Vec<Vec<String>> {
        lists
            .iter()
            .map(|words| words.iter().map(|w| w.to_string()).collect())
            .collect()
    }

    #[test]
    fn splits_commands_at_operators_and_newlines() {
        let script = "a 1; b 2 && c 3 || d | e &\nf\n";
        assert_eq!(
            texts(script),
            strs(&[
                &["a", "1"],
                &["b", "2"],
                &["c", "3"],
                &["d"],
                &["e"],
                &["f"]
            ])
        );
    }

    #[test]
    fn removes_quotes_and_keeps_ranges_as_written() {
        let script = r#"echo "a b" 'c d' e\ f"#;
        let command = &commands(script)[0];
        let words: Vec<&str> = command.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(words, ["echo", "a b", "c d", "e f"]);
        assert_eq!(&script[command.words[1].range.clone()], "\"a b\"");
        assert_eq!(&script[command.words[3].range.clone()], "e\\ f");
        assert_eq!(command.range, 0..script.len());
    }

    #[test]
    fn key_value_ranges_skip_quotes() {
        for (script, key, value) in [
            ("x K=V", "K", "V"),
            ("x \"K=V\"", "K", "V"),
            ("x 'K=V'", "K", "V"),
            ("x K=\"V w\"", "K", "V w"),
            ("x K=", "K", ""),
        ] {
            let word = &commands(script)[0].words[1];
            let kv = word.key_value().expect("key=value");
            assert_eq!(kv.key, key);
            assert_eq!(kv.value, value);
            assert_eq!(&script[kv.key_range.clone()], key, "{script}");
            assert_eq!(&script[kv.value_range.clone()], value, "{script}");
        }
        let script = "x --set=K=V";
        let word = &commands(script)[0].words[1];
        let kv = word.key_value_from("--set=".len()).unwrap();
        assert_eq!((kv.key, kv.value), ("K", "V"));
        assert_eq!(&script[kv.value_range], "V");
    }

    #[test]
    fn line_continuations_join_a_command() {
        let script = "crane tag \\\n  \"img:1\" \\\n  latest\necho done\n";
        assert_eq!(
            texts(script),
            strs(&[&["crane", "tag", "img:1", "latest"], &["echo", "done"]])
        );
    }

    #[test]
    fn github_expressions_stay_one_word() {
        let script = "docker push ${{ env.IMAGE }}:staging-${{ steps.tags.outputs.sha }} x";
        let command = &commands(script)[0];
        assert_eq!(
            command.words[2].text,
            "${{ env.IMAGE }}:staging-${{ steps.tags.outputs.sha }}"
        );
        assert_eq!(command.words.len(), 4);
    }

    #[test]
    fn comments_are_skipped_but_hash_inside_words_is_kept() {
        let script = "# docker push a\necho a#b # tail\n";
        assert_eq!(texts(script), strs(&[&["echo", "a#b"]]));
    }

    #[test]
    fn command_substitutions_are_scanned_too() {
        let script = "ID=$(docker push img:1 | tail -1) && echo \"$(crane tag a b)\"";
        let found = texts(script);
        assert!(found.contains(&strs(&[&["docker", "push", "img:1"]])[0]));
        assert!(found.contains(&strs(&[&["crane", "tag", "a", "b"]])[0]));
        assert!(found.contains(&strs(&[&["ID=$(docker push img:1 | tail -1)"]])[0]));
        let backticks = texts("X=`docker tag a b`");
        assert_eq!(backticks[0], ["docker", "tag", "a", "b"]);
    }

    #[test]
    fn redirections_and_heredocs_are_dropped() {
        let script = "echo hi >> \"$GITHUB_OUTPUT\" 2>&1\ncat <<EOF > f\ndocker push inside:heredoc\nEOF\ndocker push after:1\n";
        assert_eq!(
            texts(script),
            strs(&[&["echo", "hi"], &["cat"], &["docker", "push", "after:1"]])
        );
    }

    #[test]
    fn leading_keywords_are_not_the_program() {
        let script = "if docker push a; then\n  crane tag b c\nfi";
        assert_eq!(
            texts(script),
            strs(&[&["docker", "push", "a"], &["crane", "tag", "b", "c"]])
        );
    }

    #[test]
    fn assignments_are_recognised() {
        // The `x` inside `$(x)` comes first; the assignments are the last command.
        let found = commands("A=1 \"B=2\" c=$(x) 9x=1");
        let command = found.last().expect("a command");
        let flags: Vec<bool> = command.words.iter().map(Word::is_assignment).collect();
        assert_eq!(flags, [true, false, true, false]);
    }

    #[test]
    fn multibyte_text_keeps_exact_ranges() {
        let script = "echo \"✓ ok\" K=värde";
        let command = &commands(script)[0];
        assert_eq!(command.words[1].text, "✓ ok");
        let kv = command.words[2].key_value().unwrap();
        assert_eq!(&script[kv.value_range], "värde");
    }

    #[test]
    fn random_scripts_keep_ranges_inside_the_script() {
        let alphabet: Vec<char> = "ab $(){}\"'`\\\n#;&|<>=é".chars().collect();
        let mut seed: u64 = 42;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        for _ in 0..3000 {
            let len = next() % 40;
            let script: String = (0..len)
                .map(|_| alphabet[next() % alphabet.len()])
                .collect();
            for command in commands(&script) {
                for word in &command.words {
                    assert!(word.range.end <= script.len(), "{script:?}");
                    assert!(script.is_char_boundary(word.range.start), "{script:?}");
                    assert!(script.is_char_boundary(word.range.end), "{script:?}");
                    let inner = word.script_range(0..word.text.len());
                    assert!(inner.start >= word.range.start && inner.end <= word.range.end);
                }
            }
        }
    }

    #[test]
    fn broken_input_never_panics() {
        for script in [
            "\"unterminated",
            "'unterminated",
            "$(",
            "${{",
            "${",
            "`",
            "a \\",
            "<<",
            "2>",
            "&>",
            "$((1 << 2))",
            "<(",
            ")))(((",
            "é\\",
            "\"$(\"",
            "x <<'E'\nbody",
            "\\\r\n",
        ] {
            let _ = commands(script);
        }
        let deep = "$(".repeat(5000);
        let _ = commands(&deep);
        let deep = "`$(".repeat(2000);
        let _ = commands(&deep);
    }
}
