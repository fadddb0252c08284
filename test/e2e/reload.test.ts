/**
 * Hot reload end to end: a bridge watching a temporary services folder, two small SOAP backends
 * whose answers differ (A answers AddResult 1, B answers 2), and real edits of the files. The
 * WSDL's own soap:address points at a closed port, so a half-read mapping that fell back to the
 * defaults would show up as failed requests.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { freePort, postJson, request, startBridge, startHttp, tempDir, writeBundle, type TestBridge } from '../support/bridge';
import { spawnCli } from '../support/child';
import { ROOT } from '../support/compile';

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const SCHEMA = /<xs:schema[\s\S]*?<\/xs:schema>/;
const TNS = 'urn:soap-bridge:demo:calculator';
const DEBOUNCE_MS = '20';

/** The calculator WSDL with its soap:address on `deadPort` and, optionally, its types in a separate XSD. */
function calculatorWsdl(deadPort: number, xsdLocation?: string): string {
  const wsdl = CALC_WSDL.replace(/http:\/\/127\.0\.0\.1:8101\//g, `http://127.0.0.1:${deadPort}/`);
  return xsdLocation === undefined ? wsdl : wsdl.replace(SCHEMA, `<xs:schema><xs:import namespace="${TNS}" schemaLocation="${xsdLocation}"/></xs:schema>`);
}

/** The calculator's types as a schema document of their own; `extra` goes into the Operands sequence. */
function calculatorXsd(extra = ''): string {
  const schema = CALC_WSDL.match(SCHEMA)![0]
    .replace('<xs:schema', `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${TNS}"`)
    .replace(/(<xs:complexType name="Operands">\s*<xs:sequence>[\s\S]*?)(\s*<\/xs:sequence>)/, `$1${extra}$2`);
  return `<?xml version="1.0" encoding="utf-8"?>\n${schema}\n`;
}

function mapping(backend: string, extra = ''): string {
  return `soapBackend: ${backend}\ntimeoutMs: 5000\n${extra}`;
}

interface Backend {
  url: string;
  /** Requests answered or held so far. */
  calls: number;
  /** While true, requests are held until release(). */
  holding: boolean;
  held: (() => void)[];
  release(): void;
  close(): Promise<void>;
}

/** A SOAP backend for Add that always answers `result`, and can hold requests on demand. */
async function startBackend(result: number): Promise<Backend> {
  const reply = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><AddResponse xmlns="${TNS}"><AddResult>${result}</AddResult></AddResponse></soap:Body></soap:Envelope>`;
  const backend: Backend = {
    url: '',
    calls: 0,
    holding: false,
    held: [],
    release: () => backend.held.splice(0).forEach((answer) => answer()),
    close: async () => undefined,
  };
  const server = await startHttp((req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    req.on('end', () => {
      backend.calls++;
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(reply);
      };
      if (backend.holding) backend.held.push(answer);
      else answer();
    });
  });
  backend.url = `${server.url}/calc`;
  backend.close = () => {
    backend.release();
    return server.close();
  };
  return backend;
}

/** Polls `check` until it gives a value, failing after `ms` with `what` and the bridge's recent log. */
async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, bridge?: TestBridge, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) {
      const recent = bridge ? bridge.log.lines.slice(-8).map((l) => JSON.stringify(l)).join('\n') : '';
      throw new Error(`timed out after ${ms} ms waiting for ${what}${recent ? `; last log lines:\n${recent}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `promise`'s value, or `fallback` after `ms` (the timer is cleared, so it does not hold the process). */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Line = Record<string, unknown>;

/** Waits for a log line after `mark` (an index into the log) with this message. */
function logLine(bridge: TestBridge, mark: number, message: string, extra: (l: Line) => boolean = () => true): Promise<Line> {
  return until(`log line "${message}"`, () => bridge.log.lines.slice(mark).find((l) => l.message === message && extra(l)), bridge);
}

async function add(bridge: TestBridge, service = 'calc', body: Record<string, unknown> = { intA: 1, intB: 1 }): Promise<{ status: number; result?: number; text: string }> {
  const r = await postJson(`${bridge.url}/api/${service}/Add`, body);
  return { status: r.status, result: r.json?.AddResult, text: r.text };
}

describe('hot reload (WATCH)', function () {
  this.timeout(15000);
  let a: Backend;
  let b: Backend;
  let deadPort: number;
  let tmp: ReturnType<typeof tempDir>;
  let services: string;
  let bridge: TestBridge | undefined;

  const calcDir = (): string => path.join(services, 'calc');
  const mappingFile = (): string => path.join(calcDir(), 'mapping.yaml');

  before(async () => {
    [a, b, deadPort] = [await startBackend(1), await startBackend(2), await freePort()];
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  beforeEach(() => {
    tmp = tempDir('reload');
    services = path.join(tmp.dir, 'services');
    fs.mkdirSync(services);
    a.holding = false;
    b.holding = false;
  });

  afterEach(async () => {
    a.release();
    b.release();
    await bridge?.close();
    bridge = undefined;
    tmp.remove();
  });

  async function serve(overrides: Record<string, string> = {}): Promise<TestBridge> {
    bridge = await startBridge(services, {}, { reloadDebounceMs: DEBOUNCE_MS, shutdownGraceMs: '1000', ...overrides });
    return bridge;
  }

  it('swaps a mapping edited while clients keep calling: no request fails, and calls reach the new backend after the swap', async () => {
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(a.url) });
    const br = await serve();
    const clients = 6;
    const seen: { status: number; result?: number; text: string }[][] = Array.from({ length: clients }, () => []);
    let stop = false;
    const loops = seen.map(async (mine) => {
      while (!stop) mine.push(await add(br));
    });
    const answersFrom = (result: number, n: number): boolean => seen.every((mine) => mine.filter((r) => r.result === result).length >= n);
    try {
      await until('every client answered by backend A', () => answersFrom(1, 3), br);
      const mark = br.log.lines.length;
      fs.writeFileSync(mappingFile(), mapping(b.url));
      await until('every client answered by backend B', () => answersFrom(2, 3), br);
      await logLine(br, mark, 'service reloaded');
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    const all = seen.flat();
    assert.deepEqual(all.filter((r) => r.status !== 200 || (r.result !== 1 && r.result !== 2)), [], 'every request answered 200 by A or B');
    for (const mine of seen) {
      const firstB = mine.findIndex((r) => r.result === 2);
      assert.ok(mine.slice(firstB).every((r) => r.result === 2), 'once a client got B, every later call of it (started after the swap) got B');
    }
    assert.equal(br.log.lines.filter((l) => l.message === 'service reloaded').length, 1, 'the editor burst of one save is one reload');
    assert.deepEqual(br.log.lines.filter((l) => l.level === 'error'), []);
    const ready = await request(`${br.url}/readyz`);
    assert.equal(ready.json.generation, 2);
    assert.deepEqual(ready.json.bundles.map((x: { service: string; generation: number }) => [x.service, x.generation]), [['calc', 2]]);
    const metrics = await request(`${br.url}/metrics`);
    assert.match(metrics.text, /^soap_bridge_reloads_total\{result="success"\} 1$/m);
    assert.match(metrics.text, /^soap_bridge_reloads_total\{result="failure"\} 0$/m);
  });

  it('swaps a custom route\'s shaping while clients call it: no request fails, the new shape after the swap, a broken edit keeps it', async () => {
    const routeMapping = (name: string, extraRule = ''): string =>
      mapping(a.url, `operations:\n  Add:\n    route: GET /sum/{x}\n    request:\n      fields:\n        intA: path.x\n        intB: query.y\n${extraRule}    response:\n      fields:\n        ${name}: body.AddResult\n`);
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': routeMapping('result') });
    const br = await serve();
    const answers: { status: number; text: string }[][] = Array.from({ length: 4 }, () => []);
    let stop = false;
    const loops = answers.map(async (mine) => {
      while (!stop) {
        const r = await request(`${br.url}/api/calc/sum/1?y=1`);
        mine.push({ status: r.status, text: r.text });
      }
    });
    const everyClientSaw = (text: string, n: number): boolean => answers.every((mine) => mine.filter((r) => r.text === text).length >= n);
    try {
      await until('every client answered in the first shape', () => everyClientSaw('{"result":1}', 3), br);
      fs.writeFileSync(mappingFile(), routeMapping('total'));
      await until('every client answered in the new shape', () => everyClientSaw('{"total":1}', 3), br);
      // A broken edit: the route's path parameter lands nowhere. It is refused; the shape stays.
      const mark = br.log.lines.length;
      fs.writeFileSync(mappingFile(), routeMapping('sum').replace('intA: path.x', 'intA: query.x'));
      await logLine(br, mark, 'reload refused; the previous version keeps serving');
      assert.ok(br.log.lines.slice(mark).some((l) => /mapping\.yaml:\d+:\d+ operations\.Add\.request: the route's path parameter \{x\} lands nowhere/.test(String(l.message))));
      const count = answers.flat().length;
      await until('more answers after the refused edit', () => answers.flat().length > count + 8, br);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    const all = answers.flat();
    assert.deepEqual(all.filter((r) => r.status !== 200 || (r.text !== '{"result":1}' && r.text !== '{"total":1}')), [], 'every call answered 200 in one of the two good shapes');
    for (const mine of answers) {
      const first = mine.findIndex((r) => r.text === '{"total":1}');
      assert.ok(mine.slice(first).every((r) => r.text === '{"total":1}'), 'after the swap, and after the refused edit, only the new shape');
    }
  });

  it('lets a request in flight finish on the version it started with, old backend and old timeout', async () => {
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(a.url) });
    const br = await serve();
    a.holding = true;
    const started = Date.now();
    const inFlight = add(br);
    await until('the request to reach backend A', () => a.held.length === 1, br);
    const mark = br.log.lines.length;
    // The new version has another backend and a timeout far shorter than the held request will take.
    fs.writeFileSync(mappingFile(), `soapBackend: ${b.url}\ntimeoutMs: 200\n`);
    await logLine(br, mark, 'service reloaded');
    assert.deepEqual(await add(br), { status: 200, result: 2, text: '{"AddResult":2}' }, 'a new request uses the new version');
    // Time must pass beyond the new 200 ms timeout to show the request runs on the old 5000 ms one.
    await until('the held request to outlast the new timeout', () => Date.now() - started > 600, br);
    a.release();
    assert.deepEqual(await inFlight, { status: 200, result: 1, text: '{"AddResult":1}' }, 'the request in flight finishes on the old backend');
  });

  it('refuses broken edits (YAML, unknown key, WSDL that no longer parses, XSD import removed) with file:line:col, keeps serving, and takes the fix', async () => {
    const xsd = calculatorXsd();
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort, 'calc-types.xsd'), 'calc-types.xsd': xsd, 'mapping.yaml': mapping(a.url) });
    const wsdlFile = path.join(calcDir(), 'calculator.wsdl');
    const xsdFile = path.join(calcDir(), 'calc-types.xsd');
    const br = await serve();
    const goodWsdl = fs.readFileSync(wsdlFile, 'utf8');
    const restoreMapping = (): void => fs.writeFileSync(mappingFile(), mapping(a.url));
    const cases: { what: string; breakIt(): void; file: string; message: RegExp; restore(): void }[] = [
      { what: 'invalid YAML', breakIt: () => fs.writeFileSync(mappingFile(), `soapBackend: [${b.url}\n`), file: mappingFile(), message: /^YAML: /, restore: restoreMapping },
      {
        what: 'unknown key',
        breakIt: () => fs.writeFileSync(mappingFile(), `soapBackend: ${b.url}\ntimeoutMS: 100\n`),
        file: mappingFile(),
        message: /^unknown key `timeoutMS` \(did you mean `timeoutMs`\?\)$/,
        restore: restoreMapping,
      },
      {
        what: 'a WSDL cut off half-way (as a half-written file is)',
        breakIt: () => fs.writeFileSync(wsdlFile, goodWsdl.slice(0, goodWsdl.length / 2)),
        file: wsdlFile,
        message: /./,
        restore: () => fs.writeFileSync(wsdlFile, goodWsdl),
      },
      { what: 'an XSD import removed', breakIt: () => fs.rmSync(xsdFile), file: wsdlFile, message: /^cannot read ".*calc-types\.xsd" \(ENOENT\)/, restore: () => fs.writeFileSync(xsdFile, xsd) },
    ];
    for (const c of cases) {
      const serving = br.registry.served()[0];
      const mark = br.log.lines.length;
      c.breakIt();
      const refusal = await logLine(br, mark, 'reload refused; the previous version keeps serving');
      assert.deepEqual([refusal.service, refusal.generation, refusal.hash], ['calc', serving.generation, serving.hash], c.what);
      assert.equal(br.registry.served()[0], serving, `${c.what}: nothing was swapped`);
      // Every diagnostic line (errors, and the warnings that explain them) has the refused file's position.
      const diagnostics = br.log.lines.slice(mark).filter((l) => l.file !== undefined);
      assert.ok(diagnostics.some((l) => l.level === 'error'), `${c.what}: its errors are logged`);
      for (const d of diagnostics) {
        const m = /^(.+):(\d+):(\d+) (?:warning: )?(.+)$/.exec(String(d.message));
        assert.ok(m, `${c.what}: "${d.message}" is file:line:col message`);
        assert.equal(m[1], c.file, c.what);
        assert.deepEqual([Number(m[2]), Number(m[3])], [d.line, d.col]);
      }
      const texts = diagnostics.map((d) => String(d.message).replace(/^.+?:\d+:\d+ (?:warning: )?/, ''));
      assert.ok(texts.some((t) => c.message.test(t)), `${c.what}: ${texts.join('; ')}`);
      assert.deepEqual(await add(br), { status: 200, result: 1, text: '{"AddResult":1}' }, `${c.what}: the old version keeps serving`);
      // Writing the good file again (the next write after a half-written one) is picked up.
      const again = br.log.lines.length;
      c.restore();
      await logLine(br, again, 'service reloaded');
      assert.equal((await add(br)).result, 1, `${c.what}: restored`);
    }
    const mark = br.log.lines.length;
    fs.writeFileSync(mappingFile(), mapping(b.url));
    await logLine(br, mark, 'service reloaded');
    assert.deepEqual(await add(br), { status: 200, result: 2, text: '{"AddResult":2}' }, 'the fixed edit is served');
    const metrics = await request(`${br.url}/metrics`);
    assert.match(metrics.text, /^soap_bridge_reloads_total\{result="failure"\} 4$/m);
    assert.equal((await request(`${br.url}/readyz`)).status, 200, 'still ready');
  });

  it('follows atomic saves (a temporary file renamed over the old one) and saves that move the old file away first', async () => {
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(a.url) });
    const br = await serve();
    const saveByRename = (content: string): void => {
      fs.writeFileSync(`${mappingFile()}.tmp-1234`, content);
      fs.renameSync(`${mappingFile()}.tmp-1234`, mappingFile());
    };
    let mark = br.log.lines.length;
    saveByRename(mapping(b.url));
    await logLine(br, mark, 'service reloaded');
    assert.equal((await add(br)).result, 2);
    // The file watched before is gone now: the next save must be seen all the same.
    mark = br.log.lines.length;
    saveByRename(mapping(a.url));
    await logLine(br, mark, 'service reloaded');
    assert.equal((await add(br)).result, 1);
    // vim's way without backupcopy: rename the original to a backup, write anew, delete the backup.
    mark = br.log.lines.length;
    fs.renameSync(mappingFile(), `${mappingFile()}~`);
    fs.writeFileSync(mappingFile(), mapping(b.url));
    fs.rmSync(`${mappingFile()}~`);
    await until('backend B to answer', async () => (await add(br)).result === 2, br);
    assert.deepEqual(br.log.lines.slice(mark).filter((l) => l.level === 'error'), []);
  });

  it('coalesces a burst of writes into one reload', async () => {
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(a.url) });
    const br = await serve({ reloadDebounceMs: '300' });
    const mark = br.log.lines.length;
    // Ten writes 10 ms apart, well inside the 300 ms quiet time; only the last is a working backend.
    for (let i = 0; i < 10; i++) {
      fs.writeFileSync(mappingFile(), mapping(i < 9 ? `http://127.0.0.1:${deadPort}/step${i}` : b.url));
      await new Promise((r) => setTimeout(r, 10));
    }
    await logLine(br, mark, 'service reloaded');
    assert.equal((await add(br)).result, 2);
    // A later, separate edit: once its reload is logged, every event of the burst has been handled.
    fs.writeFileSync(mappingFile(), mapping(b.url, '# a comment\n'));
    await logLine(br, mark, 'service reloaded', (l) => l.generation === 3);
    assert.equal(br.log.lines.slice(mark).filter((l) => l.message === 'service reloaded').length, 2);
  });

  it('loads a bundle folder added at runtime, unloads it when removed, and refuses one that takes a served name', async () => {
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(a.url) });
    const br = await serve();
    let mark = br.log.lines.length;
    writeBundle(services, 'calc2', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(b.url) });
    const loaded = await logLine(br, mark, 'service loaded');
    assert.deepEqual([loaded.service, loaded.generation], ['calc2', 2]);
    assert.deepEqual(await add(br, 'calc2'), { status: 200, result: 2, text: '{"AddResult":2}' });
    assert.deepEqual((await request(`${br.url}/readyz`)).json.services.sort(), ['calc', 'calc2']);

    mark = br.log.lines.length;
    fs.rmSync(path.join(services, 'calc2'), { recursive: true });
    await logLine(br, mark, 'service unloaded', (l) => l.service === 'calc2');
    assert.equal((await add(br, 'calc2')).status, 404);
    assert.equal((await add(br)).result, 1);

    mark = br.log.lines.length;
    writeBundle(services, 'impostor', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(b.url, 'name: calc\n') });
    await logLine(br, mark, 'bundle not loaded; fix the errors above');
    const conflict = path.join(services, 'impostor', 'mapping.yaml');
    assert.ok(br.log.lines.slice(mark).some((l) => l.message === `${conflict}:1:1 service name "calc" is already used by calc`));
    assert.equal((await add(br)).result, 1, 'the served bundle keeps its name');
  });

  it('reloads a bundle when a schema it imports from outside the services folder changes', async () => {
    const shared = path.join(tmp.dir, 'shared');
    fs.mkdirSync(shared);
    const xsdFile = path.join(shared, 'calc-types.xsd');
    fs.writeFileSync(xsdFile, calculatorXsd());
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort, '../../shared/calc-types.xsd'), 'mapping.yaml': mapping(a.url) });
    const br = await serve();
    const withNote = { intA: 1, intB: 1, note: 'hello' };
    const refused = await add(br, 'calc', withNote);
    assert.equal(refused.status, 400, 'note is not in the schema yet');
    const mark = br.log.lines.length;
    fs.writeFileSync(xsdFile, calculatorXsd('<xs:element name="note" type="xs:string" minOccurs="0"/>'));
    const line = await logLine(br, mark, 'service reloaded');
    assert.equal(line.service, 'calc');
    assert.deepEqual(await add(br, 'calc', withNote), { status: 200, result: 1, text: '{"AddResult":1}' }, 'the new schema accepts note');
  });

  it('with WATCH=false reloads nothing on its own, and reloads on request (what SIGHUP does)', async () => {
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(a.url) });
    const br = await serve({ watch: 'false' });
    assert.equal(br.watching, false);
    fs.writeFileSync(mappingFile(), mapping(b.url));
    // Nothing can be polled for here: give a watcher (20 ms debounce) fifteen times its chance.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await add(br)).result, 1, 'still the version loaded at start');
    assert.ok(!br.log.lines.some((l) => l.message === 'service reloaded' || l.message === 'watching bundles for changes'));
    const report = await br.reload();
    assert.deepEqual(report.reloaded, ['calc']);
    assert.equal((await add(br)).result, 2);
  });

  it('serve --no-watch: file edits are not picked up, SIGHUP reloads, SIGTERM exits 0', async () => {
    writeBundle(services, 'calc', { 'calculator.wsdl': calculatorWsdl(deadPort), 'mapping.yaml': mapping(a.url) });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const cli = spawnCli(['serve', '--no-watch', '--services', services, '--port', String(port), '--host', '127.0.0.1'], {
      cwd: tmp.dir,
      env: { LOG_LEVEL: undefined, RELOAD_DEBOUNCE_MS: DEBOUNCE_MS, SHUTDOWN_GRACE_MS: '1000' },
    });
    const child = cli.proc;
    let output = '';
    child.stdout!.on('data', (d: string) => (output += d));
    child.stderr!.on('data', (d: string) => (output += d));
    const exited = cli.exit.then(({ code }) => code);
    const answer = async (): Promise<number | undefined> => (await postJson(`${url}/api/calc/Add`, { intA: 1, intB: 1 })).json?.AddResult;
    try {
      await until(`the bridge to answer (output: ${output})`, async () => (await request(`${url}/readyz`, { timeoutMs: 500 }).catch(() => undefined))?.status === 200);
      fs.writeFileSync(mappingFile(), mapping(b.url));
      // As above: absence of a reload cannot be polled for.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await answer(), 1, output);
      child.kill('SIGHUP');
      await until(`SIGHUP to reload (output: ${output})`, async () => (await answer()) === 2);
      assert.match(output, /"message":"service reloaded"/);
      child.kill('SIGTERM');
      const code = await within(exited, 5000, 'no exit within 5 s');
      assert.equal(code, 0, output);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
