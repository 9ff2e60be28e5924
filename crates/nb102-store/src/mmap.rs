//! Read-only memory maps of the `.pth` files this crate imports: the OS pages in what the importer reads.
//! (Benchmark files are read at their sections' offsets, not mapped: `bench_file.rs`.)

/// Maps `file` read-only.
pub(crate) fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    #[allow(unsafe_code)]
    // SAFETY: the map is read-only and nb102 never modifies a mapped file in place: benchmark files are
    // written under a temporary name and renamed (write_benchmark), and imported files are only read. As
    // for any memory-mapping reader (ripgrep's, for one), another process truncating or rewriting the file
    // while it is mapped is outside what this can guard against.
    unsafe {
        memmap2::Mmap::map(file)
    }
}
