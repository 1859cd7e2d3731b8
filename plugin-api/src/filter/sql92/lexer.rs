//! The token manager: RocketMQ's `SelectorParser.jj` token section
//! (`SelectorParserTokenManager`), as winnow parsers over the text.
//!
//! JavaCC cuts the longest token at each position; on a tie the token
//! declared first wins (the keywords before `ID`). Skipped: the spaces
//! `' ' \t \n \r \f`, `--` comments that end in a line break and `/* */`
//! comments. Keywords are case-insensitive. `DECIMAL_LITERAL` is `0` or a
//! number without a leading zero, with an optional `l`/`L` (so `010` is the
//! two tokens `0` and `10`, and there are no hex or octal literals);
//! `FLOATING_POINT_LITERAL` is `5.`, `5.5`, `.5` or `5E10`, each with an
//! optional exponent; strings are `'...'` with `''` for a quote; `ID` is
//! ASCII letters, digits, `_` and `$`, not starting with a digit.
//!
//! JavaCC reads tokens only as the parser asks for them: a character that
//! starts no token fails the parse only when the parser looks at that
//! position. [`tokens`] cuts the whole text up front and ends the list with
//! an [`Kind::Invalid`] token there, which the parser treats the same way.

use winnow::ascii::{digit0, digit1};
use winnow::combinator::{alt, delimited, dispatch, fail, opt, peek, repeat};
use winnow::prelude::*;
use winnow::token::{any, none_of, one_of, take_till, take_until, take_while};

/// What a token is (`SelectorParserConstants`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Not,
    And,
    Or,
    Between,
    In,
    True,
    False,
    Null,
    Is,
    Contains,
    StartsWith,
    EndsWith,
    Decimal,
    Float,
    String,
    Id,
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    LParen,
    Comma,
    RParen,
    Plus,
    Minus,
    /// The end of the text.
    Eof,
    /// No token starts here (JavaCC's `TokenMgrError`); always last.
    Invalid,
}

/// One token and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'s> {
    pub kind: Kind,
    /// The token's text (for [`Kind::Invalid`], the offending character).
    pub text: &'s str,
    /// Byte offset in the expression.
    pub offset: usize,
}

/// Cuts `sql` into tokens, ending with [`Kind::Eof`] or [`Kind::Invalid`].
pub(super) fn tokens(sql: &str) -> Vec<Token<'_>> {
    let mut rest = sql;
    let mut out = Vec::new();
    loop {
        // Skipping never fails: it stops before anything it cannot skip.
        let _ = skip.parse_next(&mut rest);
        let offset = sql.len() - rest.len();
        if rest.is_empty() {
            out.push(Token {
                kind: Kind::Eof,
                text: "",
                offset,
            });
            return out;
        }
        let before = rest;
        match token.parse_next(&mut rest) {
            Ok(kind) => out.push(Token {
                kind,
                text: &before[..before.len() - rest.len()],
                offset,
            }),
            Err(_) => {
                let width = before.chars().next().map_or(0, char::len_utf8);
                out.push(Token {
                    kind: Kind::Invalid,
                    text: &before[..width],
                    offset,
                });
                return out;
            }
        }
    }
}

/// `SPECIAL_TOKEN` and `SKIP`: spaces and comments.
fn skip(input: &mut &str) -> winnow::Result<()> {
    repeat(
        0..,
        alt((
            one_of([' ', '\t', '\n', '\r', '\u{c}']).void(),
            line_comment,
            block_comment,
        )),
    )
    .parse_next(input)
}

/// `<LINE_COMMENT: "--" (~["\n","\r"])* ("\n"|"\r"|"\r\n")>`: a comment
/// without its line break is no comment (it lexes as two `-`).
fn line_comment(input: &mut &str) -> winnow::Result<()> {
    (
        "--",
        take_till(0.., ['\n', '\r']),
        alt(("\r\n", "\n", "\r")),
    )
        .void()
        .parse_next(input)
}

/// `<BLOCK_COMMENT>`: `/*` up to the first `*/`.
fn block_comment(input: &mut &str) -> winnow::Result<()> {
    delimited("/*", take_until(0.., "*/"), "*/")
        .void()
        .parse_next(input)
}

fn token(input: &mut &str) -> winnow::Result<Kind> {
    dispatch! {peek(any);
        '0'..='9' | '.' => number,
        '\'' => string_literal.value(Kind::String),
        'a'..='z' | 'A'..='Z' | '_' | '$' => word,
        '=' => '='.value(Kind::Eq),
        '<' => alt(("<>".value(Kind::Ne), "<=".value(Kind::Le), "<".value(Kind::Lt))),
        '>' => alt((">=".value(Kind::Ge), ">".value(Kind::Gt))),
        '(' => '('.value(Kind::LParen),
        ')' => ')'.value(Kind::RParen),
        ',' => ','.value(Kind::Comma),
        '+' => '+'.value(Kind::Plus),
        '-' => '-'.value(Kind::Minus),
        _ => fail,
    }
    .parse_next(input)
}

/// `FLOATING_POINT_LITERAL` where it is the longer match, else
/// `DECIMAL_LITERAL`.
fn number(input: &mut &str) -> winnow::Result<Kind> {
    alt((
        floating_point.value(Kind::Float),
        decimal.value(Kind::Decimal),
    ))
    .parse_next(input)
}

