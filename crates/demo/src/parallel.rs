//! Splits index ranges over the machine's cores. Every record draws from its own
//! random stream and chunks come back in order, so the output does not depend
//! on how many threads ran.

use std::ops::Range;

/// Below this many items one thread is faster than starting more.
const MIN_PARALLEL: usize = 20_000;

/// The machine's cores, at most eight (beyond that the merge costs more than it saves).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, 8)
}

pub(crate) fn in_chunks<T: Send>(threads: usize, n: usize, work: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    if threads <= 1 || n < MIN_PARALLEL {
        return vec![work(0..n)];
    }
    let chunk = n.div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                scope.spawn(move || work(range))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a generator thread panicked"))
            .collect()
    })
}
