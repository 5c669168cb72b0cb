//! Unit tests of the plot layer: determinism, robustness to bad data, log-axis rule, PNG.

use super::axis::{axes, to_axis};
use super::*;

/// A small figure with every kind of element: lines, markers with bars, a band, a hline,
/// a vspan and a log-log panel with a fit.
fn sample() -> Figure {
    let t: Vec<f64> = (0..=40).map(|i| i as f64 / 20.0).collect();
    let m: Vec<f64> = t.iter().map(|&t| (t * 1.3).tanh()).collect();
    let n = vec![16.0, 64.0, 256.0, 1024.0];
    Figure::new("sample ω, √q, σ², p̂")
        .with_cols(2)
        .with_panel(
            Panel::new("m", "t", "m")
                .with_series(Series::line("Bayes", t.clone(), m.clone()))
                .with_series(
                    Series::markers("measured", t.clone(), m.iter().map(|v| v + 0.01).collect())
                        .with_err(vec![0.02; t.len()]),
                )
                .with_series(
                    Series::dashed("band", t.clone(), m.clone())
                        .with_err(vec![0.05; t.len()])
                        .with_style(Style::dashed().with_band()),
                )
                .with_hline(0.5, "m = ½")
                .with_vspan(0.4, 0.9),
        )
        .with_panel(
            Panel::new("error vs n", "n", "error")
                .with_log_log()
                .with_series(Series::markers(
                    "err",
                    n.clone(),
                    vec![0.2, 0.1, 0.05, 0.026],
                ))
                .with_series(Series::fit_line(
                    -0.5,
                    0.2f64.ln() + 2.0,
                    (16.0, 1024.0),
                    "fit",
                )),
        )
}

#[test]
fn svg_is_deterministic() {
    let fig = sample();
    let a = fig.to_svg().unwrap();
    let b = fig.to_svg().unwrap();
    assert!(a.len() > 1000, "suspiciously small SVG: {} bytes", a.len());
    assert!(a == b, "two renders of the same figure differ");
    assert!(a.contains("p̂"), "Unicode title must survive into the SVG");
}

#[test]
fn png_is_deterministic_and_decodes_to_the_figure_size() {
    let fig = sample();
    let png = fig.to_png().unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png == fig.to_png().unwrap(), "two PNG renders differ");
    let dec = png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = dec.read_info().unwrap();
    let (w, h) = fig.pixel_size();
    let info = reader.info();
    assert_eq!((info.width, info.height), (w, h));
    assert_eq!((w, h), (960, 400));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Rgb);
    // Not blank: some pixels are neither white nor grey (the coloured series).
    let coloured = buf[..frame.buffer_size()]
        .chunks(3)
        .filter(|p| p[0].abs_diff(p[1]) > 40 || p[1].abs_diff(p[2]) > 40)
        .count();
    assert!(coloured > 500, "only {coloured} coloured pixels");
}

#[test]
fn nan_and_inf_do_not_panic_and_break_the_line() {
    let x = vec![0.0, 1.0, 2.0, f64::NAN, 4.0, 5.0];
    let y = vec![1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, 1.5];
    let fig = Figure::new("").with_panel(
        Panel::new("gaps", "x", "y")
            .with_series(
                Series::line_markers("gappy", x.clone(), y.clone()).with_err(vec![
                    0.1,
                    f64::NAN,
                    -1.0,
                    0.1,
                    0.1,
                    f64::INFINITY,
                ]),
            )
            .with_series(Series::line(
                "all NaN",
                vec![f64::NAN; 3],
                vec![f64::NAN; 3],
            )),
    );
    fig.to_svg().unwrap();
    fig.to_png().unwrap();
    let (xa, ya) = axes(&fig.panels[0], 0).unwrap();
    // Range from the drawable points only: x ∈ {0, 2, 5}, y ∈ {1, 2, 1.5} (± 0.1 bar at x=0).
    assert!(xa.lo < 0.0 && xa.hi > 5.0 && xa.hi < 5.5, "{xa:?}");
    assert!(ya.lo < 0.9 && ya.hi > 2.0 && ya.hi < 2.2, "{ya:?}");
}

#[test]
fn a_nan_splits_a_line_into_two_paths() {
    let fig = Figure::new("").with_panel(Panel::default().with_legend(Legend::Hidden).with_series(
        Series::line(
            "",
            vec![0.0, 1.0, 2.0, 3.0, 4.0],
            vec![0.0, 1.0, f64::NAN, 1.0, 0.0],
        ),
    ));
    let svg = fig.to_svg().unwrap();
    // Axes are polylines too: count the ones in the series colour (palette[0]).
    let series_paths = svg
        .lines()
        .filter(|l| l.starts_with("<polyline") && l.contains("stroke=\"#0072B2\""))
        .count();
    assert_eq!(series_paths, 2, "{svg}");
}

