//! What a send's text becomes: a `/me` action or a plain line, cut into
//! fragments (mentions of accounts, http(s) links, the room's custom emotes).
//! Pure: names and codes are resolved through what the caller holds in memory.

use app::protocol::{rich::Fragment, EmoteCode, Invalid, MessageContent, Nickname};

/// Most distinct accounts one message may mention; later names stay text.
pub const MENTIONS_MAX: usize = 20;
/// Most links one message may carry; later URLs stay text.
pub const LINKS_MAX: usize = 10;

/// A send's text split into what it does and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// The text shown (without a leading `/me `).
    pub text: MessageContent,
    /// Sent as `/me ...`.
    pub action: bool,
}

impl Body {
    pub fn parse(content: MessageContent) -> Result<Self, Invalid> {
        let raw = content.as_str();
        let rest = raw
            .strip_prefix("/me")
            .filter(|r| r.is_empty() || r.starts_with(char::is_whitespace));
        match rest {
            Some(r) => Ok(Self {
                text: MessageContent::parse(r)
                    .map_err(|_| Invalid("write what you do after /me".into()))?,
                action: true,
            }),
            None => Ok(Self {
                text: content,
                action: false,
            }),
        }
    }
}

/// The message's pieces and the accounts it mentions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Composed {
    /// Empty when the whole text is plain.
    pub fragments: Vec<Fragment>,
    pub mentions: Vec<String>,
    pub has_links: bool,
}

/// Whether `text` holds an http(s) URL that would become a link.
pub fn has_links(text: &str) -> bool {
    Scanner::new(text).any(|t| matches!(t, Token::Link { .. }))
}

/// The `@names` in `text` that look like nicknames (resolved or not).
pub fn mention_names(text: &str) -> impl Iterator<Item = &str> {
    Scanner::new(text).filter_map(|t| match t {
        Token::Mention { name, .. } => Some(name),
        _ => None,
    })
}

