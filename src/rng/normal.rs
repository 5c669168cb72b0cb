//! Lane-parallel standard normal draws for the sgd engine's noise (issue 16).
//!
//! # Stream
//! [`Normals::new`]`(master, replica, purpose, index)` runs [`LANES`] xoshiro256++ generators
//! side by side. Lane 0 is exactly [`super::stream`]`(master, replica, purpose, index)`; lane
//! j is that generator advanced by j jumps of 2^128 steps (the generator's published `jump`
//! polynomial), so the lanes are disjoint stretches of one portable stream. One step of all
//! lanes yields `LANES` 64-bit words x_0 … x_{L−1}; word x_l gives one pair (z, z′) by the
//! Box–Muller transform, and the step emits z_0 … z_{L−1}, then z′_0 … z′_{L−1}. A
//! [`Normals`] is one continuous sequence: filling a slice of length a and then one of length
//! b yields the same numbers as one slice of length a + b.
//!
//! # Transform (both precisions)
//! * radius: lo = x mod 2^32, u = (lo + ½)/2^32 ∈ (0, 1), r = √(−2 ln u);
//! * angle: hi = x >> 32, quadrant q = hi >> 30, θ = ((hi mod 2^30) + ½)·(π/2)/2^30 − π/4, and
//!   (z, z′) = r·(cos θ, sin θ) rotated by q·90°. Uniform θ on a quarter turn plus a uniform
//!   quadrant is a uniform angle, so (z, z′) is a pair of independent N(0, 1).
//!
//! ln, sin and cos are evaluated by polynomial kernels on reduced arguments (f64: the
//! fdlibm/musl kernels, error below 1 ulp; f32: the musl `logf` and Cephes `sinf`/`cosf`
//! kernels, error of a few ulp), written with `+ − × ÷ √` and fused multiply–add, each of
//! which IEEE 754 rounds exactly, so the same bits come out of every build (an x86-64
//! processor without FMA computes `mul_add` in software: slow, same bits). No library call
//! whose last bit could differ between platforms.
//!
//! # Resolution
//! u has 32 bits, so r ≤ √(66 ln 2) ≈ 6.76: the pair radius is cut above 6.76, an event of
//! probability e^{−22.9} ≈ 1.2·10⁻¹⁰ per pair. Nothing else is lost (the angle has 2^32 values).
//!
//! # Why by hand
//! `rand_distr::StandardNormal` (ziggurat) draws one number at a time through branches and a
//! table; no crate on crates.io offers a portably seeded, lane-parallel normal sampler on
//! stable Rust without `std::simd`. Branch-free arithmetic over [`LANES`] independent streams
//! lets the compiler vectorise the whole draw (`cargo bench --bench sgd_epoch -- normal`
//! measures both).

// The kernels' coefficients are written as published (fdlibm, musl, Cephes), digits beyond
// the type's precision included, so that they can be checked against the sources.
#![allow(clippy::excessive_precision)]

use super::{Purpose, derive, mix};

/// Number of independent xoshiro256++ lanes of a [`Normals`] stream. Part of the stream's
/// definition: changing it changes every draw.
pub const LANES: usize = 64;

/// Numbers emitted per step of all lanes (one Box–Muller pair per lane).
const BLOCK: usize = 2 * LANES;

/// The jump polynomial of xoshiro256 (Blackman & Vigna): equivalent to 2^128 calls of next.
const JUMP: [u64; 4] = [
    0x180e_c6d3_3cfd_0aba,
    0xd5a6_1266_f0c9_392c,
    0xa958_2618_e03f_c9aa,
    0x39ab_dc45_29b1_661c,
];

/// One xoshiro256++ state (s0, s1, s2, s3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Xoshiro([u64; 4]);

