//! Dotenv and `railway variables --kv` grammars, with exact byte spans.
//!
//! Both parsers are total: they never panic, turn every bad line into a
//! [`SyntaxError`] and carry on with the next line, so one typo does not hide
//! the rest of a file from the checks that run afterwards. Every span is a
//! byte range into the text that was passed in (a UTF-8 BOM included), always
//! on `char` boundaries, so renderers can point at the exact source.
//!
//! # Dotenv grammar
//!
//! Modelled on what real loaders accept (motdotla/dotenv, python-dotenv,
//! godotenv, dotenv-linter). Where they disagree, the choice below is the one
//! that reads the common case the way its author meant it:
//!
//! - Blank lines and `#` comment lines (leading whitespace allowed) are skipped.
//! - `KEY=VALUE`, optionally `export KEY=VALUE` (`export` plus whitespace) and
//!   optional blanks around `=`. Keys match `[A-Za-z_][A-Za-z0-9_.-]*`. A line
//!   named `export=1` is the key `export`, not an export.
//! - A line without `=` (`foo bar`, `KEY`, and also `export KEY`) is an error:
//!   a dotenv file cannot export a variable that is set elsewhere, and loaders
//!   either drop such a line or fail on it.
//! - Unquoted values run to the end of the line. A `#` preceded by a blank
//!   (including the blank right after `=`) starts a comment: `KEY=abc # n` is
//!   `abc`, `KEY= # n` is empty, but `COLOR=#fff` and `KEY=abc#def` keep the
//!   `#`. Trailing blanks are trimmed. No escapes are decoded.
//! - `'single'` and `` `backtick` `` values are literal; `"double"` values
//!   decode `\n \r \t \" \\ \$` and keep any other backslash as written. All
//!   three may span lines; a CRLF inside them becomes `\n` in the value.
//! - After a closing quote only blanks or a `# comment` may follow. If other
//!   text follows on the same line, the entry is still returned (the key is
//!   real and its quoted value is unambiguous) together with an error on the
//!   stray text.
//! - A quote that never closes is an error from the opening quote to the end
//!   of its line, and parsing resumes on the next line. So is a quote whose
//!   only candidate closing quote sits on a *later* line with text after it:
//!   that is nearly always a missing quote that would otherwise swallow the
//!   following entries (`A="x` then `B="y"` would read `A` as `x\nB=`).
//! - References `$VAR`, `${VAR}`, `${VAR:-default}` (and the other `${VAR<op>`
//!   forms) are recorded by name, in order of first appearance without
//!   duplicates, for unquoted and double-quoted values; the value keeps them as
//!   written. `\$` is a literal dollar, not a reference, in both. Single-quoted
//!   and backtick values are literal and record none. Railway's
//!   `${{ service.VAR }}` templates are not dotenv references.
//! - Duplicate keys are all returned; the caller decides what that means.
//!
//! # `railway variables --kv`
//!
//! The CLI prints `KEY=VALUE` per variable, raw: no quotes, escapes, comments
//! or `export`. A value with newlines spills onto the following lines, so a
//! line that does not start with `KEY=` continues the previous value (this
//! includes blank lines, lines with leading blanks and `export X=1`). Values
//! are already rendered by Railway, so no references are recorded. Blank
//! lines before the first key carry nothing and are skipped; any other line
//! before the first key is an error, never a made-up key.

use std::ops::Range;

/// One `KEY=VALUE` assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key as written.
    pub key: String,
    /// Byte range of the key in the input text.
    pub key_span: Range<usize>,
    /// Decoded value: quotes removed, escapes in double quotes applied, inline
    /// comment removed, trailing blanks of unquoted values trimmed.
    pub value: String,
    /// Byte range of the raw value as written, quotes included; an empty
    /// range right after `=` for an empty unquoted value.
    pub value_span: Range<usize>,
    /// How the value was quoted.
    pub quote: Quote,
    /// `export KEY=...`.
    pub exported: bool,
    /// Names referenced by `${VAR}` / `$VAR` (not expanded; see module docs).
    pub references: Vec<String>,
    /// 1-based line of the key.
    pub line: usize,
}

/// The quoting style of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
    Backtick,
}

/// A line (or part of one) that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, phrased for the user.
    pub message: String,
    /// Byte range of the offending text.
    pub span: Range<usize>,
    /// 1-based line where the span starts.
    pub line: usize,
}

/// An entry of `railway variables --kv` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    pub entry: Entry,
    /// How many lines after the key line belong to the value (0 for a
    /// one-line value).
    pub continued_lines: usize,
}

/// Parse a dotenv file. Never panics; a bad line becomes a [`SyntaxError`]
/// and parsing continues on the next line.
pub fn parse_dotenv(text: &str) -> (Vec<Entry>, Vec<SyntaxError>) {
    let mut out = Parsed::default();
    let mut pos = bom_len(text);
    let mut number = 1;
    while pos < text.len() {
        let line = Line::at(text, pos, number);
        let resume = dotenv_line(text, line, &mut out);
        number += count_newlines(&text.as_bytes()[pos..resume]);
        pos = resume;
    }
    (out.entries, out.errors)
}

/// Parse `railway variables --kv` output: `KEY=VALUE` per line, raw (no
/// quoting, no escaping, no comments, no `export`).
///
/// A line that does not start with `KEY=` continues the previous value
/// (joined with `'\n'`; the value span then covers all its lines). A
/// continuation line before any key is a [`SyntaxError`]; no key is invented.
pub fn parse_railway_kv(text: &str) -> (Vec<KvEntry>, Vec<SyntaxError>) {
    let mut entries: Vec<KvEntry> = Vec::new();
    let mut errors = Vec::new();
    let mut pos = bom_len(text);
    let mut number = 1;
    while pos < text.len() {
        let line = Line::at(text, pos, number);
        match kv_key_end(text, line) {
            Some(eq) => entries.push(kv_entry(text, line, eq)),
            None => continue_kv(text, line, entries.last_mut(), &mut errors),
        }
        pos = line.next;
        number += 1;
    }
    (entries, errors)
}

// ---------------------------------------------------------------------------
// Lines and bytes
// ---------------------------------------------------------------------------

/// One physical line. `start..end` is its content without the line break (a
/// CR right before the LF is left out, so CRLF files give the same values as
/// LF files); `next` is where the following line starts.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
    number: usize,
}

