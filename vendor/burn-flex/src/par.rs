//! repro patch: element-wise loops over large tensors split across rayon's pool.
//!
//! Upstream ran every element-wise loop on the calling thread, except the in-place SIMD
//! binary kernels above 4 Mi elements: in a training step on 2 threads the rayon workers ran
//! the matmuls while one thread ran every exp, mask, scale and product between them. Each
//! element is computed as before, by the same loop body, only the range of elements a thread
//! takes changes — so the bits of every result are those of the sequential loop.

#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// The fewest elements a task takes (256 KiB of f32); loops over fewer than twice this run
/// on the calling thread.
pub(crate) const MIN_ELEMENTS: usize = 1 << 16;

/// Rows per task when `rows` rows of `row_len` elements are split, or `None` when the loop
/// should stay on the calling thread (too little work, or a pool of one thread).
fn rows_per_task(rows: usize, row_len: usize) -> Option<usize> {
    #[cfg(feature = "rayon")]
    {
        let threads = rayon::current_num_threads();
        let elements = rows.saturating_mul(row_len);
        if threads > 1 && rows > 1 && elements >= 2 * MIN_ELEMENTS {
            // A few tasks per thread, so that a thread slowed by others can be helped.
            let per_task = rows.div_ceil(4 * threads);
            let at_least = MIN_ELEMENTS.div_ceil(row_len.max(1));
            return Some(per_task.max(at_least).min(rows));
        }
    }
    let _ = (rows, row_len);
    None
}

/// Runs `f(first_row, rows)` over `dst` seen as rows of `row_len` elements (`dst.len()` a
/// multiple of it): once, here, for small work; else on disjoint runs of whole rows across
/// the pool.
pub(crate) fn for_row_chunks<E: Send>(
    dst: &mut [E],
    row_len: usize,
    f: impl Fn(usize, &mut [E]) + Sync + Send,
) {
    let rows = if row_len == 0 { 0 } else { dst.len() / row_len };
    match rows_per_task(rows, row_len) {
        #[cfg(feature = "rayon")]
        Some(per_task) => dst
            .par_chunks_mut(per_task * row_len)
            .enumerate()
            .for_each(|(task, chunk)| f(task * per_task, chunk)),
        _ => f(0, dst),
    }
}

/// `for_row_chunks` with rows of one element: `f(first_index, elements)`.
pub(crate) fn for_chunks<E: Send>(dst: &mut [E], f: impl Fn(usize, &mut [E]) + Sync + Send) {
    for_row_chunks(dst, 1, f)
}
