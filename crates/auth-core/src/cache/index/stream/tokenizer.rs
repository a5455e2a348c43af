//! The JSON tokenizer under the streamed index: a reader of bytes through a buffer of its own size that
//! checks UTF-8 as it goes, and the scanning of whitespace, strings (escapes unescaped into a sink, or only
//! checked), numbers, literals and whole values, nesting bounded. It refuses what it is unsure of; what
//! a cache file's maps and entries mean is the index's ([`stream`](super)).

use std::fs::File;
use std::io::{self, Read};

use super::{Refused, Step};

/// Nesting deeper than this is refused (the document refuses nesting past 128).
const MAX_DEPTH: usize = 100;

/// Where a string's characters go.
pub(super) enum Sink<'s> {
    /// Checked only.
    Skip,
    /// Unescaped and appended.
    Copy(&'s mut Vec<u8>),
}

/// A file's JSON, read through a buffer; the index reads its position (`offset + pos`) and last key.
pub(super) struct Reader<'f> {
    pub(super) file: &'f File,
    buf: Vec<u8>,
    /// Next byte to read.
    pub(super) pos: usize,
    /// Bytes checked to be UTF-8 (the parser reads no further).
    checked: usize,
    /// Bytes in the buffer (an incomplete UTF-8 sequence may follow `checked`).
    end: usize,
    /// The file offset of `buf[0]`.
    pub(super) offset: u64,
    /// The last key read.
    pub(super) key: Vec<u8>,
}

impl<'f> Reader<'f> {
    pub(super) fn new(file: &'f File, chunk: usize) -> Self {
        Self {
            file,
            buf: vec![0; chunk],
            pos: 0,
            checked: 0,
            end: 0,
            offset: 0,
            key: Vec::new(),
        }
    }

