//! The paper's table of search results (spec 08 §8.1): for the cells a method's runs chose, the mean and
//! deviation of their accuracies on each dataset's validation and test sets.

use nb102_store::{EvalSet, Hp, Role, Setting};

use crate::error::Result;
use crate::query::Api;

/// The six columns of the paper's table (name, setting, the part its set plays), then the two of Fashion-MNIST
/// (the demo).
const COLUMNS: [(&str, Setting, Role); 8] = [
    ("cifar10-valid", Setting::Cifar10Valid, Role::Valid),
    ("cifar10-test", Setting::Cifar10, Role::Test),
    ("cifar100-valid", Setting::Cifar100, Role::Valid),
    ("cifar100-test", Setting::Cifar100, Role::Test),
    ("ImageNet16-120-valid", Setting::ImageNet16_120, Role::Valid),
    ("ImageNet16-120-test", Setting::ImageNet16_120, Role::Test),
    ("fashion-mnist-valid", Setting::FashionMnist, Role::Valid),
    ("fashion-mnist-test", Setting::FashionMnist, Role::Test),
];

/// One column of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// `cifar10-valid`, `cifar10-test`, …
    pub name: &'static str,
    /// The setting read.
    pub setting: Setting,
    /// Its set that plays the column's part (its setting's rule).
    pub set: EvalSet,
    /// The schedule read: the longest the file has for the setting.
    pub hp: Hp,
}

/// A benchmark file's values for the table: per column and cell, the seed-mean last-epoch accuracy (the
/// reference's `get_metrics(..., is_random=False)`), read from the summary section, so no cell is decoded.
#[derive(Debug, Clone)]
pub struct ResultTable {
    columns: Vec<Column>,
    values: Vec<Vec<Option<f64>>>,
}

impl ResultTable {
    /// The table's columns that `api`'s file has (the paper's, and Fashion-MNIST's for the demo).
    ///
    /// # Errors
    /// A damaged summary section.
    pub fn new(api: &Api) -> Result<ResultTable> {
        let rows = api.summary()?;
        let longest = |setting: Setting| rows.iter().filter(|r| r.setting == setting).map(|r| r.hp).max();
        let columns: Vec<Column> = COLUMNS
            .iter()
            .filter_map(|&(name, setting, role)| {
                let set = setting.set_for(role)?;
                longest(setting).map(|hp| Column { name, setting, set, hp })
            })
            .collect();
        let values = columns
            .iter()
            .map(|c| {
                let mut column = vec![None; api.space().num_archs()];
                for cell in api.cell_means(c.setting, Some(c.set), c.hp)? {
                    column[cell.index] = cell.accuracy;
                }
                Ok(column)
            })
            .collect::<Result<_>>()?;
        Ok(ResultTable { columns, values })
    }

    /// The columns, in the paper's order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The accuracy of cell `index` (official) in column `column`, where the file has it.
    pub fn accuracy(&self, index: usize, column: usize) -> Option<f64> {
        self.values[column].get(index).copied().flatten()
    }

    /// A method's row: per column, the mean and deviation over `chosen` (official indices, one per run) of their
    /// accuracies; `None` where a chosen cell has no value there.
    pub fn row(&self, chosen: &[usize]) -> Vec<Option<(f64, f64)>> {
        (0..self.columns.len())
            .map(|k| {
                let values: Option<Vec<f64>> = chosen.iter().map(|&i| self.accuracy(i, k)).collect();
                values.filter(|v| !v.is_empty()).map(|v| mean_std(&v))
            })
            .collect()
    }

    /// The optimal row: per column, the best accuracy any cell has there.
    pub fn optimal(&self) -> Vec<Option<f64>> {
        self.values
            .iter()
            .map(|column| {
                let best = column.iter().flatten().copied().fold(f64::NEG_INFINITY, f64::max);
                best.is_finite().then_some(best)
            })
            .collect()
    }
}

/// Population mean and standard deviation (numpy's `std`, ddof 0).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}
