//! Closed sets of named values (an integrator, a noise convention, a preset …) that a command
//! line or a file chooses from, without a command-line dependency in the library (issue 23):
//! each set states, once, every value's name and one-line help ([`Choice::CHOICES`]), and the
//! binary turns that into its flags' possible values.
//!
//! ```
//! use phaseflow::choice::{Choice, name_of, parse};
//! use phaseflow::flow::Endpoint;
//! assert_eq!(name_of(Endpoint::LastGridPoint), "last-grid-point");
//! assert_eq!(parse::<Endpoint>("end"), Some(Endpoint::End));
//! assert_eq!(Endpoint::CHOICES.len(), 2);
//! ```

/// One value of a [`Choice`] with its name and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<T> {
    /// The value.
    pub value: T,
    /// Its command-line name (kebab-case).
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
}

/// A closed set of named values.
pub trait Choice: Copy + PartialEq + Send + Sync + 'static {
    /// Every value, in display order.
    const CHOICES: &'static [Named<Self>];
}

/// The command-line name of `v`.
pub fn name_of<T: Choice>(v: T) -> &'static str {
    T::CHOICES
        .iter()
        .find(|c| c.value == v)
        .map_or("", |c| c.name)
}

/// The value named `name`, if any.
pub fn parse<T: Choice>(name: &str) -> Option<T> {
    T::CHOICES.iter().find(|c| c.name == name).map(|c| c.value)
}

/// Define an enum whose variants are a [`Choice`]: each variant is written
/// `"cli-name", "help" => Variant` (after any attribute of the variant), and the help becomes
/// the variant's documentation, so name and help are stated once.
macro_rules! choice_enum {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident {
            $( $cli:literal, $help:literal => $(#[$vm:meta])* $v:ident ),* $(,)?
        }
    ) => {
        $(#[$m])*
        $vis enum $name {
            $( #[doc = $help] $(#[$vm])* $v ),*
        }

        impl $crate::choice::Choice for $name {
            const CHOICES: &'static [$crate::choice::Named<Self>] = &[
                $( $crate::choice::Named { value: $name::$v, name: $cli, help: $help } ),*
            ];
        }
    };
}
pub(crate) use choice_enum;
