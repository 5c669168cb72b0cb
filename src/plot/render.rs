//! Drawing a [`Figure`] on any plotters backend (SVG string or RGB buffer).
//!
//! All coordinates handed to plotters are in axis space (see [`super::axis`]); everything is
//! clipped here, so a fixed range never draws outside its panel.

use super::axis::{self, Axis, AxisCoord, clip_polyline, to_axis};
use super::font::FAMILY;
use super::{Color, ErrorDisplay, Figure, Legend, LineKind, Marker, Panel, PlotError, Series};
use plotters::coord::Shift;
use plotters::element::{DashedPathElement, Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::Color as _;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// Text sizes in pixels, chosen to stay readable on a 480 × 360 panel.
const TITLE_PX: u32 = 22;
const CAPTION_PX: u32 = 18;
const DESC_PX: u32 = 16;
const TICK_PX: u32 = 14;
const LEGEND_PX: u32 = 14;
/// Legend geometry: icon width, padding, row height.
const ICON_W: i32 = 30;
const LEGEND_PAD: i32 = 6;
const LEGEND_ROW: i32 = LEGEND_PX as i32 + 6;
/// Error bar cap half-width.
const CAP: i32 = 4;
/// Grey of reference lines and shaded windows.
const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Draw(e.to_string())
}

fn rgb(c: Color) -> RGBColor {
    let (r, g, b) = c.rgb();
    RGBColor(r, g, b)
}

/// Smallest size, in pixels, a title or caption is shrunk to before it is shortened.
const MIN_TEXT_PX: u32 = 12;
/// Room kept free on each side of a title or caption: an SVG viewer shapes the text with
/// its own sans-serif, which may run a little wider than the bundled DejaVu Sans.
const TEXT_SIDE_PAD: u32 = 12;

/// The width in pixels of `text` set at `px`, exactly as plotters' ab_glyph layout measures
/// it (sum of horizontal advances plus kerning of the bundled font at scale `px`).
///
/// # Errors
/// [`PlotError::Font`] if the bundled font cannot be parsed.
pub(crate) fn text_width(text: &str, px: u32) -> Result<u32, PlotError> {
    use ab_glyph::{Font, ScaleFont};
    let font = super::font::font_ref()?.as_scaled(px as f32);
    let mut w = 0f32;
    let mut prev = None;
    for c in text.chars() {
        let g = font.glyph_id(c);
        w += font.h_advance(g);
        if let Some(pg) = prev {
            w += font.kern(pg, g);
        }
        prev = Some(g);
    }
    Ok(w.max(0.0).ceil() as u32)
}

