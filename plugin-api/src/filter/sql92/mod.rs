//! SQL92 message filters as Apache RocketMQ 5.3.3 parses and evaluates them
//! (module `filter`: `SelectorParser.jj`, the `expression` classes; and the
//! broker's `MessageEvaluationContext` and `ExpressionMessageFilter`).
//!
//! - Grammar (`parser`, `lexer`): `OR`, `AND`, `=`, `<>`, `IS [NOT]
//!   NULL`, `>`, `>=`, `<`, `<=`, `[NOT] BETWEEN x AND y`, `[NOT] IN ('a',
//!   ...)` (strings only), `[NOT] CONTAINS|STARTSWITH|ENDSWITH 'text'`,
//!   unary `NOT`, `+`, `-`, parentheses; string, decimal (`Integer` or
//!   `Long`, optional `L`), floating-point and `TRUE`/`FALSE`/`NULL`
//!   literals; properties (`[A-Za-z_$][A-Za-z0-9_$]*`). Keywords in any
//!   case; `--` line and `/* */` comments. No arithmetic, no hex or octal
//!   literals, no `LIKE`.
//! - Build-time checks (`ast`): what `ComparisonExpression.create*`,
//!   `asBooleanExpression` and the literal factories refuse fails the parse.
//! - Evaluation (`eval`): three-valued, Java's `null` as unknown; a string
//!   property compared with a number is converted to the number's class
//!   (`Integer.valueOf`, `Long.valueOf`, `Double.valueOf`), two strings
//!   ordered with `>`/`<` are both read as doubles, and a conversion that
//!   fails is an error, which [`Selector::matches`] treats as "no match",
//!   as `ExpressionMessageFilter` does.

mod ast;
mod eval;
mod java;
mod lexer;
mod parser;
mod value;

#[cfg(test)]
mod tests;

pub use ast::{Comparison, Constant, Expression, TextTest};
pub use java::EvalError;
pub use value::{EvaluationContext, Value};

use crate::message::Properties;

/// The expression type these filters serve (`ExpressionType.SQL92`).
pub const SQL92: &str = super::SQL92;

/// Why an expression does not parse (`MQFilterException` in RocketMQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A character that starts no token (JavaCC's `TokenMgrError`).
    #[error("Lexical error at line {line}, column {column}. Encountered: {found:?}")]
    Lexical {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The character.
        found: String,
    },
    /// Tokens that do not form an expression (`ParseException`).
    #[error("Encountered \"{found}\" at line {line}, column {column}. Was expecting {expected}")]
    Syntax {
        /// The token's text, `<EOF>` at the end.
        found: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the grammar wanted there.
        expected: String,
    },
    /// An expression RocketMQ refuses to build: a literal out of range,
    /// operands a comparison does not take, a non-boolean condition,
    /// `BETWEEN` bounds out of order.
    #[error("{0}")]
    Invalid(String),
}

/// A compiled SQL92 filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    expression: Expression,
}

impl Selector {
    /// `SelectorParser.parse`.
    pub fn parse(sql: &str) -> Result<Selector, ParseError> {
        parser::parse(sql).map(|expression| Selector { expression })
    }

    /// The expression tree.
    pub fn expression(&self) -> &Expression {
        &self.expression
    }

    /// `expression.evaluate(context)`: `Ok(None)` is "unknown" (Java's
    /// `null`), `Err` the exception Java would throw.
    pub fn evaluate(&self, context: &dyn EvaluationContext) -> Result<Option<bool>, EvalError> {
        match self.expression.evaluate(context)? {
            Some(Value::Bool(b)) => Ok(Some(b)),
            // A parsed selector is always boolean (asBooleanExpression).
            _ => Ok(None),
        }
    }

    /// `ExpressionMessageFilter.isMatchedByCommitLog`: matched only when
    /// the expression is TRUE; unknown and failed evaluations do not match.
    pub fn matches(&self, context: &dyn EvaluationContext) -> bool {
        matches!(self.evaluate(context), Ok(Some(true)))
    }

    /// [`matches`](Self::matches) against a message's encoded properties
    /// (`name U+0001 value U+0002 ...`, a later duplicate winning, as
    /// `MessageDecoder.string2messageProperties` reads them).
    pub fn matches_properties(&self, encoded: &str) -> bool {
        self.matches(&Properties::parse(encoded))
    }
}

impl std::str::FromStr for Selector {
    type Err = ParseError;

    fn from_str(sql: &str) -> Result<Self, Self::Err> {
        Selector::parse(sql)
    }
}

/// `SqlFilter.compile`: [`Selector::parse`].
pub fn parse(sql: &str) -> Result<Selector, ParseError> {
    Selector::parse(sql)
}
