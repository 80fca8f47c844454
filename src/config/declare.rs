//! `settings!`: from one list of settings, everything `Config` needs.
//!
//! Each setting is
//!     /// doc line
//!     name: Type = default, env "VARIABLE" [, flag "--flag"] [, at_least N [because "why"]];
//! under `top { .. }` (the top of the file, fields of `Config` itself) or
//! under `[section] SectionStruct { .. }` (a TOML table, a field of
//! `Config` holding a `SectionStruct`).

/// `Some(x)` for one literal, `None` for none.
macro_rules! optional {
    () => {
        None
    };
    ($x:literal) => {
        Some($x)
    };
}

macro_rules! settings {
    (
        top {
            $(
                $(#[doc = $tdoc:literal])*
                $tname:ident : $tty:ty = $tdefault:expr, env $tenv:literal
                $(, flag $tflag:literal)?
                $(, at_least $tmin:literal $(because $twhy:literal)?)?;
            )*
        }
        $(
            $(#[doc = $sdoc:literal])*
            [$section:ident] $Section:ident {
                $(
                    $(#[doc = $doc:literal])*
                    $name:ident : $ty:ty = $default:expr, env $env:literal
                    $(, flag $flag:literal)?
                    $(, at_least $min:literal $(because $why:literal)?)?;
                )*
            }
        )*
    ) => {
        #[derive(Clone, Debug)]
        pub struct Config {
            $( $(#[doc = $tdoc])* pub $tname: $tty, )*
            $( $(#[doc = $sdoc])* pub $section: $Section, )*
        }

        $(
            $(#[doc = $sdoc])*
            #[derive(Clone, Debug)]
            pub struct $Section {
                $( $(#[doc = $doc])* pub $name: $ty, )*
            }

            impl Default for $Section {
                fn default() -> Self {
                    Self { $( $name: $default, )* }
                }
            }
        )*

        impl Default for Config {
            fn default() -> Self {
                Self {
                    $( $tname: $tdefault, )*
                    $( $section: $Section::default(), )*
                }
            }
        }

        /// What one source (file, environment, flags) sets; unset fields fall
        /// through to the layer below.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Layer {
            $( pub $tname: Option<$tty>, )*
            $( #[serde(default)] pub $section: layer::$Section, )*
        }

        /// The sections of a `Layer`, named as in `Config`.
        pub mod layer {
            use super::*;
            $(
                #[derive(Debug, Default, Deserialize)]
                #[serde(deny_unknown_fields)]
                pub struct $Section {
                    $( pub $name: Option<$ty>, )*
                }
            )*
        }

        /// Every setting, in the order of the list (top-level ones first).
        pub const FIELDS: &[Field] = &[
            $( Field {
                section: None,
                key: stringify!($tname),
                env: $tenv,
                flag: optional!($($tflag)?),
                doc: concat!($($tdoc),*).trim_ascii(),
                at_least: optional!($($tmin)?),
                because: optional!($($($twhy)?)?),
            }, )*
            $( $( Field {
                section: Some(stringify!($section)),
                key: stringify!($name),
                env: $env,
                flag: optional!($($flag)?),
                doc: concat!($($doc),*).trim_ascii(),
                at_least: optional!($($min)?),
                because: optional!($($($why)?)?),
            }, )* )*
        ];

        /// Each section's TOML table name and doc line.
        pub const SECTIONS: &[(&str, &str)] = &[
            $( (stringify!($section), concat!($($sdoc),*).trim_ascii()), )*
        ];

        impl Config {
            /// The settings the environment sets; empty variables count as unset.
            pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
                let mut layer = Layer::default();
                $( layer.$tname = setting::from_env(&get, $tenv)?; )*
                $( $( layer.$section.$name = setting::from_env(&get, $env)?; )* )*
                Ok(layer)
            }

            /// Lays `layer` over this configuration.
            pub fn apply(&mut self, layer: Layer) {
                $( if let Some(value) = layer.$tname { self.$tname = value; } )*
                $( $(
                    if let Some(value) = layer.$section.$name { self.$section.$name = value; }
                )* )*
            }

            fn check_lower_bounds(&self) -> Result<(), ConfigError> {
                $( $(
                    if self.$tname < $tmin {
                        return Err(setting::below(stringify!($tname), $tenv, $tmin, concat!("" $(, ": ", $twhy)?)));
                    }
                )? )*
                $( $( $(
                    if self.$section.$name < $min {
                        return Err(setting::below(
                            concat!(stringify!($section), ".", stringify!($name)),
                            $env,
                            $min,
                            concat!("" $(, ": ", $why)?),
                        ));
                    }
                )? )* )*
                Ok(())
            }

            /// Each setting's value as shown, in the order of `FIELDS`.
            pub fn shown(&self) -> Vec<Shown> {
                vec![
                    $( Setting::show(&self.$tname), )*
                    $( $( Setting::show(&self.$section.$name), )* )*
                ]
            }
        }
    };
}
