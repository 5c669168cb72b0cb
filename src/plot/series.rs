//! One data series and how it is drawn.

/// The fixed colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design"),
/// reordered so that the first colours contrast best on white; yellow comes last.
/// A series without an explicit colour takes `PALETTE[i % 8]`, `i` its index in the panel.
///
/// # Examples
/// ```
/// use phaseflow::plot::PALETTE;
/// assert_eq!(PALETTE[0], (0x00, 0x72, 0xB2)); // blue
/// ```
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0x00, 0x72, 0xB2), // blue
    (0xD5, 0x5E, 0x00), // vermillion
    (0x00, 0x9E, 0x73), // bluish green
    (0xCC, 0x79, 0xA7), // reddish purple
    (0xE6, 0x9F, 0x00), // orange
    (0x56, 0xB4, 0xE9), // sky blue
    (0x00, 0x00, 0x00), // black
    (0xF0, 0xE4, 0x42), // yellow
];

/// A series colour: a palette slot or an explicit RGB triple.
///
/// # Examples
/// ```
/// use phaseflow::plot::Color;
/// assert_eq!(Color::Palette(9).rgb(), Color::Palette(1).rgb()); // wraps around
/// assert_eq!(Color::Rgb(1, 2, 3).rgb(), (1, 2, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// `PALETTE[i % PALETTE.len()]`.
    Palette(usize),
    /// An explicit colour.
    Rgb(u8, u8, u8),
}

impl Color {
    /// The RGB triple.
    pub fn rgb(self) -> (u8, u8, u8) {
        match self {
            Color::Palette(i) => PALETTE[i % PALETTE.len()],
            Color::Rgb(r, g, b) => (r, g, b),
        }
    }
}

/// How a connecting line is stroked.
///
/// # Examples
/// ```
/// use phaseflow::plot::{LineKind, Style};
/// assert_eq!(Style::dashed().line, Some(LineKind::Dashed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Continuous.
    Solid,
    /// 8 px dashes, 5 px gaps.
    Dashed,
    /// 2 px dots, 4 px gaps.
    Dotted,
}

/// Marker shape for measured points.
///
/// # Examples
/// ```
/// use phaseflow::plot::{Marker, Style};
/// let s = Style::markers().with_marker(Marker::Square);
/// assert_eq!(s.marker, Some(Marker::Square));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Filled disc.
    Circle,
    /// Filled square.
    Square,
    /// Filled upward triangle.
    Triangle,
    /// Filled diamond.
    Diamond,
    /// Diagonal cross (not filled).
    Cross,
}

/// How the half-widths in [`Series::err`] are shown.
///
/// # Examples
/// ```
/// use phaseflow::plot::{ErrorDisplay, Style};
/// assert_eq!(Style::line().with_band().err, ErrorDisplay::Band);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorDisplay {
    /// A vertical bar with caps at each point (default).
    #[default]
    Bars,
    /// A translucent band between y − err and y + err.
    Band,
}

/// How a [`Series`] is drawn.
///
/// At least one of `line` and `marker` should be set; a style with neither is drawn as a
/// solid line. Defaults: width 2 px, marker radius 4 px, colour from the palette by index.
///
/// # Examples
/// ```
/// use phaseflow::plot::{Color, LineKind, Marker, Style};
/// let s = Style::line_markers().with_color(Color::Palette(2)).with_width(3);
/// assert_eq!((s.line, s.marker, s.width), (Some(LineKind::Solid), Some(Marker::Circle), 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Connecting line, if any (theory curves).
    pub line: Option<LineKind>,
    /// Marker at each point, if any (measurements).
    pub marker: Option<Marker>,
    /// How `err` is shown when present.
    pub err: ErrorDisplay,
    /// `None`: `Color::Palette(index of the series in its panel)`.
    pub color: Option<Color>,
    /// Line width in pixels.
    pub width: u32,
    /// Marker radius in pixels.
    pub marker_size: u32,
}

impl Default for Style {
    fn default() -> Self {
        Style::line()
    }
}

impl Style {
    /// Solid line, no markers: a theory curve.
    pub fn line() -> Self {
        Style {
            line: Some(LineKind::Solid),
            marker: None,
            err: ErrorDisplay::Bars,
            color: None,
            width: 2,
            marker_size: 4,
        }
    }
    /// Dashed line: a second theory curve (e.g. the d → ∞ limit) or a fit.
    pub fn dashed() -> Self {
        Style {
            line: Some(LineKind::Dashed),
            ..Style::line()
        }
    }
    /// Dotted line: a third theory curve (e.g. the finite-n prediction).
    pub fn dotted() -> Self {
        Style {
            line: Some(LineKind::Dotted),
            ..Style::line()
        }
    }
    /// Circle markers, no line: measurements (with error bars when `err` is set).
    pub fn markers() -> Self {
        Style {
            line: None,
            marker: Some(Marker::Circle),
            ..Style::line()
        }
    }
    /// Solid line through circle markers.
    pub fn line_markers() -> Self {
        Style {
            marker: Some(Marker::Circle),
            ..Style::line()
        }
    }
    /// Set the colour.
    pub fn with_color(mut self, color: Color) -> Self {
        self.color = Some(color);
        self
    }
    /// Set the marker shape (adds markers if there were none).
    pub fn with_marker(mut self, marker: Marker) -> Self {
        self.marker = Some(marker);
        self
    }
    /// Set the line kind (adds a line if there was none).
    pub fn with_line(mut self, line: LineKind) -> Self {
        self.line = Some(line);
        self
    }
    /// Show `err` as a translucent band instead of bars.
    pub fn with_band(mut self) -> Self {
        self.err = ErrorDisplay::Band;
        self
    }
    /// Set the line width in pixels (clamped to at least 1).
    pub fn with_width(mut self, width: u32) -> Self {
        self.width = width.max(1);
        self
    }
    /// Set the marker radius in pixels (clamped to at least 2).
    pub fn with_marker_size(mut self, size: u32) -> Self {
        self.marker_size = size.max(2);
        self
    }
}