/// A title or caption that fits in `width` pixels (less [`TEXT_SIDE_PAD`] on each side):
/// the text at `px` if it fits; else at the largest size down to [`MIN_TEXT_PX`] at which it
/// fits; else at [`MIN_TEXT_PX`], shortened at the end with "…". Long titles were cut off at
/// both sides before (issue 27: the C1 figure on one 480 px column).
///
/// # Errors
/// [`PlotError::Font`] if the bundled font cannot be parsed.
pub(crate) fn fit_text(text: &str, px: u32, width: u32) -> Result<(String, u32), PlotError> {
    let room = width.saturating_sub(2 * TEXT_SIDE_PAD);
    let min = MIN_TEXT_PX.min(px);
    for size in (min..=px).rev() {
        if text_width(text, size)? <= room {
            return Ok((text.to_string(), size));
        }
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (0..chars.len()).rev() {
        let short: String = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
        if text_width(&short, min)? <= room || keep == 0 {
            return Ok((short, min));
        }
    }
    Ok((String::new(), min))
}

/// Render `fig` (already validated) onto `root`, then present it.
pub(crate) fn render_figure<DB: DrawingBackend>(
    fig: &Figure,
    root: DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    let body = if fig.title.is_empty() {
        root.clone()
    } else {
        let (text, px) = fit_text(&fig.title, TITLE_PX, root.dim_in_pixel().0)?;
        root.titled(&text, (FAMILY, px)).map_err(draw_err)?
    };
    let (rows, cols) = fig.grid();
    let areas = body.split_evenly((rows, cols));
    for (i, (panel, area)) in fig.panels.iter().zip(areas.iter()).enumerate() {
        draw_panel(area, panel, i)?;
    }
    root.present().map_err(draw_err)
}

/// Axis-space points of a series: `None` where x or y is not drawable.
fn axis_points(s: &Series, xa: &Axis, ya: &Axis) -> Vec<Option<(f64, f64)>> {
    s.x.iter()
        .zip(&s.y)
        .map(|(&x, &y)| Some((to_axis(x, xa.log)?, to_axis(y, ya.log)?)))
        .collect()
}

/// Maximal runs of consecutive drawable points.
fn runs<T: Copy>(pts: &[Option<T>]) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut cur = Vec::new();
    for p in pts {
        match p {
            Some(p) => cur.push(*p),
            None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The error-bar / band ends at point `i` in axis space, clamped to the y axis:
/// `(low, high, low_clipped, high_clipped)`. `None` when there is no usable half-width or the
/// whole interval lies outside the axis. A low end that is ≤ 0 on a log axis becomes the
/// axis bottom (clipped).
fn err_ends(s: &Series, i: usize, ya: &Axis) -> Option<(f64, f64, bool, bool)> {
    let e = *s.err.as_ref()?.get(i)?;
    if !(e.is_finite() && e >= 0.0) {
        return None;
    }
    let y = s.y[i];
    let hi = to_axis(y + e, ya.log)?;
    let lo = to_axis(y - e, ya.log).unwrap_or(f64::NEG_INFINITY);
    if hi < ya.lo || lo > ya.hi {
        return None;
    }
    Some((ya.clamp(lo), ya.clamp(hi), lo < ya.lo, hi > ya.hi))
}

/// One legend row.
struct Entry {
    label: String,
    icon: Icon,
}

/// What a legend icon shows.
#[derive(Clone, Copy)]
struct Icon {
    line: Option<LineKind>,
    marker: Option<Marker>,
    err: Option<ErrorDisplay>,
    color: RGBColor,
    width: u32,
    marker_size: u32,
}

/// Everything a panel draws, sampled as polylines and points in axis space: what the
/// legend should not cover.
struct Ink {
    lines: Vec<Vec<(f64, f64)>>,
    dots: Vec<(f64, f64)>,
}

impl Ink {
    fn collect(panel: &Panel, xa: &Axis, ya: &Axis) -> Ink {
        let bounds = (xa.lo, xa.hi, ya.lo, ya.hi);
        let mut lines = Vec::new();
        let mut dots = Vec::new();
        for (y, _) in &panel.hlines {
            if let Some(y) = to_axis(*y, ya.log).filter(|&y| ya.contains(y)) {
                lines.push(vec![(xa.lo, y), (xa.hi, y)]);
            }
        }
        for s in &panel.series {
            let pts = axis_points(s, xa, ya);
            if s.style.line.is_some() || s.style.marker.is_none() {
                for run in runs(&pts) {
                    lines.extend(clip_polyline(&run, bounds));
                }
            }
            if s.style.marker.is_some() {
                dots.extend(
                    pts.iter()
                        .flatten()
                        .filter(|&&(x, y)| xa.contains(x) && ya.contains(y)),
                );
            }
            if s.err.is_some() {
                for (i, p) in pts.iter().enumerate() {
                    let Some((x, _)) = *p else { continue };
                    let Some((lo, hi, _, _)) = err_ends(s, i, ya) else {
                        continue;
                    };
                    if xa.contains(x) {
                        lines.push(vec![(x, lo), (x, hi)]);
                    }
                }
            }
        }
        Ink { lines, dots }
    }

    /// Pixel samples (every ~3 px along lines) inside a `pw × ph` plotting area.
    fn samples(&self, xa: &Axis, ya: &Axis, (pw, ph): (i32, i32)) -> Vec<(f64, f64)> {
        let to_px = |(x, y): (f64, f64)| -> (f64, f64) {
            (
                (x - xa.lo) / (xa.hi - xa.lo) * f64::from(pw),
                (ya.hi - y) / (ya.hi - ya.lo) * f64::from(ph),
            )
        };
        let mut out: Vec<(f64, f64)> = self.dots.iter().map(|&p| to_px(p)).collect();
        for line in &self.lines {
            for seg in line.windows(2) {
                let (a, b) = (to_px(seg[0]), to_px(seg[1]));
                let n = ((b.0 - a.0).hypot(b.1 - a.1) / 3.0)
                    .ceil()
                    .clamp(1.0, 2000.0) as usize;
                for k in 0..=n {
                    let t = k as f64 / n as f64;
                    out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
                }
            }
        }
        out
    }
}

/// Inset of the legend box from the plotting area's edges.
const INSET: i32 = 6;

/// Top-left corner of a `w × h` legend box in a `pw × ph` plotting area.
fn corner(c: Legend, (pw, ph): (i32, i32), (w, h): (i32, i32)) -> (i32, i32) {
    match c {
        Legend::UpperLeft => (INSET, INSET),
        Legend::LowerLeft => (INSET, ph - h - INSET),
        Legend::LowerRight => (pw - w - INSET, ph - h - INSET),
        _ => (pw - w - INSET, INSET),
    }
}

/// The candidate legend position covering the fewest ink samples, and that count.
/// Candidates in order of preference (ties go to the earlier): upper right, upper left,
/// lower right, lower left, top centre, bottom centre.
fn best_spot(samples: &[(f64, f64)], dims: (i32, i32), size: (i32, i32)) -> ((i32, i32), usize) {
    let (pw, ph) = dims;
    let (w, h) = size;
    let candidates = [
        corner(Legend::UpperRight, dims, size),
        corner(Legend::UpperLeft, dims, size),
        corner(Legend::LowerRight, dims, size),
        corner(Legend::LowerLeft, dims, size),
        ((pw - w) / 2, INSET),
        ((pw - w) / 2, ph - h - INSET),
    ];
    let margin = 5.0; // markers and line widths reach a few pixels beyond their centre
    let cost = |(cx, cy): (i32, i32)| {
        samples
            .iter()
            .filter(|&&(sx, sy)| {
                sx >= f64::from(cx) - margin
                    && sx <= f64::from(cx + w) + margin
                    && sy >= f64::from(cy) - margin
                    && sy <= f64::from(cy + h) + margin
            })
            .count()
    };
    candidates
        .iter()
        .map(|&c| (c, cost(c)))
        .min_by_key(|&(_, n)| n)
        .unwrap_or((candidates[0], 0))
}

/// Legend rows: labelled series in order, then labelled reference lines.
fn legend_entries(panel: &Panel, colors: &[RGBColor]) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (s, &color) in panel.series.iter().zip(colors) {
        if s.label.is_empty() {
            continue;
        }
        let line = match (s.style.line, s.style.marker) {
            (None, None) => Some(LineKind::Solid),
            (l, _) => l,
        };
        entries.push(Entry {
            label: s.label.clone(),
            icon: Icon {
                line,
                marker: s.style.marker,
                err: s.err.as_ref().map(|_| s.style.err),
                color,
                width: s.style.width.max(1),
                marker_size: s.style.marker_size,
            },
        });
    }
    for (_, label) in &panel.hlines {
        if !label.is_empty() {
            entries.push(Entry {
                label: label.clone(),
                icon: Icon {
                    line: Some(LineKind::Dashed),
                    marker: None,
                    err: None,
                    color: GREY,
                    width: 1,
                    marker_size: 0,
                },
            });
        }
    }
    entries
}

/// Pixel size of the legend box for `entries`.
fn legend_size<DB: DrawingBackend, C>(area: &DrawingArea<DB, C>, entries: &[Entry]) -> (i32, i32)
where
    C: plotters::coord::CoordTranslate,
{
    let font: TextStyle = (FAMILY, LEGEND_PX).into_font().into();
    let text_w = entries
        .iter()
        .filter_map(|e| area.estimate_text_size(&e.label, &font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    (
        LEGEND_PAD * 3 + ICON_W + text_w,
        LEGEND_PAD * 2 + LEGEND_ROW * entries.len() as i32,
    )
}

/// Widest y tick label in pixels.
fn y_tick_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, ya: &Axis) -> u32 {
    let tick_font: TextStyle = (FAMILY, TICK_PX).into_font().into();
    ya.ticks
        .iter()
        .filter_map(|&t| area.estimate_text_size(&ya.label(t), &tick_font).ok())
        .map(|(w, _)| w)
        .max()
        .unwrap_or(0)
}

/// Panel margins (top, bottom, left, right) and label-area sizes.
const MARGIN: (u32, u32, u32, u32) = (8, 6, 8, 22);
const X_AREA: u32 = TICK_PX + DESC_PX + 20;
fn y_area(y_tick_w: u32) -> u32 {
    y_tick_w + DESC_PX + 20
}

/// The plotting area's pixel size as plotters will lay it out (caption as in
/// `DrawingArea::titled`: text height plus twice min(height/2, 5)).
fn plot_dims<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    ya: &Axis,
) -> (i32, i32) {
    let (w, h) = area.dim_in_pixel();
    let caption = if panel.title.is_empty() {
        0
    } else {
        let (text, px) =
            fit_text(&panel.title, CAPTION_PX, w).unwrap_or((String::new(), CAPTION_PX));
        let style: TextStyle = (FAMILY, px).into_font().into();
        let th = area
            .estimate_text_size(&text, &style)
            .map(|s| s.1)
            .unwrap_or(px);
        th + 2 * (th / 2).min(5)
    };
    let pw = w as i32 - (MARGIN.2 + MARGIN.3 + y_area(y_tick_width(area, ya))) as i32;
    let ph = h as i32 - (MARGIN.0 + MARGIN.1 + X_AREA + caption) as i32;
    (pw.max(1), ph.max(1))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    idx: usize,
) -> Result<(), PlotError> {
    let (xa, mut ya) = axis::axes(panel, idx)?;
    let colors: Vec<RGBColor> = panel
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| rgb(s.style.color.unwrap_or(Color::Palette(i))))
        .collect();
    let entries = legend_entries(panel, &colors);
    let show_legend = panel.legend != Legend::Hidden && !entries.is_empty();
    let lsize = legend_size(area, &entries);

    // Automatic legend and range: if every candidate spot would hide data, raise the top of
    // the y axis so that a legend-high strip above the data is free.
    if show_legend && panel.legend == Legend::Auto && panel.y_range.is_none() {
        let dims = plot_dims(area, panel, &ya);
        let samples = Ink::collect(panel, &xa, &ya).samples(&xa, &ya, dims);
        let (_, cost) = best_spot(&samples, dims, lsize);
        let f = f64::from(lsize.1 + 2 * INSET + 4) / f64::from(dims.1);
        if cost > 0 && f < 0.5 {
            ya = ya.with_headroom(f);
        }
    }

    let mut cb = ChartBuilder::on(area);
    cb.margin_top(MARGIN.0)
        .margin_bottom(MARGIN.1)
        .margin_left(MARGIN.2)
        .margin_right(MARGIN.3)
        .x_label_area_size(X_AREA)
        .y_label_area_size(y_area(y_tick_width(area, &ya)));
    if !panel.title.is_empty() {
        let (text, px) = fit_text(&panel.title, CAPTION_PX, area.dim_in_pixel().0)?;
        cb.caption(text, (FAMILY, px));
    }
    let mut chart = cb
        .build_cartesian_2d(AxisCoord::from(&xa), AxisCoord::from(&ya))
        .map_err(draw_err)?;
    let x_fmt = |v: &f64| xa.label(*v);
    let y_fmt = |v: &f64| ya.label(*v);
    chart
        .configure_mesh()
        .x_desc(xa.desc(&panel.x_label))
        .y_desc(ya.desc(&panel.y_label))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FAMILY, TICK_PX))
        .axis_desc_style((FAMILY, DESC_PX))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.05))
        .axis_style(BLACK.mix(0.8))
        .draw()
        .map_err(draw_err)?;

    let bounds = (xa.lo, xa.hi, ya.lo, ya.hi);

    // Shaded windows, under everything else.
    for &(a, b) in &panel.vspans {
        let end = |v: f64| -> Option<f64> {
            if v.is_nan() {
                None
            } else if v == f64::INFINITY {
                Some(xa.hi)
            } else {
                Some(xa.clamp(to_axis(v, xa.log).unwrap_or(xa.lo)))
            }
        };
        if let (Some(a), Some(b)) = (end(a), end(b)) {
            let (l, r) = (a.min(b), a.max(b));
            if r > l {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(l, ya.lo), (r, ya.hi)],
                        GREY.mix(0.16).filled(),
                    )))
                    .map_err(draw_err)?;
            }
        }
    }

    // Bands, under all lines and markers.
    for (s, &color) in panel.series.iter().zip(&colors) {
        if s.style.err != ErrorDisplay::Band || s.err.is_none() {
            continue;
        }
        let pts = axis_points(s, &xa, &ya);
        let with_err: Vec<Option<(f64, f64, f64)>> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (x, _) = (*p)?;
                let (lo, hi, _, _) = err_ends(s, i, &ya)?;
                Some((xa.clamp(x), lo, hi))
            })
            .collect();
        for run in runs(&with_err) {
            if run.len() < 2 {
                continue;
            }
            let mut poly: Vec<(f64, f64)> = run.iter().map(|&(x, _, hi)| (x, hi)).collect();
            poly.extend(run.iter().rev().map(|&(x, lo, _)| (x, lo)));
            chart
                .draw_series(std::iter::once(Polygon::new(poly, color.mix(0.2).filled())))
                .map_err(draw_err)?;
        }
    }

    // Reference lines.
    for (y, _) in &panel.hlines {
        if let Some(y) = to_axis(*y, ya.log).filter(|&y| ya.contains(y)) {
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(xa.lo, y), (xa.hi, y)],
                    6,
                    4,
                    GREY.stroke_width(1),
                )))
                .map_err(draw_err)?;
        }
    }

    // Lines.
    for (s, &color) in panel.series.iter().zip(&colors) {
        let kind = match (s.style.line, s.style.marker) {
            (Some(k), _) => k,
            (None, Some(_)) => continue,
            (None, None) => LineKind::Solid,
        };
        let style = color.stroke_width(s.style.width.max(1));
        for run in runs(&axis_points(s, &xa, &ya)) {
            for piece in clip_polyline(&run, bounds) {
                let res = match kind {
                    LineKind::Solid => {
                        chart.draw_series(std::iter::once(PathElement::new(piece, style)))
                    }
                    LineKind::Dashed => chart
                        .draw_series(std::iter::once(DashedPathElement::new(piece, 8, 5, style))),
                    LineKind::Dotted => chart
                        .draw_series(std::iter::once(DashedPathElement::new(piece, 2, 4, style))),
                };
                res.map_err(draw_err)?;
            }
        }
    }

    // Error bars and markers, on top.
    for (s, &color) in panel.series.iter().zip(&colors) {
        let pts = axis_points(s, &xa, &ya);
        if s.style.err == ErrorDisplay::Bars && s.err.is_some() {
            let bars: Vec<ErrBar<(f64, f64)>> = pts
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let (x, _) = (*p)?;
                    if !xa.contains(x) {
                        return None;
                    }
                    let (lo, hi, lo_clip, hi_clip) = err_ends(s, i, &ya)?;
                    (hi >= lo).then_some(ErrBar {
                        ends: [(x, lo), (x, hi)],
                        caps: [!lo_clip, !hi_clip],
                        style: color.stroke_width(s.style.width.clamp(1, 2)),
                    })
                })
                .collect();
            chart.draw_series(bars).map_err(draw_err)?;
        }
        if let Some(shape) = s.style.marker {
            let r = s.style.marker_size as i32;
            let marks: Vec<MarkerAt<(f64, f64)>> = pts
                .iter()
                .flatten()
                .filter(|&&(x, y)| xa.contains(x) && ya.contains(y))
                .map(|&at| MarkerAt {
                    at,
                    shape,
                    radius: r,
                    color,
                })
                .collect();
            chart.draw_series(marks).map_err(draw_err)?;
        }
    }

    if show_legend {
        let plot = chart.plotting_area().strip_coord_spec();
        let (pw, ph) = plot.dim_in_pixel();
        let dims = (pw as i32, ph as i32);
        let (x0, y0) = match panel.legend {
            Legend::Auto => {
                let samples = Ink::collect(panel, &xa, &ya).samples(&xa, &ya, dims);
                best_spot(&samples, dims, lsize).0
            }
            c => corner(c, dims, lsize),
        };
        draw_legend(&plot, &entries, (x0, y0), lsize)?;
    }
    Ok(())
}

