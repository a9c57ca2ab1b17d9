//! Per-seed curves → median and min–max band on a shared grid.

/// One seed's curve: points `(x, y)` sorted by x.
pub type Curve = Vec<(f64, f64)>;

/// The value of a step curve at `x`: the y of the last point with abscissa ≤ x (the first
/// point's y before it), i.e. a run's state is carried forward after it stops.
pub fn step_value(curve: &Curve, x: f64) -> f64 {
    match curve.iter().rposition(|&(cx, _)| cx <= x) {
        Some(i) => curve[i].1,
        None => curve.first().map_or(f64::NAN, |p| p.1),
    }
}

/// `n` points spaced evenly in log10 between `lo` and `hi` (both > 0).
pub fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    (0..n)
        .map(|i| 10f64.powf(a + (b - a) * i as f64 / (n - 1).max(1) as f64))
        .collect()
}

/// Median and range over seeds at each grid point: `(x, median, min, max)`.
pub fn aggregate(curves: &[Curve], grid: &[f64]) -> Vec<(f64, f64, f64, f64)> {
    grid.iter()
        .map(|&x| {
            let mut ys: Vec<f64> = curves.iter().map(|c| step_value(c, x)).collect();
            ys.sort_by(f64::total_cmp);
            (x, median(&ys), ys[0], ys[ys.len() - 1])
        })
        .collect()
}

/// Median of sorted values (mean of the middle two for an even count).
pub fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// Least-squares fit y = a + b·x: returns (a, b).
pub fn linear_fit(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let b = sxy / sxx;
    (my - b * mx, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_curves_carry_values_forward() {
        let c: Curve = vec![(0.0, 0.1), (10.0, 0.5), (20.0, 0.9)];
        assert_eq!(step_value(&c, -1.0), 0.1);
        assert_eq!(step_value(&c, 9.9), 0.1);
        assert_eq!(step_value(&c, 10.0), 0.5);
        assert_eq!(step_value(&c, 1e9), 0.9);
    }

    #[test]
    fn aggregate_gives_median_and_range() {
        let curves = vec![vec![(0.0, 1.0)], vec![(0.0, 3.0)], vec![(0.0, 2.0)]];
        assert_eq!(aggregate(&curves, &[5.0]), vec![(5.0, 2.0, 1.0, 3.0)]);
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), 2.5);
    }

    #[test]
    fn linear_fit_recovers_a_line() {
        let pts: Vec<(f64, f64)> = (0..5).map(|x| (x as f64, 2.0 + 0.5 * x as f64)).collect();
        let (a, b) = linear_fit(&pts);
        assert!((a - 2.0).abs() < 1e-12 && (b - 0.5).abs() < 1e-12);
    }

    #[test]
    fn log_grid_spans_the_range() {
        let g = log_grid(1.0, 1000.0, 4);
        assert!((g[1] - 10.0).abs() < 1e-9 && (g[3] - 1000.0).abs() < 1e-9);
    }
}
