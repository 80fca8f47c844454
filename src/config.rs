//! Typed configuration, layered: built-in defaults, then an optional TOML
//! file, then `AFFRANK_*` / `DATABASE_URL` environment variables, then flags.
//!
//! Every setting is declared once, in the `settings!` list below: its place
//! in the file, type, default, environment variable, flag and doc line. The
//! macro makes `Config` and its sections, the `Layer` a file, the environment
//! or the flags fill in, the merging, the lower bounds, and `FIELDS`, from
//! which `to_toml` prints a config file and `markdown_table` the README's.

use secrecy::SecretString;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use url::Url;

#[macro_use]
mod declare;
mod setting;

use setting::parsed;
pub use setting::{Field, Setting, Shown};

settings! {
    top {
        /// Address to serve on.
        listen: SocketAddr = parsed("127.0.0.1:8787"), env "AFFRANK_LISTEN", flag "--listen";
        /// Base of rewritten links and postback URLs (a site may set its own `tracking_base_url`).
        public_url: Url = parsed("http://127.0.0.1:8787"), env "AFFRANK_PUBLIC_URL", flag "--public-url";
        /// The spool, the link snapshot, and the embedded cluster.
        data_dir: PathBuf = PathBuf::from("affrank-data"), env "AFFRANK_DATA_DIR", flag "--data-dir";
        /// Larger request bodies get 413.
        max_body_bytes: u64 = 5 * 1024 * 1024, env "AFFRANK_MAX_BODY_BYTES";
        /// Peers whose `X-Forwarded-For` is believed.
        trusted_proxies: Vec<IpAddr> = parsed("127.0.0.1,::1"), env "AFFRANK_TRUSTED_PROXIES";
        /// `pretty` or `json` (logs go to stderr).
        log_format: LogFormat = LogFormat::Pretty, env "AFFRANK_LOG_FORMAT";
    }

    /// The PostgreSQL that keeps the tables.
    [database] DatabaseSettings {
        /// PostgreSQL connection string; unset: an embedded cluster in the data directory.
        url: Option<SecretString> = None, env "DATABASE_URL";
        /// Connections in the pool.
        pool_size: usize = 16, env "AFFRANK_DB_POOL_SIZE", at_least 3
            because "the click writers and the postback writers each keep one connection, the rest serve everything else";
    }

    /// The click path: `/go/` redirects and their group commits.
    [clicks] ClickSettings {
        /// Group-commit writer tasks: the most click batches in flight at once.
        writers: usize = 2, env "AFFRANK_CLICK_WRITERS", at_least 1;
        /// Most clicks in one commit.
        batch_max: usize = 2048, env "AFFRANK_CLICK_BATCH_MAX", at_least 1;
        /// Links kept in memory for `/go/`.
        link_cache_capacity: u64 = 100_000, env "AFFRANK_LINK_CACHE_CAPACITY";
    }

    // A network's burst after a batch approval must never hit the rates; a
    // flood from one address still does.
    /// Conversions the networks post back.
    [postbacks] PostbackSettings {
        /// Group-commit writer tasks for postbacks.
        writers: usize = 2, env "AFFRANK_POSTBACK_WRITERS", at_least 1;
        /// Most postbacks in one commit.
        batch_max: usize = 2048, env "AFFRANK_POSTBACK_BATCH_MAX", at_least 1;
        /// Postbacks per second one site may send, counted only once its token is right.
        site_rate: u32 = 100, env "AFFRANK_POSTBACK_SITE_RATE", at_least 1;
        /// Burst on top of `site_rate`.
        site_burst: u32 = 1_000, env "AFFRANK_POSTBACK_SITE_BURST", at_least 1;
        /// Postbacks per second from one source address (an IPv6 /64 is one address), checked first.
        address_rate: u32 = 100, env "AFFRANK_POSTBACK_ADDRESS_RATE", at_least 1;
        /// Burst on top of `address_rate`.
        address_burst: u32 = 1_000, env "AFFRANK_POSTBACK_ADDRESS_BURST", at_least 1;
        /// Larger postback bodies get 413 (a postback is a few hundred bytes).
        max_body_bytes: u64 = 64 * 1024, env "AFFRANK_POSTBACK_MAX_BODY_BYTES";
        /// Days a postback log row is kept (pruned hourly).
        log_retention_days: u32 = 90, env "AFFRANK_POSTBACK_LOG_RETENTION_DAYS", at_least 1;
    }

    /// Report imports: networks' transaction exports sent to `POST /api/v1/imports`.
    [imports] ImportSettings {
        /// Larger import files get 413 (the file is streamed to a temporary file, never held in memory).
        max_body_bytes: u64 = 100 * 1024 * 1024, env "AFFRANK_IMPORT_MAX_BODY_BYTES";
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            other => Err(format!("{other:?} is neither \"pretty\" nor \"json\"")),
        }
    }
}

