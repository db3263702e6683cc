//! socketioxide's own memory floor: a bare socket.io server configured like the
//! chat server (same buffers and limits) whose only handler joins a room. The
//! idle benchmark measures it next to the real server.
//!
//! `floor PORT`

use serde_json::Value;
use socketioxide::{
    extract::{AckSender, Data, SocketRef},
    SocketIo,
};

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: floor PORT");
    let parser = socketioxide::ParserConfig::common()
        .max_incoming_binaries(0)
        .max_incoming_binary_buf_size(16 * 1024);
    let (layer, io) = SocketIo::builder()
        .max_payload(16 * 1024)
        .max_buffer_size(256)
        .ws_read_buffer_size(1024)
        .ws_read_buffer_size(
            std::env::var("WS_READ_BUFFER_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(4096),
        )
        .ws_max_message_size(16 * 1024)
        .ws_max_frame_size(16 * 1024)
        .with_parser(parser)
        .build_layer();
    io.ns("/", async |socket: SocketRef| {
        socket.on(
            "enter_room",
            async |socket: SocketRef, Data(req): Data<Value>, ack: AckSender| {
                let live = req["liveId"].as_str().unwrap_or("x").to_owned();
                socket.join(format!("live:{live}"));
                let _ = ack.send(&serde_json::json!({"ok": true}));
            },
        );
    });
    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
