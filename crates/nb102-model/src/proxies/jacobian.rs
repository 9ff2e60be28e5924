//! Scores of the input Jacobian J (rows: the gradient of Σ logits with respect to each image, float64 as numpy
//! takes the reference's float32 values): foresight's jacob_cov (NASLib's jacov) and NASLib's epe_nas.

use tch::{Kind, Tensor};

/// foresight's `k`, added to eigenvalues and correlations before their logarithm.
const K: f64 = 1e-5;

/// −Σᵢ ln(λᵢ + k) + 1/(λᵢ + k) over the eigenvalues of the correlation of J's rows; NaN where the reference's
/// `np.linalg.eig` fails (a constant row makes the correlation NaN) or a logarithm is of a negative number.
pub(super) fn jacob_cov(jac: &Tensor) -> f64 {
    let corr = corrcoef(jac);
    if corr.isfinite().all().int64_value(&[]) == 0 {
        return f64::NAN;
    }
    // The correlation is symmetric: its eigenvalues are `np.linalg.eig`'s, from the symmetric solver.
    let v = corr.linalg_eigvalsh("L") + K;
    -(v.log() + v.reciprocal()).sum(Kind::Double).double_value(&[])
}

/// EPE-NAS: per class c of the batch (in order of first appearance), s_c = Σ ln(|corr| + k) over the correlation
/// of its rows (divided by its rows when the network has more than 100 outputs; a class of one row then is
/// skipped, as the reference's exception does); the score is Σ |s_c| up to 100 outputs, else
/// Σ_c Σ_c' |s_c − s_c'| / (classes kept).
pub(super) fn epe_nas(jac: &Tensor, labels: &Tensor, outputs: i64) -> f64 {
    let labels: Vec<i64> = labels.iter::<i64>().expect("int64 labels").collect();
    let mut classes: Vec<(i64, Vec<i64>)> = Vec::new();
    for (row, &label) in labels.iter().enumerate() {
        match classes.iter_mut().find(|(l, _)| *l == label) {
            Some((_, rows)) => rows.push(row as i64),
            None => classes.push((label, vec![row as i64])),
        }
    }
    let mut per_class = Vec::new();
    for (_, rows) in &classes {
        let rows_t = jac.index_select(0, &Tensor::from_slice(rows));
        let s = if rows.len() == 1 {
            if outputs > 100 {
                continue;
            }
            // numpy's corrcoef of one variable is its variance divided by itself: 1, or NaN for 0 (a constant row).
            let var = covariance(&rows_t).double_value(&[0, 0]);
            let corr = if var.is_finite() && var != 0.0 { 1.0 } else { f64::NAN };
            (corr + K).ln()
        } else {
            let s = (corrcoef(&rows_t).abs() + K).log().sum(Kind::Double).double_value(&[]);
            if outputs > 100 {
                s / rows.len() as f64
            } else {
                s
            }
        };
        per_class.push(s);
    }
    if outputs <= 100 {
        per_class.iter().map(|s| s.abs()).sum()
    } else if per_class.is_empty() {
        0.0
    } else {
        let pairs: f64 = per_class.iter().flat_map(|a| per_class.iter().map(move |b| (a - b).abs())).sum();
        pairs / per_class.len() as f64
    }
}

/// numpy's `corrcoef` of the rows of `m` (`[r, d]`, float64): the covariance (rows centred, `dot(X, Xᵀ)` times
/// 1/(d−1)), divided by the standard deviations on both sides, clipped to [−1, 1].
fn corrcoef(m: &Tensor) -> Tensor {
    let c = covariance(m);
    let std = c.diagonal(0, 0, 1).sqrt();
    (c / std.unsqueeze(1) / std.unsqueeze(0)).clamp(-1.0, 1.0)
}

/// The rows' covariance matrix as `np.cov` computes it.
fn covariance(m: &Tensor) -> Tensor {
    let d = m.size()[1];
    let centred = m - m.mean_dim(1, true, Kind::Double);
    centred.matmul(&centred.transpose(0, 1)) * (1.0 / (d - 1) as f64)
}
