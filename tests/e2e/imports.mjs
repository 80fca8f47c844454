// Issue 15 in the real WordPress, against the real sidecar: revenue that
// arrives by no postback. Readers click the CJ and Amazon links of a review;
// the blogger gives the review its own Amazon tracking id under Settings,
// uploads a CJ Commission Detail export (whose sid column carries the
// clicks' session ids, with one broken row) and an Amazon Earnings report
// (no sub-tag: credited by tracking id) on the Import screen, previews,
// applies, and finds the revenue on the review's keyword and page rows of
// Revenue Mapping, by network, with the attribution coverage; then adds a
// conversion by hand on Conversions, sees it counted, and reverses it.
// Called from e2e.mjs with the logged-in page, after every check that
// compares totals. Checks whose sidecar endpoint is missing are skipped by
// name.
import { join } from 'node:path';
import { assert, equal } from './checks.mjs';

export async function importChecks({ checks, page, env, blog, sidecar, site, get, sql, click, goLinksOf, shots, phoneShot }) {
  const api = async (method, path, body) => {
    const r = await fetch(`${sidecar}${path}`, {
      method,
      headers: { Authorization: `Bearer ${site.api_key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() };
  };
  const has = async (path) => (await api('GET', path)).status === 200;
  const ready = {
    imports: await has('/api/v1/imports/presets'),
    conversions: await has('/api/v1/conversions?limit=1'),
    amazon: await has('/api/v1/amazon/pages'),
    networks: await has('/api/v1/reports/networks'),
  };
  const run = (needs, name, fn) => {
    const missing = needs.filter((n) => !ready[n]);
    if (missing.length) return checks.skip(name, `the sidecar does not answer ${missing.join(', ')} yet (not merged)`);
    return checks.run(name, fn);
  };
  const today = new Date().toISOString().slice(0, 10);
  const skillet = env.POST_F;
  const skilletPath = new URL(skillet).pathname;
  const rowOf = async (table, label) => page.$$eval(`#affrank-${table} tbody tr`, (trs, wanted) => trs
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()))
    .find((cells) => cells[0].split('\n')[0] === wanted) || null, label);
  // The screen's own flash notice (not an alert the sidecar raises).
  const notice = async () => (await page.textContent('.wrap .notice:not([data-affrank-alert])')).trim();
  const pageErrors = async () => {
    const text = await page.evaluate(() => document.body.innerText);
    assert(!/(Fatal error|Warning|Notice|Deprecated):/.test(text), 'no PHP error on the page');
    assert(!(await page.content()).includes(site.api_key), 'the API key is not in the page');
  };

  // Readers click the review's CJ link twice (two sales will come back).
  const links = await goLinksOf(skillet);
  equal(links.length, 2, `the review's CJ and Amazon links are tagged: ${JSON.stringify(links)}`);
  const cjSessions = [await click(links[0]), await click(links[0])];
  await click(links[1]);

  await run(['amazon'], 'import: Settings takes an Amazon tracking-id pool and the review gets its own id by hand', async () => {
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank-settings`);
    await page.fill('#affrank_amazon_tracking_ids', 'trailgear-skillet-20\ntrailgear-spare-20');
    await page.check('#affrank_amazon_assignment_manual');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    assert(await page.$('.notice-success'), `saved: ${await notice()}`);
    const live = (await api('GET', '/api/v1/site')).body;
    equal(JSON.stringify(live.amazon_tracking_ids), '["trailgear-skillet-20","trailgear-spare-20"]', 'the pool reached the sidecar as a list');
    equal(live.amazon_tracking_assignment, 'manual', 'by hand');
    // The review is shown again (its Amazon link registers its page), then assigned.
    await get(skillet);
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank-settings`);
    const select = page.locator(`#affrank-amazon-pages select[data-page-url="${skillet}"]`);
    equal(await select.count(), 1, 'the review is in the page table');
    await select.selectOption('trailgear-skillet-20');
    await Promise.all([page.waitForNavigation(), page.click('#affrank-save-amazon-pages')]);
    assert(/Tracking id saved for 1 page/.test(await notice()), await notice());
    const pages = (await api('GET', '/api/v1/amazon/pages')).body.rows;
    equal(pages.find((p) => p.page_url === skillet)?.tracking_id, 'trailgear-skillet-20', 'the sidecar has the review\'s id');
    await pageErrors();
    await page.locator('#affrank-amazon').screenshot({ path: join(shots, 'settings-amazon.png') });
    await page.locator('#affrank-amazon-pages').screenshot({ path: join(shots, 'settings-amazon-pages.png') });
  });

  // A CJ Commission Detail export in CJ's layout: two sales for the clicks'
  // session ids (approved: locked and closed) and a row without its id.
  const cjHeader = 'commissionId,actionStatus,actionType,actionTrackerName,advertiserId,advertiserName,websiteName,eventDate,postingDate,lockingDate,orderId,original,originalActionId,correctionReason,saleAmountUsd,pubCommissionAmountUsd,shopperId';
  const cjRows = [
    `3300000001,locked,sim_sale,Online Sale,4347392,"Hearth & Co",Trail & Gear Notes,${today}T09:15:00Z,${today}T10:00:00Z,${today}T10:00:00Z,HC-1001,true,3300000001,,75.00,7.50,${cjSessions[0]}`,
    `3300000002,closed,sim_sale,Online Sale,4347392,"Hearth & Co",Trail & Gear Notes,${today}T11:40:00Z,${today}T12:00:00Z,${today}T12:00:00Z,HC-1002,true,3300000002,,122.50,12.25,${cjSessions[1]}`,
    `,new,sim_sale,Online Sale,4347392,"Hearth & Co",Trail & Gear Notes,${today}T12:00:00Z,${today}T12:30:00Z,${today}T12:30:00Z,HC-1003,true,3300000003,,20.00,2.00,${cjSessions[1]}`,
  ];
  const cjFile = Buffer.from([cjHeader, ...cjRows].join('\r\n') + '\r\n');
  // An Amazon Earnings report as Associates Central writes it: a title line,
  // the header, two shipped items for the review's tracking id, no sub-tag.
  const amazonFile = Buffer.from([
    `Fee-Earnings reports from ${today} to ${today}`,
    'Category,Name,ASIN,Seller,Tracking ID,Date Shipped,Price($),Items Shipped,Returns,Revenue($),Ad Fees($),Device Type Group',
    `Kitchen,"Cast Iron Skillet, 12 Inch",B00006JSUA,Amazon.com,trailgear-skillet-20,${today} 00:00:00,29.90,1,0,29.90,3.10,DESKTOP`,
    `Kitchen,"Chainmail Scrubber",B07PZ4XDPW,Amazon.com,trailgear-skillet-20,${today} 00:00:00,14.00,1,0,14.00,1.40,PHONE`,
  ].join('\n') + '\n');

  const importsBefore = () => Number(sql("SELECT count(*) FROM conversions WHERE source = 'import'")[0][0]);
  const upload = async (name, buffer, preset) => {
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank-import`);
    await page.setInputFiles('#affrank_import_file', { name, mimeType: 'text/csv', buffer });
    await page.selectOption('#affrank_import_preset', preset);
    await Promise.all([page.waitForNavigation(), page.click('#affrank-import-preview')]);
    const error = await page.$('.notice-error');
    assert(!error, `no error: ${error && (await error.textContent()).trim()}`);
  };
  const tile = async (scope, key) => (await page.textContent(`${scope} .affrank-count--${key} .affrank-tile__value`)).trim();

  await run(['imports'], 'import: a CJ export previews its rows as read and its rejected row, and changes nothing', async () => {
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank-import`);
    await pageErrors();
    assert(/up to \d/.test(await page.textContent('.affrank-import-form')), 'the size limit is stated');
    await page.screenshot({ path: join(shots, 'import.png'), fullPage: true });
    const before = importsBefore();
    await upload('cj-commissions.csv', cjFile, 'cj-commission-detail');
    const rows = await page.innerText('#affrank-import-rows');
    for (const [tx, sid] of [['3300000001', cjSessions[0]], ['3300000002', cjSessions[1]]]) {
      assert(rows.includes(tx) && rows.includes(sid), `the preview shows ${tx} for click ${sid}: ${rows}`);
    }
    const rejected = await page.innerText('#affrank-import-rejected tbody');
    assert(/^4\s/.test(rejected.trim()), `the broken row by its number (the header is row 1): ${rejected}`);
    equal(await tile('#affrank-import-check', 'imported'), '2', 'two new sales');
    equal(await tile('#affrank-import-check', 'rejected'), '1', 'one rejected row');
    equal(importsBefore(), before, 'a preview imports nothing');
    await pageErrors();
    await page.screenshot({ path: join(shots, 'import-preview.png'), fullPage: true });
  });

  await run(['imports'], 'import: applying with a rejected row imports nothing until "skip rejected rows" is ticked', async () => {
    const before = importsBefore();
    await Promise.all([page.waitForNavigation(), page.click('#affrank-import-apply')]);
    assert(/Nothing was imported: 1 row was rejected/.test(await notice()), await notice());
    equal(importsBefore(), before, 'the file is applied whole or not at all');
    await page.check('#affrank_skip_rejected');
    await Promise.all([page.waitForNavigation(), page.click('#affrank-import-apply')]);
    assert(/^Imported: \d+ rows read, 2 new conversions/.test(await notice()), await notice());
    equal(await tile('#affrank-import-result', 'imported'), '2', 'the result');
    equal(importsBefore(), before + 2, 'two conversions imported');
    const stored = sql("SELECT transaction_id, status, amount::text, page_url, keyword FROM conversions WHERE source = 'import' AND network = 'cj' ORDER BY transaction_id");
    equal(stored.map((r) => r.join('|')).join('\n'), [
      `3300000001|approved|7.50|${skillet}|cast iron skillet`,
      `3300000002|approved|12.25|${skillet}|cast iron skillet`,
    ].join('\n'), 'matched to the clicks, so to the review and its keyword');
    assert(!(await page.$('#affrank-import-check')), 'the preview is gone');
    await page.screenshot({ path: join(shots, 'import-result.png'), fullPage: true });
  });

  await run(['imports'], 'import: the same CJ file again changes nothing (every row a duplicate)', async () => {
    const before = sql("SELECT count(*), sum(amount)::text FROM conversions WHERE source = 'import'")[0].join();
    await upload('cj-commissions.csv', cjFile, 'cj-commission-detail');
    equal(await tile('#affrank-import-check', 'imported'), '0', 'nothing new');
    equal(await tile('#affrank-import-check', 'duplicate'), '2', 'both sales already there');
    await Promise.all([page.waitForNavigation(), page.click('#affrank-import-cancel')]);
    assert(/Import cancelled/.test(await notice()), await notice());
    equal(sql("SELECT count(*), sum(amount)::text FROM conversions WHERE source = 'import'")[0].join(), before, 'unchanged');
  });

  await run(['imports', 'amazon'], 'import: an Amazon Earnings report without sub-tags is credited to the page of its tracking id', async () => {
    await upload('Fee-Earnings.csv', amazonFile, 'amazon-earnings');
    const rows = await page.innerText('#affrank-import-rows');
    assert(rows.includes('trailgear-skillet-20'), `the tracking id as read: ${rows}`);
    assert(!(await page.$('#affrank_skip_rejected')), 'no rejected row, no box');
    await Promise.all([page.waitForNavigation(), page.click('#affrank-import-apply')]);
    assert(/2 new conversions/.test(await notice()), await notice());
    const stored = sql("SELECT amount::text, label, page_url, keyword FROM conversions WHERE source = 'import' AND network = 'amazon' ORDER BY amount");
    equal(stored.map((r) => r.join('|')).join('\n'), [
      `1.40|trailgear-skillet-20|${skillet}|cast iron skillet`,
      `3.10|trailgear-skillet-20|${skillet}|cast iron skillet`,
    ].join('\n'), 'credited to the review and its keyword');
  });

  await run(['imports', 'amazon', 'networks'], 'import: Revenue Mapping shows the imported revenue on the keyword and page rows, by network, with the coverage', async () => {
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank`);
    await pageErrors();
    const keyword = await rowOf('keywords', 'cast iron skillet');
    assert(keyword, 'a keyword row for "cast iron skillet"');
    equal(keyword[3], '$24.25', 'its revenue: CJ 7.50 + 12.25, Amazon 3.10 + 1.40');
    equal(keyword[2], '4', 'its conversions');
    const pageRow = await rowOf('pages', skilletPath);
    assert(pageRow, `a page row for ${skilletPath}`);
    equal(pageRow[3], '$24.25', 'the page\'s revenue');
    const cj = await rowOf('networks', 'cj');
    assert(cj && cj[6].includes('import $19.75'), `CJ's revenue came by import: ${cj}`);
    const amazon = await rowOf('networks', 'amazon');
    assert(amazon && amazon[6].includes('import $4.50'), `Amazon's too: ${amazon}`);
    const coverage = await page.innerText('#affrank-coverage');
    assert(/to a page by tracking id/.test(coverage) && coverage.includes('$4.50'), `the Amazon revenue is matched to a page: ${coverage}`);
    await page.screenshot({ path: join(shots, 'revenue-mapping-imports.png'), fullPage: true });
    // The network filter narrows every report to one network.
    await page.selectOption('#affrank-network', 'amazon');
    await Promise.all([page.waitForNavigation(), page.click('.affrank-network-filter button')]);
    equal((await page.textContent('.affrank-tile--revenue .affrank-tile__value')).trim(), '$4.50', 'Amazon only');
    equal((await rowOf('keywords', 'cast iron skillet'))?.[3], '$4.50', 'the keyword row, Amazon only');
  });

  let manualId = null;
  await run(['conversions'], 'manual: a conversion added by hand on Conversions is listed and counted on its page', async () => {
    const tent = new URL(env.POST_E).pathname;
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank`);
    const before = (await rowOf('pages', tent))?.[3];
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank-conversions`);
    await pageErrors();
    await page.fill('#affrank_network', 'peakcamp');
    await page.fill('#affrank_date', today);
    await page.fill('#affrank_amount', '15.00');
    await page.fill('#affrank_page_url', env.POST_E);
    await page.fill('#affrank_product', 'Featherline 1P, <b>bundle</b>');
    await Promise.all([page.waitForNavigation(), page.click('#affrank-save-conversion')]);
    assert(await page.$('.notice-success'), await notice());
    manualId = (await notice()).match(/#(\d+)/)?.[1];
    assert(manualId, `the notice names the conversion: ${await notice()}`);
    const row = page.locator(`#affrank-conversion-${manualId}`);
    const text = await row.innerText();
    assert(/manual/.test(text) && text.includes('$15.00') && text.includes(tent) && text.includes('<b>bundle</b>'), `listed, the product as text: ${text}`);
    equal(sql(`SELECT source, status, amount::text, page_url FROM conversions WHERE id = ${Number(manualId)}`)[0].join('|'), `manual|approved|15.00|${env.POST_E}`, 'stored');
    await page.screenshot({ path: join(shots, 'conversions.png'), fullPage: true });
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank`);
    const after = (await rowOf('pages', tent))?.[3];
    const cents = (money) => Math.round(Number(String(money || '$0').replace(/[^0-9.]/g, '')) * 100);
    equal(cents(after) - cents(before), 1500, `the tent page's revenue grows by 15.00 (${before} → ${after})`);
  });

  await run(['conversions'], 'manual: a manual conversion can be edited, then reversed, and its revenue goes', async () => {
    assert(manualId, 'the conversion of the check before');
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank-conversions`);
    await Promise.all([page.waitForNavigation(), page.click(`#affrank-conversion-${manualId} a:text("Edit")`)]);
    equal(await page.inputValue('#affrank_amount'), '15.00', 'the form shows the stored amount');
    await page.fill('#affrank_amount', '16.00');
    await Promise.all([page.waitForNavigation(), page.click('#affrank-save-conversion')]);
    assert(await page.$('.notice-success'), await notice());
    equal(sql(`SELECT amount::text FROM conversions WHERE id = ${Number(manualId)}`)[0][0], '16.00', 'edited');
    await Promise.all([page.waitForNavigation(), page.click(`#affrank-conversion-${manualId} .affrank-reverse-form button`)]);
    assert(/is now reversed/.test(await notice()), await notice());
    equal(sql(`SELECT status FROM conversions WHERE id = ${Number(manualId)}`)[0][0], 'reversed', 'reversed');
    equal((await page.locator(`#affrank-conversion-${manualId} .affrank-badge`).innerText()).trim(), 'reversed', 'shown reversed');
    // Any conversion's status can be changed: an imported CJ sale goes back to pending.
    const cjId = sql("SELECT id FROM conversions WHERE transaction_id = '3300000002'")[0]?.[0];
    if (cjId) {
      await page.selectOption(`#affrank-status-${cjId}`, 'pending');
      await Promise.all([page.waitForNavigation(), page.click(`#affrank-conversion-${cjId} .affrank-status-form button`)]);
      equal(sql(`SELECT status FROM conversions WHERE id = ${cjId}`)[0][0], 'pending', 'the imported sale is pending');
    }
  });

  await checks.run('log: the Postback Log shows each entry\'s source', async () => {
    await page.goto(`${blog}/wp-admin/admin.php?page=affrank-postback-log`);
    equal((await page.textContent('.affrank-log thead th:nth-child(2)')).trim(), 'Source', 'a Source column');
    assert((await page.innerText('.affrank-log tbody tr:first-child .affrank-log__source')).trim().length > 0, 'each row names its source');
  });

  await checks.run('import, conversions: readable at phone width', async () => {
    await phoneShot(page, 'phone-import', '/wp-admin/admin.php?page=affrank-import');
    await phoneShot(page, 'phone-conversions', '/wp-admin/admin.php?page=affrank-conversions');
  });
}
