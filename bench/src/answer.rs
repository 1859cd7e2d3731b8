//! Reading the producer's answers cheaply. The benchmark needs three things
//! from a send answer: its opaque (which request), its code (SUCCESS or
//! not) and, when it failed, the remark. Decoding the whole header (every
//! extField into a map) was a fifth of the client's CPU on a machine where
//! client and broker share two cores, so a successful JSON answer is only
//! scanned for `code` and `opaque`; anything else (a failure, a binary
//! header, JSON the scan does not follow) is decoded in full.

use anyhow::Context;
use bytes::{Buf, BytesMut};
use plugin_api::codec::{
    decode_after_length, find_string_special, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH,
};

/// What the producer keeps of one answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub code: i32,
    pub opaque: i32,
    /// Set for failed answers only.
    pub remark: Option<String>,
}

/// Serialization type byte of a JSON header (the frame's header word).
const JSON: u8 = 0;

/// Takes the first whole frame off `input`; `None` when more bytes are needed.
pub fn next_answer(input: &mut BytesMut) -> anyhow::Result<Option<Answer>> {
    let Some(prefix) = input.get(..8) else {
        return Ok(None);
    };
    let length = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    let length = usize::try_from(length)
        .ok()
        .filter(|l| (4..=DEFAULT_MAX_FRAME_LENGTH - 4).contains(l))
        .with_context(|| format!("bad frame length {length}"))?;
    if input.len() < 4 + length {
        return Ok(None);
    }
    let word = u32::from_be_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]);
    let header_length = (word & 0x00FF_FFFF) as usize;
    if (word >> 24) as u8 == JSON && header_length <= length - 4 {
        if let Some((0, opaque)) = code_and_opaque(&input[8..8 + header_length]) {
            input.advance(4 + length);
            return Ok(Some(Answer {
                code: 0,
                opaque,
                remark: None,
            }));
        }
    }
    input.advance(4);
    let command = decode_after_length(input.split_to(length).freeze())?;
    Ok(Some(Answer {
        code: command.code,
        opaque: command.opaque,
        remark: command.remark,
    }))
}

/// Takes the first whole frame off `input`, decoded in full (the
/// transactional benchmark reads `msgId` and `queueOffset` of each half's
/// answer); `None` when more bytes are needed.
pub fn next_command(input: &mut BytesMut) -> anyhow::Result<Option<RemotingCommand>> {
    let Some(prefix) = input.get(..4) else {
        return Ok(None);
    };
    let length = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    let length = usize::try_from(length)
        .ok()
        .filter(|l| (4..=DEFAULT_MAX_FRAME_LENGTH - 4).contains(l))
        .with_context(|| format!("bad frame length {length}"))?;
    if input.len() < 4 + length {
        return Ok(None);
    }
    input.advance(4);
    Ok(Some(decode_after_length(input.split_to(length).freeze())?))
}

