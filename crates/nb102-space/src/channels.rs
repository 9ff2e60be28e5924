//! The NATS-Bench size search space (`sss`, spec 10): one fixed cell, and the widths of the network's five layers,
//! each one of 8, 16, …, 64 — 32,768 networks, named `c0:c1:c2:c3:c4`.
//!
//! The official index is the order of the archive's `meta_archs` (`main-sss.py traverse_net`, position 0
//! outermost): the base-8 number whose digits are `c/8 − 1`, the last layer fastest. The widths are, in forward
//! order, those of the stem and first cell (c0), the first residual block (c1), the second cell (c2), the second
//! residual block (c3) and the third cell (c4, the classifier's input): [`SizeConfig`] lays the network out.

use std::fmt;
use std::str::FromStr;

use rand::Rng;

use crate::arch::Arch;
use crate::error::{Result, SpaceError};
use crate::layout::Block;
use crate::network::{validate_data, Dataset};

/// The widths a layer may have.
pub const CANDIDATES: [u16; 8] = [8, 16, 24, 32, 40, 48, 56, 64];

/// Layers with a chosen width.
pub const NUM_LAYERS: usize = 5;

/// Networks in the size space, `8^5`.
pub const NUM_SIZES: usize = 32_768;

/// The size space's fixed cell, the topology space's index 9930 (`main-sss.py`: the cell with the best CIFAR-100
/// validation accuracy): `|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|`.
pub const SIZE_CELL_INDEX: usize = 9930;

/// One network of the size space: the widths of its five layers.
///
/// ```
/// use nb102_space::Channels;
/// let c: Channels = "8:8:40:32:40".parse()?;
/// assert_eq!(c.official_index(), 284);
/// assert_eq!(Channels::from_official_index(32767)?.to_string(), "64:64:64:64:64");
/// # Ok::<(), nb102_space::SpaceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Channels {
    widths: [u16; NUM_LAYERS],
}

impl Channels {
    /// The network of these widths, each one of [`CANDIDATES`].
    pub(crate) const fn of_candidates(widths: [u16; NUM_LAYERS]) -> Channels {
        Channels { widths }
    }

    /// The widths in forward order.
    pub const fn widths(&self) -> [u16; NUM_LAYERS] {
        self.widths
    }

    /// The network at `index` of the official order.
    ///
    /// # Errors
    /// [`SpaceError::SizeIndexOutOfRange`] unless `index < 32768`.
    pub fn from_official_index(index: usize) -> Result<Channels> {
        if index >= NUM_SIZES {
            return Err(SpaceError::SizeIndexOutOfRange(index as u64));
        }
        let mut widths = [0; NUM_LAYERS];
        for (k, w) in widths.iter_mut().enumerate() {
            *w = CANDIDATES[(index >> (3 * (NUM_LAYERS - 1 - k))) & 7];
        }
        Ok(Channels { widths })
    }

    /// The position in the official order.
    pub fn official_index(&self) -> usize {
        self.widths.iter().fold(0, |acc, &w| acc * CANDIDATES.len() + usize::from(w / 8 - 1))
    }

    /// A network as command lines and query APIs take it: an official index in decimal digits, or a channel string.
    ///
    /// # Errors
    /// As [`Channels::from_official_index`] and [`FromStr`].
    pub fn from_index_or_str(text: &str) -> Result<Channels> {
        if let Some(index) = crate::parse::index_digits(text) {
            return usize::try_from(index)
                .map_err(|_| SpaceError::SizeIndexOutOfRange(index))
                .and_then(Channels::from_official_index);
        }
        text.parse()
    }

    /// A network drawn uniformly (`random_size_func` of NATS-algos: each layer's width uniformly).
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Channels {
        let mut widths = [0; NUM_LAYERS];
        for w in &mut widths {
            *w = CANDIDATES[rng.random_range(0..CANDIDATES.len())];
        }
        Channels { widths }
    }

    /// NATS-algos' `mutate_size_func`: a layer uniformly, and a width uniformly among all eight, which may be the
    /// one it had (so the child may equal its parent, as the reference's may).
    pub fn mutate<R: Rng + ?Sized>(&self, rng: &mut R) -> Channels {
        let layer = rng.random_range(0..NUM_LAYERS);
        let mut widths = self.widths;
        widths[layer] = CANDIDATES[rng.random_range(0..CANDIDATES.len())];
        Channels { widths }
    }

    /// The 35 networks that differ from this one in one layer's width, in official order.
    pub fn neighbours(&self) -> Vec<Channels> {
        let mut out: Vec<Channels> = (0..NUM_LAYERS)
            .flat_map(|layer| {
                CANDIDATES.iter().filter(move |&&w| w != self.widths[layer]).map(move |&w| {
                    let mut widths = self.widths;
                    widths[layer] = w;
                    Channels { widths }
                })
            })
            .collect();
        out.sort();
        out
    }

    /// The fixed cell every network of the size space repeats.
    pub fn cell() -> Arch {
        Arch::from_official_index(SIZE_CELL_INDEX).expect("9930 is an official index")
    }
}

impl fmt::Display for Channels {
    /// `c0:c1:c2:c3:c4`, as the archive's `meta_archs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e] = self.widths;
        write!(f, "{a}:{b}:{c}:{d}:{e}")
    }
}

impl FromStr for Channels {
    type Err = SpaceError;

