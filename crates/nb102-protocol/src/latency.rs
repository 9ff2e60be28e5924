//! A latency measurement, as `nb102-model latency` prints it and `cargo xtask regenerate`'s cal stage keeps it.

use serde::{Deserialize, Serialize};

/// The inference latency of one network on one dataset's input shape, the reference's way (spec 05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// The cell, as its official string.
    pub arch: String,
    /// The dataset whose input shape and classes the network has.
    pub dataset: String,
    /// The device, as libtorch names it (`Cpu`, `Cuda(0)`).
    pub device: String,
    /// Images per batch.
    pub batch: i64,
    /// The mean of the samples, in seconds.
    pub latency_s: f64,
    /// Seconds per batch, one per batch timed (the first, warm-up batch dropped).
    pub samples_s: Vec<f64>,
}
