/**
 * `soap-bridge mock` in-process, against the demo WSDLs: every operation of every binding
 * answers a reply that decodes with the operation's own codec, passes its output schema, is the
 * same on every call, and is valid for libxml2 (xmllint --schema) against the WSDL's schemas;
 * invalid requests get the SOAP facade's faults; node-soap, given only the mock's ?wsdl URL,
 * calls every operation; fixtures replace samples and are checked at start-up.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as soap from 'soap';
import type { CompiledOperation } from '../../src/compile';
import { createLogger } from '../../src/log';
import { compileBundleDir } from '../../src/compile';
import { initLibxml } from '../../src/compile/libxml';
import { allOperations, loadMock, mockOf, MockLoadError, startMock, type MockService } from '../../src/mock';
import type { RunningMock } from '../../src/mock/server';
import { requestHeaders } from '../../src/soap/envelope';
import { Sampler } from '../../src/sample';
import { captureLog, request, tempDir, type Reply } from '../support/bridge';
import { decodeEnvelope, ROOT } from '../support/compile';
import { bodyElements, writeSchemas, xmllintAvailable, xmllintValidate } from '../support/xmllint';

const DEMOS = ['calculator', 'orders', 'inventory'];

function wsdlOf(name: string): string {
  return path.join(ROOT, 'wsdl', name, `${name}.wsdl`);
}

/** A valid input for the operation: the sample of its input schema, checked by its validator. */
export function sampleInput(mock: MockService, op: CompiledOperation): unknown {
  const s = new Sampler([mock.bundle.schema]).sample({ $ref: `#/$defs/${op.inputDef}` }, mock.bundle.schema);
  assert.ok(s.ok, `${op.name}: input sample: ${s.ok ? '' : s.reason}`);
  assert.equal(op.validateInput(s.value), undefined, `${op.name}: the input sample is valid`);
  return s.value;
}

/** node-soap's input form of our JSON: simple content with attributes is `{attributes, $value}`. */
function nodeSoapForm(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(nodeSoapForm);
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('$value' in o) {
    const { $value, ...attributes } = o;
    return Object.keys(attributes).length ? { attributes, $value } : $value;
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, nodeSoapForm(x)]));
}

function call(url: string, op: CompiledOperation, envelope: string): Promise<Reply> {
  return request(url, { method: 'POST', headers: requestHeaders(op.soapVersion, op.soapAction), body: envelope });
}

function quiet(): ReturnType<typeof createLogger> {
  return createLogger({ level: 'error', stream: captureLog().stream });
}

