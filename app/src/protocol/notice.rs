//! What a browser form is told after a failed post: the server redirects with
//! `?error=<code>` and the page shows the message it keeps for that code. Only
//! messages chosen here are ever shown; an unknown code shows nothing.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormNotice {
    WrongCredentials,
    NicknameTaken,
    InvalidNickname,
    InvalidPassword,
    TooManyAttempts,
    Busy,
    Unavailable,
    LoginRequired,
    InvalidTitle,
    InvalidVideoUrl,
    TooManyLives,
    InvalidEmote,
    Invalid,
}

const ALL: [FormNotice; 13] = [
    FormNotice::WrongCredentials,
    FormNotice::NicknameTaken,
    FormNotice::InvalidNickname,
    FormNotice::InvalidPassword,
    FormNotice::TooManyAttempts,
    FormNotice::Busy,
    FormNotice::Unavailable,
    FormNotice::LoginRequired,
    FormNotice::InvalidTitle,
    FormNotice::InvalidVideoUrl,
    FormNotice::TooManyLives,
    FormNotice::InvalidEmote,
    FormNotice::Invalid,
];

impl FormNotice {
    pub fn code(self) -> &'static str {
        match self {
            FormNotice::WrongCredentials => "wrong_credentials",
            FormNotice::NicknameTaken => "nickname_taken",
            FormNotice::InvalidNickname => "invalid_nickname",
            FormNotice::InvalidPassword => "invalid_password",
            FormNotice::TooManyAttempts => "too_many_attempts",
            FormNotice::Busy => "busy",
            FormNotice::Unavailable => "unavailable",
            FormNotice::LoginRequired => "login_required",
            FormNotice::InvalidTitle => "invalid_title",
            FormNotice::InvalidVideoUrl => "invalid_video_url",
            FormNotice::TooManyLives => "too_many_lives",
            FormNotice::InvalidEmote => "invalid_emote",
            FormNotice::Invalid => "invalid",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        ALL.into_iter().find(|n| n.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_show_nothing() {
        for n in ALL {
            assert_eq!(FormNotice::parse(n.code()), Some(n));
        }
        assert_eq!(FormNotice::parse("<script>alert(1)</script>"), None);
        assert_eq!(
            FormNotice::parse("Your account is suspended, call +1 555"),
            None
        );
    }
}
