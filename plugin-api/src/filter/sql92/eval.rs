//! Evaluation, following each expression class's `evaluate`: SQL's
//! three-valued logic with Java's `null` as "unknown", and the type rules
//! of `ComparisonExpression` (see [`java::compare`]).

use super::ast::{Constant, Expression, TextTest};
use super::java::{self, EvalError};
use super::value::{EvaluationContext, Value};

type Evaluated<'a> = Result<Option<Value<'a>>, EvalError>;

impl Expression {
    /// Evaluates the expression: `Ok(None)` is Java's `null`.
    pub fn evaluate<'a>(&'a self, context: &'a dyn EvaluationContext) -> Evaluated<'a> {
        Ok(match self {
            Expression::Constant(Constant::String(s)) => Some(Value::Str(s)),
            Expression::Constant(Constant::Int(i)) => Some(Value::Int(*i)),
            Expression::Constant(Constant::Long(l)) => Some(Value::Long(*l)),
            Expression::Constant(Constant::Double(d)) => Some(Value::Double(*d)),
            Expression::BooleanConstant(b) => b.map(Value::Bool),
            Expression::Property(name) => context.get(name),
            // UnaryExpression.createNegate: a number negated (Integer and
            // Long wrap as Java's do), anything else null.
            Expression::Negate(e) => match e.evaluate(context)? {
                Some(Value::Int(i)) => Some(Value::Int(i.wrapping_neg())),
                Some(Value::Long(l)) => Some(Value::Long(l.wrapping_neg())),
                Some(Value::Double(d)) => Some(Value::Double(-d)),
                _ => None,
            },
            Expression::Not(e) => boolean(e, context)?.map(|b| Value::Bool(!b)),
            // createBooleanCast: null stays null, a non-Boolean is FALSE.
            Expression::BooleanCast(e) => match e.evaluate(context)? {
                None => None,
                Some(Value::Bool(b)) => Some(Value::Bool(b)),
                Some(_) => Some(Value::Bool(false)),
            },
            // LogicExpression.createAND: FALSE wins over null; the right side
            // is not evaluated after a FALSE left.
            Expression::And(l, r) => {
                let lv = boolean(l, context)?;
                if lv == Some(false) {
                    return Ok(Some(Value::Bool(false)));
                }
                let rv = boolean(r, context)?;
                if rv == Some(false) {
                    return Ok(Some(Value::Bool(false)));
                }
                lv.and(rv).map(|_| Value::Bool(true))
            }
            // LogicExpression.createOR: TRUE wins over null.
            Expression::Or(l, r) => {
                let lv = boolean(l, context)?;
                if lv == Some(true) {
                    return Ok(Some(Value::Bool(true)));
                }
                let rv = boolean(r, context)?;
                if rv == Some(true) {
                    return Ok(Some(Value::Bool(true)));
                }
                lv.and(rv).map(|_| Value::Bool(false))
            }
            Expression::Equal(l, r) => equal(l, r, context)?.map(Value::Bool),
            // ComparisonExpression.evaluate: null on either side is null; two
            // strings are compared as doubles (or fail); otherwise __compare.
            Expression::Compare(op, l, r) => {
                let Some(lv) = l.evaluate(context)? else {
                    return Ok(None);
                };
                let Some(rv) = r.evaluate(context)? else {
                    return Ok(None);
                };
                let ordering = match (lv, rv) {
                    (Value::Str(a), Value::Str(b)) => {
                        let illegal = || EvalError::StringComparison {
                            left: a.to_owned(),
                            right: b.to_owned(),
                        };
                        let a = java::parse_double(a).ok_or_else(illegal)?;
                        let b = java::parse_double(b).ok_or_else(illegal)?;
                        java::compare_doubles(a, b)
                    }
                    _ => java::compare(lv, rv)?,
                };
                Some(Value::Bool(op.holds(ordering)))
            }
            // createInExpression: only a string can be in the list; null or
            // another class is null.
            Expression::In {
                property,
                values,
                not,
            } => match context.get(property) {
                Some(Value::Str(s)) => Some(Value::Bool(values.iter().any(|v| v == s) ^ not)),
                _ => None,
            },
            // ContainsExpression and the like: an empty search text, a null
            // or a non-string operand is FALSE, in the NOT forms too.
            Expression::Match {
                test,
                not,
                operand,
                search,
            } => {
                if search.is_empty() {
                    return Ok(Some(Value::Bool(false)));
                }
                let Some(Value::Str(s)) = operand.evaluate(context)? else {
                    return Ok(Some(Value::Bool(false)));
                };
                let found = match test {
                    TextTest::Contains => s.contains(search.as_str()),
                    TextTest::StartsWith => s.starts_with(search.as_str()),
                    TextTest::EndsWith => s.ends_with(search.as_str()),
                };
                Some(Value::Bool(found ^ not))
            }
        })
    }
}

/// A boolean operand (`(Boolean) right.evaluate(context)` in Java).
fn boolean(e: &Expression, context: &dyn EvaluationContext) -> Result<Option<bool>, EvalError> {
    match e.evaluate(context)? {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => Err(EvalError::ClassCast {
            from: other.class_name(),
            to: "java.lang.Boolean",
        }),
    }
}

/// `doCreateEqual`'s `evaluate`: both sides evaluated; a null left against
/// a non-null right is null, the reverse FALSE, two nulls TRUE; then
/// `equals`, then `__compare` (which may convert, or fail).
fn equal(
    l: &Expression,
    r: &Expression,
    context: &dyn EvaluationContext,
) -> Result<Option<bool>, EvalError> {
    let lv = l.evaluate(context)?;
    let rv = r.evaluate(context)?;
    match (lv, rv) {
        (None, None) => Ok(Some(true)),
        (None, Some(_)) => Ok(None),
        (Some(_), None) => Ok(Some(false)),
        (Some(lv), Some(rv)) => {
            if java::equals(lv, rv) {
                return Ok(Some(true));
            }
            Ok(Some(java::compare(lv, rv)?.is_eq()))
        }
    }
}
