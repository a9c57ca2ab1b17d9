//! Which training examples a step sees: an epoch-wise shuffle keyed on (seed, epoch), read in
//! consecutive batches with the incomplete last batch of an epoch dropped (the code's
//! `DataLoader(shuffle=True, drop_last=True)`). A step's batch depends only on the seed and the
//! step number, so a resumed run sees exactly what an uninterrupted one would.

use rand::RngExt;

use crate::rng::{keyed_rng, label_key};

/// The example indices of the batch at zero-based `step`.
pub fn batch_indices(seed: u64, step: u64, batch: usize, examples: usize) -> Vec<usize> {
    assert!(
        batch > 0 && batch <= examples,
        "a batch of {batch} from {examples} examples"
    );
    let per_epoch = (examples / batch) as u64;
    let epoch = step / per_epoch;
    let offset = ((step % per_epoch) as usize) * batch;
    let order = permutation(seed, epoch, examples);
    order[offset..offset + batch].to_vec()
}

/// A Fisher–Yates shuffle of `0..n` keyed on (seed, epoch).
fn permutation(seed: u64, epoch: u64, n: usize) -> Vec<usize> {
    let mut rng = keyed_rng(&[seed, label_key("train/shuffle"), epoch]);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_is_a_permutation_with_the_remainder_dropped() {
        // 10 examples, batches of 3: 3 steps per epoch, one example left out each epoch.
        let epoch0: Vec<usize> = (0..3).flat_map(|s| batch_indices(7, s, 3, 10)).collect();
        let mut sorted = epoch0.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 9);
        let epoch1: Vec<usize> = (3..6).flat_map(|s| batch_indices(7, s, 3, 10)).collect();
        assert_ne!(epoch0, epoch1, "a new shuffle every epoch");
        assert_eq!(batch_indices(7, 4, 3, 10), batch_indices(7, 4, 3, 10));
        assert_ne!(batch_indices(7, 0, 3, 10), batch_indices(8, 0, 3, 10));
    }
}
