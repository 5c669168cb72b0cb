//! `Figure::save` end to end: both files written atomically, readable, nothing else left.

use phaseflow::error::Error;
use phaseflow::plot::{Figure, Panel, Series};
use std::fs;
use std::path::PathBuf;

fn scratch(case: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("phaseflow-plot-{case}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn figure() -> Figure {
    let t: Vec<f64> = (0..=20).map(|i| i as f64 / 10.0).collect();
    let m: Vec<f64> = t
        .iter()
        .map(|&t| if t <= 1.0 { 1.0 } else { 2.0 - t })
        .collect();
    Figure::new("m vs t").with_panel(
        Panel::new("m", "t", "m")
            .with_series(Series::line("limit", t.clone(), m.clone()))
            .with_series(Series::markers("measured", t, m).with_err(vec![0.05; 21]))
            .with_vspan(0.0, 1.0),
    )
}

#[test]
fn save_writes_svg_and_png_and_no_temporaries() {
    let dir = scratch("save");
    let fig = figure();
    let paths = fig.save(&dir.join("nested"), "overlap_m").unwrap();
    assert_eq!(paths.len(), 2);
    assert!(paths[0].ends_with("nested/overlap_m.svg"), "{paths:?}");
    assert!(paths[1].ends_with("nested/overlap_m.png"), "{paths:?}");
    let svg = fs::read_to_string(&paths[0]).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(
        svg,
        fig.to_svg().unwrap(),
        "saved SVG differs from a fresh render"
    );
    let png = fs::read(&paths[1]).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), fig.pixel_size());
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    let names: Vec<String> = fs::read_dir(dir.join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "only the two images may remain: {names:?}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_of_an_invalid_figure_writes_nothing() {
    let dir = scratch("invalid");
    let bad = Figure::new("bad").with_panel(Panel::default().with_series(Series::line(
        "s",
        vec![1.0, 2.0],
        vec![1.0],
    )));
    let err: Error = bad.save(&dir, "bad").unwrap_err().into();
    assert!(matches!(err, Error::Plot(_)), "{err}");
    assert!(
        err.to_string().contains("x has 2 values but y has 1"),
        "{err}"
    );
    assert!(
        !dir.exists(),
        "nothing may be written for an invalid figure"
    );
}

#[test]
fn save_into_an_unwritable_place_names_the_path() {
    let dir = scratch("unwritable");
    fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("a-file");
    fs::write(&blocker, b"not a folder").unwrap();
    let err: Error = figure().save(&blocker, "m").unwrap_err().into();
    assert!(
        matches!(err, Error::File(phaseflow::io::IoError::File { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("a-file"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}
