//! What a setting's type must do beyond deserialising from TOML: read its
//! environment variable, and show its value (unless it is a secret).

use super::{ConfigError, LogFormat};
use secrecy::SecretString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use url::Url;

/// One setting, as the list in `config.rs` declares it.
#[derive(Debug)]
pub struct Field {
    /// The TOML table it sits in; `None`: the top of the file.
    pub section: Option<&'static str>,
    pub key: &'static str,
    pub env: &'static str,
    pub flag: Option<&'static str>,
    pub doc: &'static str,
    /// The lowest value allowed, and why when it is not just "some".
    pub at_least: Option<u64>,
    pub because: Option<&'static str>,
}

impl Field {
    /// `VARIABLE` or `VARIABLE, --flag`.
    pub fn names(&self) -> String {
        match self.flag {
            Some(flag) => format!("{}, {flag}", self.env),
            None => self.env.to_owned(),
        }
    }
}

/// A value as `affrank config` and the README show it.
#[derive(Debug, PartialEq, Eq)]
pub enum Shown {
    /// As the environment variable spells it, and as a TOML value.
    Value {
        env: String,
        toml: String,
    },
    Unset,
    /// A secret: never shown.
    Hidden,
}

pub trait Setting: Sized {
    /// Parses an environment variable's text; the error says why not.
    fn from_env(text: &str) -> Result<Self, String>;
    fn show(&self) -> Shown;
}

/// Reads `name` through `get`; empty counts as unset.
pub fn from_env<T: Setting>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<T>, ConfigError> {
    get(name)
        .filter(|text| !text.is_empty())
        .map(|text| T::from_env(&text).map_err(|message| ConfigError::Env { name, message }))
        .transpose()
}

/// A built-in default, written the way its variable would be.
pub fn parsed<T: Setting>(text: &str) -> T {
    T::from_env(text).unwrap_or_else(|e| panic!("built-in default {text:?}: {e}"))
}

pub fn below(key: &str, env: &str, min: u64, why: &str) -> ConfigError {
    ConfigError::Invalid(format!("{key} ({env}) must be at least {min}{why}"))
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Types whose `FromStr` and `Display` are the environment's spelling;
/// `$quote`: whether TOML writes them as strings.
macro_rules! via_from_str {
    ($quote:expr => $($t:ty),*) => {$(
        impl Setting for $t {
            fn from_env(text: &str) -> Result<Self, String> {
                text.parse().map_err(|e: <$t as std::str::FromStr>::Err| e.to_string())
            }
            fn show(&self) -> Shown {
                let env = self.to_string();
                let toml = if $quote { quoted(&env) } else { env.clone() };
                Shown::Value { env, toml }
            }
        }
    )*};
}

via_from_str!(false => u32, u64, usize);
via_from_str!(true => SocketAddr, Url, LogFormat);

impl Setting for PathBuf {
    fn from_env(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
    fn show(&self) -> Shown {
        let env = self.display().to_string();
        Shown::Value {
            toml: quoted(&env),
            env,
        }
    }
}

/// A comma-separated list in the environment, an array in TOML.
impl Setting for Vec<IpAddr> {
    fn from_env(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(|ip| {
                ip.trim()
                    .parse()
                    .map_err(|e: std::net::AddrParseError| format!("{ip:?}: {e}"))
            })
            .collect()
    }
    fn show(&self) -> Shown {
        let all: Vec<String> = self.iter().map(IpAddr::to_string).collect();
        let toml: Vec<String> = all.iter().map(|ip| quoted(ip)).collect();
        Shown::Value {
            env: all.join(","),
            toml: format!("[{}]", toml.join(", ")),
        }
    }
}

impl Setting for SecretString {
    fn from_env(text: &str) -> Result<Self, String> {
        Ok(SecretString::from(text))
    }
    fn show(&self) -> Shown {
        Shown::Hidden
    }
}

impl<T: Setting> Setting for Option<T> {
    fn from_env(text: &str) -> Result<Self, String> {
        T::from_env(text).map(Some)
    }
    fn show(&self) -> Shown {
        self.as_ref().map_or(Shown::Unset, T::show)
    }
}
