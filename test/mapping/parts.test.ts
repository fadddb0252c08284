/**
 * The parts of the mapping language on their own: field paths and sources, route templates and
 * their matching, WS-Security UsernameToken digests, and fault and status rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as soap from 'soap';
import type { FaultInfo } from '../../src/errors/catalogue';
import { deleteAt, FieldSyntaxError, getAt, parseFieldPath, parseSource, pointerOf, setAt } from '../../src/mapping/fields';
import { compileFaultRules, compileSoapFaultRules, matchFault } from '../../src/mapping/faults';
import { parseRoute, Router, RouteSyntaxError } from '../../src/mapping/routes';
import { passwordDigest, PASSWORD_DIGEST, PASSWORD_TEXT, usernameTokenHeader } from '../../src/soap/wssecurity';

describe('mapping: field paths and sources', () => {
  it('reads dotted paths and JSON Pointers (for names that hold a dot or a slash)', () => {
    assert.deepEqual(parseFieldPath('customer.address.city'), ['customer', 'address', 'city']);
    assert.deepEqual(parseFieldPath('/order.id/a~1b'), ['order.id', 'a/b']);
    assert.equal(pointerOf(['order.id', 'a/b', 'c~d']), '/order.id/a~1b/c~0d');
  });
  it('refuses empty steps and prototype names', () => {
    assert.throws(() => parseFieldPath('a..b'), FieldSyntaxError);
    assert.throws(() => parseFieldPath(''), FieldSyntaxError);
    assert.throws(() => parseFieldPath('__proto__.x'), /cannot be a field name/);
    assert.throws(() => parseFieldPath('/a/constructor'), /cannot be a field name/);
  });
  it('reads sources; header names are case-insensitive', () => {
    assert.deepEqual(parseSource('body'), { kind: 'body', path: [] });
    assert.deepEqual(parseSource('body.a.b'), { kind: 'body', path: ['a', 'b'] });
    assert.deepEqual(parseSource('body/a.b'), { kind: 'body', path: ['a.b'] });
    assert.deepEqual(parseSource('query.page-size'), { kind: 'query', name: 'page-size' });
    assert.deepEqual(parseSource('header.X-User'), { kind: 'header', name: 'x-user' });
    assert.deepEqual(parseSource('path.id'), { kind: 'path', name: 'id' });
    assert.throws(() => parseSource('cookie.sid'), /is not a source/);
    assert.throws(() => parseSource('query.'), /is not a source/);
  });
  it('gets, sets (creating objects) and deletes along paths', () => {
    const doc: Record<string, unknown> = { a: { b: 1 }, s: 'text' };
    assert.equal(getAt(doc, ['a', 'b']), 1);
    assert.equal(getAt(doc, ['a', 'x', 'y']), undefined);
    assert.equal(getAt(doc, ['s', 'length']), undefined, 'no stepping into strings');
    assert.equal(getAt({}, ['toString']), undefined, 'only own properties');
    setAt(doc, ['c', 'd'], 2);
    setAt(doc, ['s', 'e'], 3);
    assert.deepEqual(doc, { a: { b: 1 }, s: { e: 3 }, c: { d: 2 } });
    deleteAt(doc, ['a', 'b']);
    deleteAt(doc, ['nowhere', 'x']);
    assert.deepEqual(doc, { a: {}, s: { e: 3 }, c: { d: 2 } });
    assert.equal(setAt(doc, [], 7), 7, 'the empty path replaces the document');
  });
});

describe('mapping: routes', () => {
  it('parses METHOD /path templates with whole-segment parameters', () => {
    const t = parseRoute('GET /orders/{orderId}/items');
    assert.equal(t.method, 'GET');
    assert.deepEqual(t.params, ['orderId']);
    assert.deepEqual(t.segments, [{ literal: 'orders' }, { param: 'orderId' }, { literal: 'items' }]);
    assert.deepEqual(parseRoute('POST /').segments, []);
    assert.deepEqual(parseRoute('GET /a/').segments, [{ literal: 'a' }], 'a trailing slash is ignored');
  });
  it('refuses what cannot be a route', () => {
    for (const bad of ['GET orders', 'FETCH /x', 'GET /a/{id}/{id}', 'GET /a-{id}', 'GET /a?b=1', 'GET /a//b', 'GET /a/{1x}']) {
      assert.throws(() => parseRoute(bad), RouteSyntaxError, bad);
    }
  });
  it('matches literal segments before parameters, and says which methods a path allows', () => {
    const r = new Router<string>();
    r.add(parseRoute('GET /orders/{id}'), 'one');
    r.add(parseRoute('GET /orders/open'), 'open');
    r.add(parseRoute('DELETE /orders/{id}'), 'cancel');
    r.add(parseRoute('POST /Add'), 'add');
    r.add(parseRoute('GET /{a}/{b}'), 'two');
    assert.deepEqual(r.match('GET', ['orders', 'open']), { found: 'open', params: {} });
    assert.deepEqual(r.match('GET', ['orders', 'ORD-1']), { found: 'one', params: { id: 'ORD-1' } });
    assert.deepEqual(r.match('DELETE', ['orders', 'ORD-1']), { found: 'cancel', params: { id: 'ORD-1' } });
    assert.deepEqual(r.match('GET', ['x', 'y']), { found: 'two', params: { a: 'x', b: 'y' } });
    assert.deepEqual(r.match('POST', ['Add']), { found: 'add', params: {} });
    const put = r.match('PUT', ['orders', 'ORD-1']);
    assert.ok(put && 'allowed' in put);
    assert.deepEqual(put.allowed.sort(), ['DELETE', 'GET']);
    const get = r.match('GET', ['Add']);
    assert.ok(get && 'allowed' in get);
    assert.deepEqual(get.allowed, ['POST']);
    assert.equal(r.match('GET', ['a', 'b', 'c']), undefined);
  });
});

describe('mapping: WS-Security UsernameToken', () => {
  const nonce = Buffer.from('0123456789abcdef');
  const now = new Date('2026-11-25T10:00:00.000Z');

  it('computes PasswordDigest as node-soap (an independent implementation) does', () => {
    const created = now.toISOString();
    const ours = passwordDigest(nonce, created, 's3cr3t');
    // node-soap takes the nonce as base64 text and decodes it itself.
    assert.equal(ours, soap.passwordDigest(nonce.toString('base64'), created, 's3cr3t'));
  });
  it('writes a digest token with nonce and created, mustUnderstand for the version', () => {
    const xml = usernameTokenHeader({ username: 'ada & co', password: 's3cr3t', passwordType: 'digest' }, '1.1', now, nonce);
    assert.match(xml, /^<wsse:Security xmlns:wsse="[^"]+" xmlns:wsu="[^"]+" soap:mustUnderstand="1">/);
    assert.match(xml, /<wsse:Username>ada &amp; co<\/wsse:Username>/);
    assert.ok(xml.includes(`<wsse:Password Type="${PASSWORD_DIGEST}">${passwordDigest(nonce, now.toISOString(), 's3cr3t')}</wsse:Password>`));
    assert.ok(xml.includes(`>${nonce.toString('base64')}</wsse:Nonce>`));
    assert.ok(xml.includes('<wsu:Created>2026-11-25T10:00:00.000Z</wsu:Created>'));
    assert.ok(!xml.includes('s3cr3t'), 'the password itself is not sent with a digest');
    assert.match(usernameTokenHeader({ username: 'a', password: 'b', passwordType: 'digest' }, '1.2', now, nonce), /soap:mustUnderstand="true"/);
  });
  it('writes a text token, with nonce and created only when asked', () => {
    const plain = usernameTokenHeader({ username: 'u', password: 'p<w>' }, '1.1', now, nonce);
    assert.ok(plain.includes(`<wsse:Password Type="${PASSWORD_TEXT}">p&lt;w&gt;</wsse:Password>`));
    assert.ok(!plain.includes('Nonce') && !plain.includes('Created'));
    const full = usernameTokenHeader({ username: 'u', password: 'p', nonce: true, created: true }, '1.1', now, nonce);
    assert.ok(full.includes('<wsse:Nonce') && full.includes('<wsu:Created>'));
  });
  it('uses a fresh nonce and time for every request', () => {
    const a = usernameTokenHeader({ username: 'u', password: 'p', passwordType: 'digest' }, '1.1');
    const b = usernameTokenHeader({ username: 'u', password: 'p', passwordType: 'digest' }, '1.1');
    const nonceOf = (x: string): string => /<wsse:Nonce[^>]*>([^<]+)</.exec(x)![1];
    assert.notEqual(nonceOf(a), nonceOf(b));
  });
});

describe('mapping: fault rules', () => {
  const report = { errors: [] as string[], warnings: [] as string[] };
  const ctx = { where: () => ({ file: 'm.yaml', line: 1, col: 1 }), report: { error: (_p: unknown, m: string) => void report.errors.push(m), warn: (_p: unknown, m: string) => void report.warnings.push(m) } };
  const fault = (f: Partial<FaultInfo>): FaultInfo => ({ code: 'Server', string: '', ...f });

  it('matches on code (with its dotted refinements and SOAP 1.2 subcodes), fault string and detail element; first match wins', () => {
    const rules = compileFaultRules(
      [
        { code: 'Client', detail: 'Quota', status: 429 },
        { string: '^order \\S+ not found$', status: 404, type: 'urn:x:not-found', title: 'Not there' },
        { code: 'Server.Timeout', status: 504 },
        { code: 'Client', status: 400 },
      ],
      ['faults'],
      undefined,
      ctx,
    );
    assert.equal(matchFault(rules, fault({ code: 'Client', detail: { Quota: { limit: 1 } } }))?.status, 429);
    assert.equal(matchFault(rules, fault({ code: 'Client', detail: { Other: 1 } }))?.status, 400);
    assert.deepEqual(matchFault(rules, fault({ code: 'Server', string: 'order ORD-1 not found' })), { status: 404, type: 'urn:x:not-found', title: 'Not there' });
    assert.equal(matchFault(rules, fault({ code: 'Server.Timeout.Db' }))?.status, 504);
    assert.equal(matchFault(rules, fault({ code: 'Receiver', subcodes: ['Server.Timeout'] }))?.status, 504);
    assert.equal(matchFault(rules, fault({ code: 'Server.Timeouts' })), undefined, 'Server.Timeout is not a prefix of Server.Timeouts');
    assert.equal(matchFault(rules, fault({ code: 'Server', string: 'boom' })), undefined);
    assert.deepEqual(report.errors, []);
  });
  it('reports a pattern that is not a regular expression, and warns of a detail no fault declares', () => {
    compileFaultRules([{ string: '(', status: 400 }, { detail: 'Quot', status: 429 }], ['operations', 'Op', 'faults'], ['Quota'], ctx);
    assert.match(report.errors[0], /faults\[0\]\.string: not a valid regular expression/);
    assert.match(report.warnings[0], /did you mean "Quota"/);
  });
  it('maps JSON statuses to fault codes, by exact status or class', () => {
    const rules = compileSoapFaultRules([{ status: 404, code: 'Client', subcode: 'NotFound' }, { status: '5xx', code: 'Sender' }]);
    assert.deepEqual(rules.find((r) => r.matches(404)) && { code: rules[0].code, subcode: rules[0].subcode }, { code: 'Client', subcode: 'NotFound' });
    assert.equal(rules.find((r) => r.matches(503))?.code, 'Client', 'Sender is the SOAP 1.2 name of Client');
    assert.equal(rules.find((r) => r.matches(400)), undefined);
  });
});
