//! People in a room: the user card behind a nickname (with a moderator's view
//! of their recent messages and restriction), and each viewer's ignore list.

use app::protocol::{
    people::{
        CardModeration, GetUserCard, IgnoreUser, IgnoredUsers, Restriction, UserCard, CARD_RECENT,
        IGNORED_MAX,
    },
    LiveId,
};
use bson::{oid::ObjectId, DateTime};

use crate::{
    auth::Identity,
    chat::ChatService,
    moderation::role_of,
    room::RoomError,
    store::{chat::ChatDoc, rfc3339},
};

fn user_id_ok(raw: &str) -> Result<(), RoomError> {
    ObjectId::parse_str(raw)
        .map(|_| ())
        .map_err(|_| RoomError::Invalid("userId must be a 24-hex-digit id".into()))
}

pub async fn user_card(
    chat: &ChatService,
    who: Option<&Identity>,
    req: GetUserCard,
) -> Result<UserCard, RoomError> {
    let id = LiveId::parse(&req.live_id)?;
    user_id_ok(&req.user_id)?;
    // The room's rules from memory: its moderators and restrictions.
    let snapshot = chat.snapshot(id.as_str()).await?;
    let live = &snapshot.rules.live;
    let stores = chat.stores();
    let account = stores.users.find_by_id(&req.user_id).await?;
    let latest = stores
        .chat
        .latest_by_user(&id, &req.user_id, CARD_RECENT as i64)
        .await?;
    let nickname = match (&account, latest.first()) {
        (Some(a), _) => a.nickname.clone(),
        (None, Some(m)) => m.nickname.clone(),
        // Neither an account here nor anything said in this room.
        (None, None) => return Err(RoomError::NotFound),
    };
    let target = Identity {
        user_id: req.user_id.clone(),
        nickname: nickname.clone(),
        role: account.as_ref().and_then(|a| a.role.clone()),
        created_at_ms: None,
    };
    let role = role_of(live, Some(&target));
    let asker = role_of(live, who);
    let moderation = if asker.moderates() {
        let now = DateTime::now().timestamp_millis();
        let restriction = snapshot
            .rules
            .restriction(&req.user_id, now)
            .map(|until| Restriction {
                until: until.map(|ms| rfc3339(DateTime::from_millis(ms))),
            });
        let mut recent: Vec<_> = latest.iter().map(ChatDoc::to_message).collect();
        recent.reverse();
        let is_self = who.is_some_and(|w| w.user_id == req.user_id);
        Some(CardModeration {
            recent,
            restriction,
            can_act: !is_self && asker.may_act_on(role) && role.can_be_restricted(),
        })
    } else {
        None
    };
    Ok(UserCard {
        message_count: stores.chat.count_by_user(&id, &req.user_id).await?,
        user_id: req.user_id,
        nickname,
        account_created_at: account.map(|a| rfc3339(a.created_at)),
        role,
        badge: role.badge(),
        moderation,
    })
}

pub async fn ignored(
    chat: &ChatService,
    who: Option<&Identity>,
) -> Result<IgnoredUsers, RoomError> {
    let who = who.ok_or(RoomError::Unauthorized)?;
    let user = chat.stores().users.find_by_id(&who.user_id).await?;
    Ok(IgnoredUsers {
        user_ids: user.map(|u| u.ignored).unwrap_or_default(),
    })
}

pub async fn ignore(
    chat: &ChatService,
    who: Option<&Identity>,
    req: IgnoreUser,
) -> Result<IgnoredUsers, RoomError> {
    let who = who.ok_or(RoomError::Unauthorized)?;
    user_id_ok(&req.user_id)?;
    if req.user_id == who.user_id {
        return Err(RoomError::Invalid("you cannot ignore yourself".into()));
    }
    let users = &chat.stores().users;
    let mut user_ids = ignored(chat, Some(who)).await?.user_ids;
    let listed = user_ids.contains(&req.user_id);
    match (req.ignore, listed) {
        (true, false) => {
            if user_ids.len() >= IGNORED_MAX {
                return Err(RoomError::Invalid(format!(
                    "you can ignore at most {IGNORED_MAX} accounts; stop ignoring one first"
                )));
            }
            if users.find_by_id(&req.user_id).await?.is_none() {
                return Err(RoomError::NotFound);
            }
            user_ids.push(req.user_id);
        }
        (false, true) => user_ids.retain(|u| u != &req.user_id),
        // Already as asked.
        _ => return Ok(IgnoredUsers { user_ids }),
    }
    if !users.set_ignored(&who.user_id, &user_ids).await? {
        return Err(RoomError::Unauthorized);
    }
    Ok(IgnoredUsers { user_ids })
}
