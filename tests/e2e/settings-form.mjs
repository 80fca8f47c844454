// The Settings form and the sidecar's link rules (#18.7), in headless
// Chromium against the real sidecar: rules put in the sidecar through its
// API survive a save that changes only the timeout, byte for byte and
// without a new settings version (nothing is sent), and the same rules typed
// into the "Affiliate links" box reach the sidecar exactly as typed.
// Called from e2e.mjs with the logged-in page; leaves the sidecar's rules
// and the timeout as it found them.
import { join } from 'node:path';
import { assert, equal } from './checks.mjs';

// Each of these was damaged by sanitize_textarea_field() on every save.
const RULES = [
  { kind: 'host', pattern: 'example.com/go%2Fdeal', network: null },
  { kind: 'regex', pattern: '^https://shop\\.example/out\\?to=https%3A', network: null },
  { kind: 'regex', pattern: '^https://track\\.example/c/(?P<id>\\d+)', network: 'everflow' },
  { kind: 'regex', pattern: '^https://deals\\.example/\\?q=a<b', network: null },
];
const TYPED = [
  'example.com/go%2Fdeal',
  'regex:^https://shop\\.example/out\\?to=https%3A',
  'regex:^https://track\\.example/c/(?P<id>\\d+) = everflow',
  'regex:^https://deals\\.example/\\?q=a<b',
].join('\n');

export async function settingsFormChecks({ checks, page, blog, sidecar, apiKey, shots }) {
  const api = async (method, body) => {
    const r = await fetch(`${sidecar}/api/v1/site`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} /api/v1/site: HTTP ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const settingsUrl = `${blog}/wp-admin/admin.php?page=affrank-settings`;
  const save = async () => {
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    const error = await page.$('.notice-error');
    assert(!error, `no error notice: ${error && (await error.textContent()).trim()}`);
    assert(await page.$('.notice-success'), 'a success notice');
  };
  // Each rule as [kind, pattern, network]: the sidecar answers with its keys sorted.
  const canon = (rules) => JSON.stringify(rules.map((r) => [r.kind, r.pattern, r.network]));
  const rulesOf = (site) => canon(site.link_rules);

  const before = await api('GET');
  await page.goto(settingsUrl);
  const timeout = await page.inputValue('#affrank_timeout_ms');
  try {
    await checks.run('settings: a save that changes only the timeout leaves the sidecar\'s rules byte for byte', async () => {
      const put = await api('PUT', { link_rules: RULES });
      equal(rulesOf(put), canon(RULES), 'the sidecar took the rules as sent');
      await page.goto(settingsUrl);
      equal(await page.inputValue('#affrank_link_rules'), TYPED, 'the box shows each rule as it is');
      const newTimeout = String(Number(timeout) + 50);
      await page.fill('#affrank_timeout_ms', newTimeout);
      await save();
      const after = await api('GET');
      equal(rulesOf(after), canon(RULES), 'the rules, read back from the sidecar');
      equal(after.settings_version, put.settings_version, 'nothing was sent to the sidecar: same settings version');
      equal(await page.inputValue('#affrank_timeout_ms'), newTimeout, 'the new timeout is saved');
      equal(await page.inputValue('#affrank_link_rules'), TYPED, 'the box still shows each rule as it is');
      await page.screenshot({ path: join(shots, 'settings-rules.png'), fullPage: true });
    });

    await checks.run('settings: rules typed into the box reach the sidecar byte for byte', async () => {
      await api('PUT', { link_rules: [] });
      await page.goto(settingsUrl);
      equal(await page.inputValue('#affrank_link_rules'), '', 'the box starts empty');
      await page.fill('#affrank_link_rules', TYPED);
      await save();
      equal(rulesOf(await api('GET')), canon(RULES), 'the rules, read back from the sidecar');
      equal(await page.inputValue('#affrank_link_rules'), TYPED, 'and shown again as typed');
    });
  } finally {
    await api('PUT', { link_rules: before.link_rules });
    await page.goto(settingsUrl);
    if ((await page.inputValue('#affrank_timeout_ms')) !== timeout) {
      await page.fill('#affrank_timeout_ms', timeout);
      await save();
    }
  }
}
