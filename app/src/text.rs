//! Words that depend on the viewer: the language cookie, errors by their stable
//! code, counts, and times in the viewer's language and time zone.
//!
//! Times: the server cannot know the viewer's zone, so the HTML it renders shows
//! UTC; once the page runs in the browser (`hydrated`), the browser's `Intl`
//! formats them in the viewer's zone and language. Both renders of the first
//! pass agree, so hydration never sees a mismatch.

use leptos::prelude::*;

use crate::{
    i18n::{td_string, Locale},
    protocol::{notice::FormNotice, ErrorCode, ErrorReason, WireError},
};

/// The cookie the language switcher sets: the whole site, a year, never sent to
/// other sites.
pub fn language_cookie() -> leptos_i18n::context::CookieOptions<Locale> {
    leptos_i18n::context::CookieOptions::<Locale>::default()
        .path("/")
        .max_age(365_i64 * 24 * 3600 * 1000)
}

/// What a failed request tells the viewer, in their language, from the error's
/// stable `code` (and `reason`, `retryAfterMs`, `until`); never the server's
/// English `message`, except as the detail of an `invalid` it has no words for.
pub fn error_text(locale: Locale, e: &WireError, hydrated: bool) -> String {
    let secs = e.retry_after_ms.map_or(1, |ms| ms.div_ceil(1000).max(1));
    match (e.code, e.reason) {
        (_, Some(ErrorReason::Banned)) => td_string!(locale, err_banned).to_owned(),
        (_, Some(ErrorReason::TimedOut)) => {
            let time = e
                .until
                .as_deref()
                .map(|u| clock(u, locale, hydrated))
                .unwrap_or_default();
            td_string!(locale, err_timed_out, time).to_string()
        }
        (_, Some(ErrorReason::LinksModeratorsOnly)) => {
            td_string!(locale, err_links_moderators).to_owned()
        }
        (_, Some(ErrorReason::LinksNone)) => td_string!(locale, err_links_none).to_owned(),
        (_, Some(ErrorReason::AccountTooNew)) => {
            let mins = e.minutes.unwrap_or(0);
            td_string!(locale, err_account_too_new, mins).to_string()
        }
        (_, Some(ErrorReason::TooLong)) => {
            let max = crate::protocol::MessageContent::MAX_CHARS;
            td_string!(locale, err_too_long, max).to_string()
        }
        (_, Some(ErrorReason::Empty)) => td_string!(locale, err_empty).to_owned(),
        (_, Some(ErrorReason::MessageGone)) => td_string!(locale, err_message_gone).to_owned(),
        (ErrorCode::Unauthorized, _) => td_string!(locale, err_unauthorized).to_owned(),
        (ErrorCode::Invalid, _) => {
            let detail = e.message.as_str();
            td_string!(locale, err_invalid, detail).to_string()
        }
        (ErrorCode::NotFound, _) => td_string!(locale, err_not_found).to_owned(),
        (ErrorCode::Unavailable, _) => td_string!(locale, err_unavailable).to_owned(),
        (ErrorCode::Forbidden, _) => td_string!(locale, err_forbidden).to_owned(),
        (ErrorCode::SlowMode, _) => td_string!(locale, err_slow_mode, secs).to_string(),
        (ErrorCode::Blocked, _) => td_string!(locale, err_blocked).to_owned(),
        (ErrorCode::RateLimited, _) => td_string!(locale, err_rate_limited, secs).to_string(),
        (ErrorCode::Timeout, _) => td_string!(locale, err_timeout).to_owned(),
    }
}

/// The same, following the viewer's language as it changes.
pub fn error_signal(i18n: leptos_i18n::I18nContext<Locale>, e: WireError) -> impl Fn() -> String {
    let hydrated = hydrated();
    move || error_text(i18n.get_locale(), &e, hydrated.get())
}

/// False on the server and during hydration, true right after: what may differ
/// between the two (the viewer's time zone) waits for it.
pub fn hydrated() -> ReadSignal<bool> {
    let (get, set) = signal(false);
    Effect::new(move |_| set.set(true));
    get
}

/// A time as the browser's `Date`, with `Intl` options, in the viewer's zone
/// (None before hydration, on the server, or for a bad time).
#[cfg(feature = "hydrate")]
fn browser_date(
    rfc3339: &str,
    hydrated: bool,
    options: &[(&str, &str)],
) -> Option<(js_sys::Date, js_sys::Object)> {
    if !hydrated {
        return None;
    }
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return None;
    }
    let opts = js_sys::Object::new();
    for (k, v) in options {
        let _ = js_sys::Reflect::set(&opts, &(*k).into(), &(*v).into());
    }
    Some((d, opts))
}

