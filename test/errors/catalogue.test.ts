/**
 * The error catalogue is the one source of truth: the README's table must match it row for row.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { BridgeError, ERRORS, problemType, toProblem, type ErrorCode } from '../../src/errors/catalogue';
import { ROOT } from '../support/compile';

describe('error catalogue', () => {
  it('the README error table lists every code with its status, type, title and SOAP fault code', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| `([^`]+)` \| ([^|]+) \| `([A-Za-z]+)` \|$/gm)].map((m) => ({ code: m[1], status: Number(m[2]), type: m[3], title: m[4].trim(), fault: m[5] }));
    const expected = Object.entries(ERRORS).map(([code, spec]) => ({ code, status: spec.status, type: problemType(code as ErrorCode), title: spec.title, fault: spec.fault }));
    assert.deepEqual(rows, expected);
  });

  it('problems carry type, title, status (equal to the HTTP status) and detail', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const p = toProblem(new BridgeError(code, 'why'), 'rid-1', '/x');
      assert.equal(p.status, ERRORS[code].status);
      assert.equal(p.type, problemType(code));
      assert.equal(p.title, ERRORS[code].title);
      assert.equal(p.detail, 'why');
      assert.equal(p.requestId, 'rid-1');
      assert.match(p.type, /^urn:soap-bridge:problem:[a-z-]+$/);
    }
  });

  it('client errors are Client (or envelope-level) faults and backend errors Server faults', () => {
    for (const spec of Object.values(ERRORS)) {
      if (spec.status >= 500) assert.equal(spec.fault, 'Server');
      else assert.ok(['Client', 'VersionMismatch', 'MustUnderstand'].includes(spec.fault), spec.title);
    }
  });
});
