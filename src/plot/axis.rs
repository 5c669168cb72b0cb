//! Axis ranges, tick positions and tick labels, computed from a panel's data.
//!
//! Everything is done in *axis space*: the value itself on a linear axis, log₁₀ of it on a
//! log axis. plotters then only ever sees a linear `f64` axis with our own key points, so the
//! four linear/log combinations share one coordinate type and the ticks are ours to choose.

use super::{Panel, PlotError};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Fraction of the data span added on each side of an automatic x range.
const PAD_X: f64 = 0.03;
/// Fraction of the data span added on each side of an automatic y range.
const PAD_Y: f64 = 0.06;
/// About how many labelled ticks an axis gets.
const TARGET_TICKS: f64 = 5.0;

/// Map a data value to axis space: `None` for NaN/±inf, and for `v ≤ 0` on a log axis
/// (the documented drop rule: such points are gaps, exactly like NaN).
pub(crate) fn to_axis(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

/// How tick values are turned into text.
#[derive(Debug, Clone, Copy)]
enum LabelMode {
    /// Linear axis, ticks `k·step`, labelled in units of 10^`exp` (the axis description
    /// then carries "(×10^exp)"; `exp` is 0 unless the ticks are ≥ 10⁴ or < 10⁻² in size).
    Linear { step: f64, exp: i32 },
    /// Log axis with ticks at whole decades; `plain` writes 0.01 … 1000 instead of 10ᵏ.
    Decades { plain: bool },
    /// Log axis spanning less than two decades: ticks at plain values, each formatted at
    /// `step` or, for 1-2-5 ticks (`None`), at its own magnitude.
    LogValues { step: Option<f64> },
}

/// One resolved axis, in axis space.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub log: bool,
    pub lo: f64,
    pub hi: f64,
    /// Labelled ticks (axis space).
    pub ticks: Vec<f64>,
    /// Unlabelled light grid lines (axis space).
    pub minor: Vec<f64>,
    mode: LabelMode,
}

impl Axis {
    /// Build an axis covering the axis-space extent `(lo, hi)`: pad it unless `explicit`.
    fn new(extent: Option<(f64, f64)>, log: bool, pad: f64, explicit: bool) -> Axis {
        let (mut lo, mut hi) = extent.unwrap_or((0.0, 1.0));
        let span = hi - lo;
        if span <= f64::EPSILON * lo.abs().max(hi.abs()).max(1.0) {
            // A single value: open a window around it (half a decade on a log axis).
            let half = if log {
                0.5
            } else if lo.abs() > 0.0 {
                lo.abs() * 0.1
            } else {
                0.5
            };
            lo -= half;
            hi += half;
        } else if !explicit {
            lo -= pad * span;
            hi += pad * span;
        }
        let (ticks, minor, mode) = if log {
            log_ticks(lo, hi)
        } else {
            let (t, m, step) = linear_ticks(lo, hi);
            let big = t.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            let exp = if big > 0.0 && !(1e-2..1e4).contains(&big) {
                big.log10().floor() as i32
            } else {
                0
            };
            (t, m, LabelMode::Linear { step, exp })
        };
        Axis {
            log,
            lo,
            hi,
            ticks,
            minor,
            mode,
        }
    }

    /// The same axis with its top raised so that the old range fills the bottom `1 − f` of
    /// it (room for a legend above the data); ticks recomputed.
    pub(crate) fn with_headroom(&self, f: f64) -> Axis {
        let hi = self.hi + f / (1.0 - f) * (self.hi - self.lo);
        Axis::new(Some((self.lo, hi)), self.log, 0.0, true)
    }

    /// The text of the tick at axis-space position `v`.
    pub fn label(&self, v: f64) -> String {
        match self.mode {
            LabelMode::Linear { step, exp } => {
                let unit = 10f64.powi(exp);
                fmt_value(v / unit, step / unit)
            }
            LabelMode::Decades { plain: false } => format!("10{}", superscript(v.round() as i64)),
            LabelMode::Decades { plain: true } => {
                let k = v.round() as i32;
                fmt_value(10f64.powi(k), 10f64.powi(k.min(0)))
            }
            LabelMode::LogValues { step } => {
                let x = 10f64.powf(v);
                fmt_value(x, step.unwrap_or_else(|| 10f64.powf((v + 1e-9).floor())))
            }
        }
    }

    /// The axis description with the common scale factor, e.g. `"ω (×10⁴)"`.
    pub(crate) fn desc(&self, label: &str) -> String {
        match self.mode {
            LabelMode::Linear { exp, .. } if exp != 0 => {
                let unit = format!("×10{}", superscript(i64::from(exp)));
                if label.is_empty() {
                    unit
                } else {
                    format!("{label} ({unit})")
                }
            }
            _ => label.to_string(),
        }
    }

