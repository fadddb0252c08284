/**
 * The recent-exchanges store on its own: redaction before storing, cutting at a UTF-8
 * boundary, the per-operation count and the byte budget, newest-first listing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { cutBody, ExchangeStore, Recorder } from '../../src/console/exchanges';
import { dryRunRequested } from '../../src/console/dry-run';
import { loadConfig } from '../../src/config';
import { exchangeStoreFor } from '../../src/http/app';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

function call(store: ExchangeStore, operation: string, body = '{"a":1}', keep = true): ReturnType<ExchangeStore['finish']> {
  const rec = new Recorder('rest', `POST /api/svc/${operation}`, `req-${operation}`);
  rec.service = 'svc';
  rec.operation = operation;
  rec.request = { contentType: 'application/json', body: Buffer.from(body) };
  rec.noteBackendRequest('http://127.0.0.1:1/x', 'POST', { 'content-type': 'text/xml', authorization: 'Basic abc' }, '<x/>');
  rec.noteBackendResponse(200, 'text/xml', Buffer.from('<y/>'), 1.234);
  rec.noteAnswer(200, 'application/json', '{"ok":true}');
  const record = store.finish(rec, 200, 2.5, keep);
  noteOutput('exchanges unit', JSON.stringify(record));
  return record;
}

describe('recent exchanges store', () => {
  it('records only when the console can show it: not with CONSOLE=false or EXCHANGES_PER_OPERATION=0', () => {
    assert.equal(exchangeStoreFor(loadConfig({}, {})).recording, true);
    assert.equal(exchangeStoreFor(loadConfig({}, { CONSOLE: 'false' })).recording, false);
    assert.equal(exchangeStoreFor(loadConfig({}, { EXCHANGES_PER_OPERATION: '0' })).recording, false);
  });


  it('cuts bodies at the byte limit, never inside a UTF-8 character', () => {
    assert.deepEqual(cutBody('abc', 10), { body: 'abc' });
    assert.deepEqual(cutBody(undefined, 10), { body: '' });
    const cut = cutBody('ééééé', 5); // 2 bytes each
    assert.equal(cut.body, 'éé');
    assert.equal(cut.truncated, true);
    const big = cutBody(Buffer.from('x'.repeat(100000)), 1000);
    assert.equal(big.body.length, 1000);
    assert.equal(big.truncated, true);
  });

  it('redacts before storing: WS-Security passwords, secret JSON members, credential headers and header text, secret query parameters', () => {
    const store = new ExchangeStore({ perOperation: 10, maxBytes: 1 << 20, maxBodyBytes: 65536 });
    const rec = new Recorder('rest', '/api/svc/Op?api_key=' + TEST_SECRETS.apiKey, 'r1');
    rec.service = 'svc';
    rec.operation = 'Op';
    rec.request = { body: JSON.stringify({ user: 'u', password: TEST_SECRETS.bodyPassword }) };
    rec.noteBackendRequest('http://127.0.0.1:1/x', 'POST', { 'x-api-key': TEST_SECRETS.apiKey }, `<wsse:Password Type="t">${TEST_SECRETS.wsPassword}</wsse:Password>`);
    rec.noteAnswer(502, 'application/problem+json', `{"detail":"backend said","token":"${TEST_SECRETS.bearer}"}`);
    rec.noteError('BACKEND_FAULT', `echo authorization: Bearer ${TEST_SECRETS.bearer}`);
    const record = store.finish(rec, 502, 1);
    const text = JSON.stringify(record);
    noteOutput('exchanges unit', text);
    for (const s of Object.values(TEST_SECRETS)) assert.ok(!text.includes(s), `${s} in ${text}`);
    assert.equal(record.backendRequest!.headers['x-api-key'], '[REDACTED]');
    assert.match(record.backendRequest!.body, /<wsse:Password Type="t">\[REDACTED\]<\/wsse:Password>/);
    assert.equal(JSON.parse(record.request.body).password, '[REDACTED]');
  });

  it('keeps the last N per operation and lists newest first', () => {
    const store = new ExchangeStore({ perOperation: 3, maxBytes: 1 << 20, maxBodyBytes: 1000 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(call(store, 'A').id);
    const b = call(store, 'B').id;
    assert.deepEqual(store.list({ operation: 'A' }).map((e) => e.id), ids.slice(2).reverse());
    assert.deepEqual(store.list().map((e) => e.id), [b, ...ids.slice(2).reverse()]);
    assert.equal(store.get(ids[0]), undefined);
    assert.equal(store.get(b)?.backendRequest?.headers.authorization, '[REDACTED]');
    assert.equal(store.size, 4);
  });

  it('evicts the oldest beyond the byte budget, whatever their operation, and keeps the count of bytes', () => {
    const store = new ExchangeStore({ perOperation: 100, maxBytes: 20000, maxBodyBytes: 4000 });
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(call(store, i % 2 ? 'A' : 'B', JSON.stringify({ pad: 'p'.repeat(1000) })).id);
    assert.ok(store.usedBytes <= 20000, String(store.usedBytes));
    assert.ok(store.size > 0 && store.size < 20);
    assert.deepEqual(store.list().map((e) => e.id), ids.slice(20 - store.size).reverse());
    // One record over the whole budget is not kept.
    const huge = new ExchangeStore({ perOperation: 100, maxBytes: 3000, maxBodyBytes: 4000 });
    call(huge, 'C', 'z'.repeat(3900));
    assert.equal(huge.size, 0);
    assert.equal(huge.usedBytes, 0);
  });

  it('records nothing with perOperation 0, and finish(keep=false) still returns the record', () => {
    const store = new ExchangeStore({ perOperation: 0, maxBytes: 1 << 20, maxBodyBytes: 1000 });
    assert.equal(store.recording, false);
    const r = call(store, 'A');
    assert.equal(r.status, 200);
    assert.equal(r.backendResponse?.ms, 1.23);
    assert.equal(store.size, 0);
    const on = new ExchangeStore({ perOperation: 5, maxBytes: 1 << 20, maxBodyBytes: 1000 });
    call(on, 'A', '{}', false);
    assert.equal(on.size, 0);
  });

  it('dryRun=1|true or X-Dry-Run turns a dry run on; dryRun leaves the query whatever its value', () => {
    const cases: [string, Record<string, string>, boolean, string][] = [
      ['a=1&dryRun=1', {}, true, 'a=1'],
      ['dryRun=true&b=2', {}, true, 'b=2'],
      ['dryRun=0&b=2', {}, false, 'b=2'],
      ['dryRun=maybe', {}, false, ''],
      ['b=2', { 'x-dry-run': '1' }, true, 'b=2'],
      ['b=2', { 'x-dry-run': 'no' }, false, 'b=2'],
      ['b=2', {}, false, 'b=2'],
    ];
    for (const [q, headers, dry, rest] of cases) {
      const query = new URLSearchParams(q);
      assert.equal(dryRunRequested(headers, query), dry, q);
      assert.equal(query.toString(), rest, q);
    }
  });
});
