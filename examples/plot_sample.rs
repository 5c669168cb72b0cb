//! Render sample figures with synthetic data, to look at the plot layer's output.
//!
//! `cargo run --release --example plot_sample [-- OUT_DIR]` (default `/tmp/plot-check`)
//! writes `overlaps.{svg,png}` (six overlaps vs t on the dilated schedule: finite-d Bayes
//! curves, d → ∞ limits, noisy "measurements" with error bars, phase 1 shaded) and
//! `misc.{svg,png}` (a log-log error-vs-n panel with a fitted line, p̂ vs d on a log x axis,
//! an MSE profile with a CI band and a shaded window).

use phaseflow::plot::{Figure, Legend, Marker, Panel, Series, Style};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::PathBuf;

fn main() -> Result<(), phaseflow::error::Error> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/plot-check"));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut noise = move |s: f64| -> f64 {
        let z: f64 = StandardNormal.sample(&mut rng);
        s * z
    };

    // SPEC §5.1/§5.2, dilated schedule, d = 1000, κ = 2, p = 0.7, σ² = 0.6.
    let (d, kappa, p, s2) = (1000.0f64, 2.0f64, 0.7f64, 0.6f64);
    let eps = kappa / d.sqrt();
    let tau = |t: f64| {
        if t <= 1.0 {
            eps * t
        } else {
            eps + (1.0 - eps) * (t - 1.0)
        }
    };
    let b_star = (2.0 * p - 1.0).atanh();
    let bayes = |t: f64| {
        let (a, b) = (1.0 - tau(t), tau(t));
        let v = a * a + b * b * s2;
        let c = b * s2 / v;
        let m = 1.0 - c * b;
        let omega = d.sqrt() * b / v;
        [c, m, omega, b_star, m, omega]
    };
    let limit = |t: f64| {
        if t <= 1.0 {
            [0.0, 1.0, kappa * t, b_star, 1.0, kappa * t]
        } else {
            let tp = t - 1.0;
            let c = tp * s2 / ((1.0 - tp).powi(2) + tp * tp * s2);
            let m = 1.0 - c * tp;
            [c, m, f64::NAN, f64::NAN, m, f64::NAN] // ω, b diverge in phase 2
        }
    };
    let t: Vec<f64> = (0..=400).map(|i| i as f64 / 200.0).collect();
    let tm: Vec<f64> = (1..20).map(|i| i as f64 / 10.0).collect();
    let names = ["c", "m", "ω", "b", "√q", "√r"];
    let mut overlaps = Figure::new("Overlaps vs t (dilated schedule, d = 1000, p = 0.7, σ² = 0.6)");
    for (k, name) in names.iter().enumerate() {
        let theory: Vec<f64> = t.iter().map(|&t| bayes(t)[k]).collect();
        let lim: Vec<f64> = t.iter().map(|&t| limit(t)[k]).collect();
        let scale = theory
            .iter()
            .cloned()
            .fold(0.0f64, |a, b| a.max(b.abs()))
            .max(0.1);
        let meas: Vec<f64> = tm
            .iter()
            .map(|&t| bayes(t)[k] + noise(0.03 * scale))
            .collect();
        let err: Vec<f64> = tm.iter().map(|_| 0.04 * scale).collect();
        let mut panel = Panel::new(*name, "t", *name)
            .with_series(Series::line("Bayes, d = 1000", t.clone(), theory))
            .with_series(Series::dashed("d → ∞ limit", t.clone(), lim))
            .with_series(
                Series::markers("SGD, 16 replicas ± 95% CI", tm.clone(), meas).with_err(err),
            )
            .with_vspan(0.0, 1.0);
        if *name == "b" {
            panel = panel.with_hline(b_star, "atanh(2p − 1)");
        }
        overlaps.panels.push(panel);
    }
    let paths = overlaps.save(&out, "overlaps")?;

    // Log-log error vs n with a fitted slope.
    let n = [16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
    let e: Vec<f64> = n
        .iter()
        .map(|&n: &f64| 1.1 * n.powf(-0.5) * (1.0 + noise(0.05)))
        .collect();
    let loglog = Panel::new("error vs n", "n", "|m̂ − m|")
        .with_log_log()
        .with_series(
            Series::markers("d = 1000", n.to_vec(), e.clone())
                .with_err(e.iter().map(|v| 0.15 * v).collect()),
        )
        .with_series(Series::fit_line(
            -0.5,
            1.1f64.ln(),
            (16.0, 1024.0),
            "fit: slope −0.50 ± 0.04",
        ));
    // p̂ vs d for two schedules.
    let ds = [500.0, 2000.0, 8000.0, 32000.0];
    let lin = [0.81, 0.83, 0.87, 0.95];
    let dil = [0.80, 0.80, 0.80, 0.80];
    let phat = Panel::new("p̂ vs d", "d", "p̂")
        .with_log_x()
        .with_series(
            Series::line_markers("linear", ds.to_vec(), lin.to_vec()).with_err(vec![0.01; 4]),
        )
        .with_series(
            Series::new(
                "dilated",
                ds.to_vec(),
                dil.to_vec(),
                Style::line_markers().with_marker(Marker::Square),
            )
            .with_err(vec![0.01; 4]),
        )
        .with_hline(0.8, "p = 0.8");
    // MSE profile with a band and the detected window.
    let tt: Vec<f64> = (0..=300).map(|i| i as f64 / 300.0 * 0.3).collect();
    let mse: Vec<f64> = tt
        .iter()
        .map(|&t| 0.6 + 0.84 / (1.0 + ((t - 0.03) / 0.008).exp()))
        .collect();
    let mse_panel = Panel::new("MSE profile (σ², p̂ in labels)", "t", "MSE per dimension")
        .with_series(
            Series::line("Bayes MSE ± CI", tt.clone(), mse.clone())
                .with_err(vec![0.03; tt.len()])
                .with_style(Style::line().with_band()),
        )
        .with_vspan(0.021, 0.047)
        .with_hline(0.6, "σ² = 0.6")
        .with_legend(Legend::Auto);
    let misc = Figure::new("Sweeps and profiles")
        .with_panel(loglog)
        .with_panel(phat)
        .with_panel(mse_panel);
    let more = misc.save(&out, "misc")?;

    // Awkward data: NaN gaps, non-positive values on a log axis, a fixed range that clips,
    // an empty series, a single point, all markers.
    let x: Vec<f64> = (0..60).map(|i| i as f64 / 10.0).collect();
    let y: Vec<f64> = x
        .iter()
        .map(|&x| {
            if (2.0..2.5).contains(&x) {
                f64::NAN
            } else {
                (x * 2.0).sin()
            }
        })
        .collect();
    let gaps = Panel::new("NaN gaps", "x", "sin 2x")
        .with_series(Series::line(
            "sin 2x, NaN on [2, 2.5)",
            x.clone(),
            y.clone(),
        ))
        .with_series(Series::line("empty", vec![], vec![]));
    let logpos = Panel::new("log y drops y ≤ 0", "x", "|y|")
        .with_log_y()
        .with_series(
            Series::line_markers("sin 2x (y ≤ 0 dropped)", x.clone(), y.clone())
                .with_err(vec![0.2; x.len()]),
        );
    let clipped = Panel::new("fixed range clips", "x", "y")
        .with_x_range(1.0, 4.0)
        .with_y_range(-0.5, 0.5)
        .with_series(
            Series::line("sin 2x", x.clone(), y)
                .with_err(vec![0.1; x.len()])
                .with_style(Style::line().with_band()),
        )
        .with_series(Series::markers("one point", vec![3.0], vec![0.0]).with_err(vec![1.0]))
        .with_vspan(0.0, 2.0)
        .with_legend(Legend::LowerLeft);
    let edge = Figure::new("")
        .with_panel(gaps)
        .with_panel(logpos)
        .with_panel(clipped);
    let edge_paths = edge.save(&out, "edge")?;
    for p in paths.iter().chain(&more).chain(&edge_paths) {
        println!("{}", p.display());
    }
    Ok(())
}
