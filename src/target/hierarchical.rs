//! Hierarchical means, one separation scale per level (SPEC §9.2): μ = Σ_l s_l·u_l with
//! s_l = ±1 and orthogonal u_l, |u_l|² = d·η_l. The sign of level l is drawn given the signs
//! above it: P(s_l = + | s_1..s_{l−1}) = `plus[prefix]`. SPEC §9.2's case is two levels,
//! η = (1 − d^−½, d^−½), P(a = +) = 0.7, P(b = + | a = +) = 0.8, P(b = + | a = −) = 0.3,
//! σ² = 0.5 ([`Hierarchical::spec92`]): the super-classes are decided at τ ~ d^−½ and the
//! sub-classes at τ ~ d^−¼.
//!
//! Classes are numbered by their signs read as binary digits, level 1 the most significant
//! and + as 0: for two levels, 0 = (+, +), 1 = (+, −), 2 = (−, +), 3 = (−, −).

use super::ConfigError;
use super::isotropic::{Basis, Isotropic, isotropic_target};
use serde::{Deserialize, Serialize};

/// One level of the hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// η_l = |u_l|²/d, the squared separation scale of the level.
    pub scale: f64,
    /// P(s_l = + | prefix) for each of the 2^(l−1) sign prefixes of the levels above
    /// (prefix read as binary digits, + as 0).
    pub plus: Vec<f64>,
}

/// The hierarchical mixture (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchical {
    levels: Vec<Level>,
    iso: Isotropic,
}

impl Hierarchical {
    /// The mixture with `levels` (at least one) in dimension d with within-class variance σ².
    ///
    /// # Errors
    /// [`ConfigError`] naming `levels[l].scale` (not positive and finite),
    /// `levels[l].plus` (not 2^l entries) or `levels[l].plus[j]` (not in (0, 1)), `sigma2`,
    /// or `d` (below the number of levels).
    pub fn new(d: usize, levels: Vec<Level>, sigma2: f64) -> Result<Self, ConfigError> {
        if levels.is_empty() || levels.len() > 16 {
            return Err(ConfigError::Invalid {
                field: "levels",
                rule: format!("need 1 to 16 levels, got {}", levels.len()),
            });
        }
        for (l, lv) in levels.iter().enumerate() {
            if !(lv.scale > 0.0 && lv.scale.is_finite()) {
                return Err(ConfigError::InvalidAt {
                    field: format!("levels[{l}].scale"),
                    rule: format!(
                        "must be positive and finite, got {}",
                        crate::problem::Num(lv.scale)
                    ),
                });
            }
            if lv.plus.len() != 1 << l {
                return Err(ConfigError::InvalidAt {
                    field: format!("levels[{l}].plus"),
                    rule: format!(
                        "needs one probability per sign prefix, 2^{l} = {}, got {}",
                        1 << l,
                        lv.plus.len()
                    ),
                });
            }
            for (j, &q) in lv.plus.iter().enumerate() {
                if !(q > 0.0 && q < 1.0) {
                    return Err(ConfigError::InvalidAt {
                        field: format!("levels[{l}].plus[{j}]"),
                        rule: format!("must satisfy 0 < p < 1, got {}", crate::problem::Num(q)),
                    });
                }
            }
        }
        let depth = levels.len();
        let sd = (d as f64).sqrt();
        let classes = 1usize << depth;
        let mut weights = Vec::with_capacity(classes);
        let mut coords = Vec::with_capacity(classes);
        for c in 0..classes {
            let mut w = 1.0;
            let mut m = Vec::with_capacity(depth);
            for (l, lv) in levels.iter().enumerate() {
                let prefix = c >> (depth - l);
                let minus = (c >> (depth - 1 - l)) & 1 == 1;
                let q = lv.plus[prefix];
                w *= if minus { 1.0 - q } else { q };
                let s = if minus { -1.0 } else { 1.0 };
                m.push(s * sd * lv.scale.sqrt());
            }
            weights.push(w);
            coords.push(m);
        }
        // Products of numbers in (0, 1) sum to 1 up to rounding; renormalise the last bits.
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        let iso = Isotropic::new(d, weights, sigma2, coords, Basis::Blocks)?;
        Ok(Self { levels, iso })
    }

