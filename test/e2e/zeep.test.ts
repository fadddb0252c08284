/**
 * Interoperability: Python's zeep (Debian's python3-zeep, installed by .ci/run) loads only the
 * published ?wsdl URL, calls every operation of the demo SOAP facade over SOAP 1.1 and 1.2, and
 * gets faults it understands. Skipped, with the reason, where zeep is not installed.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import type { DemoBackend } from '../../fixtures/demo/backends';
import { startBridge, tempDir, writeBundle, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';

/** Debian's Python, where python3-zeep installs (the python3 first on PATH may be another one). */
const PYTHON = '/usr/bin/python3';

function zeepAvailable(): boolean {
  return fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import zeep'], { timeout: 20000 }).status === 0;
}

describe('zeep (python3-zeep) against the SOAP facade', function () {
  this.timeout(60000);
  let inventory: DemoBackend;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;

  before(async function () {
    if (!zeepAvailable()) {
      process.stdout.write('      (zeep is not installed here: apt-get install -y python3-zeep)\n');
      this.skip();
    }
    inventory = await startInventoryBackend(0);
    tmp = tempDir('zeep');
    const src = path.join(ROOT, 'wsdl', 'inventory');
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(src)) if (f !== 'mapping.yaml') files[f] = fs.readFileSync(path.join(src, f), 'utf8');
    writeBundle(tmp.dir, 'inventory', { ...files, 'mapping.yaml': `restBackend: http://127.0.0.1:${inventory.port}/inventory\n` });
    bridge = await startBridge(tmp.dir);
  });

  after(async () => {
    await bridge?.close();
    await inventory?.close();
    tmp?.remove();
  });

  it('loads the contract from ?wsdl alone, calls each operation over SOAP 1.1 and 1.2, and understands the faults', async () => {
    const script = path.join(ROOT, 'fixtures', 'interop', 'zeep_client.py');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(PYTHON, [script, `${bridge.url}/soap/inventory?wsdl`], { timeout: 50000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const result = JSON.parse(out) as Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(result.services, ['InventoryService']);
    for (const port of ['InventorySoap', 'InventorySoap12']) {
      const r = result[port];
      assert.equal(r.check.sku, 'PEN-2002', port);
      assert.equal(r.check.available, 40);
      assert.deepEqual(r.check.warehouse.map((w: { code: string }) => w.code), ['LYS']);
      assert.match(r.reserve.reservationId, /^RSV-\d{6}$/);
      assert.equal(typeof r.reserve.remaining, 'number');
      assert.deepEqual(r.list.map((w: { code: string }) => w.code), ['AMS', 'BER', 'LYS']);
      assert.equal(r.price.sku, 'BOK-1001');
      assert.equal(r.price.price._value_1, '12.3');
      assert.equal(r.price.price.currency, 'EUR');
      assert.match(r.fault.message, /^Insufficient stock: only \d+ of BOK-1001 available, 999 asked$/);
      assert.match(r.fault.code, port === 'InventorySoap' ? /Client/ : /Sender/);
      assert.match(r.invalid.message, /breaks the input schema of CheckStock/);
    }
    const access = bridge.log.lines.filter((l) => l.message === 'access' && l.service === 'inventory' && l.operation === 'CheckStock');
    assert.ok(access.length >= 4, 'the calls went through the bridge');
  });
});
