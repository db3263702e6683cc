//! `@` completion in the message box: the name being typed before the caret and
//! the room's recent chatters it could be. Pure, so it is tested natively.

use crate::protocol::ChatMessage;

/// Most names offered at once.
pub const OFFERED: usize = 8;

/// The `@prefix` being typed where `before_caret` ends: its byte offset (of the
/// `@`) and the prefix (possibly empty).
pub fn typing_mention(before_caret: &str) -> Option<(usize, &str)> {
    let at = before_caret.rfind('@')?;
    let prefix = &before_caret[at + 1..];
    let starts_word = before_caret[..at]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || "([{\"'".contains(c));
    let name_like = prefix
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    (starts_word && name_like && prefix.chars().count() <= 20).then_some((at, prefix))
}

/// Recent chatters (newest first, each once, never `me`) whose names start
/// with `prefix`, ignoring ASCII case. (Full Unicode case folding would pull
/// its tables into the browser's wasm; the server resolves names with it.)
pub fn candidates(messages: &[ChatMessage], me: Option<&str>, prefix: &str) -> Vec<String> {
    let prefix = prefix.to_ascii_lowercase();
    let mut out: Vec<String> = Vec::new();
    for m in messages.iter().rev() {
        if me == Some(m.user_id.as_str()) || out.iter().any(|n| n == &m.nickname) {
            continue;
        }
        if m.nickname.to_ascii_lowercase().starts_with(&prefix) {
            out.push(m.nickname.clone());
            if out.len() == OFFERED {
                break;
            }
        }
    }
    out
}

/// The text with the `@prefix` at `at` (ending at `caret`) replaced by
/// `@nickname `, and where the caret goes after it.
pub fn complete(text: &str, at: usize, caret: usize, nickname: &str) -> (String, usize) {
    let inserted = format!("@{nickname} ");
    let out = format!("{}{}{}", &text[..at], inserted, &text[caret..]);
    (out, at + inserted.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(user: &str, nick: &str) -> ChatMessage {
        ChatMessage {
            id: String::new(),
            live_id: String::new(),
            seq: 0,
            user_id: user.into(),
            nickname: nick.into(),
            content: String::new(),
            created_at: String::new(),
            client_id: String::new(),
            badge: None,
            fragments: vec![],
            reply_to: None,
            mentions: vec![],
            action: false,
        }
    }

    #[test]
    fn finds_the_mention_being_typed() {
        assert_eq!(typing_mention("hi @al"), Some((3, "al")));
        assert_eq!(typing_mention("@"), Some((0, "")));
        assert_eq!(typing_mention("(@지민"), Some((1, "지민")));
        assert_eq!(typing_mention("mail@bob"), None);
        assert_eq!(typing_mention("hi @al ice"), None);
        assert_eq!(typing_mention("no at"), None);
    }

    #[test]
    fn offers_recent_chatters_once_newest_first_without_me() {
        let log = vec![
            msg("1", "Alice"),
            msg("2", "alfred"),
            msg("3", "Bob"),
            msg("1", "Alice"),
            msg("9", "Al_me"),
        ];
        assert_eq!(candidates(&log, Some("9"), "AL"), vec!["Alice", "alfred"]);
        assert_eq!(candidates(&log, None, "").len(), 4);
    }

    #[test]
    fn completion_replaces_the_prefix() {
        let (text, caret) = complete("hey @al how", 4, 7, "Alice");
        assert_eq!(text, "hey @Alice  how");
        assert_eq!(caret, 11);
    }
}
