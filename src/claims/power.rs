//! The power of the claims (issue 22, SPEC §6): `phaseflow power --claims C1,C2,C3,C4` runs
//! `reproduce` of those claims at every master seed, nominal and under every perturbation,
//! and counts as [`crate::harness::power`] does for one experiment (a run detects when a real
//! check fails or a trained step did not converge; a claim detects when one of its own real
//! checks fails).
//!
//! The seeds are the outer loop and the configurations the inner one, with one [`Cache`]:
//! a theory-side perturbation trains nothing (its runs are the nominal ones of the same seed,
//! taken from the cache), and the theories are computed once for every seed. A seed's runs are
//! forgotten after it, so memory stays bounded.

use super::common::Cache;
use super::{Context, ReproduceConfig, Tier, reproduce};
use crate::error::Error;
use crate::harness::power::{PowerReport, Subject, Tally, check_seeds, ladder};
use crate::harness::progress;
use crate::perturbation::Perturbation;
use std::sync::Arc;

/// What to measure.
#[derive(Debug, Clone)]
pub struct ClaimsPowerSpec {
    /// Tier, replica override and quietness (its seed, perturbation and cache are set here).
    pub context: Context,
    /// The claim ids.
    pub claims: Vec<String>,
    /// The master seeds.
    pub seeds: Vec<u64>,
    /// The perturbations at their base magnitude.
    pub perturbations: Vec<Perturbation>,
    /// Multipliers of each base magnitude.
    pub multipliers: Vec<f64>,
}

/// Measure the power of the claims (module doc).
///
/// # Errors
/// Bad input (an unknown claim, fewer than two seeds, an estimated time above the cap)
/// before any work, or a training failure.
pub fn claims_power(spec: &ClaimsPowerSpec) -> Result<PowerReport, Error> {
    let base = ReproduceConfig {
        context: spec.context.clone(),
        claims: Some(spec.claims.clone()),
    };
    base.check()?;
    check_seeds(&spec.seeds)?;
    let perts = ladder(&spec.perturbations, &spec.multipliers);
    let configs: Vec<Option<Perturbation>> = std::iter::once(None)
        .chain(perts.iter().map(|q| Some(*q)))
        .collect();
    claims_power_time(spec, &base, &configs).check()?;
    let mut tallies = vec![Tally::default(); configs.len()];
    let cache = Arc::new(Cache::default());
    let quiet = spec.context.quiet;
    let pb = progress(
        (spec.seeds.len() * configs.len()) as u64,
        "seeds × configurations",
        quiet,
    );
    for &seed in &spec.seeds {
        for (pert, tally) in configs.iter().zip(tallies.iter_mut()) {
            let cfg = ReproduceConfig {
                context: Context {
                    seed,
                    perturbation: *pert,
                    quiet: true,
                    cache: cache.clone(),
                    ..spec.context.clone()
                },
                claims: Some(spec.claims.clone()),
            };
            let r = reproduce(&cfg)?.report;
            let checks: Vec<_> = r.claims.iter().flat_map(|c| c.checks.clone()).collect();
            let unconverged = r.claims.iter().any(|c| !c.unconverged.is_empty());
            tally.add(&checks, unconverged, |c| {
                c.name.split('.').next().unwrap_or_default().to_string()
            });
            pb.inc(1);
        }
        cache.forget_seed(seed);
    }
    pb.finish_and_clear();
    let mut cells = tallies
        .into_iter()
        .zip(&configs)
        .map(|(t, p)| t.cell(*p, None));
    let nominal = cells.next().expect("the nominal configuration");
    Ok(PowerReport::new(
        Subject::Claims {
            tier: match spec.context.tier {
                Tier::Quick => "quick".into(),
                Tier::Full => "full".into(),
            },
            claims: spec.claims.clone(),
            replicas: spec.context.replicas,
        },
        super::ALPHA,
        spec.seeds.clone(),
        nominal,
        cells.collect(),
    ))
}

/// The work of a claims' power measurement ([`crate::budget`]): every seed reproduces the
/// claims ([`ReproduceConfig::time`]) under the nominal configuration and each
/// experiment-side perturbation (theory-side ones reuse the trained runs).
fn claims_power_time(
    spec: &ClaimsPowerSpec,
    base: &ReproduceConfig,
    configs: &[Option<Perturbation>],
) -> crate::budget::Cost {
    let trained = configs
        .iter()
        .filter(|q| q.is_none_or(|q| !q.is_theory()))
        .count() as f64;
    base.time(&spec.claims)
        .repeated(("seeds", spec.seeds.len() as f64 * trained, 10.0 * trained))
}
