//! A grid of panels and its SVG/PNG output.

use super::{Panel, PlotError, font, render, text};
use crate::io;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Smallest accepted panel side in pixels.
pub const MIN_PANEL_PX: u32 = 120;
/// Largest accepted panel side in pixels.
pub const MAX_PANEL_PX: u32 = 4096;
/// Largest accepted whole figure, in pixels (keeps the PNG buffer under ~200 MB).
pub const MAX_FIGURE_PIXELS: u64 = 64 << 20;
/// Height of the figure title strip (only when the title is not empty).
const TITLE_STRIP_PX: u32 = 40;

/// A figure: an optional title over a grid of [`Panel`]s, filled row by row, each with its
/// own legend.
///
/// Defaults ([`Figure::new`]): 3 columns, 480 × 360 px panels. The grid has
/// `min(cols, panels)` columns and as many rows as needed; the image is
/// `cols·w × rows·h (+ 40 px for a title)`.
///
/// Output is deterministic: the same figure gives byte-identical SVG (and PNG).
///
/// # Examples
/// ```
/// use phaseflow::plot::{Figure, Panel, Series};
/// let t: Vec<f64> = (0..=10).map(|i| i as f64 / 10.0).collect();
/// let fig = Figure::new("overlaps")
///     .with_cols(2)
///     .with_panel(Panel::new("c", "t", "c").with_series(Series::line("Bayes", t.clone(), t.clone())))
///     .with_panel(Panel::new("m", "t", "m").with_series(Series::line("Bayes", t.clone(), t)));
/// let svg = fig.to_svg().unwrap();
/// assert!(svg.starts_with("<svg"));
/// assert_eq!(fig.pixel_size(), (960, 400));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Drawn centred above the grid (may be empty: no title strip).
    pub title: String,
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Columns of the grid (≥ 1; capped at the number of panels).
    pub cols: usize,
    /// Size of one panel in pixels, each side in [`MIN_PANEL_PX`]..=[`MAX_PANEL_PX`].
    pub panel_size: (u32, u32),
}

impl Default for Figure {
    fn default() -> Self {
        Figure {
            title: String::new(),
            panels: Vec::new(),
            cols: 3,
            panel_size: (480, 360),
        }
    }
}

impl Figure {
    /// An empty figure with a title, 3 columns and 480 × 360 px panels.
    pub fn new(title: impl Into<String>) -> Self {
        Figure {
            title: title.into(),
            ..Figure::default()
        }
    }
    /// Add a panel.
    pub fn with_panel(mut self, panel: Panel) -> Self {
        self.panels.push(panel);
        self
    }
    /// Set the number of columns.
    pub fn with_cols(mut self, cols: usize) -> Self {
        self.cols = cols;
        self
    }
    /// Set the size of one panel in pixels.
    pub fn with_panel_size(mut self, width: u32, height: u32) -> Self {
        self.panel_size = (width, height);
        self
    }

    /// `(rows, cols)` of the grid actually drawn.
    pub(crate) fn grid(&self) -> (usize, usize) {
        let cols = self.cols.clamp(1, self.panels.len().max(1));
        (self.panels.len().div_ceil(cols).max(1), cols)
    }

    /// Size of the whole image in pixels, `(width, height)`.
    ///
    /// # Examples
    /// ```
    /// use phaseflow::plot::{Figure, Panel};
    /// let fig = Figure::new("").with_cols(3).with_panel_size(400, 300)
    ///     .with_panel(Panel::default()).with_panel(Panel::default())
    ///     .with_panel(Panel::default()).with_panel(Panel::default());
    /// assert_eq!(fig.pixel_size(), (1200, 600)); // 2 rows of 3, no title strip
    /// ```
    pub fn pixel_size(&self) -> (u32, u32) {
        let (rows, cols) = self.grid();
        let title = if self.title.is_empty() {
            0
        } else {
            TITLE_STRIP_PX
        };
        (
            self.panel_size.0.saturating_mul(cols as u32),
            self.panel_size
                .1
                .saturating_mul(rows as u32)
                .saturating_add(title),
        )
    }

