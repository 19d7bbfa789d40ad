//! Wildcards (`*` any run of characters, `?` one character) and policy
//! variables (`${aws:username}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}`).
//!
//! Matching simulates the pattern as an automaton over the text, so it costs
//! O(pattern × text) whatever the pattern: no backtracking blow-up. The
//! common shapes (no wildcard; one trailing `*`) are compared directly,
//! without allocating.

use std::borrow::Cow;

use crate::context::Context;

/// One position of a resolved pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Char(char),
    /// `*`: any run of characters, including none.
    Any,
    /// `?`: exactly one character.
    One,
}

/// A pattern as written in a policy, variables not yet substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    source: String,
    pieces: Vec<Piece>,
    /// The tokens with wildcards, when the pattern has no variables: what
    /// [`Pattern::resolve`] would build on every evaluation.
    fixed: Option<Vec<Token>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text whose `*` and `?` are wildcards.
    Text(String),
    /// Text taken literally: a substituted `${*}`, `${?}` or `${$}`.
    Literal(char),
    /// `${key}` or `${key, 'default'}`.
    Variable {
        key: String,
        default: Option<String>,
    },
}

impl Pattern {
    /// Reads `source`; with `variables` false (policy version 2008-10-17),
    /// `${...}` is plain text.
    pub(crate) fn new(source: &str, variables: bool) -> Pattern {
        let pieces = if variables {
            split_variables(source)
        } else {
            vec![Piece::Text(source.to_owned())]
        };
        let fixed = pieces
            .iter()
            .all(|p| !matches!(p, Piece::Variable { .. }))
            .then(|| resolve_pieces(&pieces, &Context::new(), true))
            .flatten();
        Pattern {
            source: source.to_owned(),
            pieces,
            fixed,
        }
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern names a policy variable.
    pub(crate) fn has_variables(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Variable { .. }))
    }

    /// Whether the pattern, variables aside, holds a `*` or `?`.
    pub(crate) fn has_wildcards(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Text(t) if t.contains(['*', '?'])))
    }

    /// Substitutes variables from `context`; `None` when one has neither a
    /// single value nor a default, which makes the pattern match nothing.
    /// With `wildcards` false, `*` and `?` are literal characters.
    pub(crate) fn resolve(&self, context: &Context, wildcards: bool) -> Option<Vec<Token>> {
        resolve_pieces(&self.pieces, context, wildcards)
    }

    /// [`Pattern::resolve`] with wildcards, borrowed when there is nothing
    /// to substitute.
    pub(crate) fn resolve_wild(&self, context: &Context) -> Option<Cow<'_, [Token]>> {
        match &self.fixed {
            Some(tokens) => Some(Cow::Borrowed(tokens)),
            None => self.resolve(context, true).map(Cow::Owned),
        }
    }

    /// The pattern with every variable standing for "anything": what it could
    /// match under some context. Used to validate and classify resources.
    pub(crate) fn widest(&self) -> Vec<Token> {
        let mut tokens = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => tokens.extend(tokenize(text, true)),
                Piece::Literal(c) => tokens.push(Token::Char(*c)),
                Piece::Variable { .. } => tokens.push(Token::Any),
            }
        }
        tokens
    }
}

fn resolve_pieces(pieces: &[Piece], context: &Context, wildcards: bool) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => tokens.extend(tokenize(text, wildcards)),
            Piece::Literal(c) => tokens.push(Token::Char(*c)),
            Piece::Variable { key, default } => {
                let value = match context.get(key) {
                    Some([one]) => one.as_str(),
                    _ => default.as_deref()?,
                };
                tokens.extend(value.chars().map(Token::Char));
            }
        }
    }
    Some(tokens)
}

/// The tokens of `text`, its `*` and `?` wildcards when `wildcards`.
pub(crate) fn tokenize(text: &str, wildcards: bool) -> impl Iterator<Item = Token> + '_ {
    text.chars().map(move |c| match c {
        '*' if wildcards => Token::Any,
        '?' if wildcards => Token::One,
        c => Token::Char(c),
    })
}

/// Whether `pattern` matches all of `text`.
pub(crate) fn matches(pattern: &[Token], text: &str, ignore_case: bool) -> bool {
    match pattern.iter().position(|t| !matches!(t, Token::Char(_))) {
        None => literal_prefix(pattern, text, ignore_case) == Some(""),
        Some(last) if last + 1 == pattern.len() && pattern[last] == Token::Any => {
            literal_prefix(&pattern[..last], text, ignore_case).is_some()
        }
        _ => reachable(pattern, text, ignore_case)
            .last()
            .copied()
            .unwrap_or(false),
    }
}