#[test]
fn empty_series_and_empty_panel_do_not_panic() {
    let fig = Figure::new("empty")
        .with_panel(Panel::new("no data", "x", "y").with_series(Series::line(
            "nothing",
            vec![],
            vec![],
        )))
        .with_panel(Panel::new("no series", "x", "y").with_log_log())
        .with_panel(
            Panel::new("one point", "x", "y")
                .with_series(Series::markers("single", vec![3.0], vec![3.0]).with_err(vec![0.0])),
        );
    fig.to_svg().unwrap();
    fig.to_png().unwrap();
    let fit = Series::fit_line(1.0, 0.0, (-1.0, 10.0), "bad range");
    assert!(fit.x.is_empty());
    Figure::new("")
        .with_panel(Panel::default().with_log_log().with_series(fit))
        .to_svg()
        .unwrap();
}

#[test]
fn log_axes_drop_non_positive_points() {
    assert_eq!(to_axis(0.0, true), None);
    assert_eq!(to_axis(-1.0, true), None);
    assert_eq!(to_axis(-1.0, false), Some(-1.0));
    let panel = Panel::new("", "x", "y")
        .with_log_log()
        .with_series(Series::markers(
            "mixed",
            vec![-1.0, 0.0, 10.0, 100.0, 1000.0],
            vec![5.0, 5.0, 0.1, -3.0, 1.0],
        ));
    let (xa, ya) = axes(&panel, 0).unwrap();
    // Kept: (10, 0.1) and (1000, 1). x in log₁₀ ∈ [1, 3], y in log₁₀ ∈ [−1, 0].
    assert!(
        xa.lo > 0.8 && xa.lo < 1.0 && xa.hi > 3.0 && xa.hi < 3.2,
        "{xa:?}"
    );
    assert!(
        ya.lo > -1.2 && ya.lo < -1.0 && ya.hi > 0.0 && ya.hi < 0.2,
        "{ya:?}"
    );
    assert_eq!(xa.ticks, vec![1.0, 2.0, 3.0]);
    assert_eq!(xa.label(1.0), "10");
    let fig = Figure::new("").with_panel(panel.with_legend(Legend::Hidden));
    let svg = fig.to_svg().unwrap();
    assert_eq!(
        svg.matches("<circle").count(),
        2,
        "only the two positive points are drawn"
    );
    fig.to_png().unwrap();
}