impl Xoshiro {
    /// The state [`super::stream`] starts from: `rand_xoshiro` seeds xoshiro256++ from a u64
    /// with four SplitMix64 outputs, which are `mix(seed + i·γ)`, i = 0..4.
    fn seeded(seed: u64) -> Self {
        let mut s = [0u64; 4];
        for (i, w) in s.iter_mut().enumerate() {
            *w = mix(seed.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        }
        Self(s)
    }

    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    fn jump(&mut self) {
        let mut acc = [0u64; 4];
        for word in JUMP {
            for bit in 0..64 {
                if (word >> bit) & 1 == 1 {
                    for (a, s) in acc.iter_mut().zip(self.0) {
                        *a ^= s;
                    }
                }
                self.next();
            }
        }
        self.0 = acc;
    }
}

/// AVX2 and FMA on this processor (run-time detection, cached by std).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// AVX-512 F, VL, DQ and BW (plus AVX2 and FMA) on this processor, and a compiler that
/// builds for them (the cfg `phaseflow_avx512`, set by build.rs on Rust ≥ 1.89).
#[cfg(all(target_arch = "x86_64", phaseflow_avx512))]
#[inline]
pub(crate) fn has_avx512() -> bool {
    has_avx2()
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512bw")
}

/// A floating-point type the normal draws are produced in (f32 or f64).
pub trait NormalFloat: Copy + Default + Send + Sync + 'static {
    /// The Box–Muller pair of one 64-bit word x = hi·2^32 + lo (module doc).
    fn pair(lo: u32, hi: u32) -> (Self, Self);
}

/// The quadrant rotation (cos, sin) → q·90° as bit operations, q = hi >> 30:
/// q = 0: (c, s), 1: (−s, c), 2: (−c, −s), 3: (s, −c). Returns (swap mask, sign of the first,
/// sign of the second) for 32-bit words; f64 widens them.
#[inline(always)]
fn quadrant(hi: u32) -> (u32, u32, u32) {
    let q = hi >> 30;
    (
        (q & 1).wrapping_neg(),
        (((q + 1) >> 1) & 1) << 31,
        (q >> 1) << 31,
    )
}

impl NormalFloat for f64 {
    #[inline(always)]
    fn pair(lo: u32, hi: u32) -> (f64, f64) {
        // Exact integer → f64 conversion by the exponent trick (vectorises without AVX-512):
        // the bits 0x4330… | v are the double 2^52 + v.
        const TWO52: u64 = 0x4330_0000_0000_0000;
        const OFFSET: f64 = 4_503_599_627_370_496.0 - 0.5;
        let u = (f64::from_bits(TWO52 | u64::from(lo)) - OFFSET) * (1.0 / 4_294_967_296.0);
        let r = (-2.0 * ln_f64(u)).sqrt();
        let v = u64::from(hi & 0x3FFF_FFFF);
        let theta = (f64::from_bits(TWO52 | v) - OFFSET).mul_add(
            core::f64::consts::FRAC_PI_2 / 1_073_741_824.0,
            -core::f64::consts::FRAC_PI_4,
        );
        let (s, c) = (sin_f64(theta).to_bits(), cos_f64(theta).to_bits());
        let (swap, sign_a, sign_b) = quadrant(hi);
        let m = u64::from(swap) | (u64::from(swap) << 32);
        let a = f64::from_bits(((c & !m) | (s & m)) ^ (u64::from(sign_a) << 32));
        let b = f64::from_bits(((s & !m) | (c & m)) ^ (u64::from(sign_b) << 32));
        (r * a, r * b)
    }
}

impl NormalFloat for f32 {
    #[inline(always)]
    fn pair(lo: u32, hi: u32) -> (f32, f32) {
        // 31 bits through the signed conversion (exact below 2^24, so the small u that make
        // the tail keep every bit); the lowest bit of lo is dropped.
        let u = (((lo >> 1) as i32) as f32 + 0.5) * (1.0 / 2_147_483_648.0);
        let r = (-2.0 * ln_f32(u)).sqrt();
        let v = (hi & 0x3FFF_FFFF) as i32;
        let theta = (v as f32 + 0.5).mul_add(
            core::f32::consts::FRAC_PI_2 / 1_073_741_824.0,
            -core::f32::consts::FRAC_PI_4,
        );
        let (s, c) = (sin_f32(theta).to_bits(), cos_f32(theta).to_bits());
        let (m, sign_a, sign_b) = quadrant(hi);
        let a = f32::from_bits(((c & !m) | (s & m)) ^ sign_a);
        let b = f32::from_bits(((s & !m) | (c & m)) ^ sign_b);
        (r * a, r * b)
    }
}

