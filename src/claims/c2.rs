//! C2 — phase 1 learns only p (SPEC §5.1–§5.3): phase-1 ω, b, m against the finite-n theory
//! at this d; paired replicas at σ² = 1 and 0.5 show ω and m do not move with σ². Controls:
//! κ × 1.25, and phase-2 c claimed σ²-invariant.

use super::invariance::invariance_claim;
use super::{Claim, Context, Outcome};
use crate::error::Error;

/// C2: phase 1 learns p only.
pub(crate) struct C2;

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
