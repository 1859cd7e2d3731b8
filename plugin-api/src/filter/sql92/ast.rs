//! The expression tree and the checks RocketMQ makes while it builds one:
//! the `create*` factories of `ComparisonExpression`, `UnaryExpression`
//! and `LogicExpression`, `ConstantExpression.createFromDecimal` /
//! `createFloat`, and `SelectorParser.asBooleanExpression`. A check that
//! fails there (a `RuntimeException` or `ParseException` in Java) fails the
//! parse with the same message.

use std::fmt;

use super::java;
use super::value::Value;

/// A SQL92 expression, as RocketMQ's `filter.expression` classes form it.
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// `ConstantExpression` with a string, an `Integer`, a `Long` or a
    /// `Double`.
    Constant(Constant),
    /// `BooleanConstantExpression`: `TRUE`, `FALSE` or `NULL` (`None`).
    BooleanConstant(Option<bool>),
    /// `PropertyExpression`: a message property by name.
    Property(String),
    /// `UnaryExpression.createNegate` (`-x`).
    Negate(Box<Expression>),
    /// `UnaryExpression.createNOT` (`NOT x`, and `<>` and `IS NOT NULL`).
    Not(Box<Expression>),
    /// `UnaryExpression.createBooleanCast`: a bare property used as a
    /// condition.
    BooleanCast(Box<Expression>),
    /// `LogicExpression.createAND` (also `BETWEEN`).
    And(Box<Expression>, Box<Expression>),
    /// `LogicExpression.createOR` (also `NOT BETWEEN`).
    Or(Box<Expression>, Box<Expression>),
    /// `ComparisonExpression.doCreateEqual` (`=`, and `IS NULL` against
    /// `NULL`).
    Equal(Box<Expression>, Box<Expression>),
    /// `>`, `>=`, `<`, `<=`.
    Compare(Comparison, Box<Expression>, Box<Expression>),
    /// `UnaryExpression.createInExpression`: `p [NOT] IN ('a', ...)`.
    In {
        /// The property.
        property: String,
        /// The listed strings.
        values: Vec<String>,
        /// `NOT IN`.
        not: bool,
    },
    /// `[NOT] CONTAINS | STARTSWITH | ENDSWITH 'text'`.
    Match {
        /// Which test.
        test: TextTest,
        /// The `NOT` form.
        not: bool,
        /// What is searched.
        operand: Box<Expression>,
        /// The text searched for.
        search: String,
    },
}

/// The value of a non-boolean constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    /// A string literal.
    String(String),
    /// A decimal literal within `Integer`'s range.
    Int(i32),
    /// A decimal literal beyond `Integer`'s range.
    Long(i64),
    /// A floating-point literal.
    Double(f64),
}

/// The ordering comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>`
    GreaterThan,
    /// `>=`
    GreaterThanEqual,
    /// `<`
    LessThan,
    /// `<=`
    LessThanEqual,
}

impl Comparison {
    /// `asBoolean(int answer)` of each comparison.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        match self {
            Comparison::GreaterThan => ordering.is_gt(),
            Comparison::GreaterThanEqual => ordering.is_ge(),
            Comparison::LessThan => ordering.is_lt(),
            Comparison::LessThanEqual => ordering.is_le(),
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::GreaterThan => ">",
            Comparison::GreaterThanEqual => ">=",
            Comparison::LessThan => "<",
            Comparison::LessThanEqual => "<=",
        }
    }
}

/// The string tests of 5.x (`ContainsExpression`, `StartsWithExpression`,
/// `EndsWithExpression` and their `Not` forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextTest {
    /// `CONTAINS`
    Contains,
    /// `STARTSWITH`
    StartsWith,
    /// `ENDSWITH`
    EndsWith,
}

impl TextTest {
    fn symbol(self) -> &'static str {
        match self {
            TextTest::Contains => "CONTAINS",
            TextTest::StartsWith => "STARTSWITH",
            TextTest::EndsWith => "ENDSWITH",
        }
    }
}

/// A check of the `create*` factories failed: the message Java's
/// exception carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidExpression(pub String);

type Built = Result<Expression, InvalidExpression>;

fn boxed(e: Expression) -> Box<Expression> {
    Box::new(e)
}

impl Expression {
    /// Whether Java's class implements `BooleanExpression`.
    pub fn is_boolean(&self) -> bool {
        !matches!(
            self,
            Expression::Constant(_) | Expression::Property(_) | Expression::Negate(_)
        )
    }

