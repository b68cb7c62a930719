//! A small incremental parser for server-sent events (the `text/event-stream` format).
//!
//! Feed it bytes as they arrive with [SseParser::push]; it returns every complete event. Lines
//! end with `\n`, `\r\n` or `\r`; `:` starts a comment; a blank line ends an event; `data:` lines
//! are joined with `\n`; one space after the colon is dropped.
use crate::{Error, Result};

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, `message` when absent.
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

/// Incremental SSE parser with a bound on the size of one event.
#[derive(Debug)]
pub struct SseParser {
    buf: Vec<u8>,
    event: String,
    data: String,
    has_data: bool,
    id: Option<String>,
    /// The previous chunk ended in `\r`: skip a `\n` that starts the next one.
    skip_lf: bool,
    max_event_bytes: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new(16 * 1024 * 1024)
    }
}

impl SseParser {
    /// A parser that fails when one line or one event grows beyond `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            buf: Vec::new(),
            event: String::new(),
            data: String::new(),
            has_data: false,
            id: None,
            skip_lf: false,
            max_event_bytes,
        }
    }

    /// Consumes `chunk` and returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>> {
        let mut out = Vec::new();
        let mut rest = chunk;
        if self.skip_lf && !rest.is_empty() {
            self.skip_lf = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (line, tail) = rest.split_at(pos);
            let terminator = tail[0];
            rest = &tail[1..];
            if terminator == b'\r' {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            self.buf.extend_from_slice(line);
            let line = std::mem::take(&mut self.buf);
            let line = String::from_utf8(line)
                .map_err(|_| Error::Stream("event stream line is not UTF-8".into()))?;
            if let Some(ev) = self.line(&line)? {
                out.push(ev);
            }
        }
        self.buf.extend_from_slice(rest);
        if self.buf.len() > self.max_event_bytes {
            return Err(Error::Stream(format!(
                "line longer than {} bytes",
                self.max_event_bytes
            )));
        }
        Ok(out)
    }

    fn line(&mut self, line: &str) -> Result<Option<SseEvent>> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
                if self.data.len() > self.max_event_bytes {
                    return Err(Error::Stream(format!(
                        "event larger than {} bytes",
                        self.max_event_bytes
                    )));
                }
            }
            "id" if !value.contains('\0') => self.id = Some(value.to_string()),
            // `retry` and unknown fields are ignored.
            _ => {}
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseEvent {
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data,
            id: self.id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(parser: &mut SseParser, chunks: &[&[u8]]) -> Vec<SseEvent> {
        chunks
            .iter()
            .flat_map(|c| parser.push(c).unwrap())
            .collect()
    }

    #[test]
    fn parses_named_events_comments_and_multiline_data() {
        let text = b": keep-alive\n\nevent: block\ndata: {\"a\":1}\n\ndata:first\ndata: second\nid: 7\n\nevent: block\ndata: x\n";
        let mut p = SseParser::default();
        let evs = all(&mut p, &[text]);
        assert_eq!(
            evs,
            vec![
                SseEvent {
                    event: "block".into(),
                    data: "{\"a\":1}".into(),
                    id: None
                },
                SseEvent {
                    event: "message".into(),
                    data: "first\nsecond".into(),
                    id: Some("7".into())
                },
            ]
        );
        // The last event is incomplete until its blank line arrives.
        let evs = p.push(b"\n").unwrap();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].data, "x");
    }

    #[test]
    fn any_chunking_and_line_ending_gives_the_same_events() {
        let text = "event: block\r\ndata: one\r\n\r\nevent: block\rdata: two\r\revent: block\ndata: three\n\n";
        let whole = all(&mut SseParser::default(), &[text.as_bytes()]);
        assert_eq!(whole.len(), 3);
        assert_eq!(
            whole.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
            ["one", "two", "three"]
        );
        for split in 0..text.len() {
            let (a, b) = text.as_bytes().split_at(split);
            assert_eq!(
                all(&mut SseParser::default(), &[a, b]),
                whole,
                "split {split}"
            );
        }
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        assert_eq!(all(&mut SseParser::default(), &bytes), whole);
    }

    #[test]
    fn event_without_data_is_not_dispatched() {
        let evs = all(&mut SseParser::default(), &[b"event: block\n\n"]);
        assert!(evs.is_empty());
    }

    #[test]
    fn oversized_lines_fail() {
        let mut p = SseParser::new(16);
        assert!(p.push(&[b'a'; 32]).is_err());
        let mut p = SseParser::new(16);
        assert!(p.push(b"data: 0123456789\ndata: 0123456789\n").is_err());
    }
}
