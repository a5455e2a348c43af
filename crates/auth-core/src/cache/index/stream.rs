//! The index of a cache file read through a small buffer, the file never held whole in memory: a fresh
//! process reading a 7 MB cache otherwise spends most of its time having the kernel hand it 7 MB of new
//! pages (a page fault each 4 KiB), more than the scan itself costs.
//!
//! One pass over the bytes checks the text is what the document would accept (UTF-8, JSON, an object whose
//! credential maps are objects) and keeps what searches compare: the fields' values are copied into one
//! string (a value equal to the same field's previous one is kept once), and a secret is kept as where it
//! is in the file, read from the still open file when it is served ([`Index::str`]). Anything this reader
//! is unsure of (a lone surrogate, a deep nesting, two keys with the same hash) it refuses, and the caller
//! then reads the document whole, which decides.
//!
//! The bytes are scanned by `tokenizer` (JSON through the buffer); this module says what the cache's maps,
//! entries and fields are, and where each value is kept.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;
use std::fs::File;
use std::hash::{Hash as _, Hasher as _};
use std::io::{self, Read, Seek as _, SeekFrom};

use self::tokenizer::{Reader, Sink};
use super::{Entry, FIELDS, Field, Found, Index, Text};
use crate::cache::schema::{CREDENTIAL_MAPS, ID_TOKEN};

mod tokenizer;

/// The read buffer: large enough to make few reads, small enough to stay in pages already mapped.
pub(in crate::cache) const CHUNK: usize = 64 * 1024;

/// Why the text was not indexed: the file could not be read, or the reader refuses the text (which the
/// document then judges).
#[derive(Debug)]
pub(in crate::cache) enum Refused {
    Io(io::Error),
    Text,
}