/// `(["0"-"9"])+ "." (["0"-"9"])* (<EXPONENT>)? | "." (["0"-"9"])+ (<EXPONENT>)?
/// | (["0"-"9"])+ <EXPONENT>`
fn floating_point(input: &mut &str) -> winnow::Result<()> {
    alt((
        (digit1, '.', digit0, opt(exponent)).void(),
        ('.', digit1, opt(exponent)).void(),
        (digit1, exponent).void(),
    ))
    .parse_next(input)
}

/// `<#EXPONENT: "E" (["+","-"])? (["0"-"9"])+ >` (any case).
fn exponent(input: &mut &str) -> winnow::Result<()> {
    (one_of(['e', 'E']), opt(one_of(['+', '-'])), digit1)
        .void()
        .parse_next(input)
}

/// `"0" | ["1"-"9"] (["0"-"9"])* (["l","L"])?`
fn decimal(input: &mut &str) -> winnow::Result<()> {
    alt((
        (one_of('1'..='9'), digit0, opt(one_of(['l', 'L']))).void(),
        '0'.void(),
    ))
    .parse_next(input)
}

/// `"'" ( ("''") | ~["'"] )* "'"`
fn string_literal(input: &mut &str) -> winnow::Result<()> {
    (
        '\'',
        repeat::<_, _, (), _, _>(0.., alt(("''".void(), none_of('\'').void()))),
        '\'',
    )
        .void()
        .parse_next(input)
}

/// An `ID`, or the keyword it spells (a keyword wins the tie).
fn word(input: &mut &str) -> winnow::Result<Kind> {
    take_while(1.., |c: char| {
        c.is_ascii_alphanumeric() || c == '_' || c == '$'
    })
    .map(keyword)
    .parse_next(input)
}

fn keyword(word: &str) -> Kind {
    const KEYWORDS: [(&str, Kind); 12] = [
        ("NOT", Kind::Not),
        ("AND", Kind::And),
        ("OR", Kind::Or),
        ("BETWEEN", Kind::Between),
        ("IN", Kind::In),
        ("TRUE", Kind::True),
        ("FALSE", Kind::False),
        ("NULL", Kind::Null),
        ("IS", Kind::Is),
        ("CONTAINS", Kind::Contains),
        ("STARTSWITH", Kind::StartsWith),
        ("ENDSWITH", Kind::EndsWith),
    ];
    KEYWORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map_or(Kind::Id, |(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(Kind, &str)> {
        tokens(sql).iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn keywords_are_case_insensitive_and_lose_to_longer_ids() {
        assert_eq!(
            kinds("Not nOTE is_null $x"),
            vec![
                (Kind::Not, "Not"),
                (Kind::Id, "nOTE"),
                (Kind::Id, "is_null"),
                (Kind::Id, "$x"),
                (Kind::Eof, ""),
            ]
        );
    }

    #[test]
    fn numbers_take_the_longest_literal() {
        assert_eq!(
            kinds("5 5L 0L 010 5. .5 5.5e3 5E10 5e 1.5.3"),
            vec![
                (Kind::Decimal, "5"),
                (Kind::Decimal, "5L"),
                (Kind::Decimal, "0"),
                (Kind::Id, "L"),
                (Kind::Decimal, "0"),
                (Kind::Decimal, "10"),
                (Kind::Float, "5."),
                (Kind::Float, ".5"),
                (Kind::Float, "5.5e3"),
                (Kind::Float, "5E10"),
                (Kind::Decimal, "5"),
                (Kind::Id, "e"),
                (Kind::Float, "1.5"),
                (Kind::Float, ".3"),
                (Kind::Eof, ""),
            ]
        );
        // No hex literals: `0x1F` is `0` and the identifier `x1F`.
        assert_eq!(
            kinds("0x1F"),
            vec![(Kind::Decimal, "0"), (Kind::Id, "x1F"), (Kind::Eof, "")]
        );
    }

    #[test]
    fn operators_strings_and_comments() {
        assert_eq!(
            kinds("a<>'it''s'/* c */<= -- x\n>=(,)+-"),
            vec![
                (Kind::Id, "a"),
                (Kind::Ne, "<>"),
                (Kind::String, "'it''s'"),
                (Kind::Le, "<="),
                (Kind::Ge, ">="),
                (Kind::LParen, "("),
                (Kind::Comma, ","),
                (Kind::RParen, ")"),
                (Kind::Plus, "+"),
                (Kind::Minus, "-"),
                (Kind::Eof, ""),
            ]
        );
        // A `--` comment needs its line break.
        assert_eq!(
            kinds("a --x"),
            vec![
                (Kind::Id, "a"),
                (Kind::Minus, "-"),
                (Kind::Minus, "-"),
                (Kind::Id, "x"),
                (Kind::Eof, "")
            ]
        );
    }

    #[test]
    fn a_character_that_starts_no_token_ends_the_list() {
        assert_eq!(
            kinds("a = 1 # b"),
            vec![
                (Kind::Id, "a"),
                (Kind::Eq, "="),
                (Kind::Decimal, "1"),
                (Kind::Invalid, "#")
            ]
        );
        assert_eq!(kinds("'open").last().map(|t| t.0), Some(Kind::Invalid));
        assert_eq!(kinds("/* open").last().map(|t| t.0), Some(Kind::Invalid));
        assert_eq!(kinds("é").last(), Some(&(Kind::Invalid, "é")));
        assert_eq!(kinds("a\u{a0}").last().map(|t| t.0), Some(Kind::Invalid));
    }
}
