//! Build script: sets the cfg `phaseflow_avx512` when the compiler has the AVX-512 target
//! features stable (Rust ≥ 1.89), so that the AVX-512 build of the normal draw
//! (`rng::normal`) is compiled there while the crate still builds on its MSRV (1.85).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(phaseflow_avx512)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    // "rustc 1.95.0 (59807616e 2026-04-14)" → 95.
    let minor = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split(['.', ' ']).nth(2)?.parse::<u32>().ok());
    if minor.is_some_and(|m| m >= 89) {
        println!("cargo::rustc-cfg=phaseflow_avx512");
    }
}
