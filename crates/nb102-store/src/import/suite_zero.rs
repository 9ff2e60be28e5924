//! NAS-Bench-Suite-Zero's NAS-Bench-201 scores (NASLib's `zc_nasbench201.json`) as proxy-score columns.
//!
//! The file is `{dataset: {"(o1, …, o6)": {"idx", "arch", "val_accuracy", proxy: {"score", "time"}, …}}}`. A tuple
//! is NASLib's: op indices in NASLib's order (`skip_connect`, `none`, `nor_conv_3x3`, `nor_conv_1x1`,
//! `avg_pool_3x3`) on its edges 1→2, 1→3, 1→4, 2→3, 2→4, 3→4 (node 1 the cell's input), i.e. NAS-Bench-201's
//! edges 1←0, 2←0, 3←0, 2←1, 3←1, 3←2 (spec 11.9). Scores are NASLib's post-processed ones; the file spells −∞
//! as the non-standard JSON token `-Infinity`. Every cell's `params` must equal NAS-Bench-201's parameter count of
//! the mapped cell, which checks the mapping.

use std::path::Path;

use nb102_space::{Arch, NetworkConfig, Op, Space};

use crate::proxies::{ProxyKey, ProxyTable, ProxyVariant};
use crate::setting::Setting;
use crate::StoreError;

/// What the columns say of their batch: the file does not record it (spec 11.6).
pub const SUITE_ZERO_SOURCE: &str = "NAS-Bench-Suite-Zero (NASLib zc_nasbench201.json): one random training batch \
    per cell; batch size 32 inferred from its jacov scores (NASLib's config default), seed not recorded";

/// The batch size of the file's scores (spec 11.6: its jacov values exceed −64, impossible with 64 images).
const SUITE_ZERO_BATCH: u32 = 32;

/// The largest file read (the complete 15,625-cell file is about 45 MB).
const MAX_BYTES: u64 = 1 << 30;

/// NASLib's op order.
const NASLIB_OPS: [Op; 5] = [Op::SkipConnect, Op::None, Op::NorConv3x3, Op::NorConv1x1, Op::AvgPool3x3];

/// Reads the file at `path` into proxy-score columns of the topology space (keyed with NASLib's variant, batch 32,
/// no seed), checking each cell's params against NAS-Bench-201's.
///
/// # Errors
/// [`StoreError::Format`] for a file that is not such JSON, a tuple or dataset it cannot map, a score that is not
/// a number, or params that differ from NAS-Bench-201's; [`StoreError::Io`].
pub fn read_suite_zero(path: &Path) -> Result<ProxyTable, StoreError> {
    let bytes = crate::read_regular(path, "NAS-Bench-Suite-Zero's JSON file", MAX_BYTES)?;
    let bad = |expected: &str, found: String| StoreError::Format {
        path: path.to_owned(),
        expected: expected.to_owned(),
        found,
    };
    let text = String::from_utf8(bytes).map_err(|_| bad("JSON text", "bytes that are not UTF-8".into()))?;
    let json: serde_json::Value = serde_json::from_str(&quote_non_finite(&text))
        .map_err(|e| bad("NAS-Bench-Suite-Zero's JSON", format!("JSON that does not parse ({e})")))?;
    let datasets = json.as_object().ok_or_else(|| bad("a JSON object of datasets", json_kind(&json)))?;
    let mut table = ProxyTable::new(Space::Topology);
    for (dataset, cells) in datasets {
        let setting = match dataset.as_str() {
            "cifar10" => Setting::Cifar10,
            "cifar100" => Setting::Cifar100,
            "ImageNet16-120" => Setting::ImageNet16_120,
            other => return Err(bad("datasets cifar10, cifar100 and ImageNet16-120", format!("{other:?}"))),
        };
        let cells = cells.as_object().ok_or_else(|| bad("per dataset, an object of cells", json_kind(cells)))?;
        for (tuple, record) in cells {
            let arch = naslib_arch(tuple).ok_or_else(|| {
                bad("cells keyed by NASLib tuples such as \"(0, 2, 3, 2, 3, 1)\"", format!("{tuple:?}"))
            })?;
            let index = arch.official_index();
            let fields = record.as_object().ok_or_else(|| bad("per cell, an object", json_kind(record)))?;
            for (name, field) in fields {
                if matches!(name.as_str(), "idx" | "arch" | "val_accuracy") {
                    continue;
                }
                let score = field.get("score").and_then(score_value).ok_or_else(|| {
                    bad(&format!("{dataset} {tuple} {name}: a score"), field.to_string().chars().take(80).collect())
                })?;
                if name == "params" {
                    let ours = NetworkConfig::nb201(arch, setting.dataset()).costs().ok().map(|c| c.params_mb());
                    if ours != Some(score) {
                        let ours = ours.map_or("none".to_owned(), |p| p.to_string());
                        return Err(bad(
                            &format!("{dataset} {tuple} (cell {index}): params equal to NAS-Bench-201's {ours}"),
                            score.to_string(),
                        ));
                    }
                }
                let key = ProxyKey {
                    proxy: name.clone(),
                    setting,
                    batch_size: SUITE_ZERO_BATCH,
                    seed: None,
                    variant: ProxyVariant::Naslib,
                };
                table
                    .insert(&key, SUITE_ZERO_SOURCE, index, score)
                    .map_err(|found| bad("one score per cell", found))?;
            }
        }
    }
    Ok(table)
}

