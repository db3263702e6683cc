//! Replaying an ended live's chat beside its recording: messages by their time
//! since the live started, a page at a time (index `liveId, createdAt`), so a
//! viewer seeking through a long recording never loads the whole chat.

use app::protocol::ReplayPage;
use bson::DateTime;

use crate::{chat::ChatService, room::RoomError, store::chat::ReplayFrom};

/// The messages sent at least `from_ms` after the live started, or, to go on
/// from a page, those after `after_seq`.
pub async fn page(
    chat: &ChatService,
    raw_id: &str,
    from_ms: u64,
    after_seq: Option<u64>,
    limit: Option<u32>,
) -> Result<ReplayPage, RoomError> {
    let limit = match limit {
        None => ReplayPage::DEFAULT_LIMIT,
        Some(n) if (1..=ReplayPage::MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(RoomError::Invalid(format!(
                "limit is 1 to {}",
                ReplayPage::MAX_LIMIT
            )))
        }
    };
    let (id, live) = chat.live(raw_id).await?;
    // Past any real recording's length; also keeps the sum in range.
    let from_ms = i64::try_from(from_ms.min(366 * 24 * 3_600_000)).unwrap_or(0);
    let from = match after_seq {
        Some(seq) => ReplayFrom::AfterSeq(seq),
        None => ReplayFrom::Time(DateTime::from_millis(
            live.created_at.timestamp_millis() + from_ms,
        )),
    };
    let page = chat.stores().chat.replay(&id, from, limit).await?;
    Ok(ReplayPage {
        messages: page.messages,
        has_more: page.has_more,
    })
}
