//! Replays the fuzzing corpus (fuzz/corpus/packets) through the wire decoders on
//! stable Rust, so every input the fuzzer ever kept stays covered in CI.

#[test]
fn the_fuzz_corpus_decodes_without_panicking() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/packets");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
        let path = entry.unwrap().path();
        app::protocol::packet::exercise(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n >= 20, "the corpus has {n} inputs");
}
