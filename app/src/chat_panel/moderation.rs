//! The moderation panel: moderators, bans, room modes and blocked terms; the audit
//! log for the streamer. Shown to moderators only; the server enforces it all.

use crate::text::tr;
use leptos::prelude::*;

use super::Chat;
use crate::protocol::{
    moderation::{
        events, AuditEntry, AuditLog, LinkPolicy, ModerationDone, ModerationState, RoomRef,
        RoomRole, SetModerator, UnbanUser, UpdateRoomSettings,
    },
    WireError,
};
use crate::{
    i18n::{t_string, td_string, use_i18n},
    text,
};

const SLOW_MODES: [u32; 6] = [0, 3, 10, 30, 60, 120];

#[component]
pub(super) fn ModerationPanel(chat: Chat) -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = text::hydrated();
    let state = RwSignal::new(None::<ModerationState>);
    let error = RwSignal::new(None::<WireError>);
    let audit = RwSignal::new(None::<Vec<AuditEntry>>);
    let new_mod = RwSignal::new(String::new());
    let terms = RwSignal::new(String::new());
    let min_age = RwSignal::new(String::new());
    let live_id = move || chat.live_id.get_value();

    let refresh = move || {
        chat.emit(
            events::GET_MODERATION,
            &RoomRef { live_id: live_id() },
            move |r: Result<ModerationState, WireError>| match r {
                Ok(s) => {
                    terms.set(s.settings.blocked_terms.join("\n"));
                    min_age.set(s.settings.min_account_age_mins.to_string());
                    state.set(Some(s));
                }
                Err(e) => error.set(Some(e)),
            },
        );
    };
    // After every change the panel reloads what the server now holds.
    let act = move |event: &'static str, data: serde_json::Value| {
        error.set(None);
        chat.emit(
            event,
            &data,
            move |r: Result<ModerationDone, WireError>| match r {
                Ok(_) => refresh(),
                Err(e) => error.set(Some(e)),
            },
        );
    };
    let update = move |u: UpdateRoomSettings| {
        act(
            events::UPDATE_ROOM_SETTINGS,
            serde_json::to_value(UpdateRoomSettings {
                live_id: live_id(),
                ..u
            })
            .unwrap_or_default(),
        )
    };
    Effect::new(move |_| refresh());
    let is_streamer = move || chat.role.get() >= RoomRole::Streamer;

    view! {
        <section class="moderation" data-testid="moderation-panel">
            <div role="status">
                {move || error.get().map(|e| view! { <p class="error">{text::error_signal(i18n, e)}</p> })}
            </div>
            <label>
                {tr(i18n, |l| td_string!(l, mod_slow_mode))}" "
                <select data-testid="slow-mode-select" on:change=move |ev| {
                    if let Ok(secs) = event_target_value(&ev).parse::<u32>() {
                        update(UpdateRoomSettings { slow_mode_secs: Some(secs), ..Default::default() });
                    }
                }>
                    {SLOW_MODES.into_iter().map(|s| view! {
                        <option value=s.to_string() selected=move || chat.settings.with(|x| x.slow_mode_secs == s)>
                            {move || if s == 0 { t_string!(i18n, off).to_owned() } else { t_string!(i18n, secs, secs = s).to_string() }}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            <form class="row" on:submit=move |ev| {
                ev.prevent_default();
                let mins = min_age.get_untracked().trim().parse::<u32>().unwrap_or(0);
                update(UpdateRoomSettings { min_account_age_mins: Some(mins), ..Default::default() });
            }>
                <label>
                    {tr(i18n, |l| td_string!(l, mod_min_age))}" "
                    <input type="number" min="0" class="narrow" prop:value=move || min_age.get()
                        on:input=move |ev| min_age.set(event_target_value(&ev))/>
                </label>
                <button type="submit">{tr(i18n, |l| td_string!(l, mod_set))}</button>
            </form>
            <form on:submit=move |ev| {
                ev.prevent_default();
                let list = terms.get_untracked().lines().map(str::to_owned).collect();
                update(UpdateRoomSettings { blocked_terms: Some(list), ..Default::default() });
            }>
                <label class="stack">
                    {tr(i18n, |l| td_string!(l, mod_blocked_terms))}
                    <textarea rows="3" data-testid="blocked-terms" prop:value=move || terms.get()
                        on:input=move |ev| terms.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit">{tr(i18n, |l| td_string!(l, mod_save_terms))}</button>
            </form>
            <label>
                {tr(i18n, |l| td_string!(l, mod_links))}" "
                <select data-testid="links-select" on:change=move |ev| {
                    let links = match event_target_value(&ev).as_str() {
                        "moderators" => LinkPolicy::Moderators,
                        "none" => LinkPolicy::None,
                        _ => LinkPolicy::All,
                    };
                    update(UpdateRoomSettings { links: Some(links), ..Default::default() });
                }>
                    {[LinkPolicy::All, LinkPolicy::Moderators, LinkPolicy::None]
                        .into_iter().map(|p| view! {
                            <option value=p.as_str() selected=move || chat.settings.with(|x| x.links == p)>{move || match p {
                                LinkPolicy::All => tr(i18n, |l| td_string!(l, links_all)).into_any(),
                                LinkPolicy::Moderators => tr(i18n, |l| td_string!(l, links_moderators)).into_any(),
                                LinkPolicy::None => tr(i18n, |l| td_string!(l, links_none)).into_any(),
                            }}</option>
                        }).collect_view()}
                </select>
            </label>
            <h3>{tr(i18n, |l| td_string!(l, mod_moderators))}</h3>
            <ul class="plain">
                {move || state.get().map(|s| s.moderators.into_iter().map(|m| {
                    let nick = m.nickname.clone();
                    view! {
                        <li>
                            {m.nickname.clone()}
                            <Show when=is_streamer>
                                <button type="button" class="link" on:click={
                                    let nick = nick.clone();
                                    move |_| act(events::REMOVE_MODERATOR, serde_json::to_value(SetModerator { live_id: live_id(), nickname: nick.clone() }).unwrap_or_default())
                                }>{tr(i18n, |l| td_string!(l, remove))}</button>
                            </Show>
                        </li>
                    }
                }).collect_view())}
            </ul>
            <Show when=is_streamer>
                <form class="row" on:submit=move |ev| {
                    ev.prevent_default();
                    let nickname = new_mod.get_untracked();
                    new_mod.set(String::new());
                    act(events::ADD_MODERATOR, serde_json::to_value(SetModerator { live_id: live_id(), nickname }).unwrap_or_default());
                }>
                    <input placeholder=tr(i18n, |l| td_string!(l, nickname)) aria-label=tr(i18n, |l| td_string!(l, nickname)) data-testid="add-moderator" prop:value=move || new_mod.get()
                        on:input=move |ev| new_mod.set(event_target_value(&ev))/>
                    <button type="submit">{tr(i18n, |l| td_string!(l, mod_add_moderator))}</button>
                </form>
            </Show>
            <Show when=is_streamer>
                <h3>{tr(i18n, |l| td_string!(l, mod_emotes))}</h3>
                <ul class="plain emotes" data-testid="room-emotes">
                    {move || chat.emotes.get().into_iter().map(|e| view! {
                        <li>
                            <img src=e.url() alt="" width="28" height="28"/>
                            {format!(" :{}: ", e.code)}
                            <form method="post" class="inline" action=format!("/api/lives/{}/emotes/{}/delete", live_id(), e.code)>
                                <button type="submit" class="link">{tr(i18n, |l| td_string!(l, remove))}</button>
                            </form>
                        </li>
                    }).collect_view()}
                </ul>
                // A plain form: the browser sends the file and comes back here.
                <form class="stack" method="post" enctype="multipart/form-data"
                    action=move || format!("/api/lives/{}/emotes", live_id()) data-testid="emote-upload">
                    <label>{tr(i18n, |l| td_string!(l, mod_emote_code))}" " <input name="code" required minlength="2" maxlength="32" pattern="[A-Za-z0-9_]{2,32}"
                        data-testid="emote-code"/></label>
                    <label>{tr(i18n, |l| td_string!(l, mod_emote_image))}" "
                        <input type="file" name="image" required accept="image/png,image/webp,image/gif" data-testid="emote-file"/></label>
                    <button type="submit">{tr(i18n, |l| td_string!(l, mod_add_emote))}</button>
                </form>
            </Show>
            <h3>{tr(i18n, |l| td_string!(l, mod_bans))}</h3>
            <ul class="plain" data-testid="bans">
                {move || state.get().map(|s| s.bans.into_iter().map(|b| {
                    let user_id = b.user_id.clone();
                    view! {
                        <li>
                            {b.nickname.clone()}
                            {b.until.clone().map(|u| move || format!(" {}", t_string!(i18n, until_time, time = text::date_time(&u, i18n.get_locale(), hydrated.get()))))}
                            <button type="button" class="link" on:click=move |_| act(events::UNBAN_USER, serde_json::to_value(UnbanUser { live_id: live_id(), user_id: user_id.clone() }).unwrap_or_default())>{tr(i18n, |l| td_string!(l, unban))}</button>
                        </li>
                    }
                }).collect_view())}
            </ul>
            <Show when=is_streamer>
                <button type="button" class="link" data-testid="load-audit" on:click=move |_| {
                    chat.emit(events::GET_AUDIT_LOG, &RoomRef { live_id: live_id() }, move |r: Result<AuditLog, WireError>| match r {
                        Ok(log) => audit.set(Some(log.entries)),
                        Err(e) => error.set(Some(e)),
                    });
                }>{tr(i18n, |l| td_string!(l, mod_audit_log))}</button>
                <ol class="plain audit" data-testid="audit-log">
                    {move || audit.get().map(|entries| entries.into_iter().map(|e| view! {
                        <li>
                            <time datetime=e.created_at.clone()>{
                                let at = e.created_at.clone();
                                move || text::date_time(&at, i18n.get_locale(), hydrated.get())
                            }</time>
                            {format!(" {} {} {} — {}", e.actor_nickname, e.action, e.target_nickname.unwrap_or_default(), e.detail)}
                        </li>
                    }).collect_view())}
                </ol>
            </Show>
        </section>
    }
    .into_any()
}
