//! The feature "0 vs 1": logistic regression on the raw images (intensities / 16), trained on
//! the real zeros and ones with a seeded held-out split.
//!
//! P(label = 1 | x) = σ(w·x/16 + b), fitted by full-batch gradient descent on the mean
//! log-loss plus (λ/2)|w|² (λ = 1e-3: the classes are separable, so without a ridge the
//! weights grow without bound; a small ridge keeps the fit finite and changes no decision on
//! this data).

use super::data::{Digits, MAX_INTENSITY, PIXELS};
use crate::rng::{Purpose, stream};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// Share of the zeros and ones used for fitting; the rest is held out.
pub const TRAIN_SHARE: f64 = 0.7;
/// Ridge λ on w.
pub const RIDGE: f64 = 1e-3;
/// Gradient-descent iterations and step.
const ITERS: usize = 2000;
const STEP: f64 = 0.5;

/// A fitted logistic classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classifier {
    /// Weights on the raw intensities / 16.
    pub w: Vec<f64>,
    /// Bias.
    pub b: f64,
}

/// A fitted classifier with its held-out accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fitted {
    /// The classifier.
    pub classifier: Classifier,
    /// Images used for fitting.
    pub n_train: usize,
    /// Held-out images.
    pub n_test: usize,
    /// Held-out accuracy.
    pub accuracy: f64,
    /// Its binomial standard error √(a(1 − a)/n_test).
    pub accuracy_se: f64,
}

impl Classifier {
    /// P(label = 1 | raw image).
    pub(crate) fn prob_one(&self, raw: &[f32]) -> f64 {
        let z: f64 = self
            .w
            .iter()
            .zip(raw)
            .map(|(w, x)| w * (*x as f64 / MAX_INTENSITY as f64))
            .sum::<f64>()
            + self.b;
        1.0 / (1.0 + (-z).exp())
    }
    /// The class (0 or 1) of a raw image.
    pub fn class(&self, raw: &[f32]) -> u8 {
        u8::from(self.prob_one(raw) > 0.5)
    }

    /// Fit on images `x` (rows of raw pixels) with labels `y` ∈ {0, 1}.
    pub fn fit(x: &[&[f32]], y: &[u8]) -> Self {
        let n = x.len() as f64;
        let mut w = vec![0f64; PIXELS];
        let mut b = 0f64;
        for _ in 0..ITERS {
            let mut gw = vec![0f64; PIXELS];
            let mut gb = 0f64;
            let c = Classifier { w: w.clone(), b };
            for (xi, &yi) in x.iter().zip(y) {
                let r = c.prob_one(xi) - yi as f64;
                for j in 0..PIXELS {
                    gw[j] += r * xi[j] as f64 / MAX_INTENSITY as f64;
                }
                gb += r;
            }
            for j in 0..PIXELS {
                w[j] -= STEP * (gw[j] / n + RIDGE * w[j]);
            }
            b -= STEP * gb / n;
        }
        Classifier { w, b }
    }
}

/// Fit on a seeded 70 % of the zeros and ones of `d` and measure accuracy on the rest.
/// With `shuffle_labels` the fitting labels are permuted first (the negative control: the
/// held-out accuracy must then fall to chance).
pub fn fit_zero_one(d: &Digits, seed: u64, shuffle_labels: bool) -> Fitted {
    let mut idx: Vec<usize> = (0..d.len()).filter(|&i| d.labels[i] <= 1).collect();
    let mut rng = stream(seed, 0, Purpose::DigitsData, 1);
    idx.shuffle(&mut rng);
    let n_train = (idx.len() as f64 * TRAIN_SHARE).round() as usize;
    let (tr, te) = idx.split_at(n_train);
    let x: Vec<&[f32]> = tr.iter().map(|&i| d.image(i)).collect();
    let mut y: Vec<u8> = tr.iter().map(|&i| d.labels[i]).collect();
    if shuffle_labels {
        y.shuffle(&mut rng);
    }
    let classifier = Classifier::fit(&x, &y);
    let correct = te
        .iter()
        .filter(|&&i| classifier.class(d.image(i)) == d.labels[i])
        .count();
    let a = correct as f64 / te.len() as f64;
    Fitted {
        classifier,
        n_train,
        n_test: te.len(),
        accuracy: a,
        accuracy_se: crate::stats::binomial_se(a, te.len() as f64),
    }
}

/// The classifier as a U-turn [`Feature`](crate::phase::Feature) on normalised images of
/// an [`Unbalanced`](super::data::Unbalanced) set: label 0 or 1.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitClass {
    /// The fitted classifier (on raw intensities).
    pub classifier: Classifier,
    /// Per-pixel mean of the normalisation.
    pub mean: Vec<f32>,
    /// Per-pixel standard deviation of the normalisation.
    pub sd: Vec<f32>,
    /// Clamp the denormalised pixels to [0, 16] before classifying.
    pub clamp: bool,
}

impl DigitClass {
    /// The feature for images normalised like `data`.
    pub fn new(classifier: Classifier, data: &super::data::Unbalanced) -> Self {
        DigitClass {
            classifier,
            mean: data.mean.clone(),
            sd: data.sd.clone(),
            clamp: false,
        }
    }
    /// The same feature, clamping pixels to the data range first.
    pub fn with_clamp(mut self, clamp: bool) -> Self {
        self.clamp = clamp;
        self
    }
    /// The class of a normalised f32 image (denormalised in f32, as generated samples are).
    pub(crate) fn class_f32(&self, x: &[f32]) -> u8 {
        let mut raw = [0f32; PIXELS];
        for j in 0..PIXELS {
            raw[j] = x[j] * self.sd[j] + self.mean[j];
            if self.clamp {
                raw[j] = raw[j].clamp(0.0, MAX_INTENSITY);
            }
        }
        self.classifier.class(&raw)
    }
}

impl crate::phase::Feature for DigitClass {
    fn name(&self) -> String {
        "digit class 0 vs 1 (logistic regression)".into()
    }
    fn label(&self, x: &[f64]) -> i64 {
        let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        i64::from(self.class_f32(&xf))
    }
}
