//! Messages that quote values from a configuration or a server: a value may be megabytes
//! long, so a message quotes at most a short prefix of it.

use std::fmt::{self, Write};

/// At most this many characters of one quoted run (`"..."` or `` `...` ``) are kept.
pub(crate) const QUOTED: usize = 64;

/// At most this many characters in all.
pub(crate) const TOTAL: usize = 400;

/// `message`, formatted with every quoted run (a string as serde quotes it, `"..."`, or a name
/// in backticks) cut to its first [`QUOTED`] characters and an ellipsis, and the whole cut at
/// [`TOTAL`] characters. What follows a cut run is kept (serde's "expected ..."). Formatting
/// stops as soon as the message is full, and nothing longer than the result is ever built.
///
/// The one helper for the messages of values that cannot be read as the requested type
/// (`TYPE_MISMATCH`), whichever provider reads them.
pub(crate) fn bounded(message: impl fmt::Display) -> String {
    let mut sink = Bounded::default();
    // An error only means the message was full: what was kept is the result.
    let _ = write!(sink, "{message}");
    sink.out
}

/// `text` cut to its first `max` characters, with `…` when cut: for names and sentences quoted
/// whole in a message.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[derive(Default)]
struct Bounded {
    out: String,
    /// Characters in `out`.
    chars: usize,
    full: bool,
    /// The delimiter of the quoted run being written, if any.
    quote: Option<char>,
    /// The previous character of a `"` run was an unescaped backslash.
    escaped: bool,
    /// Characters of the current run kept.
    run: usize,
    /// Whether the current run was cut.
    cut: bool,
}

impl Bounded {
    fn push(&mut self, c: char) -> fmt::Result {
        if self.chars == TOTAL {
            self.out.push('…');
            self.full = true;
            return Err(fmt::Error);
        }
        self.out.push(c);
        self.chars += 1;
        Ok(())
    }
}

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.full {
            return Err(fmt::Error);
        }
        for c in s.chars() {
            match self.quote {
                None => {
                    if c == '"' || c == '`' {
                        self.quote = Some(c);
                        self.run = 0;
                        self.cut = false;
                        self.escaped = false;
                    }
                    self.push(c)?;
                }
                Some(q) => {
                    let closes = c == q && !self.escaped;
                    self.escaped = q == '"' && c == '\\' && !self.escaped;
                    if closes {
                        self.quote = None;
                        self.push(c)?;
                    } else if self.run < QUOTED {
                        self.run += 1;
                        self.push(c)?;
                    } else if !self.cut {
                        self.cut = true;
                        self.push('…')?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn a_short_message_is_kept_as_it_is() {
        let message = "invalid type: string \"blue\", expected i64 at `a.b`";
        assert_eq!(bounded(message), message);
        assert_eq!(bounded(""), "");
    }

    #[test]
    fn a_long_quoted_value_keeps_its_prefix_and_what_follows() {
        let value = "x".repeat(1 << 20);
        let message = bounded(format_args!("invalid type: string {value:?}, expected i64"));
        assert_eq!(
            message,
            format!(
                "invalid type: string \"{}…\", expected i64",
                "x".repeat(QUOTED)
            )
        );
        // Backticks too, each run on its own.
        let message = bounded(format_args!(
            "unknown variant `{value}`, expected `a` or `{}`",
            "b".repeat(100)
        ));
        assert_eq!(
            message,
            format!(
                "unknown variant `{}…`, expected `a` or `{}…`",
                "x".repeat(QUOTED),
                "b".repeat(QUOTED)
            )
        );
        // Counted in characters, not bytes: a cut never splits one.
        let message = bounded(format_args!("{:?}", "é".repeat(1000)));
        assert_eq!(message, format!("\"{}…\"", "é".repeat(QUOTED)));
    }

    #[test]
    fn an_escaped_quote_does_not_end_a_run() {
        let value = format!("{}\"{}", "a".repeat(10), "b".repeat(200));
        let message = bounded(format_args!("string {value:?}, expected bool"));
        assert!(message.ends_with("…\", expected bool"), "{message}");
        assert!(
            message.starts_with("string \"aaaaaaaaaa\\\"bbb"),
            "{message}"
        );
        assert_eq!(
            message.chars().count(),
            "string \"".len() + QUOTED + 1 + "\", expected bool".len()
        );
    }

    #[test]
    fn the_whole_message_is_bounded_and_formatting_stops_when_full() {
        // Unquoted text, written in many pieces: at most `TOTAL` characters and an ellipsis,
        // and the pieces after that are never asked for.
        struct Pieces<'a>(&'a Cell<usize>);
        impl fmt::Display for Pieces<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for _ in 0..1_000_000 {
                    self.0.set(self.0.get() + 1);
                    f.write_str("word ")?;
                }
                Ok(())
            }
        }
        let calls = Cell::new(0);
        let message = bounded(Pieces(&calls));
        assert_eq!(message.chars().count(), TOTAL + 1);
        assert!(message.ends_with('…'));
        assert_eq!(calls.get(), TOTAL / "word ".len() + 1);

        // Many quoted runs: the total still holds.
        let many: Vec<String> = (0..1000)
            .map(|i| format!("`{}`", "v".repeat(i % 90)))
            .collect();
        let message = bounded(many.join(", "));
        assert_eq!(message.chars().count(), TOTAL + 1);
    }
}