/// Draw the legend box with its top-left corner at `(x0, y0)` of the plotting area `plot`.
fn draw_legend<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    (x0, y0): (i32, i32),
    (w, h): (i32, i32),
) -> Result<(), PlotError> {
    plot.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        WHITE.mix(0.88).filled(),
    ))
    .map_err(draw_err)?;
    plot.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        BLACK.mix(0.3).stroke_width(1),
    ))
    .map_err(draw_err)?;
    let font: TextStyle = (FAMILY, LEGEND_PX).into_font().into();
    let text_style = font.pos(Pos::new(HPos::Left, VPos::Center));
    for (k, e) in entries.iter().enumerate() {
        let yc = y0 + LEGEND_PAD + LEGEND_ROW * k as i32 + LEGEND_ROW / 2;
        let xl = x0 + LEGEND_PAD;
        plot.draw(&LegendIcon {
            at: (xl, yc),
            icon: e.icon,
        })
        .map_err(draw_err)?;
        plot.draw(&Text::new(
            e.label.as_str(),
            (xl + ICON_W + LEGEND_PAD, yc),
            &text_style,
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// A marker glyph at one point.
struct MarkerAt<C> {
    at: C,
    shape: Marker,
    radius: i32,
    color: RGBColor,
}

impl<'a, C: 'a> PointCollection<'a, C> for &'a MarkerAt<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;
    fn point_iter(self) -> std::iter::Once<&'a C> {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for MarkerAt<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        match pos.next() {
            Some(p) => draw_marker(backend, p, self.shape, self.radius, self.color),
            None => Ok(()),
        }
    }
}

