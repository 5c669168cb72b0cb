//! The 8×8 handwritten digits (UCI, CC BY 4.0) read from `fixtures/data/digits.csv`, checked
//! against its SHA-256, and the unbalanced "0 vs 1" training set of issue 8.
//!
//! The file is written once by `scripts/export-digits.sh`; nothing is downloaded at run time.
//! The unbalanced set keeps every zero (178) and a seeded subsample of ones so that zeros make
//! up the declared share (0.8 → 44 ones, share 178/222 = 0.8018). Pixels are normalised per
//! pixel over that set, x' = (x − mean)/sd, with sd = 1 for pixels that are constant there
//! (they are then exactly 0 and the flow must learn to put them at 0).
//!
//! ## References
//! E. Alpaydin, C. Kaynak, *Optical Recognition of Handwritten Digits*, UCI Machine Learning
//! Repository (1998), doi:10.24432/C50P49.

use super::DigitsError;
use crate::error::Error;
use crate::io;
use crate::rng::{Purpose, stream};
use rand::seq::SliceRandom;
use std::path::{Path, PathBuf};

/// Pixels per image (8 × 8).
pub const PIXELS: usize = 64;
/// Largest pixel intensity in the UCI file (pixels are counts of set bits in 4×4 blocks).
pub const MAX_INTENSITY: f32 = 16.0;

/// The committed data file, relative to the crate root.
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_RELATIVE)
}

/// The data file relative to the source tree's root (and to the current folder).
pub const DEFAULT_RELATIVE: &str = "fixtures/data/digits.csv";

/// The data file when `--data` is not given: `fixtures/data/digits.csv` in the current
/// folder if it is there, else the copy in the source tree this binary was built from
/// ([`default_path`]), so the default neither depends on the build tree alone nor is
/// shown as one machine's absolute path.
pub fn resolve_default() -> PathBuf {
    let here = PathBuf::from(DEFAULT_RELATIVE);
    if here.is_file() { here } else { default_path() }
}

/// All digits of the file: labels 0..9 and raw pixel intensities 0..16, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    /// Label of each image.
    pub labels: Vec<u8>,
    /// `labels.len() × PIXELS` raw intensities.
    pub pixels: Vec<f32>,
}

impl Digits {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// True if there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Image `i` (raw intensities).
    pub fn image(&self, i: usize) -> &[f32] {
        &self.pixels[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Read `path` and check it against `<path>.sha256` (`sha256sum` format).
    ///
    /// # Errors
    /// [`Error::File`] if a file is missing; [`DigitsError`] naming the file if the checksum
    /// does not match or a line is malformed.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = io::read_to_string(path)?;
        let sum_path = PathBuf::from(format!("{}.sha256", path.display()));
        let expected = io::read_to_string(&sum_path)?;
        let expected = expected
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase();
        let actual = hex(&sha256(text.as_bytes()));
        if expected != actual {
            return Err(DigitsError::Checksum {
                path: path.to_path_buf(),
                sum_path,
                actual,
                expected,
            }
            .into());
        }
        Self::parse(&text).map_err(|message| {
            DigitsError::Malformed {
                path: path.to_path_buf(),
                message,
            }
            .into()
        })
    }

    /// Parse the CSV text (header line, then `label,p0,…,p63`).
    ///
    /// # Errors
    /// A message naming the line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut labels = Vec::new();
        let mut pixels = Vec::new();
        for (no, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != PIXELS + 1 {
                return Err(format!(
                    "line {}: {} fields, expected {}",
                    no + 1,
                    fields.len(),
                    PIXELS + 1
                ));
            }
            let label: u8 = fields[0]
                .parse()
                .ok()
                .filter(|l| *l <= 9)
                .ok_or_else(|| format!("line {}: label {:?} is not 0..9", no + 1, fields[0]))?;
            labels.push(label);
            for f in &fields[1..] {
                let v: f32 = f
                    .parse()
                    .ok()
                    .filter(|v: &f32| (0.0..=MAX_INTENSITY).contains(v))
                    .ok_or_else(|| format!("line {}: pixel {f:?} is not in 0..16", no + 1))?;
                pixels.push(v);
            }
        }
        Ok(Digits { labels, pixels })
    }

    /// Indices of the images with label `l`, in file order.
    pub fn indices_of(&self, l: u8) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.labels[i] == l).collect()
    }
}

crate::choice::choice_enum! {
    /// How pixels are scaled for training.
    #[derive(
        Debug,
        Clone,
        Copy,
        PartialEq,
        Eq,
        Default,
        serde::Serialize,
        serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Scale {
        "z-score", "Per pixel (x − mean)/sd over the set (issue 8)." =>
            ZScore,
        "unit", "To [−1, 1]: x/8 − 1 (the authors' `2(x − 0.5)` on [0, 1] intensities)." =>
            #[default]
            Unit,
    }
}

