/**
 * rpc/literal end to end against a node-soap server, and document/literal bare (SOAP 1.2,
 * wsdl:import, xsd:import, chameleon include) against a golden server that checks the exact
 * request and answers a fixed reply (node-soap puts the children of imported types in the
 * wrong namespace and fails on an input message without parts, so it cannot serve that WSDL).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as soap from 'soap';
import { postJson, startBridge, startHttp, tempDir, writeBundle, type TestBridge } from '../support/bridge';
import { fixture } from '../support/compile';

async function soapServer(wsdlFile: string, pathName: string, services: soap.IServices): Promise<{ port: number; close(): Promise<void> }> {
  const backend = await startHttp((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    soap.listen(backend.server, { path: pathName, services, xml: fs.readFileSync(wsdlFile, 'utf8'), uri: wsdlFile, callback: (err: unknown) => (err ? reject(err) : resolve()) });
  });
  return backend;
}

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const BARE: Record<string, { request: string; reply: string }> = {
  'urn:test:bare#Lookup': {
    request: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP12}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:tns="urn:test:bare"><soap:Body><tns:LookupRequest><tns:key>k-1</tns:key></tns:LookupRequest></soap:Body></soap:Envelope>`,
    reply: `<e:Envelope xmlns:e="${SOAP12}"><e:Body><b:LookupResult xmlns:b="urn:test:bare" xmlns:d="urn:test:bare:data" version="2"><d:key>k-1</d:key><d:title>Record k-1</d:title><d:score>12.50</d:score></b:LookupResult></e:Body></e:Envelope>`,
  },
  '': {
    request: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP12}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body></soap:Body></soap:Envelope>`,
    reply: `<e:Envelope xmlns:e="${SOAP12}"><e:Body><Pong xmlns="urn:test:bare">pong</Pong></e:Body></e:Envelope>`,
  },
};

function golden(): ReturnType<typeof startHttp> {
  return startHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const action = /action="([^"]*)"/.exec(String(req.headers['content-type']))?.[1] ?? '';
      const expected = BARE[action];
      const body = Buffer.concat(chunks).toString('utf8');
      if (!expected || body !== expected.request) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`unexpected request for action "${action}": ${body}`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
      res.end(expected.reply);
    });
  });
}

describe('message styles end to end', () => {
  let rpc: Awaited<ReturnType<typeof soapServer>>;
  let bare: Awaited<ReturnType<typeof golden>>;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  const seen: unknown[] = [];

  before(async () => {
    rpc = await soapServer(fixture('golden', 'rpc', 'rpc.wsdl'), '/rpc', {
      RpcService: {
        RpcPort: {
          Greet: (a: { name: string; times: number }) => {
            seen.push(a);
            const greeting = Array.from({ length: Number(a.times) }, () => `Hello, ${a.name}!`).join(' ');
            return { greeting, length: greeting.length };
          },
          Describe: (a: { person: { first: string; last: string; age?: number } }) => ({ summary: `${a.person.first} ${a.person.last}${a.person.age !== undefined ? ` (${a.person.age})` : ''}` }),
        },
      },
    });
    bare = await golden();
    tmp = tempDir('styles');
    for (const [name, port] of [['rpc', rpc.port], ['bare', bare.port]] as const) {
      const src = fixture('golden', name);
      const files: Record<string, string> = {};
      for (const f of fs.readdirSync(src)) files[f] = fs.readFileSync(path.join(src, f), 'utf8');
      files['mapping.yaml'] = `wsdl: ${name}.wsdl\nsoapBackend: http://127.0.0.1:${port}/${name}\n`;
      writeBundle(tmp.dir, name, files);
    }
    bridge = await startBridge(tmp.dir);
  });

  after(async () => {
    await bridge?.close();
    await Promise.all([rpc?.close(), bare?.close()]);
    tmp?.remove();
  });

  it('rpc/literal: one JSON property per part, both ways', async () => {
    const r = await postJson(`${bridge.url}/api/rpc/Greet`, { name: 'Ada', times: 2 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { greeting: 'Hello, Ada! Hello, Ada!', length: 23 });
    const got = seen.pop() as { name: string; times: unknown };
    assert.equal(got.name, 'Ada');
    assert.equal(Number(got.times), 2);
  });

  it('rpc/literal: a part of complex type, with unqualified children', async () => {
    const r = await postJson(`${bridge.url}/api/rpc/Describe`, { person: { first: 'Grace', last: 'Hopper', age: 85 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { summary: 'Grace Hopper (85)' });
  });

  it('rpc/literal: every part is required', async () => {
    const r = await postJson(`${bridge.url}/api/rpc/Greet`, { name: 'Ada' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, [{ pointer: '/times', detail: 'is required' }]);
  });

  it('document/literal bare over SOAP 1.2: the part name is the property, extension and chameleon types resolved', async () => {
    const r = await postJson(`${bridge.url}/api/bare/Lookup`, { request: { key: 'k-1' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { result: { version: 2, key: 'k-1', title: 'Record k-1', score: 12.5 } });
  });

  it('document/literal bare: an empty input message is {} and a simple-typed part is a plain value', async () => {
    const r = await postJson(`${bridge.url}/api/bare/Ping`, {});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { pong: 'pong' });
  });
});
