//! The `affrank` command line.

mod psql;
mod site_admin;

use crate::config::{Config, Layer, markdown_table};
use crate::db;
use crate::ids::{ApiKey, SiteId, mint_postback_secret};
use crate::networks::PostbackTemplate;
use crate::sites::{SiteSettings, sql as site_sql};
use crate::startup::{Application, Database};
use crate::telemetry;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use url::Url;

#[derive(Parser)]
#[command(
    name = "affrank",
    version,
    about = "AffRank sidecar: affiliate link tracking and revenue attribution"
)]
struct Cli {
    /// TOML configuration file (also AFFRANK_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory: the spool, and the embedded PostgreSQL cluster when
    /// DATABASE_URL is unset (also AFFRANK_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the click redirect (applies migrations first).
    Serve {
        /// Address to listen on (also AFFRANK_LISTEN).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Base URL that rewritten links point at (also AFFRANK_PUBLIC_URL).
        #[arg(long)]
        public_url: Option<Url>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Print the configuration in effect (defaults, file, environment and
    /// flags merged) as a TOML file; the database URL is not shown.
    Config {
        /// Print the built-in defaults instead.
        #[arg(long)]
        print_defaults: bool,
        /// Print every setting as a Markdown table (for the README).
        #[arg(long, conflicts_with = "print_defaults")]
        markdown: bool,
    },
    /// Manage sites.
    Site {
        #[command(subcommand)]
        command: SiteCommand,
    },
    /// Fill a site with a realistic year of clicks and conversions (Zipf-like
    /// keywords and pages, bots, leads, pending, rejected and reversed
    /// sales, unmatched postbacks) through the production tables.
    DemoData {
        /// The site to fill (its site_id).
        #[arg(long)]
        site: String,
        #[arg(long, default_value_t = 1_000_000)]
        clicks: u64,
        /// Days of traffic, ending on --end.
        #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3660))]
        days: u32,
        /// The same seed gives the same traffic on any site (session ids
        /// are the site's own); a seed already run on a site is refused.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The last day of traffic, YYYY-MM-DD (UTC); default today.
        #[arg(long)]
        end: Option<chrono::NaiveDate>,
        /// Share of human clicks that convert.
        #[arg(long, default_value_t = 0.02)]
        conversion_rate: f64,
    },
    /// Import a network's transaction report (CSV, TSV or XLSX) into a
    /// site's conversions: applied whole, or not at all when a row is
    /// refused (unless --skip-rejected). Exits non-zero when not applied.
    Import {
        /// The site (its site_id).
        #[arg(long)]
        site: String,
        /// A network preset (amazon-earnings, cj-commission-detail, …; see
        /// GET /api/v1/imports/presets).
        #[arg(long, conflicts_with = "columns", required_unless_present = "columns")]
        preset: Option<String>,
        /// A generic mapping FIELD=COLUMN,… (fields: transaction_id,
        /// session_id, amount, currency, status, date, network, label,
        /// product; transaction_id, amount and date required).
        #[arg(long)]
        columns: Option<String>,
        /// The currency of rows the file names none for (Amazon's reports).
        #[arg(long)]
        currency: Option<String>,
        /// Read, match and count everything, then change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply the good rows even when some are refused.
        #[arg(long)]
        skip_rejected: bool,
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
        file: PathBuf,
    },
    /// Open psql on the database affrank uses: the embedded cluster's
    /// socket (started for the session if no serve runs it), or
    /// DATABASE_URL. Arguments after `--` go to psql.
    Psql {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Create a site and print its id, API key (shown once), postback secret and URL.
    Add {
        #[arg(long)]
        name: String,
        /// The blog's address, e.g. https://blog.example.com
        #[arg(long)]
        url: String,
        /// ISO 4217 code of the site's reporting currency.
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Base URL for the postback URL (default: the public URL).
        #[arg(long)]
        public_url: Option<Url>,
    },
    /// List every site: id, name, URL, currency, when it was created, its
    /// clicks (bots included) and conversions (any status).
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Issue a new API key, shown once; the old one stops working at once.
    /// With --postback-secret, a new postback secret instead, the old one
    /// still taken for --grace-days so networks keep working meanwhile.
    RotateKey {
        #[arg(long)]
        site: String,
        /// Rotate the postback secret instead of the API key.
        #[arg(long)]
        postback_secret: bool,
        /// Days the old postback secret is still taken (0: not at all).
        #[arg(long, default_value_t = 14, requires = "postback_secret",
              value_parser = clap::value_parser!(u32).range(0..=365))]
        grace_days: u32,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Base URL for the postback URL (default: the site's tracking URL,
        /// else the public URL).
        #[arg(long)]
        public_url: Option<Url>,
    },
    /// Delete a site with all its data (links, clicks, conversions, postback
    /// log, reports), after you type its id to confirm.
    Remove {
        #[arg(long)]
        site: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut flags = Layer {
        data_dir: cli.data_dir,
        ..Layer::default()
    };
    if let Command::Serve { listen, public_url } = &cli.command {
        flags.listen = *listen;
        flags.public_url = public_url.clone();
    }
    if let Command::Site {
        command: SiteCommand::Add { public_url, .. } | SiteCommand::RotateKey { public_url, .. },
    } = &cli.command
    {
        flags.public_url = public_url.clone();
    }
    // The defaults and the table need no configuration, so a broken one
    // does not keep them from printing.
    if let Command::Config {
        print_defaults,
        markdown,
    } = cli.command
        && (print_defaults || markdown)
    {
        if markdown {
            print!("{}", markdown_table());
        } else {
            print!("{}", Config::default().to_toml());
        }
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref(), flags)?;
    telemetry::init_logging(config.log_format);
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Config { .. } => {
            print!("{}", config.to_toml());
            Ok(())
        }
        Command::Migrate => {
            with_database(&config, |pool| async move {
                let applied = db::migrate(&pool).await?;
                if applied.is_empty() {
                    println!("the database is up to date");
                }
                for version in applied {
                    println!("applied {version}");
                }
                Ok(())
            })
            .await
        }
        Command::DemoData {
            site,
            clicks,
            days,
            seed,
            end,
            conversion_rate,
        } => {
            if !(0.0..=1.0).contains(&conversion_rate) {
                anyhow::bail!("--conversion-rate must be between 0 and 1");
            }
            let options = crate::demo::Options {
                site,
                clicks,
                days,
                seed,
                end,
                conversion_rate,
            };
            with_database(&config, |pool| async move {
                db::migrate(&pool).await?;
                let summary = crate::demo::run(&pool, &options).await?;
                println!("{summary}");
                Ok(())
            })
            .await
        }
        Command::Site {
            command:
                SiteCommand::Add {
                    name,
                    url,
                    currency,
                    json,
                    ..
                },
        } => {
            let base = config.public_base();
            with_database(&config, |pool| async move {
                db::migrate(&pool).await?;
                add_site(&pool, &base, &name, &url, &currency, json).await
            })
            .await
        }
        Command::Site {
            command: SiteCommand::List { json },
        } => {
            with_database(&config, |pool| async move {
                db::migrate(&pool).await?;
                site_admin::list(&pool, json).await
            })
            .await
        }
        Command::Site {
            command:
                SiteCommand::RotateKey {
                    site,
                    postback_secret,
                    grace_days,
                    json,
                    ..
                },
        } => {
            let base = config.public_base();
            with_database(&config, |pool| async move {
                db::migrate(&pool).await?;
                if postback_secret {
                    site_admin::rotate_postback_secret(&pool, &base, &site, grace_days, json).await
                } else {
                    site_admin::rotate_api_key(&pool, &site, json).await
                }
            })
            .await
        }
        Command::Site {
            command: SiteCommand::Remove { site, yes },
        } => {
            with_database(&config, |pool| async move {
                db::migrate(&pool).await?;
                site_admin::remove(&pool, &site, yes).await
            })
            .await
        }
        Command::Import {
            site,
            preset,
            columns,
            currency,
            dry_run,
            skip_rejected,
            json,
            file,
        } => {
            let source = crate::imports::source(preset.as_deref(), columns.as_deref())
                .map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.message))?;
            let currency = currency
                .map(|c| crate::imports::currency_code(&c))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--currency: {e}"))?;
            let site_id = SiteId::parse(&site).map_err(|e| anyhow::anyhow!("--site {e}"))?;
            let opened = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
            let options = crate::imports::Options {
                dry_run,
                skip_rejected,
                currency,
                file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
                via: "cli",
            };
            with_database(&config, |pool| async move {
                db::migrate(&pool).await?;
                let client = pool.get().await?;
                let found = site_sql::find_site(&client, &site_id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no site {site_id}"))?;
                drop(client);
                let facts = crate::imports::SiteFacts::from(&found);
                let result = crate::imports::import(&pool, facts, source, opened, options)
                    .await
                    .map_err(|e| match e {
                        crate::imports::ImportError::Invalid(m) => anyhow::anyhow!("{m}"),
                        other => anyhow::anyhow!("{other:#}"),
                    })?;
                if json {
                    println!("{}", serde_json::to_string(&result)?);
                } else {
                    print!("{}", import_summary(&result));
                }
                if !result.applied && (!dry_run || result.rejected_total > 0) && !skip_rejected {
                    anyhow::bail!("not applied: {} row(s) refused", result.rejected_total);
                }
                Ok(())
            })
            .await
        }
        Command::Psql { args } => psql::run(&config, &args).await,
    }
}

/// `affrank import` without --json.
fn import_summary(r: &crate::imports::ImportResult) -> String {
    let mut out = String::new();
    let verdict = if r.dry_run {
        "dry run: nothing was changed"
    } else if r.applied {
        "applied"
    } else {
        "NOT applied: nothing was changed (fix the rows, or use --skip-rejected)"
    };
    out.push_str(&format!(
        "{} rows: {} imported, {} updated, {} duplicate, {} unattributed, {} rejected, {} skipped\n{verdict}\n",
        r.rows, r.imported, r.updated, r.duplicate, r.unattributed, r.rejected_total, r.skipped
    ));
    for rejected in &r.rejected {
        out.push_str(&format!("  row {}: {}\n", rejected.row, rejected.reason));
    }
    if r.rejected_total > r.rejected.len() as u64 {
        out.push_str(&format!("  … and {} more\n", r.rejected_total - r.rejected.len() as u64));
    }
    out
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let app = Application::build(config).await?;
    app.run_until_stopped(shutdown).await;
    Ok(())
}

/// The handlers are in place before start-up: a SIGTERM or Ctrl-C that
/// comes while the listener is bound but the database is still being
/// migrated stops the serve as soon as it runs, in order (the writers
/// drained, its cluster stopped), instead of killing it halfway.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
        }
    })
}

