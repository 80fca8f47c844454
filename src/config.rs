//! Typed configuration, layered: built-in defaults, then an optional TOML
//! file, then `AFFRANK_*` / `DATABASE_URL` environment variables, then flags.

use secrecy::SecretString;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use url::Url;

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// The base rewritten links point at, e.g. `https://go.example.com`.
    pub public_url: Url,
    /// `None`: run an embedded cluster under `data_dir`.
    pub database_url: Option<SecretString>,
    pub data_dir: PathBuf,
    pub max_body_bytes: u64,
    pub db_pool_size: usize,
    pub click_writers: usize,
    pub click_batch_max: usize,
    pub link_cache_capacity: u64,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    pub log_format: LogFormat,
    /// Group-commit writer tasks for postbacks (each one connection).
    pub postback_writers: usize,
    /// Postbacks per second (and burst) one site may send.
    pub postback_site_rate: u32,
    pub postback_site_burst: u32,
    /// Postbacks per second (and burst) from one source address (IPv6: /64).
    pub postback_address_rate: u32,
    pub postback_address_burst: u32,
    /// Largest postback body; postbacks are a few hundred bytes.
    pub postback_max_body_bytes: u64,
    /// Days the postback log keeps a row.
    pub postback_log_retention_days: u32,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What a layer (file, environment, flags) may set; unset fields fall through.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<Url>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub max_body_bytes: Option<u64>,
    pub db_pool_size: Option<usize>,
    pub click_writers: Option<usize>,
    pub click_batch_max: Option<usize>,
    pub link_cache_capacity: Option<u64>,
    pub trusted_proxies: Option<Vec<IpAddr>>,
    pub log_format: Option<LogFormat>,
    pub postback_writers: Option<usize>,
    pub postback_site_rate: Option<u32>,
    pub postback_site_burst: Option<u32>,
    pub postback_address_rate: Option<u32>,
    pub postback_address_burst: Option<u32>,
    pub postback_max_body_bytes: Option<u64>,
    pub postback_log_retention_days: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("environment variable {name}: {message}")]
    Env { name: &'static str, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Default for Config {
    fn default() -> Self {
        let listen: SocketAddr = "127.0.0.1:8787".parse().expect("valid");
        Self {
            listen,
            public_url: Url::parse("http://127.0.0.1:8787").expect("valid"),
            database_url: None,
            data_dir: PathBuf::from("affrank-data"),
            max_body_bytes: 5 * 1024 * 1024,
            db_pool_size: 16,
            click_writers: 2,
            click_batch_max: 2048,
            link_cache_capacity: 100_000,
            trusted_proxies: vec!["127.0.0.1".parse().expect("ip"), "::1".parse().expect("ip")],
            log_format: LogFormat::Pretty,
            // A network's burst after a batch approval must never hit these;
            // a flood from one address still does.
            postback_writers: 2,
            postback_site_rate: 100,
            postback_site_burst: 1_000,
            postback_address_rate: 100,
            postback_address_burst: 1_000,
            postback_max_body_bytes: 64 * 1024,
            postback_log_retention_days: 90,
        }
    }
}

