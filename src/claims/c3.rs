//! C3 — phase 2 learns only σ² (SPEC §5.1–§5.3): phase-2 c, m against the reduced theory at
//! this d and n; paired replicas at p = 0.8 and 0.6 show c and m do not move with p.
//! Controls: σ² × 1.02, and phase-1 b claimed p-invariant.

use super::ClaimDef;
use super::invariance::invariance_claim;

/// The registered claim.
pub(crate) const C3: ClaimDef = ClaimDef {
    id: "C3",
    title: "phase-2 overlaps follow theory and do not move when p changes",
    run: |ctx| invariance_claim(ctx, false),
};
