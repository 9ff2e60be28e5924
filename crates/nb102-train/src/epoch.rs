//! The pieces of an epoch that every training loop shares (the training protocol, the searches) beside
//! `nb102_loader::batches` (an epoch's seeded order and batches): top-1/top-5 counts and an evaluation pass.

use std::time::Instant;

use nb102_loader::{Augmenter, Images};
use nb102_store::EvalPoint;
use tch::{Kind, Tensor};

/// Correct top-1 and top-5 predictions of a batch.
pub fn correct(logits: &Tensor, labels: &Tensor) -> (i64, i64) {
    let k = logits.size()[1].min(5);
    let (_, predicted) = logits.topk(k, 1, true, true);
    let hits = predicted.eq_tensor(&labels.unsqueeze(1)).to_kind(Kind::Int64);
    (hits.narrow(1, 0, 1).sum(Kind::Int64).int64_value(&[]), hits.sum(Kind::Int64).int64_value(&[]))
}

/// One evaluation pass over `data` in batches of `batch_size`, without gradients: mean loss, top-1 accuracy
/// and wall time, for `epoch`. `forward` gives a batch's logits.
pub fn evaluate(
    forward: &mut dyn FnMut(&Tensor) -> Tensor,
    augmenter: &Augmenter,
    data: &Images,
    batch_size: usize,
    epoch: u16,
) -> EvalPoint {
    let start = Instant::now();
    let (mut loss_sum, mut top1, n) = (0.0, 0i64, data.len());
    tch::no_grad(|| {
        for first in (0..n).step_by(batch_size) {
            let len = batch_size.min(n - first) as i64;
            let x = augmenter.eval_batch(&data.images.narrow(0, first as i64, len));
            let labels = data.labels.narrow(0, first as i64, len);
            let logits = forward(&x);
            loss_sum += logits.cross_entropy_for_logits(&labels).double_value(&[]) * len as f64;
            top1 += correct(&logits, &labels).0;
        }
    });
    let n = n.max(1) as f64;
    EvalPoint {
        epoch,
        loss: Some(loss_sum / n),
        accuracy: Some(100.0 * top1 as f64 / n),
        time: Some(start.elapsed().as_secs_f64()),
    }
}