    /// SPEC §9.2's two-level case at dimension d: η = d^−½, |u|² = d(1 − η), |w|² = dη,
    /// σ² = 0.5, P(a = +) = 0.7, P(b = + | a = +) = 0.8, P(b = + | a = −) = 0.3.
    ///
    /// # Errors
    /// As [`Hierarchical::new`] (d ≥ 2).
    pub fn spec92(d: usize) -> Result<Self, ConfigError> {
        let eta = 1.0 / (d as f64).sqrt();
        Self::new(
            d,
            vec![
                Level {
                    scale: 1.0 - eta,
                    plus: vec![0.7],
                },
                Level {
                    scale: eta,
                    plus: vec![0.8, 0.3],
                },
            ],
            0.5,
        )
    }

    /// The levels.
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    /// The shared isotropic engine.
    pub fn isotropic(&self) -> &Isotropic {
        &self.iso
    }

    /// P(s_l = + | prefix) under class weights `w` (the targets' own, or generated p̂):
    /// the conditional of level `l` given the sign prefix of the levels above.
    pub fn conditional_plus(&self, w: &[f64], l: usize, prefix: usize) -> f64 {
        let depth = self.levels.len();
        let (mut plus, mut all) = (0.0, 0.0);
        for (c, &p) in w.iter().enumerate() {
            if c >> (depth - l) != prefix {
                continue;
            }
            all += p;
            if (c >> (depth - 1 - l)) & 1 == 0 {
                plus += p;
            }
        }
        plus / all
    }
}

isotropic_target!(Hierarchical, "hierarchical");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    #[test]
    fn spec92_weights_and_conditionals() {
        let h = Hierarchical::spec92(10_000).unwrap();
        let w = h.weights().to_vec();
        let want = [0.7 * 0.8, 0.7 * 0.2, 0.3 * 0.3, 0.3 * 0.7];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < crate::tol::ROUNDOFF);
        }
        assert!((h.conditional_plus(&w, 0, 0) - 0.7).abs() < crate::tol::ROUNDOFF);
        assert!((h.conditional_plus(&w, 1, 0) - 0.8).abs() < crate::tol::ROUNDOFF);
        assert!((h.conditional_plus(&w, 1, 1) - 0.3).abs() < crate::tol::ROUNDOFF);
        let g = h.isotropic().gram();
        // |μ|² = d: the two scales add to 1; (+,+)·(+,−) = (1 − η) − η.
        assert!((g[0][0] - 1.0).abs() < crate::tol::ROUNDOFF);
        assert!((g[0][1] - (1.0 - 0.02)).abs() < crate::tol::ROUNDOFF);
    }

    #[test]
    fn rejects_bad_levels_by_name() {
        let lv = |scale: f64, plus: Vec<f64>| Level { scale, plus };
        let e = Hierarchical::new(100, vec![lv(0.0, vec![0.5])], 1.0).unwrap_err();
        assert!(e.to_string().starts_with("levels[0].scale:"), "{e}");
        let e =
            Hierarchical::new(100, vec![lv(1.0, vec![0.5]), lv(0.1, vec![0.5])], 1.0).unwrap_err();
        assert!(e.to_string().starts_with("levels[1].plus:"), "{e}");
        let e = Hierarchical::new(100, vec![lv(1.0, vec![0.5]), lv(0.1, vec![0.5, 1.5])], 1.0)
            .unwrap_err();
        assert!(e.to_string().starts_with("levels[1].plus[1]:"), "{e}");
        let e = Hierarchical::new(100, vec![lv(1.0, vec![0.5])], f64::NAN).unwrap_err();
        assert!(e.to_string().starts_with("sigma2:"), "{e}");
        assert!(Hierarchical::new(100, vec![], 1.0).is_err());
    }
}
