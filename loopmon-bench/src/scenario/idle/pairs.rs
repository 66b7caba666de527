//! The callback targets of scenario 3: CPU per tick with one async no-op callback, and with one
//! sync callback, against the floor, judged on alternating pairs of runs.
//!
//! Both configurations run the same number of times, one after the other in each round
//! (floor, async, floor, async, …), so run `i` of each forms a pair that shares the machine's
//! state of that moment; the figure is the median of the per-pair ratios.

use crate::report::Report;
use crate::stats::Summary;

/// Runs of each side in a full run (the quick run makes one pair).
pub(super) const PAIRS: usize = 5;

/// The per-pair ratios `a[i] / b[i]`.
fn ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .filter(|(_, b)| **b > 0.0)
        .map(|(a, b)| a / b)
        .collect()
}

/// Adds target row `what`, met when the median ratio is at most `limit`: `with_cb` and `floor`
/// are the CPU µs per tick of each run, in order.
pub(super) fn target(report: &mut Report, what: &str, limit: f64, with_cb: &[f64], floor: &[f64]) {
    let r = ratios(with_cb, floor);
    let (rs, w, f) = (Summary::of(&r), Summary::of(with_cb), Summary::of(floor));
    let measured = match (rs, w, f) {
        (Some(rs), Some(w), Some(f)) => format!(
            "{} × over {} pairs ({:.1} µs vs floor {:.1} µs)",
            rs.show(2),
            rs.n,
            w.median,
            f.median
        ),
        _ => "—".into(),
    };
    report.target(
        what,
        &format!("≤ {limit:.2} × the floor (median of ≥ {PAIRS} alternating pairs)"),
        measured,
        rs.map(|rs| rs.n >= PAIRS && rs.median <= limit),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_taken_in_order() {
        assert_eq!(ratios(&[2.0, 3.0, 4.0], &[1.0, 3.0, 0.0]), vec![2.0, 1.0]);
    }
}