    /// Reads more, keeping an incomplete UTF-8 sequence; `false` at the end of the file.
    fn fill(&mut self) -> Step<bool> {
        let kept = self.end - self.checked;
        self.buf.copy_within(self.checked..self.end, 0);
        self.offset += self.checked as u64;
        self.pos = 0;
        self.checked = 0;
        self.end = kept;
        loop {
            let n = match self.file.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                // an incomplete sequence at the end of the file is not UTF-8
                return if self.end == 0 {
                    Ok(false)
                } else {
                    Err(Refused::Text)
                };
            }
            self.end += n;
            match std::str::from_utf8(&self.buf[..self.end]) {
                Ok(_) => self.checked = self.end,
                Err(e) if e.error_len().is_none() => self.checked = e.valid_up_to(),
                Err(_) => return Err(Refused::Text),
            }
            if self.checked > 0 {
                return Ok(true);
            }
        }
    }

    pub(super) fn peek(&mut self) -> Step<Option<u8>> {
        if self.pos == self.checked && !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    fn next(&mut self) -> Step<u8> {
        let byte = self.peek()?.ok_or(Refused::Text)?;
        self.pos += 1;
        Ok(byte)
    }

    pub(super) fn skip_ws(&mut self) -> Step<()> {
        if self.pos < self.checked && self.buf[self.pos] > b' ' {
            return Ok(());
        }
        loop {
            let window = &self.buf[self.pos..self.checked];
            match window
                .iter()
                .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
            {
                Some(n) => {
                    self.pos += n;
                    return Ok(());
                }
                None => {
                    self.pos = self.checked;
                    if !self.fill()? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The next byte after whitespace.
    pub(super) fn token(&mut self) -> Step<u8> {
        self.skip_ws()?;
        self.next()
    }

    pub(super) fn expect(&mut self, byte: u8) -> Step<()> {
        if self.token()? == byte {
            Ok(())
        } else {
            Err(Refused::Text)
        }
    }

    /// After `{`: whether a member follows (else `}` was read).
    pub(super) fn object_open(&mut self) -> Step<bool> {
        self.skip_ws()?;
        if self.peek()? == Some(b'}') {
            self.pos += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// After a member: whether another follows (`,`), else `}` was read.
    pub(super) fn object_next(&mut self) -> Step<bool> {
        match self.token()? {
            b',' => Ok(true),
            b'}' => Ok(false),
            _ => Err(Refused::Text),
        }
    }

    /// A member name and its colon; the name is in `self.key`.
    pub(super) fn key(&mut self) -> Step<&[u8]> {
        self.expect(b'"')?;
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        self.string_rest(&mut Sink::Copy(&mut key))?;
        self.key = key;
        self.expect(b':')?;
        Ok(&self.key)
    }

    /// The rest of a string after its opening quote; returns whether it had escapes.
    pub(super) fn string_rest(&mut self, sink: &mut Sink<'_>) -> Step<bool> {
        let mut escaped = false;
        loop {
            if self.pos == self.checked && !self.fill()? {
                return Err(Refused::Text);
            }
            let window = &self.buf[self.pos..self.checked];
            let stop = plain_run(window);
            if let Sink::Copy(out) = sink {
                out.extend_from_slice(&window[..stop]);
            }
            self.pos += stop;
            if stop == window.len() {
                continue;
            }
            self.pos += 1;
            match window[stop] {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    self.escape(sink)?;
                }
                // a control character, which must be escaped
                _ => return Err(Refused::Text),
            }
        }
    }

    /// One escape after its backslash.
    fn escape(&mut self, sink: &mut Sink<'_>) -> Step<()> {
        let c = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if self.next()? != b'\\' || self.next()? != b'u' {
                            return Err(Refused::Text);
                        }
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(Refused::Text);
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(Refused::Text),
                    code => code,
                };
                char::from_u32(code).ok_or(Refused::Text)?
            }
            _ => return Err(Refused::Text),
        };
        if let Sink::Copy(out) = sink {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
        Ok(())
    }

    fn hex4(&mut self) -> Step<u32> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = char::from(self.next()?).to_digit(16).ok_or(Refused::Text)?;
            value = value * 16 + digit;
        }
        Ok(value)
    }

    /// A number whose first byte was read: its text as the document gives it (`serde_json::Number`).
    pub(super) fn number(&mut self, first: u8) -> Step<String> {
        let mut text = String::from(char::from(first));
        while let Some(b @ (b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')) = self.peek()? {
            text.push(char::from(b));
            self.pos += 1;
        }
        // numbers are rare in a cache file: the document's own parser judges them, out of range included
        serde_json::from_str::<serde_json::Number>(&text)
            .map(|n| n.to_string())
            .map_err(|_| Refused::Text)
    }

    /// `true`, `false` or `null` whose first byte was read.
    fn literal(&mut self, first: u8) -> Step<()> {
        let rest: &[u8] = match first {
            b't' => b"rue",
            b'f' => b"alse",
            b'n' => b"ull",
            _ => return Err(Refused::Text),
        };
        for &want in rest {
            if self.next()? != want {
                return Err(Refused::Text);
            }
        }
        Ok(())
    }

    /// Checks and skips a value of any kind, nested `depth` deep.
    pub(super) fn skip_value(&mut self, depth: usize) -> Step<()> {
        let first = self.token()?;
        self.skip_after(first, depth)
    }

    pub(super) fn skip_after(&mut self, first: u8, depth: usize) -> Step<()> {
        match first {
            b'"' => self.string_rest(&mut Sink::Skip).map(drop),
            b'{' => {
                if depth >= MAX_DEPTH {
                    return Err(Refused::Text);
                }
                if self.object_open()? {
                    loop {
                        self.expect(b'"')?;
                        self.string_rest(&mut Sink::Skip)?;
                        self.expect(b':')?;
                        self.skip_value(depth + 1)?;
                        if !self.object_next()? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(Refused::Text);
                }
                self.skip_ws()?;
                if self.peek()? == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    match self.token()? {
                        b',' => {}
                        b']' => return Ok(()),
                        _ => return Err(Refused::Text),
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(first).map(drop),
            _ => self.literal(first),
        }
    }
}

/// How many bytes of `bytes` a string takes before its next quote, backslash or control character.
/// Field values and keys are short: their first 32 bytes are looked at 8 at a time ([`specials`]). A
/// secret runs to kilobytes: past those, `memchr2` finds the quote or backslash, and the bytes before it
/// are checked for a control character by their minimum (both vectorized).
fn plain_run(bytes: &[u8]) -> usize {
    let head = bytes.len().min(32);
    let (words, rest) = bytes[..head].as_chunks::<8>();
    let mut at = 0;
    for word in words {
        let found = specials(u64::from_le_bytes(*word));
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    if !rest.is_empty() {
        // the last bytes, padded with spaces (not special)
        let mut last = [b' '; 8];
        last[..rest.len()].copy_from_slice(rest);
        return match specials(u64::from_le_bytes(last)) {
            0 => bytes.len(),
            found => at + (found.trailing_zeros() / 8) as usize,
        };
    }
    let tail = &bytes[head..];
    let stop = memchr::memchr2(b'"', b'\\', tail).unwrap_or(tail.len());
    let run = &tail[..stop];
    let stop = if run.iter().fold(u8::MAX, |low, &b| low.min(b)) < 0x20 {
        run.iter().position(|&b| b < 0x20).unwrap_or(stop)
    } else {
        stop
    };
    head + stop
}

/// The high bit of each byte of `word` (little-endian) that is a quote, a backslash or below 0x20; the
/// lowest one set is exact (a borrow only carries into higher bytes, whose bits are then not to be read).
fn specials(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGHS;
    below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1) | below(word, 0x20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_stops_at_the_first_quote_backslash_or_control_character() {
        for len in 0..80 {
            let plain = "é".repeat(len / 2) + &"a".repeat(len % 2);
            assert_eq!(plain_run(plain.as_bytes()), plain.len());
            for stop in ["\"", "\\", "\u{0}", "\u{1f}", "\n"] {
                for at in [0, len / 3, len] {
                    let mut text = plain.as_bytes()[..at].to_vec();
                    text.extend_from_slice(stop.as_bytes());
                    text.extend_from_slice(b"\"\\\x01tail");
                    assert_eq!(plain_run(&text), at, "{stop:?} at {at} of {len}");
                }
            }
        }
        assert_eq!(plain_run(b"\x7f\x20\xff !#[]"), 8);
    }
}
