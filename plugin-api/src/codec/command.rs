//! The `RemotingCommand` header model and its small value types.

use std::fmt;

use bytes::Bytes;

use super::{FLAG_ONEWAY, FLAG_RESPONSE};

/// How a frame's header is serialized (the high byte of the header word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum SerializeType {
    /// JSON header (type byte 0), the default.
    #[default]
    Json = 0,
    /// Compact binary "ROCKETMQ" header (type byte 1).
    RocketMq = 1,
}

impl SerializeType {
    /// Maps a header-word type byte to a serialize type; `None` for unknown bytes.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Json),
            1 => Some(Self::RocketMq),
            _ => None,
        }
    }

    /// The type byte written in the header word.
    pub fn as_byte(self) -> u8 {
        self as u8
    }

    /// The Java enum name: `"JSON"` or `"ROCKETMQ"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::RocketMq => "ROCKETMQ",
        }
    }
}

/// The sender's implementation language (Java `LanguageCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum LanguageCode {
    /// `JAVA` (0), what stock brokers send.
    #[default]
    Java = 0,
    /// `CPP` (1).
    Cpp = 1,
    /// `DOTNET` (2).
    Dotnet = 2,
    /// `PYTHON` (3).
    Python = 3,
    /// `DELPHI` (4).
    Delphi = 4,
    /// `ERLANG` (5).
    Erlang = 5,
    /// `RUBY` (6).
    Ruby = 6,
    /// `OTHER` (7); also used for unknown bytes and names.
    Other = 7,
    /// `HTTP` (8).
    Http = 8,
    /// `GO` (9).
    Go = 9,
    /// `PHP` (10).
    Php = 10,
    /// `OMS` (11).
    Oms = 11,
    /// `RUST` (12).
    Rust = 12,
    /// `NODE_JS` (13, 5.x only).
    NodeJs = 13,
}

impl LanguageCode {
    const ALL: [LanguageCode; 14] = [
        Self::Java,
        Self::Cpp,
        Self::Dotnet,
        Self::Python,
        Self::Delphi,
        Self::Erlang,
        Self::Ruby,
        Self::Other,
        Self::Http,
        Self::Go,
        Self::Php,
        Self::Oms,
        Self::Rust,
        Self::NodeJs,
    ];

    /// Maps the binary header's language byte; unknown bytes map to [`LanguageCode::Other`].
    pub fn from_byte(b: u8) -> Self {
        Self::ALL
            .get(usize::from(b))
            .copied()
            .unwrap_or(Self::Other)
    }

    /// Maps a Java enum name (`"JAVA"`, `"NODE_JS"`, …; ASCII case ignored); unknown names map to [`LanguageCode::Other`].
    pub fn from_name(s: &str) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|l| l.name() == s)
            .or_else(|| {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|l| l.name().eq_ignore_ascii_case(s))
            })
            .unwrap_or(Self::Other)
    }

    /// The Java enum name, as written in JSON headers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Java => "JAVA",
            Self::Cpp => "CPP",
            Self::Dotnet => "DOTNET",
            Self::Python => "PYTHON",
            Self::Delphi => "DELPHI",
            Self::Erlang => "ERLANG",
            Self::Ruby => "RUBY",
            Self::Other => "OTHER",
            Self::Http => "HTTP",
            Self::Go => "GO",
            Self::Php => "PHP",
            Self::Oms => "OMS",
            Self::Rust => "RUST",
            Self::NodeJs => "NODE_JS",
        }
    }

    /// The byte written in binary headers.
    pub fn as_byte(self) -> u8 {
        self as u8
    }
}

/// Header-key equality with the first byte compared inline: keys are short
/// and mostly differ there (V2 send headers are single letters), so most
/// comparisons end without a call to `memcmp`.
#[inline]
pub fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.first() == b.first() && a == b
}

/// Ordered string map for `extFields`.
///
/// Insertion order is kept and is the encoding order; [`ExtFields::insert`] replaces
/// an existing key's value in place; building from an iterator (and decoding)
/// keeps the last value of duplicate keys. Lookups are linear, which is fast for
/// the dozen or so keys a header carries. Equality compares entries in order.
///
/// Every key and value lives in one text buffer and an entry is four offsets
/// into it: a header is decoded (and a response built) with two allocations
/// instead of two per field, which matters at a hundred thousand requests a
/// second.
#[derive(Clone, Default)]
pub struct ExtFields {
    text: String,
    entries: Vec<FieldSpan>,
    /// One bit per `first byte % 64` of every key ever stored: a clear bit
    /// proves a key absent without a scan (V2 send headers, single letters,
    /// never scan while being decoded).
    first_bytes: u64,
}

