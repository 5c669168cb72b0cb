//! A profile: a curve over t with standard errors (SPEC §8), and the trait every profile
//! source implements.

use super::DetectError;
use serde::{Deserialize, Serialize};

/// One point of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProfilePoint {
    /// Time t (on the profile's own schedule).
    pub t: f64,
    /// The profile's value at t.
    pub value: f64,
    /// Its standard error (0 for a closed-form profile).
    pub se: f64,
}

/// A profile curve: points with strictly increasing t. Serialises as a JSON array of
/// `{"t","value","se"}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Curve {
    /// The points, in increasing t.
    pub points: Vec<ProfilePoint>,
}

impl Curve {
    /// Build from points.
    ///
    /// # Errors
    /// [`DetectError::BadCurve`] unless there are at least three points, all finite (se ≥ 0),
    /// with strictly increasing t.
    pub fn new(points: Vec<ProfilePoint>) -> Result<Self, DetectError> {
        if points.len() < 3 {
            return Err(DetectError::BadCurve(format!(
                "need at least 3 points, got {}",
                points.len()
            )));
        }
        if points
            .iter()
            .any(|p| !(p.t.is_finite() && p.value.is_finite() && p.se.is_finite() && p.se >= 0.0))
        {
            return Err(DetectError::BadCurve(
                "non-finite value or negative se".into(),
            ));
        }
        if points.windows(2).any(|w| w[1].t <= w[0].t) {
            return Err(DetectError::BadCurve(
                "t must be strictly increasing".into(),
            ));
        }
        Ok(Self { points })
    }
    /// Times.
    pub fn t(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.t).collect()
    }
    /// Values.
    pub fn values(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.value).collect()
    }
    /// Standard errors.
    pub fn se(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.se).collect()
    }
}

/// A source of a profile curve (MSE, U-turn, …). Implementations own their grid and
/// parameters; detection only sees the [`Curve`].
pub trait Profile: Sync {
    /// A short description for tables and plots, e.g. `"Bayes MSE"`.
    fn name(&self) -> String;
    /// Compute the curve.
    ///
    /// # Errors
    /// [`DetectError`] when the profile cannot be computed (e.g. a non-monotone Euler map).
    fn curve(&self) -> Result<Curve, DetectError>;
}