    /// Whether an axis-space value lies inside the axis (with a hair of tolerance).
    pub fn contains(&self, v: f64) -> bool {
        let tol = 1e-9 * (self.hi - self.lo);
        v >= self.lo - tol && v <= self.hi + tol
    }

    /// Clamp an axis-space value into the axis.
    pub(crate) fn clamp(&self, v: f64) -> f64 {
        v.clamp(self.lo, self.hi)
    }
}

/// Min/max accumulator over axis-space values.
#[derive(Default)]
struct Extent(Option<(f64, f64)>);

impl Extent {
    fn add(&mut self, v: Option<f64>) {
        if let Some(v) = v {
            self.0 = Some(match self.0 {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        }
    }
}

/// Resolve both axes of `panel` (index `idx`, for error messages).
///
/// The automatic range covers every drawable point (x and y both valid in axis space), the
/// ends of its error bars that are drawable (y ± err, positive on a log axis), the finite
/// ends of each shaded window and each horizontal reference line; then it is padded.
/// An explicit `x_range`/`y_range` is used as given.
pub(crate) fn axes(panel: &Panel, idx: usize) -> Result<(Axis, Axis), PlotError> {
    let (lx, ly) = (panel.log_x, panel.log_y);
    let mut ex = Extent::default();
    let mut ey = Extent::default();
    for s in &panel.series {
        for i in 0..s.x.len().min(s.y.len()) {
            let (Some(x), Some(y)) = (to_axis(s.x[i], lx), to_axis(s.y[i], ly)) else {
                continue;
            };
            ex.add(Some(x));
            ey.add(Some(y));
            let e = s.err.as_ref().and_then(|e| e.get(i)).copied();
            if let Some(e) = e.filter(|e| e.is_finite() && *e >= 0.0) {
                ey.add(to_axis(s.y[i] + e, ly));
                ey.add(to_axis(s.y[i] - e, ly));
            }
        }
    }
    for &(a, b) in &panel.vspans {
        ex.add(to_axis(a, lx));
        ex.add(to_axis(b, lx));
    }
    for (y, _) in &panel.hlines {
        ey.add(to_axis(*y, ly));
    }
    let x = resolve(panel.x_range, ex, lx, PAD_X, idx, "x")?;
    let y = resolve(panel.y_range, ey, ly, PAD_Y, idx, "y")?;
    Ok((x, y))
}

fn resolve(
    explicit: Option<(f64, f64)>,
    data: Extent,
    log: bool,
    pad: f64,
    panel: usize,
    axis: &'static str,
) -> Result<Axis, PlotError> {
    match explicit {
        Some((lo, hi)) => match (to_axis(lo, log), to_axis(hi, log)) {
            (Some(a), Some(b)) if a < b => Ok(Axis::new(Some((a, b)), log, pad, true)),
            _ => Err(PlotError::Range {
                panel,
                axis,
                lo,
                hi,
                log,
            }),
        },
        None => Ok(Axis::new(data.0, log, pad, false)),
    }
}

/// A "nice" step (1, 2, 2.5 or 5 × 10ᵏ) close to `raw`.
fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f < 1.5 {
        1.0
    } else if f < 2.25 {
        2.0
    } else if f < 3.5 {
        2.5
    } else if f < 7.5 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Ticks `k·step` inside `[lo, hi]`, computed from the integer `k` so that they print cleanly;
/// minor lines halfway between.
fn linear_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>, f64) {
    let step = nice_step((hi - lo) / TARGET_TICKS);
    let k0 = (lo / step - 1e-9).ceil() as i64;
    let k1 = (hi / step + 1e-9).floor() as i64;
    let ticks = (k0..=k1).map(|k| k as f64 * step).collect();
    let h = step / 2.0;
    let m0 = (lo / h - 1e-9).ceil() as i64;
    let m1 = (hi / h + 1e-9).floor() as i64;
    let minor = (m0..=m1)
        .filter(|m| m.rem_euclid(2) == 1)
        .map(|m| m as f64 * h)
        .collect();
    (ticks, minor, step)
}

/// Ticks for a log axis whose axis-space (log₁₀) range is `[lo, hi]`.
///
/// Three or more whole decades: a tick per decade (every `stride`-th if more than six),
/// minor lines at 2…9 × 10ᵏ. Fewer: ticks at 1, 2, 5 × 10ᵏ if that gives 3 to 9 of them;
/// else decades if there are two; else nice linear values. Ticks sit at their log₁₀.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>, LabelMode) {
    let k0 = (lo - 1e-9).ceil() as i64;
    let k1 = (hi + 1e-9).floor() as i64;
    let decades = k1 - k0 + 1;
    let minor_2_to_9 = || -> Vec<f64> {
        ((lo.floor() as i64)..=(hi.ceil() as i64))
            .flat_map(|k| (2..=9).map(move |m| k as f64 + (m as f64).log10()))
            .filter(|v| *v >= lo && *v <= hi)
            .collect()
    };
    let (vlo, vhi) = (10f64.powf(lo), 10f64.powf(hi));
    let mut ones_twos_fives = Vec::new();
    if decades < 3 {
        for k in (lo.floor() as i64)..=(hi.ceil() as i64) {
            for m in [1.0, 2.0, 5.0] {
                let v = m * 10f64.powi(k as i32);
                if v >= vlo * (1.0 - 1e-9) && v <= vhi * (1.0 + 1e-9) {
                    ones_twos_fives.push(v.log10());
                }
            }
        }
    }
    if decades >= 3 || (decades == 2 && !(3..=9).contains(&ones_twos_fives.len())) {
        let stride = ((decades as f64) / 6.0).ceil().max(1.0) as i64;
        let ticks: Vec<f64> = (k0..=k1)
            .filter(|k| k.rem_euclid(stride) == 0)
            .map(|k| k as f64)
            .collect();
        let minor = if stride == 1 {
            minor_2_to_9()
        } else {
            (k0..=k1)
                .filter(|k| k.rem_euclid(stride) != 0)
                .map(|k| k as f64)
                .collect()
        };
        let plain = ticks.iter().all(|&k| (-2.0..=3.0).contains(&k));
        return (ticks, minor, LabelMode::Decades { plain });
    }
    if (3..=9).contains(&ones_twos_fives.len()) {
        return (
            ones_twos_fives,
            minor_2_to_9(),
            LabelMode::LogValues { step: None },
        );
    }
    let (t, _, step) = linear_ticks(vlo, vhi);
    let ticks = t.into_iter().filter(|v| *v > 0.0).map(f64::log10).collect();
    (ticks, Vec::new(), LabelMode::LogValues { step: Some(step) })
}

