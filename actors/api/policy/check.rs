//! oslo.policy's check language, parsed once and evaluated per request: `@` (anyone), `!`
//! (nobody), `role:<name>`, `rule:<name>`, generic `<credential>:<value>` where the value is
//! a literal, a quoted literal or `%(<target key>)s` (`project_id:%(project_id)s`,
//! `is_admin:True`), combined with `not`, `and`, `or` and parentheses (that precedence, as
//! oslo's parser). An empty check string allows anyone, as in oslo.

use std::collections::HashMap;

/// A parsed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `@` or an empty string.
    Always,
    /// `!`.
    Never,
    /// `role:<name>` (lowercased; roles compare case-insensitively).
    Role(String),
    /// `rule:<name>`.
    Rule(String),
    /// `<credential>:<match>`.
    Generic {
        /// The credential's key (`project_id`, `user_id`, `is_admin`, …).
        key: String,
        /// What it must equal.
        value: Match,
    },
    /// `not <check>`.
    Not(Box<Check>),
    /// `<check> and <check> …`.
    And(Vec<Check>),
    /// `<check> or <check> …`.
    Or(Vec<Check>),
}

/// The right side of a generic check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// A literal (`True`, `'admin'`).
    Literal(String),
    /// `%(<key>)s`: the target's value of that key.
    Target(String),
}

/// Who is asking.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Lowercased role names.
    pub roles: Vec<String>,
    /// `user_id`, `project_id`, `is_admin` (`True`/`False`), … as strings.
    pub values: HashMap<&'static str, String>,
}

/// A rule set's lookup of `rule:<name>`.
pub trait Rules {
    /// The check of rule `name`, if there is one.
    fn rule(&self, name: &str) -> Option<&Check>;
}

impl Check {
    /// Parses `text`; errors name the first token that does not fit.
    pub fn parse(text: &str) -> Result<Check, String> {
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return Ok(Check::Always);
        }
        let mut parser = Parser { tokens, at: 0 };
        let check = parser.or()?;
        match parser.tokens.get(parser.at) {
            None => Ok(check),
            Some(token) => Err(format!("unexpected {token:?} in {text:?}")),
        }
    }

    /// Whether `creds` pass this check against `target`. A `rule:` that does not exist fails,
    /// as in oslo; rule cycles are cut at a depth of 32.
    pub fn allows(
        &self,
        creds: &Credentials,
        target: &HashMap<&str, String>,
        rules: &dyn Rules,
    ) -> bool {
        self.eval(creds, target, rules, 0)
    }

    fn eval(
        &self,
        creds: &Credentials,
        target: &HashMap<&str, String>,
        rules: &dyn Rules,
        depth: u8,
    ) -> bool {
        match self {
            Check::Always => true,
            Check::Never => false,
            Check::Role(role) => creds.roles.iter().any(|r| r == role),
            Check::Rule(name) => {
                depth < 32
                    && rules
                        .rule(name)
                        .is_some_and(|rule| rule.eval(creds, target, rules, depth + 1))
            }
            Check::Generic { key, value } => {
                let wanted = match value {
                    Match::Literal(literal) => Some(literal.as_str()),
                    Match::Target(name) => target.get(name.as_str()).map(String::as_str),
                };
                match (wanted, creds.values.get(key.as_str())) {
                    (Some(wanted), Some(have)) => wanted == have,
                    _ => false,
                }
            }
            Check::Not(inner) => !inner.eval(creds, target, rules, depth),
            Check::And(all) => all.iter().all(|c| c.eval(creds, target, rules, depth)),
            Check::Or(any) => any.iter().any(|c| c.eval(creds, target, rules, depth)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Atom(String),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for word in text.split_whitespace() {
        // Parentheses may cling to a word: "(role:a" or "b)".
        let opens = word.len() - word.trim_start_matches('(').len();
        let rest = word.trim_start_matches('(');
        let core = rest.trim_end_matches(')');
        let closes = rest.len() - core.len();
        tokens.extend(std::iter::repeat_n(Token::Open, opens));
        if !core.is_empty() {
            tokens.push(match core {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                _ => Token::Atom(core.to_owned()),
            });
        }
        tokens.extend(std::iter::repeat_n(Token::Close, closes));
    }
    tokens
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Check, String> {
        let mut any = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Check::Or(any)
        })
    }

    fn and(&mut self) -> Result<Check, String> {
        let mut all = vec![self.not()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Check::And(all)
        })
    }

    fn not(&mut self) -> Result<Check, String> {
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            return Ok(Check::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Check, String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err("a '(' is not closed".to_owned()),
                }
            }
            Some(Token::Atom(atom)) => atom_check(&atom),
            Some(other) => Err(format!("unexpected {other:?}")),
            None => Err("the check ends too early".to_owned()),
        }
    }
}

