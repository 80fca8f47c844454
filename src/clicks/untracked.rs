//! Untracked clicks: visitors the plugin redirected from its own copy of the
//! link map while the sidecar could not answer `/go/`. No session id was
//! minted for them, so no conversion can ever be matched to one: they are
//! kept as counts per link and UTC day (`untracked_clicks`, migration 0011)
//! and reported apart, never in clicks, EPC or conversion rate.
//!
//! The plugin reports its running total for each link and day, so that a
//! report sent twice (a retry, two cron runs at once) changes nothing: the
//! larger total wins.

use crate::error::ApiError;
use crate::ids::{LinkId, SiteId};
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::Deserialize;

/// Most counts one request may carry.
pub const MAX_COUNTS: usize = 1000;
/// Most clicks one link may have on one day (far above any real outage).
pub const MAX_CLICKS: i64 = 100_000_000;

/// One link's untracked clicks on one UTC day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UntrackedCount {
    pub link_id: LinkId,
    pub day: NaiveDate,
    pub clicks: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    counts: Vec<RawCount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCount {
    link_id: String,
    day: String,
    clicks: i64,
}

/// `{"counts": [{"link_id", "day", "clicks"}]}`, each entry checked; a bad
/// one is a 400 naming it (`counts[3].day`). `today` is the UTC day: a day
/// after tomorrow is refused (a plugin's clock may run a little ahead).
pub fn parse(body: &[u8], today: NaiveDate) -> Result<Vec<UntrackedCount>, ApiError> {
    let body: Body = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not a valid untracked clicks report: {e}"
        ))
    })?;
    if body.counts.len() > MAX_COUNTS {
        return Err(ApiError::invalid(
            "counts",
            format!("has more than {MAX_COUNTS} entries: send them in several requests"),
        ));
    }
    let earliest = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    let latest = today.succ_opt().unwrap_or(today);
    let mut counts: Vec<UntrackedCount> = Vec::with_capacity(body.counts.len());
    for (i, raw) in body.counts.into_iter().enumerate() {
        let field = |name: &str| format!("counts[{i}].{name}");
        let link_id =
            LinkId::parse(&raw.link_id).map_err(|e| ApiError::invalid(field("link_id"), e))?;
        let day = NaiveDate::parse_from_str(&raw.day, "%Y-%m-%d")
            .ok()
            .filter(|d| raw.day.len() == 10 && *d >= earliest && *d <= latest)
            .ok_or_else(|| {
                ApiError::invalid(
                    field("day"),
                    format!("must be a UTC day as YYYY-MM-DD, from {earliest} to {latest}"),
                )
            })?;
        if !(0..=MAX_CLICKS).contains(&raw.clicks) {
            return Err(ApiError::invalid(
                field("clicks"),
                format!("must be a whole number from 0 to {MAX_CLICKS}"),
            ));
        }
        if counts.iter().any(|c| c.link_id == link_id && c.day == day) {
            return Err(ApiError::invalid(
                field("day"),
                "repeats an earlier entry's link and day: send one total per link and day",
            ));
        }
        counts.push(UntrackedCount {
            link_id,
            day,
            clicks: raw.clicks,
        });
    }
    Ok(counts)
}

/// Stores the counts of the site's own links; returns how many were the
/// site's (the rest name links it does not have, and are ignored).
#[tracing::instrument(skip(client, counts), fields(counts = counts.len()))]
pub async fn store(
    client: &impl GenericClient,
    site: &SiteId,
    counts: &[UntrackedCount],
) -> Result<i64, tokio_postgres::Error> {
    if counts.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = counts.iter().map(|c| c.link_id.as_str()).collect();
    let days: Vec<NaiveDate> = counts.iter().map(|c| c.day).collect();
    let clicks: Vec<i64> = counts.iter().map(|c| c.clicks).collect();
    let row = client
        .query_one(
            "WITH known AS ( \
                 SELECT t.link_id, t.day, t.clicks \
                 FROM unnest($2::text[], $3::date[], $4::int8[]) AS t(link_id, day, clicks) \
                 JOIN links ON links.id = t.link_id AND links.site_id = $1 \
             ), stored AS ( \
                 INSERT INTO untracked_clicks (site_id, day, link_id, clicks) \
                 SELECT $1, day, link_id, clicks FROM known \
                 ON CONFLICT (site_id, day, link_id) DO UPDATE \
                     SET clicks = EXCLUDED.clicks, reported_at = now() \
                     WHERE untracked_clicks.clicks < EXCLUDED.clicks \
             ) \
             SELECT count(*) FROM known",
            &[&site.as_str(), &ids, &days, &clicks],
        )
        .await?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    }

    fn field_of(body: &str) -> String {
        match parse(body.as_bytes(), today()) {
            Err(ApiError::InvalidField { field, .. }) => field,
            Err(other) => format!("other: {other}"),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn a_report_is_read_entry_by_entry() {
        let counts = parse(
            br#"{"counts": [{"link_id": "cDUkZkhNXr8", "day": "2026-03-09", "clicks": 3},
                            {"link_id": "cDUkZkhNXr8", "day": "2026-03-11", "clicks": 0}]}"#,
            today(),
        )
        .unwrap();
        assert_eq!(counts.len(), 2);
        assert_eq!(counts[0].clicks, 3);
        assert_eq!(counts[1].day, NaiveDate::from_ymd_opt(2026, 3, 11).unwrap());
    }

    #[test]
    fn each_bad_entry_is_named() {
        let one = |entry: &str| format!(r#"{{"counts": [{entry}]}}"#);
        assert_eq!(
            field_of(&one(
                r#"{"link_id": "../etc", "day": "2026-03-09", "clicks": 1}"#
            )),
            "counts[0].link_id"
        );
        for day in [
            "2026-3-9",
            "2026-03-12",
            "2023-12-31",
            "yesterday",
            "2026-02-30",
        ] {
            assert_eq!(
                field_of(&one(&format!(
                    r#"{{"link_id": "cDUkZkhNXr8", "day": "{day}", "clicks": 1}}"#
                ))),
                "counts[0].day",
                "{day}"
            );
        }
        assert_eq!(
            field_of(&one(
                r#"{"link_id": "cDUkZkhNXr8", "day": "2026-03-09", "clicks": -1}"#
            )),
            "counts[0].clicks"
        );
        assert_eq!(
            field_of(
                r#"{"counts": [{"link_id": "cDUkZkhNXr8", "day": "2026-03-09", "clicks": 1},
                               {"link_id": "cDUkZkhNXr8", "day": "2026-03-09", "clicks": 2}]}"#
            ),
            "counts[1].day"
        );
        assert!(field_of(r#"{"counts": [], "extra": 1}"#).starts_with("other:"));
        assert!(
            field_of(
                r#"{"counts": [{"link_id": "cDUkZkhNXr8", "day": "2026-03-09", "clicks": 1.5}]}"#
            )
            .starts_with("other:")
        );
    }

    #[test]
    fn too_many_entries_are_refused() {
        let entries: Vec<String> = (0..=MAX_COUNTS)
            .map(|i| {
                format!(
                    r#"{{"link_id": "cDUkZkhNXr8", "day": "2026-03-{:02}", "clicks": {i}}}"#,
                    1 + i % 9
                )
            })
            .collect();
        assert_eq!(
            field_of(&format!(r#"{{"counts": [{}]}}"#, entries.join(","))),
            "counts"
        );
    }
}
