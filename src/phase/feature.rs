//! Features: a discrete label of a sample, compared before and after the U-turn (SPEC §8).

/// A discrete label of a sample x ∈ ℝ^d. The U-turn records P(label(x̂) ≠ label(x1)).
/// Here: the mode sign; later a digit class from a classifier (issue 8).
pub trait Feature: Sync {
    /// Name for tables and plots.
    fn name(&self) -> String;
    /// The label of `x`.
    fn label(&self, x: &[f64]) -> i64;
}

/// The mode sign: +1 if x·μ > 0, else −1 (the convention of p̂, SPEC §5.4).
#[derive(Debug, Clone, PartialEq)]
pub struct ModeSign {
    mu: Vec<f64>,
}

impl ModeSign {
    /// The mode sign along `mu`.
    pub fn new(mu: &[f64]) -> Self {
        Self { mu: mu.to_vec() }
    }
}

impl Feature for ModeSign {
    fn name(&self) -> String {
        "mode sign sign(x·μ)".into()
    }
    fn label(&self, x: &[f64]) -> i64 {
        let h: f64 = x.iter().zip(&self.mu).map(|(a, b)| a * b).sum();
        if h > 0.0 { 1 } else { -1 }
    }
}