impl Config {
    /// Defaults < file (`--config` or `AFFRANK_CONFIG`) < environment < flags.
    pub fn load(file: Option<&Path>, flags: Layer) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("AFFRANK_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            config.apply(Self::read_file(&path)?);
        }
        config.apply(Self::from_env(|name| std::env::var(name).ok())?);
        config.apply(flags);
        config.validate()?;
        Ok(config)
    }

    fn read_file(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }

    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
        fn parse<T: std::str::FromStr>(
            name: &'static str,
            value: Option<String>,
        ) -> Result<Option<T>, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse().map_err(|e: T::Err| ConfigError::Env {
                        name,
                        message: e.to_string(),
                    })
                })
                .transpose()
        }
        let trusted_proxies = match get("AFFRANK_TRUSTED_PROXIES").filter(|v| !v.is_empty()) {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .map(|ip| {
                        ip.trim()
                            .parse()
                            .map_err(|e: std::net::AddrParseError| ConfigError::Env {
                                name: "AFFRANK_TRUSTED_PROXIES",
                                message: format!("{ip:?}: {e}"),
                            })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let log_format = match get("AFFRANK_LOG_FORMAT")
            .filter(|v| !v.is_empty())
            .as_deref()
        {
            None => None,
            Some("json") => Some(LogFormat::Json),
            Some("pretty") => Some(LogFormat::Pretty),
            Some(other) => {
                return Err(ConfigError::Env {
                    name: "AFFRANK_LOG_FORMAT",
                    message: format!("{other:?} is neither \"pretty\" nor \"json\""),
                });
            }
        };
        Ok(Layer {
            listen: parse("AFFRANK_LISTEN", get("AFFRANK_LISTEN"))?,
            public_url: parse("AFFRANK_PUBLIC_URL", get("AFFRANK_PUBLIC_URL"))?,
            database_url: get("DATABASE_URL").filter(|v| !v.is_empty()),
            data_dir: get("AFFRANK_DATA_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            max_body_bytes: parse("AFFRANK_MAX_BODY_BYTES", get("AFFRANK_MAX_BODY_BYTES"))?,
            db_pool_size: parse("AFFRANK_DB_POOL_SIZE", get("AFFRANK_DB_POOL_SIZE"))?,
            click_writers: parse("AFFRANK_CLICK_WRITERS", get("AFFRANK_CLICK_WRITERS"))?,
            click_batch_max: parse("AFFRANK_CLICK_BATCH_MAX", get("AFFRANK_CLICK_BATCH_MAX"))?,
            link_cache_capacity: parse(
                "AFFRANK_LINK_CACHE_CAPACITY",
                get("AFFRANK_LINK_CACHE_CAPACITY"),
            )?,
            trusted_proxies,
            log_format,
            postback_writers: parse("AFFRANK_POSTBACK_WRITERS", get("AFFRANK_POSTBACK_WRITERS"))?,
            postback_site_rate: parse(
                "AFFRANK_POSTBACK_SITE_RATE",
                get("AFFRANK_POSTBACK_SITE_RATE"),
            )?,
            postback_site_burst: parse(
                "AFFRANK_POSTBACK_SITE_BURST",
                get("AFFRANK_POSTBACK_SITE_BURST"),
            )?,
            postback_address_rate: parse(
                "AFFRANK_POSTBACK_ADDRESS_RATE",
                get("AFFRANK_POSTBACK_ADDRESS_RATE"),
            )?,
            postback_address_burst: parse(
                "AFFRANK_POSTBACK_ADDRESS_BURST",
                get("AFFRANK_POSTBACK_ADDRESS_BURST"),
            )?,
            postback_max_body_bytes: parse(
                "AFFRANK_POSTBACK_MAX_BODY_BYTES",
                get("AFFRANK_POSTBACK_MAX_BODY_BYTES"),
            )?,
            postback_log_retention_days: parse(
                "AFFRANK_POSTBACK_LOG_RETENTION_DAYS",
                get("AFFRANK_POSTBACK_LOG_RETENTION_DAYS"),
            )?,
        })
    }

    pub fn apply(&mut self, layer: Layer) {
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = layer.$field { self.$field = v; })* };
        }
        set!(
            listen,
            public_url,
            data_dir,
            max_body_bytes,
            db_pool_size,
            click_writers,
            click_batch_max,
            link_cache_capacity,
            trusted_proxies,
            log_format,
            postback_writers,
            postback_site_rate,
            postback_site_burst,
            postback_address_rate,
            postback_address_burst,
            postback_max_body_bytes,
            postback_log_retention_days
        );
        if let Some(url) = layer.database_url {
            self.database_url = Some(SecretString::from(url));
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.public_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(
                "public_url must be an http or https URL".into(),
            ));
        }
        if self.db_pool_size < 3 {
            return Err(ConfigError::Invalid(
                "db_pool_size must be at least 3: the click writers and the postback writers each keep one connection, the rest serve everything else"
                    .into(),
            ));
        }
        if self.click_writers == 0 || self.click_batch_max == 0 || self.postback_writers == 0 {
            return Err(ConfigError::Invalid(
                "click_writers, click_batch_max and postback_writers must be at least 1".into(),
            ));
        }
        let quotas = [
            self.postback_site_rate,
            self.postback_site_burst,
            self.postback_address_rate,
            self.postback_address_burst,
            self.postback_log_retention_days,
        ];
        if quotas.contains(&0) {
            return Err(ConfigError::Invalid(
                "postback rates, bursts and the log retention must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Where rewritten links point unless a site sets its own tracking base.
    pub fn public_base(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn layers_override_in_order() {
        let mut config = Config::default();
        let file: Layer = toml::from_str("listen = \"0.0.0.0:9000\"\nmax_body_bytes = 10").unwrap();
        config.apply(file);
        let env = Config::from_env(|name| match name {
            "AFFRANK_LISTEN" => Some("127.0.0.1:9001".into()),
            "DATABASE_URL" => Some("postgres://x@y/z".into()),
            _ => None,
        })
        .unwrap();
        config.apply(env);
        assert_eq!(config.listen.port(), 9001);
        assert_eq!(config.max_body_bytes, 10);
        assert_eq!(
            config.database_url.as_ref().unwrap().expose_secret(),
            "postgres://x@y/z"
        );
    }

    #[test]
    fn a_bad_environment_value_names_the_variable() {
        let err =
            Config::from_env(|name| (name == "AFFRANK_LISTEN").then(|| "nope".into())).unwrap_err();
        assert!(err.to_string().contains("AFFRANK_LISTEN"), "{err}");
    }

    #[test]
    fn the_pool_must_leave_a_connection_beside_the_writers() {
        let mut config = Config {
            db_pool_size: 2,
            ..Config::default()
        };
        let err = config.validate().unwrap_err();
        assert!(
            err.to_string().contains("db_pool_size must be at least 3"),
            "{err}"
        );
        config.db_pool_size = 3;
        assert!(config.validate().is_ok());
    }

    #[test]
    fn unknown_keys_in_the_file_are_rejected() {
        assert!(toml::from_str::<Layer>("lisen = \"x\"").is_err());
    }

    #[test]
    fn database_url_is_not_printed_by_debug() {
        let mut config = Config::default();
        config.apply(Layer {
            database_url: Some("postgres://u:hunter2@h/d".into()),
            ..Layer::default()
        });
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
