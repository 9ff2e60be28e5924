//! Writes the trial_file target's seeds into the folder given: trial files of an imported NATS-Bench record (no
//! weights) and of an imported NAS-Bench-201 record with weights, from nb102-store's fixtures
//! (`scripts/fuzz/run.sh` runs it once).

use std::io::Read;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: trial_seeds OUT_DIR")?);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data");
    let nats = nb102_store::read_nats_file(&fixtures.join("nats-like/000007.pickle.pbz2"))?;
    let twelve = nats.iter().find(|r| r.hp.epochs() == 12).ok_or("a 12-epoch record")?;
    nb102_store::write_trial(&out.join("nats-12.trial.cbor"), twelve)?;

    let mut pth = Vec::new();
    bzip2::read::BzDecoder::new(std::fs::File::open(fixtures.join("nb201/cell-zip-FULL.pth.bz2"))?)
        .read_to_end(&mut pth)?;
    let scratch = std::env::temp_dir().join(format!("nb102-trial-seeds-{}.pth", std::process::id()));
    std::fs::write(&scratch, pth)?;
    let mut with_weights = None;
    nb102_store::read_nb201_pth(&scratch, |_, records| {
        with_weights = with_weights.take().or_else(|| records.into_iter().find(|r| r.weights.is_some()));
        Ok(())
    })?;
    std::fs::remove_file(&scratch)?;
    nb102_store::write_trial(&out.join("nb201-weights.trial.cbor"), &with_weights.ok_or("a record with weights")?)?;
    Ok(())
}
