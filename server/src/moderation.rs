//! Who may do what in a room, and the checks every send passes: rate limit, bans
//! and timeouts, established-users mode, blocked terms and slow mode. Moderator
//! actions are carried out here and recorded in the audit log.

mod pins;
pub mod slow_mode;
pub mod terms;

use std::time::Duration;

use app::protocol::{
    moderation::{
        BanEntry, BanUser, DeleteMessage, LinkPolicy, ModerationState, PublicRoomSettings, RoomRef,
        RoomRole, SetModerator, TimeoutUser, UnbanUser, UpdateRoomSettings,
    },
    rich::{MessageUnpinned, PinMessage},
    ErrorReason, LiveId, MessageContent, Nickname,
};
use bson::{oid::ObjectId, DateTime};

use crate::{
    auth::Identity,
    cluster::{
        limits::{Rate, Refused, SendQuota},
        Cluster,
    },
    config::Limits,
    limits::{quota, KeyedLimit},
    room::{rules::RoomRules, RoomError},
    store::{
        audit::AuditDoc,
        bans::BanDoc,
        lives::{LiveDoc, ModeratorDoc, PinDoc},
        Stores,
    },
};
use slow_mode::SlowMode;

pub const TIMEOUT_MIN_SECS: u64 = 10;
pub const TIMEOUT_MAX_SECS: u64 = 24 * 3600;
/// How far back "remove their recent messages" reaches.
const RECENT: Duration = Duration::from_secs(24 * 3600);

pub fn role_of(live: &LiveDoc, who: Option<&Identity>) -> RoomRole {
    match who {
        None => RoomRole::Guest,
        Some(w) if w.is_admin() => RoomRole::Admin,
        Some(w) if w.user_id == live.streamer_id => RoomRole::Streamer,
        Some(w) if live.is_moderator(&w.user_id) => RoomRole::Moderator,
        Some(_) => RoomRole::Viewer,
    }
}

pub fn public_settings(id: &LiveId, live: &LiveDoc) -> PublicRoomSettings {
    let s = live.settings.to_wire();
    PublicRoomSettings {
        live_id: id.as_str().to_owned(),
        slow_mode_secs: s.slow_mode_secs,
        min_account_age_mins: s.min_account_age_mins,
        links: s.links,
    }
}

/// A moderator action, from a socket event or the HTTP API.
#[derive(Clone, Debug)]
pub enum ModAction {
    Delete(DeleteMessage),
    Timeout(TimeoutUser),
    Ban(BanUser),
    Unban(UnbanUser),
    AddModerator(SetModerator),
    RemoveModerator(SetModerator),
    UpdateSettings(UpdateRoomSettings),
    Pin(PinMessage),
    Unpin(RoomRef),
}

impl ModAction {
    fn live_id(&self) -> &str {
        match self {
            ModAction::Delete(a) => &a.live_id,
            ModAction::Timeout(a) => &a.live_id,
            ModAction::Ban(a) => &a.live_id,
            ModAction::Unban(a) => &a.live_id,
            ModAction::AddModerator(a) | ModAction::RemoveModerator(a) => &a.live_id,
            ModAction::UpdateSettings(a) => &a.live_id,
            ModAction::Pin(a) => &a.live_id,
            ModAction::Unpin(a) => &a.live_id,
        }
    }
}

/// What an action changed that viewers must be told.
#[derive(Debug, Default)]
pub struct Outcome {
    pub live_id: String,
    pub deleted: Vec<String>,
    pub settings: Option<PublicRoomSettings>,
    pub pinned: Option<PinDoc>,
    pub unpinned: Option<MessageUnpinned>,
}

pub struct Moderation {
    stores: Stores,
    user_rate: KeyedLimit,
    mod_rate: KeyedLimit,
    slow: SlowMode,
    rates: (Rate, Rate),
    /// Cluster mode: the rate and slow mode are kept in Redis, for all nodes.
    cluster: Option<Cluster>,
}

