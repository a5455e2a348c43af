//! Text from outside (a server's `error_description`, a device code `message`, token claims, names read
//! from files) made safe for a terminal: escape sequences and control characters removed, so a hostile
//! authority or a planted file cannot retitle the window (`ESC]0;…BEL`), clear the screen (`ESC[2J`),
//! move the cursor over what was printed before, or reorder what is shown with bidirectional overrides.
//!
//! One function for every place that prints such text: the CLI's stdout and stderr boundary and
//! [`StderrInteraction`](crate::StderrInteraction). Data written for programs (JSON) keeps its escapes:
//! serde_json already writes C0 controls as `\u001b`.

use std::borrow::Cow;

/// ESC, which starts every 7-bit escape sequence.
const ESC: char = '\u{1b}';
/// BEL, which ends an operating system command (`ESC ] … BEL`).
const BEL: char = '\u{7}';

/// Whether a character is removed by itself: C0 controls (but `\n` and `\t`, which text may hold), DEL,
/// C1 controls (`U+0080`–`U+009F`, which some terminals obey as 8-bit escapes), and the bidirectional
/// embeddings, overrides and isolates (`U+202A`–`U+202E`, `U+2066`–`U+2069`), which make text read
/// differently from what it is.
fn removed(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every escape sequence and control character removed, keeping line breaks and tabs.
/// Borrows when there is nothing to remove (the usual case).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(removed) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ESC {
            if !removed(c) {
                out.push(c);
            }
            continue;
        }
        match chars.next() {
            // CSI (`ESC [ 2 J`): parameters and intermediates up to a final byte in `@`..=`~`
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC, DCS, SOS, PM, APC (`ESC ] 0 ; title BEL`): a string up to BEL or ST (`ESC \`)
            Some(']' | 'P' | 'X' | '^' | '_') => {
                while let Some(c) = chars.next() {
                    if c == BEL {
                        break;
                    }
                    if c == ESC {
                        if chars.peek() == Some(&'\\') {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            // three-character sequences (`ESC ( B` picks a character set) lose their last character too
            Some(' '..='/') => {
                chars.next();
            }
            // two-character ones (`ESC c` resets the terminal) are gone already
            Some(_) | None => {}
        }
    }
    Cow::Owned(out)
}

/// [`printable`] for one line, such as a table cell: line breaks and tabs become spaces too, so a value
/// cannot add rows or shift columns.
pub fn printable_line(text: &str) -> Cow<'_, str> {
    match printable(text) {
        Cow::Borrowed(clean) if !clean.contains(['\n', '\t']) => Cow::Borrowed(clean),
        clean => Cow::Owned(clean.replace(['\n', '\t'], " ")),
    }
}

/// The most of a server's text (an `error_description`, an excerpt) shown to the user.
pub const MAX_SERVER_TEXT: usize = 4 * 1024;

/// `text` cut to at most `limit` bytes (on a character boundary), with a marker saying how much was left
/// out: what a server says reaches the terminal, and a 50 MB `error_description` once did, whole.
pub fn cap_text(text: &str, limit: usize) -> Cow<'_, str> {
    if text.len() <= limit {
        return text.into();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes cut]", &text[..end], text.len() - end).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_removed_and_the_text_kept() {
        let cases = [
            ("AADSTS70008: expired", "AADSTS70008: expired"),
            ("retitled\u{1b}]0;owned\u{7} here", "retitled here"),
            ("osc ended by ST\u{1b}]2;x\u{1b}\\ here", "osc ended by ST here"),
            ("cleared\u{1b}[2J\u{1b}[H screen", "cleared screen"),
            ("red\u{1b}[1;31mtext\u{1b}[0m", "redtext"),
            ("reset\u{1b}c done", "reset done"),
            ("charset\u{1b}(B done", "charset done"),
            ("bell\u{7} back\u{8}space\r cr", "bell backspace cr"),
            ("del\u{7f} c1\u{9b}2J \u{85}next", "del c12J next"),
            ("bidi \u{202e}txt.exe\u{202c} \u{2066}x\u{2069}", "bidi txt.exe x"),
            ("lines\nand\ttabs stay", "lines\nand\ttabs stay"),
            ("a trailing \u{1b}", "a trailing "),
            ("an open \u{1b}]0;title", "an open "),
            ("ünïcödé 名前 stays", "ünïcödé 名前 stays"),
        ];
        for (input, expected) in cases {
            assert_eq!(printable(input), expected, "{input:?}");
        }
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_line_also_loses_its_breaks_and_tabs() {
        assert_eq!(printable_line("a\nb\tc\u{1b}[2Jd"), "a b cd");
        assert!(matches!(printable_line("plain"), Cow::Borrowed(_)));
    }
}