/// The [`ExtFields::first_bytes`] bit of `key`.
fn first_byte_bit(key: &[u8]) -> u64 {
    1 << (key.first().copied().unwrap_or(0) % 64)
}

/// Where one entry's key and value are in an [`ExtFields`] text: byte offsets
/// `key_start..key_end` and `value_start..value_end`. Crosses the plugin ABI
/// (a response's fields), hence `repr(C)`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, abi_stable::StableAbi)]
pub struct FieldSpan {
    /// First byte of the key.
    pub key_start: u32,
    /// One past the key's last byte.
    pub key_end: u32,
    /// First byte of the value.
    pub value_start: u32,
    /// One past the value's last byte.
    pub value_end: u32,
}

/// The parts handed to [`ExtFields::from_parts`] do not describe a map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("extFields entry {entry} points outside its text or inside a UTF-8 character")]
pub struct InvalidFieldSpans {
    /// Index of the first bad entry.
    pub entry: usize,
}

impl ExtFields {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `entries` entries and `text` bytes of keys and values.
    pub fn with_capacity(entries: usize, text: usize) -> Self {
        ExtFields {
            text: String::with_capacity(text),
            entries: Vec::with_capacity(entries),
            first_bytes: 0,
        }
    }

    /// An empty map whose text starts as a copy of `source` (a JSON header),
    /// for a decoder that records keys and values as offsets into it and
    /// decodes escaped strings onto its end: room is left for all of
    /// `source` once more, as an escaped string never decodes longer.
    pub(crate) fn over_text(source: &str) -> Self {
        let mut text = String::with_capacity(source.len() * 2);
        text.push_str(source);
        ExtFields {
            text,
            entries: Vec::with_capacity(16),
            first_bytes: 0,
        }
    }

    /// The text, for a decoder appending an unescaped string to it.
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// Appends an entry for a key and value already in the text, as
    /// `(start, end)` offsets on character boundaries, without looking for
    /// the key: decoders push every entry and then call
    /// [`ExtFields::collapse_repeated_keys`] once. Looking each key up as it
    /// came (what `insert` does) made decoding quadratic: a header of
    /// 100,000 distinct keys took 16 s.
    pub(crate) fn push_spans(&mut self, key: (u32, u32), value: (u32, u32)) {
        self.first_bytes |= first_byte_bit(self.bytes_at(key.0, key.1));
        self.entries.push(FieldSpan {
            key_start: key.0,
            key_end: key.1,
            value_start: value.0,
            value_end: value.1,
        });
    }

    /// [`ExtFields::push_spans`] for a key and value not yet in the text.
    pub(crate) fn push_pair(&mut self, key: &str, value: &str) {
        let key = self.push_text(key);
        let value = self.push_text(value);
        self.push_spans(key, value);
    }

    /// Makes the entries what inserting them one by one would have made:
    /// a repeated key keeps its first position and its last value. Linear
    /// in the number of entries: a few entries are compared directly
    /// (a key whose first byte no earlier key has is new without a
    /// comparison, the common case), more go through a hash table.
    pub(crate) fn collapse_repeated_keys(&mut self) {
        /// Up to this many entries, a scan of the kept ones is cheaper
        /// than hashing every key.
        const SCAN_LIMIT: usize = 32;
        let count = self.entries.len();
        if count < 2 {
            return;
        }
        let text = self.text.as_bytes();
        let key_of = |span: &FieldSpan| {
            text.get(span.key_start as usize..span.key_end as usize)
                .unwrap_or_default()
        };
        let mut kept: Vec<FieldSpan> = Vec::with_capacity(count);
        if count <= SCAN_LIMIT {
            let mut seen_first_bytes = 0u64;
            for span in &self.entries {
                let key = key_of(span);
                let bit = first_byte_bit(key);
                let earlier = if seen_first_bytes & bit == 0 {
                    None
                } else {
                    kept.iter_mut().find(|kept| key_of(kept) == key)
                };
                seen_first_bytes |= bit;
                match earlier {
                    Some(earlier) => {
                        (earlier.value_start, earlier.value_end) =
                            (span.value_start, span.value_end);
                    }
                    None => kept.push(*span),
                }
            }
        } else {
            let mut index: std::collections::HashMap<&[u8], usize> =
                std::collections::HashMap::with_capacity(count);
            for span in &self.entries {
                match index.entry(key_of(span)) {
                    std::collections::hash_map::Entry::Occupied(at) => {
                        let earlier = &mut kept[*at.get()];
                        (earlier.value_start, earlier.value_end) =
                            (span.value_start, span.value_end);
                    }
                    std::collections::hash_map::Entry::Vacant(at) => {
                        at.insert(kept.len());
                        kept.push(*span);
                    }
                }
            }
        }
        // With nothing repeated the entries are already right.
        if kept.len() != count {
            self.entries = kept;
        }
    }

