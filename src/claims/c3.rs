//! C3 — phase 2 learns only σ² (SPEC §5.1–§5.3): phase-2 c, m against the finite-n theory;
//! paired replicas at p = 0.8 and 0.6 show c and m do not move with p. Controls: σ² × 1.5,
//! and phase-1 b claimed p-invariant.

use super::invariance::invariance_claim;
use super::{Claim, Context, Outcome};
use crate::error::Error;

/// C3: phase 2 learns σ² only.
pub(crate) struct C3;

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
