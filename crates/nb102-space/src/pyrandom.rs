//! CPython's `random` module, as far as NAS-Bench-201 depends on it: MT19937 seeded from an int,
//! `getrandbits`, `randbelow` and `shuffle`.
//!
//! The official architecture order is `random.seed(88); random.shuffle(archs)` and the CIFAR-10
//! train/valid split is `random.seed(1021); random.shuffle(range(50000))`; reproducing them needs
//! CPython's exact generator and its exact way of turning 32-bit words into bounded integers
//! (rejection sampling on `bit_length(n)` bits, one word per call for up to 32 bits).
//! Port of `Modules/_randommodule.c` and `Lib/random.py` (CPython 3.11). Float draws are left out:
//! nothing in the benchmark uses them.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// A `random.Random` instance: the Mersenne Twister with CPython's seeding and integer helpers.
///
/// ```
/// use nb102_space::pyrandom::PyRandom;
/// let mut rng = PyRandom::new(88);
/// assert_eq!(rng.next_u32(), 1707201716); // `random.seed(88); random.getrandbits(32)`
/// ```
#[derive(Clone)]
pub struct PyRandom {
    mt: [u32; N],
    index: usize,
}

impl PyRandom {
    /// `random.seed(seed)` for a non-negative int: `init_by_array` over the seed's 32-bit words,
    /// least significant first.
    pub fn new(seed: u64) -> PyRandom {
        let (low, high) = (seed as u32, (seed >> 32) as u32);
        if high == 0 {
            PyRandom::from_key(&[low])
        } else {
            PyRandom::from_key(&[low, high])
        }
    }

    /// One 32-bit output, `genrand_uint32`.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random.getrandbits(k)` for `k <= 64`: one word per 32 bits, least significant word first,
    /// the last word keeping its top bits.
    ///
    /// # Panics
    /// If `k > 64`.
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        assert!(k <= 64, "getrandbits supports up to 64 bits, asked for {k}");
        let mut value = 0u64;
        let mut remaining = k;
        let mut shift = 0;
        while remaining > 0 {
            let mut word = self.next_u32();
            if remaining < 32 {
                word >>= 32 - remaining;
            }
            value |= u64::from(word) << shift;
            shift += 32;
            remaining = remaining.saturating_sub(32);
        }
        value
    }

    /// `random._randbelow(n)`: uniform in `0..n` by rejection on `n.bit_length()` bits; 0 when `n == 0`.
    pub fn randbelow(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let k = u64::BITS - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `random.shuffle(items)`: Fisher–Yates from the last position down to 1.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `init_by_array(key)`.
    fn from_key(key: &[u32]) -> PyRandom {
        let mut mt = [0u32; N];
        mt[0] = 19_650_218;
        for i in 1..N {
            mt[i] = 1_812_433_253u32.wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        let (mut i, mut j) = (1, 0);
        for _ in 0..N.max(key.len()) {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        PyRandom { mt, index: N }
    }

    /// Regenerates the 624 words of state.
    fn twist(&mut self) {
        let mt = &mut self.mt;
        for kk in 0..N {
            let y = (mt[kk] & UPPER_MASK) | (mt[(kk + 1) % N] & LOWER_MASK);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            mt[kk] = mt[(kk + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_88_matches_cpython() {
        // `random.seed(88); [random.getrandbits(32) for _ in range(5)]` (spec 01 §1.4).
        let mut rng = PyRandom::new(88);
        let words: Vec<u32> = (0..5).map(|_| rng.next_u32()).collect();
        assert_eq!(words, [1707201716, 4182107318, 813946014, 1429399738, 3875947387]);
    }

    #[test]
    fn first_swaps_of_the_official_shuffle_match_cpython() {
        // The (i, j) pairs of `random.seed(88); random.shuffle(list(range(15625)))` (spec 01 §1.4).
        let mut rng = PyRandom::new(88);
        let swaps: Vec<(u64, u64)> = (15620..15625).rev().map(|i| (i, rng.randbelow(i + 1))).collect();
        assert_eq!(swaps, [(15624, 6512), (15623, 3104), (15622, 5452), (15621, 14785), (15620, 3030)]);
    }

    #[test]
    fn wide_seeds_and_draws_follow_cpython() {
        // `r = random.Random(2**40 + 5); r.getrandbits(32), r.getrandbits(40), r.getrandbits(64),
        // r._randbelow(10**12)` under CPython 3.11.
        let mut rng = PyRandom::new((1 << 40) + 5);
        assert_eq!(rng.getrandbits(32), 2166296868);
        assert_eq!(rng.getrandbits(40), 294277936956);
        assert_eq!(rng.getrandbits(64), 17077747508935831298);
        assert_eq!(rng.randbelow(1_000_000_000_000), 579938387080);
        assert_eq!(PyRandom::new(0).randbelow(0), 0);
    }
}
