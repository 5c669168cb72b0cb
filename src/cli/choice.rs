//! The command line's possible values for the library's named sets
//! ([`phaseflow::choice::Choice`]): the library states each value's name and help once and
//! does not depend on clap (issue 23).

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use phaseflow::choice::{Choice, parse};
use std::marker::PhantomData;

/// A value parser for a [`Choice`]: clap's own parser for the names (its error message and
/// suggestions), the help of each value in `--help`.
#[derive(Clone, Copy)]
pub struct ChoiceParser<T>(PhantomData<fn() -> T>);

/// The value parser of `T`.
pub fn choice<T: Choice>() -> ChoiceParser<T> {
    ChoiceParser(PhantomData)
}

fn possible<T: Choice>() -> impl Iterator<Item = PossibleValue> {
    // clap's derive drops a one-paragraph help's final period; so does this.
    T::CHOICES
        .iter()
        .map(|c| PossibleValue::new(c.name).help(c.help.strip_suffix('.').unwrap_or(c.help)))
}

impl<T: Choice> TypedValueParser for ChoiceParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let name = PossibleValuesParser::new(possible::<T>()).parse_ref(cmd, arg, value)?;
        Ok(parse::<T>(&name).expect("a possible value names a choice"))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(possible::<T>()))
    }
}
