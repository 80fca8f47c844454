//! `affrank demo-data`: seeds are per site.

use crate::helpers::db::{create_database, database_url, drop_database, pg_connect, query_count};
use crate::helpers::sidecar::{affrank_bin, cli_site_add};

/// `demo-data` on `site`, 3,000 clicks over June 2024; `seed` `None`: the default.
fn demo_data(url: &str, site: &str, seed: Option<&str>) -> std::process::Output {
    let mut command = affrank_bin();
    command
        .args(["demo-data", "--site", site, "--clicks", "3000"])
        .args(["--days", "30", "--end", "2024-06-30"])
        .env("DATABASE_URL", url);
    if let Some(seed) = seed {
        command.args(["--seed", seed]);
    }
    command.output().unwrap()
}

#[tokio::test]
async fn two_sites_take_the_default_seed_and_get_the_same_figures() {
    let name = create_database().await;
    let url = database_url(&name);
    let envs = [("DATABASE_URL", url.as_str())];
    let first = cli_site_add(&envs, &[]);
    let second = cli_site_add(&envs, &[]);
    let (a, b) = (
        first["site_id"].as_str().unwrap(),
        second["site_id"].as_str().unwrap(),
    );

    for site in [a, b] {
        let out = demo_data(&url, site, None);
        assert!(
            out.status.success(),
            "demo-data on {site}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("3000 clicks"));
    }

    // The same seed, the same traffic: every figure of the two sites agrees,
    // and no session id is shared.
    let client = pg_connect(&url).await.unwrap();
    let figures = |site: &str| {
        let client = &client;
        let site = site.to_owned();
        async move {
            let row = client
                .query_one(
                    "SELECT (SELECT count(*) FROM clicks WHERE site_id = $1), \
                            (SELECT count(*) FROM conversions WHERE site_id = $1), \
                            (SELECT coalesce(sum(revenue), 0)::text FROM report_site_day WHERE site_id = $1), \
                            (SELECT count(*) FROM links WHERE site_id = $1)",
                    &[&site],
                )
                .await
                .unwrap();
            let figures: (i64, i64, String, i64) = (row.get(0), row.get(1), row.get(2), row.get(3));
            figures
        }
    };
    let (of_a, of_b) = (figures(a).await, figures(b).await);
    assert_eq!(of_a.0, 3000);
    assert!(of_a.1 > 0 && of_a.3 > 0, "{of_a:?}");
    assert_eq!(of_a, of_b);
    let shared: i64 = client
        .query_one(
            "SELECT count(*) FROM conversions x JOIN conversions y \
             ON x.session_id = y.session_id AND x.site_id = $1 AND y.site_id = $2",
            &[&a, &b],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(shared, 0, "the two sites share session ids");

    // The same seed twice on one site is refused up front, naming the way out;
    // another seed is taken.
    let again = demo_data(&url, a, Some("1"));
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains(&format!("site {a} already has the demo data of --seed 1")),
        "{stderr}"
    );
    let other = demo_data(&url, a, Some("2"));
    assert!(
        other.status.success(),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    assert_eq!(
        query_count(
            &url,
            &format!("SELECT count(*) FROM clicks WHERE site_id = '{a}'")
        )
        .await,
        Some(6000)
    );
    drop_database(name);
}
