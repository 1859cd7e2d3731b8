//! The grammar of RocketMQ's `SelectorParser.jj`, production for
//! production, as winnow parsers over the tokens of [`super::lexer`].
//!
//! JavaCC decides each loop of the grammar on the next token alone and
//! commits to it: after `>`, `=`, `AND`, `IS`, `NOT` (in a comparison),
//! `BETWEEN`, `IN`, ... the rest must follow or the parse fails (here
//! `cut_err`). Any other token ends the expression, and `JmsSelector` does
//! not ask for the end of input: whatever follows such a token is never
//! read (`a = 1 b` is `a = 1`; `a + 1 > 2` is the boolean cast of `a`, there
//! being no arithmetic in RocketMQ's grammar). The token right after the
//! expression is read, though: if no token starts there, the parse fails.

use winnow::combinator::{cut_err, delimited, fail, opt, separated};
use winnow::error::{ContextError, ErrMode, FromExternalError, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::{Offset, Stream, TokenSlice};
use winnow::token::any;

use super::ast::{Comparison, Expression, InvalidExpression, TextTest};
use super::lexer::{self, Kind, Token};
use super::ParseError;

type Tokens<'t, 's> = TokenSlice<'t, Token<'s>>;
type Parsed<T> = ModalResult<T>;

/// Parses `sql` into the expression `SelectorParser.parse` would build.
pub(super) fn parse(sql: &str) -> Result<Expression, ParseError> {
    let tokens = lexer::tokens(sql);
    let mut input = Tokens::new(&tokens);
    let start = input.checkpoint();
    match jms_selector.parse_next(&mut input) {
        Ok(expression) => Ok(expression),
        Err(error) => {
            let at = input.offset_from(&start).min(tokens.len() - 1);
            Err(describe(sql, &tokens[at], error))
        }
    }
}

fn describe(sql: &str, token: &Token<'_>, error: ErrMode<ContextError>) -> ParseError {
    let error = match error {
        ErrMode::Backtrack(e) | ErrMode::Cut(e) => e,
        ErrMode::Incomplete(_) => ContextError::new(),
    };
    if let Some(invalid) = error
        .cause()
        .and_then(|cause| cause.downcast_ref::<InvalidExpression>())
    {
        return ParseError::Invalid(invalid.0.clone());
    }
    let (line, column) = line_and_column(sql, token.offset);
    if token.kind == Kind::Invalid {
        return ParseError::Lexical {
            line,
            column,
            found: token.text.to_owned(),
        };
    }
    let expected: Vec<String> = error
        .context()
        .filter_map(|context| match context {
            StrContext::Expected(value) => Some(value.to_string()),
            _ => None,
        })
        .collect();
    ParseError::Syntax {
        found: if token.kind == Kind::Eof {
            "<EOF>".to_owned()
        } else {
            token.text.to_owned()
        },
        line,
        column,
        expected: if expected.is_empty() {
            "an expression".to_owned()
        } else {
            expected.join(" or ")
        },
    }
}

/// JavaCC's 1-based line and column of a byte offset.
fn line_and_column(sql: &str, offset: usize) -> (usize, usize) {
    let before = sql.get(..offset).unwrap_or(sql);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

fn peek_kind(input: &Tokens<'_, '_>) -> Kind {
    input.peek_token().map_or(Kind::Eof, |token| token.kind)
}

fn advance(input: &mut Tokens<'_, '_>) {
    let _ = input.next_token();
}

/// A check of the `create*` factories: its failure fails the parse.
fn checked<T>(input: &Tokens<'_, '_>, built: Result<T, InvalidExpression>) -> Parsed<T> {
    built.map_err(|invalid| ErrMode::Cut(ContextError::from_external_error(input, invalid)))
}

fn kind<'t, 's: 't>(
    wanted: Kind,
) -> impl Parser<Tokens<'t, 's>, &'t Token<'s>, ErrMode<ContextError>> {
    any.verify(move |token: &Token<'s>| token.kind == wanted)
}

/// `JmsSelector`: an `orExpression` that must be boolean.
fn jms_selector(input: &mut Tokens<'_, '_>) -> Parsed<Expression> {
    let expression = or_expression(input)?;
    // The loops above have read the next token: it must be one.
    if peek_kind(input) == Kind::Invalid {
        return Err(ErrMode::Cut(ContextError::new()));
    }
    checked(input, expression.into_boolean())
}

/// `orExpression`: `andExpression (OR andExpression)*`.
fn or_expression(input: &mut Tokens<'_, '_>) -> Parsed<Expression> {
    let mut left = and_expression(input)?;
    while opt(kind(Kind::Or)).parse_next(input)?.is_some() {
        let right = cut_err(and_expression).parse_next(input)?;
        left = checked(input, Expression::or(left, right))?;
    }
    Ok(left)
}

/// `andExpression`: `equalityExpression (AND equalityExpression)*`.
fn and_expression(input: &mut Tokens<'_, '_>) -> Parsed<Expression> {
    let mut left = equality_expression(input)?;
    while opt(kind(Kind::And)).parse_next(input)?.is_some() {
        let right = cut_err(equality_expression).parse_next(input)?;
        left = checked(input, Expression::and(left, right))?;
    }
    Ok(left)
}

/// `equalityExpression`: `comparisonExpression` followed by any number of
/// `= x`, `<> x`, `IS NULL`, `IS NOT NULL`.
fn equality_expression(input: &mut Tokens<'_, '_>) -> Parsed<Expression> {
    let mut left = comparison_expression(input)?;
    loop {
        left = match peek_kind(input) {
            Kind::Eq => {
                advance(input);
                let right = cut_err(comparison_expression).parse_next(input)?;
                checked(input, Expression::equal(left, right))?
            }
            Kind::Ne => {
                advance(input);
                let right = cut_err(comparison_expression).parse_next(input)?;
                checked(input, Expression::not_equal(left, right))?
            }
            Kind::Is => {
                advance(input);
                let not =
                    cut_err(opt(kind(Kind::Not)).map(|not| not.is_some())).parse_next(input)?;
                cut_err(kind(Kind::Null))
                    .context(expected(if not { "NULL" } else { "NULL or NOT NULL" }))
                    .parse_next(input)?;
                if not {
                    Expression::is_not_null(left)
                } else {
                    Expression::is_null(left)
                }
            }
            _ => return Ok(left),
        };
    }
}

/// `comparisonExpression`: `unaryExpr` followed by any number of `> x`,
/// `>= x`, `< x`, `<= x`, `[NOT] CONTAINS|STARTSWITH|ENDSWITH 'text'`,
/// `[NOT] BETWEEN x AND y`, `[NOT] IN ('a', ...)`.
fn comparison_expression(input: &mut Tokens<'_, '_>) -> Parsed<Expression> {
    let mut left = unary_expr(input)?;
    loop {
        let (not, operator) = match peek_kind(input) {
            op @ (Kind::Gt | Kind::Ge | Kind::Lt | Kind::Le) => {
                advance(input);
                let right = cut_err(unary_expr).parse_next(input)?;
                let op = match op {
                    Kind::Gt => Comparison::GreaterThan,
                    Kind::Ge => Comparison::GreaterThanEqual,
                    Kind::Lt => Comparison::LessThan,
                    _ => Comparison::LessThanEqual,
                };
                left = checked(input, Expression::compare(op, left, right))?;
                continue;
            }
            op
            @ (Kind::Contains | Kind::StartsWith | Kind::EndsWith | Kind::Between | Kind::In) => {
                advance(input);
                (false, op)
            }
            // LOOKAHEAD(2): NOT commits the loop, and one of these must follow.
            Kind::Not => {
                advance(input);
                let next = cut_err(any.verify(|token: &Token<'_>| {
                    matches!(
                        token.kind,
                        Kind::Contains
                            | Kind::StartsWith
                            | Kind::EndsWith
                            | Kind::Between
                            | Kind::In
                    )
                }))
                .context(expected("CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN"))
                .parse_next(input)?;
                (true, next.kind)
            }
            _ => return Ok(left),
        };
        left = match operator {
            Kind::Between => {
                let low = cut_err(unary_expr).parse_next(input)?;
                cut_err(kind(Kind::And))
                    .context(expected("AND"))
                    .parse_next(input)?;
                let high = cut_err(unary_expr).parse_next(input)?;
                if not {
                    checked(input, Expression::not_between(left, low, high))?
                } else {
                    checked(input, Expression::between(left, low, high))?
                }
            }
            Kind::In => {
                let values = cut_err(in_list).parse_next(input)?;
                checked(input, Expression::in_list(left, values, not))?
            }
            text => {
                let search = cut_err(string_literal).parse_next(input)?;
                let test = match text {
                    Kind::Contains => TextTest::Contains,
                    Kind::StartsWith => TextTest::StartsWith,
                    _ => TextTest::EndsWith,
                };
                Expression::text(test, not, left, search)
            }
        };
    }
}

/// `"(" stringLitteral ("," stringLitteral)* ")"`
fn in_list(input: &mut Tokens<'_, '_>) -> Parsed<Vec<String>> {
    delimited(
        kind(Kind::LParen).context(expected("(")),
        separated(1.., string_literal, kind(Kind::Comma)),
        kind(Kind::RParen).context(expected(", or )")),
    )
    .parse_next(input)
}

/// `unaryExpr`: `+ unaryExpr` (itself), `- unaryExpr` (negated),
/// `NOT unaryExpr` (which must be boolean), or `primaryExpr`. `NOT` binds
/// tighter than any comparison: `NOT a = 1` is `(NOT a) = 1`.
fn unary_expr(input: &mut Tokens<'_, '_>) -> Parsed<Expression> {
    match peek_kind(input) {
        Kind::Plus => {
            advance(input);
            cut_err(unary_expr).parse_next(input)
        }
        Kind::Minus => {
            advance(input);
            let operand = cut_err(unary_expr).parse_next(input)?;
            Ok(Expression::negate(operand))
        }
        Kind::Not => {
            advance(input);
            let operand = cut_err(unary_expr).parse_next(input)?;
            checked(input, Expression::not(operand))
        }
        _ => primary_expr(input),
    }
}

/// `primaryExpr`: a literal, a property, or `( orExpression )` (the inner
/// expression itself: `(a) IN ('x')` is allowed).
fn primary_expr(input: &mut Tokens<'_, '_>) -> Parsed<Expression> {
    let Some(token) = input.peek_token() else {
        return fail.parse_next(input);
    };
    let expression = match token.kind {
        Kind::String => Expression::Constant(super::ast::Constant::String(decode(token.text))),
        Kind::Decimal => checked(input, Expression::decimal(token.text))?,
        Kind::Float => checked(input, Expression::float(token.text))?,
        Kind::True => Expression::BooleanConstant(Some(true)),
        Kind::False => Expression::BooleanConstant(Some(false)),
        Kind::Null => Expression::BooleanConstant(None),
        Kind::Id => Expression::Property(token.text.to_owned()),
        Kind::LParen => {
            advance(input);
            let inner = cut_err(or_expression).parse_next(input)?;
            cut_err(kind(Kind::RParen))
                .context(expected(")"))
                .parse_next(input)?;
            return Ok(inner);
        }
        _ => {
            return fail
                .context(expected("a literal, a property, NOT, +, - or ("))
                .parse_next(input)
        }
    };
    advance(input);
    Ok(expression)
}

/// `stringLitteral`: the text between the quotes, `''` read as `'`.
fn string_literal(input: &mut Tokens<'_, '_>) -> Parsed<String> {
    kind(Kind::String)
        .context(expected("a string literal"))
        .map(|token| decode(token.text))
        .parse_next(input)
}

fn decode(image: &str) -> String {
    let inner = image
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or(image);
    inner.replace("''", "'")
}