/// ln x for a positive normal x (musl `log`, fdlibm's algorithm, branch-free reduction,
/// polynomial by fused multiply–add).
#[inline(always)]
fn ln_f64(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const LG1: f64 = 6.666_666_666_666_735_130e-01;
    const LG2: f64 = 3.999_999_999_940_941_908e-01;
    const LG3: f64 = 2.857_142_874_366_239_149e-01;
    const LG4: f64 = 2.222_219_843_214_978_396e-01;
    const LG5: f64 = 1.818_357_216_161_805_012e-01;
    const LG6: f64 = 1.531_383_769_920_937_332e-01;
    const LG7: f64 = 1.479_819_860_511_658_591e-01;
    // x = 2^k·m with m ∈ [√2/2, √2): shift the exponent so that the cut falls at √2/2.
    let ix = x
        .to_bits()
        .wrapping_add(0x3ff0_0000_0000_0000 - 0x3fe6_a09e_0000_0000);
    // k + 1023 + 2^52 as a double, then k exactly (k ∈ [−1022, 1023]).
    let k = f64::from_bits(0x4330_0000_0000_0000 | (ix >> 52)) - (4_503_599_627_370_496.0 + 1023.0);
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff) + 0x3fe6_a09e_0000_0000);
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * w.mul_add(w.mul_add(LG6, LG4), LG2);
    let t2 = z * w.mul_add(w.mul_add(w.mul_add(LG7, LG5), LG3), LG1);
    let r = t2 + t1;
    s.mul_add(hfsq + r, k * LN2_LO) - hfsq + f + k * LN2_HI
}

/// sin x for |x| ≤ π/4 (fdlibm `__kernel_sin` with zero tail).
#[inline(always)]
fn sin_f64(x: f64) -> f64 {
    const S1: f64 = -1.666_666_666_666_663_243_48e-01;
    const S2: f64 = 8.333_333_333_322_489_461_24e-03;
    const S3: f64 = -1.984_126_982_985_794_931_34e-04;
    const S4: f64 = 2.755_731_370_707_006_767_89e-06;
    const S5: f64 = -2.505_076_025_340_686_341_95e-08;
    const S6: f64 = 1.589_690_995_211_550_102_21e-10;
    let z = x * x;
    let r = z.mul_add(z.mul_add(z.mul_add(z.mul_add(S6, S5), S4), S3), S2);
    (z * x).mul_add(z.mul_add(r, S1), x)
}

/// cos x for |x| ≤ π/4 (fdlibm `__kernel_cos` with zero tail).
#[inline(always)]
fn cos_f64(x: f64) -> f64 {
    const C1: f64 = 4.166_666_666_666_660_190_37e-02;
    const C2: f64 = -1.388_888_888_887_410_957_49e-03;
    const C3: f64 = 2.480_158_728_947_672_941_78e-05;
    const C4: f64 = -2.755_731_435_139_066_330_35e-07;
    const C5: f64 = 2.087_572_321_298_174_827_90e-09;
    const C6: f64 = -1.135_964_755_778_819_482_65e-11;
    let z = x * x;
    let r = z * z.mul_add(
        z.mul_add(z.mul_add(z.mul_add(z.mul_add(C6, C5), C4), C3), C2),
        C1,
    );
    let hz = 0.5 * z;
    let one_minus = 1.0 - hz;
    one_minus + (((1.0 - one_minus) - hz) + z * r)
}

/// ln x for a positive normal x (musl `logf`).
#[inline(always)]
fn ln_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 6.931_381_225_6e-01;
    const LN2_LO: f32 = 9.058_000_614_5e-06;
    const LG1: f32 = 0.666_666_626_93;
    const LG2: f32 = 0.400_009_721_52;
    const LG3: f32 = 0.284_987_866_88;
    const LG4: f32 = 0.242_790_788_41;
    let ix = x.to_bits().wrapping_add(0x3f80_0000 - 0x3f35_04f3);
    let k = ((ix >> 23) as i32 - 0x7f) as f32;
    let m = f32::from_bits((ix & 0x007f_ffff) + 0x3f35_04f3);
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * w.mul_add(LG4, LG2);
    let t2 = z * w.mul_add(LG3, LG1);
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    s.mul_add(hfsq + r, k * LN2_LO) - hfsq + f + k * LN2_HI
}

/// sin x for |x| ≤ π/4 (Cephes `sinf` kernel).
#[inline(always)]
fn sin_f32(x: f32) -> f32 {
    let z = x * x;
    let p = z.mul_add(
        z.mul_add(-1.951_529_589_1e-4, 8.332_160_873_6e-3),
        -1.666_665_461_1e-1,
    );
    (p * z).mul_add(x, x)
}

