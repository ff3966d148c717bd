//! Random draws the generator needs, on a named portable generator so that a
//! seed means the same department on every machine. Each record family gets its
//! own stream per index, which keeps records independent and lets chunks run in parallel.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

pub(crate) type DemoRng = Xoshiro256PlusPlus;

/// Independent random streams, one per kind of thing drawn.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Companies = 1,
    Contacts = 2,
    Deals = 3,
    Records = 4,
    CompanyWork = 5,
    Plans = 6,
}

/// A generator for item `index` of `stream`: the same numbers whatever order items are made in.
pub(crate) fn rng_for(seed: u64, stream: Stream, index: u64) -> DemoRng {
    DemoRng::seed_from_u64(mix(seed ^ mix((stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index)))
}

/// SplitMix64's finaliser: neighbouring inputs give unrelated outputs.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn chance(rng: &mut DemoRng, p: f64) -> bool {
    rng.random::<f64>() < p
}

pub(crate) fn unit(rng: &mut DemoRng) -> f64 {
    rng.random::<f64>()
}

pub(crate) fn uniform(rng: &mut DemoRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// An integer in `[lo, hi]`; `lo` when the range is empty.
pub(crate) fn between(rng: &mut DemoRng, lo: u32, hi: u32) -> u32 {
    if hi <= lo { lo } else { rng.random_range(lo..=hi) }
}

pub(crate) fn below(rng: &mut DemoRng, n: usize) -> usize {
    if n <= 1 { 0 } else { rng.random_range(0..n) }
}

pub(crate) fn pick<'a, T>(rng: &mut DemoRng, items: &'a [T]) -> &'a T {
    &items[below(rng, items.len())]
}

/// Standard normal (Box–Muller).
pub(crate) fn normal(rng: &mut DemoRng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal around `median`: amounts, cycle times and call lengths are all skewed like this.
pub(crate) fn lognormal(rng: &mut DemoRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// Exponential with the given mean.
pub(crate) fn exponential(rng: &mut DemoRng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Poisson by multiplication (Knuth); the means used here are small.
pub(crate) fn poisson(rng: &mut DemoRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut k = 0;
    while product > limit {
        product *= rng.random::<f64>();
        k += 1;
    }
    k
}

/// An index drawn in proportion to `weights`.
pub(crate) fn weighted(rng: &mut DemoRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| rng_for(7, Stream::Deals, 3).random::<u64>()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            rng_for(7, Stream::Deals, 3).random::<u64>(),
            rng_for(7, Stream::Deals, 4).random::<u64>()
        );
        assert_ne!(
            rng_for(7, Stream::Deals, 3).random::<u64>(),
            rng_for(7, Stream::Records, 3).random::<u64>()
        );
    }

    #[test]
    fn poisson_mean_is_close() {
        let mut rng = rng_for(1, Stream::Plans, 0);
        let n = 20_000;
        let sum: u32 = (0..n).map(|_| poisson(&mut rng, 2.5)).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 2.5).abs() < 0.1, "{mean}");
    }
}
