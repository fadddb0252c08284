/**
 * `soapAuth` in mapping.yaml as the compiler reads it: which operations get a verifier (bundle
 * setting, per-operation setting, `false`), the warning where there is no SOAP facade, and the
 * passwords registered as secrets.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { compileBundleDir } from '../../src/compile';
import { REDACTED, redactText } from '../../src/log/redact';
import { tempDir, writeBundle } from '../support/bridge';
import { ROOT } from '../support/compile';
import { TEST_SECRETS } from '../support/secrets';

const files: Record<string, string> = {};
for (const f of ['inventory.wsdl', 'inventory-types.xsd']) files[f] = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', f), 'utf8');

describe('soapAuth in mapping.yaml', () => {
  const tmp = tempDir('soap-auth-mapping');
  after(() => tmp.remove());
  const env = { SB_TEST_SOAP_USER: 'alice', SB_TEST_SOAP_PASSWORD: TEST_SECRETS.wsPassword, SB_TEST_SOAP_PASSWORD_2: TEST_SECRETS.bodyPassword };

  it('gives each operation the bundle setting, its own, or none with false', () => {
    const dir = writeBundle(tmp.dir, 'inv', {
      ...files,
      'mapping.yaml': `restBackend: http://127.0.0.1:9/inventory
soapAuth:
  usernameToken:
    users: [{ username: "\${SB_TEST_SOAP_USER}", password: "\${SB_TEST_SOAP_PASSWORD}" }]
operations:
  ListWarehouses: { soapAuth: false }
  SetPrice:
    soapAuth:
      usernameToken:
        users: [{ username: admin, password: "\${SB_TEST_SOAP_PASSWORD_2}" }]
        passwordTypes: [digest, text]
        maxAgeSec: 60
        clockSkewSec: 5
`,
    });
    const r = compileBundleDir(dir, { env });
    assert.deepEqual(r.diagnostics, []);
    const ops = [...r.bundle!.soapOperations.values()].flatMap((m) => [...m.values()].flat());
    const of = (name: string) => ops.filter((o) => o.name === name).map((o) => o.policy.soapAuth);
    for (const v of [...of('CheckStock'), ...of('ReserveStock')]) assert.deepEqual([...v!.passwordTypes], ['digest']);
    assert.ok(of('CheckStock').length === 2 && of('CheckStock')[0] === of('ReserveStock')[0], 'one verifier shared by the bundle setting');
    assert.deepEqual(of('ListWarehouses'), [undefined, undefined]);
    const own = of('SetPrice')[0]!;
    assert.deepEqual([...own.passwordTypes], ['digest', 'text']);
    assert.equal(own.maxAgeMs, 60000);
    assert.equal(own.clockSkewMs, 5000);
    // The passwords never appear in a log line or an error body.
    assert.equal(redactText(`x ${TEST_SECRETS.wsPassword} ${TEST_SECRETS.bodyPassword}`), `x ${REDACTED} ${REDACTED}`);
  });

  it('warns that soapAuth has no effect on a service without SOAP facade', () => {
    const dir = writeBundle(tmp.dir, 'rest-only', {
      ...files,
      'mapping.yaml': `soapBackend: http://127.0.0.1:9/inventory
soapAuth:
  usernameToken:
    users: [{ username: alice, password: "\${SB_TEST_SOAP_PASSWORD}" }]
`,
    });
    const r = compileBundleDir(dir, { env });
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.message}`),
      ['2:1 warning soapAuth has no effect: the service has no SOAP facade (no restBackend)'],
    );
  });
});
