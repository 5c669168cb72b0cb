//! The claims C1–C4 and C7 (C5, C6 live with phase detection in [`crate::detect`] when it
//! is built). Sizes are per tier; every allowance comes from [`crate::harness::families`]
//! or is declared here with its source.

use super::{Claim, Context, Outcome};
use crate::error::Error;
use crate::experiment::{TrainConfig, TrainOutput};
use crate::harness::check::{Allowance, CheckInput, Side, Source};
use crate::harness::families::{overlap_allowance, p_hat_allowance, theory_for};
use crate::harness::stats::Estimate;
use crate::harness::sweep::{Sweep, SweepReport};
use crate::harness::{Aggregate, Experiment, Family, progress, run_replicas};
use crate::plot::{Figure, Panel, Series};
use crate::schedule::ScheduleSpec;
use crate::theory::Theory;
use crate::train::averaged::Noise;

/// Every claim, in report order.
pub fn all_claims() -> Vec<Box<dyn Claim>> {
    vec![
        Box::new(C1),
        Box::new(C2),
        Box::new(C3),
        Box::new(C4),
        Box::new(C5),
        Box::new(C6),
        Box::new(C7),
    ]
}

/// Confidence level of replica intervals in claims.
const LEVEL: f64 = 1.0 - super::ALPHA;

fn experiment(ctx: &Context, name: &str, train: TrainConfig, replicas: usize) -> Experiment {
    Experiment {
        name: name.into(),
        train: TrainConfig {
            seed: ctx.seed,
            ..train
        },
        replicas,
        alpha: super::ALPHA,
        families: Vec::new(),
    }
}

/// The averaged-engine base of the claims: p = 0.8, σ² = 1, κ = 2, λ = 0.01.
fn base() -> TrainConfig {
    crate::harness::averaged_base()
}

fn replicate(ctx: &Context, exp: &Experiment) -> Result<Vec<TrainOutput>, Error> {
    let v = exp.validate()?;
    let ids: Vec<u64> = (0..exp.replicas as u64).collect();
    let pb = progress(ids.len() as u64, &exp.name, ctx.quiet);
    run_replicas(&v, &ids, &pb)
}

fn check(
    name: String,
    family: &str,
    measured: Estimate,
    prediction: f64,
    source: Source,
    allowance: Allowance,
    negative: Option<String>,
) -> CheckInput {
    CheckInput::new(name, family, measured, prediction, source, allowance).control(negative)
}

/// Paired differences f(a_r) − f(b_r) over replicas trained from the same seeds.
fn paired(a: &[TrainOutput], b: &[TrainOutput], f: impl Fn(&TrainOutput) -> f64) -> Estimate {
    let v: Vec<f64> = a.iter().zip(b).map(|(x, y)| f(x) - f(y)).collect();
    Estimate::from_samples(&v, LEVEL)
}

fn sum_allowance(a: Allowance, b: Allowance) -> Allowance {
    Allowance {
        delta: a.delta + b.delta,
        source: format!("sum of both sides' allowances: {}", a.source),
    }
}

/// C1: dilation keeps phase 1.
struct C1;

