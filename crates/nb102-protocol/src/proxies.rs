//! The zero-cost proxies by name: what each needs, whose code defines it, and NASLib's post-processing
//! (`docs/PROXIES.md`). `nb102-model` computes them; the store keeps their scores under these names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;

/// A zero-cost proxy: a score of an untrained network from at most one batch.
///
/// The names are the reference code's (`foresight` of zero-cost-nas, and NASLib's for NAS-Bench-Suite-Zero),
/// except `nwot_relu`, the corrected NASWOT kernel (see [`Proxy::NwotRelu`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proxy {
    /// Σ over conv and linear weights of ‖∂L/∂W‖₂.
    GradNorm,
    /// Σ |W ⊙ ∂L/∂W|.
    Snip,
    /// Σ −W ⊙ (H ∂L/∂W), signed.
    Grasp,
    /// Σ over output channels of ½·meanₙ(Σ_hw a·∂L/∂a)², counted once per weight of the channel.
    Fisher,
    /// foresight's Jacobian covariance: −Σ ln(λ + 1e-5) + 1/(λ + 1e-5) over the eigenvalues of the correlation of
    /// the per-sample input gradients of Σ logits.
    JacobCov,
    /// Σ ∂L/∂W ⊙ W, signed.
    Plain,
    /// Σ |W ⊙ ∂R/∂W| with R = Σ logits of an all-ones input, absolute weights, float64, batch norms bypassed.
    Synflow,
    /// As synflow with batch norms kept (train mode, one sample).
    SynflowBn,
    /// Σ ‖W‖₂ over conv and linear weights: no data.
    L2Norm,
    /// NASLib's name of [`Proxy::JacobCov`]: the same computation.
    Jacov,
    /// EPE-NAS: per-class correlations of the input gradients.
    EpeNas,
    /// NASWOT (second version) as NAS-Bench-Suite-Zero computed it: ln|det K| of the binary codes at every module
    /// whose type name contains `ReLU`, so each `ReLUConvBN` counts twice (its own and its inner ReLU's).
    Nwot,
    /// NASWOT with one code per ReLU, as the paper defines the kernel.
    NwotRelu,
    /// Zen-NAS: ln E|f(x) − f(x + 0.01ε)| + Σ ln √mean(running_var) with Gaussian weights, f the maps before
    /// global pooling.
    Zen,
    /// Parameters, in millions (NAS-Bench-201's count).
    Params,
    /// FLOPs, in millions (NAS-Bench-201's count).
    Flops,
}

/// What a proxy reads of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: the weights only.
    Weights,
    /// The batch's shape, not its values (an all-ones input, or Gaussian noise of that shape).
    Shape,
    /// The images and labels.
    Batch,
}

impl Proxy {
    /// Every proxy, in this order.
    pub const ALL: [Proxy; 16] = [
        Proxy::GradNorm,
        Proxy::Snip,
        Proxy::Grasp,
        Proxy::Fisher,
        Proxy::JacobCov,
        Proxy::Plain,
        Proxy::Synflow,
        Proxy::SynflowBn,
        Proxy::L2Norm,
        Proxy::Jacov,
        Proxy::EpeNas,
        Proxy::Nwot,
        Proxy::NwotRelu,
        Proxy::Zen,
        Proxy::Params,
        Proxy::Flops,
    ];

