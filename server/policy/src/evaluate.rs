//! What one policy says about one request.

use crate::Policy;
use crate::context::Request;
use crate::document::{Effect, Element, Statement};
use crate::matching;
use crate::principal::{self, PrincipalMatch};

/// The answer of one policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A statement allows and none denies.
    Allow,
    /// A statement denies: this wins over every allow.
    Deny,
    /// No statement applies.
    NotApplicable,
}

/// A policy's decision, with the statement that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Evaluation {
    /// Allow, Deny or NotApplicable.
    pub decision: Decision,
    /// The index of the deciding statement in [`Policy::statements`].
    pub statement: Option<usize>,
    /// For an allow by a policy with principals (bucket or trust policy), how
    /// its `Principal` named the requester; of several allowing statements,
    /// the strongest match.
    pub principal: Option<PrincipalMatch>,
}

impl Policy {
    /// Evaluates the policy alone: an applicable Deny statement decides,
    /// otherwise an applicable Allow, otherwise NotApplicable.
    pub fn evaluate(&self, request: &Request<'_>) -> Evaluation {
        let mut allow: Option<(usize, Option<PrincipalMatch>)> = None;
        for (index, statement) in self.statements.iter().enumerate() {
            let Some(principal) = statement.applies(request) else {
                continue;
            };
            match statement.effect {
                Effect::Deny => {
                    return Evaluation {
                        decision: Decision::Deny,
                        statement: Some(index),
                        principal,
                    };
                }
                Effect::Allow if allow.is_none_or(|(_, best)| principal < best) => {
                    allow = Some((index, principal))
                }
                Effect::Allow => {}
            }
        }
        match allow {
            Some((index, principal)) => Evaluation {
                decision: Decision::Allow,
                statement: Some(index),
                principal,
            },
            None => Evaluation {
                decision: Decision::NotApplicable,
                statement: None,
                principal: None,
            },
        }
    }
}

impl Statement {
    /// `Some` when the statement applies to the request, with how its
    /// principal element matched (`None` inside when it has none).
    fn applies(&self, request: &Request<'_>) -> Option<Option<PrincipalMatch>> {
        let principal = match &self.principal {
            Some(element) => Some(principal::element_matches(
                &element.items,
                element.negated,
                request.principal,
            )?),
            None => None,
        };
        let action = self
            .action
            .items
            .iter()
            .any(|p| matching::matches(p, request.action, true));
        let resource = self
            .resource
            .as_ref()
            .is_none_or(|element| resource_matches(element, request));
        let conditions = || self.conditions.iter().all(|c| c.holds(request.context));
        (action != self.action.negated && resource && conditions()).then_some(principal)
    }
}

/// `Resource`: some entry matches. `NotResource`: no entry matches, and every
/// entry could be resolved (an unresolvable variable matches nothing, so it
/// must not widen the exclusion into "everything").
fn resource_matches(element: &Element<matching::Pattern>, request: &Request<'_>) -> bool {
    let mut resolved = element
        .items
        .iter()
        .map(|p| p.resolve_wild(request.context));
    if element.negated {
        resolved
            .all(|tokens| tokens.is_some_and(|t| !matching::matches(&t, request.resource, false)))
    } else {
        resolved
            .any(|tokens| tokens.is_some_and(|t| matching::matches(&t, request.resource, false)))
    }
}
