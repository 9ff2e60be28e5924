//! Rules of the workspace that a reviewer would otherwise have to remember, checked on every `cargo test`:
//! - every Rust source file opens with a `//!` paragraph;
//! - members take every dependency from `[workspace.dependencies]`;
//! - only nb102-loader, nb102-model, nb102-train and nb102-weight-sharing reach libtorch, directly or through our
//!   other crates (the invariant of docs/ARCHITECTURE.md), and nothing depends on xtask;
//! - docs/ARCHITECTURE.md names every crate.
//!
//! Each rule covers every member of the workspace, as its root manifest lists them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The workspace's members, as the root manifest lists them (`crates/NAME` or `xtask`): what every rule covers.
fn crates() -> Vec<String> {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members = manifest.split("members = [").nth(1).and_then(|rest| rest.split(']').next()).unwrap();
    let names: Vec<String> = members
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .map(|m| m.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert!(names.len() > 5 && names.iter().any(|n| n == "nb102-py"), "members read as {names:?}");
    names
}

const TORCH_CRATES: [&str; 2] = ["tch", "torch-sys"];
const MAY_LINK_TORCH: [&str; 4] = ["nb102-loader", "nb102-model", "nb102-train", "nb102-weight-sharing"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn crate_dir(name: &str) -> PathBuf {
    if name == "xtask" {
        root().join("xtask")
    } else {
        root().join("crates").join(name)
    }
}

/// Dependency names of one table (`[dependencies]`, `[dev-dependencies]`, …) of a member manifest, with their lines.
fn dependency_lines(manifest: &str, table: &str) -> Vec<(String, String)> {
    let mut in_table = false;
    let mut deps = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == format!("[{table}]");
        } else if in_table && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['.', '=', ' ']).next().unwrap_or_default().to_owned();
            deps.push((name, line.to_owned()));
        }
    }
    deps
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Build output (the fuzz project's own target folder) is not source.
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let mut files = Vec::new();
    for name in crates() {
        rust_files(&crate_dir(&name), &mut files);
    }
    rust_files(&root().join("tests"), &mut files);
    let missing: Vec<_> = files
        .iter()
        .filter(|f| !f.ends_with("build.rs"))
        .filter(|f| !fs::read_to_string(f).unwrap().starts_with("//!"))
        .collect();
    assert!(missing.is_empty(), "files without a leading //! paragraph: {missing:?}");
    assert!(files.len() > 10, "found only {files:?}");
}

#[test]
fn members_take_dependencies_from_the_workspace() {
    for name in crates() {
        let manifest = fs::read_to_string(crate_dir(&name).join("Cargo.toml")).unwrap();
        for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
            for (dep, line) in dependency_lines(&manifest, table) {
                assert!(
                    line.contains("workspace = true"),
                    "{name} [{table}] {dep}: expected `workspace = true`, found {line:?}"
                );
            }
        }
    }
}

#[test]
fn only_model_and_train_reach_libtorch() {
    let names = crates();
    let deps: BTreeMap<&str, Vec<String>> = names
        .iter()
        .map(|name| {
            let manifest = fs::read_to_string(crate_dir(name).join("Cargo.toml")).unwrap();
            (name.as_str(), dependency_lines(&manifest, "dependencies").into_iter().map(|(d, _)| d).collect())
        })
        .collect();
    fn reaches_torch(name: &str, deps: &BTreeMap<&str, Vec<String>>) -> bool {
        deps.get(name).is_some_and(|ds| {
            ds.iter().any(|d| TORCH_CRATES.contains(&d.as_str()) || (d != name && reaches_torch(d, deps)))
        })
    }
    for name in &names {
        if !MAY_LINK_TORCH.contains(&name.as_str()) {
            assert!(!reaches_torch(name, &deps), "{name} reaches libtorch");
        }
        assert!(!deps[name.as_str()].iter().any(|d| d == "xtask"), "{name} depends on xtask");
    }
    assert!(!reaches_torch("nb102-py", &deps), "nb102-py reaches libtorch");
    assert!(reaches_torch("nb102-model", &deps), "nb102-model links tch");
}

#[test]
fn architecture_doc_names_every_crate() {
    let doc = fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    for name in crates() {
        assert!(doc.contains(&format!("`{name}`")), "docs/ARCHITECTURE.md does not mention `{name}`");
    }
}
