//! Byte scans of JSON header text, eight bytes at a time: every request's
//! header is read and every response's written through these, and a
//! byte-at-a-time loop was the largest single cost of both.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Marks (high bit of the byte) the lowest zero byte of `word` exactly;
/// bytes above it may be marked falsely, so only the lowest mark is used.
#[inline]
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// Marks bytes equal to `byte` (lowest mark exact).
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(byte)))
}

/// Marks bytes below 0x20, the JSON control characters (lowest mark exact).
#[inline]
fn control_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x20) & !word & HIGHS
}

/// Marks bytes that end a run of plain JSON string text: `"`, `\` and controls.
#[inline]
fn string_specials(word: u64) -> u64 {
    bytes_equal(word, b'"') | bytes_equal(word, b'\\') | control_bytes(word)
}

fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
}

/// Index of the first `"`, `\` or control character in `bytes`: where a run
/// of plain text inside a JSON string ends.
pub fn find_string_special(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let marks = string_specials(word(chunk));
        if marks != 0 {
            return Some(offset + (marks.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|index| offset + index)
}

/// True when `bytes` can be written inside a JSON string as is under
/// fastjson's escaping: printable ASCII without `"` or `\`.
pub fn is_plain_ascii_text(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = word(chunk);
        // 0x7F (DEL) and non-ASCII go the slow way, as does anything special.
        if string_specials(word) | bytes_equal(word, 0x7F) | (word & HIGHS) != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find_slow(bytes: &[u8]) -> Option<usize> {
        bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
    }

    fn plain_slow(bytes: &[u8]) -> bool {
        bytes
            .iter()
            .all(|&b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\')
    }

    #[test]
    fn scans_agree_with_byte_loops_for_every_byte_at_every_position() {
        for len in 0..20 {
            for position in 0..len {
                for byte in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[position] = byte;
                    // A second special later must not move the first one.
                    if position + 2 < len {
                        text[position + 2] = b'"';
                    }
                    assert_eq!(find_string_special(&text), find_slow(&text), "{text:?}");
                    assert_eq!(is_plain_ascii_text(&text), plain_slow(&text), "{text:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn scans_agree_with_byte_loops(text in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            proptest::prop_assert_eq!(find_string_special(&text), find_slow(&text));
            proptest::prop_assert_eq!(is_plain_ascii_text(&text), plain_slow(&text));
        }
    }
}
