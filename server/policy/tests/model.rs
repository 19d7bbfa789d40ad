//! The evaluator against a reference model written independently here:
//! random statements over a small alphabet, random requests.

mod common;

use common::*;
use horreo_policy::{Context, Decision, Policy, PolicyKind};
use proptest::prelude::*;

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
];
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:*",
    "s3:Get*",
    "*",
    "s3:?utObject",
    "S3:GETOBJECT",
    "s3:*Object",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/a",
    "arn:aws:s3:::b/a/x",
    "arn:aws:s3:::c/a",
    "arn:aws:s3:::bb",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/a",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::*",
    "*",
    "arn:aws:s3:::b/?",
    "arn:aws:s3:::?/a",
    "arn:aws:s3:::b*",
    "arn:aws:s3:::*/a/*",
];

#[derive(Debug, Clone)]
struct Model {
    allow: bool,
    not_action: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    resources: Vec<&'static str>,
}

/// Plain recursive wildcard matching: slow, obviously right on short strings.
fn glob(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some(('?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn model_applies(s: &Model, action: &str, resource: &str) -> bool {
    let action_hit = s
        .actions
        .iter()
        .any(|p| glob(&chars(&p.to_lowercase()), &chars(&action.to_lowercase())));
    let resource_hit = s
        .resources
        .iter()
        .any(|p| glob(&chars(p), &chars(resource)));
    action_hit != s.not_action && resource_hit != s.not_resource
}

fn model_decision(statements: &[Model], action: &str, resource: &str) -> Decision {
    let applicable: Vec<_> = statements
        .iter()
        .filter(|s| model_applies(s, action, resource))
        .collect();
    if applicable.iter().any(|s| !s.allow) {
        Decision::Deny
    } else if applicable.is_empty() {
        Decision::NotApplicable
    } else {
        Decision::Allow
    }
}

fn json(statements: &[Model]) -> String {
    let list = |items: &[&str]| {
        format!(
            "[{}]",
            items
                .iter()
                .map(|i| format!("\"{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let statements: Vec<String> = statements
        .iter()
        .map(|s| {
            format!(
                r#"{{"Effect":"{}","{}":{},"{}":{}}}"#,
                if s.allow { "Allow" } else { "Deny" },
                if s.not_action { "NotAction" } else { "Action" },
                list(&s.actions),
                if s.not_resource {
                    "NotResource"
                } else {
                    "Resource"
                },
                list(&s.resources),
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn statement() -> impl Strategy<Value = Model> {
    (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::sample::subsequence(ACTION_PATTERNS, 1..=3),
        prop::bool::weighted(0.2),
        prop::sample::subsequence(RESOURCE_PATTERNS, 1..=3),
    )
        .prop_map(
            |(allow, not_action, actions, not_resource, resources)| Model {
                allow,
                not_action,
                actions,
                not_resource,
                resources,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn evaluator_agrees_with_the_model(
        statements in prop::collection::vec(statement(), 1..5),
        action in prop::sample::select(ACTIONS),
        resource in prop::sample::select(RESOURCES),
    ) {
        let policy = Policy::parse(&json(&statements), PolicyKind::Managed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let alice = user(ALICE_ACCOUNT, "alice");
        let got = decide(&policy, action, resource, &alice, &Context::new());
        prop_assert_eq!(got, model_decision(&statements, action, resource));
    }

    /// Adding a statement never turns a Deny into anything else, and adding
    /// an Allow never turns an Allow into NotApplicable.
    #[test]
    fn deny_is_monotonic(
        statements in prop::collection::vec(statement(), 1..4),
        extra in statement(),
        action in prop::sample::select(ACTIONS),
        resource in prop::sample::select(RESOURCES),
    ) {
        let alice = user(ALICE_ACCOUNT, "alice");
        let before = decide(&Policy::parse(&json(&statements), PolicyKind::Managed).map_err(|e| TestCaseError::fail(e.to_string()))?, action, resource, &alice, &Context::new());
        let mut more = statements.clone();
        more.push(extra);
        let after = decide(&Policy::parse(&json(&more), PolicyKind::Managed).map_err(|e| TestCaseError::fail(e.to_string()))?, action, resource, &alice, &Context::new());
        if before == Decision::Deny {
            prop_assert_eq!(after, Decision::Deny);
        }
        if before == Decision::Allow {
            prop_assert_ne!(after, Decision::NotApplicable);
        }
    }
}
