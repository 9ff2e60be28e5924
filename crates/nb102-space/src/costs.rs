//! Parameters and FLOPs, counted the way the reference reports them.
//!
//! `xautodl.utils.get_model_infos`: parameters are all trainable tensors (batch-norm weights and biases
//! included, running statistics not), in millions; FLOPs sum only convolutions
//! (`k*k*C_in*C_out*H_out*W_out`, no bias here) and linear layers (`in*out + out`) for one image, in
//! millions; pooling, batch norm, ReLU and additions count nothing, and every op present is counted,
//! including those on edges whose output is discarded. Counting runs on the layout, without tensors,
//! so all 15,625 cells cost microseconds.

use crate::arch::EDGES;
use crate::channels::{Channels, SizeConfig};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::layout::{blocks, Block};
use crate::network::{Network, NetworkConfig};
use crate::op::Op;

/// Cost of a whole network, and of its parts in forward order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Costs {
    /// Trainable parameters.
    pub params: u64,
    /// Multiply-accumulates of convolutions and linear layers for one image.
    pub flops: u64,
    /// `stem`, `stage1`, `reduction1`, `stage2`, `reduction2`, `stage3`, `head`.
    pub parts: Vec<PartCosts>,
}

/// Cost of one part of the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartCosts {
    /// Name of the part.
    pub name: &'static str,
    /// Trainable parameters.
    pub params: u64,
    /// FLOPs for one image.
    pub flops: u64,
}

impl Costs {
    /// Parameters in millions, the reference's `params` ("MB").
    pub fn params_mb(&self) -> f64 {
        self.params as f64 / 1e6
    }

    /// FLOPs in millions, the reference's `flop`.
    pub fn flops_m(&self) -> f64 {
        self.flops as f64 / 1e6
    }
}

impl NetworkConfig {
    /// Parameters and FLOPs of the network this config builds.
    ///
    /// # Errors
    /// As [`NetworkConfig::validate`].
    pub fn costs(&self) -> Result<Costs> {
        self.validate()?;
        Ok(count(&blocks(&self.skeleton()), &self.cell))
    }
}

impl SizeConfig {
    /// Parameters and FLOPs of the size space's network (spec 10.3), as xautodl's `get_model_infos` counts them.
    ///
    /// # Errors
    /// As [`SizeConfig::validate`].
    pub fn costs(&self) -> Result<Costs> {
        self.validate()?;
        Ok(count(&self.blocks(), &Genotype::of(Channels::cell())))
    }
}

impl Network {
    /// Parameters and FLOPs of the network.
    ///
    /// # Errors
    /// As [`Network::validate`].
    pub fn costs(&self) -> Result<Costs> {
        self.validate()?;
        Ok(count(&self.blocks(), &self.cell()))
    }
}

/// The costs of `blocks` with `cell` in every cell block.
fn count(blocks: &[Block], cell: &Genotype) -> Costs {
    const PART_NAMES: [&str; 7] = ["stem", "stage1", "reduction1", "stage2", "reduction2", "stage3", "head"];
    let mut parts: Vec<PartCosts> = PART_NAMES.iter().map(|&name| PartCosts { name, params: 0, flops: 0 }).collect();
    for &block in blocks {
        let (part, Count { params, flops }) = match block {
            Block::Stem { in_channels, channels, size } => {
                (0, conv(in_channels, channels, 3, size) + batch_norm(channels))
            }
            Block::Cell { stage, in_channels, channels, size, .. } => {
                // InferCell: a layer from node 0 goes from the cell's input width to its width; the others keep it.
                let count = cell.layers().iter().fold(Count::default(), |acc, &(edge, op)| {
                    let c_in = if EDGES[edge].1 == 0 { in_channels } else { channels };
                    acc + layer(op, c_in, channels, size)
                });
                (2 * stage + 1, count)
            }
            Block::Reduction { stage, in_channels, channels, size, .. } => {
                let out = (size.0 / 2, size.1 / 2);
                let count = conv(in_channels, channels, 3, out)
                    + batch_norm(channels)
                    + conv(channels, channels, 3, out)
                    + batch_norm(channels)
                    + conv(in_channels, channels, 1, out);
                (2 * stage, count)
            }
            Block::Head { channels, classes } => {
                let linear = (channels * classes + classes) as u64;
                (6, batch_norm(channels) + Count { params: linear, flops: linear })
            }
        };
        parts[part].params += params;
        parts[part].flops += flops;
    }
    Costs { params: parts.iter().map(|p| p.params).sum(), flops: parts.iter().map(|p| p.flops).sum(), parts }
}