impl std::fmt::Display for LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pretty => "pretty",
            Self::Json => "json",
        })
    }
}

// `error`, not `source`: the message already includes it, and a source
// would print it twice in `{:#}`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("config file {path}: {error}")]
    Parse {
        path: PathBuf,
        error: Box<toml::de::Error>,
    },
    #[error("environment variable {name}: {message}")]
    Env { name: &'static str, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Defaults < file (`--config` or `AFFRANK_CONFIG`) < environment < flags.
    pub fn load(file: Option<&Path>, flags: Layer) -> Result<Self, ConfigError> {
        Self::load_with(file, |name| std::env::var(name).ok(), flags)
    }

    /// `load`, with `env` standing in for the process environment.
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        flags: Layer,
    ) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env("AFFRANK_CONFIG").map(PathBuf::from));
        let mut layers = Vec::new();
        if let Some(path) = file {
            layers.push(Self::read_file(&path)?);
        }
        layers.push(Self::from_env(env)?);
        layers.push(flags);
        let public_url_set = layers.iter().any(|l| l.public_url.is_some());
        for layer in layers {
            config.apply(layer);
        }
        if !public_url_set {
            // `serve --listen 127.0.0.1:9000` alone must hand out links and
            // postback URLs on port 9000, not the default's 8787.
            config.public_url = Self::url_of(config.listen);
        }
        config.validate()?;
        Ok(config)
    }

    fn read_file(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            error: Box::new(error),
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.public_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(
                "public_url must be an http or https URL".into(),
            ));
        }
        self.check_lower_bounds()
    }

    /// `http://` and the listening address, loopback for an unspecified one
    /// (`0.0.0.0`, `::`).
    fn url_of(listen: std::net::SocketAddr) -> Url {
        let ip = match listen.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
            ip => ip,
        };
        let address = std::net::SocketAddr::new(ip, listen.port());
        Url::parse(&format!("http://{address}")).expect("a socket address makes a URL")
    }

    /// Where rewritten links point unless a site sets its own tracking base.
    pub fn public_base(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// This configuration as a TOML file, each setting under its doc line and
    /// variable; the database URL is left out.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let mut section = None;
        for (field, shown) in FIELDS.iter().zip(self.shown()) {
            if field.section != section {
                section = field.section;
                let name = section.expect("the top-level settings come first");
                let doc = SECTIONS.iter().find(|(s, _)| *s == name).map(|(_, d)| *d);
                out.push_str(&format!("\n# {}\n[{name}]\n", doc.unwrap_or_default()));
            }
            let line = match shown {
                Shown::Value { toml, .. } => format!("{} = {toml}", field.key),
                Shown::Unset => format!("# {} is unset", field.key),
                Shown::Hidden => format!("# {} is set (not shown)", field.key),
            };
            out.push_str(&format!("# {} ({})\n{line}\n", field.doc, field.names()));
        }
        out
    }
}

/// The README's table of settings with their defaults, in Markdown.
pub fn markdown_table() -> String {
    let mut out =
        String::from("| variable | file | flag | default | meaning |\n|---|---|---|---|---|\n");
    for (field, shown) in FIELDS.iter().zip(Config::default().shown()) {
        let key = match field.section {
            Some(section) => format!("`[{section}]` `{}`", field.key),
            None => format!("`{}`", field.key),
        };
        let flag = field.flag.map(|f| format!("`{f}`")).unwrap_or_default();
        let default = match shown {
            Shown::Value { env, .. } => format!("`{env}`"),
            Shown::Unset | Shown::Hidden => "unset".into(),
        };
        let bound = match (field.at_least, field.because) {
            (Some(min), Some(why)) => format!(" At least {min}: {why}."),
            _ => String::new(),
        };
        out.push_str(&format!(
            "| `{}` | {key} | {flag} | {default} | {}{bound} |\n",
            field.env, field.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests;
