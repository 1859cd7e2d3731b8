//! Vectors from RocketMQ 5.3.3's own tests (`filter/src/test/java/org/
//! apache/rocketmq/filter/ExpressionTest.java` and `ParserTest.java`, named
//! after their Java methods), then the parse and type rules of the
//! expression classes, each citing the Java it follows.

use super::*;

fn selector(sql: &str) -> Selector {
    Selector::parse(sql).unwrap_or_else(|error| panic!("{sql:?} should parse: {error}"))
}

fn evaluate(sql: &str, context: &[(&str, Value<'_>)]) -> Result<Option<bool>, EvalError> {
    selector(sql).evaluate(&context)
}

/// `ExpressionTest.eval`: a null or non-Boolean result counts as FALSE.
#[track_caller]
fn check(sql: &str, context: &[(&str, Value<'_>)], expected: bool) {
    let result = evaluate(sql, context)
        .unwrap_or_else(|error| panic!("{sql:?} should evaluate: {error}"))
        .unwrap_or(false);
    assert_eq!(result, expected, "{sql:?} with {context:?}");
}

#[track_caller]
fn fails_to_evaluate(sql: &str, context: &[(&str, Value<'_>)]) -> EvalError {
    match evaluate(sql, context) {
        Err(error) => error,
        Ok(result) => panic!("{sql:?} with {context:?} evaluated to {result:?}"),
    }
}

#[track_caller]
fn refused(sql: &str) -> ParseError {
    match Selector::parse(sql) {
        Err(error) => error,
        Ok(selector) => panic!("{sql:?} parsed as {}", selector.expression()),
    }
}

use Value::{Bool, Double, Int, Long, Str};

const AND_EXPRESSION: &str = "a=3 and b<>4 And c>5 AND d<=4";
const OR_EXPRESSION: &str = "a=3 or b<>4 Or c>5 OR d<=4";
const IN_EXPRESSION: &str = "a in ('3', '4', '5')";
const NOT_IN_EXPRESSION: &str = "a not in ('3', '4', '5')";
const BETWEEN_EXPRESSION: &str = "a between 2 and 10";
const NOT_BETWEEN_EXPRESSION: &str = "a not between 2 and 10";
const IS_NULL_EXPRESSION: &str = "a is null";
const IS_NOT_NULL_EXPRESSION: &str = "a is not null";
const EQUAL_EXPRESSION: &str = "a is not null and a='hello'";
const BOOLEAN_EXPRESSION: &str = "a=TRUE OR b=FALSE";
const NULL_OR_EXPRESSION: &str = "a is null OR a='hello'";
const STRING_HAS_STRING: &str = "TAGS is not null and TAGS='''''tag'''''";

// ---- ExpressionTest ------------------------------------------------------

#[test]
fn expression_test_contains_starts_with_ends_with() {
    // testContains_StartsWith_EndsWith_has and the not/has_not variants.
    let axb = [("value", Str("axb"))];
    check("value contains 'x'", &axb, true);
    check("value startswith 'ax'", &axb, true);
    check("value endswith 'xb'", &axb, true);
    check("value not contains 'x'", &axb, false);
    check("value not startswith 'ax'", &axb, false);
    check("value not endswith 'xb'", &axb, false);
    let abb = [("value", Str("abb"))];
    check("value contains 'x'", &abb, false);
    check("value startswith 'x'", &abb, false);
    check("value endswith 'x'", &abb, false);
    check("value not contains 'x'", &abb, true);
    check("value not startswith 'x'", &abb, true);
    check("value not endswith 'x'", &abb, true);
    // _hasEmpty: an empty search text is FALSE, NOT form included.
    for sql in [
        "value contains ''",
        "value startswith ''",
        "value endswith ''",
        "value not contains ''",
        "value not startswith ''",
        "value not endswith ''",
    ] {
        check(sql, &axb, false);
    }
}

#[test]
fn expression_test_text_tests_of_null_numbers_and_booleans_are_false() {
    // _null_has_1 / _null_has_2 / _number_has / _boolean_has: FALSE in
    // both forms. (`_object_has` uses a plain java.lang.Object, which no
    // message property can be.)
    let contexts: [&[(&str, Value<'_>)]; 3] =
        [&[], &[("value", Double(1.23))], &[("value", Bool(true))]];
    for context in contexts {
        for sql in [
            "value contains 'x'",
            "value startswith 'x'",
            "value endswith 'x'",
            "value not contains 'x'",
            "value not startswith 'x'",
            "value not endswith 'x'",
        ] {
            check(sql, context, false);
        }
    }
}

#[test]
fn expression_test_text_tests_need_a_string_literal() {
    // testContains_has_not_string_1/2, testContains_string_has_nothing.
    for sql in [
        "value contains x",
        "value not contains x",
        "value contains 123",
        "value not contains 123",
        "'axb' contains ",
        "'axb' not contains ",
    ] {
        refused(sql);
    }
}

#[test]
fn expression_test_text_tests_on_string_literals() {
    let whatever = [("whatever", Str("whatever"))];
    check("'axb' contains 'x'", &whatever, true);
    check("'axb' startswith 'ax'", &whatever, true);
    check("'axb' endswith 'xb'", &whatever, true);
    check("'axb' not contains 'x'", &whatever, false);
    check("'axb' not startswith 'ax'", &whatever, false);
    check("'axb' not endswith 'xb'", &whatever, false);
    check("'axb' contains 'u'", &whatever, false);
    check("'axb' not contains 'u'", &whatever, true);
    check("'axb' not startswith 'u'", &whatever, true);
    check("'axb' not endswith 'u'", &whatever, true);
    check("'axb' contains ''", &whatever, false);
    check("'axb' not endswith ''", &whatever, false);
    check("' ' contains ' '", &whatever, true);
    check("' ' startswith ' '", &whatever, true);
    check("' ' endswith ' '", &whatever, true);
    check("' ' not contains ' '", &whatever, false);
    // _special_1/_special_2: no pattern characters.
    check("'axb' contains '.'", &whatever, false);
    check("'axb' not startswith '.'", &whatever, true);
    check("'s' contains '\\'", &whatever, false);
    check("'s' endswith '\\'", &whatever, false);
}

#[test]
fn expression_test_all_in_one() {
    // testContainsAllInOne / testStartsWithAllInOne / testEndsWithAllInOne.
    let context = [("a", Str("3")), ("b", Int(3)), ("c", Str("axbdc"))];
    for test in ["contains", "startswith", "endswith"] {
        let sql =
            format!("a not in ('4', '4', '5') and b between 3 and 10 and c not {test} 'axbc'");
        check(&sql, &context, true);
    }
}

#[test]
fn expression_test_evaluate_string_has_string() {
    check(STRING_HAS_STRING, &[("TAGS", Str("''tag''"))], true);
}

#[test]
fn expression_test_evaluate_string_compare() {
    // testEvaluate_stringCompare: bounds that are missing properties are
    // unknown; strings that are not numbers fail the comparison.
    let between = "a between up and low";
    check(between, &[("a", Str("3.14"))], false);
    assert!(matches!(
        fails_to_evaluate(
            between,
            &[("a", Str("3.14")), ("up", Str("up")), ("low", Str("low"))]
        ),
        EvalError::StringComparison { .. }
    ));
    // The remaining blocks of the Java test (never reached there, as the
    // block above throws), each on its own.
    assert!(matches!(
        fails_to_evaluate(
            "key is not null and key between 0 and 100",
            &[("key", Str("con"))]
        ),
        EvalError::NumberFormat { .. }
    ));
    assert!(matches!(
        fails_to_evaluate("a between 0 and 100", &[("a", Str("abc"))]),
        EvalError::NumberFormat { .. }
    ));
    check("a=b", &[("a", Str("3.14")), ("b", Str("3.14"))], true);
    check("a<>b", &[("a", Str("3.14")), ("b", Str("3.14"))], false);
    check("a<>b", &[("a", Str("3.14")), ("b", Str("3.141"))], true);
}

#[test]
fn expression_test_evaluate_numbers() {
    // testEvaluate_exponent: String.valueOf(3.1415 * Math.pow(10, 10)).
    check("a > 3.1E10", &[("a", Str("3.1415E10"))], true);
    // testEvaluate_floatNumber.
    check("a > 3.14", &[("a", Str("3.1415"))], true);
    // testEvaluate_twoVariable / testEvaluate_twoVariableGt.
    check("a > b", &[("a", Str("10")), ("b", Str("20"))], false);
    check("a > b", &[("b", Str("10")), ("a", Str("20"))], true);
}

#[test]
fn expression_test_evaluate_null_or_boolean_and_equal() {
    check(NULL_OR_EXPRESSION, &[], true);
    check(NULL_OR_EXPRESSION, &[("a", Str("hello"))], true);
    check(NULL_OR_EXPRESSION, &[("a", Str("abc"))], false);
    check(
        BOOLEAN_EXPRESSION,
        &[("a", Str("true")), ("b", Str("false"))],
        true,
    );
    check(
        BOOLEAN_EXPRESSION,
        &[("a", Str("false")), ("b", Str("true"))],
        false,
    );
    check(EQUAL_EXPRESSION, &[("a", Str("hello"))], true);
    check(EQUAL_EXPRESSION, &[], false);
}

#[test]
fn expression_test_evaluate_and_or() {
    // testEvaluate_andTrue / andFalse, with Integer and with String values.
    check(
        AND_EXPRESSION,
        &[("a", Int(3)), ("b", Int(5)), ("c", Int(6)), ("d", Int(1))],
        true,
    );
    check(
        AND_EXPRESSION,
        &[
            ("a", Str("3")),
            ("b", Str("5")),
            ("c", Str("6")),
            ("d", Str("1")),
        ],
        true,
    );
    check(
        AND_EXPRESSION,
        &[("a", Int(4)), ("b", Int(5)), ("c", Int(6)), ("d", Int(1))],
        false,
    );
    check(
        AND_EXPRESSION,
        &[
            ("a", Str("4")),
            ("b", Str("5")),
            ("c", Str("6")),
            ("d", Str("1")),
        ],
        false,
    );
    // testEvaluate_orTrue / orFalse.
    check(OR_EXPRESSION, &[("a", Int(3))], true);
    check(OR_EXPRESSION, &[("a", Int(4)), ("b", Int(5))], true);
    check(
        OR_EXPRESSION,
        &[("a", Int(4)), ("b", Int(4)), ("c", Int(6))],
        true,
    );
    check(
        OR_EXPRESSION,
        &[("a", Int(4)), ("b", Int(4)), ("c", Int(3)), ("d", Int(2))],
        true,
    );
    check(
        OR_EXPRESSION,
        &[("a", Int(4)), ("b", Int(4)), ("c", Int(3)), ("d", Int(10))],
        false,
    );
}

#[test]
fn expression_test_evaluate_in_between_and_null() {
    for a in ["3", "4", "5"] {
        check(IN_EXPRESSION, &[("a", Str(a))], true);
        check(NOT_IN_EXPRESSION, &[("a", Str(a))], false);
    }
    check(IN_EXPRESSION, &[("a", Str("8"))], false);
    check(NOT_IN_EXPRESSION, &[("a", Str("8"))], true);
    for a in ["2", "10", "3"] {
        check(BETWEEN_EXPRESSION, &[("a", Str(a))], true);
        check(NOT_BETWEEN_EXPRESSION, &[("a", Str(a))], false);
    }
    for a in ["1", "11"] {
        check(BETWEEN_EXPRESSION, &[("a", Str(a))], false);
        check(NOT_BETWEEN_EXPRESSION, &[("a", Str(a))], true);
    }
    check(IS_NULL_EXPRESSION, &[("abc", Str("2"))], true);
    check(IS_NULL_EXPRESSION, &[("a", Str("2"))], false);
    check(IS_NOT_NULL_EXPRESSION, &[("a", Str("2"))], true);
    check(IS_NOT_NULL_EXPRESSION, &[("abc", Str("2"))], false);
}

// ---- ParserTest ----------------------------------------------------------

#[test]
fn parser_test_parse_valid() {
    for sql in [
        AND_EXPRESSION,
        OR_EXPRESSION,
        IN_EXPRESSION,
        "(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))",
        "(a between 2 and 10) AND (b not between 6 and 9)",
        IS_NULL_EXPRESSION,
        IS_NOT_NULL_EXPRESSION,
        // `now` is a property: NOW is no keyword.
        "a <= now",
        "a=3 and b contains 'xxx' and c not contains 'xxx'",
    ] {
        selector(sql);
    }
}

#[test]
fn parser_test_parse_invalid_overflow_and_illegal_between() {
    // testParse_invalid.
    refused("a and between 2 and 10");
    // testParse_decimalOverFlow: beyond Long.
    assert!(matches!(
        refused("a > 100000000000000000000000"),
        ParseError::Invalid(message) if message.contains("NumberFormatException")
    ));
    // testParse_floatOverFlow: a 209,000-digit literal is Infinity.
    let ones = "111111111111111111111111111111111111111111111111111".repeat(2048);
    assert!(matches!(
        refused(&format!("a > 1{ones}.{ones}")),
        ParseError::Invalid(message) if message.contains("is greater than")
    ));
    // testParse_illegalBetween.
    assert!(matches!(
        refused(" a between 10 and 0"),
        ParseError::Invalid(message) if message.contains("Illegal values of between")
    ));
}

#[test]
fn parser_test_equals() {
    // testEquals: spacing does not change the expression.
    assert_eq!(
        selector(AND_EXPRESSION),
        selector("a=3  and    b<>4 And c>5 AND d<=4")
    );
    assert_ne!(selector(AND_EXPRESSION), selector(OR_EXPRESSION));
}

// ---- Grammar -------------------------------------------------------------

#[test]
fn literals_take_the_java_classes_of_constant_expression() {
    // createFromDecimal: Integer within its range, else Long; L dropped.
    let constant = |sql: &str| match selector(&format!("a = {sql}")).expression() {
        Expression::Equal(_, right) => (**right).clone(),
        other => panic!("{other}"),
    };
    assert_eq!(constant("5"), Expression::Constant(Constant::Int(5)));
    assert_eq!(constant("5L"), Expression::Constant(Constant::Int(5)));
    assert_eq!(
        constant("2147483648"),
        Expression::Constant(Constant::Long(2_147_483_648))
    );
    assert_eq!(
        constant("1.5E3"),
        Expression::Constant(Constant::Double(1500.0))
    );
    assert_eq!(constant(".5"), Expression::Constant(Constant::Double(0.5)));
    assert_eq!(
        constant("'it''s'"),
        Expression::Constant(Constant::String("it's".into()))
    );
    // createFloat refuses anything below Double.MIN_VALUE: 0.0 included.
    assert!(matches!(refused("a > 0.0"), ParseError::Invalid(m) if m.contains("is less than")));
    assert!(matches!(refused("a > 1e-400"), ParseError::Invalid(_)));
    // Long.MIN_VALUE cannot be written: the literal is parsed before `-`.
    assert!(matches!(
        refused("a > -9223372036854775808"),
        ParseError::Invalid(_)
    ));
    selector("a > -9223372036854775807");
}

#[test]
fn the_grammar_has_no_hex_octal_or_arithmetic() {
    // `0x1F` lexes as `0` then `x1F`, which ends the expression: a = 0.
    let hex = selector("a = 0x1F");
    assert!(hex.matches(&[("a", Str("0"))]));
    assert!(!hex.matches(&[("a", Str("31"))]));
    // `010` is `0` then `10`: a = 0.
    assert!(selector("a = 010").matches(&[("a", Str("0"))]));
    // `+` after an operand ends the expression: `a + 1 > 2` is `a` cast to
    // a boolean, FALSE for any string property.
    assert_eq!(
        selector("a + 1 > 2").expression(),
        &Expression::BooleanCast(Box::new(Expression::Property("a".into())))
    );
}

#[test]
fn the_token_after_the_expression_is_read_and_nothing_further() {
    // SelectorParser.JmsSelector asks for no <EOF>.
    selector("a = 1 b");
    selector("a = 1 b #");
    selector("a = 1 )");
    // ... but the next token must be one.
    assert!(matches!(
        refused("a = 1 #"),
        ParseError::Lexical {
            line: 1,
            column: 7,
            ..
        }
    ));
    assert!(matches!(refused("a = 'open"), ParseError::Lexical { .. }));
    // Tokens the loops commit to must be followed by what they need.
    for sql in [
        "a = 1 NOT x",
        "a = 1 AND",
        "a = 1 OR",
        "a IS 5",
        "a IS NOT 5",
        "a >",
        "a BETWEEN 1",
        "a BETWEEN 1 AND",
        "a IN 'x'",
        "a IN ('x'",
        "a IN ('x',)",
        "a IN ()",
        "(a = 1",
        "(a = 1 b)",
        "",
        "   ",
        "-- only a comment\n",
    ] {
        refused(sql);
    }
}

#[test]
fn syntax_errors_name_the_token_and_the_position() {
    assert_eq!(
        refused("a = 1 AND\n  b >"),
        ParseError::Syntax {
            found: "<EOF>".into(),
            line: 2,
            column: 6,
            expected: "a literal, a property, NOT, +, - or (".into(),
        }
    );
    assert_eq!(
        refused("a BETWEEN 1 OR 2").to_string(),
        "Encountered \"OR\" at line 1, column 13. Was expecting AND"
    );
}

#[test]
fn keywords_comments_and_precedence() {
    let s = selector("A = 1 /* x */ oR -- y\n b = 2");
    assert!(s.matches(&[("b", Str("2"))]));
    // AND binds tighter than OR.
    let s = selector("a = 1 OR b = 1 AND c = 1");
    assert!(s.matches(&[("a", Str("1"))]));
    assert!(!s.matches(&[("b", Str("1"))]));
    // Unary NOT binds tighter than `=`: `NOT a = 1` is `(NOT a) = 1`, and
    // `(NOT a)` of a string property is FALSE, which `= 1` compares with -1.
    assert_eq!(
        selector("NOT a = 1").expression().to_string(),
        "((NOT a) == 1)"
    );
    assert!(!selector("NOT a = 1").matches(&[("a", Str("1"))]));
    assert!(selector("NOT (a = 1)").matches(&[("a", Str("2"))]));
    // Parentheses return the inner expression: a property stays one.
    selector("(a) IN ('x')");
}

/// `ComparisonExpression.checkLessThanOperand`, `checkEqualOperand`,
/// `checkEqualOperandCompatability`, `createInFilter` and
/// `SelectorParser.asBooleanExpression`.
#[test]
fn build_time_checks_refuse_what_java_refuses() {
    for (sql, message) in [
        ("a > 'x'", "Value ''x'' cannot be compared."),
        ("a < TRUE", "Value 'TRUE' cannot be compared."),
        ("a >= NULL", "Value 'NULL' cannot be compared."),
        ("(a > 1) > 2", "Value '(a > 1)' cannot be compared."),
        ("a = NULL", "'NULL' cannot be compared."),
        ("NULL <> a", "'NULL' cannot be compared."),
        ("TRUE = 'x'", "'TRUE' cannot be compared with ''x''"),
        ("FALSE = 5", "'FALSE' cannot be compared with '5'"),
        (
            "'x' IN ('x')",
            "Expected a property for In expression, got: 'x'",
        ),
        ("'x'", "Expression will not result in a boolean value: 'x'"),
        (
            "5 AND a",
            "Expression will not result in a boolean value: 5",
        ),
        (
            "NOT -a",
            "Expression will not result in a boolean value: (- a)",
        ),
        (
            "a BETWEEN NULL AND 2",
            "Illegal values of between, values can not be null!",
        ),
        (
            "a BETWEEN 3 AND 2.5",
            "Illegal values of between, left value(3) must less than or equal to right value(2.5)",
        ),
    ] {
        assert_eq!(refused(sql), ParseError::Invalid(message.into()), "{sql}");
    }
    // Allowed: a literal on the left, a boolean literal on the right of a
    // non-boolean one, literal-only conditions.
    for sql in [
        "5 = a",
        "'x' = TRUE",
        "5 = TRUE",
        "TRUE = FALSE",
        "TRUE",
        "NULL",
        "5 IS NULL",
        "-'x' > 1",
        "a BETWEEN -1 AND -5",
        "a NOT BETWEEN 3 AND 2",
        "(a > 1) = TRUE",
    ] {
        selector(sql);
    }
}

// ---- Null and type rules -------------------------------------------------

/// `doCreateEqual`: null on the left only is unknown, on the right only
/// FALSE, on both sides TRUE; `<>` is NOT of that.
#[test]
fn equality_with_a_missing_property_is_asymmetric() {
    let none: [(&str, Value<'_>); 0] = [];
    assert_eq!(selector("a = 'x'").evaluate(&none), Ok(None));
    assert_eq!(selector("'x' = a").evaluate(&none), Ok(Some(false)));
    assert_eq!(selector("a <> 'x'").evaluate(&none), Ok(None));
    assert_eq!(selector("'x' <> a").evaluate(&none), Ok(Some(true)));
    assert_eq!(selector("a = b").evaluate(&none), Ok(Some(true)));
    assert_eq!(selector("a > 1").evaluate(&none), Ok(None));
    assert_eq!(selector("a IN ('x')").evaluate(&none), Ok(None));
    assert_eq!(selector("a NOT IN ('x')").evaluate(&none), Ok(None));
    assert_eq!(selector("a").evaluate(&none), Ok(None));
    assert_eq!(selector("-a > 1").evaluate(&none), Ok(None));
}

/// `ComparisonExpression.__compare` with `CONVERT_STRING_EXPRESSIONS`: a
/// string property against an `Integer` literal goes through
/// `Integer.valueOf`, against a `Long` one `Long.valueOf`, against a
/// `Double` one `Double.valueOf`; a refused string throws.
#[test]
fn a_string_property_is_converted_to_the_literal_class() {
    check("a = 5", &[("a", Str("5"))], true);
    check("a = 5", &[("a", Str("+5"))], true);
    check("a > 5", &[("a", Str("6"))], true);
    check("a = 5.0", &[("a", Str("5"))], true);
    check("a = 5.0", &[("a", Str(" 5 "))], true);
    check("a > 4.5", &[("a", Str("5"))], true);
    check("a = 3000000000", &[("a", Str("3000000000"))], true);
    // Integer.valueOf refuses "5.0", " 5", "abc" and values past int.
    for value in ["5.0", " 5", "abc", "3000000000", ""] {
        assert!(
            matches!(
                fails_to_evaluate("a = 5", &[("a", Str(value))]),
                EvalError::NumberFormat {
                    target: "java.lang.Integer",
                    ..
                }
            ),
            "{value:?}"
        );
    }
    // `<>` fails the same way (it is NOT of `=`).
    fails_to_evaluate("a <> 5", &[("a", Str("abc"))]);
    // A Double literal takes what Double.valueOf takes, NaN and 1e3d too.
    check("a > 5.5", &[("a", Str("NaN"))], true);
    check("a = 1000.5", &[("a", Str("1000.5d"))], true);
    // Long literal: Long.valueOf.
    check("a < 3000000000", &[("a", Str("2999999999"))], true);
    fails_to_evaluate("a < 3000000000", &[("a", Str("1.0"))]);
}

/// `ComparisonExpression.evaluate`: `>`/`<` of two strings reads both with
/// `Double.valueOf`; `=` of two strings compares them as strings.
#[test]
fn two_strings_order_as_doubles_and_equal_as_strings() {
    check("a > b", &[("a", Str("10")), ("b", Str("9"))], true);
    check("a < b", &[("a", Str("1e1")), ("b", Str("9.5"))], false);
    assert!(matches!(
        fails_to_evaluate("a > b", &[("a", Str("x")), ("b", Str("1"))]),
        EvalError::StringComparison { .. }
    ));
    check("a = b", &[("a", Str("1.0")), ("b", Str("1"))], false);
    check("a = '1'", &[("a", Str("1"))], true);
    check("a = '01'", &[("a", Str("1"))], false);
}

/// Boolean literals: `a = TRUE` is `Boolean.valueOf(a) = TRUE`; a bare
/// property is a boolean cast, FALSE for any string; `TRUE = a` throws
/// (Java casts the Boolean to String).
#[test]
fn boolean_rules() {
    check("a = TRUE", &[("a", Str("TRUE"))], true);
    check("a = TRUE", &[("a", Str("yes"))], false);
    check("a = FALSE", &[("a", Str("yes"))], true);
    assert_eq!(
        selector("a").evaluate(&[("a", Str("true"))]),
        Ok(Some(false))
    );
    assert_eq!(selector("a").evaluate(&[("a", Bool(true))]), Ok(Some(true)));
    assert!(matches!(
        fails_to_evaluate("TRUE = a", &[("a", Str("true"))]),
        EvalError::ClassCast { .. }
    ));
    // A number against a Boolean: __compare answers -1, never equal.
    check("5 = TRUE", &[], false);
    assert_eq!(selector("TRUE").evaluate(&[("x", Int(1))]), Ok(Some(true)));
    assert_eq!(selector("NULL").evaluate(&[("x", Int(1))]), Ok(None));
}

/// Numeric literals against each other widen `Integer` → `Long` → `Double`;
/// `-` negates numbers and makes anything else null.
#[test]
fn numbers_widen_and_negate() {
    check("5 = 5.0", &[], true);
    check("2147483648 > 5", &[], true);
    check("5 < 2147483648", &[], true);
    check("-5 < 0.5", &[], true);
    check("-a < 1", &[("a", Int(5))], true);
    check("-a < 1", &[("a", Long(5))], true);
    assert_eq!(selector("-a < 1").evaluate(&[("a", Str("5"))]), Ok(None));
    check("--5 = 5", &[], true);
}

/// `LogicExpression`: FALSE wins an AND and TRUE an OR over unknown, and
/// the right side is not evaluated after them; an error on the evaluated
/// side fails the whole expression (the message does not match).
#[test]
fn logic_short_circuits_and_errors_fail_the_whole_expression() {
    let context = [("a", Str("abc")), ("b", Str("1"))];
    check("b = 1 OR a = 5", &context, true);
    check("b = 2 AND a = 5", &context, false);
    fails_to_evaluate("a = 5 OR b = 1", &context);
    assert!(!selector("a = 5 OR b = 1").matches(&context));
    let none: [(&str, Value<'_>); 0] = [];
    assert_eq!(selector("a = 1 AND b = 1").evaluate(&none), Ok(None));
    assert_eq!(selector("a = 1 OR 'x' = b").evaluate(&none), Ok(None));
    assert_eq!(
        selector("a = 1 AND 'x' = b").evaluate(&none),
        Ok(Some(false))
    );
    assert_eq!(selector("NOT (a = 1)").evaluate(&none), Ok(None));
}

#[test]
fn message_properties_are_the_context() {
    let encoded = plugin_properties(&[("TAGS", "TagA"), ("region", "east"), ("price", "120")]);
    let filter = selector("TAGS = 'TagA' AND region IN ('east', 'west') AND price > 100");
    assert!(filter.matches_properties(&encoded));
    assert!(!selector("price > 200").matches_properties(&encoded));
    // A later duplicate wins, as in Java's properties map.
    let duplicated = plugin_properties(&[("a", "1"), ("a", "2")]);
    assert!(selector("a = 2").matches_properties(&duplicated));
}

fn plugin_properties(pairs: &[(&str, &str)]) -> String {
    crate::message::encode_properties(pairs.iter().copied())
}
