//! One module per page.

mod auth;
mod chat_only;
mod directory;
mod live;
mod not_found;

pub use auth::{Login, Signup};
pub use chat_only::{EmbedChat, PopoutChat};
pub use directory::Directory;
pub use live::LivePage;
pub use not_found::NotFound;

/// The message for the URL's `?error=` code, when it is one this app chose. The
/// query string is anyone's to write, so its text is never shown.
pub(crate) fn use_form_notice() -> impl Fn() -> Option<&'static str> + Copy {
    use crate::protocol::notice::FormNotice;
    use leptos::prelude::Read;
    let query = leptos_router::hooks::use_query_map();
    let i18n = crate::i18n::use_i18n();
    move || {
        query
            .read()
            .get("error")
            .and_then(|code| FormNotice::parse(&code))
            .map(|n| crate::text::notice_text(i18n.get_locale(), n))
    }
}
