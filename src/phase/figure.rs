//! Plot of a profile with its detected window shaded (issue 6 item 4).

use super::{Curve, Window};
use crate::plot::{Figure, Panel, Series};

/// The part of `curve` with t in [lo, hi] as a line (with 1.96·se bars when it is noisy).
pub fn curve_series(label: &str, curve: &Curve, lo: f64, hi: f64, scale: f64) -> Series {
    let pts: Vec<_> = curve
        .points
        .iter()
        .filter(|p| p.t >= lo && p.t <= hi)
        .collect();
    let s = Series::line(
        label,
        pts.iter().map(|p| p.t * scale).collect(),
        pts.iter().map(|p| p.value).collect(),
    );
    if pts.iter().any(|p| p.se > 0.0) {
        s.with_err(pts.iter().map(|p| 1.96 * p.se).collect())
    } else {
        s
    }
}

/// Two panels: the whole profile, and a zoom on [t₁₀ − 3·width, t₉₀ + 3·width]; the
/// 10 %–90 % window shaded and the levels before and after the change as reference lines.
pub fn profile_figure(title: &str, y_label: &str, curve: &Curve, window: &Window) -> Figure {
    let w = window;
    let first = curve.points[0].t;
    let last = curve.points[curve.points.len() - 1].t;
    let (zlo, zhi) = (
        (w.t10 - 3.0 * w.width).max(first),
        (w.t90 + 3.0 * w.width).min(last),
    );
    let panel = |lo: f64, hi: f64, sub: String| {
        Panel::new(sub, "t", y_label)
            .with_series(curve_series(title, curve, lo, hi, 1.0))
            .with_vspan(w.t10, w.t90)
            .with_hline(w.before, "before")
            .with_hline(w.after, "after")
    };
    Figure::new(title)
        .with_panel(panel(first, last, "whole profile".into()))
        .with_panel(panel(
            zlo,
            zhi,
            format!(
                "centre {:.4}, width {:.4}, jump {:.3}",
                w.centre, w.width, w.jump
            ),
        ))
        .with_cols(2)
}