impl From<io::Error> for Refused {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

type Step<T> = std::result::Result<T, Refused>;

/// Reads `file` from its start through a buffer of `chunk` bytes; the index keeps the file to serve
/// secrets from.
pub(in crate::cache) fn read(file: File, chunk: usize) -> Step<Index> {
    let mut reader = Reader::new(&file, chunk.max(4));
    let mut maps = Maps::default();
    reader.skip_ws()?;
    if reader.peek()?.is_none() {
        return Ok(Index::default());
    }
    reader.expect(b'{')?;
    // the last of duplicate members wins, as in the document
    let mut found: Found = Default::default();
    if reader.object_open()? {
        loop {
            let name = reader.key()?;
            match CREDENTIAL_MAPS.iter().position(|m| m.as_bytes() == name) {
                Some(slot) => {
                    let keep = CREDENTIAL_MAPS[slot] != ID_TOKEN;
                    found[slot] = Some(reader.credential_map(keep, &mut maps)?);
                }
                None => reader.skip_value(2)?,
            }
            if !reader.object_next()? {
                break;
            }
        }
    }
    reader.skip_ws()?;
    if reader.peek()?.is_some() {
        return Err(Refused::Text);
    }
    let mut index = Index::default();
    index.set_maps(found).map_err(|_| Refused::Text)?;
    index.text = String::from_utf8(std::mem::take(&mut maps.text))
        .map_err(|_| Refused::Text)?
        .into_boxed_str();
    index.source = Some(file);
    Ok(index)
}

/// The copied values, and the last value of each field so a repeated one is kept once.
#[derive(Default)]
struct Maps {
    /// UTF-8: what is copied is cut from checked text before an ASCII quote or backslash, or is an
    /// escape's character.
    text: Vec<u8>,
    last: [Option<(usize, usize)>; FIELDS],
}

impl Maps {
    /// Keeps the value just appended at `start..` once: the field's previous value when they are equal.
    fn settle(&mut self, field: Field, start: usize) -> Step<Text> {
        let len = self.text.len() - start;
        if let Some((at, n)) = self.last[field as usize]
            && n == len
            && self.text[at..at + n] == self.text[start..]
        {
            self.text.truncate(start);
            return span(at, n);
        }
        self.last[field as usize] = Some((start, len));
        span(start, len)
    }
}

fn span(start: usize, len: usize) -> Step<Text> {
    match (u32::try_from(start), u32::try_from(len)) {
        (Ok(start), Ok(len)) => Ok(Text::Span { start, len }),
        // 4 GiB of copied fields: not a token cache
        _ => Err(Refused::Text),
    }
}

impl Reader<'_> {
    /// A credential map: `None` when its value is not an object. ID tokens (`keep` false) are only
    /// checked.
    fn credential_map(&mut self, keep: bool, maps: &mut Maps) -> Step<Option<Vec<Entry>>> {
        let first = self.token()?;
        if first != b'{' {
            self.skip_after(first, 2)?;
            return Ok(None);
        }
        if !keep {
            self.skip_after(first, 2)?;
            return Ok(Some(Vec::new()));
        }
        let mut entries: Vec<Entry> = Vec::new();
        // entries taken away by a later duplicate that is not an object (rare: removed at the end)
        let mut gone: Vec<usize> = Vec::new();
        // an entry's key: where it is in the file, to compare two keys of the same hash
        let mut keys: Vec<(u64, usize)> = Vec::new();
        let mut positions: HashMap<u64, usize> = HashMap::new();
        if self.object_open()? {
            loop {
                self.expect(b'"')?;
                let at = self.offset + self.pos as u64;
                let mut key = std::mem::take(&mut self.key);
                key.clear();
                self.string_rest(&mut Sink::Copy(&mut key))?;
                let raw_len = (self.offset + self.pos as u64 - at - 1) as usize;
                self.expect(b':')?;
                let mut hasher = std::hash::DefaultHasher::new();
                key.hash(&mut hasher);
                let hash = hasher.finish();
                let same = match positions.entry(hash) {
                    Slot::Occupied(slot) => {
                        let earlier = *slot.get();
                        let (offset, len) = keys[earlier];
                        if self.key_at(offset, len)?.as_bytes() != key {
                            // two keys of one hash: rare enough to let the document decide
                            return Err(Refused::Text);
                        }
                        Some(earlier)
                    }
                    Slot::Vacant(slot) => {
                        slot.insert(entries.len());
                        None
                    }
                };
                self.key = key;
                let value = self.token()?;
                let entry = if value == b'{' {
                    Some(self.entry(maps)?)
                } else {
                    self.skip_after(value, 3)?;
                    None
                };
                match (same, entry) {
                    (Some(earlier), Some(entry)) => {
                        entries[earlier] = entry;
                        gone.retain(|at| *at != earlier);
                    }
                    (Some(earlier), None) => gone.push(earlier),
                    (None, entry) => {
                        if entry.is_none() {
                            gone.push(entries.len());
                        }
                        entries.push(entry.unwrap_or_default());
                        keys.push((at, raw_len));
                    }
                }
                if !self.object_next()? {
                    break;
                }
            }
        }
        if !gone.is_empty() {
            let mut at = 0;
            entries.retain(|_| {
                at += 1;
                !gone.contains(&(at - 1))
            });
        }
        Ok(Some(entries))
    }

    /// An earlier key, read again from the file (the reading position is kept).
    fn key_at(&self, offset: u64, len: usize) -> Step<String> {
        let mut file = self.file;
        let resume = file.stream_position()?;
        let raw = read_span(file, offset, len);
        file.seek(SeekFrom::Start(resume))?;
        serde_json::from_slice(&raw?).map_err(|_| Refused::Text)
    }

    /// An entry after its `{`.
    fn entry(&mut self, maps: &mut Maps) -> Step<Entry> {
        let mut entry = Entry::default();
        if !self.object_open()? {
            return Ok(entry);
        }
        loop {
            let field = {
                let name = self.key()?;
                match Field::named(name) {
                    Some(field) => Ok(field),
                    None => Err(match name {
                        b"key_id" => Some(true),
                        b"ext_cache_key" => Some(false),
                        _ => None,
                    }),
                }
            };
            match field {
                Ok(field) => entry.fields[field as usize] = self.field(field, maps)?,
                Err(marker) => {
                    match marker {
                        Some(true) => entry.has_key_id = true,
                        Some(false) => entry.has_ext_cache_key = true,
                        None => {}
                    }
                    self.skip_value(4)?;
                }
            }
            if !self.object_next()? {
                return Ok(entry);
            }
        }
    }

