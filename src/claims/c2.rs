//! C2 — phase 1 learns only p (SPEC §5.1–§5.3): phase-1 ω, b, m against the reduced theory
//! at this d and n; paired replicas at σ² = 1 and 0.5 show ω and m do not move with σ².
//! Controls: κ × 1.03, and phase-2 c claimed σ²-invariant.

use super::ClaimDef;
use super::invariance::invariance_claim;

/// The registered claim.
pub(crate) const C2: ClaimDef = ClaimDef {
    id: "C2",
    title: "phase-1 overlaps follow theory and do not move when σ² changes",
    run: |ctx| invariance_claim(ctx, true),
};
