/**
 * /console in a real browser: Debian's Chromium, driven by playwright-core, against a bridge
 * serving the demo bundles with their demo backends (node-soap for the calculator and the order
 * service, the inventory JSON service), the console behind ADMIN_TOKEN. It picks the calculator's
 * Add, sends it and reads the four panes, breaks the input and finds the error at its field's
 * line, makes a dry run that never reaches the backend (requests counted there), sends the
 * SOAP facade's sample envelope, reads a broken mapping's diagnostics at their line, and reopens
 * recent exchanges. It takes a screenshot of each main view and checks it is a real PNG of the
 * viewport's size; with SCREENSHOTS_DIR set (`npm run screenshots` sets it to docs/) they are
 * kept there, which is how docs/console-*.png are made; otherwise they go to a temporary folder.
 * Skipped (saying so) where /usr/bin/chromium is not installed, except under CI (.ci/run
 * installs it), where that fails.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Locator, Page } from 'playwright-core';
import { mountCalculator, startOrdersBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import { startBridge, tempDir, type TestBridge } from '../support/bridge';
import { openBrowser, requireChromium, type OpenBrowser } from '../support/browser';
import { ROOT } from '../support/compile';
import { TEST_SECRETS } from '../support/secrets';

const TOKEN = TEST_SECRETS.adminToken;
/** Where the screenshots go: SCREENSHOTS_DIR (relative to the checkout), else a temporary folder. */
const SHOTS_DIR = process.env.SCREENSHOTS_DIR ? path.resolve(ROOT, process.env.SCREENSHOTS_DIR) : undefined;