    /// Check sizes and lengths before drawing.
    ///
    /// # Errors
    /// The first problem found, as a [`PlotError`] naming the panel and series.
    pub fn validate(&self) -> Result<(), PlotError> {
        if self.panels.is_empty() {
            return Err(PlotError::NoPanels {
                title: self.title.clone(),
            });
        }
        if self.cols == 0 {
            return Err(PlotError::ZeroCols);
        }
        let (w, h) = self.panel_size;
        let ok = |v: u32| (MIN_PANEL_PX..=MAX_PANEL_PX).contains(&v);
        let (fw, fh) = self.pixel_size();
        if !ok(w) || !ok(h) || u64::from(fw) * u64::from(fh) > MAX_FIGURE_PIXELS {
            return Err(PlotError::PanelSize {
                width: w,
                height: h,
            });
        }
        for (p, panel) in self.panels.iter().enumerate() {
            for s in &panel.series {
                if s.x.len() != s.y.len() {
                    return Err(PlotError::LengthMismatch {
                        panel: p,
                        series: s.label.clone(),
                        x: s.x.len(),
                        y: s.y.len(),
                    });
                }
                if let Some(e) = s.err.as_ref().filter(|e| e.len() != s.y.len()) {
                    return Err(PlotError::ErrLengthMismatch {
                        panel: p,
                        series: s.label.clone(),
                        y: s.y.len(),
                        err: e.len(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Render as an SVG document.
    ///
    /// Text is emitted as `<text font-family="sans-serif">`, so a viewer draws it with its
    /// own sans-serif font; layout was computed with the bundled DejaVu Sans metrics.
    ///
    /// # Errors
    /// [`PlotError`] if the figure is invalid ([`Figure::validate`]) or drawing fails.
    ///
    /// # Examples
    /// ```
    /// use phaseflow::plot::{Figure, Panel, Series};
    /// let fig = Figure::new("").with_panel(
    ///     Panel::new("", "n", "error").with_log_log()
    ///         .with_series(Series::fit_line(-0.5, 0.0, (1.0, 1e3), "fit")));
    /// assert_eq!(fig.to_svg().unwrap(), fig.to_svg().unwrap()); // deterministic
    /// ```
    pub fn to_svg(&self) -> Result<String, PlotError> {
        self.validate()?;
        font::ensure_registered()?;
        let size = self.pixel_size();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
            render::render_figure(self, root)?;
        }
        Ok(out)
    }

    /// Render as PNG bytes (8-bit RGB).
    ///
    /// # Errors
    /// [`PlotError`] if the figure is invalid, drawing fails or PNG encoding fails.
    ///
    /// # Examples
    /// ```
    /// use phaseflow::plot::{Figure, Panel, Series};
    /// let fig = Figure::new("").with_panel(
    ///     Panel::new("", "t", "m").with_series(Series::line("m", vec![0.0, 1.0], vec![1.0, 0.5])));
    /// let png = fig.to_png().unwrap();
    /// assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    /// ```
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        self.validate()?;
        font::ensure_registered()?;
        let font = font::font_ref()?;
        let (w, h) = self.pixel_size();
        let mut rgb = vec![255u8; w as usize * h as usize * 3];
        {
            let inner = BitMapBackend::with_buffer(&mut rgb, (w, h));
            let root = text::TextFix { inner, font }.into_drawing_area();
            render::render_figure(self, root)?;
        }
        encode_png(&rgb, w, h)
    }

    /// Write `dir/stem.svg` and `dir/stem.png`, each atomically (temporary file + rename,
    /// through [`crate::io::write_atomic`]), creating `dir`. Both images are rendered before
    /// either file is written. Returns the two paths, SVG first.
    ///
    /// # Errors
    /// [`PlotError`]: the figure is invalid or cannot be drawn, or [`PlotError::File`] naming
    /// the file that could not be written.
    ///
    /// # Examples
    /// ```no_run
    /// use phaseflow::plot::{Figure, Panel};
    /// let fig = Figure::new("MSE profile").with_panel(Panel::new("", "t", "MSE"));
    /// let paths = fig.save(std::path::Path::new("out"), "mse").unwrap();
    /// assert!(paths[0].ends_with("mse.svg"));
    /// ```
    pub fn save(&self, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, PlotError> {
        let svg = self.to_svg()?;
        let png = self.to_png()?;
        let svg_path = dir.join(format!("{stem}.svg"));
        let png_path = dir.join(format!("{stem}.png"));
        io::write_atomic(&svg_path, svg.as_bytes())?;
        io::write_atomic(&png_path, &png)?;
        Ok(vec![svg_path, png_path])
    }
}

/// Encode an 8-bit RGB buffer as PNG. Fixed encoder settings, so the bytes are a pure
/// function of the pixels.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, PlotError> {
    let png_err = |e: png::EncodingError| PlotError::Png(e.to_string());
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Balanced);
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(rgb).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    Ok(out)
}