impl Line {
    fn at(text: &str, start: usize, number: usize) -> Line {
        let (end, next) = line_end(text.as_bytes(), start);
        Line {
            start,
            end,
            next,
            number,
        }
    }
}

/// From `from`, find the end of that line's content (before CR/LF) and the
/// start of the next line.
fn line_end(bytes: &[u8], from: usize) -> (usize, usize) {
    let rest = bytes.get(from..).unwrap_or_default();
    let (lf, next) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (from + i, from + i + 1),
        None => (bytes.len(), bytes.len()),
    };
    let end = if lf > from && bytes[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    };
    (end, next)
}

/// Length of a leading UTF-8 BOM: skipped, but still counted in spans.
fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Blanks inside a line. Only ASCII space and tab: other whitespace (NBSP,
/// ...) is text, as in every loader we model.
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// First non-blank position in `from..end` (or `end`).
fn skip_blanks(bytes: &[u8], from: usize, end: usize) -> usize {
    (from..end).find(|&i| !is_blank(bytes[i])).unwrap_or(end)
}

/// `end` moved back over trailing ASCII whitespace, not before `start`.
fn trim_end(bytes: &[u8], start: usize, end: usize) -> usize {
    let mut end = end;
    while end > start && bytes[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

fn find_byte(bytes: &[u8], from: usize, end: usize, wanted: u8) -> Option<usize> {
    (from..end).find(|&i| bytes[i] == wanted)
}

/// Text quoted in a message: at most 60 chars, control characters escaped,
/// so a line full of garbage still gives a readable one-line message.
fn snippet(s: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Keys are `[A-Za-z_][A-Za-z0-9_.-]*`; the error says which rule failed.
fn check_key(key: &str) -> Result<(), &'static str> {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return Err("keys start with a letter or `_`"),
    }
    if chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        Ok(())
    } else {
        Err("keys may only contain letters, digits, `_`, `.` and `-`")
    }
}

// ---------------------------------------------------------------------------
// Dotenv
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Parsed {
    entries: Vec<Entry>,
    errors: Vec<SyntaxError>,
}

impl Parsed {
    fn error(&mut self, message: String, span: Range<usize>, line: usize) {
        self.errors.push(SyntaxError {
            message,
            span,
            line,
        });
    }
}

/// The part of an assignment before the value.
struct Head {
    key: Range<usize>,
    exported: bool,
    /// Position of the `=`.
    eq: usize,
}

/// Parse the line starting at `line`; returns where the next line to parse
/// starts (past the closing quote's line for a multi-line value).
fn dotenv_line(text: &str, line: Line, out: &mut Parsed) -> usize {
    let bytes = text.as_bytes();
    let first = skip_blanks(bytes, line.start, line.end);
    if first == line.end || bytes[first] == b'#' {
        return line.next;
    }
    if is_conflict_marker(&bytes[line.start..line.end]) {
        let message = "git merge conflict marker: resolve the conflict in this file".to_string();
        out.error(
            message,
            line.start..trim_end(bytes, line.start, line.end),
            line.number,
        );
        return line.next;
    }
    match parse_head(text, line, first, out) {
        Some(head) => parse_value(text, line, head, out),
        None => line.next,
    }
}

/// `<<<<<<< HEAD`, `=======`, `|||||||`, `>>>>>>> sha` at the start of a
/// line: a half-merged file deserves a message that says so, rather than
/// "missing key" or "expected `KEY=VALUE`".
fn is_conflict_marker(content: &[u8]) -> bool {
    const LEN: usize = 7;
    let Some(&first) = content.first() else {
        return false;
    };
    let run = content.iter().take_while(|&&b| b == first).count();
    matches!(first, b'<' | b'=' | b'>' | b'|')
        && run == LEN
        && content.get(LEN).is_none_or(|&b| is_blank(b) || b == b'\r')
}

/// `[export ]KEY =`; reports and returns `None` if the line has no `=` or
/// the key is missing or invalid.
fn parse_head(text: &str, line: Line, first: usize, out: &mut Parsed) -> Option<Head> {
    let bytes = text.as_bytes();
    let (exported, key_start) = strip_export(bytes, first, line.end);
    let Some(eq) = find_byte(bytes, key_start, line.end, b'=') else {
        let shown = first..trim_end(bytes, first, line.end);
        let expected = if exported {
            "export KEY=VALUE"
        } else {
            "KEY=VALUE"
        };
        let message = format!(
            "expected `{expected}`, found `{}`",
            snippet(&text[shown.clone()])
        );
        out.error(message, shown, line.number);
        return None;
    };
    let key_end = trim_end(bytes, key_start, eq);
    if key_start == key_end {
        let message = "missing key before `=`".to_string();
        out.error(message, first..eq + 1, line.number);
        return None;
    }
    let key = &text[key_start..key_end];
    if let Err(rule) = check_key(key) {
        let message = format!("invalid key `{}`: {rule}", snippet(key));
        out.error(message, key_start..key_end, line.number);
        return None;
    }
    Some(Head {
        key: key_start..key_end,
        exported,
        eq,
    })
}

/// Recognise `export` + blanks before a key. `export=1` and `export =1` set
/// a key named `export`, so the prefix only counts when a key follows it.
fn strip_export(bytes: &[u8], first: usize, end: usize) -> (bool, usize) {
    const EXPORT: &[u8] = b"export";
    let after = first + EXPORT.len();
    let prefixed = bytes[first..end].starts_with(EXPORT) && after < end && is_blank(bytes[after]);
    if !prefixed {
        return (false, first);
    }
    let key_start = skip_blanks(bytes, after, end);
    if key_start == end || bytes[key_start] == b'=' {
        (false, first)
    } else {
        (true, key_start)
    }
}

/// Parse the value after `=` and push the entry; returns the resume offset.
fn parse_value(text: &str, line: Line, head: Head, out: &mut Parsed) -> usize {
    let bytes = text.as_bytes();
    let start = skip_blanks(bytes, head.eq + 1, line.end);
    let quote = match bytes.get(start) {
        Some(b'"') if start < line.end => Quote::Double,
        Some(b'\'') if start < line.end => Quote::Single,
        Some(b'`') if start < line.end => Quote::Backtick,
        _ => return unquoted_value(text, line, head, start, out),
    };
    quoted_value(text, line, head, start, quote, out)
}

/// Build an entry from its parts (the key text comes from `head.key`).
fn make_entry(text: &str, line: Line, head: Head, value: Value) -> Entry {
    Entry {
        key: text[head.key.clone()].to_string(),
        key_span: head.key,
        value: value.text,
        value_span: value.span,
        quote: value.quote,
        exported: head.exported,
        references: value.references,
        line: line.number,
    }
}

/// A parsed value before it is joined with its key.
struct Value {
    text: String,
    span: Range<usize>,
    quote: Quote,
    references: Vec<String>,
}

fn unquoted_value(text: &str, line: Line, head: Head, start: usize, out: &mut Parsed) -> usize {
    let bytes = text.as_bytes();
    let stop = inline_comment(bytes, start, line.end).unwrap_or(line.end);
    let end = trim_end(bytes, start, stop);
    let span = if end == start {
        head.eq + 1..head.eq + 1
    } else {
        start..end
    };
    let raw = &text[start..end];
    let value = Value {
        text: raw.to_string(),
        span,
        quote: Quote::None,
        references: references(raw, Quote::None),
    };
    out.entries.push(make_entry(text, line, head, value));
    line.next
}

/// Where an inline comment starts in an unquoted value: a `#` right after a
/// blank (python-dotenv, godotenv), so `#fff` and `a#b` stay values. The blank
/// may be the one after `=`, so `KEY= # note` is an empty value.
fn inline_comment(bytes: &[u8], from: usize, end: usize) -> Option<usize> {
    (from..end).find(|&i| bytes[i] == b'#' && i > 0 && is_blank(bytes[i - 1]))
}

fn quote_name(quote: Quote) -> &'static str {
    match quote {
        Quote::Double => "double-quoted",
        Quote::Single => "single-quoted",
        Quote::Backtick => "backtick-quoted",
        Quote::None => "unquoted",
    }
}