/// A send that passed the room's rules, and the quotas it must still take.
#[derive(Clone, Copy, Debug)]
pub struct Passed {
    pub role: RoomRole,
    slow: Option<Duration>,
}

fn forbidden(msg: &str) -> RoomError {
    RoomError::Forbidden(msg.to_owned())
}

impl Moderation {
    pub fn new(stores: Stores, limits: &Limits, cluster: Option<Cluster>) -> Self {
        Self {
            rates: (
                Rate {
                    n: limits.messages,
                    window: limits.window,
                },
                Rate {
                    n: limits.mod_messages,
                    window: limits.window,
                },
            ),
            cluster,
            stores,
            user_rate: KeyedLimit::new(
                quota(limits.messages, limits.window),
                limits.limiter_max_keys,
            ),
            mod_rate: KeyedLimit::new(
                quota(limits.mod_messages, limits.window),
                limits.limiter_max_keys,
            ),
            slow: SlowMode::default(),
        }
    }

    /// Drops limiter state nobody needs any more; called periodically.
    pub fn sweep(&self) {
        self.user_rate.sweep();
        self.mod_rate.sweep();
        self.slow.sweep(Duration::from_secs(3600));
    }

    /// The room's rules a send must pass, checked in memory (no query): bans and
    /// timeouts, account age, blocked terms. Returns the sender's role (for the
    /// badge) and the quotas still to take (`take_quotas`), so a message refused
    /// here costs none.
    pub fn check_send(
        &self,
        rules: &RoomRules,
        who: &Identity,
        content: &MessageContent,
        has_links: bool,
        now_ms: i64,
    ) -> Result<Passed, RoomError> {
        let live = &rules.live;
        let role = role_of(live, Some(who));
        // Restrictions bind moderators too; only the streamer and admins are free.
        if role.can_be_restricted() {
            if let Some(until) = rules.restriction(&who.user_id, now_ms) {
                return Err(RoomError::Banned {
                    until: until.map(DateTime::from_millis),
                });
            }
        }
        let links = live.settings.links;
        if has_links && !links.allows(role) {
            let (reason, message) = match links {
                LinkPolicy::Moderators => (
                    ErrorReason::LinksModeratorsOnly,
                    "only moderators may post links in this chat",
                ),
                _ => (ErrorReason::LinksNone, "links are not allowed in this chat"),
            };
            return Err(RoomError::Refused {
                reason,
                message: message.into(),
                minutes: None,
            });
        }
        if role.moderates() {
            return Ok(Passed { role, slow: None });
        }
        let s = &live.settings;
        if s.min_account_age_mins > 0 {
            // Accounts from another issuer have no age we can see.
            let old_enough = who
                .created_at_ms
                .is_some_and(|at| now_ms - at >= s.min_account_age_mins * 60_000);
            if !old_enough {
                return Err(RoomError::Refused {
                    reason: ErrorReason::AccountTooNew,
                    message: format!(
                        "this chat is for accounts older than {} minutes",
                        s.min_account_age_mins
                    ),
                    minutes: u32::try_from(s.min_account_age_mins).ok(),
                });
            }
        }
        if terms::find_blocked(content.as_str(), &s.blocked_terms).is_some() {
            return Err(RoomError::Blocked);
        }
        Ok(Passed {
            role,
            slow: (s.slow_mode_secs > 0).then(|| Duration::from_secs(s.slow_mode_secs as u64)),
        })
    }

