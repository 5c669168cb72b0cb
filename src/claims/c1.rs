//! C1 — dilation keeps phase 1 (SPEC §5.4): trained p̂ on the linear and dilated schedules at
//! d over a factor 64, each against the exact Euler prediction of the Bayes denoiser; at the
//! largest d the dilated p̂ stays within its budget of p, and the linear one held to the same
//! budget fails (the control).

use super::common::{LEVEL, base, check, control, experiment, replicate};
use super::{ClaimDef, Context, Outcome};
use crate::error::Error;
use crate::harness::Aggregate;
use crate::harness::check::{Allowance, Source};
use crate::harness::families::{p_hat_allowance, theory_for};
use crate::plot::{Figure, Panel, Series};
use crate::schedule::ScheduleSpec;

/// The registered claim.
pub(crate) const C1: ClaimDef = ClaimDef {
    id: "C1",
    title: "dilation keeps phase 1: p̂ stays at p on the dilated schedule, not the linear one",
    run,
};

fn run(ctx: &Context) -> Result<Outcome, Error> {
    let ds: Vec<usize> = ctx.pick(vec![250, 2000, 16000], vec![500, 2000, 8000, 32000]);
    let (n, k) = ctx.pick((256, 40), (512, 80));
    let r = ctx.replicas(10, 16);
    let mut out = Outcome::default();
    let mut fig = Panel::new("p̂ vs d", "d", "p̂").with_log_x();
    let mut at_max = Vec::new();
    for spec in [ScheduleSpec::linear(), ScheduleSpec::dilated(2.0)] {
        let (mut xs, mut ys, mut es, mut th_y) = (vec![], vec![], vec![], vec![]);
        for &d in &ds {
            let mut train = base().with_sizes(d, n, k);
            train.problem.schedule = spec.clone();
            let exp = experiment(ctx, &format!("C1 {} d={d}", spec.name()), train, r);
            let outs = replicate(ctx, &exp)?;
            let agg = Aggregate::new(&outs, LEVEL);
            let th = theory_for(&exp, exp.train.problem.p, exp.train.problem.sigma2, 1.0)?;
            let euler = th.euler(k).ok_or(Error::NoPrediction {
                what: "exact Euler p̂ (an Euler map folds)",
                d,
            })?;
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
            .with_series(Series::markers(format!("{} trained", spec.name()), xs, ys).with_err(es));
    }
    // The claim itself at the largest d: p̂ stays within the dilated schedule's own budget
    // of p (its exact Euler discretisation gap plus the p̂ allowance). Control: the linear
    // schedule held to the same budget must fail.
    let (_, dil_est, dil_exp, dil_euler) = &at_max[1];
    let p = dil_exp.train.problem.p;
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
        control("the linear schedule held to the dilated budget"),
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