    /// The name the reference code registers it under.
    pub fn name(self) -> &'static str {
        match self {
            Proxy::GradNorm => "grad_norm",
            Proxy::Snip => "snip",
            Proxy::Grasp => "grasp",
            Proxy::Fisher => "fisher",
            Proxy::JacobCov => "jacob_cov",
            Proxy::Plain => "plain",
            Proxy::Synflow => "synflow",
            Proxy::SynflowBn => "synflow_bn",
            Proxy::L2Norm => "l2_norm",
            Proxy::Jacov => "jacov",
            Proxy::EpeNas => "epe_nas",
            Proxy::Nwot => "nwot",
            Proxy::NwotRelu => "nwot_relu",
            Proxy::Zen => "zen",
            Proxy::Params => "params",
            Proxy::Flops => "flops",
        }
    }

    /// What it reads of the batch.
    pub fn needs(self) -> Needs {
        match self {
            Proxy::L2Norm | Proxy::Params | Proxy::Flops => Needs::Weights,
            Proxy::Synflow | Proxy::SynflowBn | Proxy::Zen => Needs::Shape,
            _ => Needs::Batch,
        }
    }

    /// NASLib's post-processing of a score (`ZeroCost.query`): NaN and ±∞ become −1e8, then synflow becomes
    /// ln s for s > 0, −ln(−s) for s < 0, and stays 0 at 0.
    pub fn naslib_postprocess(self, score: f64) -> f64 {
        let score = if score.is_finite() { score } else { -1e8 };
        match self {
            Proxy::Synflow if score > 0.0 => score.ln(),
            Proxy::Synflow if score < 0.0 => -(-score).ln(),
            _ => score,
        }
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Proxy {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Proxy, ProtocolError> {
        Proxy::ALL.into_iter().find(|p| p.name() == text).ok_or_else(|| ProtocolError::Config {
            what: "proxy",
            expected: format!("one of {}", Proxy::ALL.map(Proxy::name).join(", ")),
            found: format!("{text:?}"),
        })
    }
}

/// A comma-separated list of proxy names, in the order given, without repeats.
///
/// # Errors
/// [`ProtocolError::Config`] for a name that is no proxy, or an empty list.
pub fn parse_proxies(text: &str) -> Result<Vec<Proxy>, ProtocolError> {
    let mut proxies = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let proxy: Proxy = name.parse()?;
        if !proxies.contains(&proxy) {
            proxies.push(proxy);
        }
    }
    if proxies.is_empty() {
        return Err(ProtocolError::Config {
            what: "proxies",
            expected: "a comma-separated list of proxy names".to_owned(),
            found: format!("{text:?}"),
        });
    }
    Ok(proxies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_bad_ones_are_refused() {
        for proxy in Proxy::ALL {
            assert_eq!(proxy.name().parse::<Proxy>().unwrap(), proxy);
            assert_eq!(serde_json::to_string(&proxy).unwrap(), format!("\"{}\"", proxy.name()));
        }
        let err = "synflo".parse::<Proxy>().unwrap_err().to_string();
        assert!(err.starts_with("invalid proxy: expected one of grad_norm, snip,"), "{err}");
        assert_eq!(parse_proxies("snip, synflow,snip").unwrap(), [Proxy::Snip, Proxy::Synflow]);
        assert!(parse_proxies(" , ").is_err());
    }

    #[test]
    fn naslib_postprocessing_maps_non_finite_scores_and_logs_synflow() {
        assert_eq!(Proxy::Nwot.naslib_postprocess(f64::NEG_INFINITY), -1e8);
        assert_eq!(Proxy::JacobCov.naslib_postprocess(f64::NAN), -1e8);
        assert_eq!(Proxy::Synflow.naslib_postprocess(0.0), 0.0);
        // Spec 11.8: synflow 3.8732263482729856e34 -> 79.64198100324394.
        assert!((Proxy::Synflow.naslib_postprocess(3.873_226_348_272_985_6e34) - 79.641_981_003_243_94).abs() < 1e-12);
        assert_eq!(Proxy::Synflow.naslib_postprocess(-1.0f64.exp()), -1.0);
        // -1e8 for a non-finite synflow is then logged, as NASLib's order of the two steps does.
        assert!((Proxy::Synflow.naslib_postprocess(f64::NAN) + 1e8f64.ln()).abs() < 1e-12);
        assert_eq!(Proxy::Snip.naslib_postprocess(-2.5), -2.5);
    }
}
