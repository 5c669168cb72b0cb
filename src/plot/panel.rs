//! One set of axes with its series, reference lines and shaded windows.

use super::Series;

/// Where a panel's legend goes.
///
/// # Examples
/// ```
/// use phaseflow::plot::{Legend, Panel};
/// let p = Panel::new("p̂ vs d", "d", "p̂").with_legend(Legend::LowerRight);
/// assert_eq!(p.legend, Legend::LowerRight);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Inside, at the corner (or top/bottom centre) covering the fewest drawn points
    /// (default). If every spot would hide data and the y range is automatic, the top of the
    /// y axis is raised to leave a free strip for the legend above the data. A legend taller
    /// than about half the plot (≈ 5 entries on the default 480 × 360 panel) cannot get such a
    /// strip and may cover data: use fewer entries, a larger `panel_size` or [`Legend::Hidden`].
    #[default]
    Auto,
    /// Inside, upper left.
    UpperLeft,
    /// Inside, upper right.
    UpperRight,
    /// Inside, lower left.
    LowerLeft,
    /// Inside, lower right.
    LowerRight,
    /// No legend.
    Hidden,
}

/// One plot: axes, series, horizontal reference lines and shaded x-windows.
///
/// # Remarks
/// * **Ranges.** Unless `x_range`/`y_range` is set, an axis covers every drawable point, the
///   drawable ends of its error bars, the shaded windows (x) and reference lines (y), padded
///   by 3 % (x) and 6 % (y) of the span; a single value gets a ±10 % window (±half a
///   decade on a log axis). With no drawable data at all the axis is [0, 1] (log: [1, 10]).
/// * **Log axes.** A point with x ≤ 0 on a log x axis, or y ≤ 0 on a log y axis, is dropped
///   like a NaN: not drawn, not counted in the range, and it breaks its line. An error bar
///   whose lower end y − err is ≤ 0 is drawn down to the bottom of the axis, without a cap.
///   A shaded window's non-positive end is taken as the axis's left edge.
/// * **Gaps.** NaN or ±inf in x or y breaks the line there; nothing panics.
/// * Reference lines are grey and dashed, listed in the legend under their label (an empty
///   label: no entry); one at y ≤ 0 on a log axis, or outside a fixed range, is not drawn.
///   Shaded windows are light grey, drawn under the data; an infinite end reaches the edge.
/// * Colours follow the series index, so keep series in the same order in every panel of a
///   figure (e.g. Bayes, limit, finite-n, measured) to keep one colour per meaning.
///
/// # Examples
/// ```
/// use phaseflow::plot::{Panel, Series};
/// let t: Vec<f64> = (0..=20).map(|i| i as f64 / 10.0).collect();
/// let m: Vec<f64> = t.iter().map(|&t| if t <= 1.0 { 1.0 } else { 2.0 - t }).collect();
/// let p = Panel::new("m", "t", "m")
///     .with_series(Series::line("d → ∞ limit", t, m))
///     .with_hline(1.0, "m = 1")
///     .with_vspan(0.0, 1.0); // phase 1
/// assert_eq!(p.series.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    /// Shown above the axes (may be empty).
    pub title: String,
    /// x-axis description.
    pub x_label: String,
    /// y-axis description.
    pub y_label: String,
    /// Logarithmic x axis (decade ticks).
    pub log_x: bool,
    /// Logarithmic y axis (decade ticks).
    pub log_y: bool,
    /// The data, drawn in order (bands first, then lines, then bars and markers).
    pub series: Vec<Series>,
    /// Horizontal reference lines `(y, label)`.
    pub hlines: Vec<(f64, String)>,
    /// Shaded x-windows `(from, to)`, e.g. a detected phase window.
    pub vspans: Vec<(f64, f64)>,
    /// Fixed x range instead of the automatic one (data units, not padded).
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range instead of the automatic one (data units, not padded).
    pub y_range: Option<(f64, f64)>,
    /// Legend placement.
    pub legend: Legend,
}

impl Panel {
    /// An empty linear panel with a title and axis descriptions.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Panel::default()
        }
    }
    /// Add a series.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }
    /// Add a horizontal reference line.
    pub fn with_hline(mut self, y: f64, label: impl Into<String>) -> Self {
        self.hlines.push((y, label.into()));
        self
    }
    /// Add a shaded x-window.
    pub fn with_vspan(mut self, from: f64, to: f64) -> Self {
        self.vspans.push((from, to));
        self
    }
    /// Logarithmic x axis.
    pub fn with_log_x(mut self) -> Self {
        self.log_x = true;
        self
    }
    /// Logarithmic y axis.
    pub fn with_log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
    /// Logarithmic x and y axes.
    pub fn with_log_log(self) -> Self {
        self.with_log_x().with_log_y()
    }
    /// Fix the x range (finite, `lo < hi`, and `lo > 0` on a log axis).
    pub fn with_x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }
    /// Fix the y range (finite, `lo < hi`, and `lo > 0` on a log axis).
    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
    /// Set the legend placement.
    pub fn with_legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }
}