/// Cuts `text` into fragments: `person` maps a nickname to an account id,
/// `emote` a code to a custom emote's id. Unknown names and codes stay text.
pub fn compose(
    text: &str,
    person: impl Fn(&str) -> Option<String>,
    emote: impl Fn(&str) -> Option<String>,
) -> Composed {
    let mut out = Composed::default();
    let mut plain = String::new();
    let mut links = 0;
    let mut rich = false;
    let push = |f: Fragment, plain: &mut String, out: &mut Composed| {
        if !plain.is_empty() {
            out.fragments.push(Fragment::Text {
                text: std::mem::take(plain),
            });
        }
        out.fragments.push(f);
    };
    for token in Scanner::new(text) {
        match token {
            Token::Text(t) => plain.push_str(t),
            Token::Link { text: t, url } if links < LINKS_MAX => {
                links += 1;
                rich = true;
                out.has_links = true;
                push(
                    Fragment::Link {
                        text: t.to_owned(),
                        url,
                    },
                    &mut plain,
                    &mut out,
                );
            }
            Token::Link { text: t, .. } => {
                out.has_links = true;
                plain.push_str(t);
            }
            Token::Mention { text: t, name } => {
                let known = person(name)
                    .filter(|id| out.mentions.contains(id) || out.mentions.len() < MENTIONS_MAX);
                match known {
                    Some(user_id) => {
                        rich = true;
                        if !out.mentions.contains(&user_id) {
                            out.mentions.push(user_id.clone());
                        }
                        push(
                            Fragment::Mention {
                                text: t.to_owned(),
                                user_id,
                            },
                            &mut plain,
                            &mut out,
                        );
                    }
                    None => plain.push_str(t),
                }
            }
            Token::Emote { text: t, code } => match emote(code) {
                Some(id) => {
                    rich = true;
                    push(
                        Fragment::Emote {
                            text: t.to_owned(),
                            code: code.to_owned(),
                            id,
                        },
                        &mut plain,
                        &mut out,
                    );
                }
                None => plain.push_str(t),
            },
        }
    }
    if rich {
        if !plain.is_empty() {
            out.fragments.push(Fragment::Text { text: plain });
        }
    } else {
        out.fragments.clear();
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Text(&'a str),
    Link { text: &'a str, url: String },
    Mention { text: &'a str, name: &'a str },
    Emote { text: &'a str, code: &'a str },
}

/// Splits text into tokens, left to right; every byte is in exactly one token.
struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    /// Whether a word may start at `at` (not glued to a letter or digit before it).
    fn word_starts(&self, at: usize) -> bool {
        self.text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '@'))
    }

    fn link(&self, at: usize) -> Option<(usize, String)> {
        let rest = &self.text[at..];
        let head = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
        if !(head.starts_with("http://") || head.starts_with("https://")) {
            return None;
        }
        let mut end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        // Punctuation that ends a sentence is not part of the address, nor is a
        // closing bracket the address did not open.
        while let Some(last) = rest[..end].chars().next_back() {
            let unbalanced_close = |open: char, close: char| {
                last == close
                    && rest[..end].matches(open).count() < rest[..end].matches(close).count()
            };
            if ".,;:!?'\"".contains(last)
                || unbalanced_close('(', ')')
                || unbalanced_close('[', ']')
                || last == '>'
            {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let candidate = &rest[..end];
        let url = url::Url::parse(candidate).ok()?;
        let host_ok = url.host_str().is_some_and(|h| !h.is_empty());
        let scheme_ok = matches!(url.scheme(), "http" | "https");
        (host_ok && scheme_ok && url.as_str().len() <= 2048).then(|| (end, url.into()))
    }

    fn mention(&self, at: usize) -> Option<(usize, &'a str)> {
        let rest = self.text[at..].strip_prefix('@')?;
        let len: usize = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .map(char::len_utf8)
            .sum();
        let name = &rest[..len];
        Nickname::parse(name).ok()?;
        Some((1 + len, name))
    }

    fn emote(&self, at: usize) -> Option<(usize, &'a str)> {
        let rest = self.text[at..].strip_prefix(':')?;
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let code = &rest[..len];
        (EmoteCode::parse(code).is_ok() && rest[len..].starts_with(':')).then_some((len + 2, code))
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let start = self.at;
        if start >= self.text.len() {
            return None;
        }
        let mut i = start;
        while i < self.text.len() {
            let special = {
                let word = self.word_starts(i);
                let found = match self.text.as_bytes()[i] {
                    b'h' | b'H' if word => self.link(i).map(|(n, url)| (n, Some(url), None)),
                    b'@' if word => self.mention(i).map(|(n, name)| (n, None, Some(name))),
                    b':' => self.emote(i).map(|(n, code)| (n, None, Some(code))),
                    _ => None,
                };
                found.map(|f| (self.text.as_bytes()[i], f))
            };
            if let Some((kind, (n, url, name))) = special {
                if i > start {
                    // The plain text before it first.
                    self.at = i;
                    return Some(Token::Text(&self.text[start..i]));
                }
                self.at = i + n;
                let text = &self.text[i..i + n];
                return Some(match (kind, url, name) {
                    (_, Some(url), _) => Token::Link { text, url },
                    (b'@', _, Some(name)) => Token::Mention { text, name },
                    (_, _, Some(code)) => Token::Emote { text, code },
                    _ => Token::Text(text),
                });
            }
            i += self.text[i..].chars().next().map_or(1, char::len_utf8);
        }
        self.at = self.text.len();
        Some(Token::Text(&self.text[start..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(name: &str) -> Option<String> {
        match name.to_lowercase().as_str() {
            "bob" => Some("u-bob".into()),
            "지민" => Some("u-jimin".into()),
            _ => None,
        }
    }

    fn emotes(code: &str) -> Option<String> {
        (code == "Kappa").then(|| "e1".into())
    }

    fn texts(c: &Composed) -> String {
        c.fragments.iter().map(Fragment::text).collect()
    }

    #[test]
    fn plain_text_has_no_fragments() {
        let c = compose("hello there: a@b.c, @nobody :nope:", people, emotes);
        assert_eq!(c, Composed::default());
    }

    #[test]
    fn known_mentions_resolve_and_unknown_stay_text() {
        let text = "hi @Bob and @지민, not @nobody or mail@bob";
        let c = compose(text, people, emotes);
        assert_eq!(c.mentions, vec!["u-bob", "u-jimin"]);
        assert_eq!(texts(&c), text);
        assert_eq!(
            c.fragments[1],
            Fragment::Mention {
                text: "@Bob".into(),
                user_id: "u-bob".into()
            }
        );
        // Mentioning someone twice lists them once.
        assert_eq!(compose("@bob @BOB", people, emotes).mentions, vec!["u-bob"]);
    }

    #[test]
    fn only_http_urls_become_links_without_trailing_punctuation() {
        let text = "see https://example.com/a_(b)?q=1. and (http://x.org/y), javascript:alert(1) data:x ftp://f.org";
        let c = compose(text, people, emotes);
        assert!(c.has_links);
        assert_eq!(texts(&c), text);
        let links: Vec<_> = c
            .fragments
            .iter()
            .filter_map(|f| match f {
                Fragment::Link { text, url } => Some((text.as_str(), url.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            links,
            vec![
                (
                    "https://example.com/a_(b)?q=1",
                    "https://example.com/a_(b)?q=1"
                ),
                ("http://x.org/y", "http://x.org/y"),
            ]
        );
        assert!(!has_links("javascript:alert(1) https:// http://"));
        assert!(has_links("HTTPS://EXAMPLE.COM"));
    }

    #[test]
    fn known_emote_codes_are_case_sensitive() {
        let c = compose(":Kappa::kappa: gg:Kappa:", people, emotes);
        let codes: Vec<_> = c
            .fragments
            .iter()
            .filter_map(|f| match f {
                Fragment::Emote { code, .. } => Some(code.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(codes, vec!["Kappa", "Kappa"]);
        assert_eq!(texts(&c), ":Kappa::kappa: gg:Kappa:");
    }

    #[test]
    fn me_actions() {
        let body = Body::parse(MessageContent::parse("/me waves").unwrap()).unwrap();
        assert!(body.action);
        assert_eq!(body.text.as_str(), "waves");
        assert!(Body::parse(MessageContent::parse("/me").unwrap()).is_err());
        let plain = Body::parse(MessageContent::parse("/meow").unwrap()).unwrap();
        assert!(!plain.action);
    }

    #[test]
    fn every_byte_is_kept_in_order() {
        for text in [
            "@",
            "::",
            ":Kappa",
            "http://",
            "https://a.b/c 안녕 @bob :Kappa: مرحبا e\u{301}",
            "@@bob",
        ] {
            let c = compose(text, people, emotes);
            if !c.fragments.is_empty() {
                assert_eq!(texts(&c), text);
            }
        }
    }
}
