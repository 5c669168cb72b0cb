//! Plot of a profile with its detected window shaded (issue 6 item 4).

use super::{Curve, Window};
use crate::plot::{Figure, Panel, Series};

/// One panel: the profile (with 1.96·se bars when it has noise), the 10 %–90 % window
/// shaded, and the levels before and after the change as reference lines.
pub fn profile_figure(title: &str, y_label: &str, curve: &Curve, window: &Window) -> Figure {
    let mut s = Series::line(title, curve.t(), curve.values());
    if curve.points.iter().any(|p| p.se > 0.0) {
        s = s.with_err(curve.se().iter().map(|e| 1.96 * e).collect());
    }
    Figure::new(format!(
        "{title}: centre {:.4}, width {:.4}, jump {:.4}",
        window.centre, window.width, window.jump
    ))
    .with_panel(
        Panel::new("", "t", y_label)
            .with_series(s)
            .with_vspan(window.t10, window.t90)
            .with_hline(window.before, "before")
            .with_hline(window.after, "after"),
    )
}
