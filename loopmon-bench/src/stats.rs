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

/// A ratio estimated from paired runs, with its 95 % confidence interval.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RatioCi {
    /// The geometric mean of the pairs' ratios.
    pub(crate) ratio: f64,
    /// The interval's ends.
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    /// How many pairs.
    pub(crate) n: usize,
    /// The standard deviation of one pair's log-ratio (≈ its relative spread).
    pub(crate) sd: f64,
}

impl RatioCi {
    /// A Student-t interval on the logarithms of paired ratios: the log of a ratio is a
    /// difference of logs, which is what a paired design makes close to normal, and the interval
    /// comes back as a ratio whose ends are symmetric in the log. `None` for fewer than 2
    /// finite, positive ratios.
    pub(crate) fn of(ratios: &[f64]) -> Option<RatioCi> {
        let logs: Vec<f64> = ratios
            .iter()
            .filter(|r| r.is_finite() && **r > 0.0)
            .map(|r| r.ln())
            .collect();
        let n = logs.len();
        if n < 2 {
            return None;
        }
        let mean = logs.iter().sum::<f64>() / n as f64;
        let var = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half = t975(n - 1) * (var / n as f64).sqrt();
        Some(RatioCi {
            ratio: mean.exp(),
            lo: (mean - half).exp(),
            hi: (mean + half).exp(),
            n,
            sd: var.sqrt(),
        })
    }

    /// `ratio [95 % CI lo–hi]` with `digits` decimals.
    pub(crate) fn show(&self, digits: usize) -> String {
        format!(
            "{:.*} [95 % CI {:.*}–{:.*}]",
            digits, self.ratio, digits, self.lo, digits, self.hi
        )
    }
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom (a two-sided 95 %
/// interval): exact to 3 decimals from a table up to 30, then the Cornish–Fisher expansion
/// around the normal quantile (error below 1e-4 there).
pub(crate) fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => {
            let (z, d) = (1.959_964_f64, df as f64);
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
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

    #[test]
    fn t_quantiles_match_the_tables() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(10), 2.228);
        // Past the table: 2.021 at 40, 2.000 at 60, 1.984 at 100 (printed tables).
        assert!((t975(40) - 2.021).abs() < 5e-4, "{}", t975(40));
        assert!((t975(60) - 2.000).abs() < 5e-4, "{}", t975(60));
        assert!((t975(100) - 1.984).abs() < 5e-4, "{}", t975(100));
        assert!(t975(0).is_infinite());
    }

    #[test]
    fn a_ratio_interval_is_a_t_interval_on_the_logs() {
        // Logs ±0.01 around ln 0.99, ten pairs: mean ln 0.99, sd 0.01054, half-width
        // t(9) × sd / √10 = 2.262 × 0.003333 = 0.00754.
        let logs = [
            -0.01, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01, 0.01,
        ];
        let ratios: Vec<f64> = logs.iter().map(|d| (0.99f64.ln() + d).exp()).collect();
        let ci = RatioCi::of(&ratios).unwrap();
        assert_eq!(ci.n, 10);
        assert!((ci.ratio - 0.99).abs() < 1e-12);
        let half = 2.262 * (0.0001f64 * 10.0 / 9.0).sqrt() / 10f64.sqrt();
        assert!((ci.lo - 0.99 * (-half).exp()).abs() < 1e-9, "{ci:?}");
        assert!((ci.hi - 0.99 * half.exp()).abs() < 1e-9, "{ci:?}");
        // Symmetric in the log: lo × hi = ratio².
        assert!((ci.lo * ci.hi - ci.ratio * ci.ratio).abs() < 1e-12);
        assert_eq!(ci.show(3), "0.990 [95 % CI 0.983–0.997]");
        // Identical pairs: a zero-width interval; too few or unusable pairs: none.
        let flat = RatioCi::of(&[1.0, 1.0, 1.0]).unwrap();
        assert_eq!((flat.lo, flat.hi), (1.0, 1.0));
        assert!(RatioCi::of(&[1.0]).is_none());
        assert!(RatioCi::of(&[1.0, f64::NAN, 0.0, -1.0]).is_none());
    }
}
