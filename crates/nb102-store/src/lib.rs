//! Records and files of the benchmark: the record of one training trial, per-trial files, the merged
//! benchmark file, and importers of the official NAS-Bench-201 and NATS-Bench files.
//!
//! This crate does not link libtorch; its merge and simplify core does no I/O.
//! It holds no items yet: the record types are defined together with the first code that writes them.
