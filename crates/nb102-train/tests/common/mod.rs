//! What the training tests share: IDX files in Fashion-MNIST's layout. xtask's regenerate test includes this file
//! too, so it uses nothing but std and flate2.

use std::io::Write;
use std::path::Path;

/// Writes `NAME.gz` in `dir`: an IDX file of unsigned bytes with dimensions `dims`, gzip-compressed.
pub fn write_idx_gz(dir: &Path, name: &str, dims: &[u32], data: &[u8]) {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
    bytes.extend(data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    std::fs::write(dir.join(format!("{name}.gz")), gz.finish().unwrap()).unwrap();
}
