//! SCIM filters (RFC 7644 §3.4.2.2): parsed into a [`Filter`] and evaluated
//! against a resource's JSON representation.
//!
//! Operators and attribute names are case-insensitive, as the RFC says.
//! `not` binds tighter than `and`, which binds tighter than `or`. String
//! comparisons ignore case except on attributes the schema marks
//! `caseExact` (`id`, `externalId`, `members.value`); `gt`/`ge`/`lt`/`le`
//! compare dates as instants (`meta.lastModified`) and numbers as numbers.
//!
//! A provider's hot path (`userName eq "…"`, `externalId eq "…"`) is a
//! plain lookup: [`Filter::equality_on`] finds such a conjunct so the store
//! reads only the candidates before the whole filter is checked.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Longest filter accepted, in bytes: a filter is a short expression.
pub const MAX_FILTER_BYTES: usize = 4_096;
/// Deepest nesting of parentheses and `not`.
const MAX_DEPTH: usize = 32;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr op value`.
    Compare {
        /// The attribute.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The literal.
        value: Literal,
    },
    /// `attr pr`: present and not empty.
    Present(AttrPath),
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`.
    Not(Box<Filter>),
    /// `attr[filter]`: some element of a multi-valued attribute matches.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The filter on its elements.
        filter: Box<Filter>,
    },
}

/// An attribute, with its schema URN and sub-attribute when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// `urn:…` prefix, lower-cased (e.g. the enterprise extension).
    pub schema: Option<String>,
    /// The attribute, lower-cased.
    pub name: String,
    /// `.sub`, lower-cased.
    pub sub: Option<String>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains (strings).
    Co,
    /// Starts with (strings).
    Sw,
    /// Ends with (strings).
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

/// A literal in a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A JSON string.
    Str(String),
    /// A number.
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Why a filter was refused (answered as `400 invalidFilter`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter at byte {at}: {reason}")]
pub struct FilterError {
    /// Where parsing stopped.
    pub at: usize,
    /// What was wrong.
    pub reason: String,
}

impl Filter {
    /// Parse `text`.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        if text.len() > MAX_FILTER_BYTES {
            return Err(FilterError {
                at: MAX_FILTER_BYTES,
                reason: format!("longer than {MAX_FILTER_BYTES} bytes"),
            });
        }
        let mut parser = Parser {
            text,
            pos: 0,
            depth: 0,
        };
        let filter = parser.or()?;
        parser.skip_spaces();
        if parser.pos != text.len() {
            return Err(parser.error("unexpected text after the filter"));
        }
        Ok(filter)
    }

    /// Whether `resource` (its SCIM JSON) matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::Compare { path, op, value } => values_at(resource, path)
                .iter()
                .any(|found| compare(path, found, *op, value)),
            Filter::Present(path) => values_at(resource, path).iter().any(|v| !is_empty(v)),
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(inner) => !inner.matches(resource),
            Filter::ValuePath { path, filter } => attribute(resource, path)
                .map(|v| match v {
                    Value::Array(items) => items.iter().any(|item| filter.matches(item)),
                    other => filter.matches(other),
                })
                .unwrap_or(false),
        }
    }

    /// A string `eq` on `attribute` (e.g. `username`) that every match
    /// must satisfy: the filter itself, or a conjunct of an `and`.
    pub fn equality_on(&self, attribute: &str, sub: Option<&str>) -> Option<&str> {
        match self {
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: Literal::Str(text),
            } if path.name == attribute && path.sub.as_deref() == sub => Some(text),
            Filter::ValuePath { path, filter } if path.name == attribute && sub.is_some() => {
                filter.equality_on(sub.unwrap_or_default(), None)
            }
            Filter::And(a, b) => a
                .equality_on(attribute, sub)
                .or_else(|| b.equality_on(attribute, sub)),
            _ => None,
        }
    }
}

impl Filter {
    /// Whether the filter looks at the top-level attribute `name`
    /// (lower-case), e.g. `members`: a Group's members are read only for
    /// filters that need them.
    pub fn mentions(&self, name: &str) -> bool {
        match self {
            Filter::Compare { path, .. } | Filter::Present(path) => path.name == name,
            Filter::ValuePath { path, .. } => path.name == name,
            Filter::And(a, b) | Filter::Or(a, b) => a.mentions(name) || b.mentions(name),
            Filter::Not(inner) => inner.mentions(name),
        }
    }