/// cos x for |x| ≤ π/4 (Cephes `cosf` kernel).
#[inline(always)]
fn cos_f32(x: f32) -> f32 {
    let z = x * x;
    let p = z.mul_add(
        z.mul_add(2.443_315_711_809_948e-5, -1.388_731_625_493_765e-3),
        4.166_664_568_298_827e-2,
    );
    (p * z).mul_add(z, (-0.5f32).mul_add(z, 1.0))
}

/// A continuous sequence of standard normal draws in precision `T` from [`LANES`] portable
/// streams (module doc).
///
/// ```
/// use phaseflow::rng::{Purpose, normal::Normals};
/// let mut a = Normals::<f64>::new(7, 0, Purpose::Noise, 3);
/// let mut b = Normals::<f64>::new(7, 0, Purpose::Noise, 3);
/// let (mut x, mut y) = (vec![0.0; 100], vec![0.0; 100]);
/// a.fill(&mut x);
/// b.fill(&mut y[..37]);
/// b.fill(&mut y[37..]);
/// assert_eq!(x, y);
/// ```
#[derive(Debug, Clone)]
pub struct Normals<T: NormalFloat> {
    /// State word i of every lane: `s[i][lane]` (structure of arrays, so that one step of all
    /// lanes is a handful of vector instructions).
    s: [[u64; LANES]; 4],
    /// Draws of the last step not handed out yet: `buf[pos..]`.
    buf: [T; BLOCK],
    pos: usize,
}

impl<T: NormalFloat> Normals<T> {
    /// The normal stream of `(master, replica, purpose, index)` (module doc).
    pub fn new(master: u64, replica: u64, purpose: Purpose, index: u64) -> Self {
        let mut lane = Xoshiro::seeded(derive(master, replica, purpose, index));
        let mut s = [[0u64; LANES]; 4];
        for l in 0..LANES {
            for (i, row) in s.iter_mut().enumerate() {
                row[l] = lane.0[i];
            }
            lane.jump();
        }
        Self {
            s,
            buf: [T::default(); BLOCK],
            pos: BLOCK,
        }
    }

    /// One step of every lane: `LANES` words, written as `BLOCK` draws into `out`.
    ///
    /// The state stays in memory (L1) and the lane loop is long (64): LLVM's loop
    /// vectoriser then turns it into a vector loop, whereas for a short, fully unrolled lane
    /// loop its SLP vectoriser keeps xoshiro's two 64-bit rotations scalar on AVX2
    /// (measured: 2.3 vs 0.6 ns per word).
    #[inline(always)]
    fn step(s: &mut [[u64; LANES]; 4], out: &mut [T]) {
        let (mut lo, mut hi) = ([0u32; LANES], [0u32; LANES]);
        let [s0, s1, s2, s3] = s;
        for l in 0..LANES {
            let x = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
            lo[l] = x as u32;
            hi[l] = (x >> 32) as u32;
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = s3[l].rotate_left(45);
        }
        // Split into 32-bit halves first, so that the f32 transform runs 8 lanes wide.
        let (first, second) = out.split_at_mut(LANES);
        for l in 0..LANES {
            let (a, b) = T::pair(lo[l], hi[l]);
            first[l] = a;
            second[l] = b;
        }
    }

    /// Fill `out` with the next `out.len()` draws of the sequence, with the widest build of
    /// the loop the processor runs (AVX-512, AVX2 + FMA or the baseline: same bits from each).
    pub fn fill(&mut self, out: &mut [T]) {
        #[cfg(target_arch = "x86_64")]
        {
            #[cfg(phaseflow_avx512)]
            if has_avx512() {
                // SAFETY: the processor has the features `fill_avx512` is compiled for.
                return unsafe { self.fill_avx512(out) };
            }
            if has_avx2() {
                // SAFETY: AVX2 and FMA were detected on this processor.
                return unsafe { self.fill_avx2(out) };
            }
        }
        self.fill_inline(out);
    }