/// `code` and `opaque` of a JSON header object, skipping every other member
/// without decoding it; `None` if the text is not a JSON object this scan
/// follows or either member is missing.
pub(crate) fn code_and_opaque(header: &[u8]) -> Option<(i32, i32)> {
    let mut scan = Scan {
        bytes: header,
        at: 0,
    };
    let (mut code, mut opaque) = (None, None);
    scan.expect(b'{')?;
    if scan.peek()? == b'}' {
        return None;
    }
    loop {
        let key = scan.string()?;
        scan.expect(b':')?;
        match key {
            b"code" => code = Some(scan.int()?),
            b"opaque" => opaque = Some(scan.int()?),
            _ => scan.skip_value()?,
        }
        match scan.next()? {
            b',' => {}
            b'}' => return Some((code?, opaque?)),
            _ => return None,
        }
    }
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    /// The next byte that is not JSON whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    /// A string's raw bytes between its quotes (escapes left as written).
    /// Plain runs are skipped a word at a time (the codec's scanner).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            self.at += find_string_special(self.bytes.get(self.at..)?)?;
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some(&self.bytes[start..self.at - 1]);
                }
                b'\\' => self.at += 2,
                // A raw control character: not this scan's business.
                _ => self.at += 1,
            }
        }
    }

    /// A decimal integer in i32 range.
    fn int(&mut self) -> Option<i32> {
        self.peek()?;
        let negative = self.bytes.get(self.at) == Some(&b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        let mut value: i64 = 0;
        while let Some(digit) = self.bytes.get(self.at).filter(|b| b.is_ascii_digit()) {
            value = value * 10 + i64::from(digit - b'0');
            if value > i64::from(i32::MAX) + 1 {
                return None;
            }
            self.at += 1;
        }
        if self.at == start {
            return None;
        }
        i32::try_from(if negative { -value } else { value }).ok()
    }

    /// Skips one value: a string, an object or array (nesting counted,
    /// strings inside skipped whole), or a literal up to the next delimiter.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                        }
                        b'{' | b'[' => {
                            depth += 1;
                            self.at += 1;
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            self.at += 1;
                            if depth == 0 {
                                return Some(());
                            }
                        }
                        _ => self.at += 1,
                    }
                }
            }
            _ => {
                let start = self.at;
                while !matches!(self.bytes.get(self.at), None | Some(b',' | b'}' | b']')) {
                    self.at += 1;
                }
                (self.at > start).then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use plugin_api::codec::{encode_frame, ExtFields, RemotingCommand, SerializeType};

    use super::{code_and_opaque, next_answer, Answer};

    fn send_answer(code: i32, opaque: i32, remark: Option<&str>) -> RemotingCommand {
        let mut request = RemotingCommand::request(310);
        request.opaque = opaque;
        let mut answer = RemotingCommand::response_to(&request, code, remark.map(str::to_owned));
        let mut fields = ExtFields::new();
        fields.insert("msgId", "7F00000100002A9F0000000000000000");
        fields.insert("queueId", "3");
        fields.insert("queueOffset", "12");
        fields.insert("MSG_REGION", "DefaultRegion");
        fields.insert("note", "a \"quoted\" {brace} [and] ,comma\\");
        answer.ext_fields = Some(fields);
        answer
    }

    #[test]
    fn answers_read_like_the_full_decoder_reads_them() {
        let mut input = BytesMut::new();
        let cases = [
            (0, 17, None),
            (0, -5, None),
            (2, 18, Some("[TIMEOUT_CLEAN_QUEUE]broker busy")),
            (14, i32::MAX, Some("topic not writable")),
        ];
        for (code, opaque, remark) in cases {
            encode_frame(&send_answer(code, opaque, remark), &mut input).expect("encode");
        }
        let mut binary = send_answer(0, 19, None);
        binary.serialize_type = SerializeType::RocketMq;
        encode_frame(&binary, &mut input).expect("encode");
        let whole = input.clone();

        for (code, opaque, remark) in cases {
            let answer = next_answer(&mut input)
                .expect("valid")
                .expect("whole frame");
            let expected = Answer {
                code,
                opaque,
                remark: remark.map(str::to_owned),
            };
            assert_eq!(answer, expected);
        }
        let answer = next_answer(&mut input)
            .expect("valid")
            .expect("binary frame");
        assert_eq!((answer.code, answer.opaque), (0, 19));
        assert!(input.is_empty());

        // A frame cut anywhere is not taken until it is whole.
        let mut partial = BytesMut::from(&whole[..whole.len() - 1]);
        for _ in 0..cases.len() {
            assert!(next_answer(&mut partial).expect("valid").is_some());
        }
        assert_eq!(next_answer(&mut partial).expect("valid"), None);
    }

    #[test]
    fn the_scan_follows_json_it_did_not_write() {
        let header = br#" { "remark" : null, "extFields" : {"a":[1,{"b":"}"}],"c":"\"}"} ,
            "flag":1, "code" : 0 , "language":"JAVA", "opaque" : 42, "version":479 } "#;
        assert_eq!(code_and_opaque(header), Some((0, 42)));
        assert_eq!(code_and_opaque(br#"{"code":0}"#), None, "no opaque");
        assert_eq!(code_and_opaque(br#"{"code":0,"opaque":1.5}"#), None);
        assert_eq!(code_and_opaque(br#"{"code":0,"opaque":"#), None);
        assert_eq!(code_and_opaque(b"[]"), None);
        // Long strings with escapes and a raw control byte past word boundaries.
        let header = b"{\"extFields\":{\"properties\":\"KEYS\\u0001k1\\u0002WAIT\\\"\\\\\x01\\u0001true}\"},\"code\":0,\"opaque\":-2147483648}";
        assert_eq!(code_and_opaque(header), Some((0, i32::MIN)));
        assert_eq!(
            code_and_opaque(br#"{"code":0,"opaque":2147483647}"#),
            Some((0, i32::MAX))
        );
        assert_eq!(code_and_opaque(br#"{"code":0,"opaque":2147483648}"#), None);
        assert_eq!(code_and_opaque(br#"{"code":0,"opaque":-}"#), None);
        assert_eq!(
            code_and_opaque(br#"{"code":0,"opaque":99999999999999999999}"#),
            None
        );
    }

    #[test]
    fn a_bad_length_is_an_error() {
        let mut input = BytesMut::from(&[0xFFu8, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0][..]);
        assert!(next_answer(&mut input).is_err());
    }
}