impl Claim for C1 {
    fn id(&self) -> &'static str {
        "C1"
    }
    fn title(&self) -> &'static str {
        "dilation keeps phase 1: p̂ stays at p on the dilated schedule, not the linear one"
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        let ds: Vec<usize> = ctx.pick(vec![250, 2000, 16000], vec![500, 2000, 8000, 32000]);
        let (n, k) = ctx.pick((256, 40), (512, 80));
        let r = ctx.replicas(10, 16);
        let mut out = Outcome::default();
        let mut fig = Panel::new("p̂ vs d", "d", "p̂").with_log_x();
        let mut at_max = Vec::new();
        for spec in [ScheduleSpec::Linear, ScheduleSpec::Dilated { kappa: 2.0 }] {
            let (mut xs, mut ys, mut es, mut th_y) = (vec![], vec![], vec![], vec![]);
            for &d in &ds {
                let train = TrainConfig {
                    schedule: spec.clone(),
                    d,
                    n,
                    steps: k,
                    ..base()
                };
                let exp = experiment(ctx, &format!("C1 {} d={d}", spec.name()), train, r);
                let outs = replicate(ctx, &exp)?;
                let agg = Aggregate::new(&outs, LEVEL);
                let th = theory_for(&exp, exp.train.p, exp.train.sigma2, 1.0)?;
                let euler = th
                    .euler(k)
                    .ok_or_else(|| Error::Run(format!("C1: no Euler prediction at d = {d}")))?;
                out.checks.push(check(
                    format!("p_hat.{}@d={d}", spec.name()),
                    "p_hat",
                    agg.p_hat,
                    euler.p_hat,
                    Source::GeneratedEuler,
                    p_hat_allowance(&exp),
                    None,
                ));
                xs.push(d as f64);
                ys.push(agg.p_hat.point);
                es.push(0.5 * (agg.p_hat.ci[1] - agg.p_hat.ci[0]));
                th_y.push(euler.p_hat);
                if d == *ds.last().expect("non-empty") {
                    at_max.push((spec.clone(), agg.p_hat, exp, euler.p_hat));
                }
            }
            fig = fig
                .with_series(Series::line(
                    format!("{} theory (§5.4 Euler)", spec.name()),
                    xs.clone(),
                    th_y,
                ))
                .with_series(
                    Series::markers(format!("{} trained", spec.name()), xs, ys).with_err(es),
                );
        }
        // The claim itself at the largest d: p̂ stays within the dilated schedule's own budget
        // of p (its exact Euler discretisation gap plus the p̂ allowance). Control: the linear
        // schedule held to the same budget must fail.
        let (_, dil_est, dil_exp, dil_euler) = &at_max[1];
        let p = dil_exp.train.p;
        let a = p_hat_allowance(dil_exp);
        let budget = Allowance {
            delta: (dil_euler - p).abs() + a.delta,
            source: format!(
                "|p̂_Euler − p| of the dilated grid (exact, §5.4) + {}",
                a.source
            ),
        };
        let d_max = ds.last().expect("non-empty");
        out.checks.push(check(
            format!("dilated_keeps_p@d={d_max}"),
            "keeps_p",
            *dil_est,
            p,
            Source::Limit,
            budget.clone(),
            None,
        ));
        out.checks.push(check(
            format!("linear_keeps_p@d={d_max}"),
            "keeps_p",
            at_max[0].1,
            p,
            Source::Limit,
            budget,
            Some("the linear schedule held to the dilated budget".into()),
        ));
        out.notes.push(format!(
            "at d = {d_max}: linear p̂ = {:.4}, dilated p̂ = {:.4}, p = {p}",
            at_max[0].1.point, dil_est.point
        ));
        out.figures.push((
            "p_hat_vs_d".into(),
            Figure::new(format!("C1: p̂ vs d, K = {k}, n = {n}, R = {r}"))
                .with_cols(1)
                .with_panel(fig.with_hline(p, "p")),
        ));
        Ok(out)
    }
}

/// Invariance check: quantity `q` of `steps` in a/b (paired) against the predicted difference.
struct Invariance<'a> {
    a: (&'a Experiment, &'a [TrainOutput], &'a Theory),
    b: (&'a Experiment, &'a [TrainOutput], &'a Theory),
}

impl Invariance<'_> {
    fn check(
        &self,
        q: &str,
        t: f64,
        step: usize,
        predicted_zero: bool,
        neg: Option<String>,
    ) -> Option<CheckInput> {
        let pick = |o: &TrainOutput| {
            let ov = &o.steps[step].overlaps;
            match q {
                "c" => ov.c,
                "m" => ov.m,
                "omega" => ov.omega,
                _ => ov.b,
            }
        };
        let pred = |th: &Theory| {
            th.finite_n_at_d(t).and_then(|p| match q {
                "c" => p.c,
                "m" => p.m,
                "omega" => p.omega,
                _ => p.b,
            })
        };
        let (pa, pb) = (pred(self.a.2)?, pred(self.b.2)?);
        let measured = paired(self.a.1, self.b.1, pick);
        let allowance = sum_allowance(
            overlap_allowance(self.a.0, pa),
            overlap_allowance(self.b.0, pb),
        );
        let prediction = if predicted_zero { 0.0 } else { pa - pb };
        Some(check(
            format!("Δ{q}@t={t:.3}"),
            "invariance",
            measured,
            prediction,
            Source::FiniteN,
            allowance,
            neg,
        ))
    }
}

