//! The NATS-Bench size space against the reference (`tests/data/size-golden.tsv`, from `scripts/golden/size_space.py`):
//! every channel string in the official archive's order, and the parameters and FLOPs of xautodl's network on a
//! sample of 162 networks on each dataset's shape.

use nb102_space::{Channels, Dataset, SizeConfig, NUM_SIZES};
use sha2::{Digest, Sha256};

fn golden() -> impl Iterator<Item = Vec<&'static str>> {
    include_str!("data/size-golden.tsv").lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').collect())
}

#[test]
fn every_channel_string_is_in_the_archives_order() {
    let mut h = Sha256::new();
    for index in 0..NUM_SIZES {
        h.update(Channels::from_official_index(index).unwrap().to_string().as_bytes());
        h.update(b"\n");
    }
    let meta = golden().find(|f| f[0] == "meta_archs").expect("the meta digest");
    assert_eq!(format!("{:x}", h.finalize()), meta[1]);
}

#[test]
fn parameters_and_flops_are_xautodls() {
    let mut checked = 0;
    for fields in golden().filter(|f| f[0] != "meta_archs") {
        let channels = Channels::from_official_index(fields[0].parse().unwrap()).unwrap();
        assert_eq!(channels.to_string(), fields[1]);
        for (dataset, expected) in
            [Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120].into_iter().zip(&fields[2..])
        {
            let costs = SizeConfig::nats(channels, dataset).costs().unwrap();
            assert_eq!(
                &format!("{:.6}/{:.6}", costs.params_mb(), costs.flops_m()),
                expected,
                "{channels} on {dataset}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * 162);
}
