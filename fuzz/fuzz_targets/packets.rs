//! `cargo +nightly fuzz run packets`: Engine.IO/Socket.IO frames and payloads.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    app::protocol::packet::exercise(data);
});