/// One labelled data series of a [`Panel`](super::Panel).
///
/// `x` and `y` must have the same length (and `err`, when present, too); [`Figure`]
/// rendering rejects a mismatch. Points whose x or y is NaN or ±inf — or ≤ 0 on a log axis —
/// are gaps: they are not drawn and they break the line. An `err` entry that is NaN, inf or
/// negative draws no bar for that point.
///
/// [`Figure`]: super::Figure
///
/// # Examples
/// ```
/// use phaseflow::plot::Series;
/// let t = vec![0.0, 0.5, 1.0];
/// let theory = Series::line("Bayes", t.clone(), vec![0.0, 0.4, 0.8]);
/// let measured = Series::markers("SGD, 16 replicas", t, vec![0.02, 0.41, 0.77])
///     .with_err(vec![0.03, 0.02, 0.04]);
/// assert!(measured.err.is_some());
/// assert!(theory.style.marker.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text; an empty label gives no legend entry.
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates; NaN marks a gap.
    pub y: Vec<f64>,
    /// Half-width of a confidence interval at each point (drawn as bars or a band).
    pub err: Option<Vec<f64>>,
    /// How to draw it.
    pub style: Style,
}

impl Series {
    /// A series with an explicit style.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, style: Style) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            err: None,
            style,
        }
    }
    /// A solid line (theory curve).
    pub fn line(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series::new(label, x, y, Style::line())
    }
    /// A dashed line.
    pub fn dashed(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series::new(label, x, y, Style::dashed())
    }
    /// A dotted line.
    pub fn dotted(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series::new(label, x, y, Style::dotted())
    }
    /// Markers without a line (measurements).
    pub fn markers(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series::new(label, x, y, Style::markers())
    }
    /// A line through markers.
    pub fn line_markers(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series::new(label, x, y, Style::line_markers())
    }
    /// A solid line sampling `f` at `x`; where `f` returns `None` (e.g. a prediction outside
    /// its regime, or a diverging overlap) the curve has a gap.
    ///
    /// # Examples
    /// ```
    /// use phaseflow::plot::Series;
    /// let t = vec![0.5, 1.0, 1.5];
    /// let omega = Series::curve("ω, d → ∞", t, |t| (t <= 1.0).then(|| 2.0 * t));
    /// assert_eq!(omega.y[1], 2.0);
    /// assert!(omega.y[2].is_nan()); // diverges in phase 2: a gap
    /// ```
    pub fn curve(label: impl Into<String>, x: Vec<f64>, f: impl Fn(f64) -> Option<f64>) -> Self {
        let y = x.iter().map(|&x| f(x).unwrap_or(f64::NAN)).collect();
        Series::line(label, x, y)
    }
    /// Attach CI half-widths (same length as `y`).
    pub fn with_err(mut self, err: Vec<f64>) -> Self {
        self.err = Some(err);
        self
    }
    /// Replace the style.
    pub fn with_style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
    /// Set the colour, keeping the rest of the style.
    pub fn with_color(mut self, color: Color) -> Self {
        self.style.color = Some(color);
        self
    }

    /// The fitted power law `y = exp(intercept) · x^slope` — i.e. the straight line
    /// `ln y = intercept + slope · ln x` of a least-squares fit in natural logs — drawn
    /// dashed over `x_range` for a log-log panel. The harness computes the fit; this only
    /// draws it.
    ///
    /// 64 points, evenly spaced in ln x. If `x_range` is not two positive finite numbers the
    /// series is empty (drawn as nothing, but still listed in the legend).
    ///
    /// # Examples
    /// ```
    /// use phaseflow::plot::Series;
    /// // error ∝ n^(-1/2): slope −0.5, intercept ln 2
    /// let fit = Series::fit_line(-0.5, 2f64.ln(), (1.0, 100.0), "fit: slope −0.50 ± 0.03");
    /// assert_eq!(fit.x.len(), 64);
    /// assert!((fit.y[0] - 2.0).abs() < 1e-12);
    /// assert!((fit.y[63] - 0.2).abs() < 1e-12);
    /// ```
    pub fn fit_line(
        slope: f64,
        intercept: f64,
        x_range: (f64, f64),
        label: impl Into<String>,
    ) -> Self {
        const N: usize = 64;
        let (a, b) = x_range;
        let ok = a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0;
        let (x, y) = if ok {
            let (la, lb) = (a.ln(), b.ln());
            (0..N)
                .map(|i| {
                    let lx = la + (lb - la) * i as f64 / (N - 1) as f64;
                    // Exact ends, so the line spans exactly the requested range.
                    let x = match i {
                        0 => a,
                        i if i == N - 1 => b,
                        _ => lx.exp(),
                    };
                    (x, (intercept + slope * x.ln()).exp())
                })
                .unzip()
        } else {
            (Vec::new(), Vec::new())
        };
        Series::new(label, x, y, Style::dashed())
    }
}