    /// The values of a filter that only selects elements by `attribute eq
    /// "…"` (one comparison, or several joined by `or`): `value eq "a" or
    /// value eq "b"` gives `["a", "b"]`. `None` for any other filter.
    pub fn equalities_of(&self, attribute: &str) -> Option<Vec<&str>> {
        match self {
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: Literal::Str(text),
            } if path.name == attribute && path.sub.is_none() && path.schema.is_none() => {
                Some(vec![text.as_str()])
            }
            Filter::Or(a, b) => {
                let mut values = a.equalities_of(attribute)?;
                values.extend(b.equalities_of(attribute)?);
                Some(values)
            }
            _ => None,
        }
    }
}

/// Attributes whose string values compare case-sensitively.
/// `meta.created` and `meta.lastModified`: the dateTime attributes a
/// filter can name (RFC 7643 §3.1).
fn is_date_time(path: &AttrPath) -> bool {
    path.name == "meta" && matches!(path.sub.as_deref(), Some("created" | "lastmodified"))
}

fn case_exact(path: &AttrPath) -> bool {
    matches!(path.name.as_str(), "id" | "externalid")
        || (path.name == "members" && path.sub.as_deref() == Some("value"))
        || (path.name == "meta" && path.sub.as_deref() == Some("version"))
}

/// The attribute `path` names (schema-qualified or not), ignoring case.
fn attribute<'a>(resource: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let object = resource.as_object()?;
    let holder = match &path.schema {
        Some(schema) => object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(schema))
            .map(|(_, v)| v)?
            .as_object()?,
        None => object,
    };
    holder
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
        .map(|(_, v)| v)
}