    /// Takes, in order, the rate and slow-mode quotas of sends that passed the
    /// rules: in memory on one node, in Redis (one round trip for the whole
    /// batch) in a cluster, so one user's sends through different nodes share
    /// them. In a cluster, also returns the room's rules version.
    pub async fn take_quotas(
        &self,
        id: &LiveId,
        sends: &[(&Identity, Passed)],
    ) -> (Vec<Result<(), RoomError>>, Option<u64>) {
        let Some(cluster) = self.cluster.as_ref().filter(|_| !sends.is_empty()) else {
            let taken = sends
                .iter()
                .map(|(who, p)| {
                    let limiter = if p.role.moderates() {
                        &self.mod_rate
                    } else {
                        &self.user_rate
                    };
                    limiter
                        .check(&who.user_id)
                        .map_err(RoomError::RateLimited)?;
                    if let Some(interval) = p.slow {
                        self.slow
                            .take(id.as_str(), &who.user_id, interval)
                            .map_err(RoomError::SlowMode)?;
                    }
                    Ok(())
                })
                .collect();
            return (taken, None);
        };
        let quotas: Vec<SendQuota> = sends
            .iter()
            .map(|(who, p)| {
                let (rate, tier) = if p.role.moderates() {
                    (self.rates.1, "mod")
                } else {
                    (self.rates.0, "user")
                };
                SendQuota {
                    user: &who.user_id,
                    rate,
                    tier,
                    room: id,
                    slow: p.slow,
                }
            })
            .collect();
        match cluster.take_sends(id, &quotas).await {
            Ok((version, taken)) => (
                taken
                    .into_iter()
                    .map(|t| {
                        t.map_err(|r| match r {
                            Refused::Rate(wait) => RoomError::RateLimited(wait),
                            Refused::SlowMode(wait) => RoomError::SlowMode(wait),
                        })
                    })
                    .collect(),
                Some(version),
            ),
            Err(e) => {
                tracing::warn!(error = %e, live = %id, "cannot take send quotas from redis");
                let refused = sends
                    .iter()
                    .map(|_| {
                        Err(RoomError::Busy(
                            "chat is reconnecting; try again",
                            Duration::from_secs(1),
                        ))
                    })
                    .collect();
                (refused, None)
            }
        }
    }

    async fn refuse_if_restricted(&self, id: &LiveId, user_id: &str) -> Result<(), RoomError> {
        match self.stores.bans.active(id, user_id).await? {
            Some(ban) => Err(RoomError::Banned {
                until: ban.until_ms.map(DateTime::from_millis),
            }),
            None => Ok(()),
        }
    }

    /// `user_id`'s role in this room, admins read from their account.
    async fn role_in(&self, live: &LiveDoc, user_id: &str) -> Result<RoomRole, RoomError> {
        if user_id == live.streamer_id {
            return Ok(RoomRole::Streamer);
        }
        let admin = self
            .stores
            .users
            .find_by_id(user_id)
            .await?
            .is_some_and(|u| u.role.as_deref() == Some("admin"));
        Ok(if admin {
            RoomRole::Admin
        } else if live.is_moderator(user_id) {
            RoomRole::Moderator
        } else {
            RoomRole::Viewer
        })
    }

    /// The one rule for acting on someone: deleting their messages, timing out,
    /// banning or unbanning them.
    fn check_target(actor: RoomRole, target: RoomRole) -> Result<(), RoomError> {
        if !actor.moderates() {
            return Err(forbidden("only moderators can do that"));
        }
        if !actor.may_act_on(target) {
            return Err(forbidden(match target {
                RoomRole::Moderator => "only the streamer can act on moderators",
                RoomRole::Streamer => "nobody but an admin can act on the streamer",
                _ => "nobody can act on an admin",
            }));
        }
        Ok(())
    }

    async fn live(&self, raw: &str) -> Result<(LiveId, LiveDoc), RoomError> {
        crate::room::find_live(&self.stores, raw).await
    }

    /// The nickname to show for a user id: their account, else their last message.
    async fn nickname_of(&self, id: &LiveId, user_id: &str) -> Result<Option<String>, RoomError> {
        if let Some(u) = self.stores.users.find_by_id(user_id).await? {
            return Ok(Some(u.nickname));
        }
        let recent = self
            .stores
            .chat
            .recent_by_user(id, user_id, DateTime::from_millis(0))
            .await?;
        Ok(recent.first().map(|m| m.nickname.clone()))
    }

