//! The bundled font: DejaVu Sans 2.37, `assets/fonts/DejaVuSans.ttf` (Bitstream Vera
//! licence with the Arev and public-domain DejaVu additions, `assets/fonts/LICENSE-DejaVu.txt`).
//!
//! plotters' default text stack asks the system (fontconfig/freetype) for fonts. With
//! `default-features = false` plus `ab_glyph`, it lays out and rasterises text itself from
//! fonts registered here, so a fresh machine needs nothing but cargo. DejaVu covers the
//! Greek, math and combining characters the project's labels use (ω, √, σ², p̂, ⁻¹).

use super::PlotError;
use ab_glyph::FontRef;
use plotters::style::{FontStyle, register_font};
use std::sync::OnceLock;

/// The font family name under which the bundled font is registered and drawn. The SVG
/// output names this generic family too, so viewers substitute their own sans-serif.
pub(crate) const FAMILY: &str = "sans-serif";

/// The embedded TrueType file.
pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Register the bundled font once per process (thread-safe; later calls are free).
pub(crate) fn ensure_registered() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// The parsed bundled font, for our own glyph rasteriser ([`super::text`]).
pub(crate) fn font_ref() -> Result<&'static FontRef<'static>, PlotError> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).ok())
        .as_ref()
        .ok_or(PlotError::Font)
}
