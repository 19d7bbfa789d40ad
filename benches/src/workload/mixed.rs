//! `mixed`: GetObject, PutObject and DeleteObject in the ratios of `--mix`.
//!
//! Each worker owns a disjoint share of the keys (object numbers congruent to
//! its index modulo the concurrency): it reads and deletes only objects it knows
//! exist and writes new ones under fresh numbers. No locks between workers, and
//! no GET races a DELETE of the same key, so every error is a real one.

use crate::args::Args;
use crate::stats::Op;

use super::{Rng, Shared, object};

pub struct Worker {
    rng: Rng,
    /// Object numbers this worker has written (or was given) and not deleted.
    live: Vec<u64>,
    /// The number of the next object this worker writes.
    next_new: u64,
    step: u64,
}

impl Worker {
    pub fn new(args: &Args, index: usize) -> Self {
        let step = args.concurrency.max(1) as u64;
        let index = index as u64;
        let existing = args.prepare.max(args.existing);
        Self {
            rng: Rng::new(index + 1),
            live: (index..existing).step_by(step as usize).collect(),
            // Above every prepared number, still in this worker's residue class.
            next_new: existing.div_ceil(step) * step + index,
            step,
        }
    }

    /// Picks an operation by the mix's weights (a GET or DELETE with nothing to
    /// read becomes a PUT) and runs it.
    pub async fn operation(&mut self, shared: &Shared) -> (Op, anyhow::Result<u64>) {
        let mix = shared.args.mix;
        let r = self.rng.below(u64::from(mix.total())) as u32;
        let op = if r < mix.get {
            Op::Get
        } else if r < mix.get + mix.put {
            Op::Put
        } else {
            Op::Delete
        };
        match op {
            Op::Get if !self.live.is_empty() => {
                let n = self.live[self.rng.below(self.live.len() as u64) as usize];
                (Op::Get, object::get(shared, n).await)
            }
            Op::Delete if !self.live.is_empty() => {
                // Forgotten before the request: a failed DELETE may leave the object,
                // but the worker never reads it again.
                let i = self.rng.below(self.live.len() as u64) as usize;
                let n = self.live.swap_remove(i);
                (Op::Delete, object::delete(shared, n).await)
            }
            _ => {
                let n = self.next_new;
                self.next_new += self.step;
                let result = object::put(shared, n).await;
                if result.is_ok() {
                    self.live.push(n);
                }
                (Op::Put, result)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn workers_own_disjoint_keys() {
        let args = Args::parse_from([
            "horreo-bench",
            "mixed",
            "--concurrency",
            "3",
            "--existing",
            "10",
        ]);
        let workers: Vec<Worker> = (0..3).map(|i| Worker::new(&args, i)).collect();
        let mut prepared: Vec<u64> = workers.iter().flat_map(|w| w.live.clone()).collect();
        prepared.sort_unstable();
        assert_eq!(prepared, (0..10).collect::<Vec<_>>());
        // New numbers start above the prepared ones and never collide.
        let fresh: Vec<u64> = workers.iter().map(|w| w.next_new).collect();
        assert_eq!(fresh, vec![12, 13, 14]);
        assert!(workers.iter().all(|w| w.step == 3));
    }
}