fn draw_marker<DB: DrawingBackend>(
    b: &mut DB,
    (x, y): BackendCoord,
    shape: Marker,
    r: i32,
    color: RGBColor,
) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
    let fill = color.filled();
    match shape {
        Marker::Circle => b.draw_circle((x, y), r as u32, &fill, true),
        Marker::Square => {
            let s = (r * 9 + 5) / 10; // same visual weight as the disc
            b.draw_rect((x - s, y - s), (x + s, y + s), &fill, true)
        }
        Marker::Triangle => b.fill_polygon(
            vec![(x, y - r - 1), (x - r - 1, y + r), (x + r + 1, y + r)],
            &fill,
        ),
        Marker::Diamond => b.fill_polygon(
            vec![
                (x, y - r - 1),
                (x + r + 1, y),
                (x, y + r + 1),
                (x - r - 1, y),
            ],
            &fill,
        ),
        Marker::Cross => {
            let s = color.stroke_width(2);
            b.draw_line((x - r, y - r), (x + r, y + r), &s)?;
            b.draw_line((x - r, y + r), (x + r, y - r), &s)
        }
    }
}

/// A vertical error bar between two points, with optional caps.
struct ErrBar<C> {
    ends: [C; 2],
    caps: [bool; 2],
    style: ShapeStyle,
}

