//! Java's `RecallMessageHandle` (5.3.x): what a timer message's send answer
//! carries as `recallHandle`, and RECALL_MESSAGE (370) takes back:
//! `v1 <topic> <brokerName> <timestamp> <messageId>`, joined by spaces and
//! encoded with `Base64.getUrlEncoder()` (URL-safe alphabet, padded).

/// A decoded `RecallMessageHandle.HandleV1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallHandle {
    /// The message's real topic.
    pub topic: String,
    /// The broker it was sent to.
    pub broker_name: String,
    /// Its delivery time (`TIMER_OUT_MS + 1`), as text (Java parses it later).
    pub timestamp: String,
    /// Its UNIQ_KEY.
    pub message_id: String,
}

/// Java's `DecoderException` text for every bad handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recall handle is invalid")]
pub struct InvalidRecallHandle;

impl RecallHandle {
    /// `HandleV1.buildHandle(topic, brokerName, timestampStr, messageId)`.
    pub fn build(topic: &str, broker_name: &str, timestamp: &str, message_id: &str) -> String {
        let raw = ["v1", topic, broker_name, timestamp, message_id].join(" ");
        base64_url_encode(raw.as_bytes())
    }

    /// `RecallMessageHandle.decodeHandle`: URL-safe Base64 (padding
    /// optional, as Java's decoder takes it), then `v1` and at least four
    /// more space-separated items.
    pub fn decode(handle: &str) -> Result<RecallHandle, InvalidRecallHandle> {
        if handle.is_empty() {
            return Err(InvalidRecallHandle);
        }
        let raw = base64_url_decode(handle.as_bytes()).ok_or(InvalidRecallHandle)?;
        let raw = String::from_utf8_lossy(&raw);
        // Java's String.split drops trailing empty items.
        let mut items: Vec<&str> = raw.split(' ').collect();
        while items.len() > 1 && items.last() == Some(&"") {
            items.pop();
        }
        if items.first() != Some(&"v1") || items.len() < 5 {
            return Err(InvalidRecallHandle);
        }
        Ok(RecallHandle {
            topic: items[1].to_owned(),
            broker_name: items[2].to_owned(),
            timestamp: items[3].to_owned(),
            message_id: items[4].to_owned(),
        })
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64_url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(word >> (18 - 6 * index)) as usize & 63],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Java's URL decoder: the URL-safe alphabet only; `=` padding may be
/// left out but, when present, must complete the last unit and end the input.
fn base64_url_decode(input: &[u8]) -> Option<Vec<u8>> {
    let data_len = input
        .iter()
        .position(|&byte| byte == b'=')
        .unwrap_or(input.len());
    let padding = &input[data_len..];
    if padding.iter().any(|&byte| byte != b'=')
        || (!padding.is_empty() && (!input.len().is_multiple_of(4) || padding.len() > 2))
        || data_len % 4 == 1
    {
        return None;
    }
    let mut out = Vec::with_capacity(data_len / 4 * 3 + 2);
    let mut bits: u32 = 0;
    let mut count = 0;
    for &byte in &input[..data_len] {
        let value = ALPHABET.iter().position(|&symbol| symbol == byte)? as u32;
        bits = (bits << 6) | value;
        count += 1;
        if count == 4 {
            out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
            bits = 0;
            count = 0;
        }
    }
    match count {
        2 => out.push((bits >> 4) as u8),
        3 => out.extend_from_slice(&[(bits >> 10) as u8, (bits >> 2) as u8]),
        _ => {}
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_round_trips_and_matches_javas_encoding() {
        // Base64.getUrlEncoder().encodeToString("v1 T broker-a 1700000001001 ID".getBytes())
        let handle = RecallHandle::build("T", "broker-a", "1700000001001", "ID");
        assert_eq!(handle, "djEgVCBicm9rZXItYSAxNzAwMDAwMDAxMDAxIElE");
        let decoded = RecallHandle::decode(&handle).expect("decodes");
        assert_eq!(
            decoded,
            RecallHandle {
                topic: "T".into(),
                broker_name: "broker-a".into(),
                timestamp: "1700000001001".into(),
                message_id: "ID".into(),
            }
        );
        // Padded, URL-safe characters, and without the padding.
        let padded = RecallHandle::build("T?>x", "b", "1", "m");
        assert!(padded.ends_with('='), "{padded}");
        assert_eq!(
            RecallHandle::decode(padded.trim_end_matches('='))
                .expect("unpadded")
                .topic,
            "T?>x"
        );
        assert_eq!(RecallHandle::decode(&padded).expect("padded").topic, "T?>x");
        assert!(padded.contains('-') || padded.contains('_'), "{padded}");
    }

    #[test]
    fn bad_handles_are_refused() {
        for bad in [
            "",
            "!!!!",
            "djEgVCBi+m9r",
            "dj==EgVC",
            "a",
            // "v2 T b 1 m"
            &base64_url_encode(b"v2 T b 1 m"),
            // "v1 T b 1": too few items
            &base64_url_encode(b"v1 T b 1"),
            &base64_url_encode(b"v1 T b 1  "),
        ] {
            assert_eq!(RecallHandle::decode(bad), Err(InvalidRecallHandle), "{bad}");
        }
    }
}
