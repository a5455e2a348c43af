//! The cache as searches see it: the fields they compare, read straight from the file's JSON text without
//! building a tree of values, and every string (secrets included) left in that text as a span until it is
//! served: reading a file allocates per map, not per entry or field (only a string with escapes, or a
//! number, gets a copy). The full document ([`super::schema::Document`]) is parsed only to change the file.
//!
//! It reads what the document would hold: a field is a string, or a number as its JSON text (`string()`
//! on the document); anything else is no value. A later duplicate key replaces the earlier one in its
//! place, as in the document. Entries that are not objects are skipped. A text the document refuses, it
//! refuses too: not UTF-8, not JSON, not an object, a credential map that is not an object.
//!
//! A cache file is read by [`stream`]: through a small buffer, the secrets left in the file until served.

mod stream;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;
use std::fmt;
use std::fs::File;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::schema::{
    ACCESS_TOKEN, ACCOUNT, APP_METADATA, CREDENTIAL_MAPS, Document, ID_TOKEN, REFRESH_TOKEN,
};

/// The fields searches read. Others are skipped (and kept in the file by the document on a rewrite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    CredentialType,
    Secret,
    HomeAccountId,
    Environment,
    ClientId,
    Realm,
    Target,
    TokenType,
    ExpiresOn,
    RefreshOn,
    LastModificationTime,
    FamilyId,
    LocalAccountId,
    Username,
    /// msconnect's fingerprint of the credential that earned an app-only token (issue 14).
    Credential,
}

const FIELDS: usize = 15;
const CREDENTIAL_MEMBER_BYTES: &[u8] = super::CREDENTIAL_MEMBER.as_bytes();

impl Field {
    fn named(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"credential_type" => Self::CredentialType,
            b"secret" => Self::Secret,
            b"home_account_id" => Self::HomeAccountId,
            b"environment" => Self::Environment,
            b"client_id" => Self::ClientId,
            b"realm" => Self::Realm,
            b"target" => Self::Target,
            b"token_type" => Self::TokenType,
            b"expires_on" => Self::ExpiresOn,
            b"refresh_on" => Self::RefreshOn,
            b"last_modification_time" => Self::LastModificationTime,
            b"family_id" => Self::FamilyId,
            b"local_account_id" => Self::LocalAccountId,
            b"username" => Self::Username,
            CREDENTIAL_MEMBER_BYTES => Self::Credential,
            _ => return None,
        })
    }
}

/// A string of the text: where it is, when it has no escapes; else its own unescaped copy (and the text
/// of a number); or, for a secret of a file read by [`stream`], where it is in the file (between its
/// quotes, as written: escapes are decoded when it is read).
///
/// Sixteen bytes (a thin pointer for the rare copy): a large cache has thousands of entries of 14 fields.
#[derive(Debug, Clone)]
enum Text {
    Span { start: u32, len: u32 },
    Owned(Box<Box<str>>),
    InFile { offset: u64, len: u32 },
}

impl Text {
    fn owned(text: impl Into<Box<str>>) -> Self {
        Self::Owned(Box::new(text.into()))
    }
}

/// A secret read from the file when first served; `None` when it could not be read as it was indexed.
#[derive(Clone, Default)]
struct Served(OnceCell<Option<Box<str>>>);

impl fmt::Debug for Served {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Served(..)"
        } else {
            "Served"
        })
    }
}

/// One entry of a credential map.
#[derive(Debug, Clone, Default)]
pub(super) struct Entry {
    fields: [Option<Text>; FIELDS],
    /// Tokens bound to a key (PoP, SSH certificates) or cached under extra parameters have these members,
    /// whatever their value.
    pub(super) has_key_id: bool,
    pub(super) has_ext_cache_key: bool,
    /// Its secret, once read from the file.
    served: Served,
}

/// The searchable part of a cache document.
#[derive(Debug, Default)]
pub(super) struct Index {
    text: Box<str>,
    pub(super) access_tokens: Vec<Entry>,
    pub(super) refresh_tokens: Vec<Entry>,
    pub(super) accounts: Vec<Entry>,
    pub(super) app_metadata: Vec<Entry>,
    /// The file whose secrets are left in it ([`Text::InFile`]), open as it was read: a writer replaces
    /// the file by renaming a new one into place, so this one keeps the version indexed.
    source: Option<File>,
}

