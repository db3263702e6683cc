//! Custom emotes: the streamer uploads PNG/WebP/GIF images (checked by their
//! bytes, at most 256 KB and 128×128), stored in GridFS and served with long
//! cache headers; `:code:` in a message becomes an emote fragment.

mod support;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use support::TestApp;

const EMOTE: &[u8] = include_bytes!("fixtures/emote.png");
const WIDE: &[u8] = include_bytes!("fixtures/wide.png");
const GIF: &[u8] = include_bytes!("fixtures/dot.gif");

async fn upload(
    app: &TestApp,
    live: &str,
    token: &str,
    code: &str,
    bytes: &[u8],
    name: &str,
    mime: &str,
) -> (u16, Value) {
    let form = Form::new().text("code", code.to_owned()).part(
        "image",
        Part::bytes(bytes.to_vec())
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap(),
    );
    let r = app
        .http
        .post(app.url(&format!("/api/lives/{live}/emotes")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_uploaded_emote_is_served_cached_and_used_in_messages() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;

    let (status, set) = upload(
        &app,
        &live,
        &streamer,
        "PogHype",
        EMOTE,
        "p.png",
        "image/png",
    )
    .await;
    assert_eq!(status, 201, "{set}");
    let id = set["emotes"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(set["emotes"][0]["code"], "PogHype");
    let told = viewer.recv("room_emotes").await;
    assert_eq!(told["emotes"], set["emotes"]);

    let img = app
        .http
        .get(app.url(&format!("/emotes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/png");
    assert!(img.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=31536000"));
    assert_eq!(img.bytes().await.unwrap().as_ref(), EMOTE);

    let s = app.socket(Some(&streamer)).await;
    let entered = s.enter(&live).await;
    assert_eq!(entered["emotes"], set["emotes"]);
    let ack = s.say(&live, "gg :PogHype: :poghype: :PogHype", "e1").await;
    let frags = ack["message"]["fragments"].as_array().unwrap();
    let emotes: Vec<&Value> = frags.iter().filter(|f| f["type"] == "emote").collect();
    assert_eq!(emotes.len(), 1, "codes are case-sensitive: {frags:?}");
    assert_eq!(
        emotes[0],
        &json!({"type": "emote", "text": ":PogHype:", "code": "PogHype", "id": id})
    );

    // Removed: no longer resolved, no longer served.
    let r = app
        .http
        .delete(app.url(&format!("/api/lives/{live}/emotes/PogHype")))
        .bearer_auth(&streamer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ack = s.say(&live, ":PogHype:", "e2").await;
    assert!(ack["message"].get("fragments").is_none(), "{ack}");
    let gone = app
        .http
        .get(app.url(&format!("/emotes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn uploads_are_checked_by_content_size_code_and_role() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let viewer = app.signup("viewer1").await;

    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>";
    let mut huge = EMOTE.to_vec();
    huge.resize(300 * 1024, 0);
    let cases: [(&str, &[u8], &str, u16, &str); 6] = [
        ("Fake", svg, "image/png", 400, "an SVG called PNG"),
        ("Wide", WIDE, "image/png", 400, "200×20 pixels"),
        ("Huge", &huge, "image/png", 413, "300 KB"),
        ("x", EMOTE, "image/png", 400, "a one-letter code"),
        ("bad code", EMOTE, "image/png", 400, "a space in the code"),
        ("Text", b"hello", "image/gif", 400, "text"),
    ];
    for (code, bytes, mime, want, why) in cases {
        let (status, body) = upload(&app, &live, &streamer, code, bytes, "e.png", mime).await;
        assert_eq!(status, want, "{why}: {body}");
        if status == 400 {
            assert_eq!(body["error"]["code"], "invalid", "{why}");
        }
    }
    let (status, _) = upload(&app, &live, &viewer, "Mine", EMOTE, "e.png", "image/png").await;
    assert_eq!(status, 403, "viewers cannot upload");
    let (status, body) = upload(&app, &live, &streamer, "Dot", GIF, "d.gif", "image/gif").await;
    assert_eq!(status, 201, "a real GIF is fine: {body}");
    let (status, body) = upload(&app, &live, &streamer, "Dot", EMOTE, "d.png", "image/png").await;
    assert_eq!(status, 400, "codes are unique per room: {body}");

    let list = app.get_json(&format!("/api/lives/{live}/emotes")).await;
    let codes: Vec<&str> = list["emotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["Dot"], "nothing refused was stored");
}

#[tokio::test]
async fn a_room_holds_at_most_100_emotes() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    for i in 0..100 {
        let (status, body) = upload(
            &app,
            &live,
            &streamer,
            &format!("e{i:03}"),
            GIF,
            "d.gif",
            "image/gif",
        )
        .await;
        assert_eq!(status, 201, "{i}: {body}");
    }
    let (status, body) = upload(&app, &live, &streamer, "e100", GIF, "d.gif", "image/gif").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("100"));
}