/// NAS-Bench-201's cell of a NASLib tuple `"(t0, …, t5)"`:
/// `|op(t0)~0|+|op(t1)~0|op(t3)~1|+|op(t2)~0|op(t4)~1|op(t5)~2|`.
fn naslib_arch(tuple: &str) -> Option<Arch> {
    let inner = tuple.strip_prefix('(')?.strip_suffix(')')?;
    let ops: Vec<Op> = inner
        .split(',')
        .map(|t| t.trim().parse::<usize>().ok().and_then(|i| NASLIB_OPS.get(i).copied()))
        .collect::<Option<_>>()?;
    let [t0, t1, t2, t3, t4, t5] = ops.as_slice().try_into().ok()?;
    format!("|{t0}~0|+|{t1}~0|{t3}~1|+|{t2}~0|{t4}~1|{t5}~2|").parse().ok()
}

/// A score: a JSON number, or the non-standard tokens NASLib's `json.dump` writes (quoted by
/// [`quote_non_finite`]).
fn score_value(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// The text with Python's `NaN`, `Infinity` and `-Infinity` tokens (outside strings) quoted, so that it parses
/// as JSON.
fn quote_non_finite(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            (escaped, in_string) = (!escaped && c == '\\', escaped || c != '"');
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some(token) = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t)) {
            out.push('"');
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            continue;
        }
        in_string = c == '"';
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn json_kind(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(_) => "an object",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naslib_tuples_map_to_the_spec_s_cells() {
        // Spec 11.9's examples.
        for (tuple, index) in
            [("(0, 2, 3, 2, 3, 1)", 4811), ("(4, 0, 4, 1, 2, 0)", 5480), ("(1, 0, 2, 2, 2, 1)", 13990)]
        {
            assert_eq!(naslib_arch(tuple).unwrap().official_index(), index, "{tuple}");
        }
        for bad in ["(0, 2, 3, 2, 3)", "(0, 2, 3, 2, 3, 5)", "0, 2, 3, 2, 3, 1", "(a, 2, 3, 2, 3, 1)"] {
            assert!(naslib_arch(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn non_finite_tokens_are_quoted_outside_strings_only() {
        let text = r#"{"NaN": {"score": -Infinity}, "a\"NaN": [NaN, Infinity, 1.5]}"#;
        assert_eq!(quote_non_finite(text), r#"{"NaN": {"score": "-Infinity"}, "a\"NaN": ["NaN", "Infinity", 1.5]}"#);
    }
}