/// Runs `work` against the configured database or the embedded cluster,
/// stopping the cluster afterwards only if this command started it.
async fn with_database<F, Fut>(config: &Config, work: F) -> anyhow::Result<()>
where
    F: FnOnce(deadpool_postgres::Pool) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let database = Database::connect(config).await?;
    let result = match db::pool(&database.url, 2) {
        Ok(pool) => {
            let result = work(pool.clone()).await;
            pool.close();
            result
        }
        Err(e) => Err(e),
    };
    drop(database);
    result
}

async fn add_site(
    pool: &deadpool_postgres::Pool,
    public_base: &str,
    name: &str,
    url: &str,
    currency: &str,
    json: bool,
) -> anyhow::Result<()> {
    let settings = SiteSettings::new(name, url, currency).map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = SiteId::mint();
    let key = ApiKey::mint();
    let secret = mint_postback_secret();
    let client = pool.get().await?;
    site_sql::insert_site(&client, &id, &key.hash(), &secret, &settings).await?;
    let postback_url = PostbackTemplate {
        base: format!("{public_base}/api/v1/postbacks/{id}"),
        token: secret.clone(),
    }
    .generic();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "site_id": id.as_str(),
                "api_key": key.expose(),
                "postback_secret": secret,
                "postback_url": postback_url,
            })
        );
    } else {
        println!("site_id:         {id}");
        println!(
            "api_key:         {}   (shown once; only its hash is stored)",
            key.expose()
        );
        println!("postback_secret: {secret}");
        println!("postback_url:    {postback_url}");
    }
    Ok(())
}
