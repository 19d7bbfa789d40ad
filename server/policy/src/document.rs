//! From JSON text to statements: the grammar of a policy document, with the
//! rules of its kind (see [`crate::validate`]) applied on the way.

use std::collections::HashSet;

use crate::condition::{Condition, Operator};
use crate::error::Problem;
use crate::json::Json;
use crate::matching::{Pattern, Token, tokenize};
use crate::principal::{self, PrincipalId};
use crate::validate;
use crate::{Policy, PolicyKind, Version};

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// An element that names things directly or, `negated`, by exclusion
/// (`Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Element<T> {
    pub(crate) negated: bool,
    pub(crate) items: Vec<T>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<Element<PrincipalId>>,
    /// Action patterns, lowercased: actions compare case-insensitively.
    pub(crate) action: Element<Vec<Token>>,
    /// `None` in trust policies, which name no resource.
    pub(crate) resource: Option<Element<Pattern>>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// The statement's `Sid`, if it has one.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The statement's `Effect`.
    pub fn effect(&self) -> Effect {
        self.effect
    }
}

const POLICY_FIELDS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Parses and validates `text` as a policy of `kind`.
pub(crate) fn parse(text: &str, kind: &PolicyKind) -> Result<Policy, Problem> {
    validate::size_and_characters(text, kind)?;
    let Some(Json::Object(members)) = Json::parse(text) else {
        return Err(Problem::Syntax);
    };
    let fields = Fields::new(&members, POLICY_FIELDS)?;
    let version = match fields.get("Version") {
        None => Version::V2008_10_17,
        Some(Json::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
        Some(Json::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
        Some(_) => return Err(Problem::InvalidVersion),
    };
    let id = match fields.get("Id") {
        None => None,
        Some(Json::String(id)) => Some(id.clone()),
        Some(_) => return Err(Problem::Syntax),
    };
    let statements = match fields.get("Statement") {
        None => return Err(Problem::MissingField("Statement")),
        Some(statement @ Json::Object(_)) => std::slice::from_ref(statement),
        Some(Json::Array(statements)) if statements.is_empty() => {
            return Err(Problem::EmptyStatement);
        }
        Some(Json::Array(statements)) => statements.as_slice(),
        Some(_) => return Err(Problem::Syntax),
    };
    let mut sids = HashSet::new();
    let statements = statements
        .iter()
        .map(|json| {
            let statement = statement(json, kind, version)?;
            match &statement.sid {
                Some(sid) if !sids.insert(sid.clone()) => Err(Problem::DuplicateSid(sid.clone())),
                _ => Ok(statement),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Policy {
        kind: kind.clone(),
        version,
        id,
        statements,
    })
}

/// The members of one JSON object, checked against the names it may use.
struct Fields<'a>(&'a [(String, Json)]);

impl<'a> Fields<'a> {
    fn new(members: &'a [(String, Json)], known: &[&str]) -> Result<Fields<'a>, Problem> {
        match members
            .iter()
            .find(|(name, _)| !known.contains(&name.as_str()))
        {
            Some((name, _)) => Err(Problem::UnknownField(name.clone())),
            None => Ok(Fields(members)),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }

    /// The element `name` or its negation `Not<name>`, not both.
    fn either(
        &self,
        name: &'static str,
        not_name: &'static str,
    ) -> Result<Option<(bool, &'a Json)>, Problem> {
        match (self.get(name), self.get(not_name)) {
            (Some(_), Some(_)) => Err(Problem::Conflicting(name)),
            (Some(value), None) => Ok(Some((false, value))),
            (None, Some(value)) => Ok(Some((true, value))),
            (None, None) => Ok(None),
        }
    }
}

fn statement(json: &Json, kind: &PolicyKind, version: Version) -> Result<Statement, Problem> {
    let Json::Object(members) = json else {
        return Err(Problem::Syntax);
    };
    let fields = Fields::new(members, STATEMENT_FIELDS)?;
    let variables = version == Version::V2012_10_17;
    let sid = match fields.get("Sid") {
        None => None,
        Some(Json::String(sid)) => Some(sid.clone()),
        Some(_) => return Err(Problem::Syntax),
    };
    let effect = match fields.get("Effect") {
        None => return Err(Problem::MissingField("Effect")),
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(Problem::InvalidEffect(
                other.as_scalar().unwrap_or_default(),
            ));
        }
    };

    let principal = match fields.either("Principal", "NotPrincipal")? {
        Some((negated, _)) if !kind.has_principals() => {
            return Err(Problem::ProhibitedField(if negated {
                "NotPrincipal"
            } else {
                "Principal"
            }));
        }
        None if kind.has_principals() => return Err(Problem::MissingField("Principal")),
        None => None,
        Some((negated, value)) => Some(Element {
            negated,
            items: principal::parse(value)?,
        }),
    };

    let Some((negated, value)) = fields.either("Action", "NotAction")? else {
        return Err(Problem::MissingField("Action"));
    };
    let actions = value.strings().ok_or(Problem::Syntax)?;
    for action in &actions {
        validate::action(action, kind)?;
    }
    let action_patterns = actions
        .iter()
        .map(|a| tokenize(&a.to_lowercase(), true).collect())
        .collect();
    let action = Element {
        negated,
        items: action_patterns,
    };

    let resource = match fields.either("Resource", "NotResource")? {
        Some((negated, _)) if !kind.has_resources() => {
            return Err(Problem::ProhibitedField(if negated {
                "NotResource"
            } else {
                "Resource"
            }));
        }
        None if kind.has_resources() => return Err(Problem::MissingField("Resource")),
        None => None,
        Some((negated, value)) => {
            let resources = value.strings().ok_or(Problem::Syntax)?;
            let items: Vec<_> = resources
                .iter()
                .map(|r| Pattern::new(r, variables))
                .collect();
            for resource in &items {
                validate::resource(resource, kind)?;
            }
            Some(Element { negated, items })
        }
    };

    if let (
        false,
        Some(Element {
            negated: false,
            items,
        }),
    ) = (action.negated, &resource)
    {
        validate::actions_apply(&actions, items, kind)?;
    }

    let conditions = match fields.get("Condition") {
        None => Vec::new(),
        Some(value) => conditions(value, variables)?,
    };
    let statement = Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    };
    validate::variables_allowed(&statement, kind, version)?;
    Ok(statement)
}

/// `{"Operator": {"key": value-or-values, ...}, ...}`.
fn conditions(value: &Json, variables: bool) -> Result<Vec<Condition>, Problem> {
    let Json::Object(operators) = value else {
        return Err(Problem::Syntax);
    };
    let mut conditions = Vec::new();
    for (name, keys) in operators {
        let operator =
            Operator::parse(name).ok_or_else(|| Problem::InvalidConditionType(name.clone()))?;
        let Json::Object(keys) = keys else {
            return Err(Problem::Syntax);
        };
        for (key, values) in keys {
            validate::condition_key(key)?;
            let values = match values {
                Json::Array(items) => items
                    .iter()
                    .map(Json::as_scalar)
                    .collect::<Option<Vec<_>>>(),
                scalar => scalar.as_scalar().map(|s| vec![s]),
            };
            let values = values.ok_or(Problem::Syntax)?;
            conditions.push(Condition::new(name, operator, key, &values, variables)?);
        }
    }
    Ok(conditions)
}
