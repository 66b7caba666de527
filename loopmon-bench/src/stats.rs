//! Medians, ranges and percentiles, and how they are printed.

/// Median, min and max of a set of runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Summary {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) n: usize,
}

impl Summary {
    /// `None` for no values.
    pub(crate) fn of(values: &[f64]) -> Option<Summary> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Summary {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// `median [min–max]` with `digits` decimals; the range is left out for a single run.
    pub(crate) fn show(&self, digits: usize) -> String {
        if self.n == 1 || self.min == self.max {
            format!("{:.*}", digits, self.median)
        } else {
            format!(
                "{:.*} [{:.*}–{:.*}]",
                digits, self.median, digits, self.min, digits, self.max
            )
        }
    }
}

/// The `p`-th percentile (nearest rank) of sorted values.
pub(crate) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `Summary::show`, or a dash when there is nothing to show.
pub(crate) fn show(values: &[f64], digits: usize) -> String {
    Summary::of(values).map_or_else(|| "—".to_string(), |s| s.show(digits))
}

/// The ratio `a / b` of two medians, printed with 2 decimals.
pub(crate) fn ratio(a: &[f64], b: &[f64]) -> String {
    match (Summary::of(a), Summary::of(b)) {
        (Some(a), Some(b)) if b.median != 0.0 => format!("{:.2}", a.median / b.median),
        _ => "—".to_string(),
    }
}

/// Nanoseconds to milliseconds.
pub(crate) fn ms(ns: f64) -> f64 {
    ns / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_the_middle_and_the_range() {
        let s = Summary::of(&[3.0, 1.0, 2.0, f64::NAN]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.n), (2.0, 1.0, 3.0, 3));
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert_eq!(s.show(1), "2.0 [1.0–3.0]");
        assert_eq!(Summary::of(&[5.0]).unwrap().show(2), "5.00");
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(ratio(&[1.0, 3.0], &[4.0]), "0.50");
        assert_eq!(ratio(&[1.0], &[]), "—");
    }
}
