//! Validated domain values. Each `parse` is the only way to build one, so a value of
//! these types is valid by construction; the server and the browser share the rules.

use serde::Serialize;
use std::fmt;

/// Why a value was refused; the text is shown to users as is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Message text: trimmed, 1..=500 characters (Unicode scalar values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageContent(String);
string_newtype!(MessageContent);

impl MessageContent {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(invalid("message is empty"));
        }
        let n = trimmed.chars().count();
        if n > Self::MAX_CHARS {
            return Err(invalid(format!(
                "message is {n} characters; at most {} are allowed",
                Self::MAX_CHARS
            )));
        }
        // Control characters (other than newline/tab) are never meaningful in chat
        // and can corrupt terminals and logs.
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(invalid("message contains control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// A user's public name: 2..=20 characters of letters, digits, `_` and `-`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nickname(String);
string_newtype!(Nickname);

impl Nickname {
    pub const MIN_CHARS: usize = 2;
    pub const MAX_CHARS: usize = 20;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let n = s.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&n) {
            return Err(invalid(format!(
                "nickname must be {} to {} characters",
                Self::MIN_CHARS,
                Self::MAX_CHARS
            )));
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid(
                "nickname may contain only letters, digits, '_' and '-'",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The key uniqueness is checked on: "Alice" and "alice" are the same name.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A password as typed: 8..=128 characters. Never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        if !(8..=128).contains(&n) {
            return Err(invalid("password must be 8 to 128 characters"));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The sender's idempotency key for one message: 1..=64 of `[A-Za-z0-9_-]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientId(String);
string_newtype!(ClientId);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.len() > 64 {
            return Err(invalid("clientId must be 1 to 64 characters"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "clientId may contain only ASCII letters, digits, '-' and '_'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A live room's id: a MongoDB ObjectId in its 24-hex-digit form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LiveId(String);
string_newtype!(LiveId);

impl LiveId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() == 24 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(invalid("liveId must be a 24-hex-digit id"))
        }
    }
}

/// A live room's title: trimmed, 1..=100 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiveTitle(String);
string_newtype!(LiveTitle);

impl LiveTitle {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > Self::MAX_CHARS {
            return Err(invalid(format!(
                "title must be 1 to {} characters",
                Self::MAX_CHARS
            )));
        }
        if s.chars().any(char::is_control) {
            return Err(invalid("title contains control characters"));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A stream URL the page may put in a `<video src>`: absolute http(s) only, so no
/// `javascript:` or `data:` URL ever reaches the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VideoUrl(String);
string_newtype!(VideoUrl);

impl VideoUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let lower = s.to_ascii_lowercase();
        let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
        if !scheme_ok || s.len() > 2048 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                "videoUrl must be an http(s) URL of at most 2048 characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// An empty form field means "no video".
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Invalid> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => Self::parse(s).map(Some),
        }
    }
}

/// A custom emote's code, typed as `:code:`: 2..=32 ASCII letters, digits and
/// `_`, case-sensitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct EmoteCode(String);
string_newtype!(EmoteCode);

impl EmoteCode {
    pub const MIN_CHARS: usize = 2;
    pub const MAX_CHARS: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok_len = (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&raw.len());
        if ok_len && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            Ok(Self(raw.to_owned()))
        } else {
            Err(invalid(
                "an emote code is 2 to 32 ASCII letters, digits or '_'",
            ))
        }
    }
}

/// Which slice of a room's history to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryWindow {
    /// The newest messages.
    Latest,
    /// Messages with `seq < n`, the newest of them.
    Before(u64),
    /// Messages with `seq > n`, the oldest of them (catch-up after a reconnect).
    After(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryQuery {
    pub window: HistoryWindow,
    pub limit: u32,
}

impl HistoryQuery {
    pub fn parse(req: &super::GetChat) -> Result<Self, Invalid> {
        let limit = req.limit.unwrap_or(super::HISTORY_DEFAULT);
        if !(1..=super::HISTORY_MAX).contains(&limit) {
            return Err(invalid(format!(
                "limit must be 1 to {}",
                super::HISTORY_MAX
            )));
        }
        let window = match (req.before, req.after) {
            (Some(_), Some(_)) => return Err(invalid("give either before or after, not both")),
            (Some(b), None) => HistoryWindow::Before(b),
            (None, Some(a)) => HistoryWindow::After(a),
            (None, None) => HistoryWindow::Latest,
        };
        Ok(Self { window, limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(MessageContent::parse("  hi \n").unwrap().as_str(), "hi");
        assert!(MessageContent::parse("   ").is_err());
        assert!(MessageContent::parse("").is_err());
        assert!(MessageContent::parse(&"a".repeat(500)).is_ok());
        assert!(MessageContent::parse(&"a".repeat(501)).is_err());
        // Characters, not bytes: 500 multi-byte characters are fine.
        assert!(MessageContent::parse(&"é".repeat(500)).is_ok());
        assert!(MessageContent::parse("a\u{0}b").is_err());
        assert!(MessageContent::parse("line1\nline2").is_ok());
    }

    #[test]
    fn nickname_rules() {
        assert!(Nickname::parse("al").is_ok());
        assert!(Nickname::parse("a").is_err());
        assert!(Nickname::parse(&"a".repeat(21)).is_err());
        assert!(Nickname::parse("bad name").is_err());
        assert!(Nickname::parse("<script>").is_err());
        assert_eq!(Nickname::parse("Alice").unwrap().key(), "alice");
    }

    #[test]
    fn client_id_rules() {
        assert!(ClientId::parse("abc-123_x").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse(&"a".repeat(65)).is_err());
        assert!(ClientId::parse("a b").is_err());
    }

    #[test]
    fn emote_code_rules() {
        assert!(EmoteCode::parse("Kappa_2").is_ok());
        assert!(EmoteCode::parse("k").is_err());
        assert!(EmoteCode::parse(&"k".repeat(33)).is_err());
        assert!(EmoteCode::parse("ka ppa").is_err());
        assert!(EmoteCode::parse("카파").is_err());
    }

    #[test]
    fn live_id_rules() {
        assert!(LiveId::parse("65a1b2c3d4e5f60718293a4b").is_ok());
        assert!(LiveId::parse("65a1b2c3d4e5f60718293a4").is_err());
        assert!(LiveId::parse("zza1b2c3d4e5f60718293a4b").is_err());
    }

    #[test]
    fn video_url_rules() {
        assert!(VideoUrl::parse("https://cdn.example/live.m3u8").is_ok());
        assert!(VideoUrl::parse("javascript:alert(1)").is_err());
        assert!(VideoUrl::parse("data:text/html,x").is_err());
        assert!(VideoUrl::parse("https://a b").is_err());
        assert_eq!(VideoUrl::parse_optional(Some("  ")).unwrap(), None);
    }

    #[test]
    fn history_query_rules() {
        use super::super::GetChat;
        let q = |before, after, limit| GetChat {
            live_id: String::new(),
            before,
            after,
            limit,
        };
        assert_eq!(
            HistoryQuery::parse(&q(None, None, None)).unwrap(),
            HistoryQuery {
                window: HistoryWindow::Latest,
                limit: 50
            }
        );
        assert_eq!(
            HistoryQuery::parse(&q(Some(9), None, Some(10)))
                .unwrap()
                .window,
            HistoryWindow::Before(9)
        );
        assert!(HistoryQuery::parse(&q(Some(1), Some(2), None)).is_err());
        assert!(HistoryQuery::parse(&q(None, None, Some(0))).is_err());
        assert!(HistoryQuery::parse(&q(None, None, Some(101))).is_err());
    }
}