    pub async fn act(
        &self,
        who: Option<&Identity>,
        action: ModAction,
    ) -> Result<Outcome, RoomError> {
        let who = who.ok_or(RoomError::Unauthorized)?;
        let (id, live) = self.live(action.live_id()).await?;
        let mut outcome = self.act_on(who, &id, &live, action).await?;
        self.unpin_deleted(&id, &live, &mut outcome).await?;
        Ok(outcome)
    }

    async fn act_on(
        &self,
        who: &Identity,
        id: &LiveId,
        live: &LiveDoc,
        action: ModAction,
    ) -> Result<Outcome, RoomError> {
        let (id, live) = (id.clone(), live.clone());
        let role = role_of(&live, Some(who));
        if role.moderates() && role.can_be_restricted() {
            // A restricted moderator keeps no powers while it lasts (nor can they
            // lift it themselves).
            self.refuse_if_restricted(&id, &who.user_id)
                .await
                .map_err(|_| forbidden("you are restricted in this room"))?;
        }
        let mut audit = AuditDoc {
            id: ObjectId::new(),
            live_id: id.as_str().to_owned(),
            action: String::new(),
            actor_id: who.user_id.clone(),
            actor_nickname: who.nickname.clone(),
            target_user_id: None,
            target_nickname: None,
            message_id: None,
            detail: String::new(),
            created_at: DateTime::now(),
        };
        let mut outcome = Outcome {
            live_id: id.as_str().to_owned(),
            ..Outcome::default()
        };

        match action {
            ModAction::Delete(a) => {
                let msg = self
                    .stores
                    .chat
                    .get(&id, &a.message_id)
                    .await?
                    .filter(|m| m.deleted_at_ms.is_none())
                    .ok_or(RoomError::NotFound)?;
                let own = msg.user_id == who.user_id;
                if !own {
                    if !role.moderates() {
                        return Err(forbidden("only moderators can delete others' messages"));
                    }
                    let mut author = self.role_in(&live, &msg.user_id).await?;
                    if msg.badge == Some(app::protocol::moderation::Badge::Admin) {
                        author = author.max(RoomRole::Admin);
                    }
                    Self::check_target(role, author)?;
                }
                self.stores
                    .chat
                    .mark_deleted(&[msg.id], &who.user_id)
                    .await?;
                outcome.deleted.push(msg.id.to_hex());
                audit.action = "delete_message".into();
                audit.target_user_id = Some(msg.user_id.clone());
                audit.target_nickname = Some(msg.nickname.clone());
                audit.message_id = Some(msg.id.to_hex());
                audit.detail = format!(
                    "deleted: {}",
                    msg.content.chars().take(100).collect::<String>()
                );
                if own && !role.moderates() {
                    // A user tidying up their own message is not a moderation event.
                    return Ok(outcome);
                }
            }
            ModAction::Timeout(a) => {
                if !(TIMEOUT_MIN_SECS..=TIMEOUT_MAX_SECS).contains(&a.seconds) {
                    return Err(RoomError::Invalid(format!(
                        "a timeout lasts {TIMEOUT_MIN_SECS} s to {TIMEOUT_MAX_SECS} s"
                    )));
                }
                let until = DateTime::now().timestamp_millis() + (a.seconds as i64) * 1000;
                outcome.deleted = self
                    .restrict(
                        &id,
                        &live,
                        who,
                        role,
                        &a.user_id,
                        Some(until),
                        a.remove_messages,
                        &mut audit,
                    )
                    .await?;
                audit.action = "timeout".into();
                audit.detail = format!("timed out for {} s", a.seconds);
            }
            ModAction::Ban(a) => {
                outcome.deleted = self
                    .restrict(
                        &id,
                        &live,
                        who,
                        role,
                        &a.user_id,
                        None,
                        a.remove_messages,
                        &mut audit,
                    )
                    .await?;
                audit.action = "ban".into();
                audit.detail = "banned until unbanned".into();
            }
            ModAction::Unban(a) => {
                if !role.moderates() {
                    return Err(forbidden("only moderators can unban"));
                }
                if a.user_id == who.user_id {
                    return Err(forbidden("nobody lifts their own restriction"));
                }
                Self::check_target(role, self.role_in(&live, &a.user_id).await?)?;
                if !self.stores.bans.remove(&id, &a.user_id).await? {
                    return Err(RoomError::NotFound);
                }
                audit.action = "unban".into();
                audit.target_nickname = self.nickname_of(&id, &a.user_id).await?;
                audit.target_user_id = Some(a.user_id);
                audit.detail = "ban or timeout lifted".into();
            }
            ModAction::AddModerator(a) | ModAction::RemoveModerator(a)
                if role < RoomRole::Streamer =>
            {
                let _ = a;
                return Err(forbidden("only the streamer appoints moderators"));
            }
            ModAction::AddModerator(a) => {
                let nick = Nickname::parse(&a.nickname)?;
                let user = self
                    .stores
                    .users
                    .find_by_nickname(&nick)
                    .await?
                    .ok_or_else(|| RoomError::Invalid(format!("no user called {}", a.nickname)))?;
                let user_id = user.id.to_hex();
                if user_id == live.streamer_id {
                    return Err(RoomError::Invalid("the streamer already moderates".into()));
                }
                self.stores
                    .lives
                    .add_moderator(
                        &id,
                        &ModeratorDoc {
                            user_id: user_id.clone(),
                            nickname: user.nickname.clone(),
                        },
                    )
                    .await?;
                audit.action = "add_moderator".into();
                audit.target_user_id = Some(user_id);
                audit.target_nickname = Some(user.nickname);
                audit.detail = "made moderator".into();
            }
            ModAction::RemoveModerator(a) => {
                let m = live
                    .moderators
                    .iter()
                    .find(|m| m.nickname.eq_ignore_ascii_case(a.nickname.trim()))
                    .ok_or_else(|| {
                        RoomError::Invalid(format!("{} is not a moderator", a.nickname))
                    })?;
                self.stores.lives.remove_moderator(&id, &m.user_id).await?;
                audit.action = "remove_moderator".into();
                audit.target_user_id = Some(m.user_id.clone());
                audit.target_nickname = Some(m.nickname.clone());
                audit.detail = "no longer moderator".into();
            }
            ModAction::UpdateSettings(a) => {
                if !role.moderates() {
                    return Err(forbidden("only moderators change room settings"));
                }
                let mut s = live.settings.clone();
                let mut changes = Vec::new();
                if let Some(secs) = a.slow_mode_secs {
                    if secs > 3600 {
                        return Err(RoomError::Invalid("slow mode is 0 to 3600 seconds".into()));
                    }
                    s.slow_mode_secs = secs.into();
                    changes.push(format!("slow mode {secs} s"));
                }
                if let Some(mins) = a.min_account_age_mins {
                    if mins > 60 * 24 * 90 {
                        return Err(RoomError::Invalid("account age is at most 90 days".into()));
                    }
                    s.min_account_age_mins = mins.into();
                    changes.push(format!("accounts older than {mins} min"));
                }
                if let Some(links) = a.links {
                    s.links = links;
                    changes.push(format!("links: {}", links.as_str()));
                }
                if let Some(list) = a.blocked_terms {
                    s.blocked_terms = terms::normalise_list(&list).map_err(RoomError::Invalid)?;
                    changes.push(format!("{} blocked terms", s.blocked_terms.len()));
                }
                self.stores.lives.set_settings(&id, &s).await?;
                let updated = LiveDoc {
                    settings: s,
                    ..live.clone()
                };
                outcome.settings = Some(public_settings(&id, &updated));
                audit.action = "update_settings".into();
                audit.detail = changes.join(", ");
            }
            ModAction::Pin(a) => {
                self.pin(&id, &live, who, role, a, &mut audit, &mut outcome)
                    .await?
            }
            ModAction::Unpin(_) => {
                self.unpin(&id, &live, role, &mut audit, &mut outcome)
                    .await?
            }
        }
        self.stores.audit.record(&audit).await?;
        Ok(outcome)
    }