fn quote_char(quote: Quote) -> u8 {
    match quote {
        Quote::Double => b'"',
        Quote::Single => b'\'',
        Quote::Backtick => b'`',
        Quote::None => 0,
    }
}

fn quoted_value(
    text: &str,
    line: Line,
    head: Head,
    open: usize,
    quote: Quote,
    out: &mut Parsed,
) -> usize {
    let bytes = text.as_bytes();
    let q = char::from(quote_char(quote));
    let Some(close) = closing_quote(bytes, open, quote) else {
        let detail = format!("no closing `{q}` before the end of the file");
        unterminated(line, open, quote, &detail, out);
        return line.next;
    };
    let (close_end, close_next) = line_end(bytes, close + 1);
    let rest = skip_blanks(bytes, close + 1, close_end);
    if rest < close_end && bytes[rest] != b'#' {
        let stray = rest..trim_end(bytes, rest, close_end);
        let stray_text = snippet(&text[stray.clone()]);
        if close > line.end {
            let close_line = line.number + count_newlines(&bytes[line.start..close]);
            let detail = format!(
                "the next `{q}`, on line {close_line}, is followed by `{stray_text}`, so it does not close this value"
            );
            unterminated(line, open, quote, &detail, out);
            return line.next;
        }
        let message = format!(
            "unexpected text `{stray_text}` after the closing quote: only whitespace or a `# comment` may follow"
        );
        out.error(message, stray, line.number);
    }
    let inner = &text[open + 1..close];
    let value = Value {
        text: decode_quoted(inner, quote),
        span: open..close + 1,
        quote,
        references: references(inner, quote),
    };
    out.entries.push(make_entry(text, line, head, value));
    close_next
}

fn unterminated(line: Line, open: usize, quote: Quote, detail: &str, out: &mut Parsed) {
    let message = format!("unterminated {} value: {detail}", quote_name(quote));
    out.error(message, open..line.end, line.number);
}

/// The matching closing quote, possibly on a later line. Inside double
/// quotes a backslash escapes the next byte, so `\"` does not close.
fn closing_quote(bytes: &[u8], open: usize, quote: Quote) -> Option<usize> {
    let q = quote_char(quote);
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == Quote::Double => i += 2,
            b if b == q => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Decode the text between the quotes: CRLF becomes LF everywhere; double
/// quotes also decode the escapes listed in the module docs.
fn decode_quoted(inner: &str, quote: Quote) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\\' if quote == Quote::Double => match chars.peek().copied().and_then(escape) {
                Some(decoded) => {
                    out.push(decoded);
                    chars.next();
                }
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    out
}

/// The character a double-quoted `\c` stands for; `None` keeps it as written.
fn escape(c: char) -> Option<char> {
    match c {
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '$' => Some('$'),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------

/// Names referenced in a raw value (as written, before decoding, so that an
/// escaped `\$` is not mistaken for a reference).
fn references(raw: &str, quote: Quote) -> Vec<String> {
    if matches!(quote, Quote::Single | Quote::Backtick) {
        return Vec::new();
    }
    let bytes = raw.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        i = match bytes[i] {
            b'\\' if quote == Quote::Double => i + 2,
            b'\\' if bytes.get(i + 1) == Some(&b'$') => i + 2,
            b'$' => reference_at(raw, i, &mut names),
            _ => i + 1,
        };
    }
    names
}

/// Record the reference starting at the `$` at `dollar`, if any, and return
/// where scanning continues. For `${A:-default}` scanning continues inside the
/// default, so references nested there are found too.
fn reference_at(raw: &str, dollar: usize, names: &mut Vec<String>) -> usize {
    let bytes = raw.as_bytes();
    let braced = bytes.get(dollar + 1) == Some(&b'{');
    let start = if braced { dollar + 2 } else { dollar + 1 };
    let end = name_end(bytes, start);
    let closed = !braced
        || matches!(
            bytes.get(end),
            Some(b'}' | b':' | b'-' | b'=' | b'+' | b'?')
        );
    if end == start || !closed {
        return dollar + 1;
    }
    let name = &raw[start..end];
    if !names.iter().any(|n| n == name) {
        names.push(name.to_string());
    }
    end
}

/// End of a shell variable name `[A-Za-z_][A-Za-z0-9_]*` at `start` (or
/// `start` if there is none).
fn name_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
        _ => return start,
    }
    let len = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    start + len
}