impl<'a, C: 'a> PointCollection<'a, C> for &'a ErrBar<C> {
    type Point = &'a C;
    type IntoIter = std::slice::Iter<'a, C>;
    fn point_iter(self) -> std::slice::Iter<'a, C> {
        self.ends.iter()
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for ErrBar<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let p: Vec<BackendCoord> = pos.collect();
        if p.len() != 2 {
            return Ok(());
        }
        backend.draw_line(p[0], p[1], &self.style)?;
        for (q, cap) in p.iter().zip(self.caps) {
            if cap {
                backend.draw_line((q.0 - CAP, q.1), (q.0 + CAP, q.1), &self.style)?;
            }
        }
        Ok(())
    }
}

/// A legend sample of a series' style, drawn from its left-centre point.
struct LegendIcon {
    at: BackendCoord,
    icon: Icon,
}

impl<'a> PointCollection<'a, BackendCoord> for &'a LegendIcon {
    type Point = &'a BackendCoord;
    type IntoIter = std::iter::Once<&'a BackendCoord>;
    fn point_iter(self) -> std::iter::Once<&'a BackendCoord> {
        std::iter::once(&self.at)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for LegendIcon {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        b: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else {
            return Ok(());
        };
        let ic = self.icon;
        let mid = x + ICON_W / 2;
        match ic.err {
            Some(ErrorDisplay::Band) => b.draw_rect(
                (x, y - 6),
                (x + ICON_W, y + 6),
                &ic.color.mix(0.2).filled(),
                true,
            )?,
            Some(ErrorDisplay::Bars) => {
                let s = ic.color.stroke_width(ic.width.clamp(1, 2));
                b.draw_line((mid, y - 7), (mid, y + 7), &s)?;
                b.draw_line((mid - CAP, y - 7), (mid + CAP, y - 7), &s)?;
                b.draw_line((mid - CAP, y + 7), (mid + CAP, y + 7), &s)?;
            }
            None => {}
        }
        if let Some(kind) = ic.line {
            let s = ic.color.stroke_width(ic.width);
            let (on, off) = match kind {
                LineKind::Solid => (ICON_W, 0),
                LineKind::Dashed => (8, 5),
                LineKind::Dotted => (2, 4),
            };
            let mut x0 = x;
            while x0 < x + ICON_W {
                let x1 = (x0 + on).min(x + ICON_W);
                b.draw_line((x0, y), (x1, y), &s)?;
                x0 = x1 + off;
            }
        }
        if let Some(shape) = ic.marker {
            draw_marker(b, (mid, y), shape, ic.marker_size as i32, ic.color)?;
        }
        Ok(())
    }
}
