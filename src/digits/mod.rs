//! Real data (issue 8): the U-turn and phase-aware training on the 8×8 handwritten digits.
//!
//! Data flows one way: [`data`] (the committed UCI file, checksum, the unbalanced 80/20
//! "0 vs 1" set) → [`train`] (flow matching of the [`net`] velocity MLP with a time-sampling
//! density) → [`flow`] (Euler sampling) → [`classifier`] (the feature "0 vs 1") →
//! [`uturn`] (the U-turn curve and its window) → [`compare`] (uniform vs phase-aware time
//! sampling over seeds, checks with negative controls, plots).
//!
//! ## References
//! A. Aranguri, F. Insulla, *Phase-aware Training Schedule Simplifies Learning in Flow-Based
//! Generative Models*, arXiv:2412.07972, §4 (MNIST U-turn and phase-aware training).

pub mod classifier;
pub mod compare;
pub mod curve;
pub mod data;
pub mod flow;
pub mod mechanism;
pub mod net;
pub mod train;
pub mod uturn;

pub use crate::error::{DigitsError, DigitsTrainError};
