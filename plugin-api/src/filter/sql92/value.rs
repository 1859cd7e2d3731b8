//! Values an expression works on, and where property values come from.

use std::collections::{BTreeMap, HashMap};

use crate::message::Properties;

/// A value during evaluation: the Java classes RocketMQ's expressions
/// produce (`String`, `Integer`, `Long`, `Double`, `Boolean`); Java's
/// `null` is `None` around it.
///
/// Message properties are always strings (`MessageEvaluationContext`
/// reads a `Map<String, String>`); the other kinds come from literals, from
/// negation and from contexts built in tests, as RocketMQ's own
/// `ExpressionTest` builds them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// `String`.
    Str(&'a str),
    /// `Integer`.
    Int(i32),
    /// `Long`.
    Long(i64),
    /// `Double`.
    Double(f64),
    /// `Boolean`.
    Bool(bool),
}

impl Value<'_> {
    /// Java's class name, for messages.
    pub fn class_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "java.lang.String",
            Value::Int(_) => "java.lang.Integer",
            Value::Long(_) => "java.lang.Long",
            Value::Double(_) => "java.lang.Double",
            Value::Bool(_) => "java.lang.Boolean",
        }
    }

    /// Java's `toString()` of the value.
    pub fn java_string(&self) -> String {
        match self {
            Value::Str(s) => (*s).to_owned(),
            Value::Int(i) => i.to_string(),
            Value::Long(l) => l.to_string(),
            Value::Double(d) if d.is_nan() => "NaN".to_owned(),
            Value::Double(d) if d.is_infinite() => {
                if *d > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
            }
            Value::Double(d) => {
                let mut out = String::new();
                crate::fastjson::write_double(&mut out, *d);
                out
            }
            Value::Bool(b) => b.to_string(),
        }
    }
}

/// Where a property's value comes from (RocketMQ's `EvaluationContext`).
pub trait EvaluationContext {
    /// The value of property `name`, `None` when there is none.
    fn get(&self, name: &str) -> Option<Value<'_>>;
}

/// A message's decoded properties (`MessageEvaluationContext`).
impl EvaluationContext for Properties<'_> {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        Properties::get(self, name).map(Value::Str)
    }
}

impl EvaluationContext for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        HashMap::get(self, name).map(|v| Value::Str(v))
    }
}

impl EvaluationContext for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        BTreeMap::get(self, name).map(|v| Value::Str(v))
    }
}

/// Name/value pairs of any of the kinds (tests, tools); a later pair wins.
impl EvaluationContext for &[(&str, Value<'_>)] {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        lookup(self, name)
    }
}

impl<const N: usize> EvaluationContext for [(&str, Value<'_>); N] {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        lookup(self, name)
    }
}

fn lookup<'a>(pairs: &[(&str, Value<'a>)], name: &str) -> Option<Value<'a>> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| *value)
}
