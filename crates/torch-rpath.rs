//! The build script of every crate whose binaries or tests link libtorch (the `build` key of its Cargo.toml):
//! makes them find libtorch at run time, with no LD_LIBRARY_PATH.
//!
//! torch-sys sets an rpath only for its own C++ shim, and tch's link arguments apply only to tch's own
//! targets, so our binaries get both here. `-ltorch` under `--no-as-needed` keeps `libtorch_cuda.so`
//! linked even though no symbol of it is referenced directly; without it CUDA reports unavailable
//! on a GPU machine (tch-rs issues #980, #907).

fn main() {
    let lib = std::env::var("DEP_TCH_LIBTORCH_LIB")
        .expect("torch-sys exports DEP_TCH_LIBTORCH_LIB to crates that depend on it directly");
    println!("cargo:rustc-link-arg=-Wl,--enable-new-dtags,-rpath,{lib}");
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch");
}
