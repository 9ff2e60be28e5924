//! The fuzz corpus (`corpus/<target>/`, seeds and what the fuzzer kept) replayed through the targets on every
//! `cargo test`: a reader that panics, allocates without bound or hangs on one of them fails here.

use std::path::Path;

#[test]
fn every_corpus_file_is_answered_without_a_panic() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, target) in nb102_fuzz::TARGETS {
        let dir = corpus.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name}: an empty corpus");
        for path in files {
            let data = std::fs::read(&path).unwrap();
            // A panic names the input that caused it.
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(result.is_ok(), "{name} panicked on {}", path.display());
        }
    }
}