/// Format `v`, a multiple of `step`, with as few decimals as make neighbouring ticks
/// distinct (zero gets the same decimals as its neighbours). Very large or very small
/// magnitudes use `a×10ᵏ`. Negative numbers use U+2212 (−).
fn fmt_value(v: f64, step: f64) -> String {
    let step = step.abs();
    let v = if v.abs() < step * 1e-6 { 0.0 } else { v };
    let a = v.abs();
    let s = if a > 0.0 && !(1e-3..1e5).contains(&a) {
        let e = a.log10().floor();
        let digits = (e - step.log10().floor()).clamp(0.0, 6.0) as usize;
        let mant = v / 10f64.powf(e);
        let m = format!("{mant:.digits$}");
        let m = trim_zeros(&m);
        if m == "1" || m == "-1" {
            format!(
                "{}10{}",
                if v < 0.0 { "-" } else { "" },
                superscript(e as i64)
            )
        } else {
            format!("{m}×10{}", superscript(e as i64))
        }
    } else {
        let mut d = 0usize;
        while d < 12 {
            let scaled = step * 10f64.powi(d as i32);
            if (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0) {
                break;
            }
            d += 1;
        }
        format!("{v:.d$}")
    };
    s.replace('-', "\u{2212}")
}

/// `"2.50"` → `"2.5"`, `"3.0"` → `"3"`.
fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// An integer in Unicode superscript digits, e.g. `-3` → `⁻³`.
pub(crate) fn superscript(k: i64) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = String::new();
    if k < 0 {
        out.push('⁻');
    }
    for c in k.unsigned_abs().to_string().chars() {
        out.push(DIGITS[c.to_digit(10).unwrap_or(0) as usize]);
    }
    out
}

/// A clipped segment: its two ends and whether each end was moved by the clipping.
type Clipped = ((f64, f64), (f64, f64), bool, bool);

/// Clip the segment `p → q` to the box `[x0, x1] × [y0, y1]` (Liang–Barsky).
pub(crate) fn clip_segment(
    p: (f64, f64),
    q: (f64, f64),
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) -> Option<Clipped> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p.0 - x0),
        (dx, x1 - p.0),
        (-dy, p.1 - y0),
        (dy, y1 - p.1),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return None;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (p.0 + t * dx, p.1 + t * dy);
    Some((at(t0), at(t1), t0 > 0.0, t1 < 1.0))
}