    /// The loop compiled for AVX-512 (F, VL, DQ, BW; 16 f32 lanes, 32 vector registers and
    /// a 64-bit rotate for xoshiro): measured 1.25–1.5× cheaper than the AVX2 build on AMD
    /// Zen 4. Compiled on Rust ≥ 1.89 only (cfg `phaseflow_avx512`, build.rs).
    #[cfg(all(target_arch = "x86_64", phaseflow_avx512))]
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl,avx512dq,avx512bw")]
    unsafe fn fill_avx512(&mut self, out: &mut [T]) {
        self.fill_inline(out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fill_avx2(&mut self, out: &mut [T]) {
        self.fill_inline(out);
    }

    /// [`Normals::fill`] for callers that are themselves compiled for a wider instruction
    /// set (the sgd engine's epoch loop): always inlined, no dispatch.
    #[inline(always)]
    pub fn fill_inline(&mut self, out: &mut [T]) {
        let take = (BLOCK - self.pos).min(out.len());
        out[..take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
        self.pos += take;
        let rest = &mut out[take..];
        if rest.is_empty() {
            return;
        }
        let mut chunks = rest.chunks_exact_mut(BLOCK);
        for chunk in &mut chunks {
            Self::step(&mut self.s, chunk);
        }
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            Self::step(&mut self.s, &mut self.buf);
            tail.copy_from_slice(&self.buf[..tail.len()]);
            self.pos = tail.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::RngCore;

    #[test]
    fn lanes_are_the_documented_jumped_streams() {
        let mut reference = stream(5, 1, Purpose::Noise, 9);
        let normals = Normals::<f64>::new(5, 1, Purpose::Noise, 9);
        let mut lanes: Vec<Xoshiro> = (0..LANES)
            .map(|l| Xoshiro(std::array::from_fn(|i| normals.s[i][l])))
            .collect();
        // Lane 0 is the rand_xoshiro stream of the same coordinates.
        for _ in 0..100 {
            assert_eq!(lanes[0].next(), reference.next_u64());
        }
        // Lane j is lane 0 jumped j times (rand_xoshiro's jump).
        let mut jumped = stream(5, 1, Purpose::Noise, 9);
        for lane in lanes.iter_mut().skip(1) {
            jumped.jump();
            let mut probe = jumped.clone();
            for _ in 0..10 {
                assert_eq!(lane.next(), probe.next_u64());
            }
        }
    }

    #[test]
    fn pair_matches_libm_box_muller() {
        let mut rng = stream(1, 0, Purpose::Test, 0);
        for _ in 0..100_000 {
            let x = rng.next_u64();
            let lo = (x & 0xFFFF_FFFF) as f64;
            let hi = x >> 32;
            let u = (lo + 0.5) / 4_294_967_296.0;
            let r = (-2.0 * u.ln()).sqrt();
            let q = (hi >> 30) as f64;
            let theta = ((hi & 0x3FFF_FFFF) as f64 + 0.5) * std::f64::consts::FRAC_PI_2
                / 1_073_741_824.0
                - std::f64::consts::FRAC_PI_4
                + q * std::f64::consts::FRAC_PI_2;
            let (z, zz) = f64::pair(x as u32, hi as u32);
            assert!((z - r * theta.cos()).abs() <= 4e-15 * (1.0 + r), "{x:#x}");
            assert!((zz - r * theta.sin()).abs() <= 4e-15 * (1.0 + r), "{x:#x}");
            let (a, b) = f32::pair(x as u32, hi as u32);
            // f32: a few ulp, except that u rounds to the f32 grid near 1 (spacing 2^-24), so
            // r² moves by up to 2^-24 and r by up to 2^-12 as r → 0.
            let tol = 2e-6 * (1.0 + r) + (2f64.powi(-24) / r.max(1e-300)).min(2f64.powi(-12));
            assert!((f64::from(a) - z).abs() <= tol, "{x:#x}: {a} vs {z}");
            assert!((f64::from(b) - zz).abs() <= tol, "{x:#x}: {b} vs {zz}");
        }
    }

    #[test]
    fn kernels_are_accurate_over_their_range() {
        for i in 0..=10_000 {
            let x = (i as f64 / 10_000.0 - 0.5) * std::f64::consts::FRAC_PI_2;
            assert!((sin_f64(x) - x.sin()).abs() <= 2.0 * f64::EPSILON);
            assert!((cos_f64(x) - x.cos()).abs() <= 2.0 * f64::EPSILON);
            let xf = x as f32;
            assert!((sin_f32(xf) - xf.sin()).abs() <= 2.0 * f32::EPSILON);
            assert!((cos_f32(xf) - xf.cos()).abs() <= 2.0 * f32::EPSILON);
        }
        for e in -33..0 {
            for i in 0..1000 {
                let x = (1.0 + i as f64 / 1000.0) * 2f64.powi(e);
                assert!((ln_f64(x) - x.ln()).abs() <= 2.0 * f64::EPSILON * x.ln().abs());
                let xf = x as f32;
                assert!((ln_f32(xf) - xf.ln()).abs() <= 2.0 * f32::EPSILON * xf.ln().abs());
            }
        }
    }

    /// Every build this processor runs (dispatched, AVX-512, AVX2 + FMA) agrees bitwise with
    /// the baseline build.
    #[test]
    fn instruction_sets_agree_bitwise() {
        fn check<T: NormalFloat + PartialEq + std::fmt::Debug>() {
            let base = Normals::<T>::new(2, 1, Purpose::Noise, 5);
            let run = |fill: &dyn Fn(&mut Normals<T>, &mut [T])| {
                let mut g = base.clone();
                let mut x = vec![T::default(); 5000];
                // Uneven pieces, so that the carried-over buffer is used too.
                for piece in x.chunks_mut(999) {
                    fill(&mut g, piece);
                }
                x
            };
            let want = run(&|g, x| g.fill_inline(x));
            assert_eq!(run(&|g, x| g.fill(x)), want);
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx2() {
                    // SAFETY: detected just now.
                    assert_eq!(run(&|g, x| unsafe { g.fill_avx2(x) }), want);
                }
                #[cfg(phaseflow_avx512)]
                if has_avx512() {
                    // SAFETY: detected just now.
                    assert_eq!(run(&|g, x| unsafe { g.fill_avx512(x) }), want);
                }
            }
        }
        check::<f64>();
        check::<f32>();
    }

    #[test]
    fn chunking_does_not_change_the_sequence() {
        let mut whole = Normals::<f32>::new(3, 0, Purpose::Noise, 0);
        let mut x = vec![0f32; 1000];
        whole.fill(&mut x);
        let mut parts = Normals::<f32>::new(3, 0, Purpose::Noise, 0);
        let mut y = vec![0f32; 1000];
        let mut at = 0;
        for len in [1, 15, 16, 17, 3, 100, 0, 31, 500] {
            parts.fill(&mut y[at..at + len]);
            at += len;
        }
        parts.fill(&mut y[at..]);
        assert_eq!(x, y);
    }

    /// Moments and tail frequencies of 4·10⁶ draws against N(0, 1), z = 5 on each.
    #[test]
    fn draws_are_standard_normal() {
        fn check<T: NormalFloat + Into<f64>>() {
            let n = 4_000_000usize;
            let mut g = Normals::<T>::new(11, 0, Purpose::Noise, 0);
            let mut x = vec![T::default(); n];
            g.fill(&mut x);
            let nf = n as f64;
            let m1 = x.iter().map(|&v| v.into()).sum::<f64>() / nf;
            let m2 = x.iter().map(|&v| v.into().powi(2)).sum::<f64>() / nf;
            let m4 = x.iter().map(|&v| v.into().powi(4)).sum::<f64>() / nf;
            assert!(m1.abs() <= 5.0 / nf.sqrt(), "mean {m1}");
            assert!((m2 - 1.0).abs() <= 5.0 * (2.0 / nf).sqrt(), "var {m2}");
            assert!((m4 - 3.0).abs() <= 5.0 * (96.0 / nf).sqrt(), "4th {m4}");
            // P(|z| > 2) = 0.0455003, P(|z| > 3) = 0.0026998.
            for (cut, p) in [(2.0, 0.045_500_263_9), (3.0, 0.002_699_796_1)] {
                let f = x.iter().filter(|&&v| v.into().abs() > cut).count() as f64 / nf;
                assert!(
                    (f - p).abs() <= 5.0 * (p * (1.0 - p) / nf).sqrt(),
                    "P(|z|>{cut}) {f}"
                );
            }
            // Adjacent draws (same lane's pair, and neighbouring lanes) are uncorrelated.
            for lag in [1usize, LANES] {
                let c = x
                    .iter()
                    .zip(&x[lag..])
                    .map(|(&a, &b)| a.into() * b.into())
                    .sum::<f64>()
                    / nf;
                assert!(c.abs() <= 5.0 / nf.sqrt(), "lag {lag}: {c}");
            }
        }
        check::<f64>();
        check::<f32>();
    }
}
