/**
 * /docs in a real browser: Debian's Chromium, driven by playwright-core, loads the page from a
 * running bridge and renders the demo's operations from /openapi.json. Skipped (saying so)
 * only where /usr/bin/chromium is not installed, except under CI (.ci/run installs it), where that fails.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Page } from 'playwright-core';
import { startBridge, type TestBridge } from '../support/bridge';
import { openBrowser, requireChromium, type OpenBrowser } from '../support/browser';
import { ROOT } from '../support/compile';


describe('/docs in Chromium', function () {
  this.timeout(90000);
  let bridge: TestBridge | undefined;
  let browser: OpenBrowser | undefined;
  let page: Page;
  let requested: string[] = [];
  let problems: string[] = [];

  before(async function () {
    requireChromium(this);
    bridge = await startBridge(path.join(ROOT, 'wsdl'));
    browser = await openBrowser();
    ({ page, requested, problems } = browser);
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
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