    /// The value of a literal (`ConstantExpression.getValue()`): `None` for
    /// anything else, `Some(None)` for `NULL`.
    pub(super) fn constant_value(&self) -> Option<Option<Value<'_>>> {
        match self {
            Expression::Constant(constant) => Some(Some(constant.value())),
            Expression::BooleanConstant(value) => Some(value.map(Value::Bool)),
            _ => None,
        }
    }

    /// `ConstantExpression.createFromDecimal`: an `l`/`L` suffix dropped,
    /// `Long`'s range (else `NumberFormatException`), an `Integer` when it
    /// fits.
    pub(super) fn decimal(text: &str) -> Built {
        let digits = text.strip_suffix(['l', 'L']).unwrap_or(text);
        let value: i64 = digits.parse().map_err(|_| {
            InvalidExpression(format!(
                "java.lang.NumberFormatException: For input string: \"{digits}\""
            ))
        })?;
        Ok(Expression::Constant(match i32::try_from(value) {
            Ok(int) => Constant::Int(int),
            Err(_) => Constant::Long(value),
        }))
    }

    /// `ConstantExpression.createFloat`: a `Double`, refused above
    /// `Double.MAX_VALUE` and below `Double.MIN_VALUE` (the smallest
    /// positive double, so `0.0` is refused too).
    pub(super) fn float(text: &str) -> Built {
        let value = java::parse_double(text).ok_or_else(|| {
            InvalidExpression(format!(
                "java.lang.NumberFormatException: For input string: \"{text}\""
            ))
        })?;
        if value > f64::MAX {
            return Err(InvalidExpression(format!(
                "{text} is greater than 1.7976931348623157E308"
            )));
        }
        // Double.MIN_VALUE: 4.9E-324, the smallest positive subnormal.
        if value < f64::from_bits(1) {
            return Err(InvalidExpression(format!("{text} is less than 4.9E-324")));
        }
        Ok(Expression::Constant(Constant::Double(value)))
    }

    /// `SelectorParser.asBooleanExpression`: boolean expressions as they
    /// are, a property cast to a boolean, anything else refused.
    pub(super) fn into_boolean(self) -> Built {
        match self {
            Expression::Property(_) => Ok(Expression::BooleanCast(boxed(self))),
            e if e.is_boolean() => Ok(e),
            e => Err(InvalidExpression(format!(
                "Expression will not result in a boolean value: {e}"
            ))),
        }
    }

    /// `LogicExpression.createAND` over `asBooleanExpression` of both sides.
    pub(super) fn and(left: Expression, right: Expression) -> Built {
        let left = left.into_boolean()?;
        Ok(Expression::And(boxed(left), boxed(right.into_boolean()?)))
    }

    /// `LogicExpression.createOR` over `asBooleanExpression` of both sides.
    pub(super) fn or(left: Expression, right: Expression) -> Built {
        let left = left.into_boolean()?;
        Ok(Expression::Or(boxed(left), boxed(right.into_boolean()?)))
    }

    /// `UnaryExpression.createNOT(asBooleanExpression(e))`.
    pub(super) fn not(e: Expression) -> Built {
        Ok(Expression::Not(boxed(e.into_boolean()?)))
    }

    /// `UnaryExpression.createNegate`: any operand.
    pub(super) fn negate(e: Expression) -> Expression {
        Expression::Negate(boxed(e))
    }

    /// `ComparisonExpression.createEqual`: neither side the `NULL` literal,
    /// and a `TRUE`/`FALSE` literal on the left only against another
    /// boolean literal.
    pub(super) fn equal(left: Expression, right: Expression) -> Built {
        check_equal_operand(&left)?;
        check_equal_operand(&right)?;
        if let (Some(_), Some(_)) = (left.constant_value(), right.constant_value()) {
            let left_boolean = matches!(left, Expression::BooleanConstant(_));
            let right_boolean = matches!(right, Expression::BooleanConstant(_));
            if left_boolean && !right_boolean {
                return Err(InvalidExpression(format!(
                    "'{left}' cannot be compared with '{right}'"
                )));
            }
        }
        Ok(Expression::Equal(boxed(left), boxed(right)))
    }

    /// `ComparisonExpression.createNotEqual`: `NOT (a = b)`.
    pub(super) fn not_equal(left: Expression, right: Expression) -> Built {
        Ok(Expression::Not(boxed(Expression::equal(left, right)?)))
    }

    /// `createIsNull`: `doCreateEqual(e, NULL)`, without the operand checks.
    pub(super) fn is_null(e: Expression) -> Expression {
        Expression::Equal(boxed(e), boxed(Expression::BooleanConstant(None)))
    }

    /// `createIsNotNull`: `NOT (e IS NULL)`.
    pub(super) fn is_not_null(e: Expression) -> Expression {
        Expression::Not(boxed(Expression::is_null(e)))
    }

    /// `createGreaterThan` and the like: both sides pass
    /// `checkLessThanOperand`.
    pub(super) fn compare(op: Comparison, left: Expression, right: Expression) -> Built {
        check_less_than_operand(&left)?;
        check_less_than_operand(&right)?;
        Ok(Expression::Compare(op, boxed(left), boxed(right)))
    }

    /// `ComparisonExpression.createBetween`: with two literal bounds, neither
    /// `NULL` and the high one not below the low one (`__compare`, which may
    /// itself fail); then `value >= low AND value <= high`.
    pub(super) fn between(value: Expression, low: Expression, high: Expression) -> Built {
        if let (Some(lv), Some(rv)) = (low.constant_value(), high.constant_value()) {
            let (Some(lv), Some(rv)) = (lv, rv) else {
                return Err(InvalidExpression(
                    "Illegal values of between, values can not be null!".to_owned(),
                ));
            };
            let ordering =
                java::compare(rv, lv).map_err(|error| InvalidExpression(error.to_string()))?;
            if ordering.is_lt() {
                return Err(InvalidExpression(format!(
                    "Illegal values of between, left value({}) must less than or equal to right value({})",
                    lv.java_string(),
                    rv.java_string()
                )));
            }
        }
        let lower = Expression::compare(Comparison::GreaterThanEqual, value.clone(), low)?;
        let upper = Expression::compare(Comparison::LessThanEqual, value, high)?;
        Ok(Expression::And(boxed(lower), boxed(upper)))
    }

    /// `ComparisonExpression.createNotBetween`: `value < low OR value > high`
    /// (no check of the bounds' order).
    pub(super) fn not_between(value: Expression, low: Expression, high: Expression) -> Built {
        let below = Expression::compare(Comparison::LessThan, value.clone(), low)?;
        let above = Expression::compare(Comparison::GreaterThan, value, high)?;
        Ok(Expression::Or(boxed(below), boxed(above)))
    }

    /// `createInFilter` / `createNotInFilter`: only a property.
    pub(super) fn in_list(left: Expression, values: Vec<String>, not: bool) -> Built {
        match left {
            Expression::Property(property) => Ok(Expression::In {
                property,
                values,
                not,
            }),
            other => Err(InvalidExpression(format!(
                "Expected a property for In expression, got: {other}"
            ))),
        }
    }

    /// `createContains` and the like: any operand.
    pub(super) fn text(
        test: TextTest,
        not: bool,
        operand: Expression,
        search: String,
    ) -> Expression {
        Expression::Match {
            test,
            not,
            operand: boxed(operand),
            search,
        }
    }
}