    fn bytes_at(&self, start: u32, end: u32) -> &[u8] {
        self.text
            .as_bytes()
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn key_of(&self, span: &FieldSpan) -> &str {
        // Spans are only ever made by this type (or checked by `from_parts`).
        self.text
            .get(span.key_start as usize..span.key_end as usize)
            .unwrap_or_default()
    }

    fn value_of(&self, span: &FieldSpan) -> &str {
        self.text
            .get(span.value_start as usize..span.value_end as usize)
            .unwrap_or_default()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.position_bytes(key.as_bytes())
    }

    fn position_bytes(&self, key: &[u8]) -> Option<usize> {
        if self.first_bytes & first_byte_bit(key) == 0 {
            return None;
        }
        // Bytes rather than `str` slices: no char-boundary checks.
        self.entries
            .iter()
            .position(|span| self.bytes_at(span.key_start, span.key_end) == key)
    }

    /// Appends `text` to the buffer; its offsets.
    fn push_text(&mut self, text: &str) -> (u32, u32) {
        let start = self.text.len();
        self.text.push_str(text);
        (offset(start), offset(self.text.len()))
    }

    /// Appends `value` formatted to the buffer; its offsets.
    fn push_display(&mut self, value: impl fmt::Display) -> (u32, u32) {
        use fmt::Write;
        let start = self.text.len();
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{value}");
        (offset(start), offset(self.text.len()))
    }

    /// Points entry `existing` at `value`, or appends an entry whose key
    /// `new_key` puts in the text.
    fn set_value(
        &mut self,
        existing: Option<usize>,
        value: (u32, u32),
        new_key: impl FnOnce(&mut Self) -> (u32, u32),
    ) {
        match existing {
            Some(index) => {
                let span = &mut self.entries[index];
                (span.value_start, span.value_end) = value;
            }
            None => {
                let (key_start, key_end) = new_key(self);
                self.first_bytes |= first_byte_bit(self.bytes_at(key_start, key_end));
                self.entries.push(FieldSpan {
                    key_start,
                    key_end,
                    value_start: value.0,
                    value_end: value.1,
                });
            }
        }
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key)
            .map(|index| self.value_of(&self.entries[index]))
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`: replaces the value in place if the key exists, else appends.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let key = key.as_ref();
        let existing = self.position(key);
        let value = self.push_text(value.as_ref());
        // The key goes after the value in the buffer; order there does not matter.
        self.set_value(existing, value, |fields| fields.push_text(key));
    }

    /// Like [`ExtFields::insert`], with the value written by its `Display` (no
    /// intermediate `String`).
    pub fn insert_display(&mut self, key: &str, value: impl fmt::Display) {
        let existing = self.position(key);
        let value = self.push_display(value);
        self.set_value(existing, value, |fields| fields.push_text(key));
    }

    /// Like [`ExtFields::insert`], for an integer (written as Java prints it,
    /// without the formatting machinery: responses carry several per request).
    pub fn insert_int(&mut self, key: &str, value: i64) {
        let existing = self.position(key);
        let start = self.text.len();
        // ASCII digits and sign, pushed as chars (no UTF-8 check).
        for &byte in super::format_decimal(value, &mut [0; 20]) {
            self.text.push(char::from(byte));
        }
        let value = (offset(start), offset(self.text.len()));
        self.set_value(existing, value, |fields| fields.push_text(key));
    }

    /// Removes `key`, returning its value; the order of the other entries is kept.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let index = self.position(key)?;
        let span = self.entries.remove(index);
        Some(self.value_of(&span).to_owned())
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|span| (self.key_of(span), self.value_of(span)))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The text buffer and the entries' spans into it (for handing the map
    /// across the plugin ABI without a copy per field).
    pub fn into_parts(self) -> (String, Vec<FieldSpan>) {
        (self.text, self.entries)
    }

    /// The text and spans, borrowed (how a request's fields reach a plugin).
    pub fn parts(&self) -> (&str, &[FieldSpan]) {
        (&self.text, &self.entries)
    }

    /// A borrowed view for encoding.
    pub fn view(&self) -> FieldsView<'_> {
        FieldsView {
            text: &self.text,
            spans: &self.entries,
        }
    }

    /// Rebuilds a map from parts, checking every span (they may come from a
    /// plugin). Duplicate keys are kept as given.
    pub fn from_parts(text: String, entries: Vec<FieldSpan>) -> Result<Self, InvalidFieldSpans> {
        FieldsView::new(&text, &entries)?;
        Ok(Self::from_checked_parts(text, entries))
    }

    /// [`ExtFields::from_parts`] for spans already checked.
    fn from_checked_parts(text: String, entries: Vec<FieldSpan>) -> Self {
        let mut fields = ExtFields {
            text,
            entries,
            first_bytes: 0,
        };
        fields.first_bytes = fields.entries.iter().fold(0, |bits, span| {
            bits | first_byte_bit(fields.bytes_at(span.key_start, span.key_end))
        });
        fields
    }
}

/// Header fields to encode, borrowed as a text and its spans (checked), so
/// a response built elsewhere (by a plugin) is written without first being
/// copied into an [`ExtFields`].
#[derive(Debug, Clone, Copy)]
pub struct FieldsView<'a> {
    text: &'a str,
    spans: &'a [FieldSpan],
}

impl<'a> FieldsView<'a> {
    /// A view of `spans` into `text`; fails when a span is outside the text
    /// or splits a UTF-8 character.
    pub fn new(text: &'a str, spans: &'a [FieldSpan]) -> Result<Self, InvalidFieldSpans> {
        let valid =
            |start: u32, end: u32| start <= end && text.get(start as usize..end as usize).is_some();
        match spans.iter().position(|span| {
            !valid(span.key_start, span.key_end) || !valid(span.value_start, span.value_end)
        }) {
            Some(entry) => Err(InvalidFieldSpans { entry }),
            None => Ok(FieldsView { text, spans }),
        }
    }

    /// Every `(key, value)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let text = self.text;
        // Checked in `new` (or made by `ExtFields`).
        let part = move |start: u32, end: u32| text.get(start as usize..end as usize).unwrap_or("");
        self.spans.iter().map(move |span| {
            (
                part(span.key_start, span.key_end),
                part(span.value_start, span.value_end),
            )
        })
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// An owned copy (duplicate keys kept as they are).
    pub fn to_ext_fields(&self) -> ExtFields {
        ExtFields::from_checked_parts(self.text.to_owned(), self.spans.to_vec())
    }
}

/// Buffer offsets are `u32`: a header lives in one frame, whose length is an `i32`.
fn offset(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

impl fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for ExtFields {}

impl FromIterator<(String, String)> for ExtFields {
    /// Collects entries with [`ExtFields::insert`] semantics (last duplicate wins, first position kept).
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut fields = ExtFields::new();
        fields.extend(iter);
        fields
    }
}

impl Extend<(String, String)> for ExtFields {
    /// Inserts every entry with [`ExtFields::insert`] semantics, in time
    /// linear in the entries (appended, then repeated keys collapsed once).
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.push_pair(&k, &v);
        }
        self.collapse_repeated_keys();
    }
}

