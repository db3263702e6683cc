//! Demo data for a fresh development database, so `run` shows something.

use app::protocol::{LiveTitle, Nickname};

use crate::{
    auth::passwords::hash_blocking,
    store::{StoreError, Stores},
};

const DEMO_LIVES: [&str; 3] = [
    "Morning coffee & code",
    "Speedrun practice: any%",
    "Synth jam from the studio",
];

/// Creates a `demo` streamer and a few lives when there are none yet.
pub async fn seed_demo(stores: &Stores) -> Result<(), StoreError> {
    if stores.lives.count().await? > 0 {
        return Ok(());
    }
    let nickname = Nickname::parse("demo").expect("valid demo nickname");
    let streamer = match stores.users.find_by_nickname(&nickname).await? {
        Some(u) => u,
        None => {
            let hash = hash_blocking("demo-password".to_owned()).await;
            stores.users.create(&nickname, hash).await?
        }
    };
    for title in DEMO_LIVES {
        let title = LiveTitle::parse(title).expect("valid demo title");
        stores
            .lives
            .create(&title, &streamer.id.to_hex(), &streamer.nickname, None)
            .await?;
    }
    tracing::info!("created demo lives (streamer `demo`, password `demo-password`)");
    Ok(())
}