/// The unbalanced "0 vs 1" set, normalised per pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Unbalanced {
    /// `n × PIXELS` normalised pixels.
    pub x: Vec<f32>,
    /// Label (0 or 1) of each image.
    pub labels: Vec<u8>,
    /// Per-pixel mean of the raw intensities over this set.
    pub mean: Vec<f32>,
    /// Per-pixel standard deviation (1/n divisor; 1 where the pixel is constant).
    pub sd: Vec<f32>,
}

impl Unbalanced {
    /// All zeros and `round(n0·(1 − share)/share)` ones drawn without replacement from stream
    /// `(seed, 0, DigitsData, 0)`, in file order.
    ///
    /// # Errors
    /// [`DigitsError::Share`] if `share` is not in (0.5, 1), [`DigitsError::TooFewOnes`].
    pub fn build(d: &Digits, share: f64, seed: u64) -> Result<Self, Error> {
        Self::build_scaled(d, share, seed, Scale::ZScore)
    }

    /// [`Unbalanced::build`] with a choice of pixel scaling.
    ///
    /// # Errors
    /// As [`Unbalanced::build`].
    pub fn build_scaled(d: &Digits, share: f64, seed: u64, scale: Scale) -> Result<Self, Error> {
        if !(share > 0.5 && share < 1.0) {
            return Err(DigitsError::Share { share }.into());
        }
        let zeros = d.indices_of(0);
        let mut ones = d.indices_of(1);
        let n1 = (zeros.len() as f64 * (1.0 - share) / share).round() as usize;
        if n1 == 0 || n1 > ones.len() {
            return Err(DigitsError::TooFewOnes {
                share,
                needed: n1,
                available: ones.len(),
            }
            .into());
        }
        ones.shuffle(&mut stream(seed, 0, Purpose::DigitsData, 0));
        let mut keep: Vec<usize> = zeros
            .into_iter()
            .chain(ones[..n1].iter().copied())
            .collect();
        keep.sort_unstable();
        let n = keep.len();
        let mut mean = vec![0f32; PIXELS];
        let mut sd = vec![0f32; PIXELS];
        for j in 0..PIXELS {
            let m = keep.iter().map(|&i| d.image(i)[j] as f64).sum::<f64>() / n as f64;
            let v = keep
                .iter()
                .map(|&i| (d.image(i)[j] as f64 - m).powi(2))
                .sum::<f64>()
                / n as f64;
            mean[j] = m as f32;
            // A constant pixel keeps sd = 1 so it normalises to exactly 0, not NaN.
            sd[j] = if v > 1e-12 { v.sqrt() as f32 } else { 1.0 };
        }
        if scale == Scale::Unit {
            // The authors' 2(x − ½) on intensities in [0, 1]: x/8 − 1 on 0..16.
            mean.iter_mut().for_each(|m| *m = MAX_INTENSITY / 2.0);
            sd.iter_mut().for_each(|s| *s = MAX_INTENSITY / 2.0);
        }
        let mut x = Vec::with_capacity(n * PIXELS);
        for &i in &keep {
            for j in 0..PIXELS {
                x.push((d.image(i)[j] - mean[j]) / sd[j]);
            }
        }
        let labels = keep.iter().map(|&i| d.labels[i]).collect();
        Ok(Unbalanced {
            x,
            labels,
            mean,
            sd,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Normalised image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.x[i * PIXELS..(i + 1) * PIXELS]
    }
    /// The share of zeros in this set (the class ratio generated samples should match).
    pub fn share_zero(&self) -> f64 {
        self.labels.iter().filter(|&&l| l == 0).count() as f64 / self.len() as f64
    }
    /// Map a normalised image back to raw intensities (for the classifier).
    pub fn denormalise(&self, x: &[f32], out: &mut [f32]) {
        for j in 0..PIXELS {
            out[j] = x[j] * self.sd[j] + self.mean[j];
        }
    }
}

/// Lower-case hexadecimal of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (FIPS 180-4). Written out here rather than pulling the `sha2` crate and its four
/// dependencies for one checksum of a 265 kB file; tested against the FIPS example vectors.
pub fn sha256(msg: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut data = msg.to_vec();
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&((msg.len() as u64) * 8).to_be_bytes());
    for block in data.chunks_exact(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_fips_vectors() {
        // FIPS 180-4 examples (NIST CSRC "SHA256.pdf"): "abc" and the 448-bit message.
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