fn overlap_family(
    exp: &Experiment,
    outs: &[TrainOutput],
    fam: Family,
) -> Result<Vec<CheckInput>, Error> {
    let mut e = exp.clone();
    e.families = vec![fam];
    crate::harness::families::check_inputs(&e, &Aggregate::new(outs, LEVEL))
}

/// C2: phase 1 learns p only.
struct C2;

impl Claim for C2 {
    fn id(&self) -> &'static str {
        "C2"
    }
    fn title(&self) -> &'static str {
        "phase-1 overlaps follow theory and do not move when σ² changes"
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        invariance_claim(ctx, true)
    }
}

/// C3: phase 2 learns σ² only.
struct C3;

impl Claim for C3 {
    fn id(&self) -> &'static str {
        "C3"
    }
    fn title(&self) -> &'static str {
        "phase-2 overlaps follow theory and do not move when p changes"
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        invariance_claim(ctx, false)
    }
}

/// C2 (phase 1, vary σ² from 1 to 0.5) or C3 (phase 2, vary p from 0.8 to 0.6).
fn invariance_claim(ctx: &Context, phase1: bool) -> Result<Outcome, Error> {
    let (d, n, k) = ctx.pick((1000, 256, 20), (5000, 512, 80));
    let r = ctx.replicas(8, 16);
    let train_a = TrainConfig {
        d,
        n,
        steps: k,
        ..base()
    };
    let train_b = if phase1 {
        TrainConfig {
            sigma2: 0.5,
            ..train_a.clone()
        }
    } else {
        TrainConfig {
            p: 0.6,
            ..train_a.clone()
        }
    };
    let exp_a = experiment(ctx, "reference", train_a, r);
    let exp_b = experiment(ctx, if phase1 { "σ² = 0.5" } else { "p = 0.6" }, train_b, r);
    let (oa, ob) = (replicate(ctx, &exp_a)?, replicate(ctx, &exp_b)?);
    let tha = theory_for(&exp_a, exp_a.train.p, exp_a.train.sigma2, 1.0)?;
    let thb = theory_for(&exp_b, exp_b.train.p, exp_b.train.sigma2, 1.0)?;
    let mut out = Outcome::default();
    let fam = if phase1 {
        Family::Phase1Overlaps
    } else {
        Family::Phase2Overlaps
    };
    out.checks.extend(overlap_family(&exp_a, &oa, fam)?);
    let inv = Invariance {
        a: (&exp_a, &oa, &tha),
        b: (&exp_b, &ob, &thb),
    };
    let steps: Vec<(usize, f64)> = oa[0].steps.iter().map(|s| s.t).enumerate().collect();
    let in_phase = |t: f64| if phase1 { t > 0.0 && t < 1.0 } else { t >= 1.0 };
    let qs: &[&str] = if phase1 { &["omega", "m"] } else { &["c", "m"] };
    for &(i, t) in steps.iter().filter(|(_, t)| in_phase(*t)) {
        for q in qs {
            out.checks.extend(inv.check(q, t, i, false, None));
        }
    }
    // Control: the other phase's quantity held to "does not move" must fail.
    let mid = if phase1 { 1.5 } else { 0.5 };
    let &(ci, ct) = steps
        .iter()
        .min_by(|a, b| (a.1 - mid).abs().total_cmp(&(b.1 - mid).abs()))
        .expect("steps");
    let (cq, what) = if phase1 {
        ("c", "phase-2 c claimed not to move with σ²")
    } else {
        ("b", "phase-1 b claimed not to move with p")
    };
    out.checks
        .extend(inv.check(cq, ct, ci, true, Some(what.into())));
    out.notes.push(format!(
        "{}: d = {d}, n = {n}, K = {k}, R = {r} paired replicas ({} vs {})",
        if phase1 {
            "phase 1 ignores σ²"
        } else {
            "phase 2 ignores p"
        },
        exp_a.name,
        exp_b.name
    ));
    let rep = crate::harness::evaluate(&exp_a, &oa)?;
    out.figures
        .push(("overlaps".into(), crate::report::figures::overlaps(&rep)?));
    Ok(out)
}

/// C4: Θ_d(1) samples.
struct C4;

/// Largest growth exponent of an error in d that still counts as "does not grow": over the
/// factor-64 sweep the error may grow by at most 64^0.1 ≈ 1.5× (declared a priori).
pub const FLAT_SLOPE: f64 = 0.1;