/// The values `path` reaches: one for a simple attribute, one per element
/// for a multi-valued one (`emails.value` reaches every email's value).
fn values_at<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(value) = attribute(resource, path) else {
        return Vec::new();
    };
    let sub = |v: &'a Value| -> Option<&'a Value> {
        match &path.sub {
            None => Some(v),
            Some(sub) => v
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(sub))
                .map(|(_, v)| v),
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(sub).collect(),
        // A multi-valued attribute without a sub-attribute compares its
        // elements' `value` (RFC 7644 §3.4.2.2).
        other => sub(other).into_iter().collect(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn compare(path: &AttrPath, found: &Value, op: CompareOp, literal: &Literal) -> bool {
    // A multi-valued attribute compared without a sub-attribute compares
    // its elements' `value`.
    let found = match found {
        Value::Object(o) if path.sub.is_none() => o.get("value").unwrap_or(found),
        _ => found,
    };
    match (found, literal) {
        (Value::String(have), Literal::Str(want)) => compare_strings(path, have, op, want),
        (Value::Bool(have), Literal::Bool(want)) => match op {
            CompareOp::Eq => have == want,
            CompareOp::Ne => have != want,
            _ => false,
        },
        // Entra ID writes booleans as the strings "True" and "False".
        (Value::String(have), Literal::Bool(want)) => {
            match (have.to_ascii_lowercase().as_str(), op) {
                ("true", CompareOp::Eq) => *want,
                ("false", CompareOp::Eq) => !*want,
                ("true", CompareOp::Ne) => !*want,
                ("false", CompareOp::Ne) => *want,
                _ => false,
            }
        }
        (Value::Number(have), Literal::Num(want)) => have
            .as_f64()
            .is_some_and(|have| ordered(have.partial_cmp(want), op)),
        (Value::Null, Literal::Null) => op == CompareOp::Eq,
        (_, Literal::Null) => op == CompareOp::Ne,
        _ => false,
    }
}

fn compare_strings(path: &AttrPath, have: &str, op: CompareOp, want: &str) -> bool {
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    if ordering
        && let (Ok(have), Ok(want)) = (have.parse::<DateTime<Utc>>(), want.parse::<DateTime<Utc>>())
    {
        return ordered(have.partial_cmp(&want), op);
    }
    let (have, want) = if case_exact(path) {
        (have.to_owned(), want.to_owned())
    } else {
        (have.to_lowercase(), want.to_lowercase())
    };
    match op {
        CompareOp::Eq => have == want,
        CompareOp::Ne => have != want,
        CompareOp::Co => have.contains(&want),
        CompareOp::Sw => have.starts_with(&want),
        CompareOp::Ew => have.ends_with(&want),
        _ => ordered(have.partial_cmp(&want), op),
    }
}

fn ordered(ordering: Option<std::cmp::Ordering>, op: CompareOp) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    matches!(
        (ordering, op),
        (Some(Greater), CompareOp::Gt | CompareOp::Ge | CompareOp::Ne)
            | (Some(Less), CompareOp::Lt | CompareOp::Le | CompareOp::Ne)
            | (Some(Equal), CompareOp::Eq | CompareOp::Ge | CompareOp::Le)
    )
}

/// A recursive-descent parser over the filter text.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, reason: &str) -> FilterError {
        FilterError {
            at: self.pos,
            reason: reason.to_owned(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start_matches(' ');
        self.pos = self.text.len() - trimmed.len();
    }

    /// Consume `word` (case-insensitive) when it stands alone.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip_spaces();
        let rest = self.rest();
        let boundary = rest
            .as_bytes()
            .get(word.len())
            .is_none_or(|b| matches!(b, b' ' | b'(' | b')' | b'[' | b']'));
        if rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word) && boundary {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn punct(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn nest(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        if self.keyword("not") {
            self.nest()?;
            if !self.punct('(') {
                return Err(self.error("expected ( after not"));
            }
            let inner = self.or()?;
            if !self.punct(')') {
                return Err(self.error("expected )"));
            }
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.punct('(') {
            self.nest()?;
            let inner = self.or()?;
            if !self.punct(')') {
                return Err(self.error("expected )"));
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.attribute_expression()
    }

    fn attribute_expression(&mut self) -> Result<Filter, FilterError> {
        let path = self.attr_path()?;
        if self.punct('[') {
            self.nest()?;
            let filter = self.or()?;
            if !self.punct(']') {
                return Err(self.error("expected ]"));
            }
            self.depth -= 1;
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(filter),
            });
        }
        if self.keyword("pr") {
            return Ok(Filter::Present(path));
        }
        let op = self.compare_op()?;
        let value = self.literal()?;
        // A dateTime compared with something that is no date would match
        // nothing, silently; the provider's filter is wrong, so say so.
        let date = |text: &str| text.parse::<DateTime<Utc>>().is_ok();
        if is_date_time(&path)
            && !matches!(&value, Literal::Null)
            && !matches!(&value, Literal::Str(text) if date(text))
        {
            return Err(self.error("expected an RFC 3339 date-time for this attribute"));
        }
        Ok(Filter::Compare { path, op, value })
    }

    fn compare_op(&mut self) -> Result<CompareOp, FilterError> {
        const OPS: [(&str, CompareOp); 9] = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        for (word, op) in OPS {
            if self.keyword(word) {
                return Ok(op);
            }
        }
        Err(self.error("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)"))
    }

    /// `[urn:…:]name[.sub]`. A schema URN ends at its last `:`.
    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        self.skip_spaces();
        let rest = self.rest();
        let len = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '$'))
            })
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("expected an attribute name"));
        }
        let token = &rest[..len];
        self.pos += len;
        parse_attr_path(token).ok_or_else(|| FilterError {
            at: self.pos - len,
            reason: format!("`{token}` is not an attribute path"),
        })
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        self.skip_spaces();
        let rest = self.rest();
        if rest.starts_with('"') {
            // A JSON string: let serde_json handle the escapes.
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
            return match stream.next() {
                Some(Ok(text)) => {
                    self.pos += stream.byte_offset();
                    Ok(Literal::Str(text))
                }
                _ => Err(self.error("unterminated or malformed string")),
            };
        }
        for (word, literal) in [
            ("true", Literal::Bool(true)),
            ("false", Literal::Bool(false)),
            ("null", Literal::Null),
        ] {
            if self.keyword(word) {
                return Ok(literal);
            }
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(rest.len());
        match rest[..len].parse::<f64>() {
            Ok(n) if len > 0 && n.is_finite() => {
                self.pos += len;
                Ok(Literal::Num(n))
            }
            _ => Err(self.error("expected a string, number, true, false or null")),
        }
    }
}

