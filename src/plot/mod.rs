//! Plots for reports: a small, data-only layer over [plotters](https://docs.rs/plotters).
//!
//! The harness, phase detection and `reproduce` build a [`Figure`] — a grid of [`Panel`]s,
//! each holding [`Series`] (theory curves as lines, measurements as markers with CI error
//! bars or bands), horizontal reference lines and shaded x-windows — and call
//! [`Figure::save`], which writes `stem.svg` and `stem.png` atomically through
//! [`crate::io`]. Nothing here knows about overlaps or schedules.
//!
//! # Remarks
//! * **No system libraries.** plotters is built with `default-features = false` and the
//!   `ab_glyph` text backend; the font is DejaVu Sans, embedded from
//!   `assets/fonts/DejaVuSans.ttf` (licence beside it). Unicode labels (ω, √q, σ², p̂) work.
//! * **Deterministic.** The same figure renders to byte-identical SVG and PNG.
//! * **Robust to bad data.** NaN/±inf are gaps that break lines; an empty series draws
//!   nothing; on log axes non-positive values are dropped (see [`Panel`]). Only structural
//!   mistakes (length mismatches, zero columns, absurd sizes, invalid fixed ranges) are errors.
//! * Colours come from the Okabe–Ito colour-blind-safe [`PALETTE`], by series index.
//!
//! # Examples
//! ```
//! use phaseflow::plot::{Figure, Panel, Series};
//! let n = vec![16.0, 64.0, 256.0, 1024.0];
//! let err = vec![0.25, 0.13, 0.062, 0.031];
//! let fig = Figure::new("error vs n").with_panel(
//!     Panel::new("", "n", "|m̂ − m|").with_log_log()
//!         .with_series(Series::markers("measured", n, err).with_err(vec![0.02, 0.01, 0.005, 0.003]))
//!         .with_series(Series::fit_line(-0.5, 0.0, (16.0, 1024.0), "fit: slope −0.50")),
//! );
//! let svg = fig.to_svg().unwrap();
//! assert!(svg.contains("measured"));
//! ```
//!
//! ## References
//! * M. Okabe, K. Ito, *Color Universal Design (CUD): how to make figures and presentations
//!   that are friendly to colorblind people* (2008), the palette.

mod axis;
mod figure;
mod font;
mod panel;
mod render;
mod series;
mod text;

#[cfg(test)]
mod tests;

pub use figure::{Figure, MAX_FIGURE_PIXELS, MAX_PANEL_PX, MIN_PANEL_PX};
pub use panel::{Legend, Panel};
pub use series::{Color, ErrorDisplay, LineKind, Marker, PALETTE, Series, Style};

/// Why a figure could not be rendered. Data problems (NaN, empty or non-positive-on-log
/// values) are not errors; these are structural mistakes by the caller, or backend failures.
///
/// # Examples
/// ```
/// use phaseflow::plot::{Figure, Panel, PlotError, Series};
/// let bad = Figure::new("").with_panel(
///     Panel::default().with_series(Series::line("m", vec![0.0, 1.0], vec![1.0])));
/// assert!(matches!(bad.to_svg(), Err(PlotError::LengthMismatch { x: 2, y: 1, .. })));
/// ```
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The figure has no panels.
    #[error("figure {title:?} has no panels; add at least one Panel")]
    NoPanels {
        /// The figure's title.
        title: String,
    },
    /// `cols` is 0.
    #[error("figure cols = 0; use cols ≥ 1")]
    ZeroCols,
    /// `panel_size` out of range, or the whole figure too large.
    #[error(
        "panel_size {width}×{height} px: each side must be in {MIN_PANEL_PX}..={MAX_PANEL_PX} and the figure at most {MAX_FIGURE_PIXELS} pixels"
    )]
    PanelSize {
        /// Requested panel width.
        width: u32,
        /// Requested panel height.
        height: u32,
    },
    /// A series whose `x` and `y` differ in length.
    #[error("panel {panel}, series {series:?}: x has {x} values but y has {y}")]
    LengthMismatch {
        /// Panel index.
        panel: usize,
        /// Series label.
        series: String,
        /// Length of x.
        x: usize,
        /// Length of y.
        y: usize,
    },
    /// A series whose `err` and `y` differ in length.
    #[error("panel {panel}, series {series:?}: err has {err} values but y has {y}")]
    ErrLengthMismatch {
        /// Panel index.
        panel: usize,
        /// Series label.
        series: String,
        /// Length of y.
        y: usize,
        /// Length of err.
        err: usize,
    },
    /// A fixed `x_range`/`y_range` that is not finite and increasing (and positive on a log
    /// axis).
    #[error(
        "panel {panel}: {axis}_range ({lo}, {hi}) invalid; need finite lo < hi{}",
        if *log { ", both > 0 on a log axis" } else { "" }
    )]
    Range {
        /// Panel index.
        panel: usize,
        /// `"x"` or `"y"`.
        axis: &'static str,
        /// Requested lower end.
        lo: f64,
        /// Requested upper end.
        hi: f64,
        /// Whether the axis is logarithmic.
        log: bool,
    },
    /// The embedded font could not be parsed (a corrupted build).
    #[error("bundled font assets/fonts/DejaVuSans.ttf could not be parsed; rebuild phaseflow")]
    Font,
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// The figure's file could not be written.
    #[error(transparent)]
    File(#[from] crate::io::IoError),
}
