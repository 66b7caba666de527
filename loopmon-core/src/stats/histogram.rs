//! [`Histogram`]: counts of lags in log-linear buckets over nanoseconds, for the percentiles of
//! [`LagStats`](super::LagStats).
//!
//! # Buckets
//!
//! Below 128 ns every nanosecond has its own bucket. From there on, each power of two
//! `[2^e, 2^(e+1))` is split into 128 equal buckets of `2^(e-7)` ns: a bucket is never wider
//! than 1/128 of the values it holds. The last power of two covered is `[2^41, 2^42)` ns (2^42 ns
//! is 73 min 18 s); longer values count in the last bucket.
//!
//! A value is read back as the highest value of its bucket, so a percentile is never below the
//! true value and less than 1/128 (0.79 %) above it (exact below 128 ns).
//!
//! # Cost
//!
//! 4,608 counters (36 KiB), allocated once by [`Histogram::new`]; recording is a few integer
//! operations and one add, and allocates nothing.

use std::fmt;

/// log2 of the number of buckets per power of two.
const SUB_BITS: u32 = 7;
/// Buckets per power of two; also the values below it, one bucket each.
const SUB: u64 = 1 << SUB_BITS;
/// The first power of two not covered: values from `2^TOP_BITS` ns on share the last bucket.
const TOP_BITS: u32 = 42;
/// The number of buckets: the exact ones below [`SUB`], then [`SUB`] per power of two.
const BUCKETS: usize = ((TOP_BITS - SUB_BITS + 1) as usize) << SUB_BITS;

/// The longest value with a bucket of its own: about 73 minutes.
pub(crate) const HIGHEST_NANOS: u64 = (1 << TOP_BITS) - 1;

/// Counts of values (nanoseconds) in log-linear buckets; see the module docs for the precision.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Box<[u64]>,
    /// The sum of `counts`.
    len: u64,
}

/// The bucket of `nanos`.
fn index(nanos: u64) -> usize {
    let nanos = nanos.min(HIGHEST_NANOS);
    if nanos < SUB {
        return nanos as usize;
    }
    // 2^e <= nanos < 2^(e+1), e >= SUB_BITS: the (e - SUB_BITS + 1)-th group of SUB buckets,
    // and within it the top SUB_BITS + 1 bits of `nanos` (less the leading one).
    let e = u64::BITS - 1 - nanos.leading_zeros();
    let shift = e - SUB_BITS;
    let group = (shift + 1) as usize;
    (group << SUB_BITS) + ((nanos >> shift) - SUB) as usize
}

/// The lowest value of bucket `i`, and its width.
fn bucket(i: usize) -> (u64, u64) {
    let (group, sub) = (i >> SUB_BITS, (i as u64) & (SUB - 1));
    if group == 0 {
        return (sub, 1);
    }
    let shift = group as u32 - 1;
    ((SUB + sub) << shift, 1 << shift)
}

impl Histogram {
    /// An empty histogram: allocates its counters, once.
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            len: 0,
        }
    }

    /// Counts one value. Allocates nothing.
    pub(crate) fn record(&mut self, nanos: u64) {
        self.counts[index(nanos)] += 1;
        self.len += 1;
    }

    /// Adds every value of `other`.
    pub(crate) fn add(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.len += other.len;
    }

    /// Forgets every value; keeps the counters' memory.
    pub(crate) fn reset(&mut self) {
        self.counts.fill(0);
        self.len = 0;
    }

    /// The number of values.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The highest value of the bucket holding the `rank`-th smallest value (from 1; clamped
    /// to the number of values); `None` when empty.
    pub(crate) fn value_at_rank(&self, rank: u64) -> Option<u64> {
        let rank = rank.clamp(1, self.len.max(1));
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, width) = bucket(i);
                return Some(low + (width - 1));
            }
        }
        None
    }

    /// The number of values in the buckets wholly below `nanos`: a bucket that holds `nanos`
    /// counts as not below it.
    pub(crate) fn count_below(&self, nanos: u64) -> u64 {
        if nanos > HIGHEST_NANOS {
            return self.len;
        }
        self.counts[..index(nanos)].iter().sum()
    }
}

