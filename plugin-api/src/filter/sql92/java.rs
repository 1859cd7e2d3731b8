//! The Java library behaviour the expressions rely on: `Integer.valueOf`,
//! `Long.valueOf`, `Double.valueOf` and `Boolean.valueOf` of a string,
//! `equals` and `compareTo` of the boxed classes, and
//! `ComparisonExpression.__compare`, which converts one side to the
//! other's class before comparing.

use std::cmp::Ordering;

use super::value::Value;

/// Why an evaluation failed: the exception Java's expression throws.
/// `ExpressionMessageFilter` catches it and the message does not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A string that `Integer.valueOf`, `Long.valueOf` or `Double.valueOf`
    /// refuses (`NumberFormatException`).
    #[error("java.lang.NumberFormatException: For input string: \"{input}\" (as {target})")]
    NumberFormat {
        /// The string.
        input: String,
        /// The class it was converted to.
        target: &'static str,
    },
    /// A value of the wrong class for a cast (`ClassCastException`), e.g.
    /// `__compare` of a `Boolean` with a `String`.
    #[error("java.lang.ClassCastException: {from} cannot be cast to {to}")]
    ClassCast {
        /// The value's class.
        from: &'static str,
        /// The class cast to.
        to: &'static str,
    },
    /// `>`, `>=`, `<` or `<=` of two strings that are not both numbers.
    #[error("It's illegal to compare string by '>=', '>', '<', '<='. lv={left}, rv={right}")]
    StringComparison {
        /// Left string.
        left: String,
        /// Right string.
        right: String,
    },
}

/// `Integer.valueOf(String)`: an optional sign and decimal digits, within
/// `int`'s range. (Java's `Character.digit` also takes non-ASCII decimal
/// digits such as `٣`; only ASCII ones are taken here.)
pub fn parse_int(s: &str) -> Option<i32> {
    s.parse().ok()
}

