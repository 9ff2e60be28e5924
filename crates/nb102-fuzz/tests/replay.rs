//! The fuzz seeds (`seeds/<target>/`) and corpus (`corpus/<target>/`, what the fuzzer kept) replayed through the
//! targets on every `cargo test`: a reader that panics, allocates without bound or hangs on one of them fails here.

use std::path::Path;

#[test]
fn every_corpus_file_is_answered_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, target) in nb102_fuzz::TARGETS {
        let mut files: Vec<_> = ["seeds", "corpus"]
            .iter()
            .flat_map(|folder| std::fs::read_dir(root.join(folder).join(name)).into_iter().flatten())
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name}: no seeds");
        for path in files {
            let data = std::fs::read(&path).unwrap();
            // A panic names the input that caused it.
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(result.is_ok(), "{name} panicked on {}", path.display());
        }
    }
}
