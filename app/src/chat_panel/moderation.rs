//! The moderation panel: moderators, bans, room modes and blocked terms; the audit
//! log for the streamer. Shown to moderators only; the server enforces it all.

use leptos::prelude::*;

use super::Chat;
use crate::protocol::{
    moderation::{
        events, AuditEntry, AuditLog, LinkPolicy, ModerationDone, ModerationState, RoomRef,
        RoomRole, SetModerator, UnbanUser, UpdateRoomSettings,
    },
    WireError,
};

const SLOW_MODES: [u32; 6] = [0, 3, 10, 30, 60, 120];

#[component]
pub(super) fn ModerationPanel(chat: Chat) -> impl IntoView {
    let state = RwSignal::new(None::<ModerationState>);
    let error = RwSignal::new(None::<String>);
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
                Err(e) => error.set(Some(e.message)),
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
                Err(e) => error.set(Some(e.message)),
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
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <label>
                "Slow mode "
                <select data-testid="slow-mode-select" on:change=move |ev| {
                    if let Ok(secs) = event_target_value(&ev).parse::<u32>() {
                        update(UpdateRoomSettings { slow_mode_secs: Some(secs), ..Default::default() });
                    }
                }>
                    {SLOW_MODES.into_iter().map(|s| view! {
                        <option value=s.to_string() selected=move || chat.settings.with(|x| x.slow_mode_secs == s)>
                            {if s == 0 { "off".to_owned() } else { format!("{s} s") }}
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
                    "Accounts older than (min) "
                    <input type="number" min="0" class="narrow" prop:value=move || min_age.get()
                        on:input=move |ev| min_age.set(event_target_value(&ev))/>
                </label>
                <button type="submit">"Set"</button>
            </form>
            <form on:submit=move |ev| {
                ev.prevent_default();
                let list = terms.get_untracked().lines().map(str::to_owned).collect();
                update(UpdateRoomSettings { blocked_terms: Some(list), ..Default::default() });
            }>
                <label class="stack">
                    "Blocked terms (one per line)"
                    <textarea rows="3" data-testid="blocked-terms" prop:value=move || terms.get()
                        on:input=move |ev| terms.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit">"Save terms"</button>
            </form>
            <label>
                "Links "
                <select data-testid="links-select" on:change=move |ev| {
                    let links = match event_target_value(&ev).as_str() {
                        "moderators" => LinkPolicy::Moderators,
                        "none" => LinkPolicy::None,
                        _ => LinkPolicy::All,
                    };
                    update(UpdateRoomSettings { links: Some(links), ..Default::default() });
                }>
                    {[(LinkPolicy::All, "from everyone"), (LinkPolicy::Moderators, "from moderators only"), (LinkPolicy::None, "from nobody")]
                        .into_iter().map(|(p, label)| view! {
                            <option value=p.as_str() selected=move || chat.settings.with(|x| x.links == p)>{label}</option>
                        }).collect_view()}
                </select>
            </label>
            <h3>"Moderators"</h3>
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
                                }>"remove"</button>
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
                    <input placeholder="nickname" data-testid="add-moderator" prop:value=move || new_mod.get()
                        on:input=move |ev| new_mod.set(event_target_value(&ev))/>
                    <button type="submit">"Add moderator"</button>
                </form>
            </Show>
            <Show when=is_streamer>
                <h3>"Emotes"</h3>
                <ul class="plain emotes" data-testid="room-emotes">
                    {move || chat.emotes.get().into_iter().map(|e| view! {
                        <li>
                            <img src=e.url() alt="" width="28" height="28"/>
                            {format!(" :{}: ", e.code)}
                            <form method="post" class="inline" action=format!("/api/lives/{}/emotes/{}/delete", live_id(), e.code)>
                                <button type="submit" class="link">"remove"</button>
                            </form>
                        </li>
                    }).collect_view()}
                </ul>
                // A plain form: the browser sends the file and comes back here.
                <form class="stack" method="post" enctype="multipart/form-data"
                    action=move || format!("/api/lives/{}/emotes", live_id()) data-testid="emote-upload">
                    <label>"Code " <input name="code" required minlength="2" maxlength="32" pattern="[A-Za-z0-9_]{2,32}"
                        data-testid="emote-code"/></label>
                    <label>"Image (PNG, WebP or GIF, ≤ 256 KB, ≤ 128×128) "
                        <input type="file" name="image" required accept="image/png,image/webp,image/gif" data-testid="emote-file"/></label>
                    <button type="submit">"Add emote"</button>
                </form>
            </Show>
            <h3>"Banned and timed out"</h3>
            <ul class="plain" data-testid="bans">
                {move || state.get().map(|s| s.bans.into_iter().map(|b| {
                    let user_id = b.user_id.clone();
                    view! {
                        <li>
                            {b.nickname.clone()}
                            {b.until.clone().map(|u| format!(" until {} UTC", u.get(11..19).unwrap_or("")))}
                            <button type="button" class="link" on:click=move |_| act(events::UNBAN_USER, serde_json::to_value(UnbanUser { live_id: live_id(), user_id: user_id.clone() }).unwrap_or_default())>"unban"</button>
                        </li>
                    }
                }).collect_view())}
            </ul>
            <Show when=is_streamer>
                <button type="button" class="link" data-testid="load-audit" on:click=move |_| {
                    chat.emit(events::GET_AUDIT_LOG, &RoomRef { live_id: live_id() }, move |r: Result<AuditLog, WireError>| match r {
                        Ok(log) => audit.set(Some(log.entries)),
                        Err(e) => error.set(Some(e.message)),
                    });
                }>"Audit log"</button>
                <ol class="plain audit" data-testid="audit-log">
                    {move || audit.get().map(|entries| entries.into_iter().map(|e| view! {
                        <li>
                            <time datetime=e.created_at.clone()>{e.created_at.get(11..19).unwrap_or("").to_owned()}</time>
                            {format!(" {} {} {} — {}", e.actor_nickname, e.action, e.target_nickname.unwrap_or_default(), e.detail)}
                        </li>
                    }).collect_view())}
                </ol>
            </Show>
        </section>
    }
    .into_any()
}