/// A time of day ("14:05", "오후 2:05") in the viewer's zone and language once
/// in the browser; "14:05 UTC" before.
pub fn clock(rfc3339: &str, locale: Locale, hydrated: bool) -> String {
    #[cfg(feature = "hydrate")]
    if let Some((d, opts)) = browser_date(
        rfc3339,
        hydrated,
        &[("hour", "2-digit"), ("minute", "2-digit")],
    ) {
        use crate::i18n::I18nLocaleTrait as _;
        return d
            .to_locale_time_string_with_options(locale.as_str(), &opts)
            .into();
    }
    let _ = (locale, hydrated);
    rfc3339
        .get(11..16)
        .map(|hm| format!("{hm} UTC"))
        .unwrap_or_default()
}

/// A day and time ("Nov 28, 2026, 14:05") in the viewer's zone and language
/// once in the browser; "2026-11-28 14:05 UTC" before.
pub fn date_time(rfc3339: &str, locale: Locale, hydrated: bool) -> String {
    #[cfg(feature = "hydrate")]
    if let Some((d, opts)) = browser_date(
        rfc3339,
        hydrated,
        &[("dateStyle", "medium"), ("timeStyle", "short")],
    ) {
        use crate::i18n::I18nLocaleTrait as _;
        return d.to_locale_string(locale.as_str(), &opts).into();
    }
    let _ = (locale, hydrated);
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => String::new(),
    }
}

/// How long ago (or until) a time is, in the viewer's language ("5 minutes
/// ago", "5분 전") once in the browser; the absolute time before.
pub fn relative(rfc3339: &str, now_ms: f64, locale: Locale, hydrated: bool) -> String {
    #[cfg(feature = "hydrate")]
    if let (true, Some((d, opts))) = (
        now_ms > 0.0,
        browser_date(rfc3339, hydrated, &[("numeric", "auto")]),
    ) {
        use crate::i18n::I18nLocaleTrait as _;
        let secs = (d.get_time() - now_ms) / 1000.0;
        let (value, unit) = [(86_400.0, "day"), (3_600.0, "hour"), (60.0, "minute")]
            .into_iter()
            .find(|(size, _)| secs.abs() >= *size)
            .map_or((secs, "second"), |(size, unit)| (secs / size, unit));
        let locales = js_sys::Array::of1(&locale.as_str().into());
        let f = js_sys::Intl::RelativeTimeFormat::new(&locales, &opts);
        return f.format(value.trunc(), unit).into();
    }
    let _ = now_ms;
    date_time(rfc3339, locale, hydrated)
}

/// "1 new message" / "3 new messages": English has two forms, Korean one.
pub fn new_messages(locale: Locale, count: u64) -> String {
    if count == 1 {
        td_string!(locale, new_message_one).to_owned()
    } else {
        td_string!(locale, new_messages, count).to_string()
    }
}

/// The words for a form's `?error=` code.
pub fn notice_text(locale: Locale, n: FormNotice) -> &'static str {
    match n {
        FormNotice::WrongCredentials => td_string!(locale, notice_wrong_credentials),
        FormNotice::NicknameTaken => td_string!(locale, notice_nickname_taken),
        FormNotice::InvalidNickname => td_string!(locale, notice_invalid_nickname),
        FormNotice::InvalidPassword => td_string!(locale, notice_invalid_password),
        FormNotice::TooManyAttempts => td_string!(locale, notice_too_many_attempts),
        FormNotice::Busy => td_string!(locale, notice_busy),
        FormNotice::Unavailable => td_string!(locale, notice_unavailable),
        FormNotice::LoginRequired => td_string!(locale, notice_login_required),
        FormNotice::InvalidTitle => td_string!(locale, notice_invalid_title),
        FormNotice::InvalidVideoUrl => td_string!(locale, notice_invalid_video_url),
        FormNotice::TooManyLives => td_string!(locale, notice_too_many_lives),
        FormNotice::InvalidEmote => td_string!(locale, notice_invalid_emote),
        FormNotice::Invalid => td_string!(locale, notice_invalid),
    }
}

/// A fixed string in the viewer's language, as a type-erased signal: every
/// such text renders through one code path. (`t!` per call site instantiates
/// the renderer once per key: +100 KB of wasm for this app.)
pub fn tr(
    i18n: leptos_i18n::I18nContext<Locale>,
    key: fn(Locale) -> &'static str,
) -> Signal<&'static str> {
    Signal::derive(move || key(i18n.get_locale()))
}
