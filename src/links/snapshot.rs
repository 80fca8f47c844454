//! The redirect cache, kept on disk as well, so that a sidecar restarted
//! while PostgreSQL is away still knows where its links go.
//!
//! Written within two seconds of a change (and at shutdown): to a
//! temporary file, fsync'd, then renamed over the old one, so a crash leaves
//! either the old snapshot or the new one, never half of one.

use super::sql::LinkTarget;
use crate::ids::{LinkId, SiteId};
use crate::networks::Network;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
struct Entry {
    id: String,
    site_id: String,
    url: String,
    page_url: String,
    keyword: Option<String>,
    keyword_source: Option<String>,
    network: Option<String>,
}

pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join("links.snapshot.jsonl")
}

/// Blocking: call from `spawn_blocking`.
pub fn save(path: &Path, links: &[Arc<LinkTarget>]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    for link in links {
        let entry = Entry {
            id: link.id.as_str().to_owned(),
            site_id: link.site_id.as_str().to_owned(),
            url: link.url.clone(),
            page_url: link.page_url.clone(),
            keyword: link.keyword.clone(),
            keyword_source: link.keyword_source.clone(),
            network: link.network.map(|n| n.id().to_owned()),
        };
        serde_json::to_writer(&mut file, &entry).map_err(std::io::Error::other)?;
        file.write_all(b"\n")?;
    }
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Links from the last snapshot; none if there is no snapshot yet.
pub fn load(path: &Path) -> std::io::Result<Vec<LinkTarget>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut links = Vec::new();
    for line in BufReader::new(file).lines() {
        let Ok(entry) = serde_json::from_str::<Entry>(&line?) else {
            continue;
        };
        let (Ok(id), Ok(site_id)) = (LinkId::parse(&entry.id), SiteId::parse(&entry.site_id))
        else {
            continue;
        };
        links.push(LinkTarget {
            id,
            site_id,
            url: entry.url,
            page_url: entry.page_url,
            keyword: entry.keyword,
            keyword_source: entry.keyword_source,
            network: entry.network.as_deref().and_then(Network::from_id),
            redirect: Default::default(),
        });
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_round_trips_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        assert!(load(&path).unwrap().is_empty());
        let site = SiteId::mint();
        let link = LinkTarget {
            id: LinkId::derive(&site, "https://prf.hn/a", "https://b.test/", Some("k")),
            site_id: site,
            url: "https://prf.hn/a".into(),
            page_url: "https://b.test/".into(),
            keyword: Some("k \"q\"".into()),
            keyword_source: Some("post_meta".into()),
            network: Some(Network::Partnerize),
            redirect: Default::default(),
        };
        save(&path, &[Arc::new(link.clone())]).unwrap();
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].id, link.id);
        assert_eq!(loaded[0].keyword, link.keyword);
        assert_eq!(loaded[0].network, Some(Network::Partnerize));
    }
}