#[test]
fn rejects_structural_mistakes() {
    let ok =
        Panel::new("", "x", "y").with_series(Series::line("s", vec![1.0, 2.0], vec![1.0, 2.0]));
    assert!(matches!(
        Figure::new("t").to_svg(),
        Err(PlotError::NoPanels { .. })
    ));
    assert!(matches!(
        Figure::new("").with_panel(ok.clone()).with_cols(0).to_svg(),
        Err(PlotError::ZeroCols)
    ));
    assert!(matches!(
        Figure::new("")
            .with_panel(ok.clone())
            .with_panel_size(10, 300)
            .to_png(),
        Err(PlotError::PanelSize { width: 10, .. })
    ));
    let bad_err =
        Panel::default().with_series(Series::line("s", vec![1.0], vec![1.0]).with_err(vec![]));
    assert!(matches!(
        Figure::new("").with_panel(bad_err).to_svg(),
        Err(PlotError::ErrLengthMismatch { y: 1, err: 0, .. })
    ));
    let bad_range = ok.clone().with_log_y().with_y_range(0.0, 1.0);
    let e = Figure::new("").with_panel(bad_range).to_svg().unwrap_err();
    assert!(
        matches!(
            e,
            PlotError::Range {
                axis: "y",
                log: true,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("y_range"), "{e}");
}

#[test]
fn fixed_range_clips_instead_of_overflowing() {
    let x: Vec<f64> = (0..100).map(|i| i as f64).collect();
    let fig = Figure::new("").with_panel(
        Panel::new("", "x", "y")
            .with_x_range(10.0, 20.0)
            .with_y_range(0.0, 50.0)
            .with_series(Series::line_markers("y = x", x.clone(), x).with_err(vec![5.0; 100])),
    );
    fig.to_svg().unwrap();
    fig.to_png().unwrap();
}

#[test]
fn palette_colours_follow_series_index() {
    let fig = Figure::new("").with_panel(
        Panel::default()
            .with_series(Series::line("a", vec![0.0, 1.0], vec![0.0, 1.0]))
            .with_series(Series::line("b", vec![0.0, 1.0], vec![1.0, 0.0])),
    );
    let svg = fig.to_svg().unwrap();
    // plotters writes colours as #RRGGBB; the first two palette entries must appear.
    assert!(svg.contains("#0072B2"), "palette[0] missing");
    assert!(svg.contains("#D55E00"), "palette[1] missing");
}

#[test]
fn svg_escapes_markup_in_labels() {
    let fig = Figure::new("a < b & c").with_panel(
        Panel::new("p < 0.05", "x", "y").with_series(Series::line(
            "<&>",
            vec![0.0, 1.0],
            vec![0.0, 1.0],
        )),
    );
    let svg = fig.to_svg().unwrap();
    assert!(svg.contains("a &lt; b &amp; c"), "title not escaped");
    assert!(!svg.contains("<&>"), "legend label not escaped");
}

/// The first `<text …>` element of an SVG whose content is `needle`: (x, plotters' font
/// size; the SVG states it as size/1.24, plotters' line-height convention).
fn svg_text_attrs(svg: &str, needle: &str) -> Option<(f64, u32)> {
    let end = svg.find(&format!(">\n{needle}\n</text>"))?;
    let start = svg[..end].rfind("<text")?;
    let tag = &svg[start..end];
    let attr = |name: &str| -> Option<&str> {
        let i = tag.find(&format!("{name}=\""))? + name.len() + 2;
        Some(&tag[i..i + tag[i..].find('"')?])
    };
    let x = attr("x")?.parse().ok()?;
    let size = (attr("font-size")?.parse::<f64>().ok()? * 1.24).round() as u32;
    Some((x, size))
}

/// The measured width matches plotters' own layout estimate, so the fitting below
/// measures what plotters places.
#[test]
fn text_width_matches_plotters_layout() {
    use plotters::prelude::*;
    font::ensure_registered().unwrap();
    let mut out = String::new();
    let root = SVGBackend::with_string(&mut out, (800, 200)).into_drawing_area();
    for (s, px) in [
        ("C1: p̂ vs d, K = 20", 22u32),
        ("var⊥ σ̂²_w ω √r", 18),
        ("x", 12),
    ] {
        let style: TextStyle = (font::FAMILY, px).into_font().into();
        let (w, _) = root.estimate_text_size(s, &style).unwrap();
        let ours = render::text_width(s, px).unwrap();
        assert!(
            ours.abs_diff(w) <= 1,
            "{s:?} at {px} px: text_width {ours} vs plotters {w}"
        );
    }
}

/// Issue 27: figure titles and panel captions stay inside the canvas at the default sizes.
/// The C1 title on one 480 px column was cut off at both sides; it is now set smaller, and
/// a title too long even at the smallest size is shortened with "…".
#[test]
fn titles_fit_inside_the_canvas_at_default_sizes() {
    let c1 = "C1: p̂ vs d, K = 20, n = 256, R = 32 (dilated), 32 (linear)";
    let long = "a figure title far too long for one column of 480 pixels, even at the \
                smallest font size the layout allows, so it must be shortened";
    let caption = "phase-2 m against the reduced theory at d = 1000, n = 256, K = 20";
    for (title, cols) in [(c1, 1), (long, 1), ("short", 1), (c1, 3), (caption, 2)] {
        let mut fig = Figure::new(title).with_cols(cols);
        for _ in 0..cols {
            fig = fig.with_panel(Panel::new(caption, "t", "m").with_series(Series::line(
                "a",
                vec![0.0, 1.0],
                vec![0.0, 1.0],
            )));
        }
        let (w, _) = fig.pixel_size();
        let (text, px) = render::fit_text(title, 22, w).unwrap();
        let width = render::text_width(&text, px).unwrap();
        assert!(
            width <= w,
            "title {title:?} ({cols} col): {width} px at {px} px in a {w} px canvas"
        );
        if title == "short" {
            assert_eq!(
                (text.as_str(), px),
                ("short", 22),
                "a short title keeps its size"
            );
        }
        if title == long {
            assert!(
                text.ends_with('…'),
                "an over-long title is shortened: {text:?}"
            );
        }
        // The rendered SVG: the title is centred, so its extent is x ± width/2.
        let svg = fig.to_svg().unwrap();
        let (x, size) = svg_text_attrs(&svg, &text)
            .unwrap_or_else(|| panic!("title {text:?} not found in the SVG"));
        let half = f64::from(render::text_width(&text, size).unwrap()) / 2.0;
        assert!(
            x - half >= 0.0 && x + half <= f64::from(w),
            "title {text:?} spans [{:.0}, {:.0}] in a {w} px canvas",
            x - half,
            x + half
        );
        // Panel captions: each fits its panel.
        let panel_w = w / cols.min(fig.panels.len()) as u32;
        let (ctext, cpx) = render::fit_text(caption, 18, panel_w).unwrap();
        assert!(render::text_width(&ctext, cpx).unwrap() <= panel_w);
        assert!(
            svg.contains(&format!(">\n{ctext}\n</text>")),
            "caption {ctext:?} drawn"
        );
    }
}
