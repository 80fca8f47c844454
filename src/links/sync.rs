//! The site's link map for the plugin's copy (`GET /api/v1/links`): every
//! link's id, destination and network, a page at a time after a cursor,
//! so a plugin that kept the last cursor only fetches what changed since.
//! The plugin redirects from its copy when the sidecar cannot answer
//! `/go/` (see migration 0011 for why the cursor is a transaction id).

use crate::ids::{LinkId, SiteId};
use deadpool_postgres::GenericClient;

pub const DEFAULT_LIMIT: i64 = 1000;
pub const MAX_LIMIT: i64 = 5000;

/// Where a page ends: the last row's writing transaction and link id.
/// Clients treat it as opaque text (`{xid}.{id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    xid: u64,
    id: LinkId,
}

impl Cursor {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (xid, id) = raw
            .split_once('.')
            .ok_or_else(|| "is not a cursor this endpoint gave".to_string())?;
        let xid = (!xid.is_empty() && xid.bytes().all(|b| b.is_ascii_digit()))
            .then(|| xid.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| "is not a cursor this endpoint gave".to_string())?;
        let id = LinkId::parse(id).map_err(|_| "is not a cursor this endpoint gave".to_string())?;
        Ok(Self { xid, id })
    }

    pub fn to_text(&self) -> String {
        format!("{}.{}", self.xid, self.id.as_str())
    }
}

/// One link as the plugin's map keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    pub id: LinkId,
    pub url: String,
    pub network: Option<String>,
}

pub struct Page {
    pub links: Vec<MapEntry>,
    /// Where the next page starts: the last row's cursor, or the one asked
    /// after when the page is empty.
    pub next: Option<Cursor>,
    /// More rows follow right now (ask again with `next`).
    pub more: bool,
}

/// Up to `limit` of the site's links after `after`, in cursor order, written
/// by transactions that can no longer be overtaken by one still running.
#[tracing::instrument(skip(client))]
pub async fn page(
    client: &impl GenericClient,
    site: &SiteId,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page, tokio_postgres::Error> {
    let (xid, id) = after
        .map(|c| (c.xid.to_string(), c.id.as_str().to_owned()))
        .unwrap_or_else(|| ("0".to_owned(), String::new()));
    let rows = client
        .query(
            "SELECT id, url, network, changed_xid::text FROM links \
             WHERE site_id = $1 AND (changed_xid, id) > ($2::text::xid8, $3) \
               AND changed_xid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY changed_xid, id LIMIT $4",
            &[&site.as_str(), &xid, &id, &(limit + 1)],
        )
        .await?;
    let more = rows.len() as i64 > limit;
    let mut next = after.cloned();
    let mut links = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        let id = LinkId::from_trusted(row.get(0));
        let xid: &str = row.get(3);
        next = Some(Cursor {
            xid: xid.parse().expect("xid8 prints as an unsigned integer"),
            id: id.clone(),
        });
        links.push(MapEntry {
            id,
            url: row.get(1),
            network: row.get(2),
        });
    }
    Ok(Page { links, next, more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let cursor = Cursor::parse("123456789.cDUkZkhNXr8").unwrap();
        assert_eq!(cursor.to_text(), "123456789.cDUkZkhNXr8");
    }

    #[test]
    fn anything_else_is_not_a_cursor() {
        for bad in [
            "",
            ".",
            "12",
            "12.",
            ".cDUkZkhNXr8",
            "-1.cDUkZkhNXr8",
            "+1.cDUkZkhNXr8",
            "1.cDUkZkhNXr8x",
            "1.cDUk/khNXr8",
            "99999999999999999999999.cDUkZkhNXr8",
            "1.2.cDUkZkhNXr8",
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