/** The calculator's node-soap backend on a server of ours, so that every request it gets is counted. */
async function countedCalculator(): Promise<DemoBackend & { requests: () => number }> {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await mountCalculator(server);
  server.prependListener('request', () => {
    requests++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('/console in Chromium', function () {
  this.timeout(120000);
  let calc: Awaited<ReturnType<typeof countedCalculator>> | undefined;
  let orders: DemoBackend | undefined;
  let inventory: DemoBackend | undefined;
  let bridge: TestBridge | undefined;
  let browser: OpenBrowser | undefined;
  let services: ReturnType<typeof tempDir> | undefined;
  let page: Page;
  let requested: string[] = [];
  let problems: string[] = [];

  const pane = (id: string): Locator => page.getByTestId(id);
  const paneBody = (id: string): Locator => pane(id).locator('[data-role="body"]');
  let shots: string;
  let shotsTemp: ReturnType<typeof tempDir> | undefined;
  const shot = async (name: string): Promise<void> => {
    const file = path.join(shots, name);
    await page.screenshot({ path: file, fullPage: false });
    // A PNG (signature, IHDR) of the viewport's size.
    const png = fs.readFileSync(file);
    assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', `${name} is not a PNG`);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1400, 900], `${name} has another size`);
    assert.ok(png.length > 20000, `${name} is only ${png.length} bytes: a blank page?`);
  };
  const pick = async (service: string, operation: string): Promise<void> => {
    await page.getByTestId(`op-${service}-${operation}`).click();
    await page.getByTestId('op-title').filter({ hasText: `${service} › ${operation}` }).waitFor();
  };

  before(async function () {
    if (SHOTS_DIR) {
      fs.mkdirSync(SHOTS_DIR, { recursive: true });
      shots = SHOTS_DIR;
    } else {
      shotsTemp = tempDir('console-shots');
      shots = shotsTemp.dir;
    }
    requireChromium(this);
    calc = await countedCalculator();
    orders = await startOrdersBackend(0);
    inventory = await startInventoryBackend(0);
    services = tempDir('console');
    for (const name of ['calculator', 'inventory', 'orders']) fs.cpSync(path.join(ROOT, 'wsdl', name), path.join(services.dir, name), { recursive: true });
    bridge = await startBridge(
      services.dir,
      { DEMO_CALCULATOR_PORT: String(calc.port), DEMO_ORDERS_PORT: String(orders.port), DEMO_INVENTORY_PORT: String(inventory.port) },
      { adminToken: TOKEN, watch: 'false', breakerFailures: '5' },
    );
    browser = await openBrowser({ width: 1400, height: 900 });
    ({ page, requested, problems } = browser);
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
    await Promise.all([calc?.close(), orders?.close(), inventory?.close()]);
    shotsTemp?.remove();
    services?.remove();
  });

  it('asks for the admin token, then lists the services, their backends with circuit badges and their operations', async () => {
    await page.goto(`${bridge!.url}/console`, { waitUntil: 'load' });
    assert.match(await page.title(), /soap-bridge console/);
    // Without the token the API refuses: the page says so.
    await page.getByTestId('status').filter({ hasText: /admin token/i }).waitFor();
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Use' }).click();
    const calculator = page.getByTestId('service-calculator');
    await calculator.waitFor();
    await page.getByTestId('service-inventory').waitFor();
    await page.getByTestId('service-orders').waitFor();
    assert.match(await calculator.locator('[data-testid="backend"]').first().innerText(), new RegExp(`127\\.0\\.0\\.1:${calc!.port}/calculator`));
    assert.match(await calculator.getByTestId('circuit').first().innerText(), /^(no breaker|circuit (closed|open|half-open))$/);
    assert.match(await page.getByTestId('op-calculator-Add').innerText(), /POST \/api\/calculator\/Add/);
    assert.match(await page.getByTestId('op-calculator-Add').innerText(), /GET \/api\/calculator\/add/);
    // The token stays in this tab's sessionStorage, never in the page's fields.
    assert.equal(await page.getByLabel('Admin token').inputValue(), '');
    assert.equal(await page.evaluate('window.sessionStorage.length'), 1);
  });

  it('sends calculator Add and shows JSON in, envelope out, envelope back and JSON out with statuses and times', async () => {
    await pick('calculator', 'Add');
    // Prefilled with a schema-valid sample, checked as valid.
    const sample = JSON.parse(await page.getByTestId('rest-input').inputValue()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sample).sort(), ['intA', 'intB']);
    await page.getByTestId('rest-valid').filter({ hasText: 'valid input' }).waitFor();

    await page.getByTestId('rest-input').fill('{\n  "intA": 20,\n  "intB": 22\n}');
    const before = calc!.requests();
    await page.getByTestId('send').click();
    await paneBody('pane-json-out').filter({ hasText: '"AddResult": 42' }).waitFor();
    assert.equal(calc!.requests(), before + 1);

    assert.match(await paneBody('pane-json-in').innerText(), /"intA": 20,\s*"intB": 22/);
    assert.match(await pane('pane-json-in').innerText(), /POST \/api\/calculator\/Add/);
    const out = await paneBody('pane-envelope-out').innerText();
    assert.match(out, /Envelope/);
    assert.match(out, /<(\w+:)?Add[\s>]/);
    assert.match(out, /<(\w+:)?intA>20<\/(\w+:)?intA>/);
    assert.match(out, /<(\w+:)?intB>22<\/(\w+:)?intB>/);
    assert.match(await pane('pane-envelope-out').innerText(), new RegExp(`POST http://127\\.0\\.0\\.1:${calc!.port}/calculator`));
    const back = await paneBody('pane-envelope-back').innerText();
    assert.match(back, /AddResponse/);
    assert.match(back, /AddResult>42</);
    assert.equal(await pane('pane-envelope-back').getByTestId('pane-status').innerText(), '200');
    assert.equal(await pane('pane-json-out').getByTestId('pane-status').innerText(), '200');
    assert.match(await pane('pane-envelope-back').getByTestId('pane-time').innerText(), /^\d+(\.\d)? ms$/);
    assert.match(await pane('pane-json-out').getByTestId('pane-time').innerText(), /^\d+(\.\d)? ms$/);
    assert.equal(await page.getByTestId('rest-summary').getByTestId('summary-status').innerText(), '200');
    // The envelope's headers, redacted as the logs are.
    assert.match(await pane('pane-envelope-out').getByTestId('pane-headers').innerText(), /soapaction: "urn:soap-bridge:demo:calculator#Add"/i);
    // The sidebar is read again: the backend's last call went well and its breaker is closed.
    const backend = page.getByTestId('service-calculator').getByTestId('backend').first();
    await backend.getByTestId('circuit').filter({ hasText: 'circuit closed' }).waitFor();
    await backend.locator('.dot.health-ok').waitFor();
    assert.match((await backend.getAttribute('title')) ?? '', /^last call 200, \d+(\.\d)? ms at \d{4}-/);
    await shot('console-rest.png');
  });

  it('marks a broken input at its field\'s line as you type, lists it, and shows the 400 when sent', async () => {
    await page.getByTestId('rest-input').fill('{\n  "intA": 20,\n  "intB": "twenty-two"\n}');
    const marked = page.getByTestId('gutter-line-3');
    await page.locator('[data-testid="gutter-line-3"].has-error').waitFor();
    assert.match((await marked.getAttribute('title')) ?? '', /\/intB: .*integer/);
    assert.equal(await page.locator('.gutter-line.has-error').count(), 1);
    assert.match(await page.getByTestId('editor-line-3').getByTestId('line-message').innerText(), /integer/);
    const listed = page.getByTestId('input-errors').getByTestId('input-error');
    assert.equal(await listed.count(), 1);
    assert.equal(await listed.first().getAttribute('data-pointer'), '/intB');
    assert.match(await listed.first().innerText(), /\/intB.*integer.*line 3/);

    // Not JSON at all: the syntax error at its line, without asking the bridge.
    await page.getByTestId('rest-input').fill('{\n  "intA": 20,\n  "intB": 22,\n}');
    await page.locator('[data-testid="gutter-line-4"].has-error').waitFor();
    assert.match(await page.getByTestId('input-errors').innerText(), /line 4, column 1 not JSON/);

    // Sent anyway (valid JSON, invalid input): the bridge's 400 with the error pinned.
    await page.getByTestId('rest-input').fill('{\n  "intA": 20,\n  "intB": "twenty-two"\n}');
    const before = calc!.requests();
    await page.getByTestId('send').click();
    await page.getByTestId('rest-summary').getByTestId('summary-status').filter({ hasText: '400' }).waitFor();
    assert.equal(await pane('pane-json-out').getByTestId('pane-status').innerText(), '400');
    assert.match(await paneBody('pane-json-out').innerText(), /"pointer": "\/intB"/);
    assert.match(await paneBody('pane-envelope-out').innerText(), /not sent/);
    await page.locator('[data-testid="gutter-line-3"].has-error').waitFor();
    assert.equal(calc!.requests(), before, 'an invalid input never reaches the backend');
    await shot('console-error.png');
  });

  it('makes a dry run: the envelope the bridge would send, and the backend is not called', async () => {
    await page.getByTestId('rest-input').fill('{\n  "intA": 7,\n  "intB": 5\n}');
    await page.getByTestId('rest-valid').filter({ hasText: 'valid input' }).waitFor();
    const before = calc!.requests();
    await page.getByTestId('dry-run').click();
    await paneBody('pane-envelope-out').filter({ hasText: /intA>7</ }).waitFor();
    assert.match(await paneBody('pane-envelope-out').innerText(), /<(\w+:)?Add[\s>][\s\S]*intB>5</);
    assert.match(await pane('pane-envelope-out').locator('.info').getAttribute('title') ?? '', /soapaction: "?urn:soap-bridge:demo:calculator#Add"?/i);
    assert.match(await paneBody('pane-envelope-back').innerText(), /dry run: the backend was not called/);
    assert.match(await page.getByTestId('rest-summary').innerText(), /dry run/);
    assert.equal(calc!.requests(), before, 'a dry run never reaches the backend');
    await shot('console-dry-run.png');
  });

  it('sends the SOAP facade\'s sample envelope: the JSON sent, the JSON back and the envelope reply', async () => {
    await pick('inventory', 'ReserveStock');
    await page.getByTestId('tab-soap').click();
    const envelope = await page.getByTestId('soap-input').inputValue();
    assert.match(envelope, /Envelope[\s\S]*ReserveStock[\s\S]*sku[\s\S]*quantity/);
    const edited = envelope.replace(/(<(\w+:)?sku>)[^<]*(<\/)/, '$1BOK-1001$3').replace(/(<(\w+:)?quantity>)[^<]*(<\/)/, '$12$3');
    await page.getByTestId('soap-input').fill(edited);
    await page.getByTestId('soap-send').click();
    await paneBody('pane-soap-envelope-reply').filter({ hasText: 'ReserveStockResponse' }).waitFor();
    assert.match(await paneBody('pane-soap-envelope-in').innerText(), /sku>BOK-1001</);
    const sent = JSON.parse(await paneBody('pane-soap-json-sent').innerText()) as Record<string, unknown>;
    assert.deepEqual([sent.sku, sent.quantity], ['BOK-1001', 2]);
    assert.match(await pane('pane-soap-json-sent').innerText(), new RegExp(`POST http://127\\.0\\.0\\.1:${inventory!.port}/inventory/ReserveStock`));
    assert.match(await paneBody('pane-soap-json-back').innerText(), /"reservationId": "RSV-\d+"/);
    assert.equal(await pane('pane-soap-json-back').getByTestId('pane-status').innerText(), '200');
    assert.match(await paneBody('pane-soap-envelope-reply').innerText(), /reservationId>RSV-\d+</);
    assert.equal(await pane('pane-soap-envelope-reply').getByTestId('pane-status').innerText(), '200');
    await shot('console-soap.png');

    // CheckStock calls a GET route of the JSON service (restCall): no body, the URL says it all.
    await pick('inventory', 'CheckStock');
    const check = (await page.getByTestId('soap-input').inputValue()).replace(/(<(\w+:)?sku>)[^<]*(<\/)/, '$1BOK-1001$3');
    await page.getByTestId('soap-input').fill(check);
    await page.getByTestId('soap-send').click();
    await paneBody('pane-soap-envelope-reply').filter({ hasText: 'CheckStockResponse' }).waitFor();
    assert.match(await pane('pane-soap-json-sent').innerText(), new RegExp(`GET http://127\\.0\\.0\\.1:${inventory!.port}/inventory/articles/BOK-1001/stock`));
    assert.match(await paneBody('pane-soap-json-sent').innerText(), /no body/);
    assert.match(await paneBody('pane-soap-json-back').innerText(), /"article": "BOK-1001",[\s\S]*"total": 13/);
  });

  it('lists the recent exchanges of an operation and reopens one in the panes', async () => {
    await pick('calculator', 'Add');
    await page.getByTestId('tab-recent').click();
    const rows = page.getByTestId('recent-row');
    await rows.nth(2).waitFor();
    const texts = await rows.allInnerTexts();
    // Newest first: the dry run, the refused call, the sent one.
    assert.match(texts[0], /dry run/);
    assert.match(texts[1], /\b400\b/);
    assert.match(texts[2], /POST \/api\/calculator\/Add[\s\S]*\b200\b/);
    await rows.nth(2).getByTestId('recent-open').click();
    await page.getByTestId('tab-rest').and(page.locator('[aria-selected="true"]')).waitFor();
    await paneBody('pane-json-out').filter({ hasText: '"AddResult": 42' }).waitFor();
    assert.match(await paneBody('pane-envelope-back').innerText(), /AddResult>42</);
    assert.match(await page.getByTestId('rest-input').inputValue(), /"intA": 20/);
  });

  it('opens an operation\'s view from the address (#/service/operation/tab) and reopens a SOAP facade exchange', async () => {
    await page.goto(`${bridge!.url}/console#/inventory/ReserveStock/recent`, { waitUntil: 'load' });
    await page.reload({ waitUntil: 'load' });
    await page.getByTestId('op-title').filter({ hasText: 'inventory › ReserveStock' }).waitFor();
    const row = page.getByTestId('recent-row').filter({ hasText: 'POST /soap/inventory' }).first();
    await row.waitFor();
    await row.getByTestId('recent-open').click();
    await page.getByTestId('tab-soap').and(page.locator('[aria-selected="true"]')).waitFor();
    await paneBody('pane-soap-envelope-reply').filter({ hasText: 'ReserveStockResponse' }).waitFor();
    assert.match(await page.getByTestId('soap-input').inputValue(), /<(\w+:)?quantity>2</);
    assert.match(await paneBody('pane-soap-json-sent').innerText(), /"quantity": 2/);
  });

  it('shows the mapping file on disk with its diagnostics at their line, while the old version keeps serving', async () => {
    const file = path.join(services!.dir, 'calculator', 'mapping.yaml');
    const text = fs.readFileSync(file, 'utf8').split('\n');
    const line = text.findIndex((l) => l.startsWith('timeoutMs:'));
    assert.ok(line > 0);
    text[line] = 'timeoutMS: 5000';
    fs.writeFileSync(file, text.join('\n'));
    await pick('calculator', 'Add');
    await page.getByTestId('tab-mapping').click();
    const marked = page.locator(`[data-testid="mapping-line-${line + 1}"].error`);
    await marked.waitFor();
    assert.match(await marked.innerText(), /timeoutMS: 5000/);
    const note = page.locator(`[data-testid="mapping-note"][data-line="${line + 1}"]`);
    assert.match(await note.first().innerText(), /timeoutMs/, 'the diagnostic says what was meant');
    assert.match(await page.getByTestId('mapping-state').innerText(), /does not compile[\s\S]*keeps serving/);
    assert.match(await page.getByTestId('mapping-diagnostics').innerText(), new RegExp(`mapping\\.yaml:${line + 1}:1`));
    await shot('console-mapping.png');
  });

  it('loaded nothing from outside the bridge and raised no script error', () => {
    const outside = requested.filter((u) => !u.startsWith(`${bridge!.url}/`) && !u.startsWith('data:'));
    assert.deepEqual(outside, []);
    assert.ok(requested.some((u) => u.startsWith(`${bridge!.url}/console/api/`)), requested.join('\n'));
    // The refusals before the token was given are logged by Chromium as failed loads (401).
    assert.deepEqual(problems.filter((p) => !/status of 401/.test(p)), []);
  });
});