// ---------------------------------------------------------------------------
// railway variables --kv
// ---------------------------------------------------------------------------

/// Position of the `=` if the line starts (at column 0) with `KEY=`.
fn kv_key_end(text: &str, line: Line) -> Option<usize> {
    let eq = find_byte(text.as_bytes(), line.start, line.end, b'=')?;
    check_key(&text[line.start..eq]).ok()?;
    Some(eq)
}

fn kv_entry(text: &str, line: Line, eq: usize) -> KvEntry {
    let entry = Entry {
        key: text[line.start..eq].to_string(),
        key_span: line.start..eq,
        value: text[eq + 1..line.end].to_string(),
        value_span: eq + 1..line.end,
        quote: Quote::None,
        exported: false,
        references: Vec::new(),
        line: line.number,
    };
    KvEntry {
        entry,
        continued_lines: 0,
    }
}

/// Append a continuation line to the previous value, or report it when
/// there is none (blank lines before the first key carry nothing: skipped).
fn continue_kv(text: &str, line: Line, last: Option<&mut KvEntry>, errors: &mut Vec<SyntaxError>) {
    let content = &text[line.start..line.end];
    match last {
        Some(kv) => {
            kv.entry.value.push('\n');
            kv.entry.value.push_str(content);
            kv.entry.value_span.end = line.end;
            kv.continued_lines += 1;
        }
        None if content.trim().is_empty() => {}
        None => errors.push(SyntaxError {
            message: format!(
                "expected `KEY=VALUE`, found `{}`: a line without `KEY=` continues the previous value, but there is none",
                snippet(content)
            ),
            span: line.start..line.end,
            line: line.number,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // --- helpers -----------------------------------------------------------

    /// Parse text that must give exactly one entry and no error.
    fn one(text: &str) -> Entry {
        let (entries, errors) = parse_dotenv(text);
        assert!(errors.is_empty(), "unexpected errors: {errors:?}");
        assert_eq!(entries.len(), 1, "entries: {entries:?}");
        entries.into_iter().next().expect("one entry")
    }

    /// Parse text that must give no error.
    fn ok(text: &str) -> Vec<Entry> {
        let (entries, errors) = parse_dotenv(text);
        assert!(errors.is_empty(), "unexpected errors: {errors:?}");
        entries
    }

    fn at(text: &str, span: &Range<usize>) -> String {
        text[span.clone()].to_string()
    }

    /// Key, value and the raw text under both spans.
    fn check(text: &str, e: &Entry, key: &str, value: &str, raw_value: &str) {
        assert_eq!(e.key, key);
        assert_eq!(at(text, &e.key_span), key);
        assert_eq!(e.value, value);
        assert_eq!(at(text, &e.value_span), raw_value);
    }

    /// Every span in range and on char boundaries; key spans match keys.
    fn assert_spans_sound(text: &str, entries: &[Entry], errors: &[SyntaxError]) {
        let sound = |r: &Range<usize>| {
            r.start <= r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        };
        for e in entries {
            assert!(sound(&e.key_span), "key span {e:?}");
            assert!(sound(&e.value_span), "value span {e:?}");
            assert_eq!(text[e.key_span.clone()], e.key);
            assert!(e.line >= 1);
        }
        for err in errors {
            assert!(sound(&err.span), "error span {err:?}");
            assert!(err.line >= 1);
        }
    }

    // --- basics ------------------------------------------------------------

    #[test]
    fn simple_assignment() {
        let text = "KEY=value\n";
        let e = one(text);
        check(text, &e, "KEY", "value", "value");
        assert_eq!(e.quote, Quote::None);
        assert!(!e.exported);
        assert_eq!(e.line, 1);
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert_eq!(parse_dotenv(""), (vec![], vec![]));
        assert_eq!(parse_dotenv("\n\n  \n\t\n"), (vec![], vec![]));
    }

    #[test]
    fn comment_lines_are_skipped() {
        let text = "# top\n   # indented\n\t# tab\nA=1\n#B=2\n";
        let entries = ok(text);
        assert_eq!(entries.len(), 1);
        check(text, &entries[0], "A", "1", "1");
        assert_eq!(entries[0].line, 4);
    }

    #[test]
    fn leading_whitespace_before_key() {
        let text = "   KEY=v";
        let e = one(text);
        check(text, &e, "KEY", "v", "v");
        assert_eq!(e.key_span, 3..6);
    }

    #[test]
    fn keys_with_dots_dashes_and_underscores() {
        let text = "_a.b-c_1=x\n";
        check(text, &one(text), "_a.b-c_1", "x", "x");
    }

    #[test]
    fn value_may_contain_equals() {
        let text = "URL=postgres://a:b@h/db?x=1&y=2\n";
        let e = one(text);
        check(
            text,
            &e,
            "URL",
            "postgres://a:b@h/db?x=1&y=2",
            "postgres://a:b@h/db?x=1&y=2",
        );
    }

    #[test]
    fn line_numbers_count_every_line() {
        let text = "\n# c\nA=1\n\nB=2\n";
        let entries = ok(text);
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[1].line, 5);
    }

    #[test]
    fn duplicate_keys_are_all_returned() {
        let text = "A=1\nA=2\n";
        let entries = ok(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].value, "1");
        assert_eq!(entries[1].value, "2");
        assert_eq!(at(text, &entries[1].key_span), "A");
        assert_eq!(entries[1].key_span, 4..5);
    }

    #[test]
    fn last_line_without_newline() {
        let text = "A=1\nB=two";
        let entries = ok(text);
        check(text, &entries[1], "B", "two", "two");
    }

    #[test]
    fn non_ascii_value_spans() {
        let text = "GREETING=héllo wörld # 注释\n";
        let e = one(text);
        check(text, &e, "GREETING", "héllo wörld", "héllo wörld");
    }

    // --- export ------------------------------------------------------------

    #[test]
    fn export_prefix() {
        let text = "export KEY=value\n";
        let e = one(text);
        check(text, &e, "KEY", "value", "value");
        assert!(e.exported);
        assert_eq!(e.key_span, 7..10);
    }

    #[test]
    fn export_with_tab_and_several_blanks() {
        let text = "export\t  KEY=v\n";
        let e = one(text);
        check(text, &e, "KEY", "v", "v");
        assert!(e.exported);
    }

    #[test]
    fn key_named_export() {
        for text in ["export=1", "export =1", "export = 1"] {
            let e = one(text);
            check(text, &e, "export", "1", "1");
            assert!(!e.exported, "{text}");
        }
    }

    #[test]
    fn export_glued_to_key_is_part_of_key() {
        let text = "exportFOO=1";
        let e = one(text);
        check(text, &e, "exportFOO", "1", "1");
        assert!(!e.exported);
    }

    #[test]
    fn export_without_value_is_an_error() {
        let text = "export FOO\nB=1\n";
        let (entries, errors) = parse_dotenv(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "expected `export KEY=VALUE`, found `export FOO`"
        );
        assert_eq!(at(text, &errors[0].span), "export FOO");
        assert_eq!(errors[0].line, 1);
    }

    // --- around `=` ----------------------------------------------------------

    #[test]
    fn spaces_around_equals() {
        let text = "KEY = value\n";
        let e = one(text);
        check(text, &e, "KEY", "value", "value");
        assert_eq!(e.value_span, 6..11);
    }

    #[test]
    fn tabs_around_equals() {
        let text = "KEY\t=\tvalue\t\n";
        check(text, &one(text), "KEY", "value", "value");
    }

    #[test]
    fn space_before_quoted_value() {
        let text = "KEY= \"a b\"";
        let e = one(text);
        check(text, &e, "KEY", "a b", "\"a b\"");
        assert_eq!(e.quote, Quote::Double);
    }

    // --- empty values --------------------------------------------------------

    #[test]
    fn empty_value_span_is_right_after_equals() {
        let text = "KEY=\nB=1\n";
        let entries = ok(text);
        check(text, &entries[0], "KEY", "", "");
        assert_eq!(entries[0].value_span, 4..4);
    }

    #[test]
    fn blank_only_value_is_empty() {
        let text = "KEY =   \t\n";
        let e = one(text);
        assert_eq!(e.value, "");
        assert_eq!(e.value_span, 5..5);
    }

    #[test]
    fn comment_only_value_is_empty() {
        let text = "KEY= # set me\n";
        let e = one(text);
        assert_eq!(e.value, "");
        assert_eq!(e.value_span, 4..4);
    }

    #[test]
    fn empty_double_quotes() {
        let text = "KEY=\"\"\n";
        let e = one(text);
        check(text, &e, "KEY", "", "\"\"");
        assert_eq!(e.quote, Quote::Double);
    }

    #[test]
    fn empty_single_quotes() {
        let text = "KEY=''";
        let e = one(text);
        check(text, &e, "KEY", "", "''");
        assert_eq!(e.quote, Quote::Single);
    }

    // --- unquoted values and comments -----------------------------------------

    #[test]
    fn inline_comment_after_space() {
        let text = "KEY=abc # note\n";
        let e = one(text);
        check(text, &e, "KEY", "abc", "abc");
        assert_eq!(e.value_span, 4..7);
    }

    #[test]
    fn inline_comment_after_tab() {
        let text = "KEY=abc\t#note";
        check(text, &one(text), "KEY", "abc", "abc");
    }

    #[test]
    fn hash_without_blank_is_value() {
        let text = "KEY=abc#def\n";
        check(text, &one(text), "KEY", "abc#def", "abc#def");
    }

    #[test]
    fn value_starting_with_hash_is_kept() {
        let text = "COLOR=#fff\n";
        check(text, &one(text), "COLOR", "#fff", "#fff");
    }

    #[test]
    fn trailing_whitespace_is_trimmed() {
        let text = "KEY=a b c   \t\n";
        let e = one(text);
        check(text, &e, "KEY", "a b c", "a b c");
    }

    #[test]
    fn unquoted_backslashes_are_kept() {
        let text = r"KEY=C:\path\n";
        check(text, &one(text), "KEY", r"C:\path\n", r"C:\path\n");
    }

    #[test]
    fn quote_in_middle_of_unquoted_value_is_text() {
        let text = "KEY=it's \"fine\"\n";
        let e = one(text);
        check(text, &e, "KEY", "it's \"fine\"", "it's \"fine\"");
        assert_eq!(e.quote, Quote::None);
    }

    // --- quoted values -------------------------------------------------------

    #[test]
    fn single_quotes_are_literal() {
        let text = r"KEY='a\nb $HOME ${X}'";
        let e = one(text);
        check(text, &e, "KEY", r"a\nb $HOME ${X}", r"'a\nb $HOME ${X}'");
        assert_eq!(e.quote, Quote::Single);
        assert!(e.references.is_empty());
    }

    #[test]
    fn hash_inside_quotes_is_value() {
        let text = "A='x # y' # real comment\nB=\"p#q # r\"#c\n";
        let entries = ok(text);
        check(text, &entries[0], "A", "x # y", "'x # y'");
        check(text, &entries[1], "B", "p#q # r", "\"p#q # r\"");
    }

    #[test]
    fn double_quote_escapes() {
        let text = r#"KEY="a\nb\rc\td\"e\\f\$g""#;
        let e = one(text);
        assert_eq!(e.value, "a\nb\rc\td\"e\\f$g");
        assert_eq!(at(text, &e.value_span), r#""a\nb\rc\td\"e\\f\$g""#);
    }

    #[test]
    fn unknown_escapes_are_kept() {
        let text = r##"KEY="\q\u00e9\"""##;
        assert_eq!(one(text).value, r#"\q\u00e9""#);
    }

    #[test]
    fn escaped_quote_does_not_close() {
        let text = "KEY=\"say \\\"hi\\\"\" # c\nB=1\n";
        let entries = ok(text);
        assert_eq!(entries[0].value, "say \"hi\"");
        assert_eq!(at(text, &entries[0].value_span), "\"say \\\"hi\\\"\"");
        assert_eq!(entries[1].line, 2);
    }

    #[test]
    fn backslash_backslash_before_closing_quote() {
        let text = r#"KEY="dir\\" # c"#;
        assert_eq!(one(text).value, "dir\\");
    }

    #[test]
    fn backtick_quotes_are_literal() {
        let text = "KEY=`it's \"both\" \\n $X`\n";
        let e = one(text);
        check(
            text,
            &e,
            "KEY",
            "it's \"both\" \\n $X",
            "`it's \"both\" \\n $X`",
        );
        assert_eq!(e.quote, Quote::Backtick);
        assert!(e.references.is_empty());
    }

    #[test]
    fn multi_line_double_quoted_value() {
        let text = "A=1\nCERT=\"-----BEGIN-----\nabc\\tdef\n-----END-----\"\nB=2\n";
        let entries = ok(text);
        assert_eq!(entries.len(), 3);
        let cert = &entries[1];
        assert_eq!(cert.value, "-----BEGIN-----\nabc\tdef\n-----END-----");
        assert_eq!(
            at(text, &cert.value_span),
            "\"-----BEGIN-----\nabc\\tdef\n-----END-----\""
        );
        assert_eq!(cert.line, 2);
        check(text, &entries[2], "B", "2", "2");
        assert_eq!(entries[2].line, 5);
    }

    #[test]
    fn multi_line_single_quoted_value() {
        let text = "K='one\ntwo' # c\nN=x";
        let entries = ok(text);
        check(text, &entries[0], "K", "one\ntwo", "'one\ntwo'");
        assert_eq!(entries[1].line, 3);
    }

    #[test]
    fn multi_line_backtick_value() {
        let text = "K=`a\n\"b\"\n'c'`\nN=1\n";
        let entries = ok(text);
        check(text, &entries[0], "K", "a\n\"b\"\n'c'", "`a\n\"b\"\n'c'`");
        assert_eq!(entries[1].line, 4);
    }

    #[test]
    fn multi_line_value_with_crlf_uses_lf() {
        let text = "K=\"a\r\nb\"\r\nN=1\r\n";
        let entries = ok(text);
        check(text, &entries[0], "K", "a\nb", "\"a\r\nb\"");
        check(text, &entries[1], "N", "1", "1");
        assert_eq!(entries[1].line, 3);
    }

    #[test]
    fn trailing_text_after_quote_keeps_entry_and_reports() {
        let text = "A=\"x\"y z \nB=1\n";
        let (entries, errors) = parse_dotenv(text);
        assert_eq!(entries.len(), 2);
        check(text, &entries[0], "A", "x", "\"x\"");
        assert_eq!(errors.len(), 1);
        assert_eq!(at(text, &errors[0].span), "y z");
        assert!(errors[0].message.contains("after the closing quote"));
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn apostrophe_in_single_quotes_is_reported() {
        let text = "MSG='it's'\n";
        let (entries, errors) = parse_dotenv(text);
        assert_eq!(entries[0].value, "it");
        assert_eq!(at(text, &errors[0].span), "s'");
    }

    #[test]
    fn comment_glued_to_closing_quote_is_fine() {
        let text = "A=\"x\"#note\n";
        check(text, &one(text), "A", "x", "\"x\"");
    }

    // --- unterminated quotes -------------------------------------------------

    #[test]
    fn unterminated_double_quote_at_end_of_file() {
        let text = "A=1\nB=\"open value\nC=2\n";
        let (entries, errors) = parse_dotenv(text);
        assert_eq!(entries.len(), 2, "{entries:?}");
        check(text, &entries[0], "A", "1", "1");
        check(text, &entries[1], "C", "2", "2");
        assert_eq!(errors.len(), 1);
        assert!(errors[0]
            .message
            .starts_with("unterminated double-quoted value"));
        assert_eq!(at(text, &errors[0].span), "\"open value");
        assert_eq!(errors[0].line, 2);
    }

    #[test]
    fn unterminated_single_quote_on_last_line() {
        let text = "A='abc";
        let (entries, errors) = parse_dotenv(text);
        assert!(entries.is_empty());
        assert!(errors[0]
            .message
            .starts_with("unterminated single-quoted value"));
        assert_eq!(at(text, &errors[0].span), "'abc");
    }

    #[test]
    fn unterminated_quote_does_not_swallow_next_entries() {
        let text = "A=\"abc\nB=1\nC=\"x\"\n";
        let (entries, errors) = parse_dotenv(text);
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["B", "C"]);
        assert_eq!(entries[1].value, "x");
        assert_eq!(errors.len(), 1);
        assert_eq!(at(text, &errors[0].span), "\"abc");
        assert!(
            errors[0].message.contains("on line 3"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn unterminated_quote_span_excludes_cr() {
        let text = "A=\"abc  \r\nB=1\r\n";
        let (entries, errors) = parse_dotenv(text);
        assert_eq!(at(text, &errors[0].span), "\"abc  ");
        check(text, &entries[0], "B", "1", "1");
        assert_eq!(entries[0].line, 2);
    }

    #[test]
    fn unterminated_backtick() {
        let text = "A=`abc\n";
        let (_, errors) = parse_dotenv(text);
        assert!(errors[0]
            .message
            .starts_with("unterminated backtick-quoted value"));
    }

    // --- bad lines -----------------------------------------------------------

    #[test]
    fn line_without_equals() {
        let text = "A=1\nfoo bar  \nB=2\n";
        let (entries, errors) = parse_dotenv(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "expected `KEY=VALUE`, found `foo bar`");
        assert_eq!(at(text, &errors[0].span), "foo bar");
        assert_eq!(errors[0].line, 2);
    }

    #[test]
    fn bare_key_is_an_error() {
        let text = "  KEY\n";
        let (entries, errors) = parse_dotenv(text);
        assert!(entries.is_empty());
        assert_eq!(errors[0].message, "expected `KEY=VALUE`, found `KEY`");
        assert_eq!(errors[0].span, 2..5);
    }

    #[test]
    fn key_starting_with_digit() {
        let text = "1ABC=x\n";
        let (entries, errors) = parse_dotenv(text);
        assert!(entries.is_empty());
        assert_eq!(
            errors[0].message,
            "invalid key `1ABC`: keys start with a letter or `_`"
        );
        assert_eq!(at(text, &errors[0].span), "1ABC");
    }

    #[test]
    fn key_with_bad_characters() {
        let text = "MY KEY=1\nK$=2\nÜ=3\n";
        let (entries, errors) = parse_dotenv(text);
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 3);
        assert_eq!(
            errors[0].message,
            "invalid key `MY KEY`: keys may only contain letters, digits, `_`, `.` and `-`"
        );
        assert_eq!(at(text, &errors[1].span), "K$");
        assert_eq!(at(text, &errors[2].span), "Ü");
        assert_eq!(errors[2].line, 3);
    }

    #[test]
    fn missing_key() {
        let text = " = value\n";
        let (entries, errors) = parse_dotenv(text);
        assert!(entries.is_empty());
        assert_eq!(errors[0].message, "missing key before `=`");
        assert_eq!(at(text, &errors[0].span), "=");
    }

    #[test]
    fn bad_line_in_the_middle() {
        let text = "A=1\nB=2\n!!! nope\nC=3\nD=4\n";
        let (entries, errors) = parse_dotenv(text);
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["A", "B", "C", "D"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
    }

    #[test]
    fn long_garbage_is_shortened_in_message() {
        let text = "x".repeat(500);
        let (_, errors) = parse_dotenv(&text);
        assert!(errors[0].message.chars().count() < 100);
        assert!(errors[0].message.contains('…'));
        assert_eq!(errors[0].span, 0..500);
    }

    #[test]
    fn merge_conflict_markers_are_named() {
        let text = "<<<<<<< HEAD\nA=1\n=======\nA=2\n>>>>>>> 75f8312\n";
        let (entries, errors) = parse_dotenv(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(errors.len(), 3);
        assert!(errors.iter().all(|e| e.message.contains("merge conflict")));
        assert_eq!(at(text, &errors[0].span), "<<<<<<< HEAD");
        assert_eq!(at(text, &errors[1].span), "=======");
        assert_eq!(errors[2].line, 5);
        // Eight `=` or a key-less assignment is not a marker.
        let (_, errors) = parse_dotenv("========\n=x\n");
        assert!(errors.iter().all(|e| e.message == "missing key before `=`"));
    }

    // --- encodings and line endings -------------------------------------------

    #[test]
    fn crlf_spans_are_exact() {
        let text = "A=1\r\nB = two words \r\nC=\"q\"\r\n";
        let entries = ok(text);
        check(text, &entries[0], "A", "1", "1");
        check(text, &entries[1], "B", "two words", "two words");
        check(text, &entries[2], "C", "q", "\"q\"");
        assert_eq!(entries[2].line, 3);
        assert!(entries.iter().all(|e| !e.value.contains('\r')));
    }

    #[test]
    fn crlf_with_inline_comment_and_empty_value() {
        let text = "A=x # c\r\nB=\r\n";
        let entries = ok(text);
        check(text, &entries[0], "A", "x", "x");
        assert_eq!(entries[1].value, "");
        assert_eq!(entries[1].value_span, 11..11);
    }

    #[test]
    fn bom_is_skipped_but_counted() {
        let text = "\u{feff}KEY=v\nB=2";
        let entries = ok(text);
        check(text, &entries[0], "KEY", "v", "v");
        assert_eq!(entries[0].key_span, 3..6);
        assert_eq!(entries[0].line, 1);
        assert_eq!(entries[1].line, 2);
    }

    #[test]
    fn bom_crlf_and_no_final_newline() {
        let text = "\u{feff}# c\r\nexport A=\"x\"\r\nB=y";
        let entries = ok(text);
        check(text, &entries[0], "A", "x", "\"x\"");
        assert!(entries[0].exported);
        check(text, &entries[1], "B", "y", "y");
        assert_eq!(entries[1].line, 3);
    }

    #[test]
    fn bom_only_is_empty() {
        assert_eq!(parse_dotenv("\u{feff}"), (vec![], vec![]));
    }

    #[test]
    fn nul_bytes_and_garbage_do_not_panic() {
        let text = "A=\0x\0\n\0\0\nB\0=1\n\"\n'\n=\n$\n\\\n\u{feff}C=1\n";
        let (entries, errors) = parse_dotenv(text);
        assert_spans_sound(text, &entries, &errors);
        assert_eq!(entries[0].value, "\0x\0");
        assert!(errors.iter().any(|e| e.message.contains("\\u{0}")));
    }

    // --- references ------------------------------------------------------------

    #[test]
    fn references_in_unquoted_value() {
        let text = "URL=postgres://${DB_USER}:$DB_PASS@${HOST:-localhost}/db\n";
        let e = one(text);
        assert_eq!(e.references, ["DB_USER", "DB_PASS", "HOST"]);
        assert_eq!(
            e.value,
            "postgres://${DB_USER}:$DB_PASS@${HOST:-localhost}/db"
        );
    }

    #[test]
    fn references_in_double_quotes() {
        let e = one("A=\"${X}-$Y_2\"");
        assert_eq!(e.references, ["X", "Y_2"]);
        assert_eq!(e.value, "${X}-$Y_2");
    }

    #[test]
    fn nested_default_references() {
        let e = one("A=${B:-${C:-$D}}");
        assert_eq!(e.references, ["B", "C", "D"]);
    }

    #[test]
    fn escaped_dollar_is_not_a_reference() {
        let e = one(r#"A="\$HOME and \${X} but $REAL""#);
        assert_eq!(e.value, "$HOME and ${X} but $REAL");
        assert_eq!(e.references, ["REAL"]);
        let u = one(r"A=\$HOME");
        assert_eq!(u.value, r"\$HOME");
        assert!(u.references.is_empty());
    }

    #[test]
    fn things_that_are_not_references() {
        for text in ["A=$1", "A=$$", "A=cost$", "A=${}", "A=${1X}", "A=${X Y}"] {
            assert!(one(text).references.is_empty(), "{text}");
        }
    }

    #[test]
    fn railway_templates_are_not_references() {
        let e = one("DB=${{ Postgres.DATABASE_URL }}");
        assert!(e.references.is_empty());
    }

    #[test]
    fn references_are_deduplicated_in_order() {
        let e = one("A=$B$C${B}$C$A");
        assert_eq!(e.references, ["B", "C", "A"]);
    }

    #[test]
    fn references_in_comment_are_ignored() {
        let e = one("A=x # uses $NOT_THIS");
        assert!(e.references.is_empty());
    }

    // --- railway --kv ------------------------------------------------------------

    fn kv_ok(text: &str) -> Vec<KvEntry> {
        let (entries, errors) = parse_railway_kv(text);
        assert!(errors.is_empty(), "unexpected errors: {errors:?}");
        entries
    }

    #[test]
    fn kv_simple_lines() {
        let text = "PORT=8080\nTENANT_IMAGE=ghcr.io/molecule-ai/platform-tenant:staging-a14cf86\n";
        let entries = kv_ok(text);
        assert_eq!(entries.len(), 2);
        check(text, &entries[0].entry, "PORT", "8080", "8080");
        assert_eq!(entries[1].entry.line, 2);
        assert_eq!(entries[1].continued_lines, 0);
    }

    #[test]
    fn kv_values_are_raw() {
        let text = "A=\"x\" # y\nB='q'\nC=  spaced  \nD=a=b\n";
        let entries = kv_ok(text);
        check(text, &entries[0].entry, "A", "\"x\" # y", "\"x\" # y");
        assert_eq!(entries[0].entry.quote, Quote::None);
        assert_eq!(entries[1].entry.value, "'q'");
        assert_eq!(entries[2].entry.value, "  spaced  ");
        assert_eq!(entries[3].entry.value, "a=b");
    }

    #[test]
    fn kv_no_references_or_comments() {
        let text = "A=${B}\n# not a comment=1\n";
        let entries = kv_ok(text);
        assert!(entries[0].entry.references.is_empty());
        assert_eq!(entries[0].entry.value, "${B}\n# not a comment=1");
    }

    #[test]
    fn kv_continuation_lines() {
        let text = "A=1\nCERT=-----BEGIN-----\nabc\n  def\n-----END-----\nZ=2\n";
        let entries = kv_ok(text);
        assert_eq!(entries.len(), 3);
        let cert = &entries[1];
        assert_eq!(cert.continued_lines, 3);
        assert_eq!(
            cert.entry.value,
            "-----BEGIN-----\nabc\n  def\n-----END-----"
        );
        assert_eq!(
            at(text, &cert.entry.value_span),
            "-----BEGIN-----\nabc\n  def\n-----END-----"
        );
        assert_eq!(cert.entry.line, 2);
        assert_eq!(entries[2].entry.line, 6);
    }

    #[test]
    fn kv_blank_lines_belong_to_the_value() {
        let text = "A=x\n\ny\nB=1\n\n";
        let entries = kv_ok(text);
        assert_eq!(entries[0].entry.value, "x\n\ny");
        assert_eq!(entries[0].continued_lines, 2);
        assert_eq!(entries[1].entry.value, "1\n");
        assert_eq!(at(text, &entries[1].entry.value_span), "1\n");
    }

    #[test]
    fn kv_export_and_indented_lines_continue() {
        let text = "SCRIPT=set -e\nexport X=1\n  Y=2\n";
        let entries = kv_ok(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].entry.value, "set -e\nexport X=1\n  Y=2");
        assert_eq!(entries[0].continued_lines, 2);
    }

    #[test]
    fn kv_continuation_before_first_key_is_an_error() {
        let text = "orphan line\nA=1\n";
        let (entries, errors) = parse_railway_kv(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].entry.key, "A");
        assert_eq!(errors.len(), 1);
        assert_eq!(at(text, &errors[0].span), "orphan line");
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].message.contains("continues the previous value"));
    }

    #[test]
    fn kv_leading_blank_lines_are_skipped() {
        let text = "\n  \nA=1";
        let entries = kv_ok(text);
        assert_eq!(entries[0].entry.line, 3);
        assert_eq!(entries[0].entry.value, "1");
    }

    #[test]
    fn kv_crlf_and_bom() {
        let text = "\u{feff}A=1\r\nB=x\r\ny\r\n";
        let entries = kv_ok(text);
        check(text, &entries[0].entry, "A", "1", "1");
        assert_eq!(entries[0].entry.key_span, 3..4);
        assert_eq!(entries[1].entry.value, "x\ny");
        assert_eq!(at(text, &entries[1].entry.value_span), "x\r\ny");
    }

    #[test]
    fn kv_empty_value() {
        let text = "A=\nB=2";
        let entries = kv_ok(text);
        assert_eq!(entries[0].entry.value, "");
        assert_eq!(entries[0].entry.value_span, 2..2);
        check(text, &entries[1].entry, "B", "2", "2");
    }

    #[test]
    fn kv_invalid_key_line_is_continuation() {
        let text = "A=1\n1B=2\n";
        let entries = kv_ok(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].entry.value, "1\n1B=2");
    }

    // --- robustness ------------------------------------------------------------

    /// A tiny deterministic generator (no dependencies): throws strings made
    /// of the grammar's special characters at both parsers.
    #[test]
    fn generated_inputs_never_panic_and_spans_are_sound() {
        const PIECES: &[&str] = &[
            "A", "=", "\"", "'", "`", "\\", "$", "{", "}", "#", " ", "\t", "\n", "\r", "\r\n",
            "export ", "é", "注", "\0", "\u{feff}", "x", "1", ":-", "${", "KEY=",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            let (entries, errors) = parse_dotenv(&text);
            assert_spans_sound(&text, &entries, &errors);
            let (kv, kv_errors) = parse_railway_kv(&text);
            let kv: Vec<Entry> = kv.into_iter().map(|k| k.entry).collect();
            assert_spans_sound(&text, &kv, &kv_errors);
        }
    }

    /// Parse every file of the shared corpus in place.
    #[test]
    fn corpus_parses_without_panic() {
        let dir = std::path::Path::new("/work/shared/corpus/dotenv");
        let Ok(read) = std::fs::read_dir(dir) else {
            println!("note: {} not found, corpus test skipped", dir.display());
            return;
        };
        let mut paths: Vec<_> = read.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        let (mut files, mut entry_count, mut error_count) = (0, 0, 0);
        for path in paths {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let (entries, errors) = parse_dotenv(&text);
            assert_spans_sound(&text, &entries, &errors);
            let (kv, kv_errors) = parse_railway_kv(&text);
            let kv: Vec<Entry> = kv.into_iter().map(|k| k.entry).collect();
            assert_spans_sound(&text, &kv, &kv_errors);
            files += 1;
            entry_count += entries.len();
            error_count += errors.len();
            for err in &errors {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                println!(
                    "{name}:{}: {} [{:?}]",
                    err.line,
                    err.message,
                    &text[err.span.clone()]
                );
            }
        }
        println!("corpus: {files} files, {entry_count} entries, {error_count} errors");
    }
}