impl From<Vec<(String, String)>> for ExtFields {
    /// Builds the map from pairs with [`ExtFields::insert`] semantics (duplicates collapse, last value wins).
    fn from(pairs: Vec<(String, String)>) -> Self {
        pairs.into_iter().collect()
    }
}

impl IntoIterator for ExtFields {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    /// Owned entries in order.
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<Vec<_>>()
            .into_iter()
    }
}

/// One remoting command: a request or a response, header plus body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemotingCommand {
    /// Request code (requests) or response code (responses).
    pub code: i32,
    /// Sender's implementation language.
    pub language: LanguageCode,
    /// Sender's RocketMQ version ordinal (`MQVersion.Version`).
    pub version: i32,
    /// Request id, echoed in the response.
    pub opaque: i32,
    /// Bit 0 = response ([`FLAG_RESPONSE`]), bit 1 = oneway ([`FLAG_ONEWAY`]).
    pub flag: i32,
    /// Human-readable remark; an empty string on the wire decodes to `None`.
    pub remark: Option<String>,
    /// Custom header fields; absent/null decodes to `None`, `{}` (JSON) to `Some(empty)`.
    pub ext_fields: Option<ExtFields>,
    /// Header serialization, taken from the frame's type byte; the frame is encoded in this type.
    pub serialize_type: SerializeType,
    /// Frame body (may be empty).
    pub body: Bytes,
}

impl RemotingCommand {
    /// A new request with the given code: language Java, version 0, opaque 0, flag 0, JSON (caller fills the rest).
    pub fn request(code: i32) -> Self {
        Self {
            code,
            ..Self::default()
        }
    }

