/**
 * /docs in a real browser: Debian's Chromium, driven by playwright-core, loads the page from a
 * running bridge and renders the demo's operations from /openapi.json. Skipped (saying so)
 * only where /usr/bin/chromium is not installed; .ci/run installs it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startBridge, tempDir, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('/docs in Chromium', function () {
  this.timeout(90000);
  let bridge: TestBridge | undefined;
  let context: BrowserContext | undefined;
  let profile: ReturnType<typeof tempDir> | undefined;
  let page: Page;
  const requested: string[] = [];
  const problems: string[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      process.stdout.write(`      skipped: ${CHROMIUM} is not installed (apt-get install chromium)\n`);
      this.skip();
    }
    bridge = await startBridge(path.join(ROOT, 'wsdl'));
    profile = tempDir('chromium');
    // A fresh profile per run (playwright passes it as --user-data-dir).
    context = await chromium.launchPersistentContext(profile.dir, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000 });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30000);
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  });

  after(async () => {
    await context?.close();
    await bridge?.close();
    profile?.remove();
  });

  it('renders the demo operations from /openapi.json, loading nothing from elsewhere', async () => {
    await page.goto(`${bridge!.url}/docs`, { waitUntil: 'load' });
    await page.locator('.opblock-tag', { hasText: 'calculator' }).first().waitFor();
    await page.locator('.opblock-summary-path', { hasText: '/api/calculator/Add' }).first().waitFor();
    await page.locator('.opblock-summary-path', { hasText: '/api/orders/GetOrder' }).first().waitFor();
    assert.match(await page.title(), /soap-bridge/);
    const info = await page.locator('.info').innerText();
    assert.match(info, /soap-bridge REST facade/);
    const outside = requested.filter((u) => !u.startsWith(`${bridge!.url}/`) && !u.startsWith('data:'));
    assert.deepEqual(outside, []);
    assert.ok(requested.includes(`${bridge!.url}/openapi.json`), requested.join('\n'));
  });

  it('shows an operation\'s documentation and example when opened', async () => {
    await page.locator('.opblock-summary-path', { hasText: '/api/calculator/Add' }).first().click();
    const block = page.locator('.opblock.is-open').first();
    await block.locator('.opblock-description-wrapper', { hasText: 'Adds two integers.' }).waitFor();
    await block.locator('.body-param__example, .microlight, pre', { hasText: '"intA": 1' }).first().waitFor();
    assert.deepEqual(problems, [], 'no script error and no blocked resource (CSP)');
  });
});