impl Constant {
    fn value(&self) -> Value<'_> {
        match self {
            Constant::String(s) => Value::Str(s),
            Constant::Int(i) => Value::Int(*i),
            Constant::Long(l) => Value::Long(*l),
            Constant::Double(d) => Value::Double(*d),
        }
    }
}

/// `checkEqualOperand`: the `NULL` literal cannot be compared.
fn check_equal_operand(e: &Expression) -> Result<(), InvalidExpression> {
    if let Some(None) = e.constant_value() {
        return Err(InvalidExpression(format!("'{e}' cannot be compared.")));
    }
    Ok(())
}

/// `checkLessThanOperand`: numeric literals, properties and negations only
/// (no string, boolean or `NULL` literal, no boolean expression).
fn check_less_than_operand(e: &Expression) -> Result<(), InvalidExpression> {
    match e {
        Expression::Constant(Constant::Int(_) | Constant::Long(_) | Constant::Double(_)) => Ok(()),
        e if e.constant_value().is_some() || e.is_boolean() => Err(InvalidExpression(format!(
            "Value '{e}' cannot be compared."
        ))),
        _ => Ok(()),
    }
}

/// Java's `toString` of the expression classes (used in messages).
impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expression::Constant(Constant::String(s)) => {
                write!(f, "'{}'", s.replace('\'', "''"))
            }
            Expression::Constant(c) => f.write_str(&c.value().java_string()),
            Expression::BooleanConstant(None) => f.write_str("NULL"),
            Expression::BooleanConstant(Some(true)) => f.write_str("TRUE"),
            Expression::BooleanConstant(Some(false)) => f.write_str("FALSE"),
            Expression::Property(name) => f.write_str(name),
            Expression::Negate(e) => write!(f, "(- {e})"),
            Expression::Not(e) => write!(f, "(NOT {e})"),
            Expression::BooleanCast(e) => write!(f, "{e}"),
            Expression::And(l, r) => write!(f, "({l} && {r})"),
            Expression::Or(l, r) => write!(f, "({l} || {r})"),
            Expression::Equal(l, r) => write!(f, "({l} == {r})"),
            Expression::Compare(op, l, r) => write!(f, "({l} {} {r})", op.symbol()),
            Expression::In {
                property,
                values,
                not,
            } => write!(
                f,
                "{property} {} ( {} )",
                if *not { "NOT IN" } else { "IN" },
                values.join(", ")
            ),
            Expression::Match {
                test, not, operand, ..
            } => {
                let not = if *not { "NOT " } else { "" };
                write!(f, "({not}{} {operand})", test.symbol())
            }
        }
    }
}
