// Headless Debian chromium through playwright-core: a real login, then
// each AffRank admin screen is opened, checked and photographed.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A fresh profile each run (playwright passes it as --user-data-dir).
// `options` are more context options (a reader's `userAgent`: headless
// Chromium names itself in its own, which bot filters catch).
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'affrank-chromium-'));
  let context;
  try {
    context = await launchIn(profile, options);
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function launchIn(profile, options) {
  return chromium.launchPersistentContext(profile, {
    ...options,
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// Logs in through the real wp-login.php form.
export async function login(context, base, user, password) {
  const page = await context.newPage();
  await page.goto(`${base}/wp-login.php`);
  await page.fill('#user_login', user);
  await page.fill('#user_pass', password);
  await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);
  return page;
}