    /// Exactly five widths joined by `:`, each one of the candidates written as the archive writes it (no spaces,
    /// signs or leading zeros).
    fn from_str(text: &str) -> Result<Channels> {
        let fields: Vec<&str> = text.split(':').collect();
        if fields.len() != NUM_LAYERS {
            return Err(SpaceError::ChannelString {
                input: text.to_owned(),
                found: format!("{} fields", fields.len()),
            });
        }
        let mut widths = [0; NUM_LAYERS];
        for (w, field) in widths.iter_mut().zip(&fields) {
            *w = *CANDIDATES
                .iter()
                .find(|c| c.to_string() == *field)
                .ok_or_else(|| SpaceError::ChannelString { input: text.to_owned(), found: format!("{field:?}") })?;
        }
        Ok(Channels { widths })
    }
}

/// A network of the size space built for a dataset (`infer.shape.tiny`, xautodl's `DynamicShapeTinyNet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeConfig {
    /// The five widths.
    pub channels: Channels,
    /// Outputs of the classifier.
    pub classes: i64,
    /// Channels of the input images.
    pub in_channels: i64,
    /// Height and width of the input images.
    pub input_size: (i64, i64),
}

impl SizeConfig {
    /// The size space's network for `dataset` (as NATS-Bench built it).
    pub fn nats(channels: Channels, dataset: Dataset) -> SizeConfig {
        let input_size = dataset.input_size();
        SizeConfig { channels, classes: dataset.classes(), in_channels: dataset.in_channels(), input_size }
    }

    /// Checks that the network can be built (its widths always can).
    ///
    /// # Errors
    /// [`SpaceError::NetworkConfig`] for classes, image channels or sides out of bounds, or sides that are not
    /// multiples of 4.
    pub fn validate(&self) -> Result<()> {
        validate_data(self.classes, self.in_channels, self.input_size)
    }

    /// The blocks in forward order (spec 10.2): stem and a cell at c0, a residual block to c1, a cell c1 → c2, a
    /// residual block to c3, a cell c3 → c4, the head.
    pub fn blocks(&self) -> Vec<Block> {
        let [c0, c1, c2, c3, c4] = self.channels.widths().map(i64::from);
        let mut size = self.input_size;
        let mut blocks = vec![Block::Stem { in_channels: self.in_channels, channels: c0, size }];
        blocks.push(Block::Cell { index: 0, stage: 0, in_channels: c0, channels: c0, size });
        for (stage, (input, reduced, cell)) in [(c0, c1, c2), (c2, c3, c4)].into_iter().enumerate() {
            let index = 2 * stage + 1;
            blocks.push(Block::Reduction { index, stage: stage + 1, in_channels: input, channels: reduced, size });
            size = (size.0 / 2, size.1 / 2);
            blocks.push(Block::Cell { index: index + 1, stage: stage + 1, in_channels: reduced, channels: cell, size });
        }
        blocks.push(Block::Head { channels: c4, classes: self.classes });
        blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_official_order_is_the_archives() {
        // Test vectors of spec 10.1, all from the real `meta_archs`.
        for (index, text) in [
            (0, "8:8:8:8:8"),
            (1, "8:8:8:8:16"),
            (7, "8:8:8:8:64"),
            (8, "8:8:8:16:8"),
            (11, "8:8:8:16:32"),
            (64, "8:8:16:8:8"),
            (284, "8:8:40:32:40"),
            (4681, "16:16:16:16:16"),
            (9362, "24:24:24:24:24"),
            (28672, "64:8:8:8:8"),
            (32767, "64:64:64:64:64"),
        ] {
            let c = Channels::from_official_index(index).unwrap();
            assert_eq!(c.to_string(), text);
            assert_eq!(text.parse::<Channels>().unwrap().official_index(), index);
            assert_eq!(Channels::from_index_or_str(&index.to_string()).unwrap(), c);
        }
        for index in 0..NUM_SIZES {
            assert_eq!(Channels::from_official_index(index).unwrap().official_index(), index);
        }
        assert!(Channels::from_official_index(NUM_SIZES).is_err());
        assert_eq!(
            Channels::cell().to_string(),
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
        );
    }

    #[test]
    fn strings_are_parsed_strictly() {
        for bad in
            [" 8:8:40:32:40", "8:8:40:32:41", "8:8:40:32", "8:8:40:32:40:8", "08:8:40:32:40", "8:8:40:32:+40", ""]
        {
            let err = bad.parse::<Channels>().unwrap_err().to_string();
            assert!(err.starts_with("invalid channel string") && err.contains("expected five widths"), "{bad}: {err}");
        }
        assert!(Channels::from_index_or_str("32768").is_err());
        assert!(Channels::from_index_or_str("99999999999999999999999").is_err());
    }

    #[test]
    fn mutation_changes_at_most_one_layer_and_neighbours_exactly_one() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let parent: Channels = "8:8:40:32:40".parse().unwrap();
        let mut same = 0;
        for _ in 0..1000 {
            let child = parent.mutate(&mut rng);
            let differ = parent.widths().iter().zip(child.widths()).filter(|(a, b)| **a != *b).count();
            assert!(differ <= 1);
            same += usize::from(differ == 0);
        }
        // One draw in eight keeps the width.
        assert!((80..170).contains(&same), "{same}");
        let neighbours = parent.neighbours();
        assert_eq!(neighbours.len(), 35);
        assert!(neighbours.windows(2).all(|w| w[0] < w[1]));
        let random: Vec<Channels> = (0..100).map(|_| Channels::random(&mut rng)).collect();
        assert!(random.iter().any(|c| c.widths()[0] == 64) && random.iter().any(|c| c.widths()[4] == 8));
    }
}