/// How a cache file's index was not read: the file could not be read (the error), or its text is refused
/// (and the caller reads the document, which decides).
pub(super) use stream::Refused;

impl Index {
    /// Reads a cache file from its start through a small buffer ([`stream`]).
    pub(super) fn read_file(file: File) -> std::result::Result<Self, Refused> {
        stream::read(file, stream::CHUNK)
    }

    /// Reads a cache file's text; the error says why it is not a cache (the file is then corrupt).
    pub(super) fn parse(bytes: Vec<u8>) -> std::result::Result<Self, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| format!("not JSON: {}", e.utf8_error()))?
            .into_boxed_str();
        let found = {
            let mut deserializer = serde_json::Deserializer::from_str(&text);
            let found = deserializer
                .deserialize_any(DocumentVisitor {
                    base: text.as_ptr() as usize,
                    end: text.len(),
                })
                .map_err(|e| format!("not JSON: {e}"))?;
            deserializer.end().map_err(|e| format!("not JSON: {e}"))?;
            found?
        };
        let mut index = Self {
            text,
            ..Self::default()
        };
        index
            .set_maps(found)
            .map_err(|name| format!("its {name} member is not an object"))?;
        Ok(index)
    }

    /// The credential maps read, by their place in `CREDENTIAL_MAPS` (the last of duplicate members);
    /// the error names one that is not an object.
    fn set_maps(&mut self, found: Found) -> std::result::Result<(), &'static str> {
        for (name, value) in CREDENTIAL_MAPS.iter().zip(found) {
            let entries = match value {
                None => continue,
                Some(None) => return Err(name),
                Some(Some(entries)) => entries,
            };
            match *name {
                ACCESS_TOKEN => self.access_tokens = entries,
                REFRESH_TOKEN => self.refresh_tokens = entries,
                ACCOUNT => self.accounts = entries,
                APP_METADATA => self.app_metadata = entries,
                _ => {}
            }
        }
        Ok(())
    }

    /// The index of a document held in memory (an in-memory cache, a file that only the document reads).
    pub(super) fn of_document(doc: &Document) -> Self {
        let text = serde_json::to_vec(doc).unwrap_or_default();
        // A document always writes a JSON object of objects, which the index reads.
        Self::parse(text).unwrap_or_default()
    }

    /// The index of entries held elsewhere (the Redis store's), as if they were the map `map` of a file.
    #[cfg(feature = "redis")]
    pub(super) fn of_entries(map: &str, entries: &[serde_json::Map<String, serde_json::Value>]) -> Self {
        let numbered: serde_json::Map<String, serde_json::Value> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i.to_string(), serde_json::Value::Object(e.clone())))
            .collect();
        let mut doc = Document::new();
        doc.insert(map.to_owned(), serde_json::Value::Object(numbered));
        Self::of_document(&doc)
    }

    /// A field as the document's `string()` gives it: a string, or a number's JSON text.
    pub(super) fn str<'a>(&'a self, entry: &'a Entry, field: Field) -> Option<&'a str> {
        match entry.fields[field as usize].as_ref()? {
            Text::Span { start, len } => {
                let start = *start as usize;
                self.text.get(start..start + *len as usize)
            }
            Text::Owned(text) => Some(text),
            Text::InFile { offset, len } => entry
                .served
                .0
                .get_or_init(|| self.read_secret(*offset, *len))
                .as_deref(),
        }
    }

    /// A secret left in the file, read and decoded as the JSON string it was when indexed.
    fn read_secret(&self, offset: u64, len: u32) -> Option<Box<str>> {
        let raw = stream::read_span(self.source.as_ref()?, offset, len as usize).ok()?;
        serde_json::from_slice::<Box<str>>(&raw).ok()
    }

    /// A timestamp or count, written as a string (the schema) or a number (some SDKs).
    pub(super) fn number(&self, entry: &Entry, field: Field) -> Option<i64> {
        self.str(entry, field)?.trim().parse().ok()
    }

    /// Whether a field holds `value`, compared without regard to case (ids and hosts are case-insensitive).
    pub(super) fn field_is(&self, entry: &Entry, field: Field, value: &str) -> bool {
        self.str(entry, field)
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    }
}

/// The credential maps as read, by their place in `CREDENTIAL_MAPS`: `Some(None)` for one that is not an
/// object.
type Found = [Option<Option<Vec<Entry>>>; 5];

