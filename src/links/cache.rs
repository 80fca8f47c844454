//! The links `/go/` answers from, kept in memory so redirects keep working
//! while the database is away (and written to the snapshot, see `snapshot`).

use super::sql::LinkTarget;
use crate::ids::LinkId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct LinkCache {
    links: moka::future::Cache<String, Arc<LinkTarget>>,
    /// Bumped by every `remember`, so the snapshot is rewritten only when
    /// the cache changed.
    generation: AtomicU64,
}

impl LinkCache {
    pub fn new(capacity: u64) -> Self {
        Self {
            links: moka::future::Cache::builder()
                .max_capacity(capacity)
                .build(),
            generation: AtomicU64::new(0),
        }
    }

    pub async fn get(&self, id: &LinkId) -> Option<Arc<LinkTarget>> {
        self.links.get(id.as_str()).await
    }

    pub async fn remember(&self, link: Arc<LinkTarget>) {
        self.links.insert(link.id.as_str().to_owned(), link).await;
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    pub fn all(&self) -> Vec<Arc<LinkTarget>> {
        self.links.iter().map(|(_, link)| link).collect()
    }

    /// The sites the cached links belong to.
    pub fn site_ids(&self) -> Vec<String> {
        let ids: std::collections::BTreeSet<String> = self
            .links
            .iter()
            .map(|(_, link)| link.site_id.as_str().to_owned())
            .collect();
        ids.into_iter().collect()
    }

    /// Drops every link of these sites (removed ones); how many it dropped.
    pub async fn forget_sites(&self, sites: &[String]) -> usize {
        let doomed: Vec<Arc<String>> = self
            .links
            .iter()
            .filter(|(_, link)| sites.iter().any(|s| s == link.site_id.as_str()))
            .map(|(id, _)| id)
            .collect();
        for id in &doomed {
            self.links.invalidate(id.as_str()).await;
        }
        if !doomed.is_empty() {
            self.generation.fetch_add(1, Ordering::Relaxed);
        }
        doomed.len()
    }
}

/// Compiled link rules per (site, settings version): compiling a site's
/// regexes on every rewrite would cost more than the rewrite.
pub struct RulesCache(moka::sync::Cache<(String, i32), Arc<super::CompiledRules>>);

impl RulesCache {
    pub fn new() -> Self {
        Self(moka::sync::Cache::builder().max_capacity(10_000).build())
    }

    pub fn get_or_compile(&self, site: &crate::sites::Site) -> Arc<super::CompiledRules> {
        let key = (site.id.as_str().to_owned(), site.settings_version);
        self.0.get_with(key, || {
            Arc::new(super::CompiledRules::compile(&site.settings.link_rules))
        })
    }
}

impl Default for RulesCache {
    fn default() -> Self {
        Self::new()
    }
}

/// The Amazon tracking id of each page a rewrite has seen, per (site,
/// settings version, page URL): a page's first rewrite asks the database
/// (which may give it the pool's next id), later ones ask nobody. Every
/// change to the pool or to an assignment bumps the settings version, so no
/// entry outlives the assignment it read; an automatic assignment made by
/// another process is found by the database call, never contradicted here.
pub struct PageTags(moka::sync::Cache<(String, i32, String), Option<Arc<str>>>);

impl PageTags {
    pub fn new() -> Self {
        Self(moka::sync::Cache::builder().max_capacity(100_000).build())
    }

    pub fn get(&self, site: &crate::sites::Site, page_url: &str) -> Option<Option<Arc<str>>> {
        self.0.get(&(
            site.id.as_str().to_owned(),
            site.settings_version,
            page_url.to_owned(),
        ))
    }

    pub fn remember(&self, site: &crate::sites::Site, page_url: &str, tag: Option<Arc<str>>) {
        self.0.insert(
            (
                site.id.as_str().to_owned(),
                site.settings_version,
                page_url.to_owned(),
            ),
            tag,
        );
    }
}

impl Default for PageTags {
    fn default() -> Self {
        Self::new()
    }
}
