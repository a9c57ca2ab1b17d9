//! The threads each cell computes with when several cells run at once.
//!
//! burn's CPU backend runs its kernels on rayon's *current* thread pool. With `--jobs N` the N
//! cells used to share the one global pool: on a 2-core machine with `--jobs 2`, two cells took
//! turns on the same two threads, and a 30-minute run of the main job counted 4.0 M involuntary
//! context switches with about 13 % of the CPU idle. Each worker now gets a pool of its own with
//! `cores / N` threads (at least one), so the cells run side by side instead of contending. With
//! one worker the global pool (every core, or `RAYON_NUM_THREADS`) is used as before.
//!
//! The numbers do not depend on the pool's size: the kernels split work by rows, heads and
//! output tiles, never a sum's order. The integration test
//! `cells_run_side_by_side_on_their_own_threads_give_the_numbers_of_one_at_a_time` runs one
//! experiment with `--jobs 1` and `--jobs 2` and compares the two with `repro diff`.

use anyhow::{Context, Result};

/// Where one worker's cells compute.
pub enum WorkerPool {
    /// rayon's global pool: the only worker.
    Global,
    /// A pool of this worker's own.
    Own(rayon::ThreadPool),
}

impl WorkerPool {
    /// Runs `work` with this pool as rayon's current pool.
    pub fn run<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        match self {
            WorkerPool::Global => work(),
            WorkerPool::Own(pool) => pool.install(work),
        }
    }
}

/// One pool per worker: the global one for a single worker, else `cores / workers` threads each.
pub fn per_worker(workers: usize) -> Result<Vec<WorkerPool>> {
    if workers <= 1 {
        return Ok(vec![WorkerPool::Global]);
    }
    // The global pool's size: the cores, or RAYON_NUM_THREADS where the user set it.
    let threads = threads_per_worker(rayon::current_num_threads(), workers);
    (0..workers)
        .map(|worker| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(move |i| format!("cell{worker}-{i}"))
                .build()
                .map(WorkerPool::Own)
                .context("cannot start a thread pool for a cell")
        })
        .collect()
}

/// The threads of each worker's pool: the cores shared evenly, at least one.
fn threads_per_worker(cores: usize, workers: usize) -> usize {
    (cores / workers.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cores_are_shared_evenly_and_every_worker_gets_one() {
        assert_eq!(threads_per_worker(2, 2), 1);
        assert_eq!(threads_per_worker(16, 4), 4);
        assert_eq!(threads_per_worker(7, 2), 3);
        assert_eq!(threads_per_worker(2, 8), 1);
        assert_eq!(threads_per_worker(4, 0), 4);
    }

    #[test]
    fn an_own_pool_is_the_current_pool_of_the_work_it_runs() {
        let pools = per_worker(2).unwrap();
        assert_eq!(pools.len(), 2);
        let expected = threads_per_worker(rayon::current_num_threads(), 2);
        for pool in &pools {
            assert_eq!(pool.run(rayon::current_num_threads), expected);
        }
        let single = per_worker(1).unwrap();
        assert_eq!(
            single[0].run(rayon::current_num_threads),
            rayon::current_num_threads()
        );
    }
}