/// `[urn:…:]name[.sub]`, lower-cased; `None` when malformed.
pub fn parse_attr_path(token: &str) -> Option<AttrPath> {
    let lower = token.to_ascii_lowercase();
    let (schema, local) = if lower.starts_with("urn:") {
        let (schema, local) = lower.rsplit_once(':')?;
        (Some(schema.to_owned()), local.to_owned())
    } else {
        (None, lower)
    };
    let (name, sub) = match local.split_once('.') {
        Some((name, sub)) => (name.to_owned(), Some(sub.to_owned())),
        None => (local, None),
    };
    let valid = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
    };
    (valid(&name) && sub.as_deref().is_none_or(valid)).then_some(AttrPath { schema, name, sub })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "bjensen",
            "userName": "Bjensen@Example.com",
            "displayName": "Babs Jensen",
            "active": true,
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "meta": { "lastModified": "2026-11-30T10:00:00Z" },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Tour Operations" }
        })
    }

    fn matches(filter: &str) -> bool {
        Filter::parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(&user())
    }

    #[test]
    fn every_operator_on_strings_ignoring_case_where_the_schema_says() {
        assert!(matches(r#"userName eq "bjensen@example.com""#));
        assert!(matches(r#"UserName EQ "BJENSEN@EXAMPLE.COM""#));
        assert!(
            !matches(r#"externalId eq "BJENSEN""#),
            "externalId is caseExact"
        );
        assert!(matches(r#"displayName ne "Someone""#));
        assert!(matches(r#"displayName co "bs je""#));
        assert!(matches(r#"displayName sw "babs""#));
        assert!(matches(r#"displayName ew "JENSEN""#));
        assert!(matches(r#"emails.value eq "babs@jensen.org""#));
        assert!(!matches("title pr"));
        assert!(matches("externalId pr"));
    }

    #[test]
    fn dates_compare_as_instants() {
        assert!(matches(r#"meta.lastModified gt "2026-11-30T09:59:59Z""#));
        assert!(
            !matches(r#"meta.lastModified lt "2026-11-30T10:30:00+01:00""#),
            "09:30Z is earlier"
        );
        assert!(
            matches(r#"meta.lastModified lt "2026-11-30T12:00:00+01:00""#),
            "11:00Z is later"
        );
        assert!(matches(
            r#"meta.lastModified ge "2026-11-30T10:00:00.000Z""#
        ));
    }

    #[test]
    fn a_date_time_attribute_compared_with_no_date_is_refused() {
        for text in [
            r#"meta.lastModified gt "yesterday""#,
            r#"META.LASTMODIFIED ge "2026-11-30""#,
            "meta.created lt 5",
            "meta.lastModified eq true",
        ] {
            assert!(Filter::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn logic_precedence_parentheses_and_value_paths() {
        assert!(matches(
            r#"active eq true and (userName sw "x" or displayName sw "Babs")"#
        ));
        // and binds tighter than or
        assert!(matches(
            r#"userName sw "x" and active eq false or externalId eq "bjensen""#
        ));
        assert!(matches(r#"not (userName eq "other@example.com")"#));
        assert!(matches(
            r#"emails[type eq "work" and value ew "@example.com"]"#
        ));
        assert!(!matches(
            r#"emails[type eq "home" and value ew "@example.com"]"#
        ));
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#
        ));
    }

    #[test]
    fn entra_booleans_written_as_strings_compare_as_booleans() {
        let resource = json!({ "active": "False" });
        let filter = Filter::parse("active eq false").expect("parses");
        assert!(filter.matches(&resource));
    }

    #[test]
    fn the_lookup_conjunct_is_found() {
        let filter = Filter::parse(r#"active eq true and userName eq "a@b.c""#).expect("parses");
        assert_eq!(filter.equality_on("username", None), Some("a@b.c"));
        let filter = Filter::parse(r#"userName eq "a@b.c" or active eq true"#).expect("parses");
        assert_eq!(
            filter.equality_on("username", None),
            None,
            "or widens the set"
        );
        let filter = Filter::parse(r#"emails[value eq "a@b.c"]"#).expect("parses");
        assert_eq!(filter.equality_on("emails", Some("value")), Some("a@b.c"));
    }

    #[test]
    fn what_a_filter_looks_at() {
        let filter =
            Filter::parse(r#"displayName eq "a" and not (members[value eq "u"])"#).expect("parses");
        assert!(filter.mentions("members"));
        assert!(filter.mentions("displayname"));
        assert!(!filter.mentions("externalid"));
        let filter = Filter::parse(r#"value eq "a" or value eq "b""#).expect("parses");
        assert_eq!(filter.equalities_of("value"), Some(vec!["a", "b"]));
        let filter = Filter::parse(r#"value eq "a" and display eq "b""#).expect("parses");
        assert_eq!(filter.equalities_of("value"), None, "and narrows");
        let filter = Filter::parse(r#"value co "a""#).expect("parses");
        assert_eq!(filter.equalities_of("value"), None);
    }

    #[test]
    fn malformed_filters_say_where() {
        for (text, at) in [
            ("userName", 8),
            (r#"userName eq "unterminated"#, 12),
            (r#"userName xx "a""#, 9),
            (r#"(userName eq "a""#, 16),
            (r#"userName eq "a" junk"#, 16),
            ("", 0),
        ] {
            let error = Filter::parse(text).expect_err(text);
            assert_eq!(error.at, at, "{text}: {error}");
        }
        let deep = format!("{}userName pr{}", "(".repeat(40), ")".repeat(40));
        assert!(Filter::parse(&deep).unwrap_err().reason.contains("deeply"));
    }
}