/// Not public API: the histogram, for `benches/record.rs` to time on its own.
#[doc(hidden)]
#[derive(Debug)]
pub struct BenchHistogram(Histogram);

impl BenchHistogram {
    #[allow(missing_docs, clippy::new_without_default)]
    pub fn new() -> BenchHistogram {
        BenchHistogram(Histogram::new())
    }
    #[allow(missing_docs)]
    pub fn record(&mut self, nanos: u64) {
        self.0.record(nanos);
    }
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every bucket starts where the previous one ends, and holds exactly its values.
    #[test]
    fn buckets_tile_the_range_without_gaps() {
        let mut next = 0;
        for i in 0..BUCKETS {
            let (low, width) = bucket(i);
            assert_eq!(low, next, "bucket {i}");
            assert_eq!((index(low), index(low + width - 1)), (i, i), "bucket {i}");
            next = low + width;
        }
        assert_eq!(next, HIGHEST_NANOS + 1);
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn a_bucket_is_never_wider_than_a_128th_of_its_values() {
        for i in SUB as usize..BUCKETS {
            let (low, width) = bucket(i);
            assert!(width * 128 <= low, "bucket {i}: {low} + {width}");
        }
        for nanos in [0, 1, 127] {
            assert_eq!(bucket(index(nanos)), (nanos, 1));
        }
    }

    #[test]
    fn values_read_back_at_most_a_128th_above() {
        let mut h = Histogram::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10_000 {
            // xorshift: values spread over every power of two of the range.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let nanos = (x >> 22) >> (x % 40);
            h.reset();
            h.record(nanos);
            let read = h.value_at_rank(1).unwrap();
            assert!(
                read >= nanos && read - nanos <= nanos / 128,
                "{nanos} read {read}"
            );
        }
    }

    #[test]
    fn ranks_count_from_the_smallest_value() {
        let mut h = Histogram::new();
        assert_eq!((h.len(), h.value_at_rank(1)), (0, None));
        for nanos in [5, 1_000_000, 3, 2_000_000_000, 1_000_000] {
            h.record(nanos);
        }
        let ms = bucket(index(1_000_000));
        let at = |rank| h.value_at_rank(rank).unwrap();
        assert_eq!([at(0), at(1), at(2)], [3, 3, 5]);
        assert_eq!([at(3), at(4)], [ms.0 + ms.1 - 1; 2]);
        assert!((2_000_000_000..2_016_000_000).contains(&at(5)));
        assert_eq!(at(6), at(5));
        assert_eq!(h.len(), 5);
    }

    #[test]
    fn add_and_reset() {
        let (mut a, mut b) = (Histogram::new(), Histogram::new());
        a.record(10);
        b.record(10);
        b.record(u64::MAX);
        a.add(&b);
        assert_eq!(
            (a.len(), a.value_at_rank(2), a.count_below(11)),
            (3, Some(10), 2)
        );
        assert_eq!(a.value_at_rank(3), Some(HIGHEST_NANOS));
        a.reset();
        assert_eq!(
            (a.len(), a.value_at_rank(1), a.count_below(11)),
            (0, None, 0)
        );
    }

    #[test]
    fn count_below_stops_at_the_bucket_of_the_bound() {
        let mut h = Histogram::new();
        // 1 ms = 1,000,000 ns lies in the bucket [999,424, 1,003,520).
        for nanos in [999_423, 999_424, 1_000_000, 1_003_520] {
            h.record(nanos);
        }
        assert_eq!(bucket(index(1_000_000)), (999_424, 4_096));
        assert_eq!(
            [999_424, 1_000_000, 1_003_520, 1_007_616].map(|n| h.count_below(n)),
            [1, 1, 3, 4]
        );
        assert_eq!((h.count_below(0), h.count_below(u64::MAX)), (0, 4));
    }
}
