//! Binary COPY into `clicks` and `conversions`: the bulk path. COPY fires
//! the same statement triggers as the click writer's INSERT (one per COPY,
//! over all its rows), so the rollups are kept exactly as in production.

use super::DemoConversion;
use crate::clicks::ClickRow;
use futures_util::pin_mut;
use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

pub async fn clicks(client: &Client, rows: &[ClickRow]) -> Result<u64, tokio_postgres::Error> {
    let sink = client
        .copy_in(
            "COPY clicks (session_id, site_id, link_id, clicked_at, page_url, keyword, \
             keyword_source, network, referrer, user_agent, visitor_hash, is_bot) \
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    let text = Type::TEXT;
    let writer = BinaryCopyInWriter::new(
        sink,
        &[
            text.clone(),
            text.clone(),
            text.clone(),
            Type::TIMESTAMPTZ,
            text.clone(),
            text.clone(),
            text.clone(),
            text.clone(),
            text.clone(),
            text.clone(),
            text,
            Type::BOOL,
        ],
    );
    pin_mut!(writer);
    for r in rows {
        writer
            .as_mut()
            .write(&[
                &r.session_id,
                &r.site_id,
                &r.link_id,
                &r.clicked_at,
                &r.page_url,
                &r.keyword,
                &r.keyword_source,
                &r.network,
                &r.referrer,
                &r.user_agent,
                &r.visitor_hash,
                &r.is_bot,
            ])
            .await?;
    }
    writer.finish().await
}

pub async fn conversions(
    client: &Client,
    rows: &[DemoConversion],
) -> Result<u64, tokio_postgres::Error> {
    let sink = client
        .copy_in(
            "COPY conversions (site_id, session_id, transaction_id, event, status, amount, \
             currency, amount_site, unconverted, is_lead, received_at, updated_at, link_id, \
             page_url, keyword, clicked_at, fast_conversion, bot_click) FROM STDIN (FORMAT binary)",
        )
        .await?;
    let text = Type::TEXT;
    let writer = BinaryCopyInWriter::new(
        sink,
        &[
            text.clone(),
            text.clone(),
            text.clone(),
            text.clone(),
            text.clone(),
            Type::NUMERIC,
            text.clone(),
            Type::NUMERIC,
            Type::BOOL,
            Type::BOOL,
            Type::TIMESTAMPTZ,
            Type::TIMESTAMPTZ,
            text.clone(),
            text.clone(),
            text,
            Type::TIMESTAMPTZ,
            Type::BOOL,
            Type::BOOL,
        ],
    );
    pin_mut!(writer);
    let event = "Sale";
    for c in rows {
        let click = c.click.as_ref();
        let clicked_at = click.map(|c| c.clicked_at);
        let fast = clicked_at.is_some_and(|t| (c.received_at - t).num_milliseconds() < 1000);
        writer
            .as_mut()
            .write(&[
                &c.site_id,
                &c.session_id,
                &c.transaction_id,
                &event,
                &c.status,
                &c.amount,
                &c.currency,
                &c.amount_site,
                &c.unconverted,
                &c.is_lead,
                &c.received_at,
                &c.received_at,
                &click.map(|c| c.link_id.as_str()),
                &click.map(|c| c.page_url.as_str()),
                &click.and_then(|c| c.keyword.as_deref()),
                &clicked_at,
                &fast,
                &click.is_some_and(|c| c.is_bot),
            ])
            .await?;
    }
    writer.finish().await
}