/// `Long.valueOf(String)`, as [`parse_int`] within `long`'s range.
pub fn parse_long(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// `Boolean.valueOf(String)`: `true` exactly when the text is `true` in any
/// case.
pub fn parse_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// `Double.valueOf(String)` (`FloatingDecimal.readJavaFormatString`): the
/// text trimmed of characters up to U+0020, an optional sign, then `NaN`,
/// `Infinity`, a decimal number (`5`, `5.`, `.5`, `5.5e-3`) or a hex one
/// (`0x1.8p3`), the numbers with an optional `f`/`F`/`d`/`D` suffix.
pub fn parse_double(s: &str) -> Option<f64> {
    let text = s.trim_matches(|c: char| c <= ' ');
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = match unsigned {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        _ => {
            let number = unsigned
                .strip_suffix(['f', 'F', 'd', 'D'])
                .unwrap_or(unsigned);
            if let Some(hex) = number
                .strip_prefix("0x")
                .or_else(|| number.strip_prefix("0X"))
            {
                parse_hex_double(hex)?
            } else if is_java_decimal(number) {
                number.parse().ok()?
            } else {
                return None;
            }
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits [. digits] [e|E [+|-] digits]` with at least one mantissa digit
/// (Rust's own parser would also take `inf` and `nan`).
fn is_java_decimal(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut at = 0;
    let digits = |at: &mut usize| {
        let start = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at - start
    };
    let mut mantissa = digits(&mut at);
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        mantissa += digits(&mut at);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if digits(&mut at) == 0 {
            return false;
        }
    }
    at == bytes.len()
}

/// The part of a hex float after `0x`: `hexdigits [. hexdigits] p|P [+|-]
/// digits`, the binary exponent required. Digits past the 30th only decide
/// the rounding.
fn parse_hex_double(s: &str) -> Option<f64> {
    let (mantissa, exponent) = s.split_once(['p', 'P'])?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let exponent_digits = exponent.trim_start_matches(['+', '-']);
    if exponent_digits.is_empty()
        || exponent.len() - exponent_digits.len() > 1
        || !exponent_digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut binary_exponent: i64 = exponent_digits.bytes().fold(0i64, |acc, b| {
        acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    if exponent.starts_with('-') {
        binary_exponent = -binary_exponent;
    }
    let mut value: u128 = 0;
    let mut used = 0;
    let mut sticky = false;
    for (index, c) in int_part.chars().chain(frac_part.chars()).enumerate() {
        let digit = u128::from(c.to_digit(16)?);
        let in_fraction = index >= int_part.len();
        if used < 30 {
            if value != 0 || digit != 0 {
                used += 1;
            }
            value = value * 16 + digit;
            if in_fraction {
                binary_exponent = binary_exponent.saturating_sub(4);
            }
        } else {
            sticky |= digit != 0;
            if !in_fraction {
                binary_exponent = binary_exponent.saturating_add(4);
            }
        }
    }
    if sticky {
        value |= 1;
    }
    let scale = i32::try_from(binary_exponent.clamp(-2200, 2200)).unwrap_or(0);
    // Scale in two steps so that an intermediate power of two stays finite.
    let half = scale / 2;
    Some(value as f64 * 2f64.powi(half) * 2f64.powi(scale - half))
}

/// `Double.compare`: numeric order, with `-0.0` below `0.0` and `NaN`
/// equal to itself and above everything.
pub fn compare_doubles(a: f64, b: f64) -> Ordering {
    if a < b {
        return Ordering::Less;
    }
    if a > b {
        return Ordering::Greater;
    }
    let bits = |d: f64| {
        if d.is_nan() {
            0x7ff8_0000_0000_0000_i64
        } else {
            d.to_bits() as i64
        }
    };
    bits(a).cmp(&bits(b))
}

/// `String.compareTo`: UTF-16 code unit order.
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `lv.equals(rv)` of the boxed classes: same class and value
/// (`Double.equals` compares `doubleToLongBits`).
pub fn equals(lv: Value<'_>, rv: Value<'_>) -> bool {
    match (lv, rv) {
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Int(a), Value::Int(b)) => a == b,
        (Value::Long(a), Value::Long(b)) => a == b,
        (Value::Double(a), Value::Double(b)) => compare_doubles(a, b).is_eq(),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    }
}

fn number_format(input: &str, target: &'static str) -> EvalError {
    EvalError::NumberFormat {
        input: input.to_owned(),
        target,
    }
}

fn to_int(s: &str) -> Result<i32, EvalError> {
    parse_int(s).ok_or_else(|| number_format(s, "java.lang.Integer"))
}

fn to_long(s: &str) -> Result<i64, EvalError> {
    parse_long(s).ok_or_else(|| number_format(s, "java.lang.Long"))
}

/// `Double.valueOf` of a string, failing as Java does.
pub fn to_double(s: &str) -> Result<f64, EvalError> {
    parse_double(s).ok_or_else(|| number_format(s, "java.lang.Double"))
}

/// `compareTo` of two values of one class.
fn same_class(lv: Value<'_>, rv: Value<'_>) -> Option<Ordering> {
    Some(match (lv, rv) {
        (Value::Str(a), Value::Str(b)) => compare_strings(a, b),
        (Value::Int(a), Value::Int(b)) => a.cmp(&b),
        (Value::Long(a), Value::Long(b)) => a.cmp(&b),
        (Value::Double(a), Value::Double(b)) => compare_doubles(a, b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(&b),
        _ => return None,
    })
}

/// `ComparisonExpression.__compare(lv, rv, true)`: values of different
/// classes are converted before `compareTo`, `Integer` → `Long` →
/// `Double`, and a string to the other side's class (`Integer.valueOf`,
/// `Long.valueOf`, `Double.valueOf`, `Boolean.valueOf`; a refused string is
/// a `NumberFormatException`). A pair with no conversion compares as
/// "less" (-1). A `Boolean` on the left of a `String` fails: Java casts the
/// `Boolean` itself to `String` there (`ClassCastException`).
///
/// Every comparison RocketMQ builds while parsing has the conversions on
/// (`SelectorParser.parse` sets `CONVERT_STRING_EXPRESSIONS`).
pub fn compare(lv: Value<'_>, rv: Value<'_>) -> Result<Ordering, EvalError> {
    if let Some(ordering) = same_class(lv, rv) {
        return Ok(ordering);
    }
    let doubles = |a: f64, b: f64| Ok(compare_doubles(a, b));
    match (lv, rv) {
        (Value::Bool(_), Value::Str(_)) => Err(EvalError::ClassCast {
            from: "java.lang.Boolean",
            to: "java.lang.String",
        }),
        (Value::Int(a), Value::Long(b)) => Ok(i64::from(a).cmp(&b)),
        (Value::Int(a), Value::Double(b)) => doubles(f64::from(a), b),
        (Value::Int(a), Value::Str(b)) => Ok(a.cmp(&to_int(b)?)),
        (Value::Long(a), Value::Int(b)) => Ok(a.cmp(&i64::from(b))),
        (Value::Long(a), Value::Double(b)) => doubles(a as f64, b),
        (Value::Long(a), Value::Str(b)) => Ok(a.cmp(&to_long(b)?)),
        (Value::Double(a), Value::Int(b)) => doubles(a, f64::from(b)),
        (Value::Double(a), Value::Long(b)) => doubles(a, b as f64),
        (Value::Double(a), Value::Str(b)) => doubles(a, to_double(b)?),
        (Value::Str(a), Value::Bool(b)) => Ok(parse_bool(a).cmp(&b)),
        (Value::Str(a), Value::Int(b)) => Ok(to_int(a)?.cmp(&b)),
        (Value::Str(a), Value::Long(b)) => Ok(to_long(a)?.cmp(&b)),
        (Value::Str(a), Value::Double(b)) => doubles(to_double(a)?, b),
        // Boolean against a number, a number against a Boolean: -1.
        _ => Ok(Ordering::Less),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_value_of_takes_a_sign_and_ascii_digits_within_range() {
        assert_eq!(parse_int("+5"), Some(5));
        assert_eq!(parse_int("-2147483648"), Some(i32::MIN));
        assert_eq!(parse_int("2147483648"), None);
        assert_eq!(parse_int(" 5"), None, "Integer.valueOf does not trim");
        assert_eq!(parse_int("5.0"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("+"), None);
        assert_eq!(parse_long("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_long("9223372036854775808"), None);
    }

    #[test]
    fn double_value_of_follows_java_format_strings() {
        assert_eq!(parse_double(" 2.5 "), Some(2.5), "Double.valueOf trims");
        assert_eq!(parse_double("\t1e3\n"), Some(1000.0));
        assert_eq!(parse_double("5."), Some(5.0));
        assert_eq!(parse_double(".5"), Some(0.5));
        assert_eq!(parse_double("+.5e-1"), Some(0.05));
        assert_eq!(parse_double("1.5f"), Some(1.5));
        assert_eq!(parse_double("2D"), Some(2.0));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_double("0x1p3"), Some(8.0));
        assert_eq!(parse_double("0X1.8P1"), Some(3.0));
        assert_eq!(parse_double("-0x.8p0d"), Some(-0.5));
        assert_eq!(parse_double("3.1415E10"), Some(3.1415e10));
        for bad in [
            "", ".", "e5", "1e", "1e+", "inf", "nan", "infinity", "1_0", "0x1", "0xp1", "1.5fd",
            "--1", "1 2",
        ] {
            assert_eq!(parse_double(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn double_compare_orders_zeros_and_nan() {
        assert_eq!(compare_doubles(-0.0, 0.0), Ordering::Less);
        assert_eq!(compare_doubles(f64::NAN, f64::NAN), Ordering::Equal);
        assert_eq!(compare_doubles(f64::NAN, f64::INFINITY), Ordering::Greater);
        assert_eq!(compare_doubles(-f64::NAN, 1.0), Ordering::Greater);
    }

    #[test]
    fn strings_compare_by_utf16_units() {
        // U+FF61 sorts after U+1F600 in UTF-8 order, before it in UTF-16.
        assert_eq!(compare_strings("\u{ff61}", "\u{1f600}"), Ordering::Greater);
        assert_eq!(compare_strings("a", "b"), Ordering::Less);
    }

    /// `ComparisonExpression.__compare`: which side is converted.
    #[test]
    fn compare_converts_as_java_does() {
        // Integer vs String: the string becomes an Integer.
        assert_eq!(compare(Value::Int(5), Value::Str("5")), Ok(Ordering::Equal));
        assert!(matches!(
            compare(Value::Int(5), Value::Str("5.0")),
            Err(EvalError::NumberFormat { .. })
        ));
        // String vs Double: the string becomes a Double.
        assert_eq!(
            compare(Value::Str("5.5"), Value::Double(5.0)),
            Ok(Ordering::Greater)
        );
        // Integer vs Long and Long vs Double widen.
        assert_eq!(
            compare(Value::Int(1), Value::Long(1 << 40)),
            Ok(Ordering::Less)
        );
        assert_eq!(
            compare(Value::Long(3), Value::Double(2.5)),
            Ok(Ordering::Greater)
        );
        // String vs Boolean: Boolean.valueOf.
        assert_eq!(
            compare(Value::Str("TRUE"), Value::Bool(true)),
            Ok(Ordering::Equal)
        );
        assert_eq!(
            compare(Value::Str("yes"), Value::Bool(false)),
            Ok(Ordering::Equal)
        );
        // Boolean vs String: Java casts the Boolean to String.
        assert!(matches!(
            compare(Value::Bool(true), Value::Str("true")),
            Err(EvalError::ClassCast { .. })
        ));
        // No conversion: -1.
        assert_eq!(
            compare(Value::Int(1), Value::Bool(true)),
            Ok(Ordering::Less)
        );
        assert_eq!(
            compare(Value::Bool(true), Value::Int(1)),
            Ok(Ordering::Less)
        );
    }
}