    /// Whether flag bit 0 (response) is set.
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// Whether flag bit 1 (oneway: no response expected) is set.
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// A response to `request`: same opaque and serialize_type, flag = [`FLAG_RESPONSE`],
    /// language Java, version 0 (set it, e.g. to `codes::BROKER_VERSION`), the given code
    /// and remark, ext_fields `None`, empty body.
    pub fn response_to(request: &RemotingCommand, code: i32, remark: Option<String>) -> Self {
        Self {
            code,
            language: LanguageCode::Java,
            version: 0,
            opaque: request.opaque,
            flag: FLAG_RESPONSE,
            remark,
            ext_fields: None,
            serialize_type: request.serialize_type,
            body: Bytes::new(),
        }
    }

    /// Looks up an `extFields` entry (`None` if there are no ext fields or no such key).
    pub fn ext(&self, key: &str) -> Option<&str> {
        self.ext_fields.as_ref().and_then(|f| f.get(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_int_writes_what_display_writes() {
        for value in [
            0,
            7,
            -7,
            10,
            479,
            -1_000_000,
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut fields = ExtFields::new();
            fields.insert_int("queueOffset", value);
            fields.insert_int("queueOffset", value);
            assert_eq!(fields.len(), 1);
            assert_eq!(fields.get("queueOffset"), Some(value.to_string().as_str()));
        }
    }

    #[test]
    fn ext_fields_replace_in_place_and_remove_keep_order() {
        let mut fields = ExtFields::new();
        fields.insert("a", "1");
        fields.insert("b", String::from("2"));
        fields.insert_display("c", 3);
        fields.insert("a", "longer value");
        fields.insert_display("b", -7i64);
        assert_eq!(
            fields.iter().collect::<Vec<_>>(),
            [("a", "longer value"), ("b", "-7"), ("c", "3")]
        );
        assert_eq!(fields.remove("b").as_deref(), Some("-7"));
        assert_eq!(fields.remove("b"), None);
        assert_eq!(fields.get("c"), Some("3"));
        assert!(!fields.contains_key("b"));
        // Equality looks at entries, not at the replaced text left in the buffer.
        let fresh: ExtFields = vec![
            ("a".to_owned(), "longer value".to_owned()),
            ("c".to_owned(), "3".to_owned()),
        ]
        .into();
        assert_eq!(fields, fresh);
        assert_eq!(format!("{fields:?}"), r#"{"a": "longer value", "c": "3"}"#);
    }

    /// Entries built one `insert` at a time: the meaning decoders keep.
    fn inserted_one_by_one(pairs: &[(String, String)]) -> ExtFields {
        let mut fields = ExtFields::new();
        for (key, value) in pairs {
            fields.insert(key, value);
        }
        fields
    }

    #[test]
    fn collapsing_repeated_keys_keeps_first_position_and_last_value() {
        // Small (scanned) and large (hashed) maps, keys sharing first bytes.
        for count in [2usize, 5, 32, 33, 1000] {
            let pairs: Vec<(String, String)> = (0..count * 2)
                .map(|i| (format!("k{}", (i * 7) % count), format!("v{i}")))
                .collect();
            let collected: ExtFields = pairs.clone().into_iter().collect();
            assert_eq!(collected, inserted_one_by_one(&pairs), "{count}");
            assert_eq!(collected.len(), count);
        }
    }

    proptest::proptest! {
        #[test]
        fn collecting_agrees_with_inserting(
            pairs in proptest::collection::vec(("[a-c]{0,2}", "[x-z]{0,2}"), 0..80),
        ) {
            let collected: ExtFields = pairs.clone().into_iter().collect();
            proptest::prop_assert_eq!(collected, inserted_one_by_one(&pairs));
        }
    }

    #[test]
    fn ext_fields_parts_round_trip_and_bad_spans_are_refused() {
        let mut fields = ExtFields::new();
        fields.insert("topic", "T");
        fields.insert("é", "ü");
        let (text, spans) = fields.clone().into_parts();
        assert_eq!(
            ExtFields::from_parts(text.clone(), spans.clone()),
            Ok(fields)
        );
        let mut outside = spans.clone();
        outside[1].value_end = text.len() as u32 + 1;
        assert_eq!(
            ExtFields::from_parts(text.clone(), outside),
            Err(InvalidFieldSpans { entry: 1 })
        );
        // "é" is two bytes: a span ending after its first byte is refused.
        let mut split = spans.clone();
        split[1].key_end = split[1].key_start + 1;
        assert!(ExtFields::from_parts(text.clone(), split).is_err());
        let mut reversed = spans;
        reversed[0].key_start = reversed[0].key_end + 1;
        assert_eq!(
            ExtFields::from_parts(text, reversed),
            Err(InvalidFieldSpans { entry: 0 })
        );
    }
}