/// Clip a polyline (axis space) to a box; a clipped-away stretch splits it into runs.
pub(crate) fn clip_polyline(
    pts: &[(f64, f64)],
    bounds: (f64, f64, f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false; // the last run ends at an unclipped vertex and may be extended
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], bounds) {
            Some((a, b, a_moved, b_moved)) => {
                if open && !a_moved {
                    if let Some(run) = runs.last_mut() {
                        run.push(b);
                    }
                } else {
                    runs.push(vec![a, b]);
                }
                open = !b_moved;
            }
            None => open = false,
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        let got: Vec<f64> = [0.13, 0.2, 0.3, 0.45, 0.9].map(nice_step).to_vec();
        let want = [0.1, 0.2, 0.25, 0.5, 1.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < crate::tol::ROUNDOFF, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn value_labels() {
        assert_eq!(fmt_value(0.5, 0.25), "0.50");
        assert_eq!(fmt_value(-1.0, 0.5), "\u{2212}1.0");
        assert_eq!(fmt_value(2.0, 1.0), "2");
        assert_eq!(fmt_value(1e-17, 0.1), "0.0");
        assert_eq!(fmt_value(-1e-17, 0.25), "0.00");
        assert_eq!(fmt_value(2e-4, 1e-4), "2×10⁻⁴");
        assert_eq!(fmt_value(1e6, 1e5), "10⁶");
        assert_eq!(superscript(-12), "⁻¹²");
    }

    #[test]
    fn tiny_and_huge_linear_axes_share_one_exponent() {
        let a = Axis::new(Some((0.0, 1e-4)), false, 0.0, true);
        let labels: Vec<String> = a.ticks.iter().map(|&t| a.label(t)).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(a.desc("m"), "m (×10⁻⁴)");
        let a = Axis::new(Some((-1e5, 1e5)), false, 0.0, true);
        assert_eq!(a.label(-1e5), "\u{2212}1.0");
        assert_eq!(a.desc(""), "×10⁵");
        let a = Axis::new(Some((0.0, 2.0)), false, 0.0, true);
        assert_eq!(a.desc("t"), "t");
    }

    #[test]
    fn log_axis_ticks_are_decades() {
        let (ticks, minor, _) = log_ticks(-0.2, 3.3);
        assert_eq!(ticks, vec![0.0, 1.0, 2.0, 3.0]);
        // Two decades (14 … 1200): 1-2-5 ticks 20, 50, …, 1000.
        let (ticks, _, _) = log_ticks(14f64.log10(), 1200f64.log10());
        assert_eq!(ticks.len(), 6, "{ticks:?}");
        assert!(!minor.is_empty());
        let (ticks, _, _) = log_ticks(-12.0, 12.0);
        assert!(ticks.len() <= 7, "{ticks:?}");
        // Under two decades: 1-2-5 ticks.
        let (ticks, _, _) = log_ticks(0.0f64.max(0.1), 1.5);
        assert!(ticks.len() >= 3, "{ticks:?}");
    }

    #[test]
    fn polyline_clipping_splits_runs() {
        let b = (0.0, 10.0, 0.0, 1.0);
        let runs = clip_polyline(
            &[(0.0, 0.5), (1.0, 0.5), (2.0, 5.0), (3.0, 0.5), (4.0, 0.5)],
            b,
        );
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].len(), 3);
        assert_eq!(runs[1].len(), 3);
    }
}

/// The plotters coordinate of one axis: linear over `[lo, hi]` in axis space, with our
/// ticks as its key points (bold = labelled, light = minor grid).
#[derive(Clone)]
pub(crate) struct AxisCoord {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    minor: Vec<f64>,
}

impl From<&Axis> for AxisCoord {
    fn from(a: &Axis) -> Self {
        AxisCoord {
            lo: a.lo,
            hi: a.hi,
            ticks: a.ticks.clone(),
            minor: a.minor.clone(),
        }
    }
}

impl Ranged for AxisCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    /// As plotters' own `RangedCoordf64::map` (the span is never zero: [`Axis::new`] widens it).
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let frac = (v - self.lo) / (self.hi - self.lo);
        let len = limit.1 - limit.0;
        if !frac.is_finite() || len == 0 {
            return limit.0;
        }
        if len > 0 {
            limit.0 + (len as f64 * frac + 1e-3).floor() as i32
        } else {
            limit.0 + (len as f64 * frac - 1e-3).ceil() as i32
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}