/// What follows `literal` (wildcard-free tokens) at the start of `text`, if
/// `text` starts with it.
fn literal_prefix<'t>(literal: &[Token], text: &'t str, ignore_case: bool) -> Option<&'t str> {
    let mut chars = text.char_indices();
    for token in literal {
        let (_, c) = chars.next()?;
        match token {
            Token::Char(p) if same_char(*p, c, ignore_case) => {}
            _ => return None,
        }
    }
    Some(chars.as_str())
}

/// Whether `pattern` matches some text that begins with `prefix`.
pub(crate) fn matches_some_extension(pattern: &[Token], prefix: &str) -> bool {
    reachable(pattern, prefix, false).contains(&true)
}

/// The pattern positions the automaton can be in after reading `text`:
/// `states[i]` means the first `i` tokens matched the whole text.
fn reachable(pattern: &[Token], text: &str, ignore_case: bool) -> Vec<bool> {
    let mut states = vec![false; pattern.len() + 1];
    states[0] = true;
    close_over_stars(pattern, &mut states);
    let mut next = vec![false; pattern.len() + 1];
    for c in text.chars() {
        next.fill(false);
        for (i, token) in pattern.iter().enumerate() {
            if !states[i] {
                continue;
            }
            match token {
                Token::Any => next[i] = true,
                Token::One => next[i + 1] = true,
                Token::Char(p) if same_char(*p, c, ignore_case) => next[i + 1] = true,
                Token::Char(_) => {}
            }
        }
        close_over_stars(pattern, &mut next);
        std::mem::swap(&mut states, &mut next);
        if !states.contains(&true) {
            break;
        }
    }
    states
}

/// A `*` may match nothing: a state before it reaches the state after it.
fn close_over_stars(pattern: &[Token], states: &mut [bool]) {
    for (i, token) in pattern.iter().enumerate() {
        if states[i] && *token == Token::Any {
            states[i + 1] = true;
        }
    }
}

fn same_char(a: char, b: char, ignore_case: bool) -> bool {
    a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()))
}

/// Splits `${...}` variables out of `source`; an unclosed `${` is text.
fn split_variables(source: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_owned()));
        }
        pieces.push(variable(&rest[start + 2..start + len]));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    pieces
}

/// The piece for the inside of `${...}`.
fn variable(inside: &str) -> Piece {
    match inside {
        "*" => Piece::Literal('*'),
        "?" => Piece::Literal('?'),
        "$" => Piece::Literal('$'),
        _ => {
            let (key, default) = match inside.split_once(',') {
                Some((key, default)) => {
                    let default = default.trim();
                    let quoted = default
                        .strip_prefix('\'')
                        .and_then(|d| d.strip_suffix('\''));
                    (key, Some(quoted.unwrap_or(default).to_owned()))
                }
                None => (inside, None),
            };
            Piece::Variable {
                key: key.trim().to_owned(),
                default,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, text: &str) -> bool {
        matches(&tokenize(pattern, true).collect::<Vec<_>>(), text, false)
    }

    #[test]
    fn wildcards() {
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a*c", "ac"));
        assert!(!glob("a*c", "acb"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y"));
        assert!(glob(
            "*a*a*a*a*a*a*b",
            &"a".repeat(30).replace("aaa", "aab")
        ));
        assert!(!glob(&"*a".repeat(200), &"a".repeat(199)));
    }

    #[test]
    fn extension() {
        let p: Vec<_> = tokenize("arn:aws:s3:::bu*", true).collect();
        assert!(matches_some_extension(&p, "arn:aws:s3:::bucket/"));
        let p: Vec<_> = tokenize("arn:aws:s3:::other/*", true).collect();
        assert!(!matches_some_extension(&p, "arn:aws:s3:::bucket/"));
    }

    #[test]
    fn variables() {
        let mut context = Context::new();
        context.insert("aws:username", "jo*e");
        let p = Pattern::new("home/${aws:username}/${*}${?}${$}", true);
        let tokens = p.resolve(&context, true).expect("resolves");
        assert!(matches(&tokens, "home/jo*e/*?$", false));
        assert!(!matches(&tokens, "home/joXe/*?$", false));
        assert_eq!(
            Pattern::new("${aws:userid}", true).resolve(&context, true),
            None
        );
        let p = Pattern::new("${aws:userid, 'nobody'}", true);
        assert!(matches(
            &p.resolve(&context, true).expect("default"),
            "nobody",
            false
        ));
        let p = Pattern::new("${aws:username}", false);
        assert!(matches(
            &p.resolve(&context, true).expect("plain"),
            "${aws:username}",
            false
        ));
        assert_eq!(
            Pattern::new("${unclosed", true)
                .resolve(&context, true)
                .map(|t| t.len()),
            Some(10)
        );
    }
}
