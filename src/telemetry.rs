//! Structured logs (tracing) and the Prometheus metrics behind `/metrics`.

use crate::config::LogFormat;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use tracing_subscriber::EnvFilter;

pub fn init_logging(format: LogFormat) {
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// `RUST_LOG` if set, else `info`; either way warp's per-connection errors
/// are silenced unless `RUST_LOG` names `warp::server` itself. warp logs every
/// connection a client drops mid-request (`IncompleteMessage`) at ERROR,
/// which under load is thousands of lines about nothing that went wrong here.
fn log_filter(rust_log: Option<&str>) -> EnvFilter {
    let directives = rust_log.filter(|v| !v.trim().is_empty()).unwrap_or("info");
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|e| {
        eprintln!("RUST_LOG is not valid ({e}); logging at info");
        EnvFilter::new("info")
    });
    if directives.contains("warp::server") {
        filter
    } else {
        filter.add_directive("warp::server=off".parse().expect("a valid directive"))
    }
}

/// Every metric lives in its own registry, so several applications in one
/// process (as in the tests) never collide.
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub redirects: IntCounter,
    pub clicks_recorded: IntCounter,
    pub clicks_spooled: IntCounter,
    pub clicks_replayed: IntCounter,
    pub clicks_lost: IntCounter,
    pub click_batch_size: Histogram,
    pub spool_depth: IntGauge,
    pub spool_refused: IntCounter,
    /// By kind (`click`, `postback`): records of a writer's batch the
    /// database refused for what they hold, set aside while the rest of
    /// their batch committed.
    pub writes_refused: IntCounterVec,
    pub postbacks: IntCounterVec,
    pub postbacks_replayed: IntCounter,
    pub postback_batch_size: Histogram,
    pub postback_log_pruned: IntCounter,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("affrank".into()), None).expect("registry");
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["route", "status"],
        )
        .expect("metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Request latency by route")
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
            &["route"],
        )
        .expect("metric");
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("metric");
        let metrics = Self {
            http_requests,
            http_duration,
            redirects: counter("redirects_total", "Redirects served by /go/"),
            clicks_recorded: counter("clicks_recorded_total", "Clicks committed to the database"),
            clicks_spooled: counter(
                "clicks_spooled_total",
                "Clicks written to the spool while the database was away",
            ),
            clicks_replayed: counter(
                "clicks_replayed_total",
                "Spooled clicks written to the database",
            ),
            clicks_lost: counter("clicks_lost_total", "Clicks neither committed nor spooled"),
            click_batch_size: Histogram::with_opts(
                HistogramOpts::new("click_batch_size", "Clicks per group commit").buckets(vec![
                    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0,
                ]),
            )
            .expect("metric"),
            postbacks: IntCounterVec::new(
                Opts::new(
                    "postbacks_total",
                    "Postbacks by outcome (rate_limited included)",
                ),
                &["outcome"],
            )
            .expect("metric"),
            postbacks_replayed: counter(
                "postbacks_replayed_total",
                "Spooled postbacks settled in the database",
            ),
            postback_batch_size: Histogram::with_opts(
                HistogramOpts::new("postback_batch_size", "Postbacks per group commit").buckets(
                    vec![
                        1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
                    ],
                ),
            )
            .expect("metric"),
            postback_log_pruned: counter(
                "postback_log_pruned_total",
                "Postback log rows deleted after the retention",
            ),
            spool_depth: IntGauge::new("spool_depth", "Records waiting in the spool")
                .expect("metric"),
            spool_refused: counter(
                "spool_refused_total",
                "Spooled records the database refused, kept in the spool's quarantine",
            ),
            writes_refused: IntCounterVec::new(
                Opts::new(
                    "writes_refused_total",
                    "Records of a batch the database refused, kept in the spool's quarantine",
                ),
                &["kind"],
            )
            .expect("metric"),
            registry,
        };
        for kind in ["click", "postback"] {
            metrics.writes_refused.with_label_values(&[kind]);
        }
        let r = &metrics.registry;
        r.register(Box::new(metrics.http_requests.clone()))
            .expect("register");
        r.register(Box::new(metrics.http_duration.clone()))
            .expect("register");
        for c in [
            &metrics.redirects,
            &metrics.clicks_recorded,
            &metrics.clicks_spooled,
            &metrics.clicks_replayed,
            &metrics.clicks_lost,
            &metrics.postbacks_replayed,
            &metrics.postback_log_pruned,
            &metrics.spool_refused,
        ] {
            r.register(Box::new(c.clone())).expect("register");
        }
        r.register(Box::new(metrics.click_batch_size.clone()))
            .expect("register");
        r.register(Box::new(metrics.spool_depth.clone()))
            .expect("register");
        r.register(Box::new(metrics.postbacks.clone()))
            .expect("register");
        r.register(Box::new(metrics.postback_batch_size.clone()))
            .expect("register");
        r.register(Box::new(metrics.writes_refused.clone()))
            .expect("register");
        metrics
    }

    /// Makes every postback outcome's series present from the start, so a
    /// dashboard's rate() has a baseline.
    pub fn with_postback_outcomes<'a>(self, outcomes: impl IntoIterator<Item = &'a str>) -> Self {
        for outcome in outcomes {
            self.postbacks.with_label_values(&[outcome]);
        }
        self
    }

    /// Counts one postback by its outcome's label.
    pub fn count_postback(&self, outcome: &str) {
        self.postbacks.with_label_values(&[outcome]).inc();
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        String::from_utf8(buf).expect("prometheus text is UTF-8")
    }

    /// Routes, not paths, label requests: `/go/{id}` must not make a series per id.
    pub fn observe(&self, path: &str, status: u16, seconds: f64) {
        let route = route_of(path);
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[route, status.as_str()])
            .inc();
        self.http_duration
            .with_label_values(&[route])
            .observe(seconds);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

pub fn route_of(path: &str) -> &'static str {
    match path {
        p if p.starts_with("/go/") => "go",
        "/api/v1/rewrite" => "rewrite",
        "/api/v1/site" => "site",
        p if p.starts_with("/api/v1/postbacks") => "postbacks",
        p if p.starts_with("/api/v1/reports") => "reports",
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        "/metrics" => "metrics",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn warps_connection_errors_are_off_unless_asked_for() {
        for rust_log in [None, Some(""), Some("warn"), Some("affrank=debug,info")] {
            let filter = log_filter(rust_log).to_string();
            assert!(
                filter.contains("warp::server=off"),
                "{rust_log:?}: {filter}"
            );
        }
        let filter = log_filter(Some("warn,warp::server=error")).to_string();
        assert!(!filter.contains("warp::server=off"), "{filter}");
        assert!(filter.contains("warp::server=error"), "{filter}");
    }
}