    /// A field's value: a string (a secret left in the file), a number as its text, else nothing.
    fn field(&mut self, field: Field, maps: &mut Maps) -> Step<Option<Text>> {
        let first = self.token()?;
        match first {
            b'"' if field == Field::Secret => {
                let offset = self.offset + self.pos as u64;
                self.string_rest(&mut Sink::Skip)?;
                let len =
                    u32::try_from(self.offset + self.pos as u64 - offset - 1).map_err(|_| Refused::Text)?;
                Ok(Some(Text::InFile { offset, len }))
            }
            b'"' => {
                let start = maps.text.len();
                self.string_rest(&mut Sink::Copy(&mut maps.text))?;
                Ok(Some(maps.settle(field, start)?))
            }
            b'-' | b'0'..=b'9' => {
                let number = self.number(first)?;
                let start = maps.text.len();
                maps.text.extend_from_slice(number.as_bytes());
                Ok(Some(maps.settle(field, start)?))
            }
            _ => {
                self.skip_after(first, 4)?;
                Ok(None)
            }
        }
    }
}

/// `len` bytes between quotes at `offset` of the file, quotes included (a JSON string to decode).
pub(super) fn read_span(mut file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut raw = vec![0; len + 2];
    file.seek(SeekFrom::Start(
        offset.checked_sub(1).ok_or(io::ErrorKind::InvalidData)?,
    ))?;
    file.read_exact(&mut raw)?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    //! The streamed index against the index of the text in memory (which the cache tests hold to the
    //! document): the same entries and values, read through buffers small enough that every string,
    //! escape and UTF-8 sequence is cut somewhere.

    use std::io::Write as _;

    use super::*;

    const ALL: [Field; FIELDS] = [
        Field::CredentialType,
        Field::Secret,
        Field::HomeAccountId,
        Field::Environment,
        Field::ClientId,
        Field::Realm,
        Field::Target,
        Field::TokenType,
        Field::ExpiresOn,
        Field::RefreshOn,
        Field::LastModificationTime,
        Field::FamilyId,
        Field::LocalAccountId,
        Field::Username,
        Field::Credential,
    ];

    type Seen = Vec<Vec<(Vec<Option<String>>, bool, bool)>>;

    fn seen(index: &Index) -> Seen {
        [
            &index.access_tokens,
            &index.refresh_tokens,
            &index.accounts,
            &index.app_metadata,
        ]
        .iter()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let fields = ALL.iter().map(|f| index.str(e, *f).map(str::to_owned)).collect();
                    (fields, e.has_key_id, e.has_ext_cache_key)
                })
                .collect()
        })
        .collect()
    }

    fn streamed(text: &[u8], chunk: usize) -> Option<Seen> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text).unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        match read(file, chunk) {
            Ok(index) => Some(seen(&index)),
            Err(Refused::Text) => None,
            Err(Refused::Io(e)) => panic!("{e}"),
        }
    }

    fn in_memory(text: &[u8]) -> Option<Seen> {
        Index::parse(text.to_vec()).ok().map(|index| seen(&index))
    }

    const ENTRY: &str = r#"{"credential_type": "AccessToken", "secret": "eyJ0.é😀.sig", "home_account_id": "h.t",
        "environment": "login.microsoftonline.com", "client_id": "c", "realm": "t", "target": "a b",
        "token_type": "Bearer", "expires_on": "1700003600", "extended_expires_on": "1700003600"}"#;

    fn accepted() -> Vec<String> {
        vec![
            String::new(),
            " \n\t ".into(),
            "{}".into(),
            " { } ".into(),
            format!(
                r#"{{"AccessToken": {{"k1": {ENTRY}, "k2": {ENTRY}}}, "IdToken": {{"i": {{"secret": "x"}}}}}}"#
            ),
            format!(
                r#"{{"Future": {{"nested": [1, {{"deep": null}}, [], {{}}], "s": "x\"y"}},
                "AccessToken": {{"not-an-entry": 42, "e": {{"secret": "se\u0063ret\n\"quoted\"\ud83d\ude00",
                    "home_account_id": "h\/t", "expires_on": 1700003600, "refresh_on": -0,
                    "last_modification_time": 1.5e3, "target": true, "realm": [1, "x"], "client_id": {{"a": 1}},
                    "key_id": null, "ext_cache_key": {{"a": 1}}, "username": "Zoë ☃"}}, "arr": [1, 2]}},
                "Account": {{"a": {{"home_account_id": "h", "username": "admin\u0040contoso.com"}}}},
                "AppMetadata": {{"m": {{"client_id": "c", "family_id": "1", "environment": "e"}}}}}}"#
            ),
            // duplicates: the later entry in the earlier's place, the later field, the later map
            format!(
                r#"{{"AccessToken": {{"k": {ENTRY}, "j": {{"secret": "j"}}, "k": {{"secret": "later", "secret": "last"}}}}}}"#
            ),
            format!(r#"{{"AccessToken": {{"k": {ENTRY}, "k": "gone"}}}}"#),
            format!(r#"{{"AccessToken": "x", "AccessToken": {{"k": {ENTRY}}}}}"#),
            // escaped keys are the same key as their plain spelling
            format!(r#"{{"AccessToken": {{"k\u0031": {ENTRY}, "k1": {{"secret": "again"}}}}}}"#),
            format!(r#"{{"Account": {{}}, "RefreshToken": {{"r": {{"secret": "", "family_id": 1}}}}}}"#),
        ]
    }

    #[test]
    fn streamed_reads_what_the_text_in_memory_holds_through_any_buffer() {
        let mut texts: Vec<Vec<u8>> = accepted().into_iter().map(String::into_bytes).collect();
        texts.push(crate::testing::large_cache(3, 1_700_000_000));
        for text in &texts {
            let expected = in_memory(text);
            assert!(expected.is_some(), "{}", String::from_utf8_lossy(text));
            for chunk in [4, 5, 6, 7, 9, 13, 64, CHUNK] {
                assert_eq!(
                    streamed(text, chunk),
                    expected,
                    "chunk {chunk}: {}",
                    String::from_utf8_lossy(text)
                );
            }
        }
    }

    #[test]
    fn what_the_text_in_memory_refuses_streamed_refuses_too() {
        let refused: Vec<Vec<u8>> = vec![
            b"{\"AccessToken\": {\"k\": {\"secret\": \"\xff\"}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"secret\": \"\xc3\"}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"secret\": \"a\xc3".to_vec(),
            b"{} trailing".to_vec(),
            b"{}}".to_vec(),
            b"null".to_vec(),
            b"[{}]".to_vec(),
            b"\"{}\"".to_vec(),
            b"{\"Account\": \"x\"}".to_vec(),
            b"{\"IdToken\": [1], \"Account\": {}}".to_vec(),
            b"{\"AccessToken\": {}, \"AccessToken\": null}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"secret\": \"tab\there\"}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"secret\": \"bad \\x escape\"}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"secret\": \"bad \\u12G4\"}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"expires_on\": 01}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"expires_on\": 1.}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"x\": tru}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"x\": [1,]}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"x\": 1,}}}".to_vec(),
            b"{\"AccessToken\": {\"k\" {}}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {}}".to_vec(),
            b"{\"AccessToken\": {\"k\": {\"secret\": \"unterminated".to_vec(),
        ];
        for text in &refused {
            assert_eq!(in_memory(text), None, "{}", String::from_utf8_lossy(text));
            for chunk in [4, 7, CHUNK] {
                assert_eq!(
                    streamed(text, chunk),
                    None,
                    "chunk {chunk}: {}",
                    String::from_utf8_lossy(text)
                );
            }
        }
    }
    #[test]
    fn a_field_takes_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Option<Text>>(), 16);
    }

    #[test]
    fn a_secret_is_read_from_the_version_of_the_file_that_was_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        std::fs::write(&path, format!(r#"{{"AccessToken": {{"k": {ENTRY}}}}}"#)).unwrap();
        let index = read(File::open(&path).unwrap(), CHUNK).unwrap();
        // a writer renames a new file into place
        let next = dir.path().join("next.json");
        std::fs::write(&next, r#"{"AccessToken": {"k": {"secret": "new"}}}"#).unwrap();
        std::fs::rename(&next, &path).unwrap();
        let entry = &index.access_tokens[0];
        assert_eq!(index.str(entry, Field::Secret), Some("eyJ0.é😀.sig"));
        assert_eq!(
            format!("{:?}", entry.served),
            "Served(..)",
            "the secret is not in Debug"
        );
    }

    // ---- property: the streamed index agrees with serde_json on generated documents ----

    use crate::cache::{ACCESS_TOKEN, ACCOUNT, APP_METADATA, REFRESH_TOKEN};
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    /// Strings with what makes JSON text hard: escapes, quotes, control characters, astral characters.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::char::range('a', 'z'),
                1 => Just('"'),
                1 => Just('\\'),
                1 => Just('/'),
                1 => proptest::char::range('\u{0}', '\u{1f}'),
                1 => Just('é'),
                1 => Just('😀'),
                1 => Just('\u{2028}'),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    /// A value searches do not read: anything, nested a few levels.
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e9f64..1e9).prop_map(Value::from),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((text(), inner), 0..4)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    /// The members the index reads, in `Field` order (the first `FIELDS`), then ones it only notes.
    const NAMES: [&str; 18] = [
        "credential_type",
        "secret",
        "home_account_id",
        "environment",
        "client_id",
        "realm",
        "target",
        "token_type",
        "expires_on",
        "refresh_on",
        "last_modification_time",
        "family_id",
        "local_account_id",
        "username",
        crate::cache::CREDENTIAL_MEMBER,
        "key_id",
        "ext_cache_key",
        "x_unknown",
    ];

    /// A field's value: mostly what the schema holds (strings, integer numbers), sometimes anything.
    fn field_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => text().prop_map(Value::String),
            2 => any::<i64>().prop_map(Value::from),
            1 => any_value(),
        ]
    }

    fn entry() -> impl Strategy<Value = Value> {
        prop_oneof![
            8 => proptest::collection::vec((proptest::sample::select(&NAMES[..]), field_value()), 0..10)
                .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
            1 => any_value(),
        ]
    }

    fn document() -> impl Strategy<Value = Value> {
        let map = proptest::collection::vec((text(), entry()), 0..5)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>()));
        (
            proptest::collection::vec((proptest::sample::select(&CREDENTIAL_MAPS[..]), map), 0..6),
            proptest::collection::vec((text(), any_value()), 0..3),
        )
            .prop_map(|(maps, others)| {
                let mut doc: Map<String, Value> = others.into_iter().collect();
                for (name, map) in maps {
                    doc.insert(name.to_owned(), map);
                }
                Value::Object(doc)
            })
    }

    /// What the index should hold, read from the document serde_json parsed.
    fn expected(doc: &Value) -> Seen {
        [ACCESS_TOKEN, REFRESH_TOKEN, ACCOUNT, APP_METADATA]
            .iter()
            .map(|map| {
                doc.get(map)
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|m| m.values())
                    .filter_map(Value::as_object)
                    .map(|e| {
                        let fields = NAMES[..FIELDS]
                            .iter()
                            .map(|name| match e.get(*name) {
                                Some(Value::String(s)) => Some(s.clone()),
                                Some(Value::Number(n)) => Some(n.to_string()),
                                _ => None,
                            })
                            .collect();
                        (fields, e.contains_key("key_id"), e.contains_key("ext_cache_key"))
                    })
                    .collect()
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn the_streamed_index_agrees_with_serde_json(doc in document(), pretty in any::<bool>(), chunk in 4usize..64) {
            let text = if pretty { serde_json::to_vec_pretty(&doc) } else { serde_json::to_vec(&doc) }.unwrap();
            let maps_are_objects = CREDENTIAL_MAPS.iter().all(|m| doc.get(m).is_none_or(Value::is_object));
            let reparsed: Value = serde_json::from_slice(&text).unwrap();
            match streamed(&text, chunk) {
                Some(seen) => {
                    prop_assert!(maps_are_objects);
                    prop_assert_eq!(seen, expected(&reparsed));
                }
                // a credential map that is not an object is for the document to judge; nothing else is
                None => prop_assert!(!maps_are_objects, "refused: {}", String::from_utf8_lossy(&text)),
            }
        }
    }
}
