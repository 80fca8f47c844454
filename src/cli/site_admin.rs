//! `affrank site list`, `site rotate-key` and `site remove`.

use crate::ids::{ApiKey, SiteId, mint_postback_secret};
use crate::networks::PostbackTemplate;
use crate::sites::admin::{self, SiteSummary};
use crate::sites::sql as site_sql;
use anyhow::Context;
use deadpool_postgres::Pool;
use serde_json::json;

fn parse_site(raw: &str) -> anyhow::Result<SiteId> {
    SiteId::parse(raw.trim()).map_err(|e| {
        anyhow::anyhow!("--site {raw:?} {e} (20 letters and digits; see `affrank site list`)")
    })
}

pub async fn list(pool: &Pool, as_json: bool) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let sites = admin::list(&client, None).await?;
    if as_json {
        println!("{}", serde_json::to_string(&sites)?);
        return Ok(());
    }
    if sites.is_empty() {
        println!("no sites yet: create one with `affrank site add --name NAME --url URL`");
        return Ok(());
    }
    let name_width = sites
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 30);
    let url_width = sites
        .iter()
        .map(|s| s.url.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(3, 40);
    println!(
        "{:<20}  {:<name_width$}  {:<url_width$}  {:<8}  {:<20}  {:>12}  {:>11}",
        "SITE ID", "NAME", "URL", "CURRENCY", "CREATED (UTC)", "CLICKS", "CONVERSIONS"
    );
    for site in &sites {
        println!(
            "{:<20}  {:<name_width$}  {:<url_width$}  {:<8}  {:<20}  {:>12}  {:>11}",
            site.site_id,
            cut(&site.name, name_width),
            cut(&site.url, url_width),
            site.currency,
            site.created_at.format("%Y-%m-%d %H:%M:%S"),
            site.clicks,
            site.conversions
        );
    }
    Ok(())
}

/// Long names and URLs are cut with an ellipsis, so the columns stay aligned
/// (`--json` has them whole).
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(width - 1).collect();
    short.push('…');
    short
}

pub async fn rotate_api_key(pool: &Pool, site: &str, as_json: bool) -> anyhow::Result<()> {
    let id = parse_site(site)?;
    let key = ApiKey::mint();
    let client = pool.get().await?;
    if !admin::rotate_api_key(&client, &id, &key.hash()).await? {
        anyhow::bail!("no site {id}");
    }
    if as_json {
        println!(
            "{}",
            json!({"site_id": id.as_str(), "api_key": key.expose()})
        );
    } else {
        println!("site_id: {id}");
        println!(
            "api_key: {}   (shown once; only its hash is stored)",
            key.expose()
        );
        println!(
            "The old API key no longer works: paste the new one into the plugin's Settings \
             (AffRank → Settings → API key)."
        );
    }
    Ok(())
}

pub async fn rotate_postback_secret(
    pool: &Pool,
    public_base: &str,
    site: &str,
    grace_days: u32,
    as_json: bool,
) -> anyhow::Result<()> {
    let id = parse_site(site)?;
    let secret = mint_postback_secret();
    let client = pool.get().await?;
    let expires = admin::rotate_postback_secret(&client, &id, &secret, grace_days)
        .await?
        .with_context(|| format!("no site {id}"))?;
    let site = site_sql::find_site(&client, &id)
        .await?
        .with_context(|| format!("no site {id}"))?;
    let postback_url = PostbackTemplate {
        base: format!("{}/api/v1/postbacks/{id}", site.tracking_base(public_base)),
        token: secret.clone(),
    }
    .generic();
    if as_json {
        println!(
            "{}",
            json!({
                "site_id": id.as_str(),
                "postback_secret": secret,
                "postback_url": postback_url,
                "previous_secret_expires_at": expires,
            })
        );
        return Ok(());
    }
    println!("site_id:         {id}");
    println!("postback_secret: {secret}");
    println!("postback_url:    {postback_url}");
    match expires {
        Some(until) => println!(
            "The old secret is still taken until {} (UTC): update the postback URL in every \
             network before then (the plugin's Postback Setup shows the new one). The \
             Postback Log marks postbacks that still carry the old secret.",
            until.format("%Y-%m-%d %H:%M")
        ),
        None => println!("The old secret no longer works (--grace-days 0)."),
    }
    Ok(())
}

/// Deletes the site and every row of it, once confirmed: by `--yes`, or by
/// typing the site id (read from stdin, so it can be piped too).
pub async fn remove(pool: &Pool, site: &str, yes: bool) -> anyhow::Result<()> {
    let id = parse_site(site)?;
    let mut client = pool.get().await?;
    let summary = admin::list(&client, Some(&id))
        .await?
        .pop()
        .with_context(|| format!("no site {id}"))?;
    if !yes {
        confirm(&summary).await?;
    }
    let removed = admin::remove(&mut client, &id)
        .await?
        .with_context(|| format!("no site {id} (removed meanwhile?)"))?;
    println!(
        "removed site {id} ({}): {} links, {} clicks, {} conversions, {} postback log rows, \
         and its report rollups",
        summary.name, removed.links, removed.clicks, removed.conversions, removed.postback_log
    );
    Ok(())
}

async fn confirm(site: &SiteSummary) -> anyhow::Result<()> {
    eprintln!(
        "This deletes site {} ({}, {}) and all its data: its links, {} clicks, {} conversions, \
         its postback log and its reports. It cannot be undone.",
        site.site_id, site.name, site.url, site.clicks, site.conversions
    );
    eprint!("Type the site id to confirm: ");
    let typed = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await??;
    if typed.trim() != site.site_id {
        anyhow::bail!("not confirmed (the site id was not typed); nothing was deleted");
    }
    Ok(())
}
