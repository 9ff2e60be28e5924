//! Zero-cost proxy scores of a benchmark file's cells: the columns of its proxy-score section
//! ([`nb102_store::ProxyTable`]), chosen by proxy and whatever of the rest of their key a caller gives.

use nb102_space::Architecture;
use nb102_store::{ProxyColumn, ProxyKey, ProxyVariant, Setting};

use crate::error::{ApiError, Result};
use crate::query::Api;

/// Which columns of a proxy: each field left `None` matches any value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyFilter {
    /// The setting (network and data) the scores were computed on.
    pub setting: Option<Setting>,
    /// The batch size.
    pub batch_size: Option<u32>,
    /// The seed.
    pub seed: Option<u64>,
    /// Raw scores or NASLib's post-processed ones.
    pub variant: Option<ProxyVariant>,
}

impl ProxyFilter {
    /// Whether `key` matches every field given (whatever its proxy).
    pub fn matches(&self, key: &ProxyKey) -> bool {
        self.setting.is_none_or(|s| s == key.setting)
            && self.batch_size.is_none_or(|b| b == key.batch_size)
            && self.seed.is_none_or(|s| key.seed == Some(s))
            && self.variant.is_none_or(|v| v == key.variant)
    }
}

impl Api {
    /// Every proxy-score column of the file, in key order (none for a file without proxy scores).
    ///
    /// # Errors
    /// A damaged proxy-score section.
    pub fn proxy_columns(&self) -> Result<&[ProxyColumn]> {
        Ok(self.file().proxies()?.map_or(&[][..], |t| t.columns()))
    }

    /// The one column of `proxy` that `filter` picks.
    ///
    /// # Errors
    /// [`ApiError::Proxy`] when no column or several match (the message lists the file's columns of that proxy);
    /// a damaged section.
    pub fn proxy_column(&self, proxy: &str, filter: &ProxyFilter) -> Result<&ProxyColumn> {
        let columns = self.proxy_columns()?;
        let matching: Vec<&ProxyColumn> =
            columns.iter().filter(|c| c.key().proxy == proxy && filter.matches(c.key())).collect();
        match matching.as_slice() {
            [one] => Ok(one),
            [] => {
                let of_proxy: Vec<String> =
                    columns.iter().filter(|c| c.key().proxy == proxy).map(|c| c.key().to_string()).collect();
                let names: std::collections::BTreeSet<&str> = columns.iter().map(|c| c.key().proxy.as_str()).collect();
                Err(ApiError::Proxy(if of_proxy.is_empty() {
                    let names: Vec<&str> = names.into_iter().collect();
                    format!("expected a proxy the file scores ({}), found {proxy:?}", list(&names))
                } else {
                    format!("expected one of the file's {proxy} columns ({}), found no match", of_proxy.join("; "))
                }))
            }
            several => Err(ApiError::Proxy(format!(
                "expected one {proxy} column, found {} ({}): give the setting, batch size, seed or variant",
                several.len(),
                several.iter().map(|c| c.key().to_string()).collect::<Vec<_>>().join("; ")
            ))),
        }
    }

    /// The score of cell `index` in the one column of `proxy` that `filter` picks.
    ///
    /// # Errors
    /// As [`Api::proxy_column`]; [`ApiError::Proxy`] for a cell that column does not score.
    pub fn proxy(&self, index: usize, proxy: &str, filter: &ProxyFilter) -> Result<f64> {
        self.space().check_index(index)?;
        let column = self.proxy_column(proxy, filter)?;
        column
            .get(index)
            .ok_or_else(|| ApiError::Proxy(format!("expected a cell that {} scores, found cell {index}", column.key())))
    }
}

impl Api {
    /// The cell with the highest score in the one column of `proxy` that `filter` picks (a NaN score ranks lowest),
    /// among the cells it scores within the FLOP and parameter limits (millions; the benchmark's counts for the
    /// column's setting, whether or not the file has the cell's records); `None` when no cell is within them.
    ///
    /// # Errors
    /// As [`Api::proxy_column`].
    pub fn find_best_by_proxy(
        &self,
        proxy: &str,
        filter: &ProxyFilter,
        flop_max: Option<f64>,
        param_max: Option<f64>,
    ) -> Result<Option<(usize, f64)>> {
        let column = self.proxy_column(proxy, filter)?;
        let dataset = column.key().setting.dataset();
        let space = self.space();
        let mut best: Option<(usize, f64)> = None;
        for index in (0..space.num_archs()).filter(|&i| column.has(i)) {
            if flop_max.is_some() || param_max.is_some() {
                let costs = Architecture::from_official_index(space, index)?.benchmark_network(dataset).costs()?;
                if flop_max.is_some_and(|m| costs.flops_m() > m) || param_max.is_some_and(|m| costs.params_mb() > m) {
                    continue;
                }
            }
            let score = column.get(index).expect("a scored cell");
            let rank = |s: f64| if s.is_nan() { f64::NEG_INFINITY } else { s };
            if best.is_none_or(|(_, b)| rank(score) > rank(b)) {
                best = Some((index, score));
            }
        }
        Ok(best)
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "it scores none".to_owned()
    } else {
        names.join(", ")
    }
}
