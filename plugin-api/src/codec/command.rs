//! The `RemotingCommand` header model and its small value types.

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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtFields(Vec<(String, String)>);

impl ExtFields {
    /// An empty map.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| same_key(k, key))
    }

    /// Sets `key` to `value`: replaces the value in place if the key exists, else appends.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| same_key(k, &key)) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Removes `key`, returning its value; the order of the other entries is kept.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let pos = self.0.iter().position(|(k, _)| same_key(k, key))?;
        Some(self.0.remove(pos).1)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for ExtFields {
    /// Collects entries with [`ExtFields::insert`] semantics (last duplicate wins, first position kept).
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut fields = ExtFields::new();
        fields.extend(iter);
        fields
    }
}

impl Extend<(String, String)> for ExtFields {
    /// Inserts every entry with [`ExtFields::insert`] semantics.
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
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
        self.0.into_iter()
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
