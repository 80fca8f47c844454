use super::*;
use secrecy::ExposeSecret;
use std::collections::{HashMap, HashSet};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

/// Every setting changed from its default, so a field read into the wrong
/// place, or not read at all, shows.
fn all_changed() -> Config {
    Config {
        listen: "0.0.0.0:9000".parse().unwrap(),
        public_url: Url::parse("https://go.example.com/").unwrap(),
        data_dir: PathBuf::from("/var/lib/affrank"),
        max_body_bytes: 1_000,
        trusted_proxies: vec!["10.0.0.1".parse().unwrap(), "fd00::1".parse().unwrap()],
        log_format: LogFormat::Json,
        database: DatabaseSettings {
            url: None,
            pool_size: 30,
        },
        clicks: ClickSettings {
            writers: 3,
            batch_max: 500,
            link_cache_capacity: 7,
        },
        postbacks: PostbackSettings {
            writers: 4,
            batch_max: 600,
            site_rate: 11,
            site_burst: 12,
            address_rate: 13,
            address_burst: 14,
            max_body_bytes: 15,
            log_retention_days: 16,
        },
        imports: ImportSettings {
            max_body_bytes: 17,
        },
    }
}

#[test]
fn the_changed_config_changes_every_shown_setting() {
    let (default, changed) = (Config::default().shown(), all_changed().shown());
    for ((field, a), b) in FIELDS.iter().zip(&default).zip(&changed) {
        if matches!(a, Shown::Value { .. }) {
            assert_ne!(a, b, "all_changed() leaves {} at its default", field.env);
        }
    }
}

#[test]
fn layers_override_in_order() {
    let mut config = Config::default();
    let file: Layer = toml::from_str("listen = \"0.0.0.0:9000\"\nmax_body_bytes = 10").unwrap();
    config.apply(file);
    let env = Config::from_env(env(&[
        ("AFFRANK_LISTEN", "127.0.0.1:9001"),
        ("DATABASE_URL", "postgres://x@y/z"),
    ]))
    .unwrap();
    config.apply(env);
    assert_eq!(config.listen.port(), 9001);
    assert_eq!(config.max_body_bytes, 10);
    assert_eq!(
        config.database.url.as_ref().unwrap().expose_secret(),
        "postgres://x@y/z"
    );
}