    /// Bans or times out `target`; returns the ids of messages removed with it.
    /// A timeout never shortens a longer restriction.
    #[allow(clippy::too_many_arguments)]
    async fn restrict(
        &self,
        id: &LiveId,
        live: &LiveDoc,
        who: &Identity,
        role: RoomRole,
        target: &str,
        until_ms: Option<i64>,
        remove_messages: bool,
        audit: &mut AuditDoc,
    ) -> Result<Vec<String>, RoomError> {
        if !role.moderates() {
            return Err(forbidden("only moderators can time out or ban"));
        }
        if target == who.user_id {
            return Err(RoomError::Invalid("you cannot ban yourself".into()));
        }
        let target_role = self.role_in(live, target).await?;
        Self::check_target(role, target_role)?;
        if !target_role.can_be_restricted() {
            return Err(forbidden("the streamer and admins cannot be restricted"));
        }
        let nickname = self
            .nickname_of(id, target)
            .await?
            .unwrap_or_else(|| target.to_owned());
        let ban = BanDoc {
            live_id: id.as_str().to_owned(),
            user_id: target.to_owned(),
            nickname: nickname.clone(),
            until_ms,
            by_id: who.user_id.clone(),
            by_nickname: who.nickname.clone(),
            created_at_ms: DateTime::now().timestamp_millis(),
        };
        match until_ms {
            None => self.stores.bans.put(&ban).await?,
            Some(_) => {
                if !self.stores.bans.put_timeout(&ban).await? {
                    return Err(RoomError::Invalid(
                        "they are already restricted for longer; unban them first to shorten it"
                            .into(),
                    ));
                }
            }
        }
        audit.target_user_id = Some(target.to_owned());
        audit.target_nickname = Some(nickname);
        if !remove_messages {
            return Ok(Vec::new());
        }
        let since =
            DateTime::from_millis(DateTime::now().timestamp_millis() - RECENT.as_millis() as i64);
        let recent = self.stores.chat.recent_by_user(id, target, since).await?;
        let ids: Vec<ObjectId> = recent.iter().map(|m| m.id).collect();
        self.stores.chat.mark_deleted(&ids, &who.user_id).await?;
        Ok(ids.into_iter().map(ObjectId::to_hex).collect())
    }

    pub async fn state(
        &self,
        who: Option<&Identity>,
        raw: &str,
    ) -> Result<ModerationState, RoomError> {
        let (id, live) = self.live(raw).await?;
        if !role_of(&live, who).moderates() {
            return Err(forbidden("only moderators see the moderation panel"));
        }
        let bans = self.stores.bans.list_active(&id).await?;
        Ok(ModerationState {
            moderators: live.moderator_list(),
            bans: bans
                .into_iter()
                .map(|b| BanEntry {
                    user_id: b.user_id,
                    nickname: b.nickname,
                    until: b
                        .until_ms
                        .map(|ms| crate::store::rfc3339(DateTime::from_millis(ms))),
                    by: b.by_nickname,
                })
                .collect(),
            settings: live.settings.to_wire(),
        })
    }

    pub async fn audit_log(
        &self,
        who: Option<&Identity>,
        raw: &str,
    ) -> Result<Vec<app::protocol::moderation::AuditEntry>, RoomError> {
        let (id, live) = self.live(raw).await?;
        if role_of(&live, who) < RoomRole::Streamer {
            return Err(forbidden("only the streamer reads the audit log"));
        }
        Ok(self.stores.audit.list(&id, 200).await?)
    }
}
