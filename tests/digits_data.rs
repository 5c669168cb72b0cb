//! Digits data: the committed file matches its checksum, a corrupt file is rejected with a
//! one-line error naming it, and the unbalanced set has the declared share.

use phaseflow::digits::data::{Digits, PIXELS, Unbalanced, default_path, hex, sha256};
use std::fs;

#[test]
fn committed_file_matches_checksum_and_shape() {
    let d = Digits::load(&default_path()).expect("committed digits load");
    assert_eq!(d.len(), 1797);
    assert_eq!(d.pixels.len(), 1797 * PIXELS);
    // UCI counts of zeros and ones (scikit-learn `load_digits` docs: 178 and 182).
    assert_eq!(d.indices_of(0).len(), 178);
    assert_eq!(d.indices_of(1).len(), 182);
}

#[test]
fn corrupt_file_is_rejected_naming_it() {
    let dir = std::env::temp_dir().join(format!("phaseflow-digits-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let src = default_path();
    let mut bytes = fs::read(&src).unwrap();
    // Flip one pixel digit in the second line: still valid CSV, wrong content.
    let pos = bytes.iter().position(|&b| b == b'\n').unwrap() + 3;
    bytes[pos] = if bytes[pos] == b'1' { b'2' } else { b'1' };
    let bad = dir.join("digits.csv");
    fs::write(&bad, &bytes).unwrap();
    fs::copy(
        src.with_extension("csv.sha256"),
        dir.join("digits.csv.sha256"),
    )
    .unwrap();
    let err = Digits::load(&bad).unwrap_err().to_string();
    assert!(
        err.contains("digits.csv") && err.contains("SHA-256"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A missing checksum file is an error too, naming that file.
    fs::remove_file(dir.join("digits.csv.sha256")).unwrap();
    let err = Digits::load(&bad).unwrap_err().to_string();
    assert!(err.contains("digits.csv.sha256"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checksum_of_committed_file_is_pinned() {
    // The value written by scripts/export-digits.sh (fixtures/data/digits.csv.sha256).
    let bytes = fs::read(default_path()).unwrap();
    assert_eq!(
        hex(&sha256(&bytes)),
        "d168c7e6f3c50d0eb1a859158aabd051dc9ac54cb9b20bf72ad3c2dfb765e010"
    );
}

#[test]
fn unbalanced_set_has_share_and_unit_scale() {
    let d = Digits::load(&default_path()).unwrap();
    let u = Unbalanced::build(&d, 0.8, 7).unwrap();
    assert_eq!(u.len(), 178 + 44);
    assert!((u.share_zero() - 178.0 / 222.0).abs() < 1e-12);
    // Per pixel: mean 0 and (for non-constant pixels) variance 1, to f32 round-off.
    for j in 0..PIXELS {
        let col: Vec<f64> = (0..u.len()).map(|i| u.image(i)[j] as f64).collect();
        let m = col.iter().sum::<f64>() / col.len() as f64;
        let v = col.iter().map(|x| (x - m).powi(2)).sum::<f64>() / col.len() as f64;
        assert!(m.abs() < 1e-5, "pixel {j} mean {m}");
        assert!(
            v.abs() < 1e-9 || (v - 1.0).abs() < 1e-4,
            "pixel {j} var {v}"
        );
    }
    // The subsample is seeded: same seed, same set; another seed, another set of ones.
    assert_eq!(u, Unbalanced::build(&d, 0.8, 7).unwrap());
    assert_ne!(u.x, Unbalanced::build(&d, 0.8, 8).unwrap().x);
    assert!(Unbalanced::build(&d, 1.2, 7).is_err());
}
