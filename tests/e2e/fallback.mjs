// Issue 18's "a /go/ link is never dead", end to end. The tracking base is
// the blog's own host, behind the nginx run.sh starts (the README's set-up).
// A post is tagged while the sidecar is up, and its tagged copy stays in
// the plugin's render cache; the sidecar process stops; a reader opens the
// post and follows its /go/ link in Chromium, and lands on the offer (a
// local server standing in for the network) through WordPress's fallback;
// the sidecar starts again, and the plugin's sync hands it the untracked
// click.
import { createServer } from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, equal } from './checks.mjs';
import { anchorTags, attribute, decodeEntities } from './html.mjs';
import { launch, login } from './browser.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The offer: a page the browser lands on, and what it was asked.
async function startOffer() {
  const hits = [];
  const server = createServer((request, response) => {
    hits.push({ url: request.url, userAgent: request.headers['user-agent'] || '', referer: request.headers.referer || '' });
    if (!request.url.startsWith('/offer')) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trail Stove 2 — Outdoor Shop</title>
<style>body{font:18px/1.5 sans-serif;margin:0;color:#1d2327}header{background:#0b5d3b;color:#fff;padding:16px 32px;font-weight:bold}
main{padding:32px;max-width:720px}.price{font-size:28px;color:#0b5d3b}button{font-size:18px;padding:10px 24px;background:#f0b400;border:0;border-radius:4px}
code{background:#f0f0f1;padding:2px 6px}</style></head>
<body><header>Outdoor Shop (the offer, standing in for the network)</header><main>
<h1>Trail Stove 2</h1><p class="price">$89.00</p><p>A 95 g canister stove that boils a litre in three minutes.</p>
<p><button>Add to cart</button></p><p>Arrived at <code id="arrived">${request.url.replace(/&/g, '&amp;').replace(/[<>"]/g, '')}</code></p>
</main></body></html>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, hits, close: () => new Promise((resolve) => server.close(resolve)) };
}

// Resolves once nothing listens on the sidecar's port and its process is
// gone (or a zombie: run.sh reaps it only when the test ends).
async function stopped(sidecar, pid) {
  for (let i = 0; i < 300; i++) {
    let listening = true;
    try {
      await fetch(`${sidecar}/healthz`);
    } catch {
      listening = false;
    }
    let alive = false;
    try {
      alive = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
    } catch { /* gone */ }
    if (!listening && !alive) return;
    await sleep(100);
  }
  throw new Error(`the sidecar (pid ${pid}) did not stop`);
}

async function healthy(sidecar) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${sidecar}/healthz`)).status === 200) return;
    } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error('the restarted sidecar did not come up');
}

/**
 * Runs the checks; returns the pid of the sidecar that runs afterwards (it
 * is stopped and started again here).
 */
export async function fallbackChecks({ checks, env, blog, sidecar, site, sidecarPid, get, sql, wpEval, browserUa, shots }) {
  const offer = await startOffer();
  const OFFER = `${offer.base}/offer?item=trail-stove-2&aff=e2e`;
  const auth = { Authorization: `Bearer ${site.api_key}` };
  const linkMapHas = (id) => wpEval(`echo AffRank\\Fallback\\Link_Map::destination('${id}') ?? 'none';`);
  const syncNow = () => JSON.parse(wpEval('echo wp_json_encode( ( new AffRank\\Fallback\\Link_Sync( AffRank\\Sidecar\\Client::for_admin() ) )->run() );'));
  const pending = () => Number(wpEval('echo AffRank\\Fallback\\Untracked_Clicks::pending();'));
  let pid = sidecarPid;
  let post = null;
  let goUrl = null;
  let linkId = null;

  try {
    await checks.run('fallback: with the tracking base on the blog\'s own host, a post\'s link becomes BLOG/go/{id}', async () => {
      const live = await (await fetch(`${sidecar}/api/v1/site`, { headers: auth })).json();
      const rules = [...live.link_rules, { kind: 'regex', pattern: `^${offer.base.replace(/\./g, '\\.')}/offer`, network: null }];
      const put = await fetch(`${sidecar}/api/v1/site`, {
        method: 'PUT',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ tracking_base_url: blog, link_rules: rules }),
      });
      equal(put.status, 200, `PUT /api/v1/site: ${await put.text()}`);
      // As the Settings screen does after a save: the plugin reads the new version at once.
      wpEval('AffRank\\Sidecar\\Site_State::forget(); ( new AffRank\\Sidecar\\Backoff() )->record_success();');
      const dir = mkdtempSync(join(tmpdir(), 'affrank-fallback-'));
      try {
        writeFileSync(join(dir, 'post.html'), `<!-- wp:paragraph -->\n<p>Our pick for the season: <a href="${OFFER.replace(/&/g, '&amp;')}">the Trail Stove 2</a>.</p>\n<!-- /wp:paragraph -->\n`);
        const r = spawnSync('php', ['../wordpress/wp.php', env.WP_NAME, blog, 'wp/create-post.php', 'The camp stove we carry', 'camp-stove', join(dir, 'post.html')], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`create-post: ${r.stderr}`);
        post = r.stdout.trim();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const page = await get(post);
      equal(page.status, 200, 'the post renders');
      const gone = anchorTags(page.body).map((t) => decodeEntities(attribute(t, 'href') || '')).filter((h) => h.includes('/go/'));
      equal(gone.length, 1, `one /go/ link: ${gone.join(' ')}`);
      assert(new RegExp(`^${blog}/go/[A-Za-z0-9]{11}$`).test(gone[0]), `on the blog's host: ${gone[0]}`);
      goUrl = gone[0];
      linkId = goUrl.slice(`${blog}/go/`.length);
    });

    await checks.run('fallback: the plugin\'s copy of the link map has the link from the rewrite answer, and from the sync', async () => {
      assert(linkId, 'the post has a /go/ link');
      equal(linkMapHas(linkId), OFFER, 'from the rewrite answer, at render time');
      wpEval('AffRank\\Fallback\\Link_Map::forget_all();');
      equal(linkMapHas(linkId), 'none', 'forgotten');
      // A page of the map holds links of transactions older than every one
      // still running on the server: another test's can hold it back a moment.
      const siteLinks = () => Number(sql(`SELECT count(*) FROM links WHERE site_id = '${site.site_id}'`)[0][0]);
      let size = 0;
      for (let i = 0; i < 50; i++) {
        const result = syncNow();
        equal(result.error, '', 'the sync ran');
        size = Number(wpEval('echo AffRank\\Fallback\\Link_Map::size();'));
        if (size === siteLinks() && linkMapHas(linkId) === OFFER) break;
        await sleep(200);
      }
      equal(linkMapHas(linkId), OFFER, 'from GET /api/v1/links');
      equal(size, siteLinks(), 'every link of the site, none of another');
      const state = JSON.parse(wpEval('echo wp_json_encode( AffRank\\Fallback\\Link_Sync::state() );'));
      assert(/^\d+\.[A-Za-z0-9]{11}$/.test(state.cursor || ''), `a cursor is kept for the next run: ${state.cursor}`);
    });

    await checks.run('fallback: while the sidecar is up, the link goes through it (tracked, with affrank_sid)', async () => {
      const r = await get(goUrl, { headers: { 'User-Agent': browserUa } });
      equal(r.status, 302, 'status');
      const location = new URL(r.headers.get('location'));
      equal(`${location.origin}${location.pathname}`, `${offer.base}/offer`, 'the offer');
      assert(/^[A-Za-z0-9]{16,24}$/.test(location.searchParams.get('affrank_sid') || ''), `a session id: ${location}`);
    });

    await checks.run('fallback: the sidecar process stops', async () => {
      process.kill(pid, 'SIGTERM');
      await stopped(sidecar, pid);
    });

    await checks.run('fallback: a reader follows the cached page\'s /go/ link in the browser and lands on the offer', async () => {
      // Headless Chromium says so in its user agent, and a bot's click is not counted.
      const browser = await launch({ userAgent: browserUa });
      try {
        const page = await browser.context.newPage();
        await page.goto(post);
        assert(await page.$(`a[href="${goUrl}"]`), 'the page (the plugin\'s render cache) still carries the /go/ link');
        await Promise.all([page.waitForURL(`${offer.base}/offer**`), page.click(`a[href="${goUrl}"]`)]);
        equal(page.url(), OFFER, 'the offer, its URL as written in the post');
        equal((await page.textContent('h1')).trim(), 'Trail Stove 2', 'the offer page');
        await page.screenshot({ path: join(shots, 'fallback-landing.png'), fullPage: false });
        const hit = offer.hits.filter((h) => h.url.startsWith('/offer')).at(-1);
        equal(hit.url, OFFER.slice(offer.base.length), 'the offer was asked for itself, no session id');
        equal(hit.userAgent, browserUa, 'by the reader\'s browser');
      } finally {
        await browser.close();
      }
      equal(pending(), 1, 'one untracked click waits for the sidecar');
    });

    await checks.run('fallback: while the sidecar is down, /go/ is a 302 to the offer (no-store), and nothing else redirects', async () => {
      const r = await get(goUrl, { method: 'HEAD' });
      equal(r.status, 302, 'status');
      equal(r.headers.get('location'), OFFER, 'Location');
      assert(/no-store/.test(r.headers.get('cache-control') || ''), `Cache-Control: ${r.headers.get('cache-control')}`);
      equal(r.headers.get('x-robots-tag'), 'noindex', 'X-Robots-Tag');
      const swapped = linkId.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
      for (const path of ['/go/unknownId01', '/go/bad.id', `/go/${swapped}`, '/?affrank_go=https%3A%2F%2Fevil.test%2F', '/?affrank_go=%2F%2Fevil.test', `/?affrank_go[]=${linkId}`]) {
        const answer = await get(`${blog}${path}`);
        equal(answer.status, 404, path);
        equal(answer.headers.get('location'), null, `${path}: no Location`);
      }
      equal(pending(), 1, 'a HEAD and the 404s count nothing');
    });

    await checks.run('fallback: the sidecar starts again and the sync hands it the untracked click', async () => {
      const log = openSync(env.SIDECAR_RESTART_LOG, 'a');
      const child = spawn(env.AFFRANK_BIN, ['serve', '--listen', `127.0.0.1:${env.SIDECAR_PORT}`, '--public-url', sidecar], { stdio: ['ignore', log, log] });
      pid = child.pid;
      writeFileSync(env.SIDECAR_RESTART_PID, String(pid));
      await healthy(sidecar);
      const result = syncNow();
      equal(result.error, '', 'the sync ran');
      equal(result.reported, 1, 'one link-day reported');
      equal(pending(), 0, 'nothing waits any more');
      equal(sql(`SELECT link_id, clicks FROM untracked_clicks WHERE site_id = '${site.site_id}'`).map((r) => r.join('|')).join(), `${linkId}|1`, 'stored by the sidecar');
      const summary = await (await fetch(`${sidecar}/api/v1/reports/summary`, { headers: auth })).json();
      equal(summary.untracked_clicks, 1, 'the summary shows it as an untracked click');
      equal(syncNow().reported, 0, 'reported once');
      const after = await get(goUrl, { headers: { 'User-Agent': browserUa } });
      assert(/affrank_sid=/.test(after.headers.get('location') || ''), 'clicks are tracked again');
    });

    await checks.run('fallback: Revenue Mapping says one click went to its offer untracked', async () => {
      const browser = await launch();
      try {
        const page = await login(browser.context, blog, 'admin', env.WP_PASSWORD);
        await page.goto(`${blog}/wp-admin/admin.php?page=affrank`);
        const note = (await page.textContent('.affrank-untracked-note')).trim();
        assert(/^1 click reached its offer while the sidecar was down/.test(note), note);
        const top = await (await page.$('.affrank-tiles')).boundingBox();
        const bottom = await (await page.$('.affrank-untracked-note')).boundingBox();
        await page.screenshot({
          path: join(shots, 'fallback-untracked-note.png'),
          clip: { x: 0, y: Math.max(0, top.y - 16), width: 1280, height: bottom.y + bottom.height + 16 - Math.max(0, top.y - 16) },
        });
      } finally {
        await browser.close();
      }
    });
  } finally {
    await offer.close();
  }
  return pid;
}