#[test]
fn a_file_takes_top_level_keys_and_sections() {
    let file = file(
        r#"
listen = "0.0.0.0:9000"
data_dir = "/srv/affrank"
trusted_proxies = ["10.0.0.1"]

[database]
url = "postgres://u:pw@db/affrank"
pool_size = 5

[clicks]
writers = 3

[postbacks]
site_rate = 7
batch_max = 64
"#,
    );
    let config = Config::load_with(Some(file.path()), env(&[]), Layer::default()).unwrap();
    assert_eq!(config.listen.port(), 9000);
    assert_eq!(config.data_dir, PathBuf::from("/srv/affrank"));
    assert_eq!(
        config.trusted_proxies,
        ["10.0.0.1".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(
        config.database.url.as_ref().unwrap().expose_secret(),
        "postgres://u:pw@db/affrank"
    );
    assert_eq!(config.database.pool_size, 5);
    assert_eq!(config.clicks.writers, 3);
    assert_eq!(config.postbacks.site_rate, 7);
    assert_eq!(config.postbacks.batch_max, 64);
    // What the file leaves out keeps its default.
    assert_eq!(config.clicks.batch_max, 2048);
    assert_eq!(config.postbacks.site_burst, 1_000);
}

#[test]
fn the_file_can_come_from_affrank_config() {
    let file = file("[clicks]\nwriters = 5\n");
    let path = file.path().to_str().unwrap();
    let config =
        Config::load_with(None, env(&[("AFFRANK_CONFIG", path)]), Layer::default()).unwrap();
    assert_eq!(config.clicks.writers, 5);
}

#[test]
fn the_environment_overrides_the_file_and_flags_override_both() {
    let file = file(
        "listen = \"127.0.0.1:9000\"\npublic_url = \"https://file.test\"\n\
         data_dir = \"/from/file\"\n[postbacks]\nsite_rate = 7\naddress_rate = 8\n",
    );
    let env = env(&[
        ("AFFRANK_LISTEN", "127.0.0.1:9001"),
        ("AFFRANK_PUBLIC_URL", "https://env.test"),
        ("AFFRANK_POSTBACK_SITE_RATE", "70"),
        // Empty is unset: the file's value stands.
        ("AFFRANK_POSTBACK_ADDRESS_RATE", ""),
    ]);
    let flags = Layer {
        listen: Some("127.0.0.1:9002".parse().unwrap()),
        ..Layer::default()
    };
    let config = Config::load_with(Some(file.path()), env, flags).unwrap();
    assert_eq!(config.listen.port(), 9002, "the flag wins");
    assert_eq!(
        config.public_url.as_str(),
        "https://env.test/",
        "env over file"
    );
    assert_eq!(
        config.data_dir,
        PathBuf::from("/from/file"),
        "the file over defaults"
    );
    assert_eq!(config.postbacks.site_rate, 70);
    assert_eq!(config.postbacks.address_rate, 8);
}

#[test]
fn every_variable_in_the_list_is_read_into_its_own_setting() {
    let changed = all_changed();
    let spelled: Vec<(&str, String)> = FIELDS
        .iter()
        .zip(changed.shown())
        .filter_map(|(field, shown)| match shown {
            Shown::Value { env, .. } => Some((field.env, env)),
            _ => None,
        })
        .collect();
    let pairs: Vec<(&str, &str)> = spelled.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut config = Config::default();
    config.apply(Config::from_env(env(&pairs)).unwrap());
    assert_eq!(config.shown(), changed.shown());
}

#[test]
fn the_printed_file_reads_back_as_the_same_settings() {
    let changed = all_changed();
    let text = changed.to_toml();
    let layer: Layer = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut config = Config::default();
    config.apply(layer);
    assert_eq!(config.shown(), changed.shown(), "{text}");
    // And the printed defaults are the defaults.
    let defaults: Layer = toml::from_str(&Config::default().to_toml()).unwrap();
    let mut config = changed;
    config.apply(defaults);
    assert_eq!(config.shown(), Config::default().shown());
}

#[test]
fn postbacks_have_a_batch_max_of_their_own() {
    let config = Config::load_with(
        None,
        env(&[("AFFRANK_CLICK_BATCH_MAX", "5")]),
        Layer::default(),
    )
    .unwrap();
    assert_eq!(
        (config.clicks.batch_max, config.postbacks.batch_max),
        (5, 2048)
    );
    let config = Config::load_with(
        None,
        env(&[("AFFRANK_POSTBACK_BATCH_MAX", "7")]),
        Layer::default(),
    )
    .unwrap();
    assert_eq!(
        (config.clicks.batch_max, config.postbacks.batch_max),
        (2048, 7)
    );
    let err = Config::load_with(
        None,
        env(&[("AFFRANK_POSTBACK_BATCH_MAX", "0")]),
        Layer::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "postbacks.batch_max (AFFRANK_POSTBACK_BATCH_MAX) must be at least 1"
    );
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let err = Config::from_env(env(&[("AFFRANK_LISTEN", "nope")])).unwrap_err();
    assert!(err.to_string().contains("AFFRANK_LISTEN"), "{err}");
    let err = Config::from_env(env(&[("AFFRANK_TRUSTED_PROXIES", "10.0.0.1, x")])).unwrap_err();
    assert!(
        err.to_string().contains("AFFRANK_TRUSTED_PROXIES") && err.to_string().contains("\" x\""),
        "{err}"
    );
    let err = Config::from_env(env(&[("AFFRANK_LOG_FORMAT", "yaml")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable AFFRANK_LOG_FORMAT: \"yaml\" is neither \"pretty\" nor \"json\""
    );
}

#[test]
fn the_pool_must_leave_a_connection_beside_the_writers() {
    let mut config = Config::default();
    config.database.pool_size = 2;
    let err = config.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "database.pool_size (AFFRANK_DB_POOL_SIZE) must be at least 3: the click writers and \
         the postback writers each keep one connection, the rest serve everything else"
    );
    config.database.pool_size = 3;
    assert!(config.validate().is_ok());
}

#[test]
fn zero_writers_rates_or_retention_are_refused() {
    let zeroes: [fn(&mut Config); 4] = [
        |c| c.clicks.writers = 0,
        |c| c.postbacks.writers = 0,
        |c| c.postbacks.address_burst = 0,
        |c| c.postbacks.log_retention_days = 0,
    ];
    for zero in zeroes {
        let mut config = Config::default();
        zero(&mut config);
        let err = config.validate().unwrap_err().to_string();
        assert!(err.ends_with("must be at least 1"), "{err}");
    }
    let config = Config {
        public_url: Url::parse("ftp://go.example.com").unwrap(),
        ..Config::default()
    };
    assert!(config.validate().is_err());
}

#[test]
fn unknown_keys_in_the_file_are_rejected() {
    assert!(toml::from_str::<Layer>("lisen = \"x\"").is_err());
    // One in a section, one a section of its own: each error names it.
    for (text, name) in [
        ("[clicks]\nwriter = 2\n", "writer"),
        ("[postback]\nsite_rate = 1\n", "postback"),
        // Sections' keys do not sit at the top.
        ("pool_size = 4\n", "pool_size"),
    ] {
        let file = file(text);
        let err = Config::load_with(Some(file.path()), env(&[]), Layer::default()).unwrap_err();
        // As `affrank` prints it: once, not again as the error's source.
        let err = format!("{:#}", anyhow::Error::from(err));
        assert_eq!(
            err.matches(&format!("unknown field `{name}`")).count(),
            1,
            "{err}"
        );
    }
}

#[test]
fn database_url_is_not_printed() {
    let layer = Config::from_env(env(&[("DATABASE_URL", "postgres://u:hunter2@h/d")])).unwrap();
    assert!(!format!("{layer:?}").contains("hunter2"));
    let mut config = Config::default();
    config.apply(layer);
    assert!(!format!("{config:?}").contains("hunter2"));
    let text = config.to_toml();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("# url is set (not shown)"), "{text}");
    let file: Layer = toml::from_str("[database]\nurl = \"postgres://u:hunter2@h/d\"").unwrap();
    assert!(!format!("{file:?}").contains("hunter2"));
}

#[test]
fn the_list_names_each_variable_and_key_once() {
    let mut envs = HashSet::new();
    let mut keys = HashSet::new();
    for field in FIELDS {
        assert!(envs.insert(field.env), "{} twice", field.env);
        assert!(
            keys.insert((field.section, field.key)),
            "{} twice",
            field.key
        );
        assert!(
            field.env.starts_with("AFFRANK_") || field.env == "DATABASE_URL",
            "{}",
            field.env
        );
        assert!(
            !field.doc.trim().is_empty(),
            "{} has no doc line",
            field.env
        );
    }
}

#[test]
fn the_markdown_table_has_a_row_per_setting_with_its_default() {
    let table = markdown_table();
    assert_eq!(table.lines().count(), 2 + FIELDS.len());
    for row in [
        "| `AFFRANK_POSTBACK_BATCH_MAX` | `[postbacks]` `batch_max` |  | `2048` | Most postbacks in one commit. |",
        "| `AFFRANK_LISTEN` | `listen` | `--listen` | `127.0.0.1:8787` | Address to serve on. |",
        "| `AFFRANK_DB_POOL_SIZE` | `[database]` `pool_size` |  | `16` | Connections in the pool. At least 3: the click writers and the postback writers each keep one connection, the rest serve everything else. |",
        "| `AFFRANK_TRUSTED_PROXIES` | `trusted_proxies` |  | `127.0.0.1,::1` | Peers whose `X-Forwarded-For` is believed. |",
        "| `DATABASE_URL` | `[database]` `url` |  | unset | PostgreSQL connection string; unset: an embedded cluster in the data directory. |",
    ] {
        assert!(table.lines().any(|l| l == row), "no {row} in\n{table}");
    }
}

/// Deployments set these names: renaming one silently drops a setting.
#[test]
fn the_variable_names_stay_as_released() {
    let names: Vec<(String, &str)> = FIELDS
        .iter()
        .map(|f| match f.section {
            Some(section) => (format!("{section}.{}", f.key), f.env),
            None => (f.key.to_owned(), f.env),
        })
        .collect();
    let released = [
        ("listen", "AFFRANK_LISTEN"),
        ("public_url", "AFFRANK_PUBLIC_URL"),
        ("data_dir", "AFFRANK_DATA_DIR"),
        ("max_body_bytes", "AFFRANK_MAX_BODY_BYTES"),
        ("trusted_proxies", "AFFRANK_TRUSTED_PROXIES"),
        ("log_format", "AFFRANK_LOG_FORMAT"),
        ("database.url", "DATABASE_URL"),
        ("database.pool_size", "AFFRANK_DB_POOL_SIZE"),
        ("clicks.writers", "AFFRANK_CLICK_WRITERS"),
        ("clicks.batch_max", "AFFRANK_CLICK_BATCH_MAX"),
        ("clicks.link_cache_capacity", "AFFRANK_LINK_CACHE_CAPACITY"),
        ("postbacks.writers", "AFFRANK_POSTBACK_WRITERS"),
        ("postbacks.batch_max", "AFFRANK_POSTBACK_BATCH_MAX"),
        ("postbacks.site_rate", "AFFRANK_POSTBACK_SITE_RATE"),
        ("postbacks.site_burst", "AFFRANK_POSTBACK_SITE_BURST"),
        ("postbacks.address_rate", "AFFRANK_POSTBACK_ADDRESS_RATE"),
        ("postbacks.address_burst", "AFFRANK_POSTBACK_ADDRESS_BURST"),
        (
            "postbacks.max_body_bytes",
            "AFFRANK_POSTBACK_MAX_BODY_BYTES",
        ),
        (
            "postbacks.log_retention_days",
            "AFFRANK_POSTBACK_LOG_RETENTION_DAYS",
        ),
        ("imports.max_body_bytes", "AFFRANK_IMPORT_MAX_BODY_BYTES"),
    ];
    let released: Vec<(String, &str)> = released
        .iter()
        .map(|(key, env)| (key.to_string(), *env))
        .collect();
    assert_eq!(names, released);
}

#[test]
fn without_a_public_url_links_use_the_port_listened_on() {
    let flags = Layer {
        listen: Some("127.0.0.1:9311".parse().unwrap()),
        ..Layer::default()
    };
    let config = Config::load_with(None, env(&[]), flags).unwrap();
    assert_eq!(config.public_base(), "http://127.0.0.1:9311");

    let everywhere = Config::load_with(
        None,
        env(&[("AFFRANK_LISTEN", "0.0.0.0:9312")]),
        Layer::default(),
    )
    .unwrap();
    assert_eq!(
        everywhere.public_base(),
        "http://127.0.0.1:9312",
        "an unspecified address is reached on loopback"
    );
    let v6 = Config::load_with(
        None,
        env(&[("AFFRANK_LISTEN", "[::]:9313")]),
        Layer::default(),
    )
    .unwrap();
    assert_eq!(v6.public_base(), "http://[::1]:9313");

    let chosen = Config::load_with(
        None,
        env(&[
            ("AFFRANK_LISTEN", "127.0.0.1:9314"),
            ("AFFRANK_PUBLIC_URL", "https://go.example.com"),
        ]),
        Layer::default(),
    )
    .unwrap();
    assert_eq!(
        chosen.public_base(),
        "https://go.example.com",
        "a public URL that was set wins"
    );
    assert_eq!(
        Config::load_with(None, env(&[]), Layer::default())
            .unwrap()
            .public_base(),
        "http://127.0.0.1:8787"
    );
}
