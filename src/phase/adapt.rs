//! Phase-aware schedules from a detected window (SPEC §2, §8).
//!
//! Given a τ-window [a, b] ⊂ [0, 1] and a share s ∈ (0, 1), [`phase_aware`] builds the
//! piecewise-linear τ on [0, T] through (0, 0), (t₁, a), (t₂, b), (T, 1) with
//! t₂ − t₁ = s·T, and the remaining (1 − s)·T split between [0, a] and [b, 1] in proportion
//! to their τ-lengths (uniform speed outside the window). The grid t_k = k·T/K is uniform, so
//! the window receives a fraction ≈ s of the K grid points. τ is continuous and
//! non-decreasing with τ(0) = 0, τ(T) = 1 (checked by [`Piecewise::new`]). The paper's
//! dilation is the special case [a, b] = [0, κ/√d], s = ½, T = 2.

use super::{DetectError, Window, error::check_range};
use crate::schedule::{Piecewise, Schedule};

/// The τ-window [τ(t₁₀ − margin·width), τ(t₉₀ + margin·width)] of a window detected on
/// `schedule`, clipped to [0, T_end]: the 10 %–90 % window padded by `margin` widths on each
/// side, so that the tails of the change also get fine steps.
pub fn window_tau(w: &Window, schedule: &dyn Schedule, margin: f64) -> (f64, f64) {
    let lo = (w.t10 - margin * w.width).max(0.0);
    let hi = (w.t90 + margin * w.width).min(schedule.t_end());
    (schedule.tau(lo), schedule.tau(hi))
}

/// Piecewise-linear τ on [0, `t_end`] giving the τ-window `[a, b]` the share `share` of the
/// grid (module doc).
///
/// # Errors
/// [`DetectError::OutOfRange`] unless 0 ≤ a < b ≤ 1, 0 < share < 1 and t_end > 0.
///
/// ```
/// use phaseflow::phase::phase_aware;
/// use phaseflow::schedule::Schedule;
/// // The paper's dilation at d = 10 000: [0, 0.02] gets half of [0, 2].
/// let s = phase_aware((0.0, 0.02), 0.5, 2.0).unwrap();
/// assert_eq!(s.knots(), vec![(0.0, 0.0), (1.0, 0.02), (2.0, 1.0)]);
/// ```
pub fn phase_aware(window: (f64, f64), share: f64, t_end: f64) -> Result<Piecewise, DetectError> {
    let (a, b) = window;
    check_range("window", "0 <= start < 1", a, (0.0..1.0).contains(&a))?;
    check_range("window", "start < end <= 1", b, b > a && b <= 1.0)?;
    check_range("share", "in (0, 1)", share, share > 0.0 && share < 1.0)?;
    check_range("t_end", "positive", t_end, t_end > 0.0)?;
    let (la, lb) = (a, 1.0 - b);
    let rest = (1.0 - share) * t_end;
    let t1 = if la + lb > 0.0 {
        rest * la / (la + lb)
    } else {
        0.0
    };
    let t2 = t1 + share * t_end;
    let mut knots = vec![(0.0, 0.0)];
    if a > 0.0 {
        knots.push((t1, a));
    }
    if b < 1.0 {
        knots.push((t2, b));
    }
    knots.push((t_end, 1.0));
    Ok(Piecewise::new(knots)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_gets_its_share_of_the_grid() {
        let s = phase_aware((0.01, 0.05), 0.6, 1.0).unwrap();
        let k = 100;
        let inside = s
            .grid(k)
            .iter()
            .filter(|&&t| (0.01..0.05).contains(&s.tau(t)))
            .count();
        assert!((inside as i64 - 60).abs() <= 1, "{inside} of {k}");
        assert!(
            s.tau(0.0).abs() < crate::tol::EXACT && (s.tau(1.0) - 1.0).abs() < crate::tol::EXACT
        );
    }

    #[test]
    fn rejects_bad_windows_and_shares() {
        assert!(phase_aware((0.2, 0.1), 0.5, 1.0).is_err());
        assert!(phase_aware((0.0, 0.1), 1.0, 1.0).is_err());
        assert!(phase_aware((0.0, 1.0), 0.5, 1.0).is_ok());
        assert!(phase_aware((f64::NAN, 0.1), 0.5, 1.0).is_err());
    }
}