/// Where the text is, so a borrowed string becomes a span of it.
#[derive(Clone, Copy)]
struct DocumentVisitor {
    base: usize,
    end: usize,
}

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = std::result::Result<Found, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        // the last of duplicate members wins, as in the document
        let mut found: Found = Default::default();
        while let Some(name) = map.next_key::<Name>()? {
            let Some(slot) = CREDENTIAL_MAPS.iter().position(|m| *m == name.0) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let keep = CREDENTIAL_MAPS[slot] != ID_TOKEN;
            found[slot] = Some(map.next_value_seed(CredentialMap { at: self, keep })?);
        }
        Ok(Ok(found))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Err("not a JSON object".into()))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(Err("not a JSON object".into()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Err("not a JSON object".into()))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(Err("not a JSON object".into()))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(Err("not a JSON object".into()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(Err("not a JSON object".into()))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Err("not a JSON object".into()))
    }
}

/// A member name, borrowed from the text when it has no escapes.
struct Name<'de>(std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Name(std::borrow::Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Name(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// A credential map: `None` when it is not an object. ID tokens are only checked to be an object: no
/// search reads them.
struct CredentialMap {
    at: DocumentVisitor,
    keep: bool,
}

impl<'de> DeserializeSeed<'de> for CredentialMap {
    type Value = Option<Vec<Entry>>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The arms of a visitor whose value must be a JSON object: anything else (an array, a string, a number,
/// `true`, `null`) reads as `None` rather than an error, as the full parse treats a member of the wrong
/// shape. One copy for every visitor of this file.
macro_rules! not_an_object {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Ok(None)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
    };
}

impl<'de> Visitor<'de> for CredentialMap {
    type Value = Option<Vec<Entry>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut entries: Vec<Option<Entry>> = Vec::new();
        let mut positions: HashMap<Key<'de>, usize> = HashMap::new();
        while let Some(key) = map.next_key::<Name>()? {
            if !self.keep {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let entry = map.next_value_seed(EntrySeed(self.at))?;
            match positions.entry(Key(key.0)) {
                Slot::Occupied(at) => entries[*at.get()] = entry,
                Slot::Vacant(slot) => {
                    slot.insert(entries.len());
                    entries.push(entry);
                }
            }
        }
        Ok(Some(entries.into_iter().flatten().collect()))
    }

    not_an_object!();
}

/// An entry's key, hashed by its length and ends only: keys run to 200 bytes and differ at both ends (the
/// account first, the tenant and scopes last), so this hashes half the bytes for the same spread. Keys
/// with equal hashes are still compared whole.
#[derive(PartialEq, Eq)]
struct Key<'de>(std::borrow::Cow<'de, str>);

impl std::hash::Hash for Key<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        const END: usize = 48;
        let bytes = self.0.as_bytes();
        state.write_usize(bytes.len());
        if bytes.len() <= 2 * END {
            state.write(bytes);
        } else {
            state.write(&bytes[..END]);
            state.write(&bytes[bytes.len() - END..]);
        }
    }
}

/// One entry: `None` when it is not an object (searches skip those).
struct EntrySeed(DocumentVisitor);

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = Option<Entry>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed {
    type Value = Option<Entry>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut entry = Entry::default();
        while let Some(name) = map.next_key::<Name>()? {
            match Field::named(name.0.as_bytes()) {
                Some(field) => entry.fields[field as usize] = map.next_value_seed(FieldSeed(self.0))?,
                None => {
                    match &*name.0 {
                        "key_id" => entry.has_key_id = true,
                        "ext_cache_key" => entry.has_ext_cache_key = true,
                        _ => {}
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(entry))
    }

    not_an_object!();
}

/// A field's value: a string (a span of the text when it has no escapes), a number as its JSON text, else
/// nothing.
struct FieldSeed(DocumentVisitor);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Option<Text>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Option<Text>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        let start = (v.as_ptr() as usize).wrapping_sub(self.0.base);
        let span = (start <= self.0.end && v.len() <= self.0.end - start)
            .then(|| Some((u32::try_from(start).ok()?, u32::try_from(v.len()).ok()?)))
            .flatten();
        Ok(Some(match span {
            Some((start, len)) => Text::Span { start, len },
            None => Text::owned(v),
        }))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Some(Text::owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Some(Text::owned(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Some(Text::owned(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map(|n| Text::owned(n.to_string())))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(None)
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}