/// One layer of a cell from `c_in` to `c_out` channels at stride 1 (xautodl's `OPS`): a convolution and its batch
/// norm; where the widths differ, `skip_connect` is a `FactorizedReduce` (a 1×1 convolution and a batch norm) and
/// `avg_pool_3x3` starts with a 1×1 `ReLUConvBN`; `none` and pooling count nothing.
fn layer(op: Op, c_in: i64, c_out: i64, size: (i64, i64)) -> Count {
    match op {
        Op::NorConv1x1 => conv(c_in, c_out, 1, size) + batch_norm(c_out),
        Op::NorConv3x3 => conv(c_in, c_out, 3, size) + batch_norm(c_out),
        Op::SkipConnect | Op::AvgPool3x3 if c_in != c_out => conv(c_in, c_out, 1, size) + batch_norm(c_out),
        Op::None | Op::SkipConnect | Op::AvgPool3x3 => Count::default(),
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    params: u64,
    flops: u64,
}

impl std::ops::Add for Count {
    type Output = Count;
    fn add(self, other: Count) -> Count {
        Count { params: self.params + other.params, flops: self.flops + other.flops }
    }
}

/// A bias-free `k x k` convolution producing an `out` sized map.
fn conv(c_in: i64, c_out: i64, k: i64, out: (i64, i64)) -> Count {
    let weights = (k * k * c_in * c_out) as u64;
    Count { params: weights, flops: weights * (out.0 * out.1) as u64 }
}

/// An affine batch norm: weight and bias count, running statistics do not.
fn batch_norm(c: i64) -> Count {
    Count { params: 2 * c as u64, flops: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::network::Dataset;

    fn check(index: usize, dataset: Dataset, params_mb: &str, flops_m: &str) {
        let costs = NetworkConfig::nb201(Arch::from_official_index(index).unwrap(), dataset).costs().unwrap();
        assert_eq!(
            (format!("{:.6}", costs.params_mb()), format!("{:.5}", costs.flops_m())),
            (params_mb.to_owned(), flops_m.to_owned()),
            "index {index} on {dataset}"
        );
    }

    #[test]
    fn size_space_networks_cost_what_xautodl_counts() {
        // Spec 10.3: get_model_infos on `infer.shape.tiny` (params M / FLOPs M), CIFAR-10, CIFAR-100, ImageNet16-120;
        // those of 0, 11 and 284 are also the real records' `params` and `flop`.
        let table = [
            (0, ["0.011714/4.481114", "0.012524/4.481924", "0.012704/1.121336"]),
            (1, ["0.018386/4.894890", "0.019916/4.896420", "0.020256/1.225720"]),
            (7, ["0.130514/11.997834", "0.136364/12.003684", "0.137664/3.007096"]),
            (11, ["0.049202/6.840650", "0.052172/6.843620", "0.052832/1.714040"]),
            (284, ["0.144834/21.827994", "0.148524/21.831684", "0.149344/5.461816"]),
            (4681, ["0.045562/17.481898", "0.047092/17.483428", "0.047432/4.372472"]),
            (9362, ["0.101554/39.002362", "0.103804/39.004612", "0.104304/9.753528"]),
            (18724, ["0.279970/107.602330", "0.283660/107.606020", "0.284480/26.905400"]),
            (28672, ["0.199818/192.970842", "0.200628/192.971652", "0.200808/48.243768"]),
            (32760, ["0.539594/263.336026", "0.540404/263.336836", "0.540584/65.835064"]),
            (32767, ["0.713674/274.399882", "0.719524/274.405732", "0.720824/68.607608"]),
        ];
        for (index, expected) in table {
            let channels = Channels::from_official_index(index).unwrap();
            for (dataset, expected) in
                [Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120].into_iter().zip(expected)
            {
                let costs = SizeConfig::nats(channels, dataset).costs().unwrap();
                assert_eq!(
                    format!("{:.6}/{:.6}", costs.params_mb(), costs.flops_m()),
                    expected,
                    "{channels} on {dataset}"
                );
            }
        }
    }

    #[test]
    fn all_full_costs_what_xautodl_counts() {
        // xautodl's get_model_infos on `CellArchitectures['all_full']` at C16 N5 (`flop`, `param`).
        for (dataset, flops_m, params_mb) in [
            (Dataset::Cifar10, "243.71265", "1.699546"),
            (Dataset::Cifar100, "243.71850", "1.705396"),
            (Dataset::ImageNet16_120, "60.93580", "1.706696"),
        ] {
            let costs = NetworkConfig::nb201(crate::Genotype::ALL_FULL, dataset).costs().unwrap();
            assert_eq!(
                (format!("{:.5}", costs.flops_m()), format!("{:.6}", costs.params_mb())),
                (flops_m.into(), params_mb.into())
            );
        }
    }

    #[test]
    fn values_stored_in_real_benchmark_records() {
        // `params` and `flop` of the official NATS-Bench records of indices 0, 11 and 284 (spec 02 §2.6).
        check(0, Dataset::Cifar10, "0.129306", "15.64737");
        check(0, Dataset::Cifar100, "0.135156", "15.65322");
        check(0, Dataset::ImageNet16_120, "0.136456", "3.91948");
        check(11, Dataset::Cifar10, "0.802426", "113.95137");
        check(284, Dataset::ImageNet16_120, "0.108456", "2.93644");
        check(1462, Dataset::Cifar10, "1.531546", "220.11969");
        check(11472, Dataset::Cifar100, "0.565236", "78.56778");
    }

    #[test]
    fn parts_add_up_and_reductions_match_the_closed_form() {
        let costs = NetworkConfig::nb201(Arch::from_official_index(1).unwrap(), Dataset::Cifar10).costs().unwrap();
        assert_eq!(costs.parts.iter().map(|p| p.params).sum::<u64>(), costs.params);
        // ResNetBasicblock 16 -> 32: 14,464 parameters, 14,336 * 16 * 16 FLOPs (spec 02 §2.5, §2.6).
        assert_eq!((costs.parts[2].params, costs.parts[2].flops), (14_464, 14_336 * 256));
        assert_eq!((costs.parts[4].params, costs.parts[4].flops), (57_600, 57_344 * 64));
    }
}
