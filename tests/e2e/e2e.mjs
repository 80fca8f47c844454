// Issue 5's end-to-end steps against a real WordPress and a real sidecar.
// run.sh prepares everything and passes it in the environment.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Checks, assert, equal } from './checks.mjs';
import { anchorTags, attribute, decodeEntities, isAffiliate, withoutAnchors } from './html.mjs';
import { launch, login } from './browser.mjs';

const env = process.env;
const BLOG = env.BLOG_URL;
const SIDECAR = env.SIDECAR_URL;
const SIDECAR_PID = Number(env.SIDECAR_PID);
const site = JSON.parse(readFileSync(env.SITE_JSON, 'utf8'));
const HOSTILE = '<script>alert(1)</script> boots';
const checks = new Checks();
const shots = env.SCREENSHOTS;
mkdirSync(shots, { recursive: true });

// ---------------------------------------------------------------- helpers
// Screens at 390 px: nothing may be wider than the screen.
async function phoneShot(page, name, path) {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.goto(BLOG + path);
    const overflow = await page.evaluate(() => document.querySelector('.affrank').scrollWidth - document.querySelector('.affrank').clientWidth);
    assert(overflow <= 1, `${name}: nothing wider than the screen (${overflow}px over)`);
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
}

// The report screens with data in them. The real sidecar has no report or
// postback-log endpoints yet, so the plugin is pointed for a moment at
// fixtures/sample-reports-sidecar.php, which answers with DESIGN.md's shapes.
async function sampleReports(page, dialogs) {
  const sample = spawn('php', ['-S', `127.0.0.1:${env.SAMPLE_PORT}`, 'fixtures/sample-reports-sidecar.php'], {
    env: { ...env, SAMPLE_API_KEY: site.api_key, SAMPLE_BLOG: BLOG },
    stdio: 'ignore',
  });
  const sampleUrl = `http://127.0.0.1:${env.SAMPLE_PORT}`;
  try {
    for (let i = 0; i < 50; i++) {
      try { if ((await fetch(`${sampleUrl}/healthz`)).ok) break; } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    wpEval(`update_option('affrank_sidecar_url', '${sampleUrl}');`);

    await checks.run('sample reports: Revenue Mapping shows tiles, a chart and sorted tables', async () => {
      await page.goto(`${BLOG}/wp-admin/admin.php?page=affrank`);
      const tiles = await page.textContent('.affrank-tiles');
      assert(tiles.includes('$1,714.25') && tiles.includes('1,270') && tiles.includes('$1.35') && tiles.includes('4.1%'), `tiles: ${tiles}`);
      equal(await page.locator('.affrank-chart__bar').count(), 30, 'one bar per day of the 30-day range');
      const first = await page.textContent('#affrank-keywords tbody tr:first-child td:first-child');
      equal(first.trim(), 'best hiking boots', 'keywords sorted by revenue');
      const keywords = await page.textContent('#affrank-keywords tbody');
      assert(keywords.includes('<script>alert(1)</script> boots'), 'the hostile keyword is shown as text');
      const injected = await page.evaluate(() => [...document.querySelectorAll('script')].some((s) => s.textContent.includes('alert(1)')));
      assert(!injected && dialogs.length === 0, 'and never runs');
      assert((await page.textContent('#affrank-pages tbody')).includes('/best-hiking-boots/'), 'pages table');
      assert((await page.textContent('#affrank-links tbody')).includes('awin'), 'links table names networks');
      await page.screenshot({ path: join(shots, 'revenue-mapping.png'), fullPage: true });
    });

    await checks.run('sample reports: columns sort, presets switch, CSV downloads', async () => {
      await Promise.all([page.waitForNavigation(), page.click('#affrank-keywords th:nth-child(5) a')]);
      equal(await page.getAttribute('#affrank-keywords th:nth-child(5)', 'aria-sort'), 'descending', 'sorted by EPC');
      const epcs = await page.$$eval('#affrank-keywords tbody tr td:nth-child(5)', (tds) => tds.map((td) => parseFloat(td.textContent.replace(/[^0-9.]/g, ''))));
      equal(JSON.stringify(epcs), JSON.stringify([...epcs].sort((a, b) => b - a)), 'EPC descending');
      await Promise.all([page.waitForNavigation(), page.click('.affrank-segment >> text=7 days')]);
      equal(await page.locator('.affrank-chart__bar').count(), 7, 'the 7-day preset');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#affrank-keywords >> text=Download CSV')]);
      const csv = readFileSync(await download.path(), 'utf8');
      assert(csv.startsWith('keyword,clicks'), `CSV header: ${csv.slice(0, 40)}`);
      assert(download.suggestedFilename().startsWith('affrank-keywords-'), download.suggestedFilename());
    });

    await checks.run('sample reports: Postback Log masks tokens and explains outcomes', async () => {
      await page.goto(`${BLOG}/wp-admin/admin.php?page=affrank-postback-log`);
      const text = await page.textContent('.affrank-log');
      assert(!text.includes('k3J9sPq2') && !text.includes('wrong-token'), 'tokens masked');
      assert(text.includes('token=k3••••••'), 'masked token shown');
      assert(text.includes('affrank_sid'), 'the unmatched hint names affrank_sid');
      await page.screenshot({ path: join(shots, 'postback-log.png'), fullPage: true });
    });

    await checks.run('sample reports: the dashboard widget shows the last 7 days', async () => {
      await page.goto(`${BLOG}/wp-admin/index.php`);
      const widget = await page.textContent('#affrank_dashboard');
      assert(widget.includes('$1,714.25') && widget.includes('EPC'), widget);
      await page.locator('#affrank_dashboard').screenshot({ path: join(shots, 'dashboard-widget.png') });
    });

    await checks.run('sample reports: Revenue Mapping is readable at phone width', async () => {
      await phoneShot(page, 'phone-revenue-mapping', '/wp-admin/admin.php?page=affrank');
    });

    await checks.run('a new install: Revenue Mapping says what to do next', async () => {
      wpEval("update_option('affrank_sidecar_url', '');");
      await page.goto(`${BLOG}/wp-admin/admin.php?page=affrank`);
      const text = await page.textContent('.affrank-welcome');
      assert(/affrank site add/.test(text) && /Test connection/.test(text), text);
      assert(await page.$('.affrank-welcome a[href*="page=affrank-settings"]'), 'a button to Settings');
      await page.screenshot({ path: join(shots, 'get-started.png'), fullPage: false });
    });
  } finally {
    wpEval(`update_option('affrank_sidecar_url', '${SIDECAR}');`);
    sample.kill();
  }
}

async function get(url, options = {}) {
  const started = performance.now();
  const response = await fetch(url, { redirect: 'manual', ...options });
  const body = await response.text();
  return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
}

function sql(query) {
  const r = spawnSync('psql', [env.DATABASE_URL, '-AtF', '\t', '-c', query], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((line) => line.split('\t'));
}

function wpEval(php) {
  const r = spawnSync('php', ['../wordpress/wp.php', env.WP_NAME, BLOG, '-r', php], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wp.php: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function sidecarSite() {
  const r = await fetch(`${SIDECAR}/api/v1/site`, { headers: { Authorization: `Bearer ${site.api_key}` } });
  return r.json();
}

const isGo = (href) => new RegExp(`^${SIDECAR.replace(/[.]/g, '\\.')}/go/[A-Za-z0-9_-]+$`).test(href || '');

// ------------------------------------------------ step 1: tagged page
const original = readFileSync(env.ORIGINAL_HTML, 'utf8');
const first = await get(env.POST_A);
const tagged = first.body;
const origTags = anchorTags(original);
const newTags = anchorTags(tagged);

await checks.run('step 1: the post renders (200) with the plugin connected', () => {
  equal(first.status, 200, 'status');
  assert(origTags.some((t) => isAffiliate(attribute(t, 'href'))), 'the reference page has affiliate links');
});

await checks.run('step 1: exactly the affiliate links point at /go/ with rel="sponsored nofollow"', () => {
  equal(newTags.length, origTags.length, 'same number of links');
  let tagged = 0;
  origTags.forEach((before, i) => {
    const after = newTags[i];
    if (isAffiliate(attribute(before, 'href'))) {
      tagged++;
      assert(isGo(attribute(after, 'href')), `affiliate link ${i} points at /go/: ${after}`);
      const rel = (attribute(after, 'rel') || '').split(/\s+/);
      assert(rel.includes('sponsored') && rel.includes('nofollow'), `rel on ${after}`);
      for (const kept of ['target', 'data-affrank-keyword']) {
        equal(attribute(after, kept), attribute(before, kept), `${kept} kept on ${after}`);
      }
    } else {
      equal(after, before, `non-affiliate link ${i} untouched`);
    }
  });
  equal(tagged, 4, 'four affiliate links (Awin ×2, ShareASale, Impact) tagged');
});

await checks.run('step 1: the rest of the page is byte for byte unchanged', () => {
  equal(withoutAnchors(tagged), withoutAnchors(original), 'page outside <a> start tags');
});

await checks.run('step 1: the affiliate URL shown as markup in a code block stays text', () => {
  const block = original.match(/<pre class="wp-block-code">[\s\S]*?<\/pre>/)?.[0];
  assert(block && block.includes('&lt;a href='), 'the reference page has the escaped markup');
  assert(tagged.includes(block), 'the code block is unchanged in the tagged page');
});

await checks.run('step 1: links are registered with the keyword and its source', () => {
  const rows = sql(`SELECT network, keyword, keyword_source FROM links WHERE page_url = '${env.POST_A}' ORDER BY network, keyword`);
  const seen = rows.map((r) => r.join('|'));
  for (const expected of [
    'awin|best hiking boots|yoast',
    'awin|waterproof hiking boots|link_attribute',
    'impact|best hiking boots|yoast',
    'shareasale|best hiking boots|yoast',
  ]) {
    assert(seen.includes(expected), `links row ${expected} in ${JSON.stringify(seen)}`);
  }
});

await checks.run('step 1: a warm cache serves the same page without asking the sidecar', async () => {
  const before = sql('SELECT count(*), max(last_seen_at) FROM links')[0].join();
  const again = await get(env.POST_A);
  equal(again.body, tagged, 'same HTML');
  equal(sql('SELECT count(*), max(last_seen_at) FROM links')[0].join(), before, 'no rewrite reached the sidecar');
});

await checks.run('step 1: feeds and the REST API are tagged too', async () => {
  const feed = await get(`${BLOG}/feed/`);
  assert(feed.body.includes(`${SIDECAR}/go/`), 'the RSS feed carries /go/ links');
  const rest = await get(`${BLOG}/wp-json/wp/v2/posts?slug=best-hiking-boots`);
  const rendered = JSON.parse(rest.body)[0].content.rendered;
  assert(rendered.includes(`${SIDECAR}/go/`), 'REST content.rendered carries /go/ links');
});

await checks.run('step 1: on every Theme Unit Test Data post, only the affiliate link changes', async () => {
  const urls = readFileSync(env.THEME_POSTS, 'utf8').split('\n').filter(Boolean);
  assert(urls.length >= 50, `${urls.length} theme test posts`);
  const problems = [];
  for (const [i, url] of urls.entries()) {
    const before = readFileSync(join(env.THEME_ORIGINALS, `${i}.html`), 'utf8');
    const after = (await get(url)).body;
    const a = anchorTags(before);
    const b = anchorTags(after);
    const changed = a.map((tag, j) => [tag, b[j]]).filter(([x, y]) => x !== y);
    const wrong = changed.filter(([x, y]) => !isAffiliate(attribute(x, 'href')) || !isGo(attribute(y, 'href')));
    const tagged = changed.length - wrong.length;
    if (a.length !== b.length) problems.push(`${url}: ${a.length} links became ${b.length}`);
    else if (wrong.length) problems.push(`${url}: ${wrong[0][0]} became ${wrong[0][1]}`);
    else if (tagged < 1) problems.push(`${url}: its affiliate link was not tagged`);
    else if (withoutAnchors(after) !== withoutAnchors(before)) problems.push(`${url}: the page changed outside its links`);
  }
  equal(problems.join('\n'), '', `${problems.length} of ${urls.length} posts`);
});

// ----------------------------------------------- step 2: the redirect
const goLinks = Object.fromEntries(
  origTags.map((t, i) => [decodeEntities(attribute(t, 'href') || ''), decodeEntities(attribute(newTags[i], 'href') || '')])
    .filter(([before]) => isAffiliate(before))
    .map(([before, after]) => [before.includes('awin1') ? (before.includes('waterproof') ? 'awin2' : 'awin') : before.includes('shareasale') ? 'shareasale' : 'impact', after]),
);
let clickSession = null;

for (const [network, subId] of [['awin', 'clickref'], ['shareasale', 'afftrack'], ['impact', 'subId1']]) {
  await checks.run(`step 2: following the ${network} link redirects with affrank_sid and ${subId}`, async () => {
    const r = await get(goLinks[network], { headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) e2e' } });
    equal(r.status, 302, 'status');
    const location = new URL(r.headers.get('location'));
    const sid = location.searchParams.get('affrank_sid');
    assert(/^[A-Za-z0-9]{16,24}$/.test(sid || ''), `affrank_sid is alphanumeric, 16–24 chars: ${sid}`);
    equal(location.searchParams.get(subId), sid, `${subId} carries the session id`);
    equal(location.searchParams.getAll(subId).length, 1, `one ${subId}`);
    if (network === 'awin') {
      equal(location.searchParams.get('awinmid'), '1234', 'other parameters kept');
      clickSession = sid;
    }
  });
}

await checks.run('step 2: the click is recorded against the post and its keyword', () => {
  const rows = sql(`SELECT page_url, keyword, network FROM clicks WHERE session_id = '${clickSession}'`);
  equal(rows.length, 1, 'one click row');
  equal(rows[0].join('|'), `${env.POST_A}|best hiking boots|awin`, 'click attribution');
});

// --------------------------------- step 3: postback → Revenue Mapping
checks.skip(
  'step 3: a postback for that session id shows as revenue against the keyword and page',
  'needs the sidecar\'s postback and report endpoints (later issues); see the STEP 3 marker in tests/e2e/e2e.mjs',
);
// STEP 3 (to write when /api/v1/postbacks and /api/v1/reports exist):
//   GET site.postback_url with sessionId=clickSession, amount=12.50, transaction_id=e2e-1;
//   open Revenue Mapping in the browser below and check the keywords table
//   has "best hiking boots" with $12.50 and the pages table has POST_A.

// ------------------------- step 5 + screenshots: the admin in Chromium
wpEval(`update_post_meta(url_to_postid('${env.POST_A}'), '_affrank_keyword', ${JSON.stringify(HOSTILE).replace(/\$/g, '\\$')});`);
await get(env.POST_A); // re-tagged with the new keyword, so the sidecar stores it too
const postAId = wpEval(`echo url_to_postid('${env.POST_A}');`).trim();

const browser = await launch();
try {
  const page = await login(browser.context, BLOG, 'admin', env.WP_PASSWORD);
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });

  // Against today's real sidecar; screens that need reports show their
  // "not yet" state (the -before-reports screenshots).
  const screens = [
    ['revenue-mapping-before-reports', '/wp-admin/admin.php?page=affrank'],
    ['postback-setup', '/wp-admin/admin.php?page=affrank-postbacks'],
    ['postback-log-before-reports', '/wp-admin/admin.php?page=affrank-postback-log'],
    ['settings', '/wp-admin/admin.php?page=affrank-settings'],
    ['dashboard-widget-before-reports', '/wp-admin/index.php'],
    ['keyword-meta-box', `/wp-admin/post.php?post=${postAId}&action=edit`],
  ];

  for (const [name, path] of screens) {
    await checks.run(`step 5: ${name} shows the <script> keyword as text, no PHP errors, no API key`, async () => {
      const response = await page.goto(BLOG + path);
      equal(response.status(), 200, 'status');
      if (name === 'keyword-meta-box') {
        await page.waitForSelector('#affrank-keyword-field', { timeout: 20000 });
        equal(await page.inputValue('#affrank-keyword-field'), HOSTILE, 'the meta box shows the keyword as typed');
      }
      const html = await page.content();
      const text = await page.evaluate(() => document.body.innerText);
      assert(!/(Fatal error|Warning|Notice|Deprecated):/.test(text), 'no PHP error on the page');
      assert(!html.includes(site.api_key), 'the API key is not in the page');
      const injected = await page.evaluate(() => [...document.querySelectorAll('script')].some((s) => s.textContent.includes('alert(1)')));
      assert(!injected, 'no script element carries the keyword');
      equal(dialogs.length, 0, 'no alert fired');
      if (!name.startsWith('dashboard-widget') && name !== 'keyword-meta-box') {
        assert(await page.$('.affrank-header'), 'the AffRank header is there');
      }
      if (name.startsWith('dashboard-widget')) {
        await page.locator('#affrank_dashboard').screenshot({ path: join(shots, `${name}.png`) });
      } else {
        await page.screenshot({ path: join(shots, `${name}.png`), fullPage: name !== 'keyword-meta-box' });
      }
    });
  }

  await checks.run('admin: Postback Setup shows the real postback URL and says CJ and ClickBank have none', async () => {
    await page.goto(`${BLOG}/wp-admin/admin.php?page=affrank-postbacks`);
    const live = await sidecarSite();
    equal(await page.inputValue('#affrank-postback-url'), live.postback_url, 'the generic URL');
    assert(live.postback_url.includes(site.site_id), 'it carries the site id');
    const cj = await page.textContent('#affrank-network-cj');
    assert(/no publisher postback/i.test(cj), 'CJ says it has no publisher postback');
    assert(!(await page.$('#affrank-network-cj textarea')), 'CJ shows no URL');
    const cb = await page.textContent('#affrank-network-clickbank');
    assert(/encrypted/i.test(cb), 'ClickBank says it sends its own encrypted notification');
    const impact = await page.inputValue('#affrank-network-impact textarea');
    assert(impact.includes('sessionId={SubId1}'), 'Impact URL has Impact macros');
  });

  await checks.run('admin: Test connection reports success', async () => {
    await page.goto(`${BLOG}/wp-admin/admin.php?page=affrank-settings`);
    await Promise.all([page.waitForNavigation(), page.click('#affrank-test-connection')]);
    assert(/Connected\./.test(await page.textContent('.notice-success')), 'success notice');
  });

  await checks.run('admin: a bad affiliate pattern is refused, naming its line, and the text is kept', async () => {
    await page.fill('#affrank_link_rules', 'go.partner.example\nnot a host');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    const notice = await page.textContent('.notice-error');
    assert(/Affiliate links, line 2/.test(notice), `notice names the line: ${notice}`);
    equal(await page.inputValue('#affrank_link_rules'), 'go.partner.example\nnot a host', 'the typed rules are shown again');
  });

  await checks.run('admin: saving link rules updates the sidecar and re-tags pages', async () => {
    const before = (await sidecarSite()).settings_version;
    await page.goto(`${BLOG}/wp-admin/admin.php?page=affrank-settings`);
    await page.fill('#affrank_link_rules', 'go.partner.example\n*.trk.example.net = everflow');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    assert(await page.$('.notice-success'), 'success notice');
    const after = await sidecarSite();
    assert(after.settings_version > before, 'settings version bumped');
    equal(after.link_rules.map((r) => `${r.kind} ${r.pattern} ${r.network}`).join('; '),
      'host go.partner.example null; host *.trk.example.net everflow', 'rules saved');
    equal(await page.inputValue('#affrank_api_key'), '', 'the key is never printed back');
    const state = JSON.parse(wpEval("echo wp_json_encode(get_option('affrank_site_state'));"));
    equal(state.version, after.settings_version, 'the plugin keys its cache on the new version');
    await page.screenshot({ path: join(shots, 'settings-saved.png'), fullPage: false });
  });

  await checks.run('admin: Send test postback makes a test click and reports the outcome', async () => {
    const clicksBefore = Number(sql('SELECT count(*) FROM clicks')[0][0]);
    await page.goto(`${BLOG}/wp-admin/admin.php?page=affrank-postbacks`);
    await Promise.all([page.waitForNavigation(), page.click('#affrank-test-postback')]);
    const notice = await page.textContent('.notice');
    // Today's sidecar has no postback endpoint: the plugin says so plainly.
    // Once it has one, the outcome ("matched") is shown instead.
    assert(/does not receive postbacks yet|Test postback sent: matched/.test(notice), `notice: ${notice}`);
    const test = sql("SELECT is_bot, keyword FROM clicks WHERE keyword = 'AffRank test'");
    equal(Number(sql('SELECT count(*) FROM clicks')[0][0]), clicksBefore + 1, 'one test click recorded');
    equal(test.map((r) => r.join('|')).join(), 't|AffRank test', 'the test click is flagged not billable');
    await page.screenshot({ path: join(shots, 'postback-setup-test-sent.png'), fullPage: false });
  });

  await checks.run('admin: Postback Setup is readable at phone width', async () => {
    await phoneShot(page, 'phone-postback-setup', '/wp-admin/admin.php?page=affrank-postbacks');
  });

  await sampleReports(page, dialogs);
} finally {
  await browser.close();
}

// -------------------------------------- step 4: the sidecar goes away
await checks.run('step 4: a hung sidecar costs a cold page at most the timeout, original links', async () => {
  process.kill(SIDECAR_PID, 'SIGSTOP');
  try {
    const r = await get(env.POST_B);
    equal(r.status, 200, 'status');
    assert(r.ms < 1000, `rendered in ${Math.round(r.ms)} ms`);
    assert(r.body.includes('href="https://www.awin1.com/cread.php?awinmid=1234&#038;awinaffid=56789&#038;p=deal"') || r.body.includes('href="https://www.awin1.com/cread.php?awinmid=1234&amp;awinaffid=56789&amp;p=deal"'), 'the original link');
    assert(!r.body.includes('/go/'), 'no /go/ link');
    const cached = await get(env.POST_A);
    assert(cached.ms < 1000, `the warm post in ${Math.round(cached.ms)} ms`);
    assert(!cached.body.includes(`${SIDECAR}/go/`), 'a post with a warm cache also falls back to its original links');
    equal(withoutAnchors(cached.body).length > 0, true, 'renders');
  } finally {
    process.kill(SIDECAR_PID, 'SIGCONT');
  }
});

await checks.run('step 4: a stopped sidecar: the post renders in under a second with its original links', async () => {
  process.kill(SIDECAR_PID, 'SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 500));
  // Clear the back-off left by the hung sidecar, as "Test connection" does
  // once it answers (or as 30 s of waiting would), so this render tries again.
  wpEval('(new AffRank\\Sidecar\\Backoff())->record_success();');
  const r = await get(env.POST_C);
  equal(r.status, 200, 'status');
  assert(r.ms < 1000, `rendered in ${Math.round(r.ms)} ms`);
  assert(!r.body.includes('/go/'), 'no /go/ link');
  assert(r.body.includes('awinmid=1234'), 'the original link');
});

await checks.run('no PHP notice, warning or error from the plugin in debug.log', () => {
  let log = '';
  try { log = readFileSync(env.WP_DEBUG_LOG, 'utf8'); } catch { /* no log: nothing logged */ }
  const ours = log.split('\n').filter((line) => /plugins\/affrank\//.test(line));
  equal(ours.join('\n'), '', 'lines mentioning the plugin');
});

console.log(`e2e: ${checks.passed} passed, ${checks.failed} failed, ${checks.skipped} skipped`);
writeFileSync(env.RESULT, `${checks.passed} ${checks.failed} ${checks.skipped}\n`);
process.exit(checks.failed ? 1 : 0);