fn slope_estimate(slope: f64, se: f64) -> Estimate {
    // The SE is propagated from many replicas (harness::sweep); normal quantiles (large n).
    Estimate {
        point: slope,
        se,
        ci: [slope - 2.576 * se, slope + 2.576 * se],
        level: LEVEL,
        n: 1000,
    }
}

impl Claim for C4 {
    fn id(&self) -> &'static str {
        "C4"
    }
    fn title(&self) -> &'static str {
        "Θ_d(1) samples: errors flat in d over a factor 64, falling with n"
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        let ds: Vec<usize> = ctx.pick(vec![250, 1000, 4000, 16000], vec![500, 2000, 8000, 32000]);
        let ns: Vec<usize> = ctx.pick(vec![64, 256], vec![64, 256, 1024]);
        let k = ctx.pick(20, 40);
        let r = ctx.replicas(6, 16);
        let sweep = |spec: ScheduleSpec, ns: Vec<usize>| -> Result<SweepReport, Error> {
            let train = TrainConfig {
                schedule: spec,
                steps: k,
                ..base()
            };
            Sweep {
                base: experiment(ctx, "C4", train, r),
                d: ds.clone(),
                n: ns,
            }
            .run(ctx.quiet)
        };
        let dil = sweep(ScheduleSpec::Dilated { kappa: 2.0 }, ns.clone())?;
        let lin = sweep(ScheduleSpec::Linear, vec![*ns.last().expect("n")])?;
        let mut out = Outcome::default();
        let flat = Allowance {
            delta: FLAT_SLOPE,
            source: format!(
                "declared: over the factor-64 sweep an error may grow by ≤ 64^{FLAT_SLOPE}"
            ),
        };
        for f in &dil.fits {
            let est = slope_estimate(f.slope, f.se);
            let (name, side, pred, allowance) = if f.along == "d" {
                (
                    format!("{}_vs_d@n={}", f.metric, f.fixed),
                    Side::AtMost,
                    0.0,
                    flat.clone(),
                )
            } else {
                let none = Allowance {
                    delta: 0.0,
                    source: "errors must fall with n: slope ≤ 0".into(),
                };
                (
                    format!("{}_vs_n@d={}", f.metric, f.fixed),
                    Side::AtMost,
                    0.0,
                    none,
                )
            };
            let mut c = check(name, "slopes", est, pred, Source::FiniteN, allowance, None);
            c.side = side;
            out.checks.push(c);
        }
        // Control: the linear schedule's p̂ error held to the same "flat in d" bound.
        if let Some(f) = lin
            .fits
            .iter()
            .find(|f| f.metric == "p_hat_vs_p" && f.along == "d")
        {
            let mut c = check(
                format!("linear_p_hat_vs_p_vs_d@n={}", f.fixed),
                "slopes",
                slope_estimate(f.slope, f.se),
                0.0,
                Source::FiniteN,
                flat.clone(),
                Some("the linear schedule's |p̂ − p| claimed flat in d".into()),
            );
            c.side = Side::AtMost;
            out.checks.push(c);
            out.notes.push(format!(
                "linear schedule: |p̂ − p| ∝ d^{:.2} ± {:.2}; dilated: see p_hat_vs_p_vs_d slopes",
                f.slope, f.se
            ));
        }
        // Control: "errors grow with n" (slope ≥ +0.25) must fail, tested on the most
        // precise var⊥ fit along n.
        if let Some(f) = dil
            .fits
            .iter()
            .filter(|f| f.metric == "var_perp" && f.along == "n")
            .min_by(|a, b| a.se.total_cmp(&b.se))
        {
            let mut c = check(
                format!("var_perp_grows_with_n@d={}", f.fixed),
                "slopes",
                slope_estimate(f.slope, f.se),
                0.25,
                Source::FiniteN,
                Allowance {
                    delta: 0.0,
                    source: "control".into(),
                },
                Some("errors claimed to grow with n (slope ≥ 0.25)".into()),
            );
            c.side = Side::AtLeast;
            out.checks.push(c);
        }
        out.figures.extend(crate::report::figures::sweep(&dil));
        Ok(out)
    }
}

/// C5: the MSE discontinuity (phase detection, [`crate::detect::claims::claim_c5`]).
struct C5;

