/**
 * docs/mapping.md stays true: its complete example is a valid mapping for the demo order
 * service (no error, no warning), and every key of the format's schema is documented there.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { compileBundleDir } from '../../src/compile';
import { MAPPING_SCHEMA } from '../../src/mapping/schema';
import { tempDir, writeBundle } from '../support/bridge';
import { ROOT } from '../support/compile';

const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'mapping.md'), 'utf8');

describe('docs/mapping.md', () => {
  const tmp = tempDir('docs');
  after(() => tmp.remove());

  it('holds a complete example that loads against the demo order service without a problem', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(DOC)?.[1];
    assert.ok(example, 'the first yaml block');
    const dir = writeBundle(tmp.dir, 'orders', {
      'orders.wsdl': fs.readFileSync(path.join(ROOT, 'wsdl', 'orders', 'orders.wsdl'), 'utf8'),
      'orders-types.xsd': fs.readFileSync(path.join(ROOT, 'wsdl', 'orders', 'orders-types.xsd'), 'utf8'),
      'mapping.yaml': example,
    });
    const r = compileBundleDir(dir, { env: { ERP_USER: 'u', ERP_PASSWORD: 'p', ORDERS_API_TOKEN: 't' } });
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.bundle?.restFacade && r.bundle.soapFacade, 'both facades');
    const paths = r.bundle.routes.map((x) => `${x.method} ${x.path}`);
    for (const p of ['GET /api/orders/orders/{orderId}', 'GET /api/orders/orders', 'POST /api/orders/customers/{customerId}/orders', 'DELETE /api/orders/orders/{orderId}', 'POST /api/orders/GetOrder']) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    }
  });

  it('documents every key of the format', () => {
    const keys = new Set<string>();
    const walk = (s: unknown): void => {
      if (!s || typeof s !== 'object') return;
      const o = s as Record<string, unknown>;
      if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) keys.add(k);
      for (const v of Object.values(o)) if (v && typeof v === 'object') walk(v);
    };
    walk(MAPPING_SCHEMA);
    const missing = [...keys].filter((k) => !DOC.includes(`\`${k}\``) && !new RegExp(`^\\s*${k}:`, 'm').test(DOC));
    assert.deepEqual(missing, []);
  });
});