fn atom_check(atom: &str) -> Result<Check, String> {
    match atom {
        "@" => return Ok(Check::Always),
        "!" => return Ok(Check::Never),
        _ => {}
    }
    let Some((kind, value)) = atom.split_once(':') else {
        return Err(format!("{atom:?} is not a check (kind:value, @ or !)"));
    };
    Ok(match kind {
        "role" => Check::Role(value.to_lowercase()),
        "rule" => Check::Rule(value.to_owned()),
        _ => Check::Generic {
            key: kind.to_owned(),
            value: match value.strip_prefix("%(").and_then(|v| v.strip_suffix(")s")) {
                Some(target) => Match::Target(target.to_owned()),
                None => Match::Literal(value.trim_matches(|c| c == '\'' || c == '"').to_owned()),
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoRules;
    impl Rules for NoRules {
        fn rule(&self, _: &str) -> Option<&Check> {
            None
        }
    }

    fn creds(roles: &[&str], project: &str) -> Credentials {
        Credentials {
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            values: HashMap::from([
                ("project_id", project.to_owned()),
                ("is_admin", "False".to_owned()),
            ]),
        }
    }

    #[test]
    fn nova_defaults_parse_and_decide() {
        let member = Check::parse("role:member and project_id:%(project_id)s").expect("parses");
        let own = HashMap::from([("project_id", "p1".to_owned())]);
        let other = HashMap::from([("project_id", "p2".to_owned())]);
        assert!(member.allows(&creds(&["member", "reader"], "p1"), &own, &NoRules));
        assert!(!member.allows(&creds(&["member"], "p1"), &other, &NoRules));
        assert!(!member.allows(&creds(&["reader"], "p1"), &own, &NoRules));
        assert!(!member.allows(&creds(&["member"], "p1"), &HashMap::new(), &NoRules));
        let nested = Check::parse("(role:Admin or (role:reader and not is_admin:True)) and @")
            .expect("parses");
        assert!(nested.allows(&creds(&["admin"], "x"), &own, &NoRules));
        assert!(nested.allows(&creds(&["reader"], "x"), &own, &NoRules));
        assert!(!nested.allows(&creds(&["member"], "x"), &own, &NoRules));
        assert_eq!(Check::parse("").expect("empty"), Check::Always);
        assert!(!Check::parse("!").expect("nobody").allows(
            &creds(&["admin"], "p"),
            &own,
            &NoRules
        ));
        assert!(!Check::parse("rule:missing").expect("parses").allows(
            &creds(&["admin"], "p"),
            &own,
            &NoRules
        ));
        assert!(Check::parse("project_id:'p1'").expect("quoted").allows(
            &creds(&[], "p1"),
            &own,
            &NoRules
        ));
    }

    #[test]
    fn malformed_checks_are_refused_with_the_reason() {
        for bad in [
            "role:a and",
            "(role:a",
            "role:a)",
            "justaword",
            "and role:a",
            "role:a or or role:b",
        ] {
            assert!(Check::parse(bad).is_err(), "{bad}");
        }
    }
}