impl Claim for C5 {
    fn id(&self) -> &'static str {
        "C5"
    }
    fn title(&self) -> &'static str {
        "the MSE jump is found, of size 4p(1−p) and width ∝ d^(−1/2)"
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        let (checks, figures) = crate::detect::claims::claim_c5(ctx.tier == super::Tier::Quick)?;
        Ok(Outcome {
            checks,
            figures,
            notes: Vec::new(),
        })
    }
}

/// C6: the U-turn window and phase-aware training ([`crate::detect::claims::claim_c6`]).
struct C6;

impl Claim for C6 {
    fn id(&self) -> &'static str {
        "C6"
    }
    fn title(&self) -> &'static str {
        "the U-turn finds the decision window; an adapted schedule recovers p̂"
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        let (checks, figures) = crate::detect::claims::claim_c6(ctx.tier == super::Tier::Quick)?;
        Ok(Outcome {
            checks,
            figures,
            notes: Vec::new(),
        })
    }
}

/// C7: which finite-n form the networks follow.
struct C7;

impl Claim for C7 {
    fn id(&self) -> &'static str {
        "C7"
    }
    fn title(&self) -> &'static str {
        "finite n: trained networks follow the finite-n form of their noise convention"
    }
    fn run(&self, ctx: &Context) -> Result<Outcome, Error> {
        // SPEC §5.3's configuration (p = 0.7, σ² = 0.6, κ = 2.5, λ_u = 1) at n = 16, where the
        // fresh and fixed forms differ by ~4 % mid phase 2, and a d large enough that the
        // |pred|/√d allowance is well below that difference.
        let (d, k) = ctx.pick((64_000, 20), (256_000, 40));
        let r = ctx.replicas(8, 16);
        let mut out = Outcome::default();
        for noise in [Noise::Fresh, Noise::Fixed] {
            let train = TrainConfig {
                schedule: ScheduleSpec::Dilated { kappa: 2.5 },
                p: 0.7,
                sigma2: 0.6,
                d,
                n: 16,
                steps: k,
                lambda_u: 1.0,
                noise,
                ..base()
            };
            let exp = experiment(ctx, &format!("C7 {noise:?}"), train, r);
            let outs = replicate(ctx, &exp)?;
            let agg = Aggregate::new(&outs, LEVEL);
            let other = match noise {
                Noise::Fresh => Noise::Fixed,
                Noise::Fixed => Noise::Fresh,
            };
            let mut exp_other = exp.clone();
            exp_other.train.noise = other;
            let th = theory_for(&exp, 0.7, 0.6, 1.0)?;
            let th_other = theory_for(&exp_other, 0.7, 0.6, 1.0)?;
            let (mut own_err, mut other_err): (f64, f64) = (0.0, 0.0);
            for s in agg.steps.iter().filter(|s| s.t > 1.0) {
                let (Some(a), Some(b)) = (
                    th.finite_n_at_d(s.t).and_then(|p| p.c),
                    th_other.finite_n_at_d(s.t).and_then(|p| p.c),
                ) else {
                    continue;
                };
                own_err = own_err.max((s.c.point - a).abs());
                other_err = other_err.max((s.c.point - b).abs());
                let name = format!("{noise:?}.c@t={:.3}", s.t).to_lowercase();
                out.checks.push(check(
                    name.clone(),
                    "finite_n_form",
                    s.c,
                    a,
                    Source::FiniteN,
                    overlap_allowance(&exp, a),
                    None,
                ));
                // The other convention's form is the control; it only discriminates where the
                // two forms differ by more than the allowance (mid phase 2).
                if (a - b).abs() > 2.0 * overlap_allowance(&exp, a).delta {
                    out.checks.push(check(
                        format!("{name}[{other:?} form]").to_lowercase(),
                        "finite_n_form",
                        s.c,
                        b,
                        Source::FiniteN,
                        overlap_allowance(&exp, b),
                        Some(format!("the {other:?}-noise form", other = other).to_lowercase()),
                    ));
                }
            }
            out.notes.push(format!(
                "{noise:?}-noise training (d = {d}, n = 16): max |c − own form| = {own_err:.2e}, max |c − {other:?} form| = {other_err:.2e}"
            ).to_lowercase());
        }
        Ok(out)
    }
}