describe('soap-bridge mock (in-process, demo WSDLs)', function () {
  this.timeout(60000);

  for (const name of DEMOS) {
    describe(name, () => {
      let mock: MockService;
      let running: RunningMock;
      const log = captureLog();

      before(async () => {
        const started = await startMock(wsdlOf(name), { port: 0, host: '127.0.0.1', logger: createLogger({ level: 'info', stream: log.stream }) });
        mock = started.mock;
        running = started.running;
        assert.deepEqual(started.diagnostics.filter((d) => d.severity === 'error'), []);
      });
      after(async () => {
        await running?.close();
      });

      it('answers every operation of every binding with a reply that decodes, fits the output schema and is the same every time', async () => {
        const ops = allOperations(mock.bundle);
        assert.ok(ops.length >= 4, `${name} has operations`);
        for (const op of ops) {
          const answer = mock.answers.get(op)!;
          assert.equal(answer.source, 'sample', `${op.name} (SOAP ${op.soapVersion}) answers a sample`);
          const envelope = op.encodeRequest(sampleInput(mock, op));
          const first = await call(running.url + '/any/path', op, envelope);
          assert.equal(first.status, 200, `${op.name} SOAP ${op.soapVersion}: ${first.text}`);
          assert.match(String(first.headers['content-type']), op.soapVersion === '1.1' ? /^text\/xml/ : /^application\/soap\+xml/);
          const decoded = decodeEnvelope(op, first.text);
          assert.deepEqual(decoded.errors, [], `${op.name}: the reply decodes`);
          assert.equal(op.validateOutput(decoded.value), undefined, `${op.name}: the reply fits the output schema`);
          assert.equal(op.encodeResponse(decoded.value), first.text, `${op.name}: the reply is the sample, written by the operation's encoder`);
          const second = await call(running.url, op, envelope);
          assert.equal(second.text, first.text, `${op.name}: the same reply twice`);
        }
        const access = log.lines.filter((l) => l.message === 'access');
        assert.ok(access.some((l) => l.status === 200 && typeof l.operation === 'string'), 'access lines name the operation');
      });

      it('refuses a request that breaks the input schema with the SOAP facade\'s Client / Sender fault', async () => {
        for (const op of allOperations(mock.bundle)) {
          if (!op.model.input.wrapper || op.model.input.style !== 'wrapped') continue;
          const w = op.model.input.wrapper;
          // The wrapper with an element the schema does not have.
          const env = op.encodeRequest(sampleInput(mock, op)).replace(/<soap:Body>(<[^>]*?)(\/?)>/, (_m, open: string, slash: string) => (slash ? `<soap:Body>${open}><bogus>1</bogus></${open.slice(1).split(/\s/)[0]}>` : `<soap:Body>${open}><bogus>1</bogus>`));
          const r = await call(running.url, op, env);
          if (op.soapVersion === '1.1') {
            assert.equal(r.status, 500, r.text);
            assert.match(r.text, /<faultcode>soap:Client<\/faultcode>/);
          } else {
            assert.equal(r.status, 400, r.text);
            assert.match(r.text, /<soap:Value>soap:Sender<\/soap:Value>/);
          }
          assert.match(r.text, /<sb:type>urn:soap-bridge:problem:validation-failed<\/sb:type>/, `${op.name}: ${w.local}`);
          assert.match(r.text, /<sb:message>unexpected element bogus<\/sb:message>/);
        }
      });

      it('answers unknown operations, other SOAP media types and GETs as the facade does', async () => {
        const op = allOperations(mock.bundle)[0];
        const unknown = await call(running.url, op, '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Nope xmlns="urn:x"/></soap:Body></soap:Envelope>'.replace('http://schemas.xmlsoap.org/soap/envelope/', op.soapVersion === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope'));
        assert.match(unknown.text, /urn:soap-bridge:problem:not-found/);
        assert.match(unknown.text, /has no operation whose request starts with \{urn:x\}Nope/);
        const json = await request(running.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        assert.equal(json.status, 500);
        assert.match(json.text, /urn:soap-bridge:problem:unsupported-media-type/);
        const malformed = await request(running.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<soap:Envelope' });
        assert.match(malformed.text, /urn:soap-bridge:problem:malformed-xml/);
        assert.equal((await request(running.url + '/svc')).status, 404);
        assert.equal((await request(running.url + '/svc', { method: 'PUT', body: 'x' })).status, 405);
        const health = await request(running.url + '/healthz');
        assert.deepEqual(health.json, { status: 'ok' });
      });

      it('publishes the WSDL at ?wsdl with soap:address pointing at the mock, and node-soap calls every operation through it', async () => {
        const wsdl = await request(`${running.url}/svc/${name}?wsdl`);
        assert.equal(wsdl.status, 200);
        assert.ok(wsdl.text.includes(`location="${running.url}/svc/${name}"`), 'soap:address points at the mock');
        assert.ok(!wsdl.text.includes('127.0.0.1:81'), 'no demo backend address is left');
        const client = await soap.createClientAsync(`${running.url}/svc/${name}?wsdl`);
        const soap11 = allOperations(mock.bundle).filter((o) => o.soapVersion === '1.1');
        assert.ok(soap11.length > 0);
        for (const op of soap11) {
          const fn = (client as unknown as Record<string, (input: unknown) => Promise<[unknown, string]>>)[`${op.name}Async`];
          assert.equal(typeof fn, 'function', `node-soap has ${op.name}`);
          const [result, raw] = await fn.call(client, nodeSoapForm(sampleInput(mock, op)));
          const expected = mock.answers.get(op)!.value as Record<string, unknown>;
          assert.ok(result && typeof result === 'object', `${op.name}: node-soap read a result`);
          const expectedBody = op.encodeResponse(expected);
          assert.equal(raw, expectedBody, `${op.name}: node-soap got the mock's envelope`);
          for (const [k, v] of Object.entries(expected)) {
            if (typeof v === 'number' || (typeof v === 'string' && !/^\d{4}-\d\d-\d\d/.test(v))) assert.equal(String((result as Record<string, unknown>)[k]), String(v), `${op.name}.${k} as node-soap reads it`);
          }
        }
      });

      it('gives replies that libxml2 finds valid against the WSDL\'s schemas (xmllint --schema)', function () {
        if (!xmllintAvailable()) {
          process.stdout.write('      (xmllint is not installed here: apt-get install -y libxml2-utils)\n');
          this.skip();
        }
        const tmp = tempDir('mock-xmllint');
        try {
          const umbrella = writeSchemas(mock.bundle, path.join(tmp.dir, 'schemas'));
          const files: string[] = [];
          const names = new Map<string, string>();
          for (const op of allOperations(mock.bundle)) {
            const a = mock.answers.get(op)!;
            if (a.source !== 'sample' || op.model.style !== 'document') continue;
            bodyElements(op.encodeResponse(a.value)).forEach((xml, i) => {
              const f = path.join(tmp.dir, `${op.name}-${op.soapVersion}-${i}.xml`);
              fs.writeFileSync(f, xml);
              files.push(f);
              names.set(f, op.name);
            });
          }
          assert.ok(files.length >= 4, 'replies to check');
          const r = xmllintValidate(umbrella, files);
          assert.equal(r.schemaError, undefined, `the schemas compile in libxml2: ${r.schemaError}`);
          assert.deepEqual([...r.invalid.values()], [], 'every reply is valid');
          assert.equal(r.valid, files.length);
          // The oracle is not a rubber stamp: a reply with an element out of place fails.
          const bad = path.join(tmp.dir, 'bad.xml');
          fs.writeFileSync(bad, fs.readFileSync(files[0], 'utf8').replace(/(<[^>]+>)/, '$1<extra/>'));
          assert.equal(xmllintValidate(umbrella, [bad]).invalid.size, 1);
        } finally {
          tmp.remove();
        }
      });
    });
  }
});

describe('soap-bridge mock replies under strict validation (libxml2-wasm)', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    tmp = tempDir('mock-strict');
    await initLibxml();
  });
  after(() => tmp.remove());

  for (const name of DEMOS) {
    it(`${name}: every reply of every binding passes the bundle's strict validation, and a broken one does not`, () => {
      // The demo bundle's WSDL and XSD files, with a mapping that turns strict mode on.
      const dir = path.join(tmp.dir, name);
      fs.mkdirSync(dir);
      for (const f of fs.readdirSync(path.join(ROOT, 'wsdl', name))) if (f !== 'mapping.yaml') fs.copyFileSync(path.join(ROOT, 'wsdl', name, f), path.join(dir, f));
      fs.writeFileSync(path.join(dir, 'mapping.yaml'), 'validation: strict\n');
      const compiled = compileBundleDir(dir, { env: {} });
      assert.ok(compiled.bundle?.strict, `${name} compiles in strict mode: ${JSON.stringify(compiled.diagnostics.filter((d) => d.severity === 'error'))}`);
      const made = mockOf(compiled.bundle);
      assert.ok(made.mock);
      let checked = 0;
      let first: { op: CompiledOperation; envelope: string } | undefined;
      const mock: MockService = made.mock;
      for (const op of allOperations(mock.bundle)) {
        const a = mock.answers.get(op)!;
        if (a.source === 'one-way') continue;
        assert.equal(a.source, 'sample', `${op.name}: ${a.reason ?? ''}`);
        const envelope = op.encodeResponse(a.value);
        assert.ok(op.strictOutput, `${op.name} has a strict validator`);
        assert.deepEqual(op.strictOutput(envelope), [], `${op.name} (SOAP ${op.soapVersion}): libxml2's verdict`);
        first ??= { op, envelope };
        checked++;
      }
      assert.ok(checked >= 2, `${name}: replies checked`);
      // Not a rubber stamp: an element slipped into the reply's wrapper is refused, with a pointer.
      const broken = first!.envelope.replace(/(<soap:Body><[^>]+>)/, '$1<extra/>');
      assert.notEqual(broken, first!.envelope);
      const verdict = first!.op.strictOutput!(broken);
      assert.ok(verdict.length > 0, 'the broken reply is refused');
      compiled.bundle.strict.retire();
    });
  }
});

describe('soap-bridge mock fixtures', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('mock-fixtures');
  });
  after(() => tmp.remove());

  function fixtures(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'f-'));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    return dir;
  }

  it('answers an operation with its fixture, in both SOAP versions, and the others with samples', async () => {
    const dir = fixtures({ 'Add.json': '{ "AddResult": 42 }\n' });
    const { mock, running } = await startMock(wsdlOf('calculator'), { fixtures: dir, port: 0, host: '127.0.0.1', logger: quiet() });
    try {
      const adds = allOperations(mock.bundle).filter((o) => o.name === 'Add');
      assert.equal(adds.length, 2, 'Add in SOAP 1.1 and 1.2');
      for (const op of adds) {
        assert.equal(mock.answers.get(op)!.source, 'fixture');
        const r = await call(running.url, op, op.encodeRequest({ intA: 1, intB: 2 }));
        assert.equal(r.status, 200);
        assert.deepEqual(decodeEnvelope(op, r.text).value, { AddResult: 42 });
      }
      const sub = allOperations(mock.bundle).find((o) => o.name === 'Subtract')!;
      assert.equal(mock.answers.get(sub)!.source, 'sample');
    } finally {
      await running.close();
    }
  });

  it('refuses, at start-up, a fixture that breaks the output schema, at the line and column of the value', () => {
    const dir = fixtures({ 'GetOrder.json': '{\n  "order": {\n    "orderId": "ORD-1",\n    "status": "LOST"\n  }\n}\n' });
    const r = loadMock(wsdlOf('orders'), { fixtures: dir });
    assert.equal(r.mock, undefined);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    const status = errors.find((d) => d.message.startsWith('/order/status'));
    assert.ok(status, JSON.stringify(errors));
    assert.equal(status.file, path.join(dir, 'GetOrder.json'));
    assert.deepEqual([status.line, status.col], [4, 15]);
    assert.match(status.message, /output of GetOrder/);
    // A missing required property is reported at the object that lacks it.
    const missing = errors.find((d) => /customer/.test(d.message));
    assert.ok(missing, JSON.stringify(errors));
    assert.deepEqual([missing.line, missing.col], [2, 12]);
  });

  it('refuses a fixture that is not JSON, or names no operation (with a suggestion), and ignores other files with a warning', () => {
    const dir = fixtures({ 'Add.json': '{\n  "AddResult": 1,\n}\n', 'Substract.json': '{}', 'notes.txt': 'hello' });
    const r = loadMock(wsdlOf('calculator'), { fixtures: dir });
    assert.equal(r.mock, undefined);
    const add = r.diagnostics.find((d) => d.file.endsWith('Add.json'))!;
    assert.match(add.message, /^not valid JSON/);
    assert.equal(add.line, 3);
    const wrong = r.diagnostics.find((d) => d.file.endsWith('Substract.json'))!;
    assert.match(wrong.message, /no operation "Substract" \(did you mean "Subtract"\?\)/);
    const txt = r.diagnostics.find((d) => d.file.endsWith('notes.txt'))!;
    assert.equal(txt.severity, 'warning');
  });

  it('mocks a WSDL without soap:address, without the REST facade\'s warning about it', async () => {
    const file = path.join(tmp.dir, 'no-address.wsdl');
    fs.writeFileSync(file, fs.readFileSync(wsdlOf('calculator'), 'utf8').replace(/<soap(12)?:address[^>]*>/g, ''));
    const { mock, running, diagnostics } = await startMock(file, { port: 0, host: '127.0.0.1', logger: quiet() });
    try {
      assert.deepEqual(diagnostics, []);
      const op = allOperations(mock.bundle)[0];
      const r = await call(running.url, op, op.encodeRequest({ intA: 1, intB: 1 }));
      assert.equal(r.status, 200);
    } finally {
      await running.close();
    }
  });

  it('startMock throws MockLoadError with the diagnostics and listens on nothing', async () => {
    const dir = fixtures({ 'Nope.json': '{}' });
    await assert.rejects(startMock(wsdlOf('calculator'), { fixtures: dir, port: 0, host: '127.0.0.1', logger: quiet() }), (e: unknown) => e instanceof MockLoadError && e.diagnostics.some((d) => d.message.includes('"Nope"')));
    const missing = loadMock(path.join(tmp.dir, 'missing.wsdl'));
    assert.equal(missing.mock, undefined);
    assert.ok(missing.diagnostics.some((d) => d.severity === 'error'));
  });
});
