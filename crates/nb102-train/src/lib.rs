//! Training of NAS-Bench-201 cells: datasets, the official splits, augmentation, the seeded 12- and
//! 200-epoch protocol over the four dataset settings, and checkpoints.
//!
//! It holds no items yet: the protocol is defined together with the networks it trains.
