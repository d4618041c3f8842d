//! A YAML tree with byte spans, built from saphyr's event parser.
//!
//! We build our own tree instead of using saphyr's loader for three reasons: spans must be
//! byte offsets (saphyr counts characters), nesting must be bounded (a recursive loader
//! overflows the stack on deeply nested input), and alias expansion must be bounded (a
//! "billion laughs" file must not exhaust memory).

use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Deeper nesting than this is refused; real workflows nest fewer than 20 levels.
pub const MAX_DEPTH: usize = 256;
/// Nodes that alias expansion may copy in one document before the file is refused.
const MAX_ALIAS_NODES: usize = 100_000;

/// One YAML node and the bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Yaml {
    pub node: Node,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar { text: String, style: Style },
    Sequence(Vec<Yaml>),
    Mapping(Vec<(Yaml, Yaml)>),
}

/// How a scalar was written, which decides how its text maps back to the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl From<ScalarStyle> for Style {
    fn from(style: ScalarStyle) -> Self {
        match style {
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            ScalarStyle::Literal => Style::Literal,
            ScalarStyle::Folded => Style::Folded,
            _ => Style::Plain,
        }
    }
}

/// Why a YAML text could not be read, and where (a byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub offset: usize,
    pub message: String,
}

impl Yaml {
    /// The scalar's text, or `None` for a collection.
    pub fn as_str(&self) -> Option<&str> {
        match &self.node {
            Node::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `~`, `null` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.node, Node::Scalar { text, style: Style::Plain } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn as_mapping(&self) -> Option<&[(Yaml, Yaml)]> {
        match &self.node {
            Node::Mapping(pairs) => Some(pairs),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Yaml]> {
        match &self.node {
            Node::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// Entries of a mapping, own keys first, then keys merged in with `<<`.
    pub fn entries(&self) -> Vec<(&Yaml, &Yaml)> {
        let Some(pairs) = self.as_mapping() else {
            return Vec::new();
        };
        let mut own: Vec<(&Yaml, &Yaml)> = Vec::with_capacity(pairs.len());
        let mut merged = Vec::new();
        for (key, value) in pairs {
            if key.as_str() == Some("<<") {
                let sources = match value.as_sequence() {
                    Some(items) => items.iter().collect(),
                    None => vec![value],
                };
                merged.extend(sources.into_iter().flat_map(Yaml::entries));
            } else {
                own.push((key, value));
            }
        }
        for (key, value) in merged {
            if !own.iter().any(|(k, _)| k.as_str() == key.as_str()) {
                own.push((key, value));
            }
        }
        own
    }

    /// The value under `key` in a mapping, with its key node.
    pub fn get_entry(&self, key: &str) -> Option<(&Yaml, &Yaml)> {
        self.entries()
            .into_iter()
            .find(|(k, _)| k.as_str() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.get_entry(key).map(|(_, value)| value)
    }

    /// The source byte range of `range` inside this scalar's text.
    ///
    /// Exact for plain and quoted scalars without escapes and for literal and folded block
    /// scalars (each source line maps to its part of the text); otherwise the scalar's span.
    pub fn source_range(&self, source: &str, range: Range<usize>) -> Range<usize> {
        let Node::Scalar { text, style } = &self.node else {
            return self.span.clone();
        };
        let Some(map) = LineMap::build(source, &self.span, text, *style) else {
            return self.span.clone();
        };
        let start = map.to_source(range.start);
        let end = map.to_source(range.end.max(range.start));
        if end >= start {
            start..end
        } else {
            start..start
        }
    }
}

/// Pieces of a scalar's text that stand verbatim in the source: (text offset, source offset, length).
struct LineMap {
    pieces: Vec<(usize, usize, usize)>,
    fallback: usize,
}

impl LineMap {
    fn build(source: &str, span: &Range<usize>, text: &str, style: Style) -> Option<LineMap> {
        let raw = source.get(span.clone())?;
        let fallback = span.start;
        let single = |offset: usize| LineMap {
            pieces: vec![(0, span.start + offset, text.len())],
            fallback,
        };
        match style {
            Style::Plain if raw == text => Some(single(0)),
            Style::SingleQuoted | Style::DoubleQuoted
                if raw.len() >= 2 && &raw[1..raw.len() - 1] == text =>
            {
                Some(single(1))
            }
            Style::Literal | Style::Folded | Style::Plain => {
                Some(Self::by_lines(source, span, text, style))
            }
            _ => None,
        }
    }

    /// Walk the source lines of a block (or multi-line plain) scalar and find each one's
    /// content, indentation stripped, at or after the current position in the text.
    fn by_lines(source: &str, span: &Range<usize>, text: &str, style: Style) -> LineMap {
        let mut pieces = Vec::new();
        let mut cursor = 0;
        let mut line_start = span.start;
        // saphyr starts a block scalar's span at its `|`/`>` header or at its first content
        // line; only a header line is skipped.
        if matches!(style, Style::Literal | Style::Folded)
            && source[span.start..].starts_with(['|', '>'])
        {
            match source[span.start..].find('\n') {
                Some(newline) => line_start = span.start + newline + 1,
                None => {
                    return LineMap {
                        pieces,
                        fallback: span.start,
                    }
                }
            }
        }
        let end = span.end.min(source.len());
        while line_start < end && cursor <= text.len() {
            let line_end = source[line_start..end]
                .find('\n')
                .map_or(end, |i| line_start + i);
            let line = source[line_start..line_end].trim_end_matches('\r');
            let content = line.trim_start_matches([' ', '\t']);
            let content_start = line_start + (line.len() - content.len());
            let content = if style == Style::Plain {
                content.trim_end()
            } else {
                content
            };
            if !content.is_empty() {
                if let Some(found) = text[cursor..].find(content) {
                    pieces.push((cursor + found, content_start, content.len()));
                    cursor += found + content.len();
                } else if let Some(partial) = Self::longest_prefix_in(&text[cursor..], content) {
                    // The block's indentation may keep some leading spaces in the text.
                    pieces.push((cursor + partial.0, content_start, partial.1));
                    cursor += partial.0 + partial.1;
                }
            }
            line_start = line_end + 1;
        }
        LineMap {
            pieces,
            fallback: span.start,
        }
    }

    fn longest_prefix_in(haystack: &str, needle: &str) -> Option<(usize, usize)> {
        let mut len = needle.len();
        while len > 0 {
            if needle.is_char_boundary(len) {
                if let Some(found) = haystack.find(&needle[..len]) {
                    return Some((found, len));
                }
            }
            len /= 2;
        }
        None
    }

    fn to_source(&self, offset: usize) -> usize {
        for &(text_at, source_at, len) in self.pieces.iter().rev() {
            if offset >= text_at {
                return source_at + (offset - text_at).min(len);
            }
        }
        self.fallback
    }
}

/// Parse every document in `source`. Errors carry a byte offset.
pub fn parse(source: &str) -> Result<Vec<Yaml>, YamlError> {
    let offsets = CharOffsets::new(source);
    let mut builder = Builder {
        offsets: &offsets,
        stack: Vec::new(),
        documents: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
    };
    for event in Parser::new_from_str(source) {
        match event {
            Ok((event, span)) => builder.on_event(event, span)?,
            Err(error) => {
                return Err(YamlError {
                    offset: offsets.byte(error.marker().index()),
                    message: error.info().to_string(),
                })
            }
        }
    }
    Ok(builder.documents)
}

/// Character index to byte offset: saphyr's markers count characters.
struct CharOffsets {
    /// Byte offset of each character, or empty when the text is ASCII.
    bytes: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(source: &str) -> Self {
        let bytes = if source.is_ascii() {
            Vec::new()
        } else {
            source.char_indices().map(|(i, _)| i).collect()
        };
        CharOffsets {
            bytes,
            len: source.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.bytes.is_empty() {
            char_index.min(self.len)
        } else {
            self.bytes.get(char_index).copied().unwrap_or(self.len)
        }
    }

    fn range(&self, span: Span) -> Range<usize> {
        self.byte(span.start.index())..self.byte(span.end.index())
    }
}

enum Open {
    Sequence {
        start: usize,
        anchor: usize,
        items: Vec<Yaml>,
    },
    Mapping {
        start: usize,
        anchor: usize,
        pairs: Vec<(Yaml, Yaml)>,
        pending_key: Option<Yaml>,
    },
}

struct Builder<'a> {
    offsets: &'a CharOffsets,
    stack: Vec<Open>,
    documents: Vec<Yaml>,
    anchors: HashMap<usize, Yaml>,
    alias_nodes: usize,
}

impl Builder<'_> {
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let range = self.offsets.range(span);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Yaml {
                    node: Node::Scalar {
                        text: text.into_owned(),
                        style: style.into(),
                    },
                    span: range,
                };
                self.remember(anchor, &node);
                self.push(node);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        offset: range.start,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                self.stack.push(match event {
                    Event::SequenceStart(..) => Open::Sequence {
                        start: range.start,
                        anchor,
                        items: Vec::new(),
                    },
                    _ => Open::Mapping {
                        start: range.start,
                        anchor,
                        pairs: Vec::new(),
                        pending_key: None,
                    },
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    let (node, anchor) = match open {
                        Open::Sequence {
                            start,
                            anchor,
                            items,
                        } => {
                            let end = items.last().map_or(range.end, |last| last.span.end);
                            (
                                Yaml {
                                    node: Node::Sequence(items),
                                    span: start..end.max(start),
                                },
                                anchor,
                            )
                        }
                        Open::Mapping {
                            start,
                            anchor,
                            pairs,
                            ..
                        } => {
                            let end = pairs.last().map_or(range.end, |(_, v)| v.span.end);
                            (
                                Yaml {
                                    node: Node::Mapping(pairs),
                                    span: start..end.max(start),
                                },
                                anchor,
                            )
                        }
                    };
                    self.remember(anchor, &node);
                    self.push(node);
                }
            }
            Event::Alias(anchor) => {
                let Some(node) = self.anchors.get(&anchor).cloned() else {
                    return Err(YamlError {
                        offset: range.start,
                        message: "alias to an unknown anchor".to_string(),
                    });
                };
                self.alias_nodes += count_nodes(&node);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(YamlError {
                        offset: range.start,
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes; refusing to expand further"
                        ),
                    });
                }
                self.push(node);
            }
            Event::DocumentStart(_) => self.anchors.clear(),
            _ => {}
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Yaml) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn push(&mut self, node: Yaml) {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Open::Sequence { items, .. }) => items.push(node),
            Some(Open::Mapping {
                pairs, pending_key, ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => pairs.push((key, node)),
            },
        }
    }
}

fn count_nodes(node: &Yaml) -> usize {
    1 + match &node.node {
        Node::Scalar { .. } => 0,
        Node::Sequence(items) => items.iter().map(count_nodes).sum(),
        Node::Mapping(pairs) => pairs
            .iter()
            .map(|(k, v)| count_nodes(k) + count_nodes(v))
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(source: &str) -> Yaml {
        parse(source).expect("parses").remove(0)
    }

    #[test]
    fn spans_are_bytes_even_after_multibyte_text() {
        let source = "name: \"héllo ✓\"\nimage: ghcr.io/a/b:1\n";
        let root = doc(source);
        let image = root.get("image").unwrap();
        assert_eq!(&source[image.span.clone()], "ghcr.io/a/b:1");
    }

    #[test]
    fn keys_and_values_carry_spans() {
        let source = "env:\n  TENANT_IMAGE: 'x:1'\n";
        let root = doc(source);
        let (key, value) = root.get("env").unwrap().get_entry("TENANT_IMAGE").unwrap();
        assert_eq!(&source[key.span.clone()], "TENANT_IMAGE");
        assert_eq!(&source[value.span.clone()], "'x:1'");
        assert_eq!(&source[value.source_range(source, 0..3)], "x:1");
    }

    #[test]
    fn literal_block_maps_each_line_to_its_source_position() {
        let source = "run: |\n  echo one\n  railway variables --set A=b\n";
        let root = doc(source);
        let run = root.get("run").unwrap();
        let text = run.as_str().unwrap();
        let at = text.find("A=b").unwrap();
        let range = run.source_range(source, at..at + 3);
        assert_eq!(&source[range.clone()], "A=b");
        assert_eq!(range.start, source.find("A=b").unwrap());
    }

    #[test]
    fn literal_block_first_line_maps_too() {
        let source = "steps:\n  - run: |\n      docker push ghcr.io/a/b:1\n      echo done\n";
        let root = doc(source);
        let run = root.get("steps").unwrap().as_sequence().unwrap()[0]
            .get("run")
            .unwrap();
        let text = run.as_str().unwrap();
        let at = text.find("ghcr.io").unwrap();
        let range = run.source_range(source, at..at + "ghcr.io/a/b:1".len());
        assert_eq!(&source[range], "ghcr.io/a/b:1");
        let at = text.find("done").unwrap();
        assert_eq!(&source[run.source_range(source, at..at + 4)], "done");
    }

    #[test]
    fn folded_and_plain_multiline_scalars_map_too() {
        let source = "a: >-\n  first line\n  second X\nb: plain\n  continued Y\n";
        let root = doc(source);
        let a = root.get("a").unwrap();
        let at = a.as_str().unwrap().find('X').unwrap();
        assert_eq!(&source[a.source_range(source, at..at + 1)], "X");
        let b = root.get("b").unwrap();
        let at = b.as_str().unwrap().find('Y').unwrap();
        assert_eq!(&source[b.source_range(source, at..at + 1)], "Y");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // Flow style hits saphyr's own recursion limit, block style ours; both are errors.
        let flow = "[".repeat(100_000);
        assert!(parse(&flow).is_err());
        let block: String = (0..MAX_DEPTH + 10)
            .map(|depth| format!("{}k:\n", "  ".repeat(depth)))
            .collect();
        let error = parse(&block).unwrap_err();
        assert!(error.message.contains("nesting"), "{error:?}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut source = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut previous = 'a';
        for name in 'b'..='k' {
            source.push_str(&format!(
                "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
            ));
            previous = name;
        }
        let error = parse(&source).unwrap_err();
        assert!(error.message.contains("aliases"), "{error:?}");
    }

    #[test]
    fn merge_keys_are_followed() {
        let source = "base: &base\n  A: 1\njob:\n  <<: *base\n  B: 2\n";
        let root = doc(source);
        let job = root.get("job").unwrap();
        assert_eq!(job.get("A").and_then(Yaml::as_str), Some("1"));
        assert_eq!(job.get("B").and_then(Yaml::as_str), Some("2"));
    }

    #[test]
    fn syntax_errors_have_byte_offsets() {
        let source = "a: ✓\nb: [unclosed\n";
        let error = parse(source).unwrap_err();
        assert!(error.offset <= source.len());
        assert!(source.is_char_boundary(error.offset));
    }
}
